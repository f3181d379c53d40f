"""The path search (``ringfence.risk.allocator_paths``): the need per path, and the optimum on small cases."""

from __future__ import annotations

import numpy as np
import pytest

from ringfence.core.errors import InvalidParameter
from ringfence.lab.allocation_study import liquidated_on_paths
from ringfence.risk.allocator_paths import margin_need, path_optimal_margins, surviving_paths


def test_need_is_the_margin_below_which_the_lab_liquidates():
    rng = np.random.default_rng(3)
    prices = 50.0 * np.exp(np.cumsum(rng.normal(0.0, 0.02, (400, 30)), axis=1))
    prices[:, 0] = 50.0
    for size in (4.0, -4.0):
        need = margin_need(prices, size, 0.05)
        for margin in (10.0, 25.0, 40.0):
            np.testing.assert_array_equal(liquidated_on_paths(prices, size, margin, 0.05), margin < need)


def test_two_positions_the_search_finds_the_brute_force_optimum():
    rng = np.random.default_rng(11)
    need = rng.gamma(2.0, 10.0, (90, 2))
    collateral = 70.0
    # Brute force: the count is piecewise constant in x₁ with steps at the needs, so trying every need of
    # position 1 (and x₁ = collateral − every need of position 2, and the ends) finds the maximum.
    candidates = np.concatenate([need[:, 0], collateral - need[:, 1], [0.0, collateral]])
    candidates = candidates[(candidates >= 0.0) & (candidates <= collateral)]
    best = max(surviving_paths(need, np.array([x, collateral - x])) for x in candidates)
    for start in ((35.0, 35.0), (5.0, 65.0), (65.0, 5.0)):
        margins = path_optimal_margins(need, np.zeros(2), np.array(start), collateral)
        assert margins.sum() == pytest.approx(collateral)
        assert surviving_paths(need, margins) == best


def test_the_search_keeps_floors_and_never_does_worse_than_its_start():
    rng = np.random.default_rng(5)
    need = rng.gamma(2.0, 10.0, (500, 4))
    floors = np.array([5.0, 0.0, 10.0, 0.0])
    start = np.array([30.0, 30.0, 30.0, 30.0])
    margins = path_optimal_margins(need, floors, start, 120.0)
    assert np.all(margins >= floors - 1e-9)
    assert margins.sum() == pytest.approx(120.0)
    assert surviving_paths(need, margins) >= surviving_paths(need, start)


def test_a_start_that_does_not_add_up_is_refused():
    need = np.ones((3, 2))
    with pytest.raises(InvalidParameter):
        path_optimal_margins(need, np.zeros(2), np.array([1.0, 1.0]), 5.0)
    with pytest.raises(InvalidParameter):
        margin_need(np.ones((3, 1)), 1.0, 0.05)
