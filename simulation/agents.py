"""The people: workers and the formal leader.

Workers are Mesa agents placed on the communication network. Their state lives in
the model's arrays (one row per person) so that the per-step updates are vectorised;
the properties below give each agent a readable view of its own row.
"""

from __future__ import annotations

from collections import deque
from enum import Enum
from itertools import islice

import numpy as np
from mesa import Agent
from mesa.discrete_space import FixedAgent

from . import rules
from .ranking import Ranking, kind_of
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
        if m.blocked_until[self.idx] > m.now:
            return Role.CONFLICT
        if m.lead_load[self.idx]:
            return Role.LEADING
        if m.follow_load[self.idx]:
            return Role.FOLLOWING
        return Role.IDLE

    # Questions a student can ask of one person, answered by the same rules the
    # vectorised step uses (simulation/rules.py).
    def trust_in(self, other: Worker) -> float:
        """Directed trust in a colleague (NaN if they have no tie)."""
        return float(self.model.trust.get([self.idx], [other.idx])[0])

    def trust_received(self) -> float:
        """Colleagues' mean trust in this person (what a claim to lead is granted on)."""
        return float(self.model.trust.in_mean([self.idx])[0])

    def fit_for(self, task: int) -> float:
        """Own competence for ``task`` (mean over its domains)."""
        return float(self.model.fit(self.idx, task))

    def claim_propensity(self, task: int) -> float:
        """Probability of claiming ``task`` in a step, were it visible to this person
        now (:func:`~simulation.rules.claim_propensity`)."""
        m, i = self.model, self.idx
        c, cul = m.cfg.coordination, m.cfg.culture
        entry = int(m.tasks.entry[task])
        waited = m.tasks.ready[task] < m.now
        return float(
            rules.claim_propensity(
                c.claim_rate,
                m.initiative[i],
                self.fit_for(task),
                m.free[i] / m.capacity[i],
                m.engagement[i],
                safety=float(m.trust.out_mean([i])[0]) if cul.safety_effect else None,
                safety_effect=cul.safety_effect,
                seen_by=1 + int(m.trust.out_degree[entry]),
                diffusion=rules.effective_diffusion(c.diffusion, m.cfg.organization.transparency, waited),
            )
        )

    def grant_probability(self) -> float:
        """Probability that colleagues grant this person's claim to lead."""
        m = self.model
        return float(
            rules.grant_probability(
                self.trust_received(), m.cfg.coordination.grant_threshold, m.cfg.culture.trust_width
            )
        )

    def follow_probability(self, lead: Worker) -> float:
        """Probability of joining ``lead``'s team when asked (0 without a tie)."""
        m, t = self.model, self.trust_in(lead)
        if t != t:  # NaN: no tie, never asked
            return 0.0
        return float(rules.follow_probability(t, m.cfg.coordination.follow_threshold, m.cfg.culture.trust_width))

    def pushback_probability(self, task: int) -> float:
        """Probability of refusing the leader's assignment of ``task``."""
        m = self.model
        return float(
            rules.pushback_probability(
                self.trust_in_leader,
                m.cfg.coordination.pushback_threshold,
                m.cfg.culture.trust_width,
                self.fit_for(task),
                m.tasks.difficulty[task],
            )
        )


class Leader(Agent):
    """The formal leader: a queue of decisions and a capacity to make them.

    Its view of each worker's competence (``perceived``, per domain) starts noisy and
    learns from outcomes; it is the leader's knowledge of people (CONCEPTS, table).
    It ranks people by ``score``: the view plus a bonus for people it has seen little
    of (``coordination.exploration``, :func:`~simulation.rules.leader_score`). It checks
    a person's load before assigning with probability ``coordination.load_awareness``;
    work given to a busy person waits in that person's ``backlog``. The queue holds
    task ids, first come first served.
    """

    def __init__(self, model, capacity: int, perceived: np.ndarray, ranks: bool = True):
        super().__init__(model)
        c = model.cfg.coordination
        self.capacity = capacity
        self.perceived = perceived
        self.exploration = c.exploration
        self.awareness = c.load_awareness
        # Observations feed only the ranking's exploration bonus: a leader that never
        # ranks (distributed leadership) does not keep them.
        self.observations = np.zeros_like(perceived) if c.exploration and ranks else None
        self.score = (
            rules.leader_score(perceived, self.observations, c.exploration)
            if self.observations is not None
            else perceived
        )
        self.queue: deque = deque()
        self.claimants: dict[int, np.ndarray] = {}  # escalated contests: task -> claimants
        self.backlog: dict[int, deque] = {}  # person -> (task, team) assigned while busy
        self.n_backlog = 0
        self.decisions_total = 0  # decisions made after warm-up
        self.decisions_step = 0

    @property
    def queue_length(self) -> int:
        return len(self.queue)

    def learned(self, pairs: np.ndarray, count: bool = True) -> None:
        """The view of these (person * domains + domain) pairs changed: refresh their
        scores and, for an observed outcome, count it."""
        if self.observations is None or len(pairs) == 0:
            return
        obs = self.observations.reshape(-1)
        if count:
            np.add.at(obs, pairs, 1.0)
        self.score.reshape(-1)[pairs] = rules.leader_score(
            self.perceived.reshape(-1)[pairs], obs[pairs], self.exploration
        )

    def work_queue(self, assign_followers: bool) -> None:
        """Make up to ``capacity`` decisions on the queue, first come first served.

        A decision names a lead: for an escalated contest, the still-available claimant
        the leader rates best; otherwise the person it rates best, among those with room
        when it checks loads, among everyone when it does not (and, when
        ``assign_followers``, the next best as followers). A lead who distrusts the
        leader may push back on a poor fit: the decision is spent and the task goes to
        the back of the queue. When it checks loads and nobody has room, the leader
        stops for the step.
        """
        m = self.model
        self.decisions_step = 0
        if self.backlog:
            self._start_backlog(assign_followers)
        if not self.queue or self.capacity == 0:
            return
        T = m.tasks
        view = Ranking(self.score, m.available_people(), m.free, m.rng)
        # What the decisions need of the tasks at the head of the queue, read at once.
        head = list(islice(self.queue, self.capacity))
        info = dict(
            zip(
                head,
                zip(
                    map(kind_of, T.dom0[head].tolist(), T.dom1[head].tolist()),
                    T.team_size[head].tolist() if assign_followers else [1] * len(head),
                ),
            )
        )
        for task, (kind, size) in info.items():  # people each kind of task will need from a ranking
            if task not in self.claimants:  # (an escalated contest picks among its claimants)
                view.demand[kind] = view.demand.get(kind, 0) + size
        unaware = self.awareness < 1.0
        tasks, teams, chosen_self = [], [], []
        decisions = 0
        while self.queue and decisions < self.capacity and (unaware or view.anyone()):
            task = self.queue.popleft()
            kind, size = info[task]
            claimants = self.claimants.pop(task, None)
            team = view.best_of(claimants, kind) if claimants is not None else None
            checked = True
            if not team:
                claimants = None
                checked = not unaware or m.rng.random() < self.awareness
                team = (view.best(kind, size) if view.anyone() else []) if checked else view.best_any(kind, size)
            if not team:  # it checked, and nobody has room
                self.queue.appendleft(task)
                break
            lead = team[0]
            m.events.add(m.now, task, Event.ASSIGNED, lead)
            decisions += 1
            if claimants is None and m.pushes_back(lead, task):
                m.vertical_conflict(task, lead)
                view.lower(lead)
                self.queue.append(task)
                continue
            if not checked:
                if view.room[lead] <= 0:  # busy (or held up): the task waits in their backlog
                    self.backlog.setdefault(lead, deque()).append((task, team))
                    self.n_backlog += 1
                    m.events.add(m.now, task, Event.BACKLOGGED, lead)
                    continue
                team = [p for p in team if view.room[p] > 0]
            view.take(team)
            tasks.append(task)
            teams.append(team)
            chosen_self.append(claimants is not None)
        self.decisions_step = decisions
        m.counts[Event.ASSIGNED] += decisions
        if m.now > m.cfg.warmup:
            self.decisions_total += decisions
        if tasks:
            self._start(np.asarray(tasks, dtype=np.int64), teams, chosen_self, assign_followers)

    def _start(self, tasks: np.ndarray, teams: list, chosen_self: list, assign_followers: bool) -> None:
        """Start the decided tasks."""
        m = self.model
        chose = np.asarray(chosen_self)  # whether each lead chose the task (an escalated contest's claimant)
        if assign_followers:  # the ranking only names people with room: every team starts
            m.start(tasks, None, via_leader=True, self_chosen=chose, teams=teams)
            return
        started = m.start(tasks, np.asarray([t[0] for t in teams], dtype=np.int64), via_leader=True, self_chosen=chose)
        # A lead recruited as a follower by an earlier task this step has no capacity
        # left: that task waits at the front of the queue.
        self.queue.extendleft(reversed(tasks[~started].tolist()))

    def _start_backlog(self, assign_followers: bool) -> None:
        """People with room take up the work waiting in their backlog, oldest first;
        the followers the leader named join if they have room then."""
        m = self.model
        free = {}
        tasks, teams, owners = [], [], []
        for person in list(self.backlog):
            if m.blocked_until[person] > m.now:
                continue
            q = self.backlog[person]
            while q and free.setdefault(person, int(m.free[person])) > 0:
                task, named = q.popleft()
                team = [person]
                free[person] -= 1
                for f in named[1:]:
                    if m.blocked_until[f] <= m.now and free.setdefault(f, int(m.free[f])) > 0:
                        free[f] -= 1
                        team.append(f)
                tasks.append(task)
                teams.append(team)
                owners.append(person)
            if not q:
                del self.backlog[person]
        if not tasks:
            return
        self.n_backlog -= len(tasks)
        tasks = np.asarray(tasks, dtype=np.int64)
        if assign_followers:
            m.start(tasks, None, via_leader=True, self_chosen=False, teams=teams)
            return
        started = m.start(tasks, np.asarray(owners, dtype=np.int64), via_leader=True, self_chosen=False)
        for t, team, ok in zip(tasks.tolist(), teams, started.tolist()):
            if not ok:  # capacity went to a recruit: back to the front
                self.backlog.setdefault(team[0], deque()).appendleft((t, team))
                self.n_backlog += 1
