"""Issue 11's account and LP defects, each reproduced, with the numbers worked by hand.

ETH at 2,000 USDC, USDC at par; ETH has 18 decimals, USDC 6. Every command runs through the
:class:`~ringfence.service.engine.Engine` and ``check_conservation`` runs after each one. The
expected values come from the arithmetic in the comments or from ``fractions.Fraction``.
"""

from __future__ import annotations

import dataclasses
import math
from fractions import Fraction

from test_credit_lines import open_line as open_credit_line
from test_credit_lines import venue as credit_venue

import support.venue
from ringfence.core.commands import Withdraw
from ringfence.core.errors import InsufficientBalance, InsufficientMargin
from ringfence.core.margin import MarginKind
from ringfence.core.pool.commands import (
    AddMarket,
    AdjustIsolatedMargin,
    CreatePool,
    ProvideLiquidity,
    RemoveLiquidity,
    Trade,
)
from ringfence.core.pool.decide import pool_nav_atoms
from ringfence.core.pool.events import LiquidityProvided, LiquidityRemoved
from ringfence.core.pool.position_margin import margin_snapshot
from ringfence.core.pool.state import MarginMode
from support.venue import ETH, LP_ATOMS, MARKET, MARKET_PARAMS, PERCENT, POOL, POOL_PARAMS, USDC, WAD, only

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


# --- 2. LP shares are priced at a NAV that includes funding owed but not yet settled -------------

DAY_NS = 86_400 * 10**9
FUNDING_MARKET = dataclasses.replace(
    MARKET_PARAMS, skew_scale_atoms=1_000 * ETH, max_funding_rate_per_day_wad=10 * PERCENT
)
"""Skew scale 1,000 ETH, funding up to 10% a day: a 50 ETH skew pays 10% · 50/1000 = 0.5% a day."""


def test_new_lp_shares_the_premium_with_old_lps_but_not_the_funding_owed_before_it_joined() -> None:
    # Arrange: lp holds 1,000,000 USDC of shares; trader longs 50 ETH at 2000·(1 + 50/(2·1000)) = 2,050
    # (open notional 102,500), then 30 days pass at 2,000 with nothing touching the market
    venue = support.venue.Venue(POOL_PARAMS, FUNDING_MARKET, lp_atoms=1_000_000 * USDC)
    venue.deposit("trader", 50_000 * USDC)
    assert venue.trade("trader", 50 * ETH).new_open_notional_atoms == 102_500 * USDC
    venue.quote_prices(2_000 * WAD, advance_ns=30 * DAY_NS)
    venue.deposit("lp2", 500_000 * USDC)

    # Act 1: lp2 deposits 500,000 USDC
    provided = only(venue.run(ProvideLiquidity("lp2", 0, POOL, 500_000 * USDC, venue.now)), LiquidityProvided)

    # Assert 1: funding owed = 50 · 2000 · 0.5% · 30 = 15,000 USDC (an exact index move: 300 USDC per ETH);
    # PnL at the oracle 100,000 − 102,500 = −2,500. NAV = 1,000,000 + 2,500 + 15,000 = 1,017,500 USDC
    nav = Fraction(1_017_500 * USDC)
    shares = math.floor(Fraction(500_000 * USDC) * 1_000_000 * USDC / nav)
    assert provided.shares == shares

    # Act 2: the trader closes at 2000·(1 + (50 − 0)/(2·1000)) = 2,050 (PnL 0) and settles its funding
    closed = venue.trade("trader", -50 * ETH)
    assert (closed.realised_pnl_atoms, closed.funding_paid_atoms) == (0, 15_000 * USDC)
    removed = only(venue.run(RemoveLiquidity("lp2", 0, POOL, shares, venue.now)), LiquidityRemoved)

    # Assert 2: the vault is 1,515,000 and holds no position: lp2 redeems its share of it. The funding was
    # in the price it paid; it bears its share of the 2,500 premium the close gave back (on a NAV without
    # the funding it would have bought 498,753 shares and redeemed about 504,176: +4,176 from lp)
    expected = math.floor(Fraction(shares) * 1_515_000 * USDC / (1_000_000 * USDC + shares))
    assert removed.amount_atoms == expected
    assert 499_176 * USDC < removed.amount_atoms < 500_000 * USDC
    venue.assert_replay_equals_live()


def test_lp_redemption_counts_funding_owed_to_the_pool() -> None:
    # Arrange: as above, 30 days of skew; lp redeems a tenth of its shares before anyone touches the market
    venue = support.venue.Venue(POOL_PARAMS, FUNDING_MARKET, lp_atoms=1_000_000 * USDC)
    venue.deposit("trader", 50_000 * USDC)
    venue.trade("trader", 50 * ETH)
    venue.quote_prices(2_000 * WAD, advance_ns=30 * DAY_NS)

    # Act
    removed = only(venue.run(RemoveLiquidity("lp", 0, POOL, 100_000 * USDC, venue.now)), LiquidityRemoved)

    # Assert: NAV low = 1,000,000 + 2,500 + 15,000 − 1 atom (the PnL's floor, one open position; the funding
    # is exact) = 1,017,499.999999; a tenth of it, floored
    assert removed.amount_atoms == (1_017_500 * USDC - 1) // 10


# --- 5. deposit-weight scaling counts the deposits of one pool ----------------------------------


USD_VALUE = 10**6
"""Value atoms per USD (``VALUE_DECIMALS`` = 6)."""


def _two_pool_venue() -> support.venue.Venue:
    """Pool P and a second pool Q with the same ETH perp; ETH's IM weight (80%) scales past 10,000 USD.

    Q is created in the genesis (once the venue is open a pool needs a timelocked proposal).
    """
    venue = support.venue.Venue(
        POOL_PARAMS, MARKET_PARAMS, eth_weight_scale_start_value=10_000 * USD_VALUE, in_genesis=True
    )
    venue.run(CreatePool("Q", "perp", 1, POOL_PARAMS, venue.now))
    venue.run(AddMarket("Q", MARKET_PARAMS, venue.now))
    venue.finish_genesis()
    venue.deposit("lp", LP_ATOMS, sub=1)
    venue.run(ProvideLiquidity("lp", 1, "Q", LP_ATOMS, venue.now))
    return venue


def test_a_strangers_deposit_in_another_pool_leaves_an_accounts_scaled_weight_unchanged() -> None:
    # Arrange: frank holds 10 ETH (20,000 USD) and a cross long of 1 ETH in P at 2000.001. P's ETH deposits
    # are his 20,000 USD: weight 0.8 · 10,000 / 20,000 = 0.4, so his collateral counts 8,000 USD; his PnL at
    # the stable 2,000 is 2,000 − 2,000.001 = −0.001 USD. IM equity 7,999.999; requirement 200
    venue = _two_pool_venue()
    venue.deposit("frank", 10 * ETH, asset="ETH")
    venue.trade("frank", 1 * ETH)
    before = margin_snapshot(venue.state, ("frank", 0), MarginKind.INITIAL, venue.now)
    assert (before.equity_atoms, before.requirement_atoms) == (7_999_999_000, 200_000_000)

    # Act: a stranger deposits 3,000 ETH and goes cross long in pool Q
    venue.deposit("stranger", 3_000 * ETH, asset="ETH")
    venue.run(Trade("stranger", 0, "Q", MARKET, 1 * ETH, MarginMode.CROSS, 0, 0, venue.now))

    # Assert: frank's initial margin is unchanged (venue-wide, his weight would fall to
    # 0.8 · 10,000 / 6,020,000 and his collateral to about 26.6 USD)
    after = margin_snapshot(venue.state, ("frank", 0), MarginKind.INITIAL, venue.now)
    assert after == before


def test_deposits_of_accounts_bound_to_the_same_pool_scale_each_others_weight() -> None:
    # Arrange: as above; then gina deposits 30 ETH and goes cross long 1 ETH in the same pool P
    venue = _two_pool_venue()
    venue.deposit("frank", 10 * ETH, asset="ETH")
    venue.trade("frank", 1 * ETH)
    venue.deposit("gina", 30 * ETH, asset="ETH")
    venue.trade("gina", 1 * ETH)

    # Assert: P's ETH deposits are 40 ETH = 80,000 USD: weight 0.8 · 10,000 / 80,000 = 0.1, frank's 20,000
    # USD count 2,000; his PnL at the stable price is still 2,000 − 2,000.001 = −0.001 USD
    after = margin_snapshot(venue.state, ("frank", 0), MarginKind.INITIAL, venue.now)
    assert after.equity_atoms == 2_000_000_000 - 1_000


# --- LP shares worth more than the vault's cash -------------------------------------------------


def test_lp_shares_worth_more_than_the_vaults_cash_are_refused_not_paid_a_cut_price() -> None:
    # Arrange: pool P (100,000 USDC of LPs) with an undrawn 50,000 line from pool L, whose room counts
    # in P's reserve; bob holds a cross long of 5 ETH from 2,000 and ETH falls to 1,800: bob owes P
    # his 1,000 loss, which counts in P's NAV but is not cash in its vault
    venue = credit_venue(100_000)
    open_credit_line(venue)
    venue.deposit("bob", 10_000 * USDC)
    venue.trade("bob", 5 * ETH)
    venue.quote_prices(1_800 * WAD)
    pool = venue.state.pools[POOL]
    shares = pool.lp_shares[("lp", 0)]
    assert shares == pool.total_shares
    nav_low, _ = pool_nav_atoms(venue.state, pool, venue.now)
    assert nav_low > pool.vault_atoms  # the situation under test: about 1,000 USDC more than the cash

    # Act and assert: redeeming every share would take more than the vault's cash: refused, nothing moves.
    # (Before, the LP was paid the vault's cash for every share, a silent cut of its claim; the line's
    # room let the reserve rule pass with an empty vault.)
    error = venue.refuse(RemoveLiquidity("lp", 0, POOL, shares, venue.now), InsufficientBalance, "LP vault")
    assert isinstance(error, InsufficientBalance)
    assert (error.requested_atoms, error.available_atoms) == (nav_low, pool.vault_atoms)

    # a redemption the cash covers is paid at NAV in full
    part = shares // 4
    expected = math.floor(Fraction(part) * nav_low / shares)  # NAV's share, floored: about 25,250 USDC
    removed = only(venue.run(RemoveLiquidity("lp", 0, POOL, part, venue.now)), LiquidityRemoved)
    assert removed.amount_atoms == expected
    venue.assert_replay_equals_live()
