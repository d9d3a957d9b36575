"""The report over any number of runs in memory that does not grow with them.

A sweep's rows (run folders and chunk files) are read in *windows* of ``WINDOW``
consecutive job numbers, in job order; a window's rows are deduplicated (a job stored
in a chunk file and a folder: the chunk's row; in several chunk files: the row finished
last), written to a temporary Parquet file and summarised (which columns vary, their
range, their types). A second pass over those files writes ``results.parquet`` (one row
group per window), ``results.csv`` and the EMA tables by appending, and folds each
window into per-group moments (count, mean, standard deviation), merged exactly as
one pass would (Chan et al.). Paired differences need a regime's runs next to the
baseline's of the same seed, wherever they are in the sweep: their (keys, seed,
regime, metrics) rows are spilled into ``ceil(ok / BUCKET)`` buckets by a hash of
(keys, seed), and each bucket is paired on its own. The windows do not depend on how
the runs are stored, so a sweep stored as chunks and as run folders gives the same
tables to the last digit. What still grows: the list of run folders (one path each)
and, with figures, the plotted metrics of every ok run (about 100 bytes a run).
"""

from __future__ import annotations

import math
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from ..hydra_config import GROUPS
from ..metrics import METRICS
from . import chunks, resume

#: Job numbers per window (rows read, deduplicated and written at a time).
WINDOW = 1000
#: Ok runs per bucket of the paired differences (spilled to disk above one bucket).
BUCKET = 5000
#: Failed runs whose errors are kept for the command line (the table has them all).
ERRORS_KEPT = 100


# ---------------------------------------------------------------- reading windows


def _file_ranges(sweep_dir: Path) -> list[tuple[Path, int, int]]:
    """Every chunk file and part with its smallest and largest job."""
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    out = []
    for p in chunks.row_files(sweep_dir):
        try:
            jobs = pq.read_table(p, columns=["job"]).column("job")
        except FileNotFoundError:
            raise
        except (OSError, ValueError, KeyError) as exc:
            print(f"[leadsim] warning: skipping unreadable {p}: {exc}", file=sys.stderr)
            continue
        if len(jobs):
            mm = pc.min_max(jobs)
            out.append((p, int(mm["min"].as_py()), int(mm["max"].as_py())))
    return out


def _folder_job(sweep_dir: Path, d: Path) -> int | None:
    rel = d.relative_to(sweep_dir).as_posix()
    if rel.isdigit():
        return int(rel)
    job = resume.read_status(d).get("job")
    try:
        return int(job)
    except (TypeError, ValueError):
        return None


def windows(sweep_dir) -> tuple[list, dict]:
    """The windows of a sweep folder: ``[(key, folders, files)]`` in job order (the last
    key ``None``: folders without a job number), and the run folders' count."""
    from .report import find_runs

    sweep_dir = Path(sweep_dir)
    folders: dict = {}
    for d in find_runs(sweep_dir):
        job = _folder_job(sweep_dir, d)
        folders.setdefault(None if job is None else job // WINDOW, []).append(d)
    files: dict = {}
    for p, lo, hi in _file_ranges(sweep_dir):
        for w in range(lo // WINDOW, hi // WINDOW + 1):
            files.setdefault(w, []).append(p)
    keys = sorted(set(folders) | set(files), key=lambda k: (k is None, k or 0))
    return [(k, folders.get(k, []), files.get(k, [])) for k in keys]


def read_window(sweep_dir: Path, key, folders: list[Path], files: list[Path], columns=None) -> pd.DataFrame:
    """The rows of one window, deduplicated and in job order (``collect``'s rows); with
    ``columns``, only those and ``run_dir``, ``job``, ``status``. Parquet reads columns
    separately, so the chunk files are read for those (and the columns that deduplicate)
    only; a run folder is read whole (one YAML file)."""
    from .report import chunk_frame, read_run

    df = pd.DataFrame([read_run(sweep_dir, d) for d in folders])
    if files:
        frames = []
        for p in files:
            f = chunks.read_file(p, columns, jobs=None if key is None else (key * WINDOW, (key + 1) * WINDOW))
            if f is not None and not f.empty:
                frames.append(f)
        stored = chunk_frame(chunks.latest(pd.concat(frames, ignore_index=True))) if frames else pd.DataFrame()
        if not stored.empty:
            if not df.empty:
                df = df[~pd.to_numeric(df["job"], errors="coerce").isin(stored["job"])]
            df = pd.concat([df, stored], ignore_index=True) if not df.empty else stored
    if df.empty:
        return df
    from_dir = pd.to_numeric(df["run_dir"].where(df["run_dir"].str.isdigit()), errors="coerce")
    df["job"] = pd.to_numeric(df["job"], errors="coerce").fillna(from_dir).astype("Int64")
    if columns is not None:
        df = df[[c for c in dict.fromkeys(["run_dir", "job", "status", *columns]) if c in df]]
    return df.sort_values("job", kind="stable", na_position="last").reset_index(drop=True)


def iter_windows(sweep_dir, total=None, stale=None, columns=None):
    """Every window's rows (``columns`` only, if given: see ``read_window``); with
    ``total``, rows numbered ``total`` or more are dropped (counted in ``stale[0]``). A
    file that a worker merges away meanwhile: the files are listed again and that window
    read again (never a window twice)."""
    sweep_dir = Path(sweep_dir)
    for key, folders, files in windows(sweep_dir):
        for attempt in range(5):
            try:
                df = read_window(sweep_dir, key, folders, files, columns)
                break
            except FileNotFoundError:
                if attempt == 4:
                    raise
                fresh = {k: (f, p) for k, f, p in windows(sweep_dir)}
                folders, files = fresh.get(key, ([], []))
        if total and not df.empty:
            old = df["job"].notna() & (df["job"] >= total)
            if old.any():
                if stale is not None:
                    stale[0] += int(old.sum())
                df = df[~old].reset_index(drop=True)
        if not df.empty:
            yield df


def order_columns(columns, used_groups) -> list[str]:
    """The tidy table's column order: where, groups, parameters, metrics, others, version."""
    from .report import _param_names

    front = ["run_dir", "job", "status"]
    params = [c for c in _param_names() if c in columns]
    groups = [g for g in GROUPS if g in columns and g in used_groups]
    tail = ["leadsim_version", "code", "seconds", "error"]
    metrics = [m for m in METRICS if m in columns]
    extra = [c for c in columns if c not in {*front, *params, *GROUPS, *METRICS, *tail}]
    return [c for c in front if c in columns] + groups + params + metrics + extra + [c for c in tail if c in columns]


# ---------------------------------------------------------------- group ids and moments


class GroupIds:
    """Group keys -> 0, 1, 2... in order of first appearance, across windows (NaN keys
    form one group, as ``groupby(dropna=False)`` would)."""

    def __init__(self, keys: list[str]) -> None:
        self.keys, self.ids, self.rows = list(keys), {}, []

    def codes(self, df: pd.DataFrame) -> np.ndarray:
        if not self.keys:
            if not self.rows:
                self.ids[()] = 0
                self.rows.append(())
            return np.zeros(len(df), dtype=np.int64)
        cols = [[v if v == v else None for v in df[k].tolist()] for k in self.keys]  # NaN -> None
        out = np.empty(len(df), dtype=np.int64)
        for i, key in enumerate(zip(*cols)):
            code = self.ids.get(key)
            if code is None:
                code = self.ids[key] = len(self.rows)
                self.rows.append(key)
            out[i] = code
        return out

    def frame(self, codes) -> pd.DataFrame:
        return pd.DataFrame([self.rows[c] for c in codes], columns=self.keys)


def moments(df: pd.DataFrame, codes: np.ndarray, metrics: list[str]) -> pd.DataFrame:
    """Per group code: each metric's mean, standard deviation and count (NaN skipped)."""
    return df[list(metrics)].groupby(codes).agg(["mean", "std", "count"])


def merge_moments(parts: list[pd.DataFrame], metrics: list[str]) -> pd.DataFrame:
    """One table of moments per group from several (Chan et al.'s pairwise update, as
    sums); a group seen in one part keeps that part's values exactly."""
    p = pd.concat(parts)
    if p.index.is_unique:
        return p.sort_index()
    lv = list(range(p.index.nlevels))
    g = p.groupby(level=lv)
    n = p.xs("count", axis=1, level=1)[metrics].fillna(0).astype(float)
    mean = p.xs("mean", axis=1, level=1)[metrics]
    var = p.xs("std", axis=1, level=1)[metrics].fillna(0.0) ** 2
    total = n.groupby(level=lv).sum()
    mu = (n * mean.where(n > 0, 0.0)).groupby(level=lv).sum() / total.where(total > 0)
    dev = (mean - mu.reindex(p.index).to_numpy()).where(n > 0, 0.0)
    m2 = ((n - 1).clip(lower=0) * var + n * dev**2).groupby(level=lv).sum()
    std = np.sqrt(m2 / (total - 1).where(total > 1))
    out = {}
    for m in metrics:
        out[(m, "mean")], out[(m, "std")], out[(m, "count")] = mu[m], std[m], total[m].astype(int)
    merged = pd.DataFrame(out)
    first = p[~p.index.duplicated()]
    single = g.size()
    single = single[single == 1].index
    merged.loc[single] = first.loc[single, merged.columns].to_numpy()
    merged[[(m, "count") for m in metrics]] = merged[[(m, "count") for m in metrics]].astype(int)
    return merged.sort_index()


# ---------------------------------------------------------------- paired, bucketed


def paired_moments(ok: pd.DataFrame, codes: np.ndarray, metrics, baseline: str, regime_col: str) -> pd.DataFrame:
    """Moments of (regime - baseline) per (regime, dims code), pairing runs by seed."""
    frame = ok[[regime_col, "seed", *metrics]].assign(_g=codes)
    wide = frame.groupby(["_g", "seed", regime_col], sort=False, dropna=False)[list(metrics)].mean()
    if baseline not in set(wide.index.get_level_values(regime_col)):
        return pd.DataFrame()
    base = wide.xs(baseline, level=regime_col)
    parts = []
    for regime in dict.fromkeys(frame[regime_col]):
        if regime == baseline:
            continue
        diff = wide.xs(regime, level=regime_col).sub(base).dropna(how="all")
        if diff.empty:
            continue
        m = diff.groupby(level="_g", sort=False).agg(["mean", "std", "count"])
        m.index = pd.MultiIndex.from_arrays([[regime] * len(m), m.index], names=["regime", "_g"])
        parts.append(m)
    return pd.concat(parts) if parts else pd.DataFrame()


class PairedSpill:
    """Rows for the paired table, kept in memory up to one bucket, else spilled to
    ``buckets`` temporary Parquet files by a hash of (dims, seed)."""

    def __init__(self, tmp: Path, buckets: int, metrics: list[str], regime_col: str) -> None:
        self.tmp, self.buckets, self.metrics, self.col = tmp, max(1, buckets), list(metrics), regime_col
        self.memory: list[pd.DataFrame] = []
        self.files = 0

    def add(self, ok: pd.DataFrame, codes: np.ndarray) -> None:
        slim = ok[[self.col, "seed", *self.metrics]].assign(_g=codes).reset_index(drop=True)
        if self.buckets == 1:
            self.memory.append(slim)
            return
        h = pd.util.hash_pandas_object(slim[["_g", "seed"]], index=False).to_numpy() % self.buckets
        for b in np.unique(h):
            _put(slim[h == b], self.tmp / f"pair-{b:05d}-{self.files:07d}.parquet")
            self.files += 1

    def parts(self, baseline: str):
        if self.buckets == 1:
            if self.memory:
                frame = pd.concat(self.memory, ignore_index=True)
                yield paired_moments(frame, frame["_g"].to_numpy(), self.metrics, baseline, self.col)
            return
        for b in range(self.buckets):
            files = sorted(self.tmp.glob(f"pair-{b:05d}-*.parquet"))
            if files:
                frame = pd.concat([_get(f) for f in files], ignore_index=True)
                yield paired_moments(frame, frame["_g"].to_numpy(), self.metrics, baseline, self.col)
                for f in files:
                    f.unlink()


def _put(df: pd.DataFrame, path: Path):
    """A scratch Parquet file, through pyarrow (pandas' path handling caches every new
    file name: bounded, but it shows as growth in a memory test); returns its schema."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(df, preserve_index=False)
    pq.write_table(table, str(path))
    return table.schema


def _get(path: Path) -> pd.DataFrame:
    import pyarrow.parquet as pq

    return pq.read_table(str(path)).to_pandas()


def tmpdir(sweep_dir: Path) -> tempfile.TemporaryDirectory:
    """Scratch space next to the sweep (same file system; removed at the end)."""
    base = Path(sweep_dir) / ".leadsim"
    base.mkdir(parents=True, exist_ok=True)
    return tempfile.TemporaryDirectory(prefix="report-", dir=base)


def buckets_for(ok_runs: int) -> int:
    return max(1, math.ceil(ok_runs / BUCKET))


# ---------------------------------------------------------------- the two passes


class Scan:
    """What the first pass learns: columns, types, which columns vary, their range."""

    def __init__(self) -> None:
        self.columns: dict = {}
        self.used_groups: set = set()
        self.values: dict = {}  # column -> up to 2 distinct values (all rows)
        self.ok_values: dict = {}  # the same over ok rows
        self.non_numeric: set = set()
        self.low: dict = {}
        self.high: dict = {}
        self.regimes: dict = {}
        self.rows = self.ok = 0

    def add(self, df: pd.DataFrame, watch: set, regime_col: str) -> None:
        self.columns.update(dict.fromkeys(df.columns))
        self.rows += len(df)
        ok = df[df.status == "ok"]
        self.ok += len(ok)
        self.used_groups |= {g for g in GROUPS if g in df and df[g].notna().any()}
        if regime_col in ok:
            self.regimes.update(dict.fromkeys(ok[regime_col].dropna()))
        for c in df.columns:
            if df[c].notna().any() and not pd.api.types.is_numeric_dtype(df[c]):
                self.non_numeric.add(c)
            if c not in watch:
                continue
            for store, frame in ((self.values, df), (self.ok_values, ok)):
                seen = store.setdefault(c, set())
                if len(seen) < 2:
                    seen.update(frame[c].dropna().unique()[:2].tolist())
            if c not in self.non_numeric and len(ok) and ok[c].notna().any():
                lo, hi = ok[c].min(), ok[c].max()
                self.low[c] = min(lo, self.low.get(c, lo))
                self.high[c] = max(hi, self.high.get(c, hi))

    def varying(self, ok_only: bool = False) -> set:
        return {c for c, v in (self.ok_values if ok_only else self.values).items() if len(v) > 1}


def _conform(table, schema):
    import pyarrow as pa

    arrays = [
        table.column(f.name).cast(f.type) if f.name in table.column_names else pa.nulls(len(table), f.type)
        for f in schema
    ]
    return pa.Table.from_arrays(arrays, schema=schema)


def write_tables(sweep_dir: Path, manifest: dict, figures: bool, plot_metrics, baseline: str) -> dict:
    """``results.parquet``/``.csv``, ``summary.csv``, ``paired.csv`` and the EMA/SALib
    export, window by window (see the module's docstring); returns what was found and,
    with ``figures``, the slim table of ok runs the figures need."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from . import report as R

    total = manifest.get("total")
    params = R._param_names()
    regime = R.REGIME
    with tmpdir(sweep_dir) as scratch:
        tmp = Path(scratch)
        scan, stale, n = Scan(), [0], 0
        unified = None  # the windows' Arrow schemas, unified as they come
        for df in iter_windows(sweep_dir, total, stale):
            scan.add(df, set(params) | set(GROUPS), regime)
            schema = _put(df, tmp / f"w{n:06d}.parquet").remove_metadata()
            unified = schema if unified is None else pa.unify_schemas([unified, schema], promote_options="permissive")
            n += 1
        if stale[0]:
            print(
                f"[leadsim] ignoring {stale[0]} run folder(s) numbered {total} or more: "
                f"left by an earlier, larger sweep in {sweep_dir}",
                file=sys.stderr,
            )
        if not n:
            return {"runs": 0, "ok": 0, "failed": 0, "incomplete": 0, "total": total, "files": []}
        columns = order_columns(list(scan.columns), scan.used_groups)
        dims = R.swept_dims_of(columns, manifest, scan.varying())
        keys = ([regime] if regime in columns else []) + [d for d in dims if d != regime]
        names = [m for m in METRICS if m in columns] + [
            c
            for c in columns
            if c not in R.BOOKKEEPING and c not in set(params) and c not in METRICS and c not in scan.non_numeric
        ]
        ok_varying = scan.varying(ok_only=True)
        inputs = [c for c in columns if c in set(params) and c != regime and c in ok_varying]
        numeric = [c for c in inputs if c != "seed" and c not in scan.non_numeric]
        problem = {
            "num_vars": len(numeric),
            "names": numeric,
            "bounds": [[float(scan.low[c]), float(scan.high[c])] for c in numeric],
        }
        ema_keys = [d for d in dims if d in columns]
        schema = pa.schema([unified.field(c) for c in columns])
        sids, scen, pids = GroupIds(keys), GroupIds(ema_keys), GroupIds(list(dims))
        pairing = regime in columns and baseline in scan.regimes and len(scan.regimes) > 1
        spill = PairedSpill(tmp, buckets_for(scan.ok), names, regime) if pairing else None
        plot_cols = [c for c in ["status", regime, "seed", *dims, *(plot_metrics or ())] if c in columns]
        counts, stats, slim, errors = [], [], [], []
        failed = incomplete = 0
        out = {k: sweep_dir / f".{k}.tmp" for k in ("results.parquet", "results.csv", "ema_e", "ema_o")}
        write_csv = scan.rows <= R.CSV_MAX
        with pq.ParquetWriter(out["results.parquet"], schema, compression="snappy") as writer:
            for i, p in enumerate(sorted(tmp.glob("w*.parquet"))):
                table = _conform(pq.read_table(p), schema)
                p.unlink()
                writer.write_table(table)
                df = table.to_pandas()
                mode = "w" if i == 0 else "a"
                if write_csv:
                    df.to_csv(out["results.csv"], index=False, header=i == 0, mode=mode)
                c, s = R.summary_part(df, sids.codes(df), names)
                counts.append(c)
                stats.append(s)
                if len(counts) >= 4:  # bounded: merge as we go
                    counts, stats = [pd.concat(counts).groupby(level=0).sum()], [merge_moments(stats, names)]
                ok = df[df.status == "ok"].reset_index(drop=True)
                exp = ok[inputs].copy()
                exp["scenario"] = scen.codes(ok) if ema_keys else 0
                exp["policy"] = ok.get(regime, "default")
                exp["model"] = "leadsim"
                exp.to_csv(out["ema_e"], index=False, header=i == 0, mode=mode)
                ok[names].astype(float).to_csv(out["ema_o"], index=False, header=i == 0, mode=mode)
                if spill is not None and len(ok):
                    spill.add(ok, pids.codes(ok))
                if figures and len(ok):
                    slim.append(ok[plot_cols])
                bad = df[df.status == "failed"]
                failed += len(bad)
                incomplete += int((df.status == "incomplete").sum())
                for r, j, e in zip(bad.run_dir, bad.job, bad.get("error", pd.Series([""] * len(bad)))):
                    if len(errors) < ERRORS_KEPT:
                        errors.append((r if r != "chunks" else f"job {j}", e))
        summary = R.summary_table(sids, pd.concat(counts).groupby(level=0).sum(), merge_moments(stats, names), names)
        pairs = pd.DataFrame()
        if spill is not None:
            merged = []
            for part in spill.parts(baseline):
                if not part.empty:  # merged as they come: one bucket's table at a time
                    merged = [merge_moments([*merged, part], names)] if merged else [part]
            if merged:
                pairs = R.paired_table(pids, merged[0], list(scan.regimes), names, baseline)
    files = [sweep_dir / "results.parquet", sweep_dir / "summary.csv"]
    out["results.parquet"].replace(files[0])
    if write_csv:
        files.append(sweep_dir / "results.csv")
        out["results.csv"].replace(files[-1])
    else:  # a stale CSV of a smaller sweep must not pass for this one's
        (sweep_dir / "results.csv").unlink(missing_ok=True)
    R._write_csv(files[1], summary)
    if not pairs.empty:
        files.append(sweep_dir / "paired.csv")
        R._write_csv(files[-1], pairs)
    files += [sweep_dir / "ema_experiments.csv", sweep_dir / "ema_outcomes.csv", sweep_dir / "salib_problem.json"]
    out["ema_e"].replace(files[-3])
    out["ema_o"].replace(files[-2])
    import json

    R._atomic_write(files[-1], json.dumps(problem, indent=2) + "\n")
    ok_runs = scan.ok
    return {
        "runs": scan.rows,
        "ok": ok_runs,
        "failed": failed,
        "incomplete": incomplete,
        "total": total,
        "dims": dims,
        "files": files,
        "errors": errors,
        "slim": pd.concat(slim, ignore_index=True) if slim else None,
    }
