"""Peak memory of one long run against its length, with the event log off and on.

    python benchmarks/bench_memory.py                   # organization=large, 33 tasks/step
    python benchmarks/bench_memory.py --steps 2000 5000 --out outputs/bench

Each case runs in a fresh process and reports its peak resident memory
(``ru_maxrss``) and the memory the process held before the model was built, so the
difference is the model's. With the log off (``event_log=off``) metrics are kept as
things happen and the task table reuses the rows of ended tasks: memory should not
grow with the number of steps. Results: ``benchmarks/results/memory.json``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

CHILD = r"""
import json, resource, sys
from simulation.config import from_dict
from simulation.model import LeadershipModel
steps, log = int(sys.argv[1]), sys.argv[2]
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
cfg = from_dict({"organization": {"size": 1000, "network": "team_clustered", "team_size": 12, "degree": 8,
                                  "rewiring": 0.25, "leader_capacity": 3},
                 "workload": {"arrival_rate": 33.0}, "steps": steps, "warmup": 200, "seed": 1,
                 "event_log": log, "record_every": 1})
m = LeadershipModel(cfg).run()
met = m.metrics()
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"steps": steps, "event_log": log, "peak_mb": peak / 1024, "base_mb": before / 1024,
                  "model_mb": (peak - before) / 1024, "tasks": met["tasks_arrived"],
                  "task_rows": int(m.tasks.n), "events": len(m.events)}))
"""


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--steps", type=int, nargs="+", default=[2000, 5000, 10000, 20000])
    ap.add_argument(
        "--on-steps",
        type=int,
        nargs="+",
        default=[2000, 5000],
        help="lengths also run with the event log on (it grows with the run)",
    )
    ap.add_argument("--out", type=Path, default=HERE / "results")
    a = ap.parse_args()
    rows = []
    for log, lengths in (("off", a.steps), ("on", a.on_steps)):
        for steps in lengths:
            out = subprocess.run(
                [sys.executable, "-c", CHILD, str(steps), log], capture_output=True, text=True, check=True
            ).stdout
            rows.append(json.loads(out))
            r = rows[-1]
            print(
                f"event_log={log:<3} steps={steps:>6}  model {r['model_mb']:7.1f} MB  peak {r['peak_mb']:7.1f} MB"
                f"  tasks {r['tasks']:>8}  task rows {r['task_rows']:>7}  events {r['events']:>9}"
            )
    a.out.mkdir(parents=True, exist_ok=True)
    (a.out / "memory.json").write_text(json.dumps(rows, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
