"""Figures of one run's informal roles: the who-worked-with-whom network with people
marked by role, and the informal leaders' traits next to everyone else's."""

from __future__ import annotations

import networkx as nx
import numpy as np

from .core import ROLES, attempts, role_table, window_of

#: role -> (colour, label); people without a role are light grey
STYLE = {
    "informal_leader": ("#d62728", "informal leader"),
    "broker": ("#9467bd", "coordinator / broker"),
    "knowledge_holder": ("#1f77b4", "knowledge holder"),
    "pusher": ("#ff7f0e", "the one who pushes"),
    "sidelines": ("#7f7f7f", "on the sidelines"),
}


def collaboration_graph(model) -> nx.Graph:
    """Who worked with whom in the post-warm-up window (weight: attempts together)."""
    lo, hi = window_of(model)
    A = attempts(model)
    rows = A["members"][(A["start"] > lo) & (A["start"] <= hi)]
    g = nx.Graph()
    g.add_nodes_from(range(len(model.capacity)))
    for row in rows.tolist():
        team = [p for p in row if p >= 0]
        for i, a in enumerate(team):
            for b in team[i + 1 :]:
                w = g.get_edge_data(a, b, {"weight": 0})["weight"]
                g.add_edge(a, b, weight=w + 1)
    return g


def plot_network(model, table=None, ax=None, title: str | None = None):
    """The network of the run with each person coloured by their first role (in the
    order of :data:`ROLES`), a black ring for people with two roles or more, and size
    by the number of tasks led. Returns the axes."""
    import matplotlib.pyplot as plt

    table = role_table(model) if table is None else table
    g = collaboration_graph(model)
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 6))
    # Positions from the organisation's communication network (connected, stable
    # between regimes on one seed); the lines are who worked with whom.
    org = nx.Graph()
    org.add_nodes_from(range(len(table)))
    org.add_edges_from(zip(model.trust.src.tolist(), model.trust.dst.tolist()))
    pos = nx.spring_layout(org, seed=int(model.cfg.seed))
    xy = np.array([pos[i] for i in range(len(table))])
    for a, b, w in g.edges(data="weight"):
        ax.plot([pos[a][0], pos[b][0]], [pos[a][1], pos[b][1]], color="#bbbbbb", lw=0.3 + 0.3 * min(w, 8), zorder=1)
    held = table[list(ROLES)].to_numpy()
    first = np.where(held.any(axis=1), held.argmax(axis=1), -1)
    size = 30 + 12 * table["leads"].to_numpy()
    many = held.sum(axis=1) >= 2
    ax.scatter(*xy[first < 0].T, s=size[first < 0], c="#dddddd", edgecolors="none", zorder=2, label="no role")
    for k, r in enumerate(ROLES):
        on = first == k
        if on.any():
            ax.scatter(
                *xy[on].T,
                s=size[on],
                c=STYLE[r][0],
                zorder=3,
                label=STYLE[r][1],
                edgecolors=np.where(many[on], "black", "white").tolist(),
                linewidths=1.5,
            )
    ax.set_title(title or f"Informal roles ({model.cfg.coordination.name}, seed {model.cfg.seed})")
    ax.set_xlabel("layout x (arbitrary units)")
    ax.set_ylabel("layout y (arbitrary units)")
    ax.set_xticks([])
    ax.set_yticks([])
    from matplotlib.lines import Line2D

    handles = [Line2D([], [], ls="", marker="o", ms=8, mfc=c, mec="white", label=lab) for c, lab in STYLE.values()]
    handles += [Line2D([], [], ls="", marker="o", ms=8, mfc="#dddddd", mec="black", label="ring: two roles or more")]
    ax.legend(handles=handles, loc="best", fontsize=8, title="first role; size: tasks led", title_fontsize=8)
    return ax


def plot_traits(table, axes=None, title: str | None = None):
    """Self-chosen leads against competence, initiative and trust received, informal
    leaders in red: does the model's informal leader match the most competent, the
    most initiative, the most trusted? Returns the axes."""
    import matplotlib.pyplot as plt

    if axes is None:
        _, axes = plt.subplots(1, 3, figsize=(11, 3.5), sharey=True)
    il = table["informal_leader"].to_numpy()
    for ax, (col, label) in zip(
        axes,
        (
            ("competence", "mean competence (0-1)"),
            ("initiative", "initiative (0-1)"),
            ("trust_received", "trust received (0-1)"),
        ),
    ):
        ax.scatter(table[col][~il], table["self_leads"][~il], s=18, c="#999999", label="others")
        ax.scatter(
            table[col][il], table["self_leads"][il], s=30, c=STYLE["informal_leader"][0], label="informal leaders"
        )
        ax.set_xlabel(label)
        ax.set_title(label.split(" (")[0])
        ax.legend(fontsize=7)
    axes[0].set_ylabel("self-chosen leads (tasks)")
    if title:
        axes[0].figure.suptitle(title)
    return axes
