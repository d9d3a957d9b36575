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
