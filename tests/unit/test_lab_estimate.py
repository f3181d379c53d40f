"""The estimators behind every interval the stress lab reports (``ringfence.lab.estimate``).

Expected ranks and bounds come from exact binomial sums in :mod:`fractions` written out here, or
from closed forms worked by hand in the comments, never from the code under test.
"""

from __future__ import annotations

from fractions import Fraction
from math import comb

import numpy as np
import pytest

from ringfence.core.errors import InvalidParameter
from ringfence.lab.estimate import (
    mean_estimate,
    order_statistic_ranks,
    proportion_estimate,
    quantile_estimate,
    ratio_estimate,
    runs_needed,
)

TAIL = Fraction(1, 40)  # 2.5%


def binomial_cdfs(n: int, q: Fraction) -> list[Fraction]:
    """[P(B <= k) for k = 0 .. n] for B ~ Binomial(n, q), exactly (cumulative sums of the pmf)."""
    cdfs, total = [], Fraction(0)
    for i in range(n + 1):
        total += comb(n, i) * q**i * (1 - q) ** (n - i)
        cdfs.append(total)
    return cdfs


def hand_ranks(n: int, q: Fraction) -> tuple[int, int]:
    """Largest l with P(B <= l - 1) <= 2.5%; smallest u with P(B >= u) <= 2.5% (0 / n + 1 when none)."""
    cdf = binomial_cdfs(n, q)
    low = max((rank for rank in range(1, n + 1) if cdf[rank - 1] <= TAIL), default=0)
    high = min((u for u in range(1, n + 1) if 1 - cdf[u - 1] <= TAIL), default=n + 1)
    return low, high


def test_order_statistic_ranks_for_100_runs_at_the_95th_percentile_match_exact_binomial_sums() -> None:
    # P(B <= 89) ≈ 1.15% <= 2.5% < P(B <= 90) ≈ 2.82% → l = 90; P(B = 100) = 0.95^100 ≈ 0.59% <= 2.5%
    # < P(B >= 99) ≈ 3.71% → u = 100.
    assert hand_ranks(100, Fraction(95, 100)) == (90, 100)
    assert order_statistic_ranks(0.95, 100) == (90, 100)


@pytest.mark.parametrize(("n", "q"), [(100, Fraction(1, 2)), (40, Fraction(1, 4)), (400, Fraction(99, 100))])
def test_order_statistic_ranks_match_exact_binomial_sums(n: int, q: Fraction) -> None:
    assert order_statistic_ranks(float(q), n) == hand_ranks(n, q)


def test_runs_needed_for_the_99th_percentile_is_368() -> None:
    # The upper rank u <= n needs P(B = n) = 0.99^n <= 1/40; the lower side ((1/100)^n) holds from n = 1.
    q = Fraction(99, 100)
    assert q**367 > TAIL  # 0.99^367 ≈ 0.02501
    assert q**368 <= TAIL  # 0.99^368 ≈ 0.02476
    assert runs_needed(0.99) == 368


def test_runs_needed_for_the_95th_percentile_and_the_median() -> None:
    # 0.95^71 ≈ 0.0262 > 1/40 >= 0.95^72 ≈ 0.0249; median: 0.5^5 = 1/32 > 1/40 >= 0.5^6 = 1/64.
    assert Fraction(95, 100) ** 71 > TAIL >= Fraction(95, 100) ** 72
    assert runs_needed(0.95) == 72
    assert runs_needed(0.5) == 6


def test_quantile_estimate_of_0_to_99_is_the_95th_value_between_ranks_90_and_100() -> None:
    values = np.arange(100, dtype=np.float64)[::-1].copy()  # order of the runs does not matter
    estimate = quantile_estimate(values, 0.95)
    # rank ⌈0.95 · 100⌉ = 95 → value 94; ranks 90 and 100 → 89 and 99
    assert (estimate.value, estimate.low, estimate.high) == (94.0, 89.0, 99.0)
    assert estimate.runs == 100 and estimate.runs_needed is None
    assert "order-statistic" in estimate.method


def test_a_tail_quantile_without_enough_runs_is_no_number_and_says_how_many_runs_it_needs() -> None:
    estimate = quantile_estimate(np.arange(100, dtype=np.float64), 0.99)
    assert estimate.value is None and estimate.low is None and estimate.high is None
    assert estimate.runs_needed == 368
    assert not estimate.printable
    assert quantile_estimate([5.0], 0.95).runs_needed == 72


def test_quantile_estimate_with_ties_brackets_the_tied_value() -> None:
    # 100 runs, 96 lose nothing: the 95th value and rank 90 are 0; rank 100 is the largest loss.
    values = np.zeros(100)
    values[-4:] = (10.0, 20.0, 30.0, 40.0)
    estimate = quantile_estimate(values, 0.95)
    assert (estimate.value, estimate.low, estimate.high) == (0.0, 0.0, 40.0)


def test_mean_estimate_is_deterministic_and_brackets_a_known_mean() -> None:
    values = np.arange(100, dtype=np.float64)
    first, second = mean_estimate(values), mean_estimate(values)
    assert first == second  # same runs, same bounds, bit for bit
    assert first.value == 49.5
    # Normal approximation: 49.5 ± 1.96 · σ/√n with σ = √((100² − 1)/12) ≈ 28.866 → ± 5.658.
    # Tolerance 1.0: the Monte-Carlo error of a 2.5% quantile of 2,000 resamples is
    # √(0.025 · 0.975 / 2000) / φ(1.96) · σ/√n ≈ 0.17, so 1.0 is about six standard errors.
    assert first.low is not None and first.high is not None
    assert abs(first.low - (49.5 - 5.658)) < 1.0
    assert abs(first.high - (49.5 + 5.658)) < 1.0
    assert "bootstrap percentile" in first.method


def test_mean_estimate_of_equal_values_and_of_one_run() -> None:
    equal = mean_estimate([7.0, 7.0, 7.0])
    assert (equal.value, equal.low, equal.high) == (7.0, 7.0, 7.0)
    single = mean_estimate([7.0])
    # one run is its own mean; an interval needs two
    assert (single.value, single.low, single.high, single.runs_needed) == (7.0, None, None, None)


def test_mean_estimate_of_mostly_zero_losses_is_defined() -> None:
    values = np.zeros(50)
    values[3] = 1.0
    estimate = mean_estimate(values)  # BCa would divide 0 by 0 here; the percentile interval is defined
    assert estimate.value == 0.02
    assert estimate.low == 0.0
    assert estimate.high is not None and 0.02 < estimate.high <= 0.1


def test_proportion_estimate_is_clopper_pearson() -> None:
    # 0 of 10: upper bound solves (1 − p)^10 = 0.025 → p = 1 − 0.025^(1/10) ≈ 0.308497
    none = proportion_estimate(0, 10)
    assert (none.value, none.low) == (0.0, 0.0)
    assert none.high == pytest.approx(1 - 0.025 ** (1 / 10), rel=1e-9)
    # 10 of 10: the mirror image
    every = proportion_estimate(10, 10)
    assert every.low == pytest.approx(0.025 ** (1 / 10), rel=1e-9) and every.high == 1.0


def test_ratio_estimate_resamples_runs_whole() -> None:
    estimate = ratio_estimate([0.0, 3600.0, 7200.0], [2.0, 1.0, 1.0])
    # (0 + 3600 + 7200) / 4 = 2700; every resample's ratio lies between the smallest and largest run ratio
    assert estimate.value == 2700.0
    assert estimate.low is not None and estimate.high is not None
    assert 0.0 <= estimate.low <= 2700.0 <= estimate.high <= 7200.0
    assert ratio_estimate([1.0, 2.0, 3.0], [1.0, 1.0, 2.0]) == ratio_estimate([1.0, 2.0, 3.0], [1.0, 1.0, 2.0])


def test_estimators_refuse_bad_input_by_name() -> None:
    with pytest.raises(InvalidParameter, match="values"):
        mean_estimate([])
    with pytest.raises(InvalidParameter, match="finite"):
        quantile_estimate([1.0, float("nan")], 0.5)
    with pytest.raises(InvalidParameter, match="quantile"):
        quantile_estimate([1.0], 1.0)
    with pytest.raises(InvalidParameter, match="denominators"):
        ratio_estimate([1.0], [0.0])
    with pytest.raises(InvalidParameter, match="successes"):
        proportion_estimate(3, 2)
