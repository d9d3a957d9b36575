"""Nothing lost, nothing twice: a sweep killed with SIGKILL mid-way, run again, ends
with every run exactly once and no corrupt or half-written file."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest
from sweep_helpers import NO_FIGURES, check_run_folder, results, run_dirs

N = 8
ARGS = [
    "coordination=delegation,distributed",
    "seed=range(4)",
    "organization=team",
    "steps=250",
    "warmup=50",
    NO_FIGURES,
]


def _start(sweep_dir, extra, cwd):
    cmd = [sys.executable, "-m", "simulation", "-m", f"hydra.sweep.dir={sweep_dir}", *ARGS, *extra]
    return subprocess.Popen(
        cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, start_new_session=True
    )


def _complete(sweep_dir) -> list[str]:
    return [p.name for p in run_dirs(sweep_dir) if (p / "metrics.json").exists()] if sweep_dir.exists() else []


def _kill_midway(proc, sweep_dir, at_least: int = 2, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while len(_complete(sweep_dir)) < at_least:
        assert proc.poll() is None, f"the sweep ended before it could be killed: {proc.stderr.read()}"
        assert time.monotonic() < deadline, "the sweep made no progress"
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)  # the launcher and all its workers, at once
    proc.wait(timeout=30)
    for _ in range(100):  # loky workers die with their group; wait until none is left
        try:
            os.killpg(proc.pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)


@pytest.mark.slow
def test_sigkill_then_rerun_gives_every_run_exactly_once(tmp_path):
    """The default launcher (joblib): the kill takes the launching process and its workers."""
    launcher = ["hydra.launcher.n_jobs=2"]
    d = tmp_path / "sweep"
    proc = _start(d, launcher, tmp_path)
    _kill_midway(proc, d)
    assert proc.returncode == -signal.SIGKILL
    done_before = {name: (d / name / "metrics.json").stat().st_mtime_ns for name in _complete(d)}
    assert 2 <= len(done_before) < N, "the kill came too late to test anything"

    again = _start(d, launcher, tmp_path)
    _, err = again.communicate(timeout=300)
    assert again.returncode == 0, err

    # Every planned run exists exactly once, is complete and parses.
    dirs = run_dirs(d)
    assert [p.name for p in dirs] == [str(i) for i in range(N)]
    for p in dirs:
        check_run_folder(p)
    # Runs finished before the kill were not run again...
    assert {k: (d / k / "metrics.json").stat().st_mtime_ns for k in done_before} == done_before
    progress = (d / ".leadsim" / "progress.tsv").read_text().splitlines()
    assert len(progress) == N
    assert sum(line.startswith("skipped") for line in progress) == len(done_before)
    # ... every other run ran once in the second session, and no temporary file is left.
    assert sorted(int(line.split("\t")[1]) for line in progress) == list(range(N))
    assert not list(d.rglob("*.tmp*")), "half-written temporary files left behind"
    df = results(d)
    assert len(df) == N and list(df.status) == ["ok"] * N
    assert sorted(zip(df["coordination.name"], df.seed)) == sorted(
        (r, s) for r in ("delegation", "distributed") for s in range(4)
    )
    for p in dirs:
        assert json.loads((p / "status.json").read_text())["job"] == int(p.name)
