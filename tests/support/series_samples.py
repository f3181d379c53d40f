"""One sample of every series event, with extreme values, for the codec and journal contracts."""

from __future__ import annotations

from ringfence.core.events import Event
from ringfence.core.pool.series_events import (
    SeriesListed,
    SeriesMarginAdjusted,
    SeriesPositionLiquidated,
    SeriesPositionSettled,
    SeriesSettled,
    SeriesTradeFilled,
    SettlementWindowAccrued,
    VolSurfacePublished,
)
from ringfence.core.pool.series_state import SeriesKind, SeriesParams
from ringfence.core.pool.state import MarginMode

WAD = 10**18
NOW_NS = 1_767_225_600 * 10**9
BIG = 2**127

SERIES_PARAMS_SAMPLE = SeriesParams(
    series="ETH-20260327-P-1800",
    kind=SeriesKind.PUT,
    underlying="ETH",
    strike_wad=1_800 * WAD,
    expiry_ns=NOW_NS + 86 * 86_400 * 10**9,
    spread_wad=WAD // 100,
    skew_scale_atoms=BIG,
    vol_impact_wad=WAD // 10,
    taker_fee_wad=3 * WAD // 10_000,
    fee_cap_wad=WAD // 8,
    open_interest_cap_atoms=BIG - 1,
    initial_margin_wad=15 * WAD // 100,
    minimum_margin_wad=WAD // 10,
    maintenance_margin_wad=75 * WAD // 1_000,
    settlement_window_ns=1_800 * 10**9,
    surface_max_age_ns=3_600 * 10**9,
    max_atm_vol_jump_wad=WAD // 2,
)

SERIES_EVENT_SAMPLES: tuple[Event, ...] = (
    SeriesListed(pool="eth-options", params=SERIES_PARAMS_SAMPLE, timestamp_ns=NOW_NS),
    VolSurfacePublished(
        publisher="pyth",
        pool="eth-options",
        underlying="ETH",
        expiry_ns=SERIES_PARAMS_SAMPLE.expiry_ns,
        a_wad=-(WAD // 100),
        b_wad=WAD // 10,
        rho_wad=-(WAD - 1),
        m_wad=-(WAD // 50),
        sigma_wad=1,
        atm_volatility_wad=8 * WAD // 10,
        timestamp_ns=NOW_NS + 1,
    ),
    SeriesTradeFilled(
        owner="alice",
        sub_account=2**32,
        pool="eth-options",
        series="ETH-20260327-P-1800",
        mode=MarginMode.ISOLATED,
        size_delta_atoms=-BIG,
        price_wad=BIG,
        new_size_atoms=-BIG,
        new_open_value_atoms=-BIG,
        margin_added_atoms=BIG,
        margin_released_atoms=0,
        premium_atoms=-BIG,
        realised_pnl_atoms=-1,
        fee_atoms=BIG,
        lp_fee_atoms=3,
        insurance_fee_atoms=2,
        protocol_fee_atoms=1,
        timestamp_ns=NOW_NS + 2,
    ),
    SettlementWindowAccrued(pool="eth-options", series="ETH-20260327-P-1800", price_wad=BIG, covered_ns=2**62),
    SeriesSettled(pool="eth-options", series="ETH-20260327-P-1800", settlement_price_wad=BIG, timestamp_ns=NOW_NS + 3),
    SeriesPositionSettled(
        pool="eth-options",
        series="ETH-20260327-P-1800",
        owner="alice",
        sub_account=0,
        size_atoms=-BIG,
        paid_atoms=-BIG,
        shortfall_atoms=BIG,
        released_atoms=0,
    ),
    SeriesPositionLiquidated(
        keeper_owner="keeper",
        keeper_sub_account=1,
        owner="alice",
        sub_account=0,
        pool="eth-options",
        series="ETH-20260327-P-1800",
        size_atoms=-BIG,
        mark_wad=BIG,
        price_wad=BIG + 1,
        buyback_atoms=-BIG,
        keeper_reward_atoms=1,
        insurance_penalty_atoms=2,
        shortfall_atoms=BIG,
        released_atoms=0,
        equity_atoms=-BIG,
        requirement_atoms=BIG,
        timestamp_ns=NOW_NS + 4,
    ),
    SeriesMarginAdjusted(
        owner="alice",
        sub_account=0,
        pool="eth-options",
        series="ETH-20260327-P-1800",
        delta_atoms=-BIG,
        timestamp_ns=NOW_NS + 5,
    ),
)
