"""The leadership model: people, tasks, a coordination regime and their outcomes.

One step (see docs/ODD.md, "Process overview and scheduling"):
arrivals -> coordination (the regime gives tasks owners) -> work and outcomes
(trust, learning, the leader's view) -> engagement -> records.
"""

from __future__ import annotations

import logging

import numpy as np
from mesa import Model
from mesa.discrete_space import Network

from .agents import Leader, Worker
from .config import SimConfig
from .network import TrustNetwork, build_graph
from .recorder import Recorder
from .regimes import REGIMES
from .tasks import Event, EventLog, Task

logging.getLogger("MESA").setLevel(logging.WARNING)


def _beta(rng: np.random.Generator, mean: float, sd: float, size) -> np.ndarray:
    """Draws in [0, 1] with the given mean and standard deviation (clipped normal)."""
    return np.clip(rng.normal(mean, sd, size), 0.0, 1.0)


class LeadershipModel(Model):
    """Delegation versus distributed leadership in one organisation.

    Build it from a :class:`~simulation.config.SimConfig` (or keyword overrides of
    the defaults), call :meth:`step`, and read its state: ``workers``, ``leader``,
    ``pool``, ``active``, ``events`` and ``timeseries``; :func:`simulation.metrics`
    turns a finished run into its metrics.
    """

    Event = Event

    def __init__(self, config: SimConfig | None = None, *, seed: int | None = None):
        cfg = (config or SimConfig()).validate()
        if seed is not None:
            cfg.seed = int(seed)
        super().__init__(seed=cfg.seed)
        self.cfg = cfg
        org, ppl, cul = cfg.organization, cfg.people, cfg.culture
        n, d = org.size, ppl.domains
        rng = self.rng

        # The network, seeded from the model's own generator (reproducible).
        graph = build_graph(org.network, n, org.degree, org.rewiring, org.team_size,
                            seed=int(rng.integers(2**31)))
        self.grid = Network(graph, random=self.random)
        self.trust = TrustNetwork(graph, cul.trust, cul.trust_spread, rng)

        # Per-person state, one row per worker (vectorised updates).
        self.competence = _beta(rng, ppl.competence, ppl.competence_spread, (n, d))
        self.initial_competence = self.competence.copy()
        self.capacity = np.full(n, ppl.capacity, dtype=np.int64)
        self.free = self.capacity.copy()
        self.lead_load = np.zeros(n, dtype=np.int64)
        self.follow_load = np.zeros(n, dtype=np.int64)
        self.initiative = _beta(rng, cul.initiative, cul.initiative_spread, n)
        self.engagement = np.full(n, ppl.engagement)
        self.autonomy = np.full(n, 0.5)
        self.trust_in_leader = _beta(rng, cul.trust, cul.trust_spread, n)
        self.blocked_until = np.zeros(n, dtype=np.int64)
        self.led = np.zeros(n, dtype=np.int64)        # tasks led after warm-up
        self.followed = np.zeros(n, dtype=np.int64)   # tasks followed after warm-up
        self.busy = np.zeros(n, dtype=np.int64)       # task-steps worked after warm-up

        cells = list(self.grid.all_cells)
        self.workers = [Worker(self, i, cells[i]) for i in range(n)]
        perceived = np.clip(self.competence + rng.normal(0, cfg.coordination.perception_noise, (n, d)), 0, 1)
        self.leader = Leader(self, org.leader_capacity, perceived)

        self.regime = REGIMES[cfg.coordination.name](self)
        self.pool: list[Task] = []
        self.active: list[Task] = []
        self.events = EventLog()
        self.counts = np.zeros(len(Event), dtype=np.int64)
        self.next_task_id = 0
        self.n_ambiguous = 0
        self._team_p = np.asarray(cfg.workload.team_size_weights, float)
        self._team_p /= self._team_p.sum()
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

    # ------------------------------------------------------------------ arrivals
    def arrive(self) -> None:
        w = self.cfg.workload
        k = int(self.rng.poisson(w.arrival_rate))
        if k == 0:
            return
        rng, n, d = self.rng, self.cfg.organization.size, self.cfg.people.domains
        dom = rng.integers(0, d, (k, 2))
        cross = (rng.random(k) < w.cross_functional) & (d > 1)
        diff = _beta(rng, w.difficulty, w.difficulty_spread, k)
        effort = rng.exponential(w.effort, k)
        team = rng.choice(len(self._team_p), size=k, p=self._team_p) + 1
        entry = rng.integers(0, n, k)
        for j in range(k):
            doms = (int(dom[j, 0]),)
            if cross[j]:
                second = int((dom[j, 0] + 1 + dom[j, 1] % (d - 1)) % d)
                doms = (doms[0], second)
            task = Task(self.next_task_id, doms, float(diff[j]), float(effort[j]),
                        int(min(team[j], n)), self.steps, int(entry[j]))
            self.next_task_id += 1
            self.log(task, Event.ARRIVED, task.entry)
            self.regime.route(task)

    # ------------------------------------------------------------------ shared mechanisms
    def log(self, task: Task, event: Event, person: int = -1) -> None:
        self.events.add(self.steps, task.id, event, person)
        self.counts[event] += 1

    def mark_ambiguous(self, task: Task, event: Event) -> None:
        """Flag a task as contested or unowned (once each); count it ambiguous once."""
        flag = "contested" if event is Event.CONTESTED else "unowned"
        if getattr(task, flag):
            return
        if not (task.contested or task.unowned):
            self.n_ambiguous += 1
        setattr(task, flag, True)
        self.log(task, event)

    def is_available(self, people: np.ndarray) -> np.ndarray:
        return (self.free[people] > 0) & (self.blocked_until[people] <= self.steps)

    def available_people(self) -> np.ndarray:
        return np.flatnonzero((self.free > 0) & (self.blocked_until <= self.steps))

    def fit(self, people, task: Task) -> np.ndarray:
        """Each person's own competence for ``task`` (mean over its domains)."""
        return self.competence[np.ix_(np.atleast_1d(people), task.domains)].mean(axis=1)

    def most_competent(self, people: np.ndarray, task: Task) -> int:
        return int(people[np.argmax(self.fit(people, task))])

    def claim_round(self, task: Task) -> np.ndarray:
        """Colleagues around the task's entry claim it; return the granted claimants.

        Propensity rises with competence, initiative, engagement and spare capacity;
        with probability ``transparency`` a later claimant sees an earlier claim and
        holds back; a claim is granted if colleagues' mean trust in the claimant
        reaches ``grant_threshold`` (DeRue & Ashford 2010).
        """
        c = self.cfg.coordination
        nbrs = self.trust.neighbors(task.entry)
        cand = np.concatenate(([task.entry], nbrs))
        cand = cand[self.is_available(cand)]
        if len(cand) == 0:
            return cand
        spare = self.free[cand] / self.capacity[cand]
        p = c.claim_rate * self.initiative[cand] * self.fit(cand, task) * spare * (0.5 + self.engagement[cand])
        claims = cand[self.rng.random(len(cand)) < p]
        if len(claims) == 0:
            return claims
        if len(claims) > 1:
            claims = self.rng.permutation(claims)
            unseen = self.rng.random(len(claims) - 1) >= self.cfg.organization.transparency
            claims = np.concatenate((claims[:1], claims[1:][unseen]))
        granted = self.trust.in_mean(claims) >= c.grant_threshold
        for person, ok in zip(claims.tolist(), granted.tolist()):
            self.log(task, Event.CLAIMED, person)
            self.log(task, Event.GRANTED if ok else Event.REFUSED, person)
        return claims[granted]

    def recruit(self, task: Task, lead: int) -> np.ndarray:
        """The lead asks available colleagues, most competent first; those who trust it join."""
        need = task.team_size - 1
        if need <= 0:
            return np.zeros(0, dtype=np.int64)
        cand = self.trust.neighbors(lead)
        cand = cand[self.is_available(cand)]
        if len(cand) == 0:
            return cand
        willing = self.trust.get(cand, np.full(len(cand), lead)) >= self.cfg.coordination.follow_threshold
        cand = cand[willing]
        order = np.argsort(-self.fit(cand, task), kind="stable") if len(cand) else []
        return cand[order[:need]]

    def start(self, task: Task, lead: int, via_leader: bool, self_chosen: bool, followers=None) -> None:
        """``lead`` owns the task; followers join; work begins this step."""
        volunteered = followers is None  # recruited by the lead, not named by the leader
        if volunteered:
            followers = self.recruit(task, lead)
        followers = np.asarray(followers, dtype=np.int64)
        members = np.concatenate(([lead], followers))
        task.lead, task.members, task.start, task.via_leader = lead, tuple(members.tolist()), self.steps, via_leader
        self.lead_load[lead] += 1
        self.follow_load[followers] += 1
        self.free[members] -= 1
        self.log(task, Event.STARTED, lead)
        for f in task.members[1:]:
            self.log(task, Event.JOINED, f)
        # Autonomy: self-chosen leads and volunteering followers chose their work.
        a = 0.2
        self.autonomy[lead] += a * (float(self_chosen) - self.autonomy[lead])
        self.autonomy[followers] += a * (float(volunteered) - self.autonomy[followers])
        if self.steps > self.cfg.warmup:
            self.led[lead] += 1
            self.followed[followers] += 1
        w = self.cfg.workload
        comp = self.competence[np.ix_(members, task.domains)]
        skill = comp.max(axis=0).mean()           # someone on the team covers each domain
        speed = ((0.5 + comp.mean(axis=1)) * (0.5 + 0.5 * self.engagement[members])).sum()
        task.rate = speed / (1.0 + w.coordination_cost * (len(members) - 1))
        task.p_success = 1.0 / (1.0 + np.exp(-w.success_slope * (skill - task.difficulty)))
        self.active.append(task)

    def pushes_back(self, person: int, task: Task) -> bool:
        """A person who distrusts the leader refuses an assignment that fits them poorly."""
        c = self.cfg.coordination
        return bool(self.trust_in_leader[person] < c.pushback_threshold
                    and self.fit(person, task)[0] < task.difficulty)

    def vertical_conflict(self, task: Task, person: int) -> None:
        c, f = self.cfg.coordination, self.cfg.culture.feedback
        self.log(task, Event.CONFLICT, person)
        t = self.trust_in_leader[person]
        self.trust_in_leader[person] = max(0.0, t - f * c.conflict_trust_loss * t)
        p = self.leader.perceived[person, list(task.domains)]
        self.leader.perceived[person, list(task.domains)] = p - c.perception_rate * p

    def conflict(self, task: Task, claimants: np.ndarray) -> None:
        """An unsettled contest: claimants are held up and lose trust in each other."""
        c, f = self.cfg.coordination, self.cfg.culture.feedback
        self.log(task, Event.CONFLICT, int(claimants[0]))
        self.blocked_until[claimants] = self.steps + 1 + c.conflict_cost
        a, b = np.meshgrid(claimants, claimants)
        off = a != b
        ids = self.trust.edge_ids(a[off], b[off])
        ids = ids[ids >= 0]
        self.trust.adjust(ids, -f * c.conflict_trust_loss * self.trust.trust[ids])

    # ------------------------------------------------------------------ work and outcomes
    def work(self) -> None:
        done, still = [], []
        for task in self.active:
            task.remaining -= task.rate
            (done if task.remaining <= 1e-12 else still).append(task)
        self.active = still
        for task in done:
            self.finish(task)

    def finish(self, task: Task) -> None:
        cul, ppl = self.cfg.culture, self.cfg.people
        success = bool(self.rng.random() < task.p_success)
        self.log(task, Event.COMPLETED if success else Event.FAILED, task.lead)
        members = np.asarray(task.members, dtype=np.int64)
        lead, followers = members[0], members[1:]
        self.lead_load[lead] -= 1
        self.follow_load[followers] -= 1
        self.free[members] += 1
        worked = self.steps - max(task.start, self.cfg.warmup + 1) + 1
        if worked > 0:
            self.busy[members] += worked
        # Practice builds competence; failures teach only where errors are tolerated.
        gain = ppl.learning_rate * (1.0 if success else cul.error_tolerance)
        block = np.ix_(members, task.domains)
        self.competence[block] += gain * (1.0 - self.competence[block])
        # Horizontal feedback: colleagues' trust in the lead, and the lead's in followers.
        nbrs = self.trust.neighbors(lead)
        ids = np.concatenate((self.trust.edge_ids(nbrs, np.full(len(nbrs), lead)),
                              self.trust.edge_ids(np.full(len(followers), lead), followers)))
        ids = np.unique(ids[ids >= 0])
        self.trust.adjust(ids, self._trust_delta(self.trust.trust[ids], success))
        # Vertical feedback: the leader's view of the team, the team's trust in the leader.
        if task.via_leader:
            t = self.trust_in_leader[members]
            self.trust_in_leader[members] = np.clip(t + self._trust_delta(t, success), 0.0, 1.0)
        p = self.leader.perceived[block]
        self.leader.perceived[block] = p + self.cfg.coordination.perception_rate * (float(success) - p)

    def _trust_delta(self, t: np.ndarray, success: bool) -> np.ndarray:
        """Outcome-based update: gains close ``feedback`` of the gap; losses are larger
        by ``trust_loss_ratio`` and softened by ``error_tolerance`` (Mayer et al. 1995;
        Jøsang & Ismail 2002)."""
        c = self.cfg.culture
        if success:
            return c.feedback * (1.0 - t)
        return -c.feedback * c.trust_loss_ratio * (1.0 - c.error_tolerance) * t

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
