"""What a multirun will launch, and how far it has got.

The launching process writes ``.leadsim/sweep.json`` (planned jobs, swept keys, start
time) before any job starts. Each job appends one line to ``.leadsim/progress.tsv``
when it ends (appends of one short line are atomic on local file systems) and prints
``runs done / total`` and an estimate of the time left, whatever the launcher.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from ..runner import _atomic_write

MANIFEST = Path(".leadsim") / "sweep.json"
PROGRESS = Path(".leadsim") / "progress.tsv"


def sample_rows(path) -> list[list[str]]:
    """Overrides per row of a design table (CSV; one column per parameter key)."""
    import csv

    with open(path, newline="") as fh:
        reader = csv.DictReader(fh)
        return [[f"{k}={v}" for k, v in row.items()] for row in reader]


def planned_jobs(cfg) -> tuple[list[list[str]], list[str]]:
    """The overrides of every job of this multirun, in launch order, and the swept keys.

    Mirrors Hydra's basic sweeper (``hydra.sweeper.params`` first, then the command
    line; a Cartesian product), and the leadsim ``samples`` sweeper (design rows
    first, each crossed with that product).
    """
    from omegaconf import OmegaConf

    from .compose import expand, parse

    sweeper = cfg.hydra.sweeper
    params = sweeper.get("params")
    params = OmegaConf.to_container(params, resolve=False) if params is not None else {}
    lines = [f"{k}={v}" for k, v in params.items()] + list(cfg.hydra.overrides.task)
    parsed = parse(lines)
    swept = [o.get_key_element().lstrip("+~") for o in parsed if o.is_sweep_override()]
    grid = expand(parsed)
    samples = sweeper.get("samples")
    if samples:
        rows = sample_rows(samples)
        swept = [r.split("=", 1)[0] for r in (rows[0] if rows else [])] + swept
        return [r + g for r in rows for g in grid], swept
    return grid, swept


def write_manifest(sweep_dir: Path, cfg, argv: list[str]) -> dict:
    """Record the plan and reset the progress log of this session."""
    try:
        jobs, swept = planned_jobs(cfg)
    except Exception:  # e.g. glob() sweeps need Hydra's config loader: no total then
        jobs, swept = None, []
    manifest = {
        "total": None if jobs is None else len(jobs),
        "swept": swept,
        "design": "samples" if cfg.hydra.sweeper.get("samples") else "grid",
        "command": argv,
        "started": time.time(),
    }
    path = sweep_dir / MANIFEST
    path.parent.mkdir(parents=True, exist_ok=True)
    _atomic_write(path, json.dumps(manifest, indent=2) + "\n")
    _atomic_write(sweep_dir / PROGRESS, "")
    return manifest


def read_manifest(sweep_dir: Path) -> dict:
    try:
        return json.loads((Path(sweep_dir) / MANIFEST).read_text())
    except (OSError, ValueError):
        return {}


def progress_counts(sweep_dir: Path) -> dict[str, int]:
    counts = {"ok": 0, "skipped": 0, "failed": 0}
    try:
        text = (Path(sweep_dir) / PROGRESS).read_text()
    except OSError:
        return counts
    for line in text.splitlines():
        status = line.split("\t", 1)[0]
        counts[status] = counts.get(status, 0) + 1
    return counts


def record(sweep_dir: Path, job: int, status: str, seconds: float, quiet: bool = False) -> str:
    """Append this job's outcome and print the sweep's progress line."""
    path = Path(sweep_dir) / PROGRESS
    if not path.parent.is_dir():  # a multirun without the leadsim callback
        return ""
    with open(path, "a") as fh:
        fh.write(f"{status}\t{job}\t{seconds:.3f}\n")
    line = progress_line(sweep_dir)
    if not quiet:
        print(line, file=sys.stderr, flush=True)
    return line


def progress_line(sweep_dir: Path) -> str:
    manifest = read_manifest(sweep_dir)
    c = progress_counts(sweep_dir)
    done = sum(c.values())
    total = manifest.get("total")
    elapsed = time.time() - manifest.get("started", time.time())
    text = f"[leadsim] {done}/{total if total else '?'} runs done ({c['skipped']} skipped, {c['failed']} failed)"
    text += f" | {_duration(elapsed)} elapsed"
    ran = done - c["skipped"]
    if total and ran > 0 and done < total:
        text += f" | ~{_duration(elapsed / ran * (total - done))} left"
    return text


def _duration(s: float) -> str:
    s = int(round(s))
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min {s % 60:02d} s"
    return f"{s // 3600} h {s % 3600 // 60:02d} min"


__all__ = [
    "planned_jobs",
    "write_manifest",
    "read_manifest",
    "record",
    "progress_line",
    "progress_counts",
    "sample_rows",
    "MANIFEST",
    "PROGRESS",
]
