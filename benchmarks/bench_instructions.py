"""Cost per agent-step counted in instructions: a deterministic A/B of two checkouts.

    python benchmarks/bench_instructions.py --other ../leadsim-0.1 --regimes delegation distributed hybrid
    python benchmarks/bench_instructions.py --switches   # model 2, then each model-1 switch alone
    python benchmarks/bench_instructions.py --switches --only model1 load_awareness=1.0 --sizes 100000

Timings on a shared virtual machine swing by tens of percent between identical runs,
more than the differences a speed-up is made of. The number of instructions the
process executes does not: valgrind's cachegrind (``--cache-sim=no``) counts them
exactly, so one run per variant gives the ratio. Each variant runs the benchmark's
workload (as in ``bench_ab.py``) for a short and a long number of steps in fresh
processes; the difference over the extra agent-steps is the cost of a step in the
steady part of a run, start-up and imports cancelled. An instruction is not a
nanosecond (a cache miss costs more than an add), so this ranks changes and
attributes costs; ``bench_ab.py`` measures the time. Needs ``valgrind`` (Debian
package); runs take about 50 times as long as without it: minutes per run at 1,000
people, about ten at 100,000.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_ab import REPO, _config, _model1_switches

#: size -> steps of the short and the long run (100,000: bench_scaling's own plan; about
#: 10 minutes per run under valgrind)
PLAN = {1_000: (50, 250), 10_000: (10, 40), 100_000: (30, 50)}


def worker(args) -> None:
    """Build the model and take ``--steps`` steps of a run configured for the long one."""
    sys.path.insert(0, args.repo)
    from simulation.config import from_dict
    from simulation.model import LeadershipModel

    cfg = from_dict(_config(args.regime, args.size, PLAN[args.size][1], 0, json.loads(args.set))).validate()
    model = LeadershipModel(cfg)
    for _ in range(args.steps):
        model.step()


def count(repo: str, regime: str, size: int, steps: int, switches: dict, hash_seed: int = 0) -> int:
    cmd = ["valgrind", "--tool=cachegrind", "--cache-sim=no", "--cachegrind-out-file=/dev/null"]
    cmd += [sys.executable, __file__, "--worker", "--repo", repo, "--regime", regime, "--size", str(size)]
    cmd += ["--steps", str(steps), "--set", json.dumps(switches)]
    # A fixed hash seed: string hashing changes dict layouts, hence counts, by 2-3 % (memory
    # addresses by 1-2 % more at a fixed seed); --hash-seeds averages over several.
    env = {**os.environ, "PYTHONHASHSEED": str(hash_seed)}
    done = subprocess.run(cmd, capture_output=True, text=True, check=True, env=env)
    return int(re.search(r"I\s+refs:\s+([\d,]+)", done.stderr).group(1).replace(",", ""))


def variants(args) -> dict[str, tuple[str, dict]]:
    """Name -> (checkout, mechanism switches)."""
    out = {"model2": (str(REPO), {})}
    if args.other:
        out = {"other": (str(Path(args.other).resolve()), {}), **out}
    if args.switches:
        m1 = _model1_switches()
        out["model1"] = (str(REPO), m1)
        for group, values in m1.items():
            for key, value in values.items():
                out[f"{key}={value}"] = (str(REPO), {group: {key: value}})
    if args.only:  # a subset of the switches (the baseline and model 2 always run)
        out = {k: v for k, v in out.items() if k in ("other", "model2", *args.only)}
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--other", help="another checkout (e.g. a worktree of 0.1): the baseline")
    ap.add_argument("--switches", action="store_true", help="also model 2 with each model-1 switch alone")
    ap.add_argument(
        "--only", nargs="+", metavar="VARIANT", help="of the switches, only these (e.g. model1 load_awareness=1.0)"
    )
    ap.add_argument("--sizes", type=int, nargs="+", default=[1_000], choices=sorted(PLAN))
    ap.add_argument("--regimes", nargs="+", default=["delegation", "distributed", "hybrid"])
    ap.add_argument("--jobs", type=int, default=2, help="valgrind processes at once")
    ap.add_argument("--hash-seeds", type=int, default=1, help="count under this many hash seeds and average")
    ap.add_argument("--out", type=Path, help="write OUT.json")
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    for name in ("--repo", "--regime", "--set"):
        ap.add_argument(name, help=argparse.SUPPRESS)
    ap.add_argument("--size", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--steps", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        worker(args)
        return 0
    if not (args.other or args.switches):
        ap.error("--other or --switches: name what to compare")
    if args.hash_seeds < 1:
        ap.error(f"--hash-seeds: must be at least 1, got {args.hash_seeds}")
    if shutil.which("valgrind") is None:
        ap.error("valgrind: not found (install the Debian package valgrind)")
    var = variants(args)
    seeds = range(args.hash_seeds)
    jobs = [(v, g, n, s, h) for n in args.sizes for g in args.regimes for v in var for s in PLAN[n] for h in seeds]
    with ThreadPoolExecutor(args.jobs) as ex:
        counts = dict(zip(jobs, ex.map(lambda j: count(var[j[0]][0], *j[1:4], var[j[0]][1], j[4]), jobs)))
    rows = []
    for n in args.sizes:
        short, long_ = PLAN[n]
        for g in args.regimes:
            per = {
                v: [(counts[(v, g, n, long_, h)] - counts[(v, g, n, short, h)]) / ((long_ - short) * n) for h in seeds]
                for v in var
            }
            mean = {v: sum(x) / len(x) for v, x in per.items()}
            base = mean["other"] if "other" in mean else mean["model2"]
            for v, x in mean.items():
                row = {"size": n, "regime": g, "variant": v, "instructions": round(x), "ratio": round(x / base, 3)}
                row["by_hash_seed"] = [round(y) for y in per[v]]
                rows.append(row)
                spread = f"  (hash seeds: {min(per[v]):.0f}-{max(per[v]):.0f})" if len(seeds) > 1 else ""
                print(
                    f"{n:>7} {g:<12} {v:<26} {x:8.0f} instructions per agent-step  x{x / base:.3f}{spread}", flush=True
                )
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        base_name = "other" if args.other else "model2"
        args.out.with_suffix(".json").write_text(
            json.dumps({"baseline": base_name, "plan": PLAN, "hash_seeds": len(seeds), "rows": rows}, indent=1)
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
