"""Pattern check against the source: can the model show each claim of CONCEPTS.md?

Each row says whether it holds *by construction* (the measure is the rule that the
setting moves, so it is no evidence), *partly by construction* or *emerges*; the report
counts only rows that are not by construction as evidence.

Each row moves one parameter (setting A -> B, everything else at the defaults of the
regime named) and measures the pattern the claim predicts, over the same seeds in both
settings (common random numbers). The verdict compares the paired difference B - A
with the direction the claim predicts: "shown" when its 95 % CI excludes 0 in that
direction, "opposite" when it excludes 0 the other way, "not shown" otherwise. A claim
that something is *kept* (direction 0) is shown when the CI excludes a loss of more
than ``MARGIN`` of A (non-inferiority).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..stats import mean_ci
from ..tasks import Event
from .runs import config, replicate

MARGIN = 0.05


def _count(model, kind) -> int:
    return int((model.events.array()[:, 2] == kind).sum())


def _after_warmup(model, kind) -> np.ndarray:
    ev = model.events.array()
    return ev[(ev[:, 2] == kind) & (ev[:, 0] > model.cfg.warmup)]


#: Measures that are not in ``simulation.metrics.METRICS``.
CUSTOM = {
    "refused_share": lambda m: _count(m, Event.REFUSED) / max(_count(m, Event.CLAIMED), 1),
    "starts_per_step": lambda m: len(_after_warmup(m, Event.STARTED)) / (m.now - m.cfg.warmup),
    "top10_lead_share": lambda m: float(np.sort(m.led)[::-1][: max(1, len(m.led) // 10)].sum() / max(m.led.sum(), 1)),
    "trust_change": lambda m: float(m.timeseries["trust_mean"].iloc[-50:].mean() - m.timeseries["trust_mean"].iloc[0]),
    "trust_moves": lambda m: float(np.ptp(m.timeseries["trust_mean"].to_numpy())),
    "active_leaders": lambda m: int((m.led > 0).sum()),
}


def measure(model, key: str) -> float:
    return float(CUSTOM[key](model)) if key in CUSTOM else float(model.metrics()[key])


@dataclass
class Row:
    claim: int
    text: str  # the claim, short
    pattern: str  # what is measured
    key: str  # metric name or CUSTOM key
    a: dict  # setting A (overrides)
    b: dict  # setting B
    direction: int  # the claim predicts sign(B - A)
    base: dict = field(default_factory=dict)
    note: str = ""
    basis: str = "emerges"  # "by construction", "partly by construction" or "emerges"
    why: str = ""  # why the row holds by construction or emerges


def _s(d: dict) -> str:
    return ", ".join(f"{k.split('.')[-1]}={v}" for k, v in d.items())


D, DIST, HYB = ({"coordination.name": r} for r in ("delegation", "distributed", "hybrid"))
BC, PART, EM = "by construction", "partly by construction", "emerges"
ROWS = [
    Row(
        1,
        "roles move: one leads here, follows there",
        "role fluidity",
        "role_fluidity",
        {"workload.team_size_weights": [1.0]},
        {"workload.team_size_weights": [0.5, 0.3, 0.2]},
        +1,
        DIST,
        "without team tasks nobody follows, so fluidity is 0 by construction",
        PART,
        "A = 0 is definitional (nobody can follow); how many lead *and* follow at B emerges from claims",
    ),
    Row(
        2,
        "feedback flows horizontally and vertically",
        "change of mean tie trust over the run",
        "trust_change",
        {"workload.difficulty": 0.8, "culture.error_tolerance": 0.1},
        {"workload.difficulty": 0.3, "culture.error_tolerance": 0.5},
        +1,
        DIST,
        "trust collapses with hard work and blame, recovers with feasible work",
        PART,
        "the trust rule reads outcomes; that outcomes follow difficulty through who takes the work emerges",
    ),
    Row(
        3,
        "informal leaders emerge without a title",
        "share of leads taken by the top 10 %",
        "top10_lead_share",
        {"people.competence_spread": 0.0, "culture.initiative_spread": 0.0},
        {"people.competence_spread": 0.3, "culture.initiative_spread": 0.3},
        +1,
        DIST,
        "the top tenth leads more than a tenth even when people are alike (see the limit check)",
        EM,
        "no rule names leaders; concentration comes from claims, grants and trust over time",
    ),
    Row(
        4,
        "delegation keeps every task in the leader's queue",
        "owners found per step (arrivals 6/step)",
        "starts_per_step",
        {**D, "workload.arrival_rate": 6.0},
        {**DIST, "workload.arrival_rate": 6.0},
        +1,
        {"organization.leader_capacity": 3},
        "delegation saturates at the leader's capacity, 3/step",
        BC,
        "the leader decides at most leader_capacity tasks per step: the cap is the rule",
    ),
    Row(
        5,
        "trust decides whether a claim to lead is granted",
        "share of claims refused",
        "refused_share",
        {"culture.trust": 0.8},
        {"culture.trust": 0.3},
        +1,
        DIST,
        "",
        BC,
        "the grant probability is a function of trust in the claimant",
    ),
    Row(
        5,
        "low trust: tasks stall",
        "wait for an owner, open tasks at their age (steps)",
        "owner_wait_lower_bound",
        {"culture.trust": 0.8},
        {"culture.trust": 0.3},
        +1,
        DIST,
        "",
        EM,
        "waits depend on refusals, re-claims, capacity and escalation together",
    ),
    Row(
        6,
        "autonomy raises engagement",
        "mean engagement",
        "engagement_mean",
        D,
        DIST,
        +1,
        {},
        "",
        PART,
        "the engagement target rises with self-chosen work; how much work is self-chosen emerges",
    ),
    Row(
        6,
        "overload lowers well-being",
        "mean engagement",
        "engagement_mean",
        {"workload.arrival_rate": 2.0},
        {"workload.arrival_rate": 8.0},
        -1,
        DIST,
        "at the defaults more work also means more self-chosen work (autonomy), which offsets overload",
        EM,
        "the net of the overload and autonomy terms, through how many people are full",
    ),
    Row(
        6,
        "overload lowers well-being (autonomy effect off)",
        "mean engagement",
        "engagement_mean",
        {"workload.arrival_rate": 2.0},
        {"workload.arrival_rate": 8.0},
        -1,
        {**DIST, "people.autonomy_effect": 0.0},
        "",
        PART,
        "with autonomy off only the overload term is left; how often people are full emerges",
    ),
    Row(
        6,
        "practice builds competence",
        "competence gain",
        "competence_gain",
        {"people.learning_rate": 0.0},
        {"people.learning_rate": 0.05},
        +1,
        DIST,
        "",
        BC,
        "learning_rate 0 means no gain: the learning rule",
    ),
    Row(
        7,
        "unclear frames: conflicts",
        "conflicts per task",
        "conflict_rate",
        {"organization.clarity": 0.9},
        {"organization.clarity": 0.1},
        +1,
        DIST,
        "",
        PART,
        "a framed task whose named person is free cannot be contested; contests on the rest emerge",
    ),
    Row(
        7,
        "unclear frames: slower work",
        "lead time, open tasks at their age (steps)",
        "lead_time_lower_bound",
        {"organization.clarity": 0.9},
        {"organization.clarity": 0.1},
        +1,
        DIST,
        "",
        EM,
        "a consequence, not a definition: who takes the work, waits and failures together",
    ),
    Row(
        7,
        "low trust: unclear who takes responsibility",
        "share of tasks unowned",
        "unowned_share",
        {"culture.trust": 0.8},
        {"culture.trust": 0.3},
        +1,
        DIST,
        "",
        EM,
        "unowned needs nobody granted for patience steps: claims, grants and capacity together",
    ),
    Row(
        7,
        "low trust: role ambiguity",
        "role ambiguity (lived: a conflict or unowned)",
        "role_ambiguity",
        {"culture.trust": 0.8},
        {"culture.trust": 0.3},
        +1,
        DIST,
        "",
        EM,
        "conflicts and unowned tasks both emerge from claims, deference and grants",
    ),
    Row(
        8,
        "a facilitating leader keeps throughput",
        "throughput (no loss beyond 5 %)",
        "throughput",
        DIST,
        HYB,
        0,
        {},
        "",
        EM,
        "the leader's exception handling against its capacity",
    ),
    Row(
        8,
        "... and cuts ambiguity",
        "role ambiguity (lived)",
        "role_ambiguity",
        DIST,
        HYB,
        -1,
        {},
        "unsettled contests go to the leader instead of becoming conflicts",
        PART,
        "an escalated contest is not a conflict by the hybrid rule; unowned tasks emerge",
    ),
    Row(
        8,
        "... and leaves fewer tasks unowned",
        "share of tasks unowned",
        "unowned_share",
        DIST,
        HYB,
        -1,
        {},
        "",
        EM,
        "a task is flagged unowned before the leader sees it: any change is a knock-on effect",
    ),
    Row(
        8,
        "... and conflict (low trust: contests go unsettled)",
        "conflicts per task",
        "conflict_rate",
        DIST,
        HYB,
        -1,
        {"culture.trust": 0.3},
        "at the default trust deference settles almost every contest, so there is no conflict to remove",
        BC,
        "the hybrid rule sends unsettled contests to the leader: only pushbacks can conflict",
    ),
    Row(
        9,
        "errors tolerated: faster learning (distributed)",
        "competence gain",
        "competence_gain",
        {"culture.error_tolerance": 0.1},
        {"culture.error_tolerance": 0.9},
        +1,
        {**DIST, "people.learning_rate": 0.05},
        "",
        PART,
        "failures teach learning_rate x error_tolerance (the rule); how many failures there are emerges",
    ),
    Row(
        9,
        "errors tolerated: faster learning (delegation)",
        "competence gain",
        "competence_gain",
        {"culture.error_tolerance": 0.1},
        {"culture.error_tolerance": 0.9},
        +1,
        {**D, "people.learning_rate": 0.05},
        "",
        PART,
        "as above; the regime difference emerges",
    ),
    Row(
        10,
        "teaming has a coordination cost",
        "lead time (steps)",
        "lead_time_mean",
        {"workload.coordination_cost": 0.0},
        {"workload.coordination_cost": 0.6},
        +1,
        {**DIST, "workload.team_size_weights": [0.2, 0.3, 0.5]},
        "",
        BC,
        "the cost lowers a team's work rate: slower tasks by the rule",
    ),
    Row(
        11,
        "macro level alone moves outcomes",
        "throughput",
        "throughput",
        {"culture.trust": 0.3, "culture.initiative": 0.3, "culture.error_tolerance": 0.1},
        {"culture.trust": 0.8, "culture.initiative": 0.7, "culture.error_tolerance": 0.8},
        +1,
        DIST,
        "the culture group low_trust -> high_trust, nothing else changed",
        EM,
        "no rule links culture to throughput directly",
    ),
    Row(
        13,
        "transparency: fewer duplicate claims",
        "share of tasks contested",
        "contested_share",
        {"organization.transparency": 0.0},
        {"organization.transparency": 1.0},
        -1,
        DIST,
        "",
        BC,
        "a claimant who sees an earlier claim holds back: at transparency 1 no task can be contested",
    ),
    Row(
        13,
        "transparency: owners found sooner",
        "wait for an owner, open tasks at their age (steps)",
        "owner_wait_lower_bound",
        {"organization.transparency": 0.0},
        {"organization.transparency": 1.0},
        -1,
        DIST,
        "",
        EM,
        "fewer contests and less diffusion for waiting tasks, against fewer claims per round",
    ),
    Row(
        14,
        "feedback off: trust is frozen",
        "range of mean tie trust over the run",
        "trust_moves",
        {"culture.feedback": 0.1},
        {"culture.feedback": 0.0},
        -1,
        DIST,
        "",
        BC,
        "feedback 0 gives outcomes and conflicts zero weight: trust cannot move",
    ),
    Row(
        14,
        "feedback off: fewer self-reinforcing leaders",
        "share of leads taken by the top 10 %",
        "top10_lead_share",
        {"culture.feedback": 0.1},
        {"culture.feedback": 0.0},
        -1,
        DIST,
        "",
        EM,
        "concentration of leading is not a rule",
    ),
]


def run_row(row: Row, seeds=range(5), steps: int = 500, jobs: int = 1) -> dict:
    out = {}
    for name, setting in (("a", row.a), ("b", row.b)):
        cfg = config({**row.base, **setting, "steps": steps})
        out[name] = np.asarray(replicate(lambda m: measure(m, row.key), cfg, seeds, jobs))
    diff = mean_ci(out["b"] - out["a"])
    if row.direction == 0:
        verdict = "shown" if diff[1] > -MARGIN * abs(out["a"].mean()) else "not shown"
    elif np.isnan(diff[1]) or diff[1] <= 0 <= diff[2]:
        verdict = "not shown"
    else:
        verdict = "shown" if np.sign(diff[0]) == row.direction else "opposite"
    return {
        "claim": row.claim,
        "text": row.text,
        "pattern": row.pattern,
        "setting": f"{_s(row.a)} → {_s(row.b)}",
        "regime": _regime(row),
        "A": float(out["a"].mean()),
        "B": float(out["b"].mean()),
        "diff": diff[0],
        "diff_lo": diff[1],
        "diff_hi": diff[2],
        "verdict": verdict,
        "note": row.note,
        "basis": row.basis,
        "why": row.why,
    }


def _regime(row: Row) -> str:
    names = {d.get("coordination.name") for d in (row.a, row.b, row.base)} - {None}
    return (
        " → ".join(n for n in ("delegation", "distributed", "hybrid") if n in names)
        if len(names) > 1
        else (names.pop() if names else "distributed")
    )


def pattern_table(seeds=range(5), steps: int = 500, jobs: int = 1, rows=ROWS) -> pd.DataFrame:
    return pd.DataFrame([run_row(r, seeds, steps, jobs) for r in rows])


# --------------------------------------------------------------------- claim 12
def interaction_map(
    trust=(0.3, 0.6, 0.9),
    clarity=(0.1, 0.9),
    arrival=(2.0, 5.0),
    seeds=range(3),
    steps: int = 500,
    keys=("throughput", "lead_time_mean"),
    jobs: int = 1,
) -> pd.DataFrame:
    """Distributed minus delegation in each of ``keys`` over trust x clarity x load (claim 12)."""
    rows = []
    for lam in arrival:
        for t in trust:
            for c in clarity:
                base = {"culture.trust": t, "organization.clarity": c, "workload.arrival_rate": lam, "steps": steps}
                vals = {
                    r: np.asarray(
                        replicate(
                            lambda m: [measure(m, k) for k in keys],
                            config({**base, "coordination.name": r}),
                            seeds,
                            jobs,
                        )
                    )
                    for r in ("delegation", "distributed")
                }
                for j, key in enumerate(keys):
                    d, b = vals["delegation"][:, j], vals["distributed"][:, j]
                    m, lo, hi = mean_ci(b - d)
                    rows.append(
                        {
                            "metric": key,
                            "arrival_rate": lam,
                            "trust": t,
                            "clarity": c,
                            "delegation": float(d.mean()),
                            "distributed": float(b.mean()),
                            "diff": m,
                            "diff_lo": lo,
                            "diff_hi": hi,
                        }
                    )
    return pd.DataFrame(rows)
