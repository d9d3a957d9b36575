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
from helpers import MODEL1  # model 1's switches (configs/mechanisms/model1.yaml)

from simulation.tasks import Event
from simulation.validation import checks, dose, patterns, queueing, replicates, switches
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
    assert pi[-1] < 1e-12  # the truncation loses nothing
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
    assert r["pushbacks"] == 0  # the pure queue: every decision starts a task
    assert r["wait_lo"] <= r["wait_theory"] <= r["wait_hi"], r
    assert r["starts_lo"] <= r["rate_theory"] <= r["starts_hi"], r
    # `throughput` counts successes only: below the decision rate by the failure share.
    assert r["completions"] < r["starts"] and r["ends"] == pytest.approx(r["starts"], rel=0.02)
    assert r["balance_gap"] < 1e-12  # decisions = arrivals + queue change, exactly


@pytest.mark.slow
@pytest.mark.parametrize("rho,c,reps", [(0.9, 3, 20), (0.6, 1, 10)])
def test_leader_wait_matches_exact_queue_at_high_utilisation(rho, c, reps):
    # c = 1 stops at 0.6 here: at 0.9 the waits are so skewed that this design's 95 % CI
    # covers the exact mean only ~91 % of the time (measured on the exact recursion;
    # docs/validation.md), so that row is reported, not asserted.
    r = checks.queue_check(rho, c=c, seeds=range(reps), steps=2000, warmup=200)
    assert r["wait_lo"] <= r["wait_theory"] <= r["wait_hi"], r
    # Every arrival is decided: decisions = arrivals + queue change, exactly. (The rate's CI
    # against lam is a statement about the Poisson stream; at rho = 0.9 these seeds' stream
    # runs 0.6 % low, just outside it: docs/validation.md.)
    assert r["balance_gap"] < 1e-12 and r["arrivals_lo"] <= r["starts"] <= r["arrivals_hi"], r


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


@pytest.mark.parametrize(
    "overrides",
    [
        {"coordination.name": "delegation"},
        {"coordination.name": "distributed"},
        {"coordination.name": "hybrid"},
        # backlogs (a leader who does not check loads, people with room for one task) and rework
        {
            "coordination.name": "delegation",
            "coordination.load_awareness": 0.0,
            "people.capacity": 1,
            "organization.size": 20,
            "workload.rework": 1.0,
        },
    ],
)
def test_wip_counts_every_open_task_including_backlogs_and_rework(overrides):
    model = run_model(config({**overrides, "steps": 300, "warmup": 50}))
    k = checks.wip_per_step(model)
    assert k["mismatches"] == 0, k
    assert k["open_at_end"] == k["tasks_open"]
    if "coordination.load_awareness" in overrides:
        assert model.metrics()["backlog_mean"] > 0 and model.metrics()["tasks_reopened"] > 0


@pytest.mark.slow
@pytest.mark.parametrize("regime", REGIMES)
def test_littles_law_holds_within_the_confidence_interval(regime):
    r = checks.little_check({"coordination.name": regime}, seeds=range(6), steps=1500, warmup=200, drain=300)
    assert r["open"] == 0  # the drain lets every task of the window leave
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
def test_clarity_one_acting_after_contests_means_no_conflict_from_contests(regime):
    # Model 1's rule: clarity is the chance that a shared rule settles a contest.
    k = checks.clarity_check(regime, 1.0, seeds=range(2), steps=300, organization__clarity_acts="after")
    assert k["contested"] > 50  # there were contests; the rule settled them all
    assert k["contests"] == 0 and k["framed"] == 0
    if regime == "distributed":  # and nothing else logs CONFLICT there
        assert k["conflicts"] == 0
    assert (
        checks.clarity_check("distributed", 0.0, seeds=range(1), steps=300, organization__clarity_acts="after")[
            "contests"
        ]
        > 0
    )


def test_clarity_acting_before_frames_every_task_at_one_and_none_at_zero():
    one = checks.clarity_check("distributed", 1.0, seeds=range(1), steps=300)
    zero = checks.clarity_check("distributed", 0.0, seeds=range(1), steps=300)
    assert one["framed"] == one["tasks"] > 0 and zero["framed"] == 0
    # a framed task whose person is free starts at once: contests only when they are busy
    assert one["contested"] < 0.2 * zero["contested"]


@pytest.mark.parametrize("regime", ["distributed", "hybrid"])
def test_certain_deference_or_full_transparency_leave_no_contest_conflict(regime):
    sure = checks.clarity_check(
        regime, 0.0, seeds=range(1), steps=300, coordination__follow_threshold=0.0, culture__trust_width=0.0
    )
    assert sure["contested"] > 20 and sure["contests"] == 0
    seen = checks.clarity_check(regime, 0.0, seeds=range(1), steps=300, organization__transparency=1.0)
    assert seen["contested"] == 0 and seen["contests"] == 0


def test_conflicts_under_a_leader_are_pushbacks_only():
    # Low trust in the leader: assignees push back; those are the only CONFLICT events.
    for regime in ("delegation", "hybrid"):
        m = run_model(
            config(
                {
                    "coordination.name": regime,
                    "culture.trust": 0.3,
                    "steps": 300,
                    "organization.clarity": 1.0,
                    "organization.clarity_acts": "after",
                }
            )
        )
        k = checks.conflict_kinds(m)
        assert k["contests"] == 0 and k["conflicts"] == k["pushbacks"]
        if regime == "delegation":
            assert k["pushbacks"] > 0


def test_no_trust_means_no_claim_is_granted():
    # Hard thresholds (trust_width 0) and no frames (a frame names a person without a grant).
    d = checks.no_trust_check("distributed", seeds=range(2), steps=200)
    assert d["claimed"] > 1000 and d["granted"] == 0 and d["started"] == 0
    assert d["open"] == d["arrived"]  # nothing ever starts: the pool only grows
    h0 = checks.no_trust_check("hybrid", feedback=0.0, seeds=range(2), steps=200)
    assert h0["claimed"] > 0 and h0["granted"] == 0
    # With feedback, work the leader assigns earns trust: grants come, but only after outcomes.
    h = checks.no_trust_check("hybrid", feedback=0.1, seeds=range(2), steps=300)
    assert h["granted"] > 0 and h["granted_before_first_outcome"] == 0
    # A smooth threshold is a probability: at trust 0 a few claims get through.
    smooth = checks.no_trust_check("distributed", seeds=range(1), steps=200, width=0.2)
    assert 0 < smooth["granted"] < 0.01 * smooth["claimed"]


# --------------------------------------------------------------------- Model 2's switches
def test_rework_zero_means_no_reopening_and_one_means_no_failure_for_good():
    none = switches.rework_check("distributed", 0.0, seeds=range(1), steps=300)
    every = switches.rework_check("distributed", 1.0, seeds=range(1), steps=300)
    assert none["reopened"] == 0 and none["failed"] > 0
    assert every["failed"] == 0 and every["reopened"] > 0
    for k in (none, every):
        assert k["completed"] + k["failed"] + k["open"] == k["arrived"]


def test_a_leader_who_always_checks_loads_builds_no_backlog():
    assert switches.backlog_check(1.0, seeds=range(1), steps=300) == {"backlogged": 0, "backlog_mean": 0.0}
    k = switches.backlog_check(0.0, seeds=range(1), steps=300)
    assert k["backlogged"] > 0 and k["backlog_mean"] > 0


def test_full_forgetting_returns_trust_to_first_impressions_every_step():
    k = switches.forgetting_check("hybrid", 1.0, steps=200)
    assert k["steps_back_at_start"] == k["steps"] and k["outcomes"] > 100
    assert switches.forgetting_check("hybrid", 0.02, steps=200)["steps_back_at_start"] < 50


def test_psychological_safety_is_neutral_at_trust_one_half():
    assert (
        switches.safety_check(0.5, seeds=range(1), steps=200)[0.5]
        == switches.safety_check(0.0, seeds=range(1), steps=200)[0.5]
    )


def test_identical_people_without_feedback_loops_have_falling_inequality():
    g = checks.gini_by_length({**checks.PURE, "coordination.name": "distributed"}, (300, 2400), seeds=range(3))
    short, long = g[300][0], g[2400][0]
    assert long < 0.12 and long < 0.6 * short  # noise only: about 1/sqrt(length)


def test_identical_people_have_small_falling_inequality():
    g = checks.gini_by_length({**checks.IDENTICAL, "coordination.name": "distributed"}, (600, 2400), seeds=range(2))
    assert g[2400][0] < 0.1 and g[2400][0] < 0.6 * g[600][0]


@pytest.mark.slow
def test_identical_people_with_one_person_tasks_have_falling_inequality():
    # Was a finding of model 1 (below): Model 2's forgetting and smooth grants make
    # exclusion recoverable, so inequality falls with run length like chance.
    g = checks.gini_by_length(
        {**checks.IDENTICAL, "coordination.name": "distributed", "workload.team_size_weights": [1.0]},
        (1200, 4800),
        seeds=range(3),
    )
    assert g[4800][0] < 0.1 and g[4800][0] < g[1200][0]


@pytest.mark.slow
@pytest.mark.xfail(
    strict=True,
    reason="model 1: exclusion is absorbing without team tasks: colleagues' trust "
    "in a person moves only on outcomes of tasks that person leads or follows and never fades; "
    "below grant_threshold (a hard threshold) their claims are refused for good",
)
def test_identical_people_with_one_person_tasks_under_model1_have_falling_inequality():
    g = checks.gini_by_length(
        {**checks.IDENTICAL, **MODEL1, "coordination.name": "distributed", "workload.team_size_weights": [1.0]},
        (1200, 4800),
        seeds=range(3),
    )
    assert g[4800][0] < 0.1 and g[4800][0] < g[1200][0]


def test_followers_among_equals_are_not_chosen_by_index():
    # Was a finding (stable sort on competence: the lowest-indexed colleagues always
    # followed); teams.py _recruits now breaks ties at random.
    share = checks.follower_concentration(
        {**checks.IDENTICAL, "organization.network": "complete", "coordination.name": "distributed"}, steps=600
    )
    assert share < 0.2  # a tenth of the people: about 0.1


def test_delegation_spreads_work_among_identical_people_when_the_leader_sees_them_alike():
    # Was a finding (the leader's ranking broke ties by index: Gini 0.9); now random.
    g = checks.gini_by_length(
        {
            **checks.IDENTICAL,
            "coordination.name": "delegation",
            "coordination.perception_noise": 0.0,
            "coordination.perception_rate": 0.0,
        },
        (300, 1200),
        seeds=range(2),
    )
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
    assert k["outcomes"] > 100  # outcomes happened, and would have moved trust
    if regime != "hybrid":
        assert k["conflicts"] > 0  # so did conflicts (contests or pushbacks)


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
    assert replicates.n_for_precision(x, 0.05) in range(14, 19)  # (1.96 * 0.1 / 0.05)^2 ≈ 15.4


def test_wip_leaves_its_transient_within_the_default_warmup():
    for regime in REGIMES:
        s = replicates.warmup_runs(regime, n=3, steps=1000)
        d, ok = replicates.mser(s["wip"].mean(axis=0))
        assert ok and d <= 200, (regime, d)  # the default warm-up: a third of 600 steps


def test_trust_settles_with_forgetting_but_drifts_under_model1():
    # Model 1's trust (no forgetting) kept rising for thousands of steps as people
    # learned; Model 2's forgetting pulls it back to first impressions, so it settles.
    d, ok = replicates.mser(replicates.warmup_runs("distributed", n=3, steps=1000)["trust_mean"].mean(axis=0))
    assert ok, d
    s1 = replicates.warmup_runs("distributed", n=3, steps=1000, **MODEL1)
    d1, ok1 = replicates.mser(s1["trust_mean"].mean(axis=0))
    assert not ok1 and d1 >= 400


# --------------------------------------------------------------------- patterns of CONCEPTS.md
def test_every_pattern_row_says_whether_it_holds_by_construction_and_why():
    for row in patterns.ROWS:
        assert row.basis in ("by construction", "partly by construction", "emerges"), row
        assert row.why, row
    # Claims whose every row is its own definition: 4 (the leader's cap) and 10 (the
    # coordination cost's rate); docs/validation.md says they are not evidence. A new
    # claim of that kind must be added here on purpose.
    claims = {r.claim for r in patterns.ROWS}
    only_rule = {c for c in claims if all(r.basis == "by construction" for r in patterns.ROWS if r.claim == c)}
    assert only_rule == {4, 10}


@pytest.mark.slow
@pytest.mark.parametrize("index", [i for i, r in enumerate(patterns.ROWS) if r.basis == "by construction"])
def test_pattern_rows_that_hold_by_construction_are_shown(index):
    # A row that is its rule must show; if one does not, the rule or the row is wrong.
    row = patterns.run_row(patterns.ROWS[index], seeds=range(3), steps=300)
    assert row["verdict"] == "shown", row


def test_pattern_hybrid_sends_contests_to_the_leader():
    # By construction: an unsettled contest is escalated, so hybrid conflicts are pushbacks only.
    m = run_model(config({"coordination.name": "hybrid", "organization.clarity": 0.0, "steps": 300}))
    k = checks.conflict_kinds(m)
    assert k["contested"] > 0 and k["contests"] == 0


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
    assert skewed["below"] > skewed["above"]  # skewed means: the CI misses low, not high


# --------------------------------------------------------------------- dose-response and bystanders
class _Log:
    """A model stand-in with a constructed event log (step, task, event, person)."""

    def __init__(self, rows, steps, warmup=0, patience=3):
        from types import SimpleNamespace

        ev = np.asarray(rows, dtype=np.int64)
        self.events = SimpleNamespace(array=lambda: ev)
        self.tasks = SimpleNamespace(n=int(ev[:, 1].max()) + 1)
        self.now = steps
        self.cfg = SimpleNamespace(warmup=warmup, coordination=SimpleNamespace(patience=patience))


def test_unclaimed_share_counts_tasks_nobody_claimed_within_patience_rounds():
    A, C = Event.ARRIVED, Event.CLAIMED
    log = _Log(
        [
            (1, 0, A, 0),
            (1, 0, C, 3),  # claimed in its first round
            (1, 1, A, 0),
            (3, 1, C, 2),  # claimed in its third round (steps 1, 2, 3)
            (1, 2, A, 0),
            (4, 2, C, 2),  # only after three rounds
            (2, 3, A, 0),  # never
            (9, 4, A, 0),
        ],
        steps=10,
    )  # its rounds run past the end: not counted
    assert dose.unclaimed_share(log) == pytest.approx(2 / 4)
    assert dose.unclaimed_share(log, patience=1) == pytest.approx(4 / 5)  # task 4's one round is in the run
    assert dose.first_round_claims(log) == pytest.approx(1 / 5)


def test_dose_response_uses_the_same_seeds_for_every_value():
    df = dose.dose_response(
        "culture.trust",
        values=(0.6, 0.6),
        regimes=("distributed",),
        seeds=range(2),
        steps=120,
        warmup=40,
        metrics=("throughput", "trust_mean"),
    )
    a, b = df[df.index % 4 < 2], df[df.index % 4 >= 2]
    assert np.array_equal(a["mean"].to_numpy(), b["mean"].to_numpy())  # same value, same seeds: same runs
    assert set(df.metric) == {"throughput", "trust_mean"} and (df.lo <= df["mean"]).all()
    s = dose.slope_sign(df, "distributed", "throughput")
    assert s["change"] == 0.0 and not s["apart"]


def test_leader_capacity_does_not_matter_without_a_leader():
    df = dose.dose_response(
        "organization.leader_capacity",
        values=(1, 8),
        regimes=("distributed",),
        seeds=range(2),
        steps=150,
        warmup=50,
        metrics=("throughput", "claims_per_task"),
    )
    g = df[df.metric == "throughput"]["mean"].to_numpy()
    assert g[0] == g[1]  # the distributed regime never asks the leader


def test_diffusion_one_keeps_first_round_claims_flat_in_the_number_of_bystanders():
    # claims per round ~ k * k^-diffusion: linear in k at 0, flat at 1 (Latané 1981)
    df = dose.bystanders(degrees=(2, 32), diffusion=(0.0, 1.0), seeds=range(2), steps=200, warmup=50)
    by = {(r.diffusion, r.degree): r.first_round_claims for r in df.itertuples()}
    assert by[(0.0, 32)] > 4 * by[(0.0, 2)]
    assert by[(1.0, 32)] < 1.5 * by[(1.0, 2)]
    assert by[(1.0, 32)] < 0.2 * by[(0.0, 32)]


def test_the_report_page_holds_the_committed_tables():
    # docs/validation.md's table blocks are the tables the code wrote (refreshing them changes nothing).
    import shutil
    import tempfile
    from pathlib import Path

    from simulation.validation.report import fill_doc

    root = Path(__file__).resolve().parents[2]
    with tempfile.TemporaryDirectory() as tmp:
        doc = Path(tmp) / "validation.md"
        shutil.copy(root / "docs" / "validation.md", doc)
        n = fill_doc(doc, root / "docs" / "figures" / "validation")
        assert n >= 10
        assert doc.read_text() == (root / "docs" / "validation.md").read_text()
