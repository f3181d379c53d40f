"""Exact arithmetic of option series and dated futures: marks, fill prices, margin, settlement payoffs.

Sizes are signed contracts (one contract = one base atom of the underlying, long > 0); amounts are
quote atoms; prices are WAD per whole unit of the underlying, the quote asset at par with the
numeraire (as :mod:`.perp_math`). Every rounding goes against the trader.

Marks. An option is marked at Black-76 (:mod:`ringfence.core.pricing.black76`) on the forward
``F`` = the underlying's oracle index (no basis: the pool's quote earns nothing, so the forward of
a cash-settled expiry is taken at the index; a venue that wants a basis publishes it in the smile's
``m``), with the volatility the pool's SVI smile gives at the strike
(:mod:`ringfence.core.pricing.svi`). A dated future is marked at the index.

Fill price of an option (:func:`option_fill_price_wad`): the mark moved by a vega-scaled price
impact, then the spread. In the spirit of Lyra v1's skew adjustment (derivexyz/v1-core
``OptionMarketPricer.sol``: every trade moves the strike's skew, hence its volatility, by
``amount · skewAdjustmentFactor``, and the premium is repriced at the moved volatility), the
volatility the trade fills at is moved by the traders' net size, averaged over the trade as
Synthetix averages its skew premium: ``Δσ = vol_impact · (2·skew + size) / (2·skew_scale)``, and
the premium moves by its first-order effect ``vega · Δσ``. Buying while traders are net long
(the vault net short vega) costs more, selling into it pays more. Then ``× (1 ± spread)``; buys
round up (and pay at least one WAD unit), sells down, and a sale never fills below 0.

Fill price of a dated future: :func:`~ringfence.core.pool.perp_math.fill_price_wad` (the
Synthetix skew premium and the spread), as a perpetual.

Fees: ``taker_fee · |size| · F`` rounded up; for an option at most ``fee_cap · |size| · premium``
(Deribit's option fee: "0.03% of the underlying ... (Capped at 12.5% of the options price)",
https://support.deribit.com/hc/en-us/articles/25944746248989-Fees).

Margin of a short option (Deribit's standard margin for inverse options, per contract of one
unit of the underlying and in units of it: short call IM ``max(0.15 − OTM/F, 0.1) + mark``, MM
``0.075 + mark``; short put IM ``max(max(0.15 − OTM/F, 0.1) + mark, MM)``, MM
``max(0.075, 0.075·mark) + mark``; as published in Deribit's knowledge base and reproduced in
https://doc.tslab.pro/tslab/eng/data-providers/connection-to-broker/deribit-cryptocurrency-exchange/deribit-margin-requirements-calculation
and, in quote terms, Aevo's standard margin, https://docs.aevo.xyz/aevo-exchange/options-specifications/standard-margin).
In quote terms (× F) and with the *mark price of the option* counted on the equity side (a
position's equity is its vault plus ``size · mark``, a short's liability), the requirement is
the remainder, rounded up: ``|size| · max(initial_margin·F − OTM, minimum_margin·F)`` (initial;
for a put at least its maintenance part) and ``|size| · maintenance_margin·F`` (maintenance;
for a put ``|size| · max(maintenance_margin·F, maintenance_margin·mark)``); ``OTM`` is
``max(K − F, 0)`` for a call, ``max(F − K, 0)`` for a put. A long option needs no margin (paid in
full, no leverage) and its value counts for nothing at initial margin. A dated future needs the
flat ``rate · |size| · F``, its equity the unrealised PnL ``size · F − open notional``.
"""

from __future__ import annotations

from dataclasses import dataclass

from ringfence.core.margin import MarginKind
from ringfence.core.pool.perp_math import fill_price_wad, signed_notional_atoms
from ringfence.core.pool.series_state import SeriesKind, SeriesParams, SeriesPosition, SeriesState, VolSurface
from ringfence.core.pricing.black76 import Black76, black76
from ringfence.core.pricing.fixed_math import PRECISE
from ringfence.core.pricing.svi import svi_volatility_wad
from ringfence.core.units import WAD, Rounding, mul_div

__all__ = [
    "SeriesQuote",
    "fee_atoms",
    "option_fill_price_wad",
    "option_values",
    "payoff_wad",
    "position_value_atoms",
    "quote_series",
    "requirement_atoms",
]

_PRECISE_PER_WAD = PRECISE // WAD


def option_values(params: SeriesParams, surface: VolSurface, index_wad: int, now_ns: int) -> tuple[int, Black76]:
    """Return the smile's volatility at the strike (WAD) and the Black-76 values of the series at ``now_ns``."""
    remaining = max(params.expiry_ns - now_ns, 0)
    volatility = svi_volatility_wad(surface.svi, index_wad, params.strike_wad, remaining)
    return volatility, black76(index_wad, params.strike_wad, volatility, remaining)


def option_fill_price_wad(
    values: Black76, is_call: bool, skew_atoms: int, size_delta_atoms: int, params: SeriesParams
) -> int:
    """Return an option trade's premium per underlying unit: mark + vega·Δσ, then ``× (1 ± spread)`` (module doc)."""
    buying = size_delta_atoms > 0
    rounding = Rounding.UP if buying else Rounding.DOWN
    mark = values.call_precise if is_call else values.put_precise
    impact = mul_div(
        values.vega_precise * params.vol_impact_wad,
        2 * skew_atoms + size_delta_atoms,
        WAD * 2 * params.skew_scale_atoms,
        rounding,
    )
    spread_factor = WAD + params.spread_wad if buying else WAD - params.spread_wad
    moved = max(mark + impact, 0)
    price = mul_div(moved, spread_factor, WAD * _PRECISE_PER_WAD, rounding)
    # a buy pays at least one WAD unit: a mark below the 10⁻⁵⁰ of the pricing scale is not free
    return max(price, 1) if buying else price


@dataclass(frozen=True, slots=True)
class SeriesQuote:
    """A series' mark (WAD per underlying unit) and, for an option, its Black-76 values and smile volatility."""

    mark_wad: int
    values: Black76 | None
    volatility_wad: int


def quote_series(series: SeriesState, surface: VolSurface | None, index_wad: int, now_ns: int) -> SeriesQuote:
    """Return the series' mark at ``now_ns``: Black-76 on the smile (options, floored), the index (futures).

    ``surface`` must be given for an option (callers refuse a missing one with a named error first).
    """
    params = series.params
    if not params.kind.is_option:
        return SeriesQuote(index_wad, None, 0)
    if surface is None:
        raise ValueError("an option series is marked on a smile")
    volatility, values = option_values(params, surface, index_wad, now_ns)
    return SeriesQuote(values.price_wad(params.kind is SeriesKind.CALL, Rounding.DOWN), values, volatility)


def fill_price(series: SeriesState, quote: SeriesQuote, index_wad: int, size_delta_atoms: int) -> int:
    """Return the price a trade of ``size_delta_atoms`` fills at (options: :func:`option_fill_price_wad`)."""
    params = series.params
    if quote.values is None:
        return fill_price_wad(
            index_wad, series.skew_atoms, size_delta_atoms, params.skew_scale_atoms, params.spread_wad
        )
    return option_fill_price_wad(
        quote.values, params.kind is SeriesKind.CALL, series.skew_atoms, size_delta_atoms, params
    )


def fee_atoms(
    params: SeriesParams, size_delta_atoms: int, index_wad: int, price_wad: int, base_decimals: int, quote_decimals: int
) -> int:
    """Return the taker fee: ``taker_fee · |size| · F``, for an option capped at ``fee_cap · |size| · premium``."""
    size = abs(size_delta_atoms)
    underlying = signed_notional_atoms(size, index_wad, base_decimals, quote_decimals, Rounding.UP)
    fee = mul_div(underlying, params.taker_fee_wad, WAD, Rounding.UP)
    if params.kind.is_option:
        premium = signed_notional_atoms(size, price_wad, base_decimals, quote_decimals, Rounding.UP)
        fee = min(fee, mul_div(premium, params.fee_cap_wad, WAD, Rounding.UP))
    return fee


def position_value_atoms(
    params: SeriesParams,
    position: SeriesPosition,
    mark_wad: int,
    kind: MarginKind,
    base_decimals: int,
    quote_decimals: int,
) -> int:
    """Return the position's contribution to its margin equity, in quote atoms, floored.

    Options: ``size · mark`` (a short's liability rounds up); a long counts 0 at initial margin.
    Futures: unrealised PnL ``size · F − open notional`` (``mark_wad`` is the index).
    """
    size = position.size_atoms
    if params.kind.is_option:
        if size > 0 and kind is MarginKind.INITIAL:
            return 0
        return signed_notional_atoms(size, mark_wad, base_decimals, quote_decimals)
    return signed_notional_atoms(size, mark_wad, base_decimals, quote_decimals) - position.open_value_atoms


def requirement_atoms(
    params: SeriesParams,
    size_atoms: int,
    index_wad: int,
    kind: MarginKind,
    base_decimals: int,
    quote_decimals: int,
    mark_wad: int = 0,
) -> int:
    """Return the margin requirement of a position of ``size_atoms`` at index ``index_wad`` (module doc), rounded up.

    ``mark_wad`` is the option's mark: a short put's maintenance part is ``max(mm·F, mm·mark)``.
    """
    if params.kind.is_option:
        if size_atoms >= 0:
            return 0
        maintenance = mul_div(index_wad, params.maintenance_margin_wad, WAD, Rounding.UP)
        if params.kind is SeriesKind.PUT:
            maintenance = max(maintenance, mul_div(mark_wad, params.maintenance_margin_wad, WAD, Rounding.UP))
        if kind is MarginKind.MAINTENANCE:
            per_unit = maintenance
        else:
            per_unit = max(
                mul_div(index_wad, params.initial_margin_wad, WAD, Rounding.UP) - _otm_wad(params, index_wad),
                mul_div(index_wad, params.minimum_margin_wad, WAD, Rounding.UP),
            )
            if params.kind is SeriesKind.PUT:
                per_unit = max(per_unit, maintenance)
    else:
        rate = params.maintenance_margin_wad if kind is MarginKind.MAINTENANCE else params.initial_margin_wad
        per_unit = mul_div(index_wad, rate, WAD, Rounding.UP)
    return signed_notional_atoms(abs(size_atoms), per_unit, base_decimals, quote_decimals, Rounding.UP)


def _otm_wad(params: SeriesParams, index_wad: int) -> int:
    if params.kind is SeriesKind.CALL:
        return max(params.strike_wad - index_wad, 0)
    return max(index_wad - params.strike_wad, 0)


def payoff_wad(params: SeriesParams, settlement_price_wad: int) -> int:
    """Return an option's value per underlying unit at settlement price ``S`` (the price itself for a future)."""
    if params.kind is SeriesKind.CALL:
        return max(settlement_price_wad - params.strike_wad, 0)
    if params.kind is SeriesKind.PUT:
        return max(params.strike_wad - settlement_price_wad, 0)
    return settlement_price_wad
