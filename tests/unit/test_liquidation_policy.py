"""Unit tests of a pool's liquidation policy rules through the engine (SPEC §2.6): sizing and incentive.

Sizing (close factor with a full-liquidation health, Aave v4 target health, whole position,
Hyperliquid partial with its cooldown, dust), incentive (fixed, Euler health-scaled, Aave v4
linear bonus), the guards checked when a market is added (the no-split guard, target health
against the penalty) and the policy's validation at ``CreatePool``.

Every expected number is computed independently of the code under test: by hand, with the
arithmetic in the comment beside it, or with ``fractions.Fraction`` as a second
implementation. The venue is :mod:`support.liquidation` (premises there). The recurring
position: an isolated long of 10 ETH at 2000.01 with margin ``M``. At an ETH price ``P`` its
notional is ``N = 10·P``, its maintenance equity ``E = M + 10·P − 20_000.1`` and its
requirement ``R = 0.5·P`` (USDC); its health is ``H = E/R``, rounded up in WAD. With a 2%
penalty and MM 5% a partial close is toxic iff ``E < 0.02·N``, i.e. ``H < 0.4``.

Every command runs through the :class:`~ringfence.service.engine.Engine`, and
``check_conservation`` runs after each one (every asset, to the atom).
"""

from __future__ import annotations

import dataclasses
import math
from fractions import Fraction

import pytest

from ringfence.core.errors import InvalidAmount, InvalidParameter, RingfenceError
from ringfence.core.liquidation.kinds import LiquidationPath, LiquidationReason
from ringfence.core.pool.commands import AddMarket, CreatePool
from ringfence.core.pool.events import MarketAdded, PoolCreated, PositionLiquidated
from ringfence.core.pool.liquidation_policy import IncentiveRule, LiquidationPolicy, SizingRule
from ringfence.core.pool.state import MarginMode, PoolParams, Position
from ringfence.core.units import MAX_ATOMS, WAD
from support.liquidation import (
    BASIS_OF_TEN,
    MARKET_PARAMS,
    POOL_PARAMS,
    SECOND_MARKET,
    PolicyVenue,
    health_up_wad,
    isolated_health_at_1850,
    recorded,
)
from support.venue import ETH, MARKET, PERCENT, POOL, SECOND_NS, USDC, only


def exact_health_after(
    equity: int, requirement: int, position_requirement: int, notional: int, penalty_wad: int, share: Fraction
) -> Fraction:
    """Return the health after closing ``share`` of a losing position at the oracle, in exact arithmetic.

    The close realises a loss already in the equity, so equity falls only by the penalty
    ``p·share·N``, and the requirement by ``share·R_p``.
    """
    penalty = Fraction(penalty_wad, WAD) * share * notional
    return (equity - penalty) / (requirement - share * position_requirement)


# --- sizing: close factor -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("margin_atoms", "closed_atoms"),
    [
        # at 1800: E = M + 18_000_000_000 − 20_000_100_000, R = 900_000_000
        (2_855_100_000, 5 * ETH),  # E = 855_000_000: H = 0.95 exactly, not below: the close factor
        (2_855_099_999, 10 * ETH),  # E = 854_999_999: H = ⌈0.9499999988…⌉ < 0.95: the whole position
        (2_900_000_000, 5 * ETH),  # E = 899_900_000: H ≈ 0.99989
        (2_500_000_000, 10 * ETH),  # E = 499_900_000: H ≈ 0.5554
    ],
)
def test_close_factor_closes_whole_below_full_liquidation_health_and_half_from_it(
    margin_atoms: int, closed_atoms: int
) -> None:
    # Arrange: Aave v3.3's rule, close factor 50% from health 0.95, the whole position below it
    venue = PolicyVenue(LiquidationPolicy(full_liquidation_health_wad=95 * PERCENT))
    venue.open_isolated("alice", 10 * ETH, margin_atoms)
    venue.quote_prices(1_800 * WAD)
    equity = margin_atoms + 18_000_000_000 - BASIS_OF_TEN

    # Act
    events = venue.liquidate("alice")

    # Assert: the closed notional is 1800·closed; the keeper earns half of its 2%
    record = recorded(events)
    assert (record.path, record.reason, record.detail) == (
        LiquidationPath.KEEPER,
        LiquidationReason.BELOW_MAINTENANCE,
        "",
    )
    assert record.health_wad == health_up_wad(equity, 900_000_000)
    assert record.closed_atoms == closed_atoms
    assert record.notional_atoms == 1_800 * closed_atoms // 10**12
    assert record.partial == (closed_atoms < 10 * ETH)
    change = only(events, PositionLiquidated)
    assert change.new_size_atoms == 10 * ETH - closed_atoms
    assert change.keeper_reward_atoms == record.notional_atoms * 2 // 100 // 2  # 90_000_000 or 180_000_000
    venue.assert_replay_equals_live()


def test_health_exactly_at_full_liquidation_health_closes_the_close_factor_by_hand() -> None:
    # Arrange: M = 2_855_100_000 at 1800: E = 855_000_000, R = 900_000_000, H = 0.95
    venue = PolicyVenue(LiquidationPolicy(full_liquidation_health_wad=95 * PERCENT))
    venue.open_isolated("alice", 10 * ETH, 2_855_100_000)
    venue.quote_prices(1_800 * WAD)
    pool = venue.state.pools[POOL]
    vault_before, insurance_before = pool.vault_atoms, pool.insurance_atoms

    # Act
    change = only(venue.liquidate("alice"), PositionLiquidated)

    # Assert: 5 ETH closed: PnL 9_000_000_000 − 10_000_050_000 = −1_000_050_000; penalty ⌈9e9·0.02⌉ =
    # 180_000_000, 90_000_000 each to the keeper and the insurance fund
    assert change.realised_pnl_atoms == -1_000_050_000
    assert (change.keeper_reward_atoms, change.insurance_penalty_atoms) == (90_000_000, 90_000_000)
    assert change.new_open_notional_atoms == 10_000_050_000
    # vault 2_855_100_000 − 1_000_050_000 − 180_000_000 = 1_675_050_000
    position = venue.position("alice")
    assert position is not None and position.isolated_margin_atoms == 1_675_050_000
    assert pool.vault_atoms == vault_before + 1_000_050_000
    assert pool.insurance_atoms == insurance_before + 90_000_000
    assert venue.balance("keeper") == 90_000_000


# --- sizing: whole position and dust ------------------------------------------------------------


def test_whole_position_rule_closes_everything_even_just_below_maintenance() -> None:
    # Arrange: M = 2_900_000_000 at 1800: E = 899_900_000 < R = 900_000_000 (H ≈ 0.99989)
    venue = PolicyVenue(LiquidationPolicy(sizing=SizingRule.WHOLE_POSITION))
    venue.open_isolated("alice", 10 * ETH, 2_900_000_000)
    venue.quote_prices(1_800 * WAD)

    # Act
    events = venue.liquidate("alice")

    # Assert: all 10 ETH: PnL 18_000_000_000 − 20_000_100_000 = −2_000_100_000; penalty ⌈18e9·0.02⌉ =
    # 360_000_000 split 180_000_000 / 180_000_000; the vault's 2_900_000_000 − 2_000_100_000 −
    # 360_000_000 = 539_900_000 goes back to alice
    record = recorded(events)
    assert (record.path, record.closed_atoms, record.partial) == ("keeper", 10 * ETH, False)
    change = only(events, PositionLiquidated)
    assert change.new_size_atoms == 0
    assert change.realised_pnl_atoms == -2_000_100_000
    assert (change.keeper_reward_atoms, change.insurance_penalty_atoms) == (180_000_000, 180_000_000)
    assert change.margin_released_atoms == 539_900_000
    assert venue.balance("alice") == 539_900_000
    assert venue.position("alice") is None
    venue.assert_replay_equals_live()


@pytest.mark.parametrize(
    ("dust_atoms", "closed_atoms"),
    [
        (9_000_000_000, 5 * ETH),  # half leaves 5·1800 = 9_000_000_000, not below the dust
        (9_000_000_001, 10 * ETH),  # one atom more of dust: the close takes the whole position
    ],
)
def test_a_close_leaving_less_than_dust_takes_the_whole_position(dust_atoms: int, closed_atoms: int) -> None:
    # Arrange: M = 2_900_000_000 at 1800 (H ≈ 0.99989): the close factor closes half
    venue = PolicyVenue(LiquidationPolicy(dust_atoms=dust_atoms))
    venue.open_isolated("alice", 10 * ETH, 2_900_000_000)
    venue.quote_prices(1_800 * WAD)

    # Act
    record = recorded(venue.liquidate("alice"))

    # Assert
    assert (record.path, record.closed_atoms) == ("keeper", closed_atoms)
    assert record.partial == (closed_atoms < 10 * ETH)
    venue.assert_replay_equals_live()


# --- sizing: target health (Aave v4) ------------------------------------------------------------


def test_target_health_closes_the_smallest_size_that_reaches_the_target_in_exact_arithmetic() -> None:
    # Arrange: M = 2_100_000_000 at 1850: N = 18_500_000_000, E = 2_100_000_000 + 18_500_000_000 −
    # 20_000_100_000 = 599_900_000, R = R_p = 925_000_000 (H ≈ 0.6485); target 1.2, penalty 2%
    target = 12 * WAD // 10
    venue = PolicyVenue(LiquidationPolicy(sizing=SizingRule.TARGET_HEALTH, target_health_wad=target))
    venue.open_isolated("alice", 10 * ETH, 2_100 * USDC)
    venue.quote_prices(1_850 * WAD)

    # Act
    record = recorded(venue.liquidate("alice"))

    # Assert: the exact smallest close is ⌈size·(T·R − E)/(T·R_p − p·N)⌉ = ⌈1e19·(1_110_000_000 − 599_900_000)/
    # (1_110_000_000 − 370_000_000)⌉ = ⌈1e19·510_100_000/740_000_000⌉ = 6_893_243_243_243_243_244; the engine adds
    # to T·R − E an allowance for the close's own rounding, 3 atoms of equity and one of requirement at T
    # (3 + 1.2 = 4.2): ⌈1e19·510_100_004.2/740_000_000⌉ = 6_893_243_300_000_000_000
    exact_smallest = math.ceil(Fraction(10 * ETH * 510_100_000, 740_000_000))
    closed = math.ceil(Fraction(10 * ETH) * (510_100_000 + Fraction(42, 10)) / 740_000_000)
    assert (exact_smallest, closed) == (6_893_243_243_243_243_244, 6_893_243_300_000_000_000)
    assert (record.path, record.closed_atoms, record.partial) == ("keeper", closed, True)

    # in exact arithmetic the exact smallest size reaches the target and one atom less does not; the
    # allowance closes 56_756_756_756 atoms (≈ 5.7e-8 ETH) more than that
    def health(size: int) -> Fraction:
        share = Fraction(size, 10 * ETH)
        return exact_health_after(599_900_000, 925_000_000, 925_000_000, 18_500_000_000, 2 * PERCENT, share)

    assert health(exact_smallest - 1) < Fraction(target, WAD) <= health(exact_smallest) <= health(closed)
    venue.assert_replay_equals_live()


def test_target_health_leaves_the_account_at_or_above_the_target_after_rounding() -> None:
    # Arrange: as above (E = 599_900_000, R = 925_000_000 at 1850, target 1.2)
    target = 12 * WAD // 10
    venue = PolicyVenue(LiquidationPolicy(sizing=SizingRule.TARGET_HEALTH, target_health_wad=target))
    venue.open_isolated("alice", 10 * ETH, 2_100 * USDC)
    venue.quote_prices(1_850 * WAD)

    # Act
    venue.liquidate("alice")

    # Assert: the remaining position's maintenance margin, from its state by hand
    equity, requirement = isolated_health_at_1850(venue)
    # remaining 1e19 − 6_893_243_300_000_000_000 = 3_106_756_700_000_000_000 atoms: notional
    # ⌊3.1067567·1850⌋ = 5_747_499_895, requirement ⌈5% of it⌉ = ⌈287_374_994.75⌉ = 287_374_995
    assert (equity, requirement) == (344_849_997, 287_374_995)
    assert Fraction(equity, requirement) >= Fraction(target, WAD)


def test_target_health_of_a_cross_account_uses_its_whole_requirement_and_the_positions_share() -> None:
    # Arrange: bea holds 3_500 USDC and is cross long 10 ETH in the first market (2000.01, basis
    # 20_000_100_000) and 5 ETH in the second (own skew: 2000·(1 + 5/2e6) = 2000.005, basis 10_000_025_000);
    # IM 0.1·30_000 = 3_000 USDC ≤ 3_500 − 0.125. ETH → 1850.
    target = 105 * WAD // 100
    venue = PolicyVenue(
        LiquidationPolicy(sizing=SizingRule.TARGET_HEALTH, target_health_wad=target), second_market=True
    )
    venue.deposit("bea", 3_500 * USDC)
    venue.trade("bea", 10 * ETH)
    venue.trade_in(SECOND_MARKET, "bea", 5 * ETH)
    venue.quote_prices(1_850 * WAD)

    # Act: liquidate the first market's position
    record = recorded(venue.liquidate("bea"))

    # Assert: E = 3_500_000_000 + (18_500_000_000 − 20_000_100_000) + (9_250_000_000 − 10_000_025_000) =
    # 1_249_875_000; R = 925_000_000 + 462_500_000 = 1_387_500_000; R_p = 925_000_000; N = 18_500_000_000.
    # closed = ⌈1e19·(1.05·1_387_500_000 − 1_249_875_000)/(1.05·925_000_000 − 0.02·18_500_000_000)⌉
    #        = ⌈1e19·(1_456_875_000 − 1_249_875_000)/(971_250_000 − 370_000_000)⌉ = ⌈1e19·207_000_000/601_250_000⌉
    # exactly; the engine adds the rounding allowance 3 + 1.05 = 4.05 atoms to the numerator
    exact_smallest = math.ceil(Fraction(10 * ETH * 207_000_000, 601_250_000))
    closed = math.ceil(Fraction(10 * ETH) * (207_000_000 + Fraction(405, 100)) / 601_250_000)
    assert (exact_smallest, closed) == (3_442_827_442_827_442_828, 3_442_827_510_187_110_188)
    assert record.health_wad == health_up_wad(1_249_875_000, 1_387_500_000)
    assert (record.path, record.closed_atoms) == ("keeper", closed)
    # exact arithmetic: the exact smallest close reaches 1.05 and one atom less does not
    args = (1_249_875_000, 1_387_500_000, 925_000_000, 18_500_000_000, 2 * PERCENT)
    assert exact_health_after(*args, Fraction(exact_smallest - 1, 10 * ETH)) < Fraction(target, WAD)
    assert exact_health_after(*args, Fraction(exact_smallest, 10 * ETH)) >= Fraction(target, WAD)
    # the second market's position is untouched
    assert venue.position("bea", SECOND_MARKET) == Position(5 * ETH, 10_000_025_000, 0, MarginMode.CROSS)
    venue.assert_replay_equals_live()


# --- sizing: Hyperliquid partial liquidation ----------------------------------------------------

HYPERLIQUID = LiquidationPolicy(
    sizing=SizingRule.HYPERLIQUID_PARTIAL,
    partial_threshold_atoms=10_000 * USDC,
    partial_fraction_wad=20 * PERCENT,
    partial_cooldown_ns=30 * SECOND_NS,
)


@pytest.mark.parametrize(
    ("delay_ns", "closed_atoms", "partial"),
    [
        (29 * SECOND_NS, 8 * ETH, False),  # inside the 30 s cooldown: the whole remaining 8 ETH
        (30 * SECOND_NS, 16 * ETH // 10, True),  # cooldown over: 20% of 8 ETH again (14_800 USDC > 10_000)
    ],
)
def test_hyperliquid_partial_then_whole_during_the_cooldown_and_partial_again_after_it(
    delay_ns: int, closed_atoms: int, partial: bool
) -> None:
    # Arrange: M = 2_100 USDC at 1850: N = 18_500 USDC > threshold 10_000, H ≈ 0.6485
    venue = PolicyVenue(HYPERLIQUID)
    venue.open_isolated("alice", 10 * ETH, 2_100 * USDC)
    venue.quote_prices(1_850 * WAD)
    first_at = venue.now
    first = recorded(venue.liquidate("alice"))
    # 20% = 2 ETH: PnL 3_700_000_000 − 4_000_020_000 = −300_020_000, penalty ⌈3_700_000_000·0.02⌉ =
    # 74_000_000; vault 2_100_000_000 − 300_020_000 − 74_000_000 = 1_725_980_000, basis 16_000_080_000.
    # Still liquidatable: E = 1_725_980_000 + 14_800_000_000 − 16_000_080_000 = 525_900_000 < R = 740_000_000
    assert (first.closed_atoms, first.partial) == (2 * ETH, True)
    position = venue.position("alice")
    assert position is not None
    assert (position.size_atoms, position.open_notional_atoms) == (8 * ETH, 16_000_080_000)
    assert position.isolated_margin_atoms == 1_725_980_000
    assert venue.state.pools[POOL].liquidation_marks[(("alice", 0), MARKET)].last_partial_ns == first_at

    # Act
    venue.quote_prices(1_850 * WAD, advance_ns=delay_ns)
    second = recorded(venue.liquidate("alice"))

    # Assert
    assert (second.path, second.closed_atoms, second.partial) == ("keeper", closed_atoms, partial)
    marks = venue.state.pools[POOL].liquidation_marks
    assert ((("alice", 0), MARKET) in marks) == partial
    venue.assert_replay_equals_live()


def test_hyperliquid_closes_a_position_at_or_below_the_threshold_whole() -> None:
    # Arrange: threshold 18_500 USDC; the position's notional at 1850 is exactly 18_500 USDC
    venue = PolicyVenue(dataclasses.replace(HYPERLIQUID, partial_threshold_atoms=18_500 * USDC))
    venue.open_isolated("alice", 10 * ETH, 2_100 * USDC)
    venue.quote_prices(1_850 * WAD)

    # Act
    record = recorded(venue.liquidate("alice"))

    # Assert
    assert (record.closed_atoms, record.partial) == (10 * ETH, False)
    assert venue.state.pools[POOL].liquidation_marks == {}


# --- incentive: Euler health-scaled -------------------------------------------------------------


@pytest.mark.parametrize(
    ("margin_atoms", "penalty_wad", "penalty_atoms"),
    [
        # E = 899_900_000, R = 900_000_000 at 1800: H = ⌈8999/9000·1e18⌉ = 999_888_888_888_888_889;
        # 1 − H = 111_111_111_111_111 < 2%; on 5 ETH (9e9): ⌈9e9·111_111_111_111_111/1e18⌉ = ⌈999_999.999…⌉
        (2_900_000_000, 111_111_111_111_111, 1_000_000),
        # E = 855_000_000: H = 0.95, 1 − H = 5% > the 2% cap: ⌈9e9·0.02⌉ = 180_000_000
        (2_855_100_000, 2 * PERCENT, 180_000_000),
    ],
)
def test_health_scaled_penalty_is_one_minus_health_rounded_up_capped_at_the_maximum(
    margin_atoms: int, penalty_wad: int, penalty_atoms: int
) -> None:
    # Arrange: Euler v2's discount min(1 − H, max) with max 2%
    venue = PolicyVenue(LiquidationPolicy(incentive=IncentiveRule.HEALTH_SCALED, max_penalty_wad=2 * PERCENT))
    venue.open_isolated("alice", 10 * ETH, margin_atoms)
    venue.quote_prices(1_800 * WAD)
    equity = margin_atoms + 18_000_000_000 - BASIS_OF_TEN
    assert penalty_wad == min(WAD - health_up_wad(equity, 900_000_000), 2 * PERCENT)

    # Act
    events = venue.liquidate("alice")

    # Assert: the close factor's 5 ETH pay the penalty, floored half to the keeper
    record = recorded(events)
    assert (record.path, record.penalty_wad, record.closed_atoms) == ("keeper", penalty_wad, 5 * ETH)
    change = only(events, PositionLiquidated)
    assert change.keeper_reward_atoms + change.insurance_penalty_atoms == penalty_atoms
    assert change.keeper_reward_atoms == penalty_atoms // 2
    venue.assert_replay_equals_live()


# --- incentive: Aave v4 linear bonus ------------------------------------------------------------

LINEAR_BONUS = LiquidationPolicy(
    incentive=IncentiveRule.LINEAR_BONUS,
    max_penalty_wad=3 * PERCENT,
    min_penalty_share_wad=50 * PERCENT,
    health_for_max_penalty_wad=80 * PERCENT,
)
"""p_max 3% at and below H = 0.8, p_min = 1.5% at H = 1; no-split guard 3% ≤ 5%·0.8 = 4%."""


def linear_bonus_wad(health_wad: int) -> int:
    """Return Aave v4's bonus as a penalty, in Fraction: ``p_min + (p_max − p_min)·(1 − H)/(1 − h_max)``, floored."""
    if health_wad <= 80 * PERCENT:
        return 3 * PERCENT
    low = Fraction(15, 1000)
    return math.floor((low + (Fraction(3, 100) - low) * Fraction(WAD - health_wad, WAD) / Fraction(2, 10)) * WAD)


@pytest.mark.parametrize(
    ("price", "margin_atoms", "penalty_wad"),
    [
        # E = 599_900_000, R = 925_000_000 (H ≈ 0.6485 ≤ 0.8): the maximum; not toxic as E ≥ 0.03·18_500e6
        (1_850, 2_100_000_000, 3 * PERCENT),
        # E = 720_000_000, R = 900_000_000: H = 0.8 exactly, still the maximum
        (1_800, 2_720_100_000, 3 * PERCENT),
        # one atom more: H = ⌈720_000_001/9e8·1e18⌉ = 800_000_001_111_111_112 > 0.8: interpolated just below 3%
        (1_800, 2_720_100_001, 29_999_999_916_666_666),
        # H = 0.95: 1.5% + 1.5%·0.05/0.2 = 1.875%
        (1_800, 2_855_100_000, 18_750_000_000_000_000),
        # near 1: H = 999_888_888_888_888_889: 1.5% + ⌊1.5e16·111_111_111_111_111/2e17⌋ = 1.5e16 + 8_333_333_333_333
        (1_800, 2_900_000_000, 15_008_333_333_333_333),
    ],
)
def test_linear_bonus_is_maximal_up_to_its_health_and_interpolated_above_it(
    price: int, margin_atoms: int, penalty_wad: int
) -> None:
    # Arrange
    venue = PolicyVenue(LINEAR_BONUS)
    venue.open_isolated("alice", 10 * ETH, margin_atoms)
    venue.quote_prices(price * WAD)
    equity = margin_atoms + 10 * price * USDC - BASIS_OF_TEN
    requirement = price * USDC // 2
    assert penalty_wad == linear_bonus_wad(health_up_wad(equity, requirement))

    # Act
    events = venue.liquidate("alice")

    # Assert: 5 ETH closed (notional 5·price), the penalty ⌈notional·rate⌉
    record = recorded(events)
    assert (record.path, record.penalty_wad, record.closed_atoms) == ("keeper", penalty_wad, 5 * ETH)
    change = only(events, PositionLiquidated)
    paid = math.ceil(Fraction(5 * price * USDC * penalty_wad, WAD))
    assert change.keeper_reward_atoms + change.insurance_penalty_atoms == paid
    venue.assert_replay_equals_live()


def second_pool(venue: PolicyVenue, pool: PoolParams) -> None:
    """Create pool ``Q`` with ``pool`` (policy ranges pass; the guards run when a market is added)."""
    assert only(venue.run(CreatePool("Q", "perp", 1, pool, venue.now)), PoolCreated).pool == "Q"


@pytest.mark.parametrize(
    ("max_penalty_wad", "accepted"),
    [
        (4 * PERCENT, True),  # p_max = m·h_max = 0.05·0.8 exactly
        (4 * PERCENT + 1, False),
    ],
)
def test_no_split_guard_refuses_a_linear_bonus_above_maintenance_times_its_health(
    max_penalty_wad: int, accepted: bool
) -> None:
    # Arrange
    venue = PolicyVenue(in_genesis=True)  # the test adds a pool to the genesis
    policy = dataclasses.replace(LINEAR_BONUS, max_penalty_wad=max_penalty_wad)
    second_pool(venue, dataclasses.replace(POOL_PARAMS, liquidation=policy))
    command = AddMarket("Q", MARKET_PARAMS, venue.now)

    # Act / Assert
    if accepted:
        assert only(venue.run(command), MarketAdded).pool == "Q"
    else:
        venue.refuse(
            command,
            InvalidParameter,
            r"liquidation\.max_penalty_wad=40000000000000001 is not accepted: expected at most "
            r"maintenance·health_for_max_penalty = 40000000000000000 \(the no-split guard\)",
        )


@pytest.mark.parametrize(
    ("penalty_wad", "incentive", "accepted"),
    [
        (6 * PERCENT - 1, IncentiveRule.FIXED, True),  # T·m = 1.2·0.05 = 0.06 > p
        (6 * PERCENT, IncentiveRule.FIXED, False),  # T·m = p: no close ever reaches the target
        (6 * PERCENT, IncentiveRule.HEALTH_SCALED, False),  # the largest penalty is max_penalty = 6%
    ],
)
def test_target_health_is_refused_when_target_times_maintenance_does_not_exceed_the_penalty(
    penalty_wad: int, incentive: IncentiveRule, accepted: bool
) -> None:
    # Arrange: the fixed rule's largest penalty is the pool's; the health-scaled one's is max_penalty
    venue = PolicyVenue(in_genesis=True)  # the test adds a pool to the genesis
    fixed = penalty_wad if incentive is IncentiveRule.FIXED else 2 * PERCENT
    policy = LiquidationPolicy(
        sizing=SizingRule.TARGET_HEALTH,
        target_health_wad=12 * WAD // 10,
        incentive=incentive,
        max_penalty_wad=penalty_wad,
    )
    second_pool(venue, dataclasses.replace(POOL_PARAMS, liquidation_penalty_wad=fixed, liquidation=policy))
    command = AddMarket("Q", MARKET_PARAMS, venue.now)

    # Act / Assert
    if accepted:
        assert only(venue.run(command), MarketAdded).pool == "Q"
    else:
        venue.refuse(
            command,
            InvalidParameter,
            r"liquidation\.target_health_wad=1200000000000000000 is not accepted: expected target·maintenance "
            r"above the largest penalty 60000000000000000",
        )


# --- validation at CreatePool -------------------------------------------------------------------

OUT_OF_RANGE: list[tuple[str, int, type[RingfenceError]]] = [
    ("full_liquidation_health_wad", -1, InvalidAmount),
    ("full_liquidation_health_wad", WAD + 1, InvalidAmount),
    ("target_health_wad", WAD, InvalidAmount),  # must exceed 1
    ("target_health_wad", 10 * WAD + 1, InvalidAmount),
    ("partial_threshold_atoms", -1, InvalidParameter),
    ("partial_threshold_atoms", MAX_ATOMS + 1, InvalidParameter),
    ("partial_fraction_wad", 0, InvalidAmount),
    ("partial_fraction_wad", WAD + 1, InvalidAmount),
    ("partial_cooldown_ns", -1, InvalidParameter),
    ("dust_atoms", -1, InvalidParameter),
    ("max_penalty_wad", WAD // 2 + 1, InvalidAmount),
    ("min_penalty_share_wad", WAD + 1, InvalidAmount),
    ("health_for_max_penalty_wad", WAD, InvalidAmount),
    ("backstop_health_wad", WAD + 1, InvalidAmount),
    ("backstop_loss_cap_atoms", -1, InvalidParameter),
    ("window_ns", 0, InvalidParameter),
    ("max_liquidated_atoms_per_window", 0, InvalidParameter),
    ("throughput_breaker_atoms", 0, InvalidParameter),
    ("throughput_breaker_atoms", MAX_ATOMS + 1, InvalidParameter),
    ("max_execution_gap_wad", -1, InvalidAmount),
    ("max_execution_gap_wad", WAD, InvalidAmount),  # a price 100% below the oracle would be 0
    ("bankruptcy_adjustment_ppm", 999_999, InvalidParameter),  # dYdX: BA ≥ 1,000,000 (or 0: off)
    ("bankruptcy_adjustment_ppm", 2**32, InvalidParameter),  # dYdX stores it as a uint32
    ("spread_to_maintenance_ppm", 1, InvalidParameter),  # without a bankruptcy adjustment: unused, must be 0
    ("phased_initial_share_bps", -1, InvalidParameter),
    ("phased_initial_share_bps", 10_001, InvalidParameter),  # Drift: 10,000 is 100%
    ("phased_duration_ns", -1, InvalidParameter),
    ("phased_full_below_atoms", -1, InvalidParameter),
    ("maintenance_ramp_ns", -1, InvalidParameter),
    ("maintenance_ramp_ns", 2**32 * 10**9, InvalidParameter),  # Euler: rampDuration is a uint32 of seconds
]


def pool_with(**changes: object) -> PoolParams:
    """Return the module's pool with policy fields changed (the target-health rule when its field is)."""
    sizing = {"sizing": SizingRule.TARGET_HEALTH} if "target_health_wad" in changes else {}
    policy = dataclasses.replace(LiquidationPolicy(), **sizing, **changes)  # type: ignore[arg-type]
    return dataclasses.replace(POOL_PARAMS, liquidation=policy)


@pytest.mark.parametrize(("field", "value", "error"), OUT_OF_RANGE)
def test_create_pool_refuses_every_out_of_range_policy_field_by_name(
    field: str, value: int, error: type[RingfenceError]
) -> None:
    # Arrange
    venue = PolicyVenue(in_genesis=True)  # the test adds a pool to the genesis

    # Act / Assert: the message names liquidation.<field> and the value; nothing changes
    venue.refuse(
        CreatePool("Q", "perp", 1, pool_with(**{field: value}), venue.now), error, rf"liquidation\.{field}={value}"
    )


def test_every_numeric_policy_field_has_an_out_of_range_case() -> None:
    numeric = {f.name for f in dataclasses.fields(LiquidationPolicy) if f.type == "int"}
    assert numeric == {field for field, _, _ in OUT_OF_RANGE}


def test_create_pool_accepts_every_policy_field_at_its_bounds() -> None:
    # Arrange
    venue = PolicyVenue(in_genesis=True)  # the test adds a pool to the genesis
    high = pool_with(
        full_liquidation_health_wad=WAD,
        target_health_wad=10 * WAD,
        partial_threshold_atoms=MAX_ATOMS,
        partial_fraction_wad=WAD,
        partial_cooldown_ns=MAX_ATOMS,
        dust_atoms=MAX_ATOMS,
        max_penalty_wad=WAD // 2,
        min_penalty_share_wad=WAD,
        health_for_max_penalty_wad=WAD - 1,
        backstop_health_wad=WAD,
        backstop_loss_cap_atoms=MAX_ATOMS,
        window_ns=MAX_ATOMS,
        max_liquidated_atoms_per_window=MAX_ATOMS,
        throughput_breaker_atoms=MAX_ATOMS,
    )
    low = pool_with(target_health_wad=WAD + 1, partial_fraction_wad=1, window_ns=1, max_liquidated_atoms_per_window=1)

    # Act / Assert
    assert only(venue.run(CreatePool("HIGH", "perp", 1, high, venue.now)), PoolCreated).params == high
    assert only(venue.run(CreatePool("LOW", "perp", 1, low, venue.now)), PoolCreated).params == low


@pytest.mark.parametrize(
    ("field", "value"),
    [("sizing", "whole_position"), ("incentive", "fixed"), ("auto_deleverage", 1), ("dust_atoms", True)],
)
def test_create_pool_refuses_a_policy_field_of_the_wrong_type(field: str, value: object) -> None:
    # Arrange
    venue = PolicyVenue(in_genesis=True)  # the test adds a pool to the genesis

    # Act / Assert
    error = venue.refuse(CreatePool("Q", "perp", 1, pool_with(**{field: value}), venue.now), RingfenceError, field)
    assert isinstance(error, InvalidParameter | InvalidAmount)
