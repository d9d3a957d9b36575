"""The ``leadsim`` command and the Python API, exercised for real (subprocesses)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import yaml

import simulation
from simulation import METRICS, ConfigError
from simulation.roles import ROLE_METRICS

FAST = ["steps=40", "warmup=5", "organization=team"]


def leadsim(*args, cwd):
    return subprocess.run(["leadsim", *args], capture_output=True, text=True, cwd=cwd, timeout=120)


def test_run_writes_metrics_timeseries_and_resolved_config(tmp_path):
    out = tmp_path / "run"
    r = leadsim(f"hydra.run.dir={out}", "coordination=hybrid", "seed=7", *FAST, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    metrics = json.loads((out / "metrics.json").read_text())
    assert list(metrics) == [*METRICS, *ROLE_METRICS]
    assert all(v is None or isinstance(v, (int, float)) for v in metrics.values())
    cfg = yaml.safe_load((out / "config.yaml").read_text())
    assert cfg["leadsim_version"] == simulation.__version__
    assert cfg["coordination"]["name"] == "hybrid" and cfg["seed"] == 7 and cfg["organization"]["size"] == 12
    ts = (out / "timeseries.csv").read_text().splitlines()
    assert ts[0].startswith("step,") and len(ts) == 41
    assert not list(out.glob("*.log"))  # Hydra's job log (cli.log) is switched off
    # The saved config reproduces the run through the Python API.
    again = simulation.run(["coordination=hybrid", "organization=team"], seed=7, steps=40, warmup=5)
    assert again.metrics == pytest.approx(
        {k: (float("nan") if v is None else v) for k, v in metrics.items()}, nan_ok=True
    )


def test_python_module_entry_point(tmp_path):
    r = subprocess.run(
        [sys.executable, "-m", "simulation", f"hydra.run.dir={tmp_path / 'r'}", *FAST],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "r" / "metrics.json").is_file()


@pytest.mark.parametrize(
    "args, key, hint",
    [
        (["organization.size=0"], "organization.size", "[2, "),
        (["organization.clarity=1.5"], "organization.clarity", "[0.0, 1.0]"),
        (["workload.arrival_rate=-1"], "workload.arrival_rate", "[0.0, "),
        (["organization.size=abc"], "organization.size", "integer"),
        (["culture.trust=high"], "culture.trust", "number"),
        (["organization.sizee=3"], "organization.sizee", "allowed: size"),
        (["+foo=1"], "foo", "allowed: culture"),
        (["+culture.bar=2"], "culture.bar", "allowed: trust"),
        (["organization=huge"], "organization", "allowed: department, from_files, large, team"),
        (["coordination=anarchy"], "coordination", "delegation, distributed, hybrid"),
        (["+experiment=nope"], "experiment", "unknown option"),
        (["steps=10", "warmup=20"], "warmup", "smaller than steps"),
        (["-m", "organization.clarity=0.5,2"], "organization.clarity", "[0.0, 1.0]"),
        (["-m", "coordination=hybrid,anarchy"], "coordination", "delegation"),
        (["experiment=headline"], "experiment", "write +experiment=headline"),
        (["--coordination", "delegation"], "--coordination", "coordination=delegation"),
        (["--size=20"], "--size", "organization.size=20"),
        (["--fast"], "--fast", "unknown option"),
        (["organization.sise=3"], "organization.sise", "did you mean organization.size?"),
        (["organization.trust=0.5"], "organization.trust", "did you mean culture.trust?"),
        (["organization=departmnt"], "organization", "did you mean department?"),
    ],
)
def test_bad_input_one_line_exit_2_nothing_written(tmp_path, args, key, hint):
    out = tmp_path / "out"
    r = leadsim(f"hydra.run.dir={out}", f"hydra.sweep.dir={out}", *args, cwd=tmp_path)
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert key in lines[0] and hint in lines[0]
    assert "Traceback" not in r.stderr and r.stdout == ""
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_api_accepts_keywords_and_rejects_bad_values():
    r = simulation.run(["coordination=delegation"], organization__size=20, steps=30, warmup=5, seed=1)
    assert r.config.organization.size == 20 and r.config.coordination.name == "delegation"
    assert len(r.timeseries) == 30 and set(r.events["event"].unique()) >= {"arrived", "assigned", "started"}
    with pytest.raises(ConfigError, match=r"organization\.clarity"):
        simulation.run(organization__clarity=2)


def test_api_writes_nothing_unless_asked(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    r = simulation.run(steps=20, warmup=2)
    assert list(tmp_path.iterdir()) == []
    r.save(tmp_path / "saved")
    assert {p.name for p in (tmp_path / "saved").iterdir()} == {
        "metrics.json",
        "timeseries.csv",
        "config.yaml",
        "roles.csv",
    }


def test_help_documents_every_group_option_and_parameter(tmp_path):
    from simulation.config import field_docs
    from simulation.hydra_config import group_options

    r = leadsim("--help", cwd=tmp_path)
    assert r.returncode == 0 and r.stderr == "" and list(tmp_path.iterdir()) == []
    lines = r.stdout.splitlines()
    for group, (options, default) in group_options().items():
        row = next(line for line in lines if line.split()[:1] == [group])
        assert all(o in row for o in options) and (default is None or f"{default}*" in row)
    for key, meta in field_docs().items():
        row = next(line for line in lines if line.split()[:1] == [key])
        assert meta["doc"] in row
        lo, hi = meta["range"] or (None, None)
        if meta["choices"]:
            assert ", ".join(meta["choices"]) in row
        elif lo is not None:
            assert f"{lo}, {hi}]" in row
    assert "+experiment=NAME" in r.stdout and "--version" in r.stdout


def test_help_shows_the_composed_defaults():
    """Defaults as a plain ``leadsim`` run uses them (groups applied), not the schema's."""
    from simulation.hydra_config import _default_values, help_text

    text, values = help_text(), _default_values()
    assert values["coordination.name"] == "distributed"
    row = next(line for line in text.splitlines() if line.split()[:1] == ["organization.size"])
    assert row.split()[1] == str(values["organization.size"])


def test_version_names_leadsim_python_and_mesa(tmp_path):
    import mesa

    r = leadsim("--version", cwd=tmp_path)
    assert r.returncode == 0 and list(tmp_path.iterdir()) == []
    assert r.stdout.startswith(f"leadsim {simulation.__version__} (Python ")
    assert f"Mesa {mesa.__version__}" in r.stdout


@pytest.mark.parametrize(
    "argv",
    [
        ["-m", "seed=1,2"],
        ["--cfg", "job"],
        ["--cfg=job"],
        ["-cn", "config"],
        ["--info", "defaults"],
        ["--multirun", "--resolve", "seed=1"],
    ],
)
def test_hydras_own_flags_pass_the_flag_check(argv):
    from simulation.cli import check_flags

    check_flags(argv)


def test_help_survives_a_closed_pipe(tmp_path):
    r = subprocess.run("leadsim --help | head -n 1", shell=True, capture_output=True, text=True, cwd=tmp_path)
    assert r.stdout.startswith("leadsim ") and "Traceback" not in r.stderr
