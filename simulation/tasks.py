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
    the followers, padded with -1; ``start`` and ``end`` are the steps work began and
    the task finished (-1: not yet). ``dom1_or_0`` is ``dom1``, or ``dom0`` for a
    single-domain task: a mean over ``dom0`` and ``dom1_or_0`` is then a task's mean
    over its domains without a branch (``0.5 * (x + x) == x`` exactly).
    """

    FLOATS = ("difficulty", "effort", "remaining", "rate", "p_success")
    INTS = ("dom0", "dom1", "team_size", "arrival", "entry", "lead", "start", "end")
    DERIVED = ("dom1_or_0",)
    FLAGS = ("via_leader", "contested", "unowned", "escalated")

    def __init__(self, max_team: int, capacity: int = 256):
        self.n = 0
        self.max_team = max_team
        self._alloc(capacity)

    def _alloc(self, cap: int) -> None:
        old = {k: getattr(self, k) for k in (*self.FLOATS, *self.INTS, *self.DERIVED, *self.FLAGS, "members")
               if hasattr(self, k)}
        for k in self.FLOATS:
            setattr(self, k, np.zeros(cap))
        for k in (*self.INTS, *self.DERIVED):
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
        self.dom1_or_0[new] = np.where(self.dom1[new] >= 0, self.dom1[new], self.dom0[new])
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
    step's own work, so entries are kept as they come (a task or an array of tasks,
    a person or an array of persons), turned into an array chunk every ``COMPACT``
    entries, and the chunks joined when the log is read.
    """

    COMPACT = 4096

    def __init__(self):
        self._chunks: list[np.ndarray] = []
        self._entries: list[tuple] = []   # (step, event, task(s), person(s)), in logging order
        self._n = 0

    def add(self, step: int, task: int, event: Event, person: int = -1) -> None:
        self._entries.append((step, int(event), task, person))
        self._n += 1
        if len(self._entries) >= self.COMPACT:
            self._compact()

    def add_many(self, step: int, tasks: np.ndarray, event: Event, persons=-1) -> None:
        """Log ``event`` for ``tasks`` (an array the caller does not change afterwards)."""
        if len(tasks):
            if not isinstance(persons, (int, np.integer)):
                persons = np.asarray(persons, dtype=np.int64)
            self._entries.append((step, int(event), np.asarray(tasks, dtype=np.int64), persons))
            self._n += len(tasks)
            if len(self._entries) >= self.COMPACT:
                self._compact()

    def __len__(self):
        return self._n

    def array(self) -> np.ndarray:
        """An (n, 4) integer array: step, task, event, person."""
        self._compact()
        if len(self._chunks) != 1:
            self._chunks = [np.concatenate(self._chunks) if self._chunks else np.zeros((0, 4), dtype=np.int64)]
        return self._chunks[0]

    def _compact(self) -> None:
        if not self._entries:
            return
        e = self._entries
        many = [isinstance(x[2], np.ndarray) for x in e]
        size = np.array([len(x[2]) if m else 1 for x, m in zip(e, many)], dtype=np.int64)
        new = np.empty((int(size.sum()), 4), dtype=np.int64)
        new[:, 0] = np.repeat([x[0] for x in e], size)
        new[:, 2] = np.repeat([x[1] for x in e], size)
        for col, i, is_array in ((1, 2, many), (3, 3, [isinstance(x[3], np.ndarray) for x in e])):
            # scalars repeated, arrays written where they belong
            new[:, col] = np.repeat([0 if a else x[i] for x, a in zip(e, is_array)], size)
            if any(is_array):
                new[np.repeat(is_array, size), col] = np.concatenate([x[i] for x, a in zip(e, is_array) if a])
        self._chunks.append(new)
        self._entries = []

    def frame(self) -> pd.DataFrame:
        df = pd.DataFrame(self.array(), columns=["step", "task", "event", "person"])
        df["event"] = pd.Categorical.from_codes(df["event"], [e.name.lower() for e in Event])
        return df
