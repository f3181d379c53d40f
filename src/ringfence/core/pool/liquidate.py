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
pool: the insurance fund (capped per window) → insurance cover the pool bought, up to each
policy's capital after its deductible (``core/pool/cover.py``) → the LP vault's backstop budget (capped per
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

Auto-deleveraging closes profitable opposing positions of *other owners* only: every
sub-account of the liquidated owner is left out (deleveraging it would be a trade of the owner
with itself at the price its own bankruptcy set). A cross sub-account with no position left
whose debt to the pool its collateral no longer backs at maintenance is settled by a keeper's
``Liquidate``: the uncovered part is a recorded shortfall down the same waterfall.

Every rounded formula of the decision (sizing, penalty, toxic check, pacing, settlement,
execution cost, the waterfall's amounts and breakers, the windows) is in
:mod:`ringfence.core.liquidation`, where the conformance tests certify it; this module reads
the ledger, calls those functions and writes the events.

Breakers: LP losses past the pool's NAV-drawdown limit in a window, or liquidated notional
past its throughput limit in a window, turn the pool reduce-only (liquidations go on).
Degraded-oracle rule: liquidation runs at the last accepted price while the oracle is guarded
(a jump held back), and is refused while it is stale (no trustworthy price).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TypedDict

from ringfence.core.errors import CommandRejected, InvalidParameter, NotPortfolioMargined, UnknownEntity
from ringfence.core.events import Event
from ringfence.core.liquidation.cover import claim_cover
from ringfence.core.liquidation.fillable_price import dydx_fillable_gap_wad
from ringfence.core.liquidation.kinds import LiquidationReason
from ringfence.core.liquidation.perpetual import (
    CloseSettlement,
    PositionRisk,
    backstop_close,
    backstop_reason,
    charge_execution_cost,
    closed_notional_atoms,
    execution_cost_atoms,
    execution_gap_bound_wad,
    health_lowered,
    keeper_close,
    paced_size_atoms,
    value_to_quote_atoms,
)
from ringfence.core.liquidation.waterfall import (
    AdlScore,
    adl_forgone_atoms,
    adl_score,
    nav_drawdown_excess,
    split_shortfall,
    throughput_excess,
)
from ringfence.core.liquidation.waterfall import insurance_room_atoms as _insurance_room
from ringfence.core.margin import Denomination, MarginKind, MarginSnapshot, base_price_wad
from ringfence.core.pool.commands import Liquidate
from ringfence.core.pool.cover import cover_claim_events, cover_layers
from ringfence.core.pool.credit_lines import credit_line_waterfall
from ringfence.core.pool.decide import SizeChange, accrue_funding, pool_of, quote_balance, resize
from ringfence.core.pool.events import (
    AutoDeleveraged,
    BackstopAbsorbed,
    FundingAccrued,
    InsuranceDrawn,
    LiquidationRecorded,
    LossSocialised,
    PoolStatusChanged,
    PositionDeleveraged,
    PositionLiquidated,
)
from ringfence.core.pool.liquidation_policy import close_size_atoms, penalty_rate_wad, phase_after
from ringfence.core.pool.perp_math import funding_owed_atoms, signed_notional_atoms, unrealised_pnl_atoms
from ringfence.core.pool.position_margin import isolated_margin, margin_snapshot, position_terms
from ringfence.core.pool.state import MarginMode, PoolState, PoolStatus, Position
from ringfence.core.state import AccountKey, LedgerState
from ringfence.core.units import Rounding
from ringfence.core.validation import check_account

__all__ = ["Deleverage", "backstop_room_atoms", "decide_liquidate", "insurance_room_atoms", "waterfall"]


def insurance_room_atoms(pool: PoolState, now_ns: int) -> int:
    """Return what the insurance fund may still pay in the current window."""
    params = pool.params
    window = pool.insurance_window
    return _insurance_room(
        window, now_ns, params.insurance_window_ns, params.insurance_draw_cap_atoms, pool.insurance_atoms
    )


def backstop_room_atoms(pool: PoolState, now_ns: int) -> int:
    """Return what the LP vault's backstop budget may still absorb in the current window."""
    policy = pool.params.liquidation
    return pool.backstop_window.room(now_ns, policy.window_ns, policy.backstop_loss_cap_atoms)


def _health(
    state: LedgerState, pool: PoolState, command: Liquidate, position: Position, price_wad: int
) -> MarginSnapshot:
    if position.mode is MarginMode.ISOLATED:
        return isolated_margin(
            state, pool, command.market, position, MarginKind.MAINTENANCE, price_wad, now_ns=command.timestamp_ns
        )
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
    _, own_requirement = position_terms(
        state, pool, command.market, position, MarginKind.MAINTENANCE, price, now_ns=command.timestamp_ns
    )
    if health.denomination is Denomination.QUOTE:
        equity, requirement = health.equity_atoms, health.requirement_atoms
    else:
        equity = value_to_quote_atoms(health.equity_atoms, quote_dec, Rounding.DOWN)
        requirement = value_to_quote_atoms(health.requirement_atoms, quote_dec, Rounding.UP)
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
    if after.equity_atoms >= 0:
        return 0
    uncovered = value_to_quote_atoms(-after.equity_atoms, state.assets[quote].params.decimals, Rounding.UP)
    return min(uncovered, -side_after)


@dataclass(frozen=True, slots=True)
class Deleverage:
    """What auto-deleveraging needs to know about the bankrupt position."""

    market: str
    closed_size_atoms: int
    """Signed size of the bankrupt position that was closed (long > 0)."""
    price_wad: int
    funding_index_wad: int
    excluded_owner: str
    """The liquidated account's owner: none of its sub-accounts is deleveraged (no self-trade)."""


def waterfall(
    state: LedgerState,
    pool: PoolState,
    shortfall: int,
    vault_flow: int,
    now_ns: int,
    deleverage: Deleverage | None = None,
) -> list[Event]:
    """Return the in-pool waterfall's events for a ``shortfall`` (quote atoms an account could not pay).

    Insurance fund (capped per window) → insurance cover in force (after each policy's deductible,
    up to its capital: :func:`~ringfence.core.liquidation.cover.claim_cover`; the fund pays first, so
    the policies see ``shortfall − draw`` and the fund's draw is unchanged by them) → LP vault backstop
    budget (capped per window) →
    auto-deleveraging in ``deleverage.market`` (if the policy allows and a market is given) →
    loss socialised to the pool's LPs → its credit lines' lenders, senior to its LPs, only for
    what the LPs' capital could not bear (a negative vault is drawn, then the lines are written
    down to the vault's cash; ``core/pool/credit_lines.py``). ``vault_flow`` is the net flow into the LP vault of the
    command that left the shortfall: a new loss window takes as its reference the vault after
    this command settled (the value ``evolve`` sees when it opens the window).
    """
    events: list[Event] = []
    insurance_room = insurance_room_atoms(pool, now_ns)
    claims = claim_cover(shortfall - min(shortfall, insurance_room), cover_layers(pool, now_ns))
    covered = sum(claim.paid_atoms for claim in claims)
    draw, absorbed, remaining = split_shortfall(shortfall - covered, insurance_room, backstop_room_atoms(pool, now_ns))
    if draw:
        events.append(InsuranceDrawn(pool=pool.pool, amount_atoms=draw, shortfall_atoms=shortfall, timestamp_ns=now_ns))
    events.extend(cover_claim_events(pool, claims, now_ns))
    vault_after = pool.vault_atoms + vault_flow + draw + covered
    lp_loss = absorbed
    if absorbed:
        events.append(BackstopAbsorbed(pool=pool.pool, amount_atoms=absorbed, timestamp_ns=now_ns))
    if remaining and deleverage is not None and pool.params.liquidation.auto_deleverage:
        adl_events, recovered, adl_vault_flow = _auto_deleverage(state, pool, remaining, deleverage, now_ns)
        events.extend(adl_events)
        remaining -= recovered
        vault_after += adl_vault_flow
    if remaining:
        events.append(LossSocialised(pool=pool.pool, amount_atoms=remaining, timestamp_ns=now_ns))
        lp_loss += remaining
    if lp_loss:
        events.extend(_nav_breaker(pool, lp_loss, vault_after, now_ns))
    events.extend(credit_line_waterfall(state, pool, vault_after, now_ns))
    return events


def _nav_breaker(pool: PoolState, lp_loss: int, vault_after: int, now_ns: int) -> list[Event]:
    params = pool.params
    excess = nav_drawdown_excess(
        pool.loss_window, now_ns, params.insurance_window_ns, lp_loss, vault_after, params.nav_drawdown_limit_wad
    )
    if excess is not None and pool.status is PoolStatus.ACTIVE:
        lost, limit = excess
        reason = f"NAV drawdown: LP loss {lost} in the window exceeds {limit} quote atoms"
        return [
            PoolStatusChanged(pool=pool.pool, status=PoolStatus.REDUCE_ONLY.value, reason=reason, timestamp_ns=now_ns)
        ]
    return []


def _adl_candidates(state: LedgerState, pool: PoolState, deleverage: Deleverage, now_ns: int) -> list[_Candidate]:
    """Return profitable opposing positions of other owners ranked by ``PnL% × leverage`` (highest first).

    Score :func:`~ringfence.core.liquidation.waterfall.adl_score`, with ``margin`` the isolated
    vault or the cross sub-account's maintenance equity; ties broken by account key. Every
    sub-account of the liquidated owner is left out: deleveraging it would be a trade of the
    owner with itself at the price its own bankruptcy set.
    """
    market = pool.markets[deleverage.market]
    base_dec = state.assets[market.params.base_asset].params.decimals
    quote_dec = state.assets[pool.params.quote_asset].params.decimals
    ranked = []
    for (key, market_id), position in pool.positions.items():
        if market_id != deleverage.market or key[0] == deleverage.excluded_owner:
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
            margin = value_to_quote_atoms(snapshot.equity_atoms, quote_dec, Rounding.DOWN)
        if margin <= 0:
            continue
        notional = abs(signed_notional_atoms(position.size_atoms, deleverage.price_wad, base_dec, quote_dec))
        ranked.append(_Candidate(adl_score(pnl, notional, margin), key, position))
    ranked.sort(key=lambda item: (-item.score, item.key))
    return ranked


@dataclass(frozen=True, slots=True)
class _Candidate:
    score: AdlScore
    key: AccountKey
    position: Position


def _auto_deleverage(
    state: LedgerState, pool: PoolState, shortfall: int, deleverage: Deleverage, now_ns: int
) -> tuple[list[Event], int, int]:
    """Close opposing profitable positions at the bankruptcy price until the shortfall is covered.

    Each gives up :func:`~ringfence.core.liquidation.waterfall.adl_forgone_atoms`. Returns the
    events, the amount recovered and the net flow into the LP vault.
    """
    market = pool.markets[deleverage.market]
    base_dec = state.assets[market.params.base_asset].params.decimals
    quote_dec = state.assets[pool.params.quote_asset].params.decimals
    events: list[Event] = []
    remaining, size_left, recovered, vault_flow = shortfall, abs(deleverage.closed_size_atoms), 0, 0
    for rank, candidate in enumerate(_adl_candidates(state, pool, deleverage, now_ns), start=1):
        if remaining == 0 or size_left == 0:
            break
        key, position = candidate.key, candidate.position
        closed = min(abs(position.size_atoms), size_left)
        delta = -closed if position.size_atoms > 0 else closed
        change = resize(
            position.size_atoms, position.open_notional_atoms, delta, deleverage.price_wad, base_dec, quote_dec
        )
        funding_paid = funding_owed_atoms(position, deleverage.funding_index_wad, base_dec)
        isolated = position.mode is MarginMode.ISOLATED
        vault_before = position.isolated_margin_atoms - funding_paid + change.realised_pnl_atoms if isolated else None
        forgone = adl_forgone_atoms(remaining, closed, size_left, change.realised_pnl_atoms, vault_before)
        released = vault_before - forgone if vault_before is not None and change.new_size_atoms == 0 else 0
        realised = change.realised_pnl_atoms - forgone
        size_left -= closed
        if forgone == 0:
            continue
        remaining -= forgone
        recovered += forgone
        vault_flow += funding_paid - realised
        move = (delta, deleverage.price_wad, change, deleverage.funding_index_wad)
        paid = _Paid(released=released, funding_paid=funding_paid)
        events.append(_deleveraged(key, pool.pool, deleverage.market, position.mode, move, realised, paid))
        events.append(
            AutoDeleveraged(
                pool=pool.pool,
                market=deleverage.market,
                owner=key[0],
                sub_account=key[1],
                closed_atoms=closed,
                forgone_atoms=forgone,
                rank=rank,
                timestamp_ns=now_ns,
            )
        )
    return events, recovered, vault_flow


@dataclass(frozen=True, slots=True)
class _Paid:
    """The amounts of one position change made by a liquidation or a deleveraging (quote atoms)."""

    released: int = 0
    forfeited: int = 0
    """Equity the account forfeits to the LP vault (backstop path)."""
    funding_paid: int = 0
    keeper_reward: int = 0
    insurance_penalty: int = 0
    shortfall: int = 0
    execution_cost: int = 0


class _MoveFields(TypedDict):
    """The fields every position event shares (:class:`~ringfence.core.pool.events.PositionMove`)."""

    owner: str
    sub_account: int
    pool: str
    market: str
    mode: MarginMode
    size_delta_atoms: int
    price_wad: int
    new_size_atoms: int
    new_open_notional_atoms: int
    funding_index_wad: int
    margin_released_atoms: int
    funding_paid_atoms: int
    realised_pnl_atoms: int


def _move_fields(
    key: AccountKey,
    pool: str,
    market: str,
    mode: MarginMode,
    move: tuple[int, int, SizeChange, int],
    realised: int,
    paid: _Paid,
) -> _MoveFields:
    """Return a position change's shared fields; ``move`` is ``(size delta, price, change, funding index)``."""
    delta, price, change, index = move
    return _MoveFields(
        owner=key[0],
        sub_account=key[1],
        pool=pool,
        market=market,
        mode=mode,
        size_delta_atoms=delta,
        price_wad=price,
        new_size_atoms=change.new_size_atoms,
        new_open_notional_atoms=change.new_open_notional_atoms,
        funding_index_wad=index,
        margin_released_atoms=paid.released,
        funding_paid_atoms=paid.funding_paid,
        realised_pnl_atoms=realised,
    )


def _liquidated_event(
    key: AccountKey,
    pool: str,
    market: str,
    mode: MarginMode,
    move: tuple[int, int, SizeChange, int],
    realised: int,
    keeper: AccountKey,
    paid: _Paid,
) -> PositionLiquidated:
    """Return a liquidation's position change (``move`` as in :func:`_move_fields`)."""
    return PositionLiquidated(
        **_move_fields(key, pool, market, mode, move, realised, paid),
        keeper_owner=keeper[0],
        keeper_sub_account=keeper[1],
        keeper_reward_atoms=paid.keeper_reward,
        insurance_penalty_atoms=paid.insurance_penalty,
        backstop_forfeit_atoms=paid.forfeited,
        shortfall_atoms=paid.shortfall,
        execution_cost_atoms=paid.execution_cost,
    )


def _deleveraged(
    key: AccountKey,
    pool: str,
    market: str,
    mode: MarginMode,
    move: tuple[int, int, SizeChange, int],
    realised: int,
    paid: _Paid,
) -> PositionDeleveraged:
    """Return a deleveraged position's change (``move`` as in :func:`_move_fields`)."""
    return PositionDeleveraged(**_move_fields(key, pool, market, mode, move, realised, paid))


@dataclass(frozen=True, slots=True)
class _Close:
    """One liquidation close: its size, the position change at the oracle, and what it pays."""

    size_atoms: int
    change: SizeChange
    paid: CloseSettlement

    @property
    def after(self) -> int:
        """Return the margin side (isolated vault or quote balance) after everything was paid."""
        return self.paid.after


def _resized(liq: _Verified, size: int) -> SizeChange:
    position = liq.position
    delta = -size if position.size_atoms > 0 else size
    return resize(position.size_atoms, position.open_notional_atoms, delta, liq.price_wad, *liq.decimals)


def _keeper_close(liq: _Verified, size: int, available: int, rate: int) -> _Close:
    change = _resized(liq, size)
    notional = -signed_notional_atoms(-size, liq.price_wad, *liq.decimals)
    share = liq.pool.params.liquidator_share_wad
    return _Close(size, change, keeper_close(available, change.realised_pnl_atoms, notional, rate, share))


def _backstop_close(liq: _Verified, available: int, cap: int) -> _Close:
    size = abs(liq.position.size_atoms)
    change = _resized(liq, size)
    return _Close(size, change, backstop_close(available, change.realised_pnl_atoms, cap))


def _paced(pool: PoolState, close: int, risk: PositionRisk, now_ns: int) -> int:
    """Trim a keeper close to the window's room, then free it of dust (:func:`paced_size_atoms`)."""
    policy = pool.params.liquidation
    window = pool.liquidation_window
    room = window.room(now_ns, policy.window_ns, policy.max_liquidated_atoms_per_window)
    paced = paced_size_atoms(risk, close, room, policy.dust_atoms)
    if paced == 0:
        used = window.used(now_ns, policy.window_ns)
        resume = window.start_ns + policy.window_ns
        raise CommandRejected(
            f"pool {pool.pool} has liquidated {used} of its {policy.max_liquidated_atoms_per_window} quote atoms "
            f"per window; keeper liquidations resume at {resume} ns"
        )
    return paced


def _throughput_breaker(pool: PoolState, notional: int, now_ns: int) -> list[Event]:
    policy = pool.params.liquidation
    total = throughput_excess(
        pool.liquidation_window, now_ns, policy.window_ns, notional, policy.throughput_breaker_atoms
    )
    if total is not None and pool.status is PoolStatus.ACTIVE:
        reason = f"liquidation throughput: {total} quote atoms in the window exceeds {policy.throughput_breaker_atoms}"
        return [
            PoolStatusChanged(pool=pool.pool, status=PoolStatus.REDUCE_ONLY.value, reason=reason, timestamp_ns=now_ns)
        ]
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
    # the keeper is another owner: ringfence.core.authority refused an owner liquidating its own account
    check_account("keeper_owner", command.keeper_owner, "keeper_sub_account", command.keeper_sub_account)
    position = pool.positions.get((key, command.market))
    if position is None:
        raise UnknownEntity("position", f"{command.owner}/{command.sub_account} in {command.pool}/{command.market}")
    if position.mode is MarginMode.PORTFOLIO:
        raise NotPortfolioMargined(
            f"{command.owner}/{command.sub_account}",
            "be liquidated position by position",
            "its portfolio is liquidated as a whole: send StartPortfolioAuction",
        )
    market = pool.markets[command.market]
    price = base_price_wad(state, market.params.base_asset, command.timestamp_ns, allow_guarded=True)
    health = _health(state, pool, command, position, price)
    if health.is_healthy:
        raise CommandRejected(
            f"{command.owner}/{command.sub_account} is not liquidatable: maintenance equity "
            f"{health.equity_atoms} covers its requirement {health.requirement_atoms}"
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


_Why = tuple[LiquidationReason, str]
"""Why the backstop path was taken, and the numbers behind it for a human."""


def _choose_close(state: LedgerState, liq: _Verified, now_ns: int) -> tuple[_Close, int, _Why | None]:
    """Return the close, the penalty rate it charged and, for the backstop path, why it was taken."""
    pool, risk = liq.pool, liq.risk
    policy = pool.params.liquidation
    available = liq.side - liq.funding_paid
    penalty = penalty_rate_wad(policy, pool.params.liquidation_penalty_wad, risk)
    reason = backstop_reason(risk, penalty, policy.backstop_health_wad)
    if reason is None:
        mark = pool.liquidation_marks.get((liq.key, liq.market))
        phase = pool.liquidation_phases.get((liq.key, liq.market))
        wanted = close_size_atoms(policy, pool.params.close_factor_wad, risk, penalty, now_ns, mark, phase)
        size = _paced(pool, wanted, risk, now_ns)
        close = _keeper_close(liq, size, available, penalty)
        if close.after < 0:
            reason = LiquidationReason.BANKRUPT_AFTER_CLOSE, f"bankrupt after the close: margin {close.after}"
        elif not _lowers_health(state, liq, close, now_ns):
            return close, penalty, None
        elif size < wanted:
            raise CommandRejected(
                f"the close of {size} base atoms left by pool {pool.pool}'s pacing room would lower "
                f"{liq.key[0]}/{liq.key[1]}'s health by rounding; keeper liquidations resume with the next window"
            )
        else:
            detail = "a keeper close would lower health (rounding against the account)"
            reason = LiquidationReason.CLOSE_LOWERS_HEALTH, detail
    return _backstop_close(liq, available, risk.position_requirement_atoms), 0, reason


def _lowers_health(state: LedgerState, liq: _Verified, close: _Close, now_ns: int) -> bool:
    """Return whether a keeper close, with every rounding it takes, leaves maintenance health lower (SPEC §2.9).

    The exact-rate toxic test (:func:`~ringfence.core.liquidation.perpetual.is_toxic`) cannot see
    a tiny close whose penalty rounds up and whose PnL rounds down while its requirement does not
    move. This recomputes the margin after the close in integers, funding counted as ``_verify``
    counted it (to the market's last accrual), and compares ``E'/R'`` with ``E/R`` by
    :func:`~ringfence.core.liquidation.incentive.liquidation_lowers_health`'s cross-multiplication.
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
        after = isolated_margin(state, pool, liq.market, moved, MarginKind.MAINTENANCE, liq.price_wad, now_ns=now_ns)
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
    return health_lowered(before.equity_atoms, before.requirement_atoms, after.equity_atoms, after.requirement_atoms)


def _shortfall(state: LedgerState, liq: _Verified, command: Liquidate, close: _Close) -> int:
    """Return the loss the account cannot pay: a negative vault, or a cross debt its collateral does not back."""
    after = close.after
    if liq.position.mode is MarginMode.ISOLATED:
        return max(-after, 0)
    closed_whole = close.change.new_size_atoms == 0
    return _cross_shortfall(state, liq.pool, command, after, after - liq.side, closed_whole)


def _execution_bound(liq: _Verified) -> int:
    """Return how far below (a sale) or above (a purchase) the oracle the execution price may lie.

    A fixed share of the oracle (``max_execution_gap_wad``), or dYdX's bankruptcy-adjusted
    fillable price when the policy sets ``bankruptcy_adjustment_ppm``
    (:func:`~ringfence.core.liquidation.fillable_price.dydx_fillable_gap_wad`).
    """
    policy, risk = liq.pool.params.liquidation, liq.risk
    if policy.bankruptcy_adjustment_ppm:
        requirements = (risk.position_requirement_atoms, risk.equity_atoms, risk.requirement_atoms)
        config = (policy.bankruptcy_adjustment_ppm, policy.spread_to_maintenance_ppm)
        return dydx_fillable_gap_wad(liq.price_wad, liq.position.size_atoms, liq.decimals, requirements, config)
    return execution_gap_bound_wad(liq.price_wad, policy.max_execution_gap_wad)


def decide_liquidate(state: LedgerState, command: Liquidate) -> list[Event]:
    """Verify a liquidation, choose its path, size, price and settle it, then run the waterfall.

    A cross sub-account that holds no position any more but still owes the pool a debt its
    collateral no longer backs at maintenance (the collateral's price fell after its last
    position was closed) is settled by :func:`_settle_uncovered_debt`: the uncovered part is a
    shortfall, recorded and sent down the waterfall (SPEC §2.9: bad debt is explicit).
    """
    pool = pool_of(state, command.pool)
    key = (command.owner, command.sub_account)
    if (key, command.market) not in pool.positions and state.cross_pool.get(key) == pool.pool:
        return _settle_uncovered_debt(state, command, pool)
    liq = _verify(state, command)
    now = command.timestamp_ns
    close, penalty, reason = _choose_close(state, liq, now)
    position = liq.position
    bound = _execution_bound(liq)
    price, is_long = command.execution_price_wad, position.size_atoms > 0
    cost = execution_cost_atoms(close.size_atoms, liq.price_wad, price, is_long, bound, liq.decimals)
    share = liq.pool.params.liquidator_share_wad
    close = _Close(close.size_atoms, close.change, charge_execution_cost(close.paid, cost, reason is None, share))
    change = close.change
    shortfall = _shortfall(state, liq, command, close)
    released = close.after + shortfall if position.mode is MarginMode.ISOLATED and change.new_size_atoms == 0 else 0
    delta = -close.size_atoms if position.size_atoms > 0 else close.size_atoms
    closed_notional = closed_notional_atoms(liq.risk, close.size_atoms)
    paid_total = close.paid.keeper_reward + close.paid.insurance_penalty + cost
    keeper_open = reason is None and change.new_size_atoms != 0
    phase = liq.pool.liquidation_phases.get((liq.key, liq.market))
    phase = phase_after(liq.pool.params.liquidation, liq.risk, phase, (close.size_atoms, paid_total), keeper_open, now)
    events: list[Event] = [liq.funding] if liq.funding else []
    price = liq.price_wad if command.execution_price_wad is None else command.execution_price_wad
    record = _recorded(command, reason, liq.risk.health_wad(), penalty, close, closed_notional, price)
    if phase is not None:
        record = replace(
            record,
            phase_open=True,
            phase_started_ns=phase.started_ns,
            phase_margin_freed_atoms=phase.margin_freed_atoms,
        )
    events.append(record)
    events.append(_liquidated(command, liq, close, delta, released, shortfall))
    breakers: list[Event] = []
    if shortfall:
        paid = close.paid
        vault_flow = paid.backstop_fee + liq.funding_paid - change.realised_pnl_atoms - shortfall
        deleverage = Deleverage(command.market, -delta, liq.price_wad, liq.funding_index_wad, command.owner)
        breakers = waterfall(state, liq.pool, shortfall, vault_flow, now, deleverage)
        events.extend(breakers)
    if not any(isinstance(event, PoolStatusChanged) for event in breakers):
        events.extend(_throughput_breaker(liq.pool, closed_notional, now))
    return events


def _settle_uncovered_debt(state: LedgerState, command: Liquidate, pool: PoolState) -> list[Event]:
    """Record as a shortfall the part of a position-less cross debt its collateral no longer backs.

    Accepted when the sub-account is bound to this pool by a debt (a negative quote balance
    left by its cross positions), holds no cross position here, has no live collateral auction
    (which settles the debt itself), and its maintenance equity is negative. The shortfall is
    ``min(⌈−equity⌉, debt)`` in quote atoms: what is left of the debt is exactly backed at
    maintenance and stays for a collateral auction or a repayment.
    """
    key = check_account("owner", command.owner, "sub_account", command.sub_account)
    keeper = check_account("keeper_owner", command.keeper_owner, "keeper_sub_account", command.keeper_sub_account)
    if keeper == key:
        raise InvalidParameter("keeper_owner", command.keeper_owner, "a keeper other than the liquidated account")
    missing = UnknownEntity("position", f"{command.owner}/{command.sub_account} in {command.pool}/{command.market}")
    quote = pool.params.quote_asset
    debt = -quote_balance(state, key, quote)
    auctioned = any((a.owner, a.sub_account) == key for a in pool.auctions.values())
    if command.market not in pool.markets or pool.has_cross_position(key) or debt <= 0 or auctioned:
        raise missing
    if pool.status is PoolStatus.HALTED:
        raise CommandRejected(f"pool {pool.pool} is halted ({pool.status_reason}); governance must resume it")
    now = command.timestamp_ns
    health = margin_snapshot(state, key, MarginKind.MAINTENANCE, now, allow_guarded=True)
    if health.equity_atoms >= 0:
        raise CommandRejected(
            f"{command.owner}/{command.sub_account} holds no position in {command.pool}/{command.market} and its "
            f"debt of {debt} quote atoms is backed: maintenance equity {health.equity_atoms}"
        )
    uncovered = value_to_quote_atoms(-health.equity_atoms, state.assets[quote].params.decimals, Rounding.UP)
    shortfall = min(uncovered, debt)
    reason = (
        LiquidationReason.DEBT_UNCOVERED,
        f"debt uncovered: maintenance equity {health.equity_atoms} with no position left",
    )
    settled = _Close(0, SizeChange(0, 0, 0), CloseSettlement(0, 0, 0, -debt))
    market = pool.markets[command.market]
    events: list[Event] = [_recorded(command, reason, 0, 0, settled, 0, 0)]
    move = (0, 0, SizeChange(0, 0, 0), market.funding_index_wad)
    keeper_key = (command.keeper_owner, command.keeper_sub_account)
    paid = _Paid(shortfall=shortfall)
    events.append(_liquidated_event(key, pool.pool, command.market, MarginMode.CROSS, move, 0, keeper_key, paid))
    events.extend(waterfall(state, pool, shortfall, -shortfall, now))
    return events


def _recorded(
    command: Liquidate, reason: _Why | None, health_wad: int, penalty: int, close: _Close, notional: int, price: int
) -> LiquidationRecorded:
    """Return the record of one liquidation (keeper path when ``reason`` is None)."""
    why, detail = reason or (LiquidationReason.BELOW_MAINTENANCE, "")
    return LiquidationRecorded(
        pool=command.pool,
        market=command.market,
        owner=command.owner,
        sub_account=command.sub_account,
        path=why.path,
        reason=why,
        detail=detail,
        health_wad=health_wad,
        penalty_wad=penalty,
        closed_atoms=close.size_atoms,
        notional_atoms=notional,
        partial=close.change.new_size_atoms != 0,
        timestamp_ns=command.timestamp_ns,
        execution_price_wad=price,
        execution_cost_atoms=close.paid.execution_cost,
    )


def _liquidated(
    command: Liquidate, liq: _Verified, close: _Close, delta: int, released: int, shortfall: int
) -> PositionLiquidated:
    """Return the position change of a liquidation close."""
    change, settled = close.change, close.paid
    paid = _Paid(
        released,
        settled.backstop_fee,
        liq.funding_paid,
        settled.keeper_reward,
        settled.insurance_penalty,
        shortfall,
        settled.execution_cost,
    )
    keeper = (command.keeper_owner, command.keeper_sub_account)
    move = (delta, liq.price_wad, change, liq.funding_index_wad)
    mode = liq.position.mode
    return _liquidated_event(liq.key, command.pool, command.market, mode, move, change.realised_pnl_atoms, keeper, paid)
