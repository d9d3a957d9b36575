"""leadsim's ``samples`` sweeper: one job per row of a design table.

Hydra's basic sweeper only forms Cartesian products; SALib (Morris, Sobol) and the EMA
Workbench produce designs row by row. This sweeper reads a CSV whose columns are
override keys and launches each row, crossed with the product of the other sweeps,
through the configured launcher (joblib, Slurm, ...)::

    leadsim -m hydra/sweeper=samples hydra.sweeper.samples=design.csv \
        coordination=delegation,distributed seed='range(5)'

Jobs are numbered row by row: job ``i`` runs row ``i // G`` where ``G`` is the size of
the product. Hydra only finds plugins in the ``hydra_plugins`` namespace, hence this
small module outside ``simulation/`` (``leadsim-sensitivity`` uses it).
"""

from __future__ import annotations

from hydra._internal.core_plugins.basic_sweeper import BasicSweeper


class SamplesSweeper(BasicSweeper):
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

    def validate_batch_is_legal(self, batch) -> None:
        # Hydra composes every job once here, serially (~0.07 s each), and again in the
        # job. The rows differ only in values: compose the first job to catch a bad key
        # early; a value out of range fails its own job, which records the error.
        super().validate_batch_is_legal(batch[:1])
