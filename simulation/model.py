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
from .teams import Teams
from .updates import Compounder, distinct, first_in_group

logging.getLogger("MESA").setLevel(logging.WARNING)


def _clipped_normal(rng: np.random.Generator, mean: float, sd: float, size) -> np.ndarray:
    return np.clip(rng.normal(mean, sd, size), 0.0, 1.0)


class LeadershipModel(Teams, Model):
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
        self._starting: list[tuple] = []             # teams formed this step (Teams.begin_work)
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
        self.begin_work()
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
            team_size=np.minimum(self._team_cdf.searchsorted(rng.random(k) * self._team_cdf[-1], side="right") + 1, n),
            arrival=self.steps, entry=rng.integers(0, n, k))
        self.log(ids, Event.ARRIVED, self.tasks.entry[ids])
        self.regime.route(ids)

    # ------------------------------------------------------------------ shared mechanisms
    def is_available(self, people: np.ndarray) -> np.ndarray:
        return (self.free[people] > 0) & (self.blocked_until[people] <= self.steps)

    def available_people(self) -> np.ndarray:
        return ((self.free > 0) & (self.blocked_until <= self.steps)).nonzero()[0]

    def fit(self, people, tasks) -> np.ndarray:
        """Each person's own competence for the paired task (mean over its domains)."""
        c, T = self.competence, self.tasks
        return 0.5 * (c[people, T.dom0[tasks]] + c[people, T.dom1_or_0[tasks]])

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
            sorted_cand = cand[by_person]
            room = np.empty(len(cand), dtype=bool)
            room[by_person] = (np.arange(len(cand)) - sorted_cand.searchsorted(sorted_cand)
                               < self.free[sorted_cand])
            group, cand = group[room], cand[room]
        order = np.lexsort((rng.random(len(cand)), group))
        group, cand = group[order], cand[order]
        first = first_in_group(group)
        keep = first | (rng.random(len(cand)) >= self.cfg.organization.transparency)
        group, cand = group[keep], cand[keep]
        granted = self.trust.in_mean(cand) >= c.grant_threshold
        refused = ~granted
        claimed = tasks[group]
        group, granted_to = group[granted], cand[granted]
        self.log(claimed, Event.CLAIMED, cand)
        self.log(claimed[granted], Event.GRANTED, granted_to)
        self.log(claimed[refused], Event.REFUSED, cand[refused])
        return group, granted_to

    def pushes_back(self, person: int, task: int) -> bool:
        """A person who distrusts the leader refuses an assignment that fits them poorly."""
        if self.trust_in_leader[person] >= self.cfg.coordination.pushback_threshold:
            return False
        return bool(self.fit(person, task) < self.tasks.difficulty[task])

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
        failure = ~success
        leads = T.lead[tasks]
        self.log(tasks[success], Event.COMPLETED, leads[success])
        self.log(tasks[failure], Event.FAILED, leads[failure])
        rows = T.members[tasks]
        valid = rows >= 0
        owner, flat = valid.nonzero()[0], rows[valid]
        fol_valid = valid[:, 1:]
        fol_owner, fol = fol_valid.nonzero()[0], rows[:, 1:][fol_valid]
        np.subtract.at(self.lead_load, leads, 1)
        np.subtract.at(self.follow_load, fol, 1)
        np.add.at(self.free, flat, 1)
        T.end[tasks] = self.steps

        # (member, domain) pairs as flat indices into the (people x domains) arrays.
        d = self.cfg.people.domains
        worked_on = tasks[owner]
        dom1 = T.dom1[worked_on]
        two = dom1 >= 0
        pair_owner = np.concatenate((owner, owner[two]))
        pair = np.concatenate((flat * d + T.dom0[worked_on], (flat * d + dom1)[two]))
        ok = success[pair_owner]
        # Practice builds competence; failures teach only where errors are tolerated.
        self._competence.move(pair, np.where(ok, 1.0 - ppl.learning_rate,
                                             1.0 - ppl.learning_rate * cul.error_tolerance), True)
        # The leader's view of each member moves toward the outcome.
        self._perceived.move(pair, 1.0 - self.cfg.coordination.perception_rate, ok)

        # Horizontal feedback: colleagues' trust in the lead, and the lead's in followers.
        k, ties = self.trust.out_ties(leads)
        into_lead = self.trust.rev[ties]
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
        np.minimum(np.maximum(self.engagement, 0.0, out=self.engagement), 1.0, out=self.engagement)

    # ------------------------------------------------------------------ state for readers
    # Who led, followed and worked after the warm-up, per person: read from the task
    # table when asked (a run's end), not tallied at every start and finish.
    @property
    def led(self) -> np.ndarray:
        """Tasks each person led that started after the warm-up."""
        T, n = self.tasks, self.tasks.n
        return np.bincount(T.lead[:n][T.start[:n] > self.cfg.warmup], minlength=len(self.free))

    @property
    def followed(self) -> np.ndarray:
        """Tasks each person joined as a follower that started after the warm-up."""
        T, n = self.tasks, self.tasks.n
        rows = T.members[:n][T.start[:n] > self.cfg.warmup, 1:]
        return np.bincount(rows[rows >= 0], minlength=len(self.free))

    @property
    def busy(self) -> np.ndarray:
        """Task-steps each person worked after the warm-up, on tasks finished by now."""
        T, n, warm = self.tasks, self.tasks.n, self.cfg.warmup
        done = np.flatnonzero(T.end[:n] > warm)
        worked = T.end[done] - np.maximum(T.start[done], warm + 1) + 1
        rows = T.members[done]
        member = rows >= 0
        # float sums of integers far below 2**53: exact
        steps = np.bincount(rows[member], (worked[:, None] * member)[member], minlength=len(self.free))
        return steps.astype(np.int64)

    @property
    def n_open(self) -> int:
        return len(self.leader.queue) + len(self.pool) + len(self.active)

    @property
    def timeseries(self):
        return self.recorder.frame()

    def metrics(self) -> dict:
        from .metrics import compute_metrics
        return compute_metrics(self)
