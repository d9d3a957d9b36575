"""leadsim's default launcher: Hydra's joblib launcher with jobs sent to workers in chunks.

``configs/hydra/launcher/leadsim.yaml`` selects it; its settings are the joblib
launcher's (``hydra.launcher.n_jobs``, ``backend``, ``prefer``, ``require``, ``verbose``,
``timeout``, ``pre_dispatch``, ``batch_size``, ``temp_folder``, ``max_nbytes``,
``mmap_mode``), with the same meaning.

Hydra's joblib launcher sends every job to a worker as its own task: each one pickles
the sweep's master config, the Hydra context and Hydra's global state, and the worker
then restores that state (``Singleton.set_state``), which re-imports every plugin module
under ``hydra_plugins`` — ~20-30 ms per job, as much as a short run. This launcher sends
*chunks* of consecutive jobs instead, and restores Hydra's state once per chunk. Within
a chunk, each job runs exactly as in Hydra's basic launcher: its own config
(``load_sweep_config``), job number and id, ``HydraConfig``, and Hydra's ``run_job``
(run folder, ``.hydra/`` files, logging, job callbacks). Job numbers, run folders and
the order of the returned results are those of Hydra's joblib launcher; a job whose
task fails is recorded in its own ``JobReturn`` (leadsim's jobs record failures
themselves), and an error Hydra raises outside the task (composing a job's config)
stops the sweep as before.

Chunks shrink as the sweep proceeds (guided scheduling): the first ones hold about
1/(4 × workers) of the jobs, the last ones a single job, so workers finish together.
With ``hydra.launcher.timeout`` set, every job is its own chunk, as joblib's timeout
applies per task.

The class lives in this module because Hydra resolves ``_target_`` by the defining
module's name; what runs in the workers is in ``_core`` (a name Hydra's plugin scan
skips, so the scan does not re-execute it).
"""

from __future__ import annotations

from typing import Sequence

from hydra.core.utils import JobReturn
from hydra_plugins.hydra_joblib_launcher.joblib_launcher import JoblibLauncher


class LeadsimJoblibLauncher(JoblibLauncher):
    """Hydra's joblib launcher, several jobs per joblib task."""

    def launch(self, job_overrides: Sequence[Sequence[str]], initial_job_idx: int) -> Sequence[JobReturn]:
        from . import _core

        return _core.launch(launcher=self, job_overrides=job_overrides, initial_job_idx=initial_job_idx)
