"""Option markets on the exact stress engine: series, smiles, option traders and their keepers.

What the lab adds around the core's option series (``docs/options.md``, ``docs/stress-options.md``):

- **listing**: each ``[[venue.options]]`` market lists a put and a call at every strike (a ratio of
  the underlying's initial oracle price, rounded down to a whole cent) and expiry, in the genesis,
  in the pool that writes it: its own pool ``options-<asset>`` on the isolated rungs, the shared
  pool on the monolithic and sub-account rungs; its LP ``lp-opt-<asset>`` deposits ``lp_capital``
  there. Every option position is isolated, on every rung: the rungs differ by the vault that
  writes the options, which is what isolating an options market means here.
- **smiles**: after the prices of a step, the oracle's feeder publishes each unexpired expiry's
  SVI smile (:class:`~ringfence.lab.scenario_options.SmileShape`) at the at-the-money volatility
  of :class:`~ringfence.lab.scenario_options.VolatilityModel`, driven by the oracle's price.
- **traders** open at the start (after the perpetual book): buyers of puts and calls deposit the
  premium and fee the core's own functions quote for their size (``series_quote``,
  ``fill_price``, ``fee_atoms``) and pay it in full; writers sell puts posting a multiple of the
  core's initial requirement. A refused opening leaves the trader flat (counted). A writer with a
  reserve tops up (``AdjustSeriesMargin``) before the keepers look, while below its health.
- **keepers**: every step, each expired series is settled (``SettleSeries``, retried until the
  window has a fresh price), then every writer below maintenance (the core's
  ``isolated_series_margin``) is liquidated once it has been so for the keepers' latency, unless
  the keeper's draw fails (``keepers.failure_probability``; no congestion, gas or capital for
  options). The core verifies and decides every close.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from ringfence.core.commands import Deposit
from ringfence.core.errors import RingfenceError
from ringfence.core.events import Event
from ringfence.core.margin import MarginKind
from ringfence.core.pool.events import BackstopAbsorbed, LossSocialised
from ringfence.core.pool.perp_math import signed_notional_atoms
from ringfence.core.pool.series_commands import (
    AdjustSeriesMargin,
    LiquidateSeries,
    PublishVolSurface,
    SettleSeries,
    TradeSeries,
)
from ringfence.core.pool.series_events import SeriesPositionLiquidated, SeriesPositionSettled, SeriesTradeFilled
from ringfence.core.pool.series_exposure import pool_exposure
from ringfence.core.pool.series_margin import isolated_series_margin, series_quote
from ringfence.core.pool.series_math import fee_atoms, fill_price, position_value_atoms, requirement_atoms
from ringfence.core.pool.series_state import SeriesKind, SeriesParams
from ringfence.core.pool.state import MarginMode
from ringfence.core.state import LedgerState
from ringfence.core.units import WAD, Rounding
from ringfence.lab.exact.layout import (
    BASE_DECIMALS,
    QUOTE,
    QUOTE_DECIMALS,
    QUOTE_UNIT,
    SECOND_NS,
    SOURCE,
    START_NS,
    option_market_label,
    to_atoms,
)
from ringfence.lab.exact.ledger import Ledger, Tally, VaultMarks
from ringfence.lab.exact.option_listing import wad
from ringfence.lab.options_results import OptionRun
from ringfence.lab.scenario import Scenario
from ringfence.lab.scenario_options import OptionMarketDesign, SmileShape, VolatilityModel

__all__ = [
    "OPTION_DRAWS_STREAM",
    "OPTION_POPULATION_STREAM",
    "SETTLER",
    "OptionDesk",
    "OptionVaultMarks",
    "atm_volatility_step",
    "option_lp",
    "smile_parameters",
]

FloatArray = NDArray[np.float64]
BASE_UNIT = 10**BASE_DECIMALS
OPTION_POPULATION_STREAM = 3
"""Option traders of market ``m`` come from ``default_rng([seed, 3, m])`` (``[seed, 3, m, run]`` on a fixed path)."""
OPTION_DRAWS_STREAM = 4
"""The option keepers' uniforms of path ``p`` come from ``default_rng([seed, 4, p])``."""
SETTLER = "keeper-settle"
"""The keeper that sends ``SettleSeries`` (it holds nothing: settlement pays no one for sending it)."""
OPTION_KEEPER = "keeper0"


def option_lp(asset: str) -> str:
    """Return the LP of the option market on ``asset`` (the writers' vault's depositor)."""
    return f"lp-opt-{asset}"


def atm_volatility_step(log_volatility: float, price_ratio: float, step_seconds: int, model: VolatilityModel) -> float:
    """Return the next log-volatility ``z·2^(−Δt/half_life) − spot_beta·ln(S_t/S_{t−1})`` (:class:`VolatilityModel`)."""
    decay = math.pow(2.0, -step_seconds / model.half_life_seconds)
    return log_volatility * decay - model.spot_beta * math.log(price_ratio)


def smile_parameters(
    atm_volatility: float, years: float, shape: SmileShape
) -> tuple[float, float, float, float, float]:
    """Return raw SVI ``(a, b, ρ, m, σ)`` whose ``w(0)`` is ``atm_volatility²·years`` (:class:`SmileShape`)."""
    level = atm_volatility**2 * years
    return level * (1.0 - shape.wing * shape.curvature), shape.wing * level, shape.skew, 0.0, shape.curvature


@dataclass(slots=True)
class _Holder:
    """One option trader's position: its account, its series, whether it wrote it, and a writer's reserve."""

    owner: str
    series: str
    writer: bool
    margin_atoms: int = 0
    reserve_atoms: int = 0


@dataclass(slots=True)
class _Market:
    """One option market in a run: its design, pool, series and traders, and what it recorded."""

    index: int
    design: OptionMarketDesign
    pool: str
    listed: tuple[SeriesParams, ...]
    holders: list[_Holder]
    log_volatility: float = 0.0
    premium_atoms: int = 0
    bad_debt_atoms: int = 0
    liquidations: int = 0
    liquidated_notional_atoms: int = 0
    settlement_paid_atoms: int = 0
    opened: int = 0
    refused: int = 0
    smiles_refused: int = 0
    top_up_atoms: int = 0


class OptionDesk:
    """Every option market of one run: the oracle's smiles, the option traders and their keepers."""

    def __init__(
        self,
        scenario: Scenario,
        markets: Sequence[tuple[OptionMarketDesign, str, tuple[SeriesParams, ...]]],
        ledger: Ledger,
        tally: Tally,
        path_index: int,
        per_run_population: bool,
    ) -> None:
        self.scenario, self.ledger, self.tally = scenario, ledger, tally
        self.step_seconds = scenario.horizon.step_seconds
        steps = scenario.horizon.steps + 1
        self.markets = [_Market(m, design, pool, listed, []) for m, (design, pool, listed) in enumerate(markets)]
        self.path_index = path_index
        self.per_run_population = per_run_population
        count = len(self.markets)
        self.delta = np.zeros((count, steps))
        self.gamma = np.zeros((count, steps))
        self.vega = np.zeros((count, steps))
        self.atm = np.zeros((count, steps))
        holders = sum(m.design.traders.buyers + m.design.traders.writers for m in self.markets)
        self.keeper_draws = np.random.default_rng([scenario.seed, OPTION_DRAWS_STREAM, path_index]).random(
            (steps, max(holders, 1))
        )
        self.first_seen: dict[tuple[int, int], int] = {}

    # --- the oracle's smiles ---------------------------------------------------------------

    def publish(self, step: int, now_ns: int, oracle_prices: FloatArray, asset_row: dict[str, int]) -> None:
        """Move each market's ATM volatility with its underlying's oracle price and publish every unexpired smile."""
        for market in self.markets:
            row = asset_row[market.design.asset]
            if step > 0:
                ratio = float(oracle_prices[row, step] / oracle_prices[row, step - 1])
                market.log_volatility = atm_volatility_step(
                    market.log_volatility, ratio, self.step_seconds, market.design.volatility
                )
            volatility = market.design.volatility.base * float(np.exp(market.log_volatility))
            self.atm[market.index, step] = volatility
            for expiry_ns in sorted({params.expiry_ns for params in market.listed}):
                if now_ns >= expiry_ns:
                    continue
                years = (expiry_ns - now_ns) / (365 * 86_400 * SECOND_NS)
                a, b, rho, m, sigma = smile_parameters(volatility, years, market.design.smile)
                command = PublishVolSurface(
                    SOURCE, market.pool, market.design.asset, expiry_ns, wad(a), wad(b), wad(rho), wad(m),
                    wad(sigma), now_ns,
                )  # fmt: skip
                if self._try(command, SOURCE) is None:
                    market.smiles_refused += 1

    # --- option traders -------------------------------------------------------------------

    def _rng(self, market: _Market) -> np.random.Generator:
        stream = [self.scenario.seed, OPTION_POPULATION_STREAM, market.index]
        return np.random.default_rng([*stream, self.path_index] if self.per_run_population else stream)

    def open_positions(self, now_ns: int) -> float:
        """Let every market's traders open (buyers first, then writers); return the USD they deposited."""
        deposited = 0.0
        for market in self.markets:
            deposited += self._open_market(market, now_ns)
        return deposited

    def _open_market(self, market: _Market, now_ns: int) -> float:
        traders = market.design.traders
        rng = self._rng(market)
        sigma = traders.size_log_sd
        puts = [p for p in market.listed if p.kind is SeriesKind.PUT]
        calls = [p for p in market.listed if p.kind is SeriesKind.CALL]
        buy_put = rng.random(traders.buyers) < traders.put_share
        buy_pick = rng.integers(0, len(puts), size=traders.buyers)
        bought = traders.contracts_mean * rng.lognormal(-0.5 * sigma * sigma, sigma, size=traders.buyers)
        write_pick = rng.integers(0, len(puts), size=traders.writers)
        contracts = traders.contracts_mean * rng.lognormal(-0.5 * sigma * sigma, sigma, size=traders.writers)
        deposited = 0.0
        for j in range(traders.buyers):
            series = (puts if buy_put[j] else calls)[int(buy_pick[j])]
            owner = f"o{market.index}-b{j}"
            deposited += self._buy(market, owner, series, float(bought[j]), now_ns)
        for j in range(traders.writers):
            owner = f"o{market.index}-w{j}"
            deposited += self._write(market, owner, puts[int(write_pick[j])], float(contracts[j]), now_ns)
        return deposited

    def _deposit(self, owner: str, usd: float, now_ns: int) -> int:
        amount = to_atoms(usd)
        self.ledger.apply(Deposit(owner, 0, QUOTE, amount, now_ns), owner)
        return amount

    def _buy(self, market: _Market, owner: str, params: SeriesParams, contracts: float, now_ns: int) -> float:
        state = self.ledger.state
        pool = state.pools[market.pool]
        series = pool.series[params.series]
        size = int(contracts * BASE_UNIT)
        try:
            index, quote = series_quote(state, pool, series, now_ns, for_new_risk=True)
        except RingfenceError:
            market.refused += 1
            return 0.0
        price = fill_price(series, quote, index, size)
        premium = signed_notional_atoms(size, price, BASE_DECIMALS, QUOTE_DECIMALS, Rounding.UP)
        cost = premium + fee_atoms(params, size, index, price, BASE_DECIMALS, QUOTE_DECIMALS)
        self.ledger.apply(Deposit(owner, 0, QUOTE, cost, now_ns), owner)
        self._trade(market, owner, params, size, cost, writer=False, now_ns=now_ns)
        return float(cost / QUOTE_UNIT)

    def _write(self, market: _Market, owner: str, params: SeriesParams, contracts: float, now_ns: int) -> float:
        state = self.ledger.state
        size = int(contracts * BASE_UNIT)
        index = state.oracles[params.underlying].accepted_price_wad or 1
        required = requirement_atoms(params, -size, index, MarginKind.INITIAL, BASE_DECIMALS, QUOTE_DECIMALS)
        margin_usd = float(market.design.traders.writer_margin_multiple * required / QUOTE_UNIT)
        margin = self._deposit(owner, margin_usd, now_ns)
        if self._trade(market, owner, params, -size, margin, writer=True, now_ns=now_ns):
            holder = market.holders[-1]
            holder.margin_atoms = margin
            holder.reserve_atoms = int(margin * market.design.traders.writer_top_up_reserve)
        return margin_usd

    def _trade(
        self, market: _Market, owner: str, params: SeriesParams, size: int, margin: int, *, writer: bool, now_ns: int
    ) -> bool:
        """Send the opening trade; return whether the engine filled it (a refusal is counted)."""
        if size == 0:
            market.refused += 1
            return False
        command = TradeSeries(owner, 0, market.pool, params.series, size, MarginMode.ISOLATED, margin, 0, now_ns)
        events = self._try(command, owner)
        if events is None:
            market.refused += 1
            return False
        fill = next(e for e in events if isinstance(e, SeriesTradeFilled))
        market.premium_atoms += fill.premium_atoms
        market.opened += 1
        market.holders.append(_Holder(owner, params.series, writer))
        return True

    def _try(self, command: object, sender: str) -> list[Event] | None:
        try:
            return self.ledger.apply(command, sender)  # type: ignore[arg-type]
        except RingfenceError:
            return None

    # --- keepers ----------------------------------------------------------------------------

    def keep(self, step: int, now_ns: int) -> None:
        """Settle expired series, then liquidate writers below maintenance (module docstring)."""
        keepers = self.scenario.keepers
        latency = 0 if keepers is None else keepers.latency_seconds
        failure = 0.0 if keepers is None else keepers.failure_probability
        column = 0
        for market in self.markets:
            self._settle(market, now_ns)
            for holder in market.holders:
                self._top_up(market, holder, now_ns)
            for number, holder in enumerate(market.holders):
                key = (market.index, number)
                if not holder.writer or not self._below_maintenance(market, holder, now_ns):
                    self.first_seen.pop(key, None)
                    continue
                first = self.first_seen.setdefault(key, step)
                draw = self.keeper_draws[step, min(column + number, self.keeper_draws.shape[1] - 1)]
                if keepers is None or (step - first) * self.step_seconds < latency or draw < failure:
                    continue
                self._liquidate(market, holder, now_ns)
            column += len(market.holders)

    def _maintenance(self, market: _Market, holder: _Holder, now_ns: int) -> tuple[int, int] | None:
        """Return an open, unexpired position's maintenance ``(equity, requirement)`` (the core's), else None."""
        state = self.ledger.state
        pool = state.pools[market.pool]
        position = pool.series_positions.get(((holder.owner, 0), holder.series))
        series = pool.series[holder.series]
        if position is None or series.settlement_price_wad is not None or now_ns >= series.params.expiry_ns:
            return None
        try:
            return isolated_series_margin(state, pool, series, position, MarginKind.MAINTENANCE, now_ns)
        except RingfenceError:
            return None

    def _below_maintenance(self, market: _Market, holder: _Holder, now_ns: int) -> bool:
        terms = self._maintenance(market, holder, now_ns)
        return terms is not None and terms[0] < terms[1]

    def _top_up(self, market: _Market, holder: _Holder, now_ns: int) -> None:
        """Let a writer below ``writer_top_up_health`` move margin from its reserve into its position's vault."""
        traders = market.design.traders
        if not holder.writer or holder.reserve_atoms <= 0:
            return
        terms = self._maintenance(market, holder, now_ns)
        if terms is None or terms[1] <= 0 or terms[0] >= traders.writer_top_up_health * terms[1]:
            return
        amount = min(holder.reserve_atoms, int(holder.margin_atoms * traders.writer_top_up_fraction))
        if amount <= 0:
            return
        self.ledger.apply(Deposit(holder.owner, 0, QUOTE, amount, now_ns), holder.owner)
        holder.reserve_atoms -= amount
        command = AdjustSeriesMargin(holder.owner, 0, market.pool, holder.series, amount, now_ns)
        if self._try(command, holder.owner) is not None:
            market.top_up_atoms += amount  # a refused move leaves the deposit in the writer's balance

    def _liquidate(self, market: _Market, holder: _Holder, now_ns: int) -> None:
        command = LiquidateSeries(OPTION_KEEPER, 0, holder.owner, 0, market.pool, holder.series, now_ns)
        events = self._try(command, OPTION_KEEPER)
        if events is None:
            return
        for event in events:
            if isinstance(event, SeriesPositionLiquidated):
                market.liquidations += 1
                index = self.ledger.state.oracles[market.design.asset].accepted_price_wad or 0
                market.liquidated_notional_atoms += abs(event.size_atoms) * index // (WAD * 10**12)
                market.bad_debt_atoms += event.shortfall_atoms
                self.tally.bad_debt_atoms[market.pool] = (
                    self.tally.bad_debt_atoms.get(market.pool, 0) + event.shortfall_atoms
                )
        self._count_losses(events)

    def _settle(self, market: _Market, now_ns: int) -> None:
        pool = self.ledger.state.pools[market.pool]
        for params in market.listed:
            if now_ns < params.expiry_ns or pool.series[params.series].settlement_price_wad is not None:
                continue
            events = self._try(SettleSeries(SETTLER, market.pool, params.series, now_ns), SETTLER)
            if events is None:
                continue  # no fresh price in the window yet: the keeper tries again next step
            for event in events:
                if isinstance(event, SeriesPositionSettled):
                    market.settlement_paid_atoms += event.paid_atoms
                    market.bad_debt_atoms += event.shortfall_atoms
                    self.tally.bad_debt_atoms[market.pool] = (
                        self.tally.bad_debt_atoms.get(market.pool, 0) + event.shortfall_atoms
                    )
            self._count_losses(events)

    def _count_losses(self, events: list[Event]) -> None:
        for event in events:
            if isinstance(event, BackstopAbsorbed | LossSocialised):
                self.tally.lp_loss_atoms[event.pool] = self.tally.lp_loss_atoms.get(event.pool, 0) + event.amount_atoms

    # --- records ----------------------------------------------------------------------------

    def record(self, step: int, now_ns: int) -> None:
        """Record each market's net Greeks: the core's pool exposure in the market's underlying."""
        state = self.ledger.state
        for market in self.markets:
            totals = pool_exposure(state, market.pool, now_ns).totals.get(market.design.asset, (0, 0, 0))
            self.delta[market.index, step] = totals[0] / WAD
            self.gamma[market.index, step] = totals[1] / WAD
            self.vega[market.index, step] = totals[2] / WAD / 100.0

    def series_values_atoms(self, now_ns: int) -> dict[str, int]:
        """Return, per market label, the traders' open positions at their marks (the vault owes them; floored)."""
        state = self.ledger.state
        values: dict[str, int] = {}
        for market in self.markets:
            values[option_market_label(market.design.asset)] = _open_value_atoms(state, market, now_ns)
        return values

    def position_value_atoms(self, pool_id: str, series_id: str, position: object, now_ns: int) -> int:
        """Return a series position's value at its mark at ``now_ns`` (the conservation sum's valuation)."""
        market = next(m for m in self.markets if m.pool == pool_id and series_id in {p.series for p in m.listed})
        return _position_value(self.ledger.state, market, series_id, position, now_ns)

    def latent_bad_debt_atoms(self, now_ns: int) -> list[int]:
        """Return per market the negative equity of positions still open, at their marks (end of run)."""
        state = self.ledger.state
        latent = []
        for market in self.markets:
            pool = state.pools[market.pool]
            total = 0
            for holder in market.holders:
                position = pool.series_positions.get(((holder.owner, 0), holder.series))
                if position is None:
                    continue
                value = _position_value(state, market, holder.series, position, now_ns)
                total += max(-(position.isolated_margin_atoms + value), 0)
            latent.append(total)
        return latent

    def result(self, vault_pnl_usd: FloatArray, latent_atoms: list[int], borne_by_others_usd: FloatArray) -> OptionRun:
        """Return the run's :class:`OptionRun` (``vault_pnl_usd`` and ``borne_by_others_usd`` from the vault marks)."""

        def per_market(values: list[float]) -> FloatArray:
            return np.array(values, dtype=np.float64)

        markets = self.markets
        return OptionRun(
            markets=tuple(option_market_label(m.design.asset) for m in markets),
            pools=tuple(m.pool for m in markets),
            delta=self.delta,
            gamma=self.gamma,
            vega_per_point=self.vega,
            atm_volatility=self.atm,
            premium_usd=per_market([m.premium_atoms / QUOTE_UNIT for m in markets]),
            vault_pnl_usd=np.asarray(vault_pnl_usd, dtype=np.float64),
            bad_debt_usd=per_market([m.bad_debt_atoms / QUOTE_UNIT for m in markets]),
            latent_bad_debt_usd=per_market([a / QUOTE_UNIT for a in latent_atoms]),
            liquidations=per_market([float(m.liquidations) for m in markets]),
            liquidated_notional_usd=per_market([m.liquidated_notional_atoms / QUOTE_UNIT for m in markets]),
            settlement_paid_usd=per_market([m.settlement_paid_atoms / QUOTE_UNIT for m in markets]),
            positions_opened=per_market([float(m.opened) for m in markets]),
            openings_refused=per_market([float(m.refused) for m in markets]),
            smiles_refused=per_market([float(m.smiles_refused) for m in markets]),
            writer_top_ups_usd=per_market([m.top_up_atoms / QUOTE_UNIT for m in markets]),
            borne_by_other_lps_usd=np.asarray(borne_by_others_usd, dtype=np.float64),
        )


def _position_value(state: LedgerState, market: _Market, series_id: str, position: object, now_ns: int) -> int:
    """Return a position's value at its mark (the core's ``position_value_atoms`` at maintenance)."""
    pool = state.pools[market.pool]
    series = pool.series[series_id]
    _, quote = series_quote(state, pool, series, now_ns)
    return position_value_atoms(
        series.params,
        position,  # type: ignore[arg-type]
        quote.mark_wad,
        MarginKind.MAINTENANCE,
        BASE_DECIMALS,
        QUOTE_DECIMALS,
    )


def _open_value_atoms(state: LedgerState, market: _Market, now_ns: int) -> int:
    pool = state.pools[market.pool]
    total = 0
    marks: dict[str, int] = {}
    for (_, series_id), position in pool.series_positions.items():
        series = pool.series[series_id]
        if series.params.underlying != market.design.asset:
            continue
        if series_id not in marks:
            try:
                marks[series_id] = series_quote(state, pool, series, now_ns)[1].mark_wad
            except RingfenceError:
                continue
        total += position_value_atoms(
            series.params, position, marks[series_id], MarginKind.MAINTENANCE, BASE_DECIMALS, QUOTE_DECIMALS
        )
    return total


class OptionVaultMarks(VaultMarks):
    """The markets' vault marks with a column per option market: its flows less its traders' positions at their marks.

    The ledger books the vault change of every series command under ``(pool, <asset>-OPTIONS)``
    (:class:`~ringfence.lab.exact.ledger.Ledger`); the option market's LP is ``lp-opt-<asset>``, so
    its home column is the option market and contagion counts what it bears from the others.
    ``now_ns`` is set by the runner before each mark (the marks read the latest smile).
    """

    def __init__(
        self, markets: tuple[str, ...], assets: tuple[str, ...], pools: tuple[str, ...], desk: OptionDesk
    ) -> None:
        super().__init__(markets, assets, pools)
        self.desk = desk
        self.now_ns = START_NS

    def marks_usd(
        self, state: LedgerState, flows: dict[tuple[str, str], int], prices_wad: dict[str, int]
    ) -> FloatArray:
        """Return each column's mark; an option column's less its traders' open positions at their marks."""
        marks = super().marks_usd(state, flows, prices_wad)
        values = self.desk.series_values_atoms(self.now_ns)
        for column, market in enumerate(self.markets):
            if market in values:
                marks[column] -= values[market] / QUOTE_UNIT
        return marks

    def borne_by_other_lps_usd(self, perp_markets: int) -> FloatArray:
        """Return, per option market, minus the other LPs' shares of its marks (positive: a loss they bore)."""
        columns = range(perp_markets, len(self.markets))
        return np.array(
            [-(float(self.lp_pnl[:, c].sum()) - float(self.lp_pnl[c, c])) for c in columns], dtype=np.float64
        )
