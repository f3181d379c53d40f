"""One line per script entry, and the notable events it produced, in human units."""

from __future__ import annotations

from rich.markup import escape

from ringfence.core.commands import SubmitPrice, Transfer
from ringfence.core.events import Event, OracleDegraded, OracleGuardTripped, OraclePriceAccepted, PrincipalRegistered
from ringfence.core.pool.cover_events import CoverClaimPaid
from ringfence.core.pool.events import (
    AutoDeleveraged,
    BackstopAbsorbed,
    InsuranceDrawn,
    LossSocialised,
    PoolHalted,
    PoolStatusChanged,
    PositionLiquidated,
)
from ringfence.core.portfolio.events import (
    PortfolioAuctionEnded,
    PortfolioAuctionStarted,
    PortfolioBid,
    PortfolioBidderCompensated,
)
from ringfence.core.state import LedgerState
from ringfence.core.units import format_fixed
from ringfence.service.venue import ScriptStep, StepResult, rejection_message

__all__ = ["describe_step", "event_lines", "result_lines", "waterfall_lines"]

NS_PER_SECOND = 10**9


def _offset(nanoseconds: int) -> str:
    seconds, rest = divmod(nanoseconds, NS_PER_SECOND)
    minutes, seconds = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    text = (f"{hours}h" if hours else "") + (f"{minutes}m" if minutes else "") + (f"{seconds}s" if seconds else "")
    return "+" + (text or ("0s" if not rest else "")) + (f"{rest}ns" if rest else "")


def describe_step(step: ScriptStep, state: LedgerState) -> str:
    """Return ``command[i] +1m Trade carol/0 eth/ETH-PERP`` (the entry's identity, not its amounts)."""
    head = f"{step.path} {_offset(step.offset_ns)} {step.type_name}"
    if not step.commands:
        return head
    quotes = [c.command for c in step.commands if isinstance(c.command, SubmitPrice)]
    if quotes:
        seen = dict.fromkeys(f"{q.asset} {format_fixed(q.price_wad, 18)}" for q in quotes)
        return f"{head} {', '.join(seen)}"
    command = step.commands[0].command
    parts = []
    owner, sub = getattr(command, "owner", None), getattr(command, "sub_account", 0)
    if isinstance(command, Transfer):  # it names two sub-accounts and no ``sub_account``
        parts.append(f"{command.owner}/{command.from_sub_account} → {command.owner}/{command.to_sub_account}")
    elif owner is not None:
        parts.append(f"{owner}/{sub}")
    pool, market = getattr(command, "pool", None), getattr(command, "market", None)
    if pool is not None:
        parts.append(f"{pool}/{market}" if market else pool)
    asset = getattr(command, "asset", None)
    if asset is not None:
        parts.append(asset)
    return " ".join([head, *parts])


def _quote(state: LedgerState, pool: str, atoms: int) -> str:
    found = state.pools.get(pool)
    if found is None:
        return str(atoms)
    asset = found.params.quote_asset
    return f"{format_fixed(atoms, state.assets[asset].params.decimals)} {asset}"


def _liquidation(state: LedgerState, event: PositionLiquidated) -> str:
    pool = state.pools[event.pool]
    base = pool.markets[event.market].params.base_asset
    size = format_fixed(abs(event.size_delta_atoms), state.assets[base].params.decimals)
    return (
        f"liquidated {event.owner}/{event.sub_account}: {size} {base} of {event.pool}/{event.market} at "
        f"{format_fixed(event.price_wad, 18)}; keeper {event.keeper_owner}/{event.keeper_sub_account} got "
        f"{_quote(state, event.pool, event.keeper_reward_atoms)}, "
        + (
            f"execution cost {_quote(state, event.pool, event.execution_cost_atoms)}, "
            if event.execution_cost_atoms
            else ""
        )
        + (
            f"forfeited {_quote(state, event.pool, event.backstop_forfeit_atoms)} to the LP vault, "
            if event.backstop_forfeit_atoms
            else ""
        )
        + f"shortfall {_quote(state, event.pool, event.shortfall_atoms)}"
    )


_WATERFALL_STEPS = ("insurance", "cover", "backstop", "ADL", "socialised loss")


def _deleveraged(state: LedgerState, event: AutoDeleveraged) -> str:
    base = state.pools[event.pool].markets[event.market].params.base_asset
    size = format_fixed(event.closed_atoms, state.assets[base].params.decimals)
    return (
        f"ADL in {event.pool}/{event.market}: {event.owner}/{event.sub_account} (rank {event.rank}) closed {size} "
        f"{base}, forgoing {_quote(state, event.pool, event.forgone_atoms)} of profit"
    )


def _waterfall_step(event: Event) -> tuple[str, str, int] | None:
    """Return ``(pool, step, amount_atoms)`` for an event that covers a shortfall, else ``None``."""
    if isinstance(event, InsuranceDrawn):
        return event.pool, "insurance", event.amount_atoms
    if isinstance(event, CoverClaimPaid):
        return event.pool, "cover", event.amount_atoms
    if isinstance(event, BackstopAbsorbed):
        return event.pool, "backstop", event.amount_atoms
    if isinstance(event, AutoDeleveraged):
        return event.pool, "ADL", event.forgone_atoms
    if isinstance(event, LossSocialised):
        return event.pool, "socialised loss", event.amount_atoms
    return None


def waterfall_lines(events: tuple[Event, ...], state: LedgerState) -> list[str]:
    """Return, per pool whose shortfall was covered, every waterfall step with its amount (zeros included)."""
    totals: dict[str, dict[str, int]] = {}
    for event in events:
        step = _waterfall_step(event)
        if step is not None:
            pool, name, amount_atoms = step
            by_step = totals.setdefault(pool, dict.fromkeys(_WATERFALL_STEPS, 0))
            by_step[name] += amount_atoms
    return [
        f"waterfall of {pool}: "
        + ", ".join(f"{name} {_quote(state, pool, by_step[name])}" for name in _WATERFALL_STEPS)
        for pool, by_step in totals.items()
    ]


def _pool_line(event: Event, state: LedgerState) -> str | None:
    """Return the line of a liquidation, a waterfall step or a breaker, else ``None``."""
    if isinstance(event, PositionLiquidated):
        return _liquidation(state, event)
    if isinstance(event, InsuranceDrawn):
        return f"insurance fund of {event.pool} paid {_quote(state, event.pool, event.amount_atoms)}"
    if isinstance(event, CoverClaimPaid):
        return (
            f"cover policy {event.policy_id} of {event.pool} paid {_quote(state, event.pool, event.amount_atoms)}"
            f" (deductible retained {_quote(state, event.pool, event.retained_atoms)},"
            f" capital left {_quote(state, event.pool, event.capital_left_atoms)})"
        )
    if isinstance(event, BackstopAbsorbed):
        return f"backstop of {event.pool} absorbed {_quote(state, event.pool, event.amount_atoms)}"
    if isinstance(event, AutoDeleveraged):
        return _deleveraged(state, event)
    if isinstance(event, LossSocialised):
        return f"LPs of {event.pool} bore {_quote(state, event.pool, event.amount_atoms)} (socialised loss)"
    if isinstance(event, PoolStatusChanged):
        return f"pool {event.pool} is now {event.status}: {event.reason}"
    if isinstance(event, PoolHalted):
        return f"pool {event.pool} HALTED by {event.command}: {event.cause}"
    return None


def _usd(value_atoms: int) -> str:
    return format_fixed(value_atoms, 6) + " USD"


def _portfolio_line(event: Event, state: LedgerState) -> str | None:
    """Return the line of a portfolio auction's start, bid, compensation or end, else ``None``."""
    if isinstance(event, PortfolioAuctionStarted):
        kind = "insolvent" if event.insolvent else "solvent"
        return (
            f"portfolio auction of {event.owner}/{event.sub_account} started ({kind}) by {event.keeper_owner}:"
            f" MM equity {_usd(event.maintenance_equity_value)} < requirement"
            f" {_usd(event.maintenance_requirement_value)}, MtM {_usd(event.mark_to_market_value)}"
        )
    if isinstance(event, PortfolioBid):
        decimals = state.assets[event.cash_asset].params.decimals
        paid = f"paid {format_fixed(event.price_atoms, decimals)}"
        if event.price_atoms < 0:
            paid = f"was paid {format_fixed(-event.price_atoms, decimals)}"
        return (
            f"{event.bidder_owner}/{event.bidder_sub_account} took {format_fixed(event.share_wad * 100, 18)}%"
            f" (asked {format_fixed(event.requested_share_wad * 100, 18)}%) of {event.owner}/{event.sub_account}'s"
            f" portfolio and {paid} {event.cash_asset} (discount {format_fixed(event.discount_wad * 100, 18)}%"
            f" of MtM {_usd(event.mark_to_market_value)})"
        )
    if isinstance(event, PortfolioBidderCompensated):
        return (
            f"LP vault of {event.pool} paid {event.bidder_owner}/{event.bidder_sub_account}"
            f" {_quote(state, event.pool, event.amount_atoms)} for {event.owner}/{event.sub_account}'s portfolio"
        )
    if isinstance(event, PortfolioAuctionEnded):
        return f"portfolio auction of {event.owner}/{event.sub_account} ended: {event.reason.value}"
    return None


def _oracle_line(event: Event) -> str | None:
    """Return the line of an oracle guard tripping or releasing, or an oracle going stale, else ``None``."""
    if isinstance(event, OracleGuardTripped):
        return f"{event.asset} oracle guard held back {format_fixed(event.refused_price_wad, 18)}"
    if isinstance(event, OracleDegraded):
        return f"{event.asset} oracle is stale: {event.reason}"
    if isinstance(event, OraclePriceAccepted) and event.released_guard:
        return f"{event.asset} guard released: {format_fixed(event.price_wad, 18)} accepted"
    return None


def _principal_line(event: Event) -> str | None:
    """Return the line of a principal's registration, else ``None``."""
    if isinstance(event, PrincipalRegistered):
        return f"registered principal {event.name} (Ed25519 public key {event.public_key_hex[:16]}…)"
    return None


def event_lines(events: tuple[Event, ...], state: LedgerState) -> list[str]:
    """Return a line per notable event (liquidations, waterfall steps, breakers, oracle guards, registrations).

    Then the waterfall.
    """
    lines = [
        _pool_line(event, state) or _portfolio_line(event, state) or _oracle_line(event) or _principal_line(event)
        for event in events
    ]
    return [line for line in lines if line is not None] + waterfall_lines(events, state)


def result_lines(result: StepResult, state: LedgerState) -> list[str]:
    """Return the rich-markup lines reporting one script entry."""
    head = escape(describe_step(result.step, state))
    if result.error is None:
        return [f"{head}: [green]ok[/green]", *(f"    {escape(line)}" for line in event_lines(result.events, state))]
    return [f"{head}: [red]rejected[/red] at {escape(result.path)}: {escape(rejection_message(result.error))}"]
