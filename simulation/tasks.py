"""Tasks and the event log every metric is computed from."""

from __future__ import annotations

from enum import IntEnum

import numpy as np
import pandas as pd


class Event(IntEnum):
    """Every task state change, recorded once (see docs/ODD.md)."""

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


class Task:
    """One piece of work: what it needs, who owns it, where it is."""

    __slots__ = ("id", "domains", "difficulty", "effort", "team_size", "arrival", "entry",
                 "remaining", "rate", "p_success", "lead", "members", "start", "via_leader",
                 "claimants", "contested", "unowned", "escalated", "wait_since")

    def __init__(self, id, domains, difficulty, effort, team_size, arrival, entry):
        self.id = id
        self.domains = domains          # tuple of domain indices
        self.difficulty = difficulty
        self.effort = effort
        self.team_size = team_size
        self.arrival = arrival
        self.entry = entry
        self.remaining = effort
        self.rate = 0.0
        self.p_success = 0.0
        self.lead = -1
        self.members: tuple = ()
        self.start = -1
        self.via_leader = False
        self.claimants: tuple = ()      # granted claimants kept for the leader's arbitration
        self.contested = False
        self.unowned = False
        self.escalated = False
        self.wait_since = arrival       # step since which the task waits for an owner

    def __repr__(self):
        return f"Task({self.id}, domains={self.domains}, lead={self.lead})"


class EventLog:
    """Append-only log of (step, task, event, person); cheap to append, tidy to read."""

    def __init__(self):
        self._rows: list[tuple[int, int, int, int]] = []

    def add(self, step: int, task: int, event: Event, person: int = -1) -> None:
        self._rows.append((step, task, int(event), person))

    def __len__(self):
        return len(self._rows)

    def array(self) -> np.ndarray:
        """An (n, 4) integer array: step, task, event, person."""
        if not self._rows:
            return np.zeros((0, 4), dtype=np.int64)
        return np.asarray(self._rows, dtype=np.int64)

    def frame(self) -> pd.DataFrame:
        a = self.array()
        df = pd.DataFrame(a, columns=["step", "task", "event", "person"])
        df["event"] = pd.Categorical.from_codes(df["event"], [e.name.lower() for e in Event])
        return df
