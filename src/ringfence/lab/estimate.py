"""A reported figure with its uncertainty: the value, its 95% confidence interval, and how it was obtained.

Every number the stress lab reports about a study (a mean, VaR95, EVaR99, LaR95) is an
:class:`Estimate` from a finite number of runs. A tail statistic that the runs cannot support
(too few runs beyond its quantile for an interval to exist) has ``value = None`` and says in
``runs_needed`` how many runs it would take; the report prints that instead of a number.

Three estimators, each with the interval made for it:

- :func:`mean_estimate`: the mean across runs with a **percentile bootstrap** interval
  (``scipy.stats.bootstrap``, :data:`BOOTSTRAP_RESAMPLES` resamples, generator seeded with
  :data:`BOOTSTRAP_SEED`, so the same runs give the same bounds, bit for bit). Percentile rather
  than BCa: BCa's jackknife acceleration is undefined (0/0, a warning and NaN bounds) when all runs
  but one are equal, which is common for bad debt (most runs lose nothing), and it costs twice the
  time; the percentile interval is always defined.
- :func:`quantile_estimate`: the ``q``-quantile as the order statistic of rank ``⌈q·n⌉`` with the
  **exact distribution-free order-statistic interval** ``[X_(l), X_(u)]`` (David and Nagaraja,
  *Order Statistics*, 3rd ed., 2003, §7.1; Hahn and Meeker, *Statistical Intervals*, 1991, §5.2).
  With ``B ~ Binomial(n, q)`` the number of runs below the true quantile, ``P(X_(l) ≤ ξ_q < X_(u))
  = P(l ≤ B ≤ u − 1)``; ``l`` is the largest rank with ``P(B ≤ l − 1) ≤ 2.5%`` and ``u`` the
  smallest with ``P(B ≥ u) ≤ 2.5%`` (equal tails, coverage at least 95% for any distribution,
  discrete ones included). The interval exists when ``1 ≤ l`` and ``u ≤ n``, i.e. when
  ``(1 − q)^n ≤ 2.5%`` and ``q^n ≤ 2.5%``: for the 95th percentile from 72 runs, for the 99th
  from 368 (:func:`runs_needed`).
- :func:`proportion_estimate`: a share of runs with the exact Clopper-Pearson interval
  (``scipy.stats.binomtest``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
from numpy.typing import NDArray
from scipy import stats  # type: ignore[import-untyped]

from ringfence.core.errors import InvalidParameter

__all__ = [
    "BOOTSTRAP_RESAMPLES",
    "BOOTSTRAP_SEED",
    "CONFIDENCE",
    "Estimate",
    "mean_estimate",
    "order_statistic_ranks",
    "proportion_estimate",
    "quantile_estimate",
    "ratio_estimate",
    "runs_needed",
]

FloatArray = NDArray[np.float64]
CONFIDENCE = 0.95
"""The level of every interval."""
BOOTSTRAP_RESAMPLES = 2000
"""Resamples per bootstrap interval (Efron and Tibshirani 1993 advise 1000-2000 for percentile intervals)."""
BOOTSTRAP_SEED = 20_201_010
"""The bootstrap's generator seed: fixed, so the same runs give byte-identical bounds."""
BOOTSTRAP_METHOD = f"bootstrap percentile, {BOOTSTRAP_RESAMPLES} resamples"
ORDER_METHOD = "exact order-statistic interval (binomial, distribution-free)"
TAIL = (1.0 - CONFIDENCE) / 2.0


@dataclass(frozen=True, slots=True)
class Estimate:
    """One figure across runs with its 95% confidence interval.

    Attributes
    ----------
    value:
        The point estimate, or ``None`` when the runs cannot support it (see ``runs_needed``).
    low, high:
        The bounds of the 95% confidence interval (``None`` with ``value``).
    method:
        How the interval was computed, named for the reader (for example ``"bootstrap percentile,
        2000 resamples"`` or ``"exact order-statistic interval"``).
    runs:
        How many runs the estimate uses.
    runs_needed:
        When ``value`` is ``None``: the fewest runs that would support the statistic.
    """

    value: float | None
    low: float | None
    high: float | None
    method: str
    runs: int
    runs_needed: int | None = None

    @property
    def printable(self) -> bool:
        """Whether the runs support a number (otherwise the report prints ``runs_needed``)."""
        return self.value is not None


def _checked(values: FloatArray | list[float], name: str) -> FloatArray:
    array = np.asarray(values, dtype=np.float64)
    if array.ndim != 1 or array.size == 0:
        raise InvalidParameter(name, array.shape, "a one-dimensional array of at least one value")
    if not np.all(np.isfinite(array)):
        raise InvalidParameter(name, array.tolist(), "finite numbers")
    return array


def _mean_statistic(sample: FloatArray, axis: int = -1) -> FloatArray:
    return np.asarray(np.mean(sample, axis=axis), dtype=np.float64)


def mean_estimate(values: FloatArray | list[float]) -> Estimate:
    """Return the mean of ``values`` with its 95% percentile-bootstrap interval.

    One value is its own mean with no interval (``low = high = None``: an interval needs two
    runs); equal values have the interval ``[value, value]`` (every resample has the same mean),
    computed without resampling.
    """
    array = _checked(values, "values")
    n = int(array.size)
    if n == 1:
        return Estimate(float(array[0]), None, None, "one run: no interval (an interval needs two runs)", 1)
    mean = float(array.mean())
    if float(np.ptp(array)) == 0.0:
        return Estimate(mean, mean, mean, f"{BOOTSTRAP_METHOD} (all runs equal)", n)
    result = stats.bootstrap(
        (array,),
        _mean_statistic,
        n_resamples=BOOTSTRAP_RESAMPLES,
        confidence_level=CONFIDENCE,
        method="percentile",
        vectorized=True,
        random_state=np.random.default_rng(BOOTSTRAP_SEED),
    )
    interval = result.confidence_interval
    return Estimate(mean, float(interval.low), float(interval.high), BOOTSTRAP_METHOD, n)


def _ratio_statistic(numerator: FloatArray, denominator: FloatArray, axis: int = -1) -> FloatArray:
    return np.asarray(np.sum(numerator, axis=axis) / np.sum(denominator, axis=axis), dtype=np.float64)


def ratio_estimate(numerators: FloatArray | list[float], denominators: FloatArray | list[float]) -> Estimate:
    """Return ``Σ numerators / Σ denominators`` with a 95% percentile-bootstrap interval over runs.

    For a mean over events pooled across runs (the mean liquidation delay: delay sums over
    liquidation counts), runs are resampled whole (a cluster bootstrap), since events of one run
    are not independent. Every denominator must be positive (pass only the runs with events);
    fewer than two such runs have no interval.
    """
    top, bottom = _checked(numerators, "numerators"), _checked(denominators, "denominators")
    if top.shape != bottom.shape:
        raise InvalidParameter("denominators", bottom.shape, f"the shape of numerators, {top.shape}")
    if np.any(bottom <= 0.0):
        raise InvalidParameter("denominators", bottom.tolist(), "positive numbers")
    n = int(top.size)
    ratio = float(top.sum() / bottom.sum())
    if n == 1:
        return Estimate(ratio, None, None, "one run: no interval (an interval needs two runs)", 1)
    per_run = top / bottom
    if float(np.ptp(per_run)) == 0.0:
        return Estimate(ratio, ratio, ratio, f"{BOOTSTRAP_METHOD} over runs (all runs equal)", n)
    result = stats.bootstrap(
        (top, bottom),
        _ratio_statistic,
        n_resamples=BOOTSTRAP_RESAMPLES,
        confidence_level=CONFIDENCE,
        method="percentile",
        vectorized=True,
        paired=True,
        random_state=np.random.default_rng(BOOTSTRAP_SEED),
    )
    interval = result.confidence_interval
    return Estimate(ratio, float(interval.low), float(interval.high), f"{BOOTSTRAP_METHOD} over runs", n)


def _check_level(quantile: float) -> None:
    if not 0.0 < quantile < 1.0:
        raise InvalidParameter("quantile", quantile, "a number in (0, 1)")


def order_statistic_ranks(quantile: float, count: int) -> tuple[int, int]:
    """Return the 1-based ranks ``(l, u)`` of the equal-tailed 95% interval of the ``quantile`` from ``count`` runs.

    ``l`` is the largest rank with ``P(B ≤ l − 1) ≤ 2.5%`` and ``u`` the smallest with
    ``P(B ≥ u) ≤ 2.5%``, ``B ~ Binomial(count, quantile)`` (module docstring). ``l = 0`` or
    ``u = count + 1`` means that side of the interval does not exist with ``count`` runs.
    """
    _check_level(quantile)
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise InvalidParameter("count", count, "an integer >= 1")
    distribution = stats.binom(count, quantile)
    # P(B <= l - 1) = cdf(l - 1) is increasing in l: the largest l with cdf(l - 1) <= 2.5%.
    below = distribution.cdf(np.arange(count + 1))  # below[k] = P(B <= k)
    low_rank = int(np.count_nonzero(below <= TAIL))
    # P(B >= u) = sf(u - 1) is decreasing in u: the smallest u with sf(u - 1) <= 2.5%.
    above = distribution.sf(np.arange(count + 1) - 1)  # above[u] = P(B >= u)
    fitting = np.flatnonzero(above <= TAIL)
    high_rank = int(fitting[0]) if fitting.size else count + 1
    return low_rank, high_rank


def runs_needed(quantile: float) -> int:
    """Return the fewest runs whose equal-tailed 95% order-statistic interval of the ``quantile`` exists.

    Both ``(1 − q)^n ≤ 2.5%`` (a lower rank ``l ≥ 1``) and ``q^n ≤ 2.5%`` (an upper rank
    ``u ≤ n``): ``n = ⌈ln 0.025 / ln max(q, 1 − q)⌉``, checked against the binomial ranks.
    """
    _check_level(quantile)
    extreme = max(quantile, 1.0 - quantile)
    n = max(1, math.ceil(math.log(TAIL) / math.log(extreme)))
    # Guard the float logarithms: step to the exact boundary with the ranks themselves.
    while n > 1 and _exists(quantile, n - 1):
        n -= 1
    while not _exists(quantile, n):
        n += 1
    return n


def _exists(quantile: float, count: int) -> bool:
    low_rank, high_rank = order_statistic_ranks(quantile, count)
    return low_rank >= 1 and high_rank <= count


def quantile_estimate(values: FloatArray | list[float], quantile: float) -> Estimate:
    """Return the ``quantile`` of ``values`` (the order statistic of rank ``⌈q·n⌉``) with its exact 95% interval.

    When the runs are too few for the interval to exist, ``value`` is ``None`` and
    ``runs_needed`` says how many runs would do (:func:`runs_needed`).
    """
    array = _checked(values, "values")
    _check_level(quantile)
    n = int(array.size)
    low_rank, high_rank = order_statistic_ranks(quantile, n)
    if low_rank < 1 or high_rank > n:
        return Estimate(None, None, None, ORDER_METHOD, n, runs_needed=runs_needed(quantile))
    ordered = np.sort(array, kind="stable")
    rank = max(1, math.ceil(Fraction(repr(quantile)) * n))  # decimal-exact: 0.07 · 100 is 7
    return Estimate(
        float(ordered[rank - 1]),
        float(ordered[low_rank - 1]),
        float(ordered[high_rank - 1]),
        f"{ORDER_METHOD}, ranks {low_rank} and {high_rank} of {n}",
        n,
    )


def proportion_estimate(successes: int, trials: int) -> Estimate:
    """Return the share ``successes / trials`` with its exact (Clopper-Pearson) 95% interval."""
    if isinstance(trials, bool) or not isinstance(trials, int) or trials < 1:
        raise InvalidParameter("trials", trials, "an integer >= 1")
    if isinstance(successes, bool) or not isinstance(successes, int) or not 0 <= successes <= trials:
        raise InvalidParameter("successes", successes, f"an integer in [0, {trials}]")
    interval = stats.binomtest(successes, trials).proportion_ci(confidence_level=CONFIDENCE, method="exact")
    return Estimate(
        successes / trials, float(interval.low), float(interval.high), "exact binomial (Clopper-Pearson)", trials
    )
