"""A venue with option series and a dated future in pool ``P`` (ETH at 2,000), for unit tests.

The numbers are the tests' premises: a flat smile of 80% a year (SVI ``a = 0.64·τ``, ``b = 0``),
expiry 73 days after ``T0`` (``τ = 0.2`` year at listing), Deribit's margin rates (IM 15% with a
10% floor, MM 7.5%), a 1% spread, a vega impact of 10 vol points per 1,000 ETH of traders' net size,
a fee of 0.03% of the underlying capped at 12.5% of the premium, and a 30-minute settlement window.
"""

from __future__ import annotations

import dataclasses

from ringfence.core.pool.series_commands import PublishVolSurface, TradeSeries
from ringfence.core.pool.series_state import SeriesKind, SeriesParams
from ringfence.core.pool.state import MarginMode, MarketParams, PoolParams
from ringfence.core.pricing.black76 import NS_PER_YEAR
from support.venue import ETH, MARKET_PARAMS, PERCENT, POOL, POOL_PARAMS, T0, WAD, Venue

DAY_NS = 86_400 * 10**9
EXPIRY_NS = T0 + 73 * DAY_NS
"""τ = 73/365 = 0.2 year from ``T0``."""
WINDOW_NS = 30 * 60 * 10**9
CALL = "ETH-C-2000"
PUT = "ETH-P-1800"
FUTURE = "ETH-F"

CALL_PARAMS = SeriesParams(
    series=CALL,
    kind=SeriesKind.CALL,
    underlying="ETH",
    strike_wad=2_000 * WAD,
    expiry_ns=EXPIRY_NS,
    spread_wad=1 * PERCENT,
    skew_scale_atoms=1_000 * ETH,
    vol_impact_wad=10 * PERCENT,
    taker_fee_wad=3 * PERCENT // 100,
    fee_cap_wad=125 * PERCENT // 10,
    open_interest_cap_atoms=100 * ETH,
    initial_margin_wad=15 * PERCENT,
    minimum_margin_wad=10 * PERCENT,
    maintenance_margin_wad=75 * PERCENT // 10,
    settlement_window_ns=WINDOW_NS,
    surface_max_age_ns=3_600 * 10**9,
    max_atm_vol_jump_wad=50 * PERCENT,
)
PUT_PARAMS = dataclasses.replace(CALL_PARAMS, series=PUT, kind=SeriesKind.PUT, strike_wad=1_800 * WAD)
FUTURE_PARAMS = dataclasses.replace(
    CALL_PARAMS,
    series=FUTURE,
    kind=SeriesKind.FUTURE,
    strike_wad=0,
    vol_impact_wad=0,
    fee_cap_wad=0,
    initial_margin_wad=10 * PERCENT,
    minimum_margin_wad=0,
    maintenance_margin_wad=5 * PERCENT,
    surface_max_age_ns=0,
    max_atm_vol_jump_wad=0,
)

FLAT_A_WAD = 64 * PERCENT * 2 // 10
"""``a = 0.64 · 0.2 = 0.128``: total variance of 80% a year over the 0.2 year left at ``T0``."""


def flat_smile(venue: Venue, a_wad: int = FLAT_A_WAD, publisher: str = "a") -> PublishVolSurface:
    """Return a flat smile (``b = 0``) for the series' expiry, published now."""
    return PublishVolSurface(publisher, POOL, "ETH", EXPIRY_NS, a_wad, 0, 0, 0, WAD // 10, venue.now)


def option_venue(
    pool: PoolParams = POOL_PARAMS,
    market: MarketParams = MARKET_PARAMS,
    series: tuple[SeriesParams, ...] = (CALL_PARAMS, PUT_PARAMS, FUTURE_PARAMS),
    *,
    insurance_atoms: int = 0,
) -> Venue:
    """Return the unit-test venue with ``series`` listed in its genesis and the flat smile published."""
    from ringfence.core.pool.series_commands import ListSeries

    venue = Venue(pool, market, in_genesis=True, insurance_atoms=insurance_atoms)
    for params in series:
        venue.run(ListSeries(POOL, params, venue.now))
    venue.finish_genesis()
    venue.run(flat_smile(venue))
    return venue


def trade_series(
    venue: Venue,
    owner: str,
    series: str,
    size_atoms: int,
    margin_atoms: int = 0,
    mode: MarginMode = MarginMode.ISOLATED,
    limit_wad: int = 0,
) -> TradeSeries:
    """Return a series trade of ``owner``'s sub-account 0, now."""
    return TradeSeries(owner, 0, POOL, series, size_atoms, mode, margin_atoms, limit_wad, venue.now)


YEAR_NS = NS_PER_YEAR
