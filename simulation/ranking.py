"""The formal leader's ranking of people for one step's decisions.

:class:`Ranking` is an exact optimisation of :func:`best_by_scan`, the plain
specification a reader can check at a glance: "the ``k`` people with room the leader
rates best for a task of this kind, ties broken by the step's random order". Tests
check the two against each other (tests/model/test_model.py), also after pushbacks lower a
view within the step and when decisions run past the ranking's window.
"""

from __future__ import annotations

import numpy as np


def best_by_scan(views: np.ndarray, room: np.ndarray, priority: np.ndarray, kind: tuple, k: int) -> list[int]:
    """The specification: sort everyone with room by the leader's score for ``kind``
    (its view averaged over the kind's domains), best first, ties by ``priority``."""
    people = np.flatnonzero(room > 0)
    score = views[np.ix_(people, list(kind))].mean(axis=1)
    return people[np.lexsort((priority[people], -score))][:k].tolist()


class _Lazy(dict):
    """``array[i]`` as a Python value, converted the first time it is read."""

    def __init__(self, array: np.ndarray):
        super().__init__()
        self.array = array

    def __missing__(self, i):
        value = self[i] = self.array[i].item()
        return value


def kind_of(d0: int, d1: int) -> tuple:
    """A task's domains as a ranking key: ``(d0,)`` or the pair in increasing order."""
    return (d0,) if d1 < 0 else ((d0, d1) if d0 < d1 else (d1, d0))


class Ranking:
    """The leader's ranking of available people, for one step's decisions.

    Finding the best person must not cost a scan of the whole organisation per
    decision (the leader of a large organisation makes many). A task's score is the
    leader's view averaged over its domains, so each *kind* of task (a domain, or a
    pair of domains) has one ranking. It is built the first time the step needs it,
    and only its top: the ``window`` best (a partition, then a sort of that part),
    widened fourfold if the decisions run through it. A decision takes the first
    people with room. Within a step views only fall (pushbacks): a person whose view
    fell since their ranking was built is moved to their place by the current view
    when a decision reaches them (or dropped, to come back if the ranking is widened,
    when the view fell below everyone left out), so the answer stays exact.
    """

    WINDOW = 64
    ANYONE = 16  # the top of everyone kept per kind (wider when a team needs more)

    def __init__(self, perceived: np.ndarray, people: np.ndarray, free: np.ndarray, rng, window: int = WINDOW):
        self.perceived = perceived
        # Equals are ranked in a random order drawn afresh each step, never by index;
        # ``_drawn`` lists the people in that order.
        self._drawn = people = rng.permutation(people)
        self.priority = np.zeros(len(free))
        self.priority[people] = np.arange(len(people))
        room = np.zeros(len(free), dtype=np.int64)
        room[people] = free[people]
        self.room_array = room  # brought up to date when a ranking is built
        # Read one entry at a time, and often only a few (a facilitating leader settles
        # contests among a handful of claimants): Python values, converted on first read.
        self.room: _Lazy | list[int] = _Lazy(room)
        self.prio: _Lazy | list[float] = _Lazy(self.priority)
        self.taken: list[int] = []
        self.total_room = int(room.sum())
        self.window = window
        self.lowered: dict[int, int] = {}  # person -> times their view fell this step
        # kind -> [ids, scores, first, bound, width, placed]; ``placed``: for people whose
        # view fell, how many falls their stored score already reflects.
        self.kinds: dict[tuple, list] = {}
        self.demand: dict[tuple, int] = {}  # kind -> people the step's decisions may need
        self.anyone_top: dict[tuple, list] = {}  # kind -> best of everyone, room or not
        self.provisional: set[tuple] = set()  # of those, ranked ahead of need (see best_any)

    def anyone(self) -> bool:
        return self.total_room > 0

    def take(self, team: list[int]) -> None:
        room = self.room
        for p in team:
            room[p] -= 1
        self.taken.extend(team)
        self.total_room -= len(team)

    def best_of(self, people: np.ndarray, kind: tuple) -> list[int]:
        """The one of ``people`` with room the leader rates best (``[]`` if none has room)."""
        keys = [(-self.score(p, kind), self.prio[p], p) for p in people.tolist() if self.room[p] > 0]
        return [min(keys)[2]] if keys else []

    def lower(self, person: int) -> None:
        """The leader's view of ``person`` fell (rankings keep the old score as a bound)."""
        self.lowered[person] = self.lowered.get(person, 0) + 1
        stale = [k for k, top in self.anyone_top.items() if person in top or k in self.provisional]
        for kind in stale:  # rankings the person was in, and those not yet used
            del self.anyone_top[kind]
        self.provisional.clear()

    def score(self, person: int, kind: tuple) -> float:
        p = self.perceived
        return float(p[person, kind[0]]) if len(kind) == 1 else 0.5 * float(p[person, kind[0]] + p[person, kind[1]])

    def _rank(self, kinds: list, width: int, people: np.ndarray, views: np.ndarray) -> None:
        """Rank ``people`` (in priority order, with the leader's ``views`` of them) for
        each of ``kinds``: the top ``width``, best first, and a strict upper bound on
        everyone left out (-inf if nobody is). One partition serves all kinds."""
        # One row per kind (rows are contiguous: partitions along them stay cache-friendly);
        # a one-domain kind is its domain twice (0.5 * (x + x) == x exactly).
        by_domain = views.T
        s = 0.5 * (by_domain[[k[0] for k in kinds]] + by_domain[[k[-1] for k in kinds]])
        n, k = len(people), len(kinds)
        if n > width:
            cut = np.partition(s, n - width, axis=1)[:, n - width]
            top = s >= cut[:, None]  # ties at the cut all come in
            bounds = np.where(top, -np.inf, s).max(axis=1).tolist()
        else:
            top, bounds = np.ones(s.shape, dtype=bool), [-np.inf] * k
        m = min(n, width)
        # Columns are in priority order, so a stable sort by score breaks ties by priority.
        flat = top.ravel().nonzero()[0]  # row by row
        if len(flat) == k * m:  # as a rule, m per row: sort rows at once
            order = np.argsort(-s.ravel()[flat].reshape(k, m), axis=1, kind="stable").ravel()
            order += np.arange(0, k * m, m).repeat(m)
            pos = flat[order]
            ids = people[pos % n].reshape(k, m).tolist()
            scores = s.ravel()[pos].reshape(k, m).tolist()
        else:  # ties at some cut: rows differ in length
            rows, cols = np.divmod(flat, n)
            score = s.ravel()[flat]
            order = np.lexsort((-score, rows))
            ends = np.bincount(rows, minlength=k).cumsum().tolist()
            flat_ids, flat_scores = people[cols[order]].tolist(), score[order].tolist()
            ids = [flat_ids[b:e] for b, e in zip([0, *ends], ends)]
            scores = [flat_scores[b:e] for b, e in zip([0, *ends], ends)]
        for kind, i, sc, bound in zip(kinds, ids, scores, bounds):
            self.kinds[kind] = [i, sc, 0, bound, width, dict(self.lowered)]

    def _first_rankings(self) -> None:
        """The step's first rankings: every kind its queue asks for, of everyone
        available at the step's start (views and room only fall, so who has since lost
        room is skipped on the walk), wide enough for the step's decisions as a rule."""
        if isinstance(self.room, _Lazy):  # rankings are walked: read everyone once
            room = self.room_array.tolist()
            for person, left in self.room.items():
                room[person] = left
            self.room, self.prio = room, self.priority.tolist()
        kinds = [k for k in self.demand if k not in self.kinds]
        if kinds:
            width = self.window + 2 * max(self.demand[k] for k in kinds)
            self._rank(kinds, width, self._drawn, self.perceived[self._drawn])

    def _widen(self, kind: tuple, width: int) -> list:
        """A wider ranking of ``kind``, of who has room now."""
        if self.taken:
            np.subtract.at(self.room_array, self.taken, 1)
            self.taken = []
        people = self._drawn[self.room_array[self._drawn] > 0]  # in priority order
        self._rank([kind], width, people, self.perceived[people])
        return self.kinds[kind]

    def best_any(self, kind: tuple, k: int) -> list[int]:
        """The ``k`` people the leader rates best for ``kind``, whether or not they have
        room (a leader that does not check loads): the same go-to people every time."""
        top = self.anyone_top.get(kind)
        if top is None or len(top) < k:
            # The first such decision of a step ranks every kind the queue asks for at
            # once (one partition for all); a ranking made ahead of need is dropped if a
            # view falls before it is used, so each equals the one made when first needed.
            ahead = [q for q in self.demand if q != kind and q not in self.anyone_top] if k <= self.ANYONE else []
            self._rank_anyone([kind, *ahead], max(k, self.ANYONE))
            self.provisional.update(ahead)
            top = self.anyone_top[kind]
        self.provisional.discard(kind)
        return top[:k]

    def _rank_anyone(self, kinds: list, width: int) -> None:
        """The ``width`` best of everyone for each of ``kinds``, best first."""
        by_domain = self.perceived.T
        # Scores negated (the partition finds the smallest): -0.5 * x is -(0.5 * x) exactly.
        s = -0.5 * (by_domain[[k[0] for k in kinds]] + by_domain[[k[-1] for k in kinds]])
        n = s.shape[1]
        if width < n:
            part = np.argpartition(s, width - 1, axis=1)[:, :width]
        else:
            part = np.broadcast_to(np.arange(n), s.shape)
        order = np.argsort(np.take_along_axis(s, part, axis=1), axis=1, kind="stable")
        for kind, top in zip(kinds, np.take_along_axis(part, order, axis=1).tolist()):
            self.anyone_top[kind] = top

    def best(self, kind: tuple, k: int) -> list[int]:
        """The (up to) ``k`` people with room the leader rates best for a task of
        ``kind`` (its domain, or its two domains in increasing order), best first."""
        if kind not in self.kinds:
            self.demand.setdefault(kind, 0)  # a kind the queue's head did not announce
            self._first_rankings()
        entry = self.kinds[kind]
        room, lowered = self.room, self.lowered
        while True:
            ids, _scores, i, bound, width, placed = entry
            n = len(ids)
            while i < n and room[ids[i]] == 0:  # nobody before has room: skip for good
                i += 1
            entry[2] = i
            team: list[int] = []  # the first k with room
            while i < n and len(team) < k:
                if room[ids[i]]:
                    team.append(ids[i])
                i += 1
            stale = [p for p in team if lowered.get(p, 0) != placed.get(p, 0)] if lowered else ()
            if stale:  # a view fell since the ranking was built: move that person, look again
                self._replace(entry, kind, stale[0])
                continue
            if len(team) == k or bound == -np.inf:
                return team
            entry = self._widen(kind, width * 4)  # ran off the ranking

    def _replace(self, entry: list, kind: tuple, person: int) -> None:
        """Move ``person``, whose view fell, to their place by (current score, priority);
        drop them if that score is not above ``bound`` (someone left out may beat it)."""
        ids, scores, first, bound, _width, placed = entry
        at = ids.index(person, first)
        del ids[at], scores[at]
        placed[person] = self.lowered[person]
        s = self.score(person, kind)
        if s <= bound:
            return
        key, prio = (-s, self.prio[person]), self.prio
        lo, hi = at, len(ids)  # the view fell: the new place is not before the old
        while lo < hi:
            mid = (lo + hi) // 2
            if (-scores[mid], prio[ids[mid]]) < key:
                lo = mid + 1
            else:
                hi = mid
        ids.insert(lo, person)
        scores.insert(lo, s)
