"""Global sensitivity analysis: SALib designs through the sweep machinery."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from sweep_helpers import results

from simulation.config import field_docs
from simulation.sweep.sensitivity import DUMMY, UsageError, analyze, make_design, outputs, parse_param, run_table

DOCS = field_docs()
SENS = [sys.executable, "-m", "simulation.sweep.sensitivity"]  # = leadsim-sensitivity


def test_parse_param_checks_key_and_range():
    assert parse_param("culture.trust=0.1:0.9", DOCS) == ("culture.trust", 0.1, 0.9, False)
    assert parse_param("organization.leader_capacity=1:6", DOCS)[3] is True
    for bad, msg in [
        ("culture.trust", "KEY=LOW:HIGH"),
        ("culture.trust=0.9:0.1", "LOW < HIGH"),
        ("culture.trust=0:2", "<= 1.0"),
        ("culture.nope=0:1", "not a numeric parameter"),
        ("organization.network=0:1", "not a numeric parameter"),
        ("culture.trust=a:b", "numbers"),
    ]:
        with pytest.raises(UsageError, match=msg):
            parse_param(bad, DOCS)


@pytest.mark.parametrize("method, n, rows", [("morris", 3, 3 * 5), ("sobol", 8, 8 * 6)])
def test_design_sizes_rounding_and_dummy(method, n, rows):
    params = [
        ("culture.trust", 0.1, 0.9, False),
        ("organization.leader_capacity", 1, 6, True),
        ("organization.clarity", 0.0, 1.0, False),
    ]
    problem, X, table = make_design(method, params, n, 4, 0, dummy=True)
    assert problem["names"][-1] == DUMMY and X.shape == (rows, 4)
    runs = run_table(table, X, problem, method, 4, seeds=3)
    assert len(runs) == 3 * rows and list(runs.columns[-1:]) == ["seed"]
    blocks = runs.seed.to_numpy().reshape(rows, 3)
    assert (blocks - blocks[:, :1] == [0, 1, 2]).all() and (blocks[:, 0] % 3 == 0).all()
    assert list(table.columns) == ["culture.trust", "organization.leader_capacity", "organization.clarity"]
    assert table["organization.leader_capacity"].dtype.kind == "i"
    assert table["organization.leader_capacity"].between(1, 6).all()
    assert table["culture.trust"].between(0.1, 0.9).all()


def test_analysis_recovers_a_known_function():
    """y = 4 x0 + x1 (x2 and the dummy unused): the indices must say so."""
    params = [("a", 0.0, 1.0, False), ("b", 0.0, 1.0, False), ("c", 0.0, 1.0, False)]
    for method, n in (("morris", 20), ("sobol", 256)):
        problem, X, _ = make_design(method, params, n, 4, 1, dummy=True)
        Y = pd.DataFrame({"y": 4 * X[:, 0] + X[:, 1]})
        idx, skipped = analyze(method, problem, X, Y, seed=1)
        assert not skipped
        idx = idx.set_index("parameter")
        if method == "morris":
            assert idx.loc["a", "mu_star"] == pytest.approx(4) and idx.loc["b", "mu_star"] == pytest.approx(1)
            assert idx.loc["c", "mu_star"] == 0 and idx.loc[DUMMY, "mu_star"] == 0
        else:
            assert idx.loc["a", "ST"] == pytest.approx(16 / 17, abs=0.05)
            assert idx.loc["b", "ST"] == pytest.approx(1 / 17, abs=0.03)
            assert abs(idx.loc["c", "ST"]) < 0.01 and idx.loc["a", "ST_conf"] > 0


def test_outputs_pair_regimes_by_seed():
    rows = []
    for job, (_sample, regime, seed, y) in enumerate(
        [
            (0, "delegation", 0, 1.0),
            (0, "delegation", 1, 3.0),
            (0, "distributed", 0, 2.0),
            (0, "distributed", 1, 7.0),
            (1, "delegation", 0, 5.0),
            (1, "delegation", 1, 5.0),
            (1, "distributed", 0, 4.0),
            (1, "distributed", 1, 4.0),
        ]
    ):
        rows.append({"job": job, "status": "ok", "coordination.name": regime, "seed": seed, "throughput": y})
    Y = outputs(pd.DataFrame(rows), 2, ["delegation", "distributed"], 2, ["throughput"])
    assert Y["throughput[delegation]"].tolist() == [2.0, 5.0]
    assert Y["throughput[distributed]"].tolist() == [4.5, 4.0]
    assert Y["throughput[distributed-delegation]"].tolist() == [2.5, -1.0]


def test_outputs_of_a_regime_whose_metric_is_never_defined_are_nan():
    """A metric NaN in every run of one regime gives that regime a NaN column (the
    screen then leaves it out with a note), not a crash."""
    rows = [
        {"job": job, "status": "ok", "coordination.name": regime, "seed": 0, "lead_time_mean": y}
        for job, (regime, y) in enumerate(
            [("delegation", 1.0), ("distributed", float("nan")), ("delegation", 2.0), ("distributed", float("nan"))]
        )
    ]
    Y = outputs(pd.DataFrame(rows), 2, ["delegation", "distributed"], 1, ["lead_time_mean"])
    assert Y["lead_time_mean[delegation]"].tolist() == [1.0, 2.0]
    assert Y["lead_time_mean[distributed]"].isna().all()
    assert "lead_time_mean[distributed-delegation]" not in Y


@pytest.mark.slow
def test_morris_through_the_sweep_machinery_and_resume(tmp_path):
    out = tmp_path / "sens"
    cmd = [
        *SENS,
        "--method",
        "morris",
        "-n",
        "2",
        "--seeds",
        "1",
        "--out",
        str(out),
        "--param",
        "culture.trust=0.3:0.9",
        "--param",
        "organization.clarity=0:1",
        "--jobs",
        "2",
        "--metrics",
        "throughput,role_ambiguity",
        "--publish",
        str(tmp_path / "pub"),
        "organization=team",
        "steps=40",
        "warmup=5",
    ]
    r = subprocess.run(cmd, capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    assert "8 samples x 2 regimes x 1 seeds = 16 runs" in r.stderr
    df = results(out)
    assert len(df) == 16 and (df.status == "ok").all()
    design = pd.read_csv(out / "sensitivity" / "design.csv", float_precision="round_trip")
    # Job j ran design row j // 2 (two regimes, one seed), with exactly its values and seed.
    for col in ("culture.trust", "organization.clarity", "seed"):
        np.testing.assert_array_equal(df[col].to_numpy(), design[col].to_numpy().repeat(2))
    # The dummy only picks the block of seeds: same dummy value, same seed.
    dummy = pd.read_csv(out / "sensitivity" / "samples.csv")[DUMMY]
    assert design.groupby(dummy.to_numpy()).seed.nunique().max() == 1
    assert design.seed.nunique() == dummy.nunique() > 1
    idx = pd.read_csv(out / "sensitivity" / "indices.csv")
    assert set(idx.output) == {
        f"{m}[{r}]"
        for m in ("throughput", "role_ambiguity")
        for r in ("delegation", "distributed", "distributed-delegation")
    }
    assert set(idx.parameter) == {"culture.trust", "organization.clarity", DUMMY}
    assert {"mu", "mu_star", "mu_star_conf", "sigma"} <= set(idx.columns)
    # Re-drawing the seeds moves throughput: the dummy's effect is the noise level.
    assert idx.set_index(["output", "parameter"]).loc[("throughput[delegation]", DUMMY), "mu_star"] > 0
    for f in ("indices.png", "indices.pdf"):
        assert (out / "sensitivity" / f).stat().st_size > 5000
    assert {p.name for p in (tmp_path / "pub").iterdir()} == {"indices.csv", "indices.png"}

    # Analysing again (no runs needed) gives identical indices.
    r = subprocess.run([*cmd, "--analyze-only"], capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    pd.testing.assert_frame_equal(pd.read_csv(out / "sensitivity" / "indices.csv"), idx)
    # Another design into the same folder is refused.
    n_at = cmd.index("-n") + 1
    r = subprocess.run([*cmd[:n_at], "3", *cmd[n_at + 1 :]], capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert r.returncode == 2 and "holds a different design" in r.stderr
    assert json.loads((out / "sensitivity" / "spec.json").read_text())["n"] == 2


@pytest.mark.parametrize(
    "args, msg",
    [
        (["--param", "culture.trust=0:1"], "at least two"),
        (["--param", "culture.trust=0:1", "--param", "culture.feedback=0:1", "--metrics", "speed"], "unknown metric"),
        (
            ["--param", "culture.trust=0:1", "--param", "culture.feedback=0:1", "--method", "sobol", "-n", "10"],
            "power of two",
        ),
        (["--param", "culture.trust=0:1", "--param", "culture.feedback=0:1", "--regimes", "anarchy"], "unknown regime"),
        (["--param", "culture.trust=0:1", "--param", "culture.feedback=0:1", "seed=3"], "seed: set by"),
    ],
)
def test_bad_input_exits_2_with_one_line_and_writes_nothing(tmp_path, args, msg):
    r = subprocess.run([*SENS, "--out", str(tmp_path / "o"), *args], capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and msg in r.stderr and r.stderr.strip().count("\n") == 0
    assert not (tmp_path / "o").exists()


def _stored_design(out, throughput, lead_time, failed_job=None):
    """Chunk rows for every run of the design in ``out`` (no simulation): throughput and
    lead time as functions of the design row; ``lead_time`` may return NaN."""
    from simulation.sweep import chunks

    design = pd.read_csv(out / "sensitivity" / "design.csv", float_precision="round_trip")
    regimes = ["delegation", "distributed"]
    rows = []
    for job in range(len(design) * 2):
        d = design.iloc[job // 2]
        rows.append(
            {
                "job": job,
                "status": "ok",
                "finished": float(job),
                "coordination.name": regimes[job % 2],
                **d.to_dict(),
                "throughput": throughput(d),
                "lead_time_mean": lead_time(d),
            }
        )
    df = pd.DataFrame(rows)
    if failed_job is not None:
        df.loc[failed_job, ["status", "throughput", "lead_time_mean"]] = ["failed", np.nan, np.nan]
    (out / "chunks").mkdir(exist_ok=True)
    chunks._write_parquet(out / "chunks" / "runs-0000000-0000099.parquet", df)


@pytest.mark.parametrize(
    "metrics, failed_job, code",
    [("throughput,lead_time_mean", None, 0), ("lead_time_mean", None, 2), ("throughput,lead_time_mean", 3, 1)],
)
def test_an_output_undefined_for_some_samples_is_left_out_with_a_note(tmp_path, capsys, metrics, failed_job, code):
    """lead_time_mean is NaN for the samples with low trust (say no task finished): it is
    not analysable; throughput is; exit 0. Asked for alone: exit 2, one line. A failed run:
    every output lacks that sample; exit 1, as the sweep's own exit code."""
    from simulation.sweep import sensitivity

    out = tmp_path / "sens"
    args = ["--method", "morris", "-n", "4", "--seeds", "1", "--out", str(out), "--analyze-only"]
    args += ["--param", "culture.trust=0.1:0.9", "--param", "organization.clarity=0:1", "--metrics"]
    with pytest.raises(SystemExit) as e:  # nothing stored yet
        sensitivity.main([*args, metrics])
    assert e.value.code == 1 and "no finished runs" in capsys.readouterr().err
    _stored_design(
        out,
        lambda d: 3 * d["culture.trust"] + d["organization.clarity"],
        lambda d: np.nan if d["culture.trust"] < 0.4 else 5.0 - d["culture.trust"],
        failed_job,
    )
    samples = pd.read_csv(out / "sensitivity" / "samples.csv")
    n, nan_samples = len(samples), int((samples["culture.trust"] < 0.4).sum())
    assert 0 < nan_samples < n == 16
    with pytest.raises(SystemExit) as e:
        sensitivity.main([*args, metrics])
    err = capsys.readouterr().err
    assert e.value.code == code, err
    if code == 2:
        lines = [line for line in err.splitlines() if "error" in line]
        assert len(lines) == 1 and "--metrics: lead_time_mean undefined (NaN)" in lines[0]
        return
    idx = pd.read_csv(out / "sensitivity" / "indices.csv")
    if code == 0:
        assert f"lead_time_mean[delegation]: not analysable: undefined (NaN) for {nan_samples} of {n} samples" in err
        assert set(idx.output) == {
            "throughput[delegation]",
            "throughput[distributed]",
            "throughput[distributed-delegation]",
        }
        assert idx.set_index(["output", "parameter"]).loc[("throughput[delegation]", "culture.trust"), "mu_star"] > 0
    else:
        assert f"1 of {n} samples lack finished runs" in err
