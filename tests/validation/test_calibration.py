"""Calibration (simulation/calibration/): bad input through the real command, the pieces
on constructed inputs, a small calibration end to end, resume after a kill, and
parameter recovery (coverage) at small scale."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

pytest.importorskip("pyabc")

from simulation.calibration import UsageError, load_spec, weighted_quantile
from simulation.calibration.abc import ScaledDistance, resample, summary
from simulation.calibration.checks import regime_summary

ROOT = Path(__file__).resolve().parents[2]
KRACK_TARGETS = ROOT / "examples/organisations/krackhardt-1987/targets.yaml"
SMALL = {
    "targets": {"throughput": {"value": 1.5, "sd": 0.2}, "success_rate": {"value": 0.8, "sd": 0.05}},
    "priors": {"workload.arrival_rate": [0.5, 3.0]},
    "overrides": ["organization=team", "steps=100", "warmup=30"],
    "abc": {"population": 20, "generations": 2, "predictive": 8, "compare": 4},
}


def write(tmp_path: Path, data: dict, name="targets.yaml") -> Path:
    p = tmp_path / name
    p.write_text(yaml.safe_dump(data))
    return p


def calibrate_cmd(*args, cwd, timeout=600, **popen):
    exe = Path(sys.executable).parent / "leadsim-calibrate"
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "simulation.calibration.cli"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    if popen:
        return subprocess.Popen([*cmd, *args], cwd=cwd, env=env, **popen)
    return subprocess.run([*cmd, *args], capture_output=True, text=True, cwd=cwd, timeout=timeout, env=env)


# --- bad input ------------------------------------------------------------------------


def _with(**changes):
    d = yaml.safe_load(yaml.safe_dump(SMALL))
    for key, value in changes.items():
        section, _, sub = key.partition("__")
        if sub:
            d[section][sub] = value
        else:
            d[section] = value
    return d


BAD = {
    "unknown metric": (_with(targets__happiness={"value": 1, "sd": 1}), "targets.happiness: unknown metric"),
    "sd zero": (_with(targets__throughput={"value": 1, "sd": 0}), "targets.throughput.sd: must be a number > 0"),
    "no value": (_with(targets__throughput={"sd": 1}), "targets.throughput: must be {value: NUMBER, sd: NUMBER > 0}"),
    "prior out of range": (
        _with(priors={"culture.trust": [0.2, 1.5]}),
        "priors culture.trust: need 0.0 <= LOW < HIGH <= 1.0, got [0.2, 1.5]",
    ),
    "prior on a choice": (
        _with(priors={"coordination.name": [0, 1]}),
        "priors coordination.name: not a numeric parameter",
    ),
    "prior reversed": (_with(priors={"culture.trust": [0.8, 0.2]}), "need 0.0 <= LOW < HIGH <= 1.0"),
    "unknown key": (_with(target={}), "key target: unknown key"),
    "bad override": (
        _with(overrides=["organization.clarity=2"]),
        "overrides: organization.clarity: must be in [0.0, 1.0]",
    ),
    "bad abc setting": (_with(abc={"population": 3}), "abc, key population: must be an integer in [10, 1000000]"),
    "bad organisation": (
        _with(overrides=["organization=from_files", "organization.path=nowhere"]),
        "nowhere' is not a folder",
    ),
}


@pytest.mark.parametrize("case", BAD)
def test_bad_input_is_a_usage_error_naming_the_key(case, tmp_path):
    data, expected = BAD[case]
    with pytest.raises(UsageError) as err:
        from simulation.calibration.run import prepare

        spec = load_spec(write(tmp_path, data))
        prepare(spec, tmp_path / "out")
    assert expected in str(err.value) and "\n" not in str(err.value)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("case", ["unknown metric", "bad organisation"])
def test_bad_input_through_the_real_command(case, tmp_path):
    data, expected = BAD[case]
    r = calibrate_cmd(str(write(tmp_path, data)), "--out", str(tmp_path / "out"), cwd=tmp_path, timeout=120)
    lines = r.stderr.strip().splitlines()
    assert r.returncode == 2 and len(lines) == 1, r.stderr
    assert lines[0].startswith("leadsim-calibrate: error: ") and expected in lines[0]
    assert not (tmp_path / "out").exists() and sorted(p.name for p in tmp_path.iterdir()) == ["targets.yaml"]


def test_command_line_priors_and_settings(tmp_path):
    r = calibrate_cmd(
        str(write(tmp_path, SMALL)), "--prior", "culture.trust=0.9:0.1", "--out", "o", cwd=tmp_path, timeout=120
    )
    assert r.returncode == 2 and "--prior culture.trust: need 0.0 <= LOW < HIGH <= 1.0" in r.stderr
    spec = load_spec(
        write(tmp_path, SMALL), priors=["culture.trust=0.1:0.9"], overrides=["seed=3"], settings={"population": 30}
    )
    assert spec.priors == {"workload.arrival_rate": (0.5, 3.0, False), "culture.trust": (0.1, 0.9, False)}
    assert spec.overrides[-1] == "seed=3" and spec.abc["population"] == 30 and spec.abc["generations"] == 2


def test_organisation_path_is_relative_to_the_targets_file():
    spec = load_spec(KRACK_TARGETS)
    path = next(o for o in spec.overrides if o.startswith("organization.path="))
    assert Path(path.split("=", 1)[1]) == KRACK_TARGETS.parent.resolve()


def test_other_calibration_in_the_folder_is_refused(tmp_path):
    from simulation.calibration.run import _write_settings, prepare

    out = tmp_path / "out"
    out.mkdir()
    spec = load_spec(write(tmp_path, SMALL))
    _write_settings(out, spec, "running")
    prepare(spec, out)  # the same calibration: continue
    other = load_spec(write(tmp_path, _with(priors={"workload.arrival_rate": [0.5, 2.0]}), "other.yaml"))
    with pytest.raises(UsageError, match="holds a calibration with other"):
        prepare(other, out)
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "notes.txt").write_text("mine")
    with pytest.raises(UsageError, match="not empty and not a calibration folder"):
        prepare(spec, tmp_path / "x")


# --- pieces on constructed inputs ---------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(-1e6, 1e6), min_size=1, max_size=40), st.floats(0.001, 0.999))
def test_weighted_quantile_with_equal_weights_is_numpys_inverted_cdf(values, q):
    got = weighted_quantile(values, np.ones(len(values)), q)[0]
    assert got == np.quantile(values, q, method="inverted_cdf")


def test_weighted_quantile_counts_weights_as_repeats():
    assert list(weighted_quantile([3.0, 1.0, 2.0], [1, 2, 1], [0.25, 0.5, 0.75, 1.0])) == [1.0, 1.0, 2.0, 3.0]


def test_scaled_distance_is_in_units_of_each_sd():
    d = ScaledDistance({"a": (0.0, 2.0), "b": (0.0, 0.5)})
    assert d({"a": 3.0, "b": 1.0}, {"a": 1.0, "b": 1.0}) == pytest.approx(1.0)
    assert d({"a": 1.0, "b": 2.0}, {"a": 1.0, "b": 1.0}) == pytest.approx(2.0)
    assert d({"a": float("nan"), "b": 1.0}, {"a": 1.0, "b": 1.0}) == float("inf")


def test_summary_and_resampling_follow_the_weights():
    post = pd.DataFrame({"x": [0.1, 0.5, 0.9], "weight": [0.0, 1.0, 0.0], "generation": 2})
    spec = load_spec(KRACK_TARGETS)
    spec.priors = {"x": (0.0, 1.0, False)}
    s = summary(post, spec).iloc[0]
    assert s["median"] == s.ci_low == s.ci_high == s["mean"] == 0.5 and s.sd == 0
    draws = resample(post, 50, seed=1)
    assert (draws.x == 0.5).all() and list(draws.columns) == ["x"]
    assert resample(post.assign(weight=[0.3, 0.3, 0.4]), 20, 7).equals(
        resample(post.assign(weight=[0.3, 0.3, 0.4]), 20, 7)
    )


def test_regime_summary_pairs_draws():
    runs = pd.DataFrame(
        [
            {"draw": d, "regime": r, "seed": d, "culture.trust": 0.5, "throughput": base + d}
            for d in range(10)
            for r, base in (("delegation", 1.0), ("distributed", 1.5), ("hybrid", 0.5))
        ]
    )
    t = regime_summary(runs).set_index("regime")
    assert list(t.metric.unique()) == ["throughput"]
    assert t.loc["distributed - delegation", "median"] == 0.5 and t.loc["distributed - delegation", "ci_low"] == 0.5
    assert t.loc["hybrid - distributed", "share_positive"] == 0.0
    assert t.loc["distributed - delegation", "share_positive"] == 1.0 and t.loc["delegation", "n"] == 10


# --- end to end ---------------------------------------------------------------------------


@pytest.mark.slow
def test_small_calibration_writes_every_output(tmp_path):
    from simulation.calibration import calibrate

    spec = load_spec(write(tmp_path, SMALL))
    res = calibrate(spec, tmp_path / "out", cores=2, log=lambda s: None)
    out = tmp_path / "out"
    for name in (
        "calibration.db",
        "posterior.parquet",
        "summary.csv",
        "generations.csv",
        "posterior.png",
        "predictive.parquet",
        "predictive.csv",
        "predictive.png",
        "regimes.parquet",
        "regimes.csv",
        "regimes.png",
        "calibration.yaml",
    ):
        assert (out / name).is_file(), name
    post = pd.read_parquet(out / "posterior.parquet")
    assert len(post) == 20 and post.weight.sum() == pytest.approx(1.0)
    assert post["workload.arrival_rate"].between(0.5, 3.0).all()
    s = pd.read_csv(out / "summary.csv").iloc[0]
    assert s.ci_low <= s["median"] <= s.ci_high
    assert len(res.generations) == 2 and (np.diff(res.generations.epsilon) <= 0).all()
    assert yaml.safe_load((out / "calibration.yaml").read_text())["status"] == "done"
    regimes = pd.read_parquet(out / "regimes.parquet")
    assert len(regimes) == 4 * 3 and set(regimes.regime) == {"delegation", "distributed", "hybrid"}
    # Common random numbers: each draw runs every regime with the same seed and parameters.
    assert (regimes.groupby("draw")[["seed", "workload.arrival_rate"]].nunique() == 1).all().all()
    # The checks are reproducible from the posterior and the seed.
    from simulation.calibration import checks
    from simulation.calibration.spec import base_configs

    again = checks.predictive(res.posterior, spec, base_configs(spec)[None], cores=1)
    pd.testing.assert_frame_equal(again, res.predictive)


@pytest.mark.slow
def test_a_one_core_calibration_repeats_exactly(tmp_path):
    """Same targets, same ``abc.seed``, one core: the same posterior, bit for bit; another
    seed draws other particles."""
    from simulation.calibration import calibrate

    def posterior(seed: int, name: str) -> pd.DataFrame:
        data = _with(abc={"population": 10, "generations": 2, "predictive": 0, "compare": 0, "seed": seed})
        spec = load_spec(write(tmp_path, data, name=f"{name}.yaml"))
        calibrate(spec, tmp_path / name, cores=1, log=lambda s: None)
        return pd.read_parquet(tmp_path / name / "posterior.parquet")

    first, again, other = posterior(3, "a"), posterior(3, "b"), posterior(4, "c")
    pd.testing.assert_frame_equal(first, again)
    assert not first["workload.arrival_rate"].equals(other["workload.arrival_rate"])


def _generations_in(db: Path) -> int:
    if not db.is_file():
        return 0
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1) as con:
            return con.execute("select count(*) from populations where t >= 0").fetchone()[0]
    except sqlite3.Error:
        return 0


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_killed_calibration_continues_where_it_stopped(tmp_path):
    data = _with(abc={"population": 20, "generations": 4, "min_epsilon": 0.0, "predictive": 0, "compare": 0})
    targets = write(tmp_path, data)
    out = tmp_path / "out"
    proc = calibrate_cmd(
        str(targets),
        "--out",
        str(out),
        "--cores",
        "2",
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.time() + 300
    while _generations_in(out / "calibration.db") < 2 and time.time() < deadline and proc.poll() is None:
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    before = _generations_in(out / "calibration.db")
    assert 2 <= before < 4, "killed after two complete generations, before the fourth"
    with sqlite3.connect(out / "calibration.db") as con:
        eps_before = [e for (e,) in con.execute("select epsilon from populations where t >= 0 order by t")]
    r = calibrate_cmd(str(targets), "--out", str(out), "--cores", "2", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert f"continuing the calibration in {out} after {before} complete generation(s)" in r.stderr
    gens = pd.read_csv(out / "generations.csv")
    assert list(gens.generation) == [0, 1, 2, 3]
    assert list(gens.epsilon[:before]) == pytest.approx(eps_before[:before])
    with sqlite3.connect(out / "calibration.db") as con:
        assert con.execute("select count(*) from abc_smc").fetchone()[0] == 1, "one run continued, not a new one"


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_parameter_recovery_at_small_scale():
    """True values drawn from the priors fall inside the 95 % intervals in most replicates,
    and the intervals are narrower than the priors (the targets carry information)."""
    from simulation.calibration.recovery import PRIORS, study

    df = study(
        4,
        population=30,
        generations=2,
        seeds=4,
        cores=2,
        seed=11,
        log=lambda s: None,
        overrides=["organization=team", "steps=120", "warmup=30"],
    )
    assert len(df) == 4 * len(PRIORS)
    assert df.covered.mean() >= 0.75, df
    width = (df.ci_high - df.ci_low) / df.parameter.map({k: hi - lo for k, (lo, hi, _) in PRIORS.items()})
    assert width.median() < 0.8, df
