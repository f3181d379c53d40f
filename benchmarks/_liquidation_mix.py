"""The liquidation-heavy workload of ``bench_liquidation.py``: a seeded venue, a crash, keepers.

Two pools (ETH and BTC perps, USDC quote), N traders who each deposit and open one leveraged
position (half cross, half isolated; 75% long; 2x-9.5x), then 18 rounds of: a price tick from
all three sources of every asset (ETH -3% / BTC -2.5% for 12 rounds, then back up 6
rounds, so longs and then late shorts fall below maintenance), and a shuffled mix of keepers'
``Liquidate`` commands on every position below maintenance, keepers' attempts on healthy
positions (rejected), new traders opening positions, over-leveraged openings (rejected),
partial closes and collateral top-ups, followed by keeper sweeps until no position is below
maintenance (a close-factor liquidation may leave a position still below).

The generator drives the Decimal peer model (``_decimal_venue.py``) as it goes, so it knows
which positions are liquidatable and records every command's expected outcome; the engine
must then produce exactly those outcomes and the same final state.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from _decimal_venue import OK, DecimalVenue, decimal_context
from _venue import (
    MINUTE_NS,
    SECOND_NS,
    START_NS,
    USDC,
    admin_genesis,
    listing_commands,
    market_params,
    pool_commands,
    pool_params,
    price_commands,
)
from ringfence.core.commands import Command, Deposit
from ringfence.core.pool.commands import Liquidate, Trade
from ringfence.core.pool.state import MarginMode
from ringfence.core.units import WAD, parse_ratio

WAD_BPS = 10_000
POOLS = {"eth-pool": ("ETH-PERP", "ETH", 18), "btc-pool": ("BTC-PERP", "WBTC", 8)}
START_PRICES = {"USDC": WAD, "ETH": 3_000 * WAD, "WBTC": 65_000 * WAD}
MOVES_BPS = {"ETH": (-300,) * 12 + (300,) * 6, "WBTC": (-250,) * 12 + (250,) * 6}
"""Per-round price moves: a steady fall, then a rebound. No gaps: the Decimal peer models only
the keeper path, and with ticks of at most 3% a position healthy before a tick is still far from
bankrupt or toxic after it (health about 0.4 or more)."""
MAX_SWEEPS = 30
KEEPERS = tuple(f"keeper-{i}" for i in range(4))
HEALTHY_ATTEMPT_SHARE = 0.25
"""Keepers' attempts on healthy positions, as a share of the round's real liquidations."""


def venue_commands() -> list[Command]:
    """List the assets and create the two pools in the admin's genesis, open, price, fund them (LP vault
    1bn USDC, insurance 1m each).

    Funding is off (rate 0) so the Decimal peer need not model it. The stable price reaches the
    oracle at every tick (growth limit 100% a second, a second quote 10 s after the tick), so
    initial margin, which values unrealised PnL at the conservative of oracle and stable price,
    values it at the oracle as the Decimal peer does.
    """
    commands = listing_commands(stable_growth_limit="1")
    commands += price_commands(START_PRICES, START_NS)
    params = pool_params(
        reserve_factor_wad=WAD, insurance_draw_cap_atoms=50_000 * USDC, nav_drawdown_limit_wad=parse_ratio("0.2")
    )
    for pool, (market, base, decimals) in POOLS.items():
        skew_scale = (10**8 if base == "ETH" else 10**7) * 10**decimals
        spec = market_params(market, base, skew_scale, max_funding_rate_per_day_wad=0)
        commands += pool_commands(pool, params, [spec], lp_atoms=10**9 * USDC, insurance_atoms=10**6 * USDC)
    return admin_genesis(commands)


@dataclass
class Workload:
    """Commands (setup untimed, mix timed), their expected outcomes and the expected final state."""

    setup: list[Command]
    commands: list[Command]
    expected_setup: list[str]
    expected: list[str]
    final_atoms: dict[str, Any]
    mix: Counter[str] = field(default_factory=Counter)
    liquidated_positions: int = 0
    closed_by_liquidation: int = 0


class _Generator:
    def __init__(self, seed: int, traders: int) -> None:
        self.rng = random.Random(seed)
        self.traders = traders
        self.model = DecimalVenue()
        self.prices = dict(START_PRICES)
        self.now = START_NS
        self.fresh = 0
        self.commands: list[Command] = []
        self.expected: list[str] = []
        self.mix: Counter[str] = Counter()
        self.liquidated: set[tuple[str, str, tuple[str, int]]] = set()
        self.closed = 0

    def emit(self, command: Command, label: str) -> str:
        outcome = self.model.apply(command)
        self.commands.append(command)
        self.expected.append(outcome)
        self.mix[label if outcome == OK else f"{label} (rejected: {outcome})"] += 1
        if isinstance(command, Liquidate) and outcome == OK:
            ids = (command.pool, command.market, (command.owner, command.sub_account))
            self.liquidated.add(ids)
            self.closed += ids not in self.model.positions
        return outcome

    def opening(self, owner: str, leverage_bps: int) -> list[Command]:
        """Deposit 1k-20k USDC and open one position of ``leverage`` times it at the current price."""
        pool = "eth-pool" if self.rng.random() < 0.7 else "btc-pool"
        market, base, decimals = POOLS[pool]
        mode = MarginMode.CROSS if self.rng.random() < 0.5 else MarginMode.ISOLATED
        deposit = self.rng.randint(1_000 * USDC, 20_000 * USDC)
        notional = deposit * leverage_bps // WAD_BPS
        size = notional * 10**decimals * WAD // (self.prices[base] * USDC)
        size = size if self.rng.random() < 0.75 else -size
        margin = deposit if mode is MarginMode.ISOLATED else 0
        return [
            Deposit(owner, 0, "USDC", deposit, self.now),
            Trade(owner, 0, pool, market, size, mode, margin, 0, self.now),
        ]

    def scan(self) -> tuple[list[tuple[str, str, tuple[str, int]]], list[tuple[str, str, tuple[str, int]]]]:
        """Split the open positions into those below maintenance and the healthy ones (model state)."""
        below, healthy = [], []
        for ids in self.model.positions:
            health = self.model.health(*ids)
            if health is None:
                raise AssertionError(f"model: no health for open position {ids}")
            (below if health[0] < health[1] else healthy).append(ids)
        return below, healthy

    def liquidate(self, ids: tuple[str, str, tuple[str, int]]) -> Liquidate:
        pool, market, (owner, sub) = ids
        return Liquidate(self.rng.choice(KEEPERS), 0, owner, sub, pool, market, self.now)

    def tick(self, round_index: int) -> None:
        self.now += MINUTE_NS
        for asset, moves in MOVES_BPS.items():
            self.prices[asset] = self.prices[asset] * (WAD_BPS + moves[round_index]) // WAD_BPS
        for command in price_commands(self.prices, self.now):
            self.emit(command, "SubmitPrice")
        # The stable price moves on the first accepted median of an update ≥ 10 s after its last
        # one, which is still the old level; the same quotes 10 s later bring it to the new level,
        # so initial margin values PnL at the oracle, as the Decimal peer does.
        self.now += 10 * SECOND_NS
        for command in price_commands(self.prices, self.now):
            self.emit(command, "SubmitPrice")

    def round(self, round_index: int) -> None:
        """Emit one round: a price tick, the shuffled mix, a keeper sweep (inside the model's context)."""
        with decimal_context():
            self._round(round_index)

    def _round(self, round_index: int) -> None:
        self.tick(round_index)
        below, healthy = self.scan()
        units: list[list[tuple[Command, str]]] = [[(self.liquidate(ids), "Liquidate")] for ids in below]
        attempts = min(len(healthy), max(2, round(HEALTHY_ATTEMPT_SHARE * len(below))))
        units += [[(self.liquidate(ids), "Liquidate (healthy)")] for ids in self.rng.sample(healthy, attempts)]
        for _ in range(max(1, self.traders // 100)):
            units.append([(c, "open: " + type(c).__name__) for c in self.opening(self._fresh(), self._leverage())])
        for _ in range(max(1, self.traders // 1000)):
            over = self.rng.randint(110_000, 130_000)
            units.append([(c, "over-leveraged: " + type(c).__name__) for c in self.opening(self._fresh(), over)])
        for pool, market, key in self.rng.sample(healthy, min(len(healthy), max(1, self.traders // 200))):
            position = self.model.positions[(pool, market, key)]
            share = self.rng.randint(30, 70)
            atoms = int(position.size / self.model.markets[(pool, market)].unit) * share // 100
            trade = Trade(key[0], key[1], pool, market, -atoms, position.mode, 0, 0, self.now)
            units.append([(trade, "partial close: Trade")])
        cross = [ids for ids in below + healthy if self.model.positions[ids].mode is MarginMode.CROSS]
        for _pool, _market, (owner, sub) in self.rng.sample(cross, min(len(cross), max(1, self.traders // 200))):
            units.append([(Deposit(owner, sub, "USDC", self.rng.randint(100, 5_000) * USDC, self.now), "top-up")])
        self.rng.shuffle(units)
        for unit in units:
            for command, label in unit:
                self.emit(command, label)
        self.sweep()

    def sweep(self) -> None:
        """Liquidate until no position is below maintenance (each pass rescans only what it touched)."""
        below = self.scan()[0]
        for _ in range(MAX_SWEEPS):
            if not below:
                return
            for ids in below:
                self.emit(self.liquidate(ids), "Liquidate (sweep)")
            below = [ids for ids in below if self._below(ids)]
        raise AssertionError(f"{len(below)} positions still below maintenance after {MAX_SWEEPS} sweeps")

    def _below(self, ids: tuple[str, str, tuple[str, int]]) -> bool:
        health = self.model.health(*ids)
        return health is not None and health[0] < health[1]

    def _fresh(self) -> str:
        self.fresh += 1
        return f"late-{self.fresh:06d}"

    def _leverage(self) -> int:
        return self.rng.randint(20_000, 95_000)


def generate(traders: int, seed: int = 20260101) -> Workload:
    """Generate the setup (venue and ``traders`` opening positions) and the timed liquidation mix."""
    generator = _Generator(seed, traders)
    setup = venue_commands()
    for i in range(traders):
        setup += generator.opening(f"trader-{i:06d}", generator._leverage())
    expected_setup = generator.model.run(setup)
    for round_index in range(len(MOVES_BPS["ETH"])):
        generator.round(round_index)
    return Workload(
        setup,
        generator.commands,
        expected_setup,
        generator.expected,
        generator.model.atoms(),
        generator.mix,
        len(generator.liquidated),
        generator.closed,
    )
