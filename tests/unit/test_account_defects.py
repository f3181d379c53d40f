"""Issue 11's account and LP defects, each reproduced, with the numbers worked by hand.

ETH at 2,000 USDC, USDC at par; ETH has 18 decimals, USDC 6. Every command runs through the
:class:`~ringfence.service.engine.Engine` and ``check_conservation`` runs after each one. The
expected values come from the arithmetic in the comments or from ``fractions.Fraction``.
"""

from __future__ import annotations

import dataclasses

import support.venue
from ringfence.core.commands import Withdraw
from ringfence.core.errors import InsufficientMargin
from ringfence.core.pool.commands import AdjustIsolatedMargin
from ringfence.core.pool.state import MarginMode
from support.venue import ETH, MARKET, MARKET_PARAMS, POOL, POOL_PARAMS, USDC, WAD

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


# --- 3. initial margin values unrealised PnL at the stable price --------------------------------


def _spiked_long() -> support.venue.Venue:
    """10,000 USDC, long 10 ETH at 2000.01 (2000·(1 + 10/(2·1e6))), then ETH quoted 14% up one second later.

    The stable price moves only on updates ≥ 10 s apart (Mango v4), so it stays at 2,000.
    """
    venue = support.venue.Venue(POOL_PARAMS, MARKET_PARAMS)
    venue.deposit("carol", 10_000 * USDC)
    venue.trade("carol", 10 * ETH)
    venue.quote_prices(2_280 * WAD)
    oracle = venue.state.oracles["ETH"]
    assert oracle.accepted_price_wad == 2_280 * WAD
    assert oracle.stable is not None and oracle.stable.stable_price_wad == 2_000 * WAD
    return venue


def test_withdrawal_after_a_spike_counts_the_long_pnl_at_the_stable_price() -> None:
    # Arrange: open notional 20,000.1 USDC; IM requirement at the oracle 10 · 2280 · 10% = 2,280.
    # PnL at min(oracle, stable) = 10 · 2000 − 20,000.1 = −0.1 (at the oracle it would be +2,799.9 · 50%).
    # Withdrawable: 10,000 − 0.1 − 2,280 = 7,719.9 USDC
    venue = _spiked_long()

    # Act / Assert: one atom past the bound is refused, the bound itself is accepted
    venue.refuse(Withdraw("carol", 0, "USDC", 7_719_900_001, venue.now), InsufficientMargin, "carol/0")
    venue.run(Withdraw("carol", 0, "USDC", 7_719_900_000, venue.now))
    assert venue.balance("carol") == 2_280_100_000


def test_isolated_margin_removal_after_a_spike_counts_the_pnl_at_the_stable_price() -> None:
    # Arrange: an isolated long of 10 ETH with 3,000 USDC in its vault, then the same spike
    venue = support.venue.Venue(POOL_PARAMS, MARKET_PARAMS)
    venue.deposit("dave", 3_000 * USDC)
    venue.trade("dave", 10 * ETH, MarginMode.ISOLATED, 3_000 * USDC)
    venue.quote_prices(2_280 * WAD)

    # Act / Assert: removable 3,000 − 0.1 − 2,280 = 719.9 USDC (at the oracle it would be 2,119.85)
    venue.refuse(AdjustIsolatedMargin("dave", 0, POOL, MARKET, -719_900_001, venue.now), InsufficientMargin, "dave/0")
    venue.run(AdjustIsolatedMargin("dave", 0, POOL, MARKET, -719_900_000, venue.now))


def test_short_pnl_counts_at_the_higher_of_oracle_and_stable() -> None:
    # Arrange: a short of 10 ETH at 1999.99 (2000·(1 − 10/(2·1e6))), open notional −19,999.9; ETH then
    # quoted 14% down. PnL at max(1720, 2000) = 19,999.9 − 20,000 = −0.1; requirement 10 · 1720 · 10% = 1,720
    venue = support.venue.Venue(POOL_PARAMS, MARKET_PARAMS)
    venue.deposit("erin", 10_000 * USDC)
    venue.trade("erin", -10 * ETH)
    venue.quote_prices(1_720 * WAD)

    # Act / Assert: withdrawable 10,000 − 0.1 − 1,720 = 8,279.9 USDC
    venue.refuse(Withdraw("erin", 0, "USDC", 8_279_900_001, venue.now), InsufficientMargin, "erin/0")
    venue.run(Withdraw("erin", 0, "USDC", 8_279_900_000, venue.now))

