"""The exact engine in process, without a journal, and the run's tally of what its events say.

A stress run needs the engine's decisions, not durability: commands go through the same
:func:`~ringfence.core.apply.apply` as the service (one mutation path), straight on a ``LedgerState``.
The :class:`Tally` reads the events of each accepted command and keeps, in atoms, what the
stress metrics need (``docs/stress-model.md``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from ringfence.core.apply import apply
from ringfence.core.commands import Command, Deposit, Withdraw
from ringfence.core.decide import decide
from ringfence.core.events import Event
from ringfence.core.evolve import evolve_all
from ringfence.core.liquidation.kinds import LiquidationPath
from ringfence.core.pool.credit_line_events import CreditLineDrawn
from ringfence.core.pool.events import (
    AutoDeleveraged,
    BackstopAbsorbed,
    LiquidationRecorded,
    LossSocialised,
    PositionLiquidated,
)
from ringfence.core.pool.perp_math import unrealised_pnl_atoms
from ringfence.core.pool.state import PoolState
from ringfence.core.state import LedgerState
from ringfence.lab.exact.layout import BASE_DECIMALS, QUOTE_DECIMALS, QUOTE_UNIT, option_market_label
from ringfence.lab.vector.attribution import attribute_marks, defaulted_markets, lp_contagion

__all__ = ["Ledger", "LiquidationOutcome", "Tally", "VaultMarks"]

FloatArray = NDArray[np.float64]


class Ledger:
    """A ``LedgerState`` driven by commands; a rejected command raises and changes nothing.

    ``vault_flow_atoms[(pool, market)]`` sums the change of the pool's LP vault made by every
    command that names a market (trades, liquidations, margin moves): fees, realised PnL,
    shortfall absorbed, insurance drawn, backstop fees; LP deposits and redemptions name none.
    A command on an option series counts under ``(pool, <underlying>-OPTIONS)`` (premiums,
    fees, buy-backs, settlements: :mod:`ringfence.lab.exact.options`).

    ``external_atoms`` keeps each owner's net deposits of each asset (deposits − withdrawals): what
    came into the venue from outside, for the conservation sum (``RunResult.party_pnl_usd``).

    ``drawn_atoms[pool]`` sums what the pool drew on its credit lines (``CreditLineDrawn``).
    """

    def __init__(self) -> None:
        self.state = LedgerState()
        self.commands = 0
        self.vault_flow_atoms: dict[tuple[str, str], int] = {}
        self.external_atoms: dict[tuple[str, str], int] = {}
        self.drawn_atoms: dict[str, int] = {}

    def apply(self, command: Command, sender: str) -> list[Event]:
        """Decide and apply ``command`` from ``sender`` (:func:`ringfence.core.apply.apply`); return its events."""
        pool = self._pool_of(command)
        vault_before = pool.vault_atoms if pool is not None else 0
        events = apply(self.state, command, sender)
        self._count(command, pool, vault_before)
        self._count_draws(events)
        return events

    def decide(self, command: Command, sender: str) -> list[Event]:
        """Return the events ``command`` from ``sender`` would record, changing nothing (``decide`` is pure)."""
        return decide(self.state, command, sender)

    def commit(self, command: Command, events: list[Event]) -> list[Event]:
        """Apply the events :meth:`decide` returned for ``command`` (nothing ran in between)."""
        pool = self._pool_of(command)
        vault_before = pool.vault_atoms if pool is not None else 0
        evolve_all(self.state, events)
        self._count(command, pool, vault_before)
        self._count_draws(events)
        return events

    def _count_draws(self, events: list[Event]) -> None:
        for event in events:
            if isinstance(event, CreditLineDrawn):
                pool = event.borrower_pool
                self.drawn_atoms[pool] = self.drawn_atoms.get(pool, 0) + event.amount_atoms

    def _pool_of(self, command: Command) -> PoolState | None:
        pool_id = getattr(command, "pool", None)
        return self.state.pools.get(pool_id) if isinstance(pool_id, str) else None

    def _count(self, command: Command, pool: PoolState | None, vault_before: int) -> None:
        """Count an applied command: the vault flow of the market it names (``pool`` found before), and deposits."""
        pool_id, market = getattr(command, "pool", None), getattr(command, "market", None)
        series_id = getattr(command, "series", None)
        if market is None and pool is not None and isinstance(series_id, str) and series_id in pool.series:
            market = option_market_label(pool.series[series_id].params.underlying)  # series commands
        self.commands += 1
        if pool is not None and isinstance(pool_id, str) and isinstance(market, str):
            key = (pool_id, market)
            self.vault_flow_atoms[key] = self.vault_flow_atoms.get(key, 0) + pool.vault_atoms - vault_before
        if isinstance(command, Deposit | Withdraw):
            key = (command.owner, command.asset)
            sign = 1 if isinstance(command, Deposit) else -1
            self.external_atoms[key] = self.external_atoms.get(key, 0) + sign * command.amount_atoms


@dataclass(frozen=True, slots=True)
class LiquidationOutcome:
    """One liquidation as the engine decided it, in atoms."""

    pool: str
    market: str
    notional_atoms: int
    size_delta_atoms: int
    shortfall_atoms: int
    backstop: bool


@dataclass(slots=True)
class Tally:
    """Losses by pool, and the part of them borne outside the market they came from (contagion).

    ``adl_contagion_atoms`` is the profit forgone by traders auto-deleveraged in a market other
    than the one whose shortfall they covered; the LPs' contagion comes from :class:`VaultMarks`.
    """

    bad_debt_atoms: dict[str, int] = field(default_factory=dict)
    lp_loss_atoms: dict[str, int] = field(default_factory=dict)
    adl_loss_atoms: dict[str, int] = field(default_factory=dict)
    adl_contagion_atoms: int = 0

    def record(
        self, state: LedgerState, events: list[Event], market_asset: dict[str, str]
    ) -> LiquidationOutcome | None:
        """Account for one liquidation's events (``state`` is after them); return its outcome."""
        outcome: LiquidationOutcome | None = None
        recorded: LiquidationRecorded | None = None
        for event in events:
            if isinstance(event, LiquidationRecorded):
                recorded = event
            elif isinstance(event, PositionLiquidated):
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
            elif isinstance(event, AutoDeleveraged):
                self._add(self.adl_loss_atoms, event.pool, event.forgone_atoms)
                if market_asset[event.market] != origin:
                    self.adl_contagion_atoms += event.forgone_atoms
        return LiquidationOutcome(
            outcome.pool,
            outcome.market,
            recorded.notional_atoms,
            outcome.size_delta_atoms,
            outcome.shortfall_atoms,
            recorded.path is LiquidationPath.BACKSTOP,
        )

    @staticmethod
    def _add(totals: dict[str, int], pool: str, amount: int) -> None:
        totals[pool] = totals.get(pool, 0) + amount


class VaultMarks:
    """Each market's running P&L for its pool's LP vault, shared by the LPs step by step.

    Market ``i`` trades ``assets[i]`` in pool ``pools[i]``; LP ``i`` is ``lp-<assets[i]>`` (its home
    market is ``i``). The formulas are :mod:`ringfence.lab.vector.attribution`'s.
    """

    def __init__(self, markets: tuple[str, ...], assets: tuple[str, ...], pools: tuple[str, ...]) -> None:
        self.markets, self.assets, self.pools = markets, assets, pools
        self.lps = tuple(f"lp-{asset}" for asset in assets)
        self.same_pool = np.array([[pools[i] == pools[m] for m in range(len(markets))] for i in range(len(markets))])
        self.home = np.eye(len(markets), dtype=np.bool_)
        self.last = np.zeros(len(markets))
        self.fraction = np.zeros(len(markets))
        self.lp_pnl = np.zeros((len(markets), len(markets)))

    def start(self, state: LedgerState) -> None:
        """Take the LPs' share fractions before anything trades."""
        self.fraction = self._fractions(state)

    def _fractions(self, state: LedgerState) -> FloatArray:
        fraction = np.zeros(len(self.lps))
        for i, lp in enumerate(self.lps):
            pool = state.pools[self.pools[i]]
            if pool.total_shares > 0:
                fraction[i] = pool.lp_shares.get((lp, 0), 0) / pool.total_shares
        return fraction

    def marks_usd(
        self, state: LedgerState, flows: dict[tuple[str, str], int], prices_wad: dict[str, int]
    ) -> FloatArray:
        """Return each market's mark: vault flows booked by its commands − its traders' unrealised PnL."""
        unrealised = dict.fromkeys(self.markets, 0)
        for pool_id in dict.fromkeys(self.pools):
            pool = state.pools[pool_id]
            for (_, market_id), position in pool.positions.items():
                asset = pool.markets[market_id].params.base_asset
                pnl = unrealised_pnl_atoms(position, prices_wad[asset], BASE_DECIMALS, QUOTE_DECIMALS)
                unrealised[market_id] += pnl
        return np.array(
            [(flows.get((self.pools[i], m), 0) - unrealised[m]) / QUOTE_UNIT for i, m in enumerate(self.markets)]
        )

    def mark(self, state: LedgerState, flows: dict[tuple[str, str], int], prices_wad: dict[str, int]) -> None:
        """Share the marks' change since the last call by the fractions then, and take the new fractions."""
        marks = self.marks_usd(state, flows, prices_wad)
        attribute_marks(self.lp_pnl, self.fraction, marks - self.last, self.same_pool)
        self.last = marks
        self.fraction = self._fractions(state)

    def write_off(self, latent_by_market_usd: FloatArray) -> None:
        """Take the end's latent bad debt off the markets' marks, shared by the LPs' fractions now."""
        attribute_marks(self.lp_pnl, self.fraction, -latent_by_market_usd, self.same_pool)
        self.last = self.last - latent_by_market_usd

    def contagion_usd(self, bad_debt_by_market_usd: FloatArray) -> float:
        """Return the LPs' net losses from defaulted markets other than their home (:func:`lp_contagion`)."""
        return float(lp_contagion(self.lp_pnl, self.home, defaulted_markets(bad_debt_by_market_usd)))
