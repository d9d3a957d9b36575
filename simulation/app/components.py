"""Solara components of the classroom app; each takes the model SolaraViz hands it.

They are proper ``@solara.component``s (so SolaraViz does not wrap and remount them)
and subscribe to Mesa's ``update_counter`` themselves, which SolaraViz bumps after
every Step and every Play tick. Pictures are memoised per model: Reset builds a new
model and with it a new layout.
"""

from __future__ import annotations

import html

import solara
from mesa.visualization.utils import update_counter

from .classroom import live_numbers, settings, slider_help
from .info import info_sections
from .pictures import REGIME_COLOR, ROLE_STYLE, NetworkPicture, SeriesPicture

IMAGE_SIZE = (6.0, 4.7)   # inches at 80 dpi: fits a SolaraViz grid cell


def _network_png(model):
    pic = solara.use_memo(lambda: NetworkPicture(model, size=IMAGE_SIZE), [model])

    def draw():
        counts = pic.update(model)
        return pic.png(), counts

    return solara.use_memo(draw, [model, model.steps, update_counter.value])


def _role_line(counts: dict[str, int]) -> str:
    dots = []
    for name, n in counts.items():
        colour = ROLE_STYLE[name][0]
        dots.append(f'<span style="color:{colour};font-size:1.3em">&#9679;</span> {name} <b>{n}</b>')
    return " &nbsp; ".join(dots)


def _format(v) -> str:
    return f"{v:.2f}" if isinstance(v, float) else str(v)


def _settings_text(model) -> str:
    parts = []
    for level, values in settings(model).items():
        inner = ", ".join(f"{k} {_format(v)}" for k, v in values.items())
        parts.append(f"<i>{level}</i>: {inner}")
    return "; ".join(parts)


@solara.component
def NetworkView(model):
    """The organisation live: roles, trust on ties, the formal leader at the centre."""
    update_counter.get()
    png, counts = _network_png(model)
    with solara.Column(gap="0px", classes=["leadsim-network"]):
        solara.HTML(unsafe_innerHTML=f"<b>Step {model.steps}</b> &nbsp; {_role_line(counts)}",
                    style="font-size:0.9em")
        solara.Image(png)


@solara.component
def SeriesView(model):
    """Live plots of throughput, role ambiguity and conflicts per task."""
    update_counter.get()
    pic = solara.use_memo(lambda: SeriesPicture([model], size=IMAGE_SIZE), [model])

    def draw():
        pic.update([model])
        return pic.png()

    png = solara.use_memo(draw, [model, model.steps, update_counter.value])
    solara.Image(png)


@solara.component
def StatusView(model):
    """The numbers behind the pictures, and a pointer to the other tabs."""
    update_counter.get()
    s = live_numbers(model)
    cells = "".join(f"<tr><td>{k}</td><td style='text-align:right'><b>{_format(v)}</b></td></tr>"
                    for k, v in s.items())
    name = model.cfg.coordination.name
    solara.HTML(unsafe_innerHTML=(
        f"<div style='font-size:0.95em'><b style='color:{REGIME_COLOR[name]}'>{name}</b>, step {model.steps}, "
        f"{model.cfg.organization.size} people, seed {model.cfg.seed}"
        f"<table style='margin-top:6px;min-width:260px'>{cells}</table>"
        "<p style='margin-top:8px'>Throughput: tasks done per step over the last 10 steps. "
        "Role ambiguity and conflicts: per task that has arrived so far.</p>"
        f"<p style='margin-top:8px;font-size:0.9em'><b>Settings of this run</b> (applied by Reset): {_settings_text(model)}</p>"
        "<p><b>Tabs:</b> Page 0 this view &middot; Page 1 two regimes side by side &middot; "
        "Page 2 Info: what it is, how to use it, things to try.</p>"
        "<p>Sliders take effect on <b>Reset</b>.</p></div>"))


@solara.component
def TwinNetworkView(model):
    """The twin's network (same people, same seed, the other regime)."""
    update_counter.get()
    twin = getattr(model, "twin", None)
    if twin is None:
        solara.Info("Choose a regime under 'Side by side: compare with' and press Reset.")
        return
    NetworkView(twin)


@solara.component
def CompareSeriesView(model):
    """Both regimes' plots on the same axes."""
    update_counter.get()
    models = [model] + ([model.twin] if getattr(model, "twin", None) is not None else [])
    pic = solara.use_memo(lambda: SeriesPicture(models, size=IMAGE_SIZE), [model])

    def draw():
        pic.update(models)
        return pic.png()

    solara.Image(solara.use_memo(draw, [model, model.steps, update_counter.value]))


@solara.component
def CompareTable(model):
    """The live numbers of both regimes in one table."""
    update_counter.get()
    models = [model] + ([model.twin] if getattr(model, "twin", None) is not None else [])
    stats = [live_numbers(m) for m in models]
    head = "".join(f"<th style='color:{REGIME_COLOR[m.cfg.coordination.name]};padding-left:14px'>"
                   f"{m.cfg.coordination.name}</th>" for m in models)
    rows = "".join("<tr><td>" + k + "</td>" + "".join(
        f"<td style='text-align:right'><b>{_format(s[k])}</b></td>" for s in stats) + "</tr>"
        for k in stats[0])
    solara.HTML(unsafe_innerHTML=(
        f"<div style='font-size:0.95em'>Same settings, same seed, step {model.steps}. "
        "Both start from the same network and the same people; from then on each regime "
        "draws its own random numbers."
        f"<table style='margin-top:6px'><tr><th></th>{head}</tr>{rows}</table></div>"))


def info_view(index: int):
    """A component showing section ``index`` of the Info text (one grid cell each)."""

    @solara.component
    def InfoView(model):
        # A grid cell is 390 px high; long sections scroll inside it.
        solara.HTML(unsafe_innerHTML=info_sections()[index], classes=["leadsim-info"],
                    style="max-height:370px;overflow-y:auto;padding-right:8px")

    InfoView.__name__ = InfoView.__qualname__ = f"InfoView{index}"
    return InfoView


@solara.component
def SliderHelp():
    """What each slider means, with its range, grouped by level (claim 11)."""
    with solara.Card("What the sliders mean"):
        for level, rows in slider_help():
            items = "".join(f"<li><b>{html.escape(n)}</b>: {html.escape(d)}</li>" for n, d in rows)
            solara.Details(summary=level, children=[solara.HTML(
                unsafe_innerHTML=f"<ul style='font-size:0.85em;padding-left:16px'>{items}</ul>")])


COMPONENTS = [(NetworkView, 0), (SeriesView, 0), (StatusView, 0),
              (NetworkView, 1), (TwinNetworkView, 1), (CompareSeriesView, 1), (CompareTable, 1),
              *((info_view(i), 2) for i in range(len(info_sections())))]
