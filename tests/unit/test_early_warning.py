"""Early warnings (``ringfence.risk.early_warning``): liquidation price, touch probability, EWMA volatility, records.

Expected values are computed by hand or with ``scipy.stats.norm`` (an implementation independent
of the module's compiled ``erfc`` loop).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import norm  # type: ignore[import-untyped]

from ringfence.core.errors import InvalidParameter
from ringfence.risk.early_warning import (
    SECONDS_PER_YEAR,
    WARNING_DTYPE,
    account_probability,
    ewma_annual_volatility,
    liquidation_price,
    touch_probability,
    warnings_at,
)


def test_liquidation_price_of_a_long_and_a_short_by_hand() -> None:
    # long 1 at 100, m = 5%, surplus 10: slope 1 - 0.05 = 0.95, L = 100 - 10 / 0.95
    # short 2 at 100, m = 5%, surplus 10: slope -2 - 0.1 = -2.1, L = 100 + 10 / 2.1
    prices = liquidation_price(100.0, [1.0, -2.0], 0.05, [10.0, 10.0])
    assert prices[0] == pytest.approx(100.0 - 10.0 / 0.95, rel=1e-15)
    assert prices[1] == pytest.approx(100.0 + 10.0 / 2.1, rel=1e-15)


def test_liquidation_price_refuses_a_flat_position_and_a_maintenance_rate_of_one() -> None:
    with pytest.raises(InvalidParameter):
        liquidation_price(100.0, 0.0, 0.05, 10.0)
    with pytest.raises(InvalidParameter):
        liquidation_price(100.0, 1.0, 1.0, 10.0)


def test_touch_probability_matches_the_reflection_formula_at_drift_zero() -> None:
    # long 1 at 100, m = 5%, surplus 10 -> L = 89.47...; sigma 80%/yr, 4 hours
    sigma, horizon = 0.8, 4.0 * 3600.0 / SECONDS_PER_YEAR
    barrier = 100.0 - 10.0 / 0.95
    a = math.log(100.0 / barrier)
    m = 0.5 * sigma**2  # drift 0: the log-drift -sigma^2/2 points towards a long's barrier
    root = sigma * math.sqrt(horizon)
    expected = norm.cdf((-a + m * horizon) / root) + math.exp(2 * m * a / sigma**2) * norm.cdf(
        (-a - m * horizon) / root
    )
    got = touch_probability(100.0, 1.0, 0.05, 10.0, sigma, horizon)
    assert float(got) == pytest.approx(expected, rel=1e-9)  # two erfc implementations agree to ~1e-15


def test_touch_probability_edge_cases_are_one_or_zero() -> None:
    # at or below maintenance -> 1; a long its own price cannot liquidate (L <= 0) -> 0; a still price -> 0
    got = touch_probability(
        [100.0, 100.0, 100.0], [1.0, 1.0, -1.0], [0.05, 0.05, 0.05], [0.0, 200.0, 10.0], [0.8, 0.8, 0.0], 0.01
    )
    assert got.tolist() == [1.0, 0.0, 0.0]


def test_touch_probability_rises_with_volatility_and_horizon() -> None:
    low = float(touch_probability(100.0, 1.0, 0.05, 10.0, 0.4, 0.001))
    high_vol = float(touch_probability(100.0, 1.0, 0.05, 10.0, 0.8, 0.001))
    long_horizon = float(touch_probability(100.0, 1.0, 0.05, 10.0, 0.4, 0.01))
    assert low < high_vol
    assert low < long_horizon


def test_ewma_annual_volatility_by_hand() -> None:
    r1, r2 = math.log(1.1), math.log(0.9)
    periods = SECONDS_PER_YEAR / 3600.0
    got = ewma_annual_volatility([100.0, 110.0, 99.0], 3600.0)
    assert math.isnan(got[0])
    assert got[1] == pytest.approx(abs(r1) * math.sqrt(periods), rel=1e-12)
    assert got[2] == pytest.approx(math.sqrt((0.94 * r1**2 + 0.06 * r2**2) * periods), rel=1e-12)


def test_ewma_annual_volatility_has_no_look_ahead() -> None:
    base = ewma_annual_volatility([100.0, 101.0, 99.0, 100.0], 900.0)
    changed = ewma_annual_volatility([100.0, 101.0, 99.0, 140.0], 900.0)
    np.testing.assert_array_equal(base[:3], changed[:3])
    assert base[3] != changed[3]


def test_account_probability_bounds_by_hand() -> None:
    lower, upper = account_probability(np.array([0, 0, 1, 2, 2]), [0.2, 0.5, 0.1, 0.6, 0.7], 4)
    assert lower.tolist() == [0.5, 0.1, 0.7, 0.0]
    assert upper.tolist() == pytest.approx([0.7, 0.1, 1.0, 0.0], abs=1e-15)  # 0.6 + 0.7 capped at 1


def test_warnings_are_records_at_or_above_the_threshold() -> None:
    records = warnings_at(900.0, np.array([3, 4, 5]), [0.5, 0.49, 0.9], 0.5)
    assert records.dtype == WARNING_DTYPE
    assert records["account"].tolist() == [3, 5]
    assert records["probability"].tolist() == [0.5, 0.9]
    assert set(records["threshold"].tolist()) == {0.5}
    assert set(records["time_seconds"].tolist()) == {900.0}


@pytest.mark.parametrize(("probability", "threshold"), [([0.5], 0.0), ([1.5], 0.5), ([-0.1], 0.5), ([0.5], 1.2)])
def test_warnings_refuse_out_of_range_inputs(probability: list[float], threshold: float) -> None:
    with pytest.raises(InvalidParameter):
        warnings_at(0.0, np.array([0]), probability, threshold)
