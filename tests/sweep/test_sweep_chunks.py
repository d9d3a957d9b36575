"""Chunked sweeps: runs stored many to a Parquet file, flushed in small batches, resumed
run by run; the report reads chunk files exactly as it reads run folders."""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
import time

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sweep_helpers import NO_FIGURES, SMALL, leadsim_m, results

from simulation import METRICS
from simulation.sweep import chunks
from simulation.sweep.execute import CHUNK_MAX, choose_storage, chunk_sizes, guided_sizes
from simulation.sweep.launch import pack, slurm_plan

# ---------------------------------------------------------------- planning


@given(n=st.integers(0, 50_000), parts=st.integers(1, 64))
@settings(max_examples=200, deadline=None)
def test_chunks_cover_every_job_once_in_near_equal_sizes(n, parts):
    sizes = chunk_sizes(n, parts)
    assert sum(sizes) == n and all(0 < s <= CHUNK_MAX for s in sizes)
    if sizes:
        assert max(sizes) - min(sizes) <= 1
        assert len(sizes) >= min(n, parts)


@given(n=st.integers(0, 200_000), workers=st.integers(1, 64))
@settings(max_examples=200, deadline=None)
def test_local_chunks_cover_every_job_once_and_shrink_toward_the_end(n, workers):
    """Guided chunk sizes: every job once, none above the cap, never growing (but for a
    last remainder below the floor), and the last chunks small, so that no worker runs a
    large chunk alone at the end."""
    sizes = guided_sizes(n, workers)
    assert sum(sizes) == n and all(0 < s <= CHUNK_MAX for s in sizes)
    assert all(a >= b for a, b in itertools.pairwise(sizes))
    if n:
        assert sizes[-1] <= max(100, -(-n // (2 * workers)))


def test_a_20000_run_sweep_on_two_workers_stays_under_one_file_per_500_runs():
    sizes = guided_sizes(20_000, 2)
    report_files = (
        12  # results, summaries, figures, .leadsim/: counted after the 20,000-run sweep (docs/performance.md)
    )
    assert (len(sizes) + report_files) * 500 <= 20_000 and sizes[-1] <= 100


@given(chunks_=st.integers(1, 5000), tasks=st.integers(1, 300), array=st.integers(1, 1001))
@settings(max_examples=200, deadline=None)
def test_packing_uses_at_most_max_tasks_and_keeps_chunks_consecutive(chunks_, tasks, array):
    packed = pack(chunks_, tasks, array)
    assert len(packed) <= tasks
    assert [i for t in packed for i in t] == list(range(chunks_))


def test_a_100000_run_study_is_few_tasks_and_few_files():
    sizes = slurm_plan(100_000, max_tasks=50, cpus=4, max_array_size=1000, chunk_size=None)
    assert len(sizes) == 200 and sum(sizes) == 100_000  # 1 file per 500 runs
    assert len(pack(len(sizes), 50, 1000)) == 50


def test_storage_auto_keeps_run_folders_for_small_sweeps_only():
    assert choose_storage("auto", 500) == "runs" and choose_storage("auto", 501) == "chunks"
    assert choose_storage("runs", 10**6) == "runs" and choose_storage("chunks", 1) == "chunks"
    with pytest.raises(ValueError, match=r"hydra\.launcher\.storage"):
        choose_storage("parquet", 10)


# ---------------------------------------------------------------- the storage


def _row(job, finished, value=1.0, state="ok"):
    return {
        "job": job,
        "status": state,
        "finished": finished,
        "seconds": 0.1,
        "overrides": f"seed={job}",
        "config_hash": f"h{job}",
        "code": "c",
        "error": None,
        "throughput": value,
    }


def test_flushed_rows_survive_a_writer_that_never_closes(tmp_path):
    w = chunks.ChunkWriter(tmp_path, 0, 9, every=3, seconds=1e9)
    for j in range(8):
        w.add(_row(j, time.time()))
    # no close(): as if killed. Runs 0-5 were flushed (two batches of 3), 6-7 were not.
    df = chunks.read_rows(tmp_path)
    assert list(df.job) == list(range(6))
    assert not list(tmp_path.glob("chunks/.*.tmp"))
    # The rerun writes the missing runs and merges everything into one file.
    w2 = chunks.ChunkWriter(tmp_path, 0, 9, every=3, seconds=1e9)
    for j in range(6, 10):
        w2.add(_row(j, time.time()))
    w2.close()
    assert [p.name for p in chunks.row_files(tmp_path)] == ["runs-0000000-0000009.parquet"]
    assert list(chunks.read_rows(tmp_path).job) == list(range(10))


def test_a_job_stored_twice_counts_once_the_latest_row_wins(tmp_path):
    w = chunks.ChunkWriter(tmp_path, 0, 1, every=1)
    w.add(_row(0, 1.0, value=1.0, state="failed"))
    w.add(_row(1, 1.0))
    w.close()
    w = chunks.ChunkWriter(tmp_path, 0, 1, every=1)
    w.add(_row(0, 2.0, value=5.0))  # the retried run
    w.flush()  # killed before merging: both files hold job 0
    df = chunks.read_rows(tmp_path)
    assert list(df.job) == [0, 1] and df.set_index("job").loc[0, "throughput"] == 5.0
    assert chunks.done_jobs(tmp_path, "c") == {0: "h0", 1: "h1"}
    assert chunks.done_jobs(tmp_path, "other code") == {}
    w.close()
    assert len(chunks.row_files(tmp_path)) == 1 and len(chunks.read_rows(tmp_path)) == 2


def test_time_series_are_kept_per_run_in_their_own_file(tmp_path):
    w = chunks.ChunkWriter(tmp_path, 0, 2, timeseries=True, every=2)
    for j in range(3):
        w.add(_row(j, time.time()), pd.DataFrame({"step": [0, 1], "wip": [j, j + 1.0]}))
    w.close()
    ts = chunks.read_timeseries(tmp_path)
    assert list(ts.job) == [0, 0, 1, 1, 2, 2] and list(ts.wip) == [0, 1, 1, 2, 2, 3]
    assert list(chunks.read_timeseries(tmp_path, jobs=[1]).wip) == [1, 2]


# ---------------------------------------------------------------- end to end

SWEEP = ["coordination=delegation,distributed", "culture.trust=0.3,0.7", "seed=range(3)", *SMALL, NO_FIGURES]
SAME = ["coordination.name", "culture.trust", "seed", *METRICS]


@pytest.fixture(scope="module")
def both(tmp_path_factory):
    """The same 12-run sweep stored as chunks (two processes) and as run folders."""
    root = tmp_path_factory.mktemp("storage")
    out = {}
    for storage, extra in (("chunks", ["hydra.launcher.chunk_size=5", "hydra.launcher.timeseries=true"]), ("runs", [])):
        d = root / storage
        r = leadsim_m(
            d, *SWEEP, f"hydra.launcher.storage={storage}", "hydra.launcher.n_jobs=2", *extra, cwd=root, timeout=300
        )
        assert r.returncode == 0, r.stderr[-3000:]
        out[storage] = (d, r)
    return out


@pytest.mark.slow
def test_the_report_is_the_same_from_chunks_and_from_run_folders(both):
    (dc, _rc), (dr, _) = both["chunks"], both["runs"]
    assert sorted(p.name for p in (dc / "chunks").iterdir()) == [
        "runs-0000000-0000004.parquet",
        "runs-0000000-0000004.ts.parquet",
        "runs-0000005-0000009.parquet",
        "runs-0000005-0000009.ts.parquet",
        "runs-0000010-0000011.parquet",
        "runs-0000010-0000011.ts.parquet",
    ]
    assert not any(p.name.isdigit() for p in dc.iterdir())
    a, b = results(dc), results(dr)
    assert list(a.job) == list(b.job) == list(range(12)) and set(a.status) == {"ok"}
    pd.testing.assert_frame_equal(a[SAME], b[SAME])
    for name in ("summary.csv", "paired.csv", "ema_experiments.csv", "ema_outcomes.csv", "salib_problem.json"):
        assert (dc / name).read_text() == (dr / name).read_text(), name
    # The time series too: chunk rows equal each run folder's timeseries.csv.
    ts = chunks.read_timeseries(dc, jobs=[7]).drop(columns="job")
    pd.testing.assert_frame_equal(ts, pd.read_csv(dr / "7" / "timeseries.csv"), check_dtype=False)


@pytest.mark.slow
def test_a_chunked_sweep_prints_no_joblib_lines_and_explains_its_folder(both):
    d, r = both["chunks"]
    assert "Joblib" not in r.stderr + r.stdout and "Launching" not in r.stderr + r.stdout
    readme = (d / "README.md").read_text()
    for name in ("chunks/", "ema_experiments.csv", "salib_problem.json", "summary.csv"):
        assert f"`{name}`" in readme


@pytest.mark.slow
def test_rerun_runs_nothing_and_leadsim_report_reads_chunks(both, tmp_path):
    d, _ = both["chunks"]
    before = chunks.read_rows(d)[["job", "finished"]]
    r = leadsim_m(
        d,
        *SWEEP,
        "hydra.launcher.storage=chunks",
        "hydra.launcher.n_jobs=2",
        "hydra.launcher.chunk_size=5",
        cwd=tmp_path,
    )
    assert r.returncode == 0, r.stderr
    assert "12 run(s) already stored" in r.stderr
    pd.testing.assert_frame_equal(chunks.read_rows(d)[["job", "finished"]], before)
    out = subprocess.run([sys.executable, "-m", "simulation.sweep.report", str(d)], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "12 runs of 12: 12 ok" in out.stdout and "README.md" in out.stdout


# ---------------------------------------------------------------- SIGKILL and resume

KILL_SWEEP = [
    "coordination=delegation,distributed",
    "seed=range(20)",
    "organization=team",
    "steps=150",
    "warmup=20",
    NO_FIGURES,
    "hydra.launcher.storage=chunks",
    "hydra.launcher.n_jobs=2",
    "hydra.launcher.chunk_size=10",
    "hydra.launcher.flush_every=2",
]


@pytest.mark.slow
def test_sigkill_midway_then_rerun_gives_every_run_exactly_once(tmp_path):
    d = tmp_path / "sweep"
    cmd = [sys.executable, "-m", "simulation", "-m", f"hydra.sweep.dir={d}", *KILL_SWEEP]
    proc = subprocess.Popen(
        cmd, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, start_new_session=True
    )
    deadline = time.monotonic() + 240
    while len(chunks.read_rows(d)) < 6 if (d / "chunks").is_dir() else True:
        assert proc.poll() is None, f"the sweep ended before it could be killed: {proc.stderr.read()}"
        assert time.monotonic() < deadline, "the sweep made no progress"
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)  # the launcher and its workers at once
    proc.wait(timeout=30)
    for _ in range(100):
        try:
            os.killpg(proc.pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)
    before = chunks.read_rows(d)[["job", "finished"]]
    assert 6 <= len(before) < 40, "the kill came too late to test anything"
    assert list(d.glob("chunks/*.part-*")), "a chunk killed half-way leaves its flushed part"

    again = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, timeout=400)
    assert again.returncode == 0, again.stderr[-3000:]
    rows = pd.concat([pd.read_parquet(p) for p in chunks.row_files(d)], ignore_index=True)
    assert sorted(rows.job) == list(range(40)), "every run exactly once, in exactly one file"
    assert not list(d.glob("chunks/*.part-*")) and not list(d.glob("chunks/.*.tmp"))
    # Runs stored before the kill were not run again.
    kept = rows.set_index("job").loc[before.job, "finished"].to_numpy()
    assert (kept == before.finished.to_numpy()).all()
    df = results(d)
    assert len(df) == 40 and set(df.status) == {"ok"}


@pytest.mark.parametrize(
    "setting, message",
    [
        ("hydra.launcher.storage=parquet", "hydra.launcher.storage: must be one of auto, chunks, runs, got 'parquet'"),
        ("hydra.launcher.chunk_size=0", "hydra.launcher.chunk_size: must be at least 1, got 0"),
        ("hydra.launcher.flush_every=often", "hydra.launcher.flush_every: must be an integer, got 'often'"),
    ],
)
def test_bad_launcher_settings_are_one_line_exit_2_and_nothing_written(tmp_path, setting, message):
    r = leadsim_m(tmp_path / "out", "seed=0,1", *SMALL, setting, cwd=tmp_path)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert r.stderr.strip().splitlines() == [f"leadsim: error: {message}"]
    assert list(tmp_path.iterdir()) == []
