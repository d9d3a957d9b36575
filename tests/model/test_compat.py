"""simulation.compat on whichever Mesa this environment has (3.3.1 on Python 3.11,
the newest Mesa 3.x on 3.12+: `make test` runs this file on both)."""

from __future__ import annotations

import gc
import inspect
import json
import os
import random
import subprocess
import sys
import warnings
import weakref

import mesa
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulation import compat

SEEDS = st.integers(min_value=0, max_value=2**63 - 1)


def test_pyproject_markers_pick_the_intended_mesa():
    """Mesa 3.3.1 is the last Mesa for Python 3.11; 3.12+ must get a newer one."""
    assert compat.MESA_VERSION[0] == 3
    if sys.version_info < (3, 12):
        assert compat.MESA_VERSION[:2] == (3, 3)
    else:
        assert compat.MESA_VERSION >= (3, 4)
    assert (compat.MESA_VERSION < (3, 4)) == compat.CLASS_LEVEL_AGENT_IDS


def test_version_tuple_matches_mesa():
    assert tuple(int(x) for x in mesa.__version__.split(".")[:3]) == compat.MESA_VERSION
    assert compat.describe().startswith("Python ") and f"Mesa {mesa.__version__}" in compat.describe()


def test_model_kwargs_seed_without_any_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        m = mesa.Model(**compat.model_kwargs(7))
    assert compat.model_kwargs(7) == {"rng": 7}  # every Mesa 3.x takes rng=
    assert isinstance(m.rng, np.random.Generator)


@settings(max_examples=25, deadline=None)
@given(SEEDS)
def test_rng_and_seed_draw_the_same_streams(seed):
    """Switching ``seed=`` to ``rng=`` must not change any result: both of Mesa's
    generators start where they did with ``seed=``."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # seed= is deprecated on Mesa 3.5
        old = mesa.Model(seed=seed)
    new = mesa.Model(**compat.model_kwargs(seed))
    assert new.random.random() == old.random.random() == random.Random(seed).random()
    assert new.rng.random() == old.rng.random() == np.random.default_rng(seed).random()
    assert new.rng.integers(2**31, size=5).tolist() == old.rng.integers(2**31, size=5).tolist()


class _Dot(mesa.Agent):
    pass


def _model_with_agents(n=5):
    m = mesa.Model(**compat.model_kwargs(1))
    agents = [_Dot(m) for _ in range(n)]
    return m, agents


def test_release_lets_a_finished_model_go():
    m, agents = _model_with_agents()
    assert sorted(a.unique_id for a in agents) == [1, 2, 3, 4, 5]
    ref = weakref.ref(m)
    compat.release(m)
    m.remove_all_agents()
    del m, agents
    gc.collect()
    assert ref() is None


@pytest.mark.skipif(not compat.CLASS_LEVEL_AGENT_IDS, reason="Mesa 3.4+ counts agent ids on the model")
def test_without_release_mesa_33_keeps_the_model():
    """Why release exists: Mesa 3.3's class-level id counter holds every model."""
    m, agents = _model_with_agents()
    ref = weakref.ref(m)
    m.remove_all_agents()
    del m, agents
    gc.collect()
    assert ref() is not None
    compat.release(ref())
    gc.collect()
    assert ref() is None


def test_release_is_harmless_twice_and_ids_stay_per_model():
    m1, _ = _model_with_agents(3)
    compat.release(m1)
    compat.release(m1)
    _, a2 = _model_with_agents(2)
    assert [a.unique_id for a in a2] == [1, 2]


def test_a_simulated_run_is_freed_once_its_result_is_dropped():
    from simulation.config import SimConfig
    from simulation.runner import simulate

    r = simulate(SimConfig(steps=30, warmup=5))
    ref = weakref.ref(r.model)
    del r
    gc.collect()
    assert ref() is None


def _model_core_uses_compat() -> bool:
    from simulation import model

    return "model_kwargs" in inspect.getsource(model)


@pytest.mark.xfail(
    compat.MESA_VERSION >= (3, 5) and not _model_core_uses_compat(),
    strict=True,
    reason="the model core still calls Model(seed=): switch to compat.model_kwargs",
)
def test_a_run_emits_no_warning_from_leadsims_own_calls():
    import simulation

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        simulation.run(["coordination=hybrid"], organization__size=20, steps=30, warmup=5, seed=3)
    ours = [
        w for w in caught if "mesa" in w.filename or "simulation" in w.filename or issubclass(w.category, FutureWarning)
    ]
    assert not ours, [f"{w.category.__name__}: {w.message} ({w.filename}:{w.lineno})" for w in ours]


_CROSS = """
import json, sys, simulation
from simulation import compat
out = {}
for regime in ("delegation", "distributed", "hybrid"):
    r = simulation.run([f"coordination={regime}", "organization=team"], steps=80, warmup=10, seed=11)
    out[regime] = r.metrics
print(json.dumps({"versions": compat.describe(), "metrics": json.dumps(out, sort_keys=True)}))
"""


def _metrics_in(python: str) -> dict:
    r = subprocess.run(
        [python, "-c", _CROSS],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )
    assert r.returncode == 0, r.stderr[-2000:]
    return json.loads(r.stdout.strip().splitlines()[-1])


@pytest.mark.skipif(
    not os.environ.get("LEADSIM_OTHER_PYTHON"),
    reason="set LEADSIM_OTHER_PYTHON to a second environment's python (make test does)",
)
def test_same_seed_same_metrics_across_environments():
    """Same config and seed give the same metrics under both Python/Mesa/NumPy stacks
    (`make test` points this at the other virtual environment). Compared as JSON text:
    bit for bit, NaN included."""
    here, there = _metrics_in(sys.executable), _metrics_in(os.environ["LEADSIM_OTHER_PYTHON"])
    assert here["versions"] != there["versions"] or sys.executable == os.environ["LEADSIM_OTHER_PYTHON"]
    assert here["metrics"] == there["metrics"], (here["versions"], there["versions"])
