"""Run metrics, computed the same way for every regime from the event log and state.

Definitions are in docs/ODD.md ("Observation"). They are kept as things happen
(:mod:`simulation.online`), so a run needs no event log; :func:`metrics_from_events`
recomputes them from the log, and the two agree exactly. Rates and means cover the steps
after ``warmup`` (tasks: those that arrived after it); the counts cover the whole
run, so that ``tasks_arrived = tasks_completed + tasks_failed + tasks_open``
(``tasks_reopened`` counts failed attempts that came back, not tasks).
"""

from __future__ import annotations

import numpy as np

from .online import Tally
from .tasks import Event

#: Metric names, in the order they are written.
METRICS = (
    "throughput",
    "lead_time_mean",
    "lead_time_p90",
    "owner_wait_mean",
    "success_rate",
    "role_ambiguity",
    "contested_share",
    "unowned_share",
    "conflict_rate",
    "leader_utilization",
    "workload_gini",
    "role_fluidity",
    "engagement_mean",
    "competence_gain",
    "competence_gain_gini",
    "trust_mean",
    "trust_leader_mean",
    "wip_mean",
    "leader_queue_mean",
    "escalation_rate",
    "overload_share",
    "contested_or_unowned_share",
    "lead_time_lower_bound",
    "owner_wait_lower_bound",
    "open_age_mean",
    "rework_rate",
    "claims_per_task",
    "backlog_mean",
    "tasks_arrived",
    "tasks_completed",
    "tasks_failed",
    "tasks_reopened",
    "tasks_open",
)


def gini(x) -> float:
    """Gini coefficient of non-negative values (0: all equal; near 1: one has all)."""
    x = np.sort(np.asarray(x, dtype=float))
    n, total = len(x), x.sum()
    if n == 0 or total <= 0:
        return 0.0
    return float((2.0 * np.arange(1, n + 1) - n - 1).dot(x) / (n * total))


class _ByKind:
    """The event log's steps and tasks by event kind, in logging order (the kinds
    read from one contiguous copy of their column)."""

    def __init__(self, ev: np.ndarray, n_tasks: int):
        self.ev, self.kind, self.n_tasks = ev, ev[:, 2].astype(np.uint8), n_tasks

    def of(self, kind: Event) -> tuple[np.ndarray, np.ndarray]:
        """Steps and tasks of every ``kind`` event, in logging order."""
        rows = (self.kind == kind).nonzero()[0]
        return self.ev[rows, 0], self.ev[rows, 1]

    def first(self, kind: Event) -> np.ndarray:
        """Step of each task's first ``kind`` event (-1 if none)."""
        out = np.full(self.n_tasks, -1, dtype=np.int64)
        step, task = self.of(kind)
        # Reverse so that the earliest event is written last and wins.
        out[task[::-1]] = step[::-1]
        return out

    def has(self, kind: Event) -> np.ndarray:
        """Whether each task has a ``kind`` event."""
        flag = np.zeros(self.n_tasks, dtype=bool)
        flag[self.of(kind)[1]] = True
        return flag


def metrics_from_events(model) -> dict[str, float]:
    """The metrics with every task metric recomputed from the whole event log (the
    tests' oracle for :func:`compute_metrics`, which keeps them as things happen)."""
    cfg = model.cfg
    warm, steps = cfg.warmup, model.now
    window = max(steps - warm, 1)
    n_tasks = model.tasks.n
    ev = _ByKind(model.events.array(), n_tasks)
    arrival = ev.first(Event.ARRIVED)
    completed = ev.first(Event.COMPLETED)
    failed = ev.first(Event.FAILED)
    started = ev.first(Event.STARTED)
    cohort = arrival > warm  # tasks that arrived after warm-up
    n_cohort = max(int(cohort.sum()), 1)

    contested, unowned = ev.has(Event.CONTESTED), ev.has(Event.UNOWNED)
    conflicts = np.bincount(ev.of(Event.CONFLICT)[1], minlength=n_tasks)
    escalated = ev.has(Event.ESCALATED)
    reopened_step, reopened_task = ev.of(Event.REOPENED)
    claims = np.bincount(ev.of(Event.CLAIMED)[1], minlength=n_tasks)

    done = cohort & (completed >= 0)
    lead_times = (completed - arrival)[done]
    waits = (started - arrival)[cohort & (started >= 0)]
    # Honest waits: tasks still open at the end count with their age so far, so the
    # means are lower bounds that do not hide overload (failed-for-good tasks are out).
    is_open = cohort & (completed < 0) & (failed < 0)
    age = steps - arrival
    lead_lb = np.where(completed >= 0, completed - arrival, age)[cohort & (failed < 0)]
    wait_lb = np.where(started >= 0, started - arrival, age)[cohort]
    finished_after = ((completed > warm).sum(), (failed > warm).sum() + (reopened_step > warm).sum())

    out = {
        "throughput": float((completed > warm).sum()) / window,
        "lead_time_mean": _mean(lead_times),
        "lead_time_p90": float(np.percentile(lead_times, 90)) if len(lead_times) else float("nan"),
        "owner_wait_mean": _mean(waits),
        "success_rate": (finished_after[0] / sum(finished_after)) if sum(finished_after) else float("nan"),
        # Ambiguity people lived with: a conflict over the task (a contest nobody settled,
        # or a pushback) or nobody taking it within the patience limit (docs/ODD.md 7.9).
        "role_ambiguity": float(((conflicts > 0) | unowned)[cohort].sum()) / n_cohort,
        "contested_share": float(contested[cohort].sum()) / n_cohort,
        "unowned_share": float(unowned[cohort].sum()) / n_cohort,
        "conflict_rate": float(conflicts[cohort].sum()) / n_cohort,
        "escalation_rate": float(escalated[cohort].sum()) / n_cohort,
        "contested_or_unowned_share": float((contested | unowned)[cohort].sum()) / n_cohort,  # model 1's role_ambiguity
        "lead_time_lower_bound": _mean(lead_lb),
        "owner_wait_lower_bound": _mean(wait_lb),
        "open_age_mean": _mean(age[is_open]),
        "rework_rate": float(cohort[reopened_task].sum()) / n_cohort,
        "claims_per_task": float(claims[cohort].sum()) / n_cohort,
        "tasks_arrived": int(n_tasks),
        "tasks_completed": int((completed >= 0).sum()),
        "tasks_failed": int((failed >= 0).sum()),
        "tasks_reopened": len(reopened_task),
        "tasks_open": int(model.n_open),
    }
    kept = compute_metrics(model)  # the metrics of people's state are shared
    return {k: (v if k.startswith("tasks_") else float(v)) for k, v in {**kept, **out}.items()}


def compute_metrics(model) -> dict[str, float]:
    """Every metric of a run, from the running tallies (simulation/online.py) and state."""
    cfg, T, tally = model.cfg, model.tasks, model.tally
    warm, steps = cfg.warmup, model.now
    window = max(steps - warm, 1)
    open_ = model.open_tasks()
    open_ = open_[T.arrival[open_] > warm]  # open cohort tasks
    age = steps - T.arrival[open_]
    flags = {k: v + int(Tally.task_flags(T, open_)[k].sum()) for k, v in tally.flags.items()}
    n_cohort = max(int(model.n_cohort), 1)
    n_done, lead_sum, lead_p90 = tally.lead_time_stats()
    never_started = open_[T.start[open_] < 0]
    finished_after = (tally.completed_after, tally.failed_after)
    gain = (model.competence - model.initial_competence).mean(axis=1)
    s, n = model.recorder.sums, max(model.recorder.n, 1)
    cap = cfg.organization.leader_capacity
    counts = model.counts
    out = {
        "throughput": float(tally.completed_after) / window,
        "lead_time_mean": lead_sum / n_done if n_done else float("nan"),
        "lead_time_p90": lead_p90,
        "owner_wait_mean": tally.wait_sum / tally.wait_n if tally.wait_n else float("nan"),
        "success_rate": (finished_after[0] / sum(finished_after)) if sum(finished_after) else float("nan"),
        # Ambiguity people lived with: a conflict over the task (a contest nobody settled,
        # or a pushback) or nobody taking it within the patience limit (docs/ODD.md 7.9).
        "role_ambiguity": flags["lived"] / n_cohort,
        "contested_share": flags["contested"] / n_cohort,
        "unowned_share": flags["unowned"] / n_cohort,
        "conflict_rate": (tally.conflicts + int(T.n_conflicts[open_].sum())) / n_cohort,
        "leader_utilization": model.leader.decisions_total / (cap * window) if cap else 0.0,
        "workload_gini": gini(model.busy),
        "role_fluidity": float(((model.led > 0) & (model.followed > 0)).mean()),
        "engagement_mean": s["engagement"] / n,
        "competence_gain": float(gain.mean()),
        "competence_gain_gini": gini(np.maximum(gain, 0.0)),
        "trust_mean": s["trust"] / n,
        "trust_leader_mean": s["trust_leader"] / n,
        "wip_mean": s["wip"] / n,
        "leader_queue_mean": s["leader_queue"] / n,
        "escalation_rate": flags["escalated"] / n_cohort,
        "overload_share": s["overload"] / n,
        "contested_or_unowned_share": flags["either"] / n_cohort,  # model 1's role_ambiguity
        "lead_time_lower_bound": _ratio(lead_sum + int(age.sum()), n_done + len(open_)),
        "owner_wait_lower_bound": _ratio(
            tally.wait_sum + int((steps - T.arrival[never_started]).sum()), tally.wait_n + len(never_started)
        ),
        "open_age_mean": _ratio(int(age.sum()), len(open_)),
        "rework_rate": tally.reopened_cohort / n_cohort,
        "claims_per_task": (tally.claims + int(T.n_claims[open_].sum())) / n_cohort,
        "backlog_mean": s["backlog"] / n,
        "tasks_arrived": int(counts[Event.ARRIVED]),
        "tasks_completed": int(counts[Event.COMPLETED]),
        "tasks_failed": int(counts[Event.FAILED]),
        "tasks_reopened": int(counts[Event.REOPENED]),
        "tasks_open": int(model.n_open),
    }
    return {k: (v if k.startswith("tasks_") else float(v)) for k, v in out.items()}


def _ratio(a: int, b: int) -> float:
    return a / b if b else float("nan")


def _mean(x) -> float:
    return float(np.mean(x)) if len(x) else float("nan")
