"""Hydra around the core: the config tree, composition, and one-line errors.

The model never imports this module; it composes ``configs/`` into a validated
:class:`~simulation.config.SimConfig` for the command line and the Python API.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

from hydra.core.config_store import ConfigStore
from omegaconf import DictConfig, OmegaConf

from .config import ConfigError, SimConfig, from_dict

GROUPS = ("coordination", "organization", "culture", "people", "workload", "mechanisms", "experiment")


def config_dir() -> Path:
    """``configs/``: inside the installed package, or at the top of a checkout."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "configs", here.parent / "configs"):
        if (candidate / "config.yaml").is_file():
            return candidate
    raise FileNotFoundError("leadsim's configs/ folder was not found")


def register() -> None:
    ConfigStore.instance().store(name="base_config", node=SimConfig)


register()


def to_sim_config(cfg: DictConfig) -> SimConfig:
    """Turn a composed config into a validated :class:`SimConfig`.

    Hydra lets ``+key=value`` add keys even under a schema, so unknown keys are
    rejected here by name, with the keys that are allowed.
    """
    data = OmegaConf.to_container(cfg, resolve=True)
    data.pop("hydra", None)
    return from_dict(data).validate()


def compose_config(overrides: list[str] | tuple = ()) -> SimConfig:
    """Compose ``configs/`` with Hydra overrides, without Hydra's command line."""
    from hydra import compose, initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra

    if GlobalHydra.instance().is_initialized():
        GlobalHydra.instance().clear()
    try:
        with initialize_config_dir(config_dir=str(config_dir()), version_base="1.3"):
            cfg = compose(config_name="config", overrides=list(overrides))
    except Exception as exc:  # Hydra/OmegaConf errors become one named ConfigError
        raise as_config_error(exc) from None
    return to_sim_config(cfg)


def as_config_error(exc: BaseException) -> ConfigError:
    """Condense a Hydra or OmegaConf exception into a one-line :class:`ConfigError`."""
    if isinstance(exc, ConfigError):
        return exc
    chain, e = [], exc
    while e is not None and e not in chain:
        chain.append(e)
        e = e.__cause__ or e.__context__
    for e in chain:  # OmegaConf knows the full key of a type error
        key = getattr(e, "full_key", None)
        if key:
            msg = str(getattr(e, "msg", e)).splitlines()[0]
            if "not in" in msg or "Key '" in msg:
                return ConfigError(key, f"unknown key; {_allowed_keys(key)}")
            return ConfigError(key, _plain(msg))
    text = " ".join(str(exc).split())
    m = re.search(r"Could not find '([\w/]+)/([^']+)'.*?Available options in '(\w+)':(.*)", str(exc), re.S)
    if m:
        options = ", ".join(m.group(4).split("Config search path")[0].split())
        return ConfigError(m.group(1), f"unknown option {m.group(2)!r}; allowed: {options}")
    m = re.search(r"Could not find '([^']+)'", text)
    if m:
        return ConfigError(m.group(1).split("/")[0], f"unknown option in {m.group(1)!r}")
    m = re.search(r"Could not (?:override|append to|delete) '([^']+)'", text)
    if m:
        return ConfigError(m.group(1), f"unknown key; {_allowed_keys(m.group(1))}")
    return ConfigError("overrides", text)


def _plain(msg: str) -> str:
    m = re.match(r"Value '(.*?)' (?:of type '\w+' )?could not be converted to (\w+)", msg)
    if m:
        kind = {"Integer": "an integer", "Float": "a number", "Boolean": "true or false"}.get(m.group(2), m.group(2))
        return f"must be {kind}, got {m.group(1)!r}"
    return msg


def _allowed_keys(key: str) -> str:
    """The keys allowed next to ``key`` in the schema."""
    parts = key.split(".")
    node = SimConfig
    for p in parts[:-1]:
        fields = {f.name: f for f in dataclasses.fields(node)}
        if p not in fields or not dataclasses.is_dataclass(fields[p].default_factory):
            break
        node = fields[p].default_factory
    names = [f.name for f in dataclasses.fields(node)]
    return "allowed: " + ", ".join(names)
