"""A sub-account's margin with its perpetual positions (SPEC §2.2): cross and isolated.

Built on the collateral valuations and prices of :mod:`ringfence.core.margin`, which sits
below the pool package and never imports it (the import-linter ``layers`` contract): this
module is where the pool's positions, their PnL and funding (:mod:`.perp_math`) and their
requirements (:mod:`.requirements`) meet the sub-account's collateral.

- :func:`position_terms`: one position's equity contribution and requirement;
- :func:`isolated_margin`: an isolated position's vault plus its terms, in quote atoms;
- :func:`margin_snapshot`: a sub-account's cross margin (collateral plus every cross position
  of its pool), in value atoms.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from ringfence.core.liquidation.ltv_ramp import ramped_maintenance_wad
from ringfence.core.margin import (
    NO_LIMIT,
    Denomination,
    MarginKind,
    MarginSnapshot,
    base_price_wad,
    collateral_value,
    initial_pnl_price_wad,
    pool_deposits_atoms,
    quote_to_value_atoms,
)
from ringfence.core.pool.perp_math import funding_owed_atoms, unrealised_pnl_atoms
from ringfence.core.pool.portfolio_margin import portfolio_snapshot
from ringfence.core.pool.requirements import open_interest_after, open_interest_atoms, requirements_atoms
from ringfence.core.pool.series_margin import series_position_terms
from ringfence.core.pool.series_state import SeriesPosition
from ringfence.core.pool.state import MarginMode, PoolState, Position
from ringfence.core.state import AccountKey, LedgerState
from ringfence.core.units import WAD, Rounding, mul_div

__all__ = ["isolated_margin", "margin_snapshot", "position_terms"]


def position_terms(
    state: LedgerState,
    pool: PoolState,
    market_id: str,
    position: Position,
    kind: MarginKind,
    price_wad: int,
    *,
    open_interest: int | None = None,
    now_ns: int | None = None,
) -> tuple[int, int]:
    """Return ``(equity contribution, requirement)`` of a position, in quote atoms.

    Equity: unrealised PnL (positive PnL at the market's ``pnl_weight``, floored) minus
    funding owed. Requirement: the market's margin model at ``price_wad``, rounded up
    (:func:`ringfence.core.pool.requirements.requirements_atoms`; FLAT: ``|size| · price ·
    rate``). ``open_interest`` (base atoms) replaces the market's current open interest, for
    a check of the state after a command; only the dYdX model reads it. Given ``now_ns``, a
    maintenance rate still ramping in (Euler v2's LTV ramp, ``MarketState.maintenance_ramp``)
    counts at its ramped value.

    For initial margin the PnL is valued at :func:`initial_pnl_price_wad` (the conservative
    of ``price_wad`` and the stable price); maintenance values it at ``price_wad``.
    """
    market = pool.markets[market_id]
    params = market.params
    if market.maintenance_ramp is not None and now_ns is not None and kind is MarginKind.MAINTENANCE:
        ramped = ramped_maintenance_wad(params.maintenance_margin_wad, market.maintenance_ramp, now_ns)
        params = replace(params, maintenance_margin_wad=ramped)
    base_decimals = state.assets[params.base_asset].params.decimals
    quote_decimals = state.assets[pool.params.quote_asset].params.decimals
    pnl_price = price_wad
    if kind is MarginKind.INITIAL:
        pnl_price = initial_pnl_price_wad(state, params.base_asset, position.size_atoms, price_wad)
    pnl = unrealised_pnl_atoms(position, pnl_price, base_decimals, quote_decimals)
    if pnl > 0:
        pnl = mul_div(pnl, params.pnl_weight_wad, WAD, Rounding.DOWN)
    equity = pnl - funding_owed_atoms(position, market.funding_index_wad, base_decimals)
    interest = open_interest_atoms(market) if open_interest is None else open_interest
    initial, maintenance = requirements_atoms(
        params, position.size_atoms, price_wad, interest, base_decimals, quote_decimals
    )
    return equity, initial if kind is MarginKind.INITIAL else maintenance


def isolated_margin(
    state: LedgerState,
    pool: PoolState,
    market_id: str,
    position: Position,
    kind: MarginKind,
    price_wad: int,
    *,
    open_interest: int | None = None,
    now_ns: int | None = None,
) -> MarginSnapshot:
    """Return an isolated position's margin: its vault plus its equity terms, in quote atoms.

    ``open_interest`` and ``now_ns`` as in :func:`position_terms`.
    """
    equity, requirement = position_terms(
        state, pool, market_id, position, kind, price_wad, open_interest=open_interest, now_ns=now_ns
    )
    return MarginSnapshot(
        kind=kind,
        equity_atoms=position.isolated_margin_atoms + equity,
        requirement_atoms=requirement,
        denomination=Denomination.QUOTE,
    )


def margin_snapshot(
    state: LedgerState,
    key: AccountKey,
    kind: MarginKind,
    now_ns: int,
    balance_changes: Mapping[str, int] | None = None,
    position_override: tuple[str, str, Position | None] | None = None,
    *,
    allow_guarded: bool = False,
    series_override: tuple[str, str, SeriesPosition | None] | None = None,
) -> MarginSnapshot:
    """Return a sub-account's cross-margin equity and requirement, in value atoms.

    Optionally after hypothetical balance changes and with one cross position of the
    sub-account replaced (``(pool, market, position or None)``), so ``decide`` can check a
    command's outcome without mutating state; the replaced market's open interest is then
    the one after the replacement. With no cross position and no debt the
    account is healthy whatever its collateral is worth: no oracle is consulted (equity
    is reported as 0), so a collateral-only account never depends on a price.

    Cross positions in option series and dated futures count too
    (:func:`~ringfence.core.pool.series_margin.series_position_terms`); ``series_override``
    replaces one of them, as ``position_override`` does a perpetual position.

    A portfolio-margined sub-account is margined by the venue's scenario grid instead
    (:func:`~ringfence.core.pool.portfolio_margin.portfolio_snapshot`, value atoms), with the
    same hypothetical changes.
    """
    if key in state.portfolio_accounts:
        overrides = {position_override[:2]: position_override[2]} if position_override is not None else None
        series = {series_override[:2]: series_override[2]} if series_override is not None else None
        return portfolio_snapshot(
            state, key, kind, now_ns, balance_changes, overrides, allow_guarded=allow_guarded, series_overrides=series
        )
    account = state.accounts.get(key)
    balances: Mapping[str, int] = account.balances if account is not None else {}
    if balance_changes:  # a copy only when there is something to change (read-only otherwise)
        balances = dict(balances)
        for asset, change in balance_changes.items():
            balances[asset] = balances.get(asset, 0) + change
    positions = _cross_positions(state, key, position_override)
    series_positions = _cross_series(state, key, series_override)
    if not positions and not series_positions and all(amount >= 0 for amount in balances.values()):
        return MarginSnapshot(kind=kind, equity_atoms=0, requirement_atoms=0, denomination=Denomination.VALUE)
    overridden = position_override or series_override
    pool_hint = overridden[0] if overridden is not None else None
    scaling = _scaling_deposits(state, key, balances, pool_hint) if kind is MarginKind.INITIAL else None
    equity = collateral_value(state, balances, kind, now_ns, scaling_deposits_atoms=scaling)
    requirement = 0
    for pool, market_id, position in positions:
        base = pool.markets[market_id].params.base_asset
        price = base_price_wad(state, base, now_ns, allow_guarded=allow_guarded)
        replaced = position_override is not None and position_override[:2] == (pool.pool, market_id)
        interest = open_interest_after(pool, key, market_id, position) if replaced else None
        position_equity, position_requirement = position_terms(
            state, pool, market_id, position, kind, price, open_interest=interest, now_ns=now_ns
        )
        quote_decimals = state.assets[pool.params.quote_asset].params.decimals
        equity += quote_to_value_atoms(position_equity, quote_decimals)
        requirement += -quote_to_value_atoms(-position_requirement, quote_decimals)
    for pool, series_id, series_position in series_positions:
        value, series_requirement = series_position_terms(
            state, pool, pool.series[series_id], series_position, kind, now_ns, allow_guarded=allow_guarded
        )
        quote_decimals = state.assets[pool.params.quote_asset].params.decimals
        equity += quote_to_value_atoms(value, quote_decimals)
        requirement += -quote_to_value_atoms(-series_requirement, quote_decimals)
    return MarginSnapshot(
        kind=kind, equity_atoms=equity, requirement_atoms=requirement, denomination=Denomination.VALUE
    )


def _scaling_deposits(
    state: LedgerState,
    key: AccountKey,
    balances: Mapping[str, int],
    pool_hint: str | None,
) -> dict[str, int]:
    """Return, for each scaled asset the sub-account holds, its pool's deposits (SPEC §2.3).

    ``pool_hint``: the pool of the position a check replaces (the sub-account's first cross one binds it there).
    """
    pool_id = state.cross_pool.get(key) or pool_hint
    if pool_id is None:
        return {}
    return {
        asset: pool_deposits_atoms(state, pool_id, asset, key, amount)
        for asset, amount in balances.items()
        if amount > 0 and state.assets[asset].params.weight_scale_start_value != NO_LIMIT
    }


def _cross_series(
    state: LedgerState, key: AccountKey, override: tuple[str, str, SeriesPosition | None] | None
) -> list[tuple[PoolState, str, SeriesPosition]]:
    """Return the sub-account's cross series positions, with ``override`` applied (its first one may bind it)."""
    pool_id = state.cross_pool.get(key) or (override[0] if override is not None else None)
    if pool_id is None:
        return []
    pool = state.pools[pool_id]
    found = {
        series_id: position
        for (holder, series_id), position in pool.series_positions.items()
        if holder == key and position.mode is MarginMode.CROSS
    }
    if override is not None and override[0] == pool_id:
        if override[2] is None or override[2].size_atoms == 0:
            found.pop(override[1], None)
        else:
            found[override[1]] = override[2]
    return [(pool, series_id, position) for series_id, position in found.items()]


def _cross_positions(
    state: LedgerState, key: AccountKey, override: tuple[str, str, Position | None] | None
) -> list[tuple[PoolState, str, Position]]:
    """Return the sub-account's cross positions, with ``override`` applied.

    The override may name the sub-account's first cross position (no pool bound yet).
    """
    pool_id = state.cross_pool.get(key) or (override[0] if override is not None else None)
    if pool_id is None:
        return []
    pool = state.pools[pool_id]
    found = []
    markets = list(pool.account_markets.get(key, ()))
    replaced = override[1] if override is not None and override[0] == pool_id else None
    if replaced is not None and replaced not in markets:
        markets.append(replaced)
    for market_id in markets:
        position = pool.positions.get((key, market_id))
        if override is not None and market_id == replaced:
            position = override[2]
        if position is not None and position.mode is MarginMode.CROSS:
            found.append((pool, market_id, position))
    return found
