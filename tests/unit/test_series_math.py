"""The series formulas on hand-worked numbers (``core/pool/series_math.py``): margin, fees, payoffs, rounding."""

from __future__ import annotations

import dataclasses

from ringfence.core.margin import MarginKind
from ringfence.core.pool.series_math import fee_atoms, payoff_wad, requirement_atoms
from support.series import CALL_PARAMS, FUTURE_PARAMS, PUT_PARAMS
from support.venue import ETH, USDC, WAD

ETH_DECIMALS, USDC_DECIMALS = 18, 6


def test_short_call_margin_is_deribits_with_the_otm_amount_taken_off() -> None:
    # K = 2,000, F = 1,900: OTM 100; IM = max(0.15·1,900 − 100, 0.10·1,900) = max(185, 190) = 190 per ETH
    assert requirement_atoms(CALL_PARAMS, -2 * ETH, 1_900 * WAD, MarginKind.INITIAL, 18, 6) == 380 * USDC
    # F = 2,500 (in the money, OTM 0): IM = 0.15·2,500 = 375; MM = 0.075·2,500 = 187.5
    assert requirement_atoms(CALL_PARAMS, -ETH, 2_500 * WAD, MarginKind.INITIAL, 18, 6) == 375 * USDC
    assert requirement_atoms(CALL_PARAMS, -ETH, 2_500 * WAD, MarginKind.MAINTENANCE, 18, 6) == 187_500_000


def test_a_long_option_needs_no_margin() -> None:
    assert requirement_atoms(CALL_PARAMS, 5 * ETH, 2_000 * WAD, MarginKind.INITIAL, 18, 6) == 0


def test_a_deep_in_the_money_short_put_keeps_maintenance_on_its_mark() -> None:
    # K = 3,000, F = 1,000, mark 2,010: MM = max(0.075·1,000, 0.075·2,010) = 150.75; IM ≥ MM
    put = dataclasses.replace(PUT_PARAMS, strike_wad=3_000 * WAD)
    mm = requirement_atoms(put, -ETH, 1_000 * WAD, MarginKind.MAINTENANCE, 18, 6, 2_010 * WAD)
    assert mm == 150_750_000
    im = requirement_atoms(put, -ETH, 1_000 * WAD, MarginKind.INITIAL, 18, 6, 2_010 * WAD)
    assert im == 150_750_000  # max(0.15·1,000 − 0, 0.10·1,000) = 150 < MM


def test_requirements_round_up_against_the_account() -> None:
    # 1 atom short of a call at F = 2,000: 0.15·2,000·10⁻¹⁸ USDC = 3·10⁻¹⁶ USDC, one atom once rounded up
    assert requirement_atoms(CALL_PARAMS, -1, 2_000 * WAD, MarginKind.INITIAL, 18, 6) == 1


def test_a_future_uses_flat_rates() -> None:
    assert requirement_atoms(FUTURE_PARAMS, -3 * ETH, 2_000 * WAD, MarginKind.INITIAL, 18, 6) == 600 * USDC
    assert requirement_atoms(FUTURE_PARAMS, 3 * ETH, 2_000 * WAD, MarginKind.MAINTENANCE, 18, 6) == 300 * USDC


def test_the_option_fee_is_capped_at_an_eighth_of_the_premium() -> None:
    # 0.03% of 2,000 = 0.6 USDC per ETH; a premium of 4 USDC caps it at 0.5
    assert fee_atoms(CALL_PARAMS, ETH, 2_000 * WAD, 4 * WAD, 18, 6) == 500_000
    assert fee_atoms(CALL_PARAMS, -ETH, 2_000 * WAD, 100 * WAD, 18, 6) == 600_000
    # a future has no cap
    assert fee_atoms(FUTURE_PARAMS, ETH, 2_000 * WAD, 2_000 * WAD, 18, 6) == 600_000


def test_payoffs_at_settlement() -> None:
    assert payoff_wad(CALL_PARAMS, 2_150 * WAD) == 150 * WAD
    assert payoff_wad(CALL_PARAMS, 1_950 * WAD) == 0
    assert payoff_wad(PUT_PARAMS, 1_700 * WAD) == 100 * WAD
    assert payoff_wad(FUTURE_PARAMS, 1_700 * WAD) == 1_700 * WAD
