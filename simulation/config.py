"""Parameters of a run, grouped by level as in CONCEPTS.md (claim 11).

Plain dataclasses: the model core reads them without Hydra; Hydra uses the same
classes as its structured-config schema. Every numeric field carries its allowed
range in ``metadata["range"]`` so that one validator serves the command line,
the Python API and the app.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .regimes import REGIMES as _REGISTRY

REGIMES = tuple(_REGISTRY)  # the names; the classes are registered in regimes.py
NETWORKS = ("complete", "small_world", "team_clustered", "from_files")


class ConfigError(ValueError):
    """A parameter outside its allowed range or an unknown key."""

    def __init__(self, key: str, message: str):
        super().__init__(f"{key}: {message}")
        self.key = key


def _f(default, lo=None, hi=None, doc="", *, lo_open=False, choices=None):
    """A field with its allowed range (inclusive unless ``lo_open``) and a doc line."""
    meta = {"range": (lo, hi), "lo_open": lo_open, "doc": doc}
    if choices is not None:
        meta["choices"] = choices
    if isinstance(default, list):
        return field(default_factory=lambda: list(default), metadata=meta)
    return field(default=default, metadata=meta)


@dataclass
class CultureConfig:
    """Macro level: norms shared by the whole organisation."""

    trust: float = _f(0.6, 0.0, 1.0, "baseline trust between colleagues and in the leader")
    trust_spread: float = _f(0.1, 0.0, 0.5, "standard deviation of initial trust around the baseline")
    initiative: float = _f(0.5, 0.0, 1.0, "mean propensity to take the lead unasked")
    initiative_spread: float = _f(0.15, 0.0, 0.5, "standard deviation of initiative between people")
    error_tolerance: float = _f(0.5, 0.0, 1.0, "how far a failure is forgiven (trust) and learned from")
    feedback: float = _f(0.1, 0.0, 1.0, "share of the gap to full trust a success closes; 0 switches feedback off")
    trust_loss_ratio: float = _f(2.0, 1.0, 10.0, "a failure costs this many times the trust a success earns")
    trust_update: str = _f(
        "evidence",
        doc="how outcomes move trust: ageing evidence (beta reputation) or model 1's fixed-share steps (legacy)",
        choices=("evidence", "legacy"),
    )
    forgetting: float = _f(
        0.02,
        0.0,
        1.0,
        "share of trust evidence forgotten per step: without news, trust "
        "drifts back to its first impression; 0: never forgotten",
    )
    prior_weight: float = _f(
        2.0, 0.0, 1000.0, "weight of a first impression, in observed outcomes (beta reputation's prior)", lo_open=True
    )
    trust_width: float = _f(
        0.2,
        0.0,
        1.0,
        "range of trust over which granting, following and pushing back go "
        "from unlikely to likely (logistic); 0: hard thresholds (model 1)",
    )
    safety_effect: float = _f(
        0.5,
        0.0,
        1.0,
        "how much trust in one's colleagues raises the willingness to claim (psychological safety); 0: off (model 1)",
    )


@dataclass
class OrganizationConfig:
    """Meso level: structure, the formal leader and the frames."""

    size: int = _f(60, 2, 10_000_000, "number of workers (the formal leader comes on top)")
    network: str = _f("small_world", doc="communication network", choices=NETWORKS)
    degree: int = _f(8, 2, 1000, "mean number of colleagues per person (small_world, team_clustered)")
    rewiring: float = _f(0.1, 0.0, 1.0, "small-world rewiring probability / share of ties across teams")
    team_size: int = _f(12, 2, 1000, "team size for the team_clustered network")
    path: str = _f("", doc="folder with the organisation's files (network=from_files; docs/organisations.md)")
    leader_capacity: int = _f(3, 0, 1_000_000, "decisions the formal leader makes per step")
    clarity: float = _f(
        0.5,
        0.0,
        1.0,
        "share of tasks for which the frame names who is responsible "
        "(clarity_acts=before), or the probability that a rule settles a contest (after)",
    )
    clarity_acts: str = _f(
        "before",
        doc="before: the frame names a responsible person before anyone claims, "
        "contests left are settled by deference; after: clarity only settles contests "
        "(model 1)",
        choices=("before", "after"),
    )
    transparency: float = _f(0.5, 0.0, 1.0, "probability that a would-be claimant sees existing claims")


@dataclass
class PeopleConfig:
    """Micro level: individual competence, capacity and learning."""

    domains: int = _f(4, 1, 100, "number of skill domains")
    competence: float = _f(0.6, 0.0, 1.0, "mean competence per domain")
    competence_spread: float = _f(0.15, 0.0, 0.5, "standard deviation of competence")
    capacity: int = _f(2, 1, 100, "tasks a person can work on at once")
    learning_rate: float = _f(0.02, 0.0, 1.0, "share of the gap to full competence closed per task done")
    engagement: float = _f(0.6, 0.0, 1.0, "initial and baseline engagement")
    autonomy_effect: float = _f(0.3, 0.0, 1.0, "how much self-chosen work raises engagement")
    overload_effect: float = _f(0.3, 0.0, 1.0, "how much working at full capacity lowers engagement")
    engagement_rate: float = _f(0.05, 0.0, 1.0, "speed at which engagement moves toward its target")


@dataclass
class WorkloadConfig:
    """The stream of tasks."""

    arrival_rate: float = _f(2.0, 0.0, 1e7, "mean tasks arriving per step (Poisson)")
    difficulty: float = _f(0.5, 0.0, 1.0, "mean task difficulty on the competence scale")
    difficulty_spread: float = _f(0.15, 0.0, 0.5, "standard deviation of difficulty")
    effort: float = _f(4.0, 0.0, 1e6, "mean work units per task (exponential)", lo_open=True)
    team_size_weights: list[float] = _f([0.5, 0.3, 0.2], doc="relative frequency of team sizes 1, 2, 3, ...")
    cross_functional: float = _f(0.2, 0.0, 1.0, "share of tasks that need two domains")
    coordination_cost: float = _f(0.15, 0.0, 10.0, "work lost per extra team member (teaming overhead)")
    success_slope: float = _f(8.0, 0.0, 100.0, "how sharply success depends on competence minus difficulty")
    rework: float = _f(
        0.5, 0.0, 1.0, "probability that a failed task comes back for another attempt; 0: failures leave (model 1)"
    )


@dataclass
class CoordinationConfig:
    """The coordination regime and its parameters (each regime reads the ones it needs)."""

    name: str = _f("distributed", doc="coordination regime", choices=REGIMES)
    claim_rate: float = _f(0.6, 0.0, 1.0, "scale of the per-step probability to claim a visible task")
    grant_threshold: float = _f(0.35, 0.0, 1.0, "mean trust colleagues must have in a claimant to grant a claim")
    follow_threshold: float = _f(0.3, 0.0, 1.0, "trust a colleague needs in a lead to join as follower")
    patience: int = _f(3, 1, 1_000_000, "steps a task may wait unclaimed before it counts as unowned")
    conflict_cost: int = _f(2, 0, 1000, "steps a conflict keeps the claimants from taking new work")
    conflict_trust_loss: float = _f(0.1, 0.0, 1.0, "trust lost between conflicting claimants (times feedback)")
    pushback_threshold: float = _f(
        0.4, 0.0, 1.0, "below this trust in the leader, a poorly fitting assignment is refused"
    )
    perception_noise: float = _f(0.15, 0.0, 1.0, "error of the leader's initial view of each person's competence")
    perception_rate: float = _f(0.2, 0.0, 1.0, "how fast the leader's view learns from outcomes")
    diffusion: float = _f(
        0.5,
        0.0,
        2.0,
        "diffusion of responsibility: the propensity to claim falls as "
        "k^-diffusion when k people see a task; 0: off (model 1)",
    )
    exploration: float = _f(
        0.1, 0.0, 1.0, "the leader's bonus for people it has seen little of (it tries them); 0: off (model 1)"
    )
    load_awareness: float = _f(
        0.8,
        0.0,
        1.0,
        "probability that the leader checks a person's load before "
        "assigning; below 1 work can pile up in a backlog; 1: always (model 1)",
    )


@dataclass
class SimConfig:
    """A whole run: the four levels, the regime, and the run's length and seed."""

    culture: CultureConfig = field(default_factory=CultureConfig)
    organization: OrganizationConfig = field(default_factory=OrganizationConfig)
    people: PeopleConfig = field(default_factory=PeopleConfig)
    workload: WorkloadConfig = field(default_factory=WorkloadConfig)
    coordination: CoordinationConfig = field(default_factory=CoordinationConfig)
    seed: int = _f(0, 0, 2**63 - 1, "random seed; same seed and config give identical results")
    steps: int = _f(600, 1, 10**9, "number of steps to simulate")
    warmup: int | None = _f(
        None, 0, 10**9, "steps excluded from rates and means (docs/validation.md section 4); empty: a third of steps"
    )
    record_every: int = _f(1, 1, 10**9, "record the time series every k steps")
    event_log: str = _f(
        "auto",
        doc="keep every task event (needed for roles.csv and the event table): on, "
        "off (memory flat in run length), or auto: on up to 500,000 expected tasks",
        choices=("auto", "on", "off"),
    )

    def keeps_events(self) -> bool:
        """Whether the run keeps its event log (``event_log``; auto: up to 500,000 tasks)."""
        if self.event_log == "auto":
            return self.steps * self.workload.arrival_rate <= 500_000
        return self.event_log == "on"

    def validate(self) -> SimConfig:
        """Check every value against its range; raise :class:`ConfigError` on the first bad one."""
        if self.warmup is None:  # the default: a third of the run (200 of the 600 steps)
            self.warmup = self.steps // 3
        _validate(self, "")
        if self.warmup >= self.steps:
            raise ConfigError(
                "warmup",
                f"must be smaller than steps ({self.steps}), got {self.warmup}; "
                f"set warmup=N with N < {self.steps}, or leave it empty for a third of the run",
            )
        w = self.workload.team_size_weights
        if not w or any((not _is_number(x)) or x < 0 or not math.isfinite(x) for x in w) or sum(w) <= 0:
            raise ConfigError(
                "workload.team_size_weights", f"must be a non-empty list of numbers >= 0 with a positive sum, got {w}"
            )
        org = self.organization
        if org.network == "from_files":
            if not org.path:
                raise ConfigError(
                    "organization.path", "must name a folder of organisation files when organization.network=from_files"
                )
            from .organisations import load_organisation

            data = load_organisation(org.path)  # bad files fail here, before anything runs
            org.size = data.n
            if data.leader_capacity is not None:  # organization.yaml names it: the data win
                org.leader_capacity = data.leader_capacity
            if data.competence.shape[1] > self.people.domains:
                raise ConfigError(
                    "people.domains",
                    f"must be at least the {data.competence.shape[1]} "
                    f"competence domains in {org.path}, got {self.people.domains}",
                )
        elif org.network != "complete" and org.degree >= org.size:
            raise ConfigError(
                "organization.degree",
                f"must be smaller than organization.size ({self.organization.size}), got {self.organization.degree}",
            )
        return self


def _is_number(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def _validate(obj: Any, prefix: str) -> None:
    for f in dataclasses.fields(obj):
        key = f"{prefix}{f.name}"
        value = getattr(obj, f.name)
        if dataclasses.is_dataclass(value):
            _validate(value, key + ".")
            continue
        meta = f.metadata
        if "choices" in meta:
            if value not in meta["choices"]:
                raise ConfigError(key, f"must be one of {', '.join(meta['choices'])}, got {value!r}")
            continue
        lo, hi = meta.get("range", (None, None))
        if lo is None and hi is None:
            continue
        want_int = f.type in ("int", int)
        if not _is_number(value) or (want_int and not float(value).is_integer()) or not math.isfinite(value):
            kind = "an integer" if want_int else "a number"
            raise ConfigError(key, f"must be {kind} in {_range_text(meta)}, got {value!r}")
        too_low = value <= lo if meta.get("lo_open") else value < lo
        if too_low or value > hi:
            raise ConfigError(key, f"must be in {_range_text(meta)}, got {value!r}")


def _range_text(meta: Mapping[str, Any]) -> str:
    lo, hi = meta["range"]
    left = "(" if meta.get("lo_open") else "["
    return f"{left}{lo}, {hi}]"


def field_docs(cls=SimConfig, prefix: str = "") -> dict[str, dict]:
    """Flat ``{"culture.trust": {"default", "range", "doc"}}`` for docs, sliders and errors."""
    out = {}
    for f in dataclasses.fields(cls):
        key = f"{prefix}{f.name}"
        if f.default_factory is not dataclasses.MISSING and dataclasses.is_dataclass(f.default_factory):
            out.update(field_docs(f.default_factory, key + "."))
            continue
        factory = f.default_factory
        default = f.default if f.default is not dataclasses.MISSING else (factory() if callable(factory) else None)
        out[key] = {
            "default": default,
            "range": f.metadata.get("range"),
            "choices": f.metadata.get("choices"),
            "doc": f.metadata.get("doc", ""),
        }
    return out


def from_dict(data: dict) -> SimConfig:
    """Build a :class:`SimConfig` from nested dicts, rejecting unknown keys by name."""
    return _build(SimConfig, data or {}, "")


def _build(cls, data: dict, prefix: str):
    if not isinstance(data, dict):
        raise ConfigError(prefix.rstrip(".") or "config", f"must be a mapping, got {data!r}")
    names = {f.name: f for f in dataclasses.fields(cls)}
    kwargs = {}
    for key, value in data.items():
        if key not in names:
            raise ConfigError(f"{prefix}{key}", f"unknown key; allowed: {', '.join(names)}")
        f = names[key]
        sub = f.default_factory if f.default_factory is not dataclasses.MISSING else None
        if sub is not None and dataclasses.is_dataclass(sub):
            kwargs[key] = _build(sub, value, f"{prefix}{key}.")
        else:
            kwargs[key] = list(value) if isinstance(value, (list, tuple)) else value
    return cls(**kwargs)


def to_dict(cfg: SimConfig) -> dict:
    return dataclasses.asdict(cfg)
