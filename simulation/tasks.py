"""Tasks, stored column-wise, and the event log every metric is computed from.

Tasks live in a :class:`TaskTable` (one array per attribute, one row per task) so
that a step can progress, start and finish many tasks with a few array operations.
"""

from __future__ import annotations

from enum import IntEnum

import numpy as np
import pandas as pd


class Event(IntEnum):
    """Every task state change, recorded once (see docs/ODD.md, section 7.9)."""

    ARRIVED = 0     # person: the colleague who received the request
    CLAIMED = 1     # person: a claimant (pool regimes)
    REFUSED = 2     # person: a claimant whose claim colleagues did not grant
    GRANTED = 3     # person: a claimant whose claim was granted
    CONTESTED = 4   # several granted claims on one task in one step
    CONFLICT = 5    # a contest nobody settled, or an assignment pushed back (person: assignee)
    UNOWNED = 6     # nobody took the task within the patience limit
    ESCALATED = 7   # handed to the formal leader (hybrid)
    ASSIGNED = 8    # person: whom the leader chose to lead the task
    STARTED = 9     # person: the accepted owner (lead); work begins
    JOINED = 10     # person: a follower joining the team
    COMPLETED = 11  # finished successfully
    FAILED = 12     # finished unsuccessfully


class TaskTable:
    """All tasks of a run, one row each; grows by doubling.

    ``dom1`` is -1 for single-domain tasks; ``members[t]`` holds the lead first, then
    the followers, padded with -1.
    """

    FLOATS = ("difficulty", "effort", "remaining", "rate", "p_success")
    INTS = ("dom0", "dom1", "team_size", "arrival", "entry", "lead", "start")
    FLAGS = ("via_leader", "contested", "unowned", "escalated")

    def __init__(self, max_team: int, capacity: int = 256):
        self.n = 0
        self.max_team = max_team
        self._alloc(capacity)

    def _alloc(self, cap: int) -> None:
        old = {k: getattr(self, k) for k in (*self.FLOATS, *self.INTS, *self.FLAGS, "members")
               if hasattr(self, k)}
        for k in self.FLOATS:
            setattr(self, k, np.zeros(cap))
        for k in self.INTS:
            setattr(self, k, np.full(cap, -1, dtype=np.int64))
        for k in self.FLAGS:
            setattr(self, k, np.zeros(cap, dtype=bool))
        self.members = np.full((cap, self.max_team), -1, dtype=np.int64)
        for k, v in old.items():
            getattr(self, k)[: len(v)] = v
        self.capacity = cap

    def add(self, **cols) -> np.ndarray:
        """Append ``k`` tasks (columns as arrays of length ``k``); return their ids."""
        k = len(cols["dom0"])
        while self.n + k > self.capacity:
            self._alloc(self.capacity * 2)
        new = slice(self.n, self.n + k)
        for name, values in cols.items():
            getattr(self, name)[new] = values
        self.remaining[new] = self.effort[new]
        self.n += k
        return np.arange(new.start, new.stop)

    def domains(self, t: int) -> tuple[int, ...]:
        return (int(self.dom0[t]),) if self.dom1[t] < 0 else (int(self.dom0[t]), int(self.dom1[t]))

    def team(self, t: int) -> np.ndarray:
        row = self.members[t]
        return row[row >= 0]

    def frame(self) -> pd.DataFrame:
        """All tasks so far as a DataFrame (one row per task)."""
        n = self.n
        cols = {k: getattr(self, k)[:n] for k in (*self.INTS, *self.FLOATS, *self.FLAGS)}
        return pd.DataFrame(cols).rename_axis("task")


class EventLog:
    """Append-only log of (step, task, event, person).

    A step logs a few small batches; turning each into rows would cost more than the
    step's own work, so batches are kept as they come and joined into one array when
    read (and every ``COMPACT`` batches, to bound the overhead of many small arrays).
    """

    COMPACT = 4096

    def __init__(self):
        self._array = np.zeros((0, 4), dtype=np.int64)
        self._batches: list = []     # (step, event, tasks, persons), or a ready (k, 4) array
        self._rows: list[tuple] = []  # single events since the last batch
        self._n = 0

    def add(self, step: int, task: int, event: Event, person: int = -1) -> None:
        self._rows.append((step, task, int(event), person))
        self._n += 1

    def add_many(self, step: int, tasks: np.ndarray, event: Event, persons=-1) -> None:
        """Log ``event`` for ``tasks`` (an array the caller does not change afterwards)."""
        if len(tasks):
            if self._rows:
                self._batches.append(np.array(self._rows, dtype=np.int64))
                self._rows = []
            self._batches.append((step, int(event), tasks, persons))
            self._n += len(tasks)
            if len(self._batches) >= self.COMPACT:
                self.array()

    def __len__(self):
        return self._n

    def array(self) -> np.ndarray:
        """An (n, 4) integer array: step, task, event, person."""
        if self._rows:
            self._batches.append(np.array(self._rows, dtype=np.int64))
            self._rows = []
        if self._batches:
            parts = [self._array]
            for b in self._batches:
                if isinstance(b, np.ndarray):
                    parts.append(b)
                    continue
                step, event, tasks, persons = b
                part = np.empty((len(tasks), 4), dtype=np.int64)
                part[:, 0], part[:, 1], part[:, 2], part[:, 3] = step, tasks, event, persons
                parts.append(part)
            self._array = np.concatenate(parts)
            self._batches = []
        return self._array

    def frame(self) -> pd.DataFrame:
        df = pd.DataFrame(self.array(), columns=["step", "task", "event", "person"])
        df["event"] = pd.Categorical.from_codes(df["event"], [e.name.lower() for e in Event])
        return df
