"""Solara components of the classroom app; each takes the model SolaraViz hands it.

Frames bypass re-rendering. SolaraViz bumps Mesa's ``update_counter`` after every
Step and Play tick; a component that reads it is re-rendered and reconciled by
reacton, which costs ~15 ms per component on top of drawing (measured, docs/app.md).
Instead each live widget subscribes to the counter and gets its new PNG or HTML
set directly (:func:`live_widget`). Components re-render only when their model changes
(Reset), which also rebuilds the pictures and their fixed layout.
"""

from __future__ import annotations

import html
from typing import Callable

import ipywidgets
import numpy as np
import solara
import solara.widgets
from mesa.visualization.utils import update_counter

from .classroom import ROLE_NAMES, live_numbers, role_codes, settings, slider_help
from .info import info_sections
from .pictures import REGIME_COLOR, ROLE_STYLE, NetworkPicture, SeriesPicture

IMAGE_SIZE = (6.0, 4.7)   # inches at 80 dpi: fits a SolaraViz grid cell
CELL_STYLE = "max-height:370px;overflow-y:auto;padding-right:6px"   # a grid cell is 390 px high


def live_widget(make: Callable, refresh: Callable, key):
    """Show the widget ``make()`` builds; ``refresh(widget)`` after every tick.

    The widget is a plain ipywidget, not a reacton element: reacton re-applies an
    element's props whenever anything re-renders (Mesa's step counter does, every
    tick), which would put the first frame back.
    """
    widget = solara.use_memo(make, [key])

    def connect():
        unsubscribe = update_counter.subscribe(lambda _: refresh(widget))

        def cleanup():          # Reset or unmount: stop drawing, free the widget
            unsubscribe()
            widget.close()

        return cleanup

    solara.use_effect(connect, [widget])
    return solara.Column(children=[widget], gap="0px")


def live_image(draw: Callable[[], bytes], key):
    """A PNG that ``draw()`` renders again after every tick."""
    return live_widget(lambda: ipywidgets.Image(value=draw(), format="png"),
                lambda w: setattr(w, "value", draw()), key)


def live_html(text: Callable[[], str], key, style: str = ""):
    """HTML that ``text()`` writes again after every tick."""
    return live_widget(lambda: solara.widgets.HTML(tag="div", unsafe_innerHTML=text(), attributes={"style": style}),
                lambda w: setattr(w, "unsafe_innerHTML", text()), key)


def _format(v) -> str:
    return f"{v:.2f}" if isinstance(v, float) else str(v)


def _models(model) -> list:
    twin = getattr(model, "twin", None)
    return [model] if twin is None else [model, twin]


def role_line(model) -> str:
    """'Step 12 · idle 40 · leading 9 ...' with the picture's colours."""
    counts = np.bincount(role_codes(model), minlength=len(ROLE_NAMES))
    dots = [f'<span style="color:{ROLE_STYLE[name][0]};font-size:1.3em">&#9679;</span> {name} <b>{n}</b>'
            for name, n in zip(ROLE_NAMES, counts)]
    return f"<b>Step {model.steps}</b> &nbsp; " + " &nbsp; ".join(dots)


def settings_text(model) -> str:
    parts = []
    for level, values in settings(model).items():
        inner = ", ".join(f"{k} {_format(v)}" for k, v in values.items())
        parts.append(f"<i>{level}</i>: {inner}")
    return "; ".join(parts)


def numbers_table(models) -> str:
    stats = [live_numbers(m) for m in models]
    head = "".join(f"<th style='color:{REGIME_COLOR[m.cfg.coordination.name]};padding-left:14px'>"
                   f"{m.cfg.coordination.name}</th>" for m in models)
    rows = "".join(f"<tr><td>{k}</td>" + "".join(
        f"<td style='text-align:right'><b>{_format(s[k])}</b></td>" for s in stats) + "</tr>"
        for k in stats[0])
    return f"<table style='margin-top:6px'><tr><th></th>{head}</tr>{rows}</table>"


@solara.component
def NetworkView(model):
    """The organisation live: roles, trust on ties, the formal leader at the centre."""
    pic = solara.use_memo(lambda: NetworkPicture(model, size=IMAGE_SIZE), [model])

    def draw():
        pic.update(model)
        return pic.png()

    with solara.Column(gap="0px"):
        live_html(lambda: role_line(model), model, style="font-size:0.9em")
        live_image(draw, model)


@solara.component
def SeriesView(model):
    """Live plots of throughput, role ambiguity and conflicts per task."""
    pic = solara.use_memo(lambda: SeriesPicture([model], size=IMAGE_SIZE), [model])

    def draw():
        pic.update([model])
        return pic.png()

    live_image(draw, model)


@solara.component
def CompareSeriesView(model):
    """Both regimes' plots on the same axes."""
    models = _models(model)
    pic = solara.use_memo(lambda: SeriesPicture(models, size=IMAGE_SIZE), [model])

    def draw():
        pic.update(models)
        return pic.png()

    live_image(draw, model)


@solara.component
def StatusView(model):
    """The numbers behind the pictures, the settings of this run, and the tabs."""
    name = model.cfg.coordination.name
    with solara.Column(gap="0px", style=CELL_STYLE):
        solara.HTML(unsafe_innerHTML=(
            f"<b style='color:{REGIME_COLOR[name]}'>{name}</b>, {model.cfg.organization.size} people, "
            f"seed {model.cfg.seed}"))
        live_html(lambda: numbers_table([model]), model)
        solara.HTML(unsafe_innerHTML=(
            "<p style='margin-top:8px'>Throughput: tasks done per step over the last 10 steps. "
            "Role ambiguity and conflicts: per task that has arrived so far.</p>"
            f"<p style='font-size:0.9em'><b>Settings of this run</b> (applied by Reset): "
            f"{settings_text(model)}</p>"
            "<p><b>Tabs:</b> Page 0 this view &middot; Page 1 two regimes side by side &middot; "
            "Page 2 Info: what it is, how to use it, things to try.</p>"))


@solara.component
def TwinNetworkView(model):
    """The twin's network (same people, same seed, the other regime)."""
    twin = getattr(model, "twin", None)
    if twin is None:
        solara.Info("Choose a regime under 'Side by side: compare with' and press Reset.")
        return
    NetworkView(twin)


@solara.component
def CompareTable(model):
    """The live numbers of both regimes in one table."""
    with solara.Column(gap="0px", style=CELL_STYLE):
        solara.HTML(unsafe_innerHTML=(
            "Same settings, same seed: the same network, the same people and the same tasks "
            "arriving at the same steps. Only who decides who leads differs."))
        live_html(lambda: numbers_table(_models(model)), model)


def info_view(index: int):
    """A component showing section ``index`` of the Info text (one grid cell each)."""

    @solara.component
    def InfoView(model):
        solara.HTML(unsafe_innerHTML=info_sections()[index], style=CELL_STYLE)

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
