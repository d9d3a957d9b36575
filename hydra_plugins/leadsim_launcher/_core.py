"""The work of :class:`~hydra_plugins.leadsim_launcher.LeadsimJoblibLauncher`, in the
launching process (:func:`launch`) and in the workers (:func:`execute_chunk`).

Mirrors ``hydra_joblib_launcher._core`` (hydra-joblib-launcher 1.2) except that a joblib
task runs a chunk of jobs. The module name starts with ``_`` so that Hydra's plugin scan,
which runs again in every chunk (``Singleton.set_state``), does not re-execute it.
"""

from __future__ import annotations

import logging
import math
from pathlib import Path
from typing import Any, Dict, List, Sequence

from hydra.core.singleton import Singleton
from hydra.core.utils import JobReturn, configure_log, filter_overrides, run_job, setup_globals
from hydra.types import HydraContext, TaskFunction
from hydra_plugins.hydra_joblib_launcher._core import process_joblib_cfg
from omegaconf import DictConfig, open_dict

log = logging.getLogger(__name__)

#: The first chunk holds about 1 / (CHUNKS_PER_WORKER × workers) of the jobs.
CHUNKS_PER_WORKER = 4


def chunk_sizes(n: int, workers: int, per_worker: int = CHUNKS_PER_WORKER) -> list[int]:
    """Sizes of consecutive chunks of ``n`` jobs for ``workers`` workers, largest first.

    Guided scheduling: each chunk takes ``1 / (per_worker × workers)`` of the jobs still
    unassigned (at least one), so a worker that draws slow runs early is not left with a
    long chunk at the end while the others are idle.
    """
    sizes: list[int] = []
    left, parts = n, max(1, per_worker * max(1, workers))
    while left > 0:
        size = max(1, math.ceil(left / parts))
        sizes.append(size)
        left -= size
    return sizes


def chunks(job_overrides: Sequence[Sequence[str]], sizes: Sequence[int]) -> list[tuple[int, list]]:
    """``(offset of the first job, the jobs' overrides)`` per chunk."""
    out, start = [], 0
    for size in sizes:
        out.append((start, [list(o) for o in job_overrides[start:start + size]]))
        start += size
    assert start == len(job_overrides)
    return out


def run_one(idx: int, overrides: Sequence[str], hydra_context: HydraContext, config: DictConfig,
            task_function: TaskFunction) -> JobReturn:
    """One job, as ``hydra_joblib_launcher._core.execute_job`` and Hydra's basic launcher
    run it, without restoring Hydra's global state first.

    They also call ``HydraConfig.instance().set_config(sweep_config)`` here; ``run_job``
    does it again first thing (and twice in all), so it is left out (~3 ms a job). The
    only difference: after the job, ``HydraConfig`` holds what it held before the job
    (``run_job`` restores it) rather than this job's config.
    """
    sweep_config = hydra_context.config_loader.load_sweep_config(config, list(overrides))
    with open_dict(sweep_config):
        sweep_config.hydra.job.id = "{}_{}".format(sweep_config.hydra.job.name, idx)
        sweep_config.hydra.job.num = idx
    return run_job(
        hydra_context=hydra_context,
        config=sweep_config,
        task_function=task_function,
        job_dir_key="hydra.sweep.dir",
        job_subdir_key="hydra.sweep.subdir",
    )


def execute_chunk(first_idx: int, chunk: Sequence[Sequence[str]], hydra_context: HydraContext,
                  config: DictConfig, task_function: TaskFunction,
                  singleton_state: Dict[Any, Any]) -> List[JobReturn]:
    """Run consecutive jobs ``first_idx, first_idx + 1, ...`` in a worker: Hydra's global
    state is restored once, then each job runs as in Hydra's basic launcher."""
    setup_globals()
    Singleton.set_state(singleton_state)
    return [run_one(first_idx + i, overrides, hydra_context, config, task_function)
            for i, overrides in enumerate(chunk)]


def launch(launcher, job_overrides: Sequence[Sequence[str]], initial_job_idx: int) -> Sequence[JobReturn]:
    """``hydra_joblib_launcher._core.launch``, one joblib task per chunk of jobs."""
    from joblib import Parallel, delayed, effective_n_jobs

    setup_globals()
    assert launcher.config is not None
    assert launcher.task_function is not None
    assert launcher.hydra_context is not None

    configure_log(launcher.config.hydra.hydra_logging, launcher.config.hydra.verbose)
    sweep_dir = Path(str(launcher.config.hydra.sweep.dir))
    sweep_dir.mkdir(parents=True, exist_ok=True)

    # As in Hydra's joblib launcher: loky, whatever `backend` says (threads share
    # Hydra's global state, which every job sets).
    joblib_cfg = launcher.joblib
    joblib_cfg["backend"] = "loky"
    process_joblib_cfg(joblib_cfg)

    workers = effective_n_jobs(joblib_cfg.get("n_jobs", -1))
    if joblib_cfg.get("timeout"):  # joblib's timeout is per task: one job per task
        sizes = [1] * len(job_overrides)
    else:
        sizes = chunk_sizes(len(job_overrides), workers)

    log.info(
        "Joblib.Parallel({}) is launching {} jobs in {} chunks".format(
            ",".join([f"{k}={v}" for k, v in joblib_cfg.items()]),
            len(job_overrides),
            len(sizes),
        )
    )
    log.info("Launching jobs, sweep output dir : {}".format(sweep_dir))
    for idx, overrides in enumerate(job_overrides):
        log.info("\t#{} : {}".format(idx, " ".join(filter_overrides(overrides))))

    singleton_state = Singleton.get_state()

    parts = Parallel(**joblib_cfg)(
        delayed(execute_chunk)(
            initial_job_idx + start,
            chunk,
            launcher.hydra_context,
            launcher.config,
            launcher.task_function,
            singleton_state,
        )
        for start, chunk in chunks(job_overrides, sizes)
    )

    runs = [run for part in parts for run in part]
    assert len(runs) == len(job_overrides)
    for run in runs:
        assert isinstance(run, JobReturn)
    return runs
