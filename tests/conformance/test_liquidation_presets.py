"""Conformance of the liquidation sizing and incentive presets with the venues they copy.

Every expected number is written literally and computed independently of ringfence: by
hand (the arithmetic is in the comment) or with ``fractions.Fraction`` as a second,
rational implementation inside the test. Sources, per test, are:

- Aave v3.3: aave-dao/aave-v3-origin ``src/contracts/protocol/libraries/logic/LiquidationLogic.sol``
  and ``.../logic/GenericLogic.sol``.
- Aave v4: aave/aave-v4 ``src/spoke/libraries/LiquidationLogic.sol``, ``src/spoke/Spoke.sol`` and
  ``docs/features/LiquidationEngine.md``.
- Euler v2: euler-xyz/euler-vault-kit ``src/EVault/modules/Liquidation.sol``.
- Morpho Blue: morpho-org/morpho-blue ``src/Morpho.sol``, ``src/libraries/ConstantsLib.sol``,
  ``src/libraries/SharesMathLib.sol``.
- Drift v2: drift-labs/protocol-v2 ``programs/drift/src/state/perp_market.rs``.

No test uses a tolerance: all arithmetic is integer or rational, so equality is exact.
"""

from __future__ import annotations

import math
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ringfence.core.errors import InvalidAmount, InvalidParameter
from ringfence.core.liquidation.incentive import (
    AaveV4LiquidationBonus,
    EulerDiscount,
    FixedPenalty,
    aave_v4_liquidation_bonus_wad,
    euler_discount_wad,
    euler_health_score_wad,
    euler_max_liquidation,
    euler_yield_value,
    is_toxic_liquidation,
    morpho_liquidation_incentive_factor_wad,
    morpho_repaid_shares_for_seized_assets,
    morpho_seized_assets_for_repaid_shares,
    split_fixed_penalty,
)
from ringfence.core.liquidation.reference import (
    CloseFactorSizing,
    SizingInput,
    TargetHealthSizing,
    WholePositionSizing,
    aave_v3_leaves_dust,
    aave_v3_max_debt_to_cover,
    aave_v4_debt_to_liquidate,
    health_before_and_after,
    max_debt_to_cover,
    seize_collateral_with_bonus,
    toxic_loan_to_value_wad,
    weighted_health_factor_wad,
)
from ringfence.core.liquidation.sizing import aave_v4_debt_to_target
from ringfence.core.units import WAD

USD = 10**6  # one dollar in value atoms (VALUE_DECIMALS = 6)
AAVE_V3 = CloseFactorSizing()


def _wad(numerator: int, denominator: int = 1) -> int:
    """Exact WAD of a fraction that is representable (the test fails loudly otherwise)."""
    scaled = Fraction(numerator, denominator) * WAD
    assert scaled.denominator == 1, f"{numerator}/{denominator} is not exact in WAD"
    return int(scaled)


# --- Aave v3.3: health factor, close factor, dust, seizure ----------------------------------------


def test_aave_v3_health_factor_is_threshold_weighted_collateral_over_debt() -> None:
    """Aave v3 ``GenericLogic.calculateUserAccountData``: HF = Σ collateral·LT / debt."""
    # Arrange: $20,000 of ETH at LT 0.825 and $5,000 of USDC at LT 0.78 against $18,000 of debt.
    collaterals = [(20_000 * USD, _wad(825, 1000)), (5_000 * USD, _wad(78, 100))]

    # Act
    health = weighted_health_factor_wad(collaterals, 18_000 * USD)

    # Assert: 20,000·0.825 + 5,000·0.78 = 16,500 + 3,900 = 20,400; 20,400 / 18,000 = 1.1333… (floor).
    assert health == 1_133_333_333_333_333_333
    assert health == math.floor(Fraction(20_400, 18_000) * WAD)
    assert weighted_health_factor_wad(collaterals, 0) is None


@pytest.mark.parametrize(
    ("health_factor_wad", "expected_value"),
    [
        (_wad(96, 100), 5_000 * USD),  # HF 0.96 > 0.95: 50% of the $10,000 total debt
        (_wad(95, 100) + 1, 5_000 * USD),  # just above the threshold: still 50%
        (_wad(95, 100), 10_000 * USD),  # exactly 0.95: Aave tests `HF > 0.95`, so 100%
        (_wad(80, 100), 10_000 * USD),  # deep below: 100%
    ],
)
def test_aave_v3_close_factor_switches_from_50_to_100_percent_at_hf_095(
    health_factor_wad: int, expected_value: int
) -> None:
    """Aave v3.3 ``executeLiquidationCall``: CLOSE_FACTOR_HF_THRESHOLD = 0.95e18, close factor 0.5e4."""
    # Act
    cover = aave_v3_max_debt_to_cover(
        AAVE_V3, debt_value=10_000 * USD, collateral_value=12_000 * USD, health_factor_wad=health_factor_wad
    )

    # Assert
    assert cover == expected_value


def test_aave_v3_close_factor_applies_to_total_debt_and_caps_the_reserve() -> None:
    """Aave v3.3: ``maxLiquidatableDebt = min(reserveDebt, totalDebt·0.5)`` when the 50% rule applies."""
    hf = _wad(99, 100)
    # $8,000 of a $10,000 total: 50% of the total is $5,000 < $8,000 → $5,000.
    big = aave_v3_max_debt_to_cover(
        AAVE_V3,
        debt_value=8_000 * USD,
        collateral_value=9_000 * USD,
        health_factor_wad=hf,
        total_debt_value=10_000 * USD,
    )
    # $4,000 of a $10,000 total: $4,000 ≤ $5,000 → the whole reserve debt.
    small = aave_v3_max_debt_to_cover(
        AAVE_V3,
        debt_value=4_000 * USD,
        collateral_value=9_000 * USD,
        health_factor_wad=hf,
        total_debt_value=10_000 * USD,
    )
    assert (big, small) == (5_000 * USD, 4_000 * USD)


def test_aave_v3_positions_under_2000_dollars_are_fully_liquidatable() -> None:
    """Aave v3.3 ``MIN_BASE_MAX_CLOSE_FACTOR_THRESHOLD = 2000e8``: below it, 100% whatever the HF."""
    hf = _wad(99, 100)
    small_debt = aave_v3_max_debt_to_cover(
        AAVE_V3, debt_value=2_000 * USD - 1, collateral_value=50_000 * USD, health_factor_wad=hf
    )
    small_collateral = aave_v3_max_debt_to_cover(
        AAVE_V3, debt_value=3_000 * USD, collateral_value=2_000 * USD - 1, health_factor_wad=hf
    )
    at_threshold = aave_v3_max_debt_to_cover(
        AAVE_V3, debt_value=2_000 * USD, collateral_value=2_000 * USD, health_factor_wad=hf
    )
    # $1,999.999999 and $3,000 → whole; at exactly $2,000 both → 50% = $1,000.
    assert (small_debt, small_collateral, at_threshold) == (2_000 * USD - 1, 3_000 * USD, 1_000 * USD)


@pytest.mark.parametrize(
    ("repaid", "seized", "leaves_dust"),
    [
        (1_500 * USD, 1_575 * USD, False),  # leaves $1,500 debt and $1,925 collateral: both ≥ $1,000
        (2_100 * USD, 2_205 * USD, True),  # leaves $900 debt < $1,000
        (1_000 * USD, 2_600 * USD, True),  # leaves $900 collateral < $1,000
        (3_000 * USD, 3_150 * USD, False),  # repays all the debt
        (2_500 * USD, 3_500 * USD, False),  # seizes all the collateral
        (2_000 * USD, 2_100 * USD, False),  # leaves exactly $1,000 debt: the bound is inclusive
    ],
)
def test_aave_v3_dust_rule_requires_all_or_1000_dollars_left_on_both_sides(
    repaid: int, seized: int, leaves_dust: bool
) -> None:
    """Aave v3.3 ``MIN_LEFTOVER_BASE = 1000e8``, ``MUST_NOT_LEAVE_DUST``; $3,000 debt against $3,500."""
    result = aave_v3_leaves_dust(
        AAVE_V3,
        debt_value=3_000 * USD,
        collateral_value=3_500 * USD,
        debt_repaid_value=repaid,
        collateral_seized_value=seized,
    )
    assert result is leaves_dust


def test_aave_v3_seizure_pays_bonus_and_takes_protocol_fee_from_the_bonus_only() -> None:
    """Aave v3.3 ``_calculateAvailableCollateralToLiquidate``: seized = debt·price_d/price_c·LB.

    Repay 1,000 USDC (6 decimals, $1) against ETH (18 decimals, $2,000), bonus 105%, protocol
    fee 10% of the bonus: base = 1,000/2,000 = 0.5 ETH; seized = 0.5·1.05 = 0.525 ETH;
    bonus part = 0.525 − 0.525/1.05 = 0.025 ETH; fee = 0.0025 ETH; keeper = 0.5225 ETH.
    """
    seizure = seize_collateral_with_bonus(
        1_000 * 10**6,
        debt_price_wad=WAD,
        debt_decimals=6,
        collateral_price_wad=2_000 * WAD,
        collateral_decimals=18,
        liquidation_bonus_wad=_wad(105, 100),
        protocol_fee_wad=_wad(1, 10),
        collateral_balance_atoms=10**18,
    )
    assert seizure.collateral_seized_atoms == 525_000_000_000_000_000
    assert seizure.protocol_fee_atoms == 2_500_000_000_000_000
    assert seizure.collateral_to_liquidator_atoms == 522_500_000_000_000_000
    assert seizure.debt_repaid_atoms == 1_000_000_000


def test_aave_v3_seizure_capped_by_balance_recomputes_the_debt_rounding_against_the_keeper() -> None:
    """Aave v3.3: when debt·LB/price exceeds the balance, seize it all and repay balance·price/LB.

    Balance 0.4 ETH < 0.525 ETH: debt = 0.4·2,000/1.05 = 761.904761904… USDC → rounds up to
    761.904762; fee = 0.4·(0.05/1.05)·0.1 ETH = 0.00190476190476190476… → rounds up.
    """
    seizure = seize_collateral_with_bonus(
        1_000 * 10**6,
        debt_price_wad=WAD,
        debt_decimals=6,
        collateral_price_wad=2_000 * WAD,
        collateral_decimals=18,
        liquidation_bonus_wad=_wad(105, 100),
        protocol_fee_wad=_wad(1, 10),
        collateral_balance_atoms=4 * 10**17,
    )
    exact_debt = Fraction(4 * 10**17, 10**18) * 2_000 / Fraction(105, 100) * 10**6
    exact_fee = Fraction(4 * 10**17) * Fraction(5, 105) * Fraction(1, 10)
    assert seizure.collateral_seized_atoms == 400_000_000_000_000_000
    assert seizure.debt_repaid_atoms == 761_904_762 == math.ceil(exact_debt)
    assert seizure.protocol_fee_atoms == 1_904_761_904_761_905 == math.ceil(exact_fee)
    assert seizure.collateral_to_liquidator_atoms == 398_095_238_095_238_095


def test_an_inexact_seizure_rounds_against_the_account_and_the_health_projection_uses_it() -> None:
    """Aave floors the seizure; ringfence takes ⌈s⌉ from the account, pays the keeper ⌊s·(1 − fee·(LB−1)/LB)⌋.

    Repay 1 USD of a 6-decimal debt against a 6-decimal collateral at 3 USD, bonus 104%, protocol fee 10%:
    s = 1e6·1.04/3 = 346_666.67 atoms → seized 346_667; the keeper keeps s·(1.04 − 0.004)/1.04 =
    1e6·1.036/3 = 345_333.33 → 345_333; the protocol the rest, 1_334 (its exact 1_333.33 and the dust).
    """
    seizure = seize_collateral_with_bonus(
        10**6,
        debt_price_wad=WAD,
        debt_decimals=6,
        collateral_price_wad=3 * WAD,
        collateral_decimals=6,
        liquidation_bonus_wad=_wad(104, 100),
        protocol_fee_wad=_wad(1, 10),
        collateral_balance_atoms=10**9,
    )
    exact = Fraction(10**6) * Fraction(104, 100) / 3
    assert seizure.collateral_seized_atoms == 346_667 == math.ceil(exact)
    assert seizure.collateral_to_liquidator_atoms == 345_333 == math.floor(exact * (1 - Fraction(4, 104) / 10))
    assert seizure.protocol_fee_atoms == 1_334
    # the projection loses the same rounded-up seizure: ⌈1_000_001·1.04⌉ = ⌈1_040_001.04⌉ = 1_040_002
    change = health_before_and_after(
        collateral_value=2_000_000,
        debt_value=1_500_000,
        liquidation_threshold_wad=_wad(8, 10),
        liquidation_bonus_wad=_wad(104, 100),
        repay_value=1_000_001,
    )
    assert change.collateral_after_value == 2_000_000 - math.ceil(Fraction(1_000_001) * Fraction(104, 100))


# --- Aave v4: target health sizing and the linear bonus --------------------------------------------


def test_aave_v4_debt_to_target_restores_exactly_the_target_health_factor() -> None:
    """Aave v4 ``_calculateDebtToTargetHealthFactor``: l = D·(THF − HF)/(THF − LB·CF).

    D = $10,000, HF 0.95, THF 1.05, LB 1.05, CF 0.8: l = 10,000·0.10/(1.05 − 0.84)
    = 1,000/0.21 = 4,761.904761904… → rounded up to $4,761.904762.
    """
    debt_to_target = aave_v4_debt_to_target(
        total_debt_value=10_000 * USD,
        health_factor_wad=_wad(95, 100),
        target_health_factor_wad=_wad(105, 100),
        liquidation_bonus_wad=_wad(105, 100),
        collateral_factor_wad=_wad(8, 10),
    )
    assert debt_to_target == 4_761_904_762
    # Second implementation: the health factor after repaying l and seizing LB·l weighted CF.
    weighted = Fraction(95, 100) * 10_000 * USD
    after = (weighted - Fraction(105, 100) * Fraction(8, 10) * debt_to_target) / (10_000 * USD - debt_to_target)
    exact_after = (weighted - Fraction(84, 100) * Fraction(10**11, 21)) / (10_000 * USD - Fraction(10**11, 21))
    assert exact_after == Fraction(105, 100)
    assert after >= Fraction(105, 100)  # rounding the repayment up can only overshoot the target


def test_aave_v4_debt_to_target_is_zero_at_or_above_target() -> None:
    """Aave v4: nothing to repay when HF ≥ THF (the formula's numerator is ≤ 0)."""
    assert (
        aave_v4_debt_to_target(
            total_debt_value=10_000 * USD,
            health_factor_wad=_wad(105, 100),
            target_health_factor_wad=_wad(105, 100),
            liquidation_bonus_wad=_wad(105, 100),
            collateral_factor_wad=_wad(8, 10),
        )
        == 0
    )


def test_aave_v4_sizing_extends_to_the_whole_debt_rather_than_leave_dust() -> None:
    """Aave v4 ``_calculateDebtToLiquidate``: debt left below DUST_LIQUIDATION_THRESHOLD ($1,000) is taken too.

    D = $1,500: l = 1,500·0.10/0.21 = 714.285714… → $785.71 would remain < $1,000 → all $1,500.
    D = $10,000: $5,238.10 remains ≥ $1,000 → the target size stands.
    """
    policy = TargetHealthSizing(target_health_factor_wad=_wad(105, 100))
    common = {
        "health_factor_wad": _wad(95, 100),
        "liquidation_bonus_wad": _wad(105, 100),
        "collateral_factor_wad": _wad(8, 10),
    }
    small = aave_v4_debt_to_liquidate(
        policy, debt_value=1_500 * USD, debt_to_cover_value=1_500 * USD, total_debt_value=1_500 * USD, **common
    )
    large = aave_v4_debt_to_liquidate(
        policy, debt_value=10_000 * USD, debt_to_cover_value=10_000 * USD, total_debt_value=10_000 * USD, **common
    )
    keeper_limited = aave_v4_debt_to_liquidate(
        policy, debt_value=10_000 * USD, debt_to_cover_value=3_000 * USD, total_debt_value=10_000 * USD, **common
    )
    assert small == 1_500 * USD
    assert large == 4_761_904_762
    assert keeper_limited == 3_000 * USD  # min(debt, debt_to_cover, debt_to_target); $7,000 left is not dust


def test_aave_v4_target_sizing_rejects_a_bonus_that_cannot_restore_health() -> None:
    """Aave v4 requires LB·CF < 1 ≤ THF (``Spoke._validateDynamicReserveConfig``); otherwise no finite l."""
    with pytest.raises(InvalidParameter):
        aave_v4_debt_to_target(
            total_debt_value=10_000 * USD,
            health_factor_wad=_wad(9, 10),
            target_health_factor_wad=WAD,
            liquidation_bonus_wad=_wad(125, 100),
            collateral_factor_wad=_wad(8, 10),  # 1.25·0.8 = 1.0 = THF
        )
    with pytest.raises(InvalidParameter):
        TargetHealthSizing(target_health_factor_wad=_wad(99, 100))


V4_BONUS = AaveV4LiquidationBonus(
    max_liquidation_bonus_wad=_wad(105, 100),
    liquidation_bonus_factor_wad=_wad(8, 10),
    health_factor_for_max_bonus_wad=_wad(85, 100),
    collateral_factor_wad=_wad(8, 10),
)


@pytest.mark.parametrize(
    ("health_factor_wad", "expected_bonus_wad"),
    [
        # minLB = 1 + 0.05·0.8 = 1.04; lb = 1.04 + 0.01·(1 − HF)/(1 − 0.85)
        (_wad(99, 100), 1_040_666_666_666_666_666),  # 1.04 + 0.01·0.01/0.15 = 1.040666… (floor)
        (_wad(95, 100), 1_043_333_333_333_333_333),  # 1.04 + 0.01/3 = 1.04333… (the docs' example 1)
        (_wad(9, 10), 1_046_666_666_666_666_666),  # 1.04 + 0.01·0.10/0.15 = 1.046666…
        (_wad(85, 100), _wad(105, 100)),  # HF = hfForMaxBonus: max bonus
        (_wad(8, 10), _wad(105, 100)),  # below: max bonus (the docs' example 2)
    ],
)
def test_aave_v4_bonus_rises_linearly_from_min_at_hf_1_to_max_at_hf_for_max_bonus(
    health_factor_wad: int, expected_bonus_wad: int
) -> None:
    """Aave v4 ``calculateLiquidationBonus``; docs/features/LiquidationEngine.md examples 1 and 2."""
    bonus = aave_v4_liquidation_bonus_wad(V4_BONUS, health_factor_wad)
    hf = Fraction(health_factor_wad, WAD)
    rational = (
        Fraction(105, 100)
        if hf <= Fraction(85, 100)
        else Fraction(104, 100) + Fraction(1, 100) * (1 - hf) / (1 - Fraction(85, 100))
    )
    assert bonus == expected_bonus_wad == math.floor(rational * WAD)


def test_aave_v4_min_bonus_and_healthy_account_refusal() -> None:
    """Aave v4: minLB = (maxLB − 100%)·lbFactor + 100%; liquidation needs HF < 1."""
    assert V4_BONUS.min_liquidation_bonus_wad == _wad(104, 100)
    with pytest.raises(InvalidAmount):  # a ratio out of range (validation.check_ratio, the error tree's class)
        aave_v4_liquidation_bonus_wad(V4_BONUS, WAD)


def test_aave_v4_no_split_guard_is_enforced_at_construction() -> None:
    """docs/features/LiquidationEngine.md, *Preventing Liquidation Splits*: maxLB·CF ≤ hfForMaxBonus."""
    # 1.05·0.81 = 0.8505 > 0.85: refused.
    with pytest.raises(InvalidParameter, match="no-split guard"):
        AaveV4LiquidationBonus(
            max_liquidation_bonus_wad=_wad(105, 100),
            liquidation_bonus_factor_wad=_wad(8, 10),
            health_factor_for_max_bonus_wad=_wad(85, 100),
            collateral_factor_wad=_wad(81, 100),
        )
    # 1.0625·0.8 = 0.85 exactly: the guard is inclusive.
    at_boundary = AaveV4LiquidationBonus(
        max_liquidation_bonus_wad=_wad(10625, 10000),
        liquidation_bonus_factor_wad=_wad(8, 10),
        health_factor_for_max_bonus_wad=_wad(85, 100),
        collateral_factor_wad=_wad(8, 10),
    )
    assert at_boundary.max_liquidation_bonus_wad * at_boundary.collateral_factor_wad == _wad(85, 100) * WAD


def test_aave_v4_guard_makes_every_ramp_liquidation_raise_health() -> None:
    """LiquidationEngine.md: a partial liquidation raises HF iff lb·cf < HF; the guard makes it so on the ramp."""
    for hf_percent in range(86, 100):
        hf = _wad(hf_percent, 100)
        bonus = aave_v4_liquidation_bonus_wad(V4_BONUS, hf)
        assert bonus * V4_BONUS.collateral_factor_wad < hf * WAD


# --- Euler v2: discount = 1 − health score, capped ------------------------------------------------


def test_euler_discount_below_the_cap_is_one_minus_health() -> None:
    """Euler ``calculateMaxLiquidation``: discountFactor = health score = 1 − discount.

    Adjusted collateral $900 against $1,000 of debt: health 0.9, discount 0.1 < 0.2;
    repaying $900 yields 900/0.9 = $1,000 of collateral.
    """
    params = EulerDiscount()
    health = euler_health_score_wad(900 * USD, 1_000 * USD)
    discount = euler_discount_wad(params, health)
    assert (health, discount) == (_wad(9, 10), _wad(1, 10))
    assert euler_yield_value(discount, 900 * USD) == 1_000 * USD


def test_euler_discount_at_the_cap() -> None:
    """Euler: ``if (discountFactor < 1e18 − maxLiquidationDiscount) discountFactor = 1e18 − max``.

    Health 0.7 would give 30%, capped at 20%: repaying $800 yields 800/0.8 = $1,000.
    """
    discount = euler_discount_wad(EulerDiscount(), euler_health_score_wad(700 * USD, 1_000 * USD))
    assert discount == _wad(2, 10)
    assert euler_yield_value(discount, 800 * USD) == 1_000 * USD
    assert euler_discount_wad(EulerDiscount(), _wad(11, 10)) == 0  # healthy: no discount


def test_euler_health_score_rounds_up_so_the_discount_never_exceeds_the_formula() -> None:
    """Euler floors ``collateralAdjustedValue·1e18/liabilityValue``; ringfence rounds it up (deliberate deviation).

    Health 2/3 = 0.666…: up → 0.666…667, discount = 0.333…333; Euler's floor would give 0.333…334.
    """
    health = euler_health_score_wad(2 * USD, 3 * USD)
    assert health == math.ceil(Fraction(2, 3) * WAD) == 666_666_666_666_666_667
    assert euler_discount_wad(EulerDiscount(max_discount_wad=_wad(1, 2)), health) == 333_333_333_333_333_333


def test_euler_max_liquidation_takes_the_whole_liability_or_all_the_collateral() -> None:
    """Euler ``calculateMaxLiquidation``: repay = liability; yield = repay/f; capped by the collateral."""
    params = EulerDiscount()
    # Collateral $1,200 ≥ 1,000/0.9 = 1,111.111111… → repay $1,000, yield $1,111.111111 (floor).
    ample = euler_max_liquidation(
        params, adjusted_collateral_value=900 * USD, liability_value=1_000 * USD, collateral_value=1_200 * USD
    )
    # Collateral $1,000 < $1,111.11 → yield all $1,000, repay 1,000·0.9 = $900.
    short = euler_max_liquidation(
        params, adjusted_collateral_value=900 * USD, liability_value=1_000 * USD, collateral_value=1_000 * USD
    )
    healthy = euler_max_liquidation(
        params, adjusted_collateral_value=1_001 * USD, liability_value=1_000 * USD, collateral_value=2_000 * USD
    )
    assert ample == (1_000 * USD, 1_111_111_111)
    assert short == (900 * USD, 1_000 * USD)
    assert healthy == (0, 0)


# --- Morpho Blue: LIF and seizure ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("lltv_wad", "expected_lif_wad"),
    [
        # 1/(1 − 0.3·0.14) = 1/0.958 = 1.0438413361169102296… → floor
        (_wad(86, 100), 1_043_841_336_116_910_229),
        # 1/(1 − 0.3·0.375) = 1/0.8875 = 1.1267605633802816901… → floor, under the cap
        (_wad(625, 1000), 1_126_760_563_380_281_690),
        # 1/(1 − 0.3·0.5) = 1/0.85 = 1.176… → capped at 1.15
        (_wad(1, 2), _wad(115, 100)),
    ],
)
def test_morpho_liquidation_incentive_factor(lltv_wad: int, expected_lif_wad: int) -> None:
    """Morpho Blue ``liquidate``: LIF = min(1.15, WAD.wDivDown(WAD − 0.3·(WAD − lltv)))."""
    lif = morpho_liquidation_incentive_factor_wad(lltv_wad)
    lltv = Fraction(lltv_wad, WAD)
    rational = min(Fraction(115, 100), 1 / (1 - Fraction(3, 10) * (1 - lltv)))
    assert lif == expected_lif_wad == math.floor(rational * WAD)


# A market where 1e12 borrow shares are worth exactly 1e6 loan atoms:
# (totalBorrowAssets + 1)/(totalBorrowShares + 1e6) = 1e6/1e12.
MORPHO_MARKET = {"total_borrow_assets": 10**6 - 1, "total_borrow_shares": 10**12 - 10**6}
MORPHO_LIF_086 = 1_043_841_336_116_910_229
PRICE_2 = 2 * 10**36  # one collateral atom is worth 2 loan atoms


def test_morpho_seized_collateral_for_repaid_shares_rounds_down_at_each_step() -> None:
    """Morpho ``liquidate`` (repaidShares > 0): seized = ⌊⌊toAssetsDown(shares)·LIF⌋·1e36/price⌋.

    1e12 shares → 1e6 loan atoms; ·1.0438413361… = 1,043,841.336… → 1,043,841; /2 = 521,920.5
    → 521,920 collateral atoms. repaidAssets = toAssetsUp = 1e6.
    """
    result = morpho_seized_assets_for_repaid_shares(
        10**12, collateral_price=PRICE_2, incentive_factor_wad=MORPHO_LIF_086, **MORPHO_MARKET
    )
    assert result == (521_920, 10**12, 1_000_000)


def test_morpho_repaid_assets_round_up_and_seizure_down_for_a_fractional_share_amount() -> None:
    """Morpho SharesMathLib: toAssetsDown for the seizure, toAssetsUp for what the keeper pays.

    1e12 + 1 shares = 1,000,000.000001 loan atoms: seizure uses 1,000,000, repayment 1,000,001.
    """
    result = morpho_seized_assets_for_repaid_shares(
        10**12 + 1, collateral_price=PRICE_2, incentive_factor_wad=MORPHO_LIF_086, **MORPHO_MARKET
    )
    assert result == (521_920, 10**12 + 1, 1_000_001)


def test_morpho_repaid_shares_for_seized_collateral_round_up_at_each_step() -> None:
    """Morpho ``liquidate`` (seizedAssets > 0): shares = toSharesUp(⌈⌈seized·price/1e36⌉/LIF⌉).

    521,920 atoms ·2 = 1,043,840 loan atoms; /1.0438413361… = 999,998.72… → 999,999;
    ·1e12/1e6 = 999,999,000,000 shares → 999,999 loan atoms repaid.
    """
    result = morpho_repaid_shares_for_seized_assets(
        521_920, collateral_price=PRICE_2, incentive_factor_wad=MORPHO_LIF_086, **MORPHO_MARKET
    )
    quotient = Fraction(1_043_840) / Fraction(MORPHO_LIF_086, WAD)
    assert math.ceil(quotient) == 999_999
    assert result == (521_920, 999_999_000_000, 999_999)


# --- fixed penalty split ---------------------------------------------------------------------------


def test_fixed_penalty_split_rounds_the_penalty_up_the_reward_down_and_conserves() -> None:
    """Drift v2 ``liquidator_fee`` / ``if_liquidation_fee`` as penalty rate 5%, keeper share 60%.

    Repaid $1,000.000001: penalty = 50,000,000.05 atoms → 50,000,001 (the account pays);
    reward = 0.6·50,000,001 = 30,000,000.6 → 30,000,000; insurance = 20,000,001.
    """
    params = FixedPenalty(penalty_rate_wad=_wad(5, 100), liquidator_share_wad=_wad(6, 10))
    reward, insurance = split_fixed_penalty(params, 1_000_000_001)
    split = split_fixed_penalty(params, 1_000_000_001)
    assert (reward, insurance) == (30_000_000, 20_000_001)
    assert split.penalty_value == 50_000_001 == math.ceil(Fraction(1_000_000_001) * Fraction(5, 100))
    with pytest.raises(InvalidAmount):  # a ratio out of range (validation.check_ratio)
        FixedPenalty(penalty_rate_wad=_wad(5, 100), liquidator_share_wad=WAD + 1)
    with pytest.raises(InvalidAmount):
        split_fixed_penalty(params, -1)


# --- toxic liquidation -----------------------------------------------------------------------------


def test_toxic_liquidation_lowers_health_aave_crv_case() -> None:
    """Aave CRV (Nov 2022): past LTV 1/(1 + bonus) a bonus-paying liquidation lowers health.

    C = 100, D = 95, bonus 10%: LTV 0.95 > 1/1.1 = 0.909… → toxic. Repaying 10 seizes 11:
    C/D goes from 100/95 = 1.0526… to 89/85 = 1.0470…; health falls.
    """
    collateral, debt = 100 * USD, 95 * USD
    assert is_toxic_liquidation(
        collateral_value=collateral, debt_value=debt, liquidation_threshold_wad=WAD, liquidation_bonus_wad=_wad(11, 10)
    )
    change = health_before_and_after(
        collateral_value=collateral,
        debt_value=debt,
        liquidation_threshold_wad=WAD,
        liquidation_bonus_wad=_wad(11, 10),
        repay_value=10 * USD,
    )
    assert (change.collateral_after_value, change.debt_after_value) == (89 * USD, 85 * USD)
    assert change.health_before_wad == 1_052_631_578_947_368_421 == math.floor(Fraction(100, 95) * WAD)
    assert change.health_after_wad == 1_047_058_823_529_411_764 == math.floor(Fraction(89, 85) * WAD)
    assert change.health_lowered


def test_non_toxic_liquidation_raises_health() -> None:
    """Below LTV 1/(1 + bonus) a liquidation raises health.

    C = 150, D = 100, threshold 0.8, bonus 10%: LTV 0.667 < 0.909. Health 0.8·150/100 = 1.2;
    repaying 50 seizes 55 → 0.8·95/50 = 1.52.
    """
    assert not is_toxic_liquidation(
        collateral_value=150 * USD,
        debt_value=100 * USD,
        liquidation_threshold_wad=_wad(8, 10),
        liquidation_bonus_wad=_wad(11, 10),
    )
    change = health_before_and_after(
        collateral_value=150 * USD,
        debt_value=100 * USD,
        liquidation_threshold_wad=_wad(8, 10),
        liquidation_bonus_wad=_wad(11, 10),
        repay_value=50 * USD,
    )
    assert (change.health_before_wad, change.health_after_wad) == (_wad(12, 10), _wad(152, 100))
    assert not change.health_lowered


def test_toxic_boundary_leaves_health_unchanged() -> None:
    """At LTV = 1/(1 + bonus) exactly, health is unchanged: C = 110, D = 100, bonus 10%; repay 10 → 99/90 = 1.1."""
    assert toxic_loan_to_value_wad(_wad(11, 10)) == math.floor(Fraction(10, 11) * WAD) == 909_090_909_090_909_090
    assert not is_toxic_liquidation(
        collateral_value=110 * USD,
        debt_value=100 * USD,
        liquidation_threshold_wad=WAD,
        liquidation_bonus_wad=_wad(11, 10),
    )
    change = health_before_and_after(
        collateral_value=110 * USD,
        debt_value=100 * USD,
        liquidation_threshold_wad=WAD,
        liquidation_bonus_wad=_wad(11, 10),
        repay_value=10 * USD,
    )
    assert change.health_before_wad == change.health_after_wad == _wad(11, 10)
    assert not change.health_lowered


def test_toxicity_depends_on_the_seized_collateral_threshold() -> None:
    """Aave v4 LiquidationEngine.md: HF falls iff lb_k·cf_k > HF. Here HF = 0.8·100/85 = 0.941….

    Seizing a 0.9-weighted collateral at 1.05: 0.945 > 0.941 → toxic. A 0.8-weighted one: 0.84 → not.
    """
    common = {
        "collateral_value": 100 * USD,
        "debt_value": 85 * USD,
        "liquidation_threshold_wad": _wad(8, 10),
        "liquidation_bonus_wad": _wad(105, 100),
    }
    assert is_toxic_liquidation(**common, seized_threshold_wad=_wad(9, 10))
    assert not is_toxic_liquidation(**common, seized_threshold_wad=_wad(8, 10))
    # Second implementation: repay 10 and recompute the weighted health rationally.
    before = Fraction(80, 85)
    toxic_after = (Fraction(80) - Fraction(9, 10) * Fraction(105, 100) * 10) / 75
    safe_after = (Fraction(80) - Fraction(8, 10) * Fraction(105, 100) * 10) / 75
    assert toxic_after < before < safe_after


@given(
    collateral=st.integers(min_value=1, max_value=10**12),
    debt=st.integers(min_value=2, max_value=10**12),
    bonus_bps=st.integers(min_value=10_000, max_value=15_000),
    threshold_bps=st.integers(min_value=1, max_value=10_000),
    data=st.data(),
)
def test_toxic_detector_agrees_with_a_rational_health_projection(
    collateral: int, debt: int, bonus_bps: int, threshold_bps: int, data: st.DataObject
) -> None:
    """Differential: the closed-form condition against H' < H computed in ``Fraction`` for a random repay."""
    bonus = Fraction(bonus_bps, 10_000)
    threshold = Fraction(threshold_bps, 10_000)
    max_repay = min(debt - 1, math.floor(collateral / bonus))  # keep 0 < x < D and LB·x ≤ C
    if max_repay < 1:
        return
    repay = data.draw(st.integers(min_value=1, max_value=max_repay))
    before = threshold * collateral / debt
    after = threshold * (collateral - bonus * repay) / (debt - repay)
    detected = is_toxic_liquidation(
        collateral_value=collateral,
        debt_value=debt,
        liquidation_threshold_wad=_wad(threshold_bps, 10_000),
        liquidation_bonus_wad=_wad(bonus_bps, 10_000),
    )
    assert detected is (after < before)


# --- whole position and dispatch -------------------------------------------------------------------


def test_sizing_dispatch_matches_each_preset() -> None:
    """One entry point over the three presets (Aave v3.3, Aave v4, Euler v2 / Morpho whole position)."""
    position = SizingInput(
        debt_value=10_000 * USD,
        collateral_value=12_000 * USD,
        total_debt_value=10_000 * USD,
        health_factor_wad=_wad(95, 100) + 1,
        liquidation_bonus_wad=_wad(105, 100),
        collateral_factor_wad=_wad(8, 10),
    )
    assert max_debt_to_cover(AAVE_V3, position) == 5_000 * USD
    # l = 10,000·(1.05 − 0.95…01)/0.21, one WAD-unit less than the 4,761.904762 of HF 0.95, still rounds up to it.
    assert max_debt_to_cover(TargetHealthSizing(target_health_factor_wad=_wad(105, 100)), position) == 4_761_904_762
    assert max_debt_to_cover(WholePositionSizing(), position) == 10_000 * USD
