"""The classroom app: a Mesa SolaraViz page (``solara run`` serves this file).

``leadsim-app`` starts it (see :mod:`simulation.app.server` and docs/app.md). Each
browser session gets its own model, so two tabs never step the same organisation.
"""

from __future__ import annotations

import solara
from mesa.visualization import SolaraViz

from simulation.app.classroom import ClassroomModel, user_params
from simulation.app.components import COMPONENTS, SliderHelp

TITLE = "leadsim: who leads? Delegation versus distributed leadership"
PARAMS = user_params()


def initial_model() -> ClassroomModel:
    """The model the page opens with: the sliders' starting values."""
    return ClassroomModel(**{k: v["value"] for k, v in PARAMS.items()})


@solara.component
def Page(model: ClassroomModel | solara.Reactive | None = None):
    """The whole app. Pass a ``solara.reactive(model)`` to watch what Reset builds."""
    own = solara.use_memo(lambda: initial_model() if model is None else None, [])
    SolaraViz(model if model is not None else own, components=COMPONENTS, model_params=PARAMS,
              name=TITLE, play_interval=100)
    SidebarHelp()


@solara.component
def SidebarHelp():
    _SidebarHelp()


@solara.component
def _SidebarHelp():
    # The sidebar orders cards by depth in the tree: two levels below Page puts this
    # card after SolaraViz's own (controls, parameters, step count).
    with solara.Sidebar():
        SliderHelp()
