"""A sweep's jobs and their configurations, through Hydra's public APIs only.

leadsim's sweeper and launchers rely on nothing but

* ``hydra.core.override_parser`` (``OverridesParser``, ``Override``), which every
  sweeper plugin uses to read the command line,
* ``ConfigLoader.load_sweep_config`` and ``ConfigLoader.list_groups``, the config
  loader interface that Hydra hands to every launcher plugin, and
* documented OmegaConf calls (``OmegaConf.update``, ``select``, ``to_container``).

:func:`expand` forms Hydra's basic sweeper's Cartesian product. :class:`JobComposer`
composes each distinct *structure* of a chunk (group choices, ``+``/``~``, ``hydra.*``,
non-scalar values) once with ``load_sweep_config`` and sets plain ``key=value``
overrides with ``OmegaConf.update(cfg, key, value, merge=True)`` under struct mode,
which is what Hydra does for them — in place, restoring what the previous job set
(copying a config costs as much as a tenth of a short run). The first job of every chunk is also
composed in full and compared: if the shortcut ever disagrees with Hydra, the chunk is
composed job by job and a warning says so (``tests/sweep/test_sweep_hydra_api.py`` fails
loudly in that case, and if any of these APIs change).
"""

from __future__ import annotations

import itertools
import re
import sys
from collections.abc import Sequence
from typing import Any

from omegaconf import DictConfig, OmegaConf, open_dict


def parse(lines: Sequence[str], config_loader=None) -> list:
    from hydra.core.override_parser.overrides_parser import OverridesParser

    return OverridesParser.create(config_loader=config_loader).parse_overrides(list(lines))


def expand(overrides: list) -> list[list[str]]:
    """Every job of a Cartesian sweep over parsed ``overrides``, in Hydra's basic
    sweeper's order (the first key varies slowest; a key given twice keeps its last
    value, in its first position)."""
    lists: dict[str, list[str]] = {}
    for o in overrides:
        key = o.get_key_element()
        if o.is_sweep_override():
            if not o.is_discrete_sweep():
                raise ValueError(f"{key}: leadsim's sweeper does not support sweep type {o.value_type.name}")
            lists[key] = [f"{key}={v}" for v in o.sweep_string_iterator()]
        else:
            lists[key] = [f"{key}={o.get_value_element_as_str()}"]
    return [list(job) for job in itertools.product(*lists.values())]


def batches(jobs: list, size: int | None) -> list[list]:
    if size is None or size == -1:
        return [jobs]
    if size <= 0:
        raise ValueError(f"hydra.sweeper.max_batch_size: must be positive or null, got {size}")
    return [jobs[i : i + size] for i in range(0, len(jobs), size)]


def _plain(o) -> bool:
    """``key=value`` with one scalar value (no group, list, dict, interpolation, ``+``)."""
    from hydra.core.override_parser.types import OverrideType, ValueType

    if o.is_hydra_override() or o.type != OverrideType.CHANGE or o.package is not None:
        return False
    if o.value_type != ValueType.ELEMENT or "/" in o.key_or_group:
        return False
    v = o.value()
    if isinstance(v, str):
        return "${" not in v
    return v is None or isinstance(v, (bool, int, float))


def task_part(cfg: DictConfig) -> DictConfig:
    """The application's config without Hydra's node (what a run needs)."""
    out = cfg.copy()
    with open_dict(out):
        out.pop("hydra", None)
    return out


class JobComposer:
    """Configs of consecutive jobs: ``compose(overrides)`` returns the task config and
    the group choices (``hydra.runtime.choices``) of a job."""

    def __init__(self, config_loader, master_config: DictConfig, verify: bool = True) -> None:
        self.loader = config_loader
        self.master = master_config
        self.verify = verify
        self.full_only = False
        self._bases: dict[tuple, tuple] = {}  # structure -> config, choices, raw values, keys set
        self._parsed: dict[str, Any] = {}
        self._groups: set[str] | None = None
        self._last: tuple | None = None
        self._slow_data = False
        self._data_checked: set[tuple] = set()

    def groups(self) -> set[str]:
        if self._groups is None:
            self._groups = set(self.loader.list_groups(""))
        return self._groups

    def full(self, lines: Sequence[str]) -> tuple[DictConfig, dict]:
        cfg = self.loader.load_sweep_config(master_config=self.master, sweep_overrides=list(lines))
        choices = OmegaConf.to_container(cfg.hydra.runtime.choices, resolve=False)
        return task_part(cfg), choices

    def parsed(self, lines: Sequence[str]) -> list:
        """Overrides parsed once per distinct line; ``key=123`` and ``key=0.5`` (the
        seeds and values of most sweeps) without Hydra's grammar, same values."""
        out, todo = [], []
        for line in lines:
            if line not in self._parsed:
                m = None if line.startswith("hydra.") else _NUMBER.match(line)
                self._parsed[line] = (m.group(1), _number(m.group(2))) if m else None
                if m is None:
                    todo.append(line)
            out.append(line)
        if todo:
            for line, o in zip(todo, parse(todo)):
                self._parsed[line] = o
        if len(self._parsed) > 100_000:
            self._parsed.clear()
        return [self._parsed[line] for line in out]

    def compose(self, lines: Sequence[str]) -> tuple[DictConfig, dict]:
        """The job's task config. It is the *shared* config of the job's structure with the
        job's values set in place: use it before composing the next job."""
        self._last = None  # the structure, when this job is composed by values
        if self.full_only:
            return self.full(lines)
        try:
            parsed = self.parsed(lines)
        except Exception:
            return self.full(lines)  # Hydra's own error
        groups = self.groups()
        plain, structure = [], []
        for line, o in zip(lines, parsed):
            if isinstance(o, tuple):
                key, value = o
            elif _plain(o):
                key, value = o.key_or_group, o.value()
            else:
                structure.append(line)
                continue
            if key in groups:
                structure.append(line)
            else:
                plain.append((key, value))
        structure = tuple(structure)
        if structure not in self._bases:
            cfg, choices = self.full(structure)
            self._bases[structure] = (cfg, choices, OmegaConf.to_container(cfg, resolve=False), set())
        cfg, choices, raw, touched = self._bases[structure]
        try:
            for key in touched - {k for k, _ in plain}:  # values an earlier job set
                OmegaConf.update(cfg, key, _lookup(raw, key), merge=True)
            touched.clear()
            for key, value in plain:
                if OmegaConf.is_config(OmegaConf.select(cfg, key, default=None)):
                    raise _NotAValue(key)
                touched.add(key)
                OmegaConf.update(cfg, key, value, merge=True)
        except Exception:
            self._bases.pop(structure, None)  # rebuilt cleanly next time
            return self.full(lines)
        if self.verify:
            self.verify = False
            want, want_choices = self.full(lines)
            if _plain_container(want) != _plain_container(cfg) or want_choices != choices:
                print(
                    "[leadsim] warning: composing by values differs from Hydra's full composition "
                    f"for {' '.join(lines)}; composing every job in full",
                    file=sys.stderr,
                )
                self.full_only = True
                return want, want_choices
        self._last = structure
        return cfg, choices

    def compose_data(self, lines: Sequence[str]) -> tuple[dict, dict]:
        """``compose``, as the plain resolved mapping ``OmegaConf.to_container`` gives (what a
        run is built from). Converting the whole config costs more than the rest of a job's
        bookkeeping together, so a job composed by values is the structure's container with
        the job's values, as OmegaConf converted them, set in a copy. The first job of each
        structure is also converted in full and compared; if they ever differ, every job is
        converted in full from then on."""
        cfg, choices = self.compose(lines)
        structure = self._last
        if structure is None or self._slow_data:
            return _plain_container(cfg), choices
        _cfg, _choices, raw, touched = self._bases[structure]
        if structure not in self._data_checked and _has_interpolation(raw):
            self._slow_data = True  # values that refer to others: OmegaConf resolves them
            return _plain_container(cfg), choices
        data = _copy(raw)
        for key in touched:
            _assign(data, key, OmegaConf.select(cfg, key))
        if structure not in self._data_checked:
            self._data_checked.add(structure)
            want = _plain_container(cfg)
            if want != data:
                self._slow_data = True
                return want, choices
        return data, choices


class _NotAValue(Exception):
    pass


#: ``key=INT`` and ``key=FLOAT`` exactly as Hydra's grammar reads them (no leading zeros in
#: integers: Hydra reads ``007`` as a string); anything else goes to Hydra's parser.
_NUMBER = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)=(-?[0-9]+\.[0-9]+|-?(?:0|[1-9][0-9]*))$")


def _number(text: str):
    return float(text) if "." in text else int(text)


def _lookup(raw: dict, key: str):
    node: Any = raw
    for part in key.split("."):
        node = node[part]
    return node


def _assign(raw: dict, key: str, value) -> None:
    """``_lookup``'s counterpart: set the dotted ``key`` of a plain container."""
    *path, last = key.split(".")
    node = _lookup(raw, ".".join(path)) if path else raw
    node[last] = value


def _plain_container(cfg: DictConfig) -> Any:
    return OmegaConf.to_container(cfg, resolve=True)


def _copy(node):
    """A copy of a plain container (dicts and lists of scalars), cheaper than ``deepcopy``."""
    if isinstance(node, dict):
        return {k: _copy(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_copy(v) for v in node]
    return node


def _has_interpolation(node) -> bool:
    if isinstance(node, dict):
        return any(_has_interpolation(v) for v in node.values())
    if isinstance(node, list):
        return any(_has_interpolation(v) for v in node)
    return isinstance(node, str) and "${" in node
