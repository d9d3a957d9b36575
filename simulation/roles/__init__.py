"""Informal roles: who leads without a title, who brokers, who holds knowledge, who
pushes, who stays on the sidelines (CONCEPTS claims 3 and 14; docs/ODD.md,
"Informal roles").

- :func:`analyse` — after a run: the role table (``roles.csv``) and the ``roles_*``
  metrics that go into ``metrics.json`` and sweep tables;
- :func:`current_roles` and :func:`who_is_who` — cheap enough for the classroom app
  to call every few steps while a run goes on;
- :mod:`simulation.roles.figure` — the network marked by role (imports matplotlib).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .core import ROLES, RoleRules, attempts, halves, role_table, window_of

DEFAULT_RULES = RoleRules()  #: frozen: safe to share as a default

__all__ = [
    "ROLES",
    "ROLE_METRICS",
    "RoleRules",
    "analyse",
    "current_roles",
    "role_metrics",
    "role_table",
    "top_people",
    "who_is_who",
    "window_of",
]

#: Metric names, in the order they are written into metrics.json.
ROLE_METRICS = (
    *(f"roles_{r}_{x}" for r in ROLES for x in ("n", "share")),
    "roles_informal_leader_lead_share",
    *(f"roles_{r}_stability" for r in ROLES),
    "roles_stability",
    "roles_lead_rank_stability",
    "roles_leads_competence_rho",
    "roles_leads_initiative_rho",
    "roles_leads_trust_rho",
)

#: What the columns of roles.csv mean (docs/ODD.md repeats this).
COLUMNS = {
    "group": "team, or home domain when the organisation has no teams (brokerage is across groups)",
    "leads": "attempts led (started in the window)",
    "self_leads": "leads the person chose (named neither by the leader nor by a frame)",
    "assigned_leads": "leads the formal leader named",
    "framed_leads": "leads a clear frame named",
    "joins": "tasks joined as a follower",
    "pickups": "self-chosen leads of tasks that waited past patience or were unowned",
    "sought": "times recruited as a follower or named by the leader or a frame, summed over the task's domains",
    "sought_max": "the same in the person's most sought domain",
    "sought_domain": "that domain",
    "partners": "distinct people worked with",
    "partners_across": "of them in another group",
    "betweenness": "normalised betweenness in the who-worked-with-whom network",
    "spare_capacity": "share of capacity unused in the window",
}


def analyse(model, rules: RoleRules = DEFAULT_RULES) -> tuple[pd.DataFrame, dict[str, float]]:
    """The role table and the ``roles_*`` metrics of a finished run."""
    tries = attempts(model)
    table = role_table(model, rules=rules, tries=tries)
    return table, role_metrics(table, *halves(model, rules, tries))


def role_metrics(table: pd.DataFrame, first: dict, second: dict) -> dict[str, float]:
    """Number and share of people per role, the leads taken by informal leaders, how
    stable roles are between the two halves, and what informal leading goes with."""
    n = max(len(table), 1)
    out: dict[str, float] = {}
    for r in ROLES:
        out[f"roles_{r}_n"] = float(table[r].sum())
        out[f"roles_{r}_share"] = float(table[r].sum()) / n
    leads = table["leads"].sum()
    il = table["informal_leader"].to_numpy()
    out["roles_informal_leader_lead_share"] = (
        float(table["leads"].to_numpy()[il].sum() / leads) if leads else float("nan")
    )
    stab = [jaccard(first[r], second[r]) for r in ROLES]
    for r, s in zip(ROLES, stab):
        out[f"roles_{r}_stability"] = s
    real = [s for s in stab if np.isfinite(s)]
    out["roles_stability"] = float(np.mean(real)) if real else float("nan")
    out["roles_lead_rank_stability"] = spearman(first["self_leads"], second["self_leads"])
    for name, col in (("competence", "competence"), ("initiative", "initiative"), ("trust", "trust_received")):
        out[f"roles_leads_{name}_rho"] = spearman(table["self_leads"], table[col])
    return {k: out[k] for k in ROLE_METRICS}


def jaccard(a, b) -> float:
    """|A and B| / |A or B| of two holder masks; NaN when nobody holds the role in either."""
    a, b = np.asarray(a, bool), np.asarray(b, bool)
    union = int((a | b).sum())
    return float((a & b).sum()) / union if union else float("nan")


def spearman(x, y) -> float:
    """Spearman's rank correlation (average ranks for ties); NaN if either is constant."""
    rx, ry = _ranks(x), _ranks(y)
    if np.ptp(rx) == 0 or np.ptp(ry) == 0:
        return float("nan")
    return float(np.corrcoef(rx, ry)[0, 1])


def _ranks(x) -> np.ndarray:
    """Ranks 1..n, tied values sharing their mean rank."""
    x = np.asarray(x, dtype=float)
    if len(x) == 0:
        return x
    _, inverse, count = np.unique(x, return_inverse=True, return_counts=True)
    top = np.cumsum(count)
    return ((top - count + 1 + top) / 2.0)[inverse]


def current_roles(model, window: int | None = None, rules: RoleRules = DEFAULT_RULES) -> dict[int, set[str]]:
    """``{person: {role, ...}}`` for everyone holding a role now (others absent).

    For the classroom app, between steps: reads the task table so far (a few
    milliseconds for 60 people). ``window`` limits it to the last so many steps (a
    live view that forgets); by default the post-warm-up window, or every step so far
    while the run is still in its warm-up.
    """
    table = role_table(model, window, rules)
    held = table[list(ROLES)]
    return {int(p): {r for r in ROLES if row[r]} for p, row in held[held.any(axis=1)].iterrows()}


def top_people(table: pd.DataFrame, k: int = 3) -> pd.DataFrame:
    """The ``k`` people most marked for each role, with the count behind it and their
    traits: compare the informal leader with the most competent, initiative, trusted."""
    key = {
        "informal_leader": "self_leads",
        "broker": "betweenness",
        "knowledge_holder": "sought_max",
        "pusher": "pickups",
        "sidelines": "spare_capacity",
    }
    rows = []
    for r in ROLES:
        holders = table[table[r]]
        ranked = holders.sort_values([key[r], "competence"], ascending=[False, False], kind="stable").head(k)
        for person, row in ranked.iterrows():
            rows.append(
                {
                    "role": r,
                    "person": int(person),
                    "measure": key[r],
                    "value": row[key[r]],
                    "competence": row["competence"],
                    "initiative": row["initiative"],
                    "trust_received": row["trust_received"],
                    "roles": row["roles"],
                }
            )
    cols = ["role", "person", "measure", "value", "competence", "initiative", "trust_received", "roles"]
    return pd.DataFrame(rows, columns=cols)


def who_is_who(model, k: int = 3, window: int | None = None) -> pd.DataFrame:
    """The app's "who is who" panel: :func:`top_people` of the run so far."""
    return top_people(role_table(model, window), k)
