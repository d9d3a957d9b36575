"""Run folders that survive kills and failures.

A run folder is *complete* when ``metrics.json`` (written last, atomically) parses,
``config.yaml`` equals the configuration the job would run now (parameters and
package version) and ``status.json`` records the same model code (a hash of the
model's source: an editable install keeps its version number while the code changes).
Anything else is run again. ``status.json`` says what happened:
``ok``, ``failed`` (with ``error.txt`` holding the traceback) or ``running`` — a
``running`` folder that nobody is running was killed, and the report calls it
``incomplete``.
"""

from __future__ import annotations

import functools
import hashlib
import json
import socket
import time
import traceback
from pathlib import Path

import yaml

from ..runner import _atomic_write

STATUS, ERROR, METRICS, CONFIG = "status.json", "error.txt", "metrics.json", "config.yaml"


#: Modules of the package that do not change what a run computes.
_NOT_MODEL = {"__init__.py", "__main__.py", "api.py", "cli.py", "demo.py", "hydra_config.py"}


@functools.lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """A short hash of the model's source (the package's top-level modules that compute
    a run), so that a resumed sweep never mixes results of different code."""
    pkg = Path(__file__).resolve().parent.parent
    h = hashlib.sha256()
    for f in sorted(pkg.glob("*.py")):
        if f.name not in _NOT_MODEL:
            h.update(f.name.encode() + b"\0" + f.read_bytes())
    return h.hexdigest()[:12]


def stored_metrics(run_dir: Path, want: dict, code: str | None = None) -> dict | None:
    """The metrics of a finished run of exactly ``want`` (and model ``code``) in
    ``run_dir``, else ``None``."""
    try:
        metrics = json.loads((run_dir / METRICS).read_text())
        have = yaml.safe_load((run_dir / CONFIG).read_text())
    except (OSError, ValueError, yaml.YAMLError):
        return None
    if have != want or not (run_dir / "timeseries.csv").is_file():
        return None
    if code is not None and read_status(run_dir).get("code") != code:
        return None
    return {k: (float("nan") if v is None else v) for k, v in metrics.items()}


def read_status(run_dir: Path) -> dict:
    try:
        return json.loads((run_dir / STATUS).read_text())
    except (OSError, ValueError):
        return {}


def _write_status(run_dir: Path, status: str, info: dict) -> None:
    data = {"status": status, **info, "host": socket.gethostname(), "time": time.strftime("%Y-%m-%dT%H:%M:%S")}
    _atomic_write(run_dir / STATUS, json.dumps(data, indent=2, default=str) + "\n")


def clean_temporaries(run_dir: Path) -> None:
    """Remove half-written temporary files a killed writer left behind."""
    for p in run_dir.glob(".*.tmp"):
        p.unlink(missing_ok=True)


def begin(run_dir: Path, want: dict | None, info: dict) -> None:
    """Forget any earlier attempt, then mark the folder ``running``.

    ``metrics.json`` goes first: from then on an old result can never pass for this
    run's. ``config.yaml`` is written now so that even a failed run has its parameters.
    """
    run_dir.mkdir(parents=True, exist_ok=True)
    clean_temporaries(run_dir)
    for name in (METRICS, ERROR):
        (run_dir / name).unlink(missing_ok=True)
    if want is not None:
        _atomic_write(run_dir / CONFIG, yaml.safe_dump(want, sort_keys=False))
    _write_status(run_dir, "running", info)


def succeed(run_dir: Path, info: dict, *, skipped: bool = False) -> None:
    if skipped:  # keep what the original run recorded (its time, its duration)
        old = read_status(run_dir)
        if old.get("status") == "ok":
            return
    _write_status(run_dir, "ok", {**info, "skipped": skipped})


def fail(run_dir: Path, exc: BaseException, info: dict) -> str:
    """Record a failure: the traceback in ``error.txt``, one line in ``status.json``."""
    run_dir.mkdir(parents=True, exist_ok=True)
    line = f"{type(exc).__name__}: {' '.join(str(exc).split())}"[:500]
    text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    _atomic_write(run_dir / ERROR, text)
    _write_status(run_dir, "failed", {**info, "error": line})
    return line
