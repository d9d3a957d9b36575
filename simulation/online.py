"""Task metrics kept as things happen, so a run's memory does not grow with its length.

Each task is counted once, when it ends (completed, or failed for good) or, if it is
still open, when the metrics are read. Every quantity is an integer count or sum, so
the metrics equal those recomputed from the full event log exactly
(``simulation.metrics.metrics_from_events``, used by the tests); lead times are kept
as a histogram of whole steps, which gives their 90th percentile exactly.
"""

from __future__ import annotations

import numpy as np


class Tally:
    """Running counts over the tasks that arrived after the warm-up (the cohort)."""

    FLAGS = ("contested", "unowned", "either", "lived", "escalated")

    def __init__(self, warmup: int):
        self.warmup = warmup
        self.flags = dict.fromkeys(self.FLAGS, 0)  # cohort tasks ended with each flag
        self.conflicts = 0  # conflicts over ended cohort tasks
        self.claims = 0  # claims on ended cohort tasks
        self.lead_hist = np.zeros(64, dtype=np.int64)  # completed cohort tasks by lead time
        self.wait_sum = self.wait_n = 0  # first starts of cohort tasks
        self.completed_after = self.failed_after = 0  # attempts ended after the warm-up
        self.reopened_cohort = 0

    def first_starts(self, T, tasks: np.ndarray, step: int) -> None:
        if step <= self.warmup:  # nothing has arrived after the warm-up yet
            return
        cohort = tasks[T.arrival[tasks] > self.warmup]
        if len(cohort):
            self.wait_sum += int((step - T.arrival[cohort]).sum())
            self.wait_n += len(cohort)

    def finished(self, T, tasks, success, final_fail, reopened, step: int) -> None:
        """Attempts ended at ``step``: counted, and tasks that ended for good tallied."""
        if step <= self.warmup:  # nothing has arrived after the warm-up yet
            return
        self.completed_after += _count(success)
        self.failed_after += _count(final_fail) + _count(reopened)
        cohort = T.arrival[tasks] > self.warmup
        self.reopened_cohort += _count(reopened & cohort)
        done = tasks[success & cohort]
        if len(done):
            lead = step - T.arrival[done]
            if lead.max() >= len(self.lead_hist):
                self.lead_hist = np.concatenate(
                    (
                        self.lead_hist,
                        np.zeros(max(lead.max() + 1, 2 * len(self.lead_hist)) - len(self.lead_hist), dtype=np.int64),
                    )
                )
            self.lead_hist += np.bincount(lead, minlength=len(self.lead_hist))
        self.ended(T, tasks[(success | final_fail) & cohort])

    def ended(self, T, tasks: np.ndarray) -> None:
        if len(tasks) == 0:
            return
        flags = self.flags
        for name, value in self.task_flags(T, tasks).items():
            flags[name] += _count(value)
        self.conflicts += int(T.n_conflicts[tasks].sum())
        self.claims += int(T.n_claims[tasks].sum())

    @staticmethod
    def task_flags(T, tasks: np.ndarray) -> dict[str, np.ndarray]:
        contested, unowned = T.contested[tasks], T.unowned[tasks]
        return {
            "contested": contested,
            "unowned": unowned,
            "either": contested | unowned,
            "lived": (T.n_conflicts[tasks] > 0) | unowned,
            "escalated": T.escalated[tasks],
        }

    def lead_time_stats(self) -> tuple[int, int, float]:
        """Count, sum and 90th percentile of completed cohort tasks' lead times, from
        the histogram: the percentile is NumPy's default (linear) method, computed
        without listing every task (the same float, tested)."""
        hist = self.lead_hist
        n = int(hist.sum())
        if n == 0:
            return 0, 0, float("nan")
        total = int(np.arange(len(hist)).dot(hist))
        virtual = (n - 1) * 0.9
        below = int(np.floor(virtual))
        gamma = virtual - below
        cum = np.cumsum(hist)
        a = float(np.searchsorted(cum, below, side="right"))
        b = float(np.searchsorted(cum, min(below + 1, n - 1), side="right"))
        diff = b - a  # NumPy's _lerp, term for term
        return n, total, (b - diff * (1 - gamma) if gamma >= 0.5 else a + diff * gamma)


def _count(mask: np.ndarray) -> int:
    """True entries of a boolean mask, as a Python int."""
    return int(np.count_nonzero(mask))
