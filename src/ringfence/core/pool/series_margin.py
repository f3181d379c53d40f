"""Where a series position's margin is read: its mark on the pool's smile, its equity and requirement.

:func:`series_quote` marks a series (index and Black-76 on the latest smile, :mod:`.series_math`);
:func:`isolated_series_margin` gives an isolated position's vault plus value against its
requirement; :func:`cross_series_terms` gives a cross position's contribution to its
sub-account's margin (:func:`ringfence.core.pool.position_margin.margin_snapshot`).
"""

from __future__ import annotations

from ringfence.core.errors import VolSurfaceUnavailable
from ringfence.core.margin import MarginKind, base_price_wad
from ringfence.core.pool.series_math import SeriesQuote, position_value_atoms, quote_series, requirement_atoms
from ringfence.core.pool.series_state import SeriesParams, SeriesPosition, SeriesState, VolSurface
from ringfence.core.pool.state import PoolState
from ringfence.core.state import LedgerState

__all__ = ["isolated_series_margin", "series_claims_atoms", "series_position_terms", "series_quote", "usable_surface"]


def usable_surface(pool: PoolState, params: SeriesParams, now_ns: int, *, for_new_risk: bool) -> VolSurface | None:
    """Return the smile an option series is marked on (None for a future).

    New risk needs a smile no older than ``surface_max_age_ns``; closing, liquidating and margin
    checks use the latest one whatever its age (a stale smile must never stop a pool from
    reducing risk, the degraded-oracle rule of SPEC §2.1).

    Raises
    ------
    VolSurfaceUnavailable
        No smile was ever published for the expiry, or it is too old for new risk.
    """
    if not params.kind.is_option:
        return None
    surface = pool.vol_surfaces.get((params.underlying, params.expiry_ns))
    if surface is None:
        raise VolSurfaceUnavailable(pool.pool, params.underlying, params.expiry_ns, "none was published")
    age = now_ns - surface.published_ns
    if for_new_risk and age > params.surface_max_age_ns:
        raise VolSurfaceUnavailable(
            pool.pool, params.underlying, params.expiry_ns, f"published {age} ns ago, limit {params.surface_max_age_ns}"
        )
    return surface


def series_quote(
    state: LedgerState, pool: PoolState, series: SeriesState, now_ns: int, *, for_new_risk: bool = False
) -> tuple[int, SeriesQuote]:
    """Return the underlying's index and the series' mark at ``now_ns`` (guarded prices only when reducing risk)."""
    params = series.params
    index = base_price_wad(state, params.underlying, now_ns, allow_guarded=not for_new_risk)
    surface = usable_surface(pool, params, now_ns, for_new_risk=for_new_risk)
    return index, quote_series(series, surface, index, now_ns)


def isolated_series_margin(
    state: LedgerState, pool: PoolState, series: SeriesState, position: SeriesPosition, kind: MarginKind, now_ns: int
) -> tuple[int, int]:
    """Return an isolated series position's ``(equity, requirement)`` in quote atoms: vault + value, and its rate."""
    value, requirement = series_position_terms(state, pool, series, position, kind, now_ns, allow_guarded=True)
    return position.isolated_margin_atoms + value, requirement


def series_position_terms(
    state: LedgerState,
    pool: PoolState,
    series: SeriesState,
    position: SeriesPosition,
    kind: MarginKind,
    now_ns: int,
    *,
    allow_guarded: bool = False,
) -> tuple[int, int]:
    """Return a series position's ``(equity contribution, requirement)`` in quote atoms, without its vault."""
    params = series.params
    index = base_price_wad(state, params.underlying, now_ns, allow_guarded=allow_guarded)
    quote = quote_series(series, usable_surface(pool, params, now_ns, for_new_risk=False), index, now_ns)
    base_decimals = state.assets[params.underlying].params.decimals
    quote_decimals = state.assets[pool.params.quote_asset].params.decimals
    value = position_value_atoms(params, position, quote.mark_wad, kind, base_decimals, quote_decimals)
    requirement = requirement_atoms(
        params, position.size_atoms, index, kind, base_decimals, quote_decimals, quote.mark_wad
    )
    return value, requirement


def series_claims_atoms(
    state: LedgerState, pool: PoolState, now_ns: int, *, allow_guarded: bool = False
) -> tuple[int, int]:
    """Return bounds ``(low, high)`` on what traders' series positions are worth against the LP vault (quote atoms).

    Each position's value at its mark (:func:`~ringfence.core.pool.series_math.position_value_atoms`
    at maintenance: an option ``size · mark``, a future its unrealised PnL) is floored, so the exact
    claim lies in ``[value, value + 1)``: ``low`` sums the floors, ``high`` adds one atom per
    position. The LP vault's NAV subtracts them (:func:`~ringfence.core.pool.decide.pool_nav_atoms`):
    LP shares are priced net of the options the vault wrote.
    """
    low = count = 0
    for (_, series_id), position in pool.series_positions.items():
        value, _ = series_position_terms(
            state, pool, pool.series[series_id], position, MarginKind.MAINTENANCE, now_ns, allow_guarded=allow_guarded
        )
        low += value
        count += 1
    return low, low + count
