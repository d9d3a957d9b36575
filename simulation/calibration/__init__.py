"""Calibrate leadsim to an organisation's observed figures, then compare regimes there.

>>> from simulation.calibration import calibrate, load_spec
>>> spec = load_spec("examples/organisations/krackhardt-1987/targets.yaml")
>>> result = calibrate(spec, "outputs/calibration")
>>> result.summary            # median and 95 % credible interval per parameter
>>> result.regime_summary     # delegation vs distributed vs hybrid, paired differences

Approximate Bayesian computation by pyabc's ABC-SMC (:mod:`.abc`); the method, its
assumptions and how to read the outputs: docs/organisations.md.
"""

from .abc import posterior, summary, weighted_quantile
from .run import CalibrationResult, calibrate
from .spec import Spec, UsageError, load_spec

__all__ = [
    "calibrate",
    "CalibrationResult",
    "load_spec",
    "Spec",
    "UsageError",
    "posterior",
    "summary",
    "weighted_quantile",
]
