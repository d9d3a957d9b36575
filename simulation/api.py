"""The Python API for notebooks and scripts.

>>> import simulation
>>> r = simulation.run(["coordination=hybrid", "organization.size=60"], steps=200)
>>> r.metrics["throughput"], r.timeseries.tail()
"""

from __future__ import annotations

from .hydra_config import compose_config
from .runner import RunResult, simulate, write_outputs

__all__ = ["run", "RunResult", "overrides_from_kwargs"]


def overrides_from_kwargs(kwargs: dict) -> list[str]:
    """``organization__size=60`` -> ``organization.size=60``; groups by name
    (``coordination="hybrid"``); lists as Hydra lists."""
    out = []
    for key, value in kwargs.items():
        if isinstance(value, (list, tuple)):
            value = "[" + ",".join(map(str, value)) + "]"
        elif isinstance(value, bool):
            value = str(value).lower()
        out.append(f"{key.replace('__', '.')}={value}")
    return out


def run(overrides: list[str] | tuple = (), /, *, save_to=None, progress: bool = False, **kwargs) -> RunResult:
    """Run one simulation configured like the command line, in this process.

    ``overrides`` are Hydra overrides (``"coordination=distributed"``,
    ``"culture=high_trust"``, ``"organization.size=60"``); keyword arguments add more
    (``seed=3``, ``organization__clarity=0.8``). Nothing is written unless ``save_to``
    names a folder. Bad input raises :class:`simulation.ConfigError` naming the key.
    """
    cfg = compose_config([*overrides, *overrides_from_kwargs(kwargs)])
    result = simulate(cfg, progress=progress)
    if save_to is not None:
        write_outputs(save_to, result)
    return result
