"""Everything that depends on the Mesa version, in one place.

leadsim runs on Mesa 3.3.1 (the last Mesa for Python 3.11) and on the newest Mesa 3.x
(Python 3.12+). The two differ where leadsim touches Mesa in two ways, each
handled here with public APIs where Mesa has them, so the model core has no version
checks of its own and a later move to Mesa 4 changes this module only:

- the seed: Mesa 3.5 deprecates ``Model(seed=...)`` (a ``FutureWarning``) in favour
  of ``rng=``; both versions accept ``rng=`` and, for an integer, draw the same
  streams from it as from ``seed=`` (``random.Random(n)`` and ``default_rng(n)``);
- agent ids: Mesa 3.3 counts them in a class-level dict keyed by model, which keeps
  every finished model alive; Mesa 3.4+ counts them on the model itself;
- versions for reports: :func:`describe`.
"""

from __future__ import annotations

import inspect
from typing import Any

import mesa

#: Mesa's version as a tuple of ints, e.g. ``(3, 3, 1)`` (pre-release tags dropped).
MESA_VERSION: tuple[int, ...] = tuple(
    int("".join(c for c in part if c.isdigit()) or 0) for part in mesa.__version__.split(".")[:3]
)

#: Whether ``mesa.Model`` takes ``rng=`` (Mesa 3.0+) rather than only ``seed=``.
ACCEPTS_RNG: bool = "rng" in inspect.signature(mesa.Model.__init__).parameters

#: Mesa before 3.4 counts agent ids per model in a class-level dict (see :func:`release`).
CLASS_LEVEL_AGENT_IDS: bool = MESA_VERSION < (3, 4)


def model_kwargs(seed: int) -> dict[str, Any]:
    """Keyword arguments that seed ``mesa.Model.__init__`` without a deprecation warning.

    Use as ``super().__init__(**compat.model_kwargs(cfg.seed))``. An integer seed
    gives the same random streams through ``rng=`` as through ``seed=`` on every Mesa
    3.x, so results do not depend on which of the two is used.
    """
    return {"rng": int(seed)} if ACCEPTS_RNG else {"seed": int(seed)}


def release(model: mesa.Model) -> None:
    """Let a finished model be garbage-collected once nothing else refers to it.

    Mesa 3.3 draws agent ids from ``Agent._ids``, a class-level dict with one counter
    per model *as key*: every model ever built stays reachable, about a megabyte per
    run in a process that runs thousands. Mesa 3.3 offers no public way to drop the
    entry, so the private dict is touched only on that version (and only if it is
    there); from Mesa 3.4 on the counter lives on the model and nothing is needed.
    Call it only once the model will create no more agents.
    """
    if CLASS_LEVEL_AGENT_IDS:
        ids = getattr(mesa.Agent, "_ids", None)
        if ids is not None:
            ids.pop(model, None)


def describe() -> str:
    """One line naming the Python, Mesa and NumPy versions, for reports and bug reports."""
    import platform

    import numpy as np

    return f"Python {platform.python_version()}, Mesa {mesa.__version__}, NumPy {np.__version__}"
