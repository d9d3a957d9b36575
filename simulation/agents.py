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
    The queue holds task ids, first come first served.
    """

    def __init__(self, model, capacity: int, perceived: np.ndarray):
        super().__init__(model)
        self.capacity = capacity
        self.perceived = perceived
        self.queue: deque = deque()
        self.claimants: dict[int, np.ndarray] = {}   # escalated contests: task -> claimants
        self.decisions_total = 0      # decisions made after warm-up
        self.decisions_step = 0

    @property
    def queue_length(self) -> int:
        return len(self.queue)

    def perceived_fit(self, people: np.ndarray, task: int) -> np.ndarray:
        """The leader's view of each person's fit for ``task`` (mean over its domains)."""
        return self.perceived[np.ix_(people, self.model.tasks.domains(task))].mean(axis=1)

    def work_queue(self, assign_followers: bool) -> None:
        """Make up to ``capacity`` decisions on the queue, first come first served.

        A decision names a lead: for an escalated contest, the still-available claimant
        the leader rates best; otherwise the available person it rates best (and, when
        ``assign_followers``, the next best as followers). A lead who distrusts the
        leader may push back on a poor fit: the decision is spent and the task goes to
        the back of the queue. When nobody is available the leader stops for the step.
        """
        m = self.model
        self.decisions_step = 0
        if not self.queue or self.capacity == 0:
            return
        view = _Ranking(self.perceived, m.available_people(), m.free, m.rng)
        tasks, teams, chosen_self = [], [], []
        while self.queue and self.decisions_step < self.capacity and view.anyone():
            task = self.queue.popleft()
            claimants = self.claimants.pop(task, None)
            doms = m.tasks.domains(task)
            team = None
            if claimants is not None:
                ok = claimants[view.has_room(claimants)]
                if len(ok):
                    score = self.perceived[np.ix_(ok, doms)].mean(axis=1)
                    team = ok[np.lexsort((view.priority[ok], -score))[:1]]
            if team is None:
                claimants = None
                need = int(m.tasks.team_size[task]) if assign_followers else 1
                team = view.best(doms, need)
            lead = int(team[0])
            m.events.add(m.steps, task, Event.ASSIGNED, lead)
            m.counts[Event.ASSIGNED] += 1
            self.decisions_step += 1
            if claimants is None and m.pushes_back(lead, task):
                m.vertical_conflict(task, lead)
                self.queue.append(task)
                continue
            view.take(team)
            tasks.append(task)
            teams.append(team)
            chosen_self.append(claimants is not None)
        if m.steps > m.cfg.warmup:
            self.decisions_total += self.decisions_step
        if tasks:
            tasks = np.asarray(tasks, dtype=np.int64)
            leads = np.asarray([t[0] for t in teams], dtype=np.int64)
            followers = [t[1:] for t in teams] if assign_followers else None
            started = m.start(tasks, leads, via_leader=True, self_chosen=np.asarray(chosen_self),
                              followers=followers)
            # A lead recruited as a follower by an earlier task this step has no
            # capacity left: that task waits at the front of the queue.
            self.queue.extendleft(reversed(tasks[~started].tolist()))


class _Ranking:
    """The leader's ranking of available people per domain, for one step's decisions.

    Finding the best person must not cost a scan of the whole organisation per
    decision (the leader of a large organisation makes many). People are sorted once
    per step by the leader's view in each domain; a decision scores the first few
    with room in the lists of the task's domains and widens the window until nobody
    outside it can score higher. Within a step views only fall (pushbacks), so the
    sorted values stay upper bounds and the answer is exact.
    """

    def __init__(self, perceived: np.ndarray, people: np.ndarray, free: np.ndarray, rng):
        self.perceived = perceived
        # Equals are ranked in a random order drawn afresh each step, never by index.
        people = rng.permutation(people)
        self.priority = np.zeros(len(free))
        self.priority[people] = np.arange(len(people))
        self.room = np.zeros(len(free), dtype=np.int64)
        self.room[people] = free[people]
        self.total_room = int(self.room.sum())
        values = perceived[people].T                          # (domains, available people)
        order = np.argsort(-values, axis=1, kind="stable")
        self.order = people[order]                            # person ids, best first, per domain
        self.bound = np.take_along_axis(values, order, axis=1)
        self.start = [0] * len(values)                        # everyone before has no room

    def anyone(self) -> bool:
        return self.total_room > 0

    def has_room(self, people: np.ndarray) -> np.ndarray:
        return self.room[people] > 0

    def take(self, team: np.ndarray) -> None:
        self.room[team] -= 1
        self.total_room -= len(team)

    def best(self, domains: tuple, k: int) -> np.ndarray:
        """The (up to) ``k`` people with room the leader rates best, best first."""
        n = self.order.shape[1]
        for d in domains:  # skip the people at the top who have no room left
            while self.start[d] < n:
                block = self.room[self.order[d, self.start[d]:self.start[d] + 32]] > 0
                if block.any():
                    self.start[d] += int(block.argmax())
                    break
                self.start[d] += len(block)
        width = 16
        p = self.perceived
        while True:
            if len(domains) == 1:
                d = domains[0]
                cand = self.order[d, self.start[d]:self.start[d] + width]
                cand = cand[self.room[cand] > 0]
                score = p[cand, d]
            else:
                cand = np.unique(np.concatenate([self.order[d, self.start[d]:self.start[d] + width] for d in domains]))
                cand = cand[self.room[cand] > 0]
                score = 0.5 * (p[cand, domains[0]] + p[cand, domains[1]])
            top = np.lexsort((self.priority[cand], -score))[:k]
            ends = [self.start[d] + width for d in domains]
            if all(e >= n for e in ends):
                return cand[top]
            outside = sum(self.bound[d, e] if e < n else -np.inf for d, e in zip(domains, ends)) / len(domains)
            # One domain: the window is sorted by (view, priority), so a tie at its edge
            # cannot beat it. Two: an outside tie might, so widen until strictly better.
            last = score[top[-1]] if len(top) == k else -np.inf
            if last > outside or (len(domains) == 1 and last == outside):
                return cand[top]
            width *= 4
