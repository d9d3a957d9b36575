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

    ARRIVED = 0  # person: the colleague who received the request
    CLAIMED = 1  # person: a claimant (pool regimes)
    REFUSED = 2  # person: a claimant whose claim colleagues did not grant
    GRANTED = 3  # person: a claimant whose claim was granted
    CONTESTED = 4  # several granted claims on one task in one step
    CONFLICT = 5  # a contest nobody settled, or an assignment pushed back (person: assignee)
    UNOWNED = 6  # nobody took the task within the patience limit
    ESCALATED = 7  # handed to the formal leader (hybrid)
    ASSIGNED = 8  # person: whom the leader chose to lead the task
    STARTED = 9  # person: the accepted owner (lead); work begins
    JOINED = 10  # person: a follower joining the team
    COMPLETED = 11  # finished successfully
    FAILED = 12  # finished unsuccessfully, for good
    REOPENED = 13  # an attempt failed and the task came back for rework (person: its lead)
    BACKLOGGED = 14  # person: a busy assignee in whose backlog the leader's task waits


class TaskTable:
    """All tasks of a run, one row each; grows by doubling.

    ``dom1`` is -1 for single-domain tasks; ``members[t]`` holds the lead first, then
    the followers, padded with -1; ``start`` and ``end`` are the steps work first began
    and the task finished (-1: not yet); ``began`` is when the current attempt began and
    ``ready`` when the task last became free to take (arrival, or a rework); a framed
    task's ``responsible`` is the person the frame names (-1: none). ``dom1_or_0`` is ``dom1``, or ``dom0`` for a
    single-domain task: a mean over ``dom0`` and ``dom1_or_0`` is then a task's mean
    over its domains without a branch (``0.5 * (x + x) == x`` exactly).
    """

    # Columns, one array each (created by ``_alloc``; annotated here for readers and mypy).
    difficulty: np.ndarray
    effort: np.ndarray
    remaining: np.ndarray
    rate: np.ndarray
    p_success: np.ndarray
    dom0: np.ndarray
    dom1: np.ndarray
    dom1_or_0: np.ndarray
    team_size: np.ndarray
    arrival: np.ndarray
    entry: np.ndarray
    lead: np.ndarray
    start: np.ndarray
    end: np.ndarray
    began: np.ndarray
    ready: np.ndarray
    responsible: np.ndarray
    via_leader: np.ndarray
    contested: np.ndarray
    unowned: np.ndarray
    escalated: np.ndarray
    framed: np.ndarray
    n_claims: np.ndarray
    n_conflicts: np.ndarray
    members: np.ndarray

    FLOATS = ("difficulty", "effort", "remaining", "rate", "p_success")
    INTS = ("dom0", "dom1", "team_size", "arrival", "entry", "lead", "start", "end", "began", "ready", "responsible")
    DERIVED = ("dom1_or_0",)
    FLAGS = ("via_leader", "contested", "unowned", "escalated", "framed")
    COUNTS = ("n_claims", "n_conflicts")

    def __init__(self, max_team: int, capacity: int = 256, recycle: bool = False):
        self.n = 0  # rows ever used (task ids are below it)
        self.max_team = max_team
        self.recycle = recycle  # reuse the rows of tasks that ended (no event log to refer to them)
        self._free: list[np.ndarray] = []
        self._alloc(capacity)

    def _alloc(self, cap: int) -> None:
        old = {
            k: getattr(self, k)
            for k in (*self.FLOATS, *self.INTS, *self.DERIVED, *self.FLAGS, *self.COUNTS, "members")
            if hasattr(self, k)
        }
        for k in self.FLOATS:
            setattr(self, k, np.zeros(cap))
        for k in (*self.INTS, *self.DERIVED):
            setattr(self, k, np.full(cap, -1, dtype=np.int64))
        for k in self.FLAGS:
            setattr(self, k, np.zeros(cap, dtype=bool))
        for k in self.COUNTS:
            setattr(self, k, np.zeros(cap, dtype=np.int64))
        self.members = np.full((cap, self.max_team), -1, dtype=np.int64)
        for k, v in old.items():
            getattr(self, k)[: len(v)] = v
        self.capacity = cap

    def add(self, **cols) -> np.ndarray:
        """Append ``k`` tasks (columns as arrays of length ``k``); return their ids."""
        k = len(cols["dom0"])
        reused = self._take(k) if self._free else np.zeros(0, dtype=np.int64)
        fresh = k - len(reused)
        while self.n + fresh > self.capacity:
            self._alloc(self.capacity * 2)
        ids = np.arange(self.n, self.n + fresh)
        self.n += fresh
        if len(reused):
            ids = np.concatenate((reused, ids))
            self._clear(reused)
        for name, values in cols.items():
            getattr(self, name)[ids] = values
        self.remaining[ids] = self.effort[ids]
        self.ready[ids] = self.arrival[ids]
        self.dom1_or_0[ids] = np.where(self.dom1[ids] >= 0, self.dom1[ids], self.dom0[ids])
        return ids

    def release(self, ids: np.ndarray) -> None:
        """Tasks that ended for good: their rows may be reused (only when recycling)."""
        if self.recycle and len(ids):
            self._free.append(np.asarray(ids, dtype=np.int64))

    def _take(self, k: int) -> np.ndarray:
        free = np.concatenate(self._free)
        self._free = [free[k:]] if len(free) > k else []
        return free[:k]

    def _clear(self, ids: np.ndarray) -> None:
        for name in self.FLOATS:
            getattr(self, name)[ids] = 0.0
        for name in (*self.INTS, *self.DERIVED):
            getattr(self, name)[ids] = -1
        for name in self.FLAGS:
            getattr(self, name)[ids] = False
        for name in self.COUNTS:
            getattr(self, name)[ids] = 0
        self.members[ids] = -1

    def domains(self, t: int) -> tuple[int, ...]:
        return (int(self.dom0[t]),) if self.dom1[t] < 0 else (int(self.dom0[t]), int(self.dom1[t]))

    def team(self, t: int) -> np.ndarray:
        row = self.members[t]
        return row[row >= 0]

    def frame(self) -> pd.DataFrame:
        """All tasks so far as a DataFrame (one row per task)."""
        n = self.n
        cols = {k: getattr(self, k)[:n] for k in (*self.INTS, *self.FLOATS, *self.FLAGS, *self.COUNTS)}
        return pd.DataFrame(cols).rename_axis("task")


class EventLog:
    """Append-only log of (step, task, event, person).

    A step logs a few small batches and some single events; turning each into rows
    would cost more than the step's own work, so they are kept as they come and
    turned into an array chunk every ``COMPACT`` entries, by a few array operations
    over all of them; the chunks are joined when the log is read.
    """

    COMPACT = 4096

    def __init__(self, enabled: bool = True):
        self.enabled = enabled  # off: nothing is kept (metrics are kept as things happen)
        self._chunks: list[np.ndarray] = []
        self._n = 0
        self._reset()

    def _reset(self) -> None:
        self._pending = 0
        self._is_batch: list[bool] = []  # per piece, in logging order: a batch, or a run of singles
        self._runs: list[list[tuple]] = []  # runs of single rows (step, task, event, person)
        self._open: list[tuple] | None = None
        # batches: step, event, size, tasks, and persons (an array, or one person for all)
        self._step: list[int] = []
        self._event: list[int] = []
        self._size: list[int] = []
        self._tasks: list[np.ndarray] = []
        self._person: list[int] = []
        self._has_persons: list[bool] = []
        self._persons: list[np.ndarray] = []

    def add(self, step: int, task: int, event: Event, person: int = -1) -> None:
        if not self.enabled:
            return
        if self._open is None:
            self._open = []
            self._runs.append(self._open)
            self._is_batch.append(False)
        self._open.append((step, task, int(event), person))
        self._n += 1
        self._pending += 1
        if self._pending >= self.COMPACT:
            self._compact()

    def add_many(self, step: int, tasks: np.ndarray, event: Event, persons=-1) -> None:
        """Log ``event`` for ``tasks`` (an array the caller does not change afterwards)."""
        n = len(tasks)
        if n and self.enabled:
            self._open = None
            self._is_batch.append(True)
            self._step.append(step)
            self._event.append(int(event))
            self._size.append(n)
            self._tasks.append(tasks)
            many = not isinstance(persons, (int, np.integer))
            self._has_persons.append(many)
            self._person.append(0 if many else persons)
            if many:
                self._persons.append(persons)
            self._n += n
            self._pending += 1
            if self._pending >= self.COMPACT:
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
        if not self._pending:
            return
        is_batch = np.array(self._is_batch, dtype=bool)
        size = np.empty(len(is_batch), dtype=np.int64)
        size[is_batch] = self._size
        size[~is_batch] = [len(run) for run in self._runs]
        cols = np.empty((4, int(size.sum())), dtype=np.int64)  # step, task, event, person
        in_batch = is_batch.repeat(size)
        at_batch = slice(None) if not self._runs else in_batch.nonzero()[0]
        if self._runs:
            singles = np.concatenate([np.array(run, dtype=np.int64).reshape(-1, 4) for run in self._runs])
            cols[:, (~in_batch).nonzero()[0]] = singles.T
        if self._size:
            n = np.array(self._size)
            cols[0, at_batch] = np.array(self._step).repeat(n)
            cols[1, at_batch] = np.concatenate(self._tasks)
            cols[2, at_batch] = np.array(self._event).repeat(n)
            person = np.array(self._person).repeat(n)  # one person for all, or 0
            if self._persons:
                person[np.array(self._has_persons).repeat(n)] = np.concatenate(self._persons)
            cols[3, at_batch] = person
        self._chunks.append(np.ascontiguousarray(cols.T))
        self._reset()

    def frame(self) -> pd.DataFrame:
        df = pd.DataFrame(self.array(), columns=["step", "task", "event", "person"])
        df["event"] = pd.Categorical.from_codes(df["event"], [e.name.lower() for e in Event])
        return df
