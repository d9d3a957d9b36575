"""Helpers shared by the tests: a small config and the invariant checker."""

from __future__ import annotations

import numpy as np

from simulation import LeadershipModel, SimConfig
from simulation.config import from_dict, to_dict
from simulation.tasks import Event

#: The switches that recover model 1 (configs/mechanisms/model1.yaml).
MODEL1 = {
    "culture.trust_update": "legacy",
    "culture.trust_width": 0.0,
    "culture.safety_effect": 0.0,
    "organization.clarity_acts": "after",
    "coordination.diffusion": 0.0,
    "coordination.exploration": 0.0,
    "coordination.load_awareness": 1.0,
    "workload.rework": 0.0,
}


def model1_config(**overrides) -> SimConfig:
    """:func:`make_config` with model 1's mechanisms."""
    return make_config(**{**MODEL1, **overrides})


def make_config(**overrides) -> SimConfig:
    """A small, fast config; ``overrides`` as dotted keys: ``{"organization.size": 20}``."""
    data = to_dict(SimConfig())
    data.update(steps=120, warmup=20)
    data["organization"].update(size=30, degree=6)
    for key, value in overrides.items():
        node = data
        *path, last = key.split(".")
        for p in path:
            node = node[p]
        node[last] = value
    return from_dict(data).validate()


def check_invariants(m: LeadershipModel) -> None:
    """Everything that must hold after any step, in any regime."""
    c = m.counts
    assert c[Event.ARRIVED] == c[Event.COMPLETED] + c[Event.FAILED] + m.n_open, "task conservation"
    load = m.lead_load + m.follow_load
    assert (load <= m.capacity).all() and (m.free >= 0).all(), "nobody over capacity"
    assert (m.free == m.capacity - load).all()
    # Loads agree with the teams of the active tasks; each task has exactly one lead.
    lead = np.zeros_like(m.lead_load)
    follow = np.zeros_like(m.follow_load)
    for t in m.active:
        team = m.tasks.team(t)
        assert m.tasks.lead[t] == team[0] >= 0
        assert len(set(team.tolist())) == len(team), "a person twice on one team"
        lead[team[0]] += 1
        np.add.at(follow, team[1:], 1)
    assert (lead == m.lead_load).all() and (follow == m.follow_load).all()
    backlog = [t for q in m.leader.backlog.values() for t, _ in q]
    assert len(backlog) == m.leader.n_backlog
    places = set(m.active.tolist()) | set(m.pool.tolist()) | set(m.leader.queue) | set(backlog)
    assert len(places) == m.n_open, "a task in two places"
    ev = m.events.array()
    started = np.bincount(ev[ev[:, 2] == Event.STARTED, 1], minlength=m.tasks.n)
    attempts = 1 + np.bincount(ev[ev[:, 2] == Event.REOPENED, 1], minlength=m.tasks.n)
    assert (started <= attempts).all(), "at most one lead per task and attempt"
    for name, arr in [
        ("trust", m.trust.trust),
        ("trust_in_leader", m.trust_in_leader),
        ("competence", m.competence),
        ("perceived", m.leader.perceived),
        ("engagement", m.engagement),
    ]:
        assert np.isfinite(arr).all() and (arr >= 0).all() and (arr <= 1).all(), f"{name} out of [0, 1]"
    assert (m.competence >= m.initial_competence - 1e-12).all(), "competence never falls"
    # The kept sums (what grants and psychological safety read) match the ties.
    everyone = np.arange(m.trust.n)
    indeg = np.maximum(np.bincount(m.trust.dst, minlength=m.trust.n), 1)
    np.testing.assert_allclose(
        m.trust.in_mean(everyone), np.bincount(m.trust.dst, m.trust.trust, m.trust.n) / indeg, atol=1e-9
    )
    np.testing.assert_allclose(m.trust.mean() * m.trust.n_ties, m.trust.trust.sum(), rtol=1e-9)
