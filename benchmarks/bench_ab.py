"""This checkout against another one, interleaved: cost per agent-step of the full model.

    python benchmarks/bench_ab.py --other ../leadsim-0.1 --sizes 1000 100000 --repeats 5

The speed target of a model change ("no regression of more than 15 % at 1,000 and
100,000 people") is a ratio between two versions, so both must see the same machine:
each repeat runs every variant once, in a fresh subprocess, in turn. A variant is a
checkout plus mechanism switches: ``other`` (the other checkout as it is), ``model2``
(this checkout's defaults) and ``model1`` (this checkout with every switch at the value
that recovers leadsim 0.1, ``configs/mechanisms/model1.yaml``). The cost is measured as
in ``bench_scaling.py``: a short and a long run of the same configuration, constructor to
``metrics()``, their difference over the extra agent-steps; CPU time of the process
(less sensitive than wall time to other jobs on the machine) and wall time. Printed and
written (``--out``): the median per variant, the ratios to ``other`` and the load
average before and after.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from statistics import median

REPO = Path(__file__).resolve().parents[1]
PLAN = {1_000: (100, 600), 10_000: (40, 140), 100_000: (30, 60)}


def _model1_switches() -> dict:
    """Model 1's switches, read from this checkout's ``mechanisms=model1`` config group."""
    import yaml

    return yaml.safe_load((REPO / "configs" / "mechanisms" / "model1.yaml").read_text())


def _config(regime: str, size: int, steps: int, seed: int, switches: dict) -> dict:
    rate = size / 30
    data = {
        "organization": {"size": size, "leader_capacity": -(-5 * size // 120), "network": "small_world", "degree": 8},
        "workload": {"arrival_rate": rate},
        "coordination": {"name": regime},
        "steps": steps,
        "warmup": steps // 2,
        "seed": seed,
    }
    for group, values in switches.items():
        data[group] = {**data.get(group, {}), **values}
    return data


def worker(args) -> None:
    """One short and one long run in this process; prints the costs as JSON."""
    sys.path.insert(0, args.repo)
    import gc

    from simulation.config import from_dict
    from simulation.model import LeadershipModel
    from simulation.runner import release

    short, long_ = PLAN[args.size]
    switches = _model1_switches() if args.switches == "model1" else {}
    out = {}
    for steps in (short, long_):
        cfg = from_dict(_config(args.regime, args.size, steps, args.seed, switches)).validate()
        gc.collect()
        w0, c0 = time.perf_counter(), time.process_time()
        model = LeadershipModel(cfg)
        model.run()
        metrics = model.metrics()
        out[steps] = (time.perf_counter() - w0, time.process_time() - c0, metrics.get("throughput"))
        release(model)
    extra = (long_ - short) * args.size
    print(
        json.dumps(
            {
                "cpu_ns": 1e9 * (out[long_][1] - out[short][1]) / extra,
                "wall_ns": 1e9 * (out[long_][0] - out[short][0]) / extra,
                "throughput": out[long_][2],
            }
        )
    )


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--other", help="the other checkout (e.g. a worktree of 0.1)")
    ap.add_argument("--sizes", type=int, nargs="+", default=[1_000, 100_000], choices=sorted(PLAN))
    ap.add_argument("--regimes", nargs="+", default=["delegation", "distributed", "hybrid"])
    ap.add_argument("--variants", nargs="+", default=["other", "model2", "model1"])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--out", type=Path, help="write OUT.json")
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--repo", help=argparse.SUPPRESS)
    ap.add_argument("--regime", help=argparse.SUPPRESS)
    ap.add_argument("--size", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--seed", type=int, default=0, help=argparse.SUPPRESS)
    ap.add_argument("--switches", default="", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        worker(args)
        return 0
    if not args.other:
        ap.error("--other: the checkout to compare with is required")
    other = str(Path(args.other).resolve())
    load0 = os.getloadavg()
    samples: dict = {}
    for rep in range(args.repeats):
        for size in args.sizes:
            for regime in args.regimes:
                for variant in args.variants:
                    repo = other if variant == "other" else str(REPO)
                    cmd = [sys.executable, __file__, "--worker", "--repo", repo, "--regime", regime]
                    cmd += ["--size", str(size), "--seed", str(rep), "--switches", variant]
                    res = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)
                    samples.setdefault(f"{size} {regime} {variant}", []).append(res)
        print(f"repeat {rep + 1}/{args.repeats} done, load {os.getloadavg()[0]:.1f}", flush=True)
    rows = []
    for size in args.sizes:
        for regime in args.regimes:
            base = median(s["cpu_ns"] for s in samples[f"{size} {regime} other"]) if "other" in args.variants else None
            for variant in args.variants:
                s = samples[f"{size} {regime} {variant}"]
                cpu = median(x["cpu_ns"] for x in s)
                row = {
                    "size": size,
                    "regime": regime,
                    "variant": variant,
                    "cpu_ns": round(cpu),
                    "wall_ns": round(median(x["wall_ns"] for x in s)),
                    "ratio_to_other": round(cpu / base, 3) if base else None,
                    "throughput": median(x["throughput"] for x in s),
                }
                rows.append(row)
                print(
                    f"{size:>7} {regime:<12} {variant:<7} cpu {row['cpu_ns']:>6} ns/agent-step"
                    f"  wall {row['wall_ns']:>6}  x{row['ratio_to_other']}  throughput {row['throughput']:.2f}"
                )
    result = {"load_before": load0, "load_after": os.getloadavg(), "repeats": args.repeats, "rows": rows}
    print(f"load average before {load0[0]:.1f}, after {result['load_after'][0]:.1f}")
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.with_suffix(".json").write_text(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
