"""``evolve`` handlers of pool events: the only code that changes a pool's state."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ringfence.core.liquidation.perp_presets import LiquidationPhase
from ringfence.core.pool.events import (
    AutoDeleveraged,
    BackstopAbsorbed,
    FundingAccrued,
    InsuranceDrawn,
    InsuranceFunded,
    IsolatedMarginAdjusted,
    LiquidationRecorded,
    LiquidityProvided,
    LiquidityRemoved,
    LossSocialised,
    MarketAdded,
    PoolCreated,
    PoolHalted,
    PoolStatusChanged,
    PositionDeleveraged,
    PositionLiquidated,
    PositionMove,
    TradeFilled,
)
from ringfence.core.pool.liquidation_policy import LiquidationMark
from ringfence.core.pool.state import MarginMode, MarketState, PoolState, PoolStatus, Position
from ringfence.core.state import AccountKey, LedgerState, SubAccount

__all__ = ["POOL_HANDLERS", "adjust_balance", "move_position"]


def adjust_balance(state: LedgerState, key: AccountKey, asset: str, delta_atoms: int) -> None:
    """Add ``delta_atoms`` (either sign) to a sub-account's balance; zero balances are dropped."""
    if delta_atoms == 0:
        return
    account = state.accounts.get(key)
    if account is None:
        account = state.accounts[key] = SubAccount()
    result = account.balances.get(asset, 0) + delta_atoms
    if result:
        account.balances[asset] = result
    else:
        account.balances.pop(asset, None)
    bound = state.cross_pool.get(key)
    if result >= 0 and bound is not None and state.pools[bound].params.quote_asset == asset:
        _rebind(state, state.pools[bound], key)


def _rebind(state: LedgerState, pool: PoolState, key: AccountKey) -> None:
    """Bind the sub-account to ``pool`` while it holds cross positions there or owes it quote.

    A debt left by a cross position's losses is owed to the pool whose trading produced it:
    the binding keeps that record (a collateral auction settles it in that pool, and the
    sub-account cannot cross-trade in another pool until it is repaid or written off).
    """
    account = state.accounts.get(key)
    owes = account is not None and account.balances.get(pool.params.quote_asset, 0) < 0
    if pool.has_cross_position(key) or owes:
        state.cross_pool[key] = pool.pool
    else:
        state.cross_pool.pop(key, None)


def _pool_created(state: LedgerState, event: PoolCreated) -> None:
    state.pools[event.pool] = PoolState(event.pool, event.template, event.template_version, event.params)


def _market_added(state: LedgerState, event: MarketAdded) -> None:
    market = MarketState(event.params, funding_updated_ns=event.timestamp_ns)
    state.pools[event.pool].markets[event.params.market] = market


def _liquidity_provided(state: LedgerState, event: LiquidityProvided) -> None:
    pool = state.pools[event.pool]
    key = (event.owner, event.sub_account)
    adjust_balance(state, key, pool.params.quote_asset, -event.amount_atoms)
    pool.vault_atoms += event.amount_atoms
    pool.total_shares += event.shares
    pool.lp_shares[key] = pool.lp_shares.get(key, 0) + event.shares


def _liquidity_removed(state: LedgerState, event: LiquidityRemoved) -> None:
    pool = state.pools[event.pool]
    key = (event.owner, event.sub_account)
    adjust_balance(state, key, pool.params.quote_asset, event.amount_atoms)
    pool.vault_atoms -= event.amount_atoms
    pool.total_shares -= event.shares
    remaining = pool.lp_shares[key] - event.shares
    if remaining:
        pool.lp_shares[key] = remaining
    else:
        del pool.lp_shares[key]


def _insurance_funded(state: LedgerState, event: InsuranceFunded) -> None:
    pool = state.pools[event.pool]
    adjust_balance(state, (event.owner, event.sub_account), pool.params.quote_asset, -event.amount_atoms)
    pool.insurance_atoms += event.amount_atoms


def _funding_accrued(state: LedgerState, event: FundingAccrued) -> None:
    market = state.pools[event.pool].markets[event.market]
    market.funding_index_wad += event.index_delta_wad
    market.funding_updated_ns = event.timestamp_ns


def _update_open_interest(market: MarketState, old_size: int, new_size: int) -> None:
    market.long_atoms += max(new_size, 0) - max(old_size, 0)
    market.short_atoms += max(-new_size, 0) - max(-old_size, 0)


def _update_index(
    state: LedgerState, pool: PoolState, key: AccountKey, market_id: str, mode: MarginMode, is_open: bool
) -> None:
    markets = pool.account_markets.setdefault(key, [])
    if is_open and market_id not in markets:
        markets.append(market_id)
    elif not is_open and market_id in markets:
        markets.remove(market_id)
    if not markets:
        del pool.account_markets[key]
    if mode is MarginMode.CROSS:
        _rebind(state, pool, key)


def _move_position(
    state: LedgerState, event: PositionMove, margin_added: int, side_paid: int, vault_in: int, keeper_in: int = 0
) -> PoolState:
    """Apply the flows every position change shares, and the new position.

    The margin side gains ``margin_added - side_paid - funding_paid + realised``; the LP vault
    gains ``vault_in + funding_paid - realised``; ``keeper_in`` goes to the liquidation's keeper.
    """
    pool = state.pools[event.pool]
    key = (event.owner, event.sub_account)
    quote = pool.params.quote_asset
    old = pool.positions.get((key, event.market))
    old_size = old.size_atoms if old else 0
    side_delta = margin_added - side_paid - event.funding_paid_atoms + event.realised_pnl_atoms
    if event.mode is MarginMode.ISOLATED:
        adjust_balance(state, key, quote, event.margin_released_atoms - margin_added)
        vault = (old.isolated_margin_atoms if old else 0) + side_delta - event.margin_released_atoms
    else:
        adjust_balance(state, key, quote, side_delta)
        vault = 0
    pool.vault_atoms += vault_in + event.funding_paid_atoms - event.realised_pnl_atoms
    if isinstance(event, PositionLiquidated):
        adjust_balance(state, (event.keeper_owner, event.keeper_sub_account), quote, keeper_in)
    _update_open_interest(pool.markets[event.market], old_size, event.new_size_atoms)
    if event.new_size_atoms:
        pool.positions[(key, event.market)] = Position(
            event.new_size_atoms, event.new_open_notional_atoms, event.funding_index_wad, event.mode, vault
        )
    else:
        pool.positions.pop((key, event.market), None)
    _update_index(state, pool, key, event.market, event.mode, event.new_size_atoms != 0)
    return pool


move_position = _move_position
"""The flows and the new position every position change shares (for the portfolio auction's transfers)."""


def _trade_filled(state: LedgerState, event: TradeFilled) -> None:
    pool = _move_position(state, event, event.margin_added_atoms, event.fee_atoms, event.lp_fee_atoms)
    pool.insurance_atoms += event.insurance_fee_atoms
    pool.protocol_fees_atoms += event.protocol_fee_atoms


def _position_liquidated(state: LedgerState, event: PositionLiquidated) -> None:
    keeper_in = event.keeper_reward_atoms + event.execution_cost_atoms
    side_paid = keeper_in + event.insurance_penalty_atoms + event.backstop_forfeit_atoms - event.shortfall_atoms
    vault_in = event.backstop_forfeit_atoms - event.shortfall_atoms
    pool = _move_position(state, event, 0, side_paid, vault_in, keeper_in)
    pool.insurance_atoms += event.insurance_penalty_atoms


def _position_deleveraged(state: LedgerState, event: PositionDeleveraged) -> None:
    _move_position(state, event, 0, 0, 0)


def _insurance_drawn(state: LedgerState, event: InsuranceDrawn) -> None:
    pool = state.pools[event.pool]
    pool.insurance_window = pool.insurance_window.charge(
        event.amount_atoms, event.timestamp_ns, pool.params.insurance_window_ns
    )
    pool.insurance_atoms -= event.amount_atoms
    pool.vault_atoms += event.amount_atoms


def _count_lp_loss(pool: PoolState, amount_atoms: int, now_ns: int) -> None:
    """Add an LP loss to the NAV-drawdown window, opening a new window when the last one ended."""
    pool.loss_window = pool.loss_window.charge(amount_atoms, now_ns, pool.params.insurance_window_ns, pool.vault_atoms)


def _loss_socialised(state: LedgerState, event: LossSocialised) -> None:
    pool = state.pools[event.pool]
    _count_lp_loss(pool, event.amount_atoms, event.timestamp_ns)
    pool.socialised_loss_atoms += event.amount_atoms


def _backstop_absorbed(state: LedgerState, event: BackstopAbsorbed) -> None:
    pool = state.pools[event.pool]
    window_ns = pool.params.liquidation.window_ns
    pool.backstop_window = pool.backstop_window.charge(event.amount_atoms, event.timestamp_ns, window_ns)
    pool.backstop_absorbed_atoms += event.amount_atoms
    _count_lp_loss(pool, event.amount_atoms, event.timestamp_ns)


def _auto_deleveraged(state: LedgerState, event: AutoDeleveraged) -> None:
    state.pools[event.pool].deleveraged_atoms += event.forgone_atoms


def _liquidation_recorded(state: LedgerState, event: LiquidationRecorded) -> None:
    pool = state.pools[event.pool]
    pool.liquidation_window = pool.liquidation_window.charge(
        event.notional_atoms, event.timestamp_ns, pool.params.liquidation.window_ns
    )
    mark_key = ((event.owner, event.sub_account), event.market)
    if event.partial:
        pool.liquidation_marks[mark_key] = LiquidationMark(event.timestamp_ns)
    else:
        pool.liquidation_marks.pop(mark_key, None)
    if event.phase_open:
        pool.liquidation_phases[mark_key] = LiquidationPhase(event.phase_started_ns, event.phase_margin_freed_atoms)
    else:
        pool.liquidation_phases.pop(mark_key, None)


def _pool_status_changed(state: LedgerState, event: PoolStatusChanged) -> None:
    pool = state.pools[event.pool]
    pool.status = PoolStatus(event.status)
    pool.status_reason = event.reason


def _pool_halted(state: LedgerState, event: PoolHalted) -> None:
    pool = state.pools[event.pool]
    pool.status = PoolStatus.HALTED
    pool.status_reason = f"fault in {event.command}: {event.cause}"


def _isolated_margin_adjusted(state: LedgerState, event: IsolatedMarginAdjusted) -> None:
    pool = state.pools[event.pool]
    key = (event.owner, event.sub_account)
    adjust_balance(state, key, pool.params.quote_asset, -event.delta_atoms)
    pool.positions[(key, event.market)].isolated_margin_atoms += event.delta_atoms


POOL_HANDLERS: dict[type[Any], Callable[[LedgerState, Any], None]] = {
    PoolCreated: _pool_created,
    MarketAdded: _market_added,
    LiquidityProvided: _liquidity_provided,
    LiquidityRemoved: _liquidity_removed,
    InsuranceFunded: _insurance_funded,
    FundingAccrued: _funding_accrued,
    TradeFilled: _trade_filled,
    PositionLiquidated: _position_liquidated,
    PositionDeleveraged: _position_deleveraged,
    LiquidationRecorded: _liquidation_recorded,
    InsuranceDrawn: _insurance_drawn,
    BackstopAbsorbed: _backstop_absorbed,
    AutoDeleveraged: _auto_deleveraged,
    LossSocialised: _loss_socialised,
    PoolStatusChanged: _pool_status_changed,
    PoolHalted: _pool_halted,
    IsolatedMarginAdjusted: _isolated_margin_adjusted,
}
