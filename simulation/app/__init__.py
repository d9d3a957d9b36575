"""The classroom app: a Solara page of the leadership model.

Start it with ``leadsim-app`` (see ``docs/app.md``). Importing this package does not
import Solara; :mod:`simulation.app.app` does.
"""

from .classroom import ClassroomModel, build_config

__all__ = ["ClassroomModel", "build_config"]
