"""Where a step's time goes, for the benchmark's model (docs/performance.md, "Hot spots").

    python benchmarks/profile_hotspots.py                    # pyinstrument: every regime, 1,000 and 100,000 people
    python benchmarks/profile_hotspots.py --tool py-spy      # py-spy: the same, by source line
    python benchmarks/profile_hotspots.py --regime hybrid --size 10000 --steps 100

The model (configured as in ``bench_scaling.py``) is built and stepped past its
transient unprofiled; then ``--steps`` more steps and ``model.metrics()`` are
profiled. Printed per run: the functions of ``simulation`` by inclusive time (the
phases of a step), then the hottest functions by self time (pyinstrument; time in
NumPy's C code counts to the Python function that called it) or the hottest lines of
``simulation/`` with everything they call (py-spy, which samples wall time without
touching the process). pyinstrument
hooks every call, which inflates the totals; the shares are what to read.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_scaling import _forget, make_config

DEFAULT_STEPS = {12: 2000, 60: 1000, 1_000: 300, 10_000: 60, 100_000: 20}
WARM = 30
MARK = "profiled_section"


def _model(regime, size, steps, cap):
    from simulation.model import LeadershipModel

    model = LeadershipModel(make_config(regime, size, WARM + steps, WARM // 2, 0, cap))
    for _ in range(WARM):
        model.step()
    return model


def profiled_section(model) -> None:
    """The profiled part; py-spy keeps only the samples taken inside this function."""
    model.run()
    model.metrics()


def _header(model, steps, total) -> str:
    c = model.cfg
    return (
        f"== {c.coordination.name} (leader capacity {c.organization.leader_capacity}), "
        f"{c.organization.size:,} people, {steps} steps: {total:.2f} s profiled, "
        f"{1e9 * total / (steps * c.organization.size):,.0f} ns per agent-step under the profiler"
    )


def _table(title, items, total, top) -> list[str]:
    lines = [f"  {title}:"]
    for k, v in sorted(items, key=lambda kv: -kv[1])[:top]:
        lines.append(f"    {100 * v / total:5.1f} %  {k}")
    return lines


# ---------------------------------------------------------------------- pyinstrument
def with_pyinstrument(regime, size, steps, cap, top) -> str:
    from pyinstrument import Profiler

    model = _model(regime, size, steps, cap)
    profiler = Profiler(interval=0.0005)
    profiler.start()
    profiled_section(model)
    profiler.stop()
    _forget(model)
    inclusive, own = defaultdict(float), defaultdict(float)

    def walk(frame, ancestors):
        if frame.is_synthetic:  # "[self]" leaves: already in the parent's total_self_time
            return
        key = f"{frame.function} ({frame.file_path_short}:{frame.line_no})"
        own[key] += frame.total_self_time
        if key not in ancestors:  # recursive calls count once
            inclusive[key] += frame.time
        for child in frame.children:
            walk(child, ancestors | {key})

    root = profiler.last_session.root_frame()
    walk(root, frozenset())
    total = root.time
    sim = [(k, v) for k, v in inclusive.items() if k.split("(")[1].startswith("simulation") and MARK not in k]
    return "\n".join(
        [
            _header(model, steps, total),
            *_table("inclusive time, simulation/*", sim, total, top),
            *_table("self time by function", own.items(), total, top),
        ]
    )


# ---------------------------------------------------------------------- py-spy
def with_py_spy(regime, size, steps, cap, top) -> str:
    exe = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(exe).exists():
        raise SystemExit("py-spy is not installed: pip install py-spy")
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "raw.txt"
        cmd = [
            exe,
            "record",
            "--rate",
            "500",
            "--format",
            "raw",
            "--output",
            str(raw),
            "--",
            sys.executable,
            __file__,
            "--run-only",
            regime,
            str(size),
            str(steps),
            str(cap or 0),
        ]
        subprocess.run(cmd, check=True, capture_output=True, text=True)
        text = raw.read_text()
    inclusive, own, n = defaultdict(int), defaultdict(int), 0
    for line in text.splitlines():
        stack, count = line.rsplit(" ", 1)
        frames = stack.split(";")
        inside = [i for i, f in enumerate(frames) if f.startswith(MARK + " ")]
        if not inside:
            continue  # building and warm-up steps
        frames = frames[inside[0] + 1 :]
        n += int(count)
        ours = [f for f in frames if "simulation/" in f]
        own[ours[-1] if ours else MARK] += int(count)
        seen = set()
        for f in frames:
            func = f.rsplit(":", 1)[0] + ")"  # function (file), without the line
            if "simulation/" in f and func not in seen:
                seen.add(func)
                inclusive[func] += int(count)
    if n == 0:
        return f"== {regime} {size}: no samples"
    c = make_config(regime, size, WARM + steps, WARM // 2, 0, cap or None)
    head = (
        f"== {regime} (leader capacity {c.organization.leader_capacity}), {size:,} people, {steps} steps: "
        f"{n} samples at 500 Hz (~{n / 500:.1f} s)"
    )
    return "\n".join(
        [
            head,
            *_table("inclusive time, simulation/*", inclusive.items(), n, top),
            *_table("by the innermost line of simulation/ (NumPy calls below it included)", own.items(), n, top),
        ]
    )


def _run_only(regime, size, steps, cap) -> None:
    model = _model(regime, int(size), int(steps), int(cap) or None)
    profiled_section(model)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tool", choices=["pyinstrument", "py-spy"], default="pyinstrument")
    ap.add_argument(
        "--regime",
        nargs="+",
        default=["delegation", "distributed", "hybrid"],
        choices=["delegation", "distributed", "hybrid"],
    )
    ap.add_argument("--size", type=int, nargs="+", default=[1_000, 100_000])
    ap.add_argument("--steps", type=int, help="profiled steps (default: by size)")
    ap.add_argument("--leader-capacity", type=int, help="default: ceil(1.25 * size / 30), as in the benchmark")
    ap.add_argument("--top", type=int, default=12)
    ap.add_argument("--run-only", nargs=4, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    import logging

    logging.getLogger("MESA").setLevel(logging.WARNING)
    if args.run_only:
        _run_only(*args.run_only)
        return 0
    profile = with_py_spy if args.tool == "py-spy" else with_pyinstrument
    for size in args.size:
        for regime in args.regime:
            steps = args.steps or DEFAULT_STEPS.get(size, max(20, 300_000 // size))
            print(profile(regime, size, steps, args.leader_capacity, args.top), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
