"""Running a sweep chunk by chunk: what a worker (a joblib process, a Slurm array task)
does with its runs, and how a sweep is cut into chunks and tasks.

A chunk is a list of consecutive jobs. Its worker restores Hydra's global state once,
composes each distinct config structure once (:class:`.compose.JobComposer`), and for
every job: skips it if a run of the same resolved config and model code is stored,
else runs it and stores the result — in the chunk's Parquet file (``storage=chunks``)
or in a run folder as ``leadsim -m`` always did (``storage=runs``). It never raises
for a run: a failure becomes a ``failed`` row (or folder) and the chunk goes on.
"""

from __future__ import annotations

import hashlib
import json
import math
import sys
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: Sweeps of at most this many runs keep one folder per run under ``storage=auto``.
PER_RUN_MAX = 500
#: No chunk holds more runs than this (a kill loses at most the unflushed runs anyway).
CHUNK_MAX = 2000


@dataclass
class Chunk:
    """What a worker needs: the sweep folder, its jobs and how to compose them."""

    sweep_dir: str
    first: int  #: job number of ``jobs[0]``
    jobs: list[list[str]]
    storage: str  #: "chunks" or "runs"
    hydra_context: Any
    master_config: Any
    singleton_state: Any = None
    done: dict = field(default_factory=dict)  #: job -> config hash of stored ok runs
    timeseries: bool = False
    flush_every: int = 200
    subdir: str = "${hydra.job.num}"

    @property
    def last(self) -> int:
        return self.first + len(self.jobs) - 1


def config_hash(want: dict) -> str:
    return hashlib.sha256(json.dumps(want, sort_keys=True, default=str).encode()).hexdigest()[:16]


def chunk_sizes(n: int, parts: int, cap: int = CHUNK_MAX) -> list[int]:
    """``n`` consecutive jobs in about ``parts`` equal chunks of at most ``cap``."""
    if n <= 0:
        return []
    k = max(parts, math.ceil(n / cap), 1)
    k = min(k, n)
    base, extra = divmod(n, k)
    return [base + (i < extra) for i in range(k)]


def guided_sizes(n: int, workers: int, cap: int = CHUNK_MAX, floor: int = 100) -> list[int]:
    """``n`` consecutive jobs in chunks that shrink toward the end (guided self-scheduling,
    Polychronopoulos & Kuck 1987): each takes ``1 / (2 * workers)`` of the jobs left, at
    most ``cap`` and at least ``floor``. Equal chunks leave all but one worker idle while
    the last one runs (a tenth of a 20,000-run sweep's time on 2 workers); shrinking
    chunks let the workers run out of work together."""
    out, left = [], n
    while left > 0:
        size = min(cap, max(floor, -(-left // (2 * max(workers, 1)))), left)
        out.append(size)
        left -= size
    return out


def choose_storage(storage: str, total: int) -> str:
    if storage not in ("auto", "chunks", "runs"):
        raise ValueError(f"hydra.launcher.storage: must be auto, chunks or runs, got {storage!r}")
    if storage == "auto":
        return "runs" if total <= PER_RUN_MAX else "chunks"
    return storage


def run_chunks(chunks: list[Chunk], n_jobs: int = 1) -> list[dict]:
    """Several chunks on ``n_jobs`` processes (a Slurm task uses all its CPUs so)."""
    if n_jobs <= 1 or len(chunks) <= 1:
        return [run_chunk(c) for c in chunks]
    from joblib import Parallel, delayed

    return Parallel(n_jobs=n_jobs, backend="loky")(delayed(run_chunk)(c) for c in chunks)


def run_chunk(chunk: Chunk) -> dict:
    """Run (or skip) every job of ``chunk``; return ``{job: status}`` counts and statuses."""
    from hydra.core.singleton import Singleton
    from hydra.core.utils import setup_globals

    from ..hydra_config import GROUPS, sim_config_from
    from ..runner import flat_row, resolved_config, simulate
    from . import chunks, plan, resume
    from .compose import JobComposer

    setup_globals()
    if chunk.singleton_state is not None:
        Singleton.set_state(chunk.singleton_state)
    sweep_dir = Path(chunk.sweep_dir)
    code = resume.code_fingerprint()
    composer = JobComposer(chunk.hydra_context.config_loader, chunk.master_config)
    status: dict[int, str] = {}
    skipped: list[dict] = []
    writer = None
    if chunk.storage == "chunks":
        writer = chunks.ChunkWriter(
            sweep_dir,
            chunk.first,
            chunk.last,
            chunk.timeseries,
            every=chunk.flush_every,
            on_flush=lambda rows: _progress(sweep_dir, rows),
        )
    for i, overrides in enumerate(chunk.jobs):
        job = chunk.first + i
        t0 = time.perf_counter()
        info = {"job": job, "overrides": list(overrides), "code": code}
        want = None
        try:
            data, choices = composer.compose_data(overrides)
            info["choices"] = {k: v for k, v in choices.items() if k in GROUPS and v is not None}
            sim = sim_config_from(data)
            want = resolved_config(sim)
            digest = config_hash(want)
            if writer is None:
                out = sweep_dir / _subdir(chunk.subdir, job)
                if resume.stored_metrics(out, want, code) is not None:
                    resume.clean_temporaries(out)
                    resume.succeed(out, info, skipped=True)
                    plan.record(sweep_dir, job, "skipped", time.perf_counter() - t0)
                    status[job] = "skipped"
                    continue
                resume.begin(out, want, info)
            elif chunk.done.get(job) == digest:
                status[job] = "skipped"
                skipped.append({"status": "skipped", "job": job, "seconds": 0.0})
                continue
            result = simulate(sim, progress=False)
        except Exception as exc:
            seconds = round(time.perf_counter() - t0, 3)
            status[job] = "failed"
            if writer is None:
                out = sweep_dir / _subdir(chunk.subdir, job)
                resume.fail(out, exc, {**info, "seconds": seconds})
                plan.record(sweep_dir, job, "failed", seconds)
            else:
                row = _row(info, "failed", seconds, code, None if want is None else config_hash(want))
                row["error"] = f"{type(exc).__name__}: {' '.join(str(exc).split())}"[:500]
                row["traceback"] = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))[-4000:]
                if want is not None:
                    row.update(_flat_config(want))
                writer.add(row)
            continue
        seconds = round(time.perf_counter() - t0, 3)
        status[job] = "ok"
        if writer is None:
            from ..runner import write_outputs

            write_outputs(out, result)
            resume.succeed(out, {**info, "seconds": seconds})
            plan.record(sweep_dir, job, "ok", seconds)
        else:
            row = _row(info, "ok", seconds, code, digest)
            row.update(flat_row(result, want))  # ``want`` is ``result.config`` resolved
            writer.add(row, result.timeseries)
        del result
    if writer is not None:
        writer.close()
        if skipped:
            _progress(sweep_dir, skipped)
    return status


def _row(info: dict, state: str, seconds: float, code: str, digest: str | None) -> dict:
    row = {
        "job": info["job"],
        "status": state,
        "finished": time.time(),
        "seconds": seconds,
        "overrides": " ".join(info["overrides"]),
        "config_hash": digest,
        "code": code,
        "error": None,
    }
    row.update(info.get("choices") or {})
    return row


def _flat_config(want: dict) -> dict:
    from .report import _flatten

    return _flatten(want)


def _subdir(template: str, job: int) -> str:
    """``hydra.sweep.subdir`` for a job: leadsim's default ``${hydra.job.num}``; any other
    template that names only the job number is honoured, anything else falls back."""
    return (
        template.replace("${hydra.job.num}", str(job))
        if "${" not in template.replace("${hydra.job.num}", "")
        else str(job)
    )


_last_print = [0.0]


def _progress(sweep_dir: Path, rows: list[dict]) -> None:
    """Append the flushed runs to the progress log; print a progress line now and then."""
    from . import plan

    path = sweep_dir / plan.PROGRESS
    if not path.parent.is_dir():
        return
    with open(path, "a") as fh:
        fh.write("".join(f"{r['status']}\t{r['job']}\t{r['seconds']:.3f}\n" for r in rows))
    now = time.monotonic()
    if now - _last_print[0] >= 5:
        _last_print[0] = now
        print(plan.progress_line(sweep_dir), file=sys.stderr, flush=True)
