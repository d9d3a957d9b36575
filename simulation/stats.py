"""Small statistics shared by the demo, reports and validation."""

from __future__ import annotations

import numpy as np
from scipy.special import stdtrit  # the t quantile, without importing scipy.stats (0.3 s)


def mean_ci(x, level: float = 0.95) -> tuple[float, float, float]:
    """Mean and the Student-t confidence interval ``(mean, low, high)``; NaNs dropped."""
    x = np.asarray(x, dtype=float)
    x = x[np.isfinite(x)]
    n = len(x)
    if n == 0:
        return (float("nan"),) * 3
    m = float(x.mean())
    if n == 1:
        return m, float("nan"), float("nan")
    half = float(stdtrit(n - 1, 0.5 + level / 2) * x.std(ddof=1) / np.sqrt(n))
    return m, m - half, m + half
