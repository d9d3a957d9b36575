"""What the benchmarks record about the machine and the code they measured.

Numbers without the machine, the load and the commit they were taken at cannot be
compared, so every results file carries this block.
"""

from __future__ import annotations

import csv
import datetime as _dt
import json
import math
import os
import platform
import subprocess
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
#: The files whose speed is measured (the model core and what runs it).
CORE = [
    f"simulation/{m}.py"
    for m in ("model", "agents", "regimes", "network", "tasks", "updates", "metrics", "recorder", "config", "runner")
]


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _git(*args: str) -> str:
    try:
        out = subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True, timeout=10)
        return out.stdout.strip() if out.returncode == 0 else ""
    except (OSError, subprocess.SubprocessError):
        return ""


def _version(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "not installed"


def load_average() -> list[float]:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return []


def machine_info() -> dict:
    """CPU, cores, versions, date, commit and the load when the measurement started."""
    return {
        "cpu_model": _cpu_model(),
        "logical_cores": os.cpu_count(),
        "usable_cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "numpy": _version("numpy"),
        "mesa": _version("mesa"),
        "joblib": _version("joblib"),
        "hydra-core": _version("hydra-core"),
        "leadsim": _version("leadsim"),
        "date": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "git_commit": _git("rev-parse", "HEAD"),
        # Uncommitted changes to the model core make the commit an incomplete label.
        "core_modified": bool(_git("status", "--porcelain", "--", *CORE)),
        "load_average_start": load_average(),
    }


def _json_safe(x):
    """NaN and infinity become null: strict JSON readers reject them."""
    if isinstance(x, float) and not math.isfinite(x):
        return None
    if isinstance(x, dict):
        return {k: _json_safe(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_json_safe(v) for v in x]
    return x


def write_results(out_dir: Path, stem: str, rows: list[dict], meta: dict) -> tuple[Path, Path]:
    """``<stem>.csv`` (one row per measurement) and ``<stem>.json`` (machine, settings, rows)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    csv_path, json_path = out_dir / f"{stem}.csv", out_dir / f"{stem}.json"
    columns = list(rows[0]) if rows else []
    with open(csv_path, "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
    meta = {**meta, "load_average_end": meta.get("load_average_end") or load_average()}  # kept on a replot
    data = _json_safe({**meta, "rows": rows})
    json_path.write_text(json.dumps(data, indent=2, default=float, allow_nan=False) + "\n")
    return csv_path, json_path
