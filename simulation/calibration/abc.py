"""ABC-SMC with pyabc around leadsim's one door (:func:`simulation.runner.simulate`).

A particle is a set of parameter values; its summary statistics are the target metrics
of a run (the mean over ``replicates`` seeds). Its distance to the observations is the
root sum of squares of ``(simulated - observed) / sd``: each target counts in units of
its own uncertainty. pyabc's ABC-SMC lowers the acceptance threshold generation by
generation (median of the last distances) until it reaches ``min_epsilon`` (1: the
targets are matched to about their uncertainty; smaller would fit the noise),
``generations`` have run, or fewer than ``min_acceptance`` of the runs are accepted.

The history lives in ``calibration.db`` (SQLite) in the output folder, written at the
end of every generation, so a killed calibration continues from its last complete
generation when the same command is run again (``pyabc.ABCSMC.load``).
"""

from __future__ import annotations

import logging
import math
import os

import numpy as np
import pandas as pd

from ..runner import simulate
from .spec import Spec, UsageError, configure

DB = "calibration.db"


class LeadsimModel:
    """The simulator as pyabc sees it: parameters in, target metrics out (picklable)."""

    def __init__(self, base, spec: Spec):
        self.base, self.priors = base, spec.priors
        self.metrics, self.replicates = list(spec.targets), spec.abc["replicates"]

    def __call__(self, params) -> dict:
        values = {k: float(params[k]) for k in self.priors}
        seeds = np.random.randint(0, 2**31 - 1, self.replicates)  # noqa: NPY002 - pyabc seeds each worker's global state
        runs = []
        for s in seeds:
            try:
                runs.append(simulate(configure(self.base, values, int(s), self.priors), progress=False).metrics)
            except UsageError:  # a draw the model cannot run counts as far away
                return dict.fromkeys(self.metrics, math.nan)
        return {m: float(np.mean([r[m] for r in runs])) for m in self.metrics}


class ScaledDistance:
    """sqrt(sum(((x - x0) / sd)^2)) over the targets; a missing value is infinitely far."""

    def __init__(self, targets: dict):
        self.sd = {k: sd for k, (_, sd) in targets.items()}

    def __call__(self, x: dict, x0: dict) -> float:
        d = sum(((x[k] - x0[k]) / s) ** 2 for k, s in self.sd.items())
        return d**0.5 if math.isfinite(d) else math.inf


def prior(spec: Spec):
    import pyabc

    return pyabc.Distribution(**{k: pyabc.RV("uniform", lo, hi - lo) for k, (lo, hi, _) in spec.priors.items()})


def sampler(cores: int | None = None, dask: str | None = None):
    """All local cores by default; a running Dask scheduler (``tcp://host:8786``) on a cluster.
    With one core the calibration is reproducible from ``abc.seed`` (several processes
    hand back particles in the order they finish, so their runs differ)."""
    import pyabc

    if dask:
        from distributed import Client

        return pyabc.sampler.DaskDistributedSampler(dask_client=Client(dask), batch_size=4)
    n = cores or os.cpu_count() or 1
    if n == 1:
        return pyabc.sampler.SingleCoreSampler()
    return pyabc.sampler.MulticoreEvalParallelSampler(n_procs=n)


def run_abc(spec: Spec, base, out, *, cores=None, dask=None, log=print):
    """Start or continue the ABC-SMC run in ``out/calibration.db``; return its history."""
    import pyabc

    logging.getLogger("ABC").setLevel(logging.WARNING)
    abc = pyabc.ABCSMC(
        LeadsimModel(base, spec),
        prior(spec),
        ScaledDistance(spec.targets),
        population_size=spec.abc["population"],
        sampler=sampler(cores, dask),
    )
    db = "sqlite:///" + str((out / DB).resolve())
    observed = {k: v for k, (v, _) in spec.targets.items()}
    if (out / DB).is_file():
        h = abc.load(db, 1)
        done = h.max_t + 1
        log(f"continuing the calibration in {out} after {done} complete generation(s)")
    else:
        abc.new(db, observed, meta_info={"leadsim": "calibration"})
        done = 0
    left = spec.abc["generations"] - done
    if isinstance(abc.sampler, pyabc.sampler.SingleCoreSampler):
        # pyabc draws from NumPy's global generator (in run, not in new or load): seeded by
        # the generation it starts from, a run repeats, continued or not
        np.random.seed((spec.abc["seed"], done))  # noqa: NPY002 - pyabc's own random state
    if left > 0 and not _converged(abc.history, spec):
        abc.run(
            minimum_epsilon=spec.abc["min_epsilon"],
            max_nr_populations=left,
            min_acceptance_rate=spec.abc["min_acceptance"],
        )
    return abc.history


def _converged(history, spec: Spec) -> bool:
    """Whether a stored run already met a stopping rule other than the generation count."""
    if history.max_t < 0:
        return False
    pops = history.get_all_populations()
    last = pops[pops.t == history.max_t].iloc[0]
    rate = spec.abc["population"] / max(1, last.samples)
    return last.epsilon <= spec.abc["min_epsilon"] or rate < spec.abc["min_acceptance"]


def posterior(history) -> pd.DataFrame:
    """The last generation's particles: parameter columns, ``weight`` (sums to 1), ``generation``."""
    df, w = history.get_distribution(m=0, t=history.max_t)
    out = df.reset_index(drop=True)
    out.columns = [str(c) for c in out.columns]
    out["weight"] = np.asarray(w, dtype=float) / np.sum(w)
    out["generation"] = history.max_t
    return out


def generations(history) -> pd.DataFrame:
    """Per generation: threshold, accepted particles, runs, acceptance rate."""
    pops = history.get_all_populations()
    pops = pops[pops.t >= 0].rename(columns={"t": "generation", "particles": "accepted", "samples": "runs"})
    pops["acceptance"] = pops.accepted / pops.runs
    return pops[["generation", "epsilon", "accepted", "runs", "acceptance"]].reset_index(drop=True)


def weighted_quantile(values, weights, q) -> np.ndarray:
    """The smallest value whose weighted share at or below it reaches each ``q``
    (with equal weights, NumPy's ``inverted_cdf`` quantile)."""
    v, w = np.asarray(values, float), np.asarray(weights, float)
    order = np.argsort(v, kind="stable")
    v, cdf = v[order], np.cumsum(w[order]) / w.sum()
    idx = np.searchsorted(cdf, np.atleast_1d(q) - 1e-12, side="left")
    return v[np.minimum(idx, len(v) - 1)]


def summary(post: pd.DataFrame, spec: Spec) -> pd.DataFrame:
    """Per parameter: prior range, posterior median, 95 % credible interval, mean, sd."""
    rows = []
    for k, (lo, hi, is_int) in spec.priors.items():
        x, w = post[k].to_numpy(), post.weight.to_numpy()
        q = weighted_quantile(x, w, [0.025, 0.5, 0.975])
        mean = float(np.sum(w * x))
        rows.append(
            {
                "parameter": k,
                "prior_low": lo,
                "prior_high": hi,
                "median": q[1],
                "ci_low": q[0],
                "ci_high": q[2],
                "mean": mean,
                "sd": float(np.sqrt(np.sum(w * (x - mean) ** 2))),
                "integer": is_int,
            }
        )
    return pd.DataFrame(rows)


def resample(post: pd.DataFrame, n: int, seed: int) -> pd.DataFrame:
    """``n`` posterior draws (by weight, with replacement), reproducible from ``seed``."""
    rng = np.random.default_rng(seed)
    idx = rng.choice(len(post), size=n, replace=True, p=post.weight.to_numpy())
    return post.iloc[idx].drop(columns=["weight", "generation"]).reset_index(drop=True)
