"""The report's statistics on constructed tables: intervals stay inside a metric's
range, and few runs are flagged."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from simulation.sweep.report import FEW, NONNEG, UNIT, metric_names, summarize


def _table(values: dict[str, list[float]]) -> pd.DataFrame:
    n = len(next(iter(values.values())))
    return pd.DataFrame({"coordination.name": ["delegation"] * n, "status": ["ok"] * n, "seed": range(n), **values})


@given(st.lists(st.floats(0, 1), min_size=2, max_size=8), st.lists(st.floats(0, 50), min_size=2, max_size=8))
@settings(max_examples=100, deadline=None)
def test_intervals_are_clipped_to_the_metrics_range(shares, counts):
    n = min(len(shares), len(counts))
    s = summarize(
        _table({"success_rate": shares[:n], "throughput": counts[:n]}),
        ["coordination.name"],
        metrics=["success_rate", "throughput"],
    ).iloc[0]
    assert 0 <= s.success_rate_ci_low <= s.success_rate_mean + 1e-12 and s.success_rate_ci_high <= 1
    assert s.throughput_ci_low >= 0
    assert s.caveat.startswith(f"fewer than {FEW}") == (n < FEW)


def test_an_unbounded_metric_keeps_its_student_t_interval():
    x = np.array([-1.0, 0.5, 0.2])
    s = summarize(_table({"competence_gain": list(x)}), ["coordination.name"], metrics=["competence_gain"]).iloc[0]
    assert s.competence_gain_ci_low < -1  # not clipped: no known range
    assert "competence_gain" not in UNIT | NONNEG


def test_extra_metric_columns_count_as_metrics_but_parameters_do_not():
    df = _table({"throughput": [1.0, 2.0], "roles_broker_share": [0.1, 0.2], "culture.trust": [0.5, 0.5]})
    df["leadsim_version"] = "x"
    assert metric_names(df) == ["throughput", "roles_broker_share"]
