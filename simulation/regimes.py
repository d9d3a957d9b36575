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

from .tasks import Event, Task

if TYPE_CHECKING:  # pragma: no cover
    from .model import LeadershipModel


class Coordination:
    """Interface of a coordination regime."""

    name = "base"
    #: whether arrivals go to a shared pool that people claim from
    uses_pool = False

    def __init__(self, model: "LeadershipModel"):
        self.model = model

    def route(self, task: Task) -> None:  # pragma: no cover - interface
        raise NotImplementedError

    def coordinate(self) -> None:  # pragma: no cover - interface
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

    def route(self, task: Task) -> None:
        self.model.leader.queue.append(task)

    def coordinate(self) -> None:
        self.model.leader.work_queue(self._decide)

    def _decide(self, task: Task) -> bool | None:
        return self.model.leader.assign(task, assign_followers=True)


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
    uses_pool = True

    def route(self, task: Task) -> None:
        self.model.pool.append(task)

    def coordinate(self) -> None:
        m = self.model
        still = []
        for task in m.pool:
            if not self._offer(task):
                still.append(task)
        m.pool = still

    def _offer(self, task: Task) -> bool:
        """One claiming round for ``task``; True if it left the pool."""
        m = self.model
        granted = m.claim_round(task)
        if len(granted) == 1:
            m.start(task, int(granted[0]), via_leader=False, self_chosen=True)
            return True
        if len(granted) > 1:
            m.mark_ambiguous(task, Event.CONTESTED)
            if m.rng.random() < m.cfg.organization.clarity:
                # The shared rule: the most competent claimant leads.
                m.start(task, m.most_competent(granted, task), via_leader=False, self_chosen=True)
                return True
            return self.unsettled(task, granted)
        return self.waiting(task)

    def unsettled(self, task: Task, claimants: np.ndarray) -> bool:
        """A contest no rule settles is a conflict: claimants lose time and mutual trust."""
        self.model.conflict(task, claimants)
        return False

    def waiting(self, task: Task) -> bool:
        """Nobody owns the task yet; past the patience limit it counts as unowned."""
        m = self.model
        if not task.unowned and m.steps - task.wait_since >= m.cfg.coordination.patience:
            m.mark_ambiguous(task, Event.UNOWNED)
            return self.on_unowned(task)
        return False

    def on_unowned(self, task: Task) -> bool:
        return False


class Hybrid(Distributed):
    """A facilitating leader: roles are taken in context; the leader handles exceptions.

    Expresses claims 8 and 14 ("the formal leader goes from controlling to
    facilitating"; "clear frames are a crucial support"): as distributed leadership,
    but a contest the shared rule does not settle, or a task left unowned past the
    patience limit, is escalated to the leader, who settles or assigns it within its
    capacity (exception handling as in Jin & Levitt 1996; Garicano 2000).
    """

    name = "hybrid"

    def coordinate(self) -> None:
        super().coordinate()
        self.model.leader.work_queue(self._decide)

    def unsettled(self, task: Task, claimants: np.ndarray) -> bool:
        task.claimants = tuple(int(c) for c in claimants)
        return self._escalate(task)

    def on_unowned(self, task: Task) -> bool:
        return self._escalate(task)

    def _escalate(self, task: Task) -> bool:
        task.escalated = True
        self.model.log(task, Event.ESCALATED)
        self.model.leader.queue.append(task)
        return True

    def _decide(self, task: Task) -> bool | None:
        leader = self.model.leader
        if task.claimants:
            return leader.settle(task)
        return leader.assign(task, assign_followers=False)


REGIMES: dict[str, type[Coordination]] = {c.name: c for c in (Delegation, Distributed, Hybrid)}
