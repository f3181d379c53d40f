"""The capital allocator (``ringfence.risk.allocator``): the optimum against brute force, exact integer splits.

Independent references used here:
- the per-position probability typed out from the first-passage law of Brownian motion with drift
  (Shreve II §7.2, Corollary 7.2.2) with ``scipy.stats.norm`` and the liquidation price derived by hand;
- the optimum found by **brute force**: every split of the collateral on a fine grid (2 positions)
  or on a simplex grid (3 positions), scored with that typed-out formula;
- the marginal benefit against a central finite difference of ``−log(1 − p)``;
- the largest-remainder split against hand-computed cases and ``fractions`` properties.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

from ringfence.core.errors import InvalidParameter
from ringfence.risk.allocator import (
    MarginBook,
    allocate,
    any_liquidation_probability,
    apportion,
    equal_split,
    evaluate,
    marginal_benefit,
    optimal_margins,
    position_probabilities,
)
from ringfence.risk.errors import CollateralShortfall

DAY = 1.0 / 365.0
USD = 10**6


def _by_hand(price, size, rate, equity, sigma, margin, horizon):
    """GBM (μ = 0) touch probability of a long or short, from its liquidation price derived here.

    The vault is liquidated at ``S'`` where ``x + e + q(S' − S) = |q| m S'``, so
    ``S' = (qS − x − e)/(q − |q| m)`` (q signed). With ``a = |log(S'/S)|`` and the log-drift towards
    the barrier ``ν = +σ²/2`` for a long (``μ − σ²/2`` pulls the log price down), ``−σ²/2`` for a
    short: ``Φ((−a + νT)/s) + e^{2νa/σ²} Φ((−a − νT)/s)``, ``s = σ√T``; 1 at or past the barrier,
    0 for a long with ``S' ≤ 0``.
    """
    barrier = (size * price - margin - equity) / (size - abs(size) * rate)
    if margin + equity - abs(size) * rate * price <= 0:
        return 1.0
    if barrier <= 0:
        return 0.0
    a = abs(math.log(barrier / price))
    nu = sigma**2 / 2 if size > 0 else -(sigma**2) / 2
    s = sigma * math.sqrt(horizon)
    direct = stats.norm.cdf((-a + nu * horizon) / s)
    return float(direct + math.exp(2 * nu * a / sigma**2) * stats.norm.cdf((-a - nu * horizon) / s))


def _any_by_hand(columns, margins, horizon):
    survive = 1.0
    for (price, size, rate, equity, sigma), margin in zip(columns, margins, strict=True):
        survive *= 1.0 - _by_hand(price, size, rate, equity, sigma, margin, horizon)
    return 1.0 - survive


def _any_by_hand_grid(columns, margins, horizon):
    """``_any_by_hand`` for a ``(points, positions)`` array of margins at once (the same formula, vectorised)."""
    survive = np.ones(margins.shape[0])
    for k, (price, size, rate, equity, sigma) in enumerate(columns):
        x = margins[:, k]
        barrier = (size * price - x - equity) / (size - abs(size) * rate)
        breached = x + equity - abs(size) * rate * price <= 0
        safe = ~breached & (barrier > 0)
        a = np.abs(np.log(np.where(safe, barrier, price) / price))
        nu = sigma**2 / 2 if size > 0 else -(sigma**2) / 2
        root = sigma * math.sqrt(horizon)
        p = stats.norm.cdf((-a + nu * horizon) / root) + np.exp(2 * nu * a / sigma**2) * stats.norm.cdf(
            (-a - nu * horizon) / root
        )
        p = np.where(breached, 1.0, np.where(safe, p, 0.0))
        survive *= 1.0 - p
    return 1.0 - survive


def _book(columns):
    price, size, rate, equity, sigma = (list(c) for c in zip(*columns, strict=True))
    return MarginBook.of(price, size, rate, equity, sigma)


TWO = [
    (60_000.0, 2.0, 0.025, 0.0, 0.7),  # long 2 BTC ($120k)
    (3_000.0, -20.0, 0.025, -500.0, 1.1),  # short 20 ETH ($60k) already $500 under water
]
THREE = [
    (60_000.0, 2.0, 0.025, 0.0, 0.7),
    (3_000.0, -20.0, 0.025, 0.0, 1.1),
    (2.0, 10_000.0, 0.05, 0.0, 1.4),  # long 10k ALT ($20k)
]


def test_position_probability_matches_the_reflection_principle_by_hand():
    book = _book(THREE)
    margins = np.array([6_000.0, 5_000.0, 3_000.0])
    got = position_probabilities(book, margins, DAY)
    expected = [_by_hand(*c, m, DAY) for c, m in zip(THREE, margins, strict=True)]
    # scipy's norm.cdf and the compiled erfc differ in the last bits only.
    np.testing.assert_allclose(got, expected, rtol=1e-10)
    assert any_liquidation_probability(book, margins, DAY) == pytest.approx(
        _any_by_hand(THREE, margins, DAY), rel=1e-10
    )


def test_two_positions_the_optimum_matches_a_brute_force_grid():
    book = _book(TWO)
    collateral = 12_000.0
    grid = np.linspace(0.0, collateral, 24_001)  # $0.50 apart
    scores = _any_by_hand_grid(TWO, np.column_stack([grid, collateral - grid]), DAY)
    best = int(np.argmin(scores))
    margins = optimal_margins(book, np.zeros(2), collateral, DAY)
    assert margins.sum() == pytest.approx(collateral, abs=1e-6)
    # The grid's optimum is within half a step ($0.25) of the true one; the allocator's must be too.
    assert margins[0] == pytest.approx(grid[best], abs=0.5)
    assert _any_by_hand(TWO, margins, DAY) <= min(scores) + 1e-12


def test_three_positions_the_optimum_is_no_worse_than_any_point_of_a_simplex_grid():
    book = _book(THREE)
    collateral = 15_000.0
    step = 50.0
    points = np.array(
        [(i * step, j * step) for i, j in itertools.product(range(301), repeat=2) if (i + j) * step <= collateral]
    )
    grid = np.column_stack([points, collateral - points.sum(axis=1)])
    scores = _any_by_hand_grid(THREE, grid, DAY)
    best_score, best_point = float(scores.min()), grid[int(np.argmin(scores))]
    margins = optimal_margins(book, np.zeros(3), collateral, DAY)
    assert _any_by_hand(THREE, margins, DAY) <= best_score + 1e-12
    # A $50 grid: the allocator's point lies within one grid step of the grid's best.
    np.testing.assert_allclose(margins, best_point, atol=step)


def test_floors_bind_and_the_rest_equalises_the_marginal_benefit():
    book = _book(THREE)
    floors = np.array([0.0, 0.0, 6_000.0])  # the ALT vault must keep $6k: far more than it needs
    margins = optimal_margins(book, floors, 15_000.0, DAY)
    assert margins[2] == pytest.approx(6_000.0, abs=1e-6)
    benefit = marginal_benefit(book, margins, DAY)
    assert benefit[0] == pytest.approx(benefit[1], rel=1e-6)
    assert benefit[2] < benefit[0]  # at its floor, more margin would buy less there than elsewhere


def test_marginal_benefit_matches_a_finite_difference_with_and_without_drift():
    for drift in (0.0, 0.8, -0.8):
        book = MarginBook.of([60_000.0, 3_000.0], [2.0, -20.0], 0.025, 0.0, [0.7, 1.1], drift)
        x = np.array([5_000.0, 4_000.0])
        h = 1e-2
        for i in range(2):
            up, down = x.copy(), x.copy()
            up[i] += h
            down[i] -= h
            g_up = -math.log1p(-position_probabilities(book, up, DAY)[i])
            g_down = -math.log1p(-position_probabilities(book, down, DAY)[i])
            # central difference: error O(h²·g''') is far below 1e-6 relative at h = 1 cent
            assert marginal_benefit(book, x, DAY)[i] == pytest.approx(-(g_up - g_down) / (2 * h), rel=1e-6)


def test_marginal_benefit_is_infinite_past_the_barrier_and_zero_where_margin_buys_nothing():
    # A long of 1 unit at $100 with $200 of margin: its own price cannot liquidate it (L ≤ 0).
    book = MarginBook.of([100.0, 100.0], [1.0, 1.0], 0.05, [0.0, -50.0], 0.8)
    benefit = marginal_benefit(book, np.array([200.0, 1.0]), DAY)
    assert benefit[0] == 0.0
    assert benefit[1] == math.inf


def test_allocate_sums_exactly_and_beats_the_equal_split():
    book = _book(THREE)
    collateral = 15_000 * USD + 7  # atoms that do not divide evenly
    result = allocate(book, collateral, DAY, USD)
    assert sum(result.margins_atoms) == collateral
    equal = evaluate(book, equal_split(collateral, 3), USD, DAY)
    assert result.any_probability < equal.any_probability
    margins = np.array(result.margins_atoms) / USD
    assert result.any_probability == pytest.approx(_any_by_hand(THREE, margins, DAY), rel=1e-10)


def test_allocate_refuses_floors_above_the_collateral_and_bad_input():
    book = _book(TWO)
    with pytest.raises(CollateralShortfall):
        allocate(book, 10 * USD, DAY, USD, floors_atoms=[6 * USD, 5 * USD])
    with pytest.raises(InvalidParameter):
        allocate(book, -1, DAY, USD)
    with pytest.raises(InvalidParameter):
        allocate(book, 10 * USD, DAY, USD, floors_atoms=[1])
    with pytest.raises(InvalidParameter):
        MarginBook.of([100.0], [0.0], 0.05, 0.0, 0.8)
    with pytest.raises(InvalidParameter):
        MarginBook.of([100.0], [1.0], 1.0, 0.0, 0.8)
    with pytest.raises(InvalidParameter):
        MarginBook.of([100.0], [1.0], 0.05, 0.0, 0.0)


def test_a_book_where_margin_buys_nothing_splits_the_excess_equally():
    # Longs of 1 unit at $100 with maintenance 5%: $100 of margin or more puts L at or below 0.
    book = MarginBook.of([100.0, 100.0], [1.0, 1.0], 0.05, 0.0, 0.8)
    result = allocate(book, 300 * USD + 1, DAY, USD, floors_atoms=[100 * USD, 100 * USD])
    assert result.margins_atoms == (150 * USD + 1, 150 * USD)
    assert result.any_probability == 0.0


def test_apportion_by_largest_remainder_worked_cases():
    # Excess 10 over weights 1:1:1 → quotas 3⅓ each; the leftover atom goes to the lowest index.
    assert apportion([0, 0, 0], [1.0, 1.0, 1.0], 10) == (4, 3, 3)
    # Excess 7 over weights 0.5, 0.3, 0.2 → quotas 3.5, 2.1, 1.4: floors 3, 2, 1, leftover 1 to .5
    assert apportion([5, 0, 2], [0.5, 0.3, 0.2], 14) == (9, 2, 3)
    assert apportion([0, 0], [0.0, 0.0], 5) == (3, 2)
    assert equal_split(10, 4) == (3, 3, 2, 2)
    with pytest.raises(CollateralShortfall):
        apportion([6, 5], [1.0, 1.0], 10)
    with pytest.raises(InvalidParameter):
        apportion([0, 0], [1.0, -1.0], 10)


@given(
    floors=st.lists(st.integers(0, 10**12), min_size=1, max_size=8),
    extra=st.integers(0, 10**15),
    data=st.data(),
)
def test_apportion_sums_exactly_respects_floors_and_stays_within_an_atom_of_each_quota(floors, extra, data):
    weights = data.draw(
        st.lists(st.floats(0.0, 1e9, allow_nan=False, allow_infinity=False), min_size=len(floors), max_size=len(floors))
    )
    total = sum(floors) + extra
    amounts = apportion(floors, weights, total)
    assert sum(amounts) == total
    from fractions import Fraction

    exact = [Fraction(w) for w in weights]
    if sum(exact) == 0:
        exact = [Fraction(1)] * len(floors)
    for amount, floor, w in zip(amounts, floors, exact, strict=True):
        quota = extra * w / sum(exact)
        assert amount >= floor
        assert abs((amount - floor) - quota) < 1


def test_when_no_split_can_save_every_position_the_collateral_is_still_spent_exactly():
    # Two longs already $5,000 under maintenance each, and $6,000 to share: P(any) = 1 whatever the split.
    book = MarginBook.of([100.0, 100.0], [100.0, 100.0], 0.05, [-5_500.0, -5_500.0], 0.8)
    margins = optimal_margins(book, np.zeros(2), 6_000.0, DAY)
    assert margins.sum() == pytest.approx(6_000.0, rel=1e-12)
    result = allocate(book, 6_000 * USD, DAY, USD)
    assert sum(result.margins_atoms) == 6_000 * USD
    assert result.any_probability == 1.0
