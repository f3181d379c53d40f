"""Issue 11's account and LP defects, each reproduced, with the numbers worked by hand.

ETH at 2,000 USDC, USDC at par; ETH has 18 decimals, USDC 6. Every command runs through the
:class:`~ringfence.service.engine.Engine` and ``check_conservation`` runs after each one. The
expected values come from the arithmetic in the comments or from ``fractions.Fraction``.
"""

from __future__ import annotations

import dataclasses

import support.venue
from ringfence.core.errors import InsufficientMargin
from support.venue import ETH, MARKET_PARAMS, POOL_PARAMS, WAD

FEE_MARKET = dataclasses.replace(MARKET_PARAMS, taker_fee_wad=WAD // 1_000)  # 0.1% taker fee


# --- 1. a cross account whose collateral is not the quote asset ---------------------------------


def test_cross_account_with_eth_collateral_can_trade_again_and_close_after_its_fee() -> None:
    # Arrange: 10 ETH of collateral (IM value 10 · 2000 · 0.8 = 16,000), no USDC at all
    venue = support.venue.Venue(POOL_PARAMS, FEE_MARKET)
    venue.deposit("alice", 10 * ETH, asset="ETH")
    opened = venue.trade("alice", 1 * ETH)
    # the fee, 0.1% of 2,000.001 (fill at 2000·(1 + 1/(2·1e6))), is borrowed in USDC
    assert opened.fee_atoms == 2_000_001
    assert venue.balance("alice") == -2_000_001

    # Act: add to the position, then close it whole
    added = venue.trade("alice", 1 * ETH)
    closed = venue.trade("alice", -2 * ETH)

    # Assert: both fills went through; the account is flat, its quote debt is fees and realised PnL
    assert added.new_size_atoms == 2 * ETH
    assert closed.new_size_atoms == 0
    expected = -opened.fee_atoms - added.fee_atoms - closed.fee_atoms + closed.realised_pnl_atoms
    assert venue.balance("alice") == expected
    assert venue.balance("alice", "ETH") == 10 * ETH
    venue.assert_replay_equals_live()


def test_cross_account_in_quote_debt_still_needs_initial_margin_to_add_risk() -> None:
    # Arrange: 1 ETH of collateral is 1,600 of IM value; a 1 ETH long needs 200 (10%)
    venue = support.venue.Venue(POOL_PARAMS, FEE_MARKET)
    venue.deposit("bob", 1 * ETH, asset="ETH")
    venue.trade("bob", 1 * ETH)
    assert venue.balance("bob") < 0

    # Act / Assert: 8 more ETH would need 9 · 2000 · 10% = 1,800 > 1,600: refused as a margin shortfall,
    # not as a missing balance; closing needs no margin and goes through
    venue.refuse(venue.trade_command("bob", 8 * ETH), InsufficientMargin, "bob/0")
    assert venue.trade("bob", -1 * ETH).new_size_atoms == 0
