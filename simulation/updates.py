"""Vectorised helpers for the model's batch updates.

``compound`` applies many "move a fraction of the way toward a target" updates at
once. Such updates commute when they share the target (the remaining gap is
multiplied by each keep-factor), so a value touched twice in one step ends exactly
where two sequential updates would leave it, whatever their order.
"""

from __future__ import annotations

import numpy as np


def compound(values: np.ndarray, index: np.ndarray, target: float, keep) -> None:
    """In place: ``values[i] = target + (values[i] - target) * prod(keep over i)``.

    ``values`` may be multi-dimensional (``index`` then indexes ``values.ravel()``).
    """
    index = np.asarray(index, dtype=np.int64)
    if len(index) == 0:
        return
    keep = np.broadcast_to(np.asarray(keep, dtype=float), index.shape)
    moving = keep != 1.0  # a keep-factor of 1 leaves the value bit-for-bit unchanged
    if not moving.all():
        index, keep = index[moving], keep[moving]
        if len(index) == 0:
            return
    flat = values.reshape(-1)
    uniq, inv = np.unique(index, return_inverse=True)
    if len(uniq) == len(index):
        flat[index] = target + (flat[index] - target) * keep
        return
    with np.errstate(divide="ignore"):
        logs = np.bincount(inv, weights=np.log(keep), minlength=len(uniq))
    flat[uniq] = target + (flat[uniq] - target) * np.exp(logs)


def ragged(indptr: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Flatten CSR slices: for each element of ``rows[k]``'s slice, ``(k, position)``."""
    rows = np.asarray(rows, dtype=np.int64)
    starts = indptr[rows]
    counts = indptr[rows + 1] - starts
    total = int(counts.sum())
    owner = np.repeat(np.arange(len(rows)), counts)
    if total == 0:
        return owner, np.zeros(0, dtype=np.int64)
    offsets = np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts)
    return owner, np.repeat(starts, counts) + offsets


def first_in_group(group: np.ndarray) -> np.ndarray:
    """For a sorted group array, True where a new group begins."""
    out = np.ones(len(group), dtype=bool)
    out[1:] = group[1:] != group[:-1]
    return out
