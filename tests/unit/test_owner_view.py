"""The owner view (``ringfence.risk.owner_view``) on a hand-built book, against formulas typed out here.

One isolated ETH long: 1 ETH at 2,000 USDC, a vault of 300 USDC, maintenance 5% (100 USDC), no
unrealised PnL. Its surplus is 300 − 100 = 200 USD, so its own liquidation price is
``L = S − surplus / (q − |q| m) = 2,000 − 200 / 0.95 = 1,789.4736842...``, the price must fall
``200 / 0.95 / 2,000 = 10.526...%`` to reach it, and its health is 300 / 100 = 3.
"""

from __future__ import annotations

import math

import pytest
from scipy import stats

from ringfence.core.errors import InvalidParameter
from ringfence.core.pool.state import MarginMode
from ringfence.core.units import WAD
from ringfence.risk import liquidation_probability
from ringfence.risk.owner_book import OwnerBook, OwnerPosition
from ringfence.risk.owner_view import RiskInputs, owner_view

USDC = 10**6
LONG = OwnerPosition(
    sub_account=1,
    pool="eth",
    market="ETH-PERP",
    base_asset="ETH",
    quote_asset="USDC",
    mode=MarginMode.ISOLATED,
    size_atoms=10**18,
    base_decimals=18,
    quote_decimals=6,
    price_wad=2_000 * WAD,
    margin_atoms=300 * USDC,
    maintenance_equity_atoms=0,
    maintenance_atoms=100 * USDC,
    floor_atoms=200 * USDC,
    unit_surplus_value_atoms=200 * USDC,
    movable=True,
)
BOOK = OwnerBook("frank", {1: {"USDC": 50 * USDC}}, (LONG,), {"USDC": 6, "ETH": 18})


def first_passage_long(spot: float, barrier: float, sigma: float, years: float) -> float:
    """P(min of a driftless GBM price ≤ barrier within T): Shreve II §7.2 with log-drift −σ²/2 (typed out here)."""
    a = math.log(spot / barrier)
    m = sigma**2 / 2  # the log-drift towards the barrier: −(μ − σ²/2) with μ = 0
    root = sigma * math.sqrt(years)
    return float(
        stats.norm.cdf((-a + m * years) / root)
        + math.exp(2 * m * a / sigma**2) * stats.norm.cdf((-a - m * years) / root)
    )


def test_without_volatilities_the_view_has_health_and_distance_but_no_probability() -> None:
    (vault,) = owner_view(BOOK).vaults

    assert vault.health == 3.0
    assert vault.liquidation_price == pytest.approx(2_000 - 200 / 0.95, rel=1e-12)
    assert vault.distance == pytest.approx(200 / 0.95 / 2_000, rel=1e-12)
    assert vault.probability is None
    assert owner_view(BOOK).allocations == ()


def test_with_a_volatility_the_probability_is_the_first_passage_and_no_monte_carlo_runs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # a test double, said so: the Monte-Carlo account probability raises if anything calls it
    def forbidden(*_: object, **__: object) -> None:
        raise AssertionError("the owner view ran a Monte-Carlo simulation")

    monkeypatch.setattr(liquidation_probability, "account_liquidation_probability", forbidden)
    inputs = RiskInputs({"ETH": 0.8}, 86_400)

    view = owner_view(BOOK, inputs)

    (vault,) = view.vaults
    expected = first_passage_long(2_000.0, 2_000 - 200 / 0.95, 0.8, 86_400 / (365 * 86_400))
    assert vault.probability == pytest.approx(expected, rel=1e-9)
    assert view.any_probability == pytest.approx(expected, rel=1e-9)
    (allocation,) = view.allocations
    # one vault and 50 USDC idle in its own sub-account: everything goes into the vault
    assert allocation.idle_atoms == {1: 50 * USDC}
    assert list(allocation.result.target.margins_atoms) == [350 * USDC]
    assert allocation.result.suggested
    assert allocation.commands == (
        {"type": "AdjustIsolatedMargin", "owner": "frank", "sub_account": "1", "pool": "eth", "market": "ETH-PERP",
         "delta": "50"},
    )  # fmt: skip


def test_a_missing_volatility_is_named() -> None:
    with pytest.raises(InvalidParameter, match="ETH"):
        owner_view(BOOK, RiskInputs({"WBTC": 0.6}, 86_400))
