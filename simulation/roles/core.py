"""Informal roles named from what people did (docs/ODD.md, "Informal roles").

Everything is read from the task table and people's state, never from the event log
(which long runs may switch off): who led each task (and whether the formal leader
named them), who joined, when work began and ended, which domains it needed. Rules
are relative to the run's own distribution (a multiple of the equal share or of the
mean), so they name roles the same way in a team of 12 and in a company of 10,000.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..tasks import Event
from .betweenness import betweenness

#: The roles, in the order they are reported (and coloured, first role first).
ROLES = ("informal_leader", "broker", "knowledge_holder", "pusher", "sidelines")


@dataclass(frozen=True)
class RoleRules:
    """Thresholds of the role rules; docs/ODD.md justifies each default.

    A "share" is what each person would have if the acts were spread equally over
    everyone; 2x that is far above what chance gives at the default workload (with
    13 leads per person on average, a Poisson count reaches 27 with probability
    below 0.1 %), and ``min_count`` keeps a short window's handful of acts from
    naming anyone.
    """

    lead_factor: float = 2.0  #: informal leader: self-chosen leads >= factor x equal share
    broker_factor: float = 3.0  #: broker: betweenness >= factor x the mean betweenness
    knowledge_factor: float = 2.0  #: knowledge holder: sought for a domain >= factor x the domain's typical
    push_factor: float = 2.0  #: pusher: late or unowned tasks picked up >= factor x equal share
    sideline_factor: float = 0.25  #: sidelines: leads + joins <= factor x the mean ...
    sideline_spare: float = 0.5  #: ... while at least this share of capacity stayed unused
    min_count: int = 3  #: acts a role needs at the least (leads, pickups, partners, ...)
    exact_max: int = 500  #: exact betweenness up to this many people in the network
    samples: int = 128  #: sampled sources above it


def window_of(model, window: int | None = None) -> tuple[int, int]:
    """Steps ``(lo, hi]`` to read: after warm-up (or the last ``window`` steps)."""
    hi = int(model.now)
    if window is not None:
        return max(hi - int(window), 0), hi
    warm = int(model.cfg.warmup)
    return (warm, hi) if hi > warm else (0, hi)


def groups_of(model) -> tuple[np.ndarray, str]:
    """Each person's group for brokerage: their team when the organisation has
    teams (``model.team``), otherwise their home domain (best initial competence)."""
    team = getattr(model, "team", None)
    n = len(model.capacity)
    if team is not None and len(team) == n and (np.asarray(team) >= 0).any():
        team = np.asarray(team, dtype=np.int64)
        return np.where(team >= 0, team, team.max() + 1 + np.arange(n)), "team"
    return np.asarray(model.initial_competence).argmax(axis=1), "home_domain"


def attempts(model) -> dict[str, np.ndarray]:
    """Every attempt at a task, one row each: ``task, lead, start, end, ready, via``
    (the formal leader named the lead) and ``members`` (lead first, padded with -1).

    A failed attempt that comes back for rework leaves the task table (which keeps the
    latest attempt), so attempts are read from the event log's ``started`` and
    ``joined`` rows when it has them; without a log, from the task table (the latest
    attempt of each task only).
    """
    T, n_t = model.tasks, model.tasks.n
    log = getattr(model, "events", None)
    ev = log.array() if log is not None and len(log) else np.zeros((0, 4), dtype=np.int64)
    kind = ev[:, 2]
    started = ev[kind == Event.STARTED]
    if len(started) == 0:
        start = T.start[:n_t]
        if hasattr(T, "began"):
            start = np.where(T.began[:n_t] >= 0, T.began[:n_t], start)
        task = np.flatnonzero((start >= 0) & (T.lead[:n_t] >= 0))  # a reworked task waiting has no lead
        ready = T.ready[task] if hasattr(T, "ready") else T.arrival[task]
        return {
            "task": task,
            "lead": T.lead[task],
            "start": start[task],
            "end": T.end[task],
            "ready": np.where(ready >= 0, ready, T.arrival[task]),
            "via": T.via_leader[task].astype(bool),
            "members": T.members[task],
        }
    big = int(ev[:, 0].max()) + 2  # (task, step) as one sortable key
    task, start, lead = started[:, 1], started[:, 0], started[:, 3]
    key = task * big + start
    assigned = ev[(kind == Event.ASSIGNED) | (kind == Event.BACKLOGGED)]
    n = len(model.capacity)
    via = np.isin(task * n + lead, assigned[:, 1] * n + assigned[:, 3])
    # Ready: the task's last rework before the attempt, or its arrival.
    reopened = ev[kind == getattr(Event, "REOPENED", -1)]
    r_key = np.sort(reopened[:, 1] * big + reopened[:, 0])
    at = r_key.searchsorted(key) - 1
    hit = (at >= 0) & (r_key[np.maximum(at, 0)] // big == task) if len(r_key) else np.zeros(len(key), bool)
    ready = np.where(hit, r_key[np.maximum(at, 0)] % big if len(r_key) else 0, T.arrival[task])
    # End: the first outcome of the task at or after the attempt's start.
    ends = np.isin(kind, [Event.COMPLETED, Event.FAILED, getattr(Event, "REOPENED", -1)])
    e_key = np.sort(ev[ends, 1] * big + ev[ends, 0])
    at = np.minimum(e_key.searchsorted(key), max(len(e_key) - 1, 0))
    hit = (e_key[at] // big == task) if len(e_key) else np.zeros(len(key), bool)
    end = np.where(hit, e_key[at] % big if len(e_key) else -1, -1)
    # Members: the lead, then followers who joined the task in the step it started.
    order = np.argsort(key, kind="stable")
    joined = ev[kind == Event.JOINED]
    j_att = order[np.searchsorted(key[order], joined[:, 1] * big + joined[:, 0])]
    width = max(int(T.members.shape[1]), 1)
    members = np.full((len(key), width), -1, dtype=np.int64)
    members[:, 0] = lead
    by = np.argsort(j_att, kind="stable")
    place = np.arange(len(by)) - np.searchsorted(j_att[by], j_att[by]) + 1
    keep = place < width
    members[j_att[by][keep], place[keep]] = joined[by, 3][keep]
    return {"task": task, "lead": lead, "start": start, "end": end, "ready": ready, "via": via, "members": members}


def counts(
    model, lo: int, hi: int, rules: RoleRules = RoleRules(), tries=None
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Per person, the acts behind each rule over attempts started in steps ``(lo, hi]``;
    and how often each person was sought for each domain (people x domains)."""
    T = model.tasks
    A = attempts(model) if tries is None else tries
    n, d = len(model.capacity), model.competence.shape[1]
    sel = (A["start"] > lo) & (A["start"] <= hi)
    task, lead, via, rows = A["task"][sel], A["lead"][sel], A["via"][sel], A["members"][sel]
    # Named by a clear frame (the most competent person who saw the task): not self-chosen.
    framed = np.zeros(len(task), dtype=bool)
    if hasattr(T, "framed") and hasattr(T, "responsible"):
        framed = T.framed[task].astype(bool) & (T.responsible[task] == lead) & ~via
    named = via | framed
    fol_at, fol_col = np.nonzero(rows[:, 1:] >= 0)
    fol = rows[:, 1:][fol_at, fol_col]
    # Sought for a domain: recruited as a follower, or named by the formal leader or a frame.
    picked = np.concatenate((fol, lead[named]))
    picked_t = np.concatenate((task[fol_at], task[named]))
    sought = np.bincount(picked * d + T.dom0[picked_t], minlength=n * d)
    two = T.dom1[picked_t] >= 0
    sought += np.bincount((picked * d + T.dom1[picked_t])[two], minlength=n * d)
    sought = sought.reshape(n, d)
    # Pickups: self-chosen leads of tasks that waited past patience or were unowned.
    patience = int(getattr(model.cfg.coordination, "patience", 1))
    late = ((A["start"][sel] - A["ready"][sel]) >= patience) | T.unowned[task].astype(bool)
    # Who worked with whom: every pair of members of an attempt.
    pairs = _pairs(rows, n)
    groups, _ = groups_of(model)
    across = groups[pairs[:, 0]] != groups[pairs[:, 1]] if len(np.unique(groups)) > 1 else np.ones(len(pairs), bool)
    seed = int(np.random.SeedSequence(int(model.cfg.seed), spawn_key=(13, lo, hi)).generate_state(1)[0])
    return {
        "leads": np.bincount(lead, minlength=n),
        "self_leads": np.bincount(lead[~named], minlength=n),
        "assigned_leads": np.bincount(lead[via], minlength=n),
        "framed_leads": np.bincount(lead[framed], minlength=n),
        "joins": np.bincount(fol, minlength=n),
        "pickups": np.bincount(lead[late & ~named], minlength=n),
        "sought": sought.sum(axis=1),
        "sought_max": sought.max(axis=1),
        "sought_domain": sought.argmax(axis=1),
        "partners": np.bincount(pairs.ravel(), minlength=n),
        "partners_across": np.bincount(pairs[across].ravel(), minlength=n),
        "betweenness": betweenness(n, pairs, exact_max=rules.exact_max, samples=rules.samples, seed=seed),
        "spare_capacity": 1.0 - _busy(A, n, lo, hi) / (model.capacity * max(hi - lo, 1)),
    }, sought


def _pairs(rows: np.ndarray, n: int) -> np.ndarray:
    """Distinct unordered pairs of people who were members of one task."""
    n_col = rows.shape[1]
    keys = [
        np.minimum(rows[:, i], rows[:, j]) * n + np.maximum(rows[:, i], rows[:, j])
        for i in range(n_col)
        for j in range(i + 1, n_col)
    ]
    keys = np.concatenate(keys) if keys else np.zeros(0, dtype=np.int64)
    keys = np.unique(keys[keys >= 0])  # -1 padding makes a key negative
    return np.stack((keys // n, keys % n), axis=1)


def _busy(A: dict, n: int, lo: int, hi: int) -> np.ndarray:
    """Task-steps each person worked in steps ``(lo, hi]`` (unfinished attempts to ``hi``)."""
    start, end = A["start"], A["end"]
    end = np.where(end < 0, hi, np.minimum(end, hi))
    on = np.flatnonzero((start <= hi) & (end > lo))
    worked = end[on] - np.maximum(start[on], lo + 1) + 1
    rows = A["members"][on]
    member = rows >= 0
    return np.bincount(rows[member], np.broadcast_to(worked[:, None], rows.shape)[member], minlength=n)


def assign(c: dict, sought: np.ndarray, rules: RoleRules = RoleRules()) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Apply the rules to the counts: one boolean column per role, and which domains
    each person holds knowledge in (people x domains)."""
    n = max(len(c["leads"]), 1)
    k = rules.min_count

    def above(x, factor):
        x = np.asarray(x, dtype=float)
        return (x >= k) & (x >= factor * x.sum() / n)

    bt = c["betweenness"]
    # The typical count in a domain: the mean over the people sought for it at all
    # (a person cannot be sought for every domain, so an equal share would be too low).
    typical = sought.sum(axis=0) / np.maximum((sought > 0).sum(axis=0), 1)
    holds = (sought >= k) & (sought >= rules.knowledge_factor * typical)
    part = (c["leads"] + c["joins"]).astype(float)
    roles = {
        "informal_leader": above(c["self_leads"], rules.lead_factor),
        "broker": (bt > 0) & (bt >= rules.broker_factor * bt.mean()) & (c["partners_across"] >= k),
        "knowledge_holder": holds.any(axis=1),
        "pusher": above(c["pickups"], rules.push_factor),
        "sidelines": (part.mean() > 0)
        & (part <= rules.sideline_factor * part.mean())
        & (c["spare_capacity"] >= rules.sideline_spare),
    }
    return roles, holds


def traits(model) -> pd.DataFrame:
    """The people's traits next to their roles: who are the informal leaders?"""
    n = len(model.capacity)
    people = np.arange(n)
    return pd.DataFrame(
        {
            "competence": model.competence.mean(axis=1),
            "competence_best": model.competence.max(axis=1),
            "initiative": model.initiative,
            "trust_received": model.trust.in_mean(people),
            "engagement": model.engagement,
        },
        index=pd.RangeIndex(n, name="person"),
    )


def role_table(model, window: int | None = None, rules: RoleRules = RoleRules(), tries=None) -> pd.DataFrame:
    """One row per person: counts behind each rule, the roles held, the traits."""
    lo, hi = window_of(model, window)
    c, sought = counts(model, lo, hi, rules, tries)
    roles, holds = assign(c, sought, rules)
    groups, _ = groups_of(model)
    table = pd.concat([pd.DataFrame({"group": groups, **c, **roles}), traits(model)], axis=1)
    table.index.name = "person"
    table["roles"] = [
        ";".join(r for r, on in zip(ROLES, row) if on) for row in np.stack([roles[r] for r in ROLES], axis=1)
    ]
    table["knowledge_domains"] = [";".join(map(str, np.flatnonzero(h))) for h in holds]
    return table


def halves(model, rules: RoleRules = RoleRules(), tries=None) -> tuple[dict, dict]:
    """Roles in the first and second half of the post-warm-up window."""
    lo, hi = window_of(model)
    mid = lo + (hi - lo) // 2
    out = []
    for a, b in ((lo, mid), (mid, hi)):
        c, sought = counts(model, a, b, rules, tries)
        out.append({**c, **assign(c, sought, rules)[0]})
    return out[0], out[1]
