"""Hydra around the core: the config tree, composition, and one-line errors.

The model never imports this module; it composes ``configs/`` into a validated
:class:`~simulation.config.SimConfig` for the command line and the Python API.
"""

from __future__ import annotations

import dataclasses
import difflib
import re
from pathlib import Path
from typing import Any

from hydra.core.config_store import ConfigStore
from omegaconf import DictConfig, OmegaConf

from .config import ConfigError, SimConfig, field_docs, from_dict

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
    assert isinstance(data, dict)  # a composed config is a mapping
    return sim_config_from(data)


def sim_config_from(data: dict) -> SimConfig:
    """:func:`to_sim_config` for a config already turned into a plain mapping."""
    data.pop("hydra", None)
    try:
        return from_dict(data).validate()
    except ConfigError as exc:
        if str(exc).startswith(f"{exc.key}: unknown key"):
            raise ConfigError(exc.key, f"unknown key; {_allowed_keys(exc.key)}") from None
        raise


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
    chain: list[BaseException] = []
    e: BaseException | None = exc
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
    m = re.search(r"To append to your default list use \+([\w/]+)=(\S+)", text)
    if m:  # a group that is not in the defaults list (experiment): added with a plus
        return ConfigError(m.group(1), f"is added, not overridden: write +{m.group(1)}={m.group(2)}")
    m = re.search(r"Could not find '([\w/]+)/([^']+)'.*?Available options in '(\w+)':(.*)", str(exc), re.S)
    if m:
        options = m.group(4).split("Config search path")[0].split()
        return ConfigError(
            m.group(1),
            f"unknown option {m.group(2)!r};{_did_you_mean(m.group(2), options)} allowed: {', '.join(options)}",
        )
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


def _did_you_mean(word: str, candidates) -> str:
    close = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.7)
    return f" did you mean {close[0]}?" if close else ""


def _suggest_key(key: str) -> str:
    """A known key for a misspelt one: the same name at another level first
    (``organization.trust`` -> ``culture.trust``), else the closest name at its level."""
    leaves = list(field_docs())
    prefix, _, name = key.rpartition(".")
    same_name = [k for k in leaves if k.rpartition(".")[2] == name and k != key]
    if same_name:
        return f" did you mean {' or '.join(same_name)}?"
    siblings = {k.rpartition(".")[2] for k in leaves if k.rpartition(".")[0] == prefix}
    if not prefix:
        siblings |= {k.split(".")[0] for k in leaves}
    close = difflib.get_close_matches(name, sorted(siblings), n=1, cutoff=0.7)
    return f" did you mean {prefix + '.' if prefix else ''}{close[0]}?" if close else ""


def _allowed_keys(key: str) -> str:
    """The keys allowed next to ``key`` in the schema, after a suggestion if one is close."""
    parts = key.split(".")
    node: Any = SimConfig
    for p in parts[:-1]:
        fields = {f.name: f for f in dataclasses.fields(node)}
        if p not in fields or not dataclasses.is_dataclass(fields[p].default_factory):
            break
        node = fields[p].default_factory
    names = [f.name for f in dataclasses.fields(node)]
    return f"{_suggest_key(key).lstrip()} allowed: {', '.join(names)}".lstrip()


def group_options() -> dict[str, tuple[list[str], str | None]]:
    """Each config group's options and its default (``None`` where it has none), read
    from ``configs/``: the groups a user can pick, as the command line composes them."""
    import yaml

    root = config_dir()
    defaults: dict[str, str] = {}
    for entry in yaml.safe_load((root / "config.yaml").read_text()).get("defaults", []):
        if isinstance(entry, dict):
            for k, v in entry.items():
                if not k.startswith("override "):
                    defaults[k] = v
    out = {}
    for d in sorted(p for p in root.iterdir() if p.is_dir() and p.name != "hydra"):
        options = sorted(f.stem for f in d.glob("*.yaml"))
        out[d.name] = (options, defaults.get(d.name))
    return out


def _default_values() -> dict:
    """Every parameter's value in the default run (the groups' defaults applied), by
    dotted key; the schema's defaults if the tree cannot be composed."""
    values = {k: v["default"] for k, v in field_docs().items()}
    try:
        from hydra import compose, initialize_config_dir
        from hydra.core.global_hydra import GlobalHydra

        GlobalHydra.instance().clear()
        with initialize_config_dir(config_dir=str(config_dir()), version_base="1.3"):
            cfg = OmegaConf.to_container(compose(config_name="config"), resolve=True)
        GlobalHydra.instance().clear()
    except Exception:
        return values
    for key in values:
        node = cfg
        for part in key.split("."):
            node = node.get(part, values[key]) if isinstance(node, dict) else values[key]
        values[key] = node
    return values


def _open_below(cls=SimConfig, prefix: str = "") -> set[str]:
    """Keys whose range excludes its lower end (``field_docs`` does not say)."""
    out = set()
    for f in dataclasses.fields(cls):
        if dataclasses.is_dataclass(f.default_factory):
            out |= _open_below(f.default_factory, f"{prefix}{f.name}.")
        elif f.metadata.get("lo_open"):
            out.add(f"{prefix}{f.name}")
    return out


def _range(meta: dict) -> str:
    if meta.get("choices"):
        return "one of " + ", ".join(meta["choices"])
    lo, hi = meta.get("range") or (None, None)
    if lo is None and hi is None:
        return ""
    return f"{'(' if meta.get('lo_open') else '['}{lo}, {hi}]"


def help_text() -> str:
    """``leadsim --help``: usage, every group with its options, every parameter with its
    default, allowed range and doc line (from the schema in :mod:`simulation.config`)."""
    from . import __version__

    docs, values = field_docs(), _default_values()
    for key in _open_below():
        docs[key] = {**docs[key], "lo_open": True}
    lines = [
        f"leadsim {__version__}: one run of the leadership model (or a sweep with -m), written to a new folder.",
        "",
        "usage: leadsim [GROUP=OPTION ...] [KEY=VALUE ...] [+experiment=NAME] [-m] [--cfg job] [--version]",
        "",
        "  -m, --multirun   sweep: comma lists or range(...) of values, e.g. -m seed='range(20)' coordination=delegation,hybrid",
        "  --cfg job        print the composed configuration and stop",
        "  --version        leadsim's version, with the Python, Mesa and NumPy in use",
        "  --hydra-help     Hydra's own options (hydra.run.dir=FOLDER chooses the output folder)",
        "",
        "groups (GROUP=OPTION; * marks the default):",
    ]
    groups = group_options()
    width = max(map(len, groups), default=0)
    for name, (options, default) in groups.items():
        shown = ", ".join(o + ("*" if o == default else "") for o in options)
        plus = "  (added with a plus: +experiment=NAME)" if default is None else ""
        lines.append(f"  {name:<{width}}  {shown}{plus}")
    lines += ["", "parameters (KEY=VALUE; default, allowed range, meaning):"]
    kw = max(map(len, docs))
    vw = min(12, max(len(_show(values[k])) for k in docs))
    rw = min(24, max(len(_range(m)) for m in docs.values()))
    section = None
    for key, meta in docs.items():
        head = key.split(".")[0] if "." in key else "run"
        if head != section:
            section = head
            lines.append(f"  {section}:")
        lines.append(f"    {key:<{kw}}  {_show(values[key]):<{vw}}  {_range(meta):<{rw}}  {meta['doc']}".rstrip())
    lines += [
        "",
        "Bad values stop before anything is written (one line, exit code 2). "
        "The model and every parameter: docs/ODD.md.",
    ]
    return "\n".join(lines)


def _show(value) -> str:
    if isinstance(value, str):
        return value or '""'
    return "null" if value is None else str(value)
