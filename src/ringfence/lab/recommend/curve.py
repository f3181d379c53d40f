"""The statistics of one swept curve: P(loss > target) per level, monotonicity, the recommendation and its interval.

Input: ``exceeds[l, p]``, whether path ``p`` ended with the pool's loss above the target at level
``l``, levels in risk order (least conservative first), every level on the same paths and draws.

- **Probability per level**: ``p̂_l = mean_p exceeds[l, p]`` with its exact Clopper-Pearson 95%
  interval (:func:`ringfence.lab.estimate.proportion_estimate`, as the lab's shares).
- **Monotonicity**: a more conservative level should not raise the probability. For each adjacent
  pair whose estimate rises, the paired (CRN) counts ``b`` (paths above target only at the stricter
  level) and ``c`` (only at the looser one) give the exact McNemar test: under equal probabilities
  ``b ~ Binomial(b + c, 1/2)``, one-sided p-value ``P(B ≥ b)`` (McNemar, *Psychometrika* 12, 1947;
  exact form: Agresti, *Categorical Data Analysis*, 3rd ed., 2013, §11.1). A rise is *beyond noise*
  when that p-value is below ``0.05 / (levels − 1)`` (Bonferroni over the curve's adjacent pairs).
  Every rise is reported, significant or not.
- **Recommendation**: the least conservative level whose ``p̂ < α``. Its neighbour on the loose side
  (which fails) and it bracket the crossing; the **crossing** is the level where the straight line
  between their estimates meets ``α`` (a between-grid estimate of the threshold). When the least
  conservative level of the grid already passes, the threshold lies beyond the grid (no crossing);
  when no level passes, there is no recommendation. Neither is moved to the grid's end.
- **Bootstrap interval** of the recommended level and of the crossing: paths are resampled with
  replacement (the same resample at every level, so the CRN pairing is kept), the recommendation
  recomputed, and the 2.5% and 97.5% percentiles (``inverted_cdf``: values the resamples took)
  reported; a side where more than 2.5% of resamples fall beyond the grid is ``None`` (beyond the
  grid), never the grid's end. Efron and Tibshirani, *An Introduction to the Bootstrap* (1993), ch. 13.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import stats  # type: ignore[import-untyped]

from ringfence.core.errors import InvalidParameter
from ringfence.lab._checks import check_count
from ringfence.lab.estimate import CONFIDENCE, Estimate, proportion_estimate

__all__ = [
    "RECOMMEND_BOOTSTRAP_RESAMPLES",
    "RECOMMEND_BOOTSTRAP_SEED",
    "Recommendation",
    "Violation",
    "crossing_level",
    "curve_estimates",
    "monotonicity_violations",
    "recommend_level",
    "recommended_index",
]

BoolArray = NDArray[np.bool_]
FloatArray = NDArray[np.float64]
RECOMMEND_BOOTSTRAP_RESAMPLES = 1000
"""Resamples of the paths for the recommendation's interval (Efron and Tibshirani: 1000 for percentile intervals)."""
RECOMMEND_BOOTSTRAP_SEED = 20_261_202
"""The bootstrap's generator seed: fixed, so the same losses give the same interval."""
FAMILY_LEVEL = 0.05
TAIL = (1.0 - CONFIDENCE) / 2.0


@dataclass(frozen=True, slots=True)
class Violation:
    """A rise of the estimated probability from ``looser_level`` to the next, more conservative level.

    ``only_stricter`` paths exceed the target at the stricter level alone, ``only_looser`` at the
    looser one alone; ``p_value`` is the exact one-sided McNemar test of the rise (module docstring).
    """

    looser_level: float
    stricter_level: float
    looser_probability: float
    stricter_probability: float
    only_stricter: int
    only_looser: int
    p_value: float
    beyond_noise: bool


@dataclass(frozen=True, slots=True)
class Recommendation:
    """The recommended level of one curve and its bootstrap interval.

    Attributes
    ----------
    level:
        The least conservative level with ``p̂ < α``; ``None`` when no level of the grid satisfies α.
    level_low, level_high:
        Its 95% percentile-bootstrap interval, numerically ordered; a side is ``None`` when more
        than 2.5% of resamples fall beyond the grid on that side.
    crossing:
        The level where the estimated curve crosses α between the recommended level and its loose
        neighbour (``None`` when the recommendation is the grid's least conservative level or absent).
    crossing_low, crossing_high:
        Its 95% percentile-bootstrap interval (``None`` on a side beyond the grid).
    at_loose_end:
        The grid's least conservative level already satisfies α: the threshold lies beyond the grid.
    resamples, seed:
        The bootstrap's settings.
    resamples_without_level:
        Resamples in which no level satisfied α.
    """

    level: float | None
    level_low: float | None
    level_high: float | None
    crossing: float | None
    crossing_low: float | None
    crossing_high: float | None
    at_loose_end: bool
    resamples: int
    seed: int
    resamples_without_level: int


def _checked(exceeds: BoolArray, levels: Sequence[float]) -> BoolArray:
    array = np.asarray(exceeds)
    if array.dtype != np.bool_ or array.ndim != 2 or array.shape[0] != len(levels) or array.shape[1] < 1:
        raise InvalidParameter("exceeds", array.shape, f"a boolean array (levels = {len(levels)}, paths >= 1)")
    return array


def curve_estimates(exceeds: BoolArray, levels: Sequence[float]) -> tuple[Estimate, ...]:
    """Return P(loss > target) at each level with its Clopper-Pearson 95% interval."""
    array = _checked(exceeds, levels)
    paths = int(array.shape[1])
    return tuple(proportion_estimate(int(row.sum()), paths) for row in array)


def monotonicity_violations(exceeds: BoolArray, levels: Sequence[float]) -> tuple[Violation, ...]:
    """Return every adjacent pair where the more conservative level has the higher estimate (module docstring)."""
    array = _checked(exceeds, levels)
    rate = array.mean(axis=1)
    threshold = FAMILY_LEVEL / max(1, len(levels) - 1)
    found = []
    for index in range(len(levels) - 1):
        if not rate[index + 1] > rate[index]:
            continue
        only_stricter = int(np.count_nonzero(array[index + 1] & ~array[index]))
        only_looser = int(np.count_nonzero(array[index] & ~array[index + 1]))
        test = stats.binomtest(only_stricter, only_stricter + only_looser, 0.5, alternative="greater")
        found.append(
            Violation(
                looser_level=float(levels[index]),
                stricter_level=float(levels[index + 1]),
                looser_probability=float(rate[index]),
                stricter_probability=float(rate[index + 1]),
                only_stricter=only_stricter,
                only_looser=only_looser,
                p_value=float(test.pvalue),
                beyond_noise=bool(test.pvalue < threshold),
            )
        )
    return tuple(found)


def recommended_index(rates: FloatArray, alpha: float) -> int | None:
    """Return the first (least conservative) index whose rate is below ``alpha``, or ``None``."""
    passing = np.flatnonzero(np.asarray(rates) < alpha)
    return int(passing[0]) if passing.size else None


def crossing_level(rates: FloatArray, levels: Sequence[float], alpha: float) -> float | None:
    """Return where the straight line between the recommended level's estimate and its loose neighbour's meets α.

    ``None`` when there is no recommended level or it is the grid's first (the threshold is beyond).
    """
    index = recommended_index(rates, alpha)
    if index is None or index == 0:
        return None
    above, below = float(rates[index - 1]), float(rates[index])
    share = (above - alpha) / (above - below)  # above >= alpha > below, so the share is in (0, 1]
    return float(levels[index - 1] + share * (levels[index] - levels[index - 1]))


def _resample_rates(array: BoolArray, resamples: int, seed: int) -> FloatArray:
    """Return every resample's rate per level ``(resamples, levels)``: the same paths drawn at every level."""
    paths = array.shape[1]
    rng = np.random.default_rng(seed)
    weights = np.empty((resamples, paths))
    for row in range(resamples):
        weights[row] = np.bincount(rng.integers(0, paths, size=paths), minlength=paths)
    return np.asarray(weights @ array.T.astype(np.float64) / paths)


def _interval(keys: FloatArray, key_to_value: float) -> tuple[float | None, float | None]:
    """Return the percentile interval of ``keys`` (risk-ordered; ±inf beyond the grid), as values, sorted."""
    low, high = (float(np.quantile(keys, q, method="inverted_cdf")) for q in (TAIL, 1.0 - TAIL))
    ends = [None if not np.isfinite(end) else end * key_to_value for end in (low, high)]
    if key_to_value < 0:
        ends.reverse()
    return ends[0], ends[1]


def recommend_level(
    exceeds: BoolArray,
    levels: Sequence[float],
    alpha: float,
    *,
    conservative_higher: bool,
    resamples: int = RECOMMEND_BOOTSTRAP_RESAMPLES,
    seed: int = RECOMMEND_BOOTSTRAP_SEED,
) -> Recommendation:
    """Return the recommended level of a curve and its bootstrap intervals (module docstring).

    ``levels`` are in risk order; ``conservative_higher`` says whether they ascend (margins, funds)
    or descend (caps), so an interval's ends are reported numerically ordered.

    Raises
    ------
    InvalidParameter
        ``alpha`` outside (0, 1), or ``exceeds`` not ``(levels, paths)`` booleans.
    """
    array = _checked(exceeds, levels)
    if not 0.0 < alpha < 1.0:
        raise InvalidParameter("alpha", alpha, "a probability in (0, 1)")
    check_count("resamples", resamples)
    rates = array.mean(axis=1)
    index = recommended_index(rates, alpha)
    sign = 1.0 if conservative_higher else -1.0  # key = sign · level grows with conservatism
    boot = _resample_rates(array, resamples, seed)
    indices = [recommended_index(row, alpha) for row in boot]
    index_keys = np.array([np.inf if i is None else sign * levels[i] for i in indices])
    crossings = []
    for row, boot_index in zip(boot, indices, strict=True):
        value = crossing_level(row, levels, alpha)
        crossings.append(np.inf if boot_index is None else -np.inf if value is None else sign * value)
    level_low, level_high = _interval(index_keys, sign)
    crossing_low, crossing_high = _interval(np.array(crossings), sign)
    return Recommendation(
        level=None if index is None else float(levels[index]),
        level_low=level_low,
        level_high=level_high,
        crossing=crossing_level(rates, levels, alpha),
        crossing_low=crossing_low,
        crossing_high=crossing_high,
        at_loose_end=index == 0,
        resamples=resamples,
        seed=seed,
        resamples_without_level=sum(1 for i in indices if i is None),
    )
