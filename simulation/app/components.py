"""Solara components of the classroom app's views; each reads a :class:`~.session.Run`.

Frames bypass re-rendering: a live widget is a plain ipywidget that subscribes to its
run and gets its new PNG or HTML set directly (re-rendering a component costs ~15 ms
of reacton reconciliation per frame, docs/app.md). Components re-render only when
the run gets a new model (Reset), which also rebuilds the pictures. Every output
comes from :meth:`Run.frame`, so a shared run (class mode) draws each picture once
per step for the whole class. Only the open tab's views exist: hidden tabs draw
nothing.
"""

from __future__ import annotations

import html
from collections.abc import Callable

import ipywidgets
import numpy as np
import reacton.ipyvuetify as rv
import solara
import solara.widgets

from .classroom import ROLE_NAMES, live_numbers, role_codes, settings, slider_help
from .info import info_sections
from .informal import who_is_who_html
from .pictures import REGIME_COLOR, ROLE_STYLE, NetworkPicture, SeriesPicture
from .session import Run

IMAGE_SIZE = (6.0, 4.7)  # inches at 80 dpi: half a laptop screen each
CELL_STYLE = "max-height:370px;overflow-y:auto;padding-right:6px"


def live_widget(run: Run, make: Callable, refresh: Callable, key, heavy_only: bool):
    """Show the widget ``make()`` builds; ``refresh(widget)`` when the run says so.

    Light refreshes (counters, tables) come more often than heavy ones (pictures);
    ``heavy_only`` widgets skip the light ones.
    """
    widget = solara.use_memo(make, [key])

    def connect():
        def on(heavy: bool):
            if heavy or not heavy_only:
                refresh(widget)

        unsubscribe = run.subscribe(on)

        def cleanup():  # Reset, tab change or session end: stop drawing, free the widget
            unsubscribe()
            widget.close()

        return cleanup

    solara.use_effect(connect, [widget])
    return solara.Column(children=[widget], gap="0px")


def live_image(run: Run, key: str, model, make: Callable):
    """A PNG of picture ``make(model)`` for the run's current step."""

    def png():
        return run.frame(key, lambda pic, m: pic.png_of(m), make, model=model) or b""

    return live_widget(
        run,
        lambda: ipywidgets.Image(value=png(), format="png"),
        lambda w: setattr(w, "value", png()),
        (key, model),
        heavy_only=True,
    )


def live_html(run: Run, key: str, model, text: Callable, style: str = ""):
    """HTML that ``text(model)`` writes for the run's current step."""

    def out():
        return run.frame(key, lambda _, m: text(m), model=model) or ""

    return live_widget(
        run,
        lambda: solara.widgets.HTML(tag="div", unsafe_innerHTML=out(), attributes={"style": style}),
        lambda w: setattr(w, "unsafe_innerHTML", out()),
        (key, model),
        heavy_only=False,
    )


def _format(v) -> str:
    return f"{v:.2f}" if isinstance(v, float) else str(v)


def _models(model) -> list:
    twin = getattr(model, "twin", None)
    return [model] if twin is None else [model, twin]


def step_text(model) -> str:
    return f"Step: {model.steps}"


def role_line(model) -> str:
    """'Step 12 · idle 40 · leading 9 ...' with the picture's colours."""
    counts = np.bincount(role_codes(model), minlength=len(ROLE_NAMES))
    dots = [
        f'<span style="color:{ROLE_STYLE[name][0]};font-size:1.3em">&#9679;</span> {name} <b>{n}</b>'
        for name, n in zip(ROLE_NAMES, counts)
    ]
    return f"<b>Step {model.steps}</b> &nbsp; " + " &nbsp; ".join(dots)


def settings_text(model) -> str:
    parts = []
    for level, values in settings(model).items():
        inner = ", ".join(f"{k} {_format(v)}" for k, v in values.items())
        parts.append(f"<i>{level}</i>: {inner}")
    return "; ".join(parts)


def numbers_table(models) -> str:
    stats = [live_numbers(m) for m in models]
    head = "".join(
        f"<th style='color:{REGIME_COLOR[m.cfg.coordination.name]};padding-left:14px'>{m.cfg.coordination.name}</th>"
        for m in models
    )
    rows = "".join(
        f"<tr><td>{k}</td>"
        + "".join(f"<td style='text-align:right'><b>{_format(s[k])}</b></td>" for s in stats)
        + "</tr>"
        for k in stats[0]
    )
    return f"<table style='margin-top:6px'><tr><th></th>{head}</tr>{rows}</table>"


def _network(model):
    return NetworkPicture(model, size=IMAGE_SIZE)


@solara.component
def NetworkView(run: Run, model, key: str):
    """The organisation live: roles, trust on ties, the formal leader at the centre."""
    with solara.Column(gap="0px"):
        live_html(run, f"roles:{key}", model, role_line, style="font-size:0.9em")
        live_image(run, f"net:{key}", model, _network)


@solara.component
def SeriesView(run: Run, model, both: bool):
    """Live plots of throughput, role ambiguity and conflicts per task (one or both regimes)."""
    models = _models(model) if both else [model]
    live_image(run, "series:both" if both else "series:main", model, lambda m: SeriesPicture(models, size=IMAGE_SIZE))


@solara.component
def CompareView(run: Run, model):
    """The best view: the same organisation under two regimes, side by side."""
    twin = getattr(model, "twin", None)
    if twin is None:
        solara.Info("Choose a regime under 'Side by side: compare with' and press Reset.")
        SingleView(run, model)
        return
    with solara.Columns([1, 1]):
        NetworkView(run, model, "main")
        NetworkView(run, twin, "twin")
    with solara.Columns([1, 1]):
        SeriesView(run, model, True)
        with solara.Column(gap="0px", style=CELL_STYLE):
            solara.HTML(
                unsafe_innerHTML=(
                    "Same settings, same seed: the same network, the same people and the same tasks "
                    "arriving at the same steps. Only who decides who leads differs."
                )
            )
            live_html(run, "numbers:both", model, lambda m: numbers_table(_models(m)))


@solara.component
def SingleView(run: Run, model):
    """One regime: its network, its plots, its numbers and the settings of the run."""
    name = model.cfg.coordination.name
    with solara.Columns([1, 1]):
        NetworkView(run, model, "main")
        SeriesView(run, model, False)
    with solara.Column(gap="0px"):
        solara.HTML(
            unsafe_innerHTML=(
                f"<b style='color:{REGIME_COLOR[name]}'>{name}</b>, {model.cfg.organization.size} people, "
                f"seed {model.cfg.seed}"
            )
        )
        live_html(run, "numbers:main", model, lambda m: numbers_table([m]))
        solara.HTML(
            unsafe_innerHTML=(
                "<p style='margin-top:8px'>Throughput: tasks done per step over the last 10 steps. "
                "Role ambiguity (lived: a conflict, or no owner past patience), contested or unowned "
                "(model 1's measure) and conflicts: per task that has arrived so far.</p>"
                f"<p style='font-size:0.9em'><b>Settings of this run</b> (applied by Reset): "
                f"{settings_text(model)}</p>"
            )
        )


@solara.component
def WhoIsWho(run: Run, model):
    """Informal roles of the run so far: who leads without a title, brokers, holds
    knowledge, pushes, stays on the sidelines (recomputed every few steps)."""
    with solara.Card("Who is who (informal roles)"):
        live_html(run, "who", model, who_is_who_html)


@solara.component
def InfoView():
    """What it is, how it works, how to use it, things to notice, things to try."""
    with solara.Columns([1, 1]):
        for part in (info_sections()[:3], info_sections()[3:]):
            solara.HTML(unsafe_innerHTML="".join(part))


@solara.component
def LazyPanel(summary: str, content: Callable[[], object], css_class: str = ""):
    """A collapsed panel whose content ``content()`` is built only once it is opened.

    What a page builds before its first paint is what every student's browser (and
    the server) pays for at once when a class connects; a panel nobody has opened
    costs one header. Closing it drops the content again (its state lives in the run).
    """
    opened, set_opened = solara.use_state(False)
    panels = rv.ExpansionPanels(
        v_model=0 if opened else None, on_v_model=lambda v: set_opened(v == 0), class_=css_class
    )
    with panels, rv.ExpansionPanel():
        rv.ExpansionPanelHeader(children=[summary])
        with rv.ExpansionPanelContent():
            if opened:
                content()


def slider_help_html() -> str:
    """The help on every slider, one collapsible block per level, as one piece of HTML."""
    parts = []
    for level, rows in slider_help():
        items = "".join(f"<li><b>{html.escape(n)}</b>: {html.escape(d)}</li>" for n, d in rows)
        parts.append(
            f"<details><summary style='cursor:pointer'>{html.escape(level)}</summary>"
            f"<ul style='font-size:0.85em;padding-left:16px'>{items}</ul></details>"
        )
    return "".join(parts)


@solara.component
def SliderHelp():
    """What each slider means, with its range, grouped by level (claim 11); one HTML
    widget, built when the panel is opened."""
    LazyPanel("What the sliders mean", lambda: solara.HTML(unsafe_innerHTML=slider_help_html()), "leadsim-help")


#: The tabs, in order: the class sees the first one first.
TABS = (("Side by side", CompareView), ("One regime", SingleView), ("Things to try", None))
