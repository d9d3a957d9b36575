"""What leadsim's sweep path takes from Hydra: public APIs only, and this test fails
loudly if Hydra changes any of them (names, signatures, the sweep order, what a
composed config holds)."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir
from hydra.core.global_hydra import GlobalHydra
from omegaconf import OmegaConf

from simulation.hydra_config import config_dir
from simulation.sweep.compose import JobComposer, expand, parse

ROOT = Path(__file__).resolve().parents[2]
OURS = [*sorted((ROOT / "simulation" / "sweep").glob("*.py")), *sorted((ROOT / "hydra_plugins").rglob("*.py"))]


def test_no_private_hydra_or_omegaconf_api_in_the_sweep_path():
    private = re.compile(
        r"hydra\._internal|_get_node|hydra_joblib_launcher|hydra_submitit_launcher|"
        r"_apply_overrides_to_config|ConfigLoaderImpl|omegaconf\.nodes"
    )
    for path in OURS:
        hits = private.findall(path.read_text())
        assert not hits, f"{path.relative_to(ROOT)} uses {sorted(set(hits))}"


def test_the_hydra_interfaces_we_rely_on_are_unchanged():
    from hydra.core.config_loader import ConfigLoader
    from hydra.core.override_parser.types import Override
    from hydra.core.plugins import Plugins
    from hydra.core.singleton import Singleton
    from hydra.core.utils import JobReturn, JobStatus, setup_globals
    from hydra.plugins.launcher import Launcher
    from hydra.plugins.sweeper import Sweeper

    def params(f):
        return list(inspect.signature(f).parameters)

    assert params(Launcher.setup) == ["self", "hydra_context", "task_function", "config"]
    assert params(Launcher.launch) == ["self", "job_overrides", "initial_job_idx"]
    assert params(Sweeper.setup) == ["self", "hydra_context", "task_function", "config"]
    assert params(Sweeper.sweep) == ["self", "arguments"]
    assert params(Sweeper.validate_batch_is_legal) == ["self", "batch"]
    assert params(ConfigLoader.load_sweep_config) == ["self", "master_config", "sweep_overrides"]
    assert params(ConfigLoader.list_groups) == ["self", "parent_name"]
    assert params(Plugins.instantiate_launcher)[1:] == ["hydra_context", "task_function", "config"]
    for name in (
        "is_sweep_override",
        "is_discrete_sweep",
        "sweep_string_iterator",
        "get_key_element",
        "get_value_element_as_str",
        "is_hydra_override",
        "value",
    ):
        assert callable(getattr(Override, name)), name
    assert callable(Singleton.get_state) and callable(Singleton.set_state) and callable(setup_globals)
    r = JobReturn(overrides=["a=1"], status=JobStatus.COMPLETED)
    r.return_value = "ok"
    assert r.return_value == "ok"


@pytest.mark.parametrize(
    "lines",
    [
        ["coordination=delegation,distributed", "seed=range(3)", "culture.trust=0.2,0.8"],
        ["+experiment=h1_bottleneck", "seed=0,1"],
        ["organization=team,department", "workload.arrival_rate=1,2.5", "steps=10"],
    ],
)
def test_the_sweep_order_is_hydras_basic_sweeper_order(lines):
    from hydra._internal.core_plugins.basic_sweeper import BasicSweeper  # the reference, in the test only

    assert expand(parse(lines)) == BasicSweeper.split_arguments(parse(lines), None)[0]


@pytest.fixture(scope="module")
def loader_and_master():
    """Hydra's config loader and a multirun's master config, as a launcher receives them."""
    GlobalHydra.instance().clear()
    with initialize_config_dir(config_dir=str(config_dir()), version_base="1.3"):
        gh = GlobalHydra.instance()
        master = gh.config_loader().load_configuration(
            "config", overrides=["organization=team"], run_mode=__import__("hydra").types.RunMode.MULTIRUN
        )
        yield gh.config_loader(), master
    GlobalHydra.instance().clear()


JOBS = [
    ["coordination=delegation", "seed=3", "culture.trust=0.25"],
    ["coordination=distributed", "seed=4", "culture.trust=0.75", "organization.size=30"],
    ["coordination=hybrid", "organization=department", "seed=5", "workload.arrival_rate=2.5"],
    ["coordination=delegation", "seed=6", "culture=low_trust", "culture.trust=0.5"],
    ["+experiment=h1_bottleneck", "seed=1"],
    ["coordination=delegation", "seed=7", "steps=123", "warmup=11", "record_every=2"],
    ["coordination=delegation", "seed=8", "workload.team_size_weights=[1,2,1]"],
]


def test_composing_by_values_equals_hydras_full_composition(loader_and_master):
    loader, master = loader_and_master
    composer = JobComposer(loader, master, verify=False)
    for job in JOBS:
        fast, choices = composer.compose(job)
        full, full_choices = composer.full(job)
        assert OmegaConf.to_container(fast, resolve=True) == OmegaConf.to_container(full, resolve=True), job
        assert choices == full_choices, job
    # Several structures were met, each composed once; plain values were set on copies.
    assert 1 < len(composer._bases) < len(JOBS)


def test_plain_mappings_of_jobs_equal_hydras_full_composition(loader_and_master):
    """``compose_data`` (the structure's container with the job's values set in a copy)
    gives what converting Hydra's full composition gives, job after job, values an
    earlier job set included, and stays on its fast path (ints given for floats are
    converted as OmegaConf converts them)."""
    loader, master = loader_and_master
    composer = JobComposer(loader, master, verify=False)
    jobs = [
        *JOBS,
        ["coordination=delegation", "seed=9", "workload.arrival_rate=2"],
        ["coordination=delegation", "seed=10"],
    ]
    for job in jobs * 2:
        data, choices = composer.compose_data(job)
        full, full_choices = composer.full(job)
        want = OmegaConf.to_container(full, resolve=True)
        assert data == want and choices == full_choices, job
        assert [type(x) for x in _leaves(data)] == [type(x) for x in _leaves(want)], job
        data["seed"] = -1  # the caller owns its copy: the next job must not see this
    assert not composer._slow_data


def _leaves(node):
    if isinstance(node, dict):
        return [x for v in node.values() for x in _leaves(v)]
    if isinstance(node, list):
        return [x for v in node for x in _leaves(v)]
    return [node]


def test_a_value_set_by_one_job_does_not_leak_into_the_next(loader_and_master):
    loader, master = loader_and_master
    composer = JobComposer(loader, master, verify=False)
    jobs = [
        ["coordination=delegation", "seed=1", "steps=77", "culture.trust=0.1"],
        ["coordination=delegation", "seed=2"],
        ["coordination=delegation", "seed=3", "culture.trust=0.9"],
    ]
    for job in jobs:
        fast = OmegaConf.to_container(composer.compose(job)[0], resolve=True)
        assert fast == OmegaConf.to_container(composer.full(job)[0], resolve=True), job
    assert len(composer._bases) == 1
    fast = composer.parsed(["seed=7", "x.y=-0.50", "seed=007", "a=1e3", "b=1_000"])
    assert fast[:2] == [("seed", 7), ("x.y", -0.5)]
    assert [o.value() for o in fast[2:]] == [p.value() for p in parse(["seed=007", "a=1e3", "b=1_000"])]


def test_bad_values_raise_hydras_own_errors(loader_and_master):
    loader, master = loader_and_master
    composer = JobComposer(loader, master)
    for job in (["culture.trustt=0.5"], ["coordination=nonsense"], ["seed=[1"]):
        with pytest.raises(Exception) as fast:
            composer.compose(job)
        with pytest.raises(Exception) as full:
            composer.full(job)
        assert type(fast.value) is type(full.value), job


def test_a_disagreement_with_hydra_is_caught_and_composition_falls_back(loader_and_master, capsys):
    loader, master = loader_and_master
    composer = JobComposer(loader, master, verify=True)
    real = composer.full

    def tampered(lines):  # as if Hydra changed how it composes
        cfg, choices = real(lines)
        cfg.steps = 99999
        return cfg, choices

    composer.full = tampered
    cfg, choices = real(["coordination=delegation"])
    composer._bases[("coordination=delegation",)] = (cfg, choices, OmegaConf.to_container(cfg, resolve=False), set())
    cfg, _ = composer.compose(["coordination=delegation", "seed=1"])
    assert cfg.steps == 99999 and composer.full_only
    assert "differs from Hydra's full composition" in capsys.readouterr().err


def test_the_default_sweeper_and_launcher_are_leadsims_and_hydras_stay_available():
    GlobalHydra.instance().clear()
    with initialize_config_dir(config_dir=str(config_dir()), version_base="1.3"):
        cfg = compose("config", return_hydra_config=True)
        fallback = compose(
            "config", overrides=["hydra/sweeper=basic", "hydra/launcher=joblib"], return_hydra_config=True
        )
    GlobalHydra.instance().clear()
    assert cfg.hydra.launcher._target_ == "hydra_plugins.leadsim_launcher.LeadsimLauncher"
    assert cfg.hydra.sweeper._target_ == "hydra_plugins.leadsim_sweeper.LeadsimSweeper"
    assert "JoblibLauncher" in fallback.hydra.launcher._target_
    assert "BasicSweeper" in fallback.hydra.sweeper._target_
