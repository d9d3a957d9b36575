"""How many replicates, how long a warm-up.

Replicates: the coefficient of variation (CV) of each metric over the first ``n``
replicates, as ``n`` grows, after Lorscheid, Heine & Meyer (2012): the number of runs
is enough when the CV stops changing (here: every later change ``|CV_n - CV_{n-1}|``
stays below ``E_lim``). We add the precision view: the ``n`` at which the 95 %
confidence interval's half-width falls below 5 % of the mean.

Warm-up: MSER-5 (White 1997; White, Cobb & Spratt 2000), which truncates the start of
a series where the mean squared error of the remaining batch means is smallest,
applied to each replicate and to the replicates' mean series (as in Welch's method,
whose moving average is drawn in the report's figure).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from .runs import config, replicate

#: Metrics whose stability we check (the demo's and the main state variables).
MAIN_METRICS = (
    "throughput",
    "lead_time_mean",
    "owner_wait_mean",
    "success_rate",
    "role_ambiguity",
    "conflict_rate",
    "workload_gini",
    "engagement_mean",
    "trust_mean",
    "wip_mean",
    "lead_time_lower_bound",
    "claims_per_task",
    "backlog_mean",
    "rework_rate",
)
#: The package defaults the replicate analysis measures (Model 2: 600 steps, warm-up a third).
DEFAULT_STEPS, DEFAULT_WARMUP = 600, 200
SERIES = ("wip", "engagement_mean", "trust_mean")


def replicate_metrics(regime: str, n: int, jobs: int = 1, **overrides) -> pd.DataFrame:
    """``n`` replicates (seeds 0..n-1) of the default run (600 steps, warm-up 200) under ``regime``."""
    cfg = config({"coordination.name": regime, "steps": DEFAULT_STEPS, "warmup": DEFAULT_WARMUP, **overrides})
    rows = replicate(lambda m: m.metrics(), cfg, range(n), jobs)
    return pd.DataFrame(rows)


def cv_curve(x) -> np.ndarray:
    """CV over the first ``n`` values for ``n = 1 .. len(x)`` (NaN for ``n = 1`` or a zero mean)."""
    x = np.asarray(x, dtype=float)
    out = np.full(len(x), np.nan)
    for n in range(2, len(x) + 1):
        m = x[:n].mean()
        if abs(m) > 1e-12:
            out[n - 1] = x[:n].std(ddof=1) / abs(m)
    return out


def stable_from(cv: np.ndarray, e_lim: float = 0.01) -> int | None:
    """Smallest ``n`` from which every later change of the CV is at most ``e_lim``."""
    change = np.abs(np.diff(cv))  # change[k] = |CV_{k+2} - CV_{k+1}|
    if np.isnan(change).all():
        return None
    bad = np.flatnonzero(~(change <= e_lim))
    return int(bad[-1] + 2) if len(bad) else 2


def n_for_precision(x, rel: float = 0.05, level: float = 0.95) -> int | None:
    """Replicates needed for a CI half-width of ``rel`` times the mean (from all ``x``)."""
    x = np.asarray(x, dtype=float)
    m, s = x.mean(), x.std(ddof=1)
    if abs(m) < 1e-12:
        return None
    n = 2
    while n < 10_000:
        if stats.t.ppf(0.5 + level / 2, n - 1) * s / np.sqrt(n) <= rel * abs(m):
            return n
        n += 1
    return None


def cv_table(frames: dict[str, pd.DataFrame], metrics=MAIN_METRICS, e_lim: float = 0.01) -> pd.DataFrame:
    """Per regime and metric: CV with all replicates, where it stabilises, n for 5 % precision."""
    rows = []
    for regime, df in frames.items():
        for k in metrics:
            if abs(df[k].mean()) < 1e-3:  # (almost) always 0, e.g. conflicts under delegation
                rows.append(
                    {
                        "regime": regime,
                        "metric": k,
                        "mean": float(df[k].mean()),
                        "cv": np.nan,
                        "stable_from": np.nan,
                        "n_5pct": np.nan,
                    }
                )
                continue
            cv = cv_curve(df[k])
            rows.append(
                {
                    "regime": regime,
                    "metric": k,
                    "mean": float(df[k].mean()),
                    "cv": float(cv[-1]),
                    "stable_from": stable_from(cv, e_lim),
                    "n_5pct": n_for_precision(df[k]),
                }
            )
    return pd.DataFrame(rows)


# --------------------------------------------------------------------- warm-up
def mser(x, batch: int = 5) -> tuple[int, bool]:
    """MSER-``batch`` truncation point in steps, and whether it is trustworthy.

    Batch means ``Y_1..Y_k``; ``d*`` minimises ``sum_{j>d} (Y_j - mean_{j>d})^2 / (k-d)^2``
    over ``d < k/2``. A minimum at the edge of the search (the second half of the
    series) means the series has not left its transient within the run.
    """
    x = np.asarray(x, dtype=float)
    k = len(x) // batch
    y = x[: k * batch].reshape(k, batch).mean(axis=1)
    # Sums over the tail y[d:], for every d, by reverse cumulative sums.
    s1 = np.cumsum(y[::-1])[::-1]
    s2 = np.cumsum((y**2)[::-1])[::-1]
    m = k - np.arange(k)
    sse = s2 - s1**2 / m
    d_max = k // 2
    score = sse[:d_max] / m[:d_max] ** 2
    d = int(np.argmin(score))
    return d * batch, d < d_max - max(2, d_max // 20)


def warmup_runs(regime: str, n: int = 10, steps: int = 3000, jobs: int = 1, **overrides) -> dict[str, np.ndarray]:
    """Time series (replicate x step) of ``SERIES`` in long runs (no warm-up cut)."""
    cfg = config({"coordination.name": regime, "steps": steps, "warmup": 0, **overrides})
    frames = replicate(lambda m: m.timeseries[list(SERIES)].to_numpy(), cfg, range(n), jobs)
    a = np.stack(frames)  # (replicate, step, series)
    return {s: a[:, :, i] for i, s in enumerate(SERIES)}


def warmup_table(series: dict[str, dict[str, np.ndarray]]) -> pd.DataFrame:
    """MSER-5 per regime and series: on the replicates' mean, and per replicate."""
    rows = []
    for regime, by_name in series.items():
        for name, a in by_name.items():
            d_mean, ok_mean = mser(a.mean(axis=0))
            per = [mser(r) for r in a]
            rows.append(
                {
                    "regime": regime,
                    "series": name,
                    "steps": a.shape[1],
                    "mser_mean_series": d_mean,
                    "settled": ok_mean,
                    "within_1pct": within(a, 0.01),
                    "mser_median": float(np.median([d for d, _ in per])),
                    "mser_max": int(max(d for d, _ in per)),
                    "unsettled_replicates": int(sum(not ok for _, ok in per)),
                }
            )
    return pd.DataFrame(rows)


def within(a: np.ndarray, tol: float, late: int = 500) -> int | None:
    """First step after which Welch's average stays within ``tol`` (relative) of the
    level of the last ``late`` steps; None if it never does before them."""
    y = welch(a)
    level = y[-late:].mean()
    off = np.abs(y[:-late] - level) > tol * abs(level)
    if not off.any():
        return 0
    last = int(np.flatnonzero(off)[-1]) + 1
    return last + 1 if last < len(y) - late else None


def welch(a: np.ndarray, window: int = 50) -> np.ndarray:
    """Welch's moving average of the replicates' mean series (centred, shrinking at the start)."""
    y = a.mean(axis=0)
    out = np.empty_like(y)
    for i in range(len(y)):
        w = min(window, i)
        out[i] = y[max(0, i - w) : i + w + 1].mean()
    return out
