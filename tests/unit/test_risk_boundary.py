"""The exact ↔ float boundary (``risk/boundary.py``) on a venue built through the engine.

The harness venue (``tests/support/venue.py``): USDC (6 decimals, weight 100%) and ETH (18
decimals, maintenance weight 85%) at 2,000; pool P with ETH-PERP (IM 10%, MM 5%, PnL weight
50%, no spread or fee, skew scale 1,000,000 ETH).
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from ringfence.core.errors import InvalidParameter
from ringfence.core.margin_models import DydxLiquidityTier, HyperliquidMarginTable, HyperliquidMarginTier
from ringfence.core.pool.requirements import dydx_margin_model, hyperliquid_margin_model
from ringfence.core.pool.state import MarginMode
from ringfence.risk.boundary import (
    MarginAccountKey,
    book_from_state,
    confirm_candidates,
    prices_from_state,
)
from ringfence.risk.screen import ScreenStatus, screen
from support.venue import ETH, HOUR_NS, MARKET, MARKET_PARAMS, POOL, POOL_PARAMS, USDC, Venue

CROSS = MarginAccountKey("t0", 0, POOL, None)
ISOLATED = MarginAccountKey("t1", 0, POOL, MARKET)


def two_accounts() -> Venue:
    """t0: 1,000 USDC + 1 ETH, long 1 ETH cross; t1: 500 USDC, short 1 ETH isolated with a 300 USDC vault."""
    venue = Venue(POOL_PARAMS, MARKET_PARAMS)
    venue.deposit("t0", 1_000 * USDC)
    venue.deposit("t0", ETH, asset="ETH")
    venue.trade("t0", ETH)
    venue.deposit("t1", 500 * USDC)
    venue.trade("t1", -ETH, MarginMode.ISOLATED, 300 * USDC)
    return venue


def test_state_converts_to_units_and_keys():
    # Arrange
    venue = two_accounts()

    # Act
    ledger = book_from_state(venue.state)
    book = ledger.book

    # Assert
    assert ledger.assets == ("USDC", "ETH")
    assert ledger.markets == ((POOL, MARKET),)
    assert ledger.accounts == (CROSS, ISOLATED)
    assert list(book.account_isolated) == [False, True]
    assert list(book.position_size) == [1.0, -1.0]
    # fill price of the buy: 2,000 · (1 + (0 + 1) / (2 · 1,000,000)) = 2,000.001 (the skew premium), notional 2,000.001
    assert book.position_open_notional[0] == 2_000.001
    assert list(book.position_isolated_margin) == [0.0, 300.0]
    # holdings of the cross account only: 1,000 USDC at 100%, 1 ETH at 85% = 0.85
    assert list(book.holding_account) == [0, 0]
    assert list(book.holding_asset) == [0, 1]
    assert list(book.holding_weighted_amount) == [1_000.0, 0.85]
    assert list(book.market_base_asset) == [1]
    assert (book.market_maintenance_rate[0], book.market_initial_rate[0], book.market_pnl_weight[0]) == (
        0.05,
        0.10,
        0.5,
    )
    # allowance: cross 4 quote atoms + 2 value atoms + 2 holdings · 2 value atoms = 10e-6; isolated 4 quote atoms
    assert book.account_rounding_allowance == pytest.approx([10e-6, 4e-6], rel=1e-12)


def test_prices_come_from_the_oracles_and_screen_the_book():
    # Arrange
    venue = two_accounts()
    ledger = book_from_state(venue.state)

    # Act
    prices = prices_from_state(venue.state, ledger, venue.now)
    result = screen(ledger.book, prices)

    # Assert: t0: collateral 1,000 + 0.85 · 2,000 = 2,700, PnL 2,000 − 2,000.001 = −0.001; requirement 100
    assert list(prices) == [1.0, 2_000.0]
    assert result.equity[0] == pytest.approx(2_699.999, rel=1e-12)
    assert result.requirement[0] == pytest.approx(100.0, rel=1e-12)
    assert list(result.status) == [ScreenStatus.HEALTHY, ScreenStatus.HEALTHY]


def test_confirmation_sorts_candidates_into_liquidatable_and_cleared():
    # Arrange: ETH rises to 2,500: the isolated short loses about 500 against its 300 vault.
    venue = two_accounts()
    venue.quote_prices(2_500 * 10**18)
    ledger = book_from_state(venue.state)
    result = screen(ledger.book, prices_from_state(venue.state, ledger, venue.now))
    # the cross account marked uncertain by hand, so the exact engine must clear it
    forced = dataclasses.replace(result, status=np.array([ScreenStatus.UNCERTAIN, result.status[1]], dtype=np.int8))

    # Act
    confirmation = confirm_candidates(venue.state, ledger, forced, venue.now)

    # Assert
    assert result.status[1] == ScreenStatus.LIQUIDATABLE
    assert confirmation.liquidatable == (ISOLATED,)
    assert confirmation.cleared == (CROSS,)
    assert confirmation.unpriced == ()


def test_stale_oracle_leaves_accounts_unpriced_for_the_exact_engine_to_report():
    # Arrange: no quote for more than the one-hour staleness limit.
    venue = two_accounts()
    later = venue.now + HOUR_NS + 1
    ledger = book_from_state(venue.state)

    # Act
    prices = prices_from_state(venue.state, ledger, later)
    result = screen(ledger.book, prices)
    confirmation = confirm_candidates(venue.state, ledger, result, later)

    # Assert
    assert all(math.isnan(price) for price in prices)
    assert (result.status == ScreenStatus.UNPRICED).all()
    assert confirmation.unpriced == (CROSS, ISOLATED)
    assert confirmation.liquidatable == confirmation.cleared == ()


@pytest.mark.parametrize(
    ("model", "name"),
    [
        (dydx_margin_model(DydxLiquidityTier(100_000, 500_000, 10_000 * USDC, 50_000 * USDC)), "dydx_imf"),
        (hyperliquid_margin_model(HyperliquidMarginTable((HyperliquidMarginTier(0, 10),))), "hyperliquid_tiers"),
    ],
)
def test_market_with_another_margin_model_is_refused_naming_it(model, name):
    # Arrange: a position in a market whose requirement is size-dependent.
    venue = Venue(POOL_PARAMS, dataclasses.replace(MARKET_PARAMS, margin_model=model))
    venue.deposit("t0", 1_000 * USDC)
    venue.trade("t0", ETH)

    # Act / Assert
    with pytest.raises(InvalidParameter, match=rf"pools\[P\]\.markets\[ETH-PERP\]\.margin_model\.kind='{name}'.*flat"):
        book_from_state(venue.state)


def test_market_with_another_margin_model_and_no_position_does_not_block_the_book():
    # Arrange: the dYdX market holds nothing, so the book needs none of its rules.
    model = dydx_margin_model(DydxLiquidityTier(100_000, 500_000, 10_000 * USDC, 50_000 * USDC))
    venue = Venue(POOL_PARAMS, dataclasses.replace(MARKET_PARAMS, margin_model=model))

    # Act
    ledger = book_from_state(venue.state)

    # Assert
    assert ledger.book.position_count == ledger.book.account_count == 0
