"""Unit tests of liquidation inside a pool: verification, sizing, penalty, and the in-pool waterfall.

Every expected number is computed independently of the code under test: by hand, with the
arithmetic in the comment beside it, or with ``fractions.Fraction`` as a second
implementation. To keep the liquidation arithmetic readable the market has no spread, no
taker fee and no funding; the skew premium stays (skew scale 1,000,000 ETH), so a long of
10 ETH from skew 0 fills at 2000·(1 + 10/2e6) = 2000.01. Pool: 100,000 USDC of LP, 5,000 USDC
of insurance, IM 10%, MM 5%, close factor 50%, penalty 2% (half to the keeper), insurance draw
cap 1,000 USDC per hour. USDC has 6 decimals, ETH 18.

Every command runs through the :class:`~ringfence.service.engine.Engine`, and
``check_conservation`` runs after each one (every asset, to the atom).
"""

from __future__ import annotations

import copy
import dataclasses
import math
from fractions import Fraction

import support.venue
from ringfence.core.commands import Withdraw
from ringfence.core.errors import CommandRejected, InsufficientMargin, Unauthorized
from ringfence.core.liquidation.kinds import LiquidationReason
from ringfence.core.margin import MarginKind
from ringfence.core.pool.events import (
    InsuranceDrawn,
    LiquidationRecorded,
    LossSocialised,
    PoolStatusChanged,
    PositionLiquidated,
)
from ringfence.core.pool.liquidation_policy import LiquidationPolicy
from ringfence.core.pool.position_margin import margin_snapshot
from ringfence.core.pool.state import MarginMode, PoolParams, PoolStatus
from ringfence.core.units import WAD
from support.venue import ETH, HOUR_NS, LP_ATOMS, MARKET, MARKET_PARAMS, PERCENT, POOL, POOL_PARAMS, USDC, none_of, only

INSURANCE_ATOMS = 5_000 * USDC


class Venue(support.venue.Venue):
    """The shared venue with this module's pool and market, 100k LP and 5k insurance."""

    def __init__(self, pool: PoolParams = POOL_PARAMS) -> None:
        super().__init__(pool, MARKET_PARAMS, insurance_atoms=INSURANCE_ATOMS)

    def open_isolated_long_of_ten(self, owner: str, sub: int = 0) -> None:
        """Isolated long 10 ETH with 2,100 USDC of margin (deposited first)."""
        self.deposit(owner, 2_100 * USDC, sub)
        self.trade(owner, 10 * ETH, MarginMode.ISOLATED, 2_100 * USDC, sub)


# --- verification -----------------------------------------------------------------------------


def test_healthy_isolated_position_cannot_be_liquidated() -> None:
    # Arrange: isolated long 10 ETH at 2000.01 (basis 20_000_100_000) with 2_100 USDC margin, ETH at 2000
    venue = Venue()
    venue.open_isolated_long_of_ten("alice")

    # Act / Assert: equity 2_100_000_000 + 20_000_000_000 − 20_000_100_000 = 2_099_900_000;
    # requirement ceil(20_000_000_000·0.05) = 1_000_000_000
    venue.refuse(
        venue.liquidate_command("alice"),
        CommandRejected,
        "alice/0 is not liquidatable: maintenance equity 2099900000 covers its requirement 1000000000",
    )


def test_self_liquidation_is_refused() -> None:
    # Arrange: an underwater isolated position (ETH 2000 → 1500)
    venue = Venue()
    venue.open_isolated_long_of_ten("alice")
    venue.quote_prices(1_500 * WAD)

    # Act / Assert
    venue.refuse(venue.liquidate_command("alice", keeper="alice"), Unauthorized, "never liquidates its own")


# --- isolated liquidation ---------------------------------------------------------------------


def test_isolated_liquidation_closes_ceil_of_close_factor_with_penalty_split_by_hand() -> None:
    # Arrange: long 10 ETH isolated, then sell back one atom so the size is odd: 9_999_999_999_999_999_999.
    # That atom's removed basis is ceil(20_000_100_000/1e19) = 1 and its value floor(2000·1e-12) = 0:
    # PnL −1, so the basis is 20_000_099_999 and the vault 2_099_999_999.
    venue = Venue()
    venue.open_isolated_long_of_ten("alice")
    reduced = venue.trade("alice", -1, MarginMode.ISOLATED)
    assert (reduced.realised_pnl_atoms, reduced.new_open_notional_atoms) == (-1, 20_000_099_999)
    size = 10 * ETH - 1
    # ETH to 1850.0000001: equity ≈ 2100 + 18_500 − 20_000.1 = 599.9 USDC < maintenance ≈ 925 USDC
    price_wad = 18_500_000_001 * 10**11
    venue.quote_prices(price_wad)
    keeper_before = venue.balance("keeper")
    pool = venue.state.pools[POOL]
    vault_before, insurance_before = pool.vault_atoms, pool.insurance_atoms

    # Act
    change = only(venue.liquidate("alice"), PositionLiquidated)

    # Assert: closed size ceil(9_999_999_999_999_999_999·0.5 = 4_999_999_999_999_999_999.5) = 5e18
    closed = 5 * ETH
    assert closed == math.ceil(Fraction(size, 2))
    assert (change.size_delta_atoms, change.new_size_atoms) == (-closed, size - closed)
    assert change.price_wad == price_wad
    # removed basis ceil(20_000_099_999·5e18/9_999_999_999_999_999_999) = ceil(10_000_049_999.500000001) =
    # 10_000_050_000; closed value floor(5·1850.0000001e6 = 9_250_000_000.5) = 9_250_000_000
    removed_basis = math.ceil(Fraction(20_000_099_999 * closed, size))
    assert removed_basis == 10_000_050_000
    assert change.realised_pnl_atoms == 9_250_000_000 - 10_000_050_000  # −750_050_000
    assert change.new_open_notional_atoms == 20_000_099_999 - 10_000_050_000
    # penalty on notional ceil(9_250_000_000.5) = 9_250_000_001: ceil(·0.02 = 185_000_000.02) = 185_000_001;
    # keeper floor(185_000_001·0.5) = 92_500_000; insurance keeps 92_500_001
    assert change.keeper_reward_atoms == 92_500_000
    assert change.insurance_penalty_atoms == 92_500_001
    assert change.shortfall_atoms == 0
    assert change.margin_released_atoms == 0
    # vault 2_099_999_999 − 750_050_000 − 185_000_001 = 1_164_949_998
    position = pool.positions[(("alice", 0), MARKET)]
    assert position.isolated_margin_atoms == 1_164_949_998
    assert venue.balance("keeper") == keeper_before + 92_500_000
    assert pool.insurance_atoms == insurance_before + 92_500_001
    assert pool.vault_atoms == vault_before + 750_050_000
    venue.assert_replay_equals_live()


def test_bankrupt_isolated_position_is_closed_whole_and_its_shortfall_goes_down_the_waterfall() -> None:
    # Arrange: isolated long 10 ETH at 2000.01 with 2_100 USDC; ETH 2000 → 1500
    venue = Venue()
    venue.open_isolated_long_of_ten("bob")
    venue.quote_prices(1_500 * WAD)

    # Act
    events = venue.liquidate("bob")

    # Assert: half would leave 2_100_000_000 + (7_500_000_000 − 10_000_050_000) = −400_050_000 < 0,
    # so the whole 10 ETH close: PnL 15_000_000_000 − 20_000_100_000 = −5_000_100_000; the account has
    # −2_900_100_000 left, so no penalty is paid and the shortfall is 2_900_100_000
    change = only(events, PositionLiquidated)
    assert (change.size_delta_atoms, change.new_size_atoms) == (-10 * ETH, 0)
    assert change.realised_pnl_atoms == -5_000_100_000
    assert (change.keeper_reward_atoms, change.insurance_penalty_atoms) == (0, 0)
    assert change.shortfall_atoms == 2_900_100_000
    assert change.margin_released_atoms == 0
    # insurance pays up to its cap of 1_000 USDC; the LPs bear 2_900_100_000 − 1_000_000_000
    drawn = only(events, InsuranceDrawn)
    assert (drawn.amount_atoms, drawn.shortfall_atoms) == (1_000 * USDC, 2_900_100_000)
    assert only(events, LossSocialised).amount_atoms == 1_900_100_000
    # 1_900_100_000 ≤ 20% of the 100_000 USDC vault: no breaker
    assert none_of(events, PoolStatusChanged)
    pool = venue.state.pools[POOL]
    assert pool.status is PoolStatus.ACTIVE
    # vault: + 5_000_100_000 (loss) − 2_900_100_000 (unpaid) + 1_000_000_000 (insurance) = + 3_100 USDC
    assert pool.vault_atoms == LP_ATOMS + 3_100 * USDC
    assert pool.insurance_atoms == INSURANCE_ATOMS - 1_000 * USDC
    assert pool.socialised_loss_atoms == 1_900_100_000
    assert pool.positions == {}
    assert venue.balance("keeper") == 0
    assert venue.balance("bob") == 0
    venue.assert_replay_equals_live()


def test_insurance_draw_cap_binds_within_the_window_and_resets_after_it() -> None:
    # Arrange: three isolated longs of 10 ETH, each with 2_100 USDC, filled at
    # 2000·(1 + 10/2e6) = 2000.01, 2000·(1 + 30/2e6) = 2000.03 and 2000·(1 + 50/2e6) = 2000.05
    venue = Venue()
    for owner in ("bob", "carol", "dan"):
        venue.open_isolated_long_of_ten(owner)
    venue.quote_prices(1_500 * WAD)
    window_start = venue.now
    pool = venue.state.pools[POOL]

    # Act 1 / Assert 1: bob's shortfall 20_000_100_000 − 15_000_000_000 − 2_100_000_000 = 2_900_100_000
    # takes the whole cap and opens the window
    bob = venue.liquidate("bob")
    assert only(bob, InsuranceDrawn).amount_atoms == 1_000 * USDC
    assert only(bob, LossSocialised).amount_atoms == 1_900_100_000
    assert (pool.insurance_window.start_ns, pool.insurance_window.used_atoms) == (window_start, 1_000 * USDC)

    # Act 2 / Assert 2: one nanosecond before the window ends the cap is spent: carol's shortfall
    # 20_000_300_000 − 15_000_000_000 − 2_100_000_000 = 2_900_300_000 is socialised whole
    venue.now = window_start + HOUR_NS - 1
    carol = venue.liquidate("carol")
    assert none_of(carol, InsuranceDrawn)
    assert only(carol, LossSocialised).amount_atoms == 2_900_300_000
    assert only(carol, PositionLiquidated).shortfall_atoms == 2_900_300_000

    # Act 3 / Assert 3: at window start + insurance_window_ns the cap is available again: dan's shortfall
    # 20_000_500_000 − 15_000_000_000 − 2_100_000_000 = 2_900_500_000
    venue.quote_prices(1_500 * WAD, advance_ns=1)
    assert venue.now == window_start + HOUR_NS
    dan = venue.liquidate("dan")
    assert only(dan, InsuranceDrawn).amount_atoms == 1_000 * USDC
    assert only(dan, LossSocialised).amount_atoms == 1_900_500_000
    assert (pool.insurance_window.start_ns, pool.insurance_window.used_atoms) == (venue.now, 1_000 * USDC)
    assert pool.insurance_atoms == INSURANCE_ATOMS - 2_000 * USDC
    assert pool.socialised_loss_atoms == 1_900_100_000 + 2_900_300_000 + 1_900_500_000
    venue.assert_replay_equals_live()


def test_nav_drawdown_breaker_makes_pool_reduce_only_while_closing_and_liquidations_go_on() -> None:
    # Arrange: drawdown limit 1% of the 100_000 USDC vault = 1_000_000_000. Bob and carol isolated long
    # 10 ETH each (2000.01, 2000.03); erin cross long 1 ETH at skew 20: 2000·(1 + 41/2e6) = 2000.041
    venue = Venue(dataclasses.replace(POOL_PARAMS, nav_drawdown_limit_wad=1 * PERCENT))
    venue.open_isolated_long_of_ten("bob")
    venue.open_isolated_long_of_ten("carol")
    venue.deposit("erin", 1_000 * USDC)
    venue.trade("erin", 1 * ETH)
    venue.deposit("frank", 1_000 * USDC)
    venue.quote_prices(1_500 * WAD)

    # Act 1: bob's shortfall 2_900_100_000; insurance 1_000_000_000; socialised 1_900_100_000 > 1_000_000_000
    events = venue.liquidate("bob")

    # Assert 1
    assert only(events, LossSocialised).amount_atoms == 1_900_100_000
    tripped = only(events, PoolStatusChanged)
    assert tripped.status == PoolStatus.REDUCE_ONLY.value
    # the window's reference is the vault after bob's liquidation settled: 100_000 + (5_000.1 − 2_900.1)
    # paid by bob's margin + 1_000 drawn from insurance = 103_100 USDC; 1% of it = 1_031_000_000
    assert tripped.reason == "NAV drawdown: LP loss 1900100000 in the window exceeds 1031000000 quote atoms"
    assert venue.state.pools[POOL].status is PoolStatus.REDUCE_ONLY

    # Assert 2: new risk is refused, for an existing position and for a new one
    venue.refuse(venue.trade_command("erin", 1 * ETH), CommandRejected, "pool P is reduce-only")
    venue.refuse(venue.trade_command("frank", -1 * ETH), CommandRejected, "pool P is reduce-only")

    # Assert 3: closing goes on. Erin sells 1 at skew 11 (carol's 10 + her 1):
    # 1500·(1 + (22 − 1)/2e6) = 1500.01575; PnL 1_500_015_750 − 2_000_041_000 = −500_025_250
    closed = venue.trade("erin", -1 * ETH)
    assert (closed.new_size_atoms, closed.realised_pnl_atoms) == (0, -500_025_250)
    assert venue.balance("erin") == 1_000 * USDC - 500_025_250

    # Assert 4: liquidation goes on; the cap is spent, so carol's 2_900_300_000 is socialised whole and
    # the breaker does not trip twice
    carol = venue.liquidate("carol")
    assert only(carol, LossSocialised).amount_atoms == 2_900_300_000
    assert none_of(carol, InsuranceDrawn)
    assert none_of(carol, PoolStatusChanged)
    assert venue.state.pools[POOL].positions == {}
    venue.assert_replay_equals_live()


def test_nav_drawdown_breaker_counts_socialised_losses_within_a_window() -> None:
    # Arrange: limit 3% of the 100_000 USDC vault = 3_000_000_000; bob and carol isolated long 10 ETH
    venue = Venue(dataclasses.replace(POOL_PARAMS, nav_drawdown_limit_wad=3 * PERCENT))
    venue.open_isolated_long_of_ten("bob")
    venue.open_isolated_long_of_ten("carol")
    venue.quote_prices(1_500 * WAD)

    # Act: bob socialises 2_900_100_000 − 1_000_000_000 (insurance) = 1_900_100_000 (1.9%); carol, in the
    # same instant with the cap spent, socialises 2_900_300_000 (2.9% of the original vault)
    bob = venue.liquidate("bob")
    carol = venue.liquidate("carol")

    # Assert: each alone is under the limit, together 4_800_400_000 > 3_000_000_000
    assert only(bob, LossSocialised).amount_atoms == 1_900_100_000
    assert only(carol, LossSocialised).amount_atoms == 2_900_300_000
    assert venue.state.pools[POOL].socialised_loss_atoms == 4_800_400_000
    assert venue.state.pools[POOL].status is PoolStatus.REDUCE_ONLY


# --- cross liquidation ------------------------------------------------------------------------


def test_cross_account_keeps_the_debt_its_collateral_backs_and_the_rest_is_bad_debt() -> None:
    # Arrange: dave holds 1 ETH of collateral and no USDC; cross long 5 ETH at 2000·(1 + 5/2e6) = 2000.005
    # (basis 10_000_025_000; IM equity 1·2000·0.8 = 1_600 USDC − 0.025 ≥ 1_000 required). ETH → 1500.
    venue = Venue()
    venue.deposit("dave", 1 * ETH, asset="ETH")
    venue.trade("dave", 5 * ETH)
    venue.quote_prices(1_500 * WAD)
    vault_before = venue.state.pools[POOL].vault_atoms

    # Act
    events = venue.liquidate("dave")

    # Assert: half (2.5 ETH) realises 3_750_000_000 − 5_000_012_500 = −1_250_012_500 from a USDC balance
    # of 0: negative, so the whole 5 ETH close: 7_500_000_000 − 10_000_025_000 = −2_500_025_000. Nothing
    # is left for the penalty. The 1 ETH backs 1·1500·0.85 = 1_275 USDC of the debt at maintenance; the
    # rest, 2_500_025_000 − 1_275_000_000 = 1_225_025_000, is explicit bad debt: insurance pays its
    # 1_000 USDC window cap, 225_025_000 is socialised.
    change = only(events, PositionLiquidated)
    assert (change.size_delta_atoms, change.new_size_atoms) == (-5 * ETH, 0)
    assert change.realised_pnl_atoms == -2_500_025_000
    assert (change.keeper_reward_atoms, change.insurance_penalty_atoms) == (0, 0)
    assert change.shortfall_atoms == 1_225_025_000
    assert only(events, InsuranceDrawn).amount_atoms == 1_000_000_000
    assert only(events, LossSocialised).amount_atoms == 225_025_000
    assert venue.balance("dave") == -1_275_000_000
    assert venue.balance("dave", "ETH") == 1 * ETH
    assert venue.state.pools[POOL].vault_atoms == vault_before + 2_500_025_000 - 1_225_025_000 + 1_000_000_000
    assert venue.state.pools[POOL].socialised_loss_atoms == 225_025_000
    # the debt blocks the ETH: IM equity 1·1500·0.8 − 2_500.025 < 0 even for one atom of ETH out
    venue.refuse(Withdraw("dave", 0, "ETH", 1, venue.now), InsufficientMargin, "dave/0")
    venue.assert_replay_equals_live()


def test_cross_debt_beyond_the_remaining_collateral_is_recorded_as_bad_debt() -> None:
    # Arrange: as above
    venue = Venue()
    venue.deposit("dave", 1 * ETH, asset="ETH")
    venue.trade("dave", 5 * ETH)
    venue.quote_prices(1_500 * WAD)

    # Act
    events = venue.liquidate("dave")

    # Assert: without the write-off, maintenance equity would be 1·1500·0.85 − 2_500.025 = −1_225.025 USDC;
    # the shortfall makes exactly that explicit, leaving the account at maintenance equity 0, no silent negative
    after = margin_snapshot(venue.state, ("dave", 0), MarginKind.MAINTENANCE, venue.now)
    assert only(events, PositionLiquidated).shortfall_atoms == 2_500_025_000 - 1_275_000_000
    assert after.equity_atoms == 0


def test_cross_account_with_nothing_else_is_written_off_through_the_waterfall() -> None:
    # Arrange: frank holds 1_100 USDC only; cross long 5 ETH at 2000.005 (basis 10_000_025_000); ETH → 1500
    venue = Venue()
    venue.deposit("frank", 1_100 * USDC)
    venue.trade("frank", 5 * ETH)
    venue.quote_prices(1_500 * WAD)

    # Act
    events = venue.liquidate("frank")

    # Assert: half leaves 1_100_000_000 − 1_250_012_500 < 0, so the whole close: PnL −2_500_025_000;
    # the account has 1_100_000_000 − 2_500_025_000 = −1_400_025_000: no penalty, shortfall 1_400_025_000
    change = only(events, PositionLiquidated)
    assert change.realised_pnl_atoms == -2_500_025_000
    assert (change.keeper_reward_atoms, change.insurance_penalty_atoms) == (0, 0)
    assert change.shortfall_atoms == 1_400_025_000
    assert only(events, InsuranceDrawn).amount_atoms == 1_000 * USDC
    assert only(events, LossSocialised).amount_atoms == 400_025_000  # 1_400_025_000 − 1_000_000_000
    assert venue.balance("frank") == 0
    assert ("frank", 0) not in venue.state.cross_pool
    pool = venue.state.pools[POOL]
    # vault + 2_500_025_000 − 1_400_025_000 + 1_000_000_000
    assert pool.vault_atoms == LP_ATOMS + 2_100 * USDC
    assert pool.insurance_atoms == INSURANCE_ATOMS - 1_000 * USDC
    assert pool.socialised_loss_atoms == 400_025_000
    venue.assert_replay_equals_live()


# --- isolation --------------------------------------------------------------------------------


def test_isolated_bankruptcy_leaves_the_owners_other_collateral_and_sub_accounts_untouched() -> None:
    # Arrange: sub-account 0 holds 5_000 USDC and 1 ETH and opens an isolated long 10 ETH with 2_100 USDC;
    # sub-account 1 holds 1_000 USDC; sub-account 2 is cross short 1 ETH in the same pool. Auto-deleveraging
    # is off: with it on, the profitable short of sub-account 2 would be deleveraged like any other
    # counterparty's (see the auto-deleveraging tests); this test is about the isolated vault's boundary.
    venue = Venue(dataclasses.replace(POOL_PARAMS, liquidation=LiquidationPolicy(auto_deleverage=False)))
    venue.deposit("alice", 5_000 * USDC)
    venue.deposit("alice", 1 * ETH, asset="ETH")
    venue.trade("alice", 10 * ETH, MarginMode.ISOLATED, 2_100 * USDC)
    venue.deposit("alice", 1_000 * USDC, sub=1)
    venue.deposit("alice", 1_000 * USDC, sub=2)
    venue.trade("alice", -1 * ETH, sub=2)
    venue.quote_prices(1_500 * WAD)
    accounts_before = copy.deepcopy(venue.state.accounts)
    cross_before = copy.deepcopy(venue.state.pools[POOL].positions[(("alice", 2), MARKET)])

    # Act: the isolated position is bankrupt (shortfall 2_900_100_000, as for bob above)
    events = venue.liquidate("alice", sub=0)

    # Assert: the loss stopped at the position's vault
    assert only(events, PositionLiquidated).shortfall_atoms == 2_900_100_000
    assert venue.balance("alice", "USDC", 0) == 2_900 * USDC  # 5_000 − 2_100 margin, as before
    assert venue.balance("alice", "ETH", 0) == 1 * ETH
    assert venue.state.accounts[("alice", 0)] == accounts_before[("alice", 0)]
    assert venue.state.accounts[("alice", 1)] == accounts_before[("alice", 1)]
    assert venue.state.accounts[("alice", 2)] == accounts_before[("alice", 2)]
    assert venue.state.pools[POOL].positions[(("alice", 2), MARKET)] == cross_before
    assert (("alice", 0), MARKET) not in venue.state.pools[POOL].positions
    venue.assert_replay_equals_live()


# --- toxic liquidation ------------------------------------------------------------------------


def test_toxic_liquidation_is_detected_and_takes_the_no_bonus_backstop_path() -> None:
    # The toxic case (SPEC §2.6, Aave CRV November 2022), shown numerically. With close share f, notional n,
    # equity E and MM 5%, a partial close paying a 2% penalty leaves health (E − f·n·0.02)/((1 − f)·n·0.05),
    # below E/(n·0.05) iff E < 0.02·n (health below penalty/MM = 0.4).
    #
    # Arrange: eve holds 1_100 USDC; cross long 5 ETH at 2000.005 (basis 10_000_025_000); ETH → 1800
    venue = Venue()
    venue.deposit("eve", 1_100 * USDC)
    venue.trade("eve", 5 * ETH)
    venue.quote_prices(1_800 * WAD)
    before = margin_snapshot(venue.state, ("eve", 0), MarginKind.MAINTENANCE, venue.now)
    # equity 1_100_000_000 + 9_000_000_000 − 10_000_025_000 = 99_975_000; requirement 9_000e6·0.05
    assert (before.equity_atoms, before.requirement_atoms) == (99_975_000, 450_000_000)
    # The keeper path (close factor 50%) would have closed 2.5 ETH: PnL 4_500_000_000 − 5_000_012_500 =
    # −500_012_500, penalty 4_500e6·0.02 = 90_000_000, leaving equity 1_100_000_000 − 500_012_500 − 90_000_000
    # + 4_500_000_000 − 5_000_012_500 = 9_975_000 against 225_000_000: health 0.0443 < 0.2221 before.
    assert Fraction(9_975_000, 225_000_000) < Fraction(99_975_000, 450_000_000)
    vault_before = venue.state.pools[POOL].vault_atoms
    insurance_before = venue.state.pools[POOL].insurance_atoms

    # Act
    events = venue.liquidate("eve")

    # Assert: E = 99_975_000 < 0.02 · 9_000_000_000 = 180_000_000, so the engine takes the backstop path:
    # the whole position goes to the LP vault at 1800, no penalty, no keeper bonus
    record = only(events, LiquidationRecorded)
    assert (record.path, record.penalty_wad, record.closed_atoms, record.partial) == ("backstop", 0, 5 * ETH, False)
    assert record.reason is LiquidationReason.TOXIC
    assert record.detail.startswith("toxic:")
    change = only(events, PositionLiquidated)
    assert change.new_size_atoms == 0
    assert change.realised_pnl_atoms == 9_000_000_000 - 10_000_025_000
    assert (change.keeper_reward_atoms, change.insurance_penalty_atoms) == (0, 0)
    # eve forfeits her remaining 99_975_000 (≤ the position's requirement 450_000_000) to the LP vault
    assert change.backstop_forfeit_atoms == 99_975_000
    assert venue.balance("eve") == 0
    assert venue.balance("keeper") == 0
    assert venue.state.pools[POOL].vault_atoms == vault_before + 1_000_025_000 + 99_975_000
    assert venue.state.pools[POOL].insurance_atoms == insurance_before
    venue.assert_replay_equals_live()
