"""Limits of Model 2's switches (docs/validation.md, section 3): what each new mechanism
must do at the end of its range. Each check runs its own small experiment and returns
plain numbers, so the tests and the report read the same results.
"""

from __future__ import annotations

import numpy as np

from ..tasks import Event
from .runs import config, replicate, with_seed


def _sum(runs: list[dict]) -> dict:
    return {k: sum(r[k] for r in runs) for k in runs[0]}


def rework_check(regime: str, rework: float, seeds=range(2), steps: int = 400) -> dict:
    """``workload.rework`` 0: every failure leaves (no REOPENED); 1: none leaves for good
    (no FAILED), every failed attempt comes back."""
    cfg = config({"coordination.name": regime, "workload.rework": rework, "steps": steps})

    def one(m):
        met = m.metrics()
        return {
            "failed": met["tasks_failed"],
            "reopened": met["tasks_reopened"],
            "completed": met["tasks_completed"],
            "open": met["tasks_open"],
            "arrived": met["tasks_arrived"],
        }

    return _sum(replicate(one, cfg, seeds))


def backlog_check(load_awareness: float, seeds=range(2), steps: int = 400, **extra) -> dict:
    """The delegating leader with scarce capacity (one task per person): with
    ``load_awareness`` 1 it always checks loads, so no task ever waits in a backlog."""
    cfg = config(
        {
            "coordination.name": "delegation",
            "coordination.load_awareness": load_awareness,
            "people.capacity": 1,
            "organization.size": 12,
            "organization.network": "complete",
            "workload.arrival_rate": 1.5,
            "steps": steps,
            **extra,
        }
    )

    def one(m):
        ev = m.events.array()
        return {
            "backlogged": int((ev[:, 2] == Event.BACKLOGGED).sum()),
            "backlog_mean": float(m.metrics()["backlog_mean"]),
        }

    runs = replicate(one, cfg, seeds)
    return {
        "backlogged": sum(r["backlogged"] for r in runs),
        "backlog_mean": float(np.mean([r["backlog_mean"] for r in runs])),
    }


def forgetting_check(regime: str, forgetting: float, seed: int = 0, steps: int = 300) -> dict:
    """``culture.forgetting`` 1: all evidence fades within the step, so at the end of every
    step every trust value is its first impression again (bit for bit)."""
    from ..model import LeadershipModel

    model = LeadershipModel(
        with_seed(config({"coordination.name": regime, "culture.forgetting": forgetting, "steps": steps}), seed)
    )
    tie0, leader0 = model.trust.trust.copy(), model.trust_in_leader.copy()
    back = 0
    for _ in range(steps):
        model.step()
        back += bool(np.array_equal(model.trust.trust, tie0) and np.array_equal(model.trust_in_leader, leader0))
    ev = model.events.array()
    return {
        "steps": steps,
        "steps_back_at_start": back,
        "outcomes": int(np.isin(ev[:, 2], (Event.COMPLETED, Event.FAILED, Event.REOPENED)).sum()),
    }


def safety_check(safety_effect: float, seeds=range(2), steps: int = 300) -> dict:
    """Psychological safety at trust 0.5 (the neutral point): the factor is exactly 1, so
    claims are those of ``safety_effect`` 0; at trust 0.9 it raises them."""
    out = {}
    for trust in (0.5, 0.9):
        cfg = config(
            {
                "coordination.name": "distributed",
                "culture.safety_effect": safety_effect,
                "culture.trust": trust,
                "culture.trust_spread": 0.0,
                "culture.feedback": 0.0,
                "steps": steps,
            }
        )
        out[trust] = sum(replicate(lambda m: int((m.events.array()[:, 2] == Event.CLAIMED).sum()), cfg, seeds))
    return out
