"""What a calibration is asked to do: observed targets, priors, the base run, ABC settings.

Everything is checked before anything is written, and every problem is a one-line
:class:`UsageError` naming the file and key, like leadsim's bad parameters.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from ..config import ConfigError, field_docs
from ..metrics import METRICS

#: ABC settings: key -> (default, low, high, is_integer). Defaults fit 2 cores in minutes.
ABC_SETTINGS = {
    "population": (100, 10, 1_000_000, True),  # particles per generation
    "generations": (5, 1, 100, True),  # at most this many generations
    "min_epsilon": (1.0, 0.0, 1e9, False),  # stop when the distance threshold is this small
    "min_acceptance": (0.02, 0.0, 1.0, False),  # stop when fewer particles are accepted
    "replicates": (1, 1, 100, True),  # seeds averaged per particle
    "predictive": (100, 0, 100_000, True),  # posterior-predictive runs
    "compare": (40, 0, 100_000, True),  # posterior draws for the regime comparison
    "seed": (0, 0, 2**31 - 1, True),  # resampling and seeds of the checks
}
FIXED = ("seed", "steps", "warmup", "record_every")


class UsageError(ValueError):
    """Bad input to a calibration: one line, exit code 2."""


@dataclass
class Spec:
    targets: dict[str, tuple[float, float]]  # metric -> (observed value, sd)
    priors: dict[str, tuple[float, float, bool]]  # parameter -> (low, high, is_integer)
    overrides: list[str] = field(default_factory=list)
    abc: dict = field(default_factory=lambda: {k: v[0] for k, v in ABC_SETTINGS.items()})

    def identity(self) -> dict:
        """What a resumed calibration must share with the stored one."""
        return {
            "targets": {k: list(v) for k, v in self.targets.items()},
            "priors": {k: list(v[:2]) for k, v in self.priors.items()},
            "overrides": list(self.overrides),
            "population": self.abc["population"],
            "replicates": self.abc["replicates"],
        }

    def to_dict(self) -> dict:
        return {
            "targets": {k: {"value": v, "sd": s} for k, (v, s) in self.targets.items()},
            "priors": {k: [lo, hi] for k, (lo, hi, _) in self.priors.items()},
            "overrides": list(self.overrides),
            "abc": dict(self.abc),
        }


def load_spec(path=None, *, priors=(), overrides=(), settings=None) -> Spec:
    """Read ``targets.yaml`` (optional), then add ``--prior KEY=LO:HI``, overrides and settings.

    ``organization.path`` inside the file is read relative to the file's folder, so a
    targets.yaml can sit next to the organisation it describes.
    """
    data: dict = {}
    name = "targets"
    if path is not None:
        p = Path(path)
        name = p.name
        if not p.is_file():
            raise UsageError(f"{path}: no such file")
        try:
            data = yaml.safe_load(p.read_text(encoding="utf-8")) or {}
        except (yaml.YAMLError, UnicodeDecodeError) as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f" line {mark.line + 1}" if mark else ""
            raise UsageError(f"{name}{where}: not valid UTF-8 YAML") from None
        if not isinstance(data, dict):
            raise UsageError(f"{name}: must be a mapping with targets, priors, overrides, abc")
        unknown = set(data) - {"targets", "priors", "overrides", "abc"}
        if unknown:
            raise UsageError(f"{name}, key {sorted(unknown)[0]}: unknown key; allowed: targets, priors, overrides, abc")
    targets = _targets(data.get("targets") or {}, name)
    docs = field_docs()
    pri = {k: _prior(k, v, docs, f"{name}, priors") for k, v in (data.get("priors") or {}).items()}
    for text in priors:
        key, sep, rng = text.partition("=")
        lo, sep2, hi = rng.partition(":")
        if not sep or not sep2:
            raise UsageError(f"--prior: expected KEY=LOW:HIGH, got {text!r}")
        pri[key] = _prior(key, [lo, hi], docs, "--prior")
    if not targets:
        raise UsageError(f"{name}: no targets; give at least one metric with value and sd")
    if not pri:
        raise UsageError(f"{name}: no priors; give at least one parameter as KEY: [LOW, HIGH] or --prior KEY=LOW:HIGH")
    base = data.get("overrides") or []
    if not isinstance(base, list):
        raise UsageError(f"{name}, key overrides: must be a list of leadsim overrides")
    here = Path(path).resolve().parent if path is not None else Path.cwd()
    ov = [_relative(str(o), here) for o in base] + list(overrides)
    abc = {k: v[0] for k, v in ABC_SETTINGS.items()}
    for src, values in ((f"{name}, abc", data.get("abc") or {}), ("option", settings or {})):
        for k, v in values.items():
            if v is None:
                continue
            if k not in ABC_SETTINGS:
                raise UsageError(f"{src}, key {k}: unknown key; allowed: {', '.join(ABC_SETTINGS)}")
            abc[k] = _setting(k, v, src)
    return Spec(targets, pri, ov, abc)


def _targets(raw, name) -> dict:
    if not isinstance(raw, dict):
        raise UsageError(f"{name}, key targets: must map metric names to {{value, sd}}")
    out = {}
    for metric, v in raw.items():
        where = f"{name}, targets.{metric}"
        if metric not in METRICS:
            raise UsageError(f"{where}: unknown metric; allowed: {', '.join(METRICS)}")
        if not isinstance(v, dict) or set(v) - {"value", "sd"} or "value" not in v or "sd" not in v:
            raise UsageError(f"{where}: must be {{value: NUMBER, sd: NUMBER > 0}}, got {v!r}")
        value, sd = v["value"], v["sd"]
        if not _num(value):
            raise UsageError(f"{where}.value: must be a finite number, got {value!r}")
        if not _num(sd) or sd <= 0:
            raise UsageError(f"{where}.sd: must be a number > 0 (the observation's uncertainty), got {sd!r}")
        out[metric] = (float(value), float(sd))
    return out


def _prior(key, bounds, docs, where) -> tuple[float, float, bool]:
    d = docs.get(key)
    if d is None or d["choices"] is not None or d["range"] in (None, (None, None)) or key in FIXED:
        numeric = [
            k
            for k, x in docs.items()
            if x["choices"] is None and x["range"] not in (None, (None, None)) and k not in FIXED
        ]
        raise UsageError(f"{where} {key}: not a numeric parameter; allowed: {', '.join(numeric)}")
    try:
        lo, hi = (float(b) for b in bounds)
    except (TypeError, ValueError):
        raise UsageError(f"{where} {key}: must be [LOW, HIGH] numbers, got {bounds!r}") from None
    a_lo, a_hi = d["range"]
    if not (a_lo <= lo < hi <= a_hi) or not (math.isfinite(lo) and math.isfinite(hi)):
        raise UsageError(f"{where} {key}: need {a_lo} <= LOW < HIGH <= {a_hi}, got [{lo}, {hi}]")
    is_int = isinstance(d["default"], int) and not isinstance(d["default"], bool)
    return lo, hi, is_int


def _setting(k, v, src):
    _default, lo, hi, integer = ABC_SETTINGS[k]
    if not _num(v) or (integer and not float(v).is_integer()) or not lo <= v <= hi:
        kind = "an integer" if integer else "a number"
        raise UsageError(f"{src}, key {k}: must be {kind} in [{lo}, {hi}], got {v!r}")
    return int(v) if integer else float(v)


def _num(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def _relative(override: str, here: Path) -> str:
    key, sep, value = override.partition("=")
    if key.lstrip("+~") == "organization.path" and sep and value and not Path(value).is_absolute():
        return f"{key}={(here / value).resolve()}"
    return override


def base_configs(spec: Spec, regimes=None) -> dict:
    """The composed, validated config of the base run (key None) and of each regime."""
    from ..hydra_config import compose_config

    out = {None: compose_config(spec.overrides)}
    for r in regimes or ():
        out[r] = compose_config([*spec.overrides, f"coordination={r}"])
    return out


def configure(base, params: dict, seed: int, priors: dict):
    """``base`` with ``params`` (dotted keys) and ``seed`` set, validated."""
    cfg = dataclasses.replace(base)
    for group in ("culture", "organization", "people", "workload", "coordination"):
        setattr(cfg, group, dataclasses.replace(getattr(base, group)))
    for key, value in params.items():
        node = cfg
        *path, last = key.split(".")
        for p in path:
            node = getattr(node, p)
        setattr(node, last, int(round(value)) if priors[key][2] else float(value))
    cfg.seed = int(seed)
    try:
        return cfg.validate()
    except ConfigError as exc:  # e.g. a drawn degree not smaller than the size
        raise UsageError(f"parameters {params}: {exc}") from None
