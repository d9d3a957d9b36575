"""leadsim's default sweeper: the same jobs, configs and results as Hydra's basic sweeper,
with less composition (hydra_plugins/leadsim_sweeper)."""

from __future__ import annotations

import os

import pytest
from hydra._internal.config_loader_impl import ConfigLoaderImpl
from hydra._internal.utils import create_config_search_path
from hydra.errors import ConfigCompositionException
from hydra.types import RunMode
from omegaconf import OmegaConf
from sweep_helpers import NO_FIGURES, SMALL, leadsim_m, results, run_dirs

from hydra_plugins.leadsim_sweeper import _loader
from hydra_plugins.leadsim_sweeper._loader import CachingConfigLoader
from simulation.hydra_config import config_dir

#: Job override lists of several shapes. Repeated shapes must come from the cache.
JOBS = [
    ["coordination=delegation", "seed=1"],
    ["coordination=delegation", "seed=2", "culture.trust=0.25", "steps=300", "warmup=10"],  # int, float
    ["coordination=delegation", "seed=3", "organization.network='small world'"],            # quoted str
    ["coordination=hybrid", "seed=4", "organization.clarity=1"],                            # int -> float
    ["seed=5", "+experiment=headline", "warmup=7"],                                         # +group
    ["+experiment=headline", "seed=6", "warmup=8"],                                         # other order
    ["seed=7", "hydra.job.chdir=true", "culture.trust=0.5"],                                # hydra.* in a job
    ["seed=8", "workload.team_size_weights=[0.6,0.4]"],                                     # list: Hydra composes
    ["seed=9", "steps=${warmup}"],                                                          # interpolation
    ["seed=10", "+foo.bar=1", "foo.bar=2"],                                                 # related keys: Hydra
    ["organization=team", "seed=11", "seed=12"],                                            # a key twice
    ["organization=team", "organization.size=30", "seed=13"],                               # group and its key
]


@pytest.fixture()
def loaders():
    from hydra.core.utils import setup_globals

    setup_globals()  # Hydra's resolvers (now:, hydra:), as in every launcher
    impl = ConfigLoaderImpl(config_search_path=create_config_search_path(str(config_dir())))
    master = impl.load_configuration(
        "config", ["hydra.sweep.dir=multirun/${now:%H-%M-%S-%f}", "hydra.job.env_copy=[HOME]",
                   "hydra.job.config.override_dirname.exclude_keys=[seed]", "seed=range(3)"],
        run_mode=RunMode.MULTIRUN)
    master.hydra.sweep.dir  # resolve ${now:} once: each job must get the same value
    _loader.clear_cache()
    yield impl, CachingConfigLoader(impl), master
    _loader.clear_cache()


def _same(a, b) -> None:
    assert OmegaConf.to_container(a, resolve=False) == OmegaConf.to_container(b, resolve=False)
    app = lambda c: OmegaConf.to_container(OmegaConf.masked_copy(c, [k for k in c if k != "hydra"]), resolve=True)
    assert app(a) == app(b)
    assert a.hydra.sweep.dir == b.hydra.sweep.dir  # the master's ${now:} cache is copied
    assert OmegaConf.get_type(a) is OmegaConf.get_type(b) and OmegaConf.get_type(a.hydra) is OmegaConf.get_type(b.hydra)
    assert OmegaConf.is_struct(b) and not OmegaConf.is_readonly(b.hydra)


def test_cached_configs_equal_hydras_own(loaders, monkeypatch, tmp_path):
    impl, cached, master = loaders
    for i, job in enumerate(JOBS + JOBS):
        if i == len(JOBS):  # what Hydra reads from the process at load time may change
            monkeypatch.setenv("HOME", str(tmp_path))
            monkeypatch.chdir(tmp_path)
        _same(impl.load_sweep_config(master, list(job)), cached.load_sweep_config(master, list(job)))
    stats = dict(_loader.STATS)
    # Composed by Hydra once per structure: delegation, hybrid, experiment, job with
    # hydra.*, team, and the list and interpolation ones (each its own structure).
    assert stats["composed"] == 7, stats
    assert stats["fallback"] == 2, stats     # "+foo.bar=1 foo.bar=2", twice
    assert stats["cached"] == 2 * len(JOBS) - 2, stats
    # The cached path really rebuilt what Hydra derives from the job's overrides.
    cfg = cached.load_sweep_config(master, ["coordination=delegation", "seed=42", "culture.trust=0.3"])
    assert list(cfg.hydra.overrides.task) == ["coordination=delegation", "seed=42", "culture.trust=0.3"]
    assert cfg.hydra.job.override_dirname == "coordination=delegation,culture.trust=0.3"
    assert cfg.hydra.job.env_set.HOME == os.environ["HOME"] == str(tmp_path)
    assert cfg.hydra.runtime.cwd == os.getcwd() == str(tmp_path)
    assert cfg.seed == 42 and cfg.culture.trust == 0.3 and cfg.coordination.name == "delegation"


@pytest.mark.parametrize("job", [["seed=abc"], ["organization.sizee=3"], ["organization.network=null"],
                                 ["coordination=anarchy"], ["seed=0,1"]])
def test_bad_jobs_fail_as_in_hydra(loaders, job):
    impl, cached, master = loaders
    cached.load_sweep_config(master, ["seed=1"])  # the structure is cached
    with pytest.raises(ConfigCompositionException) as hydra_error:
        impl.load_sweep_config(master, job)
    with pytest.raises(ConfigCompositionException) as ours:
        cached.load_sweep_config(master, job)
    assert str(ours.value) == str(hydra_error.value)


def test_cache_survives_a_worker_receiving_the_loader_and_hydras_plugin_rescan(loaders):
    """What loky does for every job: unpickle the loader, then ``Singleton.set_state``,
    which re-executes every module Hydra's plugin scan finds under ``hydra_plugins``."""
    from hydra.core.singleton import Singleton

    cloudpickle = pytest.importorskip("cloudpickle")  # loky's pickler when installed

    _, cached, master = loaders
    state = cloudpickle.dumps(Singleton.get_state())
    for seed in range(3):
        Singleton.set_state(cloudpickle.loads(state))
        loader = cloudpickle.loads(cloudpickle.dumps(cached))
        assert type(loader) is CachingConfigLoader  # pickled by reference, not by value
        assert loader.load_sweep_config(master, ["organization=team", f"seed={seed}"]).seed == seed
    assert dict(_loader.STATS) == {"composed": 1, "cached": 3}


def test_a_sweep_gives_the_same_folders_and_results_as_hydras_basic_sweeper(tmp_path):
    """Two workers (joblib), so jobs load their configs through the cache in workers."""
    args = ["coordination=delegation,hybrid", "seed=0,1", "culture.trust=0.3,0.7", *SMALL, NO_FIGURES,
            "hydra.launcher.n_jobs=2"]
    tables = {}
    for sweeper in ("basic", "leadsim"):
        d = tmp_path / sweeper
        r = leadsim_m(d, f"hydra/sweeper={sweeper}", *args, cwd=tmp_path)
        assert r.returncode == 0, r.stderr
        tables[sweeper] = results(d).drop(columns=["run_dir", "seconds"])
        assert len(tables[sweeper]) == 8 and (tables[sweeper].status == "ok").all()
    assert tables["basic"].equals(tables["leadsim"])
    assert tables["basic"]["culture.trust"].tolist() == [0.3, 0.7] * 4
    for a, b in zip(run_dirs(tmp_path / "basic"), run_dirs(tmp_path / "leadsim")):
        for name in ("config.yaml", "overrides.yaml"):
            assert (a / ".hydra" / name).read_text() == (b / ".hydra" / name).read_text()
        ha, hb = (OmegaConf.load(p / ".hydra" / "hydra.yaml").hydra for p in (a, b))
        for h in (ha, hb):  # the only intended differences: which sweeper, and where
            del h.sweeper, h.runtime.choices["hydra/sweeper"]
            del h.sweep.dir, h.runtime.output_dir, h.overrides.hydra
        assert OmegaConf.to_container(ha) == OmegaConf.to_container(hb)


def test_sweeps_from_hydra_sweeper_params_are_validated_before_anything_is_written(tmp_path):
    out = tmp_path / "out"
    r = leadsim_m(out, "+experiment=headline", "hydra.sweeper.params.seed='0,abc'", cwd=tmp_path)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert r.stderr.strip().splitlines() == ["leadsim: error: seed: must be an integer, got 'abc'"]
    r = leadsim_m(out, "+experiment=headline", "seed=0", "hydra.sweeper.params.coordination='hybrid,anarchy'",
                  cwd=tmp_path)
    assert r.returncode == 2 and "coordination: unknown option 'anarchy'" in r.stderr
    assert list(tmp_path.iterdir()) == []


def test_the_report_keeps_student_t_intervals_without_importing_scipy_stats(tmp_path):
    """The report after every sweep: Student-t quantiles from scipy.special (bit for bit
    scipy.stats.t.ppf), so tables alone do not import scipy.stats (~0.3 s)."""
    import subprocess
    import sys

    import numpy as np
    import pandas as pd
    from scipy import stats

    from simulation.sweep.report import _t_half

    n = pd.Series([0, 1, 2, 3, 5, 10, 134, 10_000])
    std = pd.Series(np.linspace(0.5, 2.0, len(n)))
    want = std * stats.t.ppf(0.975, (n - 1).where(n > 1).astype(float)) / np.sqrt(n.astype(float))
    got = _t_half(std, n)
    assert np.array_equal(got.to_numpy(), want.to_numpy(), equal_nan=True)
    assert got.isna().tolist() == [True, True] + [False] * 6 and got[2] == std[2] * 12.706204736174698 / np.sqrt(2)

    d = tmp_path / "s"
    r = leadsim_m(d, "coordination=delegation,distributed", "seed=0,1", *SMALL, NO_FIGURES, "hydra/launcher=basic",
                  cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    code = ("import sys; from simulation.sweep.report import write_report; "
            f"info = write_report({str(d)!r}, figures=False); "
            "print(info['ok'], 'scipy.stats' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["4", "False"]
    summary = pd.read_csv(d / "summary.csv").set_index("coordination.name")
    ok = results(d)
    x = ok[ok["coordination.name"] == "delegation"].throughput
    half = stats.t.ppf(0.975, 1) * x.std() / np.sqrt(2)
    assert summary.loc["delegation", "throughput_ci_high"] == pytest.approx(x.mean() + half, rel=1e-12)


def test_figures_lay_out_once_png_unchanged_pdf_written(tmp_path):
    """``figures._save`` computes the constrained layout for the PNG and keeps it for the
    PDF: the PNG is byte for byte what a plain ``savefig`` gives (colorbars included)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    from simulation.sweep.figures import _save

    def figure():
        fig, axes = plt.subplots(1, 2, figsize=(7, 3), constrained_layout=True)
        im = axes[0].imshow(np.arange(12.0).reshape(3, 4))
        fig.colorbar(im, ax=axes[0], label="a long colorbar label")
        axes[1].bar([0, 1, 2], [3, 1, 2], yerr=0.5)
        axes[1].set_ylabel("a long axis label (tasks / step)")
        fig.suptitle("a title")
        return fig

    plain = figure()
    plain.savefig(tmp_path / "plain.png", dpi=100)
    fig = figure()
    paths = _save(fig, tmp_path / "ours")
    assert [p.name for p in paths] == ["ours.png", "ours.pdf"]
    assert (tmp_path / "ours.png").read_bytes() == (tmp_path / "plain.png").read_bytes()
    assert (tmp_path / "ours.pdf").read_bytes().startswith(b"%PDF")
    assert fig.get_layout_engine().__class__.__name__ == "PlaceHolderLayoutEngine"  # not laid out again
    assert not list(tmp_path.glob(".*tmp*"))
    plt.close("all")
