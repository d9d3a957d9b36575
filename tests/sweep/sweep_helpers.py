"""Shared by the sweep tests: run ``leadsim -m`` as a subprocess, read what it wrote."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import yaml

#: A tiny, fast sweep configuration (a team of 12, 60 steps).
SMALL = ["organization=team", "steps=60", "warmup=10"]
#: Plain metric outputs are compared exactly across launchers.
NO_FIGURES = "hydra.callbacks.report.figures=false"


def leadsim_m(sweep_dir: Path, *args: str, cwd: Path, timeout: float = 180, env=None) -> subprocess.CompletedProcess:
    """``leadsim -m ARGS hydra.sweep.dir=SWEEP_DIR`` in a fresh process."""
    cmd = [sys.executable, "-m", "simulation", "-m", f"hydra.sweep.dir={sweep_dir}", *args]
    return subprocess.run(cmd, capture_output=True, text=True, cwd=cwd, timeout=timeout, env=env)


def run_dirs(sweep_dir: Path) -> list[Path]:
    return sorted((p for p in sweep_dir.iterdir() if p.name.isdigit()), key=lambda p: int(p.name))


def check_run_folder(d: Path) -> dict:
    """Every output of a complete run parses; return its metrics."""
    metrics = json.loads((d / "metrics.json").read_text())
    assert isinstance(yaml.safe_load((d / "config.yaml").read_text()), dict)
    ts = pd.read_csv(d / "timeseries.csv")
    assert len(ts) > 0 and "step" in ts
    assert json.loads((d / "status.json").read_text())["status"] == "ok"
    return metrics


def results(sweep_dir: Path) -> pd.DataFrame:
    return pd.read_parquet(sweep_dir / "results.parquet")


def synthetic_chunks(sweep_dir: Path, runs: int, per_file: int = 500, failed_every: int = 0) -> None:
    """Chunk files of ``runs`` made-up runs, shaped like a chunked sweep's (every
    parameter, metric and bookkeeping column): two regimes x seeds x two trust levels,
    a manifest that names the swept keys. No simulation: for the report's cost alone."""
    import numpy as np

    from simulation.config import field_docs
    from simulation.metrics import METRICS
    from simulation.sweep import chunks, plan

    defaults = {
        k: (json.dumps(d["default"]) if isinstance(d["default"], list) else d["default"])
        for k, d in field_docs().items()
    }
    rng = np.random.default_rng(0)
    (sweep_dir / chunks.DIR).mkdir(parents=True, exist_ok=True)
    for first in range(0, runs, per_file):
        jobs = np.arange(first, min(first + per_file, runs))
        df = pd.DataFrame({k: [v] * len(jobs) for k, v in defaults.items()})
        df.insert(0, "job", jobs)
        df.insert(1, "status", "ok")
        df.insert(2, "finished", 1.7e9 + jobs)
        df["seconds"] = 0.05
        df["overrides"] = [f"coordination={'delegation' if j % 2 else 'distributed'} seed={j // 4}" for j in jobs]
        df["config_hash"] = [f"{j:016x}" for j in jobs]
        df["code"] = "synthetic"
        df["error"] = None
        df["coordination"] = np.where(jobs % 2, "delegation", "distributed")
        df["coordination.name"] = df["coordination"]
        df["culture.trust"] = np.where((jobs // 2) % 2, 0.3, 0.6)
        df["seed"] = jobs // 4
        df["leadsim_version"] = "0.0"
        for m in METRICS:
            df[m] = rng.random(len(jobs))
        if failed_every:
            bad = jobs % failed_every == 0
            df.loc[bad, "status"] = "failed"
            df.loc[bad, "error"] = "ValueError: made up"
            df.loc[bad, list(METRICS)] = np.nan
        chunks._write_parquet(sweep_dir / chunks.DIR / f"{chunks.chunk_name(int(jobs[0]), int(jobs[-1]))}.parquet", df)
    manifest = {"total": runs, "swept": ["coordination", "culture.trust", "seed"]}
    (sweep_dir / plan.MANIFEST).parent.mkdir(parents=True, exist_ok=True)
    (sweep_dir / plan.MANIFEST).write_text(json.dumps(manifest))
