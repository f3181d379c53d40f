"""Conformance of the presets a pool's liquidation policy can select since issue 11 item 4.

Every expected number is written literally, worked by hand in the comment beside it, or
computed with ``fractions.Fraction`` as a second, rational implementation inside the test;
none is computed by the code under test. Sources:

- Euler v2 LTV ramp: euler-xyz/euler-vault-kit ``src/EVault/shared/types/LTVConfig.sol``
  (``LTVConfigLib.getLTV``, ``setLTV``).
- dYdX v4 fillable price: dydxprotocol/v4-chain ``protocol/x/clob/keeper/liquidations.go``
  (``GetFillablePrice``); the cases mirror ``TestGetFillablePrice`` in
  ``protocol/x/clob/keeper/liquidations_test.go`` (0.1 BTC at $50,000, maintenance 10%).
- Morpho Blue LIF: morpho-org/morpho-blue ``src/Morpho.sol`` (``liquidate``) and
  ``src/libraries/ConstantsLib.sol`` (cursor 0.3, cap 1.15).
- Drift v2 phased liquidation: drift-labs/protocol-v2 ``programs/drift/src/math/liquidation.rs``
  (``calculate_max_pct_to_liquidate``) and ``programs/drift/src/controller/liquidation.rs``
  (``liquidate_perp``: ``max_base_asset_amount_allowed_to_be_transferred``).

No tolerance: all arithmetic is integer or rational.
"""

from __future__ import annotations

import math
from fractions import Fraction

import pytest

from ringfence.core.errors import InvalidParameter
from ringfence.core.liquidation.fillable_price import (
    dydx_adjusted_bankruptcy_rating,
    dydx_fillable_gap_wad,
    dydx_fillable_price,
)
from ringfence.core.liquidation.ltv_ramp import (
    MaintenanceRamp,
    euler_liquidation_ltv,
    ramped_maintenance_wad,
    start_ramp,
)
from ringfence.core.liquidation.perp_presets import (
    DriftPhasing,
    LiquidationPhase,
    drift_margin_freed_atoms,
    drift_next_phase,
    drift_phased_close_atoms,
    drift_share_bps,
    morpho_penalty_rate_wad,
    perp_liquidation_ltv_wad,
)
from ringfence.core.units import WAD

HOUR_NS = 3_600 * 10**9
PERCENT = WAD // 100

# --- Euler v2: getLTV(liquidation = true) ---------------------------------------------------------


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (0, 9_000),  # remaining 1000/1000: the original LTV
        (1, 8_999),  # 8000 + 1000·999/1000
        (250, 8_750),  # 8000 + 1000·750/1000
        (333, 8_667),  # 8000 + 1000·667/1000
        (999, 8_001),  # 8000 + 1000·1/1000
        (1_000, 8_000),  # at targetTimestamp: the target
        (5_000, 8_000),  # after it: the target
    ],
)
def test_euler_ramps_a_lowered_liquidation_ltv_linearly_to_its_target(now: int, expected: int) -> None:
    # setLTV at t = 0 from 90% to 80% (ConfigAmount, 1e4 = 100%) with rampDuration 1000 s
    assert euler_liquidation_ltv(9_000, 8_000, 1_000, 1_000, now) == expected


def test_euler_floors_the_ramped_ltv() -> None:
    # 8000 + 1000·4/7 = 8571.43 → 8571; 8000 + 1·2/3 → 8000
    assert euler_liquidation_ltv(9_000, 8_000, 7, 7, 3) == 8_571
    assert euler_liquidation_ltv(8_001, 8_000, 3, 3, 1) == 8_000


def test_euler_applies_a_raised_liquidation_ltv_at_once() -> None:
    # targetLiquidationLTV ≥ originalLiquidationLTV: getLTV returns the target whatever the time
    assert euler_liquidation_ltv(8_000, 9_000, 1_000, 1_000, 0) == 9_000
    assert euler_liquidation_ltv(8_000, 8_000, 1_000, 1_000, 0) == 8_000


def test_euler_refuses_a_ramp_state_set_ltv_cannot_produce() -> None:
    with pytest.raises(InvalidParameter, match="ramp_duration"):
        euler_liquidation_ltv(9_000, 8_000, 1_000, 500, 0)  # 1000 s remaining of a 500 s ramp


def test_a_raised_maintenance_rate_ramps_as_the_lowered_ltv_one_minus_it() -> None:
    # 5% → 10% over one hour started at 0: LTV 95% → 90%
    ramp = MaintenanceRamp(5 * PERCENT, HOUR_NS, HOUR_NS)
    target = 10 * PERCENT
    assert ramped_maintenance_wad(target, ramp, 0) == 5 * PERCENT
    # 15 min in: LTV 0.90 + 0.05·45/60 = 0.9375 → m = 6.25% exactly
    assert ramped_maintenance_wad(target, ramp, HOUR_NS // 4) == 62_500_000_000_000_000
    # 20 min in: LTV 0.90 + 0.05·40/60 floored in WAD → m = 1 − LTV = ⌈1/15⌉ in WAD
    m_exact = Fraction(1, 10) - Fraction(1, 20) * Fraction(40, 60)  # = 1/15
    expected = math.ceil(m_exact * WAD)  # 66_666_666_666_666_667
    assert expected == 66_666_666_666_666_667
    assert ramped_maintenance_wad(target, ramp, HOUR_NS // 3) == expected
    assert ramped_maintenance_wad(target, ramp, HOUR_NS) == target
    assert ramped_maintenance_wad(target, None, 0) == target


def test_a_new_change_ramps_from_the_rate_in_force_as_set_ltv_does() -> None:
    # A ramp 5% → 10% over an hour is half way (7.5%) when the rate is raised again to 12%
    ramp = MaintenanceRamp(5 * PERCENT, HOUR_NS, HOUR_NS)
    started = start_ramp(10 * PERCENT, ramp, 12 * PERCENT, HOUR_NS, HOUR_NS // 2)
    assert started == MaintenanceRamp(75 * PERCENT // 10, HOUR_NS // 2 + HOUR_NS, HOUR_NS)
    # a rate lowered below the one in force (an LTV raised), or no ramp duration: at once
    assert start_ramp(10 * PERCENT, ramp, 7 * PERCENT, HOUR_NS, HOUR_NS // 2) is None
    assert start_ramp(5 * PERCENT, None, 10 * PERCENT, 0, 0) is None


# --- dYdX v4: fillable price ------------------------------------------------------------------------

BTC_ATOMS = 10**8
"""Base atoms per BTC in these cases (quote: USD with 6 decimals)."""
TENTH_BTC = BTC_ATOMS // 10
USD = 10**6


def _fillable_usd_per_btc(size: int, quote_balance_usd: int, ba_ppm: int, smmr_ppm: int) -> Fraction:
    """Run dYdX's formula for 0.1 BTC at $50,000, maintenance 10%, and a USD balance; return USD per BTC."""
    notional = size * 50_000 * USD // BTC_ATOMS  # PNNV: ±5,000 USD
    requirement = abs(notional) // 10  # PMMR = TMMR: 500 USD
    net_collateral = notional + quote_balance_usd * USD  # TNC
    price = dydx_fillable_price(notional, requirement, net_collateral, requirement, ba_ppm, smmr_ppm, size)
    return price * BTC_ATOMS / USD


@pytest.mark.parametrize(
    ("size", "balance_usd", "ba_ppm", "smmr_ppm", "expected_usd"),
    [
        # TNC 499, TMMR 500: ABR = 1·(1 − 499/500) = 1/500; spread 10%·500 = 50; (5000 − 0.1)/0.1 = 49,999
        (TENTH_BTC, -4_501, 1_000_000, 100_000, Fraction(49_999)),
        # BA 2: ABR = 2/500; 5000 − 0.2 → 49,998
        (TENTH_BTC, -4_501, 2_000_000, 100_000, Fraction(49_998)),
        # SMMR 20%: spread 100·1/500 = 0.2 → 49,998
        (TENTH_BTC, -4_501, 1_000_000, 200_000, Fraction(49_998)),
        # short: PNNV −5000, TNC 5499 − 5000 = 499: (−5000 − 0.1)/(−0.1) = 50,001
        (-TENTH_BTC, 5_499, 1_000_000, 100_000, Fraction(50_001)),
        (-TENTH_BTC, 5_499, 2_000_000, 100_000, Fraction(50_002)),
        # at the bankruptcy price: TNC 0, ABR 1: (5000 − 50)/0.1 = 49,500; short (−5000 − 50)/(−0.1) = 50,500
        (TENTH_BTC, -5_000, 1_000_000, 100_000, Fraction(49_500)),
        (-TENTH_BTC, 5_000, 1_000_000, 100_000, Fraction(50_500)),
        # below it: TNC −500, ABR = 2 clamped to 1 → 49,500; short TNC −500 → 50,500
        (TENTH_BTC, -5_500, 1_000_000, 100_000, Fraction(49_500)),
        (-TENTH_BTC, 4_500, 1_000_000, 100_000, Fraction(50_500)),
        # BA = max uint32: ABR = 4294.967295/500 clamped to 1 → 49,500
        (TENTH_BTC, -4_501, 2**32 - 1, 100_000, Fraction(49_500)),
        # SMMR 1 ppm: spread 0.0005, ·1/500 = 0.000001: (5000 − 0.000001)/0.1 = 49,999.99999
        (TENTH_BTC, -4_501, 1_000_000, 1, Fraction(4_999_999_999, 100_000)),
    ],
)
def test_dydx_fillable_price_matches_the_v4_chain_test_cases(
    size: int, balance_usd: int, ba_ppm: int, smmr_ppm: int, expected_usd: Fraction
) -> None:
    assert _fillable_usd_per_btc(size, balance_usd, ba_ppm, smmr_ppm) == expected_usd


def test_dydx_adjusted_bankruptcy_rating_is_clamped_to_zero_for_a_healthy_account() -> None:
    # TNC 600 > TMMR 500: 1 − 6/5 < 0 → 0
    assert dydx_adjusted_bankruptcy_rating(600, 500, 1_000_000) == 0
    assert dydx_adjusted_bankruptcy_rating(499, 500, 1_000_000) == Fraction(1, 500)


def test_dydx_fillable_price_refuses_a_size_of_the_wrong_sign() -> None:
    with pytest.raises(InvalidParameter, match="position_size"):
        dydx_fillable_price(5_000, 500, 499, 500, 1_000_000, 100_000, -1)


def test_the_engine_gap_is_the_fillable_price_distance_in_wad_floored() -> None:
    # Case 1 in WAD: 50,000 − 49,999 = 1 USD per BTC = 1e18; the short case of BA 2: 50,002 − 50,000 = 2
    requirements = (500 * USD, 499 * USD, 500 * USD)
    assert dydx_fillable_gap_wad(50_000 * WAD, TENTH_BTC, (8, 6), requirements, (1_000_000, 100_000)) == WAD
    short = (500 * USD, 499 * USD, 500 * USD)
    assert dydx_fillable_gap_wad(50_000 * WAD, -TENTH_BTC, (8, 6), short, (2_000_000, 100_000)) == 2 * WAD
    # SMMR 1 ppm: 0.00001 USD per BTC = 1e13 WAD exactly
    assert dydx_fillable_gap_wad(50_000 * WAD, TENTH_BTC, (8, 6), requirements, (1_000_000, 1)) == 10**13
    # a gap of 1/3 atom-price is floored: PMMR 1, TNC 0, TMMR 1, SMMR 100%: spread 1 quote atom over
    # 3 base atoms (decimals 0, 0) → 1/3 quote atom per base atom → ⌊WAD/3⌋
    assert dydx_fillable_gap_wad(10 * WAD, 3, (0, 0), (1, 0, 1), (1_000_000, 1_000_000)) == WAD // 3


# --- Morpho Blue LIF as a penalty rate ---------------------------------------------------------------


def _morpho_rate(lltv: Fraction) -> int:
    """Morpho's LIF − 1 in WAD, by fractions: ⌊1/(1 − ⌊0.3·(1 − LLTV)⌋)⌋ capped at 1.15."""
    cursor_part = math.floor(Fraction(3, 10) * (1 - lltv) * WAD)
    factor = min(Fraction(115, 100) * WAD, math.floor(Fraction(WAD * WAD, WAD - cursor_part)))
    return int(factor) - WAD


def test_morpho_lif_at_a_5_percent_maintenance_rate() -> None:
    # LLTV 0.95: 0.3·0.05 = 0.015; LIF = ⌊1e36/0.985e18⌋ = 1_015_228_426_395_939_086
    assert morpho_penalty_rate_wad(925, 18_500) == 15_228_426_395_939_086
    assert _morpho_rate(Fraction(95, 100)) == 15_228_426_395_939_086


def test_morpho_lif_is_capped_at_115_percent() -> None:
    # m = 50%: LLTV 0.5 → 1/(1 − 0.15) = 1.176 > 1.15 → 15%
    assert morpho_penalty_rate_wad(1, 2) == 15 * PERCENT


def test_morpho_lltv_rounds_the_maintenance_rate_up() -> None:
    # R_p/N = 1/3 → ⌈WAD/3⌉ = 333_333_333_333_333_334; LLTV = 666_666_666_666_666_666
    assert perp_liquidation_ltv_wad(1, 3) == 666_666_666_666_666_666
    # 0.3·(1 − LLTV) = ⌊0.3 · 333_333_333_333_333_334⌋ = 100_000_000_000_000_000; LIF = ⌊1/0.9⌋
    assert morpho_penalty_rate_wad(1, 3) == 111_111_111_111_111_111
    assert _morpho_rate(Fraction(666_666_666_666_666_666, WAD)) == 111_111_111_111_111_111


def test_a_requirement_at_or_above_the_notional_is_an_ltv_of_zero() -> None:
    # LLTV 0: 1/(1 − 0.3) = 1.43 → capped 1.15
    assert perp_liquidation_ltv_wad(5, 5) == 0
    assert perp_liquidation_ltv_wad(1, 0) == 0
    assert morpho_penalty_rate_wad(6, 5) == 15 * PERCENT


# --- Drift phased liquidation, as the pool runs it ------------------------------------------------

PHASING = DriftPhasing(initial_share_bps=1_000, duration_ns=60 * 10**9, full_below_atoms=50 * 10**6)
"""Drift mainnet-like: 10% at once, +100% over 60 s (150 slots of 400 ms), shortages under 50 USDC whole."""


def test_drift_share_starts_at_the_initial_share() -> None:
    # elapsed 0: pct_freeable 1000; total = 1000 USDC, max_freed 100, freeable 100 → 100/1000 = 1000 bps
    assert drift_share_bps(PHASING, 1_000 * 10**6, None, 5) == 1_000


def test_drift_share_counts_time_and_margin_already_freed() -> None:
    # Started at 0 and freed 100 USDC; now 15 s in with 900 USDC of shortage left:
    # pct_freeable = 15·10_000/60 + 1000 = 3500; total 1000 → max 350; freeable 350 − 100 = 250;
    # share = 250·10_000/900 = 2777.7 → 2777
    phase = LiquidationPhase(0, 100 * 10**6)
    assert drift_share_bps(PHASING, 900 * 10**6, phase, 15 * 10**9) == 2_777
    # 60 s in: everything: (900 + 100) − 100 = 900 → 10_000
    assert drift_share_bps(PHASING, 900 * 10**6, phase, 60 * 10**9) == 10_000


def test_drift_frees_a_small_shortage_whole() -> None:
    # 49.999999 USDC < 50: 100% at once
    assert drift_share_bps(PHASING, 49_999_999, None, 0) == 10_000


def test_drift_close_is_the_share_of_the_size_to_cover_floored_at_least_one_atom() -> None:
    # ⌊12_345·1000/10_000⌋ = 1234; ⌊9·1000/10_000⌋ = 0 → 1; never more than the size
    assert drift_phased_close_atoms(12_345, 1_000, 100_000) == 1_234
    assert drift_phased_close_atoms(9, 1_000, 100_000) == 1
    assert drift_phased_close_atoms(12_345, 10_000, 5_000) == 5_000


def test_drift_phase_accumulates_and_ends_when_the_whole_shortage_was_allowed() -> None:
    # A first partial step at t = 7 freeing 30: the phase (7, 30); a second freeing 20 keeps the start: (7, 50)
    first = drift_next_phase(None, 1_000, 30, True, 7)
    assert first == LiquidationPhase(7, 30)
    assert drift_next_phase(first, 4_000, 20, True, 9) == LiquidationPhase(7, 50)
    # the whole shortage allowed, or the position closed: the phase ends
    assert drift_next_phase(first, 10_000, 20, True, 9) is None
    assert drift_next_phase(first, 4_000, 20, False, 9) is None


def test_drift_margin_freed_is_the_requirement_removed_floored_less_what_was_paid() -> None:
    # R_p = 925_000_000 for 5 ETH (5e18 atoms); closing 1.5 ETH removes 925e6·1.5/5 = 277_500_000
    # exactly; paid 12_345_678 (penalty + execution cost) → 265_154_322 freed
    assert drift_margin_freed_atoms(925_000_000, 15 * 10**17, 5 * 10**18, 12_345_678) == 265_154_322
    # an inexact share floors: 1_000·1/3 = 333.33… → 333, less 0 paid
    assert drift_margin_freed_atoms(1_000, 1, 3, 0) == 333
    # a close that pays more than it frees frees a negative amount (drift_next_phase counts it as 0)
    assert drift_margin_freed_atoms(1_000, 1, 3, 400) == -67
