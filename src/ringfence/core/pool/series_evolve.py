"""``evolve`` handlers of series events: the only code that changes series state."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ringfence.core.pool.evolve import _rebind, adjust_balance
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
from ringfence.core.pool.series_state import SeriesPosition, SeriesState, VolSurface
from ringfence.core.pool.state import MarginMode, PoolState
from ringfence.core.pricing.svi import SviParams
from ringfence.core.state import AccountKey, LedgerState

__all__ = ["SERIES_HANDLERS"]


def _series_listed(state: LedgerState, event: SeriesListed) -> None:
    state.pools[event.pool].series[event.params.series] = SeriesState(event.params)


def _vol_surface_published(state: LedgerState, event: VolSurfacePublished) -> None:
    svi = SviParams(event.a_wad, event.b_wad, event.rho_wad, event.m_wad, event.sigma_wad)
    surface = VolSurface(event.underlying, event.expiry_ns, svi, event.timestamp_ns, event.atm_volatility_wad)
    state.pools[event.pool].vol_surfaces[(event.underlying, event.expiry_ns)] = surface


def _set_position(
    state: LedgerState, pool: PoolState, key: AccountKey, series_id: str, position: SeriesPosition | None
) -> None:
    """Replace the position (None: closed), keeping open interest and the cross binding in step."""
    series = pool.series[series_id]
    old = pool.series_positions.get((key, series_id))
    old_size = old.size_atoms if old else 0
    new_size = position.size_atoms if position else 0
    series.long_atoms += max(new_size, 0) - max(old_size, 0)
    series.short_atoms += max(-new_size, 0) - max(-old_size, 0)
    if position is None:
        pool.series_positions.pop((key, series_id), None)
    else:
        pool.series_positions[(key, series_id)] = position
    mode = position.mode if position else (old.mode if old else MarginMode.ISOLATED)
    if mode is MarginMode.CROSS:
        _rebind(state, pool, key)


def _series_trade_filled(state: LedgerState, event: SeriesTradeFilled) -> None:
    pool = state.pools[event.pool]
    key = (event.owner, event.sub_account)
    quote = pool.params.quote_asset
    side_delta = event.margin_added_atoms - event.premium_atoms - event.fee_atoms + event.realised_pnl_atoms
    old = pool.series_positions.get((key, event.series))
    vault = 0
    if event.mode is MarginMode.ISOLATED:
        adjust_balance(state, key, quote, event.margin_released_atoms - event.margin_added_atoms)
        vault = (old.isolated_margin_atoms if old else 0) + side_delta - event.margin_released_atoms
    else:
        adjust_balance(state, key, quote, side_delta)
    pool.vault_atoms += event.premium_atoms + event.lp_fee_atoms - event.realised_pnl_atoms
    pool.insurance_atoms += event.insurance_fee_atoms
    pool.protocol_fees_atoms += event.protocol_fee_atoms
    position = (
        SeriesPosition(event.new_size_atoms, event.new_open_value_atoms, event.mode, vault)
        if event.new_size_atoms
        else None
    )
    _set_position(state, pool, key, event.series, position)


def _settlement_window_accrued(state: LedgerState, event: SettlementWindowAccrued) -> None:
    series = state.pools[event.pool].series[event.series]
    series.window_price_ns_sum += event.price_wad * event.covered_ns
    series.window_covered_ns += event.covered_ns


def _series_settled(state: LedgerState, event: SeriesSettled) -> None:
    state.pools[event.pool].series[event.series].settlement_price_wad = event.settlement_price_wad


def _series_position_settled(state: LedgerState, event: SeriesPositionSettled) -> None:
    pool = state.pools[event.pool]
    key = (event.owner, event.sub_account)
    position = pool.series_positions[(key, event.series)]
    quote = pool.params.quote_asset
    pool.vault_atoms -= event.paid_atoms
    if position.mode is MarginMode.ISOLATED:
        adjust_balance(state, key, quote, event.released_atoms)
    else:
        adjust_balance(state, key, quote, event.paid_atoms)
    _set_position(state, pool, key, event.series, None)


def _series_position_liquidated(state: LedgerState, event: SeriesPositionLiquidated) -> None:
    pool = state.pools[event.pool]
    key = (event.owner, event.sub_account)
    position = pool.series_positions[(key, event.series)]
    quote = pool.params.quote_asset
    pool.vault_atoms += event.buyback_atoms - event.shortfall_atoms
    pool.insurance_atoms += event.insurance_penalty_atoms
    adjust_balance(state, (event.keeper_owner, event.keeper_sub_account), quote, event.keeper_reward_atoms)
    if position.mode is MarginMode.ISOLATED:
        adjust_balance(state, key, quote, event.released_atoms)
    else:
        paid = event.buyback_atoms + event.keeper_reward_atoms + event.insurance_penalty_atoms
        adjust_balance(state, key, quote, -paid)
    _set_position(state, pool, key, event.series, None)


def _series_margin_adjusted(state: LedgerState, event: SeriesMarginAdjusted) -> None:
    pool = state.pools[event.pool]
    key = (event.owner, event.sub_account)
    adjust_balance(state, key, pool.params.quote_asset, -event.delta_atoms)
    pool.series_positions[(key, event.series)].isolated_margin_atoms += event.delta_atoms


SERIES_HANDLERS: dict[type[Any], Callable[[LedgerState, Any], None]] = {
    SeriesListed: _series_listed,
    VolSurfacePublished: _vol_surface_published,
    SeriesTradeFilled: _series_trade_filled,
    SettlementWindowAccrued: _settlement_window_accrued,
    SeriesSettled: _series_settled,
    SeriesPositionSettled: _series_position_settled,
    SeriesPositionLiquidated: _series_position_liquidated,
    SeriesMarginAdjusted: _series_margin_adjusted,
}
