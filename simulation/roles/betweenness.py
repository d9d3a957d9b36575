"""Betweenness centrality of the who-worked-with-whom network (Freeman 1977).

Brandes' algorithm run for a block of sources at once: breadth-first levels are
sparse-matrix products, so the cost is (sources x ties x levels) array work instead of
a Python loop per node. Exact up to ``exact_max`` people in the network; above, from
``samples`` sources drawn with a seeded generator and scaled up (Brandes & Pich 2007),
which bounds the cost at large sizes (docs/ODD.md gives timings). Values match networkx's
``betweenness_centrality(normalized=True)`` (tests/model/test_roles.py checks this).
"""

from __future__ import annotations

import numpy as np
from scipy import sparse

BLOCK = 64  #: sources per block: bounds memory at (BLOCK x people) per matrix
DENSE_MAX = 200  #: up to this many people, all sources at once with dense matrices


def betweenness(n: int, pairs: np.ndarray, *, exact_max: int = 500, samples: int = 128, seed: int = 0) -> np.ndarray:
    """Normalised betweenness of ``n`` people joined by undirected ``pairs`` (k x 2).

    People without ties have 0. Normalised as networkx does for undirected graphs:
    divided by (m - 1)(m - 2) / 2 over the m people who have ties, so values lie in
    [0, 1] at any size.
    """
    out = np.zeros(n)
    pairs = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
    pairs = pairs[pairs[:, 0] != pairs[:, 1]]
    if len(pairs) == 0:
        return out
    nodes = np.unique(pairs)
    m = len(nodes)
    if m < 3:
        return out
    a, b = np.searchsorted(nodes, pairs[:, 0]), np.searchsorted(nodes, pairs[:, 1])
    adj = sparse.coo_matrix((np.ones(2 * len(a)), (np.r_[a, b], np.r_[b, a])), shape=(m, m)).tocsr()
    adj.data[:] = 1.0  # repeated pairs are one tie
    if m <= exact_max:
        sources, scale = np.arange(m), 1.0
    else:
        rng = np.random.default_rng(seed)
        sources, scale = np.sort(rng.choice(m, size=samples, replace=False)), m / samples
    if m <= DENSE_MAX and len(sources) == m:
        bc = _dense_dependencies(adj.toarray())
    else:
        bc = np.zeros(m)
        for lo in range(0, len(sources), BLOCK):
            bc += _dependencies(adj, sources[lo : lo + BLOCK])
    bc *= scale / 2.0  # each pair counted from both ends
    bc *= 2.0 / ((m - 1) * (m - 2))
    out[nodes] = bc
    return out


def _dependencies(adj, sources: np.ndarray) -> np.ndarray:
    """Sum over ``sources`` of Brandes' dependency of each node (sources excluded).

    Each breadth-first level is kept as its (source, node) entries, so both passes
    touch only the ties leaving one level: the cost grows with ties, not people x levels.
    """
    k, m = len(sources), adj.shape[0]
    rows = np.arange(k)
    dist = np.full((k, m), -1, dtype=np.int32)
    sigma = np.zeros((k, m))
    dist[rows, sources] = 0
    sigma[rows, sources] = 1.0
    levels = [(rows, sources)]
    while True:
        r, c = levels[-1]
        frontier = sparse.csr_matrix((sigma[r, c], (r, c)), shape=(k, m))
        reach = (frontier @ adj).tocoo()  # paths into each neighbour
        new = dist[reach.row, reach.col] < 0
        if not new.any():
            break
        r, c = reach.row[new].astype(np.int64), reach.col[new].astype(np.int64)
        dist[r, c] = len(levels)
        sigma[r, c] = reach.data[new]
        levels.append((r, c))
    delta = np.zeros((k, m))
    for lvl in range(len(levels) - 1, 0, -1):
        r, c = levels[lvl]
        w = sparse.csr_matrix(((1.0 + delta[r, c]) / sigma[r, c], (r, c)), shape=(k, m))
        back = (w @ adj).tocoo()
        prev = dist[back.row, back.col] == lvl - 1
        r2, c2 = back.row[prev], back.col[prev]
        delta[r2, c2] += sigma[r2, c2] * back.data[prev]
    delta[rows, sources] = 0.0
    return delta.sum(axis=0)


def _dense_dependencies(adj: np.ndarray) -> np.ndarray:
    """:func:`_dependencies` from every source at once, with dense matrices: for small
    networks (a department) a level is one small matrix product, without the sparse
    matrices' fixed costs."""
    m = len(adj)
    dist = np.full((m, m), -1, dtype=np.int32)
    np.fill_diagonal(dist, 0)
    sigma = np.eye(m)
    frontier = sigma.copy()
    level = 0
    while True:
        reach = frontier @ adj
        new = (reach > 0) & (dist < 0)
        if not new.any():
            break
        level += 1
        dist[new] = level
        sigma[new] = reach[new]
        frontier = np.where(new, reach, 0.0)
    delta = np.zeros((m, m))
    inv_sigma = np.divide(1.0, sigma, out=np.zeros_like(sigma), where=sigma > 0)
    for lvl in range(level, 0, -1):
        back = np.where(dist == lvl, (1.0 + delta) * inv_sigma, 0.0) @ adj
        prev = dist == lvl - 1
        delta[prev] += sigma[prev] * back[prev]
    np.fill_diagonal(delta, 0.0)
    return delta.sum(axis=0)
