"""leadsim's launchers: a sweep runs in chunks of consecutive runs, one Parquet file per
chunk (or one folder per run for small sweeps), on local processes or packed into a few
Slurm array tasks.

* ``hydra/launcher=leadsim`` (the default): :class:`LeadsimLauncher`, chunks on
  ``n_jobs`` local processes through joblib;
* ``hydra/launcher=slurm`` and ``hydra/launcher=slurm_local``:
  :class:`LeadsimSubmititLauncher`, chunks packed into at most ``max_tasks`` array tasks
  of ``cpus_per_task`` CPUs each (submitit; ``cluster: local`` runs the same tasks as
  local processes, to try a cluster sweep on one machine).

Both use Hydra's public launcher interface only; the work is in
:mod:`simulation.sweep.launch` and :mod:`simulation.sweep.execute` (docs/sweeps.md).
Hydra only finds plugins in the ``hydra_plugins`` namespace, and resolves ``_target_``
by the defining module, hence the classes here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from hydra.plugins.launcher import Launcher


class _Base(Launcher):
    def __init__(self, **kwargs: Any) -> None:
        self.config = self.hydra_context = self.task_function = None
        for k, v in kwargs.items():
            setattr(self, k, v)

    def setup(self, *, hydra_context, task_function, config) -> None:
        self.hydra_context, self.task_function, self.config = hydra_context, task_function, config


class LeadsimLauncher(_Base):
    """Chunks of consecutive runs on local worker processes."""

    def __init__(
        self,
        n_jobs: int = -1,
        storage: str = "auto",
        chunk_size: int | None = None,
        timeseries: bool = False,
        flush_every: int = 200,
    ) -> None:
        super().__init__(
            n_jobs=n_jobs, storage=storage, chunk_size=chunk_size, timeseries=timeseries, flush_every=flush_every
        )

    def launch(self, job_overrides: Sequence[Sequence[str]], initial_job_idx: int):
        from simulation.sweep.launch import launch_local

        return launch_local(self, job_overrides, initial_job_idx)


class LeadsimSubmititLauncher(_Base):
    """Chunks packed into Slurm array tasks (or submitit's local processes)."""

    def __init__(
        self,
        cluster: str = "slurm",
        storage: str = "auto",
        chunk_size: int | None = None,
        timeseries: bool = False,
        flush_every: int = 200,
        max_tasks: int = 50,
        max_array_size: int = 1000,
        array_parallelism: int = 256,
        cpus_per_task: int = 4,
        mem_gb: float | None = None,
        mem_gb_base: float = 1.0,
        mem_gb_per_cpu: float = 0.5,
        timeout_min: int | None = None,
        seconds_per_run: float = 1.0,
        partition: str | None = None,
        account: str | None = None,
        qos: str | None = None,
        name: str = "leadsim",
        setup: Sequence[str] = (),
        additional_parameters: dict | None = None,
        submitit_folder: str = ".submitit/%j",
    ) -> None:
        kwargs = {k: v for k, v in locals().items() if k not in ("self", "__class__", "setup")}
        super().__init__(shell_setup=list(setup), **kwargs)  # `setup` is the Launcher's method

    def launch(self, job_overrides: Sequence[Sequence[str]], initial_job_idx: int):
        from simulation.sweep.launch import launch_submitit

        return launch_submitit(self, job_overrides, initial_job_idx)
