"""Fingerprints of model outputs, to show that a speed-up changed nothing.

    python benchmarks/fingerprint.py before.json        # on the old code
    python benchmarks/fingerprint.py after.json         # on the new code
    python benchmarks/fingerprint.py --compare before.json after.json

A restructuring that keeps the order of random draws must leave every output
bit for bit as it was: the event log, trust, the leader's views, the time series and
the metrics of each configuration below (three regimes, 12 to 1,000 people, leader
capacity scaled or fixed, and a stressed setting with pushbacks, escalations and
cross-functional work). One that changes the order of draws cannot pass this check;
it needs the statistical comparison of tests/model/test_distributions.py instead.
Takes about 10 s.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_scaling import make_config


def _hash(a) -> str:
    return hashlib.sha1(np.ascontiguousarray(a).tobytes()).hexdigest()[:16]


def cases():
    from simulation.config import from_dict, to_dict

    for regime in ("delegation", "hybrid"):
        for seed in (3, 4):
            d = to_dict(make_config(regime, 200, 200, 50, seed, 5))
            d["culture"]["trust"] = 0.35
            d["organization"]["clarity"] = 0.1
            d["coordination"]["pushback_threshold"] = 0.6
            d["workload"]["cross_functional"] = 0.6
            yield f"stress-{regime}-{seed}", from_dict(d).validate()
    for regime in ("delegation", "distributed", "hybrid"):
        for size, steps, cap in (
            (12, 300, None),
            (60, 400, None),
            (60, 400, 3),
            (300, 200, None),
            (1000, 120, None),
            (1000, 120, 3),
        ):
            for seed in (1, 2):
                yield f"{regime}-{size}-{steps}-{cap}-{seed}", make_config(regime, size, steps, 20, seed, cap)


def fingerprint() -> dict:
    from simulation.model import LeadershipModel
    from simulation.runner import release

    out = {}
    for name, cfg in cases():
        m = LeadershipModel(cfg).run()
        metrics = m.metrics()
        out[name] = {
            "events": _hash(m.events.array()),
            "trust": _hash(m.trust.trust),
            "perceived": _hash(m.leader.perceived),
            "timeseries": _hash(m.timeseries.to_numpy(dtype=float)),
            "metrics": _hash(np.array([np.nan if v is None else float(v) for v in metrics.values()])),
        }
        release(m)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out", nargs="?", type=Path, help="write the fingerprints here (JSON)")
    ap.add_argument("--compare", nargs=2, type=Path, metavar=("BEFORE", "AFTER"))
    a = ap.parse_args()
    if a.compare:
        before, after = (json.loads(p.read_text()) for p in a.compare)
        differ = sorted(k for k in before if before[k] != after.get(k))
        print("identical" if not differ else f"{len(differ)} of {len(before)} differ: {', '.join(differ)}")
        return 1 if differ else 0
    if a.out is None:
        ap.error("give a file to write, or --compare BEFORE AFTER")
    a.out.write_text(json.dumps(fingerprint(), indent=1) + "\n")
    print(f"{a.out}: {len(json.load(a.out.open()))} configurations")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
