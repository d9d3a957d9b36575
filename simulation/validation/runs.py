"""Building configurations, running replicates and reading the event log."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np
from joblib import Parallel, delayed

from ..config import SimConfig, from_dict, to_dict
from ..model import LeadershipModel
from ..tasks import Event


def config(overrides: dict | None = None, **kw) -> SimConfig:
    """A validated config from dotted overrides: ``{"culture.trust": 0.2, "steps": 800}``.

    Keyword arguments use ``__`` for the dot (``culture__trust=0.2``).
    """
    data = to_dict(SimConfig())
    # The checks were designed with a 100-step warm-up (the default before 0.1.0);
    # they keep it unless they say otherwise, whatever the package default is now.
    data["warmup"] = 100
    items = dict(overrides or {})
    items.update({k.replace("__", "."): v for k, v in kw.items()})
    for key, value in items.items():
        node = data
        *path, last = key.split(".")
        for part in path:
            node = node[part]
        if last not in node:
            raise KeyError(key)
        node[last] = value
    return from_dict(data).validate()


def with_seed(cfg: SimConfig, seed: int) -> SimConfig:
    return dataclasses.replace(cfg, seed=int(seed))


def run_model(cfg: SimConfig, extra_steps: int = 0) -> LeadershipModel:
    """Run to ``cfg.steps``, then ``extra_steps`` more (arrivals go on; metrics that
    read ``model.now`` would then cover the longer run, so use the event log)."""
    model = LeadershipModel(cfg).run()
    for _ in range(extra_steps):
        model.step()
    return model


def replicate(fn: Callable, cfg: SimConfig, seeds, jobs: int = 1) -> list:
    """``fn(model)`` for one run per seed; ``jobs > 1`` runs in parallel processes."""
    seeds = [int(s) for s in seeds]
    if jobs == 1:
        return [fn(run_model(with_seed(cfg, s))) for s in seeds]
    return Parallel(n_jobs=jobs)(delayed(_one)(fn, with_seed(cfg, s)) for s in seeds)


def _one(fn, cfg):
    return fn(run_model(cfg))


def task_times(model: LeadershipModel) -> dict[str, np.ndarray]:
    """Per task (index = task id): steps of arrival, start and end (-1 if none yet).

    ``end`` is the step of COMPLETED or FAILED: a task leaves the system either way.
    """
    ev = model.events.array()
    n = int(ev[:, 1].max()) + 1 if len(ev) else 0  # every task logs ARRIVED

    def first(kind: Event) -> np.ndarray:
        out = np.full(n, -1, dtype=np.int64)
        rows = ev[ev[:, 2] == kind]
        out[rows[::-1, 1]] = rows[::-1, 0]
        return out

    end = np.maximum(first(Event.COMPLETED), first(Event.FAILED))
    return {"arrival": first(Event.ARRIVED), "start": first(Event.STARTED), "end": end}


def events_per_step(model: LeadershipModel, kind: Event) -> np.ndarray:
    """How many ``kind`` events each step 1..model.now logged (index 0 = step 1)."""
    ev = model.events.array()
    steps = ev[ev[:, 2] == kind, 0]
    return np.bincount(steps, minlength=model.now + 1)[1:]


def slope(y: np.ndarray) -> tuple[float, float]:
    """Least-squares slope of ``y`` against its index and its standard error.

    The standard error assumes independent residuals; queue series are strongly
    autocorrelated, so judge slopes across replicates, not by this error alone.
    """
    x = np.arange(len(y), dtype=float)
    x -= x.mean()
    b = float(x @ (y - y.mean()) / (x @ x))
    resid = y - y.mean() - b * x
    se = float(np.sqrt(resid @ resid / max(len(y) - 2, 1) / (x @ x)))
    return b, se
