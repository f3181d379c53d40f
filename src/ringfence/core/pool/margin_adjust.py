"""Adding margin to an isolated position's vault, or removing it (SPEC §2.2, isolated mode).

An isolated position's vault is the only money its loss can consume. Its owner may:

- **add** quote atoms from the sub-account's balance: it only lowers risk, so it needs no
  price and is accepted in a reduce-only pool (a trader may rescue a position from
  liquidation while new risk is refused);
- **remove** quote atoms back to the balance: only the vault's cash (unrealised profit is
  not cash and cannot be withdrawn until realised, the Mango lesson), and only while the
  position stays at initial margin afterwards, with the same check as a trade that adds
  risk: the requirement at the oracle price (a fresh one), unrealised PnL at the
  conservative of oracle and stable price (SPEC §2.1), positive PnL at the market's
  ``pnl_weight``, the market's margin model with its current open interest. A removal adds
  risk, so a reduce-only pool refuses it.

Funding is read at the market's index as last accrued (as a withdrawal's margin check and
the liquidation check read it): funding accrues when a trade or a liquidation touches the
market.
"""

from __future__ import annotations

import dataclasses

from ringfence.core.errors import (
    CommandRejected,
    InsufficientBalance,
    InsufficientMargin,
    InvalidAmount,
    InvalidParameter,
    UnknownEntity,
)
from ringfence.core.events import Event
from ringfence.core.margin import MarginKind, base_price_wad
from ringfence.core.pool.commands import AdjustIsolatedMargin
from ringfence.core.pool.decide import pool_of, quote_balance
from ringfence.core.pool.events import IsolatedMarginAdjusted
from ringfence.core.pool.position_margin import isolated_margin
from ringfence.core.pool.state import MarginMode, PoolState, PoolStatus, Position
from ringfence.core.state import LedgerState
from ringfence.core.units import MAX_ATOMS
from ringfence.core.validation import check_account, check_name

__all__ = ["decide_adjust_isolated_margin"]


def _check_open(pool: PoolState, *, removing: bool) -> None:
    if pool.status is PoolStatus.HALTED:
        raise CommandRejected(f"pool {pool.pool} is halted ({pool.status_reason}); governance must resume it")
    if removing and pool.status is PoolStatus.REDUCE_ONLY:
        raise CommandRejected(
            f"pool {pool.pool} is reduce-only ({pool.status_reason}); margin can be added but not removed"
        )


def _isolated_position(state: LedgerState, pool: PoolState, command: AdjustIsolatedMargin) -> Position:
    if command.market not in pool.markets:
        raise UnknownEntity(f"market of pool {pool.pool}", command.market, tuple(pool.markets))
    label = f"{command.owner}/{command.sub_account}"
    position = pool.positions.get(((command.owner, command.sub_account), command.market))
    if position is None:
        raise UnknownEntity("position", f"{label} in {command.pool}/{command.market}")
    if position.mode is not MarginMode.ISOLATED:
        raise InvalidParameter(
            "market",
            command.market,
            f"a market where {label} holds an isolated position (its position here is cross-margined)",
        )
    return position


def _check_removal(state: LedgerState, pool: PoolState, command: AdjustIsolatedMargin, position: Position) -> None:
    """Refuse removing more than the vault's cash, or leaving the position below initial margin."""
    label = f"{command.owner}/{command.sub_account}"
    amount = -command.delta_atoms
    vault = position.isolated_margin_atoms
    if amount > vault:
        account = f"{label} (isolated vault of {command.pool}/{command.market})"
        raise InsufficientBalance(account, pool.params.quote_asset, amount, max(vault, 0))
    market = pool.markets[command.market]
    price = base_price_wad(state, market.params.base_asset, command.timestamp_ns)
    after = dataclasses.replace(position, isolated_margin_atoms=vault - amount)
    snapshot = isolated_margin(state, pool, command.market, after, MarginKind.INITIAL, price)
    if not snapshot.is_healthy:
        raise InsufficientMargin(
            label, snapshot.equity_atoms, snapshot.requirement_atoms, unit=snapshot.denomination.value
        )


def decide_adjust_isolated_margin(state: LedgerState, command: AdjustIsolatedMargin) -> list[Event]:
    """Move margin into (``delta_atoms > 0``) or out of (``< 0``) an isolated position's vault.

    Raises
    ------
    InvalidAmount
        If ``delta_atoms`` is 0 or beyond ``MAX_ATOMS`` in size.
    UnknownEntity
        If the pool, the market or the position does not exist.
    InvalidParameter
        If the position is cross-margined (it has no vault).
    CommandRejected
        If the pool is halted, or reduce-only and margin would be removed.
    InsufficientBalance
        Adding more than the sub-account holds, or removing more than the vault's cash.
    InsufficientMargin
        If the position would end below its initial margin.
    OracleUnavailable
        Removing while the market's oracle is not fresh.
    """
    key = check_account("owner", command.owner, "sub_account", command.sub_account)
    check_name("market", command.market)
    delta = command.delta_atoms
    if delta == 0 or abs(delta) > MAX_ATOMS:
        raise InvalidAmount(
            "delta_atoms", delta, f"a non-zero whole number of quote atoms, at most {MAX_ATOMS} in size (+ adds)"
        )
    pool = pool_of(state, command.pool)
    position = _isolated_position(state, pool, command)
    _check_open(pool, removing=delta < 0)
    if delta > 0:
        held = quote_balance(state, key, pool.params.quote_asset)
        if held < delta:
            raise InsufficientBalance(f"{key[0]}/{key[1]}", pool.params.quote_asset, delta, max(held, 0))
    else:
        _check_removal(state, pool, command, position)
    return [
        IsolatedMarginAdjusted(
            owner=command.owner,
            sub_account=command.sub_account,
            pool=command.pool,
            market=command.market,
            delta_atoms=delta,
            timestamp_ns=command.timestamp_ns,
        )
    ]
