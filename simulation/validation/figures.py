"""Figures of docs/validation.md (small PNGs, matplotlib's Agg backend)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from . import queueing
from .replicates import welch

COLORS = {"delegation": "#1f77b4", "distributed": "#ff7f0e", "hybrid": "#2ca02c"}
DPI = 90


def _save(fig, path: Path) -> None:
    fig.savefig(path, dpi=DPI)
    plt.close(fig)


def queue_figure(waits: pd.DataFrame, rates: pd.DataFrame, growth: dict, path: Path) -> None:
    """(a) wait for an owner vs utilisation, (b) owners per step vs arrivals, (c) queue growth."""
    fig, ax = plt.subplots(1, 3, figsize=(13, 3.8), constrained_layout=True)
    for c, marker in ((3, "o"), (1, "s")):
        rho = np.linspace(0.02, 0.92, 60)
        ax[0].plot(
            rho,
            [queueing.mean_wait(r * c, c) for r in rho],
            "-",
            color="k" if c == 3 else "0.5",
            label=f"exact queue, c = {c}",
        )
        d = waits[waits.c == c]
        ax[0].errorbar(
            d.rho,
            d.wait,
            yerr=[d.wait - d.wait_lo, d.wait_hi - d.wait],
            fmt=marker,
            color=COLORS["delegation"],
            ms=4,
            capsize=3,
            label=f"model, c = {c} (95 % CI)",
        )
    ax[0].set(
        xlabel="utilisation ρ = λ / c", ylabel="mean wait for an owner (steps)", title="(a) wait: model vs exact queue"
    )
    ax[0].legend(fontsize=8)
    lam = np.linspace(0, rates.lam.max(), 100)
    ax[1].plot(lam, np.minimum(lam, 3), "k-", label="min(λ, c), c = 3")
    ax[1].errorbar(
        rates.lam,
        rates.starts,
        yerr=[rates.starts - rates.starts_lo, rates.starts_hi - rates.starts],
        fmt="o",
        color=COLORS["delegation"],
        ms=4,
        capsize=3,
        label="owners found per step",
    )
    ax[1].plot(rates.lam, rates.completions, "x", color="0.4", label="throughput (successes only)")
    ax[1].set(xlabel="arrival rate λ (tasks / step)", ylabel="tasks / step", title="(b) decision rate")
    ax[1].legend(fontsize=8)
    for lam_, series in growth.items():
        t = np.arange(1, len(series) + 1)
        (line,) = ax[2].plot(t, series, lw=1, label=f"λ = {lam_:g}")
        ax[2].plot(t, (lam_ - 3) * t, "--", color=line.get_color(), lw=0.8)
    ax[2].set(xlabel="step", ylabel="leader's queue", title="(c) λ > c: growth, slope λ − c (dashed)")
    ax[2].legend(fontsize=8)
    _save(fig, path)


def little_figure(runs: pd.DataFrame, path: Path) -> None:
    fig, ax = plt.subplots(figsize=(4.6, 4.2), constrained_layout=True)
    for setting, g in runs.groupby("setting", sort=False):
        regime = setting.split(",")[0]
        ax.plot(
            g.lamW,
            g.L,
            "o" if regime == setting else "s",
            ms=4,
            color=COLORS.get(regime, "0.3"),
            mfc=None if regime == setting else "none",
            label=setting,
        )
    lo, hi = runs[["L", "lamW"]].min().min(), runs[["L", "lamW"]].max().max()
    ax.plot([lo, hi], [lo, hi], "k-", lw=0.8, label="L = λW")
    ax.set(
        xlabel="λ × mean time in system W",
        ylabel="mean tasks in system L",
        title="Little's law, one point per replicate",
    )
    ax.legend(fontsize=7)
    _save(fig, path)


def gini_figure(table: pd.DataFrame, path: Path) -> None:
    fig, ax = plt.subplots(figsize=(5.5, 4), constrained_layout=True)
    for name, g in table.groupby("variant", sort=False):
        ax.errorbar(
            g.steps - g.warmup, g.gini, yerr=[g.gini - g.lo, g.hi - g.gini], marker="o", ms=4, capsize=3, label=name
        )
    g = table[table.variant == table.variant.iloc[0]]
    x = (g.steps - g.warmup).to_numpy(float)
    ax.plot(x, g.gini.iloc[0] * np.sqrt(x[0] / x), "k:", lw=1, label="∝ 1/√(run length)")
    ax.set(
        xscale="log",
        yscale="log",
        xlabel="steps after warm-up",
        ylabel="workload Gini",
        title="Identical people: workload inequality",
    )
    ax.set_xticks(x, [f"{v:g}" for v in x])
    ax.minorticks_off()
    ax.legend(fontsize=7)
    _save(fig, path)


def cv_figure(frames: dict, metrics, path: Path) -> None:
    from .replicates import cv_curve

    fig, ax = plt.subplots(1, len(frames), figsize=(4.2 * len(frames), 3.6), constrained_layout=True, sharey=True)
    colors = dict(zip(metrics, plt.get_cmap("tab20").colors))
    for a, (regime, df) in zip(np.atleast_1d(ax), frames.items()):
        for k in metrics:
            if abs(df[k].mean()) < 1e-3:  # (almost) always zero: no meaningful CV
                continue
            cv = cv_curve(df[k])
            a.plot(np.arange(1, len(cv) + 1), cv, lw=1, color=colors[k], label=k)
        a.axvline(20, color="0.6", ls=":", lw=1)
        a.set(xlabel="replicates n", title=regime)
    np.atleast_1d(ax)[0].set_ylabel("coefficient of variation over n runs")
    handles = [plt.Line2D([], [], color=colors[k], label=k) for k in metrics]
    np.atleast_1d(ax)[-1].legend(handles=handles, fontsize=6, ncol=2)
    _save(fig, path)


def warmup_figure(series: dict, table: pd.DataFrame, path: Path, warmup: int = 200, steps: int = 600) -> None:
    names = list(next(iter(series.values())).keys())
    fig, ax = plt.subplots(1, len(names), figsize=(4.3 * len(names), 3.5), constrained_layout=True)
    for a, name in zip(ax, names):
        for regime, by in series.items():
            y = welch(by[name])
            a.plot(np.arange(1, len(y) + 1), y, lw=1, color=COLORS[regime], label=regime)
            row = table[(table.regime == regime) & (table.series == name)].iloc[0]
            d = int(row.mser_mean_series)
            a.plot(d + 1, y[d], "v", color=COLORS[regime], ms=7)
        a.axvline(warmup, color="0.5", ls="--", lw=0.8)
        a.axvline(steps, color="0.5", ls=":", lw=0.8)
        a.set(xlabel="step", title=f"{name} (Welch moving average)")
    ax[0].legend(fontsize=8)
    fig.suptitle(
        f"▼ MSER-5 truncation point; dashed: default warm-up ({warmup}); dotted: default run end ({steps})", fontsize=9
    )
    _save(fig, path)


def interaction_figure(df: pd.DataFrame, path: Path) -> None:
    """One row of heat maps per metric, one column per load: distributed - delegation."""
    keys, lams = list(dict.fromkeys(df.metric)), sorted(df.arrival_rate.unique())
    fig, ax = plt.subplots(
        len(keys), len(lams), figsize=(4.3 * len(lams), 3.2 * len(keys)), constrained_layout=True, squeeze=False
    )
    for i, key in enumerate(keys):
        sub = df[df.metric == key]
        cmap = "RdBu_r" if "time" in key or "wait" in key else "RdBu"  # blue: distributed better
        for j, lam in enumerate(lams):
            a = ax[i, j]
            g = sub[sub.arrival_rate == lam].pivot(index="trust", columns="clarity", values="diff")
            vmax = float(np.abs(g.to_numpy()).max()) or 1.0  # each panel its own scale
            im = a.imshow(g.to_numpy(), origin="lower", cmap=cmap, vmin=-vmax, vmax=vmax, aspect="auto")
            fig.colorbar(im, ax=a, shrink=0.9)
            a.set_xticks(range(len(g.columns)), [f"{c:g}" for c in g.columns])
            a.set_yticks(range(len(g.index)), [f"{t:g}" for t in g.index])
            for (r, c), v in np.ndenumerate(g.to_numpy()):
                a.text(
                    c,
                    r,
                    f"{v:+.2f}",
                    ha="center",
                    va="center",
                    fontsize=8,
                    color="white" if abs(v) > 0.6 * vmax else "black",
                )
            a.set(xlabel="clarity", ylabel="trust", title=f"{key}, arrivals {lam:g}/step")
    fig.suptitle(
        "Claim 12: distributed − delegation; blue: distributed ahead, red: behind (each panel its own scale)",
        fontsize=10,
    )
    _save(fig, path)
