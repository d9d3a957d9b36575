"""leadsim: an agent-based simulator of delegation versus distributed leadership."""

#: The one place the version is written: the build (pyproject's dynamic version),
#: ``leadsim --version``, saved configs and the citation files (tested) read it here.
__version__ = "0.2.0.dev0"

from .config import ConfigError, SimConfig
from .metrics import METRICS, compute_metrics
from .model import LeadershipModel
from .regimes import REGIMES, Coordination, Delegation, Distributed, Hybrid

__all__ = [
    "LeadershipModel",
    "SimConfig",
    "ConfigError",
    "METRICS",
    "compute_metrics",
    "REGIMES",
    "Coordination",
    "Delegation",
    "Distributed",
    "Hybrid",
    "run",
    "RunResult",
    "__version__",
]


def __getattr__(name):
    # The Python API composes configs with Hydra; import it only when asked for, so
    # that the model core stays importable without Hydra.
    if name in ("run", "RunResult"):
        from . import api

        return getattr(api, name)
    raise AttributeError(name)
