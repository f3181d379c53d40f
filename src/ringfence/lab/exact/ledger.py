"""The exact engine in process, without a journal, and the run's tally of what its events say.

A stress run needs the engine's decisions, not durability: commands go through the same
``decide`` and ``evolve`` as the service (one mutation path), straight on a ``LedgerState``.
The :class:`Tally` reads the events of each accepted command and keeps, in atoms, what the
stress metrics need (``docs/stress-model.md``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ringfence.core.commands import Command, Deposit, Withdraw
from ringfence.core.decide import decide
from ringfence.core.events import Event
from ringfence.core.evolve import evolve
from ringfence.core.pool.events import (
    AutoDeleveraged,
    BackstopAbsorbed,
    LiquidationRecorded,
    LossSocialised,
    PositionChanged,
)
from ringfence.core.state import LedgerState

__all__ = ["Ledger", "LiquidationOutcome", "Tally"]


class Ledger:
    """A ``LedgerState`` driven by commands; a rejected command raises and changes nothing.

    ``external_atoms`` keeps each owner's net deposits of each asset (deposits − withdrawals): what
    came into the venue from outside, for the conservation sum (``RunResult.party_pnl_usd``).
    """

    def __init__(self) -> None:
        self.state = LedgerState()
        self.commands = 0
        self.external_atoms: dict[tuple[str, str], int] = {}

    def apply(self, command: Command) -> list[Event]:
        """Decide and apply ``command``; return its events."""
        return self.commit(command, self.decide(command))

    def decide(self, command: Command) -> list[Event]:
        """Return the events ``command`` would record, changing nothing (``decide`` is pure)."""
        return decide(self.state, command)

    def commit(self, command: Command, events: list[Event]) -> list[Event]:
        """Apply the events :meth:`decide` returned for ``command`` (nothing ran in between)."""
        for event in events:
            evolve(self.state, event)
        self.commands += 1
        if isinstance(command, Deposit | Withdraw):
            key = (command.owner, command.asset)
            sign = 1 if isinstance(command, Deposit) else -1
            self.external_atoms[key] = self.external_atoms.get(key, 0) + sign * command.amount_atoms
        return events


@dataclass(frozen=True, slots=True)
class LiquidationOutcome:
    """One liquidation as the engine decided it, in atoms."""

    pool: str
    market: str
    notional_atoms: int
    size_delta_atoms: int
    shortfall_atoms: int
    backstop: bool


def _lp_home(owner: str) -> str | None:
    return owner.removeprefix("lp-") if owner.startswith("lp-") else None


@dataclass(slots=True)
class Tally:
    """Losses by pool, and the share of them borne outside the market they came from (contagion)."""

    bad_debt_atoms: dict[str, int] = field(default_factory=dict)
    lp_loss_atoms: dict[str, int] = field(default_factory=dict)
    adl_loss_atoms: dict[str, int] = field(default_factory=dict)
    contagion_atoms: float = 0.0

    def record(
        self, state: LedgerState, events: list[Event], market_asset: dict[str, str]
    ) -> LiquidationOutcome | None:
        """Account for one liquidation's events (``state`` is after them); return its outcome."""
        outcome: LiquidationOutcome | None = None
        recorded: LiquidationRecorded | None = None
        for event in events:
            if isinstance(event, LiquidationRecorded):
                recorded = event
            elif isinstance(event, PositionChanged) and event.liquidated:
                outcome = LiquidationOutcome(
                    event.pool, event.market, 0, event.size_delta_atoms, event.shortfall_atoms, False
                )
                self._add(self.bad_debt_atoms, event.pool, event.shortfall_atoms)
        if outcome is None or recorded is None:
            return None
        origin = market_asset[outcome.market]
        for event in events:
            if isinstance(event, BackstopAbsorbed | LossSocialised):
                self._add(self.lp_loss_atoms, event.pool, event.amount_atoms)
                self.contagion_atoms += event.amount_atoms * self._foreign_lp_share(state, event.pool, origin)
            elif isinstance(event, AutoDeleveraged):
                self._add(self.adl_loss_atoms, event.pool, event.forgone_atoms)
                if market_asset[event.market] != origin:
                    self.contagion_atoms += event.forgone_atoms
        return LiquidationOutcome(
            outcome.pool,
            outcome.market,
            recorded.notional_atoms,
            outcome.size_delta_atoms,
            outcome.shortfall_atoms,
            recorded.path == "backstop",
        )

    @staticmethod
    def _add(totals: dict[str, int], pool: str, amount: int) -> None:
        totals[pool] = totals.get(pool, 0) + amount

    @staticmethod
    def _foreign_lp_share(state: LedgerState, pool_id: str, origin_asset: str) -> float:
        """Share of the pool's LP shares held by LPs whose home market is not ``origin_asset``."""
        pool = state.pools[pool_id]
        if pool.total_shares == 0:
            return 0.0
        foreign = sum(shares for (owner, _), shares in pool.lp_shares.items() if _lp_home(owner) != origin_asset)
        return foreign / pool.total_shares
