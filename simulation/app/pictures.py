"""Matplotlib pictures of a running model, built once and updated in place.

Laying out a network and drawing a whole figure every frame is what makes live
views slow (a spring layout per frame costs seconds at 1,000 people; here, axes,
ticks and legends alone cost ~100 ms per frame). So each picture is built once per
model with a fixed layout, its static parts are rendered once into a background,
and a frame redraws only what moves (blitting), then encodes a PNG. The background
is redrawn only when the axes limits change, and limits grow in coarse steps.
"""

from __future__ import annotations

import io
import math
import threading

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.cm import ScalarMappable
from matplotlib.collections import LineCollection
from matplotlib.colors import LinearSegmentedColormap, Normalize
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from PIL import Image

from ..model import LeadershipModel
from ..roles import ROLES
from .classroom import ROLE_NAMES, leader_assigned_leads, role_codes, series
from .informal import informal_roles, style

DPI = 80
#: role -> (colour, marker); markers differ too, for colour-blind readers.
ROLE_STYLE = {
    "idle": ("#c8c8c8", "o"),
    "leading": ("#f07f09", "^"),
    "following": ("#2c7bb6", "o"),
    "in conflict": ("#d7191c", "X"),
}
LEADER_COLOR = "#222222"
REGIME_COLOR = {"delegation": "#7b3294", "distributed": "#1a9850", "hybrid": "#e08214"}
TRUST_CMAP = LinearSegmentedColormap.from_list("trust", ["#f7fcf5", "#a1d99b", "#238b45", "#00441b"])


#: Static backgrounds by (picture signature, background key), shared by every session:
#: a class on the same settings draws each background once, not once per student (a
#: full draw costs 50-100 ms; the first frames of a run redraw it several times).
_backgrounds: dict[tuple, object] = {}
_backgrounds_lock = threading.Lock()
BACKGROUNDS_KEPT = 16  # ~0.7 MB each


class BlitPicture:
    """A figure whose ``dynamic`` artists are redrawn over a cached static background.

    ``signature`` (set by subclasses) names everything the static background depends
    on besides :meth:`background_key`; pictures with equal signatures share their
    backgrounds across sessions.
    """

    def __init__(self, size):
        self.fig = Figure(figsize=size, dpi=DPI)
        self.canvas = FigureCanvasAgg(self.fig)
        self.dynamic: list = []
        self.signature: tuple | None = None
        self._bg = None
        self._bg_key = None
        self._lock = threading.Lock()  # Play steps and redraws from a worker thread

    def background_key(self):
        """Anything that changes the static background (e.g. axes limits)."""
        return None

    def _background(self, key):
        """The static background for ``key``: another session's if one has drawn it."""
        for a in self.dynamic:
            a.set_animated(True)
        shared = (
            None
            if self.signature is None
            else (type(self).__name__, self.fig.get_size_inches().tobytes(), self.signature, key)
        )
        with _backgrounds_lock:
            bg = _backgrounds.get(shared) if shared else None
        if bg is not None:
            for ax in self.fig.axes:
                ax.apply_aspect()  # what a draw would do: the artists land where the background expects
            return bg
        self.canvas.draw()
        bg = self.canvas.copy_from_bbox(self.fig.bbox)
        if shared:
            with _backgrounds_lock:
                if len(_backgrounds) >= BACKGROUNDS_KEPT:
                    _backgrounds.pop(next(iter(_backgrounds)))
                _backgrounds[shared] = bg
        return bg

    def png_of(self, model) -> bytes:
        """The picture of ``model``'s current state, as PNG bytes."""
        self.update(model)
        return self.png()

    def png(self) -> bytes:
        with self._lock:
            key = self.background_key()
            if self._bg is None or key != self._bg_key:
                self._bg, self._bg_key = self._background(key), key
            self.canvas.restore_region(self._bg)
            for a in self.dynamic:
                self.fig.draw_artist(a)
            return encode_png(np.asarray(self.canvas.buffer_rgba()))


#: Colours of a frame's palette: 256 keeps the trust colour bar smooth.
PALETTE = 256


def encode_png(rgba: np.ndarray) -> bytes:
    """A frame as a palette PNG: a quarter of the bytes of an RGBA one (~23 KB for a
    network instead of ~82) in half the time (~7 ms instead of ~13), so each
    student's socket and browser get less to carry and decode; the pictures are flat
    colours on white, which a 256-colour palette keeps. Fast zlib level: a frame is
    thrown away 100 ms later."""
    out = io.BytesIO()
    img = Image.fromarray(rgba[..., :3]).quantize(PALETTE, method=Image.Quantize.FASTOCTREE)
    img.save(out, format="png", compress_level=1)
    return out.getvalue()


#: Seed of the layout of a loaded organisation: the same picture in every session.
LAYOUT_SEED = 1
#: Above this many people a loaded organisation is drawn on a ring (a spring layout
#: would cost seconds).
SPRING_MAX = 1500
_layouts: dict[tuple, np.ndarray] = {}
_layouts_lock = threading.Lock()


def data_layout(edges: np.ndarray, n: int) -> np.ndarray:
    """A seeded spring layout of a loaded organisation's ties, computed once per network.

    Positions are pushed out of the centre (radius 0.4 to 1) so that the formal
    leader's square stays clear, keeping each person's direction from the centre.
    """
    import networkx as nx

    key = (n, edges.tobytes())
    with _layouts_lock:
        if key in _layouts:
            return _layouts[key]
    if n > SPRING_MAX:
        angle = np.pi / 2 - 2 * np.pi * np.arange(n) / n
        pos = np.column_stack((np.cos(angle), np.sin(angle)))
    else:
        g = nx.empty_graph(n)
        g.add_edges_from(edges.tolist())
        at = nx.spring_layout(g, seed=LAYOUT_SEED)
        pos = np.array([at[i] for i in range(n)], dtype=float).reshape(n, 2)
        pos -= pos.mean(axis=0)
        r = np.hypot(pos[:, 0], pos[:, 1])
        scale = 0.4 + 0.6 * r / max(r.max(), 1e-9)
        pos = pos / np.maximum(r, 1e-9)[:, None] * scale[:, None]
    pos.setflags(write=False)
    with _layouts_lock:
        _layouts[key] = pos
    return pos


def layout(model: LeadershipModel) -> np.ndarray:
    """Fixed node positions, the formal leader at the centre (0, 0).

    People sit on a ring (a small-world network is a rewired ring, so its local ties
    stay short); with team-clustered networks each team is its own small ring; a
    loaded organisation gets a seeded spring layout of its own ties.
    """
    org = model.cfg.organization
    n = org.size
    data = getattr(model, "organisation", None)
    if data is not None:
        return data_layout(np.asarray(data.edges), n)
    if org.network == "team_clustered" and n > org.team_size:
        team, member = np.divmod(np.arange(n), org.team_size)
        n_teams = int(team.max()) + 1
        sizes = np.bincount(team)
        a_team = np.pi / 2 - 2 * np.pi * team / n_teams
        a_mem = 2 * np.pi * member / sizes[team]
        r = min(0.3, 0.9 * np.sin(np.pi / n_teams))
        return np.column_stack((np.cos(a_team) + r * np.cos(a_mem), np.sin(a_team) + r * np.sin(a_mem)))
    angle = np.pi / 2 - 2 * np.pi * np.arange(n) / n
    return np.column_stack((np.cos(angle), np.sin(angle)))


#: The network's axes in figure coordinates (left, bottom, width, height).
AXES = (0.0, 0.10, 0.78, 0.84)


class NetworkPicture(BlitPicture):
    """The organisation: people coloured by role, ties shaded by trust, the leader apart."""

    def __init__(self, model: LeadershipModel, size=(5.6, 5.6)):
        super().__init__(size)
        fig = self.fig
        ax = fig.add_axes(AXES)  # the right margin holds the informal roles' legend
        ax.set_axis_off()
        ax.set_aspect("equal")
        lim = 1.45 if model.cfg.organization.network == "team_clustered" else 1.1
        ax.set_xlim(-lim, lim)
        ax.set_ylim(-lim, lim)
        self.pos = layout(model)
        tn = model.trust
        # Each undirected tie once, shaded by the mean trust of its two directions.
        self.fwd = np.flatnonzero(tn.src < tn.dst)
        self.rev = tn.edge_ids(tn.dst[self.fwd], tn.src[self.fwd])
        segs = np.stack((self.pos[tn.src[self.fwd]], self.pos[tn.dst[self.fwd]]), axis=1)
        dense = len(segs) > 1500  # e.g. a complete network: thin, see-through ties
        self.ties = LineCollection(
            segs,
            cmap=TRUST_CMAP,
            norm=Normalize(0, 1),
            linewidths=0.4 if dense else 0.9,
            alpha=0.35 if dense else None,
            zorder=1,
        )
        ax.add_collection(self.ties)
        self.spokes = LineCollection(
            [], colors=LEADER_COLOR, linewidths=0.7, linestyles=(0, (2, 2)), alpha=0.7, zorder=2
        )
        ax.add_collection(self.spokes)
        s = float(np.clip(4000 / len(self.pos), 14, 90))
        self.roles = {}
        for name in ROLE_NAMES:
            colour, marker = ROLE_STYLE[name]
            self.roles[name] = ax.scatter(
                self.pos[:0, 0],
                self.pos[:0, 1],
                s=s * (1.6 if marker in "^X" else 1),
                c=colour,
                marker=marker,
                edgecolors="#555555",
                linewidths=0.4,
                zorder=3,
            )
        # Informal roles: a small marker per role held, stacked outwards from the person.
        self.out = self.pos / np.maximum(np.hypot(self.pos[:, 0], self.pos[:, 1]), 1e-9)[:, None]
        w, h = self.fig.get_size_inches()
        per_unit = min(AXES[2] * w, AXES[3] * h) * 72 / (2 * lim)  # points per data unit (equal aspect)
        self.gap = (0.5 * math.sqrt(s) + 4) / per_unit  # just outside the person's dot
        self.informal = {}
        for role in ROLES:
            _, colour, marker, _ = style(role)
            self.informal[role] = ax.scatter(
                self.pos[:0, 0],
                self.pos[:0, 1],
                s=46 if marker == "*" else 22,
                c=colour,
                marker=marker,
                edgecolors="white",
                linewidths=0.3,
                zorder=3.5,
            )
        self.leader_mark = ax.scatter([0], [0], s=420, marker="s", c=LEADER_COLOR, zorder=4)
        self.leader_text = ax.text(
            0,
            -0.12,
            "",
            ha="center",
            va="top",
            fontsize=10,
            zorder=5,
            bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": "none", "alpha": 0.85},
        )
        name = model.cfg.coordination.name
        where = getattr(model, "organisation_name", "generated")
        where = "" if where == "generated" else f"{where}, "
        self.signature = (name, where, model.cfg.organization.size, lim)  # title and extent
        fig.text(
            AXES[0] + AXES[2] / 2,
            0.985,
            f"{name}: {where}{model.cfg.organization.size} people",
            ha="center",
            va="top",
            fontsize=13,
            weight="bold",
            color=REGIME_COLOR[name],
        )
        marks = [
            Line2D([], [], ls="", marker=style(r)[2], color=style(r)[1], markersize=8 if style(r)[2] == "*" else 6)
            for r in ROLES
        ]
        fig.legend(
            marks,
            [style(r)[0] for r in ROLES],
            loc="upper right",
            bbox_to_anchor=(1.0, 0.93),
            ncol=1,
            fontsize=8,
            frameon=False,
            handletextpad=0.2,
            labelspacing=0.3,
            title="informal roles",
            title_fontsize=8,
            alignment="left",
        )
        handles = [
            Line2D(
                [], [], ls="", marker=ROLE_STYLE[r][1], color=ROLE_STYLE[r][0], markeredgecolor="#555555", markersize=8
            )
            for r in ROLE_NAMES
        ]
        handles.append(Line2D([], [], ls="", marker="s", color=LEADER_COLOR, markersize=9))
        handles.append(Line2D([], [], color=LEADER_COLOR, ls=(0, (2, 2)), lw=1))
        fig.legend(
            handles,
            [*ROLE_NAMES, "formal leader", "leader's assignment"],
            loc="lower left",
            bbox_to_anchor=(0.0, 0.0),
            ncol=3,
            fontsize=9,
            frameon=False,
            handletextpad=0.3,
            columnspacing=0.8,
        )
        cax = fig.add_axes((0.72, 0.075, 0.25, 0.018))
        bar = fig.colorbar(ScalarMappable(Normalize(0, 1), TRUST_CMAP), cax=cax, orientation="horizontal")
        bar.set_ticks([0, 0.5, 1])
        bar.ax.tick_params(labelsize=8)
        cax.set_title("trust on a tie", fontsize=9, pad=2)
        self.dynamic = [
            self.ties,
            self.spokes,
            *self.roles.values(),
            *self.informal.values(),
            self.leader_mark,
            self.leader_text,
        ]
        self.update(model)

    def update(self, model: LeadershipModel) -> dict[str, int]:
        """Redraw state into the artists; return the number of people per role."""
        codes = role_codes(model)
        counts = {}
        for k, name in enumerate(ROLE_NAMES):
            mask = codes == k
            self.roles[name].set_offsets(self.pos[mask])
            counts[name] = int(mask.sum())
        t = model.trust.trust
        self.ties.set_array((t[self.fwd] + t[self.rev]) / 2)
        # Spokes: who currently leads a task the formal leader handed out.
        leads = leader_assigned_leads(model)
        self.spokes.set_segments([np.array([(0.0, 0.0), self.pos[i]]) for i in leads])
        self.leader_text.set_text(f"leader's queue: {len(model.leader.queue)}")
        self.mark_informal(model)
        return counts

    def mark_informal(self, model: LeadershipModel) -> dict[str, np.ndarray]:
        """Place the informal-role markers; return each role's holders (person ids)."""
        held = informal_roles(model).held
        where: dict[str, list] = {r: [] for r in ROLES}
        holders: dict[str, list] = {r: [] for r in ROLES}
        for person, roles in held.items():
            for j, r in enumerate(roles):
                if r in where:
                    where[r].append(self.pos[person] + self.out[person] * self.gap * (1 + 0.9 * j))
                    holders[r].append(person)
        for r, art in self.informal.items():
            art.set_offsets(np.array(where[r], dtype=float).reshape(-1, 2))
        return {r: np.array(h, dtype=np.int64) for r, h in holders.items()}


PLOTS = (
    ("throughput", "Throughput: tasks done per step (mean of last 10)"),
    ("role_ambiguity", "Role ambiguity (lived): share of tasks with a conflict or left unowned"),
    ("conflict_rate", "Conflicts per task"),
)


def _ceiling(x: float) -> float:
    """The next 'nice' axis limit at or above x (1, 2, 5 times a power of ten)."""
    if x <= 0:
        return 0.05
    p = 10 ** math.floor(math.log10(x))
    return next(m * p for m in (1, 2, 5, 10) if m * p >= x - 1e-12)


class SeriesPicture(BlitPicture):
    """Throughput, role ambiguity and conflict rate over time, for one or two models."""

    def __init__(self, models: list[LeadershipModel], size=(5.6, 5.6)):
        super().__init__(size)
        axes = self.fig.subplots(len(PLOTS), 1, sharex=True)
        self.fig.subplots_adjust(left=0.11, right=0.97, top=0.95, bottom=0.08, hspace=0.38)
        self.axes = dict(zip((k for k, _ in PLOTS), axes))
        self.lines: dict[tuple[int, str], Line2D] = {}
        for (key, title), ax in zip(PLOTS, axes):
            ax.set_title(title, fontsize=10, loc="left")
            ax.tick_params(labelsize=8)
            ax.grid(alpha=0.3)
            for i, m in enumerate(models):
                name = m.cfg.coordination.name
                (self.lines[i, key],) = ax.plot(
                    [], [], "-" if i == 0 else "--", color=REGIME_COLOR[name], lw=1.6, label=name
                )
        axes[-1].set_xlabel("step", fontsize=9)
        w, org = models[0].cfg.workload, models[0].cfg.organization
        ax = self.axes["throughput"]
        ax.axhline(w.arrival_rate, color="#888888", lw=0.9, ls=":", label="arrivals")
        if any(m.cfg.coordination.name == "delegation" for m in models):
            ax.axhline(org.leader_capacity, color=LEADER_COLOR, lw=0.9, ls="-.", label="leader capacity")
        ax.legend(fontsize=8, loc="upper left", ncol=4, frameon=False)
        self.dynamic = list(self.lines.values())
        # legend and reference lines (the axes limits are the background key)
        self.signature = (
            tuple(m.cfg.coordination.name for m in models),
            w.arrival_rate,
            org.leader_capacity if any(m.cfg.coordination.name == "delegation" for m in models) else None,
        )
        self.models = list(models)
        # Limits only grow, so the background is redrawn a handful of times per run.
        self.limits = {k: 0.05 for k, _ in PLOTS}
        self.limits["throughput"] = _ceiling(1.3 * max(w.arrival_rate, 0.5))
        self.xmax = 50
        self.update(models)

    def background_key(self):
        return (self.xmax, *self.limits.values())

    def update(self, models: list[LeadershipModel] | LeadershipModel | None = None) -> None:
        """Redraw the lines; a single model (or none) means the models it was built with."""
        if not isinstance(models, (list, tuple)):
            models = self.models
        for i, m in enumerate(models):
            s = series(m)
            for key, _ in PLOTS:
                self.lines[i, key].set_data(s["step"], s[key])
                if len(s[key]):
                    self.limits[key] = max(self.limits[key], _ceiling(float(s[key].max())))
            while m.steps > self.xmax:
                self.xmax = min(2 * self.xmax, max(m.cfg.steps, m.steps))
        for key, ax in self.axes.items():
            ax.set_ylim(0, self.limits[key] * 1.05)
        self.axes["conflict_rate"].set_xlim(0, self.xmax)
