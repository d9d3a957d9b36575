"""Per-step records: the time series and the post-warm-up running means.

Running means are accumulated every step, independent of ``record_every``, so the
metrics do not depend on how densely the time series is sampled.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .tasks import Event

#: Time-series columns. Counts are per recorded interval; rates are cumulative to date.
COLUMNS = (
    "step",
    "arrived",
    "completed",
    "failed",
    "conflicts",
    "contested",
    "unowned",
    "escalated",
    "wip",
    "leader_queue",
    "pool",
    "active",
    "leader_decisions",
    "throughput",
    "role_ambiguity",
    "conflict_rate",
    "engagement_mean",
    "trust_mean",
    "trust_leader_mean",
    "overload_share",
    "contested_or_unowned",
)


class Recorder:
    def __init__(self, model):
        self.model = model
        self.rows: list[tuple] = []  # recent rows; older ones packed into ``_chunks``
        self._chunks: list[np.ndarray] = []
        self._last = np.zeros(len(Event), dtype=np.int64)
        self._last_step = 0
        self.sums = {
            "wip": 0.0,
            "engagement": 0.0,
            "trust": 0.0,
            "trust_leader": 0.0,
            "overload": 0.0,
            "leader_queue": 0.0,
            "backlog": 0.0,
        }
        self.n = 0  # post-warm-up steps accumulated

    def record(self) -> None:
        m = self.model
        n = len(m.engagement)
        eng = float(m.engagement.sum()) / n  # sum / n: what mean() does, without its overhead
        trust = m.trust.mean()
        tl = m.leader_trust.total() / n
        overload = int(np.count_nonzero(m.free == 0)) / n
        wip = m.n_open
        if m.now > m.cfg.warmup:
            s = self.sums
            s["wip"] += wip
            s["engagement"] += eng
            s["trust"] += trust
            s["trust_leader"] += tl
            s["overload"] += overload
            s["leader_queue"] += len(m.leader.queue)
            s["backlog"] += m.leader.n_backlog
            self.n += 1
        if m.now % m.cfg.record_every and m.now != m.cfg.steps:
            return
        c, d = m.counts, m.counts - self._last
        interval = m.now - self._last_step
        arrived = max(int(c[Event.ARRIVED]), 1)
        self.rows.append(
            (
                m.now,
                d[Event.ARRIVED],
                d[Event.COMPLETED],
                d[Event.FAILED],
                d[Event.CONFLICT],
                d[Event.CONTESTED],
                d[Event.UNOWNED],
                d[Event.ESCALATED],
                wip,
                len(m.leader.queue),
                len(m.pool),
                len(m.active),
                m.leader.decisions_step,
                d[Event.COMPLETED] / interval,
                m.n_lived / arrived,
                c[Event.CONFLICT] / arrived,
                eng,
                trust,
                tl,
                overload,
                m.n_ambiguous / arrived,
            )
        )
        if len(self.rows) >= 1024:  # 160 bytes a row packed, about a kilobyte as tuples
            self._chunks.append(np.array(self.rows, dtype=float))
            self.rows = []
        self._last = c.copy()
        self._last_step = m.now

    def frame(self) -> pd.DataFrame:
        data = np.concatenate([*self._chunks, np.array(self.rows, dtype=float).reshape(-1, len(COLUMNS))])
        df = pd.DataFrame(data, columns=list(COLUMNS))
        return df.astype(dict.fromkeys(COLUMNS[:13], "int64"))
