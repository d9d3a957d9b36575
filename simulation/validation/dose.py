"""Dose-response (docs/validation.md, section 6): each lever over a grid of values, in
every regime, with a 95 % CI band over seeds; and diffusion of responsibility against
the number of people who see a task.

Common random numbers: every value of a lever runs on the same seeds (and the task
stream has its own generator), so neighbouring points differ by the lever, not by luck.
Runs are the package defaults (600 steps, warm-up 200) unless a lever says otherwise.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from ..stats import mean_ci
from ..tasks import Event
from .runs import config, replicate

REGIMES = ("delegation", "distributed", "hybrid")
COLORS = {
    "delegation": "#1f77b4",
    "distributed": "#ff7f0e",
    "hybrid": "#2ca02c",
    0.0: "#1f77b4",
    0.5: "#ff7f0e",
    1.0: "#2ca02c",
}
DPI = 80

#: Lever -> (grid, its most direct metric). Every run also records throughput and
#: role_ambiguity (lived ambiguity: a conflict, or nobody taking the task in time).
LEVERS = {
    "culture.trust": ((0.1, 0.25, 0.4, 0.55, 0.7, 0.85, 1.0), "unowned_share"),
    "organization.clarity": ((0.0, 0.17, 0.33, 0.5, 0.67, 0.83, 1.0), "contested_share"),
    "organization.transparency": ((0.0, 0.17, 0.33, 0.5, 0.67, 0.83, 1.0), "contested_share"),
    "culture.feedback": ((0.0, 0.05, 0.1, 0.2, 0.3, 0.5, 0.8), "trust_mean"),
    "culture.error_tolerance": ((0.0, 0.17, 0.33, 0.5, 0.67, 0.83, 1.0), "competence_gain"),
    "organization.leader_capacity": ((1, 2, 3, 4, 6, 8), "owner_wait_lower_bound"),
    "coordination.diffusion": ((0.0, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0), "claims_per_task"),
}
BASE = ("throughput", "role_ambiguity")


def dose_response(
    lever: str,
    values=None,
    regimes=REGIMES,
    seeds=range(8),
    steps: int = 600,
    warmup: int = 200,
    jobs: int = 1,
    metrics=None,
) -> pd.DataFrame:
    """One row per (regime, value, metric): mean and 95 % CI over ``seeds``."""
    grid, direct = LEVERS[lever]
    values = grid if values is None else values
    keys = metrics or (*BASE, direct)
    rows = []
    for regime in regimes:
        for v in values:
            cfg = config({"coordination.name": regime, lever: v, "steps": steps, "warmup": warmup})
            vals = np.asarray(replicate(lambda m: [m.metrics()[k] for k in keys], cfg, seeds, jobs), dtype=float)
            for j, k in enumerate(keys):
                x = vals[:, j]
                x = x[np.isfinite(x)]
                m, lo, hi = mean_ci(x) if len(x) > 1 else (float(np.mean(x)) if len(x) else np.nan, np.nan, np.nan)
                rows.append(
                    {
                        "lever": lever,
                        "regime": regime,
                        "value": v,
                        "metric": k,
                        "mean": m,
                        "lo": lo,
                        "hi": hi,
                        "n": len(x),
                    }
                )
    return pd.DataFrame(rows)


def dose_figure(df: pd.DataFrame, path: Path) -> None:
    """One panel per metric, one line and band per regime."""
    lever = df.lever.iloc[0]
    keys = list(dict.fromkeys(df.metric))
    fig, ax = plt.subplots(1, len(keys), figsize=(3.6 * len(keys), 2.9), constrained_layout=True)
    for a, k in zip(np.atleast_1d(ax), keys):
        for regime, g in df[df.metric == k].groupby("regime", sort=False):
            a.plot(g.value, g["mean"], "o-", ms=3, lw=1.2, color=COLORS[regime], label=regime)
            a.fill_between(g.value, g.lo, g.hi, color=COLORS[regime], alpha=0.2, lw=0)
        a.set(xlabel=lever, title=k)
        a.title.set_fontsize(10)
    np.atleast_1d(ax)[0].legend(fontsize=7)
    fig.suptitle(f"{lever}: mean and 95 % CI over seeds", fontsize=10)
    fig.savefig(path, dpi=DPI)
    plt.close(fig)


def slope_sign(df: pd.DataFrame, regime: str, metric: str) -> dict:
    """Last minus first grid value of ``metric`` (means) and whether the end points'
    CIs are apart: a compact reading of a dose-response line for the report's table."""
    g = df[(df.regime == regime) & (df.metric == metric)].sort_values("value")
    first, last = g.iloc[0], g.iloc[-1]
    apart = bool(last.lo > first.hi or last.hi < first.lo)
    return {
        "from": float(first["mean"]),
        "to": float(last["mean"]),
        "change": float(last["mean"] - first["mean"]),
        "apart": apart,
    }


# --------------------------------------------------------------------- bystanders
def unclaimed_share(model, patience: int | None = None) -> float:
    """Share of the cohort's tasks with no CLAIMED event in their first ``patience``
    claim rounds (steps ``a .. a + patience - 1``; a task arriving in step ``a`` meets its
    first round in that step): the chance that nobody acts, from the event log."""
    patience = model.cfg.coordination.patience if patience is None else patience
    ev = model.events.array()
    w, s = model.cfg.warmup, model.now
    arr = ev[ev[:, 2] == Event.ARRIVED]
    arrival = np.full(model.tasks.n, -1, dtype=np.int64)
    arrival[arr[:, 1]] = arr[:, 0]
    cohort = (arrival > w) & (arrival <= s - patience + 1)  # whose rounds all lie in the run
    cl = ev[ev[:, 2] == Event.CLAIMED]
    early = cl[cl[:, 0] < arrival[cl[:, 1]] + patience]
    claimed = np.zeros(model.tasks.n, dtype=bool)
    claimed[early[:, 1]] = True
    return float((cohort & ~claimed).sum() / max(cohort.sum(), 1))


def first_round_claims(model) -> float:
    """Mean claims a cohort task receives in its arrival step (its first round)."""
    ev = model.events.array()
    w = model.cfg.warmup
    arr = ev[ev[:, 2] == Event.ARRIVED]
    arrival = np.full(model.tasks.n, -1, dtype=np.int64)
    arrival[arr[:, 1]] = arr[:, 0]
    cl = ev[ev[:, 2] == Event.CLAIMED]
    first = cl[(cl[:, 0] == arrival[cl[:, 1]]) & (arrival[cl[:, 1]] > w)]
    return float(len(first) / max(int((arrival > w).sum()), 1))


#: Who sees a task: its entry person and their colleagues, 1 + degree on a ring lattice
#: (small-world network without rewiring, 60 people), so the load per person is fixed.
BYSTANDER_BASE = {
    "coordination.name": "distributed",
    "organization.network": "small_world",
    "organization.rewiring": 0.0,
    "organization.size": 60,
    "organization.clarity": 0.0,
}


BYSTANDER_KEYS = ("claims_per_task", "first_round_claims", "nobody_first_round", "nobody_claims", "role_ambiguity")


def bystanders(
    degrees=(2, 4, 8, 16, 32, 58),
    diffusion=(0.0, 0.5, 1.0),
    seeds=range(8),
    steps: int = 600,
    warmup: int = 200,
    jobs: int = 1,
    **extra,
) -> pd.DataFrame:
    """Claims per task, first-round claims and the chance that nobody claims within the
    patience limit, against the number of people who see a task (no frames: clarity 0,
    so every claim is a person's choice)."""
    rows = []
    for d in diffusion:
        for k in degrees:
            cfg = config(
                {
                    **BYSTANDER_BASE,
                    "organization.degree": k,
                    "coordination.diffusion": d,
                    "steps": steps,
                    "warmup": warmup,
                    **extra,
                }
            )
            vals = np.asarray(
                replicate(
                    lambda m: [
                        m.metrics()["claims_per_task"],
                        first_round_claims(m),
                        unclaimed_share(m, 1),
                        unclaimed_share(m),
                        m.metrics()["role_ambiguity"],
                    ],
                    cfg,
                    seeds,
                    jobs,
                )
            )
            row = {"diffusion": d, "degree": k, "seen_by": k + 1}
            for j, key in enumerate(BYSTANDER_KEYS):
                m, lo, hi = mean_ci(vals[:, j])
                row.update({key: m, key + "_lo": lo, key + "_hi": hi})
            rows.append(row)
    return pd.DataFrame(rows)


def bystander_figure(df: pd.DataFrame, path: Path) -> None:
    """Four panels against the number who see a task; dashed: transparency 0 (diffusion 1),
    dotted in the first-round panel: the reference k^(1 - diffusion) through k = 9."""
    keys = (
        ("claims_per_task", "claims per task (all rounds)"),
        ("first_round_claims", "claims in a task's first round"),
        ("nobody_first_round", "P(nobody claims in the first round)"),
        ("nobody_claims", "P(nobody claims within patience)"),
    )
    fig, ax = plt.subplots(1, len(keys), figsize=(14, 3.3), constrained_layout=True)
    if "transparency" not in df:
        df = df.assign(transparency=0.5)
    ks = sorted(df.seen_by.unique())
    for a, (k, title) in zip(ax, keys):
        for (d, tr), g in df.groupby(["diffusion", "transparency"]):
            color, ls = COLORS.get(d, "0.3"), "-" if tr > 0 else "--"
            a.plot(
                g.seen_by,
                g[k],
                "o" + ls,
                ms=3,
                lw=1.2,
                color=color,
                label=f"diffusion {d:g}" + ("" if tr > 0 else ", transparency 0"),
            )
            a.fill_between(g.seen_by, g[k + "_lo"], g[k + "_hi"], color=color, alpha=0.15, lw=0)
            if k == "first_round_claims" and tr > 0 and 9 in set(g.seen_by):
                ref = float(g.loc[g.seen_by == 9, k].iloc[0])
                a.plot(ks, [ref * (x / 9) ** (1 - d) for x in ks], ":", color=color, lw=1)
        a.set(xscale="log", xlabel="people who see a task (1 + degree)", title=title)
        a.title.set_fontsize(10)
        a.set_xticks(ks, [str(v) for v in ks])
        a.minorticks_off()
    ax[1].set_yscale("log")
    ax[0].legend(fontsize=7)
    fig.suptitle(
        "Diffusion of responsibility (distributed, no frames): mean and 95 % CI over seeds; "
        "dotted: ∝ k^(1 − diffusion)",
        fontsize=10,
    )
    fig.savefig(path, dpi=DPI)
    plt.close(fig)


# --------------------------------------------------------------------- the report's section
def _plan(r) -> tuple[range, int, int]:
    """Seeds, steps and warm-up of section 6 (6 seeds keep it near 10 minutes on 2 shared cores)."""
    return range(r.n(6, 2)), r.n(600, 300), r.n(200, 100)


def dose_section(r) -> None:
    """Section 6 of docs/validation.md: one figure per lever and the table of their ends."""
    seeds, steps, warmup = _plan(r)
    frames = []
    for lever in LEVERS:
        df = dose_response(lever, seeds=seeds, steps=steps, warmup=warmup, jobs=r.jobs)
        dose_figure(df, r.out / f"dose_{lever.split('.')[-1]}.png")
        frames.append(df)
    df = pd.concat(frames, ignore_index=True)
    rows = []
    for lever, (_, direct) in LEVERS.items():
        sub = df[df.lever == lever]
        for k in (*BASE, direct):
            row = {"lever": lever, "metric": k}
            for regime in REGIMES:
                s = slope_sign(sub, regime, k)
                row[regime] = f"{s['from']:.3f} → {s['to']:.3f}" + ("" if s["apart"] else " (CIs overlap)")
            rows.append(row)
    r.add(
        "dose",
        f"Dose-response: first → last grid value, mean over {len(seeds)} seeds × {steps} steps "
        f"(warm-up {warmup}); full grid in dose.csv",
        df,
        pd.DataFrame(rows),
    )


def bystander_section(r) -> None:
    """Section 6's bystander figure and table (``--only bystanders`` reruns it alone)."""
    seeds, steps, warmup = _plan(r)
    by = bystanders(
        degrees=(2, 4, 8, 16, 32, 58) if not r.quick else (2, 8, 32),
        seeds=seeds,
        steps=steps,
        warmup=warmup,
        jobs=r.jobs,
    )
    opaque = bystanders(
        degrees=tuple(int(k) for k in by.degree.unique()),  # plain ints: the config checks types
        diffusion=(1.0,),
        seeds=seeds,
        steps=steps,
        warmup=warmup,
        jobs=r.jobs,
        **{"organization.transparency": 0.0},
    )
    both = pd.concat([by.assign(transparency=0.5), opaque.assign(transparency=0.0)], ignore_index=True)
    bystander_figure(both, r.out / "bystanders.png")
    shown = pd.DataFrame(
        {
            "diffusion": both.diffusion,
            "transparency": both.transparency,
            "people who see a task": both.seen_by,
            **{
                k: [f"{m:.3f} [{lo:.3f}, {hi:.3f}]" for m, lo, hi in zip(both[k], both[k + "_lo"], both[k + "_hi"])]
                for k in BYSTANDER_KEYS[:4]
            },
        }
    )
    r.add(
        "bystanders",
        f"Diffusion of responsibility against the number who see a task ({len(seeds)} seeds × "
        f"{steps} steps, distributed, clarity 0)",
        both,
        shown,
    )
