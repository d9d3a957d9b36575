"""The same sweep gives identical metrics through every launcher — leadsim's (run
folders and chunks), the Slurm launcher's packing run locally (``slurm_local``), and
Hydra's own basic, joblib and submitit_local — and the Slurm settings and the shipped
sbatch script compose."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from sweep_helpers import NO_FIGURES, SMALL, leadsim_m, results

from simulation import METRICS

ROOT = Path(__file__).resolve().parents[2]
SBATCH = ROOT / "experiments" / "slurm" / "leadsim-array.sbatch"
SWEEP = ["coordination=delegation,distributed", "seed=0,1", *SMALL, NO_FIGURES]
LAUNCHERS = {
    "basic": ["hydra/sweeper=basic", "hydra/launcher=basic"],
    "leadsim": ["hydra.launcher.n_jobs=2"],  # the default: run folders below 500 runs
    "leadsim_chunks": ["hydra.launcher.n_jobs=2", "hydra.launcher.storage=chunks"],
    "slurm_local": ["hydra/launcher=slurm_local", "hydra.launcher.storage=chunks"],
    "joblib": ["hydra/sweeper=basic", "hydra/launcher=joblib", "hydra.launcher.n_jobs=2"],
    # submitit_local starts every job of a batch at once: two at a time on small machines.
    "submitit_local": [
        "hydra/launcher=submitit_local",
        "hydra.sweeper.max_batch_size=2",
        "hydra.launcher.timeout_min=5",
    ],
}


@pytest.mark.slow
def test_identical_metrics_through_every_launcher(tmp_path):
    tables = {}
    for name, args in LAUNCHERS.items():
        d = tmp_path / name
        r = leadsim_m(d, *SWEEP, *args, cwd=tmp_path, timeout=300)
        assert r.returncode == 0, f"{name}: {r.stderr[-2000:]}"
        df = results(d).sort_values("job").reset_index(drop=True)
        assert list(df.status) == ["ok"] * 4, name
        tables[name] = df
    assert (tmp_path / "slurm_local" / "chunks").is_dir() and (tmp_path / "slurm_local" / ".submitit").is_dir()
    cols = ["coordination.name", "seed", *METRICS]
    base = tables["basic"][cols]
    for name in LAUNCHERS:
        assert base.equals(tables[name][cols]), f"{name} differs from basic"
    assert base.throughput.nunique() > 1  # different seeds do differ: the comparison is not vacuous


def _slurm_launcher(*overrides):
    from hydra import compose, initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra
    from hydra.utils import instantiate

    from simulation.hydra_config import config_dir

    GlobalHydra.instance().clear()
    with initialize_config_dir(config_dir=str(config_dir()), version_base="1.3"):
        cfg = compose("config", overrides=["hydra/launcher=slurm", *overrides], return_hydra_config=True)
    GlobalHydra.instance().clear()
    return cfg, instantiate(cfg.hydra.launcher)


def test_slurm_settings_compose_into_an_sbatch_script(tmp_path, monkeypatch):
    """What the Slurm launcher hands submitit, up to the sbatch text: CPUs and memory from
    the chunk, a time limit from the task's runs, partition, account, setup lines."""
    import submitit

    from simulation.sweep.launch import executor_params

    _cfg, launcher = _slurm_launcher(
        "hydra.launcher.partition=compute",
        "hydra.launcher.account=proj",
        "hydra.launcher.cpus_per_task=8",
        "hydra.launcher.seconds_per_run=0.3",
        "hydra.launcher.setup=[source .venv/bin/activate]",
    )
    assert type(launcher).__name__ == "LeadsimSubmititLauncher" and callable(launcher.setup)
    params = executor_params(launcher, runs_per_task=2000, chunks_per_task=8)
    assert params["cpus_per_task"] == 8 and params["mem_gb"] == 5.0  # 1 + 0.5 x 8
    assert params["timeout_min"] == 2000 * 0.3 / 8 * 2 // 60 + 1 + 10  # ceil(2.5) + 10
    monkeypatch.setattr(submitit.slurm.slurm.SlurmExecutor, "affinity", classmethod(lambda cls: 1))
    executor = submitit.AutoExecutor(folder=tmp_path, cluster="slurm")
    executor.update_parameters(**params)
    text = executor._executor._make_submission_file_text("python -c pass", "0")
    for line in (
        "#SBATCH --partition=compute",
        "#SBATCH --account=proj",
        "#SBATCH --time=13",
        "#SBATCH --cpus-per-task=8",
        "#SBATCH --mem=5GB",
        "#SBATCH --job-name=leadsim",
        "source .venv/bin/activate",
    ):
        assert line in text, line


SBATCH_OPTIONS = {"job-name", "cpus-per-task", "mem", "time", "output", "partition", "account", "qos"}


def test_the_shipped_sbatch_script_is_valid_and_its_command_composes():
    text = SBATCH.read_text()
    assert text.startswith("#!/bin/bash\n")
    directives = re.findall(r"^#SBATCH --([a-z-]+)=(\S+)$", text, flags=re.M)
    assert {k for k, _ in directives} <= SBATCH_OPTIONS and len(directives) >= 4
    assert re.fullmatch(r"\d+-\d\d:\d\d:\d\d", dict(directives)["time"])
    # #SBATCH lines must come before the first command, or sbatch ignores them.
    body = [ln for ln in text.splitlines()[1:] if ln and not ln.startswith("#")]
    assert text.index(body[0]) > text.rindex("#SBATCH")
    subprocess.run(["bash", "-n", str(SBATCH)], check=True)
    # The command the script runs composes: the same overrides, with --cfg instead of -m.
    overrides = ["hydra.launcher.partition=compute", "coordination=delegation", "seed=3"]
    out = subprocess.run(
        ["bash", str(SBATCH), "multirun/study", *overrides],
        capture_output=True,
        text=True,
        env={**os.environ, "LEADSIM": "echo"},
    )
    argv = shlex.split(out.stdout)
    assert argv[0] == "-m" and "hydra/launcher=slurm" in argv and "hydra.sweep.dir=multirun/study" in argv
    cfg = subprocess.run(
        [
            sys.executable,
            "-m",
            "simulation",
            "--cfg",
            "hydra",
            "--package",
            "hydra.launcher",
            *[a for a in argv if a != "-m"],
        ],
        capture_output=True,
        text=True,
    )
    assert cfg.returncode == 0, cfg.stderr
    assert "LeadsimSubmititLauncher" in cfg.stdout and "partition: compute" in cfg.stdout


@pytest.mark.slow
def test_the_sbatch_script_runs_a_sweep_with_the_local_packing(tmp_path):
    """The whole cluster path on this machine: the script, the driver, packed array tasks
    (submitit's local executor), chunk files, the report."""
    d = tmp_path / "study"
    env = {**os.environ, "LEADSIM": f"{sys.executable} -m simulation", "LEADSIM_LAUNCHER": "slurm_local"}
    r = subprocess.run(
        [
            "bash",
            str(SBATCH),
            str(d),
            "coordination=delegation,distributed",
            "seed=range(3)",
            *SMALL,
            "hydra.launcher.storage=chunks",
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=300,
    )
    assert r.returncode == 0, r.stderr[-3000:]
    assert "2 array task(s)" in r.stderr
    df = results(d)
    assert len(df) == 6 and set(df.status) == {"ok"}
    assert len(list((d / "chunks").glob("*.parquet"))) == 2
