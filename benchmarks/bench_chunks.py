"""Sweeps at cluster scale: a large sweep of a small team stored in chunk files, against
one folder per run (docs/performance.md, "Chunked sweeps"; docs/sweeps.md).

    python benchmarks/bench_chunks.py                  # 20,000 runs + the 2,000-run slices
    python benchmarks/bench_chunks.py --quick          # smoke mode: 40 runs
    python benchmarks/bench_chunks.py --today SRC      # also today's path, from a checkout at SRC
    python benchmarks/bench_chunks.py --slurm-runs 2000   # the slurm_local case on fewer runs

The sweep: ``organization=team organization.size=12 steps=100 warmup=30``,
``coordination=delegation,distributed`` x ``seed=range(N/2)``, on 2 workers. Cases
(each a fresh ``leadsim -m`` process, timed from launch to exit, report included):

* ``chunks``: leadsim's launcher, chunk files (the default above 500 runs);
* ``slurm_local``: the Slurm launcher's packing (2 array tasks) through submitit's
  local executor;
* ``kill``: ``chunks`` killed with SIGKILL when half the runs are stored, then the same
  command again; checks that every run is stored exactly once;
* ``runs``: leadsim's launcher with one folder per run (``storage=runs``), on a slice;
* ``today``: the sweep path before chunked storage (leadsim's previous sweeper and
  launcher, one folder per run), from the checkout given by ``--today``, on a slice.

For each: wall time, runs per second, files created and disk used in the sweep
folder, peak memory (sum of the resident memory of the process tree, sampled every
0.2 s), and the runs' own time (sum of each run's seconds, as its worker measured
it, / 2 workers), whose excess is the sweep's overhead. The report (``leadsim-report``)
is then timed and its peak memory taken on its own. The machine may be shared: the
load average is recorded; repeated timings are reported as medians.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from statistics import median

sys.path.insert(0, str(Path(__file__).resolve().parent))
import contextlib

from _machine import REPO, load_average, machine_info, write_results

TEAM = ["organization=team", "organization.size=12", "steps=100", "warmup=30"]
WORKERS = 2


def _tree_rss(pid: int) -> int:
    import psutil

    try:
        p = psutil.Process(pid)
        procs = [p, *p.children(recursive=True)]
    except psutil.Error:
        return 0
    total = 0
    for q in procs:
        with contextlib.suppress(psutil.Error):
            total += q.memory_info().rss
    return total


def timed(cmd: list[str], env: dict, cwd: Path, stop_when=None) -> dict:
    """Run ``cmd``; wall time, exit code and peak memory of its process tree. With
    ``stop_when`` (a callable), the whole process group is SIGKILLed once it returns True."""
    import resource

    peak = [0]
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        cmd, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, start_new_session=True
    )
    err: list[str] = []
    reader = threading.Thread(target=lambda: err.append(proc.stderr.read()), daemon=True)
    reader.start()
    killed = False
    while proc.poll() is None:
        peak[0] = max(peak[0], _tree_rss(proc.pid))
        if stop_when is not None and not killed and stop_when():
            os.killpg(proc.pid, signal.SIGKILL)
            killed = True
        time.sleep(0.2)
    wall = time.perf_counter() - t0
    reader.join(5)
    if killed:
        for _ in range(100):
            try:
                os.killpg(proc.pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.1)
    end = resource.getrusage(resource.RUSAGE_CHILDREN)  # the process tree's CPU, workers included
    cpu = (end.ru_utime + end.ru_stime) - (ru.ru_utime + ru.ru_stime)
    return {
        "wall_s": wall,
        "cpu_s": cpu,
        "returncode": proc.returncode,
        "peak_mb": peak[0] / 2**20,
        "killed": killed,
        "stderr": "".join(err)[-3000:],
    }


def folder_stats(d: Path) -> dict:
    files, size = 0, 0
    for root, _, names in os.walk(d):
        for n in names:
            files += 1
            with contextlib.suppress(OSError):
                size += os.stat(os.path.join(root, n)).st_blocks * 512
    return {"files": files, "disk_mb": size / 2**20}


def own_seconds(d: Path) -> float:
    """The runs' own time: what each worker measured per run (compose + simulate)."""
    import pandas as pd

    df = pd.read_parquet(d / "results.parquet", columns=["seconds", "status"])
    return float(pd.to_numeric(df.seconds, errors="coerce").sum())


def sweep_cmd(d: Path, n: int, extra: list[str]) -> list[str]:
    return [
        sys.executable,
        "-m",
        "simulation",
        "-m",
        f"hydra.sweep.dir={d}",
        "coordination=delegation,distributed",
        f"seed=range({n // 2})",
        *TEAM,
        f"hydra.launcher.n_jobs={WORKERS}",
        *extra,
    ]


CASES = {
    "chunks": ["hydra.launcher.storage=chunks"],
    "slurm_local": ["hydra/launcher=slurm_local", "hydra.launcher.storage=chunks"],
    "runs": ["hydra.launcher.storage=runs"],
    "today": [],
}


def run_case(name: str, n: int, tmp: Path, env: dict, kill: bool = False) -> dict:
    d = tmp / f"{name}-{n}"
    shutil.rmtree(d, ignore_errors=True)
    extra = [a for a in CASES[name] if not (name == "slurm_local" and a.startswith("hydra.launcher.n_jobs"))]
    cmd = sweep_cmd(d, n, extra)
    if name == "slurm_local":
        cmd = [a for a in cmd if not a.startswith("hydra.launcher.n_jobs")]
    row = {"case": name + ("_kill" if kill else ""), "runs": n, "load_start": load_average()[0]}
    if kill:
        from simulation.sweep.chunks import read_rows

        def half() -> bool:
            try:
                return len(read_rows(d, columns=["job"])) >= n // 2
            except Exception:
                return False

        first = timed(cmd, env, tmp, stop_when=half)
        stored = len(read_rows(d, columns=["job"]))
        again = timed(cmd, env, tmp)
        import pandas as pd

        from simulation.sweep.chunks import row_files

        jobs = pd.concat([pd.read_parquet(p, columns=["job"]) for p in row_files(d)]).job
        row.update(
            {
                "killed_after_s": first["wall_s"],
                "stored_at_kill": stored,
                "rerun_s": again["wall_s"],
                "rerun_returncode": again["returncode"],
                "runs_stored": int(jobs.size),
                "distinct_runs": int(jobs.nunique()),
                "every_run_once": bool(jobs.size == n and jobs.nunique() == n),
            }
        )
        res = again
    else:
        res = timed(cmd, env, tmp)
    if res["returncode"] != 0:
        print(f"{name}: exit {res['returncode']}\n{res['stderr']}", file=sys.stderr)
    own = own_seconds(d) if (d / "results.parquet").exists() else float("nan")
    row.update(
        {
            "wall_s": res["wall_s"],
            "cpu_s": res["cpu_s"],
            "cpu_s_per_run": res["cpu_s"] / n,
            "returncode": res["returncode"],
            "runs_per_s": n / res["wall_s"],
            "own_s_per_worker": own / WORKERS,
            "overhead": res["wall_s"] / (own / WORKERS) - 1,
            "sweep_peak_mb": res["peak_mb"],
            **folder_stats(d),
        }
    )
    row["runs_per_file"] = n / row["files"]
    rep = timed([sys.executable, "-m", "simulation.sweep.report", str(d)], env, tmp)
    row.update(
        {
            "report_s": rep["wall_s"],
            "report_cpu_s": rep["cpu_s"],
            "report_peak_mb": rep["peak_mb"],
            "report_returncode": rep["returncode"],
            "load_end": load_average()[0],
        }
    )
    print({k: (round(v, 3) if isinstance(v, float) else v) for k, v in row.items()}, flush=True)
    if "--keep" not in sys.argv and not (name == "chunks" and not kill):
        shutil.rmtree(d, ignore_errors=True)  # the last chunked slice feeds the synthetic report
    return row


def inprocess_overhead(n: int, repeats: int, tmp: Path) -> dict:
    """A chunk of ``n`` runs through the worker's code (``run_chunk``: compose by values,
    simulate, flat row, Parquet flushes every 25 runs, merge) against the same runs
    through ``simulate`` alone, in this process, alternated ``repeats`` times: the
    per-run bookkeeping of chunked storage, free of start-up costs and of the load
    other processes put on the machine at other moments."""
    import dataclasses

    from hydra import initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra
    from hydra.types import RunMode

    from simulation.hydra_config import compose_config, config_dir
    from simulation.runner import simulate
    from simulation.sweep.execute import Chunk, run_chunk

    jobs = [[f"coordination={r}", f"seed={s}", *TEAM] for r in ("delegation", "distributed") for s in range(n // 2)]
    sims = [dataclasses.replace(compose_config([*TEAM, j[0]]), seed=int(j[1].split("=")[1])) for j in jobs]
    GlobalHydra.instance().clear()
    chunk_t, plain_t, chunk_c, plain_c = [], [], [], []
    with initialize_config_dir(config_dir=str(config_dir()), version_base="1.3"):
        gh = GlobalHydra.instance()
        master = gh.config_loader().load_configuration("config", overrides=[], run_mode=RunMode.MULTIRUN)
        context = type("Ctx", (), {"config_loader": gh.config_loader()})()
        for rep in range(repeats):
            d = tmp / f"inprocess-{rep}"
            t0, c0 = time.perf_counter(), time.process_time()
            run_chunk(Chunk(str(d), 0, jobs, "chunks", context, master))
            chunk_t.append(time.perf_counter() - t0)
            chunk_c.append(time.process_time() - c0)
            t0, c0 = time.perf_counter(), time.process_time()
            for sim in sims:
                simulate(sim, progress=False)
            plain_t.append(time.perf_counter() - t0)
            plain_c.append(time.process_time() - c0)
            shutil.rmtree(d, ignore_errors=True)
    GlobalHydra.instance().clear()
    row = {
        "case": "inprocess_chunk",
        "part": "inprocess",
        "runs": len(jobs),
        "wall_s": median(chunk_t),
        "own_s_per_worker": median(plain_t),
        "overhead": median(chunk_t) / median(plain_t) - 1,
        "cpu_s": median(chunk_c),
        "cpu_s_per_run": median(plain_c) / len(jobs),
        "overhead_cpu": median(chunk_c) / median(plain_c) - 1,
        "timings_chunk": chunk_t,
        "timings_plain": plain_t,
        "cpu_chunk": chunk_c,
        "cpu_plain": plain_c,
        "load_start": load_average()[0],
    }
    print(row, flush=True)
    return row


def bookkeeping_cpu(n: int, tmp: Path) -> dict:
    """CPU time per run of everything a chunk's worker does besides simulating —
    composing by values, validating, hashing, the flat row, Parquet flushes and the
    merge — over ``n`` jobs with one finished run standing in for each simulation.
    CPU time (``time.process_time``) is what other processes on a busy machine
    disturb least."""
    from unittest import mock

    from hydra import initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra
    from hydra.types import RunMode

    from simulation.hydra_config import compose_config, config_dir
    from simulation.runner import simulate
    from simulation.sweep import execute

    jobs = [[f"coordination={r}", f"seed={s}", *TEAM] for r in ("delegation", "distributed") for s in range(n // 2)]
    done = simulate(compose_config(TEAM), progress=False)
    c0 = time.process_time()
    for _ in range(5):
        simulate(compose_config(TEAM), progress=False)
    run_cpu = (time.process_time() - c0) / 5
    GlobalHydra.instance().clear()
    with initialize_config_dir(config_dir=str(config_dir()), version_base="1.3"):
        gh = GlobalHydra.instance()
        master = gh.config_loader().load_configuration("config", overrides=[], run_mode=RunMode.MULTIRUN)
        context = type("Ctx", (), {"config_loader": gh.config_loader()})()
        with mock.patch("simulation.runner.simulate", return_value=done):
            c0 = time.process_time()
            execute.run_chunk(execute.Chunk(str(tmp / "bookkeeping"), 0, jobs, "chunks", context, master))
            cpu = time.process_time() - c0
    GlobalHydra.instance().clear()
    shutil.rmtree(tmp / "bookkeeping", ignore_errors=True)
    row = {
        "case": "bookkeeping_cpu",
        "part": "inprocess",
        "runs": n,
        "cpu_s": cpu,
        "cpu_s_per_run": cpu / n,
        "run_cpu_s": run_cpu,
        "overhead_cpu": cpu / n / run_cpu,
        "load_start": load_average()[0],
    }
    print(row, flush=True)
    return row


def synthetic_report(src: Path, n: int, tmp: Path, env: dict) -> dict:
    """The report over ``n`` runs without running them: the rows of a real chunked sweep
    (``src``) repeated with new job numbers and seeds into chunk files of 1,000 rows.
    The report's cost depends on the rows and columns it reads, not on how long the
    runs took, so this measures it at scale on a busy machine."""
    import pandas as pd

    from simulation.sweep.chunks import _write_parquet, chunk_name, read_rows

    rows = read_rows(src)
    d = tmp / f"synthetic-{n}"
    (d / "chunks").mkdir(parents=True, exist_ok=True)
    reps = -(-n // len(rows))
    big = pd.concat(
        [rows.assign(job=rows.job + i * len(rows), seed=rows.seed + i * len(rows)) for i in range(reps)],
        ignore_index=True,
    ).head(n)
    for start in range(0, n, 1000):
        part = big.iloc[start : start + 1000]
        _write_parquet(d / "chunks" / f"{chunk_name(start, start + len(part) - 1)}.parquet", part)
    del big, rows
    rep = timed([sys.executable, "-m", "simulation.sweep.report", str(d)], env, tmp)
    row = {
        "case": "report_synthetic",
        "part": "report",
        "runs": n,
        "report_s": rep["wall_s"],
        "report_cpu_s": rep["cpu_s"],
        "report_peak_mb": rep["peak_mb"],
        "report_returncode": rep["returncode"],
        **folder_stats(d / "chunks"),
        "load_start": load_average()[0],
    }
    print(row, flush=True)
    shutil.rmtree(d, ignore_errors=True)
    return row


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=20_000, help="runs of the large sweep (default 20,000)")
    p.add_argument("--slice", type=int, default=2_000, help="runs of the slice compared with run folders")
    p.add_argument("--repeats", type=int, default=3, help="timings of each slice case (median reported)")
    p.add_argument("--today", default=None, help="a checkout of today's sweep path (before chunked storage)")
    p.add_argument("--cases", default="chunks,slurm_local,kill", help="large-sweep cases")
    p.add_argument("--slurm-runs", type=int, default=0, help="runs of the slurm_local case (default: --runs)")
    p.add_argument(
        "--report-runs",
        type=int,
        default=20_000,
        help="also time the report over this many runs built from the slice's rows (0: no)",
    )
    p.add_argument("--inprocess", type=int, default=400, help="runs of the in-process overhead measure (0: no)")
    p.add_argument("--quick", action="store_true", help="smoke mode: 40 runs, one repeat")
    p.add_argument("--keep", action="store_true", help="keep the sweep folders")
    p.add_argument("--out", default=str(REPO / "benchmarks" / "results"))
    a = p.parse_args(argv)
    if a.quick:
        a.runs, a.slice, a.repeats, a.report_runs, a.inprocess, a.slurm_runs = 40, 40, 1, 200, 20, 0
    env = {**os.environ, "PYTHONPATH": os.environ.get("PYTHONPATH", "")}
    tmp = Path(tempfile.mkdtemp(prefix="leadsim-bench-chunks-"))
    rows: list[dict] = []
    meta = {
        **machine_info(),
        "benchmark": "bench_chunks",
        "sweep": TEAM,
        "workers": WORKERS,
        "runs": a.runs,
        "slurm_runs": a.slurm_runs or a.runs,
        "slice": a.slice,
        "repeats": a.repeats,
        "today": bool(a.today),
        "quick": a.quick,
    }

    def add(row: dict) -> None:
        """Keep the row and rewrite the results at once: a stopped benchmark leaves
        every case measured so far (``complete: false``)."""
        rows.append(row)
        save(rows, meta, a, complete=False)

    try:
        # The slice: chunk files against one folder per run (new option, and today's path).
        slice_cases = ["chunks", "runs"] + (["today"] if a.today else [])
        for rep in range(a.repeats):
            for name in slice_cases if rep % 2 == 0 else slice_cases[::-1]:
                e = {**env, "PYTHONPATH": a.today} if name == "today" else env
                add({**run_case(name, a.slice, tmp, e), "repeat": rep, "part": "slice"})
        if a.report_runs:
            add(synthetic_report(tmp / f"chunks-{a.slice}", a.report_runs, tmp, env))
        for name in [c for c in a.cases.split(",") if c]:
            kill = name == "kill"
            n = a.slurm_runs if name == "slurm_local" and a.slurm_runs else a.runs
            add({**run_case("chunks" if kill else name, n, tmp, env, kill=kill), "repeat": 0, "part": "large"})
        if a.inprocess:
            add(bookkeeping_cpu(max(a.inprocess, 100) * 5, tmp))
            add(inprocess_overhead(a.inprocess, max(2, a.repeats), tmp))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    csv_path, json_path = save(rows, meta, a, complete=True)
    print(f"wrote {csv_path} and {json_path}")


def save(rows: list[dict], meta: dict, a, complete: bool):
    """Write ``chunks.csv``/``.json`` from the rows so far (medians of the slice cases;
    CPU overhead against the in-process run time, once it is measured)."""
    plain = next((r["cpu_s_per_run"] for r in rows if r["case"] == "inprocess_chunk"), None)
    for r in rows:
        if plain and r.get("part") in ("slice", "large") and r.get("cpu_s"):
            r["overhead_cpu"] = r["cpu_s"] / (r["runs"] * plain) - 1
    medians = {}
    for name in {r["case"] for r in rows if r.get("part") == "slice"}:
        rs = [r for r in rows if r.get("part") == "slice" and r["case"] == name]
        medians[name] = {
            k: median(r[k] for r in rs)
            for k in (
                "wall_s",
                "cpu_s",
                "runs_per_s",
                "overhead",
                "files",
                "disk_mb",
                "sweep_peak_mb",
                "report_s",
                "report_peak_mb",
            )
        }
    stem = "chunks_quick" if a.quick else "chunks"
    keys = list(dict.fromkeys(k for r in rows for k in r if k != "stderr"))
    table = [{k: r.get(k) for k in keys} for r in rows]
    return write_results(Path(a.out), stem, table, {**meta, "slice_medians": medians, "complete": complete})


if __name__ == "__main__":
    main()
