"""Sweeps researchers can trust: resumable run folders, reports, sensitivity analysis.

- :mod:`.resume`: what a run folder holds (complete, failed, incomplete) and how a
  sweep job records its outcome without ever raising;
- :mod:`.plan`: the jobs a multirun will launch, its manifest and progress line;
- :mod:`.report`: ``results.parquet``/``.csv``, ``summary.csv``, paired gaps and the
  EMA Workbench / SALib export (``leadsim-report``);
- :mod:`.figures`: the report's figures;
- :mod:`.callbacks`: the Hydra callback that writes the report after a multirun;
- :mod:`.sensitivity`: Morris and Sobol analysis through the same sweep machinery
  (``leadsim-sensitivity``).
"""
