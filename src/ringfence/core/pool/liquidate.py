"""Liquidation of a position below maintenance margin, and the in-pool waterfall.

A keeper's :class:`~ringfence.core.pool.commands.Liquidate` is verified (the position's
margin, isolated vault or cross sub-account, is below maintenance at the oracle), sized by
the pool's close factor (the whole position once it is bankrupt), closed at the oracle price,
and paid for with a penalty split between the keeper and the insurance fund. A loss the
account cannot pay (its *shortfall*) goes down the waterfall, strictly inside the pool:
the pool's insurance fund, capped per window, then the pool's LPs (socialised loss). No
other pool and no account outside this pool is touched.

Degraded-oracle rule: liquidation runs at the last accepted price while the oracle is
guarded (a jump held back), and is refused while it is stale (no trustworthy price).
"""

from __future__ import annotations

from ringfence.core.errors import CommandRejected, InvalidParameter, UnknownEntity
from ringfence.core.events import Event
from ringfence.core.margin import MarginKind, MarginSnapshot, base_price_wad, isolated_margin, margin_snapshot
from ringfence.core.pool.commands import Liquidate
from ringfence.core.pool.decide import SizeChange, accrue_funding, pool_of, quote_balance, resize
from ringfence.core.pool.events import InsuranceDrawn, LossSocialised, PoolStatusChanged, PositionChanged
from ringfence.core.pool.perp_math import funding_owed_atoms, signed_notional_atoms
from ringfence.core.pool.state import MarginMode, PoolState, PoolStatus, Position
from ringfence.core.state import LedgerState
from ringfence.core.units import VALUE_DECIMALS, WAD, Rounding, mul_div
from ringfence.core.validation import check_account

__all__ = ["decide_liquidate", "insurance_room_atoms", "waterfall"]


def insurance_room_atoms(pool: PoolState, now_ns: int) -> int:
    """Return what the insurance fund may still pay in the current window."""
    params = pool.params
    in_window = now_ns - pool.insurance_window_start_ns < params.insurance_window_ns
    drawn = pool.insurance_drawn_in_window_atoms if in_window else 0
    return max(min(params.insurance_draw_cap_atoms - drawn, pool.insurance_atoms), 0)


def _health(
    state: LedgerState, pool: PoolState, command: Liquidate, position: Position, price_wad: int
) -> MarginSnapshot:
    if position.mode is MarginMode.ISOLATED:
        return isolated_margin(state, pool, command.market, position, MarginKind.MAINTENANCE, price_wad)
    key = (command.owner, command.sub_account)
    return margin_snapshot(state, key, MarginKind.MAINTENANCE, command.timestamp_ns, allow_guarded=True)


def _cross_shortfall(
    state: LedgerState, pool: PoolState, command: Liquidate, side_after: int, quote_change: int, closed_whole: bool
) -> int:
    """Return the debt a cross account cannot back once its last position is closed.

    While other positions stay open they are liquidated in turn. Once none is left, a
    negative quote balance is kept only up to what the account's other collateral is worth
    at maintenance (oracle price, maintenance weight); the rest is an explicit shortfall.
    """
    key = (command.owner, command.sub_account)
    others = [m for m in pool.account_markets.get(key, ()) if m != command.market]
    if side_after >= 0 or not closed_whole or others:
        return 0
    quote = pool.params.quote_asset
    after = margin_snapshot(
        state,
        key,
        MarginKind.MAINTENANCE,
        command.timestamp_ns,
        {quote: quote_change},
        (command.pool, command.market, None),
        allow_guarded=True,
    )
    if after.equity_value >= 0:
        return 0
    shift = VALUE_DECIMALS - state.assets[quote].params.decimals
    uncovered = mul_div(-after.equity_value, 10 ** max(-shift, 0), 10 ** max(shift, 0), Rounding.UP)
    return min(uncovered, -side_after)


def waterfall(state: LedgerState, pool: PoolState, shortfall: int, vault_flow: int, now_ns: int) -> list[Event]:
    """Return the in-pool waterfall's events for a ``shortfall`` (quote atoms an account could not pay).

    ``vault_flow`` is the net flow into the LP vault of the command that left the shortfall.

    A new loss window takes as its reference the vault after this liquidation settled (the
    value ``evolve`` sees when it opens the window), so decide and evolve agree.
    """
    events: list[Event] = []
    draw = min(shortfall, insurance_room_atoms(pool, now_ns))
    if draw:
        events.append(InsuranceDrawn(pool.pool, draw, shortfall, now_ns))
    socialised = shortfall - draw
    if socialised:
        events.append(LossSocialised(pool.pool, socialised, now_ns))
        in_window = now_ns - pool.loss_window_start_ns < pool.params.insurance_window_ns
        reference = pool.loss_window_vault_atoms if in_window else pool.vault_atoms + vault_flow + draw
        lost = (pool.loss_in_window_atoms if in_window else 0) + socialised
        limit = mul_div(max(reference, 0), pool.params.nav_drawdown_limit_wad, WAD, Rounding.DOWN)
        if lost > limit and pool.status is PoolStatus.ACTIVE:
            reason = f"NAV drawdown: socialised loss {lost} in the window exceeds {limit} quote atoms"
            events.append(PoolStatusChanged(pool.pool, PoolStatus.REDUCE_ONLY.value, reason, now_ns))
    return events


def _settle(available: int, penalty: int, liquidator_share_wad: int) -> tuple[int, int, int]:
    """Split what the account has left after its loss into keeper reward and insurance penalty."""
    paid = min(penalty, max(available, 0))
    keeper = mul_div(paid, liquidator_share_wad, WAD, Rounding.DOWN)
    return keeper, paid - keeper, available - paid


def decide_liquidate(state: LedgerState, command: Liquidate) -> list[Event]:
    """Verify, size, price and settle a liquidation, then run the waterfall for any shortfall."""
    pool = pool_of(state, command.pool)
    if pool.status is PoolStatus.HALTED:
        raise CommandRejected(f"pool {pool.pool} is halted ({pool.status_reason}); governance must resume it")
    key = check_account("owner", command.owner, "sub_account", command.sub_account)
    keeper = check_account("keeper_owner", command.keeper_owner, "keeper_sub_account", command.keeper_sub_account)
    if keeper == key:
        raise InvalidParameter("keeper_owner", command.keeper_owner, "a keeper other than the liquidated account")
    position = pool.positions.get((key, command.market))
    if position is None:
        raise UnknownEntity("position", f"{command.owner}/{command.sub_account} in {command.pool}/{command.market}")
    market = pool.markets[command.market]
    price = base_price_wad(state, market.params.base_asset, command.timestamp_ns, allow_guarded=True)
    health = _health(state, pool, command, position, price)
    if health.is_healthy:
        raise CommandRejected(
            f"{command.owner}/{command.sub_account} is not liquidatable: maintenance equity "
            f"{health.equity_value} covers its requirement {health.requirement_value}"
        )
    funding = accrue_funding(state, pool, command.market, command.timestamp_ns)
    index = market.funding_index_wad + (funding.index_delta_wad if funding else 0)
    base_dec = state.assets[market.params.base_asset].params.decimals
    quote_dec = state.assets[pool.params.quote_asset].params.decimals
    funding_paid = funding_owed_atoms(position, index, base_dec)
    side = (
        position.isolated_margin_atoms
        if position.mode is MarginMode.ISOLATED
        else quote_balance(state, key, pool.params.quote_asset)
    )
    size = abs(position.size_atoms)
    close = min(mul_div(size, pool.params.close_factor_wad, WAD, Rounding.UP), size)
    change, keeper_reward, insurance_penalty, after = _close(
        pool, position, close, price, base_dec, quote_dec, side - funding_paid
    )
    if after < 0 and close < size:
        close = size  # a bankrupt position is closed whole
        change, keeper_reward, insurance_penalty, after = _close(
            pool, position, close, price, base_dec, quote_dec, side - funding_paid
        )
    if position.mode is MarginMode.ISOLATED:
        shortfall = max(-after, 0)
    else:
        quote_change = after - side
        shortfall = _cross_shortfall(state, pool, command, after, quote_change, change.new_size_atoms == 0)
    released = after + shortfall if position.mode is MarginMode.ISOLATED and change.new_size_atoms == 0 else 0
    delta = -close if position.size_atoms > 0 else close
    events: list[Event] = [funding] if funding else []
    events.append(
        PositionChanged(
            command.owner,
            command.sub_account,
            command.pool,
            command.market,
            position.mode,
            delta,
            price,
            change.new_size_atoms,
            change.new_open_notional_atoms,
            index,
            0,
            released,
            0,
            0,
            0,
            0,
            funding_paid,
            change.realised_pnl_atoms,
            True,
            command.keeper_owner,
            command.keeper_sub_account,
            keeper_reward,
            insurance_penalty,
            shortfall,
        )
    )
    if shortfall:
        vault_flow = funding_paid - change.realised_pnl_atoms - shortfall
        events.extend(waterfall(state, pool, shortfall, vault_flow, command.timestamp_ns))
    return events


def _close(
    pool: PoolState, position: Position, close: int, price: int, base_dec: int, quote_dec: int, available_before: int
) -> tuple[SizeChange, int, int, int]:
    delta = -close if position.size_atoms > 0 else close
    change = resize(position.size_atoms, position.open_notional_atoms, delta, price, base_dec, quote_dec)
    notional = -signed_notional_atoms(-close, price, base_dec, quote_dec)
    penalty = mul_div(notional, pool.params.liquidation_penalty_wad, WAD, Rounding.UP)
    keeper, insurance, after = _settle(
        available_before + change.realised_pnl_atoms, penalty, pool.params.liquidator_share_wad
    )
    return change, keeper, insurance, after
