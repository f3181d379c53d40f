"""The series an option market of the lab lists: a put and a call at each strike and expiry (``[[venue.options]]``).

Kept apart from :mod:`ringfence.lab.exact.options` so the layout (:mod:`ringfence.lab.exact.layout`)
can list them in the genesis without importing the agents.
"""

from __future__ import annotations

from ringfence.core.pool.series_state import SeriesKind, SeriesParams
from ringfence.core.units import WAD
from ringfence.lab.scenario_options import OptionMarketDesign

__all__ = ["list_series", "option_pool", "wad"]

NS_PER_SECOND = 10**9


def option_pool(asset: str) -> str:
    """Return the name of the option market's own pool (isolated rungs)."""
    return f"options-{asset}"


def wad(value: float) -> int:
    """Return a ratio as WAD, toward zero (as :func:`ringfence.lab.exact.layout.to_wad`)."""
    return int(value * WAD)


def _strike_wad(initial_price: float, ratio: float) -> int:
    """Return the strike ``ratio · price`` rounded down to a whole cent, in WAD."""
    cents = int(initial_price * ratio * 100)
    return max(cents, 1) * WAD // 100


def _series_name(asset: str, kind: SeriesKind, strike_wad: int, expiry_seconds: int) -> str:
    strike = f"{strike_wad / WAD:.6g}"
    return f"{asset}-{'P' if kind is SeriesKind.PUT else 'C'}-{strike}-{expiry_seconds}s"


def list_series(
    design: OptionMarketDesign, initial_price: float, start_ns: int, base_decimals: int
) -> tuple[SeriesParams, ...]:
    """Return the market's series: a put and a call at each strike, expiry by expiry.

    A strike is ``ratio × initial_price`` rounded down to a whole cent; sizes in the design are
    units of the underlying, of ``base_decimals`` decimals.
    """
    base_unit = 10**base_decimals
    listed = []
    for expiry in design.expiries_seconds:
        for ratio in design.strikes:
            strike = _strike_wad(initial_price, ratio)
            for kind in (SeriesKind.PUT, SeriesKind.CALL):
                listed.append(
                    SeriesParams(
                        series=_series_name(design.asset, kind, strike, expiry),
                        kind=kind,
                        underlying=design.asset,
                        strike_wad=strike,
                        expiry_ns=start_ns + expiry * NS_PER_SECOND,
                        spread_wad=wad(design.spread),
                        skew_scale_atoms=int(design.skew_scale * base_unit),
                        vol_impact_wad=wad(design.vol_impact),
                        taker_fee_wad=wad(design.taker_fee),
                        fee_cap_wad=wad(design.fee_cap),
                        open_interest_cap_atoms=int(design.open_interest_cap * base_unit),
                        initial_margin_wad=wad(design.initial_margin),
                        minimum_margin_wad=wad(design.minimum_margin),
                        maintenance_margin_wad=wad(design.maintenance_margin),
                        settlement_window_ns=design.settlement_window_seconds * NS_PER_SECOND,
                        surface_max_age_ns=design.surface_max_age_seconds * NS_PER_SECOND,
                        max_atm_vol_jump_wad=wad(design.max_atm_vol_jump),
                    )
                )
    return tuple(listed)
