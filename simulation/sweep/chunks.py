"""Chunk files: many runs of a sweep in one Parquet file, written so that a kill loses
only the runs not yet flushed.

A chunk holds consecutive jobs ``first..last`` of a sweep and ends as
``SWEEP_DIR/chunks/runs-FIRST-LAST.parquet`` (one row per run: job, status, resolved
parameters, metrics, version, model code, config hash) and, if asked, ``…\u200b.ts.parquet``
(the runs' time series, with a ``job`` column). While the chunk runs, every few runs its
new rows go to one more *part* file, written atomically (temporary file, fsync,
rename); when the chunk ends, the parts and any earlier chunk file of the same
name are merged into the chunk file and the parts removed. A reader takes every
``*.parquet`` under ``chunks/`` and keeps, per job, the row finished last, so nothing
is counted twice whatever moment a kill came at.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pandas as pd

DIR = "chunks"
#: Columns every row has, before the parameters and metrics.
FRONT = ("job", "status", "finished", "seconds", "overrides", "config_hash", "code", "error")
INDEX = ("job", "status", "finished", "config_hash", "code")


def chunk_name(first: int, last: int) -> str:
    return f"runs-{first:07d}-{last:07d}"


def chunk_dir(sweep_dir) -> Path:
    return Path(sweep_dir) / DIR


def _write_parquet(path: Path, frame: pd.DataFrame) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        table = pa.Table.from_pandas(frame, preserve_index=False)
        with open(tmp, "wb") as fh:
            pq.write_table(table, fh, compression="zstd")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _rows_frame(rows: list[dict]) -> pd.DataFrame:
    df = pd.DataFrame(rows)
    for c in ("error", "overrides"):
        if c in df:
            df[c] = df[c].astype(object).where(df[c].notna(), None)
    return df


class ChunkWriter:
    """Collects a chunk's rows and flushes them every ``every`` runs or ``seconds``:
    each flush writes only the new rows, as one more part file (rewriting everything
    so far would cost time quadratic in the chunk's length). A flush costs tens of
    milliseconds, so flushing by time bounds its share of a chunk's time (under 1 % at
    10 s) and what a kill loses (10 s of runs) whatever a run's length."""

    def __init__(
        self,
        sweep_dir,
        first: int,
        last: int,
        timeseries: bool = False,
        every: int = 200,
        seconds: float = 10.0,
        on_flush=None,
    ) -> None:
        self.dir = chunk_dir(sweep_dir)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.name = chunk_name(first, last)
        self.timeseries = timeseries
        self.every, self.seconds, self.on_flush = every, seconds, on_flush
        self.pending: list[dict] = []
        self.ts: list[pd.DataFrame] = []
        self.last = time.monotonic()

    def add(self, row: dict, timeseries: pd.DataFrame | None = None) -> None:
        self.pending.append(row)
        if self.timeseries and timeseries is not None:
            self.ts.append(timeseries.assign(job=row["job"]))
        if len(self.pending) >= self.every or time.monotonic() - self.last >= self.seconds:
            self.flush()

    def flush(self) -> None:
        if not self.pending:
            return
        tag = f"{time.time_ns()}-{os.getpid()}"  # sorts by time
        if self.timeseries and self.ts:  # time series first: a row never lacks its series
            _write_parquet(self.dir / f"{self.name}.part-{tag}.ts.parquet", pd.concat(self.ts, ignore_index=True))
        _write_parquet(self.dir / f"{self.name}.part-{tag}.parquet", _rows_frame(self.pending))
        done, self.pending, self.ts, self.last = self.pending, [], [], time.monotonic()
        if self.on_flush:
            self.on_flush(done)

    def close(self) -> Path | None:
        """Flush, then merge this chunk's parts into its chunk file."""
        self.flush()
        return consolidate(self.dir, self.name)


def consolidate(directory: Path, name: str) -> Path | None:
    """Merge ``name.parquet`` and ``name.part-*.parquet`` (latest row per job wins)."""
    for suffix in (".ts.parquet", ".parquet"):
        final = directory / f"{name}{suffix}"
        parts = [
            p
            for p in directory.glob(f"{name}.part-*{suffix}")
            if suffix == ".ts.parquet" or not p.name.endswith(".ts.parquet")
        ]
        if not parts:
            continue
        frames = [pd.read_parquet(p) for p in ([final] if final.exists() else []) + sorted(parts)]
        if suffix == ".parquet":
            df = pd.concat(frames, ignore_index=True)
            df = df.sort_values(["job", "finished"], kind="stable").drop_duplicates("job", keep="last")
        else:  # a job's series from the newest file that holds it
            seen: set = set()
            keep = []
            for f in reversed(frames):
                keep.append(f[~f["job"].isin(seen)])
                seen.update(f["job"].unique())
            df = pd.concat(keep[::-1], ignore_index=True)
        _write_parquet(final, df.reset_index(drop=True))
        for p in parts:
            p.unlink(missing_ok=True)
    return directory / f"{name}.parquet" if (directory / f"{name}.parquet").exists() else None


def tidy(sweep_dir) -> int:
    """Merge the parts a killed sweep left into their chunk files (call it when no worker
    runs, e.g. before a rerun); return how many chunk files were merged."""
    d = chunk_dir(sweep_dir)
    names = {p.name.split(".part-")[0] for p in d.glob("*.part-*.parquet")} if d.is_dir() else set()
    for name in sorted(names):
        consolidate(d, name)
    for p in d.glob(".*.tmp") if d.is_dir() else ():
        p.unlink(missing_ok=True)
    return len(names)


def row_files(sweep_dir) -> list[Path]:
    """Every file of rows (chunk files and parts), oldest name first."""
    d = chunk_dir(sweep_dir)
    if not d.is_dir():
        return []
    return sorted(p for p in d.glob("*.parquet") if not p.name.endswith(".ts.parquet"))


def read_rows(sweep_dir, columns=None) -> pd.DataFrame:
    """Every run of the chunk files, one row per job (the row finished last), by job.

    ``columns`` limits what is read (Parquet reads columns separately: a report that
    needs ten columns of a wide table reads ten)."""
    for _ in range(5):  # a worker may merge and remove a part while we read: list again
        try:
            frames = [read_file(p, columns) for p in row_files(sweep_dir)]
            break
        except FileNotFoundError:
            continue
    else:
        frames = [read_file(p, columns) for p in row_files(sweep_dir)]
    frames = [f for f in frames if f is not None]
    if not frames:
        return pd.DataFrame()
    full = [f for f in frames if not f.empty]
    return latest(pd.concat(full, ignore_index=True) if full else frames[0])


def latest(df: pd.DataFrame) -> pd.DataFrame:
    """One row per job, the one finished last, by job."""
    df = df.sort_values(["job", "finished"], kind="stable").drop_duplicates("job", keep="last")
    return df.reset_index(drop=True)


def read_file(p: Path, columns=None, jobs: tuple[int, int] | None = None) -> pd.DataFrame | None:
    """One file of rows (``columns`` only; jobs ``lo <= job < hi`` only); ``None`` for
    a foreign or damaged file (with a warning)."""
    import pyarrow.parquet as pq

    try:
        have = set(pq.read_schema(p).names)
        cols = None if columns is None else [c for c in dict.fromkeys([*INDEX, *columns]) if c in have]
        filters = None if jobs is None else [("job", ">=", jobs[0]), ("job", "<", jobs[1])]
        return pq.read_table(p, columns=cols, filters=filters).to_pandas()
    except FileNotFoundError:
        raise
    except (OSError, ValueError) as exc:
        if not p.exists():
            raise FileNotFoundError(p) from exc
        import sys

        print(f"[leadsim] warning: skipping unreadable {p}: {exc}", file=sys.stderr)
        return None


def read_timeseries(sweep_dir, jobs=None) -> pd.DataFrame:
    """The time series stored in the chunk files (``hydra.launcher.timeseries=true``)."""
    d = chunk_dir(sweep_dir)
    files = sorted(d.glob("*.ts.parquet")) if d.is_dir() else []
    filters = [("job", "in", list(jobs))] if jobs is not None else None
    frames = [pd.read_parquet(p, filters=filters) for p in files]
    if not frames:
        return pd.DataFrame()
    df = pd.concat(frames, ignore_index=True)
    return df.drop_duplicates(["job", "step"], keep="last").sort_values(["job", "step"]).reset_index(drop=True)


def done_jobs(sweep_dir, code: str) -> dict[int, str]:
    """``{job: config hash}`` of the runs stored ``ok`` by model ``code``."""
    df = read_rows(sweep_dir, columns=list(INDEX))
    if df.empty:
        return {}
    ok = df[(df.status == "ok") & (df.code == code)]
    return dict(zip(ok.job.astype(int), ok.config_hash))


def has_chunks(sweep_dir) -> bool:
    return bool(row_files(sweep_dir))
