"""Liquidation of a position below maintenance margin, and the in-pool waterfall (SPEC §2.6).

A keeper's :class:`~ringfence.core.pool.commands.Liquidate` is verified (the position's
margin, isolated vault or cross sub-account, is below maintenance at the oracle), then one of
two paths is taken, recorded by a :class:`LiquidationRecorded` event:

- **keeper path**: the pool's sizing rule decides how much to close, its incentive rule the
  penalty (split keeper / insurance fund), and its pacing cap trims the close to the room
  left in the window;
- **backstop path**, taken when the account is bankrupt, when a penalty-paying close would
  lower its health (the toxic case), or when its health is below the backstop threshold: the
  pool's LP vault takes the whole position over at the oracle with no keeper bonus; the
  account forfeits its remaining equity on it, up to the position's maintenance requirement
  (Hyperliquid's liquidator vault).

A loss the account cannot pay (its *shortfall*) goes down the waterfall, strictly inside the
pool: the insurance fund (capped per window) → the LP vault's backstop budget (capped per
window) → auto-deleveraging of profitable opposing positions in the same market → loss
socialised to the pool's LPs. No other pool and no account outside this pool is touched.

Execution at the market: a keeper may send the price at which it closed the position in the
outside market (``Liquidate.execution_price_wad``). Sizing, path and penalty stay at the oracle;
the closed part realises its PnL at the execution price, and the difference to the
oracle-realised PnL, the *execution cost* (rounded up, against the account), is charged to the
account's margin side before the penalty and paid to the keeper. What the account cannot cover
is shortfall down the same waterfall. The price must lie within the pool's
``liquidation.max_execution_gap_wad`` of the oracle and on the account's unfavourable side (at
or below the oracle for a sale, at or above for a purchase): a better price is refused, since
the account's close is already priced at the oracle and a keeper has no reason to pay more.

Breakers: LP losses past the pool's NAV-drawdown limit in a window, or liquidated notional
past its throughput limit in a window, turn the pool reduce-only (liquidations go on).
Degraded-oracle rule: liquidation runs at the last accepted price while the oracle is guarded
(a jump held back), and is refused while it is stale (no trustworthy price).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from ringfence.core.errors import CommandRejected, InvalidParameter, UnknownEntity
from ringfence.core.events import Event
from ringfence.core.margin import MarginKind, MarginSnapshot, base_price_wad
from ringfence.core.pool.commands import Liquidate
from ringfence.core.pool.decide import SizeChange, accrue_funding, pool_of, quote_balance, resize
from ringfence.core.pool.events import (
    AutoDeleveraged,
    BackstopAbsorbed,
    FundingAccrued,
    InsuranceDrawn,
    LiquidationRecorded,
    LossSocialised,
    PoolStatusChanged,
    PositionChanged,
)
from ringfence.core.pool.liquidation_policy import PositionRisk, close_size_atoms, is_toxic, penalty_rate_wad
from ringfence.core.pool.perp_math import funding_owed_atoms, signed_notional_atoms, unrealised_pnl_atoms
from ringfence.core.pool.position_margin import isolated_margin, margin_snapshot, position_terms
from ringfence.core.pool.state import MarginMode, PoolState, PoolStatus, Position
from ringfence.core.state import AccountKey, LedgerState
from ringfence.core.units import VALUE_DECIMALS, WAD, Rounding, mul_div
from ringfence.core.validation import check_account

__all__ = ["Deleverage", "backstop_room_atoms", "decide_liquidate", "insurance_room_atoms", "waterfall"]


def insurance_room_atoms(pool: PoolState, now_ns: int) -> int:
    """Return what the insurance fund may still pay in the current window."""
    params = pool.params
    in_window = now_ns - pool.insurance_window_start_ns < params.insurance_window_ns
    drawn = pool.insurance_drawn_in_window_atoms if in_window else 0
    return max(min(params.insurance_draw_cap_atoms - drawn, pool.insurance_atoms), 0)


def backstop_room_atoms(pool: PoolState, now_ns: int) -> int:
    """Return what the LP vault's backstop budget may still absorb in the current window."""
    policy = pool.params.liquidation
    in_window = now_ns - pool.backstop_window_start_ns < policy.window_ns
    absorbed = pool.backstop_absorbed_in_window_atoms if in_window else 0
    return max(policy.backstop_loss_cap_atoms - absorbed, 0)


def _value_to_quote(value: int, quote_decimals: int, rounding: Rounding) -> int:
    """Convert value atoms to quote atoms (the quote asset is at par with the numeraire)."""
    shift = VALUE_DECIMALS - quote_decimals
    return mul_div(value, 10 ** max(-shift, 0), 10 ** max(shift, 0), rounding)


def _health(
    state: LedgerState, pool: PoolState, command: Liquidate, position: Position, price_wad: int
) -> MarginSnapshot:
    if position.mode is MarginMode.ISOLATED:
        return isolated_margin(state, pool, command.market, position, MarginKind.MAINTENANCE, price_wad)
    key = (command.owner, command.sub_account)
    return margin_snapshot(state, key, MarginKind.MAINTENANCE, command.timestamp_ns, allow_guarded=True)


def _risk(
    state: LedgerState, pool: PoolState, command: Liquidate, position: Position, health: MarginSnapshot, price: int
) -> PositionRisk:
    """Return the position's margin in quote atoms (a cross snapshot is in value atoms)."""
    market = pool.markets[command.market]
    base_dec = state.assets[market.params.base_asset].params.decimals
    quote_dec = state.assets[pool.params.quote_asset].params.decimals
    notional = -signed_notional_atoms(-abs(position.size_atoms), price, base_dec, quote_dec)
    _, own_requirement = position_terms(state, pool, command.market, position, MarginKind.MAINTENANCE, price)
    if position.mode is MarginMode.ISOLATED:
        equity, requirement = health.equity_value, health.requirement_value
    else:
        equity = _value_to_quote(health.equity_value, quote_dec, Rounding.DOWN)
        requirement = _value_to_quote(health.requirement_value, quote_dec, Rounding.UP)
    return PositionRisk(abs(position.size_atoms), notional, equity, requirement, own_requirement)


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
    uncovered = _value_to_quote(-after.equity_value, state.assets[quote].params.decimals, Rounding.UP)
    return min(uncovered, -side_after)


@dataclass(frozen=True, slots=True)
class Deleverage:
    """What auto-deleveraging needs to know about the bankrupt position."""

    market: str
    closed_size_atoms: int
    """Signed size of the bankrupt position that was closed (long > 0)."""
    price_wad: int
    funding_index_wad: int
    excluded: AccountKey
    """The liquidated sub-account itself."""


def waterfall(
    state: LedgerState,
    pool: PoolState,
    shortfall: int,
    vault_flow: int,
    now_ns: int,
    deleverage: Deleverage | None = None,
) -> list[Event]:
    """Return the in-pool waterfall's events for a ``shortfall`` (quote atoms an account could not pay).

    Insurance fund (capped per window) → LP vault backstop budget (capped per window) →
    auto-deleveraging in ``deleverage.market`` (if the policy allows and a market is given) →
    loss socialised to the pool's LPs. ``vault_flow`` is the net flow into the LP vault of the
    command that left the shortfall: a new loss window takes as its reference the vault after
    this command settled (the value ``evolve`` sees when it opens the window).
    """
    events: list[Event] = []
    draw = min(shortfall, insurance_room_atoms(pool, now_ns))
    if draw:
        events.append(InsuranceDrawn(pool.pool, draw, shortfall, now_ns))
    absorbed = min(shortfall - draw, backstop_room_atoms(pool, now_ns))
    vault_after = pool.vault_atoms + vault_flow + draw
    lp_loss = absorbed
    if absorbed:
        events.append(BackstopAbsorbed(pool.pool, absorbed, now_ns))
    remaining = shortfall - draw - absorbed
    if remaining and deleverage is not None and pool.params.liquidation.auto_deleverage:
        adl_events, recovered, adl_vault_flow = _auto_deleverage(state, pool, remaining, deleverage, now_ns)
        events.extend(adl_events)
        remaining -= recovered
        vault_after += adl_vault_flow
    if remaining:
        events.append(LossSocialised(pool.pool, remaining, now_ns))
        lp_loss += remaining
    if lp_loss:
        events.extend(_nav_breaker(pool, lp_loss, vault_after, now_ns))
    return events


def _nav_breaker(pool: PoolState, lp_loss: int, vault_after: int, now_ns: int) -> list[Event]:
    in_window = now_ns - pool.loss_window_start_ns < pool.params.insurance_window_ns
    reference = pool.loss_window_vault_atoms if in_window else vault_after
    lost = (pool.loss_in_window_atoms if in_window else 0) + lp_loss
    limit = mul_div(max(reference, 0), pool.params.nav_drawdown_limit_wad, WAD, Rounding.DOWN)
    if lost > limit and pool.status is PoolStatus.ACTIVE:
        reason = f"NAV drawdown: LP loss {lost} in the window exceeds {limit} quote atoms"
        return [PoolStatusChanged(pool.pool, PoolStatus.REDUCE_ONLY.value, reason, now_ns)]
    return []


def _adl_candidates(
    state: LedgerState, pool: PoolState, deleverage: Deleverage, now_ns: int
) -> list[tuple[Fraction, AccountKey, Position, int]]:
    """Return profitable opposing positions ranked by ``PnL% × leverage`` (highest first).

    Score ``pnl/margin × notional/margin`` (Binance and Bybit ADL ranking: "PnL percentage ×
    effective leverage"; Hyperliquid ranks by the same product), with ``margin`` the isolated
    vault or the cross sub-account's maintenance equity; ties broken by account key.
    """
    market = pool.markets[deleverage.market]
    base_dec = state.assets[market.params.base_asset].params.decimals
    quote_dec = state.assets[pool.params.quote_asset].params.decimals
    ranked = []
    for (key, market_id), position in pool.positions.items():
        if market_id != deleverage.market or key == deleverage.excluded:
            continue
        if position.size_atoms == 0 or (position.size_atoms > 0) == (deleverage.closed_size_atoms > 0):
            continue
        pnl = unrealised_pnl_atoms(position, deleverage.price_wad, base_dec, quote_dec)
        if pnl <= 0:
            continue
        if position.mode is MarginMode.ISOLATED:
            margin = position.isolated_margin_atoms
        else:
            snapshot = margin_snapshot(state, key, MarginKind.MAINTENANCE, now_ns, allow_guarded=True)
            margin = _value_to_quote(snapshot.equity_value, quote_dec, Rounding.DOWN)
        if margin <= 0:
            continue
        notional = abs(signed_notional_atoms(position.size_atoms, deleverage.price_wad, base_dec, quote_dec))
        ranked.append((Fraction(pnl * notional, margin * margin), key, position, pnl))
    ranked.sort(key=lambda item: (-item[0], item[1]))
    return ranked


def _auto_deleverage(
    state: LedgerState, pool: PoolState, shortfall: int, deleverage: Deleverage, now_ns: int
) -> tuple[list[Event], int, int]:
    """Close opposing profitable positions at the bankruptcy price until the shortfall is covered.

    Each closed base atom gives up an equal share of what remains (rounded up, against the
    deleveraged account), never more than the closed part's profit at the oracle (and, for an
    isolated position, never more than its vault can pay). Returns the events, the amount
    recovered and the net flow into the LP vault.
    """
    market = pool.markets[deleverage.market]
    base_dec = state.assets[market.params.base_asset].params.decimals
    quote_dec = state.assets[pool.params.quote_asset].params.decimals
    events: list[Event] = []
    remaining, size_left, recovered, vault_flow = shortfall, abs(deleverage.closed_size_atoms), 0, 0
    for rank, (_, key, position, _) in enumerate(_adl_candidates(state, pool, deleverage, now_ns), start=1):
        if remaining == 0 or size_left == 0:
            break
        closed = min(abs(position.size_atoms), size_left)
        delta = -closed if position.size_atoms > 0 else closed
        change = resize(
            position.size_atoms, position.open_notional_atoms, delta, deleverage.price_wad, base_dec, quote_dec
        )
        funding_paid = funding_owed_atoms(position, deleverage.funding_index_wad, base_dec)
        forgone = min(mul_div(remaining, closed, size_left, Rounding.UP), max(change.realised_pnl_atoms, 0))
        released = 0
        if position.mode is MarginMode.ISOLATED:
            vault_before = position.isolated_margin_atoms - funding_paid + change.realised_pnl_atoms
            forgone = min(forgone, max(vault_before, 0))
            released = vault_before - forgone if change.new_size_atoms == 0 else 0
        realised = change.realised_pnl_atoms - forgone
        size_left -= closed
        if forgone == 0:
            continue
        remaining -= forgone
        recovered += forgone
        vault_flow += funding_paid - realised
        events.append(
            PositionChanged(
                key[0],
                key[1],
                pool.pool,
                deleverage.market,
                position.mode,
                delta,
                deleverage.price_wad,
                change.new_size_atoms,
                change.new_open_notional_atoms,
                deleverage.funding_index_wad,
                0,
                released,
                0,
                0,
                0,
                0,
                funding_paid,
                realised,
                False,
                "",
                0,
                0,
                0,
                0,
            )
        )
        events.append(AutoDeleveraged(pool.pool, deleverage.market, key[0], key[1], closed, forgone, rank, now_ns))
    return events, recovered, vault_flow


@dataclass(frozen=True, slots=True)
class _Close:
    """The exact result of one liquidation close."""

    size_atoms: int
    change: SizeChange
    keeper_reward: int
    insurance_penalty: int
    backstop_fee: int
    after: int
    """The margin side (isolated vault or quote balance) after everything was paid."""
    execution_cost: int = 0
    """Paid by the account to the keeper: oracle-realised PnL minus the PnL at the execution price."""


def _keeper_close(
    pool: PoolState, position: Position, close: int, price: int, decimals: tuple[int, int], available: int, rate: int
) -> _Close:
    delta = -close if position.size_atoms > 0 else close
    change = resize(position.size_atoms, position.open_notional_atoms, delta, price, *decimals)
    notional = -signed_notional_atoms(-close, price, *decimals)
    penalty = mul_div(notional, rate, WAD, Rounding.UP)
    left = available + change.realised_pnl_atoms
    paid = min(penalty, max(left, 0))
    keeper, insurance = _split_paid(paid, pool.params.liquidator_share_wad)
    return _Close(close, change, keeper, insurance, 0, left - paid)


def _split_paid(paid: int, liquidator_share_wad: int) -> tuple[int, int]:
    """Split a paid penalty: ``⌊paid · share⌋`` to the keeper (a payout), the rest to the insurance fund."""
    keeper = mul_div(paid, liquidator_share_wad, WAD, Rounding.DOWN)
    return keeper, paid - keeper


def _backstop_close(position: Position, price: int, decimals: tuple[int, int], available: int, cap: int) -> _Close:
    size = abs(position.size_atoms)
    delta = -size if position.size_atoms > 0 else size
    change = resize(position.size_atoms, position.open_notional_atoms, delta, price, *decimals)
    left = available + change.realised_pnl_atoms
    forfeited = min(max(left, 0), cap)
    return _Close(size, change, 0, 0, forfeited, left - forfeited)


def _backstop_reason(risk: PositionRisk, penalty_wad: int, backstop_health_wad: int) -> str | None:
    if risk.equity_atoms <= 0:
        return f"bankrupt: maintenance equity {risk.equity_atoms}"
    if is_toxic(risk, penalty_wad):
        return (
            f"toxic: equity {risk.equity_atoms} · position requirement {risk.position_requirement_atoms} "
            f"< requirement {risk.requirement_atoms} · penalty {penalty_wad} · notional {risk.notional_atoms}"
        )
    if risk.health_wad() < backstop_health_wad:
        return f"health {risk.health_wad()} below the backstop threshold {backstop_health_wad}"
    return None


def _paced(pool: PoolState, close: int, risk: PositionRisk, now_ns: int) -> int:
    """Trim a keeper close to the window's room (Maker ``dog.bark``: ``tab ≤ Hole − Dirt``)."""
    policy = pool.params.liquidation
    in_window = now_ns - pool.liquidation_window_start_ns < policy.window_ns
    used = pool.liquidated_in_window_atoms if in_window else 0
    room = max(policy.max_liquidated_atoms_per_window - used, 0)
    if mul_div(risk.notional_atoms, close, risk.size_atoms, Rounding.UP) <= room:
        return close
    trimmed = min(mul_div(risk.size_atoms, room, risk.notional_atoms, Rounding.DOWN), close)
    if trimmed == 0:
        resume = pool.liquidation_window_start_ns + policy.window_ns
        raise CommandRejected(
            f"pool {pool.pool} has liquidated {used} of its {policy.max_liquidated_atoms_per_window} quote atoms "
            f"per window; keeper liquidations resume at {resume} ns"
        )
    return trimmed


def _throughput_breaker(pool: PoolState, notional: int, now_ns: int) -> list[Event]:
    policy = pool.params.liquidation
    in_window = now_ns - pool.liquidation_window_start_ns < policy.window_ns
    total = (pool.liquidated_in_window_atoms if in_window else 0) + notional
    if total > policy.throughput_breaker_atoms and pool.status is PoolStatus.ACTIVE:
        reason = f"liquidation throughput: {total} quote atoms in the window exceeds {policy.throughput_breaker_atoms}"
        return [PoolStatusChanged(pool.pool, PoolStatus.REDUCE_ONLY.value, reason, now_ns)]
    return []


@dataclass(frozen=True, slots=True)
class _Verified:
    """A liquidation that passed verification: the liquidatable position and its margin."""

    pool: PoolState
    market: str
    key: AccountKey
    position: Position
    price_wad: int
    funding: FundingAccrued | None
    funding_index_wad: int
    funding_paid: int
    side: int
    """The margin side before the liquidation: the isolated vault or the quote balance."""
    health: MarginSnapshot
    risk: PositionRisk
    decimals: tuple[int, int]


def _verify(state: LedgerState, command: Liquidate) -> _Verified:
    """Check the command and that the position is below maintenance at the oracle."""
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
    decimals = (
        state.assets[market.params.base_asset].params.decimals,
        state.assets[pool.params.quote_asset].params.decimals,
    )
    is_isolated = position.mode is MarginMode.ISOLATED
    side = position.isolated_margin_atoms if is_isolated else quote_balance(state, key, pool.params.quote_asset)
    funding_paid = funding_owed_atoms(position, index, decimals[0])
    risk = _risk(state, pool, command, position, health, price)
    return _Verified(
        pool, command.market, key, position, price, funding, index, funding_paid, side, health, risk, decimals
    )


def _choose_close(state: LedgerState, liq: _Verified, now_ns: int) -> tuple[_Close, int, str | None]:
    """Return the close, the penalty rate it charged and, for the backstop path, why it was taken."""
    pool, risk = liq.pool, liq.risk
    policy = pool.params.liquidation
    available = liq.side - liq.funding_paid
    penalty = penalty_rate_wad(policy, pool.params.liquidation_penalty_wad, risk)
    reason = _backstop_reason(risk, penalty, policy.backstop_health_wad)
    if reason is None:
        mark = pool.liquidation_marks.get((liq.key, liq.market))
        wanted = close_size_atoms(policy, pool.params.close_factor_wad, risk, penalty, now_ns, mark)
        size = _paced(pool, wanted, risk, now_ns)
        close = _keeper_close(pool, liq.position, size, liq.price_wad, liq.decimals, available, penalty)
        if close.after < 0:
            reason = f"bankrupt after the close: margin {close.after}"
        elif not _lowers_health(state, liq, close, now_ns):
            return close, penalty, None
        elif size < wanted:
            raise CommandRejected(
                f"the close of {size} base atoms left by pool {pool.pool}'s pacing room would lower "
                f"{liq.key[0]}/{liq.key[1]}'s health by rounding; keeper liquidations resume with the next window"
            )
        else:
            reason = "a keeper close would lower health (rounding against the account)"
    cap = risk.position_requirement_atoms
    return _backstop_close(liq.position, liq.price_wad, liq.decimals, available, cap), 0, reason


def _lowers_health(state: LedgerState, liq: _Verified, close: _Close, now_ns: int) -> bool:
    """Return whether a keeper close, with every rounding it takes, leaves maintenance health lower (SPEC §2.9).

    The exact-rate toxic test (:func:`is_toxic`) cannot see a tiny close whose penalty rounds up
    and whose PnL rounds down while its requirement does not move. This recomputes the margin
    after the close in integers, funding counted as ``_verify`` counted it (to the market's last
    accrual), and compares ``E'/R'`` with ``E/R`` by cross-multiplication.
    """
    if close.change.new_size_atoms == 0:
        return False
    pool, position = liq.pool, liq.position
    market_index = pool.markets[liq.market].funding_index_wad
    catch_up = liq.funding_paid - funding_owed_atoms(position, market_index, liq.decimals[0])
    isolated = position.mode is MarginMode.ISOLATED
    vault = close.after + catch_up if isolated else 0
    change = close.change
    moved = Position(change.new_size_atoms, change.new_open_notional_atoms, market_index, position.mode, vault)
    if isolated:
        after = isolated_margin(state, pool, liq.market, moved, MarginKind.MAINTENANCE, liq.price_wad)
    else:
        after = margin_snapshot(
            state,
            liq.key,
            MarginKind.MAINTENANCE,
            now_ns,
            {pool.params.quote_asset: close.after - liq.side + catch_up},
            (pool.pool, liq.market, moved),
            allow_guarded=True,
        )
    before = liq.health
    return after.equity_value * before.requirement_value < before.equity_value * after.requirement_value


def _execution_cost(command: Liquidate, liq: _Verified, size_atoms: int) -> int:
    """Return the execution cost of closing ``size_atoms`` at the command's execution price.

    ``size · |oracle − execution|`` in quote atoms, rounded up (against the account); 0 when
    the command sends no price. Refuses a price outside the pool's bound or on the account's
    favourable side of the oracle.
    """
    price = command.execution_price_wad
    if price is None:
        return 0
    if isinstance(price, bool) or not isinstance(price, int) or price <= 0:
        raise InvalidParameter("execution_price_wad", price, "a positive integer price in WAD")
    oracle = liq.price_wad
    gap = oracle - price if liq.position.size_atoms > 0 else price - oracle
    bound = mul_div(oracle, liq.pool.params.liquidation.max_execution_gap_wad, WAD, Rounding.DOWN)
    if not 0 <= gap <= bound:
        side = "at or below" if liq.position.size_atoms > 0 else "at or above"
        raise InvalidParameter(
            "execution_price_wad", price, f"a price {side} the oracle {oracle}, at most {bound} away from it"
        )
    base_dec, quote_dec = liq.decimals
    return mul_div(size_atoms * gap * 10**quote_dec, 1, WAD * 10**base_dec, Rounding.UP)


def _charged(close: _Close, cost: int, keeper_path: bool, liquidator_share_wad: int) -> _Close:
    """Return the close with its execution cost charged to the margin side before the penalty.

    The penalty (or the forfeited equity on the backstop path) is what is left to pay after the
    cost, never more than it was at the oracle.
    """
    if cost == 0:
        return close
    paid_before = close.keeper_reward + close.insurance_penalty + close.backstop_fee
    left = close.after + paid_before - cost
    paid = min(paid_before, max(left, 0))
    if not keeper_path:
        return _Close(close.size_atoms, close.change, 0, 0, paid, left - paid, cost)
    keeper, insurance = _split_paid(paid, liquidator_share_wad)
    return _Close(close.size_atoms, close.change, keeper, insurance, 0, left - paid, cost)


def decide_liquidate(state: LedgerState, command: Liquidate) -> list[Event]:
    """Verify a liquidation, choose its path, size, price and settle it, then run the waterfall."""
    liq = _verify(state, command)
    now = command.timestamp_ns
    close, penalty, reason = _choose_close(state, liq, now)
    cost = _execution_cost(command, liq, close.size_atoms)
    close = _charged(close, cost, reason is None, liq.pool.params.liquidator_share_wad)
    after, change, position = close.after, close.change, liq.position
    if position.mode is MarginMode.ISOLATED:
        shortfall = max(-after, 0)
    else:
        shortfall = _cross_shortfall(state, liq.pool, command, after, after - liq.side, change.new_size_atoms == 0)
    released = after + shortfall if position.mode is MarginMode.ISOLATED and change.new_size_atoms == 0 else 0
    delta = -close.size_atoms if position.size_atoms > 0 else close.size_atoms
    closed_notional = mul_div(liq.risk.notional_atoms, close.size_atoms, liq.risk.size_atoms, Rounding.UP)
    events: list[Event] = [liq.funding] if liq.funding else []
    events.append(
        LiquidationRecorded(
            command.pool,
            command.market,
            command.owner,
            command.sub_account,
            "keeper" if reason is None else "backstop",
            reason or "",
            liq.risk.health_wad(),
            penalty,
            close.size_atoms,
            closed_notional,
            change.new_size_atoms != 0,
            now,
            execution_price_wad=liq.price_wad if command.execution_price_wad is None else command.execution_price_wad,
            execution_cost_atoms=cost,
        )
    )
    events.append(
        PositionChanged(
            command.owner,
            command.sub_account,
            command.pool,
            command.market,
            position.mode,
            delta,
            liq.price_wad,
            change.new_size_atoms,
            change.new_open_notional_atoms,
            liq.funding_index_wad,
            0,
            released,
            close.backstop_fee,
            close.backstop_fee,
            0,
            0,
            liq.funding_paid,
            change.realised_pnl_atoms,
            True,
            command.keeper_owner,
            command.keeper_sub_account,
            close.keeper_reward,
            close.insurance_penalty,
            shortfall,
            execution_cost_atoms=cost,
        )
    )
    breakers: list[Event] = []
    if shortfall:
        vault_flow = close.backstop_fee + liq.funding_paid - change.realised_pnl_atoms - shortfall
        deleverage = Deleverage(command.market, -delta, liq.price_wad, liq.funding_index_wad, liq.key)
        breakers = waterfall(state, liq.pool, shortfall, vault_flow, now, deleverage)
        events.extend(breakers)
    if not any(isinstance(event, PoolStatusChanged) for event in breakers):
        events.extend(_throughput_breaker(liq.pool, closed_notional, now))
    return events
