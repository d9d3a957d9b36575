"""The Hydra callback behind every ``leadsim -m``: a manifest before, a report after.

``on_multirun_end`` runs in the launching process with every launcher, but only if no
job raised: sweep jobs therefore record their failures instead of raising
(``simulation.cli._sweep_job``). If any run failed, the command exits with status 1
after the report is written.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from hydra.experimental.callback import Callback

from . import plan


class SweepReport(Callback):
    """Write ``.leadsim/sweep.json`` before a multirun and the report after it.

    ``publish`` copies the named report files (``publish_files``, relative to the sweep
    folder) to another folder — the studies in ``experiments/`` use it, so that their
    committed figures and tables are exactly what their command produced.
    """

    def __init__(
        self,
        figures: bool = True,
        metrics=None,
        publish=None,
        publish_files=None,
        baseline: str = "delegation",
        exit_on_failure: bool = True,
    ):
        self.figures = figures
        self.metrics = list(metrics) if metrics else None
        self.publish = publish
        self.publish_files = list(publish_files or ["summary.csv"])
        self.baseline = baseline
        self.exit_on_failure = exit_on_failure

    def on_multirun_start(self, config, **kwargs) -> None:
        from ..metrics import METRICS

        for m in self.metrics or []:
            if m not in METRICS:
                print(
                    f"[leadsim] warning: hydra.callbacks.report.metrics: unknown metric {m!r} is not plotted; "
                    f"allowed: {', '.join(METRICS)}",
                    file=sys.stderr,
                )
        sweep_dir = Path(str(config.hydra.sweep.dir))
        manifest = plan.write_manifest(sweep_dir, config, sys.argv[1:])
        total = manifest["total"] if manifest["total"] is not None else "?"
        print(f"[leadsim] sweep of {total} runs into {sweep_dir}", file=sys.stderr, flush=True)

    def on_multirun_end(self, config, **kwargs) -> None:
        from .report import status_line, write_report

        sweep_dir = Path(str(config.hydra.sweep.dir))
        info = write_report(sweep_dir, metrics=self.metrics, figures=self.figures, baseline=self.baseline)
        print(status_line(info), file=sys.stderr)
        figures = any(Path(f).parent.name == "figures" for f in info["files"])
        table = "results.csv" if (sweep_dir / "results.csv").exists() else "results.parquet"
        print(
            f"[leadsim] report: {sweep_dir / table}, {sweep_dir / 'summary.csv'}"
            + (f", {sweep_dir / 'figures'}" if figures else ""),
            file=sys.stderr,
            flush=True,
        )
        if self.publish:
            publish(sweep_dir, Path(self.publish), self.publish_files)
        if info["failed"] and self.exit_on_failure:
            print(
                f"[leadsim] {info['failed']} run(s) failed: see error.txt in their folders; "
                "run the same command again to retry them",
                file=sys.stderr,
                flush=True,
            )
            raise SystemExit(1)


def publish(sweep_dir: Path, dest: Path, names: list[str]) -> list[Path]:
    """Copy report files out of the sweep folder (e.g. into ``experiments/<study>``)."""
    dest.mkdir(parents=True, exist_ok=True)
    out = []
    for name in names:
        src = sweep_dir / name
        if src.is_file():
            target = dest / Path(name).name
            shutil.copyfile(src, target)
            out.append(target)
        else:
            print(f"[leadsim] publish: {src} was not produced", file=sys.stderr)
    if out:
        print(f"[leadsim] published {len(out)} file(s) to {dest}", file=sys.stderr)
    return out
