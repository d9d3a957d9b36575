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
    and chunk files alike (a job stored in both: the chunk's row). All in memory: the
    report itself streams (``stream``)."""
    from . import stream

    frames = list(stream.iter_windows(sweep_dir))
    if not frames:
        return pd.DataFrame()
    df = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    used = {g for g in GROUPS if g in df and df[g].notna().any()}  # e.g. no +experiment
    return df[stream.order_columns(list(df.columns), used)]


def chunk_frame(df: pd.DataFrame) -> pd.DataFrame:
    """Rows of chunk files in the report's columns (``run_dir`` names the file set:
    ``chunks``; bookkeeping columns other than ``code`` and ``seconds`` dropped)."""
    from . import chunks

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
    varying = {c for c in df.columns if c in set(_param_names()) | set(GROUPS) and df[c].nunique(dropna=True) > 1}
    return swept_dims_of(list(df.columns), manifest, varying)


def swept_dims_of(columns: list[str], manifest: dict | None, varying: set) -> list[str]:
    """``swept_dims`` from the table's columns and the set of columns that vary."""
    skip = {"seed", "coordination", REGIME}
    if manifest and manifest.get("swept"):
        dims = []
        for key in manifest["swept"]:
            key = key.lstrip("+~")
            if key not in skip and key in columns and key not in dims:
                dims.append(key)
        return dims
    known = set(_param_names()) | set(GROUPS)
    moving = [c for c in columns if c in known and c not in skip and c in varying]
    moved_by_group = {c for c in moving for g in GROUPS if c.startswith(g + ".") and g in moving}
    return [c for c in moving if c not in moved_by_group]


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
    from .stream import GroupIds

    if df.empty:
        return pd.DataFrame()
    ids = GroupIds(list(keys))
    counts, stats = summary_part(df, ids.codes(df), metrics)
    return summary_table(ids, counts, stats, metrics, level)


def summary_part(df: pd.DataFrame, codes: np.ndarray, metrics) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Runs by status, and the ok runs' moments, per group code (one window's share)."""
    from .stream import moments

    status = df["status"].to_numpy()
    counts = pd.DataFrame({s: (status == s).astype(int) for s in ("ok", "failed", "incomplete")})
    counts.insert(0, "runs", 1)
    counts = counts.groupby(codes).sum()
    ok = status == "ok"
    return counts, moments(df[ok], codes[ok], list(metrics))


def summary_table(ids, counts: pd.DataFrame, stats: pd.DataFrame, metrics, level: float = 0.95) -> pd.DataFrame:
    """The summary's rows from merged counts and moments (see ``summarize``)."""
    counts = counts.sort_index()
    stats = stats.reindex(counts.index)
    out = ids.frame(counts.index) if ids.keys else pd.DataFrame(index=range(len(counts)))
    for c in ("runs", "ok", "failed", "incomplete"):
        out[c] = counts[c].to_numpy()
    cols = {}
    for m in metrics:
        mean = pd.Series(stats[(m, "mean")].to_numpy(dtype=float))
        std = pd.Series(stats[(m, "std")].to_numpy(dtype=float))
        n = pd.Series(stats[(m, "count")].fillna(0).to_numpy()).astype(int)
        half = _t_half(std, n, level)
        low, high = clip(m, mean - half, mean + half)
        cols.update({f"{m}_mean": mean, f"{m}_std": std, f"{m}_n": n, f"{m}_ci_low": low, f"{m}_ci_high": high})
    out = pd.concat([out.reset_index(drop=True), pd.DataFrame(cols)], axis=1)
    few = out["ok"] < FEW
    out["caveat"] = np.where(few, f"fewer than {FEW} ok runs: rough intervals, clipped to each metric's range", "")
    return out


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
    from .stream import GroupIds, paired_moments

    ok = df[df.status == "ok"]
    if REGIME not in ok or baseline not in set(ok[REGIME]) or ok[REGIME].nunique() < 2:
        return pd.DataFrame()
    ids = GroupIds(list(dims))
    stats = paired_moments(ok, ids.codes(ok), list(metrics), baseline, REGIME)
    return paired_table(ids, stats, list(dict.fromkeys(ok[REGIME])), metrics, baseline, level)


def paired_table(ids, stats: pd.DataFrame, regimes, metrics, baseline: str, level: float = 0.95) -> pd.DataFrame:
    """The paired rows from merged moments indexed by (regime, group code)."""
    if stats.empty:
        return pd.DataFrame()
    frames = []
    for regime in regimes:
        if regime == baseline or regime not in stats.index.get_level_values(0):
            continue
        s = stats.xs(regime, level=0).sort_index()
        cols = {}
        for m in metrics:
            mean, std = s[(m, "mean")].astype(float), s[(m, "std")].astype(float)
            n = s[(m, "count")].astype(int)
            half = _t_half(std, n, level)
            cols.update(
                {
                    f"{m}_diff_mean": mean,
                    f"{m}_diff_n": n,
                    f"{m}_diff_ci_low": mean - half,
                    f"{m}_diff_ci_high": mean + half,
                }
            )
        part = pd.DataFrame(cols).reset_index(drop=True)
        if ids.keys:
            part = pd.concat([ids.frame(s.index), part], axis=1)
        part.insert(len(ids.keys), "regime", regime)
        part.insert(len(ids.keys) + 1, "baseline", baseline)
        frames.append(part)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


# ---------------------------------------------------------------- exports


def _write_csv(path: Path, frame: pd.DataFrame) -> None:
    _atomic_write(path, frame.to_csv(index=False))


def _write_parquet(path: Path, frame: pd.DataFrame) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    frame.to_parquet(tmp, index=False)
    tmp.replace(path)


def write_report(sweep_dir, metrics=None, figures: bool = True, baseline: str = BASELINE) -> dict:
    """Write every table (and the figures) into ``sweep_dir``; return what was found.
    Streams over the runs (``stream``): memory does not grow with their number, except
    for the figures' few columns of the ok runs."""
    from . import stream

    sweep_dir = Path(sweep_dir)
    manifest = plan.read_manifest(sweep_dir)
    figures = figures and manifest.get("design") != "samples"
    from .figures import MAIN

    info = stream.write_tables(sweep_dir, manifest, figures, metrics or MAIN, baseline)
    slim = info.pop("slim", None)
    if not info["runs"]:
        return info
    files = info["files"]
    if figures and slim is not None and len(slim):
        from .figures import make_figures

        files += make_figures(slim, info["dims"], sweep_dir / "figures", metrics=metrics, baseline=baseline)
    from .readme import write_readme

    files.append(write_readme(sweep_dir, files))
    return info


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
    if info.get("failed", 0) > 5:
        print(f"  ... and {info['failed'] - 5} more (see the `error` column of results.parquet)")
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
