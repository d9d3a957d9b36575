"""The headline sweep (3 regimes x 134 seeds = 402 runs at department size and the
default run length) with one and with two workers: runs per second and parallel
efficiency.

    python benchmarks/bench_sweep.py            # the full benchmark (docs/performance.md)
    python benchmarks/bench_sweep.py --quick    # smoke mode: 3 x 2 short runs

Two ways, each with 1 and 2 workers:

(a) in-process: ``joblib.Parallel`` (loky) over :func:`simulation.runner.simulate` —
    the model's own cost. The worker pool is started and has imported leadsim before
    the clock starts, so this is the steady rate of a long sweep;
(b) the real command line, ``leadsim -m coordination=delegation,distributed,hybrid
    seed='range(134)' hydra.launcher.n_jobs=1|2``, timed from launch to exit: Python
    and Hydra start-up, composing every job's config, writing each run's files, the
    worker pool's start, and the report Hydra's callback writes after the sweep.

Each way is timed ``--repeats`` times (default 3), with 1 and 2 workers interleaved
(1, 2, then 2, 1, ...) so that both see the same machine; the median of the repeats
is reported. Parallel efficiency is speed-up / workers with speed-up = median time
(1 worker) / median time (2 workers). The difference (b) - (a) per run is the
overhead of Hydra and of writing results.
Both ways must produce the same metrics for the same seeds; the script checks it.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from statistics import median

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _machine import REPO, load_average, machine_info, write_results

REGIMES = ("delegation", "distributed", "hybrid")
SEEDS, QUICK_SEEDS = 134, 2
QUICK_STEPS = {"steps": 40, "warmup": 10}
WORKERS = (1, 2)
REPEATS = 3
TARGET_S, TARGET_EFFICIENCY = 60.0, 0.90


# ---------------------------------------------------------------------- (a) in-process
def _run(cfg) -> dict:
    """One run in a worker; only the metrics travel back (the model stays here)."""
    import time

    from simulation.runner import simulate

    w0, c0 = time.perf_counter(), time.process_time()
    result = simulate(cfg, progress=False)
    w1, c1 = time.perf_counter(), time.process_time()
    return {"metrics": result.metrics, "wall": w1 - w0, "cpu": c1 - c0}


def _warm() -> int:
    import os

    import simulation.runner  # noqa: F401

    return os.getpid()


def configs(seeds: int, quick: bool) -> list:
    """The sweep's configs, composed like the command line composes them."""
    from simulation.api import compose_config

    extra = [f"{k}={v}" for k, v in QUICK_STEPS.items()] if quick else []
    base = {r: compose_config([f"coordination={r}", *extra]) for r in REGIMES}
    return [dataclasses.replace(base[r], seed=s) for r in REGIMES for s in range(seeds)]


def in_process(cfgs: list, workers: int) -> dict:
    from joblib import Parallel, delayed

    with Parallel(n_jobs=workers, backend="loky") as parallel:
        if workers > 1:  # start the pool and import leadsim in every worker first
            parallel(delayed(_warm)() for _ in range(4 * workers))
        w0, c0 = time.perf_counter(), time.process_time()
        out = parallel(delayed(_run)(c) for c in cfgs)
        wall, cpu = time.perf_counter() - w0, time.process_time() - c0
    return {
        "wall_s": wall,
        "parent_cpu_s": cpu,
        "run_wall_s": [o["wall"] for o in out],
        "run_cpu_s": [o["cpu"] for o in out],
        "metrics": [o["metrics"] for o in out],
    }


# ---------------------------------------------------------------------- (b) command line
def leadsim_command() -> list[str]:
    exe = Path(sys.executable).with_name("leadsim")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "simulation"]


def command_line(seeds: int, workers: int, quick: bool, sweep_dir: Path) -> dict:
    """Run ``leadsim -m`` and time its phases from the lines it prints.

    In quick mode the report after the sweep skips its figures (a smoke test only).
    """
    cmd = [
        *leadsim_command(),
        "-m",
        f"coordination={','.join(REGIMES)}",
        f"seed=range({seeds})",
        f"hydra.sweep.dir={sweep_dir}",
        f"hydra.launcher.n_jobs={workers}",
    ]
    if quick:
        cmd += [f"{k}={v}" for k, v in QUICK_STEPS.items()] + ["hydra.callbacks.report.figures=false"]
    total = seeds * len(REGIMES)
    marks, lines = {}, []
    w0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    for line in proc.stdout:
        now = time.perf_counter() - w0
        lines.append(line.rstrip())
        if "Launching jobs" in line or re.search(r"sweep of \d+ runs into", line):
            marks.setdefault("launch_s", now)
        m = re.search(r"(\d+)/(\d+) runs done", line)
        if m and int(m.group(1)) == total:
            marks.setdefault("runs_done_s", now)
    rc = proc.wait()
    wall = time.perf_counter() - w0
    if rc != 0:
        raise RuntimeError(f"leadsim exited with {rc}:\n" + "\n".join(lines[-20:]))
    files = sorted(sweep_dir.glob("*/metrics.json"), key=lambda p: int(p.parent.name))
    if len(files) != total:
        raise RuntimeError(f"expected {total} metrics.json files, found {len(files)}")
    shown = [
        "leadsim",
        *("hydra.sweep.dir=DIR" if a.startswith("hydra.sweep.dir=") else a for a in cmd[len(leadsim_command()) :]),
    ]
    return {"wall_s": wall, "command": " ".join(shown), **marks, "metrics": [json.loads(f.read_text()) for f in files]}


# ---------------------------------------------------------------------- main
def _same(a: list[dict], b: list[dict]) -> bool:
    """Same metrics for the same runs (NaN equals NaN; JSON has written NaN as null)."""

    def norm(m):
        return {k: (None if v is None or v != v else v) for k, v in m.items()}

    return len(a) == len(b) and all(norm(x) == norm(y) for x, y in zip(a, b))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--quick", action="store_true", help="smoke mode: 2 seeds, 40 steps")
    ap.add_argument("--seeds", type=int, help=f"seeds per regime (default {SEEDS}; at least 134 for the headline)")
    ap.add_argument("--no-cli", action="store_true", help="skip the leadsim command-line measurement")
    ap.add_argument("--repeats", type=int, help=f"timings per way and worker count (default {REPEATS}, 1 with --quick)")
    ap.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results", help="folder for sweep.csv/.json")
    args = ap.parse_args(argv)
    seeds = args.seeds or (QUICK_SEEDS if args.quick else SEEDS)
    if seeds < 1:
        print(f"--seeds: must be at least 1, got {seeds}", file=sys.stderr)
        return 2
    repeats = args.repeats if args.repeats is not None else (1 if args.quick else REPEATS)
    if repeats < 1:
        print(f"--repeats: must be at least 1, got {repeats}", file=sys.stderr)
        return 2
    cfgs = configs(seeds, args.quick)
    meta = {
        "benchmark": "sweep",
        "quick": args.quick,
        "machine": machine_info(),
        "regimes": list(REGIMES),
        "seeds": seeds,
        "runs": seeds * len(REGIMES),
        "settings": {
            "size": cfgs[0].organization.size,
            "steps": cfgs[0].steps,
            "warmup": cfgs[0].warmup,
            "defaults": not args.quick,
        },
        "targets": {"wall_s_2_workers": TARGET_S, "efficiency": TARGET_EFFICIENCY},
    }
    print(f"load average {meta['machine']['load_average_start']}; {meta['runs']} runs", flush=True)
    t_start = time.perf_counter()
    rows, reference = [], None
    modes = ["in_process"] + ([] if args.no_cli else ["command_line"])
    meta["repeats"] = repeats
    for mode in modes:
        # Smoke mode runs the command line once: Hydra's start-up dominates tiny sweeps.
        counts = WORKERS[:1] if args.quick and mode == "command_line" else WORKERS
        timed = {w: [] for w in counts}
        for rep in range(repeats):
            for workers in counts if rep % 2 == 0 else counts[::-1]:
                load = load_average()
                if mode == "in_process":
                    r = in_process(cfgs, workers)
                    extra = {
                        "model_wall_per_run_s": median(r["run_wall_s"]),
                        "model_cpu_per_run_s": median(r["run_cpu_s"]),
                    }
                else:
                    tmp = Path(tempfile.mkdtemp(prefix="leadsim-bench-sweep-"))
                    try:
                        r = command_line(seeds, workers, args.quick, tmp / "sweep")
                    finally:
                        shutil.rmtree(tmp, ignore_errors=True)
                    extra = {
                        "startup_s": r.get("launch_s", float("nan")),
                        "report_s": r["wall_s"] - r.get("runs_done_s", float("nan")),
                    }
                    meta["command"] = r["command"].replace(
                        f"hydra.launcher.n_jobs={workers}", "hydra.launcher.n_jobs=1|2"
                    )
                reference = reference or r["metrics"]
                timed[workers].append(
                    {
                        "wall_s": r["wall_s"],
                        "same": _same(reference, r["metrics"]),
                        "load": load[0] if load else "",
                        **extra,
                    }
                )
                print(f"  {mode:13s} {workers} worker(s), repeat {rep + 1}/{repeats}: {r['wall_s']:7.1f} s", flush=True)
        base_wall = median(t["wall_s"] for t in timed[counts[0]])
        for workers in counts:
            ts = timed[workers]
            wall = median(t["wall_s"] for t in ts)
            speedup = base_wall / wall
            row = {
                "mode": mode,
                "workers": workers,
                "runs": len(cfgs),
                "repeats": len(ts),
                "wall_s": round(wall, 2),
                "wall_s_min": round(min(t["wall_s"] for t in ts), 2),
                "wall_s_max": round(max(t["wall_s"] for t in ts), 2),
                "runs_per_s": round(len(cfgs) / wall, 3),
                "speedup": round(speedup, 3),
                "efficiency": round(speedup / workers, 3),
                "same_metrics_as_first": all(t["same"] for t in ts),
                "model_wall_per_run_s": "",
                "model_cpu_per_run_s": "",
                "startup_s": "",
                "report_s": "",
                "load_1min_before": ts[0]["load"],
            }
            for key in ("model_wall_per_run_s", "model_cpu_per_run_s", "startup_s", "report_s"):
                if key in ts[0]:
                    row[key] = round(median(t[key] for t in ts), 4 if key.startswith("model") else 2)
            row["wall_s_each"] = " ".join(f"{t['wall_s']:.2f}" for t in ts)
            rows.append(row)
            print(
                f"{mode:13s} {workers} worker(s): {wall:7.1f} s (median of {len(ts)}; "
                f"{row['wall_s_min']:.1f}-{row['wall_s_max']:.1f})  {row['runs_per_s']:6.2f} runs/s  "
                f"efficiency {row['efficiency']:.2f}  same metrics {row['same_metrics_as_first']}",
                flush=True,
            )
    by = {(r["mode"], r["workers"]): r for r in rows}
    meta["hydra_overhead_per_run_s"] = {
        str(w): round((by[("command_line", w)]["wall_s"] - by[("in_process", w)]["wall_s"]) / len(cfgs), 4)
        for w in WORKERS
        if ("command_line", w) in by
    }
    best2 = min(r["wall_s"] for r in rows if r["workers"] == 2)
    meta["targets_met"] = {
        mode: {
            "wall_s_2_workers": by[(mode, 2)]["wall_s"] <= TARGET_S,
            "efficiency": by[(mode, 2)]["efficiency"] >= TARGET_EFFICIENCY,
        }
        for mode in modes
        if (mode, 2) in by
    }
    meta["runtime_s"] = round(time.perf_counter() - t_start, 1)
    csv_path, json_path = write_results(args.out, "sweep", rows, meta)
    print(
        f"fastest with 2 workers: {best2:.1f} s (target {TARGET_S:.0f} s); "
        f"Hydra overhead per run: {meta.get('hydra_overhead_per_run_s', 'not measured')}"
    )
    print(f"wrote {csv_path}, {json_path}; total {meta['runtime_s']:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
