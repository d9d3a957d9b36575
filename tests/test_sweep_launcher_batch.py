"""leadsim's default launcher: Hydra's joblib launcher with jobs sent in chunks
(hydra_plugins/leadsim_launcher). Same jobs, folders, order and results; Hydra's state
restored once per chunk instead of once per job."""

from __future__ import annotations

import pytest
from hydra.core.singleton import Singleton
from hydra.core.utils import JobStatus
from omegaconf import OmegaConf
from sweep_helpers import NO_FIGURES, SMALL, leadsim_m, results, run_dirs

from hydra_plugins.leadsim_launcher import LeadsimJoblibLauncher, _core


@pytest.mark.parametrize("n, workers", [(402, 2), (402, 1), (1000, 8), (10, 2), (7, 3), (1, 4), (0, 2)])
def test_chunks_cover_every_job_once_largest_first_and_end_with_single_jobs(n, workers):
    sizes = _core.chunk_sizes(n, workers)
    assert sum(sizes) == n and all(s >= 1 for s in sizes)
    assert sizes == sorted(sizes, reverse=True)
    if n:
        assert sizes[0] == -(-n // (4 * workers))   # a quarter of a worker's share first
        assert sizes[-1] == 1                       # the tail is balanced job by job
    jobs = [[f"seed={i}"] for i in range(n)]
    parts = _core.chunks(jobs, sizes)
    assert [o for _, chunk in parts for o in chunk] == jobs
    assert [start for start, _ in parts] == [sum(sizes[:i]) for i in range(len(sizes))]


def test_the_headline_sweep_is_far_fewer_tasks_than_jobs():
    sizes = _core.chunk_sizes(402, 2)
    assert sizes[:4] == [51, 44, 39, 34]
    assert 25 <= len(sizes) <= 40            # vs 402 tasks with Hydra's joblib launcher
    assert sum(1 for s in sizes if s == 1) <= 8


# ---------------------------------------------------------------- in-process, one worker

def _task(cfg):
    """A task function: fails for seed 2, like a job whose run raises."""
    from hydra.core.hydra_config import HydraConfig

    if cfg.seed == 2:
        raise RuntimeError("seed 2 fails")
    hc = HydraConfig.get()
    return {"num": hc.job.num, "id": hc.job.id, "seed": cfg.seed, "dir": hc.runtime.output_dir}


@pytest.fixture()
def launcher(tmp_path, monkeypatch):
    """The launcher set up as Hydra's multirun sets it up, with n_jobs=1 (joblib then
    runs the tasks in this process), and a count of ``Singleton.set_state`` calls."""
    from hydra._internal.callbacks import Callbacks
    from hydra._internal.config_loader_impl import ConfigLoaderImpl
    from hydra._internal.utils import create_config_search_path
    from hydra.core.global_hydra import GlobalHydra
    from hydra.core.hydra_config import HydraConfig
    from hydra.core.utils import JobRuntime, setup_globals
    from hydra.types import HydraContext, RunMode

    from simulation.hydra_config import config_dir

    setup_globals()
    saved = Singleton.get_state()
    impl = ConfigLoaderImpl(config_search_path=create_config_search_path(str(config_dir())))
    master = impl.load_configuration("config", [f"hydra.sweep.dir={tmp_path}", "hydra.launcher.n_jobs=1",
                                                "seed=range(7)"], run_mode=RunMode.MULTIRUN)
    HydraConfig.instance().set_config(master)
    JobRuntime.instance().set("name", "cli")
    calls = []
    real = Singleton.set_state
    monkeypatch.setattr(Singleton, "set_state", staticmethod(lambda state: (calls.append(1), real(state))))
    monkeypatch.chdir(tmp_path)
    settings = {k: v for k, v in OmegaConf.to_container(master.hydra.launcher).items() if k != "_target_"}
    lau = LeadsimJoblibLauncher(**settings)
    lau.setup(hydra_context=HydraContext(config_loader=impl, callbacks=Callbacks()), task_function=_task,
              config=master)
    yield lau, calls
    monkeypatch.undo()
    Singleton.set_state(saved)
    GlobalHydra.instance().clear()


def test_jobs_keep_their_numbers_folders_and_order_and_a_failure_stays_in_its_job(launcher, tmp_path):
    lau, calls = launcher
    jobs = [[f"seed={s}"] for s in range(7)]
    runs = lau.launch(jobs, initial_job_idx=10)
    sizes = _core.chunk_sizes(7, 1)
    assert sizes == [2, 2, 1, 1, 1]
    assert len(calls) == len(sizes)                          # Hydra's state: once per chunk
    assert [r.overrides for r in runs] == jobs               # launch order
    assert [r.status for r in runs] == [JobStatus.COMPLETED] * 2 + [JobStatus.FAILED] + [JobStatus.COMPLETED] * 4
    assert str(runs[2]._return_value) == "seed 2 fails"      # in its own JobReturn; its chunk-mate ran
    ok = [r.return_value for i, r in enumerate(runs) if i != 2]
    assert [v["num"] for v in ok] == [10, 11, 13, 14, 15, 16]
    assert [v["id"] for v in ok] == [f"cli_{n}" for n in (10, 11, 13, 14, 15, 16)]
    assert [v["seed"] for v in ok] == [0, 1, 3, 4, 5, 6]
    assert [v["dir"] for v in ok] == [str(tmp_path / str(n)) for n in (10, 11, 13, 14, 15, 16)]
    for n in range(10, 17):                                  # Hydra's run_job wrote .hydra/ per job
        saved = OmegaConf.load(tmp_path / str(n) / ".hydra" / "hydra.yaml").hydra
        assert saved.job.num == n and list(saved.overrides.task) == [f"seed={n - 10}"]
        assert saved.runtime.choices["hydra/launcher"] == "leadsim"
        assert OmegaConf.load(tmp_path / str(n) / ".hydra" / "config.yaml").seed == n - 10
    assert [r.hydra_cfg.hydra.job.num for r in runs] == list(range(10, 17))


@pytest.mark.filterwarnings("ignore:The backend class:UserWarning")  # timeout with n_jobs=1
def test_a_timeout_sends_every_job_alone_and_a_bad_override_stops_the_launch(launcher):
    from hydra.errors import ConfigCompositionException

    lau, calls = launcher
    lau.joblib["timeout"] = 600
    runs = lau.launch([["seed=0"], ["seed=1"], ["seed=3"]], initial_job_idx=0)
    assert len(calls) == 3 and [r.return_value["seed"] for r in runs] == [0, 1, 3]
    lau.joblib["timeout"] = None
    with pytest.raises(ConfigCompositionException):          # as Hydra's joblib launcher: raised
        lau.launch([["seed=0"], ["seed=abc"]], initial_job_idx=0)


# ---------------------------------------------------------------- leadsim -m, two workers

def test_same_folders_hydra_files_results_and_failures_as_hydras_joblib_launcher(tmp_path):
    """24 jobs on 2 workers (chunks of 3, 3, 3, 2, ...); design row 1 is out of range, so
    jobs 2 and 3 fail, job 2 inside a chunk with jobs 0 and 1."""
    rows = ["0.25,0.5", "1.5,0.1"] + [f"{0.05 * i:.2f},0.5" for i in range(2, 12)]
    design = tmp_path / "design.csv"
    design.write_text("culture.trust,organization.clarity\n" + "\n".join(rows) + "\n")
    args = ["hydra/sweeper=samples", f"hydra.sweeper.samples={design}", "coordination=delegation,distributed",
            *SMALL, NO_FIGURES, "hydra.launcher.n_jobs=2"]
    tables = {}
    for name, launcher in (("joblib", ["hydra/launcher=joblib"]), ("leadsim", [])):
        d = tmp_path / name
        r = leadsim_m(d, *args, *launcher, cwd=tmp_path)
        assert r.returncode == 1, r.stderr[-2000:]           # the bad row failed; the others ran
        assert "24/24 runs done" in r.stderr and "2 run(s) failed" in r.stderr
        assert len((d / ".leadsim" / "progress.tsv").read_text().splitlines()) == 24
        tables[name] = results(d).drop(columns=["run_dir", "seconds"])
    assert _core.chunk_sizes(24, 2)[:3] == [3, 3, 3]
    a, b = tables["joblib"], tables["leadsim"]
    assert list(b.job) == list(range(24))
    assert list(b.status) == ["ok", "ok", "failed", "failed"] + ["ok"] * 20
    assert a.equals(b)
    assert b.throughput.nunique() > 1                       # runs differ: the comparison is not vacuous
    for x, y in zip(run_dirs(tmp_path / "joblib"), run_dirs(tmp_path / "leadsim"), strict=True):
        assert x.name == y.name
        for name in ("config.yaml", "overrides.yaml"):
            assert (x / ".hydra" / name).read_text() == (y / ".hydra" / name).read_text()
        hx, hy = (OmegaConf.load(p / ".hydra" / "hydra.yaml").hydra for p in (x, y))
        assert hy.launcher._target_ == "hydra_plugins.leadsim_launcher.LeadsimJoblibLauncher"
        assert hy.launcher.n_jobs == hx.launcher.n_jobs == 2
        for h in (hx, hy):  # the only intended differences: which launcher, and where
            del h.launcher._target_, h.runtime.choices["hydra/launcher"]
            del h.sweep.dir, h.runtime.output_dir, h.overrides.hydra
        assert OmegaConf.to_container(hx) == OmegaConf.to_container(hy)
