"""Sweeps researchers can trust: chunked and resumable, on a laptop or a Slurm cluster,
with reports and sensitivity analysis.

- :mod:`.compose`: a sweep's jobs and their configs, through Hydra's public APIs only;
- :mod:`.execute`: what a worker does with a chunk of runs (chunk files or run folders);
- :mod:`.launch`: cutting a sweep into chunks and array tasks (leadsim's launchers);
- :mod:`.chunks`: chunk files — many runs per Parquet file, flushed in small batches;
- :mod:`.resume`: what a run folder holds (complete, failed, incomplete);
- :mod:`.plan`: the jobs a multirun will launch, its manifest and progress line;
- :mod:`.report`: ``results.parquet``, ``summary.csv``, paired gaps and the EMA
  Workbench / SALib export (``leadsim-report``), from chunk files and run folders;
- :mod:`.readme`: the sweep folder's ``README.md``;
- :mod:`.figures`: the report's figures;
- :mod:`.callbacks`: the Hydra callback that writes the report after a multirun;
- :mod:`.sensitivity`: Morris and Sobol analysis through the same sweep machinery
  (``leadsim-sensitivity``).
"""
