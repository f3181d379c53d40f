"""Conformance of the liquidation rules the engine runs on a perpetual (``core/liquidation/perpetual.py``,
``waterfall.py``, and the venue primitives they call).

Each venue formula is checked against numbers computed here independently of the code: by hand (the
arithmetic beside it) or with ``fractions.Fraction`` as a second, exact implementation. Sources:
Aave v4 ``src/spoke/libraries/LiquidationLogic.sol`` (debt to target, liquidation bonus; worked example
in ``docs/features/LiquidationEngine.md``), Aave v3.3 ``LiquidationLogic.sol`` (close factor), Drift v2
``perp_market.rs`` (``liquidator_fee`` / ``if_liquidation_fee``), Maker ``dog.sol`` (``bark``: pacing room
and dust), Binance / Bybit / Hyperliquid ADL ranking ("PnL percentage × effective leverage").

The perpetual mapping (module docstring of ``perpetual.py``): equity ``E`` against requirement ``R``,
notional ``N``, the position's own requirement ``R_p``; a penalty ``p`` on the closed notional plays
Aave's ``LB·CF`` as ``p·N/R_p``.
"""

from __future__ import annotations

import math
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ringfence.core.errors import InvalidParameter
from ringfence.core.liquidation.incentive import (
    aave_v4_penalty_rate_wad,
    liquidation_lowers_health,
    no_split_guard_holds,
    split_paid_penalty,
)
from ringfence.core.liquidation.kinds import LiquidationReason
from ringfence.core.liquidation.perpetual import (
    ROUNDING_ALLOWANCE_ATOMS,
    CloseSettlement,
    PositionRisk,
    backstop_close,
    backstop_reason,
    charge_execution_cost,
    close_factor_size_atoms,
    closed_notional_atoms,
    execution_cost_atoms,
    execution_gap_bound_wad,
    health_lowered,
    is_toxic,
    keeper_close,
    largest_health_scaled_penalty_wad,
    largest_unsplit_penalty_wad,
    no_split_guard_holds_on_notional,
    paced_size_atoms,
    target_health_size_atoms,
    target_reachable_on_notional,
    value_to_quote_atoms,
    without_dust,
)
from ringfence.core.liquidation.sizing import repay_to_target_health, target_reachable
from ringfence.core.liquidation.waterfall import (
    adl_forgone_atoms,
    adl_score,
    insurance_room_atoms,
    nav_drawdown_excess,
    split_shortfall,
    throughput_excess,
)
from ringfence.core.liquidation.window import Window
from ringfence.core.units import WAD, Rounding

USDC = 10**6
ETH = 10**18
PERCENT = WAD // 100

# alice's isolated long of 10 ETH at 2000.01 with margin 2_100 USDC, at an oracle of 1850:
# N = 18_500 USDC, E = 2_100 + 18_500 − 20_000.1 = 599.9 USDC, R = R_p = 5%·18_500 = 925 USDC
ALICE = PositionRisk(10 * ETH, 18_500 * USDC, 599_900_000, 925 * USDC, 925 * USDC)


# --- Drift v2: the paid penalty split ------------------------------------------------------------------


def test_a_paid_penalty_is_split_keeper_floor_insurance_rest() -> None:
    # Drift liquidator_fee / if_liquidation_fee with a 60% keeper share: ⌊50_000_001·0.6⌋ = 30_000_000
    assert split_paid_penalty(50_000_001, 60 * PERCENT) == (30_000_000, 20_000_001)
    assert split_paid_penalty(0, 60 * PERCENT) == (0, 0)


# --- Aave v4: the bonus as a penalty rate ------------------------------------------------------------


def test_aave_v4_penalty_rate_reproduces_the_documented_example() -> None:
    # LiquidationEngine.md: maxLB 1.05, factor 0.8, hfForMaxBonus 0.85, HF 0.95 → 1.0433…: as a penalty,
    # p_min = ⌊0.05·0.8⌋ = 0.04, p = 0.04 + ⌊0.01·(1 − 0.95)/(1 − 0.85)⌋ = 0.04 + 0.00333… (floored in WAD)
    assert aave_v4_penalty_rate_wad(5 * PERCENT, 80 * PERCENT, 85 * PERCENT, 95 * PERCENT) == 43_333_333_333_333_333
    assert aave_v4_penalty_rate_wad(5 * PERCENT, 80 * PERCENT, 85 * PERCENT, 85 * PERCENT) == 5 * PERCENT
    assert aave_v4_penalty_rate_wad(5 * PERCENT, 80 * PERCENT, 85 * PERCENT, WAD) == 4 * PERCENT  # H = 1: p_min


@given(
    st.integers(0, WAD // 2),
    st.integers(0, WAD),
    st.integers(0, WAD - 1),
    st.integers(0, 2 * WAD),
)
def test_aave_v4_penalty_rate_matches_a_rational_interpolation(high: int, share: int, h_max: int, health: int) -> None:
    low = math.floor(Fraction(high * share, WAD))
    ramp = low + math.floor(Fraction((high - low) * max(WAD - health, 0), WAD - h_max))
    expected = high if health <= h_max else ramp
    assert aave_v4_penalty_rate_wad(high, share, h_max, health) == expected


# --- the toxic test ------------------------------------------------------------------------------------


@given(
    st.integers(1, 10**12),
    st.integers(1, 10**12),
    st.integers(0, 10**12),
    st.integers(1, 10**12),
    st.fractions(min_value=Fraction(1, 10**6), max_value=Fraction(999_999, 10**6)),
)
def test_lowers_health_agrees_with_a_rational_projection(
    a_total: int, d_total: int, a: int, d: int, x: Fraction
) -> None:
    # Repay a share x of a unit that removes d of debt and a of adjusted collateral; health falls iff the
    # projection (A − x·a)/(D − x·d) is below A/D (only where the debt stays positive)
    if x * d >= d_total:
        return
    before = Fraction(a_total, d_total)
    after = (a_total - x * a) / (d_total - x * d)
    lowers = liquidation_lowers_health(adjusted_collateral=a_total, debt=d_total, collateral_lost=a, debt_removed=d)
    assert lowers == (after < before)


def test_a_fixed_penalty_is_toxic_below_health_p_over_m() -> None:
    # one position, R = R_p = m·N: toxic iff E < p·N = 2%·18_500 = 370 USDC (H < p/m = 0.4)
    risk = PositionRisk(10 * ETH, 18_500 * USDC, 370 * USDC - 1, 925 * USDC, 925 * USDC)
    assert is_toxic(risk, 2 * PERCENT)
    assert not is_toxic(PositionRisk(10 * ETH, 18_500 * USDC, 370 * USDC, 925 * USDC, 925 * USDC), 2 * PERCENT)
    assert not is_toxic(PositionRisk(10 * ETH, 18_500 * USDC, 0, 925 * USDC, 925 * USDC), 2 * PERCENT)  # bankrupt
    assert not is_toxic(ALICE, 0)


def test_euler_health_scaled_penalty_is_toxic_below_one_over_one_plus_maintenance() -> None:
    # p = 1 − H on the notional, m = 5%: toxic iff H·m < 1 − H ⟺ H < 1/1.05 = 0.95238…
    requirement = 925 * USDC
    for equity_usdc, toxic in ((880, True), (881, False)):  # 880/925 = 0.9513…, 881/925 = 0.9524…
        risk = PositionRisk(10 * ETH, 18_500 * USDC, equity_usdc * USDC, requirement, requirement)
        penalty = WAD - risk.health_wad()
        assert is_toxic(risk, penalty) is toxic


# --- sizing ----------------------------------------------------------------------------------------------


@given(
    st.integers(1, 10**9),
    st.integers(0, 10**27),
    st.integers(WAD + 1, 3 * WAD),
    st.integers(1, 10**9),
    st.integers(0, 10**27),
    st.integers(1, 10**6),
)
def test_repay_to_target_is_the_smallest_repayment_reaching_the_target(
    debt: int, adjusted: int, target: int, d: int, a: int, units: int
) -> None:
    # health A/D with A WAD-scaled; repaying x of `units` removes x·d/units of debt and x·a/units of collateral
    x = repay_to_target_health(
        units=units,
        debt=debt,
        adjusted_collateral=adjusted,
        target_health_wad=target,
        debt_removed=d,
        collateral_lost=a,
    )

    def reaches(repaid: int) -> bool:
        left = Fraction(debt) - Fraction(repaid * d, units)
        return Fraction(adjusted) - Fraction(repaid * a, units) >= Fraction(target) * left

    if target * debt <= adjusted:
        assert x == 0
    elif target * d <= a:
        assert x is None
    else:
        assert x is not None and x == math.ceil(Fraction(units * (target * debt - adjusted), target * d - a))
        assert reaches(x) and not reaches(x - 1)


def test_target_health_size_brings_alice_to_the_target_with_the_rounding_allowance() -> None:
    # T = 1.2, p = 2%: size = ⌈S·(T·R − E + allowance)/(T·R_p − p·N)⌉, the allowance 3 atoms of equity and
    # one of requirement (T·1 atom): (1_110_000_000 − 599_900_000 + 3 + 1.2)/(1_110_000_000 − 370_000_000)
    # = 510_100_004.2/740_000_000 = 0.68932433 exactly, so 1e19·0.68932433 = 6_893_243_300_000_000_000
    target = 12 * WAD // 10
    numerator = Fraction(target * 925 * USDC - 599_900_000 * WAD + ROUNDING_ALLOWANCE_ATOMS * WAD + target)
    denominator = Fraction(target * 925 * USDC - 2 * PERCENT * 18_500 * USDC)
    expected = math.ceil(10 * ETH * numerator / denominator)
    assert target_health_size_atoms(target, ALICE, 2 * PERCENT) == expected == 6_893_243_300_000_000_000
    # a penalty the requirement cannot outrun (T·R_p ≤ p·N) closes the whole position
    assert target_health_size_atoms(target, ALICE, 6 * PERCENT) == 10 * ETH


def test_close_factor_takes_the_share_rounded_up_and_everything_below_the_threshold() -> None:
    # Aave v3.3: 50% above HF 0.95, 100% at or below; ⌈10 ETH + 1 atom · 50%⌉
    odd = PositionRisk(10 * ETH + 1, 18_500 * USDC, 599_900_000, 925 * USDC, 925 * USDC)
    assert close_factor_size_atoms(odd, 50 * PERCENT, 0) == 5 * ETH + 1
    assert close_factor_size_atoms(ALICE, 50 * PERCENT, 95 * PERCENT) == 10 * ETH  # H = 0.6485… < 0.95


def test_dust_takes_the_whole_position_and_the_pacing_room_trims_then_frees_dust() -> None:
    # 5 of 10 ETH leave 9_250 USDC: not dust under 9_250, dust under 9_250 + 1
    assert without_dust(ALICE, 5 * ETH, 9_250 * USDC) == 5 * ETH
    assert without_dust(ALICE, 5 * ETH, 9_250 * USDC + 1) == 10 * ETH
    assert without_dust(ALICE, 5 * ETH, 0) == 5 * ETH
    # Maker bark: room 18_000 of 18_500: ⌊1e19·18_000/18_500⌋ = 9_729_729_729_729_729_729, leaving
    # ⌊18_500e6·270_270_270_270_270_271/1e19⌋ = 500_000_000 (500 USDC): dust under 1_000, kept under 400
    trimmed = 9_729_729_729_729_729_729
    assert paced_size_atoms(ALICE, 10 * ETH, 18_000 * USDC, 400 * USDC) == trimmed
    assert paced_size_atoms(ALICE, 10 * ETH, 18_000 * USDC, 1_000 * USDC) == 10 * ETH
    assert paced_size_atoms(ALICE, 5 * ETH, 9_250 * USDC, 0) == 5 * ETH  # fits: as it is
    assert paced_size_atoms(ALICE, 5 * ETH, 0, 0) == 0  # no room
    assert closed_notional_atoms(ALICE, trimmed) == 18_000 * USDC  # ⌈18_499_999_999.99…·…⌉


# --- settlement --------------------------------------------------------------------------------------


def test_keeper_close_pays_the_penalty_rounded_up_as_far_as_the_margin_reaches() -> None:
    # close 2 ETH of alice at 1850: notional 3_700 USDC, PnL 3_700_000_000 − 4_000_020_000 = −300_020_000;
    # penalty ⌈3_700_000_000·2%⌉ = 74_000_000, keeper ⌊·50%⌋ = 37_000_000
    paid = keeper_close(2_100 * USDC, -300_020_000, 3_700 * USDC, 2 * PERCENT, 50 * PERCENT)
    assert paid == CloseSettlement(37_000_000, 37_000_000, 0, 2_100_000_000 - 300_020_000 - 74_000_000)
    # a margin of 10 atoms after the PnL pays 10 of the penalty: keeper 5, insurance 5
    assert keeper_close(300_020_010, -300_020_000, 3_700 * USDC, 2 * PERCENT, 50 * PERCENT) == CloseSettlement(
        5, 5, 0, 0
    )
    # 1 atom of notional at 2% still costs 1 atom (rounded up)
    assert keeper_close(10, 0, 1, 2 * PERCENT, 50 * PERCENT) == CloseSettlement(0, 1, 0, 9)


def test_backstop_close_forfeits_the_equity_left_up_to_the_cap() -> None:
    assert backstop_close(2_100 * USDC, -1_500_100_000, 925 * USDC) == CloseSettlement(0, 0, 599_900_000, 0)
    assert backstop_close(2_100 * USDC, -1_000 * USDC, 925 * USDC) == CloseSettlement(0, 0, 925 * USDC, 175 * USDC)
    assert backstop_close(2_100 * USDC, -2_200 * USDC, 925 * USDC) == CloseSettlement(0, 0, 0, -100 * USDC)


def test_backstop_reason_orders_bankrupt_toxic_threshold() -> None:
    bankrupt = (LiquidationReason.BANKRUPT, "bankrupt: maintenance equity 0")
    assert backstop_reason(PositionRisk(1, 1, 0, 10, 10), 2 * PERCENT, 0) == bankrupt
    below = backstop_reason(ALICE, 2 * PERCENT, 2 * WAD // 3)
    assert below is not None and below[0] is LiquidationReason.BELOW_BACKSTOP_THRESHOLD
    assert below[1].startswith("health 648540540540540541")
    assert backstop_reason(ALICE, 2 * PERCENT, 0) is None
    toxic = backstop_reason(ALICE, 40 * PERCENT, 0)  # E 599.9 < 40%·18_500
    assert toxic is not None and toxic[0] is LiquidationReason.TOXIC and toxic[1].startswith("toxic")


def test_execution_cost_is_size_times_the_gap_rounded_up_on_the_unfavourable_side_only() -> None:
    # sell 2 ETH (18 decimals) at 1849.5 against an oracle of 1850, gap bound 1%: 2·0.5 = 1 USDC
    decimals = (18, 6)
    bound = execution_gap_bound_wad(1_850 * WAD, PERCENT)
    assert bound == 185 * WAD // 10  # 1% of 1850
    assert execution_cost_atoms(2 * ETH, 1_850 * WAD, 18_495 * WAD // 10, True, bound, decimals) == USDC
    assert execution_cost_atoms(2 * ETH, 1_850 * WAD, None, True, bound, decimals) == 0
    assert execution_cost_atoms(1, 1_850 * WAD, 1_850 * WAD - 1, True, bound, decimals) == 1  # ⌈1e-36⌉ atom
    assert execution_cost_atoms(ETH, 1_850 * WAD, 18_685 * WAD // 10, False, bound, decimals) == 18_500_000
    with pytest.raises(InvalidParameter):  # better than the oracle for a sale
        execution_cost_atoms(2 * ETH, 1_850 * WAD, 1_851 * WAD, True, bound, decimals)
    with pytest.raises(InvalidParameter):  # past the 1% bound: 18.5
        execution_cost_atoms(2 * ETH, 1_850 * WAD, 1_831 * WAD, True, bound, decimals)


def test_execution_cost_is_charged_before_the_penalty() -> None:
    close = CloseSettlement(37_000_000, 37_000_000, 0, 100)
    # a cost of 74_000_050 leaves 100 + 74_000_000 − 74_000_050 = 50 for the penalty: split 25 / 25
    assert charge_execution_cost(close, 74_000_050, True, 50 * PERCENT) == CloseSettlement(25, 25, 0, 0, 74_000_050)
    assert charge_execution_cost(CloseSettlement(0, 0, 40, 0), 50, False, 50 * PERCENT) == CloseSettlement(
        0, 0, 0, -10, 50
    )
    assert charge_execution_cost(close, 0, True, 50 * PERCENT) is close


def test_value_to_quote_rounds_as_told() -> None:
    # value atoms have 6 decimals here (VALUE_DECIMALS); a quote asset of 2 decimals drops 4 of them
    assert value_to_quote_atoms(12_345, 2, Rounding.DOWN) == 1
    assert value_to_quote_atoms(12_345, 2, Rounding.UP) == 2
    assert value_to_quote_atoms(7, 8, Rounding.DOWN) == 700


# --- the waterfall ----------------------------------------------------------------------------------


def test_shortfall_goes_insurance_then_backstop_then_the_rest() -> None:
    assert split_shortfall(2_900_100_000, 1_000 * USDC, 2_500 * USDC) == (1_000 * USDC, 1_900_100_000, 0)
    assert split_shortfall(2_900_100_000, 0, 0) == (0, 0, 2_900_100_000)
    # insurance room: min(cap − drawn, fund), 0 when the fund is empty; a new window restores the cap
    window = Window(1_000, 700, 0)
    assert insurance_room_atoms(window, 1_500, 3_600, 1_000, 10_000) == 300
    assert insurance_room_atoms(window, 1_500, 3_600, 1_000, 200) == 200
    assert insurance_room_atoms(window, 4_600, 3_600, 1_000, 10_000) == 1_000


def test_nav_drawdown_and_throughput_breakers_trip_strictly_past_their_limits() -> None:
    # open window: reference 10_000, 20% → limit 2_000; 1_500 used + 500 = 2_000 is not past it
    window = Window(1_000, 1_500, 10_000)
    assert nav_drawdown_excess(window, 1_500, 3_600, 500, 99, 20 * PERCENT) is None
    assert nav_drawdown_excess(window, 1_500, 3_600, 501, 99, 20 * PERCENT) == (2_001, 2_000)
    # ended window: the reference is the vault after this command, 5_000 → limit 1_000
    assert nav_drawdown_excess(window, 4_600, 3_600, 1_001, 5_000, 20 * PERCENT) == (1_001, 1_000)
    assert throughput_excess(Window(0, 9_000, 0), 10, 100, 250, 9_250) is None
    assert throughput_excess(Window(0, 9_000, 0), 10, 100, 251, 9_250) == 9_251


def test_adl_ranks_by_pnl_percent_times_leverage_and_shares_the_shortfall_per_atom() -> None:
    # ann: PnL 1_500_051_000 on notional 4_500 USDC with 700 USDC margin: 1_500_051_000·4.5e9/(7e8)²
    assert adl_score(1_500_051_000, 4_500 * USDC, 700 * USDC) == Fraction(
        1_500_051_000 * 4_500 * USDC, 700 * USDC * 700 * USDC
    )
    # closing 3 of 10 ETH: ⌈2_900_100_000·3/10⌉ = 870_030_000, under her profit and her vault
    assert adl_forgone_atoms(2_900_100_000, 3 * ETH, 10 * ETH, 1_500_051_000, None) == 870_030_000
    # capped by the closed part's profit, then (isolated) by its vault
    assert adl_forgone_atoms(2_030_070_000, 2 * ETH, 7 * ETH, 199_993_600, None) == 199_993_600
    assert adl_forgone_atoms(2_030_070_000, 2 * ETH, 7 * ETH, 199_993_600, 150_000_000) == 150_000_000
    assert adl_forgone_atoms(1, ETH, 7 * ETH, -5, None) == 0


# --- policy guards -----------------------------------------------------------------------------------


def test_aave_v4_no_split_guard_and_its_perpetual_form() -> None:
    # Aave v4: maxLB·CF ≤ hfForMaxBonus; 1.05·0.8 = 0.84 exactly
    assert no_split_guard_holds(105 * PERCENT * 80 * PERCENT, WAD, 84 * PERCENT)
    assert not no_split_guard_holds(105 * PERCENT * 80 * PERCENT, WAD, 84 * PERCENT - 1)
    # perpetual: p_max ≤ m·h_max; m = 5%, h_max = 0.8 → 4% is the largest accepted penalty
    assert no_split_guard_holds_on_notional(4 * PERCENT, 5 * PERCENT, 80 * PERCENT)
    assert not no_split_guard_holds_on_notional(4 * PERCENT + 1, 5 * PERCENT, 80 * PERCENT)
    assert largest_unsplit_penalty_wad(5 * PERCENT, 80 * PERCENT) == 4 * PERCENT


@pytest.mark.parametrize("maintenance_wad", [5 * PERCENT, 3 * PERCENT, 1, 10 * PERCENT + 7])
def test_the_largest_health_scaled_cap_is_the_last_one_the_guard_accepts(maintenance_wad: int) -> None:
    # p ≤ m·(1 − p) ⟺ p ≤ m/(1 + m); at 5%: ⌊0.05/1.05·1e18⌋ = 47_619_047_619_047_619
    bound = math.floor(Fraction(maintenance_wad * WAD, WAD + maintenance_wad))
    assert largest_health_scaled_penalty_wad(maintenance_wad) == bound
    assert no_split_guard_holds_on_notional(bound, maintenance_wad, WAD - bound)
    assert not no_split_guard_holds_on_notional(bound + 1, maintenance_wad, WAD - bound - 1)
    if maintenance_wad == 5 * PERCENT:
        assert bound == 47_619_047_619_047_619


def test_a_target_is_reachable_only_above_the_penalty() -> None:
    # Aave v4: THF > LB·CF; 1.0 vs 1.25·0.8 = 1.0 is not reachable
    assert not target_reachable(WAD, WAD, 125 * PERCENT * 80 * PERCENT)
    assert target_reachable(WAD + 1, WAD, 125 * PERCENT * 80 * PERCENT)
    # perpetual: T·m > p; 1.2·5% = 6%
    assert target_reachable_on_notional(12 * WAD // 10, 5 * PERCENT, 6 * PERCENT - 1)
    assert not target_reachable_on_notional(12 * WAD // 10, 5 * PERCENT, 6 * PERCENT)


def test_health_lowered_compares_the_exact_ratios() -> None:
    # 599.9/925 before; after 525.9/740 = 0.7107 (raised); after 1/2 = 0.5 (lowered); equal ratios are not lowered
    assert not health_lowered(599_900_000, 925_000_000, 525_900_000, 740_000_000)
    assert health_lowered(599_900_000, 925_000_000, 1, 2)
    assert not health_lowered(2, 4, 1, 2)
