"""Starting tasks: forming teams, taking up capacity, setting work rates.

A mixin of :class:`~simulation.model.LeadershipModel` (kept apart so that each module
reads in one sitting): the same mechanism serves every regime, whether the leader
named the team or the lead recruited volunteers (docs/ODD.md 7.4-7.5).
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import chain

import numpy as np

from . import rules
from .tasks import Event


@dataclass
class Formed:
    """Teams formed by one :meth:`Teams.start`, waiting to begin work: every member
    (``flat``) with the position of its task in ``tasks`` (``owner``) and its place in
    the team (``place``, 0 for the lead); the leads and followers; and whether the
    formal leader named each lead (``via_leader``)."""

    tasks: np.ndarray
    flat: np.ndarray
    owner: np.ndarray
    place: np.ndarray
    leads: np.ndarray
    fol: np.ndarray
    via_leader: np.ndarray

    @classmethod
    def join(cls, parts: list[Formed]) -> Formed:
        """One record of several, owners shifted to index the joined task list."""
        offsets = np.cumsum([0] + [len(p.tasks) for p in parts[:-1]])
        return cls(
            *(np.concatenate([getattr(p, f) for p in parts]) for f in ("tasks", "flat")),
            np.concatenate([p.owner + o for p, o in zip(parts, offsets)]),
            *(np.concatenate([getattr(p, f) for p in parts]) for f in ("place", "leads", "fol", "via_leader")),
        )


class Teams:
    """``start`` and its helpers; state lives on the model (``self``)."""

    def start(
        self,
        tasks: np.ndarray,
        leads: np.ndarray | None,
        via_leader: bool,
        self_chosen: bool | np.ndarray,
        teams: list[list[int]] | None = None,
    ) -> np.ndarray:
        """Give ``tasks`` their ``leads`` and teams, who take up capacity at once;
        work begins with :meth:`begin_work` at the end of the step's coordination.

        Without ``teams`` (lists of people, lead first, named by the leader, who only
        names people with room) each lead recruits: available colleagues, most
        competent first, join with :func:`~simulation.rules.follow_probability` of their
        trust in the lead. A lead whose capacity an earlier task of this call used up
        does not start; the returned mask says which tasks started. ``self_chosen``
        says, for all tasks or per task, whether the lead chose the work (autonomy).
        """
        tasks = np.asarray(tasks, dtype=np.int64)
        self_chosen = (
            np.full(len(tasks), self_chosen)
            if isinstance(self_chosen, (bool, np.bool_))
            else np.asarray(self_chosen, dtype=bool)
        )
        volunteered = teams is None
        if volunteered:
            started, teams = self._volunteer_teams(tasks, np.asarray(leads, dtype=np.int64))
            if len(teams) < len(tasks):
                if not teams:
                    return started
                tasks = tasks[started]
                self_chosen = self_chosen[started]
        else:
            started = np.ones(len(tasks), dtype=bool)
        # Teams flattened: member, its task's position in ``tasks``, its place in the team.
        sizes = np.array(list(map(len, teams)), dtype=np.int64)
        flat = np.array(list(chain.from_iterable(teams)), dtype=np.int64)
        first = sizes.cumsum() - sizes  # where each team begins in ``flat``
        owner = np.arange(len(teams)).repeat(sizes)
        place = np.arange(len(flat)) - first.repeat(sizes)
        is_fol = place > 0
        leads = flat[first]
        fol, fol_task = flat[is_fol], tasks[owner[is_fol]]
        np.subtract.at(self.free, flat, 1)
        self.log(tasks, Event.STARTED, leads)
        if len(fol):
            self.log(fol_task, Event.JOINED, fol)
        # Autonomy: leads who claimed, and followers who volunteered, chose their work.
        if (self_chosen == volunteered).all():
            chose = volunteered  # everyone alike (claimed and volunteered)
        else:
            chose = np.empty(len(flat), dtype=bool)
            chose[: len(leads)], chose[len(leads) :] = self_chosen, volunteered
        self._autonomy.move(np.concatenate((leads, fol)), 0.8, chose)
        self._starting.append(Formed(tasks, flat, owner, place, leads, fol, np.full(len(tasks), via_leader)))
        return started

    def begin_work(self) -> None:
        """Teams formed during this step's coordination begin work: their rows,
        loads and work rates are set once for all of them (nothing in coordination
        reads these, only the capacity that :meth:`start` takes at once)."""
        if not self._starting:
            return
        parts, self._starting = self._starting, []
        f = parts[0] if len(parts) == 1 else Formed.join(parts)
        tasks, flat, owner, place, leads, fol = f.tasks, f.flat, f.owner, f.place, f.leads, f.fol
        T = self.tasks
        T.members[tasks[owner], place] = flat  # rows of tasks never started are all -1
        T.lead[tasks], T.began[tasks], T.via_leader[tasks] = leads, self.now, f.via_leader
        first = T.start[tasks] < 0  # the first attempt of each task
        if first.any():
            self.tally.first_starts(T, tasks[first], self.now)
            T.start[tasks[first]] = self.now
        np.add.at(self.lead_load, leads, 1)
        if len(fol):
            np.add.at(self.follow_load, fol, 1)
        if self.now > self.cfg.warmup:
            np.add.at(self.led, leads, 1)
            if len(fol):
                np.add.at(self.followed, fol, 1)
        self._set_rates(tasks, flat, owner, np.bincount(owner, minlength=len(tasks)))
        self.active = np.concatenate((self.active, tasks))

    def _volunteer_teams(self, tasks: np.ndarray, leads: np.ndarray) -> tuple[np.ndarray, list[list[int]]]:
        """Teams of volunteers, task by task in order: a lead with capacity left and
        not held up by a conflict starts, and the first of their willing colleagues
        who still have room join, up to the task's team size."""
        size = self.tasks.team_size[tasks]
        followers, candidates = self._recruits(tasks, leads, size)
        people = np.concatenate((leads, candidates))
        free = dict(zip(people.tolist(), self.free[people].tolist()))  # room left, for those concerned
        held_up = (self.blocked_until[leads] > self.now).tolist()
        started = np.zeros(len(tasks), dtype=bool)
        teams = []
        for i, (lead, cands, want) in enumerate(zip(leads.tolist(), followers, size.tolist())):
            if free[lead] <= 0 or held_up[i]:
                continue
            free[lead] -= 1
            team = [lead]
            for f in cands if want > 1 else ():
                if free[f] > 0 and f not in team:
                    free[f] -= 1
                    team.append(f)
                    if len(team) == want:
                        break
            started[i] = True
            teams.append(team)
        return started, teams

    def _recruits(self, tasks: np.ndarray, leads: np.ndarray, size: np.ndarray) -> tuple[list[list[int]], np.ndarray]:
        """Each lead's willing, available colleagues, most competent first (for tasks
        of more than one person), and all of them in one array."""
        need = size > 1
        out: list[list[int]] = [[] for _ in range(len(tasks))]
        if not need.any():
            return out, leads[:0]
        idx = need.nonzero()[0]
        k, ties = self.trust.out_ties(leads[idx])
        cand = self.trust.dst[ties]
        willing = rules.follow_probability(
            self.trust.values(self.trust.rev[ties]),
            self.cfg.coordination.follow_threshold,
            self.cfg.culture.trust_width,
        )
        ok = self.is_available(cand) & self.chance(willing)
        k, cand = k[ok], cand[ok]
        # Most competent first; equals in random order (never by index).
        order = np.lexsort((self.rng.random(len(cand)), -self.fit(cand, tasks[idx[k]]), k))
        ranked = cand[order].tolist()
        bounds = k[order].searchsorted(np.arange(len(idx) + 1)).tolist()
        for j, i in enumerate(idx.tolist()):
            out[i] = ranked[bounds[j] : bounds[j + 1]]
        return out, cand

    def _set_rates(self, tasks, flat, owner, size) -> None:
        """Work rate and success probability of newly started teams (docs/ODD.md 7.5)."""
        w, T = self.cfg.workload, self.tasks
        t = tasks[owner]
        c0, c1 = self.competence[flat, T.dom0[t]], self.competence[flat, T.dom1_or_0[t]]
        speed = (0.5 + 0.5 * (c0 + c1)) * (0.5 + 0.5 * self.engagement[flat])
        if len(flat) == len(tasks):  # teams of one: each member is the team
            best0, best1 = c0, c1
        else:  # the team's speeds add up; its best member counts
            speed = np.bincount(owner, speed, len(tasks))
            best0 = np.full(len(tasks), -np.inf)
            best1 = np.full(len(tasks), -np.inf)
            np.maximum.at(best0, owner, c0)
            np.maximum.at(best1, owner, c1)
        skill = 0.5 * (best0 + best1)
        T.rate[tasks] = speed / (1.0 + w.coordination_cost * (size - 1))
        T.p_success[tasks] = rules.success_probability(skill, T.difficulty[tasks], w.success_slope)
