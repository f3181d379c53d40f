"""Where each trader's positions live on a rung, and each margin unit's health in exact integers.

A *unit* is what margin is checked on: a sub-account holding cross positions, or one isolated
position (``docs/stress-model.md``). Health is read from the engine's own margin functions, so
the runner's candidates are exactly the positions the engine would accept to liquidate.
"""

from __future__ import annotations

from dataclasses import dataclass

from ringfence.core.errors import RingfenceError
from ringfence.core.margin import MarginKind, base_price_wad
from ringfence.core.pool.position_margin import isolated_margin, margin_snapshot
from ringfence.core.pool.state import Position
from ringfence.core.state import AccountKey, LedgerState
from ringfence.core.units import WAD, Rounding, mul_div
from ringfence.lab.exact.layout import QUOTE_DECIMALS, Layout

__all__ = ["MarginUnit", "UnitHealth", "unit_health"]


@dataclass(frozen=True, slots=True)
class MarginUnit:
    """A margin unit: its account, its positions ``(pool, market id, market index)``, its owner's trader index.

    ``trader`` is -1 for the attacker's accounts; ``draw`` is the unit's column in the keeper draws.
    """

    key: AccountKey
    positions: tuple[tuple[str, str, int], ...]
    isolated: bool
    trader: int
    draw: int


@dataclass(frozen=True, slots=True)
class UnitHealth:
    """A unit's maintenance equity and requirement, and its open notional at the oracle.

    Equity and requirement share one unit (quote atoms for an isolated position, value atoms for
    a sub-account); the notional is in quote atoms.
    """

    equity_atoms: int
    requirement_atoms: int
    notional_atoms: int

    @property
    def liquidatable(self) -> bool:
        """Below maintenance (the engine's own test: equity under the requirement)."""
        return self.requirement_atoms > 0 and self.equity_atoms < self.requirement_atoms

    @property
    def health(self) -> float:
        """Equity over requirement (infinite with no requirement)."""
        if self.requirement_atoms <= 0:
            return float("inf")
        return self.equity_atoms / self.requirement_atoms


def _notional(state: LedgerState, position: Position, asset: str, now_ns: int) -> int:
    price = base_price_wad(state, asset, now_ns, allow_guarded=True)
    decimals = state.assets[asset].params.decimals
    return mul_div(abs(position.size_atoms), price, WAD * 10 ** (decimals - QUOTE_DECIMALS), Rounding.DOWN)


def open_positions(state: LedgerState, unit: MarginUnit) -> list[tuple[str, str, int, Position]]:
    """Return the unit's positions still open: ``(pool, market id, market index, position)``."""
    found = []
    for pool_id, market_id, index in unit.positions:
        position = state.pools[pool_id].positions.get((unit.key, market_id))
        if position is not None and position.size_atoms != 0:
            found.append((pool_id, market_id, index, position))
    return found


def unit_health(state: LedgerState, unit: MarginUnit, layout: Layout, now_ns: int) -> UnitHealth | None:
    """Return the unit's maintenance margin at the oracle, or ``None`` when no price is usable (stale oracle)."""
    positions = open_positions(state, unit)
    if not positions:
        return UnitHealth(0, 0, 0)
    try:
        notional = sum(_notional(state, p, layout.assets[i], now_ns) for _, _, i, p in positions)
        if unit.isolated:
            pool_id, market_id, index, position = positions[0]
            price = base_price_wad(state, layout.assets[index], now_ns, allow_guarded=True)
            snapshot = isolated_margin(state, state.pools[pool_id], market_id, position, MarginKind.MAINTENANCE, price)
            return UnitHealth(snapshot.equity_atoms, snapshot.requirement_atoms, notional)
        snapshot = margin_snapshot(state, unit.key, MarginKind.MAINTENANCE, now_ns, allow_guarded=True)
    except RingfenceError:
        return None
    return UnitHealth(snapshot.equity_atoms, snapshot.requirement_atoms, notional)
