"""Holders of a wrapped asset and the auction keeper that sells what they leave (``docs/domains.md``).

Holders post the wrapped asset as cross collateral on the wrapped domain, keep a reserve of the
native asset on the native domain's venue and top up through the bridge. Their positions are
liquidated by the domain's ordinary keepers (:class:`~ringfence.lab.exact.agents.Agents`, whose
units they join); the debt a liquidation leaves against their wrapped collateral is settled by
the pool's collateral auction (``core/pool/auction.py``), kicked and taken by one auction keeper
who buys when the auction's price is at or below the wrapped asset's market price.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ringfence.core.commands import Command, Deposit, Withdraw
from ringfence.core.errors import RingfenceError
from ringfence.core.pool.auction import auction_quote
from ringfence.core.pool.auction_commands import RedoCollateralAuction, StartCollateralAuction, TakeCollateral
from ringfence.core.pool.commands import Trade
from ringfence.core.pool.state import MarginMode
from ringfence.core.units import WAD
from ringfence.lab.domains.bridge import Bridge, Direction
from ringfence.lab.domains.scenario import BridgeDesign
from ringfence.lab.exact.layout import BASE_DECIMALS, QUOTE, Layout
from ringfence.lab.exact.ledger import Ledger
from ringfence.lab.exact.units import MarginUnit, open_positions, unit_health

__all__ = ["AUCTION_KEEPER", "HOLDER_SUB_ACCOUNT", "HolderBook", "Holders", "draw_holders"]

BASE_UNIT = 10**BASE_DECIMALS
HOLDER_SUB_ACCOUNT = 1
"""A holder's sub-account on the wrapped domain (sub-account 0 on the native domain holds its reserve)."""
AUCTION_KEEPER = "auction-keeper"
HOLDER_STREAM = 16


@dataclass(frozen=True, slots=True, eq=False)
class HolderBook:
    """Holders drawn from the seed: collateral (USD at the start), leverage, direction."""

    collateral_usd: np.ndarray
    leverage: np.ndarray
    long: np.ndarray


def draw_holders(design: BridgeDesign, seed: int, bridge_index: int) -> HolderBook:
    """Draw the holders from ``SeedSequence([seed, 16, bridge_index])``: collateral, then direction, then leverage."""
    holders = design.holders
    rng = np.random.default_rng([seed, HOLDER_STREAM, bridge_index])
    sigma = holders.collateral_log_sd
    collateral = holders.collateral_mean * rng.lognormal(-0.5 * sigma * sigma, sigma, size=holders.traders)
    long = rng.random(holders.traders) < holders.long_share
    leverage = rng.uniform(holders.leverage_min, holders.leverage_max, size=holders.traders)
    return HolderBook(collateral, leverage, long)


def holder_name(bridge: str, index: int) -> str:
    """Return holder ``index``'s principal (the same on both domains)."""
    return f"holder-{bridge}-{index}"


class Holders:
    """One bridge's holders on both domains, and the auction keeper of the wrapped domain."""

    def __init__(
        self,
        design: BridgeDesign,
        book: HolderBook,
        bridge: Bridge,
        native: tuple[Ledger, Layout],
        wrapped: tuple[Ledger, Layout],
    ) -> None:
        self.design, self.book, self.bridge = design, book, bridge
        self.native_ledger, self.native_layout = native
        self.ledger, self.layout = wrapped
        self.market = self.layout.assets.index(design.holders.market)
        self.pool = self.layout.pool_of(self.market)
        self.names = [holder_name(design.name, k) for k in range(design.holders.traders)]
        self.units: list[MarginUnit] = []
        self.reserve_atoms = [0] * len(self.names)
        self.top_up_atoms = [0] * len(self.names)
        self.refused_transfers = 0
        self.delivered_atoms: list[int] = []
        """Wrapped atoms of each delivered top-up, in delivery order."""
        self.kicked = 0

    def open(self, now: int, first_draw: int, initial_margin_wad: int) -> list[MarginUnit]:
        """Mint the holders' wrapped collateral (the bridge's genesis), deposit it, open, fund the reserves.

        The leverage is capped at ``0.95 · initial weight / IM`` so each opening passes initial margin.
        """
        holders = self.design.holders
        native_price = self.native_ledger.state.oracles[self.design.asset].accepted_price_wad or WAD
        market_price = self.ledger.state.oracles[self.layout.assets[self.market]].accepted_price_wad or WAD
        cap = 0.95 * self.design.initial_weight / (initial_margin_wad / WAD)
        for k, owner in enumerate(self.names):
            collateral = float(self.book.collateral_usd[k])
            wrapped_atoms = int(collateral * WAD / native_price * BASE_UNIT)
            self.bridge.genesis(wrapped_atoms)
            self.ledger.apply(Deposit(owner, HOLDER_SUB_ACCOUNT, self.design.wrapped_asset, wrapped_atoms, now), owner)
            leverage = min(float(self.book.leverage[k]), cap)
            notional = collateral * leverage * (1 if self.book.long[k] else -1)
            size = int(notional * WAD / market_price * BASE_UNIT)
            market_id = self.layout.markets[self.market]
            trade = Trade(owner, HOLDER_SUB_ACCOUNT, self.pool, market_id, size, MarginMode.CROSS, 0, 0, now)
            self._try(self.ledger, trade, owner)
            self.reserve_atoms[k] = int(wrapped_atoms * holders.reserve)
            self.top_up_atoms[k] = int(wrapped_atoms * holders.top_up_fraction)
            if self.reserve_atoms[k] > 0:
                self.native_ledger.apply(Deposit(owner, 0, self.design.asset, self.reserve_atoms[k], now), owner)
            self.units.append(
                MarginUnit(
                    (owner, HOLDER_SUB_ACCOUNT), ((self.pool, market_id, self.market),), False, -1, first_draw + k
                )
            )
        return self.units

    @staticmethod
    def _try(ledger: Ledger, command: Command, sender: str) -> bool:
        try:
            ledger.apply(command, sender)
        except RingfenceError:
            return False
        return True

    def deliver(self, step: int, now: int) -> None:
        """Deposit the wrapped tokens of every mint the bridge delivers at ``step`` into the holder's sub-account."""
        for message in self.bridge.deliver(step):
            self.delivered_atoms.append(message.amount_atoms)
            self.ledger.apply(
                Deposit(message.recipient, HOLDER_SUB_ACCOUNT, self.design.wrapped_asset, message.amount_atoms, now),
                message.recipient,
            )

    def top_up(self, step: int, now: int) -> None:
        """Holders below ``top_up_health`` withdraw native from their reserve and send it over the bridge.

        One transfer in flight per holder; a halted bridge refuses it and nothing is withdrawn.
        """
        threshold = self.design.holders.top_up_health
        if threshold <= 0:
            return
        for k, unit in enumerate(self.units):
            owner = self.names[k]
            if self.reserve_atoms[k] <= 0 or self.bridge.in_flight_atoms(Direction.MINT, owner) > 0:
                continue
            health = unit_health(self.ledger.state, unit, self.layout, now)
            if health is None or health.requirement_atoms == 0 or health.health >= threshold:
                continue
            amount = min(self.reserve_atoms[k], self.top_up_atoms[k])
            if amount <= 0:
                continue
            if self.bridge.halted:
                self.refused_transfers += 1
                continue
            if not self._try(self.native_ledger, Withdraw(owner, 0, self.design.asset, amount, now), owner):
                continue
            self.bridge.lock(owner, amount, step)  # open: the halt was checked above, in the same step
            self.reserve_atoms[k] -= amount

    def auction(self, now: int, wrapped_market_wad: int) -> None:
        """Kick an auction for every holder left owing quote with wrapped collateral; take or redo live ones."""
        state = self.ledger.state
        pool = state.pools[self.pool]
        live = {(a.owner, a.sub_account) for a in pool.auctions.values()}
        for unit in self.units:
            account = state.accounts.get(unit.key)
            if account is None or unit.key in live or open_positions(state, unit):
                continue
            if account.balances.get(QUOTE, 0) < 0 and account.balances.get(self.design.wrapped_asset, 0) > 0:
                kick = StartCollateralAuction(AUCTION_KEEPER, 0, *unit.key, self.pool, self.design.wrapped_asset, now)
                self.kicked += self._try(self.ledger, kick, AUCTION_KEEPER)
        for auction_id, auction in sorted(self.ledger.state.pools[self.pool].auctions.items()):
            quote = auction_quote(self.ledger.state, self.ledger.state.pools[self.pool], auction, now)
            if quote.needs_redo:
                self._try(
                    self.ledger, RedoCollateralAuction(AUCTION_KEEPER, 0, self.pool, auction_id, now), AUCTION_KEEPER
                )
            elif quote.price_wad <= wrapped_market_wad:
                take = TakeCollateral(
                    AUCTION_KEEPER, 0, self.pool, auction_id, auction.lot_atoms, wrapped_market_wad, now
                )
                self._try(self.ledger, take, AUCTION_KEEPER)
