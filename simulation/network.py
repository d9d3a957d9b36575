"""The communication network and the directed trust that lives on its ties.

Trust is stored per directed tie in flat arrays (compressed sparse rows), never as an
N x N matrix, so memory and the cost of an update grow with the number of ties
(CONCEPTS claims 2 and 5).
"""

from __future__ import annotations

import networkx as nx
import numpy as np

from .trust import make_store
from .updates import ragged


def build_graph(kind: str, n: int, degree: int, rewiring: float, team_size: int, seed: int) -> nx.Graph:
    """Build the communication network; every random choice comes from ``seed``."""
    if kind == "complete":
        return nx.complete_graph(n)
    if kind == "small_world":
        k = max(2, min(degree, n - 1))
        return nx.connected_watts_strogatz_graph(n, k, rewiring, tries=100, seed=seed)
    if kind == "team_clustered":
        return _team_clustered(n, degree, rewiring, team_size, seed)
    raise ValueError(f"unknown network {kind!r}")


def _team_clustered(n: int, degree: int, rewiring: float, team_size: int, seed: int) -> nx.Graph:
    """Teams of ``team_size`` fully connected inside, plus random ties across teams.

    Each person gets on average ``rewiring * degree`` ties outside their team, drawn
    uniformly; the cost is linear in ``n`` (stochastic block models are quadratic in
    the number of teams).
    """
    rng = np.random.default_rng(seed)
    g = nx.empty_graph(n)
    for start in range(0, n, team_size):
        members = range(start, min(start + team_size, n))
        g.add_edges_from((a, b) for a in members for b in members if a < b)
    n_cross = round(n * rewiring * degree / 2)
    if n_cross and n > team_size:
        a = rng.integers(0, n, n_cross)
        b = rng.integers(0, n, n_cross)
        keep = (a // team_size) != (b // team_size)
        g.add_edges_from(zip(a[keep].tolist(), b[keep].tolist()))
    return g


class TrustNetwork:
    """Directed trust on the ties of an undirected graph, in CSR arrays.

    The trust of tie ``e`` is how much ``src[e]`` trusts ``dst[e]``; ``rev[e]`` is the
    opposite tie. The values live in a store (:mod:`simulation.trust`) that keeps the
    trust each person receives (``in``: claims are granted on its mean) and, when the
    rules need it, places (``out``: psychological safety) summed by person.
    """

    def __init__(
        self,
        graph: nx.Graph,
        baseline: float,
        spread: float,
        rng: np.random.Generator,
        culture,
        conflict_loss: float,
        initial: dict | None = None,
        need_out: bool = False,
    ):
        n = graph.number_of_nodes()
        self.n = n
        edges = np.asarray(graph.edges(), dtype=np.int64).reshape(-1, 2)
        edges = edges[edges[:, 0] != edges[:, 1]]
        src = np.concatenate([edges[:, 0], edges[:, 1]])
        dst = np.concatenate([edges[:, 1], edges[:, 0]])
        order = np.lexsort((dst, src))
        self.src, self.dst = src[order], dst[order]
        self.indptr = np.zeros(n + 1, dtype=np.int64)
        self.out_degree = np.bincount(self.src, minlength=n)
        np.cumsum(self.out_degree, out=self.indptr[1:])
        self.keys = self.src * n + self.dst  # sorted: lookups by binary search
        self.rev = np.searchsorted(self.keys, self.dst * n + self.src)
        values = np.clip(rng.normal(baseline, spread, len(self.src)), 0.0, 1.0)
        if initial:  # first impressions given by data (a loaded organisation)
            pairs = np.array(list(initial), dtype=np.int64).reshape(-1, 2)
            ids = self.edge_ids(pairs[:, 0], pairs[:, 1])
            given = np.array(list(initial.values()), dtype=float)
            values[ids[ids >= 0]] = given[ids >= 0]
        self.in_degree = np.bincount(self.dst, minlength=n).astype(float)
        groups = {"in": self.dst, **({"out": self.src} if need_out else {})}
        self.store = make_store(values, culture, conflict_loss, groups, n)

    @property
    def n_ties(self) -> int:
        return len(self.src)

    @property
    def trust(self) -> np.ndarray:
        """Every tie's trust now (a fresh array under the evidence model)."""
        return self.store.all()

    def values(self, ties) -> np.ndarray:
        return self.store.values(ties)

    def out_ties(self, people) -> tuple[np.ndarray, np.ndarray]:
        """``(k, tie)`` for every tie from ``people[k]`` to a colleague."""
        people = np.asarray(people, dtype=np.int64)
        return ragged(self.indptr[people], self.out_degree[people])

    def in_mean(self, people) -> np.ndarray:
        """Mean trust that colleagues place in each of ``people`` (0 with no colleagues)."""
        return self.store.group_mean("in", people)

    def out_mean(self, people) -> np.ndarray:
        """Mean trust each of ``people`` places in their colleagues (0 with none)."""
        return self.store.group_mean("out", people)

    def edge_ids(self, a, b) -> np.ndarray:
        """Tie ids for directed pairs (a[k] -> b[k]); -1 where there is no tie."""
        keys = np.asarray(a, dtype=np.int64) * self.n + np.asarray(b, dtype=np.int64)
        if len(self.keys) == 0:
            return np.full(len(keys), -1, dtype=np.int64)
        pos = np.minimum(self.keys.searchsorted(keys), len(self.keys) - 1)
        return np.where(self.keys[pos] == keys, pos, -1)

    def get(self, a, b) -> np.ndarray:
        """Trust of a[k] in b[k]; NaN where there is no tie."""
        ids = self.edge_ids(a, b)
        out = np.full(len(ids), np.nan)
        out[ids >= 0] = self.store.values(ids[ids >= 0])
        return out

    def outcome(self, ties, good) -> None:
        """Trust on ``ties`` (-1: no tie) learns of successes (``good``) and failures."""
        self.store.outcome(ties, good)

    def conflict(self, ties) -> None:
        self.store.conflict(ties)

    def tick(self) -> None:
        self.store.tick()

    def mean(self) -> float:
        return self.store.total() / self.n_ties if self.n_ties else float("nan")
