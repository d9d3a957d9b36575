"""Does the calibration find parameters it knows? A parameter-recovery (coverage) study.

Each replicate draws true parameter values from the priors, simulates the targets at
them (mean over ``seeds`` runs; the observation's sd is the spread between those runs,
so the targets are as noisy as a real observation of one organisation would be),
calibrates against them, and records whether each true value lies inside its 95 %
credible interval. With a calibrated method the share is about 0.95; ABC with a
threshold above zero is conservative (wider intervals, share near 1); a share well
below 0.95 means overconfident intervals.

    python -m simulation.calibration.recovery --replicates 20 --out outputs/recovery

The small version runs in the test suite (tests/validation/test_calibration.py); the fuller one is
reported in experiments/calibration_recovery.md.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from ..runner import simulate
from .plots import coverage
from .spec import Spec, base_configs, configure

#: Defaults: two parameters the targets identify, in a fast base run.
PRIORS = {"workload.arrival_rate": (0.5, 3.0, False), "organization.clarity": (0.0, 1.0, False)}
METRICS = ("throughput", "conflict_rate", "success_rate")
OVERRIDES = ["organization=team", "steps=200", "warmup=50"]


def observe(base, truth: dict, priors: dict, metrics, seeds: int, seed: int) -> dict:
    """Targets at ``truth``: mean and sd (floored) of each metric over ``seeds`` runs."""
    runs = [simulate(configure(base, truth, seed * 1000 + s, priors), progress=False).metrics for s in range(seeds)]
    out = {}
    for m in metrics:
        x = np.array([r[m] for r in runs], dtype=float)
        out[m] = (float(x.mean()), float(max(x.std(ddof=1), 0.02 * max(abs(x.mean()), 0.05))))
    return out


def study(
    replicates: int,
    *,
    population=40,
    generations=3,
    seeds=5,
    cores=None,
    seed=0,
    out=None,
    priors=None,
    metrics=METRICS,
    overrides=OVERRIDES,
    log=print,
) -> pd.DataFrame:
    """One row per (replicate, parameter): truth, median, interval, whether it is covered."""
    from .run import calibrate

    priors = priors or PRIORS
    rng = np.random.default_rng(seed)
    base = base_configs(Spec({}, priors, list(overrides)))[None]
    rows = []
    work = Path(out) if out else Path(tempfile.mkdtemp(prefix="leadsim-recovery-"))
    try:
        for r in range(replicates):
            truth = {k: float(rng.uniform(lo, hi)) for k, (lo, hi, _) in priors.items()}
            targets = observe(base, truth, priors, metrics, seeds, seed * 100 + r)
            spec = Spec(targets, dict(priors), list(overrides))
            spec.abc.update(population=population, generations=generations, predictive=0, compare=0)
            res = calibrate(spec, work / f"replicate_{r:03d}", cores=cores, compare=False, log=lambda s: None)
            hit = coverage(res.posterior, truth)
            for _, row in res.summary.iterrows():
                k = row.parameter
                rows.append(
                    {
                        "replicate": r,
                        "parameter": k,
                        "truth": truth[k],
                        "median": row["median"],
                        "ci_low": row.ci_low,
                        "ci_high": row.ci_high,
                        "covered": hit[k],
                        "generations": len(res.generations),
                        "epsilon": res.generations.epsilon.iloc[-1],
                    }
                )
            log(f"replicate {r + 1}/{replicates}: " + ", ".join(f"{k} {'in' if v else 'OUT'}" for k, v in hit.items()))
    finally:
        if out is None:
            shutil.rmtree(work, ignore_errors=True)
    return pd.DataFrame(rows)


def main(argv=None) -> None:
    p = argparse.ArgumentParser(prog="python -m simulation.calibration.recovery", description=__doc__.split("\n\n")[0])
    p.add_argument("--replicates", type=int, default=20)
    p.add_argument("--population", type=int, default=100)
    p.add_argument("--generations", type=int, default=5)
    p.add_argument("--seeds", type=int, default=5, help="runs averaged into each synthetic observation")
    p.add_argument("--cores", type=int, default=None)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default="outputs/recovery")
    a = p.parse_args(argv)
    df = study(
        a.replicates,
        population=a.population,
        generations=a.generations,
        seeds=a.seeds,
        cores=a.cores,
        seed=a.seed,
        out=a.out,
    )
    Path(a.out).mkdir(parents=True, exist_ok=True)
    df.to_csv(Path(a.out) / "recovery.csv", index=False)
    cov = df.groupby("parameter").covered.agg(["mean", "sum", "count"])
    width = (df.ci_high - df.ci_low).groupby(df.parameter).mean()
    print(cov.assign(mean_interval_width=width).to_string())
    print(f"outputs: {a.out}/recovery.csv")


if __name__ == "__main__":  # pragma: no cover
    main()
