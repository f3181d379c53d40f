"""``decide`` for listing series, publishing their smiles and trading them against the pool's LP vault.

Listing (``ListSeries``) is a venue change, as ``AddMarket`` is: the admin's during the genesis,
a proposal's once the venue is open. A smile (``PublishVolSurface``) comes from a feeder of the
underlying's oracle (the seat that submits its prices, :mod:`ringfence.core.authority`), for an
expiry the pool lists. A trade (``TradeSeries``) fills against the LP vault, the sole counterparty
of every series of its pool, at the prices of :mod:`.series_math`.
"""

from __future__ import annotations

from dataclasses import dataclass

from ringfence.core.errors import (
    CommandRejected,
    DuplicateEntity,
    InsufficientBalance,
    InsufficientMargin,
    InvalidAmount,
    InvalidParameter,
    SeriesNotTradable,
    UnknownEntity,
)
from ringfence.core.events import Event
from ringfence.core.margin import MarginKind
from ringfence.core.oracle import relative_change_wad
from ringfence.core.pool.decide import (
    _fees,
    _increases_risk,
    _require_open,
    _take_quote,
    check_open_interest,
    check_reserve,
    payable_pnl_atoms,
    pool_of,
    resize,
)
from ringfence.core.pool.events import PoolStatusChanged
from ringfence.core.pool.perp_math import signed_notional_atoms
from ringfence.core.pool.portfolio_margin import check_portfolio_trade
from ringfence.core.pool.position_margin import margin_snapshot
from ringfence.core.pool.series_commands import ListSeries, PublishVolSurface, TradeSeries
from ringfence.core.pool.series_events import SeriesListed, SeriesTradeFilled, VolSurfacePublished
from ringfence.core.pool.series_margin import isolated_series_margin, series_quote
from ringfence.core.pool.series_math import fee_atoms, fill_price
from ringfence.core.pool.series_reserve import series_reserve_of
from ringfence.core.pool.series_state import SeriesParams, SeriesPosition, SeriesState
from ringfence.core.pool.state import MarginMode, PoolState, PoolStatus
from ringfence.core.pricing.black76 import NS_PER_YEAR
from ringfence.core.pricing.fixed_math import PRECISE, sqrt_precise
from ringfence.core.pricing.svi import SviParams, svi_minimum_variance_precise
from ringfence.core.state import AccountKey, LedgerState
from ringfence.core.units import MAX_ATOMS, WAD, Rounding
from ringfence.core.validation import check_account, check_amount, check_int, check_name, check_ratio

__all__ = [
    "atm_volatility_wad",
    "check_series_open",
    "check_series_params",
    "decide_list_series",
    "decide_publish_vol_surface",
    "decide_trade_series",
    "series_of",
]

MAX_SETTLEMENT_WINDOW_NS = 86_400 * 10**9
"""A settlement window of at most a day (Deribit averages the last 30 minutes)."""


def series_of(pool: PoolState, series_id: str) -> SeriesState:
    """Return the pool's series or raise :class:`UnknownEntity`."""
    found = pool.series.get(series_id)
    if found is None:
        raise UnknownEntity(f"series of pool {pool.pool}", series_id, tuple(pool.series))
    return found


def decide_list_series(state: LedgerState, command: ListSeries) -> list[Event]:
    """Validate a series' parameters and list it in its pool."""
    pool = pool_of(state, command.pool)
    params = command.params
    check_name("series", params.series)
    if params.series in pool.series or params.series in pool.markets:
        raise DuplicateEntity(f"series or market of pool {pool.pool}", params.series)
    check_series_params(state, params, command.timestamp_ns)
    return [SeriesListed(pool=command.pool, params=params, timestamp_ns=command.timestamp_ns)]


def check_series_params(state: LedgerState, params: SeriesParams, now_ns: int) -> None:
    """Check a series' parameters are in range: a listed underlying with an oracle, a future expiry, sane rates."""
    if params.underlying not in state.oracles:
        raise UnknownEntity("underlying with an oracle", params.underlying, tuple(state.oracles))
    check_int("expiry_ns", params.expiry_ns, now_ns + 1, 2**63 - 1)
    check_int("settlement_window_ns", params.settlement_window_ns, 1, MAX_SETTLEMENT_WINDOW_NS)
    check_ratio("spread_wad", params.spread_wad, 0, WAD // 2)
    check_ratio("taker_fee_wad", params.taker_fee_wad, 0, WAD // 10)
    check_amount("skew_scale_atoms", params.skew_scale_atoms)
    check_amount("open_interest_cap_atoms", params.open_interest_cap_atoms)
    check_ratio("maintenance_margin_wad", params.maintenance_margin_wad, 1)
    if params.kind.is_option:
        check_amount("strike_wad", params.strike_wad)
        check_ratio("vol_impact_wad", params.vol_impact_wad, 0, WAD)
        check_ratio("fee_cap_wad", params.fee_cap_wad)
        check_ratio("minimum_margin_wad", params.minimum_margin_wad, params.maintenance_margin_wad)
        check_ratio("initial_margin_wad", params.initial_margin_wad, params.minimum_margin_wad)
        check_int("surface_max_age_ns", params.surface_max_age_ns, 1, 2**63 - 1)
        check_ratio("max_atm_vol_jump_wad", params.max_atm_vol_jump_wad, 0, 100 * WAD)
        return
    for field in ("strike_wad", "vol_impact_wad", "fee_cap_wad", "minimum_margin_wad", "surface_max_age_ns"):
        if getattr(params, field):
            raise InvalidParameter(field, getattr(params, field), "0 for a dated future")
    if params.max_atm_vol_jump_wad:
        raise InvalidParameter("max_atm_vol_jump_wad", params.max_atm_vol_jump_wad, "0 for a dated future")
    check_ratio("initial_margin_wad", params.initial_margin_wad, params.maintenance_margin_wad)


def atm_volatility_wad(svi: SviParams, expiry_ns: int, now_ns: int) -> int:
    """Return the smile's at-the-money volatility ``√(w(0)/τ)`` (``w(0) = a + b·(−ρm + √(m² + σ²)))``) in WAD."""
    m, sigma = svi.m_wad * (PRECISE // WAD), svi.sigma_wad * (PRECISE // WAD)
    wing = -svi.rho_wad * (PRECISE // WAD) * m // PRECISE + sqrt_precise((m * m + sigma * sigma) // PRECISE)
    variance = max(svi.a_wad * (PRECISE // WAD) + svi.b_wad * (PRECISE // WAD) * wing // PRECISE, 0)
    remaining = max(expiry_ns - now_ns, 1)
    return sqrt_precise(variance * NS_PER_YEAR // remaining) // (PRECISE // WAD)


def decide_publish_vol_surface(state: LedgerState, command: PublishVolSurface) -> list[Event]:
    """Check a smile (Gatheral–Jacquier's validity conditions, a listed unexpired expiry) and record it.

    Jump guard: if the at-the-money volatility moves more than the smallest ``max_atm_vol_jump_wad``
    of the expiry's option series from the last smile's (relative change), the smile is recorded
    and the pool turns reduce-only (new risk halted, liquidation and settlement go on), as the
    price oracle's jump breaker does (SPEC §2.7); governance resumes it.
    """
    pool = pool_of(state, command.pool)
    _require_open(pool, increases_risk=False)
    svi = SviParams(command.a_wad, command.b_wad, command.rho_wad, command.m_wad, command.sigma_wad)
    _check_svi(svi)
    listed = [
        s.params
        for s in pool.series.values()
        if s.params.kind.is_option
        and s.params.underlying == command.underlying
        and s.params.expiry_ns == command.expiry_ns
        and s.settlement_price_wad is None
    ]
    if not listed:
        expiries = tuple(
            str(s.params.expiry_ns) for s in pool.series.values() if s.params.underlying == command.underlying
        )
        raise UnknownEntity(f"{command.underlying} option expiry of pool {pool.pool}", str(command.expiry_ns), expiries)
    if command.timestamp_ns >= command.expiry_ns:
        raise SeriesNotTradable(pool.pool, listed[0].series, "has expired: its smile can no longer change")
    atm = atm_volatility_wad(svi, command.expiry_ns, command.timestamp_ns)
    events: list[Event] = [
        VolSurfacePublished(
            publisher=command.publisher,
            pool=command.pool,
            underlying=command.underlying,
            expiry_ns=command.expiry_ns,
            a_wad=command.a_wad,
            b_wad=command.b_wad,
            rho_wad=command.rho_wad,
            m_wad=command.m_wad,
            sigma_wad=command.sigma_wad,
            atm_volatility_wad=atm,
            timestamp_ns=command.timestamp_ns,
        )
    ]
    previous = pool.vol_surfaces.get((command.underlying, command.expiry_ns))
    limits = [p.max_atm_vol_jump_wad for p in listed if p.max_atm_vol_jump_wad]
    if previous is not None and limits and pool.status is PoolStatus.ACTIVE and previous.atm_volatility_wad > 0:
        change = relative_change_wad(atm, previous.atm_volatility_wad)
        if change > min(limits):
            reason = (
                f"volatility jump: {command.underlying} ATM volatility for expiry {command.expiry_ns} moved "
                f"{change} (WAD) from {previous.atm_volatility_wad} to {atm}, past {min(limits)}"
            )
            events.append(
                PoolStatusChanged(
                    pool=pool.pool,
                    status=PoolStatus.REDUCE_ONLY.value,
                    reason=reason,
                    timestamp_ns=command.timestamp_ns,
                )
            )
    return events


def _check_svi(svi: SviParams) -> None:
    """Refuse a smile outside raw SVI's domain or with negative total variance anywhere (Gatheral–Jacquier 2014)."""
    limit = 100 * WAD
    for field, value in (("a_wad", svi.a_wad), ("m_wad", svi.m_wad)):
        check_int(field, value, -limit, limit)
    check_int("b_wad", svi.b_wad, 0, limit)
    check_int("rho_wad", svi.rho_wad, -WAD + 1, WAD - 1)
    check_int("sigma_wad", svi.sigma_wad, 1, limit)
    if svi_minimum_variance_precise(svi) < 0:
        raise InvalidParameter(
            "a_wad", svi.a_wad, "a + b·σ·√(1 − ρ²) ≥ 0 (the smile's total variance is negative somewhere)"
        )


@dataclass(frozen=True, slots=True)
class _Fill:
    price_wad: int
    premium_atoms: int
    realised_atoms: int
    new_size_atoms: int
    new_open_value_atoms: int
    fee_atoms: int


def _check_trade_input(command: TradeSeries) -> None:
    size = command.size_delta_atoms
    if size == 0 or abs(size) > MAX_ATOMS:
        raise InvalidAmount("size_delta_atoms", size, "a non-zero whole number of contracts (base atoms)")
    if not 0 <= command.margin_atoms <= MAX_ATOMS:
        raise InvalidAmount("margin_atoms", command.margin_atoms, "a whole number of quote atoms ≥ 0")
    if command.mode is not MarginMode.ISOLATED and command.margin_atoms:
        raise InvalidParameter("margin_atoms", command.margin_atoms, f"0 for a {command.mode.value} position")
    if not 0 <= command.limit_price_wad <= MAX_ATOMS:
        raise InvalidAmount("limit_price_wad", command.limit_price_wad, "a WAD price ≥ 0 (0: no limit)")


def check_series_open(pool: PoolState, series: SeriesState, now_ns: int) -> None:
    """Refuse a settled or expired series (a trade or a liquidation; settlement closes it)."""
    if series.settlement_price_wad is not None:
        raise SeriesNotTradable(pool.pool, series.params.series, "is settled: it accepts no more trades")
    if now_ns >= series.params.expiry_ns:
        raise SeriesNotTradable(pool.pool, series.params.series, "has expired: settle it (SettleSeries)")


def _check_mode(state: LedgerState, command: TradeSeries, key: AccountKey, position: SeriesPosition | None) -> None:
    check_portfolio_trade(state, key, pool_of(state, command.pool), command.mode)
    if position is not None and position.mode is not command.mode:
        raise InvalidParameter("mode", command.mode.value, f"{position.mode.value}, the open position's mode")
    bound = state.cross_pool.get(key)
    if command.mode is MarginMode.CROSS and bound is not None and bound != command.pool:
        raise InvalidParameter(
            "sub_account",
            command.sub_account,
            f"a sub-account not bound to pool {bound} (it holds cross positions there or owes it quote)",
        )


def _fill(
    state: LedgerState, pool: PoolState, series: SeriesState, command: TradeSeries, position: SeriesPosition | None
) -> _Fill:
    params = series.params
    old_size = position.size_atoms if position else 0
    old_value = position.open_value_atoms if position else 0
    increases = _increases_risk(old_size, old_size + command.size_delta_atoms)
    index, quote = series_quote(state, pool, series, command.timestamp_ns, for_new_risk=increases)
    price = fill_price(series, quote, index, command.size_delta_atoms)
    limit = command.limit_price_wad
    if limit and ((command.size_delta_atoms > 0 and price > limit) or (command.size_delta_atoms < 0 and price < limit)):
        raise CommandRejected(f"fill price {price} is beyond the limit {limit}; widen the limit or trade smaller")
    base_decimals = state.assets[params.underlying].params.decimals
    quote_decimals = state.assets[pool.params.quote_asset].params.decimals
    change = resize(old_size, old_value, command.size_delta_atoms, price, base_decimals, quote_decimals)
    premium = realised = 0
    if params.kind.is_option:  # the whole premium changes hands, rounded up: a buyer pays more, a seller gets less
        premium = signed_notional_atoms(command.size_delta_atoms, price, base_decimals, quote_decimals, Rounding.UP)
    else:
        realised = payable_pnl_atoms(pool, change.realised_pnl_atoms)
    fee = fee_atoms(params, command.size_delta_atoms, index, price, base_decimals, quote_decimals)
    return _Fill(price, premium, realised, change.new_size_atoms, change.new_open_notional_atoms, fee)


def decide_trade_series(state: LedgerState, command: TradeSeries) -> list[Event]:
    """Fill a series trade against the LP vault: premium or realised PnL, fee, margin (module doc)."""
    _check_trade_input(command)
    pool = pool_of(state, command.pool)
    series = series_of(pool, command.series)
    key = check_account("owner", command.owner, "sub_account", command.sub_account)
    position = pool.series_positions.get((key, command.series))
    _check_mode(state, command, key, position)
    check_series_open(pool, series, command.timestamp_ns)
    old_size = position.size_atoms if position else 0
    increases = _increases_risk(old_size, old_size + command.size_delta_atoms)
    _require_open(pool, increases_risk=increases)
    fill = _fill(state, pool, series, command, position)
    side_delta = command.margin_atoms - fill.premium_atoms - fill.fee_atoms + fill.realised_atoms
    _take_quote(state, key, pool.params.quote_asset, command.margin_atoms)
    vault_after = (position.isolated_margin_atoms if position else 0) + side_delta
    released = 0
    if command.mode is MarginMode.ISOLATED:
        if vault_after < 0:
            raise InsufficientMargin(f"{key[0]}/{key[1]}", vault_after, 0, "isolated", "quote atoms")
        released = vault_after if fill.new_size_atoms == 0 else 0
    new_position = SeriesPosition(fill.new_size_atoms, fill.new_open_value_atoms, command.mode, vault_after - released)
    lp_fee, insurance_fee, protocol_fee = _fees(pool, fill.fee_atoms)
    lp_vault_after = pool.vault_atoms + fill.premium_atoms + lp_fee - fill.realised_atoms
    if lp_vault_after < 0:  # a seller's premium is paid from the vault's cash, never owed
        raise InsufficientBalance(
            f"pool {pool.pool}'s LP vault", pool.params.quote_asset, -fill.premium_atoms, pool.vault_atoms + lp_fee
        )
    if increases:
        cap = series.params.open_interest_cap_atoms
        check_open_interest(
            series.long_atoms,
            series.short_atoms,
            cap,
            old_size,
            fill.new_size_atoms,
            f"contracts, past the cap {cap} of series {series.params.series}",
        )
        _check_margin(state, pool, series, command, key, new_position, side_delta)
        _check_series_reserve(state, pool, series, command, lp_vault_after)
    return [
        SeriesTradeFilled(
            owner=command.owner,
            sub_account=command.sub_account,
            pool=command.pool,
            series=command.series,
            mode=command.mode,
            size_delta_atoms=command.size_delta_atoms,
            price_wad=fill.price_wad,
            new_size_atoms=fill.new_size_atoms,
            new_open_value_atoms=fill.new_open_value_atoms,
            margin_added_atoms=command.margin_atoms,
            margin_released_atoms=released,
            premium_atoms=fill.premium_atoms,
            realised_pnl_atoms=fill.realised_atoms,
            fee_atoms=fill.fee_atoms,
            lp_fee_atoms=lp_fee,
            insurance_fee_atoms=insurance_fee,
            protocol_fee_atoms=protocol_fee,
            timestamp_ns=command.timestamp_ns,
        )
    ]


def _check_series_reserve(
    state: LedgerState, pool: PoolState, series: SeriesState, command: TradeSeries, lp_vault_after: int
) -> None:
    """Refuse a trade that adds to the vault's worst-case payout in its series past the pool's reserve.

    Only a trade that raises the series' worst-case payout (:mod:`.series_reserve`) is checked, at the
    LP vault's cash after it (the premium it takes and the fee share it keeps); one that lowers it, or
    closes the trader's risk, never is.
    """
    skew_after = series.skew_atoms + command.size_delta_atoms
    before = series_reserve_of(state, pool, series, series.skew_atoms, command.timestamp_ns)
    if series_reserve_of(state, pool, series, skew_after, command.timestamp_ns) > before:
        change = (command.series, command.size_delta_atoms)
        check_reserve(state, pool, lp_vault_after, command.timestamp_ns, series_change=change)


def _check_margin(
    state: LedgerState,
    pool: PoolState,
    series: SeriesState,
    command: TradeSeries,
    key: AccountKey,
    position: SeriesPosition,
    side_delta: int,
) -> None:
    """Check initial margin after the trade: the isolated vault, or the cross sub-account with the new position."""
    label = f"{key[0]}/{key[1]}"
    if command.mode is MarginMode.ISOLATED:
        equity, requirement = isolated_series_margin(
            state, pool, series, position, MarginKind.INITIAL, command.timestamp_ns
        )
        if equity < requirement:
            raise InsufficientMargin(label, equity, requirement, unit="quote atoms")
        return
    snapshot = margin_snapshot(
        state,
        key,
        MarginKind.INITIAL,
        command.timestamp_ns,
        {pool.params.quote_asset: side_delta},
        series_override=(command.pool, command.series, position),
    )
    if not snapshot.is_healthy:
        raise InsufficientMargin(
            label, snapshot.equity_atoms, snapshot.requirement_atoms, unit=snapshot.denomination.value
        )
