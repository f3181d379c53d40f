"""The agents of the exact stress engine: traders, keepers, LPs and the attacker (``docs/stress-model.md``).

Each agent turns the model's rule and the run's pre-drawn uniforms into engine commands. A
command the engine refuses changes nothing; the agent then simply has not acted (a keeper's
failed transaction, an LP's redemption held back by the reserve rule).
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
from numpy.typing import NDArray

from ringfence.core.commands import Command, Deposit
from ringfence.core.errors import RingfenceError
from ringfence.core.events import Event
from ringfence.core.pool.commands import AdjustIsolatedMargin, Liquidate, RemoveLiquidity, Trade
from ringfence.core.pool.events import PositionLiquidated
from ringfence.core.pool.perp_math import unrealised_pnl_atoms
from ringfence.core.units import WAD
from ringfence.lab.exact.attacker import AdaptiveAttacker
from ringfence.lab.exact.layout import BASE_DECIMALS, QUOTE, QUOTE_DECIMALS, QUOTE_UNIT, Layout, to_atoms, to_wad
from ringfence.lab.exact.ledger import Ledger, Tally
from ringfence.lab.exact.population import Draws, TraderBook
from ringfence.lab.exact.units import MarginUnit, UnitHealth, open_positions, unit_health
from ringfence.lab.scenario import Scenario, market_impact
from ringfence.lab.vector.attribution import allocate_latent, latent_bad_debt
from ringfence.lab.vector.kernels import MAX_EXECUTION_GAP, bounded_execution_price, execution_price, gas_cost

__all__ = ["PROTOCOL_LIQUIDATOR", "Agents"]

FloatArray = NDArray[np.float64]
BASE_UNIT = 10**BASE_DECIMALS
PROTOCOL_LIQUIDATOR = "protocol-liquidator"
"""The protocol's own liquidator (``keepers.protocol_backstop_seconds``): its P&L is the protocol's."""
MAX_CLOSES_PER_UNIT = 64
"""A unit's closes in one step stop here (a close factor below 1 halves a position each time)."""


class Agents:
    """Every agent of one run, acting on one ledger."""

    def __init__(
        self, scenario: Scenario, layout: Layout, book: TraderBook, draws: Draws, ledger: Ledger, tally: Tally
    ) -> None:
        self.scenario, self.layout, self.book, self.draws = scenario, layout, book, draws
        self.ledger, self.tally = ledger, tally
        self.step_seconds = scenario.horizon.step_seconds
        self.units = self._units()
        self.first_seen: dict[int, int] = {}
        self.reserve = book.reserve_usd.copy()
        self.collateral_deposited_usd = 0.0
        self.attacker_profit_usd = 0.0
        self.attacker = (
            None
            if scenario.attacker is None
            else AdaptiveAttacker(scenario.attacker, layout, ledger, len(book.position_trader))
        )
        self.liquidations: list[tuple[int, int, int, int, float, float, float, float, bool]] = []
        self.unserved_liquidations = 0
        self.declined: set[int] = set()
        """Units a keeper declined for lack of profit since they last fell below maintenance."""
        self.execution_cost_atoms: dict[str, int] = {}
        self.paid_to_market_atoms: dict[str, int] = {}
        """Per sender (keeper or protocol liquidator): execution cost and gas paid to the outside market."""
        self.gas_atoms = 0
        self.market_asset = {market: layout.assets[i] for i, market in enumerate(layout.markets)}
        impact = market_impact(scenario)
        per_market = [impact.assets.index(asset) for asset in layout.assets]
        self.depth_usd = np.asarray(impact.depth_usd, dtype=np.float64)[per_market]
        self.impact_coefficient = np.asarray(impact.coefficient, dtype=np.float64)[per_market]
        self.nav_peak: list[float] = []
        self.fled: list[bool] = []

    # --- traders ---------------------------------------------------------------------------

    def _units(self) -> list[MarginUnit]:
        layout, book = self.layout, self.book
        isolated = layout.isolation == "isolated_positions"
        if layout.isolation == "monolithic":
            grouped: dict[int, list[tuple[str, str, int]]] = {}
            for trader, market in zip(book.position_trader.tolist(), book.position_market.tolist(), strict=True):
                grouped.setdefault(trader, []).append((layout.pool_of(market), layout.markets[market], market))
            return [MarginUnit((f"t{j}", 0), tuple(grouped[j]), False, j, j) for j in range(book.traders)]
        return [
            MarginUnit(
                (f"t{trader}", layout.sub_account(market)),
                ((layout.pool_of(market), layout.markets[market], market),),
                isolated,
                trader,
                index,
            )
            for index, (trader, market) in enumerate(
                zip(book.position_trader.tolist(), book.position_market.tolist(), strict=True)
            )
        ]

    def _deposit(self, unit: MarginUnit, amount: int, now: int) -> None:
        self.ledger.apply(Deposit(unit.key[0], unit.key[1], QUOTE, amount, now), unit.key[0])

    def open_positions(self, now: int) -> None:
        """Traders deposit their collateral and open at the initial oracle price (refusals are skipped)."""
        book, layout = self.book, self.layout
        if layout.isolation == "monolithic":
            for unit in self.units:
                self._deposit(unit, to_atoms(float(book.collateral_usd[unit.trader])), now)
                self.collateral_deposited_usd += float(book.collateral_usd[unit.trader])
        for p in range(len(book.position_trader)):
            unit = self.units[book.position_trader[p]] if layout.isolation == "monolithic" else self.units[p]
            market = int(book.position_market[p])
            allotted = to_atoms(float(book.position_collateral_usd[p]))
            if layout.isolation != "monolithic":
                self._deposit(unit, allotted, now)
                self.collateral_deposited_usd += float(book.position_collateral_usd[p])
            price = self.ledger.state.oracles[layout.assets[market]].accepted_price_wad or 1
            size = int(float(book.position_notional_usd[p]) * QUOTE_UNIT * BASE_UNIT * 10**12 / price)
            margin = allotted if unit.isolated else 0
            owner, sub = unit.key
            self._try(
                owner,
                Trade(owner, sub, layout.pool_of(market), layout.markets[market], size, layout.mode, margin, 0, now),
            )

    def _try(self, sender: str, command: Command) -> list[Event] | None:
        """Apply ``command`` from ``sender``; a refusal is skipped (the agent simply does not act)."""
        try:
            return self.ledger.apply(command, sender)
        except RingfenceError:
            return None

    def top_up(self, step: int, now: int) -> None:
        """Units below ``top_up_health`` add collateral from their trader's reserve when the draw says so."""
        population = self.scenario.population
        if population is None or population.top_up_health <= 0 or population.top_up_probability <= 0:
            return
        k = population.markets_per_trader
        for unit in self.units:
            if unit.trader < 0 or self.draws.top_up[step, unit.trader] >= population.top_up_probability:
                continue
            health = unit_health(self.ledger.state, unit, self.layout, now)
            if health is None or health.requirement_atoms == 0 or health.health >= population.top_up_health:
                continue
            wanted = population.top_up_fraction * float(self.book.collateral_usd[unit.trader]) / k
            amount_usd = min(float(self.reserve[unit.trader]), wanted)
            if to_atoms(amount_usd) <= 0:
                continue  # less than one quote atom: nothing a deposit could move
            self._top_up(unit, to_atoms(amount_usd), now)
            self.reserve[unit.trader] -= amount_usd
            self.collateral_deposited_usd += amount_usd

    def _top_up(self, unit: MarginUnit, amount: int, now: int) -> None:
        self._deposit(unit, amount, now)
        if unit.isolated:
            for pool_id, market_id, _, _ in open_positions(self.ledger.state, unit):
                self._try(unit.key[0], AdjustIsolatedMargin(*unit.key, pool_id, market_id, amount, now))

    def open_notional_usd(self, market_prices: FloatArray) -> float:
        """Traders' open notional at the market price."""
        total = 0.0
        state = self.ledger.state
        for unit in self.units:
            if unit.trader < 0:
                continue
            for pool_id, market_id, index in unit.positions:
                position = state.pools[pool_id].positions.get((unit.key, market_id))
                if position is not None:
                    total += abs(position.size_atoms) / BASE_UNIT * float(market_prices[index])
        return total

    def latent_bad_debt_usd(self, market_prices: FloatArray) -> tuple[dict[str, float], FloatArray]:
        """Return the latent bad debt of units still open at ``market_prices`` (end of run): per pool, per market.

        A unit's equity is its margin (the sub-account's quote balance, or the isolated position's
        margin) plus its positions' unrealised PnL at the market price; every unit's positions are
        in one pool on every rung. Per market: each unit's latent bad debt split over its positions
        pro rata to their losses (:func:`~ringfence.lab.vector.attribution.allocate_latent`).
        """
        state = self.ledger.state
        by_pool: dict[str, float] = {}
        by_market = np.zeros(len(self.layout.markets))
        for unit in self.units:
            positions = open_positions(state, unit)
            if not positions:
                continue
            if unit.isolated:
                margin = sum(position.isolated_margin_atoms for *_, position in positions)
            else:
                account = state.accounts.get(unit.key)
                margin = account.balances.get(QUOTE, 0) if account is not None else 0
            pnl = [
                unrealised_pnl_atoms(position, to_wad(float(market_prices[i])), BASE_DECIMALS, QUOTE_DECIMALS)
                for _, _, i, position in positions
            ]
            latent = latent_bad_debt(np.array([(margin + sum(pnl)) / QUOTE_UNIT]))
            if latent[0] <= 0.0:
                continue
            pool_id = positions[0][0]
            by_pool[pool_id] = by_pool.get(pool_id, 0.0) + float(latent[0])
            shares = allocate_latent(latent, np.array([pnl], dtype=np.float64) / QUOTE_UNIT)[0]
            for (_, _, market, _), amount in zip(positions, shares.tolist(), strict=True):
                by_market[market] += amount
        return by_pool, by_market

    # --- keepers ---------------------------------------------------------------------------

    def _eligible(self, step: int, now: int) -> list[tuple[int, UnitHealth]]:
        latency = 0 if self.scenario.keepers is None else self.scenario.keepers.latency_seconds
        eligible = []
        for index, unit in enumerate(self.units):
            health = unit_health(self.ledger.state, unit, self.layout, now)
            if health is None or not health.liquidatable:
                self.first_seen.pop(index, None)
                self.declined.discard(index)
                continue
            first = self.first_seen.setdefault(index, step)
            if (step - first) * self.step_seconds >= latency:
                eligible.append((index, health))
        eligible.sort(key=lambda item: (-item[1].notional_atoms, item[0]))
        return eligible

    def keep(self, step: int, now: int, market_prices: FloatArray) -> FloatArray:
        """Keepers liquidate eligible units; return each asset's net signed liquidation flow in USD.

        With ``gas_usd`` set a keeper sends a close only when its bonus exceeds the step's gas
        (:func:`~ringfence.lab.vector.kernels.gas_cost`); then the protocol's liquidator, if the
        scenario has one, takes the units still liquidatable past its delay, whatever they pay.
        """
        flow = np.zeros(len(self.layout.assets))
        keepers = self.scenario.keepers
        if keepers is None:
            return flow
        eligible = self._eligible(step, now)
        if not eligible:
            return flow
        congestion = len(eligible) / keepers.count
        failure = min(
            1.0,
            keepers.failure_probability + keepers.congestion_failure * min(1.0, congestion / keepers.congestion_scale),
        )
        gas = None
        if keepers.gas_usd is not None:
            gas = float(
                gas_cost(keepers.gas_usd, keepers.congestion_gas, np.asarray(congestion), keepers.congestion_scale)
            )
        capital = [math.inf if keepers.capital is None else keepers.capital] * keepers.count
        for index, _ in eligible:
            with_capital = [k for k in range(keepers.count) if capital[k] > 0]
            if not with_capital:
                break
            if self.draws.keeper[step, self.units[index].draw] >= 1.0 - failure ** len(with_capital):
                continue
            keeper = with_capital[0]
            closed, declined = self._liquidate_unit(step, now, index, (f"keeper{keeper}", gas), flow, market_prices)
            if declined and index not in self.declined:
                self.declined.add(index)
                self.unserved_liquidations += 1
            capital[keeper] -= closed
        self._protocol_backstop(step, now, eligible, (0.0 if gas is None else gas, flow), market_prices)
        return flow

    def _protocol_backstop(
        self,
        step: int,
        now: int,
        eligible: list[tuple[int, UnitHealth]],
        gas_flow: tuple[float, FloatArray],
        market_prices: FloatArray,
    ) -> None:
        """Let the protocol's liquidator close eligible units still liquidatable past its delay (no profit test)."""
        keepers = self.scenario.keepers
        if keepers is None or keepers.protocol_backstop_seconds is None:
            return
        gas, flow = gas_flow
        for index, _ in eligible:
            if (step - self.first_seen[index]) * self.step_seconds >= keepers.protocol_backstop_seconds:
                self._liquidate_unit(step, now, index, (PROTOCOL_LIQUIDATOR, None), flow, market_prices, gas)

    def _execution_command(
        self, keeper: str, command: Liquidate, market_price: float
    ) -> tuple[Liquidate, list[Event]] | None:
        """Return the close with its execution price and its events, or None if the engine refuses it.

        A dry ``decide`` at the oracle gives the closed size; the close then executes at the
        market after its own impact (:func:`~ringfence.lab.vector.kernels.execution_price`),
        bounded as the pool's ``max_execution_gap_wad`` allows, in integers at the engine's oracle.
        """
        try:
            dry = self.ledger.decide(command, keeper)
        except RingfenceError:
            return None
        change = next(e for e in dry if isinstance(e, PositionLiquidated))
        sale = change.size_delta_atoms < 0
        closed_notional = abs(change.size_delta_atoms) / BASE_UNIT * market_price
        market = self.layout.markets.index(change.market)
        wanted = execution_price(
            np.asarray(market_price),
            np.asarray(closed_notional),
            self.depth_usd[market],
            self.impact_coefficient[market],
            np.asarray(sale),
        )
        oracle = change.price_wad
        bounded = bounded_execution_price(wanted, np.asarray(oracle / WAD), np.asarray(sale), MAX_EXECUTION_GAP)
        bound = oracle * to_wad(MAX_EXECUTION_GAP) // WAD
        price = to_wad(float(bounded))
        price = max(min(price, oracle), oracle - bound, 1) if sale else min(max(price, oracle), oracle + bound)
        priced = dataclasses.replace(command, execution_price_wad=price)
        return priced, self.ledger.decide(priced, keeper)

    def _liquidate_unit(
        self,
        step: int,
        now: int,
        index: int,
        keeper: tuple[str, float | None],
        flow: FloatArray,
        market_prices: FloatArray,
        protocol_gas: float = 0.0,
    ) -> tuple[float, bool]:
        """Close the unit's largest position until it is healthy or flat; return the notional closed.

        Also return whether the keeper declined the unit's first close for lack of profit.

        ``keeper`` is the sender and the gas its closes must beat (None: no profit test, the
        protocol's liquidator paying ``protocol_gas`` per close).
        """
        unit = self.units[index]
        owner, gas = keeper
        closed_usd = 0.0
        delay = (step - self.first_seen[index]) * self.step_seconds
        for sequence in range(MAX_CLOSES_PER_UNIT):
            state = self.ledger.state
            positions = open_positions(state, unit)
            if not positions:
                break
            prices = [float(market_prices[i]) for _, _, i, _ in positions]
            largest = max(range(len(positions)), key=lambda n: (abs(positions[n][3].size_atoms) * prices[n], -n))
            pool_id, market_id, market, _ = positions[largest]
            found = self._execution_command(
                owner, Liquidate(owner, 0, *unit.key, pool_id, market_id, now), float(market_prices[market])
            )
            if found is None:
                break
            command, events = found
            change = next(e for e in events if isinstance(e, PositionLiquidated))
            if gas is not None and change.keeper_reward_atoms / QUOTE_UNIT <= gas:
                return closed_usd, sequence == 0  # no profit in it: the keeper sends no transaction
            self.ledger.commit(command, events)
            outcome = self.tally.record(self.ledger.state, events, self.market_asset)
            if outcome is None:
                break
            self._pay_execution(pool_id, owner, change.execution_cost_atoms, protocol_gas if gas is None else gas)
            notional = outcome.notional_atoms / QUOTE_UNIT
            flow[market] += outcome.size_delta_atoms / BASE_UNIT * float(market_prices[market])
            closed_usd += notional
            self.liquidations.append(
                (
                    step,
                    self.layout.market_pool[market],
                    market,
                    unit.trader,
                    notional,
                    outcome.shortfall_atoms / QUOTE_UNIT,
                    change.execution_cost_atoms / QUOTE_UNIT,
                    float(delay),
                    outcome.backstop,
                )
            )
        return closed_usd, False

    def _pay_execution(self, pool_id: str, owner: str, cost_atoms: int, gas_usd: float) -> None:
        """Book the sender passing the execution cost on to the market that filled it, and paying the gas."""
        gas_atoms = to_atoms(gas_usd)
        self.execution_cost_atoms[pool_id] = self.execution_cost_atoms.get(pool_id, 0) + cost_atoms
        self.paid_to_market_atoms[owner] = self.paid_to_market_atoms.get(owner, 0) + cost_atoms + gas_atoms
        self.gas_atoms += gas_atoms

    # --- liquidity providers -----------------------------------------------------------------

    def watch_pools(self, navs: list[float]) -> None:
        """Start each pool's NAV peak."""
        self.nav_peak = list(navs)
        self.fled = [False] * len(navs)

    def flee(self, step: int, now: int, navs: list[float]) -> None:
        """LPs of a pool whose NAV fell more than ``flee_drawdown`` below its peak redeem ``flee_share`` once."""
        rule = self.scenario.liquidity_providers
        for index, nav in enumerate(navs):
            self.nav_peak[index] = max(self.nav_peak[index], nav)
            peak = self.nav_peak[index]
            if self.fled[index] or peak <= 0 or 1.0 - nav / peak <= rule.flee_drawdown:
                continue
            pool = self.ledger.state.pools[self.layout.pools[index]]
            redeemed = False
            for (owner, sub), shares in sorted(pool.lp_shares.items()):
                wanted = int(shares * rule.flee_share)
                if wanted > 0 and self._try(owner, RemoveLiquidity(owner, sub, pool.pool, wanted, now)) is not None:
                    redeemed = True
            self.fled[index] = redeemed

    # --- attacker ----------------------------------------------------------------------------

    def attack(self, step: int, now: int) -> None:
        """Let the attacker act (:mod:`.attacker`); its new accounts join the keepers' units."""
        if self.attacker is None:
            return
        known = len(self.attacker.units)
        self.attacker.act(step, now)
        self.units.extend(self.attacker.units[known:])
        self.attacker_profit_usd = self.attacker.profit_usd
