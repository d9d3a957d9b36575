"""The same sweep gives identical metrics through every launcher (leadsim's default, basic,
Hydra's joblib, submitit_local), and the shipped Slurm settings compose into a valid
submitit configuration."""

from __future__ import annotations

import pytest
from sweep_helpers import NO_FIGURES, SMALL, leadsim_m, results

from simulation import METRICS

SWEEP = ["coordination=delegation,distributed", "seed=0,1", *SMALL, NO_FIGURES]
LAUNCHERS = {
    "basic": ["hydra/launcher=basic"],
    "leadsim": ["hydra.launcher.n_jobs=2"],  # the default: joblib in chunks
    "joblib": ["hydra/launcher=joblib", "hydra.launcher.n_jobs=2"],
    # submitit_local starts every job of a batch at once: two at a time on small machines.
    "submitit_local": ["hydra/launcher=submitit_local", "hydra.sweeper.max_batch_size=2",
                       "hydra.launcher.timeout_min=5"],
}


@pytest.mark.slow
def test_identical_metrics_through_leadsim_basic_joblib_and_submitit_local(tmp_path):
    tables = {}
    for name, args in LAUNCHERS.items():
        d = tmp_path / name
        r = leadsim_m(d, *SWEEP, *args, cwd=tmp_path, timeout=300)
        assert r.returncode == 0, f"{name}: {r.stderr[-2000:]}"
        df = results(d).sort_values("job").reset_index(drop=True)
        assert list(df.status) == ["ok"] * 4, name
        tables[name] = df
    cols = ["coordination.name", "seed", *METRICS]
    base = tables["basic"][cols]
    for name in ("leadsim", "joblib", "submitit_local"):
        other = tables[name][cols]
        assert base.equals(other), f"{name} differs from basic"
    # Different seeds do give different runs (the comparison above is not vacuous).
    assert base.throughput.nunique() > 1


def test_slurm_settings_compose_into_an_sbatch_script(tmp_path, monkeypatch):
    """``hydra/launcher=slurm`` composes, and submitit accepts every setting we ship."""
    import submitit
    from hydra import compose, initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra
    from omegaconf import OmegaConf

    from simulation.hydra_config import config_dir

    GlobalHydra.instance().clear()
    with initialize_config_dir(config_dir=str(config_dir()), version_base="1.3"):
        cfg = compose("config", overrides=["hydra/launcher=slurm", "hydra.launcher.partition=compute",
                                           "hydra.launcher.timeout_min=30"], return_hydra_config=True)
    GlobalHydra.instance().clear()
    launcher = OmegaConf.to_container(cfg.hydra.launcher, resolve=False)
    assert launcher["_target_"].endswith("SlurmLauncher")
    assert launcher["partition"] == "compute" and launcher["array_parallelism"] == 256
    # What hydra-submitit-launcher's launch() does with these settings, up to sbatch.
    from hydra_plugins.hydra_submitit_launcher.config import BaseQueueConf

    base = set(OmegaConf.structured(BaseQueueConf).keys())
    params = {(k if k in base else f"slurm_{k}"): v for k, v in launcher.items()
              if k not in ("_target_", "submitit_folder", "max_num_timeout")}
    # No Slurm here: pretend srun exists; everything else is submitit's own code.
    monkeypatch.setattr(submitit.slurm.slurm.SlurmExecutor, "affinity", classmethod(lambda cls: 1))
    executor = submitit.AutoExecutor(folder=tmp_path, cluster="slurm")
    executor.update_parameters(**params)
    text = executor._executor._make_submission_file_text("python -c pass", "0")
    for line in ("#SBATCH --partition=compute", "#SBATCH --time=30", "#SBATCH --cpus-per-task=1",
                 "#SBATCH --mem=2GB", "#SBATCH --job-name=leadsim"):
        assert line in text, line
