"""leadsim: an agent-based simulator of delegation versus distributed leadership."""

from importlib.metadata import PackageNotFoundError, version as _version

try:
    __version__ = _version("leadsim")
except PackageNotFoundError:  # pragma: no cover - running from a plain checkout
    __version__ = "0.0.0+unknown"

from .config import ConfigError, SimConfig  # noqa: E402
from .metrics import METRICS, compute_metrics  # noqa: E402
from .model import LeadershipModel  # noqa: E402
from .regimes import REGIMES, Coordination, Delegation, Distributed, Hybrid  # noqa: E402

__all__ = ["LeadershipModel", "SimConfig", "ConfigError", "METRICS", "compute_metrics",
           "REGIMES", "Coordination", "Delegation", "Distributed", "Hybrid", "run", "RunResult",
           "__version__"]


def __getattr__(name):
    # The Python API composes configs with Hydra; import it only when asked for, so
    # that the model core stays importable without Hydra.
    if name in ("run", "RunResult"):
        from . import api
        return getattr(api, name)
    raise AttributeError(name)
