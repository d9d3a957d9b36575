"""The launching side of leadsim's launchers: cut a batch of jobs into chunks, send
them to local worker processes or to Slurm array tasks, and answer Hydra's sweeper.

Hydra's launcher interface is public (``hydra.plugins.launcher.Launcher``): the
sweeper hands over the job overrides; the launcher returns one ``JobReturn`` per job.
leadsim's launchers do not call Hydra's ``run_job`` per job: a worker composes and runs
a whole chunk (:mod:`.execute`), so there is no ``.hydra/`` folder or log per run.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Sequence
from pathlib import Path

from . import chunks as store
from .execute import Chunk, choose_storage, chunk_sizes, guided_sizes, run_chunks


def _total(sweep_dir: Path, batch: int, initial: int) -> int:
    from . import plan

    total = plan.read_manifest(sweep_dir).get("total")
    return int(total) if total else initial + batch


def make_chunks(
    launcher,
    job_overrides: Sequence[Sequence[str]],
    initial_job_idx: int,
    parts: int,
    chunk_size: int | None,
    workers: int | None = None,
) -> tuple[list[Chunk], str]:
    """The batch's chunks, with the runs already stored; chunks whose every run is
    stored with the same overrides and model code are left out. With ``workers`` (local
    processes that take chunks as they free up) the chunks shrink toward the end."""
    from hydra.core.singleton import Singleton

    from . import resume

    cfg = launcher.config
    sweep_dir = Path(str(cfg.hydra.sweep.dir))
    sweep_dir.mkdir(parents=True, exist_ok=True)
    storage = choose_storage(str(launcher.storage), _total(sweep_dir, len(job_overrides), initial_job_idx))
    n = len(job_overrides)
    if chunk_size:
        sizes = [chunk_size] * (n // chunk_size) + ([n % chunk_size] if n % chunk_size else [])
    elif workers and storage == "chunks":
        sizes = guided_sizes(n, workers)
    else:
        sizes = chunk_sizes(n, parts)
    done, stored = {}, {}
    if storage == "chunks":
        store.tidy(sweep_dir)  # parts left by a killed sweep: merged before anything starts
        rows = store.read_rows(sweep_dir, columns=["overrides"])
        if not rows.empty:
            ok = rows[(rows.status == "ok") & (rows.code == resume.code_fingerprint())]
            done = dict(zip(ok.job.astype(int), ok.config_hash))
            stored = dict(zip(ok.job.astype(int), ok.overrides))
    state = Singleton.get_state()
    from omegaconf import OmegaConf

    subdir = str(OmegaConf.to_container(cfg.hydra.sweep, resolve=False)["subdir"])
    out, start = [], 0
    for size in sizes:
        jobs = [list(o) for o in job_overrides[start : start + size]]
        first = initial_job_idx + start
        start += size
        mine = {j: done[j] for j in range(first, first + size) if j in done}
        if (
            storage == "chunks"
            and len(mine) == size
            and all(stored[first + i] == " ".join(o) for i, o in enumerate(jobs))
        ):
            continue  # every run stored: nothing to send
        out.append(
            Chunk(
                str(sweep_dir),
                first,
                jobs,
                storage,
                launcher.hydra_context,
                cfg,
                state,
                mine,
                bool(launcher.timeseries),
                int(launcher.flush_every),
                subdir,
            )
        )
    if done and storage == "chunks":
        print(
            f"[leadsim] {len(done)} run(s) already stored in {sweep_dir / store.DIR}; "
            f"{sum(len(c.jobs) for c in out)} to check or run in {len(out)} chunk(s)",
            file=sys.stderr,
            flush=True,
        )
    return out, storage


def job_returns(job_overrides, statuses: dict[int, str], initial_job_idx: int):
    """One ``JobReturn`` per job (its value: ``ok``, ``skipped`` or ``failed``)."""
    from hydra.core.utils import JobReturn, JobStatus

    out = []
    for i, o in enumerate(job_overrides):
        r = JobReturn(overrides=list(o), status=JobStatus.COMPLETED)
        r.return_value = statuses.get(initial_job_idx + i, "skipped")
        out.append(r)
    return out


def launch_local(launcher, job_overrides, initial_job_idx: int):
    """Chunks on ``n_jobs`` local processes (loky): chunk files in chunks that shrink
    toward the end; run folders in about four chunks per process."""
    from hydra.core.utils import setup_globals
    from joblib import effective_n_jobs

    setup_globals()
    workers = effective_n_jobs(launcher.n_jobs)
    parts = 4 * workers
    chunks, _storage = make_chunks(launcher, job_overrides, initial_job_idx, parts, launcher.chunk_size, workers)
    statuses: dict[int, str] = {}
    for part in run_chunks(chunks, n_jobs=workers):
        statuses.update(part)
    return job_returns(job_overrides, statuses, initial_job_idx)


def pack(n_chunks: int, max_tasks: int, max_array_size: int) -> list[list[int]]:
    """Chunk indices per array task: at most ``max_tasks`` tasks (and never more than
    ``max_array_size`` in one array), consecutive chunks per task."""
    tasks = max(1, min(n_chunks, max_tasks))
    base, extra = divmod(n_chunks, tasks)
    out, start = [], 0
    for i in range(tasks):
        size = base + (i < extra)
        out.append(list(range(start, start + size)))
        start += size
    return [t for t in out if t]


def slurm_plan(n: int, max_tasks: int, cpus: int, max_array_size: int, chunk_size: int | None) -> list[int]:
    """Chunk sizes for ``n`` runs on Slurm: each task runs ``cpus`` chunks at once."""
    tasks = max(1, min(max_tasks, math.ceil(n / max(1, cpus))))
    if chunk_size:
        return [chunk_size] * (n // chunk_size) + ([n % chunk_size] if n % chunk_size else [])
    return chunk_sizes(n, tasks * cpus)


def executor_params(p, runs_per_task: int, chunks_per_task: int) -> dict:
    """submitit's parameters for array tasks of ``runs_per_task`` runs: CPUs, memory
    and time limit from the chunk (unless set), partition, account, qos, setup."""
    cpus = int(p.cpus_per_task)
    timeout = (
        p.timeout_min
        or int(math.ceil(runs_per_task * float(p.seconds_per_run) / max(1, min(cpus, chunks_per_task)) * 2 / 60)) + 10
    )
    mem_gb = float(p.mem_gb) if p.mem_gb else round(float(p.mem_gb_base) + float(p.mem_gb_per_cpu) * cpus, 1)
    params = {
        "timeout_min": int(timeout),
        "cpus_per_task": cpus,
        "mem_gb": mem_gb,
        "name": str(p.name),
        "slurm_array_parallelism": int(p.array_parallelism),
    }
    for key in ("partition", "account", "qos"):
        if getattr(p, key, None):
            params[f"slurm_{key}"] = str(getattr(p, key))
    if p.shell_setup:
        params["slurm_setup"] = list(p.shell_setup)
    if p.additional_parameters:
        params["slurm_additional_parameters"] = dict(p.additional_parameters)
    return params


def launch_submitit(launcher, job_overrides, initial_job_idx: int):
    """Chunks packed into array tasks, submitted with submitit (Slurm or local)."""
    import submitit
    from hydra.core.utils import setup_globals

    setup_globals()
    p = launcher
    cpus = int(p.cpus_per_task)
    sizes = slurm_plan(len(job_overrides), int(p.max_tasks), cpus, int(p.max_array_size), p.chunk_size)
    chunks, _storage = make_chunks(p, job_overrides, initial_job_idx, len(sizes), p.chunk_size)
    statuses: dict[int, str] = {}
    if not chunks:
        return job_returns(job_overrides, statuses, initial_job_idx)
    tasks = pack(len(chunks), int(p.max_tasks), int(p.max_array_size))
    params = executor_params(p, max(sum(len(chunks[i].jobs) for i in t) for t in tasks), max(len(t) for t in tasks))
    timeout, mem_gb = params["timeout_min"], params["mem_gb"]
    sweep_dir = Path(str(p.config.hydra.sweep.dir))
    folder = str(p.submitit_folder)
    ex = submitit.AutoExecutor(folder=folder, cluster=p.cluster)
    ex.update_parameters(**params)
    print(
        f"[leadsim] {sum(len(c.jobs) for c in chunks)} runs in {len(chunks)} chunks, {len(tasks)} array "
        f"task(s) of {cpus} CPU(s), {mem_gb} GB, {timeout} min; submitit folder {folder}",
        file=sys.stderr,
        flush=True,
    )
    jobs = []
    arrays = [tasks[i : i + int(p.max_array_size)] for i in range(0, len(tasks), int(p.max_array_size))]
    for array in arrays:
        jobs += ex.map_array(run_chunks, [[chunks[i] for i in t] for t in array], [cpus] * len(array))
    failed = []
    for job in jobs:
        try:
            for part in job.result():
                statuses.update(part)
        except Exception as exc:  # a task killed or out of time: its runs are missing
            failed.append(f"{job.job_id}: {' '.join(str(exc).split())[:300]}")
    for line in failed:
        print(f"[leadsim] array task {line}", file=sys.stderr)
    if failed:
        print(
            f"[leadsim] {len(failed)} array task(s) did not finish; run the same command again "
            f"to run only the missing runs (stored runs are kept in {sweep_dir})",
            file=sys.stderr,
        )
    return job_returns(job_overrides, statuses, initial_job_idx)


#: Launcher settings checked before anything is written: key -> (kind, allowed).
SETTINGS = {
    "storage": ("choice", ("auto", "chunks", "runs")),
    "chunk_size": ("int", 1),
    "flush_every": ("int", 1),
    "max_tasks": ("int", 1),
    "max_array_size": ("int", 1),
    "array_parallelism": ("int", 1),
    "cpus_per_task": ("int", 1),
    "n_jobs": ("int", None),
    "timeseries": ("bool", None),
}


def check_setting(key: str, value) -> None:
    """Raise ``ConfigError`` naming ``hydra.launcher.KEY`` and its allowed values."""
    from ..config import ConfigError

    if key not in SETTINGS or value is None or str(value).lower() == "null":
        return
    kind, allowed = SETTINGS[key]
    name = f"hydra.launcher.{key}"
    if kind == "choice" and str(value) not in allowed:
        raise ConfigError(name, f"must be one of {', '.join(allowed)}, got {value!r}")
    if kind == "bool" and str(value).lower() not in ("true", "false"):
        raise ConfigError(name, f"must be true or false, got {value!r}")
    if kind == "int":
        try:
            v = int(str(value))
        except ValueError:
            raise ConfigError(name, f"must be an integer, got {value!r}") from None
        if allowed is not None and v < allowed:
            raise ConfigError(name, f"must be at least {allowed}, got {v}")
        if key == "n_jobs" and v == 0:
            raise ConfigError(name, "must be a positive number of processes, or negative (-1: all cores), got 0")
