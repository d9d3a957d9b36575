"""``SWEEP_DIR/README.md``: what every file of a sweep folder holds, written with the
report so that ``ema_*.csv`` or ``salib_problem.json`` never arrive unexplained."""

from __future__ import annotations

from pathlib import Path

from ..runner import _atomic_write

#: file or folder name -> what it holds (in the order shown)
ENTRIES = {
    "chunks/": "the runs, many per Parquet file (`runs-FIRST-LAST.parquet`: one row per run with its status, "
    "parameters, metrics, version and model-code hash; `*.ts.parquet`: time series, if stored). "
    "Read them with `pandas.read_parquet(SWEEP_DIR / 'results.parquet')` or "
    "`simulation.sweep.chunks.read_rows(SWEEP_DIR)`",
    "N/": "one folder per run (`N` = job number): `metrics.json`, `timeseries.csv`, `config.yaml`, `status.json`",
    "results.parquet": "one row per run: status, group choices, every resolved parameter, every metric",
    "results.csv": "the same table as CSV (sweeps of up to 10,000 runs)",
    "summary.csv": "per regime and swept values: runs by status, and per metric the mean, standard deviation, "
    "n and a 95 % Student-t interval (clipped to the metric's range; `caveat` marks n < 5)",
    "paired.csv": "each regime minus the baseline regime, paired by seed: mean difference, n, 95 % interval",
    "ema_experiments.csv": "for the EMA Workbench: the varying inputs of every ok run, `scenario` (the parameter "
    "combination), `policy` (the regime) and `model`",
    "ema_outcomes.csv": "for the EMA Workbench: every metric of the same runs, row for row",
    "salib_problem.json": "for SALib: the numeric swept parameters and their bounds "
    "(`SALib.analyze.delta.analyze(problem, X, Y)` reads a sweep directly)",
    "figures/": "PNG and PDF figures: overview bars, metric against each swept parameter, heatmaps",
    "multirun.yaml": "Hydra's record of the sweep's configuration",
    ".leadsim/": "the sweep's plan (`sweep.json`: total runs, swept keys, command) and progress log",
    ".submitit/": "the Slurm (or local) array tasks' scripts and logs",
}


def write_readme(sweep_dir: Path, files=()) -> Path:
    """List the files present in ``sweep_dir`` with one line each, and how to redo them."""
    sweep_dir = Path(sweep_dir)
    present = {p.name + ("/" if p.is_dir() else "") for p in sweep_dir.iterdir()}
    lines = [
        "# What this sweep folder holds",
        "",
        "Written by `leadsim-report` (run `leadsim-report THIS_FOLDER` to redo the tables and figures; "
        "run the sweep's command again to run missing or failed runs). See docs/sweeps.md.",
        "",
    ]
    if any(n[:-1].isdigit() for n in present if n.endswith("/")):
        present.add("N/")
    for name, text in ENTRIES.items():
        if name in present:
            lines.append(f"- **`{name}`**: {text}")
    path = sweep_dir / "README.md"
    _atomic_write(path, "\n".join(lines) + "\n")
    return path
