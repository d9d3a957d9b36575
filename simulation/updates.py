"""Vectorised helpers for the model's batch updates.

``Compounder`` applies many "move a fraction of the way toward a target" updates at
once. Updates toward the same target commute (the remaining gap is multiplied by
each keep-factor), so a value touched twice in one step ends exactly where two
sequential updates would leave it, in any order. Repeats are folded with
``np.multiply.at`` into a scratch buffer, which avoids sorting on the hot path.
"""

from __future__ import annotations

import numpy as np


class Compounder:
    """Moves entries of one array toward 1 (gains) and then toward 0 (losses)."""

    def __init__(self, values: np.ndarray):
        self.values = values.reshape(-1)  # a view: updates land in ``values``
        self._up = np.ones(self.values.shape)
        self._down = np.ones(self.values.shape)

    def move(self, index, keep, up) -> np.ndarray:
        """For each ``index[j]``: toward 1 keeping ``keep[j]`` of the gap if ``up[j]``,
        else toward 0 keeping ``keep[j]`` of the value; gains apply before losses.
        ``keep`` and ``up`` may be scalars (the same for every entry).

        Returns the indices that changed. A keep-factor of 1 leaves a value
        bit-for-bit unchanged (feedback switched off means trust does not move).
        """
        index = np.asarray(index, dtype=np.int64)
        up = bool(up) if scalar(up) else np.asarray(up, dtype=bool)
        if scalar(keep):
            keep = float(keep)
            if keep == 1.0:
                return index[:0]
        else:  # drop no-op updates (keep-factor 1)
            keep = np.asarray(keep, dtype=float)
            moving = keep != 1.0
            if not moving.all():
                index, keep = index[moving], keep[moving]
                up = up[moving] if isinstance(up, np.ndarray) else up
        if len(index) == 0:
            return index
        self.apply(index, keep, up, repeats=not distinct(index))
        return index

    def apply(self, index: np.ndarray, keep, up, repeats: bool) -> None:
        """``move`` for callers that have dropped no-op updates and know whether
        ``index`` repeats."""
        v = self.values
        if scalar(up):  # all gains or all losses
            up = bool(up)
            if repeats:  # fold each entry's factors into one
                folded = self._up if up else self._down
                np.multiply.at(folded, index, keep)
                keep = folded[index]
                folded[index] = 1.0
            old = v[index]
            v[index] = 1.0 + (old - 1.0) * keep if up else old * keep
            return
        up = np.asarray(up, dtype=bool)
        if not repeats:  # one update per entry: no folding needed
            old = v[index]
            v[index] = np.where(up, 1.0 + (old - 1.0) * keep, old * keep)
            return
        down = ~up
        each = not scalar(keep)
        np.multiply.at(self._up, index[up], keep[up] if each else keep)
        np.multiply.at(self._down, index[down], keep[down] if each else keep)
        gu, gd, old = self._up[index], self._down[index], v[index]
        v[index] = np.where(gu != 1.0, 1.0 + (old - 1.0) * gu, old) * gd
        self._up[index] = 1.0
        self._down[index] = 1.0


def scalar(x) -> bool:
    """Whether ``x`` is one value rather than one per entry (``np.ndim(x) == 0``, faster)."""
    if isinstance(x, np.ndarray):
        return x.ndim == 0
    return not isinstance(x, (list, tuple))


def distinct(index: np.ndarray, small: int = 64) -> bool:
    """Whether a short index array has no repeats (long ones are not checked: False)."""
    return len(index) <= small and len(set(index.tolist())) == len(index)


def unique_inverse(index: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(index, return_inverse=True)`` for a 1-d integer array, without its
    general-purpose checks (it runs a few times a step on short arrays)."""
    order = index.argsort(kind="stable")
    s = index[order]
    new = first_in_group(s)
    inverse = np.empty(len(index), dtype=np.int64)
    inverse[order] = new.cumsum() - 1
    return s[new], inverse


def ragged(starts: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Flatten slices ``[starts[k], starts[k] + counts[k])``: for each of their
    elements, ``(k, position)``."""
    owner = np.arange(len(starts)).repeat(counts)
    # position = start of the slice + (flat index - where the slice's elements begin)
    before = counts.cumsum() - counts
    return owner, (starts - before).repeat(counts) + np.arange(len(owner))


def first_in_group(group: np.ndarray) -> np.ndarray:
    """For a sorted group array, True where a new group begins."""
    out = np.ones(len(group), dtype=bool)
    out[1:] = group[1:] != group[:-1]
    return out
