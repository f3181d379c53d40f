"""Margin rates and haircuts from volatility and depth, on worked numbers computed by hand.

Formulas (``ringfence.risk.risk_margin``): rate = z_α σ √h + Y σ_day √(Q/V_day) (Basel II ¶156/¶162,
square-root law of Tóth et al. 2011); haircut = 1 − exp(−(z_α σ √h + Y σ_day √(Q/V_day))).
``z_α`` comes from ``statistics.NormalDist`` (the standard library's own inverse normal), not from
the scipy function the module uses. 1/√365 = 0.052342392259.
"""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np
import pytest

from ringfence.core.errors import InvalidParameter
from ringfence.risk.risk_margin import (
    collateral_haircut,
    liquidity_haircut,
    margin_rate,
    price_haircut,
    price_risk_rate,
    quantile_factor,
    square_root_slippage,
)

Z99 = NormalDist().inv_cdf(0.99)  # 2.3263478740408408
# Hand figures carry 10 significant digits: rounded by at most 5e-10 relative.
HAND = 1e-9


def test_quantile_factor_is_the_normal_quantile():
    assert quantile_factor(0.99) == pytest.approx(2.3263478740408408, rel=1e-12)
    assert quantile_factor(0.975) == pytest.approx(1.959963984540054, rel=1e-12)


def test_margin_rate_worked_example():
    # Arrange: σ = 80% a year, liquidation within 1 day, 99%; liquidate $1m into $100m of daily volume, Y = 1.
    # price move: z σ √h = 2.3263478740 · 0.8 · 0.05234239226 = 0.09741329036
    # slippage:   Y σ_day √(Q/V) = 1 · 0.8 · 0.05234239226 · √0.01 = 0.004187391381
    # rate = 0.09741329036 + 0.004187391381 = 0.1016006817 (10.16% of notional)

    # Act
    rate = margin_rate(0.8, 1 / 365, 0.99, 1_000_000.0, 100_000_000.0, 1.0)

    # Assert
    assert price_risk_rate(0.8, 1 / 365, 0.99) == pytest.approx(0.09741329036, rel=HAND)
    assert square_root_slippage(1_000_000.0, 100_000_000.0, 0.8, 1.0) == pytest.approx(0.004187391381, rel=HAND)
    assert rate == pytest.approx(0.1016006817, rel=HAND)
    assert rate == pytest.approx(Z99 * 0.8 / math.sqrt(365) + 0.8 / math.sqrt(365) * 0.1, rel=1e-14)


def test_margin_rate_per_market_broadcasts():
    # Three markets: the worked one, the same with 4x the size (slippage doubles) and one with infinite depth.
    volatility = np.array([0.8, 0.8, 0.5])
    notional = np.array([1e6, 4e6, 1e6])
    volume = np.array([1e8, 1e8, np.inf])

    rates = margin_rate(volatility, 1 / 365, 0.99, notional, volume)

    # market 1: 0.09741329036 + 2 · 0.004187391381 = 0.1057880731; market 2: 2.3263478740 · 0.5 · 0.05234239226
    assert rates == pytest.approx([0.1016006817, 0.1057880731, 0.06088330648], rel=HAND)


def test_collateral_haircut_worked_example():
    # Arrange: σ = 100% a year, 2-day horizon, 99%; sell $4m into $100m of daily volume, Y = 0.5.
    # price:     z σ √h = 2.3263478740 · √(2/365) = 2.3263478740 · 0.07402332102 = 0.1722039955
    # liquidity: 0.5 · 0.05234239226 · √0.04 = 0.005234239226
    # price haircut 1 − e^−0.1722039955 = 0.1581925693; liquidity haircut 1 − e^−0.005234239226 = 0.005220564465
    # haircut 1 − e^−0.1774382347 = 1 − 0.8418074307 · 0.9947794355 = 0.1625872792

    # Act
    haircut = collateral_haircut(1.0, 2 / 365, 0.99, 4e6, 1e8, 0.5)

    # Assert
    assert price_haircut(1.0, 2 / 365, 0.99) == pytest.approx(0.1581925693, rel=HAND)
    assert liquidity_haircut(4e6, 1e8, 1.0, 0.5) == pytest.approx(0.005220564465, rel=HAND)
    assert haircut == pytest.approx(0.1625872792, rel=HAND)


def test_haircut_of_a_wild_asset_stays_below_one_without_a_cap():
    # σ = 500% a year, 1-month horizon, 99%, sell $1m into $1m of daily volume (Y = 1):
    # price 2.3263478740 · 5 · √(1/12) = 3.357793928; liquidity 5 · 0.05234239226 · 1 = 0.2617119613
    # haircut 1 − e^−3.619505890 = 0.9732040866: a linear rate would say 362%, the haircut keeps 2.7% of the value.
    haircut = collateral_haircut(5.0, 1 / 12, 0.99, 1e6, 1e6)

    assert haircut == pytest.approx(0.9732040866, rel=HAND)


def test_a_larger_size_or_a_thinner_book_raises_the_haircut():
    haircuts = collateral_haircut(0.6, 1 / 365, 0.99, np.array([1e5, 1e6, 1e6]), np.array([1e8, 1e8, 1e7]))

    assert haircuts[0] < haircuts[1] < haircuts[2]


@pytest.mark.parametrize(
    ("field", "arguments"),
    [
        ("volatility", (-0.1, 1 / 365, 0.99, 1e6, 1e8)),
        ("volatility", (float("nan"), 1 / 365, 0.99, 1e6, 1e8)),
        ("horizon_years", (0.8, 0.0, 0.99, 1e6, 1e8)),
        ("confidence", (0.8, 1 / 365, 0.5, 1e6, 1e8)),
        ("confidence", (0.8, 1 / 365, 1.0, 1e6, 1e8)),
        ("notional_usd", (0.8, 1 / 365, 0.99, -1.0, 1e8)),
        ("daily_volume_usd", (0.8, 1 / 365, 0.99, 1e6, 0.0)),
        ("daily_volume_usd", (0.8, 1 / 365, 0.99, 1e6, float("nan"))),
    ],
)
def test_bad_inputs_raise_a_named_error_and_are_never_clipped(field: str, arguments: tuple[float, ...]):
    with pytest.raises(InvalidParameter) as error:
        margin_rate(*arguments)
    assert error.value.field == field


def test_negative_impact_coefficient_is_refused():
    with pytest.raises(InvalidParameter) as error:
        square_root_slippage(1e6, 1e8, 0.8, -1.0)
    assert error.value.field == "impact_coefficient"
