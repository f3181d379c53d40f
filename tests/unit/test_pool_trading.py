"""Unit tests of trading against a pool: fill price, fees, position accounting, margin, funding, LP shares.

Every expected number is computed independently of the code under test: by hand, with the
arithmetic in the comment beside it, or with ``fractions.Fraction`` as a second
implementation. Parameters are round so the hand arithmetic stays short: ETH at 2000 USDC,
skew scale 1,000,000 ETH, spread 0.1%, taker fee 0.05%, fees split 60% LP / 20% insurance /
20% protocol (the remainder), LP vault 100,000 USDC. USDC has 6 decimals, ETH 18.

Every command runs through the :class:`~ringfence.service.engine.Engine`, and
``check_conservation`` runs after each one.
"""

from __future__ import annotations

import dataclasses
import math
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

import support.venue
from ringfence.core.commands import Withdraw
from ringfence.core.errors import CommandRejected, InsufficientBalance
from ringfence.core.margin import MarginKind
from ringfence.core.pool.commands import ProvideLiquidity, RemoveLiquidity
from ringfence.core.pool.decide import resize
from ringfence.core.pool.events import FundingAccrued, LiquidityProvided, LiquidityRemoved, TradeFilled
from ringfence.core.pool.perp_math import fill_price_wad
from ringfence.core.pool.position_margin import margin_snapshot
from ringfence.core.pool.state import MarginMode, MarketParams, PoolParams
from ringfence.core.units import WAD
from support.venue import ETH, HOUR_NS, LP_ATOMS, MARKET, PERCENT, POOL, USDC, only

POOL_PARAMS = PoolParams(
    quote_asset="USDC",
    lp_fee_share_wad=60 * PERCENT,
    insurance_fee_share_wad=20 * PERCENT,
    reserve_factor_wad=50 * PERCENT,
    liquidation_penalty_wad=2 * PERCENT,
    liquidator_share_wad=50 * PERCENT,
    insurance_draw_cap_atoms=1_000 * USDC,
    insurance_window_ns=HOUR_NS,
    close_factor_wad=50 * PERCENT,
    nav_drawdown_limit_wad=20 * PERCENT,
)
MARKET_PARAMS = MarketParams(
    market=MARKET,
    base_asset="ETH",
    initial_margin_wad=10 * PERCENT,
    maintenance_margin_wad=5 * PERCENT,
    spread_wad=WAD // 1_000,  # 0.1%
    taker_fee_wad=WAD // 2_000,  # 0.05%
    skew_scale_atoms=1_000_000 * ETH,
    max_funding_rate_per_day_wad=0,  # funding is switched on only in the funding test
    open_interest_cap_atoms=1_000 * ETH,
    pnl_weight_wad=50 * PERCENT,
)


class Venue(support.venue.Venue):
    """The shared venue with this module's pool and market and 100,000 USDC of LP."""

    def __init__(self, market: MarketParams = MARKET_PARAMS, pool: PoolParams = POOL_PARAMS) -> None:
        super().__init__(pool, market)


# --- fill price -------------------------------------------------------------------------------


def test_buy_fills_at_oracle_plus_half_the_skew_move_plus_spread() -> None:
    # Arrange
    venue = Venue()
    venue.deposit("alice", 10_000 * USDC)

    # Act
    change = venue.trade("alice", 1 * ETH)

    # Assert: skew 0 → 1 ETH: 2000·(1 + (0 + 1)/(2·1e6)) = 2000.001; ·1.001 = 2000.001 + 2.000001 = 2002.001001
    assert change.price_wad == 2_002_001_001 * 10**12


def test_sell_fills_at_oracle_with_skew_discount_minus_spread() -> None:
    # Arrange: a long of 1 ETH leaves skew +1 ETH
    venue = Venue()
    venue.deposit("alice", 10_000 * USDC)
    venue.deposit("bob", 10_000 * USDC)
    venue.trade("alice", 1 * ETH)

    # Act
    change = venue.trade("bob", -3 * ETH)

    # Assert: 2000·(1 + (1 + (1 − 3))/(2·1e6)) = 2000·(1 − 0.5e-6) = 1999.999; ·0.999 = 1999.999 − 1.999999
    assert change.price_wad == 1_997_999_001 * 10**12


@pytest.mark.parametrize(
    ("size_atoms", "expected_fill_wad"),
    [
        # buy: ceil(2000e18·(2e24 + 1)/2e24) = ceil(2000e18 + 0.001) = 2000e18 + 1;
        #      ceil((2000e18 + 1)·1.001) = ceil(2002e18 + 1.001) = 2002e18 + 2
        pytest.param(1, 2_002 * WAD + 2, id="buy-rounds-up"),
        # sell: floor(2000e18·(2e24 − 1)/2e24) = floor(2000e18 − 0.001) = 2000e18 − 1;
        #       floor((2000e18 − 1)·0.999) = floor(1998e18 − 0.999) = 1998e18 − 1
        pytest.param(-1, 1_998 * WAD - 1, id="sell-rounds-down"),
    ],
)
def test_inexact_fill_price_rounds_against_the_trader(size_atoms: int, expected_fill_wad: int) -> None:
    # Arrange
    venue = Venue()
    venue.deposit("alice", 1_000 * USDC)

    # Act: one base atom, so every product is inexact
    change = venue.trade("alice", size_atoms)

    # Assert: the fill is the two-step rounding above, on the trader's wrong side of the exact price
    exact = (
        Fraction(2_000 * WAD)
        * Fraction(2 * 10**24 + size_atoms, 2 * 10**24)
        * (Fraction(1001, 1000) if size_atoms > 0 else Fraction(999, 1000))
    )
    assert change.price_wad == expected_fill_wad
    if size_atoms > 0:
        assert change.price_wad > exact
    else:
        assert change.price_wad < exact
    # notional ceil(2.002e-9 or 1.998e-9 quote atoms) = 1; fee ceil(1·0.0005) = 1; LP floor(0.6) = 0,
    # insurance floor(0.2) = 0, so the protocol takes the remainder: 1 atom
    assert (change.fee_atoms, change.lp_fee_atoms, change.insurance_fee_atoms, change.protocol_fee_atoms) == (
        1,
        0,
        0,
        1,
    )


@given(
    skew=st.integers(-(10**24), 10**24),
    size=st.integers(1, 10**23),
    buying=st.booleans(),
    oracle=st.integers(1, 10**24),
    spread=st.integers(0, WAD // 10),
)
def test_fill_price_is_on_the_traders_wrong_side_of_the_exact_price_by_under_three_atoms(
    skew: int, size: int, buying: bool, oracle: int, spread: int
) -> None:
    # Arrange: the exact Synthetix fill, as a Fraction
    delta = size if buying else -size
    skewed = Fraction(oracle) * Fraction(2 * 10**24 + 2 * skew + delta, 2 * 10**24)
    exact = skewed * Fraction(WAD + spread if buying else WAD - spread, WAD)

    # Act
    fill = fill_price_wad(oracle, skew, delta, 10**24, spread)

    # Assert: two roundings, the first scaled by (1 ± spread) ≤ 1.1, so |fill − exact| < 1·1.1 + 1 = 2.1
    if buying:
        assert exact <= fill < exact + Fraction(21, 10)
    elif exact >= 1:
        assert exact - Fraction(21, 10) < fill <= exact
    else:
        assert fill == 1  # a sell never fills below one wei of price


# --- fees -------------------------------------------------------------------------------------


def test_fee_is_split_lp_insurance_and_protocol_takes_the_remainder() -> None:
    # Arrange
    venue = Venue()
    venue.deposit("alice", 10_000 * USDC)

    # Act
    change = venue.trade("alice", 1 * ETH)

    # Assert: notional 2002.001001 USDC = 2_002_001_001 atoms; fee ceil(·0.0005 = 1_001_000.5005) = 1_001_001
    assert change.fee_atoms == 1_001_001
    assert change.lp_fee_atoms == 600_600  # floor(1_001_001·0.6 = 600_600.6)
    assert change.insurance_fee_atoms == 200_200  # floor(1_001_001·0.2 = 200_200.2)
    assert change.protocol_fee_atoms == 200_201  # 1_001_001 − 600_600 − 200_200: the remainder
    pool = venue.state.pools[POOL]
    assert pool.vault_atoms == LP_ATOMS + 600_600
    assert pool.insurance_atoms == 200_200
    assert pool.protocol_fees_atoms == 200_201
    assert venue.balance("alice") == 10_000 * USDC - 1_001_001


# --- position accounting ----------------------------------------------------------------------


def test_open_increase_partial_close_flip_and_close_realise_pnl_by_hand() -> None:
    # Arrange
    venue = Venue()
    venue.deposit("bob", 10_000 * USDC)
    market = venue.state.pools[POOL].markets[MARKET]

    # Act / Assert 1 — open long 2 ETH at skew 0:
    # fill 2000·(1 + 2/2e6) = 2000.002; ·1.001 = 2000.002 + 2.000002 = 2002.002002; basis 2·2002.002002e6
    opened = venue.trade("bob", 2 * ETH)
    assert opened.price_wad == 2_002_002_002 * 10**12
    assert (opened.new_size_atoms, opened.new_open_notional_atoms, opened.realised_pnl_atoms) == (
        2 * ETH,
        4_004_004_004,
        0,
    )
    assert opened.fee_atoms == 2_002_003  # ceil(4_004_004_004·0.0005 = 2_002_002.002)

    # 2 — oracle to 2100; increase by 1 ETH at skew 2: 2100·(1 + (4 + 1)/2e6) = 2100.00525;
    # ·1.001 = 2100.00525 + 2.10000525 = 2102.10525525
    venue.quote_prices(2_100 * WAD)
    increased = venue.trade("bob", 1 * ETH)
    assert increased.price_wad == 210_210_525_525 * 10**10
    # the opened part is booked at its notional rounded up: ceil(2_102_105_255.25) = 2_102_105_256
    assert increased.new_open_notional_atoms == 6_106_109_260  # 4_004_004_004 + 2_102_105_256
    assert increased.realised_pnl_atoms == 0
    assert increased.fee_atoms == 1_051_053  # ceil(2_102_105_256·0.0005 = 1_051_052.628)
    assert (market.long_atoms, market.short_atoms) == (3 * ETH, 0)

    # 3 — sell 1 ETH at skew 3: 2100·(1 + (6 − 1)/2e6) = 2100.00525; ·0.999 = 2100.00525 − 2.10000525
    #   = 2097.90524475
    reduced = venue.trade("bob", -1 * ETH)
    assert reduced.price_wad == 209_790_524_475 * 10**10
    # removed basis rounds up: ceil(6_106_109_260/3 = 2_035_369_753.33) = 2_035_369_754
    # closed value floors: floor(2_097_905_244.75) = 2_097_905_244; PnL 2_097_905_244 − 2_035_369_754
    assert reduced.realised_pnl_atoms == 62_535_490
    assert reduced.new_open_notional_atoms == 4_070_739_506  # 6_106_109_260 − 2_035_369_754
    assert reduced.new_size_atoms == 2 * ETH
    assert reduced.fee_atoms == 1_048_953  # notional ceil(2_097_905_244.75) = 2_097_905_245; ·0.0005 = 1_048_952.6225

    # 4 — flip: sell 4 ETH at skew 2: 2100·(1 + (4 − 4)/2e6) = 2100; ·0.999 = 2097.9
    flipped = venue.trade("bob", -4 * ETH)
    assert flipped.price_wad == 20_979 * 10**17
    # closes 2: 2·2097.9e6 − 4_070_739_506 = 4_195_800_000 − 4_070_739_506; opens a 2 ETH short at −4_195_800_000
    assert flipped.realised_pnl_atoms == 125_060_494
    assert (flipped.new_size_atoms, flipped.new_open_notional_atoms) == (-2 * ETH, -4_195_800_000)
    assert flipped.fee_atoms == 4_195_800  # 4·2097.9e6·0.0005
    assert (market.long_atoms, market.short_atoms) == (0, 2 * ETH)

    # 5 — close the short: buy 2 at skew −2: 2100·(1 + (−4 + 2)/2e6) = 2099.9979; ·1.001 = 2102.0978979
    closed = venue.trade("bob", 2 * ETH)
    assert closed.price_wad == 21_020_978_979 * 10**11
    # short's closed value floors: floor(−2·2102.0978979e6 = −4_204_195_795.8) = −4_204_195_796
    # PnL −4_204_195_796 − (−4_195_800_000)
    assert closed.realised_pnl_atoms == -8_395_796
    assert (closed.new_size_atoms, closed.new_open_notional_atoms) == (0, 0)
    assert closed.fee_atoms == 2_102_098  # ceil(4_204_195_796·0.0005 = 2_102_097.898)

    # the account paid every fee and received every realised PnL, to the atom
    fees = 2_002_003 + 1_051_053 + 1_048_953 + 4_195_800 + 2_102_098
    pnl = 62_535_490 + 125_060_494 - 8_395_796
    assert venue.balance("bob") == 10_000 * USDC - fees + pnl
    assert (market.long_atoms, market.short_atoms) == (0, 0)
    assert venue.state.pools[POOL].positions == {}
    assert ("bob", 0) not in venue.state.cross_pool
    venue.assert_replay_equals_live()


def test_resize_of_a_short_removes_basis_rounded_up_and_floors_its_value() -> None:
    # Arrange: short 3 ETH with basis −6_000_000_001 quote atoms (sold at about 2000)

    # Act: buy back 1 ETH at 1900
    change = resize(-3 * ETH, -6_000_000_001, 1 * ETH, 1_900 * WAD, 18, 6)

    # Assert: removed basis ceil(−6_000_000_001/3 = −2_000_000_000.33) = −2_000_000_000 (toward +∞);
    # closed value floor(−1·1900e6) = −1_900_000_000; PnL −1_900_000_000 + 2_000_000_000 = 100_000_000,
    # below the exact 100_000_000.33: the short is credited the floor
    assert change.realised_pnl_atoms == 100_000_000
    assert change.realised_pnl_atoms < Fraction(6_000_000_001, 3) - 1_900_000_000
    assert change.new_open_notional_atoms == -4_000_000_001  # −6_000_000_001 + 2_000_000_000
    assert change.new_size_atoms == -2 * ETH


# --- isolated margin and withdrawals ----------------------------------------------------------


def test_isolated_margin_moves_into_the_position_vault_and_returns_on_full_close() -> None:
    # Arrange
    venue = Venue()
    venue.deposit("alice", 1_000 * USDC)

    # Act 1: isolated long 1 ETH with 250 USDC of margin
    opened = venue.trade("alice", 1 * ETH, MarginMode.ISOLATED, 250 * USDC)

    # Assert 1: 250 USDC left the balance; the vault holds it less the fee 1_001_001 (as in the fee test)
    assert opened.margin_added_atoms == 250 * USDC
    assert venue.balance("alice") == 750 * USDC
    position = venue.state.pools[POOL].positions[(("alice", 0), MARKET)]
    assert position.isolated_margin_atoms == 248_998_999  # 250_000_000 − 1_001_001
    assert ("alice", 0) not in venue.state.cross_pool

    # Act 2: close at skew 1: 2000·(1 + (2 − 1)/2e6) = 2000.001; ·0.999 = 1998.000999
    closed = venue.trade("alice", -1 * ETH, MarginMode.ISOLATED)

    # Assert 2: PnL 1_998_000_999 − 2_002_001_001 = −4_000_002; fee ceil(999_000.4995) = 999_001;
    # released 248_998_999 − 999_001 − 4_000_002 = 243_999_996
    assert closed.realised_pnl_atoms == -4_000_002
    assert closed.fee_atoms == 999_001
    assert closed.margin_released_atoms == 243_999_996
    assert venue.balance("alice") == 750 * USDC + 243_999_996
    assert venue.state.pools[POOL].positions == {}
    venue.assert_replay_equals_live()


def test_unrealised_profit_counts_at_pnl_weight_but_cannot_be_withdrawn_until_realised() -> None:
    # Arrange: cross long 1 ETH at 2002.001001 (fee 1_001_001), then ETH to 3000
    venue = Venue()
    venue.deposit("carol", 1_000 * USDC)
    venue.trade("carol", 1 * ETH)
    venue.quote_prices(3_000 * WAD)
    balance = 1_000 * USDC - 1_001_001  # 998_998_999

    # Act 1
    maintenance = margin_snapshot(venue.state, ("carol", 0), MarginKind.MAINTENANCE, venue.now)
    initial = margin_snapshot(venue.state, ("carol", 0), MarginKind.INITIAL, venue.now)

    # Assert 1: at the oracle, PnL 3_000_000_000 − 2_002_001_001 = 997_998_999, weighted floor(·0.5) =
    # 498_999_499; requirement ceil(3000e6·0.05) = 150_000_000. Initial margin values the PnL at the stable
    # price, still 2,000 one second after the move (SPEC §2.1): 2_000_000_000 − 2_002_001_001 = −2_001_001,
    # against ceil(3000e6·0.1) = 300_000_000 at the oracle
    assert maintenance.equity_atoms == balance + 498_999_499
    assert maintenance.requirement_atoms == 150_000_000
    assert initial.equity_atoms == balance - 2_001_001
    assert initial.requirement_atoms == 300_000_000

    # Act 2 / Assert 2: one atom more than the settled balance is refused despite ~1.5k of equity
    venue.refuse(Withdraw("carol", 0, "USDC", balance + 1, venue.now), InsufficientBalance, "998998999 atoms")

    # Act 3: realise it: sell 1 at skew 1: 3000·1.0000005 = 3000.0015; ·0.999 = 2997.0014985
    closed = venue.trade("carol", -1 * ETH)

    # Assert 3: PnL floor(2_997_001_498.5) − 2_002_001_001 = 995_000_497; fee ceil(1_498_500.7495) = 1_498_501
    assert closed.realised_pnl_atoms == 995_000_497
    assert closed.fee_atoms == 1_498_501
    assert venue.balance("carol") == balance + 995_000_497 - 1_498_501
    venue.run(Withdraw("carol", 0, "USDC", balance + 1, venue.now))
    assert venue.balance("carol") == 995_000_497 - 1_498_501 - 1
    venue.assert_replay_equals_live()


# --- funding ----------------------------------------------------------------------------------


def test_funding_over_one_hour_long_pays_ceiling_short_receives_floor() -> None:
    # Arrange: max funding 10%/day; long 11 ETH and short 1 ETH leave a skew of +10 ETH
    market = dataclasses.replace(MARKET_PARAMS, max_funding_rate_per_day_wad=10 * PERCENT)
    venue = Venue(market)
    venue.deposit("alice", 5_000 * USDC)
    venue.deposit("bob", 1_000 * USDC)
    venue.trade("alice", 11 * ETH)
    venue.trade("bob", -1 * ETH)
    venue.quote_prices(2_000 * WAD, advance_ns=HOUR_NS)

    # Act: both close one hour later; the first touch accrues the market's funding
    alice_events = venue.run(venue.trade_command("alice", -11 * ETH))
    bob_events = venue.run(venue.trade_command("bob", 1 * ETH))

    # Assert: Δindex = 2000·0.1·clamp(10/1e6)·(1 h / 24 h) USDC per ETH = 8.3333…e-5 USDC
    #  = 83.333… quote atoms per ETH; ×WAD, rounded up (longs pay: against the payer)
    expected_delta = 83_333_333_333_333_333_334
    assert expected_delta == math.ceil(Fraction(2_000 * 10**6) * Fraction(1, 10) * Fraction(10, 10**6) / 24 * WAD)
    accrued = only(alice_events, FundingAccrued)
    assert accrued.index_delta_wad == expected_delta
    assert venue.state.pools[POOL].markets[MARKET].funding_index_wad == expected_delta
    assert not [event for event in bob_events if isinstance(event, FundingAccrued)]
    # long pays ceil(11·83.333333333333333334 = 916.666666666666666674) = 917
    assert only(alice_events, TradeFilled).funding_paid_atoms == 917
    # short receives floor(83.333333333333333334) = 83 (a payment of −83)
    assert only(bob_events, TradeFilled).funding_paid_atoms == -83
    venue.assert_replay_equals_live()


# --- open interest and reserve ----------------------------------------------------------------


def test_open_interest_cap_refuses_either_side_past_the_cap() -> None:
    # Arrange: cap 20 ETH per side; 15 long and 15 short (skew 0, so the reserve is not the binding limit)
    venue = Venue(dataclasses.replace(MARKET_PARAMS, open_interest_cap_atoms=20 * ETH))
    venue.deposit("alice", 10_000 * USDC)
    venue.deposit("bob", 10_000 * USDC)
    venue.trade("alice", 15 * ETH)
    venue.trade("bob", -15 * ETH)

    # Act / Assert: 15 + 6 = 21 ETH on either side is refused; 15 + 5 = 20 is accepted
    message = "open interest would reach 21000000000000000000 base atoms, past the cap 20000000000000000000"
    venue.refuse(venue.trade_command("alice", 6 * ETH), CommandRejected, message)
    venue.refuse(venue.trade_command("bob", -6 * ETH), CommandRejected, message)
    venue.trade("alice", 5 * ETH)
    assert venue.state.pools[POOL].markets[MARKET].long_atoms == 20 * ETH


def test_reserve_factor_refuses_net_exposure_past_half_the_vault() -> None:
    # Arrange
    venue = Venue()
    venue.deposit("alice", 10_000 * USDC)

    # Act / Assert: 26 ETH long: exposure floor(26·2000e6) = 52_000_000_000. Fill 2000·(1 + 26/2e6) = 2000.026;
    # ·1.001 = 2002.026026; notional 52_052_676_676; fee ceil(26_026_338.338) = 26_026_339; LP share
    # floor(15_615_803.4) = 15_615_803; reserve floor((100_000_000_000 + 15_615_803)·0.5) = 50_007_807_901
    venue.refuse(
        venue.trade_command("alice", 26 * ETH),
        CommandRejected,
        "52000000000 quote atoms of net exposure against a reserve of 50007807901",
    )
    # 25 ETH: exposure 50_000_000_000 ≤ reserve (≥ 50_000_000_000 since the LP fee only adds to it)
    venue.trade("alice", 25 * ETH)
    assert venue.state.pools[POOL].markets[MARKET].long_atoms == 25 * ETH


# --- LP shares at NAV -------------------------------------------------------------------------


def test_first_liquidity_mints_shares_one_to_one() -> None:
    # Arrange / Act
    venue = Venue()

    # Assert
    pool = venue.state.pools[POOL]
    assert pool.total_shares == LP_ATOMS
    assert pool.lp_shares == {("lp", 0): LP_ATOMS}
    assert pool.vault_atoms == LP_ATOMS


def _venue_with_open_long_of_ten() -> Venue:
    """Trader long 10 ETH at 2002.01001: basis 20_020_100_100; fee 10_010_051, of which LP 6_006_030.

    Fill 2000·(1 + 10/2e6) = 2000.01; ·1.001 = 2002.01001. Fee ceil(20_020_100_100·0.0005 =
    10_010_050.05) = 10_010_051; LP floor(·0.6 = 6_006_030.6) = 6_006_030. Vault 100_006_006_030.
    """
    venue = Venue()
    venue.deposit("trader", 5_000 * USDC)
    change = venue.trade("trader", 10 * ETH)
    assert change.new_open_notional_atoms == 20_020_100_100
    assert venue.state.pools[POOL].vault_atoms == 100_006_006_030
    return venue


@pytest.mark.parametrize(
    ("eth_price", "nav_high"),
    [
        # trader PnL 10·1900e6 − 20_020_100_100 = −1_020_100_100: the pool gained; NAV 100_006_006_030 + 1_020_100_100
        pytest.param(1_900, 101_026_106_130, id="pool-gained"),
        # trader PnL 10·2100e6 − 20_020_100_100 = +979_899_900: the pool lost; NAV 100_006_006_030 − 979_899_900
        pytest.param(2_100, 99_026_106_130, id="pool-lost"),
    ],
)
def test_second_deposit_mints_shares_at_the_high_nav_bound(eth_price: int, nav_high: int) -> None:
    # Arrange
    venue = _venue_with_open_long_of_ten()
    venue.quote_prices(eth_price * WAD)
    venue.deposit("lp2", 10_000 * USDC)

    # Act
    provided = only(venue.run(ProvideLiquidity("lp2", 0, POOL, 10_000 * USDC, venue.now)), LiquidityProvided)

    # Assert: shares = floor(10_000e6 · 100_000e6 / NAV_high)
    assert provided.shares == (10_000 * USDC * LP_ATOMS) // nav_high
    assert provided.shares == math.floor(Fraction(10_000 * USDC * LP_ATOMS, nav_high))
    expected = {1_900: 9_898_431_586, 2_100: 10_098_347_184}[eth_price]
    assert provided.shares == expected
    assert venue.state.pools[POOL].total_shares == LP_ATOMS + expected
    venue.assert_replay_equals_live()


def test_redeem_pays_at_the_low_nav_bound_and_is_refused_past_the_reserve() -> None:
    # Arrange: the pool gained (ETH at 1900), then lp2 added 10_000 USDC for 9_898_431_586 shares
    venue = _venue_with_open_long_of_ten()
    venue.quote_prices(1_900 * WAD)
    venue.deposit("lp2", 10_000 * USDC)
    venue.run(ProvideLiquidity("lp2", 0, POOL, 10_000 * USDC, venue.now))
    total_shares = LP_ATOMS + 9_898_431_586  # 109_898_431_586
    vault = 100_006_006_030 + 10_000 * USDC  # 110_006_006_030
    # NAV high = vault + 1_020_100_100 = 111_026_106_130; low = high − 1 (one open position)
    nav_low = 111_026_106_129

    # Act 1 / Assert 1: redeeming all 100_000e6 of lp's shares would pay
    # floor(1e11·111_026_106_129/109_898_431_586) = 101_026_106_129, leaving 8_979_899_901 in the vault:
    # reserve floor(8_979_899_901·0.5) = 4_489_949_950 < exposure 10·1900e6 = 19_000_000_000
    venue.refuse(
        RemoveLiquidity("lp", 0, POOL, LP_ATOMS, venue.now),
        CommandRejected,
        "19000000000 quote atoms of net exposure against a reserve of 4489949950",
    )

    # Act 2: redeem half
    removed = only(venue.run(RemoveLiquidity("lp", 0, POOL, LP_ATOMS // 2, venue.now)), LiquidityRemoved)

    # Assert 2: floor(5e10·111_026_106_129/109_898_431_586) = 50_513_053_064; at the high bound it would
    # have been floor(5e10·111_026_106_130/109_898_431_586) = 50_513_053_065
    assert removed.amount_atoms == (LP_ATOMS // 2) * nav_low // total_shares == 50_513_053_064
    assert removed.amount_atoms < (LP_ATOMS // 2) * (nav_low + 1) // total_shares
    assert venue.balance("lp") == 50_513_053_064
    pool = venue.state.pools[POOL]
    assert pool.vault_atoms == vault - 50_513_053_064
    assert pool.total_shares == total_shares - LP_ATOMS // 2
    assert pool.lp_shares[("lp", 0)] == LP_ATOMS // 2
    venue.assert_replay_equals_live()
