"""Informal roles (simulation/roles): each rule on hand-built task tables, betweenness
against networkx, invariants of a real run, and the checks of issue 13 on constructed
organisations (a clear informal leader, a clear expert, identical people, delegation)."""

from __future__ import annotations

import dataclasses
import json
from types import SimpleNamespace

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulation import LeadershipModel, SimConfig
from simulation.config import CoordinationConfig, CultureConfig, OrganizationConfig, PeopleConfig, WorkloadConfig
from simulation.roles import (
    ROLE_METRICS,
    ROLES,
    RoleRules,
    analyse,
    attempts,
    current_roles,
    jaccard,
    role_table,
    spearman,
    top_people,
    who_is_who,
)
from simulation.roles import betweenness as bmod
from simulation.runner import simulate, write_outputs
from simulation.tasks import Event, TaskTable

# ---------------------------------------------------------------- a hand-built run


def fake_model(n, tasks, *, domains=2, warmup=0, steps=20, patience=3, team=None, capacity=2):
    """A stand-in for a finished model: only what the role analysis reads.

    ``tasks``: dicts with ``lead``, ``start`` and optionally ``followers``, ``arrival``
    (default: ``start``), ``end`` (-1: still running), ``dom0``, ``dom1``, ``via``
    (the leader named the lead), ``unowned``.
    """
    T = TaskTable(max_team=4)
    k = len(tasks)
    get = lambda key, default: np.array([t.get(key, default) for t in tasks], dtype=np.int64)
    ids = T.add(
        dom0=get("dom0", 0),
        dom1=get("dom1", -1),
        team_size=np.ones(k, dtype=np.int64),
        arrival=np.array([t.get("arrival", t["start"]) for t in tasks]),
        entry=np.zeros(k, dtype=np.int64),
        difficulty=np.full(k, 0.5),
        effort=np.ones(k),
    )
    for i, t in zip(ids, tasks):
        team_ = [t["lead"], *t.get("followers", [])]
        T.members[i, : len(team_)] = team_
        T.lead[i], T.start[i], T.end[i] = t["lead"], t["start"], t.get("end", -1)
        T.via_leader[i], T.unowned[i] = t.get("via", False), t.get("unowned", False)
    cfg = SimConfig(steps=steps, warmup=warmup, seed=0, coordination=CoordinationConfig(patience=patience))
    comp = np.full((n, domains), 0.5)
    m = SimpleNamespace(
        tasks=T,
        cfg=cfg,
        now=steps,
        capacity=np.full(n, capacity),
        competence=comp,
        initial_competence=comp.copy(),
        initiative=np.full(n, 0.5),
        engagement=np.full(n, 0.6),
        trust=SimpleNamespace(in_mean=lambda p: np.full(len(p), 0.6)),
    )
    if team is not None:
        m.team = np.asarray(team)
    return m


def spread_leads(n, per_person=2, start=1, **extra):
    """Everyone leads ``per_person`` short tasks: a background that names nobody."""
    return [dict(lead=p, start=start + j, end=start + j, **extra) for p in range(n) for j in range(per_person)]


def test_informal_leader_leads_far_more_than_their_share_without_being_named():
    tasks = spread_leads(10) + [{"lead": 0, "start": s, "end": s} for s in range(2, 12)]
    t = role_table(fake_model(10, tasks))
    assert t["informal_leader"].tolist() == [True] + [False] * 9
    assert t.loc[0, "self_leads"] == 12 and t.loc[0, "assigned_leads"] == 0
    # The same leads, named by the formal leader: a title, not informal leadership.
    named = spread_leads(10) + [{"lead": 0, "start": s, "end": s, "via": True} for s in range(2, 12)]
    t = role_table(fake_model(10, named))
    assert not t["informal_leader"].any() and t.loc[0, "assigned_leads"] == 10


def test_only_the_post_warmup_window_counts():
    early = [{"lead": 0, "start": s, "end": s} for s in range(1, 11)]  # all in the warm-up
    m = fake_model(10, spread_leads(10, start=12) + early, warmup=10, steps=30)
    t = role_table(m)
    assert t.loc[0, "leads"] == 2 and not t["informal_leader"].any()
    # While the run is still in its warm-up, every step so far counts (the live view).
    m.now = 8
    assert role_table(m).loc[0, "leads"] == 8


def test_pusher_picks_up_tasks_that_waited_past_patience_or_were_unowned():
    late = [{"lead": 2, "arrival": s, "start": s + 3, "end": s + 3} for s in range(1, 6)]
    unowned = [{"lead": 2, "arrival": s, "start": s + 1, "end": s + 1, "unowned": True} for s in range(6, 9)]
    t = role_table(fake_model(10, spread_leads(10) + late + unowned, patience=3))
    assert t.loc[2, "pickups"] == 8 and t["pusher"].tolist() == [p == 2 for p in range(10)]
    # Waiting less than the patience limit is not a pickup; nor is a task the leader assigned.
    prompt = [{"lead": 2, "arrival": s, "start": s + 2, "end": s + 2} for s in range(1, 9)]
    assigned = [dict(d, via=True) for d in late + unowned]
    for tasks in (prompt, assigned):
        t = role_table(fake_model(10, spread_leads(10) + tasks, patience=3))
        assert t.loc[2, "pickups"] == 0 and not t["pusher"].any()


def test_knowledge_holder_is_sought_most_for_a_domain():
    # Person 3 is recruited for every domain-1 task; person 4 for one; leads vary.
    tasks = [{"lead": p % 3, "followers": [3], "dom0": 1, "start": s, "end": s} for p, s in zip(range(8), range(1, 9))]
    tasks += [{"lead": 5, "followers": [4], "dom0": 1, "start": 9, "end": 9}]
    tasks += [{"lead": 6, "followers": [7], "dom0": 0, "start": 10, "end": 10, "dom1": 1}]
    t = role_table(fake_model(10, tasks))
    assert t["knowledge_holder"].tolist() == [p == 3 for p in range(10)]
    assert t.loc[3, "knowledge_domains"] == "1" and t.loc[3, "sought_max"] == 8 and t.loc[3, "sought_domain"] == 1
    # A lead the formal leader named is sought too (delegation's knowledge holders).
    named = [{"lead": 3, "via": True, "dom0": 0, "start": s, "end": s} for s in range(1, 9)]
    named += [{"lead": p, "via": True, "dom0": 0, "start": 9, "end": 9} for p in (4, 5)]
    t = role_table(fake_model(10, named))
    assert t.loc[3, "knowledge_holder"] and t.loc[3, "knowledge_domains"] == "0"


def two_teams_and_a_bridge():
    """Teams {0..4} and {5..9} work inside; person 4 also works with 5, 6 and 7."""
    tasks, s = [], 1
    for team in (range(5), range(5, 10)):
        for a in team:
            for b in team:
                if a < b:
                    tasks.append({"lead": a, "followers": [b], "start": s, "end": s})
                    s += 1
    tasks += [{"lead": 4, "followers": [f], "start": s + i, "end": s + i} for i, f in enumerate((5, 6, 7))]
    return tasks, s + 3


def test_broker_ties_teams_together():
    tasks, steps = two_teams_and_a_bridge()
    team = [0] * 5 + [1] * 5
    t = role_table(fake_model(10, tasks, steps=steps, team=team))
    g = nx.Graph([(int(a), int(b)) for a, b in zip(t.index, t.index)][:0])
    g.add_edges_from((d["lead"], f) for d in tasks for f in d.get("followers", []))
    want = nx.betweenness_centrality(g)
    assert np.allclose(t["betweenness"], [want[i] for i in range(10)])
    assert t["broker"].tolist() == [p == 4 for p in range(10)]
    assert t.loc[4, "partners_across"] == 3 and t.loc[4, "group"] == 0
    # Without teams, groups are home domains: all alike here, so every partner counts.
    t = role_table(fake_model(10, tasks, steps=steps))
    assert t.loc[4, "broker"] and t.loc[4, "partners_across"] == t.loc[4, "partners"] == 7


def test_sidelines_rarely_take_part_despite_spare_capacity():
    tasks = [{"lead": p, "followers": [(p + 1) % 9], "start": s, "end": s + 1} for s in range(1, 10) for p in range(9)]
    t = role_table(fake_model(10, tasks, steps=10, capacity=10))
    assert t["sidelines"].tolist() == [p == 9 for p in range(10)]
    assert t.loc[9, "spare_capacity"] == 1.0
    # Without spare capacity nobody is on the sidelines: person 9's one task fills their capacity.
    busy = [*tasks, {"lead": 9, "start": 1, "end": 10}]
    t = role_table(fake_model(10, busy, steps=10, capacity=1))
    assert t.loc[9, "spare_capacity"] == 0.0 and not t.loc[9, "sidelines"]
    # Nothing happened at all: nobody is singled out.
    assert not role_table(fake_model(10, [{"lead": 0, "start": 30}], steps=10))["sidelines"].any()


def test_thresholds_are_relative_so_two_copies_of_an_organisation_get_the_same_roles():
    """The rules compare with the run's own distribution: an organisation twice the
    size doing the same work twice over names the same people in each copy."""
    tasks, steps = two_teams_and_a_bridge()
    tasks += [{"lead": 2, "start": s, "end": s} for s in range(1, 12)]
    tasks += [{"lead": 9, "arrival": s, "start": s + 5, "end": s + 5} for s in range(1, 6)]
    one = role_table(fake_model(10, tasks, steps=steps, team=[0] * 5 + [1] * 5))
    shift = lambda d: {**d, "lead": d["lead"] + 10, "followers": [f + 10 for f in d.get("followers", [])]}
    two = role_table(
        fake_model(20, tasks + [shift(d) for d in tasks], steps=steps, team=[0] * 5 + [1] * 5 + [2] * 5 + [3] * 5)
    )
    for copy in (two.iloc[:10], two.iloc[10:]):
        assert copy["roles"].tolist() == one["roles"].tolist()
    assert one["roles"].str.len().gt(0).sum() >= 3  # the example names somebody


def test_rules_are_parameters():
    tasks = spread_leads(10) + [{"lead": 0, "start": s, "end": s} for s in range(2, 7)]  # 7 leads vs 2.5 share
    assert role_table(fake_model(10, tasks)).loc[0, "informal_leader"]
    assert not role_table(fake_model(10, tasks), rules=RoleRules(lead_factor=3.0)).loc[0, "informal_leader"]
    assert not role_table(fake_model(10, tasks), rules=RoleRules(min_count=8)).loc[0, "informal_leader"]


# ---------------------------------------------------------------- helpers


@settings(max_examples=30, deadline=None)
@given(n=st.integers(3, 40), p=st.floats(0.05, 0.6), seed=st.integers(0, 10_000), dense=st.booleans())
def test_betweenness_matches_networkx(n, p, seed, dense):
    g = nx.gnp_random_graph(n, p, seed=seed)
    edges = np.array(g.edges(), dtype=np.int64).reshape(-1, 2)
    old = bmod.DENSE_MAX
    bmod.DENSE_MAX = 10_000 if dense else 0
    try:
        got = bmod.betweenness(n, edges)
    finally:
        bmod.DENSE_MAX = old
    nodes = sorted({int(x) for e in g.edges() for x in e})
    want = np.zeros(n)
    if len(nodes) >= 3:  # networkx normalises over the people who have ties, as we do
        bc = nx.betweenness_centrality(g.subgraph(nodes))
        want[nodes] = [bc[v] for v in nodes]
    assert np.allclose(got, want, atol=1e-12)


def test_sampled_betweenness_is_seeded_and_exact_when_it_samples_everyone():
    g = nx.connected_watts_strogatz_graph(80, 4, 0.2, seed=3)
    e = np.array(g.edges())
    exact = bmod.betweenness(80, e)
    every = bmod.betweenness(80, e, exact_max=10, samples=80)
    assert np.allclose(every, exact)
    a, b = (bmod.betweenness(80, e, exact_max=10, samples=20, seed=s) for s in (1, 1))
    assert np.array_equal(a, b)
    assert not np.allclose(a, bmod.betweenness(80, e, exact_max=10, samples=20, seed=2))
    # An unbiased estimate: averaged over seeds it approaches the exact values.
    mean = np.mean([bmod.betweenness(80, e, exact_max=10, samples=20, seed=s) for s in range(40)], axis=0)
    assert np.abs(mean - exact).max() < 0.25 * exact.max() and spearman(mean, exact) > 0.9


def test_jaccard_and_spearman():
    assert jaccard([1, 1, 0], [1, 0, 0]) == 0.5 and np.isnan(jaccard([0, 0], [0, 0]))
    assert spearman([1, 2, 3], [10, 20, 30]) == pytest.approx(1.0)
    assert spearman([1, 2, 3], [3, 2, 1]) == pytest.approx(-1.0)
    assert np.isnan(spearman([1, 1, 1], [1, 2, 3]))
    x, y = [3, 1, 1, 2, 5, 5], [1, 2, 3, 4, 5, 6]
    assert spearman(x, y) == pytest.approx(pd.Series(x).corr(pd.Series(y), method="spearman"))


# ---------------------------------------------------------------- real runs


def small(regime="distributed", seed=0, **people):
    """24 people, 300 steps: identical people unless changed after construction."""
    return SimConfig(
        seed=seed,
        steps=300,
        warmup=50,
        culture=CultureConfig(initiative=0.3, initiative_spread=0.0, trust_spread=0.0),
        people=PeopleConfig(competence_spread=0.0, **people),
        organization=OrganizationConfig(size=24, network="small_world", degree=6),
        coordination=CoordinationConfig(name=regime),
    )


def constructed(regime, seed, initiative=None, expert=None):
    """Identical people except person 0: more initiative and/or expert in domain 0."""
    m = LeadershipModel(small(regime, seed))
    if initiative is not None:
        m.initiative[0] = initiative
    if expert is not None:
        m.competence[0, 0] = expert
        m.initial_competence[:] = m.competence
        m.leader.perceived[0, 0] = expert
    return m.run()


def knows_domain_0(table) -> bool:
    return "0" in table.loc[0, "knowledge_domains"].split(";")


@pytest.mark.slow
@pytest.mark.parametrize("regime", ["distributed", "hybrid"])
def test_a_clear_informal_leader_is_named_in_most_seeds(regime):
    """Highest initiative alone: more self-chosen leads. With competence in a domain
    too, frames name them for that domain (not self-chosen), so they are named
    informal leader or knowledge holder of it."""
    alone = [analyse(constructed(regime, s, initiative=1.0))[0] for s in range(10)]
    # Initiative alone: under model 2 frames hand about half the tasks to domain owners,
    # so the eager person is named in a minority of seeds, still far above the base rate
    # (about 5 % of people are informal leaders: 0.5 of 10 seeds by chance).
    assert sum(t.loc[0, "informal_leader"] for t in alone) >= 3
    both = [analyse(constructed(regime, s, initiative=1.0, expert=0.95))[0] for s in range(10)]
    assert sum(t.loc[0, "informal_leader"] or knows_domain_0(t) for t in both) >= 8


@pytest.mark.slow
@pytest.mark.parametrize("regime", ["delegation", "distributed", "hybrid"])
def test_a_clear_expert_is_named_knowledge_holder_of_their_domain_in_most_seeds(regime):
    held = [knows_domain_0(analyse(constructed(regime, s, expert=0.95))[0]) for s in range(10)]
    assert sum(held) > 5, held


@pytest.mark.slow
def test_among_identical_people_roles_are_spread_and_unstable():
    star, equal = [], []
    for s in range(8):
        star.append(analyse(constructed("distributed", s, initiative=1.0))[1])
        equal.append(analyse(constructed("distributed", s))[1])
    mean = lambda rows, k: np.nanmean([r[k] for r in rows])
    assert mean(equal, "roles_informal_leader_share") <= 0.05
    assert mean(equal, "roles_informal_leader_lead_share") < mean(star, "roles_informal_leader_lead_share")
    # Who leads most in the first half says little about the second among equals.
    assert mean(equal, "roles_lead_rank_stability") < 0.5


def test_under_delegation_informal_leadership_is_rare():
    for s in range(3):
        table, metrics = analyse(LeadershipModel(dataclasses.replace(small("delegation", s))).run())
        assert metrics["roles_informal_leader_share"] <= 0.05
        assert table["assigned_leads"].sum() >= 0.95 * table["leads"].sum()


def test_role_table_of_a_real_run_adds_up():
    m = LeadershipModel(SimConfig(seed=2, steps=200, warmup=50, coordination=CoordinationConfig(name="hybrid"))).run()
    t, metrics = analyse(m)
    assert len(t) == m.cfg.organization.size and list(t.index) == list(range(len(t)))
    assert (t["leads"] == t["self_leads"] + t["assigned_leads"] + t["framed_leads"]).all()
    assert np.array_equal(t["leads"], m.led) and np.array_equal(t["joins"], m.followed)
    assert t["leads"].sum() == int(
        (m.events.array()[:, 0] > m.cfg.warmup)[m.events.array()[:, 2] == Event.STARTED].sum()
    )
    assert ((t["spare_capacity"] >= 0) & (t["spare_capacity"] <= 1)).all()
    assert (t["pickups"] <= t["self_leads"]).all() and (t["partners_across"] <= t["partners"]).all()
    for r in ROLES:
        assert t[r].dtype == bool
        assert (t["roles"].str.split(";").apply(lambda xs, r=r: r in xs) == t[r]).all()
        assert metrics[f"roles_{r}_n"] == t[r].sum()
    assert ((t["knowledge_domains"] != "") == t["knowledge_holder"]).all()
    assert list(metrics) == list(ROLE_METRICS)
    for k, v in metrics.items():
        if k.endswith(("_share", "_stability")) and np.isfinite(v):
            assert 0.0 <= v <= 1.0, k


def test_attempts_from_the_event_log_and_from_the_task_table_agree_without_rework():
    """Without rework every task has one attempt, which the task table keeps: reading
    attempts from the event log or from the table must give the same rows."""
    for regime in ("delegation", "hybrid"):
        m = LeadershipModel(
            SimConfig(
                seed=5,
                steps=150,
                warmup=50,
                workload=WorkloadConfig(rework=0.0),
                coordination=CoordinationConfig(name=regime),
            )
        ).run()
        logged = attempts(m)
        m.events = None
        table = attempts(m)
        a, b = np.argsort(logged["task"]), np.argsort(table["task"])
        assert len(a) == len(b) > 50
        for k in ("task", "lead", "start", "end", "ready", "via"):
            assert np.array_equal(logged[k][a], table[k][b]), k
        assert np.array_equal(np.sort(logged["members"][a], axis=1), np.sort(table["members"][b], axis=1))


def test_reworked_attempts_count_for_whoever_led_them():
    m = LeadershipModel(
        SimConfig(seed=5, steps=150, warmup=50, workload=WorkloadConfig(rework=1.0, difficulty=0.7))
    ).run()
    tries = attempts(m)
    assert len(tries["task"]) > len(np.unique(tries["task"]))  # some tasks were attempted twice
    assert (tries["ready"] <= tries["start"]).all()
    done = tries["end"] >= 0
    assert (tries["end"][done] >= tries["start"][done]).all()


def test_run_writes_roles_csv_and_role_metrics(tmp_path):
    cfg = SimConfig(seed=4, steps=120, warmup=20)
    a, b = simulate(cfg, progress=False), simulate(cfg, progress=False)
    pd.testing.assert_frame_equal(a.roles, b.roles)  # same config and seed: same roles
    write_outputs(tmp_path, a)
    back = pd.read_csv(tmp_path / "roles.csv", index_col="person", keep_default_na=False)
    assert len(back) == cfg.organization.size
    assert {"self_leads", "pickups", "betweenness", "roles", "competence", "initiative", "trust_received"} <= set(back)
    saved = json.loads((tmp_path / "metrics.json").read_text())
    assert set(ROLE_METRICS) <= set(saved)
    assert (tmp_path / "roles.csv").stat().st_mtime_ns <= (tmp_path / "metrics.json").stat().st_mtime_ns


def test_current_roles_for_the_app_while_a_run_goes_on():
    m = LeadershipModel(SimConfig(seed=1, steps=300, warmup=100))
    for _ in range(40):  # still in the warm-up
        m.step()
    now = current_roles(m)
    table = role_table(m)
    assert now == {p: set(r.split(";")) for p, r in table["roles"].items() if r}
    assert all(set(v) <= set(ROLES) for v in now.values())
    recent = role_table(m, window=10)
    assert recent["leads"].sum() <= table["leads"].sum()
    panel = who_is_who(m, k=2)
    assert list(panel.columns[:4]) == ["role", "person", "measure", "value"]
    assert (panel.groupby("role").size() <= 2).all()
    assert set(panel["role"]) <= set(ROLES)


def test_top_people_are_role_holders_ranked_by_the_count_behind_the_role():
    t, _ = analyse(LeadershipModel(SimConfig(seed=3, steps=200, warmup=50)).run())
    top = top_people(t, k=3)
    for role, rows in top.groupby("role"):
        assert t.loc[rows["person"], role].all()
        assert rows["value"].is_monotonic_decreasing
