"""Read-only projections of the engine's state into the response bodies of :mod:`ringfence.http.schemas`.

Every figure comes from the core's own functions (``pool_nav_atoms``, ``margin_snapshot``,
``isolated_margin``, ``oracle_status``): the service computes nothing of its own. Callers hold the
engine's lock while projecting, so a view never sees a batch half applied.
"""

from __future__ import annotations

import json

from ringfence.core.errors import OracleUnavailable, UnknownEntity
from ringfence.core.margin import MarginKind, MarginSnapshot, base_price_wad, oracle_status
from ringfence.core.pool.decide import pool_nav_atoms
from ringfence.core.pool.position_margin import isolated_margin, margin_snapshot
from ringfence.core.pool.series_exposure import pool_exposure
from ringfence.core.pool.state import MarginMode, PoolState, Position
from ringfence.core.state import AccountKey, LedgerState
from ringfence.core.units import WAD
from ringfence.http.schemas import (
    AccountView,
    EntryView,
    HealthBucket,
    HealthDistribution,
    MarginView,
    MarketView,
    OracleView,
    PoolExposureView,
    PoolView,
    PositionView,
    PrincipalView,
    SeriesExposureView,
)
from ringfence.store.journal import StoredEvent

__all__ = [
    "account_view",
    "accounts_view",
    "entry_view",
    "health_distribution",
    "markets_view",
    "oracles_view",
    "pool_exposure_view",
    "pool_view",
    "pools_view",
    "principal_view",
]


def entry_view(entry: StoredEvent) -> EntryView:
    """Return a journal entry with its payload parsed."""
    return EntryView(
        sequence=entry.sequence,
        command_id=entry.command_id,
        type=entry.event_type,
        schema_version=entry.schema_version,
        payload=json.loads(entry.payload),
    )


def _nav(state: LedgerState, pool: PoolState, now_ns: int) -> tuple[int | None, int | None, str | None]:
    try:
        low, high = pool_nav_atoms(state, pool, now_ns, allow_guarded=True)
    except OracleUnavailable as error:
        return None, None, error.message
    return low, high, None


def pool_exposure_view(state: LedgerState, pool: str, now_ns: int) -> PoolExposureView:
    """Return a pool's net delta, gamma and vega in its series (``core/pool/series_exposure.py``)."""
    exposure = pool_exposure(state, pool, now_ns)
    rows = [
        SeriesExposureView(
            series=row.series,
            underlying=row.underlying,
            kind=row.kind.value,
            vault_size_atoms=row.vault_size_atoms,
            delta_wad=row.delta_wad,
            gamma_wad=row.gamma_wad,
            vega_wad=row.vega_wad,
            unvalued_reason=row.unvalued_reason,
        )
        for row in exposure.series
    ]
    return PoolExposureView(pool=pool, series=rows, totals={k: list(v) for k, v in exposure.totals.items()})


def pool_view(state: LedgerState, pool: PoolState, now_ns: int) -> PoolView:
    """Return one pool's view at ``now_ns``."""
    low, high, unavailable = _nav(state, pool, now_ns)
    return PoolView(
        pool=pool.pool,
        template=pool.template,
        template_version=pool.template_version,
        quote_asset=pool.params.quote_asset,
        quote_decimals=state.assets[pool.params.quote_asset].params.decimals,
        status=pool.status.value,
        status_reason=pool.status_reason,
        vault_atoms=pool.vault_atoms,
        total_shares=pool.total_shares,
        nav_low_atoms=low,
        nav_high_atoms=high,
        nav_unavailable=unavailable,
        insurance_atoms=pool.insurance_atoms,
        protocol_fees_atoms=pool.protocol_fees_atoms,
        socialised_loss_atoms=pool.socialised_loss_atoms,
        backstop_absorbed_atoms=pool.backstop_absorbed_atoms,
        deleveraged_atoms=pool.deleveraged_atoms,
        markets=list(pool.markets),
    )


def pools_view(state: LedgerState, now_ns: int) -> list[PoolView]:
    """Return every pool's view."""
    return [pool_view(state, pool, now_ns) for pool in state.pools.values()]


def _price(state: LedgerState, asset: str, now_ns: int) -> tuple[int | None, str]:
    oracle = state.oracles.get(asset)
    status = oracle_status(oracle, now_ns)[0].value if oracle is not None else "none"
    try:
        return base_price_wad(state, asset, now_ns, allow_guarded=True), status
    except OracleUnavailable:
        return None, status


def markets_view(state: LedgerState, now_ns: int) -> list[MarketView]:
    """Return every market of every pool."""
    views = []
    for pool in state.pools.values():
        for market_id, market in pool.markets.items():
            params = market.params
            price, status = _price(state, params.base_asset, now_ns)
            views.append(
                MarketView(
                    pool=pool.pool,
                    market=market_id,
                    base_asset=params.base_asset,
                    base_decimals=state.assets[params.base_asset].params.decimals,
                    long_atoms=market.long_atoms,
                    short_atoms=market.short_atoms,
                    skew_atoms=market.skew_atoms,
                    open_interest_cap_atoms=params.open_interest_cap_atoms,
                    funding_index_wad=market.funding_index_wad,
                    initial_margin_wad=params.initial_margin_wad,
                    maintenance_margin_wad=params.maintenance_margin_wad,
                    oracle_price_wad=price,
                    oracle_status=status,
                )
            )
    return views


def oracles_view(state: LedgerState, now_ns: int) -> list[OracleView]:
    """Return every oracle's status and accepted price."""
    views = []
    for asset, oracle in state.oracles.items():
        status, reason = oracle_status(oracle, now_ns)
        views.append(
            OracleView(
                asset=asset,
                status=status.value,
                reason=reason,
                accepted_price_wad=oracle.accepted_price_wad,
                guarded_since_ns=oracle.guarded_since_ns,
            )
        )
    return views


def _margin_view(snapshot: MarginSnapshot) -> MarginView:
    health = snapshot.health_wad()
    return MarginView(
        equity_atoms=snapshot.equity_atoms,
        requirement_atoms=snapshot.requirement_atoms,
        denomination=snapshot.denomination.value,
        health_wad=health,
        health=None if health is None else health / WAD,
        unavailable=None,
    )


def _unavailable(error: OracleUnavailable, denomination: str) -> MarginView:
    return MarginView(
        equity_atoms=None,
        requirement_atoms=None,
        denomination=denomination,
        health_wad=None,
        health=None,
        unavailable=error.message,
    )


def _cross(state: LedgerState, key: AccountKey, kind: MarginKind, now_ns: int) -> MarginView:
    try:
        return _margin_view(margin_snapshot(state, key, kind, now_ns, allow_guarded=True))
    except OracleUnavailable as error:
        return _unavailable(error, "value atoms")


def _position_view(
    state: LedgerState, pool: PoolState, market_id: str, position: Position, cross_below: bool, now_ns: int
) -> PositionView:
    maintenance: MarginView | None = None
    below = cross_below
    if position.mode is MarginMode.ISOLATED:
        base_asset = pool.markets[market_id].params.base_asset
        try:
            price = base_price_wad(state, base_asset, now_ns, allow_guarded=True)
            snapshot = isolated_margin(state, pool, market_id, position, MarginKind.MAINTENANCE, price)
            maintenance, below = _margin_view(snapshot), not snapshot.is_healthy
        except OracleUnavailable as error:
            maintenance, below = _unavailable(error, "quote atoms"), False
    return PositionView(
        pool=pool.pool,
        market=market_id,
        mode=position.mode.value,
        size_atoms=position.size_atoms,
        open_notional_atoms=position.open_notional_atoms,
        isolated_margin_atoms=position.isolated_margin_atoms,
        maintenance=maintenance,
        below_maintenance=below,
    )


def account_view(state: LedgerState, key: AccountKey, now_ns: int) -> AccountView:
    """Return one sub-account's view.

    Raises
    ------
    UnknownEntity
        If the sub-account does not exist.
    """
    account = state.accounts.get(key)
    if account is None:
        raise UnknownEntity("sub-account", f"{key[0]}/{key[1]}")
    initial = _cross(state, key, MarginKind.INITIAL, now_ns)
    maintenance = _cross(state, key, MarginKind.MAINTENANCE, now_ns)
    cross_below = maintenance.health_wad is not None and maintenance.health_wad < WAD
    positions = [
        _position_view(state, pool, market_id, pool.positions[(key, market_id)], cross_below, now_ns)
        for pool in state.pools.values()
        for market_id in pool.account_markets.get(key, ())
        if (key, market_id) in pool.positions
    ]
    return AccountView(
        owner=key[0],
        sub_account=key[1],
        balances={asset: atoms for asset, atoms in account.balances.items() if atoms},
        lp_shares={pool.pool: pool.lp_shares[key] for pool in state.pools.values() if pool.lp_shares.get(key)},
        positions=positions,
        initial=initial,
        maintenance=maintenance,
        liquidatable=[position for position in positions if position.below_maintenance],
    )


def accounts_view(state: LedgerState, now_ns: int, owner: str | None = None) -> list[AccountView]:
    """Return every sub-account's view (of one owner when given)."""
    return [account_view(state, key, now_ns) for key in state.accounts if owner is None or key[0] == owner]


def principal_view(state: LedgerState, name: str) -> PrincipalView:
    """Return a registered principal and its roles.

    Raises
    ------
    UnknownEntity
        If no principal of that name is registered.
    """
    key = state.principals.get(name)
    if key is None:
        raise UnknownEntity("principal", name)
    governance = state.governance
    roles = (
        []
        if governance is None
        else sorted(role.value for role, holders in governance.holders.items() if name in holders)
    )
    feeds = [asset for asset, oracle in state.oracles.items() if name in oracle.config.source_names()]
    return PrincipalView(name=name, public_key_hex=key, roles=roles, feeds=feeds)


HEALTH_EDGES_WAD = (0, WAD, 11 * WAD // 10, 5 * WAD // 4, 3 * WAD // 2, 2 * WAD, 5 * WAD)
"""Bucket edges of the health distribution: 0, 1, 1.1, 1.25, 1.5, 2, 5 (and above)."""


def _bucket(health_wad: int) -> int:
    """Return the index of the bucket ``[edge, next edge)`` holding ``health_wad`` (a negative one: the first)."""
    index = 0
    for position, edge in enumerate(HEALTH_EDGES_WAD):
        if health_wad >= edge:
            index = position
    return index


def health_distribution(accounts: list[AccountView]) -> HealthDistribution:
    """Count the maintenance health of each sub-account's cross margin and each isolated position in buckets."""
    counts = [0] * len(HEALTH_EDGES_WAD)
    no_requirement = unavailable = 0
    units = [account.maintenance for account in accounts]
    units.extend(position.maintenance for account in accounts for position in account.positions if position.maintenance)
    for margin in units:
        if margin.unavailable is not None:
            unavailable += 1
        elif margin.health_wad is None:
            no_requirement += 1
        else:
            counts[_bucket(margin.health_wad)] += 1
    bounds: list[int | None] = [*HEALTH_EDGES_WAD[1:], None]
    buckets = [
        HealthBucket(lower=lower / WAD, upper=None if upper is None else upper / WAD, count=count)
        for lower, upper, count in zip(HEALTH_EDGES_WAD, bounds, counts, strict=True)
    ]
    return HealthDistribution(
        buckets=buckets, below_maintenance=counts[0], no_requirement=no_requirement, unavailable=unavailable
    )
