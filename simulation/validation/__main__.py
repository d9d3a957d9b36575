"""``python -m simulation.validation [--out DIR] [--jobs N] [--quick]``: regenerate every
table and figure of docs/validation.md (and refresh the tables inside it)."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m simulation.validation", description=__doc__.splitlines()[0])
    p.add_argument("--out", default="docs/figures/validation", help="folder for figures and tables")
    p.add_argument("--jobs", type=int, default=2, help="parallel processes (default 2)")
    p.add_argument("--quick", action="store_true", help="few replicates and short runs (a smoke test)")
    p.add_argument(
        "--only",
        nargs="*",
        choices=["queue", "little", "limits", "replicates", "patterns", "dose", "bystanders"],
        help="run only these sections",
    )
    p.add_argument(
        "--doc",
        default="docs/validation.md",
        help="report whose <!-- table:NAME --> blocks are refreshed (skipped if missing)",
    )
    a = p.parse_args(argv)
    if a.jobs < 1:
        p.exit(2, "python -m simulation.validation: error: --jobs: must be at least 1\n")
    from .report import build

    t = time.perf_counter()
    r = build(Path(a.out), quick=a.quick, jobs=a.jobs, only=a.only)
    if Path(a.doc).exists() and not a.quick:
        from .report import fill_doc

        print(f"refreshed {fill_doc(Path(a.doc), Path(a.out))} tables in {a.doc}", file=sys.stderr)
    print(
        f"wrote {len(r.tables)} tables and their figures to {a.out} in {time.perf_counter() - t:.0f} s", file=sys.stderr
    )
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
