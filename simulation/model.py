"""The leadership model: people, tasks, a coordination regime and their outcomes.

One step (docs/ODD.md, section 3): arrivals -> coordination (the regime gives tasks
owners) -> work and outcomes (trust, learning, the leader's view) -> engagement ->
records. People's state lives in arrays and tasks in a column table, so each phase
is a few array operations over the tasks and people it concerns: the cost of a step
grows with the work in the system, not with the square of anything.
"""

from __future__ import annotations

import dataclasses
import logging

import numpy as np
from mesa import Model
from mesa.discrete_space import Network

from .agents import Leader, Worker
from .config import SimConfig
from .network import TrustNetwork, build_graph
from .recorder import Recorder
from .regimes import REGIMES
from .tasks import Event, EventLog, TaskTable
from .updates import Compounder, distinct, first_in_group

logging.getLogger("MESA").setLevel(logging.WARNING)


def _clipped_normal(rng: np.random.Generator, mean: float, sd: float, size) -> np.ndarray:
    return np.clip(rng.normal(mean, sd, size), 0.0, 1.0)


class LeadershipModel(Model):
    """Delegation versus distributed leadership in one organisation.

    Build it from a :class:`~simulation.config.SimConfig`, call :meth:`step` or
    :meth:`run`, and read its state: ``workers`` (Mesa agents), ``leader``, ``tasks``
    (with ``pool`` and ``active`` task ids), ``events``, ``timeseries`` and
    :meth:`metrics`.
    """

    def __init__(self, config: SimConfig | None = None, *, seed: int | None = None):
        cfg = (config or SimConfig()).validate()
        if seed is not None:
            cfg = dataclasses.replace(cfg, seed=int(seed))  # never mutate the caller's config
        super().__init__(seed=cfg.seed)
        self.cfg = cfg
        org, ppl, cul = cfg.organization, cfg.people, cfg.culture
        n, d = org.size, ppl.domains
        rng = self.rng
        # Tasks arrive from a stream of their own, so that the same seed gives every
        # regime the same tasks (common random numbers: comparisons are paired).
        self.arrival_rng = np.random.default_rng(np.random.SeedSequence(cfg.seed, spawn_key=(1,)))

        # The network, seeded from the model's own generator (reproducible).
        graph = build_graph(org.network, n, org.degree, org.rewiring, org.team_size,
                            seed=int(rng.integers(2**31)))
        self.grid = Network(graph, random=self.random)
        self.trust = TrustNetwork(graph, cul.trust, cul.trust_spread, rng)

        # Per-person state, one row per worker.
        self.competence = _clipped_normal(rng, ppl.competence, ppl.competence_spread, (n, d))
        self.initial_competence = self.competence.copy()
        self.capacity = np.full(n, ppl.capacity, dtype=np.int64)
        self.free = self.capacity.copy()
        self.lead_load = np.zeros(n, dtype=np.int64)
        self.follow_load = np.zeros(n, dtype=np.int64)
        self.initiative = _clipped_normal(rng, cul.initiative, cul.initiative_spread, n)
        self.engagement = np.full(n, ppl.engagement)
        self.autonomy = np.full(n, 0.5)
        self.trust_in_leader = _clipped_normal(rng, cul.trust, cul.trust_spread, n)
        self.blocked_until = np.zeros(n, dtype=np.int64)
        self.led = np.zeros(n, dtype=np.int64)        # tasks led after warm-up
        self.followed = np.zeros(n, dtype=np.int64)   # tasks followed after warm-up
        self.busy = np.zeros(n, dtype=np.int64)       # task-steps worked after warm-up

        cells = list(self.grid.all_cells)
        self.workers = [Worker(self, i, cells[i]) for i in range(n)]
        perceived = np.clip(self.competence + rng.normal(0, cfg.coordination.perception_noise, (n, d)), 0, 1)
        self.leader = Leader(self, org.leader_capacity, perceived)
        # Batch updates of per-person state (views: the arrays above are updated in place).
        self._autonomy = Compounder(self.autonomy)
        self._competence = Compounder(self.competence)
        self._perceived = Compounder(self.leader.perceived)
        self._trust_in_leader = Compounder(self.trust_in_leader)

        w = cfg.workload
        weights = np.asarray(w.team_size_weights, float)
        self._team_cdf = np.cumsum(weights) / weights.sum()
        self.tasks = TaskTable(max_team=min(len(weights), n))
        self.pool = np.zeros(0, dtype=np.int64)      # task ids waiting for a claim, by arrival
        self.active = np.zeros(0, dtype=np.int64)    # task ids being worked on
        self.events = EventLog()
        self.counts = np.zeros(len(Event), dtype=np.int64)
        self.n_ambiguous = 0
        self.regime = REGIMES[cfg.coordination.name](self)
        self.recorder = Recorder(self)
        self.running = True

    # ------------------------------------------------------------------ schedule
    def step(self) -> None:
        self.arrive()
        self.regime.coordinate()
        self.work()
        self.update_engagement()
        self.recorder.record()
        if self.steps >= self.cfg.steps:
            self.running = False

    def run(self, progress: bool = False) -> "LeadershipModel":
        """Step until ``cfg.steps``; ``progress`` shows a bar on a terminal."""
        steps = range(self.steps, self.cfg.steps)
        if progress:
            from tqdm import tqdm
            steps = tqdm(steps, desc="steps", unit="step", leave=False)
        for _ in steps:
            self.step()
        return self

    # ------------------------------------------------------------------ events
    def log(self, tasks: np.ndarray, event: Event, persons=-1) -> None:
        """Record ``event`` for each of ``tasks`` (a fresh array: the log keeps it)."""
        self.events.add_many(self.steps, tasks, event, persons)
        self.counts[event] += len(tasks)

    def mark_ambiguous(self, tasks: np.ndarray, event: Event) -> None:
        """Flag tasks contested or unowned (once each); count each ambiguous task once."""
        flag = self.tasks.contested if event is Event.CONTESTED else self.tasks.unowned
        other = self.tasks.unowned if event is Event.CONTESTED else self.tasks.contested
        tasks = tasks[~flag[tasks]]
        self.n_ambiguous += int((~other[tasks]).sum())
        flag[tasks] = True
        self.log(tasks, event)

    # ------------------------------------------------------------------ arrivals
    def arrive(self) -> None:
        w, rng = self.cfg.workload, self.arrival_rng
        k = int(rng.poisson(w.arrival_rate))
        if k == 0:
            return
        n, d = self.cfg.organization.size, self.cfg.people.domains
        dom0 = rng.integers(0, d, k)
        offset = rng.integers(1, max(d, 2), k)        # a second domain, different from the first
        cross = (rng.random(k) < w.cross_functional) & (d > 1)
        ids = self.tasks.add(
            dom0=dom0, dom1=np.where(cross, (dom0 + offset) % d, -1),
            difficulty=_clipped_normal(rng, w.difficulty, w.difficulty_spread, k),
            effort=rng.exponential(w.effort, k),
            team_size=np.minimum(np.searchsorted(self._team_cdf, rng.random(k) * self._team_cdf[-1], side="right") + 1, n),
            arrival=np.full(k, self.steps), entry=rng.integers(0, n, k))
        self.log(ids, Event.ARRIVED, self.tasks.entry[ids])
        self.regime.route(ids)

    # ------------------------------------------------------------------ shared mechanisms
    def is_available(self, people: np.ndarray) -> np.ndarray:
        return (self.free[people] > 0) & (self.blocked_until[people] <= self.steps)

    def available_people(self) -> np.ndarray:
        return np.flatnonzero((self.free > 0) & (self.blocked_until <= self.steps))

    def fit(self, people, tasks) -> np.ndarray:
        """Each person's own competence for the paired task (mean over its domains)."""
        people, tasks = np.asarray(people), np.asarray(tasks)
        d0, d1 = self.tasks.dom0[tasks], self.tasks.dom1[tasks]
        f = self.competence[people, d0]
        two = d1 >= 0
        if two.any():
            f = np.where(two, 0.5 * (f + self.competence[people, np.maximum(d1, 0)]), f)
        return f

    def claim_round(self, tasks: np.ndarray):
        """One simultaneous claiming round for pool ``tasks``.

        The entry person and their colleagues who are available claim with a
        propensity rising with competence, initiative, engagement and spare capacity;
        in random order, a later claimant has seen an earlier claim with probability
        ``transparency`` and holds back; a claim is granted if colleagues' mean trust
        in the claimant reaches ``grant_threshold`` (DeRue & Ashford 2010).
        Returns the granted claims as ``(task index, person)``, grouped by task.
        """
        c, rng = self.cfg.coordination, self.rng
        entries = self.tasks.entry[tasks]
        k, ties = self.trust.out_ties(entries)
        group = np.concatenate((np.arange(len(tasks)), k))
        cand = np.concatenate((entries, self.trust.dst[ties]))
        ok = self.is_available(cand)
        group, cand = group[ok], cand[ok]
        spare = self.free[cand] / self.capacity[cand]
        p = c.claim_rate * self.initiative[cand] * self.fit(cand, tasks[group]) * spare * (0.5 + self.engagement[cand])
        claim = rng.random(len(cand)) < p
        group, cand = group[claim], cand[claim]
        # Nobody claims more tasks in one round than they have room for: the earliest
        # tasks first, as if the pool were scanned in order of arrival.
        if not distinct(cand):
            by_person = np.lexsort((group, cand))
            rank = np.arange(len(cand)) - np.searchsorted(cand[by_person], cand[by_person])
            room = np.zeros(len(cand), dtype=bool)
            room[by_person] = rank < self.free[cand[by_person]]
            group, cand = group[room], cand[room]
        order = np.lexsort((rng.random(len(cand)), group))
        group, cand = group[order], cand[order]
        first = first_in_group(group)
        keep = first | (rng.random(len(cand)) >= self.cfg.organization.transparency)
        group, cand = group[keep], cand[keep]
        granted = self.trust.in_mean(cand) >= c.grant_threshold
        self.log(tasks[group], Event.CLAIMED, cand)
        self.log(tasks[group[granted]], Event.GRANTED, cand[granted])
        self.log(tasks[group[~granted]], Event.REFUSED, cand[~granted])
        return group[granted], cand[granted]

    def start(self, tasks: np.ndarray, leads, via_leader: bool, self_chosen, teams=None) -> np.ndarray:
        """Give ``tasks`` their ``leads`` and teams; work begins this step.

        Without ``teams`` (lists of people, lead first, named by the leader, who only
        names people with room) each lead recruits: available colleagues, most
        competent first, who trust the lead at least ``follow_threshold`` join. A lead
        whose capacity an earlier task of this call used up does not start; the
        returned mask says which tasks started.
        """
        tasks = np.asarray(tasks, dtype=np.int64)
        self_chosen = np.broadcast_to(np.asarray(self_chosen, dtype=bool), tasks.shape)
        volunteered = teams is None
        if volunteered:
            started, teams = self._volunteer_teams(tasks, np.asarray(leads, dtype=np.int64))
        else:
            started = np.ones(len(tasks), dtype=bool)
        if not started.any():
            return started
        T = self.tasks
        if not started.all():
            tasks, self_chosen = tasks[started], self_chosen[started]
        # Teams flattened: member, its task's position in ``tasks``, its place in the team.
        flat = np.array([p for team in teams for p in team], dtype=np.int64)
        owner = np.array([i for i, team in enumerate(teams) for _ in team], dtype=np.int64)
        place = np.array([j for team in teams for j in range(len(team))], dtype=np.int64)
        size = np.array([len(team) for team in teams], dtype=np.int64)
        is_lead = place == 0
        leads = flat[is_lead]
        fol, fol_task = flat[~is_lead], tasks[owner[~is_lead]]
        rows = np.full((len(tasks), T.max_team), -1, dtype=np.int64)
        rows[owner, place] = flat
        T.members[tasks] = rows
        T.lead[tasks], T.start[tasks], T.via_leader[tasks] = leads, self.steps, via_leader
        np.add.at(self.lead_load, leads, 1)
        np.subtract.at(self.free, flat, 1)
        self.log(tasks, Event.STARTED, leads)
        after_warmup = self.steps > self.cfg.warmup
        if after_warmup:
            np.add.at(self.led, leads, 1)
        # Autonomy: leads who claimed, and followers who volunteered, chose their work.
        if len(fol):
            np.add.at(self.follow_load, fol, 1)
            self.log(fol_task, Event.JOINED, fol)
            if after_warmup:
                np.add.at(self.followed, fol, 1)
            self._autonomy.move(np.concatenate((leads, fol)), 0.8,
                                np.concatenate((self_chosen, np.full(len(fol), volunteered))))
        else:
            self._autonomy.move(leads, 0.8, self_chosen)
        self._set_rates(tasks, flat, owner, size)
        self.active = np.concatenate((self.active, tasks))
        return started

    def _volunteer_teams(self, tasks: np.ndarray, leads: np.ndarray) -> tuple[np.ndarray, list[list[int]]]:
        """Teams of volunteers, task by task in order: a lead with capacity left and
        not held up by a conflict starts, and the first of their willing colleagues
        who still have room join, up to the task's team size."""
        followers = self._recruits(tasks, leads)
        lead_list = leads.tolist()
        held_up = (self.blocked_until[leads] > self.steps).tolist()
        people = lead_list + [f for fs in followers for f in fs]
        free = dict(zip(people, self.free[people].tolist()))   # room left, for those concerned
        started = np.zeros(len(tasks), dtype=bool)
        teams = []
        sizes = self.tasks.team_size[tasks].tolist()
        for i, (lead, cands, size) in enumerate(zip(lead_list, followers, sizes)):
            if free[lead] <= 0 or held_up[i]:
                continue
            free[lead] -= 1
            team = [lead]
            for f in cands if size > 1 else ():
                if free[f] > 0 and f not in team:
                    free[f] -= 1
                    team.append(f)
                    if len(team) == size:
                        break
            started[i] = True
            teams.append(team)
        return started, teams

    def _recruits(self, tasks: np.ndarray, leads: np.ndarray) -> list[list[int]]:
        """Each lead's willing, available colleagues, most competent first."""
        need = self.tasks.team_size[tasks] > 1
        out: list[list[int]] = [[] for _ in range(len(tasks))]
        if not need.any():
            return out
        idx = np.flatnonzero(need)
        k, ties = self.trust.out_ties(leads[idx])
        cand = self.trust.dst[ties]
        ok = self.is_available(cand) & (self.trust.trust[self.trust.rev[ties]] >= self.cfg.coordination.follow_threshold)
        k, cand = k[ok], cand[ok]
        # Most competent first; equals in random order (never by index).
        order = np.lexsort((self.rng.random(len(cand)), -self.fit(cand, tasks[idx[k]]), k))
        cand = cand[order].tolist()
        bounds = np.searchsorted(k[order], np.arange(len(idx) + 1)).tolist()
        for j, i in enumerate(idx.tolist()):
            out[i] = cand[bounds[j]:bounds[j + 1]]
        return out

    def _set_rates(self, tasks, flat, owner, size) -> None:
        """Work rate and success probability of newly started teams (docs/ODD.md 7.5)."""
        w, T = self.cfg.workload, self.tasks
        t = tasks[owner]
        c0 = self.competence[flat, T.dom0[t]]
        two = T.dom1[t] >= 0
        c1 = np.where(two, self.competence[flat, np.maximum(T.dom1[t], 0)], c0)
        fit = np.where(two, 0.5 * (c0 + c1), c0)
        speed = (0.5 + fit) * (0.5 + 0.5 * self.engagement[flat])
        if len(flat) == len(tasks):           # teams of one: each member is the team
            best0, best1 = c0, c1
        else:                                 # the team's speeds add up; its best member counts
            speed = np.bincount(owner, speed, len(tasks))
            best0 = np.full(len(tasks), -np.inf)
            best1 = np.full(len(tasks), -np.inf)
            np.maximum.at(best0, owner, c0)
            np.maximum.at(best1, owner, c1)
        skill = np.where(T.dom1[tasks] >= 0, 0.5 * (best0 + best1), best0)
        T.rate[tasks] = speed / (1.0 + w.coordination_cost * (size - 1))
        T.p_success[tasks] = 1.0 / (1.0 + np.exp(-w.success_slope * (skill - T.difficulty[tasks])))

    def pushes_back(self, person: int, task: int) -> bool:
        """A person who distrusts the leader refuses an assignment that fits them poorly."""
        if self.trust_in_leader[person] >= self.cfg.coordination.pushback_threshold:
            return False
        c, T = self.competence, self.tasks
        d0, d1 = int(T.dom0[task]), int(T.dom1[task])
        fit = c[person, d0] if d1 < 0 else 0.5 * (c[person, d0] + c[person, d1])
        return bool(fit < T.difficulty[task])

    def vertical_conflict(self, task: int, person: int) -> None:
        """A pushback: trust in the leader falls; the leader learns the person felt unfit."""
        c, f = self.cfg.coordination, self.cfg.culture.feedback
        self.events.add(self.steps, task, Event.CONFLICT, person)
        self.counts[Event.CONFLICT] += 1
        self.trust_in_leader[person] *= max(0.0, 1.0 - f * c.conflict_trust_loss)
        doms = list(self.tasks.domains(task))
        self.leader.perceived[person, doms] *= 1.0 - c.perception_rate

    def conflict(self, tasks: np.ndarray, groups: list[np.ndarray]) -> None:
        """Unsettled contests: claimants are held up and lose trust in each other."""
        c, f = self.cfg.coordination, self.cfg.culture.feedback
        self.log(tasks, Event.CONFLICT, np.array([g[0] for g in groups], dtype=np.int64))
        people = np.concatenate(groups)
        self.blocked_until[people] = self.steps + 1 + c.conflict_cost
        if f > 0:   # every ordered pair of claimants in a contest
            lists = [g.tolist() for g in groups]
            a = np.array([x for g in lists for x in g for y in g if x != y], dtype=np.int64)
            b = np.array([y for g in lists for x in g for y in g if x != y], dtype=np.int64)
            self.trust.move(self.trust.edge_ids(a, b), max(0.0, 1.0 - f * c.conflict_trust_loss), False)

    # ------------------------------------------------------------------ work and outcomes
    def work(self) -> None:
        a = self.active
        if len(a) == 0:
            return
        self.tasks.remaining[a] -= self.tasks.rate[a]
        done = self.tasks.remaining[a] <= 1e-12
        self.active = a[~done]
        if done.any():
            self.finish(a[done])

    def finish(self, tasks: np.ndarray) -> None:
        """Outcomes of finished tasks: loads freed, practice, trust, the leader's view."""
        cul, ppl, T = self.cfg.culture, self.cfg.people, self.tasks
        success = self.rng.random(len(tasks)) < T.p_success[tasks]
        leads = T.lead[tasks]
        self.log(tasks[success], Event.COMPLETED, leads[success])
        self.log(tasks[~success], Event.FAILED, leads[~success])
        rows = T.members[tasks]
        valid = rows >= 0
        owner = np.nonzero(valid)[0]
        flat = rows[valid]
        fol = rows[:, 1:][valid[:, 1:]]
        np.subtract.at(self.lead_load, leads, 1)
        np.subtract.at(self.follow_load, fol, 1)
        np.add.at(self.free, flat, 1)
        if self.steps > self.cfg.warmup:   # task-steps worked after the warm-up
            worked = self.steps - np.maximum(T.start[tasks], self.cfg.warmup + 1) + 1
            np.add.at(self.busy, flat, worked[owner])

        # (member, domain) pairs as flat indices into the (people x domains) arrays.
        d = self.cfg.people.domains
        two = T.dom1[tasks[owner]] >= 0
        pair_owner = np.concatenate((owner, owner[two]))
        pair = np.concatenate((flat * d + T.dom0[tasks[owner]], flat[two] * d + T.dom1[tasks[owner[two]]]))
        ok = success[pair_owner]
        # Practice builds competence; failures teach only where errors are tolerated.
        self._competence.move(pair, np.where(ok, 1.0 - ppl.learning_rate,
                                             1.0 - ppl.learning_rate * cul.error_tolerance), True)
        # The leader's view of each member moves toward the outcome.
        self._perceived.move(pair, 1.0 - self.cfg.coordination.perception_rate, ok)

        # Horizontal feedback: colleagues' trust in the lead, and the lead's in followers.
        k, ties = self.trust.out_ties(leads)
        into_lead = self.trust.rev[ties]
        fol_owner = np.nonzero(valid[:, 1:])[0]
        to_fol = self.trust.edge_ids(leads[fol_owner], fol)
        ids = np.concatenate((into_lead, to_fol))
        id_owner = np.concatenate((k, fol_owner))
        up, down = self._feedback_keep()
        good = success[id_owner]
        self.trust.move(ids, np.where(good, up, down), good)
        # Vertical feedback: the team's trust in the leader, when the leader assigned the task.
        vert = T.via_leader[tasks][owner]
        if vert.any():
            good = success[owner][vert]
            self._trust_in_leader.move(flat[vert], np.where(good, up, down), good)

    def _feedback_keep(self) -> tuple[float, float]:
        """Keep-factors of trust after a success (toward 1) and a failure (toward 0).

        Gains close ``feedback`` of the gap to full trust; losses are larger by
        ``trust_loss_ratio`` and softened by ``error_tolerance`` (Mayer et al. 1995;
        Jøsang & Ismail 2002).
        """
        c = self.cfg.culture
        return 1.0 - c.feedback, max(0.0, 1.0 - c.feedback * c.trust_loss_ratio * (1.0 - c.error_tolerance))

    # ------------------------------------------------------------------ people
    def update_engagement(self) -> None:
        """Engagement drifts toward a target raised by autonomy and lowered by overload."""
        p = self.cfg.people
        target = p.engagement + p.autonomy_effect * (self.autonomy - 0.5) - p.overload_effect * (self.free == 0)
        self.engagement += p.engagement_rate * (target - self.engagement)
        np.clip(self.engagement, 0.0, 1.0, out=self.engagement)

    # ------------------------------------------------------------------ state for readers
    @property
    def n_open(self) -> int:
        return len(self.leader.queue) + len(self.pool) + len(self.active)

    @property
    def timeseries(self):
        return self.recorder.frame()

    def metrics(self) -> dict:
        from .metrics import compute_metrics
        return compute_metrics(self)
