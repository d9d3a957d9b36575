"""Cost of the full model per agent-step and its peak memory, 12 to 100,000 people,
against Mesa's own floor measured in the same process.

    python benchmarks/bench_scaling.py            # the full benchmark (docs/performance.md)
    python benchmarks/bench_scaling.py --quick    # smoke mode: 12 and 60 people, seconds

Time: for each regime and size, a short and a long run of the *full* model (every
mechanism on, the time series recorded every step, ``model.metrics()`` at the end) are
timed from constructor to metrics; their difference divided by the extra agent-steps
is the cost of one agent-step, with the fixed costs (network, agents, metrics' setup)
cancelling out. The short run is past the ~20-step transient in which work in progress
builds up, so the difference covers steady-state steps only. The median over repeats
is reported. Mesa's floor — the same number of ``mesa.Agent``s with a no-op ``step``,
``model.agents.shuffle_do("step")`` once per step — is timed the same way,
interleaved with the model runs, so that both see the same machine load.

Memory: after the timing, one run of ``MEM_STEPS`` steps per regime and size under
``tracemalloc`` gives the peak of the memory the model allocates through Python and
NumPy: the model's own memory, free of the interpreter, the imported libraries and
the allocator's caching, so it is used for the linearity fit (tracemalloc slows the
run, which is why it is never on while timing). With ``--rss`` (the default outside
``--quick``) a fresh subprocess per regime and size also reports the peak resident
set size (``VmHWM``, reset after the imports; a high-water mark, hence the fresh process) and
the RSS after the imports: what the operating system had to provide.

Workload scales with the organisation so that every size does proportional work:
``arrival_rate = size / 30`` (the department preset: 60 people, 2 tasks per step) and
``leader_capacity = ceil(1.25 * arrival_rate)``, so that delegation's leader can keep
up with the arrivals and the model does the same work per person at every size. A
side row, ``delegation`` at the default ``leader_capacity = 3``, measures the model's
own premise (one formal leader with a fixed capacity): there the leader saturates at
large sizes, most tasks wait in its queue, and the cost per agent-step falls.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import math
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path
from statistics import median

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _machine import REPO, machine_info, write_results

SIZES = (12, 60, 1_000, 10_000, 100_000)
#: size -> (short steps, long steps, repeats). The difference is sized so that the
#: model's extra steps take roughly 1-3 s on the reference machine.
PLAN = {12: (200, 4200, 5), 60: (200, 3200, 5), 1_000: (100, 600, 5), 10_000: (50, 150, 3), 100_000: (30, 50, 3)}
QUICK_PLAN = {12: (20, 420, 2), 60: (20, 220, 2)}
#: Mesa's floor is cheap: it runs at least this many extra agent-steps, so that its
#: difference is long enough to time precisely at small sizes.
FLOOR_AGENT_STEPS = 2_000_000
QUICK_FLOOR_AGENT_STEPS = 20_000
MEM_STEPS, QUICK_MEM_STEPS = 50, 10
#: (label, regime, leader capacity or None for the scaled capacity)
CASES = (
    ("delegation", "delegation", None),
    ("distributed", "distributed", None),
    ("hybrid", "hybrid", None),
    ("delegation_cap3", "delegation", 3),
)
FLOOR = "mesa_floor"


# ---------------------------------------------------------------------- the runs
def make_config(regime: str, size: int, steps: int, warmup: int, seed: int, leader_capacity=None):
    """The default (full) model at ``size`` people with the workload scaled to it."""
    from simulation.config import from_dict

    rate = size / 30
    cap = math.ceil(1.25 * rate) if leader_capacity is None else leader_capacity
    org = {"size": size, "leader_capacity": cap}
    org.update({"network": "complete"} if size <= 12 else {"network": "small_world", "degree": 8})
    return from_dict(
        {
            "organization": org,
            "workload": {"arrival_rate": rate},
            "coordination": {"name": regime},
            "steps": steps,
            "warmup": warmup,
            "seed": seed,
        }
    ).validate()


def _forget(model) -> None:
    """Mesa 3.3.1 keeps every model alive in ``Agent._ids``; drop ours."""
    from simulation.runner import release

    release(model)


def run_model(cfg) -> dict:
    """Build, run and summarise one model; wall and CPU time of the whole."""
    from simulation.model import LeadershipModel

    gc.collect()
    w0, c0 = time.perf_counter(), time.process_time()
    model = LeadershipModel(cfg)
    wb = time.perf_counter()
    model.run()
    metrics = model.metrics()
    w1, c1 = time.perf_counter(), time.process_time()
    _forget(model)
    return {"wall": w1 - w0, "cpu": c1 - c0, "build": wb - w0, "metrics": metrics}


def _floor_classes():
    from mesa import Agent, Model

    class NoOp(Agent):
        def step(self):
            pass

    class Floor(Model):
        def __init__(self, n: int, seed: int):
            super().__init__(seed=seed)
            NoOp.create_agents(self, n)

        def step(self):
            self.agents.shuffle_do("step")

    return Floor


def run_floor(n: int, steps: int, seed: int) -> dict:
    Floor = _floor_classes()
    gc.collect()
    w0, c0 = time.perf_counter(), time.process_time()
    model = Floor(n, seed)
    for _ in range(steps):
        model.step()
    w1, c1 = time.perf_counter(), time.process_time()
    _forget(model)
    return {"wall": w1 - w0, "cpu": c1 - c0}


# ---------------------------------------------------------------------- timing
def time_size(size: int, plan: tuple, floor_agent_steps: int, cases) -> list[dict]:
    """Long-minus-short for every case and for Mesa's floor, interleaved per repeat."""
    short, long_, repeats = plan
    warmup = short // 2
    floor_long = short + max(long_ - short, math.ceil(floor_agent_steps / size))
    diffs = {c[0]: [] for c in cases} | {FLOOR: []}
    extra = {c[0]: [] for c in cases}
    for rep in range(repeats):
        for label, regime, cap in cases:
            a = run_model(make_config(regime, size, short, warmup, rep, cap))
            b = run_model(make_config(regime, size, long_, warmup, rep, cap))
            diffs[label].append((b["wall"] - a["wall"], b["cpu"] - a["cpu"]))
            extra[label].append((a["build"], b["metrics"]))
        a, b = run_floor(size, short, rep), run_floor(size, floor_long, rep)
        diffs[FLOOR].append((b["wall"] - a["wall"], b["cpu"] - a["cpu"]))

    def ns(label, steps):
        wall = [1e9 * w / (steps * size) for w, _ in diffs[label]]
        cpu = [1e9 * c / (steps * size) for _, c in diffs[label]]
        return median(wall), median(cpu), min(wall), max(wall)

    f_wall, f_cpu, f_min, f_max = ns(FLOOR, floor_long - short)
    rows = []
    for label, regime, cap in cases:
        wall, cpu, lo, hi = ns(label, long_ - short)
        cfg = make_config(regime, size, long_, warmup, 0, cap)
        m = [x[1] for x in extra[label]]
        rows.append(
            {
                "case": label,
                "regime": regime,
                "size": size,
                "leader_capacity": cfg.organization.leader_capacity,
                "arrival_rate": round(cfg.workload.arrival_rate, 4),
                "network": cfg.organization.network,
                "short_steps": short,
                "long_steps": long_,
                "repeats": repeats,
                "ns_per_agent_step": round(wall, 1),
                "ns_per_agent_step_cpu": round(cpu, 1),
                "ns_min": round(lo, 1),
                "ns_max": round(hi, 1),
                "floor_ns_per_agent_step": round(f_wall, 1),
                "floor_ns_per_agent_step_cpu": round(f_cpu, 1),
                "ratio_to_floor": round(wall / f_wall, 2),
                "ratio_to_floor_cpu": round(cpu / f_cpu, 2),
                "build_s": round(median(x[0] for x in extra[label]), 4),
                "throughput_per_person": round(median(x["throughput"] for x in m) / size, 4),
                "leader_utilization": round(median(x["leader_utilization"] for x in m), 3),
            }
        )
    rows.append(
        {
            "case": FLOOR,
            "regime": FLOOR,
            "size": size,
            "leader_capacity": "",
            "arrival_rate": "",
            "network": "",
            "short_steps": short,
            "long_steps": floor_long,
            "repeats": repeats,
            "ns_per_agent_step": round(f_wall, 1),
            "ns_per_agent_step_cpu": round(f_cpu, 1),
            "ns_min": round(f_min, 1),
            "ns_max": round(f_max, 1),
            "floor_ns_per_agent_step": round(f_wall, 1),
            "floor_ns_per_agent_step_cpu": round(f_cpu, 1),
            "ratio_to_floor": 1.0,
            "ratio_to_floor_cpu": 1.0,
            "build_s": "",
            "throughput_per_person": "",
            "leader_utilization": "",
        }
    )
    return rows


# ---------------------------------------------------------------------- memory
def _run_once(label: str, size: int, steps: int) -> None:
    if label == FLOOR:
        run_floor(size, steps, 0)
    else:
        _, regime, cap = next(c for c in CASES if c[0] == label)
        run_model(make_config(regime, size, steps, steps // 2, 0, cap))


def traced_peak_mb(label: str, size: int, steps: int) -> float:
    """Peak of the memory allocated through Python and NumPy during one run."""
    gc.collect()
    tracemalloc.start()
    try:
        _run_once(label, size, steps)
        return round(tracemalloc.get_traced_memory()[1] / 2**20, 3)
    finally:
        tracemalloc.stop()


def _status_mb(field: str) -> float:
    """``VmRSS`` (now) or ``VmHWM`` (peak) of this process, from /proc, in MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024.0
    raise OSError(f"{field} not in /proc/self/status")


def rss_child(label: str, size: int, steps: int) -> dict:
    """In a fresh process: RSS after the imports, and the peak RSS of one run.

    The peak is ``VmHWM``, reset after the imports through ``/proc/self/clear_refs``
    so that it covers the run only. Not ``ru_maxrss``: Linux carries it over from the
    parent through fork and exec, so a child of a big benchmark process would report
    the parent's size.
    """
    import mesa  # noqa: F401

    import simulation.metrics
    import simulation.model  # noqa: F401

    gc.collect()
    base = _status_mb("VmRSS")
    with contextlib.suppress(OSError):  # otherwise the peak includes the imports' own peak, an upper bound
        Path("/proc/self/clear_refs").write_text("5")
    _run_once(label, size, steps)
    peak = _status_mb("VmHWM")
    return {"rss_base_mb": round(base, 1), "rss_peak_mb": round(peak, 1), "rss_model_mb": round(peak - base, 1)}


def measure_rss(label: str, size: int, steps: int) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--rss-child", label, str(size), str(steps)],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------------- analysis
def loglog_slope(x, y) -> float:
    """Slope of log(y) against log(x): 1 means proportional."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    if len(x) < 2 or (y <= 0).any():
        return float("nan")
    return float(np.polyfit(np.log(x), np.log(y), 1)[0])


def fits(rows: list[dict], min_size: int) -> dict:
    """Slopes of time per step and of memory against people, per case."""
    out = {}
    for case in dict.fromkeys(r["case"] for r in rows):
        rs = [r for r in rows if r["case"] == case and r["size"] >= min_size]
        n = [r["size"] for r in rs]
        out[case] = {
            "sizes": n,
            "time_per_step_slope": round(loglog_slope(n, [r["ns_per_agent_step"] * r["size"] for r in rs]), 3),
            "traced_memory_slope": round(loglog_slope(n, [r["traced_peak_mb"] for r in rs]), 3)
            if all(r.get("traced_peak_mb") for r in rs)
            else None,
        }
    return out


def add_fits(meta: dict, rows: list[dict]) -> None:
    """Slopes over all sizes, from 1,000 people (fixed costs of a step fade) and from
    10,000 (the two largest sizes: the asymptotic growth)."""
    meta["fits_all_sizes"] = fits(rows, 0)
    meta["fits_from_1000"] = fits(rows, 1000)
    meta["fits_from_10000"] = fits(rows, 10_000)


def plot(rows: list[dict], path: Path, meta: dict) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    styles = {
        "delegation": ("C0", "-", "o"),
        "distributed": ("C1", "-", "s"),
        "hybrid": ("C2", "-", "^"),
        "delegation_cap3": ("C0", ":", "o"),
        FLOOR: ("k", "--", "x"),
    }
    names = {"delegation_cap3": "delegation, leader capacity 3", FLOOR: "Mesa floor (no-op shuffle_do)"}
    fig, (ax_t, ax_m) = plt.subplots(1, 2, figsize=(11, 4.5))
    for case, (color, ls, marker) in styles.items():
        rs = sorted((r for r in rows if r["case"] == case), key=lambda r: r["size"])
        if not rs:
            continue
        n = [r["size"] for r in rs]
        kw = {"color": color, "ls": ls, "marker": marker, "label": names.get(case, case)}
        ax_t.plot(n, [r["ns_per_agent_step"] for r in rs], **kw)
        if all(r.get("traced_peak_mb") for r in rs):
            ax_m.plot(n, [r["traced_peak_mb"] for r in rs], **kw)
    ax_t.axhline(1000, color="grey", lw=0.8, label="target at 1,000 people: 1 µs")
    ax_t.set(
        xscale="log",
        yscale="log",
        xlabel="people (workers)",
        ylabel="wall time per agent-step (ns)",
        title="Time per agent-step (median, long minus short run)",
    )
    ax_m.set(
        xscale="log",
        yscale="log",
        xlabel="people (workers)",
        ylabel=f"peak traced memory (MiB), {meta['mem_steps']}-step run",
        title="Peak memory (tracemalloc)",
    )
    people = matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:,.0f}")
    for ax in (ax_t, ax_m):
        ax.grid(True, which="both", alpha=0.3)
        ax.set_xticks(sorted({r["size"] for r in rows}))
        ax.xaxis.set_major_formatter(people)
        ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
        ax.yaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
        ax.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:,g}"))
    ax_t.legend(fontsize=8)
    fig.suptitle(
        f"leadsim scaling — {meta['machine']['cpu_model']}, {meta['machine']['usable_cores']} cores, "
        f"load {meta['machine']['load_average_start'][:1]}",
        fontsize=9,
    )
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)


def _num(x) -> float:
    return float(x) if isinstance(x, (int, float)) else float("nan")


def table(rows: list[dict]) -> str:
    head = f"{'case':17s} {'people':>7s} {'ns/agent-step':>13s} {'cpu ns':>8s} {'floor ns':>9s} {'ratio':>6s} {'traced MiB':>10s} {'RSS MiB':>8s}"
    lines = [head]
    for r in rows:
        lines.append(
            f"{r['case']:17s} {r['size']:7d} {r['ns_per_agent_step']:13.0f} {r['ns_per_agent_step_cpu']:8.0f} "
            f"{r['floor_ns_per_agent_step']:9.0f} {r['ratio_to_floor']:6.2f} "
            f"{r.get('traced_peak_mb') or float('nan'):10.1f} {_num(r.get('rss_model_mb')):8.1f}"
        )
    return "\n".join(lines)


# ---------------------------------------------------------------------- main
def main(argv=None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--quick", action="store_true", help="smoke mode: 12 and 60 people, two short repeats")
    ap.add_argument("--sizes", type=int, nargs="+", help="override the sizes (must be in the plan unless --quick)")
    ap.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results", help="folder for scaling.csv/.json")
    ap.add_argument("--figure", type=Path, default=REPO / "docs" / "figures" / "performance" / "scaling.png")
    ap.add_argument(
        "--rss",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="also measure peak RSS in a fresh subprocess per case and size (default: on, off with --quick)",
    )
    ap.add_argument(
        "--replot",
        action="store_true",
        help="no measuring: recompute the fits and redraw the figure from --out/scaling.json",
    )
    ap.add_argument("--rss-child", nargs=3, metavar=("CASE", "SIZE", "STEPS"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    if args.rss_child:
        label, size, steps = args.rss_child
        print(json.dumps(rss_child(label, int(size), int(steps))))
        return 0

    if args.replot:
        data = json.loads((args.out / "scaling.json").read_text())
        rows = data.pop("rows")
        add_fits(data, rows)
        write_results(args.out, "scaling", rows, data)
        plot(rows, args.figure, data)
        print(f"redrew {args.figure}; fits in {args.out / 'scaling.json'}")
        return 0
    import logging

    logging.getLogger("MESA").setLevel(logging.WARNING)
    if args.quick:
        # Keep the libraries' objects out of the untimed gc.collect() between runs,
        # which would otherwise dominate a smoke run. The full benchmark leaves the
        # collector as a user's process has it.
        import simulation.model  # noqa: F401

        gc.collect()
        gc.freeze()
    plan = QUICK_PLAN if args.quick else PLAN
    floor_steps = QUICK_FLOOR_AGENT_STEPS if args.quick else FLOOR_AGENT_STEPS
    mem_steps = QUICK_MEM_STEPS if args.quick else MEM_STEPS
    rss = (not args.quick) if args.rss is None else args.rss
    sizes = args.sizes or list(plan)
    unknown = [s for s in sizes if s not in plan and not args.quick]
    if unknown:
        print(f"--sizes: each must be one of {', '.join(map(str, plan))}, got {unknown}", file=sys.stderr)
        return 2
    meta = {
        "benchmark": "scaling",
        "quick": args.quick,
        "machine": machine_info(),
        "method": "median over repeats of (long run - short run) / (extra steps x people); "
        "runs include build, every step and model.metrics()",
        "workload": "arrival_rate = size/30, leader_capacity = ceil(1.25*arrival_rate) "
        "(delegation_cap3: leader_capacity = 3)",
        "network": "complete at 12 people, small_world degree 8 above",
        "memory": "traced_peak_mb: tracemalloc peak of one run in this process (after timing); "
        "rss_*: fresh subprocess per case and size, VmRSS after the imports and VmHWM (reset "
        "after the imports) at the end of the run",
        "rss_measured": rss,
        "mem_steps": mem_steps,
        "floor_min_agent_steps": floor_steps,
    }
    print(f"load average {meta['machine']['load_average_start']}; cores {meta['machine']['usable_cores']}", flush=True)
    t_start = time.perf_counter()
    rows = []
    for size in sizes:
        t0 = time.perf_counter()
        p = plan.get(size, (20, 60, 1))
        size_rows = time_size(size, p, floor_steps, CASES)
        t1 = time.perf_counter()
        for r in size_rows:
            r["traced_peak_mb"] = traced_peak_mb(r["case"], size, mem_steps)
            r.update(
                measure_rss(r["case"], size, mem_steps)
                if rss
                else {"rss_base_mb": "", "rss_peak_mb": "", "rss_model_mb": ""}
            )
        for r in size_rows:
            r["time_phase_s"] = round(t1 - t0, 1)
        rows += size_rows
        print(
            table(size_rows).split("\n", 1)[1] if rows != size_rows else table(size_rows),
            f"\n  [{size} people: timing {t1 - t0:.0f} s, memory {time.perf_counter() - t1:.0f} s]",
            flush=True,
        )
    meta["runtime_s"] = round(time.perf_counter() - t_start, 1)
    add_fits(meta, rows)
    csv_path, json_path = write_results(args.out, "scaling", rows, meta)
    plot(rows, args.figure, meta)
    print(f"wrote {csv_path}, {json_path}, {args.figure}")
    print(
        "log-log slopes from 1,000 people (time per step, traced memory):",
        {k: (v["time_per_step_slope"], v["traced_memory_slope"]) for k, v in meta["fits_from_1000"].items()},
    )
    print(f"total {meta['runtime_s']:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
