"""``leadsim-calibrate``: calibrate to observed targets, then compare the regimes.

    leadsim-calibrate examples/organisations/krackhardt-1987/targets.yaml --out outputs/calibration
    leadsim-calibrate targets.yaml steps=400 --prior culture.trust=0.2:0.9 --population 200
    leadsim-calibrate targets.yaml --out DIR --dask tcp://scheduler:8786   # on a cluster

Positional arguments after the targets file are leadsim overrides of the base run. Bad
input ends with one line on stderr and exit code 2 before anything is written. Running
the same command again continues a killed or finished calibration.
"""

from __future__ import annotations

import argparse
import sys

from ..config import ConfigError
from .spec import ABC_SETTINGS, UsageError, load_spec


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # argparse's usage errors: one line, exit 2
        print(f"leadsim-calibrate: error: {message}", file=sys.stderr)
        raise SystemExit(2)


def parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="leadsim-calibrate",
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("targets", help="targets.yaml: observed metrics {value, sd}; priors, overrides, abc settings")
    p.add_argument("overrides", nargs="*", help="leadsim overrides of the base run (e.g. steps=400)")
    p.add_argument("--out", default="outputs/calibration", help="output folder (default: %(default)s)")
    p.add_argument(
        "--prior",
        action="append",
        default=[],
        metavar="KEY=LOW:HIGH",
        help="a uniform prior (repeatable; adds to or replaces those of the file)",
    )
    for k, (default, lo, hi, integer) in ABC_SETTINGS.items():
        p.add_argument(
            f"--{k.replace('_', '-')}",
            dest=k,
            type=int if integer else float,
            default=None,
            help=f"[{lo}, {hi}], default {default} (or the file's abc.{k})",
        )
    p.add_argument("--cores", type=int, default=None, help="local processes (default: all cores)")
    p.add_argument(
        "--dask",
        default=None,
        metavar="ADDRESS",
        help="run on a Dask cluster whose scheduler is at ADDRESS (docs/organisations.md)",
    )
    p.add_argument("--no-compare", action="store_true", help="skip the regime comparison")
    return p


def main(argv: list[str] | None = None) -> None:
    args = parser().parse_args(argv)
    try:
        if args.cores is not None and args.cores < 1:
            raise UsageError(f"--cores: must be at least 1, got {args.cores}")
        spec = load_spec(
            args.targets,
            priors=args.prior,
            overrides=args.overrides,
            settings={k: getattr(args, k) for k in ABC_SETTINGS},
        )
        from .run import calibrate

        result = calibrate(
            spec,
            args.out,
            cores=args.cores,
            dask=args.dask,
            compare=not args.no_compare,
            log=lambda s: print(s, file=sys.stderr),
        )
    except (UsageError, ConfigError) as exc:
        print(f"leadsim-calibrate: error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    _report(result)


def _report(result) -> None:
    import pandas as pd

    with pd.option_context("display.width", 120, "display.max_columns", 20, "display.precision", 3):
        print("posterior (median and 95 % credible interval):")
        print(result.summary[["parameter", "median", "ci_low", "ci_high"]].to_string(index=False))
        if len(result.predictive_summary):
            print("\nposterior-predictive check:")
            print(result.predictive_summary.to_string(index=False))
        if len(result.regime_summary):
            d = result.regime_summary
            d = d[d.regime.str.contains(" - ")]
            print("\nregimes compared (paired differences, median and 95 % interval):")
            print(d[["metric", "regime", "median", "ci_low", "ci_high", "share_positive"]].to_string(index=False))
    print(f"\noutputs: {result.out}")


if __name__ == "__main__":  # pragma: no cover
    main()
