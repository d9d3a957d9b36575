"""Figures of a calibration: marginal posteriors, posterior-predictive checks, regimes."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from .abc import weighted_quantile


def _grid(n: int, width: float = 3.6, height: float = 2.8):
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    cols = min(3, max(1, n))
    rows = math.ceil(max(1, n) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(width * cols, height * rows), squeeze=False)
    for ax in axes.flat[n:]:
        ax.set_visible(False)
    return fig, list(axes.flat[:n])


def _legend(fig, ax) -> None:
    """One legend for the figure, below the panels (every panel shows the same series)."""
    handles, labels = ax.get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=len(labels), fontsize=8, frameon=False)
    fig.tight_layout(rect=(0, 0.07, 1, 1))


def posterior_figure(post: pd.DataFrame, summary: pd.DataFrame, truth: dict | None = None):
    """Weighted histogram of each parameter over its prior range, with median and 95 % interval."""
    fig, axes = _grid(len(summary))
    for ax, row in zip(axes, summary.itertuples()):
        x, w = post[row.parameter].to_numpy(), post.weight.to_numpy()
        ax.hist(
            x,
            bins=20,
            range=(row.prior_low, row.prior_high),
            weights=w,
            density=True,
            color="tab:blue",
            alpha=0.6,
            label="posterior",
        )
        ax.axhline(1 / (row.prior_high - row.prior_low), color="grey", ls=":", label="prior")
        ax.axvline(row.median, color="tab:blue", label="median")
        ax.axvspan(row.ci_low, row.ci_high, color="tab:blue", alpha=0.1, label="95 % interval")
        if truth and row.parameter in truth:
            ax.axvline(truth[row.parameter], color="tab:red", ls="--", label="true value")
        ax.set(title=row.parameter, xlabel=f"{row.parameter} (parameter value)", ylabel="density (1 / unit)")
    _legend(fig, axes[0])
    fig.suptitle("Marginal posteriors (ABC-SMC, last generation)")
    return fig


def predictive_figure(pred: pd.DataFrame, targets: dict):
    """Simulated distribution of each target at posterior draws vs the observation ± sd."""
    fig, axes = _grid(len(targets))
    for ax, (k, (value, sd)) in zip(axes, targets.items()):
        x = pred[k].dropna().to_numpy()
        if len(x):
            ax.hist(x, bins=20, color="tab:green", alpha=0.6, label="simulated (posterior draws)")
        ax.axvline(value, color="black", label="observed")
        ax.axvspan(value - sd, value + sd, color="black", alpha=0.1, label="observed ± sd")
        ax.set(title=k, xlabel=f"{k} (metric value)", ylabel="runs (count)")
    _legend(fig, axes[0])
    fig.suptitle("Posterior-predictive check: observed targets vs simulated")
    return fig


def regimes_figure(table: pd.DataFrame, metrics=None):
    """Paired differences between regimes with 95 % intervals, one panel per metric."""
    diffs = table[table.regime.str.contains(" - ")]
    metrics = [m for m in (metrics or diffs.metric.unique()) if m in set(diffs.metric)]
    fig, axes = _grid(len(metrics), width=4.2, height=2.4)
    for ax, m in zip(axes, metrics):
        d = diffs[diffs.metric == m].reset_index(drop=True)
        y = np.arange(len(d))
        ax.errorbar(
            d["median"],
            y,
            xerr=[d["median"] - d.ci_low, d.ci_high - d["median"]],
            fmt="o",
            color="tab:purple",
            capsize=3,
        )
        ax.axvline(0, color="grey", lw=0.8)
        ax.set_yticks(y, d.regime)
        ax.set(title=m, xlabel="difference (metric units)", ylabel="comparison")
    fig.suptitle("Regimes compared under the calibrated parameters (median, 95 % interval)")
    fig.tight_layout()
    return fig


def coverage(post: pd.DataFrame, truth: dict, level: float = 0.95) -> dict:
    """Whether each true value lies inside the central ``level`` credible interval."""
    a = (1 - level) / 2
    out = {}
    for k, v in truth.items():
        lo, hi = weighted_quantile(post[k], post.weight, [a, 1 - a])
        out[k] = bool(lo <= v <= hi)
    return out
