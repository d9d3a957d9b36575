"""The exact discrete-time queue that the delegating leader forms.

With ample workers and no pushback, delegation is a single queue in discrete time:
in step ``t`` a Poisson(``lam``) batch ``A_t`` arrives first (``LeadershipModel.arrive``),
then the leader makes up to ``c`` decisions, first come first served
(``Leader.work_queue``). The queue left at the end of the step is

    Q_t = max(Q_{t-1} + A_t - c, 0),

a bulk-service (M^X/D/c-type) Markov chain on the non-negative integers. A task that
arrives in step ``t`` as the ``k``-th of its batch (``k = 0, 1, ...``) has
``Q_{t-1} + k`` tasks before it, so it is decided in step ``t + (Q_{t-1} + k) // c``:
its wait is ``(Q_{t-1} + k) // c`` steps, 0 if it is decided in the step it arrived.

The stationary law of ``Q`` is computed numerically on a truncated state space; the
mean wait follows either directly from the FIFO order (:func:`mean_wait`) or by
Little's law on the end-of-step queue (``E[W] = E[Q] / lam``, since a task that waits
``W`` steps is in the end-of-step queue ``W`` times). Both are given so that each
checks the other; for ``c = 1`` the closed form ``lam / (2 (1 - lam))`` checks both.
"""

from __future__ import annotations

import numpy as np
from scipy import stats


def _truncation(lam: float, c: int, tail: float = 1e-13) -> int:
    """A queue bound beyond which the stationary mass is negligible.

    The queue's tail is geometric with the decay rate ``z`` solving
    ``lam (z - 1) = c log z`` (``z > 1``); we keep ``log(tail) / log(1 / z)`` states
    plus room for one large batch.
    """
    rho = lam / c
    if rho >= 1:
        raise ValueError(f"the queue is unstable: arrival rate {lam} >= capacity {c}")
    lo, hi = 1.0 + 1e-12, 2.0
    f = lambda z: lam * (z - 1.0) - c * np.log(z)
    while f(hi) < 0:
        hi *= 2
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if f(mid) < 0 else (lo, mid)
    decay = np.log(hi)
    return int(np.ceil(-np.log(tail) / decay)) + int(lam + 10 * np.sqrt(lam) + 10 + c)


def stationary_queue(lam: float, c: int, size: int | None = None) -> np.ndarray:
    """Stationary distribution of the end-of-step queue ``Q`` (index = queue length)."""
    size = size or _truncation(lam, c)
    a = stats.poisson.pmf(np.arange(size + c + 1), lam)
    tail_a = stats.poisson.sf(np.arange(size + c + 1) - 1, lam)  # P(A >= j)
    q = np.arange(size)
    P = np.zeros((size, size))
    for i in q:
        # From Q_{t-1} = i, Q_t = j > 0 needs A = j + c - i; Q_t = 0 needs A <= c - i.
        j = np.arange(1, size)
        need = j + c - i
        ok = need >= 0
        P[i, j[ok]] = a[need[ok]]
        P[i, 0] = 1.0 - tail_a[c - i + 1] if i <= c else 0.0
        # Mass beyond the truncation stays in the last state (negligible by construction).
        P[i, size - 1] += max(0.0, 1.0 - P[i].sum())
    # Solve pi (P - I) = 0 with sum(pi) = 1.
    A = P.T - np.eye(size)
    A[-1, :] = 1.0
    b = np.zeros(size)
    b[-1] = 1.0
    pi = np.linalg.solve(A, b)
    pi = np.clip(pi, 0.0, None)
    return pi / pi.sum()


def mean_queue(lam: float, c: int) -> float:
    """Mean end-of-step queue ``E[Q]`` in the stationary regime."""
    pi = stationary_queue(lam, c)
    return float(np.arange(len(pi)) @ pi)


def mean_wait(lam: float, c: int) -> float:
    """Mean steps from arrival to the leader's decision, directly from the FIFO order.

    ``E[W] = E[sum_{k < A} (Q + k) // c] / E[A]`` with ``Q`` stationary (the queue the
    batch finds) and ``A ~ Poisson(lam)`` independent of it.
    """
    if lam <= 0:
        return 0.0
    pi = stationary_queue(lam, c)
    kmax = int(stats.poisson.isf(1e-15, lam)) + 1
    p_more = stats.poisson.sf(np.arange(kmax), lam)  # P(A > k)
    q = np.arange(len(pi))
    # sum over k of P(A > k) * E[(Q + k) // c]
    total = sum(p_more[k] * float(pi @ ((q + k) // c)) for k in range(kmax))
    return total / lam


def mean_wait_little(lam: float, c: int) -> float:
    """Mean wait by Little's law on the end-of-step queue: ``E[Q] / lam``."""
    return mean_queue(lam, c) / lam if lam > 0 else 0.0


def mean_wait_c1(lam: float) -> float:
    """Closed form for one decision per step: ``E[W] = lam / (2 (1 - lam))``.

    From squaring ``Q_t = Q_{t-1} + A_t - 1 + 1{Q_{t-1} + A_t = 0}`` and taking
    stationary expectations: ``E[Q] = lam^2 / (2 (1 - lam))``.
    """
    return lam / (2.0 * (1.0 - lam))


def simulate_queue(lam: float, c: int, steps: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """The same queue by brute force, without the agent-based model.

    Returns the end-of-step queue ``Q_t`` and every task's wait in arrival order (a
    third, independent route to the same numbers).
    """
    rng = np.random.default_rng(seed)
    arrivals = rng.poisson(lam, steps)
    queue = np.zeros(steps, dtype=np.int64)
    waits = np.empty(int(arrivals.sum()), dtype=np.int64)
    q, n = 0, 0
    for t, a in enumerate(arrivals):
        waits[n : n + a] = (q + np.arange(a)) // c
        n += a
        q = max(q + a - c, 0)
        queue[t] = q
    return queue, waits


def ci_coverage(
    lam: float, c: int, reps: int, steps: int, warmup: int, experiments: int = 400, seed: int = 0, level: float = 0.95
) -> dict:
    """How often a Student-t CI over ``reps`` replicates covers the exact mean wait.

    Simulates ``experiments`` designs of the exact queue (vectorised over all their
    replicates): each replicate's mean wait of tasks arriving after ``warmup``, then
    one CI per design. Near saturation the waits are so right-skewed that coverage
    falls below the nominal level; this measures it for the design the report uses.
    """
    rng = np.random.default_rng(seed)
    n = reps * experiments
    q = np.zeros(n, dtype=np.int64)
    total, count = np.zeros(n), np.zeros(n)
    for t in range(steps):
        a = rng.poisson(lam, n)
        if t >= warmup:
            # sum_{k<a} (q + k) // c, exactly, via a loop over batch positions
            for k in range(int(a.max(initial=0))):
                live = a > k
                total[live] += (q[live] + k) // c
            count += a
        q = np.maximum(q + a - c, 0)
    w = (total / np.maximum(count, 1)).reshape(experiments, reps)
    m, s = w.mean(axis=1), w.std(axis=1, ddof=1)
    half = stats.t.ppf(0.5 + level / 2, reps - 1) * s / np.sqrt(reps)
    exact = mean_wait(lam, c)
    return {
        "coverage": float(((m - half <= exact) & (exact <= m + half)).mean()),
        "below": float((m + half < exact).mean()),
        "above": float((m - half > exact).mean()),
        "median_estimate": float(np.median(m)),
        "exact": exact,
    }
