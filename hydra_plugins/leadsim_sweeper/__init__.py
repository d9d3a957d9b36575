"""leadsim's sweepers, on Hydra's public sweeper interface (``hydra.plugins.sweeper``).

``leadsim`` (the default, configs/hydra/sweeper/leadsim.yaml) forms Hydra's basic
sweeper's Cartesian product — same job order, ``params`` and ``max_batch_size`` — but
composes only the first job of each batch up front: ``leadsim``'s command line
(``simulation.cli.prevalidate``) has already composed and validated every value of
every swept key before Hydra starts (Hydra's sweeper composes every job, ~30 s for 400).

``samples`` runs one job per row of a design table (CSV, one column per override key),
each row crossed with the product of the other sweeps::

    leadsim -m hydra/sweeper=samples hydra.sweeper.samples=design.csv \
        coordination=delegation,distributed seed='range(5)'

Jobs are numbered row by row: job ``i`` runs row ``i // G`` where ``G`` is the size of
the product. The rows differ only in values: a value out of range fails its own job,
which records the error.

Hydra only finds plugins in the ``hydra_plugins`` namespace, and resolves a ``_target_``
by the defining module's name, hence this small package outside ``simulation/``.
"""

from __future__ import annotations

from pathlib import Path

from hydra.plugins.sweeper import Sweeper


class LeadsimSweeper(Sweeper):
    """Hydra's Cartesian sweep that validates one job per batch."""

    def __init__(self, max_batch_size=None, params=None) -> None:
        self.max_batch_size = max_batch_size
        self.params = dict(params or {})
        self.config = self.hydra_context = self.launcher = None

    def setup(self, *, hydra_context, task_function, config) -> None:
        from hydra.core.plugins import Plugins

        self.hydra_context, self.config = hydra_context, config
        self.launcher = Plugins.instance().instantiate_launcher(
            hydra_context=hydra_context, task_function=task_function, config=config
        )

    def jobs(self, arguments: list[str]) -> list[list[str]]:
        from simulation.sweep.compose import expand, parse

        lines = [f"{k}={v}" for k, v in self.params.items()] + list(arguments)
        return expand(parse(lines, self.hydra_context.config_loader))

    def sweep(self, arguments: list[str]):
        from omegaconf import OmegaConf

        from simulation.sweep.compose import batches

        jobs = self.jobs(arguments)
        sweep_dir = Path(str(self.config.hydra.sweep.dir))
        sweep_dir.mkdir(parents=True, exist_ok=True)
        OmegaConf.save(self.config, sweep_dir / "multirun.yaml")
        returns, start = [], 0
        for batch in batches(jobs, self.max_batch_size):
            # Every value was validated by `leadsim` before Hydra started; composing the
            # first job still catches what only Hydra's own config (hydra.*) can break.
            self.validate_batch_is_legal(batch[:1])
            results = self.launcher.launch(batch, initial_job_idx=start)
            for r in results:
                _ = r.return_value  # raises if a job raised
            start += len(batch)
            returns.append(results)
        return returns


class SamplesSweeper(LeadsimSweeper):
    def __init__(self, samples: str, max_batch_size=None, params=None) -> None:
        super().__init__(max_batch_size=max_batch_size, params=params)
        self.samples = samples

    def jobs(self, arguments: list[str]) -> list[list[str]]:
        from simulation.config import ConfigError  # lazy: Hydra imports plugins at every start
        from simulation.sweep.plan import sample_rows

        grid = super().jobs(arguments)
        rows = sample_rows(self.samples)
        sampled = {o.split("=", 1)[0] for o in (rows[0] if rows else [])}
        swept = {o.split("=", 1)[0].lstrip("+~") for o in (grid[0] if grid else [])}
        if sampled & swept:
            raise ConfigError(sorted(sampled & swept)[0], "set by the design table and on the command line")
        return [row + combo for row in rows for combo in grid]
