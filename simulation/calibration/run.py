"""A whole calibration: check, run (or continue) ABC-SMC, write the tables and figures.

The output folder holds ``calibration.yaml`` (what was asked, the status), the pyabc
history ``calibration.db``, ``posterior.parquet`` (last generation's particles and
weights), ``summary.csv``, ``generations.csv``, ``posterior.png``, the
posterior-predictive ``predictive.parquet``/``.csv``/``.png`` and the regime comparison
``regimes.parquet``/``.csv``/``.png``. Running the same calibration again continues
it: finished generations are kept, the tables and figures are written again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import yaml

from .. import __version__
from ..config import REGIMES, ConfigError
from ..runner import _atomic_write
from . import abc as _abc
from . import checks, plots
from .spec import Spec, UsageError, base_configs, configure

SETTINGS = "calibration.yaml"
OURS = {
    SETTINGS,
    _abc.DB,
    "posterior.parquet",
    "summary.csv",
    "generations.csv",
    "posterior.png",
    "predictive.parquet",
    "predictive.csv",
    "predictive.png",
    "regimes.parquet",
    "regimes.csv",
    "regimes.png",
}


@dataclass
class CalibrationResult:
    out: Path
    posterior: pd.DataFrame
    summary: pd.DataFrame
    generations: pd.DataFrame
    predictive: pd.DataFrame = field(default_factory=pd.DataFrame)
    predictive_summary: pd.DataFrame = field(default_factory=pd.DataFrame)
    regimes: pd.DataFrame = field(default_factory=pd.DataFrame)
    regime_summary: pd.DataFrame = field(default_factory=pd.DataFrame)


def prepare(spec: Spec, out) -> dict:
    """Everything that can fail on bad input, before anything is written."""
    try:
        bases = base_configs(spec, REGIMES if spec.abc["compare"] else ())
    except ConfigError as exc:
        raise UsageError(f"overrides: {exc}") from None
    for corner in (0, 1):  # a prior range the model cannot run fails now, not in a worker
        configure(bases[None], {k: v[corner] for k, v in spec.priors.items()}, 0, spec.priors)
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out}: exists and is not a folder")
    stored = out / SETTINGS
    if stored.is_file():
        old = yaml.safe_load(stored.read_text()) or {}
        if old.get("identity") != _plain(spec.identity()):
            raise UsageError(
                f"--out {out}: holds a calibration with other targets, priors, overrides or "
                "population; choose another folder to start a new one"
            )
    elif out.is_dir() and any(p.name not in OURS for p in out.iterdir()):
        raise UsageError(f"--out {out}: not empty and not a calibration folder; choose a new folder")
    return bases


def _plain(x):
    """Round-trip through YAML so stored and new settings compare alike."""
    return yaml.safe_load(yaml.safe_dump(x))


def calibrate(
    spec: Spec, out, *, cores: int | None = None, dask: str | None = None, compare: bool = True, log=print
) -> CalibrationResult:
    """Run or continue the calibration described by ``spec`` in the folder ``out``."""
    if not compare:
        spec.abc["compare"] = 0
    bases = prepare(spec, out)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    _write_settings(out, spec, "running")
    history = _abc.run_abc(spec, bases[None], out, cores=cores, dask=dask, log=log)
    post = _abc.posterior(history)
    summ = _abc.summary(post, spec)
    gens = _abc.generations(history)
    post.to_parquet(out / "posterior.parquet", index=False)
    _atomic_write(out / "summary.csv", summ.to_csv(index=False))
    _atomic_write(out / "generations.csv", gens.to_csv(index=False))
    _save(plots.posterior_figure(post, summ), out / "posterior.png")
    result = CalibrationResult(out, post, summ, gens)
    if spec.abc["predictive"]:
        log(f"posterior-predictive check: {spec.abc['predictive']} runs")
        result.predictive = checks.predictive(post, spec, bases[None], cores, dask)
        result.predictive_summary = checks.predictive_summary(result.predictive, spec)
        result.predictive.to_parquet(out / "predictive.parquet", index=False)
        _atomic_write(out / "predictive.csv", result.predictive_summary.to_csv(index=False))
        _save(plots.predictive_figure(result.predictive, spec.targets), out / "predictive.png")
    if spec.abc["compare"]:
        log(f"regimes compared at {spec.abc['compare']} posterior draws ({3 * spec.abc['compare']} runs)")
        result.regimes = checks.compare_regimes(post, spec, bases, cores, dask)
        result.regime_summary = checks.regime_summary(result.regimes)
        result.regimes.to_parquet(out / "regimes.parquet", index=False)
        _atomic_write(out / "regimes.csv", result.regime_summary.to_csv(index=False))
        shown = [m for m in checks.HEADLINE[:6] if m in set(result.regime_summary.metric)]
        _save(plots.regimes_figure(result.regime_summary, shown), out / "regimes.png")
    _write_settings(out, spec, "done")
    return result


def _write_settings(out: Path, spec: Spec, status: str) -> None:
    data = {"leadsim_version": __version__, "status": status, **spec.to_dict(), "identity": _plain(spec.identity())}
    _atomic_write(out / SETTINGS, yaml.safe_dump(_plain(data), sort_keys=False))


def _save(fig, path: Path) -> None:
    import matplotlib.pyplot as plt

    tmp = path.with_name(f".{path.stem}.tmp{path.suffix}")
    fig.savefig(tmp, dpi=110)
    plt.close(fig)
    tmp.replace(path)
