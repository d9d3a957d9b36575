"""The checks of docs/validation.md: the model against queueing theory, Little's law
and the limits that must hold. Each function runs its own small experiment and
returns plain numbers, so the tests and the report read the same results.
"""

from __future__ import annotations

import numpy as np

from ..stats import mean_ci
from ..tasks import Event
from . import queueing
from .runs import config, events_per_step, replicate, run_model, slope, task_times, with_seed

#: Delegation as a pure queue: workers never bind (60 people x 20 slots), nobody
#: pushes back (a hard threshold at 0: trust in the leader is never below it), so every
#: decision starts a task; model 1's leader (it checks loads, does not explore, so no
#: backlogs) and no rework (a failed task would re-enter the queue: arrivals would no
#: longer be the Poisson stream alone).
QUEUE_BASE = {
    "coordination.name": "delegation",
    "coordination.pushback_threshold": 0.0,
    "culture.trust_width": 0.0,
    "coordination.load_awareness": 1.0,
    "coordination.exploration": 0.0,
    "workload.rework": 0.0,
    "people.capacity": 20,
    "organization.size": 60,
}


def queue_config(lam: float, c: int, steps: int, warmup: int, **extra):
    return config(
        {
            **QUEUE_BASE,
            "organization.leader_capacity": c,
            "workload.arrival_rate": lam,
            "steps": steps,
            "warmup": warmup,
            **extra,
        }
    )


def queue_pathwise(model) -> dict:
    """Replay the model's own arrivals through the exact recursion, task by task.

    With the pure-queue settings the leader's queue *is* the recursion, so every
    task's start step and every step's queue must agree exactly; the comparison with
    the stationary mean is then only a statement about the Poisson arrival stream.
    """
    ev = model.events.array()
    c, steps = model.cfg.organization.leader_capacity, model.now
    arr = ev[ev[:, 2] == Event.ARRIVED]
    arr = arr[np.argsort(arr[:, 1], kind="stable")]  # task ids follow arrival order
    counts = np.bincount(arr[:, 0], minlength=steps + 1)
    start = np.full(len(arr), -1, dtype=np.int64)
    queue = np.zeros(steps + 1, dtype=np.int64)
    q, n = 0, 0
    for t in range(1, steps + 1):
        a = counts[t]
        start[n : n + a] = t + (q + np.arange(a)) // c
        n += a
        q = max(q + a - c, 0)
        queue[t] = q
    start[start > steps] = -1  # not decided within the run
    model_start = task_times(model)["start"][arr[:, 1]]
    series = model.timeseries.set_index("step")["leader_queue"]
    return {
        "tasks": len(arr),
        "start_mismatches": int((start != model_start).sum()),
        "queue_mismatches": int((queue[series.index.to_numpy()] != series.to_numpy()).sum()),
    }


def _queue_run(model) -> dict:
    w = model.cfg.warmup
    starts = events_per_step(model, Event.STARTED)[w:]
    ends = events_per_step(model, Event.COMPLETED)[w:] + events_per_step(model, Event.FAILED)[w:]
    q = model.timeseries["leader_queue"].to_numpy()[w:]
    assigned = events_per_step(model, Event.ASSIGNED)[w:]
    met = model.metrics()
    # Conservation: decisions in the window = arrivals in it + the queue at its start - at its end.
    full = model.timeseries["leader_queue"].to_numpy()
    arrivals = events_per_step(model, Event.ARRIVED)[w:]
    balance = (arrivals.sum() + (full[w - 1] if w else 0) - full[-1]) / len(arrivals)
    return {
        "wait": met["owner_wait_mean"],
        "starts": starts.mean(),
        "ends": ends.mean(),
        "arrivals": arrivals.mean(),
        "balance": float(balance),
        "completions": met["throughput"],
        "queue": q.mean(),
        "queue_slope": slope(q)[0],
        "pushbacks": int((assigned - starts).sum()),
        "utilization": met["leader_utilization"],
        "max_starts": int(starts.max(initial=0)),
        "min_starts": int(starts.min(initial=10**9)),
        "queue_end": int(q[-1]),
        "mismatches": sum(queue_pathwise(model)[k] for k in ("start_mismatches", "queue_mismatches")),
    }


def queue_check(rho: float, c: int = 3, seeds=range(20), steps: int = 3000, warmup: int = 200, jobs: int = 1) -> dict:
    """Simulated wait for an owner and decision rate against the exact queue, at ``rho = lam / c``."""
    lam = rho * c
    runs = replicate(_queue_run, queue_config(lam, c, steps, warmup), seeds, jobs)
    out = {
        "rho": rho,
        "c": c,
        "lam": lam,
        "n": len(runs),
        "steps": steps,
        "warmup": warmup,
        "wait_theory": queueing.mean_wait(lam, c) if rho < 1 else float("inf"),
        "rate_theory": min(lam, c),
        "pushbacks": sum(r["pushbacks"] for r in runs),
        "mismatches": sum(r["mismatches"] for r in runs),
    }
    out["balance_gap"] = max(abs(r["starts"] - r["balance"]) for r in runs)
    for key in ("wait", "starts", "ends", "completions", "queue", "queue_slope", "utilization", "arrivals"):
        m, lo, hi = mean_ci([r[key] for r in runs])
        out[key], out[key + "_lo"], out[key + "_hi"] = m, lo, hi
    out["min_starts"] = min(r["min_starts"] for r in runs)
    out["max_starts"] = max(r["max_starts"] for r in runs)
    out["wait_in_ci"] = bool(out["wait_lo"] <= out["wait_theory"] <= out["wait_hi"])
    return out


def overload_check(
    lam: float, c: int = 3, seeds=range(10), steps: int = 1500, warmup: int = 100, jobs: int = 1
) -> dict:
    """Above capacity the leader's queue grows linearly with slope ``lam - c``."""
    runs = replicate(_queue_run, queue_config(lam, c, steps, warmup), seeds, jobs)
    m, lo, hi = mean_ci([r["queue_slope"] for r in runs])
    return {
        "lam": lam,
        "c": c,
        "slope_theory": lam - c,
        "slope": m,
        "slope_lo": lo,
        "slope_hi": hi,
        "starts": float(np.mean([r["starts"] for r in runs])),
        "min_starts": min(r["min_starts"] for r in runs),
        "max_starts": max(r["max_starts"] for r in runs),
        "queue_end": float(np.mean([r["queue_end"] for r in runs])),
        "mismatches": sum(r["mismatches"] for r in runs),
    }


# --------------------------------------------------------------------- Little's law
def little_run(model, drain: int) -> dict:
    """Little's law on one run: ``L`` over the window (warm-up, steps], ``lam`` and
    ``W`` from the tasks that arrived in it, followed ``drain`` steps past the end so
    that (almost) none is cut off by the end of the run.

    A task arriving in step ``a`` and leaving (completed or failed) in step ``e`` is in
    the end-of-step count ``wip`` in steps ``a .. e-1``: its time in system is ``e - a``.
    """
    cfg = model.cfg
    w, s = cfg.warmup, cfg.steps
    wip = model.timeseries.set_index("step")["wip"]
    L = float(wip.loc[w + 1 : s].mean())
    for _ in range(drain):
        model.step()
    tt = task_times(model)
    cohort = (tt["arrival"] > w) & (tt["arrival"] <= s)
    gone = cohort & (tt["end"] >= 0)
    lam = cohort.sum() / (s - w)
    W = float((tt["end"] - tt["arrival"])[gone].mean())
    # The two edges: time inside the window of tasks that arrived before it, and time
    # after it of tasks that arrived in it. ``L - lam W`` is exactly their difference
    # over the window's length; they balance only if the system is stationary.
    a, e = tt["arrival"], np.where(tt["end"] >= 0, tt["end"], model.now + 1)
    before = a <= w
    head = np.maximum(np.minimum(e[before] - 1, s) - w, 0).sum() / (s - w)
    tail = np.maximum(e[gone] - 1 - s, 0).sum() / (s - w)
    return {
        "L": L,
        "lam": float(lam),
        "W": W,
        "lamW": float(lam * W),
        "diff": L - float(lam * W),
        "head": float(head),
        "tail": float(tail),
        "open": int((cohort & (tt["end"] < 0)).sum()),
        "cohort": int(cohort.sum()),
    }


def little_check(
    overrides: dict, seeds=range(10), steps: int = 2000, warmup: int = 200, drain: int = 300, jobs: int = 1
) -> dict:
    cfg = config({**overrides, "steps": steps, "warmup": warmup})
    runs = replicate(lambda m: little_run(m, drain), cfg, seeds, jobs)
    out = {"n": len(runs), "open": sum(r["open"] for r in runs), "runs": runs}
    for key in ("L", "lamW", "diff", "W", "lam", "head", "tail"):
        m, lo, hi = mean_ci([r[key] for r in runs])
        out[key], out[key + "_lo"], out[key + "_hi"] = m, lo, hi
    out["rel_diff"] = out["diff"] / out["L"]
    out["diff_in_ci"] = bool(out["diff_lo"] <= 0.0 <= out["diff_hi"])
    return out


def little_identity(model) -> tuple[int, int]:
    """The sample-path identity behind Little's law, exact in any window:
    sum over steps of ``wip`` = sum over tasks of the steps each spent in the system
    within the window (tasks still open count to the window's end)."""
    w, s = model.cfg.warmup, model.now
    wip = model.timeseries.set_index("step")["wip"].loc[w + 1 : s].to_numpy()
    tt = task_times(model)
    a = tt["arrival"]
    e = np.where(tt["end"] >= 0, tt["end"], s + 1)
    lo, hi = np.maximum(a, w + 1), np.minimum(e - 1, s)
    return int(wip.sum()), int(np.maximum(hi - lo + 1, 0).sum())


def wip_per_step(model) -> dict:
    """``wip`` at the end of every step against the tasks open then by the event log
    (arrived, not yet ended for good: waiting, in the leader's queue or a backlog,
    being worked on, or back for rework). Returns how many steps disagree."""
    tt = task_times(model)
    s = model.now
    a = tt["arrival"]
    e = np.where(tt["end"] >= 0, tt["end"], s + 1)
    # open at the end of step t: a <= t < e
    opened = np.bincount(a, minlength=s + 2)[: s + 1].cumsum()
    closed = np.bincount(e, minlength=s + 2)[: s + 1].cumsum()
    wip = model.timeseries.set_index("step")["wip"]
    steps = wip.index.to_numpy()
    return {
        "steps": len(steps),
        "mismatches": int(((opened - closed)[steps] != wip.to_numpy()).sum()),
        "open_at_end": int(opened[s] - closed[s]),
        "tasks_open": int(model.metrics()["tasks_open"]),
    }


# --------------------------------------------------------------------- limits
def conflict_kinds(model) -> dict:
    """CONFLICT events split into pushbacks (an ASSIGNED of the same task to the same
    person in the same step precedes it) and unsettled contests (the rest); and how many
    tasks a frame named someone for."""
    ev = model.events.array()
    conf = ev[ev[:, 2] == Event.CONFLICT]
    asg = ev[ev[:, 2] == Event.ASSIGNED]
    keys = set(map(tuple, asg[:, [0, 1, 3]].tolist()))
    vertical = sum(tuple(r) in keys for r in conf[:, [0, 1, 3]].tolist())
    n = model.tasks.n
    return {
        "conflicts": len(conf),
        "pushbacks": vertical,
        "contests": len(conf) - vertical,
        "contested": int((ev[:, 2] == Event.CONTESTED).sum()),
        "framed": int(model.tasks.framed[:n].sum()),
        "tasks": int(n),
    }


def clarity_check(regime: str, clarity: float, seeds=range(3), steps: int = 500, **extra) -> dict:
    """Contests, conflicts and frames at a given clarity (``extra``: more dotted overrides,
    with ``__`` for the dot)."""
    cfg = config({"coordination.name": regime, "organization.clarity": clarity, "steps": steps}, **extra)
    runs = replicate(conflict_kinds, cfg, seeds)
    return {k: sum(r[k] for r in runs) for k in runs[0]}


def no_trust_check(
    regime: str,
    feedback: float = 0.1,
    seeds=range(3),
    steps: int = 500,
    grant_threshold: float = 0.35,
    width: float = 0.0,
    clarity: float = 0.0,
) -> dict:
    """Nobody is trusted at all (``trust = 0``, no spread) and claims need trust. With a
    hard threshold (``width`` 0) a claim is never granted; a smooth one grants a few.
    Frames (``clarity`` > 0) name a person without any grant, so they are off by default."""
    cfg = config(
        {
            "coordination.name": regime,
            "culture.trust": 0.0,
            "culture.trust_spread": 0.0,
            "culture.feedback": feedback,
            "coordination.grant_threshold": grant_threshold,
            "culture.trust_width": width,
            "organization.clarity": clarity,
            "steps": steps,
        }
    )

    def one(model):
        ev = model.events.array()
        first = lambda k: int(ev[ev[:, 2] == k, 0].min(initial=10**9))
        return {
            "claimed": int((ev[:, 2] == Event.CLAIMED).sum()),
            "granted": int((ev[:, 2] == Event.GRANTED).sum()),
            "started": int((ev[:, 2] == Event.STARTED).sum()),
            "first_granted": first(Event.GRANTED),
            "first_finished": min(first(Event.COMPLETED), first(Event.FAILED), first(Event.REOPENED)),
            "open": int(model.n_open),
            "arrived": int((ev[:, 2] == Event.ARRIVED).sum()),
        }

    runs = replicate(one, cfg, seeds)
    return {
        "claimed": sum(r["claimed"] for r in runs),
        "granted": sum(r["granted"] for r in runs),
        "started": sum(r["started"] for r in runs),
        "open": sum(r["open"] for r in runs),
        "arrived": sum(r["arrived"] for r in runs),
        "granted_before_first_outcome": sum(
            r["granted"] > 0 and r["first_granted"] <= r["first_finished"] for r in runs
        ),
    }


IDENTICAL = {
    "people.competence_spread": 0.0,
    "culture.initiative_spread": 0.0,
    "culture.trust_spread": 0.0,
    "people.learning_rate": 0.0,
}
#: The symmetry-breaking loops switched off as well: one-person tasks (no follower
#: recruitment, whose ties fall to the lowest index), no trust feedback, no autonomy effect.
PURE = {
    **IDENTICAL,
    "workload.team_size_weights": [1.0],
    "culture.feedback": 0.0,
    "people.autonomy_effect": 0.0,
    "people.overload_effect": 0.0,
}


def gini_by_length(
    overrides: dict, lengths=(300, 1200, 4800), seeds=range(4), warmup: int = 100, jobs: int = 1
) -> dict[int, tuple[float, float, float]]:
    """Workload Gini (``workload_gini``) for growing run lengths: mean and 95 % CI."""
    out = {}
    for n in lengths:
        cfg = config({**overrides, "steps": n, "warmup": warmup})
        out[n] = mean_ci(replicate(lambda m: m.metrics()["workload_gini"], cfg, seeds, jobs))
    return out


def follower_concentration(overrides: dict, seed: int = 0, steps: int = 1000) -> float:
    """Share of follower roles taken by the lowest-indexed tenth of the people."""
    m = run_model(with_seed(config({**overrides, "steps": steps}), seed))
    k = max(1, len(m.followed) // 10)
    return float(m.followed[:k].sum() / max(m.followed.sum(), 1))


def capacity_check(
    lam: float, c: int, seeds=range(5), steps: int = 1500, warmup: int = 100, extra: dict | None = None
) -> dict:
    """Delegation at default people and culture, leader capacity ``c`` above ``lam``."""
    cfg = config(
        {
            "coordination.name": "delegation",
            "workload.arrival_rate": lam,
            "organization.leader_capacity": c,
            "steps": steps,
            "warmup": warmup,
            **(extra or {}),
        }
    )

    def one(model):
        q = model.timeseries["leader_queue"].to_numpy()[warmup:]
        half = len(q) // 2
        return {
            "slope": slope(q)[0],
            "max": int(q.max()),
            "mean": float(q.mean()),
            "first_half": float(q[:half].mean()),
            "second_half": float(q[half:].mean()),
            "pushbacks": conflict_kinds(model)["pushbacks"],
        }

    runs = replicate(one, cfg, seeds)
    m, lo, hi = mean_ci([r["slope"] for r in runs])
    return {
        "lam": lam,
        "c": c,
        "slope": m,
        "slope_lo": lo,
        "slope_hi": hi,
        "max": max(r["max"] for r in runs),
        "mean": float(np.mean([r["mean"] for r in runs])),
        "first_half": float(np.mean([r["first_half"] for r in runs])),
        "second_half": float(np.mean([r["second_half"] for r in runs])),
        "pushbacks": sum(r["pushbacks"] for r in runs),
    }


def feedback_off_check(regime: str, seed: int = 0, steps: int = 500, **extra) -> dict:
    """With ``culture.feedback = 0`` no trust value may move, bit for bit."""
    from ..model import LeadershipModel

    cfg = with_seed(config({"coordination.name": regime, "culture.feedback": 0.0, "steps": steps, **extra}), seed)
    model = LeadershipModel(cfg)
    tie0, leader0 = model.trust.trust.copy(), model.trust_in_leader.copy()
    model.run()
    ev = model.events.array()
    return {
        "ties_equal": bool(np.array_equal(tie0, model.trust.trust)),
        "leader_equal": bool(np.array_equal(leader0, model.trust_in_leader)),
        "outcomes": int(np.isin(ev[:, 2], (Event.COMPLETED, Event.FAILED)).sum()),
        "conflicts": int((ev[:, 2] == Event.CONFLICT).sum()),
        "max_tie_change": float(np.abs(tie0 - model.trust.trust).max(initial=0.0)),
    }
