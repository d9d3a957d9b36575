"""``leadsim-sensitivity`` reads the sweep window by window, only the columns it needs,
and writes what it wrote when it read the whole table into memory (``report.collect``)."""

from __future__ import annotations

import json
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from simulation.config import field_docs
from simulation.metrics import METRICS
from simulation.sweep import chunks, report, resume, sensitivity, stream

REGIMES = ["delegation", "distributed"]
PARAMS = ["--param", "culture.trust=0.1:0.9", "--param", "organization.clarity=0:1"]
DEFAULTS = {
    k: (json.dumps(d["default"]) if isinstance(d["default"], list) else d["default"]) for k, d in field_docs().items()
}


def _metrics(d: dict, regime: str) -> dict:
    """Made-up metrics of a run: lead time undefined at low trust (no task finished)."""
    trust, seed = d["culture.trust"], d["seed"]
    return {
        "throughput": 3 * trust + d["organization.clarity"] + 0.1 * seed + (0.5 if regime == "distributed" else 0.0),
        "lead_time_mean": np.nan if trust < 0.4 else 5.0 - trust + 0.01 * seed,
    }


def _store(out, chunk_jobs, folder_jobs, failed=(), both=(), mismatch=None) -> None:
    """Every run of the design in ``out``: ``chunk_jobs`` as rows of two chunk files
    (plus a part file that replaces one row), ``folder_jobs`` as run folders; ``failed``
    jobs failed; a job in ``both`` is stored both ways with different values (the
    chunk's row counts). ``mismatch``: {job: column} stored off the design."""
    design = pd.read_csv(out / "sensitivity" / "design.csv", float_precision="round_trip")
    mismatch = mismatch or {}

    def row(job):
        d = {**DEFAULTS, **design.iloc[job // 2].to_dict()}
        regime = REGIMES[job % 2]
        d.update({"coordination": regime, "coordination.name": regime, "seed": int(d["seed"])})
        d.update(dict.fromkeys(METRICS, np.nan))
        d.update(_metrics(d, regime))
        if job in mismatch:
            d[mismatch[job]] += 0.01
        if job in failed:
            d.update(dict.fromkeys(METRICS, np.nan))
        return d

    rows = []
    for job in chunk_jobs:
        r = row(job)
        rows.append({"job": job, "status": "failed" if job in failed else "ok", "finished": 1.7e9 + job, **r})
    df = pd.DataFrame(rows)
    (out / chunks.DIR).mkdir(exist_ok=True)
    half = len(df) // 2
    for part in (df.iloc[:half], df.iloc[half:]):
        first, last = int(part.job.min()), int(part.job.max())
        chunks._write_parquet(out / chunks.DIR / f"{chunks.chunk_name(first, last)}.parquet", part)
    # A part file written later replaces the first chunk's second row.
    late = df.iloc[[1]].assign(finished=2e9)
    late["throughput"] = late["throughput"] + 1.0
    chunks._write_parquet(out / chunks.DIR / f"{chunks.chunk_name(0, 0)}.part-9-1.parquet", late)
    for job in [*folder_jobs, *both]:
        d = out / str(job)
        d.mkdir()
        r = row(job)
        nested: dict = {}
        for k, v in r.items():
            if k in METRICS or k == "coordination":
                continue
            node = nested
            *path, last = k.split(".")
            for p in path:
                node = node.setdefault(p, {})
            node[last] = json.loads(v) if isinstance(v, str) and v.startswith("[") else v
        (d / resume.CONFIG).write_text(yaml.safe_dump(nested))
        status = {
            "job": job,
            "status": "failed" if job in failed else "ok",
            "choices": {"coordination": r["coordination"]},
        }
        (d / resume.STATUS).write_text(json.dumps(status))
        if job not in failed:
            metrics = {m: (None if np.isnan(r[m]) else r[m] + (7.0 if job in both else 0.0)) for m in _metrics(r, "")}
            (d / resume.METRICS).write_text(json.dumps(metrics))


def _start(tmp_path, capsys, n=4, seeds=2, metrics="throughput"):
    """The sensitivity folder of a Morris design (nothing run: exit 1), and its arguments."""
    out = tmp_path / "sens"
    args = ["--method", "morris", "-n", str(n), "--seeds", str(seeds), "--out", str(out), "--analyze-only", *PARAMS]
    args += ["--metrics", metrics]
    with pytest.raises(SystemExit) as e:
        sensitivity.main(args)
    assert e.value.code == 1 and "no finished runs" in capsys.readouterr().err
    return out, args


def _whole_table(sweep_dir, table, per_sample, metrics):
    """What ``main`` read before it streamed: every run, every column (``collect``),
    checked against the design over the whole table at once."""
    df = report.collect(sweep_dir)
    if not df.empty:
        bad = sensitivity._mismatched(df[df.status == "ok"].reset_index(drop=True), table, per_sample)
        if bad:
            raise SystemExit(f"leadsim-sensitivity: error: runs in the sweep folder do not match the design ({bad[0]})")
    return df


def _run(args, capsys) -> dict:
    """Everything ``main`` leaves: exit code, messages and files (``indices.pdf`` aside:
    it carries its creation time)."""
    with pytest.raises(SystemExit) as e:
        sensitivity.main(args)
    io = capsys.readouterr()
    sub = Path(args[args.index("--out") + 1]) / sensitivity.SUB
    files = {f: (sub / f).read_bytes() for f in ("outputs.csv", "indices.csv", "indices.png") if (sub / f).exists()}
    for f in files:
        (sub / f).unlink()
    return {"code": e.value.code, "out": io.out, "err": io.err, **files}


CASES = {
    # failed, missing and doubly stored runs; outputs NaN for some samples
    "failures": {"metrics": "throughput,lead_time_mean", "failed": (13, 45), "missing": (50,), "code": 1},
    "complete": {"metrics": "throughput,lead_time_mean", "failed": (), "missing": (), "code": 0},
    "nothing analysable": {"metrics": "lead_time_mean", "failed": (), "missing": (), "code": 2},
    # off the design in two windows: the message names the first column, as over one table
    "off the design": {
        "metrics": "throughput",
        "failed": (),
        "missing": (),
        "code": None,
        "mismatch": {3: "organization.clarity", 60: "culture.trust"},
    },
}


@pytest.mark.parametrize("case", list(CASES))
def test_streamed_analysis_equals_the_whole_table_one(tmp_path, capsys, monkeypatch, case):
    """Windows of 8 jobs over 64 runs in chunk files, a part file and run folders: the
    outputs, indices, figure, notes and exit code equal those of the whole table."""
    c = CASES[case]
    monkeypatch.setattr(stream, "WINDOW", 8)
    out, args = _start(tmp_path, capsys, metrics=c["metrics"])
    folders = [j for j in range(40, 64) if j not in c["missing"]]
    _store(out, range(40), folders, failed=c["failed"], both=(20,), mismatch=c.get("mismatch"))
    with monkeypatch.context() as m:
        m.setattr(sensitivity, "read_runs", _whole_table)
        before = _run(args, capsys)
    after = _run(args, capsys)
    assert after == before
    if c["code"] is None:
        assert "do not match the design (culture.trust)" in str(after["code"])
        return
    assert after["code"] == c["code"], after["err"]
    assert ("indices.csv" in after) == (c["code"] != 2)
    # The tables themselves, exactly: outputs per sample and the samples lacking runs.
    problem = json.loads((out / "sensitivity" / "problem.json").read_text())
    table = pd.read_csv(out / "sensitivity" / "design.csv", float_precision="round_trip")[problem["names"][:-1]]
    table = table.iloc[::2].reset_index(drop=True)  # one row per sample (2 seeds)
    whole, slim = report.collect(out), sensitivity.read_runs(out, table, 4, c["metrics"].split(","))
    for f in (
        lambda df: sensitivity.outputs(df, len(table), REGIMES, 2, c["metrics"].split(",")),
        lambda df: sensitivity.lacking_samples(df, len(table), 4),
    ):
        expected, got = f(whole), f(slim)
        (pd.testing.assert_frame_equal if isinstance(got, pd.DataFrame) else pd.testing.assert_series_equal)(
            got, expected, check_exact=True
        )


def test_the_analysis_reads_windows_and_only_the_columns_it_needs(tmp_path, capsys, monkeypatch):
    """Not ``collect``: eight windows of 8 jobs, chunk files read for a few columns, and
    ``outputs`` handed job, status, seed, regime and the metrics only."""
    monkeypatch.setattr(stream, "WINDOW", 8)
    out, args = _start(tmp_path, capsys, metrics="throughput,lead_time_mean")
    _store(out, range(40), range(40, 64))
    windows, read, handed = [], [], []
    real_window, real_file, real_outputs = stream.read_window, chunks.read_file, sensitivity.outputs

    def window(*a, **k):
        windows.append(a[1])
        return real_window(*a, **k)

    def read_file(p, columns=None, jobs=None):
        read.append(columns)
        return real_file(p, columns, jobs)

    def outputs(df, *a):
        handed.append(list(df.columns))
        return real_outputs(df, *a)

    def collect(*a):
        raise AssertionError("the whole table was read")

    monkeypatch.setattr(stream, "read_window", window)
    monkeypatch.setattr(chunks, "read_file", read_file)
    monkeypatch.setattr(sensitivity, "outputs", outputs)
    monkeypatch.setattr(report, "collect", collect)
    with pytest.raises(SystemExit) as e:
        sensitivity.main(args)
    assert e.value.code == 0, capsys.readouterr().err
    assert windows == list(range(8))
    need = ["job", "status", "seed", "coordination.name", "throughput", "lead_time_mean"]
    assert read and all(c == [*need, "culture.trust", "organization.clarity"] for c in read)
    assert handed == [need]


def _peak(out, table, metrics) -> int:
    tracemalloc.start()
    try:
        sensitivity.read_runs(out, table, 2, metrics)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_what_the_analysis_holds_grows_by_a_few_numbers_a_run(tmp_path, capsys, monkeypatch):
    """4x the runs (wide chunk rows: every parameter and metric), at most 300 bytes more
    a run at the peak (measured: ~120; the whole table, ``collect``: ~2,400)."""
    monkeypatch.setattr(stream, "WINDOW", 200)
    peaks = []
    for n in (100, 400):  # 400 and 1,600 samples x 2 regimes x 1 seed
        out, _ = _start(tmp_path / str(n), capsys, n=n, seeds=1)
        table = pd.read_csv(out / "sensitivity" / "design.csv", float_precision="round_trip")
        _store(out, range(2 * len(table)), ())
        table = table[["culture.trust", "organization.clarity"]]
        sensitivity.read_runs(out, table, 2, ["throughput"])  # imports and caches outside the measurement
        peaks.append((2 * len(table), _peak(out, table, ["throughput", "lead_time_mean"])))
    (r0, a), (r1, b) = peaks
    assert r1 == 4 * r0 == 3200 and (b - a) / (r1 - r0) < 300, peaks
