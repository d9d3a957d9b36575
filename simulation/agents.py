"""The people: workers and the formal leader.

Workers are Mesa agents placed on the communication network. Their state lives in
the model's arrays (one row per person) so that the per-step updates are vectorised;
the properties below give each agent a readable view of its own row.
"""

from __future__ import annotations

from collections import deque
from enum import Enum

import numpy as np
from mesa import Agent
from mesa.discrete_space import FixedAgent

from .tasks import Event


class Role(Enum):
    """What a person is doing right now (the app colours people by it)."""

    IDLE = "idle"
    LEADING = "leading"
    FOLLOWING = "following"
    CONFLICT = "in conflict"


class Worker(FixedAgent):
    """A person with competence per domain, a capacity, initiative and engagement."""

    def __init__(self, model, idx: int, cell):
        super().__init__(model)
        self.idx = idx
        self.cell = cell

    # Views of this person's row in the model's arrays.
    @property
    def competence(self) -> np.ndarray:
        return self.model.competence[self.idx]

    @property
    def capacity(self) -> int:
        return int(self.model.capacity[self.idx])

    @property
    def load(self) -> int:
        return int(self.model.lead_load[self.idx] + self.model.follow_load[self.idx])

    @property
    def initiative(self) -> float:
        return float(self.model.initiative[self.idx])

    @property
    def engagement(self) -> float:
        return float(self.model.engagement[self.idx])

    @property
    def trust_in_leader(self) -> float:
        return float(self.model.trust_in_leader[self.idx])

    @property
    def role(self) -> Role:
        m = self.model
        if m.blocked_until[self.idx] > m.steps:
            return Role.CONFLICT
        if m.lead_load[self.idx]:
            return Role.LEADING
        if m.follow_load[self.idx]:
            return Role.FOLLOWING
        return Role.IDLE

    def trust_in(self, other: "Worker") -> float:
        """Directed trust in a colleague (NaN if they have no tie)."""
        return float(self.model.trust.get([self.idx], [other.idx])[0])


class Leader(Agent):
    """The formal leader: a queue of decisions and a capacity to make them.

    Its view of each worker's competence (``perceived``, per domain) starts noisy and
    learns from outcomes; it is the leader's knowledge of people (CONCEPTS, table).
    """

    def __init__(self, model, capacity: int, perceived: np.ndarray):
        super().__init__(model)
        self.capacity = capacity
        self.perceived = perceived
        self.queue: deque = deque()
        self.decisions_total = 0      # decisions made after warm-up
        self.decisions_step = 0

    @property
    def queue_length(self) -> int:
        return len(self.queue)

    def work_queue(self, decide) -> None:
        """Make up to ``capacity`` decisions on the queue, first come first served.

        ``decide(task)`` returns True (owner found), False (assignment pushed back:
        the task is back in the queue) or None (nobody available: wait for next step).
        """
        self.decisions_step = 0
        while self.queue and self.decisions_step < self.capacity:
            task = self.queue.popleft()
            result = decide(task)
            if result is None:
                self.queue.appendleft(task)
                break
            self.decisions_step += 1
        if self.model.steps > self.model.cfg.warmup:
            self.decisions_total += self.decisions_step

    def _best(self, people: np.ndarray, task, k: int = 1) -> np.ndarray:
        """The ``k`` people the leader believes fittest for ``task``, best first."""
        score = self.perceived[np.ix_(people, task.domains)].mean(axis=1)
        if k >= len(people):
            return people[np.argsort(-score, kind="stable")]
        top = np.argpartition(-score, k - 1)[:k]
        return people[top[np.argsort(-score[top], kind="stable")]]

    def assign(self, task, assign_followers: bool) -> bool | None:
        """Choose a lead (and, under delegation, the followers) for ``task``."""
        m = self.model
        avail = m.available_people()
        if len(avail) == 0:
            return None
        chosen = self._best(avail, task, k=task.team_size if assign_followers else 1)
        lead = int(chosen[0])
        m.log(task, Event.ASSIGNED, lead)
        if m.pushes_back(lead, task):
            m.vertical_conflict(task, lead)
            self.queue.append(task)
            return False
        followers = chosen[1:] if assign_followers else None
        m.start(task, lead, via_leader=True, self_chosen=False, followers=followers)
        return True

    def settle(self, task) -> bool | None:
        """Arbitrate an escalated contest: the claimant the leader rates best leads."""
        m = self.model
        claimants = np.asarray(task.claimants, dtype=np.int64)
        claimants = claimants[m.is_available(claimants)]
        task.claimants = ()
        if len(claimants) == 0:
            return self.assign(task, assign_followers=False)
        lead = int(self._best(claimants, task)[0])
        m.log(task, Event.ASSIGNED, lead)
        m.start(task, lead, via_leader=True, self_chosen=True)
        return True

