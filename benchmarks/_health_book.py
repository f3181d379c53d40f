"""A book of sub-accounts with positions, and three ways to compute every account's exact health.

- :func:`engine_health`: the engine's own functions, in integers: ``core/margin.py``
  ``margin_snapshot`` for a cross sub-account, ``isolated_margin`` for an isolated position,
  and ``MarginSnapshot.health_wad``.
- :func:`decimal_health`: a straightforward per-object loop over ``decimal.Decimal`` objects in
  human units (USD, ETH, BTC), 80 significant digits, every rounding an explicit ``quantize``.
- :func:`fraction_health`: the same loop over ``fractions.Fraction``: every product exact,
  every rounding a ``math.floor`` / ``math.ceil`` at the unit the rules name, and the health
  the floor of the exact rational ``equity / requirement`` (in WAD).

The rules the two peers implement are written from ``core/margin.py``'s docstrings: a positive
collateral balance counts at ``floor(floor(amount · oracle) · maintenance weight)`` value atoms,
a negative one at ``floor(amount · oracle)``; a position adds its unrealised PnL
``floor(size · price) − open notional`` (if positive, ``floor(pnl · pnl weight)``) minus the
funding it owes, ``ceil(size · (index − entry index))``, and requires
``ceil(ceil(|size| · price) · maintenance margin)``. An isolated position's equity is its vault
plus its PnL term; a cross sub-account's is its collateral plus every cross position's term.

The book is written straight into a :class:`LedgerState` built by the engine (assets, oracles,
pools, markets): the margin functions only read the state, and building 100k accounts with
their positions through commands would time the trade path, which is not what is measured.
Funding indices are set to non-zero values so the funding term is exercised; some collateral
balances are negative (debts left by realised losses).
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from fractions import Fraction

from _decimal_venue import decimal_context
from _venue import (
    START_NS,
    USDC,
    admin_genesis,
    listing_commands,
    market_params,
    pool_commands,
    pool_params,
    price_commands,
    sent_as_named,
)
from ringfence.core.margin import MarginKind, base_price_wad
from ringfence.core.pool.position_margin import isolated_margin, margin_snapshot
from ringfence.core.pool.state import MarginMode, Position
from ringfence.core.state import LedgerState, SubAccount
from ringfence.core.units import WAD
from ringfence.service.engine import Engine, Rejected
from ringfence.store.memory import MemoryJournal

# Prices with every one of their 18 decimals used, so products need all their digits.
PRICES = {"USDC": WAD, "ETH": 3_123_456_789_012_345_678_901, "WBTC": 65_432_101_234_567_890_123_457}
MARKETS = {
    "main": (("ETH-PERP", "ETH", 18), ("BTC-PERP", "WBTC", 8)),
    "alt": (("ETH-PERP", "ETH", 18),),
}
Health = tuple[int, int, int | None]
"""``(maintenance equity, requirement, health in WAD or None without a requirement)`` in value atoms."""


@dataclass(frozen=True)
class Ref:
    """Which account (cross) or position (isolated) a health figure is about."""

    cross: bool
    key: tuple[str, int]
    pool: str
    market: str


@dataclass
class Book:
    """The state, the accounts to evaluate, and the time the prices are fresh at."""

    state: LedgerState
    refs: list[Ref]
    now_ns: int


def _venue_state() -> LedgerState:
    engine = Engine(MemoryJournal())
    commands = listing_commands() + price_commands(PRICES, START_NS)
    for pool, markets in MARKETS.items():
        specs = [market_params(m, base, 10**7 * 10**decimals) for m, base, decimals in markets]
        commands += pool_commands(pool, pool_params(), specs, lp_atoms=10**9 * USDC, insurance_atoms=0)
    rejected = [o for o in engine.execute_batch(sent_as_named(admin_genesis(commands))) if isinstance(o, Rejected)]
    if rejected:
        raise AssertionError(f"book venue: setup rejected {rejected}")
    return engine.state


class _BookWriter:
    def __init__(self, state: LedgerState, seed: int) -> None:
        self.state = state
        self.rng = random.Random(seed)
        for pool in state.pools.values():
            for market in pool.markets.values():
                market.funding_index_wad = self.rng.randint(-(10**25), 10**25)

    def collateral(self) -> dict[str, int]:
        rng = self.rng
        usdc = rng.randint(-2_000 * USDC, -1) if rng.random() < 0.1 else rng.randint(0, 50_000 * USDC)
        balances = {"USDC": usdc, "ETH": 0, "WBTC": 0}
        if rng.random() < 0.4:
            balances["ETH"] = rng.randint(1, 20 * 10**18)
        if rng.random() < 0.25:
            balances["WBTC"] = rng.randint(1, 10**8)
        return {asset: atoms for asset, atoms in balances.items() if atoms}

    def position(self, pool_id: str, market_id: str, mode: MarginMode, budget_atoms: int) -> Position:
        """A position of up to 12x ``budget`` notional, opened 20% either side of the current price."""
        rng = self.rng
        market = self.state.pools[pool_id].markets[market_id]
        base = market.params.base_asset
        decimals = self.state.assets[base].params.decimals
        notional = max(budget_atoms, 100 * USDC) * rng.randint(5, 120) // 10
        size = notional * 10**decimals * WAD // (PRICES[base] * USDC) or 1
        size = size if rng.random() < 0.7 else -size
        entry = PRICES[base] * rng.randint(800_000, 1_200_000) // 1_000_000
        open_notional = size * entry * USDC // (WAD * 10**decimals)
        funding_entry = market.funding_index_wad - rng.randint(-(10**24), 10**24)
        vault = rng.randint(1, budget_atoms) if mode is MarginMode.ISOLATED else 0
        if size > 0:
            market.long_atoms += size
        else:
            market.short_atoms -= size
        return Position(size, open_notional, funding_entry, mode, vault)

    def add(self, index: int) -> Ref:
        rng = self.rng
        key = (f"book-{index // 4:06d}", index % 4)
        pool_id = "main" if rng.random() < 0.75 else "alt"
        pool = self.state.pools[pool_id]
        markets = list(pool.markets)
        cross = rng.random() < 0.6
        balances = self.collateral()
        budget = max(balances.get("USDC", 0), 1_000 * USDC)
        chosen = rng.sample(markets, rng.randint(1, len(markets))) if cross else [rng.choice(markets)]
        mode = MarginMode.CROSS if cross else MarginMode.ISOLATED
        for market_id in chosen:
            pool.positions[(key, market_id)] = self.position(pool_id, market_id, mode, budget)
        pool.account_markets[key] = chosen
        if cross:
            self.state.cross_pool[key] = pool_id
        self.state.accounts[key] = SubAccount(balances)
        for asset, atoms in balances.items():
            if atoms > 0:
                self.state.assets[asset].total_deposits_atoms += atoms
        return Ref(cross, key, pool_id, chosen[0])


def build_book(accounts: int, seed: int = 20260102) -> Book:
    """Return a venue with ``accounts`` sub-accounts: 60% cross (1-2 positions), 40% one isolated position."""
    state = _venue_state()
    writer = _BookWriter(state, seed)
    refs = [writer.add(i) for i in range(accounts)]
    return Book(state, refs, START_NS)


# --------------------------------------------------------------------------- ours: the engine's margin functions


def engine_health(book: Book) -> list[Health]:
    """Every account's maintenance equity, requirement and health, through ``core/margin.py``."""
    state, now = book.state, book.now_ns
    results: list[Health] = []
    for ref in book.refs:
        if ref.cross:
            snapshot = margin_snapshot(state, ref.key, MarginKind.MAINTENANCE, now)
        else:
            pool = state.pools[ref.pool]
            price = base_price_wad(state, pool.markets[ref.market].params.base_asset, now)
            position = pool.positions[(ref.key, ref.market)]
            snapshot = isolated_margin(state, pool, ref.market, position, MarginKind.MAINTENANCE, price)
        results.append((snapshot.equity_atoms, snapshot.requirement_atoms, snapshot.health_wad()))
    return results


# --------------------------------------------------------------------------- peers: per-object loops


@dataclass(slots=True)
class PeerMarket:
    """A market as a peer sees it: price, maintenance rate, PnL weight, funding index (quote per base unit)."""

    price: Decimal | Fraction
    maintenance_margin: Decimal | Fraction
    pnl_weight: Decimal | Fraction
    funding_index: Decimal | Fraction


@dataclass(slots=True)
class PeerPosition:
    """A position in human units: size in base units, open notional in USD, entry funding index."""

    market: PeerMarket
    size: Decimal | Fraction
    open_notional: Decimal | Fraction
    funding_entry: Decimal | Fraction


@dataclass(slots=True)
class PeerAccount:
    """A cross sub-account (collateral and positions) or an isolated position (vault and one position)."""

    collateral: list[tuple[Decimal | Fraction, Decimal | Fraction, Decimal | Fraction]]
    """``(amount in units, oracle price, maintenance weight)`` per asset."""
    positions: list[PeerPosition]
    isolated_margin: Decimal | Fraction | None


def peer_book(book: Book, number: type[Decimal] | type[Fraction]) -> list[PeerAccount]:
    """Convert the book into plain objects of ``Decimal`` or ``Fraction`` in human units (untimed)."""
    state = book.state

    def scaled(atoms: int, decimals: int) -> Decimal | Fraction:
        return Decimal(atoms).scaleb(-decimals) if number is Decimal else Fraction(atoms, 10**decimals)

    prices = {asset: scaled(oracle.accepted_price_wad or 0, 18) for asset, oracle in state.oracles.items()}
    markets = {}
    for pool_id, pool in state.pools.items():
        for market_id, market in pool.markets.items():
            params = market.params
            index = scaled(market.funding_index_wad, 24)  # quote atoms · WAD per base unit → USD per base unit
            mm, weight = scaled(params.maintenance_margin_wad, 18), scaled(params.pnl_weight_wad, 18)
            markets[(pool_id, market_id)] = PeerMarket(prices[params.base_asset], mm, weight, index)
    accounts = []
    with decimal_context():
        for ref in book.refs:
            pool = state.pools[ref.pool]
            chosen = pool.account_markets[ref.key] if ref.cross else [ref.market]
            positions = []
            for market_id in chosen:
                position = pool.positions[(ref.key, market_id)]
                decimals = state.assets[pool.markets[market_id].params.base_asset].params.decimals
                positions.append(
                    PeerPosition(
                        markets[(ref.pool, market_id)],
                        scaled(position.size_atoms, decimals),
                        scaled(position.open_notional_atoms, 6),
                        scaled(position.funding_index_wad, 24),
                    )
                )
            if ref.cross:
                collateral = [
                    (
                        scaled(atoms, state.assets[asset].params.decimals),
                        prices[asset],
                        scaled(state.assets[asset].params.maintenance_weight_wad, 18),
                    )
                    for asset, atoms in state.accounts[ref.key].balances.items()
                ]
                accounts.append(PeerAccount(collateral, positions, None))
            else:
                vault = pool.positions[(ref.key, ref.market)].isolated_margin_atoms
                accounts.append(PeerAccount([], positions, scaled(vault, 6)))
    return accounts


CENT = Decimal("1e-6")
WEI = Decimal("1e-18")


def decimal_health(accounts: list[PeerAccount]) -> list[tuple[Decimal, Decimal, Decimal | None]]:
    """Every account's maintenance equity, requirement (USD, 6 decimals) and health (18 decimals), in Decimal."""
    results: list[tuple[Decimal, Decimal, Decimal | None]] = []
    with decimal_context():
        for account in accounts:
            if account.isolated_margin is None:
                equity = Decimal(0)
                for amount, price, weight in account.collateral:
                    value = (amount * price).quantize(CENT, ROUND_FLOOR)
                    if amount > 0:
                        value = (value * weight).quantize(CENT, ROUND_FLOOR)
                    equity += value
            else:
                equity = account.isolated_margin
            requirement = Decimal(0)
            for position in account.positions:
                market = position.market
                pnl = (position.size * market.price).quantize(CENT, ROUND_FLOOR) - position.open_notional
                if pnl > 0:
                    pnl = (pnl * market.pnl_weight).quantize(CENT, ROUND_FLOOR)
                funding = (position.size * (market.funding_index - position.funding_entry)).quantize(
                    CENT, ROUND_CEILING
                )
                equity += pnl - funding
                notional = (abs(position.size) * market.price).quantize(CENT, ROUND_CEILING)
                requirement += (notional * market.maintenance_margin).quantize(CENT, ROUND_CEILING)
            health = (equity / requirement).quantize(WEI, ROUND_FLOOR) if requirement else None
            results.append((equity, requirement, health))
    return results


def _floor(value: Fraction, scale: int) -> Fraction:
    return Fraction(math.floor(value * scale), scale)


def _ceil(value: Fraction, scale: int) -> Fraction:
    return Fraction(math.ceil(value * scale), scale)


def fraction_health(accounts: list[PeerAccount]) -> list[tuple[Fraction, Fraction, int | None]]:
    """The same loop in exact rationals; health is ``floor(equity / requirement · 10**18)``."""
    cents = 10**6
    results: list[tuple[Fraction, Fraction, int | None]] = []
    for account in accounts:
        if account.isolated_margin is None:
            equity = Fraction(0)
            for amount, price, weight in account.collateral:
                value = _floor(Fraction(amount * price), cents)
                if amount > 0:
                    value = _floor(value * weight, cents)
                equity += value
        else:
            equity = Fraction(account.isolated_margin)
        requirement = Fraction(0)
        for position in account.positions:
            market = position.market
            pnl = _floor(Fraction(position.size * market.price), cents) - position.open_notional
            if pnl > 0:
                pnl = _floor(pnl * market.pnl_weight, cents)
            funding = _ceil(Fraction(position.size * (market.funding_index - position.funding_entry)), cents)
            equity += pnl - funding
            notional = _ceil(Fraction(abs(position.size) * market.price), cents)
            requirement += _ceil(notional * market.maintenance_margin, cents)
        health = math.floor(equity / requirement * WAD) if requirement else None
        results.append((equity, requirement, health))
    return results


def as_atoms(
    results: list[tuple[Decimal, Decimal, Decimal | None]] | list[tuple[Fraction, Fraction, int | None]],
) -> list[Health]:
    """Convert a peer's results to value atoms and WAD health, exactly (raises if any is not on its grid)."""
    converted: list[Health] = []
    with decimal_context():
        for equity, requirement, health in results:
            figures = []
            for value, scale in ((equity, 10**6), (requirement, 10**6)):
                scaled = Fraction(value) * scale
                if scaled.denominator != 1:
                    raise AssertionError(f"peer figure {value} is not a whole number of value atoms")
                figures.append(int(scaled))
            health_wad = health
            if isinstance(health, Decimal):
                exact = Fraction(health) * WAD
                if exact.denominator != 1:
                    raise AssertionError(f"peer health {health} has more than 18 decimals")
                health_wad = int(exact)
            converted.append((figures[0], figures[1], health_wad))
    return converted
