"""The vectorised core reproduces the distributions of the per-task implementation.

Restructuring the hot paths changed the order of random draws, so single runs
differ; the distributions of the main metrics over 30 seeds must not. The reference
sample (``data/reference_metrics.csv``) was produced by the per-task implementation
(commit recorded in its first column) with ``data/make_reference.py``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "data"))
from make_reference import sample

MAIN = [
    "throughput",
    "owner_wait_mean",
    "lead_time_mean",
    "success_rate",
    "role_ambiguity",
    "conflict_rate",
    "leader_utilization",
    "workload_gini",
    "role_fluidity",
    "engagement_mean",
    "competence_gain",
    "trust_mean",
    "trust_leader_mean",
    "wip_mean",
]
ALPHA = 0.001  # per comparison; 14 metrics x 3 regimes x 2 tests
#: Known, intended differences. Claiming rounds became simultaneous for all pool
#: tasks in a step (docs/ODD.md 7.3): a person sees every task with the spare
#: capacity of the round's start, so distributed leadership gets slightly more
#: contests (role ambiguity 0.400 -> about 0.415 over 90 seeds). For these the
#: test bounds the shift of the mean instead of asserting none (CHANGELOG 0.1.0).
KNOWN_SHIFT = {("distributed", "role_ambiguity"): 0.03}


@pytest.mark.slow
@pytest.mark.parametrize("regime", ["delegation", "distributed", "hybrid"])
def test_metric_distributions_unchanged(regime):
    ref = pd.read_csv(Path(__file__).resolve().parents[1] / "data" / "reference_metrics.csv")
    a, b = ref[ref.regime == regime], sample([regime])
    for metric in MAIN:
        x, y = a[metric].to_numpy(float), b[metric].to_numpy(float)
        if np.allclose(x, x[0]) and np.allclose(y, y[0]):
            assert x[0] == pytest.approx(y[0], abs=1e-9), metric  # e.g. no conflicts in delegation
            continue
        if (regime, metric) in KNOWN_SHIFT:
            assert abs(y.mean() - x.mean()) < KNOWN_SHIFT[regime, metric], (regime, metric, x.mean(), y.mean())
            continue
        t = stats.ttest_ind(x, y, equal_var=False).pvalue
        ks = stats.ks_2samp(x, y).pvalue
        assert t > ALPHA and ks > ALPHA, (
            f"{regime} {metric}: mean {x.mean():.4g} vs {y.mean():.4g} (t p={t:.2g}, KS p={ks:.2g})"
        )
