"""Global sensitivity analysis through the same sweep machinery.

``leadsim-sensitivity`` samples parameter ranges with SALib (Morris screening or
Sobol indices), writes the design as a table, runs it with ``leadsim -m`` and the
``samples`` sweeper (any Hydra launcher; resumable run folders; the usual report),
then writes the indices with 95 % confidence intervals for the chosen metrics, per
regime and for the gap between regimes, paired by seed::

    leadsim-sensitivity --method morris -n 10 --seeds 3 --out multirun/sens \\
        --param culture.trust=0.1:0.9 --param organization.clarity=0:1 \\
        --metrics throughput,role_ambiguity --regimes delegation,distributed

Every sample runs every regime with the same seeds (common random numbers), so the
gap ``distributed - delegation`` is a paired difference. A ``dummy`` parameter is
sampled too: it changes no parameter, only which block of seeds a sample uses. Its
index is therefore what re-drawing the random numbers alone does, and an index no
larger than the dummy's says nothing.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from ..config import REGIMES, field_docs
from ..metrics import METRICS
from ..runner import _atomic_write

DUMMY = "dummy"
SUB = "sensitivity"  # the folder inside the sweep folder


class UsageError(ValueError):
    pass


def parse_param(text: str, docs: dict) -> tuple[str, float, float, bool]:
    """``culture.trust=0.1:0.9`` -> (key, low, high, is_integer), checked against the schema."""
    key, sep, rng = text.partition("=")
    lo_text, sep2, hi_text = rng.partition(":")
    if not sep or not sep2:
        raise UsageError(f"--param: expected KEY=LOW:HIGH, got {text!r}")
    if key not in docs or docs[key]["choices"] is not None or docs[key]["range"] in (None, (None, None)):
        numeric = [
            k
            for k, d in docs.items()
            if d["choices"] is None
            and d["range"] not in (None, (None, None))
            and k not in ("seed", "steps", "warmup", "record_every")
        ]
        raise UsageError(f"--param {key}: not a numeric parameter; allowed: {', '.join(numeric)}")
    try:
        lo, hi = float(lo_text), float(hi_text)
    except ValueError:
        raise UsageError(f"--param {key}: LOW and HIGH must be numbers, got {rng!r}") from None
    allowed_lo, allowed_hi = docs[key]["range"]
    if not (allowed_lo <= lo < hi <= allowed_hi):
        raise UsageError(f"--param {key}: need {allowed_lo} <= LOW < HIGH <= {allowed_hi}, got {lo}:{hi}")
    return key, lo, hi, isinstance(docs[key]["default"], int) and not isinstance(docs[key]["default"], bool)


def make_design(method: str, params: list, n: int, levels: int, seed: int, dummy: bool):
    """The SALib problem, the raw samples ``X`` and the override table (ints rounded)."""
    names = [p[0] for p in params] + ([DUMMY] if dummy else [])
    bounds = [[p[1], p[2]] for p in params] + ([[0.0, 1.0]] if dummy else [])
    problem = {"num_vars": len(names), "names": names, "bounds": bounds}
    if method == "morris":
        from SALib.sample import morris as sampler

        X = sampler.sample(problem, N=n, num_levels=levels, seed=seed)
    else:
        from SALib.sample import sobol as sampler

        X = sampler.sample(problem, n, calc_second_order=False, seed=seed)
    table = pd.DataFrame(
        {name: (np.rint(X[:, i]).astype(int) if is_int else X[:, i]) for i, (name, _, _, is_int) in enumerate(params)}
    )
    return problem, X, table


def run_table(table: pd.DataFrame, X: np.ndarray, problem: dict, method: str, levels: int, seeds: int) -> pd.DataFrame:
    """One row per (sample, replicate): the sample's parameters and its seed.

    Samples with the same dummy value share their seeds (common random numbers); a
    different dummy value selects a different block of ``seeds`` seeds.
    """
    if DUMMY in problem["names"]:
        d = X[:, problem["names"].index(DUMMY)]
        block = np.rint(d * (levels - 1)) if method == "morris" else np.floor(d * 2**20)
    else:
        block = np.zeros(len(table))
    rows = table.loc[table.index.repeat(seeds)].reset_index(drop=True)
    rows["seed"] = block.astype(np.int64).repeat(seeds) * seeds + np.tile(np.arange(seeds), len(table))
    return rows


def _design_csv(table: pd.DataFrame) -> str:
    # repr() round-trips floats exactly: the run's config equals the design value.
    lines = [",".join(table.columns)]
    lines += [
        ",".join(repr(v.item() if hasattr(v, "item") else v) for v in row) for row in table.itertuples(index=False)
    ]
    return "\n".join(lines) + "\n"


def launch(out: Path, design: Path, regimes, jobs: int | None, launcher: str | None, overrides) -> int:
    """Run the design with ``leadsim -m`` and the samples sweeper; return its exit code."""
    cmd = [
        sys.executable,
        "-m",
        "simulation",
        "-m",
        "hydra/sweeper=samples",
        f"hydra.sweeper.samples={design.resolve()}",
        f"hydra.sweep.dir={out}",
        f"coordination={','.join(regimes)}",
        "hydra.callbacks.report.figures=false",
    ]
    if launcher:
        cmd.append(f"hydra/launcher={launcher}")
    if jobs is not None and (launcher in (None, "leadsim", "joblib")):
        cmd.append(f"hydra.launcher.n_jobs={jobs}")
    cmd += list(overrides)
    return subprocess.call(cmd)


def outputs(df: pd.DataFrame, n_samples: int, regimes, seeds: int, metrics) -> pd.DataFrame:
    """One row per sample: each metric per regime (mean over seeds) and each regime's gap
    to the first regime, paired by seed (mean of per-seed differences)."""
    per_sample = len(regimes) * seeds
    ok = df[df.status == "ok"].copy()
    ok["sample"] = ok["job"].astype(int) // per_sample
    out = pd.DataFrame(index=pd.RangeIndex(n_samples, name="sample"))
    base = regimes[0]
    for m in metrics:
        wide = ok.pivot_table(index=["sample", "seed"], columns="coordination.name", values=m, aggfunc="mean")
        for r in regimes:  # a regime with the metric undefined (NaN) in every run has no column
            out[f"{m}[{r}]"] = wide[r].groupby(level="sample").mean().reindex(out.index) if r in wide else np.nan
        for r in regimes[1:]:
            if r in wide and base in wide:
                out[f"{m}[{r}-{base}]"] = (wide[r] - wide[base]).groupby(level="sample").mean().reindex(out.index)
    return out


def lacking_samples(df: pd.DataFrame, n_samples: int, per_sample: int) -> pd.Series:
    """Per sample: True if some of its runs are not stored ``ok`` (failed or missing)."""
    ok = df[df.status == "ok"]
    done = (ok["job"].astype(int) // per_sample).value_counts()
    return done.reindex(range(n_samples), fill_value=0) < per_sample


def screen(Y: pd.DataFrame, lacking: pd.Series) -> tuple[list[str], list[str]]:
    """The output columns that can be analysed (finite for every sample), and a one-line
    note for each that cannot: a metric undefined for some samples (e.g. a lead time when
    no task finished) is left out, the others are analysed."""
    keep, notes = [], []
    n = len(Y)
    for name in Y.columns:
        bad = ~np.isfinite(Y[name].to_numpy(dtype=float))
        if not bad.any():
            keep.append(name)
            continue
        missing = int((bad & lacking.to_numpy()).sum())
        undefined = int(bad.sum()) - missing
        why = []
        if undefined:
            why.append(f"undefined (NaN) for {undefined} of {n} samples")
        if missing:
            why.append(f"{missing} of {n} samples lack finished runs")
        notes.append(f"{name}: not analysable: {'; '.join(why)}")
    return keep, notes


def analyze(method: str, problem: dict, X: np.ndarray, Y: pd.DataFrame, seed: int) -> tuple[pd.DataFrame, list[str]]:
    """Indices with 95 % confidence intervals for every output column of ``Y``."""
    frames, skipped = [], []
    for name in Y.columns:
        y = Y[name].to_numpy(dtype=float)
        if not np.isfinite(y).all():
            skipped.append(name)
            continue
        if method == "morris":
            from SALib.analyze import morris

            r = morris.analyze(problem, X, y, conf_level=0.95, num_resamples=1000, seed=seed)
            part = pd.DataFrame(
                {
                    "parameter": r["names"],
                    "mu": r["mu"],
                    "mu_star": r["mu_star"],
                    "mu_star_conf": r["mu_star_conf"],
                    "sigma": r["sigma"],
                }
            )
        else:
            from SALib.analyze import sobol

            r = sobol.analyze(problem, y, calc_second_order=False, conf_level=0.95, num_resamples=1000, seed=seed)
            part = pd.DataFrame(
                {
                    "parameter": problem["names"],
                    "S1": r["S1"],
                    "S1_conf": r["S1_conf"],
                    "ST": r["ST"],
                    "ST_conf": r["ST_conf"],
                }
            )
        part.insert(0, "output", name)
        frames.append(part)
    return (pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()), skipped


def plot(indices: pd.DataFrame, method: str, path: Path, title: str) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    outs = list(dict.fromkeys(indices["output"]))
    cols = min(len(outs), 3)
    rows = (len(outs) + cols - 1) // cols
    k = indices["parameter"].nunique()
    fig, axes = plt.subplots(
        rows, cols, figsize=(4.8 * cols, 0.35 * k * rows + 1.6 * rows), constrained_layout=True, squeeze=False
    )
    from matplotlib.patches import Patch

    key, conf = ("mu_star", "mu_star_conf") if method == "morris" else ("ST", "ST_conf")
    for ax, name in zip(axes.flat, outs):
        part = indices[indices.output == name].sort_values(key)
        y = np.arange(len(part))
        colors = ["#999999" if p == DUMMY else "#1f77b4" for p in part.parameter]
        ax.barh(y, part[key], xerr=part[conf], color=colors, capsize=3)
        handles = [
            Patch(color="#1f77b4", label="μ*" if method == "morris" else "total order (ST)"),
            Patch(color="#999999", label="dummy: seeds only"),
        ]
        if method == "sobol":
            ax.barh(y, part["S1"], xerr=part["S1_conf"], color="#ff7f0e", height=0.4, capsize=2)
            handles.append(Patch(color="#ff7f0e", label="first order (S1)"))
        ax.set_yticks(y, part.parameter, fontsize=8)
        ax.set_xlabel(
            "μ* (output units per full range)" if method == "morris" else "Sobol index (share of the output's variance)"
        )
        ax.set_title(name, fontsize=10)
        ax.legend(handles=handles, fontsize=7, loc="lower right")
        ax.grid(axis="x", alpha=0.3)
    for ax in list(axes.flat)[len(outs) :]:
        ax.set_visible(False)
    fig.suptitle(title)
    files = []
    for suffix in (".png", ".pdf"):
        p = path.with_suffix(suffix)
        fig.savefig(p, dpi=100)
        files.append(p)
    plt.close(fig)
    return files


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="leadsim-sensitivity",
        description=__doc__.splitlines()[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="Extra arguments are Hydra overrides with fixed values (e.g. organization=team steps=300).",
    )
    p.add_argument("--method", choices=("morris", "sobol"), default="morris")
    p.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="KEY=LOW:HIGH",
        help="a parameter and its range (repeat; at least two)",
    )
    p.add_argument("--metrics", default="throughput", help="comma-separated metrics (default: throughput)")
    p.add_argument(
        "--regimes",
        default="delegation,distributed",
        help="regimes run for every sample; gaps are taken against the first",
    )
    p.add_argument("--seeds", type=int, default=3, help="replicates per sample and regime (default 3)")
    p.add_argument(
        "-n",
        "--samples",
        type=int,
        default=None,
        help="Morris: trajectories (default 10); Sobol: base sample, a power of two (default 64)",
    )
    p.add_argument("--levels", type=int, default=4, help="Morris grid levels (default 4)")
    p.add_argument("--design-seed", type=int, default=0, help="seed of the SALib design and bootstrap")
    p.add_argument("--no-dummy", action="store_true", help="do not sample the noise-reference dummy parameter")
    p.add_argument("--out", required=True, help="the sweep folder (rerun the same command to resume)")
    p.add_argument(
        "--jobs", type=int, default=None, help="parallel processes (leadsim or joblib launcher; default all cores)"
    )
    p.add_argument("--launcher", default=None, help="Hydra launcher, e.g. slurm or submitit_local")
    p.add_argument("--publish", default=None, help="also copy indices.csv and indices.png to this folder")
    p.add_argument("--analyze-only", action="store_true", help="analyse the runs already in --out")
    return p


def main(argv=None) -> None:
    p = build_parser()
    a, overrides = p.parse_known_args(argv)
    bad = [o for o in overrides if o.startswith("-")]
    if bad:
        p.error(f"unrecognized arguments: {' '.join(bad)}")
    try:
        spec = _spec(a, overrides)
    except UsageError as exc:
        p.exit(2, f"leadsim-sensitivity: error: {exc}\n")
    try:
        import SALib  # noqa: F401
    except ImportError:
        p.exit(2, "leadsim-sensitivity: error: SALib is not installed; pip install 'leadsim[sweep]'\n")
    out = Path(a.out)
    sub = out / SUB
    problem, X, table = make_design(
        spec["method"], spec["params"], spec["n"], spec["levels"], spec["design_seed"], spec["dummy"]
    )
    old = _read_json(sub / "spec.json")
    if old and _design_of(old) != _design_of(spec):
        p.exit(
            2,
            f"leadsim-sensitivity: error: --out: {out} holds a different design; "
            "choose another folder (or delete it)\n",
        )
    sub.mkdir(parents=True, exist_ok=True)
    _atomic_write(sub / "spec.json", json.dumps(spec, indent=2) + "\n")
    _atomic_write(sub / "problem.json", json.dumps(problem, indent=2) + "\n")
    _atomic_write(
        sub / "design.csv", _design_csv(run_table(table, X, problem, spec["method"], spec["levels"], spec["seeds"]))
    )
    pd.DataFrame(X, columns=problem["names"]).to_csv(sub / "samples.csv", index=False)
    regimes = spec["regimes"]
    runs = len(table) * len(regimes) * spec["seeds"]
    print(
        f"[leadsim] {spec['method']}: {len(table)} samples x {len(regimes)} regimes x "
        f"{spec['seeds']} seeds = {runs} runs into {out}",
        file=sys.stderr,
        flush=True,
    )
    if not a.analyze_only:
        code = launch(out, sub / "design.csv", regimes, a.jobs, a.launcher, overrides)
        if code not in (0, 1):  # 1: some runs failed; the analysis says which outputs suffer
            raise SystemExit(code)

    df = read_runs(out, table, len(regimes) * spec["seeds"], spec["metrics"])
    if df.empty or not (df.status == "ok").any():
        print(f"leadsim-sensitivity: error: no finished runs in {out}; run it without --analyze-only", file=sys.stderr)
        raise SystemExit(1)
    Y = outputs(df, len(table), regimes, spec["seeds"], spec["metrics"])
    lacking = lacking_samples(df, len(table), len(regimes) * spec["seeds"])
    keep, notes = screen(Y, lacking)
    indices, _ = analyze(spec["method"], problem, X, Y[keep], spec["design_seed"])
    pd.concat([table, Y.reset_index(drop=True)], axis=1).to_csv(sub / "outputs.csv", index=False)
    for note in notes:
        print(f"[leadsim] {note}", file=sys.stderr)
    if indices.empty:
        if lacking.any():
            print(
                f"leadsim-sensitivity: error: no output could be analysed: {int(lacking.sum())} of {len(lacking)} "
                "samples lack finished runs (failed or missing; rerun the same command)",
                file=sys.stderr,
            )
            raise SystemExit(1)
        print(
            f"leadsim-sensitivity: error: --metrics: {', '.join(spec['metrics'])} undefined (NaN) for some samples "
            "in every output; nothing to analyse (choose another metric, or a design where it is defined)",
            file=sys.stderr,
        )
        raise SystemExit(2)
    _atomic_write(sub / "indices.csv", indices.to_csv(index=False))
    title = (
        f"{'Morris screening' if spec['method'] == 'morris' else 'Sobol indices'}: "
        f"{len(table)} samples x {spec['seeds']} seeds (95 % CI; grey: dummy = noise level)"
    )
    plot(indices, spec["method"], sub / "indices", title)
    _print_top(indices, spec["method"])
    print(f"[leadsim] indices: {sub / 'indices.csv'}   figure: {sub / 'indices.png'}")
    if a.publish:
        from .callbacks import publish

        dest = Path(a.publish)
        publish(sub, dest, ["indices.csv", "indices.png"])
    raise SystemExit(1 if lacking.any() else 0)  # 1: runs failed or missing, as the sweep says


def _spec(a, overrides) -> dict:
    docs = field_docs()
    params = [parse_param(t, docs) for t in a.param]
    if len(params) < 2:
        raise UsageError("--param: give at least two parameters (KEY=LOW:HIGH)")
    names = [q[0] for q in params]
    if len(set(names)) < len(names):
        raise UsageError("--param: a parameter is given twice")
    metrics = [m.strip() for m in a.metrics.split(",") if m.strip()]
    for m in metrics:
        if m not in METRICS:
            raise UsageError(f"--metrics: unknown metric {m!r}; allowed: {', '.join(METRICS)}")
    regimes = [r.strip() for r in a.regimes.split(",") if r.strip()]
    for r in regimes:
        if r not in REGIMES:
            raise UsageError(f"--regimes: unknown regime {r!r}; allowed: {', '.join(REGIMES)}")
    if a.seeds < 1:
        raise UsageError(f"--seeds: must be at least 1, got {a.seeds}")
    n = a.samples or (10 if a.method == "morris" else 64)
    if a.method == "sobol" and (n < 2 or n & (n - 1)):
        raise UsageError(f"-n: Sobol needs a power of two, got {n}")
    if a.method == "morris" and n < 2:
        raise UsageError(f"-n: Morris needs at least 2 trajectories, got {n}")
    for o in overrides:
        key = o.split("=", 1)[0].lstrip("+~")
        if key in names or key in ("seed", "coordination", "coordination.name"):
            raise UsageError(f"{key}: set by leadsim-sensitivity; do not override it")
    return {
        "method": a.method,
        "params": [list(q) for q in params],
        "metrics": metrics,
        "regimes": regimes,
        "seeds": a.seeds,
        "n": n,
        "levels": a.levels,
        "design_seed": a.design_seed,
        "dummy": not a.no_dummy,
        "overrides": list(overrides),
    }


def _design_of(spec: dict) -> dict:
    """What decides the runs (the metrics only decide the analysis)."""
    return {k: v for k, v in spec.items() if k != "metrics"}


def read_runs(sweep_dir, table: pd.DataFrame, per_sample: int, metrics) -> pd.DataFrame:
    """The ok runs' job, status, seed, regime and ``metrics``, in job order: all that
    ``outputs`` and ``lacking_samples`` read. Read window by window (``stream``), with
    only these columns and the design's, so what is held is a few numbers a run, not
    every run's every column (``report.collect``: ~3 KB a run). Each window's parameters
    are checked against the design, then dropped."""
    from . import stream
    from .report import REGIME

    keep = list(dict.fromkeys(["job", "status", "seed", REGIME, *metrics]))
    need = list(dict.fromkeys([*keep, *table.columns]))
    parts, bad = [], set()
    for window in stream.iter_windows(sweep_dir, columns=need):
        ok = window[window.status == "ok"].reset_index(drop=True)
        if ok.empty:
            continue
        ok = ok.reindex(columns=need)  # a column no run of the window has: NaN, as in one table
        bad.update(_mismatched(ok, table, per_sample))
        parts.append(ok[keep])
    if bad:
        col = next(c for c in table.columns if c in bad)  # the first, as over the whole table
        raise SystemExit(f"leadsim-sensitivity: error: runs in the sweep folder do not match the design ({col})")
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=keep)


def _mismatched(ok: pd.DataFrame, table: pd.DataFrame, per_sample: int) -> list[str]:
    """The design's columns in which an ok run's parameters are not its design row's
    (guards the job numbering)."""
    rows = table.iloc[ok["job"].astype(int) // per_sample].reset_index(drop=True)
    return [
        col
        for col in table.columns
        if not np.allclose(ok[col].to_numpy(dtype=float), rows[col].to_numpy(dtype=float), rtol=1e-12, atol=0)
    ]


def _print_top(indices: pd.DataFrame, method: str) -> None:
    key = "mu_star" if method == "morris" else "ST"
    for name, part in indices.groupby("output", sort=False):
        part = part.sort_values(key, ascending=False)
        top = ", ".join(f"{r.parameter} {getattr(r, key):.3g}" for r in part.head(4).itertuples())
        print(f"{name}: {top}")


def _read_json(path: Path):
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


if __name__ == "__main__":  # pragma: no cover
    main()
