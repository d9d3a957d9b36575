"""What the posterior says: posterior-predictive checks and the regimes compared.

Both run the model at posterior draws (resampled by weight from a seeded generator)
through the same door as the calibration, so they are reproducible from the posterior
and ``abc.seed``. The regime comparison runs delegation, distributed leadership and
the facilitating leader (hybrid) at each draw with the same seed (common random
numbers: the same organisation and tasks), so each difference is paired; its median
and 95 % interval over draws carry the parameters' uncertainty and the run's noise.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..config import REGIMES
from ..runner import simulate
from .abc import resample
from .spec import Spec, configure

#: Metrics always compared across regimes (the targets are added).
HEADLINE = (
    "throughput",
    "lead_time_mean",
    "success_rate",
    "role_ambiguity",
    "conflict_rate",
    "unowned_share",
    "workload_gini",
    "engagement_mean",
    "trust_mean",
)
PAIRS = (("distributed", "delegation"), ("hybrid", "delegation"), ("hybrid", "distributed"))


def _one(job):
    cfg, keep = job
    m = simulate(cfg, progress=False).metrics
    return {k: m[k] for k in keep}


def run_many(cfgs: list, keep: list[str], cores: int | None = None, dask: str | None = None) -> list[dict]:
    """Metrics ``keep`` of every config, in order, on all cores (or a Dask cluster)."""
    jobs = [(c, keep) for c in cfgs]
    if dask:
        from distributed import Client

        with Client(dask) as client:
            return client.gather(client.map(_one, jobs, pure=False))
    from joblib import Parallel, delayed

    n = cores or -1
    if n == 1 or len(jobs) < 4:
        return [_one(j) for j in jobs]
    return Parallel(n_jobs=n, batch_size="auto")(delayed(_one)(j) for j in jobs)


def predictive(post: pd.DataFrame, spec: Spec, base, cores=None, dask=None) -> pd.DataFrame:
    """One run per posterior draw: the draw's parameters and the simulated targets."""
    n, seed = spec.abc["predictive"], spec.abc["seed"]
    if n == 0:
        return pd.DataFrame()
    draws = resample(post, n, seed)
    seeds = np.random.default_rng([seed, 1]).integers(0, 2**31 - 1, n)
    cfgs = [configure(base, row, int(s), spec.priors) for row, s in zip(draws.to_dict("records"), seeds)]
    sims = pd.DataFrame(run_many(cfgs, list(spec.targets), cores, dask))
    return pd.concat([pd.DataFrame({"draw": range(n), "seed": seeds}), draws, sims], axis=1)


def predictive_summary(pred: pd.DataFrame, spec: Spec) -> pd.DataFrame:
    """Per target: observed value and sd, simulated median and 95 % interval, and the share
    of simulated values below the observation (near 0 or 1: the model cannot reproduce it)."""
    rows = []
    for k, (value, sd) in spec.targets.items():
        x = pred[k].dropna().to_numpy()
        q = np.quantile(x, [0.025, 0.5, 0.975]) if len(x) else [np.nan] * 3
        rows.append(
            {
                "target": k,
                "observed": value,
                "sd": sd,
                "sim_median": q[1],
                "sim_low": q[0],
                "sim_high": q[2],
                "share_below": float(np.mean(x < value)) if len(x) else np.nan,
                "within_2sd": float(np.mean(np.abs(x - value) <= 2 * sd)) if len(x) else np.nan,
            }
        )
    return pd.DataFrame(rows)


def compare_regimes(post: pd.DataFrame, spec: Spec, bases: dict, cores=None, dask=None, metrics=None) -> pd.DataFrame:
    """Every regime at the same posterior draws and seeds: one row per (draw, regime)."""
    n, seed = spec.abc["compare"], spec.abc["seed"]
    keep = list(dict.fromkeys([*(metrics or HEADLINE), *spec.targets]))
    draws = resample(post, n, seed + 1)
    seeds = np.random.default_rng([seed, 2]).integers(0, 2**31 - 1, n)
    rows, cfgs = [], []
    for d, (row, s) in enumerate(zip(draws.to_dict("records"), seeds)):
        for r in REGIMES:
            cfgs.append(configure(bases[r], row, int(s), spec.priors))
            rows.append({"draw": d, "regime": r, "seed": int(s), **row})
    sims = run_many(cfgs, keep, cores, dask)
    return pd.DataFrame([{**a, **b} for a, b in zip(rows, sims)])


def regime_summary(runs: pd.DataFrame, metrics=None) -> pd.DataFrame:
    """Per metric: each regime's median and 95 % interval, and each paired difference's
    median, 95 % interval and the share of draws in which it is positive."""
    keep = [
        m
        for m in (metrics or runs.columns)
        if m in runs.columns and m not in ("draw", "regime", "seed") and "." not in m
    ]
    wide = runs.pivot(index="draw", columns="regime", values=keep)
    out = []
    for m in keep:
        for r in REGIMES:
            x = wide[(m, r)].dropna().to_numpy()
            out.append(_row(m, r, x))
        for a, b in PAIRS:
            x = (wide[(m, a)] - wide[(m, b)]).dropna().to_numpy()
            out.append({**_row(m, f"{a} - {b}", x), "share_positive": float(np.mean(x > 0)) if len(x) else np.nan})
    return pd.DataFrame(out)


def _row(metric, what, x) -> dict:
    q = np.quantile(x, [0.025, 0.5, 0.975]) if len(x) else [np.nan] * 3
    return {"metric": metric, "regime": what, "median": q[1], "ci_low": q[0], "ci_high": q[2], "n": len(x)}
