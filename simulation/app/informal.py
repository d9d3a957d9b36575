"""Informal roles in the classroom app: who leads without a title, who brokers, who
holds knowledge, who pushes, who stays on the sidelines (:mod:`simulation.roles`).

Naming roles reads the task table and the event log (~12 ms at 60 people), too much
for every frame of every student's run, and roles change slowly anyway. So they are
computed every :data:`EVERY` steps per model, over the last :data:`WINDOW` steps (a
live view that forgets, unlike the report's post-warm-up window), and cached; the
network's markers and the "who is who" panel read the same cached answer.
"""

from __future__ import annotations

import html
import threading
import weakref
from dataclasses import dataclass, field

import pandas as pd

from ..roles import ROLES, role_table, top_people

#: Steps between two recomputations of a model's roles.
EVERY = 10
#: Roles are named from the last so many steps.
WINDOW = 200
#: How many people the panel names per role.
TOP = 3

#: role -> (label, colour, marker, what the panel's number counts). Markers differ in
#: shape as well as colour, for colour-blind readers.
STYLE = {
    "informal_leader": ("informal leader", "#e6ab02", "*", "self-chosen leads"),
    "broker": ("broker", "#7570b3", "D", "betweenness"),
    "knowledge_holder": ("knowledge holder", "#1b9e77", "s", "times sought in one domain"),
    "pusher": ("pusher", "#e7298a", "P", "late or unowned tasks picked up"),
    "sidelines": ("on the sidelines", "#8c8c8c", "v", "share of capacity unused"),
}


def style(role: str) -> tuple[str, str, str, str]:
    """A role's (label, colour, marker, measure); a role added later still gets a mark."""
    return STYLE.get(role, (role.replace("_", " "), "#555555", "o", "see roles.csv"))


@dataclass
class Informal:
    """A model's informal roles as of ``step``."""

    step: int
    held: dict[int, list[str]] = field(default_factory=dict)  # person -> roles, in ROLES order
    top: pd.DataFrame | None = None  # who_is_who's table
    html: str | None = None  # the panel, written once per recomputation


_cache: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def informal_roles(model) -> Informal:
    """The roles of ``model``, recomputed when :data:`EVERY` steps have passed."""
    with _lock:
        got = _cache.get(model)
    if got is not None and 0 <= model.steps - got.step < EVERY and (got.top is not None or model.steps == got.step):
        return got  # (a step-0 answer, empty, is replaced at the first step)
    got = Informal(model.steps)
    if model.steps > 0:
        table = role_table(model, WINDOW)
        for person, row in table[list(ROLES)].iterrows():
            roles = [r for r in ROLES if row[r]]
            if roles:
                got.held[int(person)] = roles
        got.top = top_people(table, TOP)
    with _lock:
        _cache[model] = got
    return got


def person_name(model, person: int) -> str:
    """The id from the organisation's files, or ``#i`` for a generated person."""
    data = getattr(model, "organisation", None)
    return str(data.ids[person]) if data is not None else f"#{person}"


def _value(role: str, v) -> str:
    """Counts as integers; betweenness and spare capacity (shares) with two decimals."""
    return f"{float(v):.2f}" if role in ("broker", "sidelines") else str(round(float(v)))


def who_is_who_html(model) -> str:
    """The panel: per role, the people most marked for it and the count behind it."""
    info = informal_roles(model)
    if info.html is None:
        info.html = _panel(model, info)
    return info.html


def _panel(model, info: Informal) -> str:
    head = (
        f"<div style='font-size:0.8em;color:#555'>{html.escape(model.cfg.coordination.name)}, "
        f"last {min(WINDOW, info.step)} steps (as of step {info.step}; updated every {EVERY} steps)</div>"
    )
    if info.top is None:
        return head + "<p style='font-size:0.9em'>Nobody yet: press Step or ▶.</p>"
    rows = []
    for role in ROLES:
        label, colour, marker, measure = style(role)
        people = info.top[info.top.role == role]
        n = sum(role in r for r in info.held.values())
        who = (
            ", ".join(
                f"<b>{html.escape(person_name(model, p))}</b> ({_value(role, v)})"
                for p, v in zip(people.person, people.value)
            )
            or "nobody"
        )
        rows.append(
            f"<tr><td style='color:{colour};font-size:1.2em;padding-right:4px'>{_glyph(marker)}</td>"
            f"<td title='{html.escape(measure)}'>{label} ({n})</td><td>{who}</td></tr>"
        )
    return (
        head
        + "<table class='who-is-who' style='font-size:0.85em;margin-top:4px'>"
        + "".join(rows)
        + "</table><div style='font-size:0.75em;color:#555'>in brackets: how many hold the role; "
        "after a name, what marks them (hover the role)</div>"
    )


def _glyph(marker: str) -> str:
    return {"*": "&#9733;", "D": "&#9670;", "s": "&#9632;", "P": "&#10010;", "v": "&#9660;"}.get(marker, "&#9679;")
