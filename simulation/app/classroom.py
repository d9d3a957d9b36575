"""The model the classroom app drives, and its sliders.

The page rebuilds its model on Reset as ``ClassroomModel(**slider_values)``, so the
app needs a constructor with flat keyword arguments. :class:`ClassroomModel` turns them
into a :class:`~simulation.config.SimConfig` and, for the side-by-side view, runs a
*twin*: the same settings and seed under a second regime, stepped in lock-step.
"""

from __future__ import annotations

import dataclasses
import functools
import os
from pathlib import Path

import numpy as np
import yaml

from ..config import REGIMES, SimConfig, field_docs, from_dict
from ..model import LeadershipModel
from ..recorder import COLUMNS

#: slider name -> (config key, step). Grouped by level as in CONCEPTS.md claim 11;
#: ranges and explanations come from :func:`simulation.config.field_docs`.
SLIDERS = {
    "culture": {
        "trust": ("culture.trust", 0.05),
        "initiative": ("culture.initiative", 0.05),
        "error_tolerance": ("culture.error_tolerance", 0.05),
        "feedback": ("culture.feedback", 0.05),
    },
    "organisation": {
        "size": ("organization.size", 10),
        "network": ("organization.network", None),
        "leader_capacity": ("organization.leader_capacity", 1),
        "clarity": ("organization.clarity", 0.05),
        "transparency": ("organization.transparency", 0.05),
    },
    "people": {
        "competence": ("people.competence", 0.05),
        "capacity": ("people.capacity", 1),
        "learning_rate": ("people.learning_rate", 0.01),
    },
    "workload": {
        "arrival_rate": ("workload.arrival_rate", 0.5),
        "difficulty": ("workload.difficulty", 0.05),
    },
    # Model 2's levers (the "mechanisms" switch turns them all to model 1's values).
    "mechanisms": {
        "trust_width": ("culture.trust_width", 0.05),
        "diffusion": ("coordination.diffusion", 0.1),
        "load_awareness": ("coordination.load_awareness", 0.05),
        "rework": ("workload.rework", 0.05),
    },
}

#: The mechanism sets a class can switch between (``configs/mechanisms/<name>.yaml``).
MECHANISMS = ("model2", "model1")

#: Classroom ranges where the config allows far more than a live view can show.
APP_RANGES = {
    "organization.size": (10, 200),
    "organization.leader_capacity": (0, 10),
    "people.capacity": (1, 5),
    "people.learning_rate": (0.0, 0.2),
    "workload.arrival_rate": (0.0, 10.0),
}

#: Choices the app cannot offer: a network read from files needs a folder (command line).
APP_EXCLUDED = {"from_files"}


def _choices(d: dict) -> list:
    return [c for c in d["choices"] if c not in APP_EXCLUDED]


#: Slider name -> config key, flat.
KEYS = {name: key for group in SLIDERS.values() for name, (key, _) in group.items()}

#: App defaults that differ from the core's (a run long enough for a lesson).
STEPS = 2000
DEFAULT_SIZE = 60
SIZE_ENV = "LEADSIM_APP_SIZE"
COMPARE_CHOICES = (*REGIMES, "none")


def start_size() -> int:
    """The size the page opens with: ``leadsim-app --size`` passes it in the environment."""
    return int(os.environ.get(SIZE_ENV, DEFAULT_SIZE))


def _default(key: str):
    if key == "organization.size":
        return start_size()
    return field_docs()[key]["default"]


@functools.cache
def mechanism_overrides(name: str) -> dict:
    """The settings of ``mechanisms=<name>`` read from its config file, so that the app's
    switch stays what the command line means by it (model 2's file sets nothing)."""
    from ..hydra_config import config_dir

    if name not in MECHANISMS:
        raise ValueError(f"mechanisms: must be one of {', '.join(MECHANISMS)}, got {name!r}")
    return yaml.safe_load((config_dir() / "mechanisms" / f"{name}.yaml").read_text()) or {}


# ---------------------------------------------------------------------------- organisations
#: Set by ``leadsim-app --organisation DIR`` (an absolute folder) for the server processes.
ORGANISATION_ENV = "LEADSIM_APP_ORGANISATION"
GENERATED = "generated"
#: The shipped examples (in a checkout; an installed wheel has none).
EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "organisations"


def organisations() -> dict[str, str]:
    """Choices of the organisation select: name -> folder ('' for a generated network).

    The folder given with ``--organisation`` comes first after "generated", then the
    shipped examples (every folder under ``examples/organisations`` with a people.csv).
    """
    out = {GENERATED: ""}
    given = os.environ.get(ORGANISATION_ENV, "")
    if given:
        out[Path(given).name or given] = given
    if EXAMPLES.is_dir():
        for folder in sorted(EXAMPLES.iterdir()):
            if (folder / "people.csv").is_file():
                out.setdefault(folder.name, str(folder))
    return out


def start_organisation() -> str:
    """What the page opens with: the ``--organisation`` folder if given, else generated."""
    given = os.environ.get(ORGANISATION_ENV, "")
    return (Path(given).name or given) if given else GENERATED


def check_organisation(path: str) -> None:
    """Raise :class:`ConfigError` (one line) unless the app can run on folder ``path``."""
    build_config("distributed", 1, organisation_path=str(path))


def build_config(
    regime: str,
    seed: int,
    steps: int = STEPS,
    mechanisms: str = "model2",
    organisation: str = GENERATED,
    organisation_path: str | None = None,
    **values,
) -> SimConfig:
    """A validated :class:`SimConfig` from the flat slider values (others at defaults).

    ``mechanisms=model1`` overrides the Model 2 sliders with model 1's settings; an
    ``organisation`` (a name from :func:`organisations`, or a folder as
    ``organisation_path``) replaces the generated network and size by the files'.
    """
    nested: dict = {
        "coordination": {"name": regime},
        "seed": int(seed),
        "steps": int(steps),
        "event_log": "on",
    }  # informal roles are read from the event log
    nested.setdefault("organization", {})["size"] = DEFAULT_SIZE
    for name, value in values.items():
        if name not in KEYS:
            raise TypeError(f"unknown parameter {name!r}; allowed: {', '.join(KEYS)}")
        group, field = KEYS[name].split(".")
        nested.setdefault(group, {})[field] = value
    # Integer sliders may deliver floats from the browser.
    for key in ("organization.size", "organization.leader_capacity", "people.capacity"):
        group, field = key.split(".")
        if field in nested.get(group, {}):
            nested[group][field] = int(nested[group][field])
    for group, fields in mechanism_overrides(mechanisms).items():
        nested.setdefault(group, {}).update(fields)
    if organisation_path is None and organisation != GENERATED:
        known = organisations()
        if organisation not in known:
            raise ValueError(f"organisation: must be one of {', '.join(known)}, got {organisation!r}")
        organisation_path = known[organisation]
    if organisation_path:
        from ..organisations import load_organisation

        data = load_organisation(organisation_path)  # ConfigError on organization.path
        nested["organization"].update(network="from_files", path=str(organisation_path))
        ppl = nested.setdefault("people", {})
        ppl["domains"] = max(
            int(ppl.get("domains", field_docs()["people.domains"]["default"])), data.competence.shape[1]
        )
    cfg = from_dict(nested)
    org = cfg.organization
    if org.network not in ("complete", "from_files") and org.degree >= org.size:  # small teams: fewer ties
        org.degree = max(2, org.size // 2)
    return cfg.validate()


class ClassroomModel(LeadershipModel):
    """A :class:`LeadershipModel` built from slider values, with an optional twin.

    ``compare`` names a second regime (or ``"none"``): the twin has the same settings
    and seed, hence the same network, the same people and the same stream of arriving
    tasks (the core draws arrivals from a stream of their own); only the decisions
    about who leads, and what follows from them, differ.
    """

    def __init__(
        self,
        regime: str = "distributed",
        compare: str = "delegation",
        seed: int = 1,
        steps: int = STEPS,
        mechanisms: str = "model2",
        organisation: str = GENERATED,
        **kwargs,
    ):
        # ``**kwargs`` are the slider values, named as in ``SLIDERS``; anything else is refused by name.
        cfg = build_config(regime, seed, steps, mechanisms, organisation, **kwargs)
        self.mechanisms, self.organisation_name = mechanisms, organisation
        super().__init__(cfg)
        if compare not in COMPARE_CHOICES:
            raise ValueError(f"compare: must be one of {', '.join(COMPARE_CHOICES)}, got {compare!r}")
        self.twin: LeadershipModel | None = None
        if compare != "none":
            twin_cfg = dataclasses.replace(cfg, coordination=dataclasses.replace(cfg.coordination, name=compare))
            self.twin = LeadershipModel(twin_cfg)

    def step(self) -> None:
        super().step()
        if self.twin is not None and self.twin.running:
            self.twin.step()

    @property
    def regime_name(self) -> str:
        return self.cfg.coordination.name


# ---------------------------------------------------------------------------- views of state
ROLE_NAMES = ("idle", "leading", "following", "in conflict")


def role_codes(model: LeadershipModel) -> np.ndarray:
    """Each person's :class:`~simulation.agents.Role` as 0..3 (``ROLE_NAMES``), vectorised.

    Same precedence as ``Worker.role``: conflict, then leading, then following.
    """
    codes = np.zeros(model.cfg.organization.size, dtype=np.int8)
    codes[model.follow_load > 0] = 2
    codes[model.lead_load > 0] = 1
    codes[model.blocked_until > model.steps] = 3
    return codes


#: Rolling window of the throughput plot (steps).
WINDOW = 10


_COL = {name: i for i, name in enumerate(COLUMNS)}


def series(model: LeadershipModel) -> dict[str, np.ndarray]:
    """The live plots' data, read from the recorder's rows (cheap: no DataFrame)."""
    rows = model.recorder.rows
    cols = [_COL[c] for c in ("step", "completed", "role_ambiguity", "conflict_rate")]
    a = np.array([[r[c] for c in cols] for r in rows], dtype=float).reshape(-1, 4)
    done = a[:, 1]
    c = np.concatenate(([0.0], np.cumsum(done)))
    idx = np.arange(1, len(done) + 1)
    k = np.minimum(idx, WINDOW)
    rolling = (c[idx] - c[idx - k]) / np.maximum(k, 1)
    return {"step": a[:, 0], "throughput": rolling, "role_ambiguity": a[:, 2], "conflict_rate": a[:, 3]}


def live_numbers(model: LeadershipModel) -> dict[str, float]:
    """A few numbers for the status tables, from the recorder's last rows and the state."""
    rows = model.recorder.rows
    last = rows[-WINDOW:]
    done = sum(r[_COL["completed"]] for r in last) / max(len(last), 1)
    last_row = rows[-1] if rows else None
    return {
        "throughput": done,
        # Lived ambiguity (Model 2): a conflict or no owner past patience.
        "role ambiguity": float(last_row[_COL["role_ambiguity"]]) if rows else 0.0,
        "contested or unowned": float(last_row[_COL["contested_or_unowned"]]) if rows else 0.0,
        "conflicts per task": float(last_row[_COL["conflict_rate"]]) if rows else 0.0,
        "leader's queue": len(model.leader.queue),
        "waiting for an owner": len(model.pool) + len(model.leader.queue),
        "in personal backlogs": int(model.leader.n_backlog),
        "trust (mean)": float(model.trust.trust.mean()),
        "engagement (mean)": float(model.engagement.mean()),
    }


def settings(model: LeadershipModel) -> dict[str, dict[str, object]]:
    """The slider values this model was built with, by level (what Reset applied)."""
    out = {}
    for level, group in SLIDERS.items():
        out[level] = {}
        for name, (key, _) in group.items():
            section, field = key.split(".")
            out[level][name.replace("_", " ")] = getattr(getattr(model.cfg, section), field)
    return out


def leader_assigned_leads(model: LeadershipModel) -> np.ndarray:
    """People now leading a task the formal leader handed out (the picture's spokes)."""
    active = np.asarray(model.active, dtype=np.int64)
    tasks = model.tasks
    return tasks.lead[active[tasks.via_leader[active]]]


def user_params() -> dict:
    """The page's parameters: a regime selector, a comparison, a seed and the sliders."""
    docs = field_docs()
    params: dict = {
        "regime": {"type": "Select", "value": "distributed", "values": list(REGIMES), "label": "Regime"},
        "compare": {
            "type": "Select",
            "value": "delegation",
            "values": list(COMPARE_CHOICES),
            "label": "Side by side: compare with",
        },
        "seed": {"type": "SliderInt", "value": 1, "min": 0, "max": 99, "step": 1, "label": "Random seed"},
        "organisation": {
            "type": "Select",
            "value": start_organisation(),
            "values": list(organisations()),
            "label": "Organisation (from files, or generated)",
        },
        "mechanisms": {
            "type": "Select",
            "value": "model2",
            "values": list(MECHANISMS),
            "label": "Mechanisms: model2, or model1 (leadsim 0.1)",
        },
    }
    for level, group in SLIDERS.items():
        for name, (key, step) in group.items():
            d = docs[key]
            label = f"{level.capitalize()}: {name.replace('_', ' ')}"
            if d["choices"]:
                params[name] = {"type": "Select", "value": _default(key), "values": _choices(d), "label": label}
                continue
            lo, hi = APP_RANGES.get(key, d["range"])
            kind = "SliderInt" if isinstance(d["default"], int) else "SliderFloat"
            params[name] = {"type": kind, "value": _default(key), "min": lo, "max": hi, "step": step, "label": label}
    return params


def slider_help() -> list[tuple[str, list[tuple[str, str]]]]:
    """``[(level, [(label, explanation with range), ...]), ...]`` for the help card."""
    docs = field_docs()
    out = []
    for level, group in SLIDERS.items():
        rows = []
        for name, (key, _) in group.items():
            d = docs[key]
            if d["choices"]:
                span = " / ".join(_choices(d))
            else:
                lo, hi = APP_RANGES.get(key, d["range"])
                span = f"{lo}–{hi}"
            rows.append((name.replace("_", " "), f"{d['doc']} ({span}; default {_default(key)})"))
        out.append((level.capitalize(), rows))
    rows_of = dict(out)
    rows_of["Mechanisms"].insert(0, ("model2 / model1", MECHANISMS_HELP))
    rows_of["Organisation"].insert(0, ("organisation", ORGANISATION_HELP))
    return out


MECHANISMS_HELP = (
    "model2 uses the sliders below; model1 sets every Model 2 mechanism "
    "to leadsim 0.1's value (mechanisms=model1: hard trust thresholds, no diffusion, "
    "clarity only settles contests, a leader who always checks loads, no rework; default model2)"
)
ORGANISATION_HELP = (
    "generated builds the network from the sliders; a named organisation reads its "
    "people, teams and ties from files (leadsim-app --organisation DIR adds one), "
    "and then size and network come from the files (default generated)"
)
