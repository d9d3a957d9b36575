"""The classroom app's page (``solara run`` serves this file; ``leadsim-app`` starts it).

Two modes (docs/app.md):

* **one run per student** (default): each browser session gets its own
  :class:`~.session.Run`, closed with the session (tab closed or reloaded), which
  stops its play loop and releases its models;
* **class mode** (``leadsim-app --class``): one shared run that the teacher drives
  (the address with ``?teacher=KEY``, printed by ``leadsim-app``) and every student
  watches read-only; its pictures are drawn once per step for the whole class.

The page is built from Solara components, not Mesa's SolaraViz: its tabs have names,
the side-by-side view comes first, the sliders show their values, the play loop ends
with the session, and only the open tab draws.
"""

from __future__ import annotations

import os
import threading
import warnings

# Solara warns, on every first page load over plain http, that it falls back to
# samesite=lax cookies: right for a classroom network, noise in the teacher's terminal.
warnings.filterwarnings("ignore", message="Cookies with samesite=none", category=UserWarning)

import solara  # noqa: E402
import solara.lab  # noqa: E402

from .classroom import GENERATED, SLIDERS, ClassroomModel, user_params  # noqa: E402
from .components import TABS, InfoView, LazyPanel, SliderHelp, WhoIsWho, live_html, step_text  # noqa: E402
from .session import Run  # noqa: E402

TITLE = "leadsim: who leads? Delegation versus distributed leadership"
PARAMS = user_params()
MODE_ENV, KEY_ENV = "LEADSIM_APP_MODE", "LEADSIM_APP_KEY"
#: Class mode: pictures at most twice a second (30 copies go over the classroom's network).
CLASS_FRAME = 0.5


def initial_model(**values) -> ClassroomModel:
    """The model the page opens with: the sliders' starting values."""
    return ClassroomModel(**{**{k: v["value"] for k, v in PARAMS.items()}, **values})


def class_mode() -> bool:
    return os.environ.get(MODE_ENV, "") == "class"


_shared: Run | None = None
_shared_lock = threading.Lock()


def shared_run() -> Run:
    """The one run of class mode, built when the first page opens."""
    global _shared
    with _shared_lock:
        if _shared is None or _shared.closed:
            _shared = Run(initial_model(), shared=True, min_heavy=CLASS_FRAME)
        return _shared


def is_teacher(search: str | None) -> bool:
    """Whether the address carries the teacher's key (``?teacher=KEY``)."""
    key = os.environ.get(KEY_ENV, "")
    pairs = dict(p.split("=", 1) for p in (search or "").split("&") if "=" in p)
    return bool(key) and pairs.get("teacher") == key


@solara.component
def Page(run: Run | None = None, search: str | None = None):
    """The whole app. Tests pass a ``run`` (or the address's ``search``); the server
    builds one run per session, or shares one in class mode."""
    search = solara.use_router().search if search is None else search
    shared = run is None and class_mode()
    own = solara.use_memo(lambda: None if run is not None or shared else Run(initial_model()), [])
    the_run = run if run is not None else (shared_run() if shared else own)

    def end_with_session():
        if own is None:
            return None
        from .session import _current_context

        ctx = _current_context()
        if ctx is not None:
            ctx.on_close(own.close)  # belt and braces: the kernel's own shutdown
        return own.close  # unmount: Solara closing the session's app

    solara.use_effect(end_with_session, [])
    controls = not shared or is_teacher(search)
    RunView(the_run, controls, shared)


@solara.component
def RunView(run: Run, controls: bool, shared: bool):
    state, set_state = solara.use_state((run.generation, run.playing))
    solara.use_effect(lambda: run.watch(lambda: set_state((run.generation, run.playing))), [run])
    tab, set_tab = solara.use_state(0)
    model = run.model
    if model is None:
        solara.Info("This session has ended; reload the page.")
        return

    with solara.AppBar():
        solara.AppBarTitle(TITLE)
    with solara.Sidebar():
        with solara.Card("Run"):
            StepCounter(run, model)
            if controls:
                Controls(run, playing=state[1], generation=state[0])
            else:
                solara.Markdown("**Class mode:** the teacher drives this run; you watch it live.")
        if controls:
            LazyPanel("Model parameters (applied by Reset)", lambda: Parameters(run), "leadsim-parameters")
        WhoIsWho(run, model)
        SliderHelp()
    with solara.lab.Tabs(value=tab, on_value=set_tab, lazy=True):
        for name, view in TABS:
            with solara.lab.Tab(name):
                if view is None:
                    InfoView()
                else:
                    view(run, model)


@solara.component
def StepCounter(run: Run, model):
    """'Step: N', kept current without re-rendering the page."""
    live_html(run, "step", model, step_text, style="font-size:1.1em;font-weight:600")


@solara.component
def Controls(run: Run, playing: bool = False, generation: int = 0):
    """Reset, play or pause, step, and the speed (``playing`` and ``generation`` re-render it)."""
    error = solara.use_reactive(None)
    interval = solara.use_reactive(int(run.interval * 1000))
    per_tick = solara.use_reactive(run.steps_per_tick)
    running = run.model is not None and run.model.running

    def reset():
        values = _values(run)
        try:
            model = ClassroomModel(**values)
        except (ValueError, TypeError) as exc:  # ConfigError is a ValueError
            error.set(str(exc))
            return
        error.set(None)
        run.reset(model)

    def on_interval(v):
        interval.set(v)
        run.interval = v / 1000

    def on_per_tick(v):
        per_tick.set(v)
        run.steps_per_tick = v

    with solara.Row(justify="space-between"):
        solara.Button(label="Reset", color="primary", on_click=reset)
        solara.Button(
            label="❚❚" if playing else "▶",
            color="primary",
            disabled=not running,
            on_click=lambda: run.pause() if run.playing else run.play(),
        )
        solara.Button(
            label="Step",
            color="primary",
            disabled=playing or not running,
            on_click=lambda: run.step(run.steps_per_tick),
        )
    solara.SliderInt(
        f"Pause between steps: {interval.value} ms",
        value=interval,
        on_value=on_interval,
        min=10,
        max=500,
        step=10,
        thumb_label=True,
    )
    solara.SliderInt(
        f"Steps per tick: {per_tick.value}",
        value=per_tick,
        on_value=on_per_tick,
        min=1,
        max=20,
        step=1,
        thumb_label=True,
    )
    if error.value:
        solara.Error(error.value)


def _values(run: Run) -> dict:
    """The sliders' starting values with what was chosen for this run (Reset applies them)."""
    return {**{k: v["value"] for k, v in PARAMS.items()}, **run.params}


@solara.component
def Parameters(run: Run):
    """The regime, the comparison, the seed and the sliders; each shows its value.

    Built only when its panel is opened (:func:`~.components.LazyPanel`): its ~25
    sliders and selects are two thirds of the page's widgets, and most students open
    the page to watch first.
    """
    values = solara.use_reactive(_values(run))

    def setter(name):
        def on(v):
            values.set({**values.value, name: v})
            run.params[name] = v

        return on

    off = _overridden(values.value)
    with solara.Column(gap="0px"):
        for name, p in PARAMS.items():
            v = values.value[name]
            if p["type"] == "Select":
                solara.Select(
                    label=p["label"], value=v, values=p["values"], on_value=setter(name), disabled=name in off
                )
            else:
                shown = f"{v:.2f}" if isinstance(v, float) else str(v)
                widget = solara.SliderInt if p["type"] == "SliderInt" else solara.SliderFloat
                widget(
                    f"{p['label']}: {shown}",
                    value=v,
                    min=p["min"],
                    max=p["max"],
                    step=p["step"],
                    on_value=setter(name),
                    thumb_label=True,
                    disabled=name in off,
                )


def _overridden(values: dict) -> set[str]:
    """Sliders that the current choices override (greyed out): model 1's mechanisms
    set the Model 2 levers; a loaded organisation brings its own size and network."""
    off = set()
    if values.get("mechanisms", "model2") != "model2":
        off |= set(SLIDERS["mechanisms"])
    if values.get("organisation", GENERATED) != GENERATED:
        off |= {"size", "network"}
    return off
