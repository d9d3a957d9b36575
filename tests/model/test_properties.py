"""Property-based tests: over random valid configurations, invariants hold and metrics are in range."""

from __future__ import annotations

import math

from helpers import check_invariants, make_config
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulation import LeadershipModel
from simulation.config import NETWORKS, REGIMES

unit = st.floats(0.0, 1.0)

configs = st.fixed_dictionaries(
    {
        "coordination.name": st.sampled_from(REGIMES),
        "organization.network": st.sampled_from([x for x in NETWORKS if x != "from_files"]),
        "organization.size": st.integers(3, 40),
        "organization.degree": st.integers(2, 6),
        "organization.team_size": st.integers(2, 10),
        "organization.leader_capacity": st.integers(0, 5),
        "organization.clarity": unit,
        "organization.transparency": unit,
        "culture.trust": unit,
        "culture.initiative": unit,
        "culture.error_tolerance": unit,
        "culture.feedback": unit,
        "people.domains": st.integers(1, 5),
        "people.capacity": st.integers(1, 3),
        "people.learning_rate": st.floats(0.0, 0.5),
        "workload.arrival_rate": st.floats(0.0, 6.0),
        "workload.effort": st.floats(0.5, 10.0),
        "workload.cross_functional": unit,
        "workload.team_size_weights": st.lists(st.floats(0.0, 1.0), min_size=1, max_size=5).filter(
            lambda w: sum(w) > 0
        ),
        "coordination.patience": st.integers(1, 5),
        "coordination.grant_threshold": unit,
        "seed": st.integers(0, 2**32),
    }
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(configs)
def test_invariants_and_metric_ranges_over_random_configs(params):
    if params["organization.network"] != "complete":
        params["organization.degree"] = min(params["organization.degree"], params["organization.size"] - 1)
        if params["organization.degree"] < 2:
            params["organization.network"] = "complete"
    cfg = make_config(**params, steps=40, warmup=10)
    m = LeadershipModel(cfg)
    for _ in range(cfg.steps):
        m.step()
        check_invariants(m)
    met = m.metrics()
    shares = (
        "success_rate",
        "role_ambiguity",
        "contested_share",
        "unowned_share",
        "workload_gini",
        "competence_gain_gini",
        "role_fluidity",
        "engagement_mean",
        "trust_mean",
        "trust_leader_mean",
        "leader_utilization",
        "escalation_rate",
        "overload_share",
    )
    for k in shares:
        assert math.isnan(met[k]) or 0.0 <= met[k] <= 1.0, (k, met[k])
    for k in (
        "throughput",
        "lead_time_mean",
        "lead_time_p90",
        "owner_wait_mean",
        "conflict_rate",
        "competence_gain",
        "wip_mean",
        "leader_queue_mean",
    ):
        assert math.isnan(met[k]) or met[k] >= 0.0, (k, met[k])
    assert met["tasks_arrived"] == met["tasks_completed"] + met["tasks_failed"] + met["tasks_open"]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 9), st.sampled_from([0.5, 0.8, 0.9, 1.0]), st.booleans()), max_size=80),
    st.lists(st.floats(0.0, 1.0), min_size=10, max_size=10),
)
def test_batch_updates_equal_one_by_one_updates(updates, start):
    """``Compounder.move`` (with or without repeated indices, short or long batches)
    ends where applying the updates one at a time — gains, then losses — ends."""
    import numpy as np

    from simulation.updates import Compounder

    values = np.array(start)
    Compounder(values).move([i for i, _, _ in updates], [k for _, k, _ in updates], [u for _, _, u in updates])
    expect = np.array(start)
    for i, k, u in sorted(updates, key=lambda x: not x[2]):  # gains first
        expect[i] = 1.0 - (1.0 - expect[i]) * k if u else expect[i] * k
    np.testing.assert_allclose(values, expect, rtol=1e-12, atol=1e-15)
    assert ((values >= 0) & (values <= 1)).all()


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(-3, 40), max_size=120))
def test_unique_inverse_equals_numpy_unique(values):
    """The trust stores' fast grouping returns exactly what ``np.unique`` returns."""
    import numpy as np

    from simulation.updates import unique_inverse

    index = np.array(values, dtype=np.int64)
    uniq, inverse = unique_inverse(index)
    expect_uniq, expect_inverse = np.unique(index, return_inverse=True)
    np.testing.assert_array_equal(uniq, expect_uniq)
    np.testing.assert_array_equal(inverse, expect_inverse.reshape(-1))
