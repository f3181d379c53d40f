"""The funding index rounds against the side that pays (issue 11: it was floored for both signs).

A rising index is paid by longs, a falling one by shorts. Each accrual's exact increase is a
rational number; the index must move by at least that much in the payer's direction, so a
position settling ``size · (index − entry)`` rounded up (:func:`funding_owed_atoms`) pays at
least the exact ceiling of its exact funding. Expected values come from ``fractions.Fraction``.
"""

from __future__ import annotations

import math
from fractions import Fraction

import pytest

from ringfence.core.pool.perp_math import NS_PER_DAY, funding_index_delta_wad, funding_owed_atoms
from ringfence.core.pool.state import MarginMode, MarketParams, MarketState, Position
from ringfence.core.units import WAD

SIZE_ATOMS = 10**19
"""A base asset with 0 decimals: one index unit (1e-18 quote atom per base unit) times this size is 10
quote atoms, so the index's rounding shows in the amount a position settles."""
QUOTE_DECIMALS = 6


def _market(long_atoms: int, short_atoms: int) -> MarketState:
    params = MarketParams(
        market="X-PERP",
        base_asset="X",
        initial_margin_wad=WAD // 10,
        maintenance_margin_wad=WAD // 20,
        spread_wad=0,
        taker_fee_wad=0,
        skew_scale_atoms=3 * SIZE_ATOMS,
        max_funding_rate_per_day_wad=WAD // 100,
        open_interest_cap_atoms=10 * SIZE_ATOMS,
        pnl_weight_wad=WAD,
    )
    return MarketState(params, long_atoms=long_atoms, short_atoms=short_atoms)


def _exact_delta(price_wad: int, skew_atoms: int, elapsed_ns: int) -> Fraction:
    # price · rate · (skew / scale) · elapsed / 1 day, in quote atoms × WAD per whole base unit
    rate = Fraction(WAD // 100, WAD)
    return (
        Fraction(price_wad) * rate * Fraction(skew_atoms, 3 * SIZE_ATOMS) * elapsed_ns * 10**QUOTE_DECIMALS / NS_PER_DAY
    )


@pytest.mark.parametrize("payer_size", [SIZE_ATOMS, -SIZE_ATOMS], ids=["longs pay", "shorts pay"])
def test_payer_settles_at_least_the_ceiling_of_its_exact_funding(payer_size: int) -> None:
    # Arrange: the payer alone makes the skew, 1/3 of the skew scale; price 1.0, 7 ns elapsed
    market = _market(max(payer_size, 0), max(-payer_size, 0))
    price_wad, elapsed_ns = WAD, 7
    exact_delta = _exact_delta(price_wad, payer_size, elapsed_ns)
    assert exact_delta.denominator != 1  # the premise: the exact index move is not a whole number

    # Act
    delta = funding_index_delta_wad(market, price_wad, elapsed_ns, QUOTE_DECIMALS)
    owed = funding_owed_atoms(Position(payer_size, 0, 0, MarginMode.CROSS), delta, 0)

    # Assert: the index moves by the exact amount rounded in the payer's direction (up for longs, down
    # for shorts), and the payer settles at least ⌈size · exact / WAD⌉
    expected_delta = math.ceil(exact_delta) if payer_size > 0 else math.floor(exact_delta)
    assert delta == expected_delta
    exact_owed = Fraction(payer_size) * exact_delta / WAD
    assert owed >= math.ceil(exact_owed)


def test_balanced_market_accrues_no_funding() -> None:
    market = _market(SIZE_ATOMS, SIZE_ATOMS)
    assert funding_index_delta_wad(market, WAD, 10**9, QUOTE_DECIMALS) == 0
