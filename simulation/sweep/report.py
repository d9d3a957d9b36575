"""Tables of a sweep folder: one tidy row per run, a summary with confidence intervals,
paired regime differences, and an export for the EMA Workbench and SALib.

``leadsim-report SWEEP_DIR`` writes them on demand; the multirun callback writes them
after every sweep. Partial and failed sweeps are reported too: every run folder gives
a row whose ``status`` is ``ok``, ``failed`` or ``incomplete`` (started, never
finished: killed or still running); statistics use the ``ok`` runs only.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from ..config import field_docs
from ..hydra_config import GROUPS
from ..metrics import METRICS
from ..runner import _atomic_write
from . import plan, resume

REGIME = "coordination.name"  #: the column that names the regime
BASELINE = "delegation"  #: paired differences are taken against this regime
RESERVED = ("figures", ".leadsim", ".submitit", "sensitivity", "chunks")

#: Metrics bounded to [0, 1] (shares, Gini coefficients, 0-1 levels) and to [0, inf)
#: (counts, durations, rates): confidence intervals are clipped to these ranges.
UNIT = {
    "success_rate",
    "role_ambiguity",
    "contested_share",
    "unowned_share",
    "workload_gini",
    "role_fluidity",
    "engagement_mean",
    "competence_gain_gini",
    "trust_mean",
    "trust_leader_mean",
    "escalation_rate",
    "overload_share",
}
NONNEG = {
    "throughput",
    "lead_time_mean",
    "lead_time_p90",
    "owner_wait_mean",
    "conflict_rate",
    "leader_utilization",
    "wip_mean",
    "leader_queue_mean",
    "tasks_arrived",
    "tasks_completed",
    "tasks_failed",
    "tasks_open",
}
#: Above this many runs, results.parquet only (a CSV of 100,000 runs is >100 MB and slow).
CSV_MAX = 10_000
#: Below this many runs per combination the summary says its intervals are rough.
FEW = 5


# ---------------------------------------------------------------- reading run folders


def find_runs(sweep_dir: Path) -> list[Path]:
    """Every run folder below ``sweep_dir`` (those Hydra or a job has written to)."""
    sweep_dir = Path(sweep_dir)
    found = set()
    for marker in (".hydra", resume.STATUS, resume.METRICS):
        for p in sweep_dir.rglob(marker):
            rel = p.parent.relative_to(sweep_dir)
            if rel.parts and rel.parts[0] not in RESERVED:
                found.add(p.parent)

    def order(p: Path):
        rel = p.relative_to(sweep_dir).as_posix()
        return (0, int(rel), "") if rel.isdigit() else (1, 0, rel)

    return sorted(found, key=order)


def _flatten(d: dict, prefix: str = "") -> dict:
    out = {}
    for k, v in d.items():
        if isinstance(v, dict):
            out.update(_flatten(v, f"{prefix}{k}."))
        else:  # lists (team_size_weights) as JSON text: one hashable value per cell
            out[f"{prefix}{k}"] = json.dumps(v) if isinstance(v, (list, tuple)) else v
    return out


def _load_yaml(path: Path):
    try:
        return yaml.load(path.read_text(), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except (OSError, yaml.YAMLError):
        return None


def read_run(sweep_dir: Path, run_dir: Path) -> dict:
    """One row: where, status, group choices, parameters, metrics, version."""
    status = resume.read_status(run_dir)
    cfg = _load_yaml(run_dir / resume.CONFIG)
    if not isinstance(cfg, dict):  # failed before its config was known: Hydra's copy
        cfg = _load_yaml(run_dir / ".hydra" / "config.yaml") or {}
        cfg = {k: v for k, v in cfg.items() if k != "hydra"}
    version = cfg.pop("leadsim_version", None)
    try:
        metrics = json.loads((run_dir / resume.METRICS).read_text())
    except (OSError, ValueError):
        metrics = None
    if metrics is not None:
        state = "ok"
    elif status.get("status") == "failed":
        state = "failed"
    else:
        state = "incomplete"
    choices = status.get("choices")
    if choices is None:
        hydra_cfg = _load_yaml(run_dir / ".hydra" / "hydra.yaml") or {}
        choices = ((hydra_cfg.get("hydra") or {}).get("runtime") or {}).get("choices") or {}
    row = {"run_dir": run_dir.relative_to(sweep_dir).as_posix(), "job": status.get("job"), "status": state}
    row.update({g: choices.get(g) for g in GROUPS})
    row.update(_flatten(cfg))
    for k in METRICS:
        row[k] = float("nan")
    for k, v in (metrics or {}).items():
        row[k] = float("nan") if v is None else v
    row.update(
        {
            "leadsim_version": version,
            "code": status.get("code"),
            "seconds": status.get("seconds"),
            "error": status.get("error") if state == "failed" else None,
        }
    )
    return row


def collect(sweep_dir) -> pd.DataFrame:
    """The tidy table of a sweep folder: one row per run, in job order, from run folders
    and chunk files alike (a job stored in both: the chunk's row)."""
    sweep_dir = Path(sweep_dir)
    rows = [read_run(sweep_dir, d) for d in find_runs(sweep_dir)]
    df = pd.DataFrame(rows)
    stored = chunk_rows(sweep_dir)
    if not stored.empty:
        if not df.empty:
            job = pd.to_numeric(df["job"], errors="coerce")
            df = df[~job.isin(stored["job"])]
        df = pd.concat([df, stored], ignore_index=True) if not df.empty else stored
    if df.empty:
        return df
    unused = [g for g in GROUPS if g in df and df[g].isna().all()]  # e.g. no +experiment
    df = df.drop(columns=unused)
    front = ["run_dir", "job", "status"]
    params = [c for c in _param_names() if c in df]
    groups = [g for g in GROUPS if g in df]
    tail = ["leadsim_version", "code", "seconds", "error"]
    metrics = [m for m in METRICS if m in df]
    extra = [c for c in df.columns if c not in {*front, *params, *groups, *METRICS, *tail}]
    df = df[[c for c in front if c in df] + groups + params + metrics + extra + [c for c in tail if c in df]]
    from_dir = pd.to_numeric(df["run_dir"].where(df["run_dir"].str.isdigit()), errors="coerce")
    df["job"] = pd.to_numeric(df["job"], errors="coerce").fillna(from_dir).astype("Int64")
    return df.sort_values("job", kind="stable", na_position="last").reset_index(drop=True)


def chunk_rows(sweep_dir: Path) -> pd.DataFrame:
    """Runs stored in chunk files, in the report's columns (``run_dir`` names the file
    set: ``chunks``; bookkeeping columns other than ``code`` and ``seconds`` dropped)."""
    from . import chunks

    df = chunks.read_rows(sweep_dir)
    if df.empty:
        return df
    df = df.drop(columns=[c for c in ("finished", "config_hash", "traceback", "overrides") if c in df])
    df.insert(0, "run_dir", chunks.DIR)
    for k in METRICS:
        if k not in df:
            df[k] = float("nan")
    return df


#: Columns of the tidy table that are neither parameters nor metrics.
BOOKKEEPING = {"run_dir", "job", "status", "leadsim_version", "code", "seconds", "error", *GROUPS}


def metric_names(df: pd.DataFrame) -> list[str]:
    """``METRICS`` and any extra numeric column a run's metrics carried (``roles_*``)."""
    params = set(_param_names())
    extra = [
        c
        for c in df.columns
        if c not in BOOKKEEPING and c not in params and c not in METRICS and pd.api.types.is_numeric_dtype(df[c])
    ]
    return [m for m in METRICS if m in df] + extra


def _param_names() -> list[str]:
    return list(field_docs())


# ---------------------------------------------------------------- which parameters were swept


def swept_dims(df: pd.DataFrame, manifest: dict | None = None) -> list[str]:
    """The swept dimensions other than the regime and the seed, as column names.

    From the sweep's manifest when there is one (a swept group such as ``culture`` is
    one dimension, however many parameters it moves); otherwise the columns that vary.
    """
    skip = {"seed", "coordination", REGIME}
    if manifest and manifest.get("swept"):
        dims = []
        for key in manifest["swept"]:
            key = key.lstrip("+~")
            if key not in skip and key in df.columns and key not in dims:
                dims.append(key)
        return dims
    varying = [
        c
        for c in df.columns
        if c in set(_param_names()) | set(GROUPS) and c not in skip and df[c].nunique(dropna=True) > 1
    ]
    moved_by_group = {c for c in varying for g in GROUPS if c.startswith(g + ".") and g in varying}
    return [c for c in varying if c not in moved_by_group]


def group_keys(df: pd.DataFrame, dims: list[str]) -> list[str]:
    return ([REGIME] if REGIME in df else []) + [d for d in dims if d != REGIME]


# ---------------------------------------------------------------- statistics


def _t_half(std: pd.Series, n: pd.Series, level: float = 0.95) -> pd.Series:
    # scipy.special.stdtrit is the Student t quantile that scipy.stats.t.ppf computes
    # (bit for bit), without importing scipy.stats (~0.3 s at the end of every sweep).
    from scipy.special import stdtrit

    dof = (n - 1).where(n > 1).astype(float)  # n < 2: no interval (NaN)
    t = stdtrit(np.asarray(dof), 0.5 + level / 2)
    return std * t / np.sqrt(n.astype(float))


def summarize(df: pd.DataFrame, keys: list[str], metrics=METRICS, level: float = 0.95) -> pd.DataFrame:
    """Per combination of ``keys``: runs by status, and for every metric its mean,
    standard deviation, n and Student-t confidence interval over the ``ok`` runs."""
    if df.empty:
        return pd.DataFrame()
    df = df.assign(_all=0)
    by = list(keys) or ["_all"]
    status = df.groupby(by, sort=False, dropna=False)["status"]
    out = pd.DataFrame({"runs": status.size()})
    for state in ("ok", "failed", "incomplete"):
        out[state] = status.agg(lambda s, state=state: int((s == state).sum()))
    ok = df[df.status == "ok"]
    stats = ok.groupby(by, sort=False, dropna=False)[list(metrics)].agg(["mean", "std", "count"])
    stats = stats.reindex(out.index)
    cols = {}
    for m in metrics:
        mean, std = stats[(m, "mean")], stats[(m, "std")]
        n = stats[(m, "count")].fillna(0).astype(int)
        half = _t_half(std, n, level)
        low, high = clip(m, mean - half, mean + half)
        cols.update({f"{m}_mean": mean, f"{m}_std": std, f"{m}_n": n, f"{m}_ci_low": low, f"{m}_ci_high": high})
    out = pd.concat([out, pd.DataFrame(cols, index=out.index)], axis=1)
    few = out["ok"] < FEW
    out["caveat"] = np.where(few, f"fewer than {FEW} ok runs: rough intervals, clipped to each metric's range", "")
    out = out.reset_index()
    return out.drop(columns=["_all"]) if not keys else out


def clip(metric: str, low: pd.Series, high: pd.Series) -> tuple[pd.Series, pd.Series]:
    """A Student-t interval cut to the values the metric can take (few seeds give
    intervals such as [-0.1, 0.3] for a share)."""
    if metric in UNIT:
        return low.clip(0, 1), high.clip(0, 1)
    if metric in NONNEG:
        return low.clip(lower=0), high.clip(lower=0)
    return low, high


def paired(
    df: pd.DataFrame, dims: list[str], metrics=METRICS, baseline: str = BASELINE, level: float = 0.95
) -> pd.DataFrame:
    """Each regime minus ``baseline``, paired by seed (common random numbers): per
    combination of ``dims``, the mean difference, its n and Student-t interval."""
    ok = df[df.status == "ok"]
    if REGIME not in ok or baseline not in set(ok[REGIME]) or ok[REGIME].nunique() < 2:
        return pd.DataFrame()
    wide = ok.groupby([*list(dims), "seed", REGIME], sort=False, dropna=False)[list(metrics)].mean()
    base = wide.xs(baseline, level=REGIME)
    frames = []
    for regime in ok[REGIME].unique():
        if regime == baseline:
            continue
        diff = wide.xs(regime, level=REGIME).sub(base).dropna(how="all")
        g = diff.groupby(level=list(range(len(dims))), sort=False) if dims else diff.groupby(lambda _: 0)
        mean, std, n = g.mean(), g.std(), g.count()
        half = _t_half(std, n, level)
        cols = {}
        for m in metrics:
            cols.update(
                {
                    f"{m}_diff_mean": mean[m],
                    f"{m}_diff_n": n[m],
                    f"{m}_diff_ci_low": mean[m] - half[m],
                    f"{m}_diff_ci_high": mean[m] + half[m],
                }
            )
        part = pd.DataFrame(cols, index=mean.index)
        part = part.reset_index(drop=not dims)
        part.insert(len(dims), "regime", regime)
        part.insert(len(dims) + 1, "baseline", baseline)
        frames.append(part)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


# ---------------------------------------------------------------- exports


def ema_tables(df: pd.DataFrame, dims: list[str]) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """EMA Workbench style: ``experiments`` (varying inputs, ``scenario``, ``policy`` =
    regime, ``model``) and ``outcomes`` (metrics), row for row; and a SALib problem over
    the numeric varying parameters."""
    ok = df[df.status == "ok"].reset_index(drop=True)
    params = set(_param_names())
    inputs = [c for c in ok.columns if c in params and c != REGIME and ok[c].nunique(dropna=True) > 1]
    experiments = ok[inputs].copy()
    keys = [d for d in dims if d in ok]
    experiments["scenario"] = ok.groupby(keys, sort=False).ngroup() if keys else 0
    experiments["policy"] = ok.get(REGIME, "default")
    experiments["model"] = "leadsim"
    outcomes = ok[metric_names(ok)].astype(float)
    numeric = [c for c in inputs if c != "seed" and pd.api.types.is_numeric_dtype(ok[c])]
    problem = {
        "num_vars": len(numeric),
        "names": numeric,
        "bounds": [[float(ok[c].min()), float(ok[c].max())] for c in numeric],
    }
    return experiments, outcomes, problem


def _write_csv(path: Path, frame: pd.DataFrame) -> None:
    _atomic_write(path, frame.to_csv(index=False))


def _write_parquet(path: Path, frame: pd.DataFrame) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    frame.to_parquet(tmp, index=False)
    tmp.replace(path)


def write_report(sweep_dir, metrics=None, figures: bool = True, baseline: str = BASELINE) -> dict:
    """Write every table (and the figures) into ``sweep_dir``; return what was found."""
    sweep_dir = Path(sweep_dir)
    df = collect(sweep_dir)
    manifest = plan.read_manifest(sweep_dir)
    total = manifest.get("total")
    if total and not df.empty:  # folders of an earlier, larger sweep into the same folder
        stale = df["job"].notna() & (df["job"] >= total)
        if stale.any():
            print(
                f"[leadsim] ignoring {int(stale.sum())} run folder(s) numbered {total} or more: "
                f"left by an earlier, larger sweep in {sweep_dir}",
                file=sys.stderr,
            )
            df = df[~stale].reset_index(drop=True)
    if df.empty:
        return {"runs": 0, "ok": 0, "failed": 0, "incomplete": 0, "total": total, "files": []}
    dims = swept_dims(df, manifest)
    keys = group_keys(df, dims)
    files = [sweep_dir / "results.parquet", sweep_dir / "summary.csv"]
    _write_parquet(files[0], df)
    if len(df) <= CSV_MAX:
        files.append(sweep_dir / "results.csv")
        _write_csv(files[-1], df)
    else:  # a stale CSV of a smaller sweep must not pass for this one's
        (sweep_dir / "results.csv").unlink(missing_ok=True)
    names = metric_names(df)
    _write_csv(files[1], summarize(df, keys, metrics=names))
    pairs = paired(df, dims, metrics=names, baseline=baseline)
    if not pairs.empty:
        files.append(sweep_dir / "paired.csv")
        _write_csv(files[-1], pairs)
    experiments, outcomes, problem = ema_tables(df, dims)
    files += [sweep_dir / "ema_experiments.csv", sweep_dir / "ema_outcomes.csv", sweep_dir / "salib_problem.json"]
    _write_csv(files[-3], experiments)
    _write_csv(files[-2], outcomes)
    _atomic_write(files[-1], json.dumps(problem, indent=2) + "\n")
    if figures and manifest.get("design") != "samples" and (df.status == "ok").any():
        from .figures import make_figures

        files += make_figures(df, dims, sweep_dir / "figures", metrics=metrics, baseline=baseline)
    from .readme import write_readme

    files.append(write_readme(sweep_dir, files))
    counts = df.status.value_counts()
    bad = df[df.status == "failed"]
    errors = [(r if r != "chunks" else f"job {j}", e) for r, j, e in zip(bad.run_dir, bad.job, bad.get("error", ""))]
    return {
        "runs": len(df),
        "ok": int(counts.get("ok", 0)),
        "failed": int(counts.get("failed", 0)),
        "incomplete": int(counts.get("incomplete", 0)),
        "total": manifest.get("total"),
        "dims": dims,
        "files": files,
        "errors": errors,
    }


def status_line(info: dict) -> str:
    total = info.get("total")
    missing = f", {total - info['runs']} not started" if total and total > info["runs"] else ""
    return (
        f"[leadsim] {info['runs']} runs{f' of {total}' if total else ''}: {info['ok']} ok, "
        f"{info['failed']} failed, {info['incomplete']} incomplete{missing}"
    )


# ---------------------------------------------------------------- command line


def main(argv=None) -> None:
    p = argparse.ArgumentParser(
        prog="leadsim-report",
        description="Write results.parquet/.csv, summary.csv, paired.csv, the EMA/SALib export "
        "and figures for a sweep folder (complete, partial or with failed runs).",
    )
    p.add_argument("sweep_dir", metavar="SWEEP_DIR", help="the folder of a `leadsim -m` sweep (hydra.sweep.dir)")
    p.add_argument("--metrics", help="comma-separated metrics to plot (default: the main ones)")
    p.add_argument("--baseline", default=BASELINE, help="regime that paired differences are taken against")
    p.add_argument("--no-figures", action="store_true", help="tables only")
    a = p.parse_args(argv)
    sweep_dir = Path(a.sweep_dir)
    metrics = None
    if a.metrics:
        metrics = [m.strip() for m in a.metrics.split(",") if m.strip()]
        bad = [m for m in metrics if m not in METRICS]
        if bad:
            _fail(f"--metrics: unknown metric {bad[0]!r}; allowed: {', '.join(METRICS)}")
    if not sweep_dir.is_dir():
        _fail(f"SWEEP_DIR: no such folder: {sweep_dir}")
    from . import chunks

    if not find_runs(sweep_dir) and not chunks.has_chunks(sweep_dir):
        _fail(f"SWEEP_DIR: no run folders or chunk files in {sweep_dir}")
    info = write_report(sweep_dir, metrics=metrics, figures=not a.no_figures, baseline=a.baseline)
    print(status_line(info))
    failed = info.get("errors", [])
    for run_dir, error in failed[:5]:
        print(f"  failed: {run_dir}: {error}")
    if len(failed) > 5:
        print(f"  ... and {len(failed) - 5} more (see the `error` column of results.parquet)")
    table = "results.csv" if (sweep_dir / "results.csv").exists() else "results.parquet"
    print(f"tables: {sweep_dir / table}, {sweep_dir / 'summary.csv'}")
    figs = [f for f in info.get("files", []) if Path(f).parent.name == "figures"]
    if figs:
        print(f"figures: {sweep_dir / 'figures'} ({len(figs)} files)")
    print(f"what each file holds: {sweep_dir / 'README.md'}")


def _fail(message: str) -> None:
    print(f"leadsim-report: error: {message}", file=sys.stderr)
    raise SystemExit(2)


if __name__ == "__main__":  # pragma: no cover
    main()
