"""The informal-roles study (experiments/roles.md): role metrics of a sweep folder,
summarised with Student-t confidence intervals per regime x trust x clarity, and
figures, with the sweep report's own functions.

    python -m simulation.roles.study SWEEP_DIR OUT_DIR

The sweep report tabulates the metrics listed in ``simulation.metrics.METRICS``; until
the ``roles_*`` names are among them, this writes their tables (``roles_summary.csv``,
``roles_paired.csv``) and figures next to the study.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

from . import ROLE_METRICS

#: The role metrics the study plots and discusses.
SHOWN = (
    "roles_informal_leader_share",
    "roles_informal_leader_lead_share",
    "roles_broker_share",
    "roles_knowledge_holder_share",
    "roles_pusher_share",
    "roles_sidelines_share",
    "roles_stability",
    "roles_lead_rank_stability",
    "roles_leads_competence_rho",
    "roles_leads_initiative_rho",
    "roles_leads_trust_rho",
)


#: The figures copied next to the study (all of them stay in SWEEP_DIR/figures/roles).
PUBLISHED = (
    "overview_culture_trust.png",
    "overview_organization_clarity.png",
    "heatmap_roles_informal_leader_share.png",
    "heatmap_roles_sidelines_share.png",
    "heatmap_roles_informal_leader_lead_share.png",
)


def load(sweep_dir: Path) -> pd.DataFrame:
    """The sweep's tidy table (results.parquet when the report wrote one)."""
    from ..sweep import report

    table = sweep_dir / "results.parquet"
    return pd.read_parquet(table) if table.is_file() else report.collect(sweep_dir)


def write_study(sweep_dir, out_dir, figures: bool = True) -> list[Path]:
    """Write roles_summary.csv, roles_paired.csv and figures into ``out_dir``."""
    from ..sweep import report

    sweep_dir, out_dir = Path(sweep_dir), Path(out_dir)
    df = load(sweep_dir)
    metrics = [m for m in ROLE_METRICS if m in df]
    if df.empty or not metrics:
        raise SystemExit(f"roles-study: error: SWEEP_DIR: no runs with role metrics in {sweep_dir}")
    dims = report.swept_dims(df, None)
    keys = report.group_keys(df, dims)
    out_dir.mkdir(parents=True, exist_ok=True)
    files = [out_dir / "roles_summary.csv", out_dir / "roles_paired.csv"]
    report._write_csv(files[0], report.summarize(df, keys, metrics=metrics))
    report._write_csv(files[1], report.paired(df, dims, metrics=metrics, baseline="distributed"))
    if figures:  # all figures into the sweep folder; a few published next to the study
        import shutil

        from ..sweep.figures import make_figures

        made = make_figures(
            df,
            dims,
            sweep_dir / "figures" / "roles",
            metrics=[m for m in SHOWN if m in metrics],
            baseline="distributed",
        )
        for p in made:
            if p.name in PUBLISHED:
                shutil.copyfile(p, out_dir / p.name)
                files.append(out_dir / p.name)
    return files


def main(argv=None) -> None:
    p = argparse.ArgumentParser(prog="python -m simulation.roles.study", description=__doc__.split("\n\n")[0])
    p.add_argument("sweep_dir", metavar="SWEEP_DIR")
    p.add_argument("out_dir", metavar="OUT_DIR")
    p.add_argument("--no-figures", action="store_true")
    a = p.parse_args(argv)
    if not Path(a.sweep_dir).is_dir():
        print(f"roles-study: error: SWEEP_DIR: no such folder: {a.sweep_dir}", file=sys.stderr)
        raise SystemExit(2)
    for f in write_study(a.sweep_dir, a.out_dir, figures=not a.no_figures):
        print(f)


if __name__ == "__main__":  # pragma: no cover
    main()
