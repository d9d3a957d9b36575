"""A config loader that composes each distinct *structure* of a sweep once per process.

Hydra composes every job's config from scratch (defaults tree, YAML files, schema
merges: ~0.07 s on a quiet machine), although the jobs of a typical sweep differ only
in a few plain values (``seed=17``, ``culture.trust=0.4``). :class:`CachingConfigLoader`
wraps Hydra's loader and splits a job's overrides into

* *structural* ones — config groups, ``+``/``~``/``++``, ``hydra.*``, lists, dicts,
  sweeps, interpolations, anything whose key is not a leaf value of the composed
  config — which it composes with Hydra itself, once per distinct list, and caches in
  the process (module-level, bounded: a loky worker keeps it between jobs); and
* *scalar* ones (``key=value`` on a leaf), which it applies to a copy of the cached
  config with Hydra's own ``ConfigLoaderImpl._apply_overrides_to_config`` — the same
  ``OmegaConf.update(cfg, key, value, merge=True)`` under struct mode, the same errors.

It then rebuilds what Hydra derives from the whole override list
(``ConfigLoaderImpl._load_configuration_impl`` and ``load_sweep_config`` in
hydra-core 1.3): ``hydra.overrides.task`` in the original order,
``hydra.job.override_dirname``, ``hydra.job.env_set`` from ``env_copy``,
``hydra.runtime.cwd``, and the master config's resolver cache (``OmegaConf.copy_cache``).
Whenever a case is not plainly covered, or applying a value fails, it falls back to
Hydra's full load, so errors are Hydra's own. ``tests/test_sweep_overhead.py`` checks
that the result equals Hydra's for a mix of override lists.

The module name starts with ``_`` so that Hydra's plugin scan skips it: the scan
re-executes every other module under ``hydra_plugins`` — in a joblib worker, before
every job (``Singleton.set_state``) — which would empty the cache and give its class a
new identity that plain pickle refuses.
"""

from __future__ import annotations

import copy
import os
import pickle
import uuid
from collections import Counter, OrderedDict
from typing import Any

from hydra._internal.config_loader_impl import ConfigLoaderImpl, get_overrides_dirname
from hydra.core.config_loader import ConfigLoader
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.core.override_parser.types import Override, OverrideType, ValueType
from hydra.core.utils import JobRuntime
from hydra.types import RunMode
from omegaconf import DictConfig, OmegaConf, open_dict
from omegaconf.nodes import ValueNode

#: Composed configs and config repositories of this process, least recently used first.
_CACHE: OrderedDict = OrderedDict()
_CACHE_SIZE = 64
#: How jobs were loaded in this process: ``composed`` (cache miss), ``cached``,
#: ``fallback`` (Hydra's full load). Read by the tests and when profiling.
STATS: Counter = Counter()


class CachingConfigLoader(ConfigLoader):
    """Hydra's config loader with a per-process cache for :meth:`load_sweep_config`.

    Everything else is delegated. The instance is pickled to joblib/submitit workers
    with the launcher's ``hydra_context``; the cache is not (it lives in the module),
    and ``token`` — new for every sweep — keeps a reused worker from serving a config
    composed for an earlier sweep (whose YAML files may have changed since).
    """

    def __init__(self, loader: ConfigLoader) -> None:
        self.loader = loader
        self.token = uuid.uuid4().hex

    # -- the ConfigLoader interface, delegated ------------------------------------------
    def load_configuration(self, *args: Any, **kwargs: Any) -> DictConfig:
        return self.loader.load_configuration(*args, **kwargs)

    def get_search_path(self):
        return self.loader.get_search_path()

    def get_sources(self):
        return self.loader.get_sources()

    def list_groups(self, parent_name: str):
        return self.loader.list_groups(parent_name)

    def get_group_options(self, *args: Any, **kwargs: Any):
        return self.loader.get_group_options(*args, **kwargs)

    def compute_defaults_list(self, *args: Any, **kwargs: Any):
        return self.loader.compute_defaults_list(*args, **kwargs)

    # -- the cached path ----------------------------------------------------------------
    def load_sweep_config(self, master_config: DictConfig, sweep_overrides: list[str]) -> DictConfig:
        try:
            cfg = self._load_cached(master_config, list(sweep_overrides))
        except Exception:  # any surprise: let Hydra do it (and raise its own error)
            cfg = None
        if cfg is None:
            STATS["fallback"] += 1
            return self.loader.load_sweep_config(master_config, list(sweep_overrides))
        return cfg

    def _load_cached(self, master_config: DictConfig, job_lines: list[str]) -> DictConfig | None:
        if not isinstance(self.loader, ConfigLoaderImpl):
            return None
        config_name = master_config.hydra.job.config_name
        hydra_lines = list(OmegaConf.to_container(master_config.hydra.overrides.hydra))
        parser = OverridesParser.create()
        job = parser.parse_overrides(job_lines)
        if any(o.is_sweep_override() for o in job):
            return None  # Hydra refuses sweeps in a job: let it say so
        all_hydra = hydra_lines + [o.input_line for o in job if o.is_hydra_override()]
        repo = self._cached(("repo", config_name, tuple(all_hydra)), lambda: self._repository(config_name, all_hydra))
        scalar, structural, edited = [], [], []
        for o in job:
            if o.is_hydra_override() or repo.group_exists(o.key_or_group):
                structural.append(o)
            elif _plain_value(o):
                scalar.append(o)
            else:
                structural.append(o)
                edited.append(o.key_or_group)
        # Hydra applies config overrides (not groups) in their order; ours come after the
        # structural ones, which is the same only when they touch different keys.
        if any(_related(o.key_or_group, k) for o in scalar for k in edited):
            return None

        lines = tuple(o.input_line for o in structural)
        key = ("cfg", config_name, tuple(hydra_lines), lines, _job_name())
        base, frozen = self._cached(key, lambda: _frozen(self.loader.load_configuration(
            config_name=config_name, overrides=hydra_lines + list(lines), run_mode=RunMode.RUN)))
        if not all(_is_leaf(base, o.key_or_group) for o in scalar):
            return None

        cfg = copy.deepcopy(base) if frozen is None else pickle.loads(frozen)
        ConfigLoaderImpl._apply_overrides_to_config(scalar, cfg)
        app = [o for o in job if not o.is_hydra_override()]
        cfg.hydra.overrides.task = [o.input_line for o in app]
        names = cfg.hydra.job.config.override_dirname
        cfg.hydra.job.override_dirname = get_overrides_dirname(
            overrides=app, kv_sep=names.kv_sep, item_sep=names.item_sep, exclude_keys=names.exclude_keys)
        with open_dict(cfg.hydra):
            for k in cfg.hydra.job.env_copy:
                cfg.hydra.job.env_set[k] = os.environ[k]
        cfg.hydra.runtime.cwd = os.getcwd()
        OmegaConf.copy_cache(from_config=master_config, to_config=cfg)
        STATS["cached"] += 1
        return cfg

    def _repository(self, config_name, hydra_lines):
        """The config repository Hydra would compose from (``hydra.searchpath`` applied):
        it decides which override keys are config groups."""
        return self.loader._parse_overrides_and_create_caching_repo(config_name, hydra_lines)[1]

    def _cached(self, key: tuple, make):
        key = (self.token, *key)
        if key in _CACHE:
            _CACHE.move_to_end(key)
            return _CACHE[key]
        value = make()
        if key[1] == "cfg":
            STATS["composed"] += 1
        _CACHE[key] = value
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
        return value


def _frozen(cfg: DictConfig) -> tuple[DictConfig, bytes | None]:
    """The config and its pickle: unpickling gives a fresh copy 3-4x faster than
    ``copy.deepcopy``. Not every config pickles: after Hydra's plugin scan, the launcher's
    schema class in the config may no longer be the one its module exports."""
    try:
        return cfg, pickle.dumps(cfg)
    except Exception:
        return cfg, None


def _plain_value(o: Override) -> bool:
    """``key=value`` with a single value that is not a list, dict or interpolation."""
    if o.is_hydra_override() or o.type != OverrideType.CHANGE or o.package is not None:
        return False
    if o.value_type != ValueType.ELEMENT:
        return False
    value = o.value()
    if isinstance(value, str):
        return "${" not in value
    return value is None or isinstance(value, (bool, int, float))


def _is_leaf(cfg: DictConfig, key: str) -> bool:
    """Whether ``key`` names a value node reached through plain dict nodes only."""
    node: Any = cfg
    for part in key.split("."):
        if not isinstance(node, DictConfig) or node._is_missing() or node._is_none() or node._is_interpolation():
            return False
        node = node._get_node(part, throw_on_missing_key=False)
        if node is None:
            return False
    return isinstance(node, ValueNode)


def _related(a: str, b: str) -> bool:
    return a == b or a.startswith(b + ".") or b.startswith(a + ".")


def _job_name() -> str | None:
    """Hydra names the job from the task (``JobRuntime``) when the config does not."""
    try:
        return JobRuntime.instance().get("name")
    except KeyError:
        return None


def clear_cache() -> None:
    _CACHE.clear()
    STATS.clear()
