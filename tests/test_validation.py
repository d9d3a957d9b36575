"""Validation (docs/validation.md): the model against queueing theory, Little's law,
limits that must hold, the replicate and warm-up analysis and the source's patterns.

Every check runs with fixed seeds. Statistical checks compare with a 95 % confidence
interval over replicates; the exact ones (sample-path identities, frozen trust) use
equality. Failing checks that are findings about the model are ``xfail(strict=True)``
with the cause, so that a fix of the model turns them into errors to be promoted.
"""

from __future__ import annotations

import numpy as np
import pytest

from simulation.tasks import Event
from simulation.validation import checks, patterns, queueing, replicates
from simulation.validation.runs import config, run_model, with_seed

REGIMES = ("delegation", "distributed", "hybrid")


# --------------------------------------------------------------------- the exact queue
@pytest.mark.parametrize("lam", [0.1, 0.5, 0.8, 0.95])
def test_exact_queue_matches_closed_form_for_one_decision_per_step(lam):
    assert queueing.mean_wait(lam, 1) == pytest.approx(queueing.mean_wait_c1(lam), rel=1e-8)


@pytest.mark.parametrize("lam,c", [(0.3, 3), (1.5, 3), (2.7, 3), (4.5, 5), (9.0, 10)])
def test_exact_queue_fifo_wait_equals_littles_law_on_the_queue(lam, c):
    # Two independent routes from the stationary law: FIFO positions, and E[Q] / lam.
    assert queueing.mean_wait(lam, c) == pytest.approx(queueing.mean_wait_little(lam, c), rel=1e-8)


def test_exact_queue_matches_a_brute_force_lindley_recursion():
    lam, c = 2.4, 3
    q, waits = queueing.simulate_queue(lam, c, 200_000, seed=1)
    assert waits.mean() == pytest.approx(queueing.mean_wait(lam, c), rel=0.04)
    assert q.mean() == pytest.approx(queueing.mean_queue(lam, c), rel=0.04)


def test_exact_queue_stationary_law_is_a_distribution_and_rejects_instability():
    pi = queueing.stationary_queue(2.7, 3)
    assert pi.sum() == pytest.approx(1.0) and (pi >= 0).all()
    assert pi[-1] < 1e-12                      # the truncation loses nothing
    with pytest.raises(ValueError, match="unstable"):
        queueing.stationary_queue(3.0, 3)


# --------------------------------------------------------------------- the leader as a queue
@pytest.mark.parametrize("lam,c", [(2.7, 3), (0.9, 1), (4.0, 3)])
def test_leader_queue_is_the_exact_recursion_task_by_task(lam, c):
    # The model's own arrivals replayed through Q_t = max(Q_{t-1} + A_t - c, 0), FIFO.
    model = run_model(checks.queue_config(lam, c, steps=800, warmup=100))
    k = checks.queue_pathwise(model)
    assert k["tasks"] > 500
    assert k["start_mismatches"] == 0 and k["queue_mismatches"] == 0


def test_leader_wait_matches_exact_queue_at_half_load():
    r = checks.queue_check(0.5, c=3, seeds=range(8), steps=1500, warmup=100)
    assert r["pushbacks"] == 0                   # the pure queue: every decision starts a task
    assert r["wait_lo"] <= r["wait_theory"] <= r["wait_hi"], r
    assert r["starts_lo"] <= r["rate_theory"] <= r["starts_hi"], r
    # `throughput` counts successes only: below the decision rate by the failure share.
    assert r["completions"] < r["starts"] and r["ends"] == pytest.approx(r["starts"], rel=0.02)


@pytest.mark.slow
@pytest.mark.parametrize("rho,c,reps", [(0.9, 3, 20), (0.6, 1, 10)])
def test_leader_wait_matches_exact_queue_at_high_utilisation(rho, c, reps):
    # c = 1 stops at 0.6 here: at 0.9 the waits are so skewed that this design's 95 % CI
    # covers the exact mean only ~91 % of the time (measured on the exact recursion;
    # docs/validation.md), so that row is reported, not asserted.
    r = checks.queue_check(rho, c=c, seeds=range(reps), steps=2000, warmup=200)
    assert r["wait_lo"] <= r["wait_theory"] <= r["wait_hi"], r
    assert r["starts_lo"] <= r["rate_theory"] <= r["starts_hi"], r


def test_leader_queue_above_capacity_grows_with_slope_lambda_minus_c():
    r = checks.overload_check(4.0, c=3, seeds=range(4), steps=600, warmup=100)
    # Once the queue holds work, the leader decides exactly c tasks every step.
    assert r["min_starts"] == r["max_starts"] == 3
    assert r["slope_lo"] <= 1.0 <= r["slope_hi"], r
    assert r["queue_end"] > 400


# --------------------------------------------------------------------- Little's law
@pytest.mark.parametrize("regime", REGIMES)
def test_littles_law_sample_path_identity_is_exact(regime):
    model = run_model(config({"coordination.name": regime, "steps": 400, "warmup": 50}))
    wip_sum, time_in_system = checks.little_identity(model)
    assert wip_sum == time_in_system > 0


@pytest.mark.slow
@pytest.mark.parametrize("regime", REGIMES)
def test_littles_law_holds_within_the_confidence_interval(regime):
    r = checks.little_check({"coordination.name": regime}, seeds=range(6), steps=1500, warmup=200, drain=300)
    assert r["open"] == 0                        # the drain lets every task of the window leave
    assert r["diff_lo"] <= 0.0 <= r["diff_hi"], r
    assert abs(r["rel_diff"]) < 0.01


def test_littles_law_residual_is_exactly_the_edge_effect():
    # L - lam W over a finite window equals (time in the window of tasks that arrived
    # before it - time after it of tasks that arrived in it) / window: it vanishes only
    # in a stationary system. A low-trust hybrid organisation speeds up as trust is
    # earned, so the early edge outweighs the late one (docs/validation.md).
    cfg = config({"coordination.name": "hybrid", "culture.trust": 0.3, "steps": 800, "warmup": 200})
    for seed in range(2):
        r = checks.little_run(run_model(with_seed(cfg, seed)), drain=300)
        assert r["diff"] == pytest.approx(r["head"] - r["tail"], abs=1e-9)
        assert abs(r["diff"]) < 0.02 * r["L"]


# --------------------------------------------------------------------- limits
@pytest.mark.parametrize("regime", ["distributed", "hybrid"])
def test_clarity_one_means_no_conflict_from_contests(regime):
    k = checks.clarity_check(regime, 1.0, seeds=range(2), steps=300)
    assert k["contested"] > 50                   # there were contests; the rule settled them all
    assert k["contests"] == 0
    if regime == "distributed":                  # and nothing else logs CONFLICT there
        assert k["conflicts"] == 0
    assert checks.clarity_check("distributed", 0.0, seeds=range(1), steps=300)["contests"] > 0


def test_conflicts_under_a_leader_are_pushbacks_only():
    # Low trust in the leader: assignees push back; those are the only CONFLICT events.
    for regime in ("delegation", "hybrid"):
        m = run_model(config({"coordination.name": regime, "culture.trust": 0.3, "steps": 300,
                              "organization.clarity": 1.0}))
        k = checks.conflict_kinds(m)
        assert k["contests"] == 0 and k["conflicts"] == k["pushbacks"]
        if regime == "delegation":
            assert k["pushbacks"] > 0


def test_no_trust_means_no_claim_is_granted():
    d = checks.no_trust_check("distributed", seeds=range(2), steps=200)
    assert d["claimed"] > 1000 and d["granted"] == 0 and d["started"] == 0
    assert d["open"] == d["arrived"]             # nothing ever starts: the pool only grows
    h0 = checks.no_trust_check("hybrid", feedback=0.0, seeds=range(2), steps=200)
    assert h0["claimed"] > 0 and h0["granted"] == 0
    # With feedback, work the leader assigns earns trust: grants come, but only after outcomes.
    h = checks.no_trust_check("hybrid", feedback=0.1, seeds=range(2), steps=300)
    assert h["granted"] > 0 and h["granted_before_first_outcome"] == 0


def test_identical_people_without_feedback_loops_have_falling_inequality():
    g = checks.gini_by_length({**checks.PURE, "coordination.name": "distributed"}, (300, 2400),
                              seeds=range(3))
    short, long = g[300][0], g[2400][0]
    assert long < 0.1 and long < 0.6 * short     # noise only: about 1/sqrt(length)


def test_identical_people_have_small_falling_inequality():
    g = checks.gini_by_length({**checks.IDENTICAL, "coordination.name": "distributed"}, (600, 2400),
                              seeds=range(2))
    assert g[2400][0] < 0.1 and g[2400][0] < 0.6 * g[600][0]


@pytest.mark.slow
@pytest.mark.xfail(strict=True, reason="exclusion is absorbing without team tasks: colleagues' trust "
                   "in a person moves only on outcomes of tasks that person leads or follows "
                   "(model.py finish); below grant_threshold their claims are refused for good "
                   "(model.py claim_round), so with one-person tasks they never work again")
def test_identical_people_with_one_person_tasks_have_falling_inequality():
    g = checks.gini_by_length({**checks.IDENTICAL, "coordination.name": "distributed",
                               "workload.team_size_weights": [1.0]}, (1200, 4800), seeds=range(3))
    assert g[4800][0] < 0.1 and g[4800][0] < g[1200][0]


def test_followers_among_equals_are_not_chosen_by_index():
    # Was a finding (stable sort on competence: the lowest-indexed colleagues always
    # followed); teams.py _recruits now breaks ties at random.
    share = checks.follower_concentration({**checks.IDENTICAL, "organization.network": "complete",
                                           "coordination.name": "distributed"}, steps=600)
    assert share < 0.2                            # a tenth of the people: about 0.1


def test_delegation_spreads_work_among_identical_people_when_the_leader_sees_them_alike():
    # Was a finding (the leader's ranking broke ties by index: Gini 0.9); now random.
    g = checks.gini_by_length({**checks.IDENTICAL, "coordination.name": "delegation",
                               "coordination.perception_noise": 0.0, "coordination.perception_rate": 0.0},
                              (300, 1200), seeds=range(2))
    assert g[1200][0] < 0.2 and g[1200][0] < 0.7 * g[300][0]


def test_delegation_concentrates_work_on_the_leaders_favourites():
    # A mechanism, not a defect: the leader picks whom it rates best, and its view is
    # noisy and learned from outcomes, so even identical people get unequal work.
    g = checks.gini_by_length({**checks.IDENTICAL, "coordination.name": "delegation"}, (1200,), seeds=range(2))
    assert g[1200][0] > 0.3


@pytest.mark.parametrize("lam", [2.0, 2.5])
def test_leader_capacity_above_arrivals_queue_does_not_grow(lam):
    k = checks.capacity_check(lam, 3, seeds=range(3), steps=1200)
    assert k["slope_lo"] <= 0.0 <= k["slope_hi"] or abs(k["slope"]) < 1e-3, k
    assert k["max"] < 60


@pytest.mark.parametrize("regime", REGIMES)
def test_feedback_off_freezes_all_trust(regime):
    k = checks.feedback_off_check(regime, steps=300, **{"culture.trust": 0.35})
    assert k["ties_equal"] and k["leader_equal"], k
    assert k["outcomes"] > 100                   # outcomes happened, and would have moved trust
    if regime != "hybrid":
        assert k["conflicts"] > 0                # so did conflicts (contests or pushbacks)


# --------------------------------------------------------------------- replicates and warm-up
def test_mser_finds_a_known_transient_and_flags_a_trend():
    rng = np.random.default_rng(0)
    t = np.arange(2000)
    x = 5 * np.exp(-t / 60) + rng.normal(0, 0.5, len(t))
    d, ok = replicates.mser(x)
    assert ok and 100 <= d <= 400
    d0, ok0 = replicates.mser(rng.normal(0, 1, 2000))
    assert ok0 and d0 < 200
    _, ok_trend = replicates.mser(t / 100 + rng.normal(0, 0.5, len(t)))
    assert not ok_trend


def test_cv_curve_and_its_stabilisation():
    x = np.random.default_rng(1).normal(10, 1, 200)
    cv = replicates.cv_curve(x)
    assert np.isnan(cv[0]) and cv[-1] == pytest.approx(0.1, abs=0.02)
    n = replicates.stable_from(cv, 0.01)
    assert 2 < n < 100
    assert replicates.stable_from(replicates.cv_curve(np.full(20, 3.0))) == 2
    assert replicates.n_for_precision(x, 0.05) in range(14, 19)   # (1.96 * 0.1 / 0.05)^2 ≈ 15.4


def test_wip_leaves_its_transient_within_the_default_warmup():
    for regime in REGIMES:
        s = replicates.warmup_runs(regime, n=3, steps=1000)
        d, ok = replicates.mser(s["wip"].mean(axis=0))
        assert ok and d <= 100, (regime, d)


def test_trust_is_still_drifting_at_the_end_of_the_default_run():
    # A finding, not a defect: with learning on, trust keeps rising for thousands of steps.
    s = replicates.warmup_runs("distributed", n=3, steps=1000)
    d, ok = replicates.mser(s["trust_mean"].mean(axis=0))
    assert not ok and d >= 400


# --------------------------------------------------------------------- patterns of CONCEPTS.md
@pytest.mark.slow
@pytest.mark.parametrize("index", [i for i, r in enumerate(patterns.ROWS)
                                   if r.claim in (1, 2, 4, 5, 7, 13, 14) and "role ambiguity" not in r.pattern
                                   and "wait" not in r.pattern and "unowned" not in r.pattern
                                   and "self-reinforcing" not in r.text])
def test_pattern_is_shown(index):
    row = patterns.run_row(patterns.ROWS[index], seeds=range(4), steps=300)
    assert row["verdict"] == "shown", row


def test_pattern_hybrid_removes_horizontal_conflict_but_not_flagged_ambiguity():
    row8 = [r for r in patterns.ROWS if r.claim == 8]
    conflict = patterns.run_row(row8[2], seeds=range(3), steps=300)
    ambiguity = patterns.run_row(row8[1], seeds=range(3), steps=300)
    assert conflict["B"] == 0.0 and conflict["verdict"] == "shown"
    assert ambiguity["verdict"] == "not shown"    # flags are set before the leader steps in


def test_pattern_measures_are_computed_from_the_model():
    m = run_model(with_seed(config({"coordination.name": "distributed", "steps": 200}), 0))
    ev = m.events.array()
    refused = (ev[:, 2] == Event.REFUSED).sum() / (ev[:, 2] == Event.CLAIMED).sum()
    assert patterns.measure(m, "refused_share") == pytest.approx(refused)
    assert 0.1 <= patterns.measure(m, "top10_lead_share") <= 1.0
    assert patterns.measure(m, "throughput") == m.metrics()["throughput"]


def test_ci_coverage_of_the_exact_queue_is_nominal_at_moderate_load_and_low_near_saturation():
    ok = queueing.ci_coverage(1.5, 3, reps=10, steps=400, warmup=50, experiments=200, seed=2)
    assert 0.9 <= ok["coverage"] <= 0.99
    skewed = queueing.ci_coverage(0.9, 1, reps=20, steps=2000, warmup=200, experiments=100, seed=3)
    assert skewed["below"] > skewed["above"]     # skewed means: the CI misses low, not high
