"""One line per script entry, and the notable events it produced, in human units."""

from __future__ import annotations

from rich.markup import escape

from ringfence.core.commands import SubmitPrice
from ringfence.core.events import Event, OracleDegraded, OracleGuardTripped, OraclePriceAccepted
from ringfence.core.pool.events import InsuranceDrawn, LossSocialised, PoolHalted, PoolStatusChanged, PositionLiquidated
from ringfence.core.state import LedgerState
from ringfence.core.units import format_fixed
from ringfence.service.venue import ScriptStep, StepResult, rejection_message

__all__ = ["describe_step", "event_lines", "result_lines"]

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
    if owner is not None:
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


def event_lines(events: tuple[Event, ...], state: LedgerState) -> list[str]:
    """Return a line for each notable event: liquidations, waterfall steps, breakers, oracle guards."""
    lines: list[str] = []
    for event in events:
        if isinstance(event, PositionLiquidated):
            lines.append(_liquidation(state, event))
        elif isinstance(event, InsuranceDrawn):
            lines.append(f"insurance fund of {event.pool} paid {_quote(state, event.pool, event.amount_atoms)}")
        elif isinstance(event, LossSocialised):
            lines.append(f"LPs of {event.pool} bore {_quote(state, event.pool, event.amount_atoms)} (socialised loss)")
        elif isinstance(event, PoolStatusChanged):
            lines.append(f"pool {event.pool} is now {event.status}: {event.reason}")
        elif isinstance(event, PoolHalted):
            lines.append(f"pool {event.pool} HALTED by {event.command}: {event.cause}")
        elif isinstance(event, OracleGuardTripped):
            lines.append(f"{event.asset} oracle guard held back {format_fixed(event.refused_price_wad, 18)}")
        elif isinstance(event, OracleDegraded):
            lines.append(f"{event.asset} oracle is stale: {event.reason}")
        elif isinstance(event, OraclePriceAccepted) and event.released_guard:
            lines.append(f"{event.asset} guard released: {format_fixed(event.price_wad, 18)} accepted")
    return lines


def result_lines(result: StepResult, state: LedgerState) -> list[str]:
    """Return the rich-markup lines reporting one script entry."""
    head = escape(describe_step(result.step, state))
    if result.error is None:
        return [f"{head}: [green]ok[/green]", *(f"    {escape(line)}" for line in event_lines(result.events, state))]
    return [f"{head}: [red]rejected[/red] at {escape(result.path)}: {escape(rejection_message(result.error))}"]
