"""Multiruns end to end: tidy results, summaries with confidence intervals, paired
differences, resume, failures recorded without stopping the sweep, ``leadsim-report``."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sweep_helpers import NO_FIGURES, SMALL, check_run_folder, leadsim_m, results, run_dirs

from simulation import METRICS, __version__

REGIMES_2x2 = ["coordination=delegation,distributed", "seed=0,1"]
REPORT = [sys.executable, "-m", "simulation.sweep.report"]  # = leadsim-report


@pytest.fixture(scope="module")
def sweep2x2(tmp_path_factory):
    """2 regimes x 2 seeds through the default (joblib) launcher, figures included."""
    root = tmp_path_factory.mktemp("sweep2x2")
    d = root / "sweep"
    r = leadsim_m(d, *REGIMES_2x2, *SMALL, "hydra.launcher.n_jobs=2", cwd=root)
    assert r.returncode == 0, r.stderr
    return d, r


def test_four_rows_with_parameters_metrics_version_and_folder(sweep2x2):
    d, _ = sweep2x2
    df = results(d)
    assert len(df) == 4
    assert list(df.status) == ["ok"] * 4
    assert sorted(zip(df["coordination.name"], df["seed"])) == [
        ("delegation", 0),
        ("delegation", 1),
        ("distributed", 0),
        ("distributed", 1),
    ]
    for col in (
        "organization.size",
        "culture.trust",
        "workload.arrival_rate",
        "steps",
        "warmup",
        "leadsim_version",
        "run_dir",
        "status",
        *METRICS,
    ):
        assert col in df, col
    assert (df["organization.size"] == 12).all() and (df.leadsim_version == __version__).all()
    # Each row is its run folder's metrics.json, exactly.
    for row in df.itertuples(index=False):
        stored = json.loads((d / row.run_dir / "metrics.json").read_text())
        assert row.throughput == stored["throughput"]
    # CSV and Parquet hold the same table.
    csv = pd.read_csv(d / "results.csv")
    assert list(csv.columns) == list(df.columns)
    np.testing.assert_allclose(csv["throughput"], df["throughput"])


def test_summary_has_mean_std_n_and_student_t_interval(sweep2x2):
    d, _ = sweep2x2
    df, s = results(d), pd.read_csv(d / "summary.csv")
    assert list(s["coordination.name"]) == ["delegation", "distributed"]
    for m in METRICS:
        for suffix in ("mean", "std", "n", "ci_low", "ci_high"):
            assert f"{m}_{suffix}" in s, f"{m}_{suffix}"
    for regime, row in s.set_index("coordination.name").iterrows():
        x = df.loc[df["coordination.name"] == regime, "throughput"].to_numpy()
        half = stats.t.ppf(0.975, 1) * x.std(ddof=1) / np.sqrt(2)
        assert row.throughput_n == 2 and row.runs == 2 and row.ok == 2
        assert row.throughput_mean == pytest.approx(x.mean())
        assert row.throughput_std == pytest.approx(x.std(ddof=1))
        # Throughput cannot be negative: the interval is clipped at 0 (n = 2: a wide interval).
        assert row.throughput_ci_low == pytest.approx(max(0.0, x.mean() - half))
        assert row.throughput_ci_high == pytest.approx(x.mean() + half)
        assert row.caveat.startswith("fewer than 5 ok runs")


def test_paired_differences_use_the_same_seeds(sweep2x2):
    d, _ = sweep2x2
    df, p = results(d), pd.read_csv(d / "paired.csv")
    assert list(p.regime) == ["distributed"] and list(p.baseline) == ["delegation"]
    a = df[df["coordination.name"] == "distributed"].set_index("seed").throughput
    b = df[df["coordination.name"] == "delegation"].set_index("seed").throughput
    assert p.throughput_diff_mean[0] == pytest.approx((a - b).mean())
    assert p.throughput_diff_n[0] == 2


def test_ema_and_salib_export_load_in_two_lines(sweep2x2):
    d, _ = sweep2x2
    experiments = pd.read_csv(d / "ema_experiments.csv")
    outcomes = {k: v.to_numpy() for k, v in pd.read_csv(d / "ema_outcomes.csv").items()}
    # Every metric, and any extra metric a run reports (e.g. roles_*), is an outcome.
    metrics = json.loads((d / "0" / "metrics.json").read_text())
    assert len(experiments) == 4 and set(outcomes) == set(metrics) and set(METRICS) <= set(outcomes)
    assert {"seed", "policy", "scenario", "model"} <= set(experiments)
    assert sorted(experiments.policy) == ["delegation", "delegation", "distributed", "distributed"]
    assert json.loads((d / "salib_problem.json").read_text())["num_vars"] == 0  # nothing numeric swept


def test_figures_png_and_pdf_and_progress_is_shown(sweep2x2):
    d, r = sweep2x2
    for suffix in ("png", "pdf"):
        f = d / "figures" / f"overview.{suffix}"
        assert f.is_file() and f.stat().st_size > 5000
    assert "[leadsim] sweep of 4 runs" in r.stderr
    assert "4/4 runs done (0 skipped, 0 failed)" in r.stderr
    assert "runs done" in r.stderr and "left" in r.stderr


def test_rerun_skips_complete_runs(sweep2x2, tmp_path):
    d, _ = sweep2x2
    before = {p.name: (p / "metrics.json").stat().st_mtime_ns for p in run_dirs(d)}
    r = leadsim_m(d, *REGIMES_2x2, *SMALL, "hydra.launcher.n_jobs=2", NO_FIGURES, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "4/4 runs done (4 skipped, 0 failed)" in r.stderr
    after = {p.name: (p / "metrics.json").stat().st_mtime_ns for p in run_dirs(d)}
    assert after == before


def test_a_changed_config_is_run_again_not_skipped(tmp_path):
    d = tmp_path / "s"
    assert leadsim_m(d, "seed=0,1", *SMALL, "hydra/launcher=basic", NO_FIGURES, cwd=tmp_path).returncode == 0
    r = leadsim_m(d, "seed=0,1", *SMALL, "culture.trust=0.9", "hydra/launcher=basic", NO_FIGURES, cwd=tmp_path)
    assert r.returncode == 0 and "(0 skipped" in r.stderr
    assert (results(d)["culture.trust"] == 0.9).all()


FLAKY = """
import sys
import simulation.runner as runner
real = runner.simulate
def flaky(cfg, progress=None):
    if cfg.seed == 1 and cfg.coordination.name == "distributed":
        raise RuntimeError("injected failure for the test")
    return real(cfg, progress)
runner.simulate = flaky
from simulation.cli import main
main(sys.argv[1:])
"""


def test_failed_run_is_recorded_does_not_stop_others_and_is_retried(tmp_path):
    d = tmp_path / "s"
    args = [f"hydra.sweep.dir={d}", *REGIMES_2x2, *SMALL, "hydra/launcher=basic", NO_FIGURES]
    r = subprocess.run(
        [sys.executable, "-c", FLAKY, "-m", *args], capture_output=True, text=True, cwd=tmp_path, timeout=180
    )
    assert r.returncode == 1, r.stderr
    assert "1 run(s) failed" in r.stderr
    df = results(d)
    assert list(df.status) == ["ok", "ok", "ok", "failed"]
    bad = df[df.status == "failed"].iloc[0]
    assert bad["coordination.name"] == "distributed" and bad.seed == 1  # parameters known
    assert "injected failure" in bad.error and np.isnan(bad.throughput)
    assert "RuntimeError: injected failure" in (d / bad.run_dir / "error.txt").read_text()
    assert not (d / bad.run_dir / "metrics.json").exists()
    s = pd.read_csv(d / "summary.csv").set_index("coordination.name")
    assert s.loc["distributed", "failed"] == 1 and s.loc["distributed", "throughput_n"] == 1
    assert np.isnan(s.loc["distributed", "throughput_ci_low"])  # one run: no interval

    # The same command without the fault runs only the failed run.
    good = {p.name: (p / "metrics.json").stat().st_mtime_ns for p in run_dirs(d) if (p / "metrics.json").exists()}
    r = leadsim_m(d, *args[1:], cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "4/4 runs done (3 skipped, 0 failed)" in r.stderr
    assert {k: (d / k / "metrics.json").stat().st_mtime_ns for k in good} == good
    df = results(d)
    assert list(df.status) == ["ok"] * 4 and df.error.isna().all()
    assert not (d / bad.run_dir / "error.txt").exists()


def test_report_on_a_partial_sweep(sweep2x2, tmp_path):
    """A run killed before it finished, and one never started: the report still works."""
    src, _ = sweep2x2
    d = tmp_path / "partial"
    import shutil

    shutil.copytree(src, d)
    for f in ("results.parquet", "results.csv", "summary.csv"):
        (d / f).unlink()
    shutil.rmtree(d / "3")  # never started
    (d / "2" / "metrics.json").unlink()  # killed mid-run
    st = json.loads((d / "2" / "status.json").read_text())
    (d / "2" / "status.json").write_text(json.dumps({**st, "status": "running"}))
    r = subprocess.run([*REPORT, str(d), "--no-figures"], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "3 runs of 4: 2 ok, 0 failed, 1 incomplete, 1 not started" in r.stdout
    df = results(d)
    assert list(df.status) == ["ok", "ok", "incomplete"]
    assert df.loc[2, "coordination.name"] == "distributed"  # its parameters are still known
    s = pd.read_csv(d / "summary.csv").set_index("coordination.name")
    assert s.loc["distributed", "incomplete"] == 1 and s.loc["distributed", "throughput_n"] == 0


@pytest.mark.parametrize(
    "args, message",
    [
        (["/nonexistent/sweep"], "SWEEP_DIR: no such folder"),
        (["{tmp}"], "SWEEP_DIR: no run folders"),
        (["{tmp}", "--metrics", "speed"], "--metrics: unknown metric 'speed'"),
    ],
)
def test_report_bad_input_is_one_line_exit_2(tmp_path, args, message):
    args = [a.format(tmp=tmp_path) for a in args]
    r = subprocess.run([*REPORT, *args], capture_output=True, text=True, timeout=60)
    assert r.returncode == 2
    assert r.stderr.strip().count("\n") == 0 and message in r.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_swept_parameter_figures_and_heatmap(tmp_path):
    d = tmp_path / "s"
    r = leadsim_m(
        d,
        "coordination=delegation,distributed",
        "organization.clarity=0.2,0.8",
        "culture.trust=0.4,0.8",
        "seed=0,1",
        *SMALL,
        "steps=40",
        "hydra.callbacks.report.metrics=[throughput,role_ambiguity]",
        "hydra.launcher.n_jobs=2",
        cwd=tmp_path,
    )
    assert r.returncode == 0, r.stderr
    names = {p.name for p in (d / "figures").iterdir()}
    for stem in (
        "overview_organization_clarity",
        "overview_culture_trust",
        "throughput_vs_organization_clarity",
        "role_ambiguity_vs_culture_trust",
        "heatmap_throughput",
        "heatmap_role_ambiguity",
    ):
        assert {f"{stem}.png", f"{stem}.pdf"} <= names, stem
    s = pd.read_csv(d / "summary.csv")
    assert list(s.columns[:3]) == ["coordination.name", "organization.clarity", "culture.trust"]
    assert len(s) == 8 and (s.throughput_n == 2).all()
    p = pd.read_csv(d / "paired.csv")
    assert len(p) == 4 and set(p.regime) == {"distributed"}
    problem = json.loads((d / "salib_problem.json").read_text())
    assert problem["names"] == ["culture.trust", "organization.clarity"]
    assert problem["bounds"] == [[0.4, 0.8], [0.2, 0.8]]


def test_single_run_is_unchanged(tmp_path):
    out = tmp_path / "run"
    r = subprocess.run(
        [sys.executable, "-m", "simulation", f"hydra.run.dir={out}", *SMALL],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert r.returncode == 0, r.stderr
    assert "throughput" in r.stdout
    names = {p.name for p in out.iterdir()}
    assert {"config.yaml", "metrics.json", "timeseries.csv"} <= names and "status.json" not in names
    check = json.loads((out / "metrics.json").read_text())
    assert list(check)[: len(METRICS)] == list(METRICS)


def test_run_folders_are_complete(sweep2x2):
    d, _ = sweep2x2
    for p in run_dirs(d):
        check_run_folder(p)


def test_samples_sweeper_runs_design_rows_and_records_bad_values(tmp_path):
    design = tmp_path / "design.csv"
    design.write_text("culture.trust,organization.clarity\n0.25,0.5\n1.5,0.1\n0.75,0.9\n")
    d = tmp_path / "s"
    r = leadsim_m(
        d,
        "hydra/sweeper=samples",
        f"hydra.sweeper.samples={design}",
        "coordination=delegation,distributed",
        *SMALL,
        "hydra/launcher=basic",
        NO_FIGURES,
        cwd=tmp_path,
    )
    assert r.returncode == 1, r.stderr  # the bad row failed; the others ran
    df = results(d)
    assert list(df.job) == list(range(6))
    assert list(df.status) == ["ok", "ok", "failed", "failed", "ok", "ok"]
    assert list(df["coordination.name"][df.status == "ok"]) == ["delegation", "distributed"] * 2
    assert list(df["culture.trust"][df.status == "ok"]) == [0.25, 0.25, 0.75, 0.75]
    assert df.error[2].startswith("ConfigError: culture.trust: must be in [0.0, 1.0]")
    # A key both in the design and on the command line is refused in one line.
    r = leadsim_m(
        tmp_path / "t",
        "hydra/sweeper=samples",
        f"hydra.sweeper.samples={design}",
        "culture.trust=0.1,0.2",
        *SMALL,
        "hydra/launcher=basic",
        cwd=tmp_path,
    )
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert r.stderr.strip().splitlines()[-1].startswith("leadsim: error: culture.trust: set by")


def test_a_smaller_sweep_into_the_same_folder_reports_only_its_own_runs(tmp_path):
    d = tmp_path / "s"
    assert leadsim_m(d, "seed=0,1,2", *SMALL, "hydra/launcher=basic", NO_FIGURES, cwd=tmp_path).returncode == 0
    r = leadsim_m(d, "seed=0,1", *SMALL, "hydra/launcher=basic", NO_FIGURES, cwd=tmp_path)
    assert r.returncode == 0 and "ignoring 1 run folder(s) numbered 2 or more" in r.stderr
    assert list(results(d).seed) == [0, 1]


def test_runs_of_other_model_code_are_run_again(tmp_path):
    """An editable install keeps its version while the code changes: the model's source
    hash in status.json decides too."""
    from simulation.sweep.resume import code_fingerprint

    d = tmp_path / "s"
    args = ["seed=0,1", *SMALL, "hydra/launcher=basic", NO_FIGURES]
    assert leadsim_m(d, *args, cwd=tmp_path).returncode == 0
    assert (results(d).code == code_fingerprint()).all()
    status = json.loads((d / "1" / "status.json").read_text())
    (d / "1" / "status.json").write_text(json.dumps({**status, "code": "older-model"}))
    r = leadsim_m(d, *args, cwd=tmp_path)
    assert r.returncode == 0 and "2/2 runs done (1 skipped, 0 failed)" in r.stderr
    assert json.loads((d / "1" / "status.json").read_text())["code"] == code_fingerprint()
