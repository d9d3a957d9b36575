"""Coordination regimes: who decides who leads a task.

Each regime is a small class behind one interface (in the style of the Axelrod
library's strategies): ``route`` receives a newly arrived task, ``coordinate`` runs
once per step to give waiting tasks an owner. The mechanisms they share (the
leader's decisions, starting a task, recruiting followers, outcomes) live in the
model and the leader, so no regime defines its own metrics or its own physics.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from . import rules
from .tasks import Event
from .updates import first_in_group

if TYPE_CHECKING:  # pragma: no cover
    from .model import LeadershipModel


class Coordination:
    """Interface of a coordination regime."""

    name = "base"
    leader_decides = True  # whether the formal leader ever ranks people (its scores are kept)

    def __init__(self, model: LeadershipModel):
        self.model = model

    def route(self, tasks: np.ndarray) -> None:  # pragma: no cover - interface
        """Receive newly arrived tasks (ids, in arrival order)."""
        raise NotImplementedError

    def coordinate(self) -> None:  # pragma: no cover - interface
        """Once per step: give waiting tasks owners."""
        raise NotImplementedError

    def __repr__(self):
        return f"{type(self).__name__}()"


class Delegation(Coordination):
    """The formal leader hands each task to a specific person.

    Expresses CONCEPTS claim 4 (delegation keeps the hierarchy: every task passes the
    leader's queue, so leader capacity caps throughput) and the table's "leader's
    knowledge of people": the leader picks by *perceived* competence, which is noisy
    and learned from outcomes (Jin & Levitt 1996; Garicano 2000). An assignee with low
    trust in the leader may push back on a poor fit, a vertical conflict (claim 7).
    """

    name = "delegation"

    def route(self, tasks: np.ndarray) -> None:
        self.model.leader.queue.extend(tasks.tolist())

    def coordinate(self) -> None:
        self.model.leader.work_queue(assign_followers=True)


class Distributed(Coordination):
    """Whoever fits the context takes the lead; colleagues grant or refuse the claim.

    Expresses claims 1, 4, 5, 7 and 13: tasks go to a shared pool seen by the
    colleagues around the person who received them; available people claim with a
    propensity rising with competence, initiative and spare capacity; a claim counts
    only if colleagues trust the claimant enough (DeRue & Ashford 2010). Several
    granted claims make the task contested: a shared rule (clarity) settles it or it
    becomes a conflict; a task nobody takes within the patience limit is unowned
    (responsibility diffusion). Transparency lets claimants see earlier claims.
    """

    name = "distributed"
    leader_decides = False  # nobody above assigns: the leader's view is kept, not its ranking

    def route(self, tasks: np.ndarray) -> None:
        m = self.model
        framed = tasks[m.tasks.framed[tasks]]
        if len(framed):
            m.tasks.responsible[framed] = self.responsible(framed)
        m.pool = np.concatenate((m.pool, tasks))

    def responsible(self, tasks: np.ndarray) -> np.ndarray:
        """Whom a clear frame names for each task: of the people who see it (its entry
        person and their colleagues), the most competent in its domains, a domain
        owner (claim 7: clear frames say who takes responsibility)."""
        m = self.model
        entries = m.tasks.entry[tasks]
        k, ties = m.trust.out_ties(entries)
        group = np.concatenate((np.arange(len(tasks)), k))
        cand = np.concatenate((entries, m.trust.dst[ties]))
        order = np.lexsort((m.rng.random(len(cand)), -m.fit(cand, tasks[group]), group))  # equals: at random
        best = first_in_group(group[order])
        return cand[order][best]

    def coordinate(self) -> None:
        m = self.model
        pool = m.pool
        if len(pool) == 0:
            return
        leaves = self.framed_starts(pool)
        if leaves.any():
            m.pool = pool = pool[~leaves]
            if len(pool) == 0:
                return
        group, person = m.claim_round(pool)
        n_granted = np.bincount(group, minlength=len(pool))
        # One granted claim: that claimant leads. Several: contested (overwritten below).
        owner = np.full(len(pool), -1, dtype=np.int64)
        owner[group] = person
        leaves = np.zeros(len(pool), dtype=bool)
        multi = (n_granted > 1).nonzero()[0]
        unsettled = multi[:0]
        if len(multi):
            m.mark_ambiguous(pool[multi], Event.CONTESTED)
            after = m.cfg.organization.clarity_acts == "after"
            if after:  # model 1: a shared rule settles a contest with probability clarity
                settled = m.rng.random(len(multi)) < m.cfg.organization.clarity
            in_multi = n_granted[group] > 1
            g, p = group[in_multi], person[in_multi]
            # The most competent claimant leads if the contest is settled (first in random order on ties).
            order = np.lexsort((-m.fit(p, pool[g]), g))
            g, p = g[order], p[order]
            best = first_in_group(g)
            owner[g[best]] = p[best]
            if not after:  # no frame settles it: the others defer if they trust the best claimant
                settled = self.defer(g, p, best)
            unsettled = multi[~settled]
            if len(unsettled):
                owner[unsettled] = -1
                bounds = g.searchsorted(np.concatenate((unsettled, unsettled + 1))).tolist()
                n = len(unsettled)
                groups = [p[bounds[j] : bounds[j + n]] for j in range(n)]
                leaves[unsettled] = self.unsettled(pool[unsettled], groups)
        has_owner = (owner >= 0).nonzero()[0]
        if len(has_owner):
            leaves[has_owner] = m.start(pool[has_owner], owner[has_owner], via_leader=False, self_chosen=True)
        # Still waiting: nobody granted, or the owner's capacity went to an earlier task.
        waiting = ~leaves
        waiting[unsettled] = False
        leaves |= self.waiting(pool, waiting)
        m.pool = pool[~leaves]

    def framed_starts(self, pool: np.ndarray) -> np.ndarray:
        """Framed tasks whose named person is available start with them at once (their
        colleagues accept the frame: no claiming, no contest). Returns which pool tasks
        left; a framed task whose person is busy is open to claims like any other."""
        m = self.model
        resp = m.tasks.responsible[pool]
        idx = ((resp >= 0) & (m.tasks.lead[pool] < 0)).nonzero()[0]
        leaves = np.zeros(len(pool), dtype=bool)
        if len(idx) == 0:
            return leaves
        idx = idx[m.is_available(resp[idx])]
        if len(idx) == 0:
            return leaves
        tasks, people = pool[idx], resp[idx]
        m.tasks.n_claims[tasks] += 1
        m.log(tasks, Event.CLAIMED, people)
        m.log(tasks, Event.GRANTED, people)
        leaves[idx] = m.start(tasks, people, via_leader=False, self_chosen=True)
        return leaves

    def defer(self, g: np.ndarray, p: np.ndarray, best: np.ndarray) -> np.ndarray:
        """Per contest (groups ``g``, claimants ``p`` best first): whether the others
        defer to the best claimant (:func:`~simulation.rules.settle_probability` of
        their mean trust in them; a claimant with no tie to them trusts at the culture's
        baseline)."""
        m = self.model
        c, cul = m.cfg.coordination, m.cfg.culture
        to = p[best][np.cumsum(best) - 1]  # each claimant's best claimant
        other = ~best
        t = m.trust.get(p[other], to[other])
        t = np.where(np.isnan(t), cul.trust, t)
        k = np.cumsum(best)[other] - 1
        mean = np.bincount(k, t, best.sum()) / np.maximum(np.bincount(k, minlength=best.sum()), 1)
        return m.chance(rules.settle_probability(mean, c.follow_threshold, cul.trust_width))

    def unsettled(self, tasks: np.ndarray, claimants: list[np.ndarray]) -> np.ndarray:
        """A contest nobody settles is a conflict: claimants lose time and mutual trust."""
        self.model.conflict(tasks, claimants)
        return np.zeros(len(tasks), dtype=bool)

    def waiting(self, pool: np.ndarray, waiting: np.ndarray) -> np.ndarray:
        """Tasks nobody owns yet; past the patience limit they count as unowned.

        Returns which pool tasks leave the pool (none, under distributed leadership).
        """
        m = self.model
        T = m.tasks
        late = waiting & (T.ready[pool] <= m.now - m.cfg.coordination.patience) & ~T.unowned[pool]
        if late.any():
            m.mark_ambiguous(pool[late], Event.UNOWNED)
            return self.on_unowned(pool, late)
        return np.zeros(len(pool), dtype=bool)

    def on_unowned(self, pool: np.ndarray, late: np.ndarray) -> np.ndarray:
        return np.zeros(len(pool), dtype=bool)


class Hybrid(Distributed):
    """A facilitating leader: roles are taken in context; the leader handles exceptions.

    Expresses claims 8 and 14 ("the formal leader goes from controlling to
    facilitating"; "clear frames are a crucial support"): as distributed leadership,
    but a contest the shared rule does not settle, or a task left unowned past the
    patience limit, is escalated to the leader, who settles or assigns it within its
    capacity (exception handling as in Jin & Levitt 1996; Garicano 2000).
    """

    name = "hybrid"
    leader_decides = True  # it settles and assigns what the colleagues could not

    def coordinate(self) -> None:
        super().coordinate()
        self.model.leader.work_queue(assign_followers=False)

    def unsettled(self, tasks: np.ndarray, claimants: list[np.ndarray]) -> np.ndarray:
        for t, c in zip(tasks.tolist(), claimants):
            self.model.leader.claimants[t] = c
        self._escalate(tasks)
        return np.ones(len(tasks), dtype=bool)

    def on_unowned(self, pool: np.ndarray, late: np.ndarray) -> np.ndarray:
        self._escalate(pool[late])
        return late

    def _escalate(self, tasks: np.ndarray) -> None:
        m = self.model
        m.tasks.escalated[tasks] = True
        m.log(tasks, Event.ESCALATED)
        m.leader.queue.extend(tasks.tolist())


REGIMES: dict[str, type[Coordination]] = {c.name: c for c in (Delegation, Distributed, Hybrid)}
