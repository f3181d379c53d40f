"""The allocation that keeps every position alive on the most of a set of common price paths.

:mod:`ringfence.risk.allocator` minimises ``P(any)`` with positions independent. This module
optimises the correlated ``P(any)`` itself, on simulated **common paths** (every position sees its
own market's path of the same draw), to measure what the independence assumption costs.

On path ``k`` position ``i`` survives exactly when its margin is at least its **need**
``n_ik = max_t (|q_i| m_i S_ikt − q_i (S_ikt − S_ik0)) − e_i``: the largest maintenance shortfall
its price path would open (the lab's rule: liquidated when equity falls strictly below maintenance
at a grid step). The path survives when ``x_i ≥ n_ik`` for every ``i``; the estimate of
``P(none liquidated)`` is the share of such paths, a step function of ``x``. Maximising it under
``Σ x_i = C`` and ``x_i ≥ f_i`` is combinatorial (choose the paths to cover; covering a set costs
``Σ_i max_k n_ik`` over it), so :func:`path_optimal_margins` does a **local search** from a start
(the independent optimum): for every ordered pair ``(i, j)`` it tries moving ``t`` from ``j`` to ``i``
for ``t`` on a grid of the values that make ``x_i`` just cover one more path (the quantiles of
``n_ik − x_i`` above 0), keeps the best strict improvement, and repeats until a whole sweep improves
nothing or ``max_sweeps`` is reached. The result is a local optimum of an in-sample objective: fit
it on one set of paths and score it on another (the lab's study does).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from ringfence.core.errors import InvalidParameter
from ringfence.risk import _inputs
from ringfence.risk._inputs import FloatArray
from ringfence.risk.errors import CollateralShortfall

__all__ = ["CANDIDATES_PER_PAIR", "margin_need", "path_optimal_margins", "surviving_paths"]

CANDIDATES_PER_PAIR = 128
"""Transfer sizes tried per ordered pair and sweep (quantiles of the amounts that cover one more path)."""


def margin_need(prices: ArrayLike, size: float, maintenance_rate: float, equity: float = 0.0) -> FloatArray:
    """Return, per path, the least margin that keeps the position at or above maintenance at every step ``t ≥ 1``.

    ``prices`` is ``(paths, steps + 1)`` with the opening price at step 0 (module docstring).
    """
    path = _inputs.positive("prices", prices)
    if path.ndim != 2 or path.shape[1] < 2:
        raise InvalidParameter("prices", path.shape, "(paths, steps + 1) with at least one step")
    later = path[:, 1:]
    shortfall = abs(size) * maintenance_rate * later - size * (later - path[:, :1])
    return np.asarray(shortfall.max(axis=1) - equity)


def surviving_paths(need: FloatArray, margin: FloatArray) -> int:
    """Return how many paths (rows of ``need``) every position survives with ``margin``."""
    return int(np.all(margin[None, :] >= need, axis=1).sum())


def _best_move(need: FloatArray, margin: FloatArray, floors: FloatArray, pair: tuple[int, int]) -> tuple[int, float]:
    """Return (paths survived, amount) of the best move from vault ``j`` to vault ``i`` (0 if none helps)."""
    i, j = pair
    others = np.delete(np.arange(need.shape[1]), [i, j])
    alive = np.all(margin[others][None, :] >= need[:, others], axis=1) if others.size else np.ones(need.shape[0], bool)
    gaps = need[alive, i] - margin[i]
    gaps = gaps[(gaps > 0.0) & (gaps <= margin[j] - floors[j])]
    if gaps.size == 0:
        return -1, 0.0
    amounts = np.unique(np.quantile(gaps, np.linspace(0.0, 1.0, CANDIDATES_PER_PAIR), method="inverted_cdf"))
    receive = margin[i] + amounts[:, None] >= need[alive, i][None, :]
    give = margin[j] - amounts[:, None] >= need[alive, j][None, :]
    counts = (receive & give).sum(axis=1)
    best = int(np.argmax(counts))
    return int(counts[best]), float(amounts[best])


def path_optimal_margins(
    need: ArrayLike, floors: ArrayLike, start: ArrayLike, collateral: float, max_sweeps: int = 50
) -> FloatArray:
    """Return margins (quote units) that keep every position alive on as many paths as the local search finds.

    Parameters
    ----------
    need:
        ``(paths, positions)``: each position's margin need on each path (:func:`margin_need`).
    floors:
        The least each vault may hold.
    start:
        A split of ``collateral`` above the floors to start from (the independent optimum).
    collateral:
        The total; the result sums to it (to float rounding: the start's sum is kept, moves are transfers).
    max_sweeps:
        The most sweeps over all ordered pairs.
    """
    table = _inputs.finite("need", need)
    lower = _inputs.finite("floors", floors)
    margin = _inputs.finite("start", start).copy()
    if table.ndim != 2 or lower.shape != (table.shape[1],) or margin.shape != lower.shape:
        raise InvalidParameter("need", table.shape, "(paths, positions) with one floor and one start per position")
    total = float(_inputs.finite("collateral", collateral))
    if lower.sum() > total:
        raise CollateralShortfall(float(lower.sum()), total)
    if np.any(margin < lower) or not np.isclose(margin.sum(), total, rtol=1e-9, atol=1e-6):
        raise InvalidParameter("start", margin.tolist(), f"margins above the floors summing to {total}")
    sweeps = _inputs.count("max_sweeps", max_sweeps, 1)
    positions = table.shape[1]
    for _ in range(sweeps):
        improved = False
        for i in range(positions):
            for j in range(positions):
                if i == j:
                    continue
                current = surviving_paths(table, margin)
                count, amount = _best_move(table, margin, lower, (i, j))
                if count > current:
                    margin[i] += amount
                    margin[j] -= amount
                    improved = True
        if not improved:
            break
    return margin
