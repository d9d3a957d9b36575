"""Run a configured model and write its outputs (no Hydra here)."""

from __future__ import annotations

import json
import math
import os
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import yaml

from . import __version__, compat
from .config import SimConfig, to_dict
from .model import LeadershipModel


@dataclass
class RunResult:
    """What one run produced: metrics, time series, the resolved config, the model."""

    metrics: dict
    timeseries: pd.DataFrame
    config: SimConfig
    model: LeadershipModel | None = field(default=None, repr=False)
    #: one row per person: informal roles and the counts behind them (simulation.roles)
    roles: pd.DataFrame | None = field(default=None, repr=False)

    @property
    def events(self) -> pd.DataFrame:
        """The full event log (step, task, event, person)."""
        return self.model.events.frame()

    def save(self, directory) -> Path:
        """Write ``metrics.json``, ``timeseries.csv``, ``config.yaml`` and ``roles.csv`` atomically."""
        return write_outputs(directory, self)


def simulate(cfg: SimConfig, progress: bool | None = None) -> RunResult:
    """Build the model from ``cfg``, run it to the end and collect its results."""
    if progress is None:
        progress = sys.stderr.isatty() and cfg.steps * cfg.organization.size >= 2_000_000
    model = LeadershipModel(cfg).run(progress=progress)
    release(model)
    from .roles import ROLE_METRICS, analyse

    if model.events.enabled:
        roles, role_metrics = analyse(model)
    else:  # the roles need every attempt's team, which only the event log keeps
        roles, role_metrics = None, dict.fromkeys(ROLE_METRICS, float("nan"))
    return RunResult({**model.metrics(), **role_metrics}, model.timeseries, cfg, model, roles)


def release(model: LeadershipModel) -> None:
    """Let a finished model be garbage-collected once its result is dropped (Mesa 3.3
    would keep every model alive: :func:`simulation.compat.release`). The model
    creates no agents after it is built."""
    compat.release(model)


def resolved_config(cfg: SimConfig) -> dict:
    """The config as saved next to results, with the package version (and, for an
    organisation read from files, which of its values came from the data)."""
    out = {"leadsim_version": __version__, **to_dict(cfg)}
    if cfg.organization.network == "from_files":
        from .organisations import load_organisation

        out["organization_data"] = dict(load_organisation(cfg.organization.path).sources)
    return out


def _atomic_write(path: Path, text: str) -> None:
    """Write to a temporary file in the same folder, then rename: never half a file."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _json_number(v):
    return None if isinstance(v, float) and not math.isfinite(v) else v


def write_outputs(directory, result: RunResult) -> Path:
    """``metrics.json`` is written last: its presence marks a complete run."""
    d = Path(directory)
    d.mkdir(parents=True, exist_ok=True)
    _atomic_write(d / "timeseries.csv", result.timeseries.to_csv(index=False))
    _atomic_write(d / "config.yaml", yaml.safe_dump(resolved_config(result.config), sort_keys=False))
    if result.roles is not None:
        _atomic_write(d / "roles.csv", result.roles.to_csv())
    metrics = {k: _json_number(v) for k, v in result.metrics.items()}
    _atomic_write(d / "metrics.json", json.dumps(metrics, indent=2) + "\n")
    return d


def flat_row(result: RunResult, resolved: dict | None = None) -> dict:
    """One run as one flat table row (the chunked sweeps' storage): every resolved
    parameter under its dotted name (lists as JSON text, so every cell is hashable),
    ``leadsim_version``, and every metric, including any extra keys of ``result.metrics``.
    ``resolved``: ``resolved_config(result.config)`` if the caller has it already."""

    def flat(d: dict, prefix: str = "") -> dict:
        out = {}
        for k, v in d.items():
            if isinstance(v, dict):
                out.update(flat(v, f"{prefix}{k}."))
            else:
                out[f"{prefix}{k}"] = json.dumps(v) if isinstance(v, (list, tuple)) else v
        return out

    return {**flat(resolved if resolved is not None else resolved_config(result.config)), **result.metrics}
