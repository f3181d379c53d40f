"""The pool gateway: ``decide`` for every command that reaches a pool.

A pool's state is reached only through these functions. Each reads exactly one pool (and
the sub-accounts trading with it), and every value moving in or out is an event field.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ringfence.core.errors import (
    CommandRejected,
    DuplicateEntity,
    InsufficientBalance,
    InsufficientMargin,
    InvalidAmount,
    InvalidParameter,
    PoolNavNotPositive,
    ReserveExceeded,
    UnknownEntity,
)
from ringfence.core.events import Event
from ringfence.core.margin import MarginKind, base_price_wad
from ringfence.core.pool.commands import (
    AddMarket,
    CreatePool,
    FundInsurance,
    ProvideLiquidity,
    RemoveLiquidity,
    Trade,
)
from ringfence.core.pool.credit_line_events import DrawReason
from ringfence.core.pool.credit_lines import credit_nav_atoms, credit_room_atoms, draw_for, owed_by_atoms
from ringfence.core.pool.dynamic_margin import check_dynamic_margin_rule
from ringfence.core.pool.events import (
    FundingAccrued,
    InsuranceFunded,
    LiquidityProvided,
    LiquidityRemoved,
    MarketAdded,
    PoolCreated,
    TradeFilled,
)
from ringfence.core.pool.liquidation_policy import check_policy, check_policy_against_market
from ringfence.core.pool.perp_math import (
    fill_price_wad,
    funding_index_delta_wad,
    funding_owed_atoms,
    pool_nav_range_atoms,
    signed_notional_atoms,
)
from ringfence.core.pool.portfolio_margin import check_portfolio_trade
from ringfence.core.pool.position_margin import isolated_margin, margin_snapshot
from ringfence.core.pool.requirements import check_margin_model, open_interest_after
from ringfence.core.pool.series_margin import series_claims_atoms
from ringfence.core.pool.series_reserve import series_reserve_atoms
from ringfence.core.pool.state import (
    MarginMode,
    MarginModelKind,
    MarketParams,
    MarketState,
    PoolParams,
    PoolState,
    PoolStatus,
    Position,
)
from ringfence.core.state import AccountKey, LedgerState
from ringfence.core.units import MAX_ATOMS, WAD, Rounding, mul_div
from ringfence.core.validation import check_account, check_amount, check_int, check_name, check_ratio

__all__ = [
    "SizeChange",
    "accrue_funding",
    "check_market_params",
    "check_open_interest",
    "check_pool_params",
    "check_reserve",
    "decide_add_market",
    "decide_create_pool",
    "decide_fund_insurance",
    "decide_provide_liquidity",
    "decide_remove_liquidity",
    "decide_trade",
    "pool_nav_atoms",
    "pool_of",
    "quote_balance",
    "resize",
]


def pool_of(state: LedgerState, pool_id: str) -> PoolState:
    """Return the pool or raise :class:`UnknownEntity`."""
    pool = state.pools.get(pool_id)
    if pool is None:
        raise UnknownEntity("pool", pool_id, tuple(state.pools))
    return pool


def _market_of(pool: PoolState, market_id: str) -> MarketState:
    market = pool.markets.get(market_id)
    if market is None:
        raise UnknownEntity(f"market of pool {pool.pool}", market_id, tuple(pool.markets))
    return market


def _require_open(pool: PoolState, *, increases_risk: bool) -> None:
    if pool.status is PoolStatus.HALTED:
        raise CommandRejected(f"pool {pool.pool} is halted ({pool.status_reason}); governance must resume it")
    if increases_risk and pool.status is PoolStatus.REDUCE_ONLY:
        raise CommandRejected(f"pool {pool.pool} is reduce-only ({pool.status_reason}); only risk-reducing commands")


def quote_balance(state: LedgerState, key: AccountKey, asset: str) -> int:
    """Return a sub-account's balance of ``asset`` (0 if it has none)."""
    account = state.accounts.get(key)
    return account.balances.get(asset, 0) if account is not None else 0


def _take_quote(state: LedgerState, key: AccountKey, asset: str, amount_atoms: int) -> None:
    """Refuse taking more quote than the sub-account holds; taking nothing is always possible.

    A cross sub-account may hold a negative quote balance: a borrow left by fees, funding or
    realised losses, counted in its equity in full (at ``max(oracle, stable)`` for initial
    margin, SPEC §2.2). Such a debt is gated by the margin checks, never by this one: a cross
    trade takes no margin (``amount_atoms == 0``), so it must not be refused for a balance it
    does not draw on (a close in particular).
    """
    if amount_atoms == 0:
        return
    held = quote_balance(state, key, asset)
    if held < amount_atoms:
        raise InsufficientBalance(f"{key[0]}/{key[1]}", asset, amount_atoms, max(held, 0))


def decide_create_pool(state: LedgerState, command: CreatePool) -> list[Event]:
    """Validate a pool's template and parameters and create it."""
    check_name("pool", command.pool)
    check_name("template", command.template)
    if command.pool in state.pools:
        raise DuplicateEntity("pool", command.pool)
    check_int("template_version", command.template_version, 1, 10**6)
    check_pool_params(state, command.params)
    return [
        PoolCreated(
            pool=command.pool,
            template=command.template,
            template_version=command.template_version,
            params=command.params,
        )
    ]


def check_pool_params(state: LedgerState, params: PoolParams, markets: Iterable[MarketParams] = ()) -> None:
    """Check a pool's parameters are in range, and fit its ``markets`` (``CreatePool``, governance changes)."""
    if params.quote_asset not in state.assets:
        raise UnknownEntity("quote asset", params.quote_asset, tuple(state.assets))
    check_ratio("lp_fee_share_wad", params.lp_fee_share_wad)
    check_ratio("insurance_fee_share_wad", params.insurance_fee_share_wad, 0, WAD - params.lp_fee_share_wad)
    check_ratio("reserve_factor_wad", params.reserve_factor_wad, 0, 100 * WAD)
    check_ratio("liquidation_penalty_wad", params.liquidation_penalty_wad, 0, WAD // 2)
    check_ratio("liquidator_share_wad", params.liquidator_share_wad)
    check_ratio("close_factor_wad", params.close_factor_wad, 1)
    check_ratio("nav_drawdown_limit_wad", params.nav_drawdown_limit_wad)
    check_int("insurance_draw_cap_atoms", params.insurance_draw_cap_atoms, 0, MAX_ATOMS)
    check_int("insurance_window_ns", params.insurance_window_ns, 0, MAX_ATOMS)
    check_ratio("oracle_jump_breaker_wad", params.oracle_jump_breaker_wad)
    check_policy(params.liquidation)
    for market in markets:
        check_policy_against_market(params.liquidation, params.liquidation_penalty_wad, market.maintenance_margin_wad)


def decide_add_market(state: LedgerState, command: AddMarket) -> list[Event]:
    """Validate a perpetual market's parameters and add it to its pool."""
    pool = pool_of(state, command.pool)
    params = command.params
    check_name("market", params.market)
    if params.market in pool.markets:
        raise DuplicateEntity(f"market of pool {pool.pool}", params.market)
    check_market_params(state, params, pool.params)
    return [MarketAdded(pool=command.pool, params=params, timestamp_ns=command.timestamp_ns)]


def check_market_params(state: LedgerState, params: MarketParams, pool_params: PoolParams) -> None:
    """Check a market's parameters are in range and fit its pool's (``AddMarket``, governance changes)."""
    if params.base_asset not in state.oracles:
        raise UnknownEntity("base asset with an oracle", params.base_asset, tuple(state.oracles))
    check_ratio("maintenance_margin_wad", params.maintenance_margin_wad, 1)
    check_ratio("initial_margin_wad", params.initial_margin_wad, params.maintenance_margin_wad)
    check_ratio("spread_wad", params.spread_wad, 0, WAD // 10)
    check_ratio("taker_fee_wad", params.taker_fee_wad, 0, WAD // 10)
    check_ratio("pnl_weight_wad", params.pnl_weight_wad)
    check_ratio("max_funding_rate_per_day_wad", params.max_funding_rate_per_day_wad)
    check_amount("skew_scale_atoms", params.skew_scale_atoms)
    check_amount("open_interest_cap_atoms", params.open_interest_cap_atoms)
    check_margin_model(params.margin_model)
    if params.dynamic_margin is not None:
        flat = params.margin_model.kind is MarginModelKind.FLAT
        check_dynamic_margin_rule(params.dynamic_margin, params.initial_margin_wad, params.maintenance_margin_wad, flat)
    liquidation = pool_params.liquidation
    check_policy_against_market(liquidation, pool_params.liquidation_penalty_wad, params.maintenance_margin_wad)


def decide_provide_liquidity(state: LedgerState, command: ProvideLiquidity) -> list[Event]:
    """Mint LP shares for quote atoms at the pool's NAV (the high bound: fewer shares)."""
    pool = pool_of(state, command.pool)
    _require_open(pool, increases_risk=False)
    check_amount("amount_atoms", command.amount_atoms)
    key = check_account("owner", command.owner, "sub_account", command.sub_account)
    _take_quote(state, key, pool.params.quote_asset, command.amount_atoms)
    if pool.total_shares == 0:
        shares = command.amount_atoms
    else:
        _, nav_high = pool_nav_atoms(state, pool, command.timestamp_ns)
        if nav_high <= 0:
            raise CommandRejected(f"pool {pool.pool} has no positive NAV; new liquidity cannot be priced")
        shares = mul_div(command.amount_atoms, pool.total_shares, nav_high, Rounding.DOWN)
    if shares == 0:
        raise InvalidAmount("amount_atoms", command.amount_atoms, "enough to mint at least one share")
    return [
        LiquidityProvided(
            owner=command.owner,
            sub_account=command.sub_account,
            pool=command.pool,
            amount_atoms=command.amount_atoms,
            shares=shares,
        )
    ]


def decide_remove_liquidity(state: LedgerState, command: RemoveLiquidity) -> list[Event]:
    """Burn LP shares for quote atoms at NAV (the low bound), paid from the vault's cash, keeping the pool's reserve."""
    pool = pool_of(state, command.pool)
    _require_open(pool, increases_risk=False)
    check_amount("shares", command.shares)
    key = check_account("owner", command.owner, "sub_account", command.sub_account)
    owned = pool.lp_shares.get(key, 0)
    if owned < command.shares:
        raise InsufficientBalance(f"{key[0]}/{key[1]}", f"{pool.pool} LP shares", command.shares, owned)
    nav_low, _ = pool_nav_atoms(state, pool, command.timestamp_ns)
    if nav_low <= 0:  # shares of a pool worth nothing are never burnt for nothing
        raise PoolNavNotPositive(pool.pool, nav_low, command.shares)
    amount = mul_div(command.shares, nav_low, pool.total_shares, Rounding.DOWN)
    if amount > pool.vault_atoms:
        # NAV counts what traders owe the pool (their unrealised losses, funding): shares worth more
        # than the vault's cash are refused, never paid a cut price (the LP may redeem fewer)
        raise InsufficientBalance(f"pool {pool.pool}'s LP vault", pool.params.quote_asset, amount, pool.vault_atoms)
    _check_senior_debt(state, pool, amount, command.timestamp_ns)
    check_reserve(state, pool, pool.vault_atoms - amount, command.timestamp_ns)
    return [
        LiquidityRemoved(
            owner=command.owner,
            sub_account=command.sub_account,
            pool=command.pool,
            shares=command.shares,
            amount_atoms=amount,
        )
    ]


def _check_senior_debt(state: LedgerState, pool: PoolState, amount_atoms: int, now_ns: int) -> None:
    """Refuse an LP withdrawal of cash the pool owes its credit lines (the lenders are senior to its LPs)."""
    owed = owed_by_atoms(state, pool.pool, now_ns)
    free = pool.vault_atoms - owed
    if owed and amount_atoms > free:
        raise CommandRejected(
            f"pool {pool.pool} owes its credit lines {owed} quote atoms, senior to its LPs: LPs may withdraw only "
            f"the {max(free, 0)} quote atoms of cash beyond it; redeem fewer shares or repay the lines first"
        )


def decide_fund_insurance(state: LedgerState, command: FundInsurance) -> list[Event]:
    """Move quote atoms from a sub-account into the pool's insurance fund."""
    pool = pool_of(state, command.pool)
    _require_open(pool, increases_risk=False)
    check_amount("amount_atoms", command.amount_atoms)
    key = check_account("owner", command.owner, "sub_account", command.sub_account)
    _take_quote(state, key, pool.params.quote_asset, command.amount_atoms)
    return [
        InsuranceFunded(
            owner=command.owner, sub_account=command.sub_account, pool=command.pool, amount_atoms=command.amount_atoms
        )
    ]


def _decimals(state: LedgerState, pool: PoolState) -> tuple[dict[str, int], int]:
    bases = {m.params.base_asset: state.assets[m.params.base_asset].params.decimals for m in pool.markets.values()}
    return bases, state.assets[pool.params.quote_asset].params.decimals


def pool_nav_atoms(state: LedgerState, pool: PoolState, now_ns: int, *, allow_guarded: bool = False) -> tuple[int, int]:
    """Return the pool's NAV bounds at ``now_ns``, with the funding owed up to ``now_ns``.

    Each market's index is taken as the next accrual would set it (:func:`accrue_funding`),
    so funding owed but not yet settled, or not yet accrued, is in the price of a share.
    LP shares are minted and redeemed at these bounds; the CLI's pool table shows the same
    (with ``allow_guarded``: a display may read a guarded price, a share price may not).
    Credit lines count too: a lender's committed cash, claim and interest, less what a
    borrower owes (:func:`~ringfence.core.pool.credit_lines.credit_nav_atoms`); and so do
    the traders' option series and dated futures, at their marks
    (:func:`~ringfence.core.pool.series_margin.series_claims_atoms`).
    """
    bases, quote_decimals = _decimals(state, pool)
    prices = {asset: base_price_wad(state, asset, now_ns, allow_guarded=allow_guarded) for asset in bases}
    indices = {}
    for market_id, market in pool.markets.items():
        pending = accrue_funding(state, pool, market_id, now_ns)
        indices[market_id] = market.funding_index_wad + (pending.index_delta_wad if pending else 0)
    low, high = pool_nav_range_atoms(pool, prices, bases, quote_decimals, indices)
    lines = credit_nav_atoms(state, pool.pool, now_ns)
    claims_low, claims_high = series_claims_atoms(state, pool, now_ns, allow_guarded=allow_guarded)
    return low + lines - claims_high, high + lines - claims_low


def check_reserve(
    state: LedgerState,
    pool: PoolState,
    vault_after: int,
    now_ns: int,
    skew_change: tuple[str, int] = ("", 0),
    *,
    room_used_atoms: int = 0,
    series_change: tuple[str, int] = ("", 0),
) -> None:
    """Refuse a state where the pool's exposure exceeds its reserve (GMX v2's reserve factor).

    Exposure: the perpetuals' net skew notional ``Σ |skew · price|`` plus the series' worst-case
    payout to their holders (:func:`~ringfence.core.pool.series_reserve.series_reserve_atoms`).
    Reserve: ``reserve_factor · (vault + line room)`` for the whole, and ``reserve_factor · vault``
    for the series alone (credit lines pay perpetual profits only). ``skew_change`` adds a trade's
    size to one market's skew and ``series_change`` to one series', to check the state after it;
    the room left on the pool's credit lines counts as liquidity (a profit past the vault's cash
    draws on them); ``room_used_atoms`` is what the command itself drew.
    """
    bases, quote_decimals = _decimals(state, pool)
    exposure = 0
    for market_id, market in pool.markets.items():
        skew = market.skew_atoms + (skew_change[1] if market_id == skew_change[0] else 0)
        if skew:
            price = base_price_wad(state, market.params.base_asset, now_ns, allow_guarded=True)
            exposure += abs(signed_notional_atoms(skew, price, bases[market.params.base_asset], quote_decimals))
    series = series_reserve_atoms(state, pool, now_ns, series_change)
    liquidity = max(vault_after, 0) + credit_room_atoms(state, pool.pool, now_ns) - room_used_atoms
    allowed = mul_div(liquidity, pool.params.reserve_factor_wad, WAD, Rounding.DOWN)
    detail = f" (perpetuals {exposure}, series {series})" if series else ""
    if exposure + series > allowed:
        raise ReserveExceeded(pool.pool, exposure + series, allowed, detail)
    series_allowed = mul_div(max(vault_after, 0), pool.params.reserve_factor_wad, WAD, Rounding.DOWN)
    if series > series_allowed:
        raise ReserveExceeded(pool.pool, series, series_allowed, " from its series (the vault's cash alone pays them)")


def accrue_funding(state: LedgerState, pool: PoolState, market_id: str, now_ns: int) -> FundingAccrued | None:
    """Return the funding accrual due before touching a market (None if no time passed)."""
    market = pool.markets[market_id]
    elapsed = now_ns - market.funding_updated_ns
    if elapsed <= 0:
        return None
    price = base_price_wad(state, market.params.base_asset, now_ns, allow_guarded=True)
    quote_decimals = state.assets[pool.params.quote_asset].params.decimals
    delta = funding_index_delta_wad(market, price, elapsed, quote_decimals)
    return FundingAccrued(pool=pool.pool, market=market_id, index_delta_wad=delta, timestamp_ns=now_ns)


@dataclass(frozen=True, slots=True)
class SizeChange:
    """The exact result of changing a position's size at a price."""

    new_size_atoms: int
    new_open_notional_atoms: int
    realised_pnl_atoms: int


def resize(
    old_size: int, old_open_notional: int, delta: int, price_wad: int, base_dec: int, quote_dec: int
) -> SizeChange:
    """Apply a size change at ``price_wad``: realise PnL on the closed part, book the opened part.

    The closed part removes cost basis pro rata, rounded up (toward +∞: less PnL for a long,
    and for a short too, whose basis is negative); its value is floored. The opened part is
    booked at its notional rounded up (a long pays the ceiling, a short is credited the floor).
    """
    new_size = old_size + delta
    closing = old_size != 0 and (old_size > 0) != (delta > 0)
    closed = min(abs(delta), abs(old_size)) if closing else 0
    closed_signed = closed if old_size > 0 else -closed
    removed_basis = mul_div(old_open_notional, closed, abs(old_size), Rounding.UP) if closed else 0
    realised = (signed_notional_atoms(closed_signed, price_wad, base_dec, quote_dec) - removed_basis) if closed else 0
    opened = delta + closed_signed if closing else delta
    opened_basis = mul_div(opened * 10**quote_dec, price_wad, WAD * 10**base_dec, Rounding.UP) if opened else 0
    return SizeChange(new_size, old_open_notional - removed_basis + opened_basis, realised)


def _increases_risk(old_size: int, new_size: int) -> bool:
    return abs(new_size) > abs(old_size) or (old_size != 0 and new_size != 0 and (old_size > 0) != (new_size > 0))


@dataclass(frozen=True, slots=True)
class _TradeContext:
    key: AccountKey
    pool: PoolState
    market: MarketState
    position: Position | None
    funding: FundingAccrued | None
    index_wad: int
    base_decimals: int
    quote_decimals: int


def _trade_context(state: LedgerState, command: Trade) -> _TradeContext:
    pool = pool_of(state, command.pool)
    market = _market_of(pool, command.market)
    key = check_account("owner", command.owner, "sub_account", command.sub_account)
    check_portfolio_trade(state, key, pool, command.mode)
    position = pool.positions.get((key, command.market))
    if position is not None and position.mode is not command.mode:
        raise InvalidParameter("mode", command.mode.value, f"{position.mode.value}, the open position's mode")
    bound = state.cross_pool.get(key)
    if command.mode is MarginMode.CROSS and bound is not None and bound != command.pool:
        raise InvalidParameter(
            "sub_account",
            command.sub_account,
            f"a sub-account not bound to pool {bound} (it holds cross positions there or owes it quote)",
        )
    funding = accrue_funding(state, pool, command.market, command.timestamp_ns)
    index = market.funding_index_wad + (funding.index_delta_wad if funding else 0)
    return _TradeContext(
        key,
        pool,
        market,
        position,
        funding,
        index,
        state.assets[market.params.base_asset].params.decimals,
        state.assets[pool.params.quote_asset].params.decimals,
    )


def _check_trade_input(command: Trade) -> None:
    """Check the trade's ranges; field types were checked by ``check_field_types`` before any rule."""
    size = command.size_delta_atoms
    if size == 0 or abs(size) > MAX_ATOMS:
        raise InvalidAmount("size_delta_atoms", size, "a non-zero whole number of base atoms")
    if not 0 <= command.margin_atoms <= MAX_ATOMS:
        raise InvalidAmount("margin_atoms", command.margin_atoms, "a whole number of quote atoms ≥ 0")
    if command.mode is not MarginMode.ISOLATED and command.margin_atoms:
        raise InvalidParameter("margin_atoms", command.margin_atoms, f"0 for a {command.mode.value} position")
    if not 0 <= command.limit_price_wad <= MAX_ATOMS:
        raise InvalidAmount("limit_price_wad", command.limit_price_wad, "a WAD price ≥ 0 (0: no limit)")


def _fees(pool: PoolState, fee_atoms: int) -> tuple[int, int, int]:
    lp = mul_div(fee_atoms, pool.params.lp_fee_share_wad, WAD, Rounding.DOWN)
    insurance = mul_div(fee_atoms, pool.params.insurance_fee_share_wad, WAD, Rounding.DOWN)
    return lp, insurance, fee_atoms - lp - insurance


def payable_pnl_atoms(pool: PoolState, realised_pnl_atoms: int) -> int:
    """Return the realised PnL the pool pays from its own vault: a profit only up to its LP vault's cash.

    A pool with a credit line draws the rest on it (``decide_trade``,
    :func:`~ringfence.core.pool.credit_lines.draw_for`); what no line covers is forgone.

    The pool is every trader's counterparty and pays profits from its own vault, never with
    another pool's money (the firewall of SPEC §2.4): a profit past the vault's cash is forgone
    by the trader, as GMX v2 caps traders' PnL by the pool (``MAX_PNL_FACTOR_FOR_TRADERS`` in
    gmx-io/gmx-synthetics ``contracts/position/PositionUtils.sol``, ``getPositionPnlUsd``).
    A loss is returned unchanged.
    """
    if realised_pnl_atoms <= 0:
        return realised_pnl_atoms
    return min(realised_pnl_atoms, max(pool.vault_atoms, 0))


def decide_trade(state: LedgerState, command: Trade) -> list[Event]:
    """Fill a trade against the pool at oracle ± skew premium ± spread, with fees and funding."""
    _check_trade_input(command)
    ctx = _trade_context(state, command)
    old_size = ctx.position.size_atoms if ctx.position else 0
    old_basis = ctx.position.open_notional_atoms if ctx.position else 0
    increases = _increases_risk(old_size, old_size + command.size_delta_atoms)
    _require_open(ctx.pool, increases_risk=increases)
    params = ctx.market.params
    oracle = base_price_wad(state, params.base_asset, command.timestamp_ns, allow_guarded=not increases)
    fill = fill_price_wad(
        oracle, ctx.market.skew_atoms, command.size_delta_atoms, params.skew_scale_atoms, params.spread_wad
    )
    limit = command.limit_price_wad
    if limit and ((command.size_delta_atoms > 0 and fill > limit) or (command.size_delta_atoms < 0 and fill < limit)):
        raise CommandRejected(f"fill price {fill} is beyond the limit {limit}; widen the limit or trade smaller")
    change = resize(old_size, old_basis, command.size_delta_atoms, fill, ctx.base_decimals, ctx.quote_decimals)
    notional = -signed_notional_atoms(-abs(command.size_delta_atoms), fill, ctx.base_decimals, ctx.quote_decimals)
    fee = mul_div(notional, params.taker_fee_wad, WAD, Rounding.UP)
    funding_paid = funding_owed_atoms(ctx.position, ctx.index_wad, ctx.base_decimals) if ctx.position else 0
    realised = payable_pnl_atoms(ctx.pool, change.realised_pnl_atoms)
    credit_draws: list[Event] = []
    drawn = 0
    if change.realised_pnl_atoms > realised:  # a profit past the vault's cash: draw on the pool's lines
        shortage = change.realised_pnl_atoms - realised
        credit_draws, drawn = draw_for(state, ctx.pool, shortage, command.timestamp_ns, DrawReason.PROFIT)
        realised += drawn
    side_delta = command.margin_atoms - fee - funding_paid + realised
    quote = ctx.pool.params.quote_asset
    _take_quote(state, ctx.key, quote, command.margin_atoms)
    vault_after = (ctx.position.isolated_margin_atoms if ctx.position else 0) + side_delta
    released = 0
    if command.mode is MarginMode.ISOLATED:
        if vault_after < 0:
            raise InsufficientMargin(f"{ctx.key[0]}/{ctx.key[1]}", vault_after, 0, "isolated", "quote atoms")
        released = vault_after if change.new_size_atoms == 0 else 0
    new_position = Position(
        change.new_size_atoms, change.new_open_notional_atoms, ctx.index_wad, command.mode, vault_after - released
    )
    if increases:
        market = ctx.market
        cap = market.params.open_interest_cap_atoms
        check_open_interest(
            market.long_atoms,
            market.short_atoms,
            cap,
            old_size,
            change.new_size_atoms,
            f"base atoms, past the cap {cap} of market {market.params.market}",
        )
        _check_trade_margin(state, command, ctx, new_position, side_delta, oracle)
    lp_fee, insurance_fee, protocol_fee = _fees(ctx.pool, fee)
    events: list[Event] = [ctx.funding] if ctx.funding else []
    events.extend(credit_draws)
    events.append(
        TradeFilled(
            owner=command.owner,
            sub_account=command.sub_account,
            pool=command.pool,
            market=command.market,
            mode=command.mode,
            size_delta_atoms=command.size_delta_atoms,
            price_wad=fill,
            new_size_atoms=change.new_size_atoms,
            new_open_notional_atoms=change.new_open_notional_atoms,
            funding_index_wad=ctx.index_wad,
            margin_added_atoms=command.margin_atoms,
            margin_released_atoms=released,
            fee_atoms=fee,
            lp_fee_atoms=lp_fee,
            insurance_fee_atoms=insurance_fee,
            protocol_fee_atoms=protocol_fee,
            funding_paid_atoms=funding_paid,
            realised_pnl_atoms=realised,
        )
    )
    if increases:
        vault_delta = drawn + lp_fee + funding_paid - realised
        skew_change = (command.market, command.size_delta_atoms)
        vault_after = ctx.pool.vault_atoms + vault_delta
        check_reserve(state, ctx.pool, vault_after, command.timestamp_ns, skew_change, room_used_atoms=drawn)
    return events


def check_open_interest(
    long_atoms: int, short_atoms: int, cap_atoms: int, old_size: int, new_size: int, what: str
) -> None:
    """Refuse a position's move from ``old_size`` to ``new_size`` that takes either side past the cap.

    For a perpetual market and an option or futures series alike; ``what`` names the unit and the
    market or series in the refusal (``"base atoms, past the cap {cap} of market ETH-PERP"``).

    Raises
    ------
    CommandRejected
        Either side's open interest after the move exceeds ``cap_atoms``.
    """
    long_after = long_atoms - max(old_size, 0) + max(new_size, 0)
    short_after = short_atoms - max(-old_size, 0) + max(-new_size, 0)
    if long_after > cap_atoms or short_after > cap_atoms:
        raise CommandRejected(f"open interest would reach {max(long_after, short_after)} {what}")


def _check_trade_margin(
    state: LedgerState, command: Trade, ctx: _TradeContext, position: Position, side_delta: int, oracle: int
) -> None:
    """Check initial margin after the trade, with the market's open interest after it.

    Requirements at the oracle; unrealised PnL at the conservative of oracle and stable price
    (:func:`ringfence.core.margin.initial_pnl_price_wad`, SPEC §2.1).

    dYdX applies a match's open-interest delta before its collateral check (see
    :mod:`ringfence.core.pool.requirements`): a trade pays for the crowding it adds.
    """
    label = f"{ctx.key[0]}/{ctx.key[1]}"
    if command.mode is MarginMode.ISOLATED:
        interest = open_interest_after(ctx.pool, ctx.key, command.market, position)
        snapshot = isolated_margin(
            state, ctx.pool, command.market, position, MarginKind.INITIAL, oracle, open_interest=interest
        )
    else:
        snapshot = margin_snapshot(
            state,
            ctx.key,
            MarginKind.INITIAL,
            command.timestamp_ns,
            {ctx.pool.params.quote_asset: side_delta},
            (command.pool, command.market, position),
        )
    if not snapshot.is_healthy:
        raise InsufficientMargin(
            label, snapshot.equity_atoms, snapshot.requirement_atoms, unit=snapshot.denomination.value
        )
