"""The report streams: its memory does not grow with the number of runs, and its
tables equal the in-memory computation over the whole table."""

from __future__ import annotations

import io
import tracemalloc

import numpy as np
import pandas as pd
import pytest
from sweep_helpers import synthetic_chunks

from simulation.metrics import METRICS
from simulation.sweep import report, stream


@pytest.fixture
def small_windows(monkeypatch):
    """Windows of 50 jobs and paired buckets of 100 runs: a thousand runs then
    exercise every merge and spill that 100,000 would."""
    monkeypatch.setattr(stream, "WINDOW", 50)
    monkeypatch.setattr(stream, "BUCKET", 100)


def _peak(d) -> int:
    tracemalloc.start()
    try:
        report.write_report(d, figures=False)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_report_memory_does_not_grow_with_the_runs(tmp_path, monkeypatch):
    """4x the runs, the same peak (before streaming: ~2.3 KB more per run, 1.4 MB here).
    Windows of 50 jobs and paired buckets of 100 runs: 800 runs then exercise every
    merge and spill that 100,000 would (both sizes past the merge every 4 windows)."""
    monkeypatch.setattr(stream, "WINDOW", 50)
    monkeypatch.setattr(stream, "BUCKET", 100)
    small, large = tmp_path / "small", tmp_path / "large"
    synthetic_chunks(small, 200, per_file=100)
    synthetic_chunks(large, 800, per_file=100)
    for d in (small, large):  # imports and caches (sized by what earlier tests left) outside the measurement
        report.write_report(d, figures=False)
    a, b = _peak(small), _peak(large)
    assert b - a < 300 * 600, (a, b)  # < 300 bytes per extra run (measured: ~90)


def test_streamed_tables_equal_the_whole_table_computation(tmp_path, small_windows):
    d = tmp_path / "s"
    synthetic_chunks(d, 600, per_file=125, failed_every=7)
    info = report.write_report(d, figures=False)
    whole = report.collect(d)
    assert info["runs"] == len(whole) == 600 and info["failed"] == (whole.status == "failed").sum() > 0
    pd.testing.assert_frame_equal(pd.read_parquet(d / "results.parquet"), whole, check_dtype=False)
    dims = ["culture.trust"]
    names = report.metric_names(whole)
    for name, expected in (
        ("summary.csv", report.summarize(whole, report.group_keys(whole, dims), metrics=names)),
        ("paired.csv", report.paired(whole, dims, metrics=names)),
    ):
        got = pd.read_csv(d / name)
        expected = pd.read_csv(io.StringIO(expected.to_csv(index=False)))
        pd.testing.assert_frame_equal(got, expected, check_exact=False, rtol=1e-12, atol=1e-15)
    ema = pd.read_csv(d / "ema_outcomes.csv", float_precision="round_trip")
    np.testing.assert_array_equal(ema[list(METRICS)].to_numpy(), whole[whole.status == "ok"][list(METRICS)].to_numpy())
    exp = pd.read_csv(d / "ema_experiments.csv")
    assert list(exp.columns) == ["culture.trust", "seed", "scenario", "policy", "model"]
    assert exp.scenario.tolist() == (exp["culture.trust"] == 0.3).astype(int).tolist()  # 0.6 appears first


def test_merged_moments_equal_one_pass():
    rng = np.random.default_rng(1)
    df = pd.DataFrame({"x": rng.normal(5, 2, 300), "y": rng.random(300)})
    df.loc[::11, "y"] = np.nan
    codes = rng.integers(0, 4, 300)
    codes[:5] = 4  # a group seen in one part only keeps its values exactly
    parts = [stream.moments(df.iloc[a:b], codes[a:b], ["x", "y"]) for a, b in ((0, 90), (90, 91), (91, 300))]
    merged = stream.merge_moments(parts, ["x", "y"])
    whole = stream.moments(df, codes, ["x", "y"])
    pd.testing.assert_frame_equal(merged, whole, check_exact=False, rtol=1e-12, check_dtype=False)
    assert merged.loc[4].equals(parts[0].loc[4])


def test_a_file_merged_away_while_reading_is_read_again_once(tmp_path, monkeypatch):
    """A worker may merge and remove a part file while the report reads: that window is
    read again from a fresh listing, and no window is yielded twice."""
    from simulation.sweep import chunks

    synthetic_chunks(tmp_path, 300, per_file=100)
    monkeypatch.setattr(stream, "WINDOW", 100)
    real, calls = chunks.read_file, []

    def flaky(p, columns=None, jobs=None):
        calls.append(p)
        if len(calls) == 2:
            raise FileNotFoundError(p)
        return real(p, columns, jobs)

    monkeypatch.setattr(chunks, "read_file", flaky)
    jobs = pd.concat(stream.iter_windows(tmp_path)).job
    assert jobs.tolist() == list(range(300)) and len(calls) == 4
