"""leadsim's sweepers: Hydra's Cartesian sweeps with less per-job overhead, and design tables.

``leadsim`` (the default, configs/hydra/sweeper/leadsim.yaml) is Hydra's basic sweeper
— same Cartesian product, ``params`` and ``max_batch_size`` — with two savings:

* Hydra composes every job's config once in the launching process, serially, only to
  catch a bad override early (~30 s for 400 jobs), then again in the job.
  ``leadsim``'s command line (``simulation.cli.prevalidate``) has already composed and
  validated every value of every swept key before Hydra starts, so only the first job
  of each batch is composed here.
* Jobs load their config through :class:`~._loader.CachingConfigLoader`, which composes
  each distinct structure once per worker process and applies plain values to a copy.
  It is installed in ``setup``, before the launcher exists, so every launcher (basic,
  joblib, submitit) gets it.

``samples`` runs one job per row of a design table (CSV, one column per override key).
Hydra's basic sweeper only forms Cartesian products; SALib (Morris, Sobol) and the EMA
Workbench produce designs row by row. Each row is crossed with the product of the other
sweeps and launched through the configured launcher (joblib, Slurm, ...)::

    leadsim -m hydra/sweeper=samples hydra.sweeper.samples=design.csv \
        coordination=delegation,distributed seed='range(5)'

Jobs are numbered row by row: job ``i`` runs row ``i // G`` where ``G`` is the size of
the product. The rows differ only in values: a value out of range fails its own job,
which records the error.

Hydra only finds plugins in the ``hydra_plugins`` namespace, hence this small package
outside ``simulation/``. The classes live in this module because Hydra resolves a
``_target_`` by the defining module's name.
"""

from __future__ import annotations

import dataclasses

from hydra._internal.core_plugins.basic_sweeper import BasicSweeper

from ._loader import CachingConfigLoader


class LeadsimSweeper(BasicSweeper):
    """Hydra's basic sweeper that validates one job per batch and caches composition."""

    def setup(self, *, hydra_context, task_function, config) -> None:
        loader = CachingConfigLoader(hydra_context.config_loader)
        hydra_context = dataclasses.replace(hydra_context, config_loader=loader)
        super().setup(hydra_context=hydra_context, task_function=task_function, config=config)

    def validate_batch_is_legal(self, batch) -> None:
        # Every value was validated by `leadsim` before Hydra started; composing the
        # first job still catches what only Hydra's own config (hydra.*) can break.
        super().validate_batch_is_legal(batch[:1])


class SamplesSweeper(LeadsimSweeper):
    def __init__(self, samples: str, max_batch_size=None, params=None) -> None:
        super().__init__(max_batch_size=max_batch_size, params=params)
        self.samples = samples

    def split_arguments(self, overrides, max_batch_size):  # shadows the static method
        from simulation.config import ConfigError  # lazy: Hydra imports plugins at every start
        from simulation.sweep.plan import sample_rows

        grid = BasicSweeper.split_arguments(overrides, None)[0]
        rows = sample_rows(self.samples)
        sampled = {o.split("=", 1)[0] for o in (rows[0] if rows else [])}
        swept = {o.split("=", 1)[0].lstrip("+~") for o in (grid[0] if grid else [])}
        if sampled & swept:
            raise ConfigError(sorted(sampled & swept)[0], "set by the design table and on the command line")
        jobs = [row + combo for row in rows for combo in grid]
        return [list(chunk) for chunk in BasicSweeper.split_overrides_to_chunks(jobs, max_batch_size)]
