"""Figures of a sweep, as PNG and PDF in ``SWEEP_DIR/figures``.

- only regimes (and seeds) vary: ``overview`` — bars with 95 % CIs per metric;
- a parameter is swept: ``overview_<param>`` and ``<metric>_vs_<param>`` — each metric
  against the parameter, one line per regime, 95 % Student-t CI bands (averaged over the
  other swept parameters, if any, as the title says);
- exactly two parameters are swept: ``heatmap_<metric>`` — the mean per regime over the
  grid, and each regime minus the baseline regime, paired by seed.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from ..config import REGIMES
from ..stats import mean_ci

REGIME = "coordination.name"

#: The metrics plotted by default.
MAIN = (
    "throughput",
    "owner_wait_mean",
    "lead_time_mean",
    "success_rate",
    "role_ambiguity",
    "conflict_rate",
    "leader_utilization",
    "workload_gini",
    "engagement_mean",
)

#: metric -> (label, unit)
METRIC_INFO = {
    "throughput": ("Throughput", "tasks / step"),
    "lead_time_mean": ("Lead time", "steps"),
    "lead_time_p90": ("Lead time, 90th percentile", "steps"),
    "owner_wait_mean": ("Wait for an owner", "steps"),
    "success_rate": ("Success rate", "share of finished tasks"),
    "role_ambiguity": ("Role ambiguity", "share of tasks"),
    "contested_share": ("Contested tasks", "share of tasks"),
    "unowned_share": ("Unowned tasks", "share of tasks"),
    "conflict_rate": ("Conflicts", "per task"),
    "leader_utilization": ("Leader utilisation", "share of capacity"),
    "workload_gini": ("Workload inequality", "Gini"),
    "role_fluidity": ("Role fluidity", "share of people"),
    "engagement_mean": ("Engagement", "0-1"),
    "competence_gain": ("Competence gain", "competence, 0-1 scale"),
    "competence_gain_gini": ("Inequality of competence gain", "Gini"),
    "trust_mean": ("Trust between colleagues", "0-1"),
    "trust_leader_mean": ("Trust in the leader", "0-1"),
    "wip_mean": ("Work in progress", "tasks"),
    "leader_queue_mean": ("Leader's queue", "tasks"),
    "escalation_rate": ("Escalations", "share of tasks"),
    "overload_share": ("Overloaded people", "share of people"),
    "tasks_arrived": ("Tasks arrived", "tasks"),
    "tasks_completed": ("Tasks completed", "tasks"),
    "tasks_failed": ("Tasks failed", "tasks"),
    "tasks_open": ("Tasks open at the end", "tasks"),
}

#: parameter -> unit (parameters not listed are probabilities or levels on a 0-1 scale)
PARAM_UNITS = {
    "workload.arrival_rate": "tasks / step",
    "workload.effort": "work units per task",
    "workload.coordination_cost": "work units per extra member",
    "workload.success_slope": "per unit of fit",
    "organization.size": "people",
    "organization.degree": "ties per person",
    "organization.team_size": "people",
    "organization.leader_capacity": "decisions / step",
    "people.domains": "skill domains",
    "people.capacity": "tasks at once",
    "people.learning_rate": "share of gap per task",
    "culture.trust_loss_ratio": "loss / gain",
    "coordination.patience": "steps",
    "coordination.conflict_cost": "steps",
    "seed": "",
    "steps": "steps",
    "warmup": "steps",
    "record_every": "steps",
}
COLORS = {"delegation": "#1f77b4", "distributed": "#ff7f0e", "hybrid": "#2ca02c"}


def metric_label(m: str) -> str:
    label, unit = METRIC_INFO.get(m, (m, ""))
    return f"{label} ({unit})" if unit else label


def param_label(p: str) -> str:
    if "." not in p and p not in PARAM_UNITS:
        return f"{p} (config option)"
    unit = PARAM_UNITS.get(p, "0-1")
    return f"{p} ({unit})" if unit else p


def _fmt(v: float) -> str:
    """A cell label: two significant digits, without scientific notation."""
    return f"{v:.0f}" if abs(v) >= 10 else f"{v:.1f}" if abs(v) >= 1 else f"{v:.2g}"


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]+", "_", name)


def _levels(values: pd.Series) -> list:
    """The values of a swept dimension in plotting order."""
    uniq = list(dict.fromkeys(values.dropna()))
    return sorted(uniq) if all(isinstance(v, (int, float, np.number)) for v in uniq) else uniq


def _numeric(levels: list) -> bool:
    return all(isinstance(v, (int, float, np.number)) and not isinstance(v, bool) for v in levels)


def _regimes(ok: pd.DataFrame) -> list[str]:
    present = list(dict.fromkeys(ok[REGIME])) if REGIME in ok else ["all"]
    return [r for r in REGIMES if r in present] + [r for r in present if r not in REGIMES]


def _rows(ok: pd.DataFrame, regime: str) -> pd.DataFrame:
    return ok[ok[REGIME] == regime] if REGIME in ok else ok


def _line_panel(ax, ok, dim, metric, regimes, levels) -> None:
    numeric = _numeric(levels)
    for regime in regimes:
        sub = _rows(ok, regime)
        stats = [mean_ci(sub.loc[sub[dim] == v, metric]) for v in levels]
        mean, lo, hi = (np.array(s) for s in zip(*stats))
        x = np.asarray(levels, dtype=float) if numeric else np.arange(len(levels))
        ax.plot(x, mean, marker="o", ms=3, color=COLORS.get(regime), label=regime)
        ax.fill_between(x, lo, hi, color=COLORS.get(regime), alpha=0.2, linewidth=0)
    if not numeric:
        ax.set_xticks(np.arange(len(levels)), [str(v) for v in levels], rotation=20)
    ax.set_xlabel(param_label(dim))
    ax.set_ylabel(metric_label(metric))
    ax.set_title(METRIC_INFO.get(metric, (metric,))[0])
    ax.grid(alpha=0.3)


def _bar_panel(ax, ok, metric, regimes) -> None:
    for i, regime in enumerate(regimes):
        m, lo, hi = mean_ci(_rows(ok, regime)[metric])
        err = [[m - lo], [hi - m]] if np.isfinite(lo) else None
        ax.bar(i, m, color=COLORS.get(regime), yerr=err, capsize=4, label=regime)
    ax.set_xticks(range(len(regimes)), regimes, rotation=20)
    ax.set_ylabel(metric_label(metric))
    ax.set_title(METRIC_INFO.get(metric, (metric,))[0])


def _save(fig, base: Path) -> list[Path]:
    """PNG, then PDF with the layout the PNG settled: constrained layout is computed
    once, not again for the PDF (~40 % of the PDF's time; its boxes then come from
    Agg's text metrics, which moves them by a fraction of a point)."""
    paths = [base.with_suffix(".png"), base.with_suffix(".pdf")]
    for i, p in enumerate(paths):
        tmp = p.with_name(f".{p.name}.tmp{p.suffix}")
        fig.savefig(tmp, dpi=100)
        tmp.replace(p)
        if i == 0:
            fig.set_layout_engine("none")  # keeps the axes where the layout put them
    return paths


def _grid(n: int):
    cols = min(n, 3)
    return (n + cols - 1) // cols, cols


def make_figures(
    df: pd.DataFrame, dims: list[str], out_dir: Path, metrics=None, baseline: str = "delegation"
) -> list[Path]:
    """Draw the sweep's figures into ``out_dir``; return the files written."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    ok = df[df.status == "ok"]
    metrics = [m for m in (metrics or MAIN) if m in ok and ok[m].notna().any()]
    regimes = _regimes(ok)
    seeds = ok["seed"].nunique() if "seed" in ok else 1
    dims = [d for d in dims if d in ok and ok[d].nunique() > 1]
    files: list[Path] = []
    if not metrics:
        return files

    if not dims:
        rows, cols = _grid(len(metrics))
        fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 3.4 * rows), constrained_layout=True, squeeze=False)
        for ax, m in zip(axes.flat, metrics):
            _bar_panel(ax, ok, m, regimes)
        for ax in list(axes.flat)[len(metrics) :]:
            ax.set_visible(False)
        fig.suptitle(f"Regimes compared (mean and 95 % CI over {seeds} seeds)")
        files += _save(fig, out_dir / "overview")
        plt.close(fig)
        return files

    for dim in dims:
        levels = _levels(ok[dim])
        others = [d for d in dims if d != dim]
        note = f"; averaged over {', '.join(others)}" if others else ""
        what = f"mean and 95 % CI over {seeds} seeds{note}"
        rows, cols = _grid(len(metrics))
        fig, axes = plt.subplots(rows, cols, figsize=(4.4 * cols, 3.4 * rows), constrained_layout=True, squeeze=False)
        for ax, m in zip(axes.flat, metrics):
            _line_panel(ax, ok, dim, m, regimes, levels)
        for ax in list(axes.flat)[len(metrics) :]:
            ax.set_visible(False)
        axes.flat[0].legend(title="regime", fontsize=8)
        fig.suptitle(f"Metrics against {dim} ({what})")
        files += _save(fig, out_dir / f"overview_{_safe(dim)}")
        plt.close(fig)
        for m in metrics:
            fig, ax = plt.subplots(figsize=(5.5, 4), constrained_layout=True)
            _line_panel(ax, ok, dim, m, regimes, levels)
            ax.legend(title="regime", fontsize=8)
            ax.set_title(f"{METRIC_INFO.get(m, (m,))[0]} against {dim}\n({what})", fontsize=10)
            files += _save(fig, out_dir / f"{_safe(m)}_vs_{_safe(dim)}")
            plt.close(fig)

    if len(dims) == 2:
        for m in metrics:
            files += _heatmap(plt, ok, dims, m, regimes, baseline, seeds, out_dir)
    return files


def _heatmap(plt, ok, dims, metric, regimes, baseline, seeds, out_dir) -> list[Path]:
    xd, yd = dims
    xs, ys = _levels(ok[xd]), _levels(ok[yd])

    def grid(frame):
        g = frame.groupby([yd, xd])[metric].mean()
        return np.array([[g.get((y, x), np.nan) for x in xs] for y in ys])

    def excludes_zero(frame):
        g = frame.groupby([yd, xd])[metric].apply(lambda v: mean_ci(v)[1] > 0 or mean_ci(v)[2] < 0)
        return np.array([[bool(g.get((y, x), False)) for x in xs] for y in ys])

    panels = [(regime, grid(_rows(ok, regime)), None) for regime in regimes]
    if baseline in regimes and REGIME in ok:
        base = ok[ok[REGIME] == baseline].set_index([yd, xd, "seed"])[metric]
        for regime in regimes:
            if regime != baseline:
                other = ok[ok[REGIME] == regime].set_index([yd, xd, "seed"])[metric]
                diff = (other - base).dropna().rename(metric).reset_index()
                panels.append(
                    (f"{regime} − {baseline}, paired by seed\n(*: 95 % CI excludes 0)", grid(diff), excludes_zero(diff))
                )
    n = len(panels)
    fig, axes = plt.subplots(1, n, figsize=(3.9 * n + 0.6, 3.8), constrained_layout=True, squeeze=False)
    plain = [p[1] for p in panels if p[2] is None]
    vmin = np.nanmin([np.nanmin(a) for a in plain]) if plain else None
    vmax = np.nanmax([np.nanmax(a) for a in plain]) if plain else None
    for ax, (title, a, sig) in zip(axes.flat, panels):
        is_diff = sig is not None
        if is_diff:
            lim = np.nanmax(np.abs(a)) or 1.0
            im = ax.imshow(a, origin="lower", aspect="auto", cmap="RdBu_r", vmin=-lim, vmax=lim)
        else:
            im = ax.imshow(a, origin="lower", aspect="auto", cmap="viridis", vmin=vmin, vmax=vmax)
        if a.size <= 64:
            for (i, j), v in np.ndenumerate(a):
                if np.isfinite(v):
                    shade = float(im.norm(v))  # dark text on light cells, light text on dark ones
                    light = abs(shade - 0.5) < 0.3 if is_diff else shade > 0.6
                    star = "*" if is_diff and sig[i, j] else ""
                    ax.text(
                        j,
                        i,
                        f"{_fmt(v)}{star}",
                        ha="center",
                        va="center",
                        fontsize=7,
                        color="black" if light else "white",
                    )
        ax.set_xticks(range(len(xs)), [f"{v:g}" if _numeric([v]) else str(v) for v in xs], fontsize=8)
        ax.set_yticks(range(len(ys)), [f"{v:g}" if _numeric([v]) else str(v) for v in ys], fontsize=8)
        ax.set_xlabel(param_label(xd))
        ax.set_ylabel(param_label(yd))
        ax.set_title(title, fontsize=10)
        fig.colorbar(
            im,
            ax=ax,
            label=metric_label(metric) if not is_diff else f"difference ({METRIC_INFO.get(metric, ('', ''))[1]})",
        )
    fig.suptitle(f"{METRIC_INFO.get(metric, (metric,))[0]} over {xd} × {yd} (mean of {seeds} seeds)")
    paths = _save(fig, out_dir / f"heatmap_{_safe(metric)}")
    plt.close(fig)
    return paths
