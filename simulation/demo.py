"""The headline demo: the three regimes at default settings over several seeds.

``leadsim-demo`` prints a table of means with 95 % confidence intervals and writes a
figure; the same seeds serve every regime (common random numbers).
"""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

import pandas as pd

from .config import REGIMES

SHOWN = {  # metric -> (label, unit)
    "throughput": ("Throughput", "tasks / step"),
    "owner_wait_mean": ("Wait for an owner", "steps"),
    "lead_time_mean": ("Lead time", "steps"),
    "success_rate": ("Success rate", "share"),
    "role_ambiguity": ("Role ambiguity", "share of tasks"),
    "conflict_rate": ("Conflicts", "per task"),
    "workload_gini": ("Workload inequality", "Gini"),
    "engagement_mean": ("Engagement", "0-1"),
}


def _one(cfg, regime: str, seed: int) -> dict:
    from .runner import simulate

    c = dataclasses.replace(cfg, seed=seed, coordination=dataclasses.replace(cfg.coordination, name=regime))
    return {"regime": regime, "seed": seed, **simulate(c, progress=False).metrics}


def run_demo(seeds: int = 10, jobs: int = -1, overrides=()) -> pd.DataFrame:
    from joblib import Parallel, delayed

    from .hydra_config import compose_config

    cfg = compose_config(list(overrides))
    rows = Parallel(n_jobs=jobs)(delayed(_one)(cfg, r, s) for r in REGIMES for s in range(seeds))
    return pd.DataFrame(rows)


def summary_table(df: pd.DataFrame) -> pd.DataFrame:
    from .stats import mean_ci

    out = {}
    for regime, g in df.groupby("regime", sort=False):
        out[regime] = {SHOWN[k][0]: f"{m:.3f} ± {(hi - lo) / 2:.3f}" for k in SHOWN for m, lo, hi in [mean_ci(g[k])]}
    return pd.DataFrame(out)


def plot(df: pd.DataFrame, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from .stats import mean_ci

    fig, axes = plt.subplots(2, 4, figsize=(13, 6), constrained_layout=True)
    colors = {"delegation": "#1f77b4", "distributed": "#ff7f0e", "hybrid": "#2ca02c"}
    for ax, (key, (label, unit)) in zip(axes.flat, SHOWN.items()):
        for i, regime in enumerate(REGIMES):
            m, lo, hi = mean_ci(df.loc[df.regime == regime, key])
            ax.bar(i, m, color=colors[regime], yerr=[[m - lo], [hi - m]], capsize=4)
        ax.set_xticks(range(len(REGIMES)), REGIMES, rotation=20)
        ax.set_title(label)
        ax.set_ylabel(unit)
    n = df.seed.nunique()
    fig.suptitle(f"Delegation, distributed and hybrid leadership at default settings (mean and 95 % CI over {n} seeds)")
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main(argv=None) -> None:
    p = argparse.ArgumentParser(prog="leadsim-demo", description=__doc__.splitlines()[0])
    p.add_argument(
        "--seeds", type=int, default=20, help="replicates per regime (default 20, docs/validation.md section 4)"
    )
    p.add_argument("--jobs", type=int, default=-1, help="parallel processes (default: all cores)")
    p.add_argument("--out", default="outputs/demo", help="folder for the table and figure")
    p.add_argument("overrides", nargs="*", help="Hydra overrides, e.g. organization=team")
    a = p.parse_args(argv)
    if a.seeds < 2:
        p.error("--seeds: must be at least 2 (a confidence interval needs two replicates)")
    from .config import ConfigError

    try:
        df = run_demo(a.seeds, a.jobs, a.overrides)
    except ConfigError as exc:
        p.exit(2, f"leadsim-demo: error: {exc}\n")
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    table = summary_table(df)
    print(f"Mean ± half-width of the 95 % CI over {a.seeds} seeds (same seeds for every regime):\n")
    print(table.to_string())
    df.to_csv(out / "runs.csv", index=False)
    table.to_csv(out / "summary.csv")
    plot(df, out / "headline.png")
    print(f"\nfigure: {out / 'headline.png'}   table: {out / 'summary.csv'}   runs: {out / 'runs.csv'}")


if __name__ == "__main__":  # pragma: no cover
    main()
