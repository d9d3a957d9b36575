"""Regenerate reference_metrics.csv: 30 seeds x 3 regimes at the settings of
tests/model/test_distributions.py. Run it only when the model's *semantics* change on
purpose (never to make a restructuring pass): `python tests/data/make_reference.py`."""

import subprocess
from pathlib import Path

import pandas as pd

from simulation import LeadershipModel
from simulation.config import REGIMES

HERE = Path(__file__).parent
SEEDS = range(1000, 1030)


def reference_config(regime: str):
    import sys

    sys.path.insert(0, str(HERE.parent))
    from helpers import MODEL1, make_config

    # The reference sample is model 1's: compare with model 1's mechanisms.
    return make_config(
        **MODEL1,
        **{"coordination.name": regime, "organization.size": 60, "organization.degree": 8, "steps": 300, "warmup": 50},
    )


def sample(regimes=REGIMES) -> pd.DataFrame:
    rows = []
    for regime in regimes:
        cfg = reference_config(regime)
        for s in SEEDS:
            met = LeadershipModel(cfg, seed=s).run().metrics()
            met["role_ambiguity"] = met["contested_or_unowned_share"]  # model 1's name for it
            rows.append({"regime": regime, "seed": s, **met})
    return pd.DataFrame(rows)


if __name__ == "__main__":
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    df = sample()
    df.insert(0, "commit", commit)
    df.to_csv(HERE / "reference_metrics.csv", index=False, float_format="%.6g")
    print(df.groupby("regime").mean(numeric_only=True).T)
