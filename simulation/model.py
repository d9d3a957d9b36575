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

import networkx as nx
import numpy as np
from mesa import Model
from mesa.discrete_space import Network

from . import rules
from .agents import Leader, Worker
from .claims import Claims
from .compat import model_kwargs
from .config import SimConfig
from .network import TrustNetwork, build_graph
from .online import Tally
from .recorder import Recorder
from .regimes import REGIMES
from .tasks import Event, EventLog, TaskTable
from .teams import Teams
from .trust import LegacyTrust, make_store
from .updates import Compounder

logging.getLogger("MESA").setLevel(logging.WARNING)


def _clipped_normal(rng: np.random.Generator, mean: float, sd: float, size) -> np.ndarray:
    return np.clip(rng.normal(mean, sd, size), 0.0, 1.0)


class LeadershipModel(Claims, Teams, Model):
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
        super().__init__(**model_kwargs(cfg.seed))
        # The model's own clock: the step being taken (Mesa's ``steps`` counts the same,
        # but Mesa 4 moves to a float ``time``; nothing here depends on either).
        self.now = 0
        self.cfg = cfg
        org, ppl, cul = cfg.organization, cfg.people, cfg.culture
        n, d = org.size, ppl.domains
        rng = self.rng
        # Tasks arrive from a stream of their own, so that the same seed gives every
        # regime the same tasks (common random numbers: comparisons are paired).
        self.arrival_rng = np.random.default_rng(np.random.SeedSequence(cfg.seed, spawn_key=(1,)))

        # The network, seeded from the model's own generator (reproducible), or read
        # from an organisation's files (docs/organisations.md).
        self.organisation = data = _load(org)
        graph_seed = int(rng.integers(2**31))
        graph = (
            _graph_of(data)
            if data
            else build_graph(org.network, n, org.degree, org.rewiring, org.team_size, seed=graph_seed)
        )
        self.grid = Network(graph, random=self.random)
        self.trust = TrustNetwork(
            graph,
            cul.trust,
            cul.trust_spread,
            rng,
            cul,
            cfg.coordination.conflict_trust_loss,
            initial=data.trust if data else None,
            need_out=cul.safety_effect > 0,
        )

        # Per-person state, one row per worker (data, where given, replace the draws).
        self.competence = _clipped_normal(rng, ppl.competence, ppl.competence_spread, (n, d))
        self.capacity = np.full(n, ppl.capacity, dtype=np.int64)
        self.initiative = _clipped_normal(rng, cul.initiative, cul.initiative_spread, n)
        if data:
            _fill_from(data, self.competence, self.capacity, self.initiative)
        self.initial_competence = self.competence.copy()
        self.free = self.capacity.copy()
        self.lead_load = np.zeros(n, dtype=np.int64)
        self.follow_load = np.zeros(n, dtype=np.int64)
        self.engagement = np.full(n, ppl.engagement)
        self.autonomy = np.full(n, 0.5)
        self.leader_trust = make_store(
            _clipped_normal(rng, cul.trust, cul.trust_spread, n),
            cul,
            cfg.coordination.conflict_trust_loss,
            running_total=False,
        )
        self.blocked_until = np.zeros(n, dtype=np.int64)
        self.team = _teams(org, n, data)
        # Tallies after the warm-up, kept as things happen (nothing re-read from history).
        self.led = np.zeros(n, dtype=np.int64)  # tasks led (starts)
        self.followed = np.zeros(n, dtype=np.int64)  # tasks joined as a follower (starts)
        self.busy = np.zeros(n, dtype=np.int64)  # task-steps worked, on attempts finished

        cells = list(self.grid.all_cells)
        self.workers = [Worker(self, i, cells[i]) for i in range(n)]
        perceived = np.clip(self.competence + rng.normal(0, cfg.coordination.perception_noise, (n, d)), 0, 1)
        self.leader = Leader(self, org.leader_capacity, perceived, ranks=REGIMES[cfg.coordination.name].leader_decides)
        # Batch updates of per-person state (views: the arrays above are updated in place).
        self._autonomy = Compounder(self.autonomy)
        self._competence = Compounder(self.competence)
        self._perceived = Compounder(self.leader.perceived)

        w = cfg.workload
        weights = np.asarray(w.team_size_weights, float)
        self._team_cdf = np.cumsum(weights) / weights.sum()
        keep_events = cfg.keeps_events()
        self.tasks = TaskTable(max_team=min(len(weights), n), recycle=not keep_events)
        self.pool = np.zeros(0, dtype=np.int64)  # task ids waiting for a claim, by arrival
        self.active = np.zeros(0, dtype=np.int64)  # task ids being worked on
        self._starting: list = []  # teams formed this step (Teams.begin_work)
        self.events = EventLog(enabled=keep_events)
        self.counts = np.zeros(len(Event), dtype=np.int64)
        self.tally = Tally(cfg.warmup)  # task metrics kept as things happen (simulation/online.py)
        self.n_cohort = 0  # tasks that arrived after the warm-up
        self.n_ambiguous = 0  # tasks contested or unowned so far (model 1's ambiguity)
        self.n_lived = 0  # tasks with a conflict or unowned so far (lived ambiguity)
        self.regime = REGIMES[cfg.coordination.name](self)
        self.recorder = Recorder(self)
        self.running = True

    @property
    def trust_in_leader(self) -> np.ndarray:
        """Each person's trust in the formal leader now."""
        return self.leader_trust.all()

    # ------------------------------------------------------------------ schedule
    def step(self) -> None:
        self.now += 1
        self.arrive()
        self.regime.coordinate()
        self.begin_work()
        self.work()
        self.update_engagement()
        self.trust.tick()  # forgetting: trust drifts back toward first impressions
        self.leader_trust.tick()
        self.recorder.record()
        if self.now >= self.cfg.steps:
            self.running = False

    def run(self, progress: bool = False) -> LeadershipModel:
        """Step until ``cfg.steps``; ``progress`` shows a bar on a terminal."""
        steps = range(self.now, self.cfg.steps)
        if progress:
            from tqdm import tqdm

            steps = tqdm(steps, desc="steps", unit="step", leave=False)
        for _ in steps:
            self.step()
        return self

    # ------------------------------------------------------------------ events
    def log(self, tasks: np.ndarray, event: Event, persons=-1) -> None:
        """Record ``event`` for each of ``tasks`` (a fresh array: the log keeps it)."""
        self.events.add_many(self.now, tasks, event, persons)
        self.counts[event] += len(tasks)

    def mark_ambiguous(self, tasks: np.ndarray, event: Event) -> None:
        """Flag tasks contested or unowned (once each); count each ambiguous task once."""
        flag = self.tasks.contested if event is Event.CONTESTED else self.tasks.unowned
        other = self.tasks.unowned if event is Event.CONTESTED else self.tasks.contested
        tasks = tasks[~flag[tasks]]
        self.n_ambiguous += int((~other[tasks]).sum())
        if event is Event.UNOWNED:
            self.n_lived += int((self.tasks.n_conflicts[tasks] == 0).sum())
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
        offset = rng.integers(1, max(d, 2), k)  # a second domain, different from the first
        cross = (rng.random(k) < w.cross_functional) & (d > 1)
        ids = self.tasks.add(
            dom0=dom0,
            dom1=np.where(cross, (dom0 + offset) % d, -1),
            difficulty=_clipped_normal(rng, w.difficulty, w.difficulty_spread, k),
            effort=rng.exponential(w.effort, k),
            team_size=np.minimum(self._team_cdf.searchsorted(rng.random(k) * self._team_cdf[-1], side="right") + 1, n),
            arrival=self.now,
            entry=rng.integers(0, n, k),
        )
        if self.cfg.organization.clarity_acts == "before":  # drawn last: the rest of the stream is model 1's
            self.tasks.framed[ids] = rng.random(k) < self.cfg.organization.clarity
        self.log(ids, Event.ARRIVED, self.tasks.entry[ids])
        if self.now > self.cfg.warmup:
            self.n_cohort += k
        self.regime.route(ids)

    # ------------------------------------------------------------------ shared mechanisms
    def is_available(self, people: np.ndarray) -> np.ndarray:
        return (self.free[people] > 0) & (self.blocked_until[people] <= self.now)

    def available_people(self) -> np.ndarray:
        return ((self.free > 0) & (self.blocked_until <= self.now)).nonzero()[0]

    def fit(self, people, tasks) -> np.ndarray:
        """Each person's own competence for the paired task (mean over its domains)."""
        c, T = self.competence, self.tasks
        return 0.5 * (c[people, T.dom0[tasks]] + c[people, T.dom1_or_0[tasks]])

    def chance(self, p: np.ndarray) -> np.ndarray:
        """Bernoulli draws; probabilities of exactly 0 or 1 (hard thresholds) draw nothing,
        so that model 1's settings consume model 1's random numbers."""
        p = np.asarray(p, dtype=float)
        sure = (p == 0.0) | (p == 1.0)
        if sure.all():
            return p == 1.0
        return self.rng.random(p.shape) < p

    def pushes_back(self, person: int, task: int) -> bool:
        """A person who distrusts the leader may refuse an assignment that fits them poorly
        (:func:`~simulation.rules.pushback_probability`)."""
        c, cul, T = self.cfg.coordination, self.cfg.culture, self.tasks
        if cul.trust_width == 0.0 and float(self.leader_trust.values(person)) >= c.pushback_threshold:
            return False  # model 1 asked nothing more of a trusting assignee
        # self.fit for one pair, read as Python floats (one call per decision of the leader)
        comp = self.competence
        fit = 0.5 * (comp.item(person, T.dom0.item(task)) + comp.item(person, T.dom1_or_0.item(task)))
        difficulty = T.difficulty.item(task)
        if fit >= difficulty:
            return False  # nobody refuses work that fits them (the rule's probability is 0)
        p = rules.pushback_probability(
            float(self.leader_trust.values(person)),
            c.pushback_threshold,
            cul.trust_width,
            fit,
            difficulty,
        )
        if p == 0.0 or p == 1.0:  # sure either way: no random number (model 1's stream)
            return p == 1.0
        return self.rng.random() < p

    def vertical_conflict(self, task: int, person: int) -> None:
        """A pushback: trust in the leader falls; the leader learns the person felt unfit."""
        c, f = self.cfg.coordination, self.cfg.culture.feedback
        self.events.add(self.now, task, Event.CONFLICT, person)
        self.counts[Event.CONFLICT] += 1
        T = self.tasks
        self.n_lived += int(T.n_conflicts[task] == 0 and not T.unowned[task])
        T.n_conflicts[task] += 1
        if isinstance(self.leader_trust, LegacyTrust):
            self.leader_trust.scale(person, max(0.0, 1.0 - f * c.conflict_trust_loss))
        else:
            self.leader_trust.conflict(np.array([person]))
        doms = list(self.tasks.domains(task))
        self.leader.perceived[person, doms] *= 1.0 - c.perception_rate
        self.leader.learned(person * self.cfg.people.domains + np.asarray(doms), count=False)

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
        """Outcomes of finished attempts: loads freed, practice, trust, the leader's view;
        a failed task may come back for rework (``workload.rework``)."""
        cul, ppl, T = self.cfg.culture, self.cfg.people, self.tasks
        success = self.rng.random(len(tasks)) < T.p_success[tasks]
        failure = ~success
        reopened = (
            failure & (self.rng.random(len(tasks)) < self.cfg.workload.rework)
            if self.cfg.workload.rework
            else np.zeros(len(tasks), dtype=bool)
        )
        leads = T.lead[tasks]
        self.log(tasks[success], Event.COMPLETED, leads[success])
        self.log(tasks[failure & ~reopened], Event.FAILED, leads[failure & ~reopened])
        self.log(tasks[reopened], Event.REOPENED, leads[reopened])
        rows = T.members[tasks]
        valid = rows >= 0
        owner, flat = valid.nonzero()[0], rows[valid]
        fol_valid = valid[:, 1:]
        fol_owner, fol = fol_valid.nonzero()[0], rows[:, 1:][fol_valid]
        np.subtract.at(self.lead_load, leads, 1)
        np.subtract.at(self.follow_load, fol, 1)
        np.add.at(self.free, flat, 1)
        T.end[tasks] = self.now
        warm = self.cfg.warmup
        if self.now > warm:  # task-steps worked after the warm-up, by every member
            worked = self.now - np.maximum(T.began[tasks], warm + 1) + 1
            np.add.at(self.busy, flat, worked[owner])

        # (member, domain) pairs as flat indices into the (people x domains) arrays.
        d = self.cfg.people.domains
        worked_on = tasks[owner]
        dom1 = T.dom1[worked_on]
        two = dom1 >= 0
        pair_owner = np.concatenate((owner, owner[two]))
        pair = np.concatenate((flat * d + T.dom0[worked_on], (flat * d + dom1)[two]))
        ok = success[pair_owner]
        # Practice builds competence; failures teach only where errors are tolerated.
        self._competence.move(
            pair, np.where(ok, 1.0 - ppl.learning_rate, 1.0 - ppl.learning_rate * cul.error_tolerance), True
        )
        # The leader's view of each member moves toward the outcome.
        self._perceived.move(pair, 1.0 - self.cfg.coordination.perception_rate, ok)
        self.leader.learned(pair)

        # Horizontal feedback: colleagues' trust in the lead, and the lead's in followers.
        k, ties = self.trust.out_ties(leads)
        into_lead = self.trust.rev[ties]
        to_fol = self.trust.edge_ids(leads[fol_owner], fol)
        ids = np.concatenate((into_lead, to_fol))
        id_owner = np.concatenate((k, fol_owner))
        self.trust.outcome(ids, success[id_owner])
        # Vertical feedback: the team's trust in the leader, when the leader assigned the task.
        vert = T.via_leader[tasks][owner]
        if vert.any():
            self.leader_trust.outcome(flat[vert], success[owner][vert])
        self.tally.finished(T, tasks, success, failure & ~reopened, reopened, self.now)
        if reopened.any():
            self.reopen(tasks[reopened])
        T.release(tasks[~reopened])

    def reopen(self, tasks: np.ndarray) -> None:
        """A failed attempt's task comes back whole: it is routed again like a new arrival
        (to the leader's queue or the pool), keeping its arrival step and its flags."""
        T = self.tasks
        T.remaining[tasks] = T.effort[tasks]
        T.lead[tasks] = -1
        T.end[tasks] = -1
        T.members[tasks] = -1
        T.via_leader[tasks] = False
        T.ready[tasks] = self.now
        self.regime.route(tasks)

    # ------------------------------------------------------------------ people
    def update_engagement(self) -> None:
        """Engagement drifts toward a target raised by autonomy and lowered by overload."""
        p = self.cfg.people
        target = p.engagement + p.autonomy_effect * (self.autonomy - 0.5) - p.overload_effect * (self.free == 0)
        self.engagement += p.engagement_rate * (target - self.engagement)
        np.minimum(np.maximum(self.engagement, 0.0, out=self.engagement), 1.0, out=self.engagement)

    # ------------------------------------------------------------------ state for readers
    def open_tasks(self) -> np.ndarray:
        """Ids of every task not yet ended: waiting, in a backlog, or being worked on."""
        backlog = [t for q in self.leader.backlog.values() for t, _ in q]
        return np.concatenate(
            (np.asarray(self.leader.queue, dtype=np.int64), self.pool, self.active, np.asarray(backlog, dtype=np.int64))
        )

    @property
    def n_open(self) -> int:
        return len(self.leader.queue) + len(self.pool) + len(self.active) + self.leader.n_backlog

    @property
    def timeseries(self):
        return self.recorder.frame()

    def metrics(self) -> dict:
        from .metrics import compute_metrics

        return compute_metrics(self)


def _load(org):
    """The organisation's files, when the network comes from them (validated already)."""
    if org.network != "from_files":
        return None
    from .organisations import load_organisation

    return load_organisation(org.path)


def _graph_of(data) -> nx.Graph:
    graph = nx.empty_graph(data.n)
    graph.add_edges_from(data.edges.tolist())
    return graph


def _fill_from(data, competence: np.ndarray, capacity: np.ndarray, initiative: np.ndarray) -> None:
    """Values the files give replace the configured draws; the rest stay drawn."""
    given = data.competence
    if given.size:
        block = competence[:, : given.shape[1]]
        np.copyto(block, given, where=~np.isnan(given))
    np.copyto(capacity, data.capacity, where=data.capacity > 0)
    np.copyto(initiative, data.initiative, where=~np.isnan(data.initiative))


def _teams(org, n: int, data) -> np.ndarray:
    """Each person's team (-1 where the organisation has none)."""
    if data is not None:
        return np.asarray(data.team, dtype=np.int64)
    if org.network == "team_clustered":
        return np.arange(n, dtype=np.int64) // org.team_size
    return np.full(n, -1, dtype=np.int64)
