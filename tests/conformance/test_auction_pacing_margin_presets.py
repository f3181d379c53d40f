"""Conformance of the auction, pacing and margin presets with their venues' published formulas.

Every expected number below is worked out independently of the code under test: by hand (the
arithmetic is in the comment beside it), with ``fractions.Fraction``, or copied from the venue's
own unit tests. Sources:

- Maker: ``makerdao/dss`` ``src/abaci.sol``, ``src/clip.sol``, ``src/dog.sol``.
- Lyra v2 / Derive: ``derivexyz/v2-core`` ``src/liquidation/DutchAuction.sol``; parameters from the
  Derive docs, *Liquidation Parameters* (0.95, 0.70, 900 s, 43,200 s).
- Drift v2: ``drift-labs/protocol-v2`` ``programs/drift/src/math/liquidation.rs`` and its test module.
- Hyperliquid: docs, *Trading → Liquidations* and *Trading → Margin tiers*.
- dYdX v4: ``dydxprotocol/v4-chain`` ``protocol/x/perpetuals/types/liquidity_tier.go`` (and the
  benchmark values in its test), ``protocol/x/perpetuals/lib/lib.go``, ``protocol/testing/genesis.sh``.
- Synthetix v3: ``Synthetixio/synthetix-v3`` ``markets/perps-market/contracts/storage/
  PerpsMarketConfiguration.sol`` ``calculateRequiredMargins``.
"""

from __future__ import annotations

import math
from fractions import Fraction

import pytest

from ringfence.core.errors import CommandRejected, InvalidParameter
from ringfence.core.liquidation.auctions import (
    LYRA_DEFAULT_AUCTION,
    RAY,
    ClipperParams,
    ExponentialDecrease,
    LinearDecrease,
    StairstepExponentialDecrease,
    clipper_keeper_incentive,
    clipper_price,
    clipper_redo_incentive,
    clipper_status,
    clipper_take,
    clipper_top,
    lyra_discount_percentage_wad,
    lyra_solvent_bid_value,
    rpow,
)
from ringfence.core.liquidation.pacing import (
    DriftPhasedLiquidationParams,
    apply_dust_floor,
    drift_base_asset_amount_to_cover_margin_shortage,
    drift_max_base_asset_amount_allowed,
    drift_max_pct_to_liquidate,
    drift_pct_freeable,
    hyperliquid_liquidation_size,
)
from ringfence.core.liquidation.reference import HoleCap, hole_charge, hole_release, hole_room, maker_bark_debt
from ringfence.core.liquidation.window import Window
from ringfence.core.margin_models import (
    DYDX_LARGE_CAP,
    HYPERLIQUID_BTC,
    HYPERLIQUID_TESTNET_DOGE,
    DydxLiquidityTier,
    MarginRequirements,
    SynthetixPerpsMargins,
    dydx_adjusted_initial_margin_ppm,
    dydx_margin_requirements,
    hyperliquid_isolated_liquidation_price_wad,
    hyperliquid_maintenance_deduction_value,
    hyperliquid_margin_requirements,
    hyperliquid_tier_index,
    synthetix_flag_reward_value,
    synthetix_margin_ratios_wad,
    synthetix_margin_requirements,
)
from ringfence.core.units import WAD

USD = 10**6  # value atoms per dollar (VALUE_DECIMALS = 6)
TOP = 1_000 * WAD  # a starting price of 1,000


# --- Maker: rpow and the three abaci ------------------------------------------------------------


def test_rpow_squares_a_ray_exactly() -> None:
    # 0.99² = 0.9801, exact in RAY; x**0 = 1; 0**n = 0 (abaci.sol rpow's special cases).
    assert rpow(99 * RAY // 100, 2, RAY) == 9801 * RAY // 10_000
    assert rpow(5 * RAY, 0, RAY) == RAY
    assert rpow(0, 7, RAY) == 0


def test_rpow_rounds_each_product_half_up() -> None:
    # Base 10: x = 1.5 (15), n = 2 → (15·15 + 5) // 10 = 23 (2.25 rounds half up to 2.3).
    assert rpow(15, 2, 10) == 23
    # n = 3: z = 15; x = 23; z = (15·23 + 5) // 10 = 35 (exact 3.375 → 3.5 after two roundings).
    assert rpow(15, 3, 10) == 35


def test_linear_decrease_price_after_t_seconds() -> None:
    curve = LinearDecrease(tau_seconds=3_600)
    # 900 s: 1,000 · 2,700 / 3,600 = 750 exactly.
    assert clipper_price(curve, TOP, 900) == 750 * WAD
    # 1,000 s: 1,000 · 2,600 / 3,600 = 722.2222…, floored at 18 decimals.
    assert clipper_price(curve, TOP, 1_000) == 722_222_222_222_222_222_222
    # From tau on the price is 0.
    assert clipper_price(curve, TOP, 3_600) == 0
    assert clipper_price(curve, TOP, 9_999) == 0


def test_stairstep_exponential_price_after_t_seconds() -> None:
    curve = StairstepExponentialDecrease(cut_wad=99 * WAD // 100, step_seconds=90)
    # 89 s: ⌊89 / 90⌋ = 0 steps → top.
    assert clipper_price(curve, TOP, 89) == TOP
    # 300 s: 3 steps → 1,000 · 0.99³ = 970.299 exactly.
    assert clipper_price(curve, TOP, 300) == 970_299 * WAD // 1_000


def test_exponential_price_after_t_seconds() -> None:
    # cut 0.5 per second, 3 s: 1,000 · 0.125 = 125 exactly.
    assert clipper_price(ExponentialDecrease(cut_wad=WAD // 2), TOP, 3) == 125 * WAD
    # cut 0.999 per second, 10 s, against the exact rational 1,000 · 0.999¹⁰.
    price = clipper_price(ExponentialDecrease(cut_wad=999 * WAD // 1_000), TOP, 10)
    exact = Fraction(TOP) * Fraction(999, 1_000) ** 10
    # Tolerance: rpow's half-up roundings move the RAY factor by a few 1e-27; times top (1e21)
    # and divided by RAY that is < 1e-5 wad units, so only the final floor (< 1 unit) remains.
    assert 0 <= exact - price < 1


def test_clipper_top_is_price_times_buf() -> None:
    # 1,500 · 1.2 = 1,800.
    assert clipper_top(1_500 * WAD, 12 * WAD // 10) == 1_800 * WAD
    with pytest.raises(InvalidParameter):
        clipper_top(0, 12 * WAD // 10)


def _params(curve: LinearDecrease | StairstepExponentialDecrease | ExponentialDecrease) -> ClipperParams:
    return ClipperParams(
        buf_wad=12 * WAD // 10,
        tail_seconds=3_600,
        cusp_wad=9 * WAD // 10,
        chip_wad=WAD // 1_000,  # 0.1%
        tip_value=300 * USD,
        curve=curve,
    )


def test_cusp_triggers_a_reset_at_the_first_step_below_it() -> None:
    params = _params(StairstepExponentialDecrease(cut_wad=99 * WAD // 100, step_seconds=90))
    # 0.99¹⁰ = 0.904382… ≥ 0.9 but 0.99¹¹ = 0.895338… < 0.9: the 11th step, at 11 · 90 = 990 s.
    first = next(t for t in range(0, 2_000) if clipper_status(params, TOP, t).needs_redo)
    assert first == 990
    assert not clipper_status(params, TOP, 989).needs_redo


def test_tail_triggers_a_reset_strictly_after_tail() -> None:
    params = ClipperParams(
        buf_wad=WAD, tail_seconds=3_600, cusp_wad=0, chip_wad=0, tip_value=0, curve=LinearDecrease(tau_seconds=7_200)
    )
    # status: done = dur > tail.
    assert not clipper_status(params, TOP, 3_600).needs_redo
    assert clipper_status(params, TOP, 3_601).needs_redo
    assert clipper_status(params, TOP, 3_601).price_wad == TOP * 3_599 // 7_200


def test_keeper_incentive_is_tip_plus_chip_times_tab() -> None:
    params = _params(LinearDecrease(tau_seconds=3_600))
    # tab = 1,000,000.123456 DAI; chip · tab = 1,000.000123456 → floored to 1,000.000123;
    # coin = 300 + 1,000.000123 = 1,300.000123.
    assert clipper_keeper_incentive(params, 1_000_000_123_456) == 1_300_000_123
    # redo pays only when neither tab nor lot value is below dust (clip.sol redo).
    assert clipper_redo_incentive(params, 1_000_000_123_456, 20_000 * USD, 15_000 * USD) == 1_300_000_123
    assert clipper_redo_incentive(params, 1_000_000_123_456, 10_000 * USD, 15_000 * USD) == 0


# --- Maker: take -----------------------------------------------------------------------------------

ETH = 10**18
PRICE_1500 = 1_500 * WAD


def test_take_more_than_the_tab_pays_the_tab() -> None:
    # 10 ETH at 1,500 = 15,000 > tab 10,000 → owe 10,000; slice = 10,000 / 1,500 = 6.666… ETH, floored.
    take = clipper_take(10_000 * USD, 10 * ETH, 10 * ETH, PRICE_1500, 18, 5_000 * USD)
    assert take.owe_value == 10_000 * USD
    assert take.slice_atoms == 6_666_666_666_666_666_666
    assert take.tab_after_value == 0
    assert take.lot_after_atoms == 3_333_333_333_333_333_334
    assert take.is_finished


def test_take_that_would_leave_dust_is_trimmed_to_tab_minus_dust() -> None:
    # 6 ETH → owe 9,000, leaving 1,000 < dust 5,000 → owe = 10,000 − 5,000; slice = 5,000 / 1,500.
    take = clipper_take(10_000 * USD, 10 * ETH, 6 * ETH, PRICE_1500, 18, 5_000 * USD)
    assert take.owe_value == 5_000 * USD
    assert take.slice_atoms == 3_333_333_333_333_333_333
    assert take.tab_after_value == 5_000 * USD
    assert not take.is_finished


def test_ordinary_partial_take() -> None:
    # 2 ETH → owe 3,000, leaving 7,000 ≥ dust.
    take = clipper_take(10_000 * USD, 10 * ETH, 2 * ETH, PRICE_1500, 18, 5_000 * USD)
    assert (take.slice_atoms, take.owe_value, take.tab_after_value, take.lot_after_atoms) == (
        2 * ETH,
        3_000 * USD,
        7_000 * USD,
        8 * ETH,
    )


def test_partial_take_of_a_dusty_tab_is_refused() -> None:
    # tab 4,000 ≤ dust 5,000: a 2 ETH take (3,000) would leave 1,000 → Clipper/no-partial-purchase.
    with pytest.raises(CommandRejected):
        clipper_take(4_000 * USD, 10 * ETH, 2 * ETH, PRICE_1500, 18, 5_000 * USD)


def test_take_rounds_the_payment_up() -> None:
    # 1 wei of ETH at 1,500 is worth 1.5e-15 dollars = 1.5e-9 value atoms → the keeper pays 1.
    take = clipper_take(10_000 * USD, 10 * ETH, 1, PRICE_1500, 18, 0)
    assert (take.slice_atoms, take.owe_value) == (1, 1)


# --- Lyra v2 / Derive -------------------------------------------------------------------------------


def test_lyra_defaults_are_derives_published_parameters() -> None:
    assert LYRA_DEFAULT_AUCTION.starting_mtm_percentage_wad == 950_000_000_000_000_000
    assert LYRA_DEFAULT_AUCTION.fast_auction_cutoff_percentage_wad == 700_000_000_000_000_000
    assert LYRA_DEFAULT_AUCTION.fast_auction_length_seconds == 900
    assert LYRA_DEFAULT_AUCTION.slow_auction_length_seconds == 43_200


@pytest.mark.parametrize(
    ("elapsed", "expected"),
    [
        (0, 950_000_000_000_000_000),  # 95% at the start
        (450, 825_000_000_000_000_000),  # 7.5 min: 0.95 − 0.25 · 450 / 900 = 0.825
        (899, 700_277_777_777_777_778),  # 0.95 − ⌊0.25e18 · 899 / 900⌋ = 0.95 − 0.249722…222
        (900, 700_000_000_000_000_000),  # 15 min: the slow phase starts at 70%
        (900 + 21_600, 350_000_000_000_000_000),  # 6 h into the slow phase: ⌊0.7 · 21,600⌋ = 15,120 → 0.7 − 0.35
        (900 + 43_199, 23_148_148_148_149),  # ⌊0.7 · 43,199⌋ = 30,239 → 0.7e18 − ⌊30,239e18 / 43,200⌋
        (900 + 43_200, 0),  # both phases over
        (100_000, 0),
    ],
)
def test_lyra_discount_schedule(elapsed: int, expected: int) -> None:
    assert lyra_discount_percentage_wad(LYRA_DEFAULT_AUCTION, elapsed) == expected


def test_lyra_slow_phase_truncates_like_the_contract() -> None:
    # multiplyDecimal on a seconds count: ⌊0.7 · 1⌋ = 0, so the factor holds at 70% for 1 s;
    # ⌊0.7 · 2⌋ = 1 → 0.7e18 − ⌊1e18 / 43,200⌋ = 0.7e18 − 23,148,148,148,148.
    assert lyra_discount_percentage_wad(LYRA_DEFAULT_AUCTION, 901) == 700_000_000_000_000_000
    assert lyra_discount_percentage_wad(LYRA_DEFAULT_AUCTION, 902) == 699_976_851_851_851_852
    # The ideal line 0.7 · (1 − 2 / 43,200) is lower, by less than one step 1e18 / 43,200.
    ideal = Fraction(7, 10) * (1 - Fraction(2, 43_200)) * WAD
    assert 0 < 699_976_851_851_851_852 - ideal < Fraction(WAD, 43_200)


def test_lyra_bid_is_discounted_mark_to_market() -> None:
    # MtM 100,000 at 7.5 min: 100,000 · 0.825 = 82,500; with 10,000 reserved: 90,000 · 0.825 = 74,250.
    assert lyra_solvent_bid_value(LYRA_DEFAULT_AUCTION, 100_000 * USD, 0, 450) == 82_500 * USD
    assert lyra_solvent_bid_value(LYRA_DEFAULT_AUCTION, 100_000 * USD, 10_000 * USD, 450) == 74_250 * USD
    assert lyra_solvent_bid_value(LYRA_DEFAULT_AUCTION, 100_000 * USD, 0, 44_100) == 0
    with pytest.raises(InvalidParameter):
        lyra_solvent_bid_value(LYRA_DEFAULT_AUCTION, 100 * USD, 200 * USD, 0)


# --- Maker Hole / hole and the dust floor ------------------------------------------------------------


def test_hole_room_is_the_smaller_of_global_and_pool_room() -> None:
    global_cap = HoleCap(hole_value=100_000_000 * USD, dirt_value=60_000_000 * USD)
    pool_cap = HoleCap(hole_value=50_000_000 * USD, dirt_value=45_000_000 * USD)
    # min(100M − 60M, 50M − 45M) = 5M.
    assert hole_room(global_cap, pool_cap) == 5_000_000 * USD
    charged = hole_charge(pool_cap, 6_000_000 * USD)  # dust overshoot: dirt 51M > hole 50M
    assert hole_room(global_cap, charged) == 0
    assert hole_release(charged, 6_000_000 * USD) == pool_cap
    with pytest.raises(InvalidParameter):
        hole_release(pool_cap, 46_000_000 * USD)


def test_bark_fits_the_tab_in_the_room() -> None:
    chop = 113 * WAD // 100  # 13% penalty
    # room 5M / 1.13 = 4,424,778.761061946… → 4,424,778.761061 (floored to value atoms).
    assert maker_bark_debt(10_000_000 * USD, 5_000_000 * USD, chop, 15_000 * USD) == 4_424_778_761_061


def test_bark_takes_the_whole_debt_when_the_remainder_is_dusty() -> None:
    chop = 113 * WAD // 100
    # 4,430,000 − 4,424,778.76 = 5,221.24 < dust 15,000 → the whole 4,430,000.
    assert maker_bark_debt(4_430_000 * USD, 5_000_000 * USD, chop, 15_000 * USD) == 4_430_000 * USD


def test_bark_refuses_a_dusty_partial_auction_and_a_full_hole() -> None:
    chop = 113 * WAD // 100
    # room 10,000 / 1.13 = 8,849.56 < dust 15,000, remainder 91,150 not dusty → no bark.
    assert maker_bark_debt(100_000 * USD, 10_000 * USD, chop, 15_000 * USD) == 0
    assert maker_bark_debt(100_000 * USD, 0, chop, 15_000 * USD) == 0


@pytest.mark.parametrize(
    ("total", "partial", "dust", "expected"),
    [
        (1_000, 950, 100, 1_000),  # remainder 50 < 100 → whole
        (1_000, 900, 100, 900),  # remainder 100 is not below the floor
        (1_000, 800, 100, 800),
        (1_000, 1_200, 100, 1_000),  # a partial above the total is the total
    ],
)
def test_dust_floor(total: int, partial: int, dust: int, expected: int) -> None:
    assert apply_dust_floor(total, partial, dust) == expected


# --- Fixed-window throughput cap -------------------------------------------------------------------


def test_window_cap_allows_at_most_the_cap_per_window() -> None:
    """dYdX v4 per-block limit / Maker ``Hole`` per window: the pool's :class:`Window` (what the engine runs).

    A window of 2 s opened by the first charge at 0 with a cap of 1M: 600k, then 400k left in the
    same window, nothing more; at 2 the window has ended and opens afresh.
    """
    length, cap = 2, 1_000_000 * USD
    window = Window()
    assert window.room(0, length, cap) == cap
    window = window.charge(600_000 * USD, 0, length)
    assert window.room(1, length, cap) == 400_000 * USD  # same window [0, 2)
    window = window.charge(400_000 * USD, 1, length)
    assert (window.room(1, length, cap), window.used(1, length)) == (0, cap)
    assert window.room(2, length, cap) == cap  # window [2, 4) starts afresh
    window = window.charge(600_000 * USD, 2, length)
    assert (window.start_ns, window.used_atoms) == (2, 600_000 * USD)
    with pytest.raises(InvalidParameter):
        window.charge(-1, 3, length)


def test_window_over_its_cap_has_no_room_and_keeps_its_reference() -> None:
    """A charge past the cap (a dust-promoted close) leaves room 0, never negative; the reference is kept.

    A fresh window starts at 0 (as a pool's does), so a charge at 1_000 with length 100 opens a new one.
    """
    window = Window().charge(5, 1_000, 100, reference_atoms=1_000)
    window = window.charge(10, 1_050, 100, reference_atoms=7)
    assert (window.start_ns, window.used_atoms, window.reference_atoms) == (1_000, 15, 1_000)
    assert window.room(1_099, 100, 12) == 0
    assert window.is_open(1_099, 100) and not window.is_open(1_100, 100)
    assert window.charge(1, 1_100, 100, reference_atoms=7) == Window(1_100, 1, 7)


# --- Drift v2 -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("elapsed", "expected"),
    [
        (0, 1_000),  # the initial 10%
        (1, 1_066),  # ⌊1 · 10,000 / 150⌋ = 66
        (15, 2_000),  # 15 · 10,000 / 150 = 1,000
        (75, 6_000),  # 5,000 + 1,000
        (135, 10_000),  # 9,000 + 1,000
        (200, 10_000),  # 13,333 + 1,000 capped at 100%
    ],
)
def test_drift_pct_freeable(elapsed: int, expected: int) -> None:
    # initial_pct_to_liquidate 10% (1,000), liquidation_duration 150 (Drift: "~1 minute" of slots).
    assert drift_pct_freeable(elapsed, 1_000, 150) == expected


def test_drift_pct_freeable_with_zero_duration_is_everything() -> None:
    assert drift_pct_freeable(0, 0, 0) == 10_000


def test_drift_max_pct_grows_across_steps_of_one_liquidation() -> None:
    params = DriftPhasedLiquidationParams(initial_pct_to_liquidate=1_000, liquidation_duration=150)
    # Shortage 1,000 USDC, nothing freed, 15 slots: pct 20% → 200 of 1,000 → 2,000.
    assert drift_max_pct_to_liquidate(1_000 * USD, 0, 15, params) == 2_000
    # 200 freed, shortage now 800, 75 slots: total 1,000 · 60% = 600 − 200 = 400 → 400 / 800 = 5,000.
    assert drift_max_pct_to_liquidate(800 * USD, 200 * USD, 75, params) == 5_000


def test_drift_tiny_shortage_is_liquidated_at_once() -> None:
    # Drift's test: shortage 49 USDC, slot 1, initial 10%, duration 10 → 100%.
    params = DriftPhasedLiquidationParams(initial_pct_to_liquidate=1_000, liquidation_duration=10)
    assert drift_max_pct_to_liquidate(49 * USD, 0, 1, params) == 10_000
    # Without the 50 USDC rule: 1 · 10,000 / 10 + 1,000 = 2,000.
    legacy = DriftPhasedLiquidationParams(1_000, 10, full_liquidation_below_shortage_value=0)
    assert drift_max_pct_to_liquidate(49 * USD, 0, 1, legacy) == 2_000


@pytest.mark.parametrize(
    ("liquidation_fee", "if_fee", "quote_price", "expected"),
    [
        # $10 shortage, 10x (margin ratio 1,000), oracle $100: each base frees 100 · 10% = $10 → 1 base.
        (0, 0, 1_000_000, 1_000_000_000),
        # Quote at 0.99: freed 99 · 10% = 9.9 → 10 / 9.9 = 1.01010101 base.
        (0, 0, 990_000, 1_010_101_010),
        # Quote at 1.01: 10 / 10.1 = 0.990099009 base.
        (0, 0, 1_010_000, 990_099_009),
        # 1% liquidator fee: 100 · (10% − 1%) = 9 → 10 / 9 = 1.111111111 base.
        (10_000, 0, 1_000_000, 1_111_111_111),
        # plus 1% IF fee: 9 − 100 · 1% = 8 → 1.25 base.
        (10_000, 10_000, 1_000_000, 1_250_000_000),
    ],
)
def test_drift_base_to_cover_margin_shortage(
    liquidation_fee: int, if_fee: int, quote_price: int, expected: int
) -> None:
    # The cases of Drift's own calculate_base_asset_amount_to_cover_margin_shortage tests.
    base = drift_base_asset_amount_to_cover_margin_shortage(
        10 * USD, 1_000, liquidation_fee, if_fee, 100 * 1_000_000, quote_price
    )
    assert base == expected


def test_drift_base_to_cover_is_unbounded_when_fee_exceeds_margin_ratio() -> None:
    # margin ratio 1% (100 → 10,000 in fee precision) ≤ liquidator fee 1% → u64::MAX.
    assert drift_base_asset_amount_to_cover_margin_shortage(10 * USD, 100, 10_000, 0, 100 * 1_000_000) is None


def test_drift_max_base_allowed_applies_the_pct() -> None:
    # 1.25 base to cover at 20%: 1,250,000,000 · 2,000 / 10,000 = 250,000,000.
    assert drift_max_base_asset_amount_allowed(1_250_000_000, 2_000) == 250_000_000


# --- Hyperliquid -------------------------------------------------------------------------------------

BTC_ATOMS = 10**8


def test_hyperliquid_partial_liquidation_then_cooldown() -> None:
    # 2 BTC worth 200k > 100k: 20% = 0.4 BTC.
    first = hyperliquid_liquidation_size(2 * BTC_ATOMS, 200_000 * USD, 1_000, None)
    assert (first.size_atoms, first.is_partial) == (40_000_000, True)
    # Within 30 s of a partial step, orders are for the entire position (docs).
    during = hyperliquid_liquidation_size(160_000_000, 160_000 * USD, 1_029, 1_000)
    assert (during.size_atoms, during.is_partial) == (160_000_000, False)
    # 30 s later the cooldown is over: 20% again.
    after = hyperliquid_liquidation_size(160_000_000, 160_000 * USD, 1_030, 1_000)
    assert (after.size_atoms, after.is_partial) == (32_000_000, True)


def test_hyperliquid_positions_up_to_the_threshold_are_liquidated_whole() -> None:
    # "larger than 100k USDC": exactly 100k is liquidated whole.
    assert hyperliquid_liquidation_size(BTC_ATOMS, 100_000 * USD, 0, None).size_atoms == BTC_ATOMS
    # 20% of 3 atoms = 0.6 → rounds up to 1 (taken from the account).
    assert hyperliquid_liquidation_size(3, 500_000 * USD, 0, None).size_atoms == 1


def test_hyperliquid_isolated_liquidation_price_long() -> None:
    # 1 BTC long at 100,000 with 10,000 isolated margin, 40x tier → l = 1/80:
    # margin_available = 10,000 − 100,000 / 80 = 8,750; liq = 100,000 − 8,750 / (1 − 1/80)
    # = 100,000 − 8,750 · 80 / 79 = 7,200,000 / 79 = 91,139.2405…
    price = hyperliquid_isolated_liquidation_price_wad(HYPERLIQUID_BTC, 100_000 * WAD, BTC_ATOMS, 8, 10_000 * USD)
    exact = Fraction(7_200_000, 79) * WAD
    assert price == math.ceil(exact)  # a long's estimate rounds up, toward the mark
    # At that price equity equals maintenance: 10,000 + (liq − 100,000) = liq / 80.
    liq = Fraction(7_200_000, 79)
    assert 10_000 + (liq - 100_000) == liq / 80


def test_hyperliquid_isolated_liquidation_price_short() -> None:
    # 1 BTC short at 100,000 with 10,000 margin: liq = 100,000 + 8,750 / (1 + 1/80)
    # = (100,000 + 10,000) · 80 / 81 = 8,800,000 / 81 = 108,641.9753…
    price = hyperliquid_isolated_liquidation_price_wad(HYPERLIQUID_BTC, 100_000 * WAD, -BTC_ATOMS, 8, 10_000 * USD)
    assert price == math.floor(Fraction(8_800_000, 81) * WAD)  # a short's rounds down


def test_hyperliquid_maintenance_is_continuous_at_the_tier_bound() -> None:
    bound = 150_000_000 * USD
    # Tier 0 at the bound: 150M / 80 = 1,875,000; tier 1: 150M / 40 − deduction(1), where
    # deduction(1) = 150M · (1/40 − 1/80) = 1,875,000 → also 1,875,000.
    assert hyperliquid_maintenance_deduction_value(HYPERLIQUID_BTC, 1) == 1_875_000 * USD
    assert hyperliquid_margin_requirements(HYPERLIQUID_BTC, bound).maintenance_value == 1_875_000 * USD
    tier_one_at_bound = Fraction(bound, 40) - 1_875_000 * USD
    assert tier_one_at_bound == 1_875_000 * USD
    # One atom above: (150M + 1e-6) / 40 − 1,875,000 = 1,875,000.000000025 → rounded up.
    above = hyperliquid_margin_requirements(HYPERLIQUID_BTC, bound + 1)
    assert above.maintenance_value == 1_875_000 * USD + 1
    # The initial margin jumps with the maximum leverage: 150M / 40 = 3.75M, then / 20 = 7.5M.
    assert hyperliquid_margin_requirements(HYPERLIQUID_BTC, bound).initial_value == 3_750_000 * USD
    assert above.initial_value == 7_500_000 * USD + 1  # ⌈(150e12 + 1) / 20⌉
    assert (hyperliquid_tier_index(HYPERLIQUID_BTC, bound), hyperliquid_tier_index(HYPERLIQUID_BTC, bound + 1)) == (
        0,
        1,
    )


def test_hyperliquid_three_tier_table_with_a_non_terminating_rate() -> None:
    # Testnet DOGE: 10x to 20k, 5x to 100k, 3x above; mmr 1/20, 1/10, 1/6.
    # deduction(1) = 20k · (1/10 − 1/20) = 1,000; deduction(2) = 1,000 + 100k · (1/6 − 1/10) = 7,666.67.
    assert hyperliquid_maintenance_deduction_value(HYPERLIQUID_TESTNET_DOGE, 2) == 7_666_666_666
    # At 150k: 150k / 6 − 7,666.67 = 17,333.33 = 20k / 20 + 80k / 10 + 50k / 6 (marginal rates).
    expected = Fraction(20_000, 20) + Fraction(80_000, 10) + Fraction(50_000, 6)
    requirements = hyperliquid_margin_requirements(HYPERLIQUID_TESTNET_DOGE, 150_000 * USD)
    assert requirements == MarginRequirements(initial_value=50_000 * USD, maintenance_value=math.ceil(expected * USD))
    # Continuity at 100k: tier 1 gives 100k / 10 − 1,000 = 9,000; tier 2 gives 100k / 6 − 7,666.67 = 9,000.
    assert hyperliquid_margin_requirements(HYPERLIQUID_TESTNET_DOGE, 100_000 * USD).maintenance_value == 9_000 * USD
    assert Fraction(100_000, 6) - (1_000 + Fraction(100_000, 15)) == 9_000


def test_hyperliquid_leverage_above_the_tier_maximum_is_rejected() -> None:
    with pytest.raises(InvalidParameter):
        hyperliquid_margin_requirements(HYPERLIQUID_BTC, 200_000_000 * USD, leverage=40)
    # 10x chosen below the 40x maximum: 1,000,000 / 10.
    assert hyperliquid_margin_requirements(HYPERLIQUID_BTC, 1_000_000 * USD, leverage=10).initial_value == 100_000 * USD


# --- dYdX v4 ------------------------------------------------------------------------------------------

# The dYdX benchmark tier: lower cap 1,000,000, upper cap 2,000,000, base IMF 20%; MMF 50%.
OI_TIER = DydxLiquidityTier(
    initial_margin_ppm=200_000,
    maintenance_fraction_ppm=500_000,
    open_interest_lower_cap_value=1_000_000,
    open_interest_upper_cap_value=2_000_000,
)


@pytest.mark.parametrize(
    ("open_interest", "imf_ppm", "initial"),
    [
        (500_000, 200_000, 100_000),  # below the lower cap: base 20% of 500,000
        (1_000_000, 200_000, 100_000),  # at the lower cap: still the base
        (1_500_000, 600_000, 300_000),  # halfway: 20% + 80% · 0.5 = 60%
        (2_000_000, 1_000_000, 500_000),  # at the upper cap: 100%
        (9_000_000, 1_000_000, 500_000),  # above: 100%
    ],
)
def test_dydx_open_interest_scaled_imf(open_interest: int, imf_ppm: int, initial: int) -> None:
    assert dydx_adjusted_initial_margin_ppm(OI_TIER, open_interest) == imf_ppm
    requirements = dydx_margin_requirements(OI_TIER, 500_000, open_interest)
    # Maintenance uses the base IMF at any OI: 500,000 · 20% · 50% = 50,000.
    assert requirements == MarginRequirements(initial_value=initial, maintenance_value=50_000)


def test_dydx_imf_is_truncated_to_whole_ppm_and_the_margin_rounded_up() -> None:
    # OI 1,333,333: 800,000 · 333,333 / 1,000,000 = 266,666.4 → 266,666; IMF 466,666 ppm.
    assert dydx_adjusted_initial_margin_ppm(OI_TIER, 1_333_333) == 466_666
    # 1,000,001 · 0.466666 = 466,666.466666 → 466,667.
    assert dydx_margin_requirements(OI_TIER, 1_000_001, 1_333_333).initial_value == 466_667


def test_dydx_large_cap_and_double_rounding_of_maintenance() -> None:
    # Large-Cap (genesis.sh): 5% IMF, 60% MMF. 1M USDC → IM 50,000, MM 30,000.
    assert dydx_margin_requirements(DYDX_LARGE_CAP, 1_000_000 * USD, 0) == MarginRequirements(
        50_000 * USD, 30_000 * USD
    )
    # 33 quantums: IM = ⌈1.65⌉ = 2; MM = ⌈2 · 0.6⌉ = ⌈1.2⌉ = 2 (rounded from the rounded IM, not ⌈0.99⌉ = 1).
    assert dydx_margin_requirements(DYDX_LARGE_CAP, 33, 0) == MarginRequirements(2, 2)


def test_dydx_custom_imf_only_raises_the_initial_fraction() -> None:
    # custom 50% > base 20%: 500,000 · 50% = 250,000; custom 10% < base: the base applies.
    assert dydx_margin_requirements(OI_TIER, 500_000, 0, custom_imf_ppm=500_000).initial_value == 250_000
    assert dydx_margin_requirements(OI_TIER, 500_000, 0, custom_imf_ppm=100_000).initial_value == 100_000


def test_dydx_tier_validation() -> None:
    with pytest.raises(InvalidParameter):
        DydxLiquidityTier(initial_margin_ppm=1_000_001, maintenance_fraction_ppm=0)
    with pytest.raises(InvalidParameter):
        DydxLiquidityTier(200_000, 500_000, open_interest_lower_cap_value=2, open_interest_upper_cap_value=1)


# --- Synthetix v3 perps ----------------------------------------------------------------------------------

SNX = SynthetixPerpsMargins(
    skew_scale_atoms=1_000_000 * ETH,
    initial_margin_ratio_wad=2 * WAD,
    minimum_initial_margin_ratio_wad=WAD // 100,
    maintenance_margin_scalar_wad=WAD // 2,
    minimum_position_margin_value=100 * USD,
    flag_reward_ratio_wad=5 * WAD // 10_000,
)


def test_synthetix_required_margins_for_a_worked_size() -> None:
    # 10,000 ETH at 2,000 with skewScale 1,000,000: impact 0.01; IMR = 0.01 · 2 + 0.01 = 0.03;
    # MMR = 0.03 · 0.5 = 0.015; notional 20,000,000 → IM 600,000 + 100, MM 300,000 + 100.
    assert synthetix_margin_ratios_wad(SNX, -10_000 * ETH) == (3 * WAD // 100, 15 * WAD // 1_000)
    requirements = synthetix_margin_requirements(SNX, -10_000 * ETH, 2_000 * WAD, 18)
    assert requirements == MarginRequirements(initial_value=600_100 * USD, maintenance_value=300_100 * USD)
    # Flag reward: 20,000,000 · 0.05% = 10,000.
    assert synthetix_flag_reward_value(SNX, 20_000_000 * USD) == 10_000 * USD


def test_synthetix_requirement_is_exact_where_the_source_truncates() -> None:
    # size 1, skewScale 3, initialMarginRatio 1, price 3: IM = 3 · (1/3) = 1 exactly. Synthetix's
    # truncated impact 0.333…333 would give 0.999999999999999999, i.e. 999,999 value atoms.
    params = SynthetixPerpsMargins(
        skew_scale_atoms=3 * ETH,
        initial_margin_ratio_wad=WAD,
        minimum_initial_margin_ratio_wad=0,
        maintenance_margin_scalar_wad=WAD,
        minimum_position_margin_value=0,
    )
    assert synthetix_margin_requirements(params, ETH, 3 * WAD, 18) == MarginRequirements(USD, USD)


def test_synthetix_zero_size_requires_nothing() -> None:
    assert synthetix_margin_requirements(SNX, 0, 2_000 * WAD, 18) == MarginRequirements(0, 0)
