"""The exact stress engine: agents send commands to the integer engine, step by step (``docs/stress-model.md``).

One call of :func:`run_exact` plays one path on one rung of the isolation ladder at one margin
scale and returns a :class:`~ringfence.lab.results.RunResult`. Everything the engine decides
(fills, liquidation sizes, penalties, the waterfall) is the engine's; the runner only decides
*when* agents act, from the model's rules and the pre-drawn uniforms.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from ringfence.core.commands import SubmitPrice
from ringfence.core.governance.commands import UpdateRiskMargin
from ringfence.core.pool.credit_lines import credit_nav_atoms
from ringfence.core.pool.perp_math import pool_nav_range_atoms
from ringfence.core.pool.series_margin import series_claims_atoms
from ringfence.core.units import MAX_ATOMS
from ringfence.lab.dynamic_margins import RISK_MODEL, margin_updater
from ringfence.lab.exact.agents import PROTOCOL_LIQUIDATOR, Agents
from ringfence.lab.exact.credit import line_outcome, repay_lines
from ringfence.lab.exact.layout import (
    BASE_DECIMALS,
    QUOTE,
    QUOTE_DECIMALS,
    QUOTE_UNIT,
    SECOND_NS,
    SOURCE,
    START_NS,
    VENUE_ADMIN,
    Layout,
    layout_venue,
    option_market_label,
    to_wad,
)
from ringfence.lab.exact.ledger import Ledger, Tally, VaultMarks
from ringfence.lab.exact.options import OptionDesk, OptionVaultMarks
from ringfence.lab.exact.parties import party_pnl_atoms
from ringfence.lab.exact.population import Draws, TraderBook
from ringfence.lab.results import LIQUIDATION_DTYPE, IsolationLevel, RunResult
from ringfence.lab.sample import ScenarioPaths, fixed_path
from ringfence.lab.scenario import Scenario, market_impact
from ringfence.lab.vector.kernels import impact_decay, square_root_impact

__all__ = ["run_exact"]

FloatArray = NDArray[np.float64]


class _Prices:
    """Market and oracle prices of the venue's assets on one path, with the depth model's impact."""

    def __init__(self, scenario: Scenario, layout: Layout, paths: ScenarioPaths, path_index: int) -> None:
        rows = [paths.assets.index(asset) for asset in layout.assets]
        self.exogenous = np.asarray(paths.market[rows, path_index], dtype=np.float64)
        self.exogenous_oracle = np.asarray(paths.oracle[rows, path_index], dtype=np.float64)
        self.age_steps = (paths.oracle_age_seconds // scenario.horizon.step_seconds).astype(np.int64)
        self.age_seconds = paths.oracle_age_seconds.astype(np.int64)
        shape = self.exogenous.shape
        self.impact = np.zeros(shape)
        self.market = self.exogenous.copy()
        self.oracle = self.exogenous_oracle.copy()
        impact = market_impact(scenario)
        per_market = [impact.assets.index(asset) for asset in layout.assets]
        self.depth = np.asarray(impact.depth_usd, dtype=np.float64)[per_market]
        self.coefficient = np.asarray(impact.coefficient, dtype=np.float64)[per_market]
        self.decay = impact_decay(scenario.horizon.step_seconds, scenario.liquidity.recovery_half_life_seconds)

    def advance(self, step: int, flow_impact: FloatArray) -> None:
        """Carry impact into ``step`` and set its market and oracle prices."""
        self.impact[:, step] = self.impact[:, step - 1] * self.decay + flow_impact
        self.market[:, step] = self.exogenous[:, step] * np.exp(self.impact[:, step])
        seen = max(step - int(self.age_steps[step]), 0)
        self.oracle[:, step] = self.exogenous_oracle[:, step] * np.exp(self.impact[:, seen])

    def flow_impact(self, flow_usd: FloatArray) -> FloatArray:
        """Return the square-root impact of each asset's net signed flow (a sale is negative)."""
        return square_root_impact(-flow_usd, self.depth, self.coefficient)


class _Run:
    """The state of one exact run (the engine, the agents, the series being recorded)."""

    def __init__(
        self,
        scenario: Scenario,
        layout: Layout,
        book: TraderBook,
        prices: _Prices,
        draws: Draws,
        path_index: int = 0,
    ) -> None:
        self.scenario, self.layout, self.prices = scenario, layout, prices
        self.ledger = Ledger()
        self.tally = Tally()
        market_pools = tuple(layout.pool_of(i) for i in range(len(layout.markets)))
        self.desk: OptionDesk | None = None
        self.marks: VaultMarks
        if layout.option_markets:
            self.desk = OptionDesk(
                scenario, layout.option_markets, self.ledger, self.tally, path_index, fixed_path(scenario)
            )
            options = layout.option_markets
            self.marks = OptionVaultMarks(
                (*layout.markets, *(option_market_label(design.asset) for design, _, _ in options)),
                (*layout.assets, *(f"opt-{design.asset}" for design, _, _ in options)),
                (*market_pools, *(pool for _, pool, _ in options)),
                self.desk,
            )
        else:
            self.marks = VaultMarks(layout.markets, layout.assets, market_pools)
        self.step_seconds = scenario.horizon.step_seconds
        self.last_published = [-1] * len(layout.assets)
        self.agents = Agents(scenario, layout, book, draws, self.ledger, self.tally)
        steps = scenario.horizon.steps + 1
        self.insurance = np.zeros((len(layout.pools), steps))
        self.nav = np.zeros((len(layout.pools), steps))
        self.open_notional = np.zeros(steps)
        self.updater = margin_updater(scenario, tuple(sent.command for sent in layout.setup), layout.markets)

    def now(self, step: int) -> int:
        return START_NS + step * self.step_seconds * SECOND_NS

    def publish(self, step: int) -> None:
        """Submit the oracle's price of each asset when it has a new publication, and the quote at par."""
        now = self.now(step)
        self.ledger.apply(SubmitPrice(QUOTE, SOURCE, to_wad(1.0), 0, now, now), SOURCE)
        for index, asset in enumerate(self.layout.assets):
            published = now - int(self.prices.age_seconds[step]) * SECOND_NS
            if published <= self.last_published[index]:
                continue
            price = to_wad(float(self.prices.oracle[index, step]))
            # the engine takes prices in [1, MAX_ATOMS] WAD; a compounding impact can leave that range
            self.ledger.apply(SubmitPrice(asset, SOURCE, min(max(price, 1), MAX_ATOMS), 0, published, now), SOURCE)
            self.last_published[index] = published

    def publish_smiles(self, step: int) -> None:
        """Let the oracle's feeder publish each option market's smiles (:meth:`OptionDesk.publish`)."""
        if self.desk is not None:
            rows = {asset: i for i, asset in enumerate(self.layout.assets)}
            self.desk.publish(step, self.now(step), self.prices.oracle, rows)

    def update_margins(self, step: int) -> None:
        """On an update step of a dynamic-margin scenario, the risk model moves each market's rates."""
        if self.updater is None or not self.updater.due(step):
            return
        state, now = self.ledger.state, self.now(step)
        for index, market in enumerate(self.layout.markets):
            pool = self.layout.pool_of(index)
            params = state.pools[pool].markets[market].params
            update = self.updater.update(
                index, self.prices.oracle[index], step, params.initial_margin_wad, params.maintenance_margin_wad
            )
            if update is not None:
                command = UpdateRiskMargin(
                    RISK_MODEL,
                    pool,
                    market,
                    update.initial_margin_wad,
                    update.maintenance_margin_wad,
                    update.cause,
                    now,
                )
                self.ledger.apply(command, RISK_MODEL)

    def record(self, step: int) -> None:
        """Insurance, LP NAV and traders' open notional at the end of ``step``."""
        state = self.ledger.state
        for index, pool_id in enumerate(self.layout.pools):
            self.insurance[index, step] = state.pools[pool_id].insurance_atoms / QUOTE_UNIT
        self.nav[:, step] = self.nav_now(step)
        if self.desk is not None and isinstance(self.marks, OptionVaultMarks):
            self.desk.record(step, self.now(step))
            self.marks.now_ns = self.now(step)
        self.marks.mark(state, self.ledger.vault_flow_atoms, self.oracle_wad(step))
        self.open_notional[step] = self.agents.open_notional_usd(self.prices.market[:, step])

    def play(self) -> None:
        for command in self.layout.registry:
            self.ledger.apply(command, VENUE_ADMIN)
        self.publish(0)
        for sent in self.layout.setup:
            self.ledger.apply(sent.command, sent.sender)
        self.marks.start(self.ledger.state)
        self.agents.open_positions(self.now(0))
        if self.desk is not None:
            self.publish_smiles(0)
            self.desk.open_positions(self.now(0))
        self.agents.watch_pools(self.nav_now(0))
        self.record(0)
        flow_impact = np.zeros(len(self.layout.assets))
        for step in range(1, self.scenario.horizon.steps + 1):
            self.prices.advance(step, flow_impact)
            self.publish(step)
            self.publish_smiles(step)
            self.update_margins(step)
            now = self.now(step)
            self.agents.top_up(step, now)
            self.agents.attack(step, now)
            flow = self.agents.keep(step, now, self.prices.market[:, step])
            if self.desk is not None:
                self.desk.keep(step, now)
            flow_impact = self.prices.flow_impact(flow)
            self.agents.flee(step, now, self.nav_now(step))
            repay_lines(self.ledger, self.layout, now)
            self.record(step)

    def oracle_wad(self, step: int) -> dict[str, int]:
        """Return ``step``'s oracle price of each asset as WAD (what the NAV and the marks read)."""
        return {asset: to_wad(float(self.prices.oracle[i, step])) for i, asset in enumerate(self.layout.assets)}

    def nav_now(self, step: int) -> list[float]:
        """Return each pool's LP NAV in USD at ``step``'s oracle prices (redemption side: the low bound).

        Credit lines count as the core counts them: a lender's line cash and claim, less what a
        borrower owes (zero on every rung without lines); so do option series, at their marks
        (the core's ``series_claims_atoms``, the high bound: the NAV's low one).
        """
        state = self.ledger.state
        prices = self.oracle_wad(step)
        bases = dict.fromkeys(self.layout.assets, BASE_DECIMALS)
        now = self.now(step)
        navs = []
        for p in self.layout.pools:
            pool = state.pools[p]
            nav = pool_nav_range_atoms(pool, prices, bases, QUOTE_DECIMALS)[0] + credit_nav_atoms(state, p, now)
            if pool.series_positions:
                nav -= series_claims_atoms(state, pool, now, allow_guarded=True)[1]
            navs.append(nav / QUOTE_UNIT)
        return navs


def _per_pool(totals: dict[str, int], pools: tuple[str, ...]) -> FloatArray:
    return np.array([totals.get(pool, 0) / QUOTE_UNIT for pool in pools], dtype=np.float64)


def run_exact(
    scenario: Scenario,
    paths: ScenarioPaths,
    book: TraderBook,
    draws: Draws,
    isolation: IsolationLevel,
    margin_scale: float,
    path_index: int,
) -> RunResult:
    """Play path ``path_index`` on rung ``isolation`` at ``margin_scale`` through the exact engine.

    Raises
    ------
    RingfenceError
        The scenario builds a venue the engine refuses (the message names the parameter).
    """
    initial = {asset: float(paths.oracle[i, path_index, 0]) for i, asset in enumerate(paths.assets)}
    layout = layout_venue(scenario, isolation, margin_scale, initial)
    run = _Run(scenario, layout, book, _Prices(scenario, layout, paths, path_index), draws, path_index)
    run.play()
    agents, tally = run.agents, run.tally
    liquidations = np.array(agents.liquidations, dtype=LIQUIDATION_DTYPE)
    latent, latent_by_market = agents.latent_bad_debt_usd(run.prices.market[:, -1])
    end_ns = run.now(scenario.horizon.steps)
    option_latent = [] if run.desk is None else run.desk.latent_bad_debt_atoms(end_ns)
    for (_, pool, _), atoms in zip(layout.option_markets, option_latent, strict=True):
        latent[pool] = latent.get(pool, 0.0) + atoms / QUOTE_UNIT
    option_latent_usd = np.array(option_latent, dtype=np.float64) / QUOTE_UNIT
    run.marks.write_off(np.concatenate([latent_by_market, option_latent_usd]))
    latent_per_pool = np.array([latent.get(pool, 0.0) for pool in layout.pools], dtype=np.float64)
    lines = line_outcome(run.ledger.state, layout, run.nav[:, -1], latent_per_pool, run.ledger.drawn_atoms, end_ns)
    return RunResult(
        engine="exact",
        isolation=isolation,
        margin_scale=margin_scale,
        path_index=path_index,
        assets=layout.assets,
        markets=layout.markets,
        pools=layout.pools,
        step_seconds=scenario.horizon.step_seconds,
        market_prices=run.prices.market,
        oracle_prices=run.prices.oracle,
        liquidations=liquidations,
        bad_debt_usd=_per_pool(tally.bad_debt_atoms, layout.pools),
        insurance_usd=run.insurance,
        lp_nav_usd=run.nav,
        lp_loss_usd=_per_pool(tally.lp_loss_atoms, layout.pools),
        adl_loss_usd=_per_pool(tally.adl_loss_atoms, layout.pools),
        contagion_usd=run.marks.contagion_usd(
            _bad_debt_by_market(liquidations, latent_by_market, run.desk, option_latent_usd)
        )
        + tally.adl_contagion_atoms / QUOTE_UNIT
        + float(lines.loss_usd.sum()),
        open_notional_usd=run.open_notional,
        collateral_usd=agents.collateral_deposited_usd,
        attacker_profit_usd=agents.attacker_profit_usd,
        latent_bad_debt_usd=latent_per_pool,
        vault_pnl_by_market_usd=run.marks.last[: len(layout.markets)].copy(),
        execution_cost_usd=_per_pool(agents.execution_cost_atoms, layout.pools),
        gas_usd=agents.gas_atoms / QUOTE_UNIT,
        unserved_liquidations=agents.unserved_liquidations,
        party_pnl_usd=_parties(run),
        credit_line_loss_usd=_if_lines(layout, lines.loss_usd),
        credit_line_cap_usd=_if_lines(layout, lines.cap_usd),
        credit_line_drawn_usd=_if_lines(layout, lines.drawn_usd),
        options=None
        if run.desk is None
        else run.desk.result(
            run.marks.last[len(layout.markets) :].copy(),
            option_latent,
            run.marks.borne_by_other_lps_usd(len(layout.markets))
            if isinstance(run.marks, OptionVaultMarks)
            else np.zeros(len(option_latent)),
        ),
    )


def _if_lines(layout: Layout, values: FloatArray) -> FloatArray:
    """Return a credit-line field: ``values`` on a rung with lines, empty (as a run without them) otherwise."""
    return values if layout.credit_lines else np.zeros(0)


def _bad_debt_by_market(
    liquidations: NDArray[np.void],
    latent_by_market: FloatArray,
    desk: OptionDesk | None = None,
    option_latent_usd: FloatArray | None = None,
) -> FloatArray:
    """Return each market's bad debt over the run: its liquidations' shortfalls plus its latent bad debt.

    With option markets, one more entry per option market (after the perpetual markets): its
    liquidation and settlement shortfalls plus its latent bad debt.
    """
    realised = np.bincount(
        liquidations["market"], weights=liquidations["bad_debt_usd"], minlength=len(latent_by_market)
    )
    perps = np.asarray(realised + latent_by_market, dtype=np.float64)
    if desk is None:
        return perps
    options = np.array([m.bad_debt_atoms / QUOTE_UNIT for m in desk.markets], dtype=np.float64)
    latent = np.zeros(len(options)) if option_latent_usd is None else option_latent_usd
    return np.concatenate([perps, options + latent])


def _parties(run: _Run) -> dict[str, float]:
    """Return each party's P&L in USD, marked at the final market price (exact in atoms, then converted)."""
    final = {asset: to_wad(float(run.prices.market[i, -1])) for i, asset in enumerate(run.layout.assets)}
    desk, end_ns = run.desk, run.now(run.scenario.horizon.steps)
    valuer = (
        None if desk is None else (lambda pool, series, held: desk.position_value_atoms(pool, series, held, end_ns))
    )
    atoms = party_pnl_atoms(
        run.ledger.state,
        run.ledger.external_atoms,
        run.agents.paid_to_market_atoms,
        final,
        PROTOCOL_LIQUIDATOR,
        valuer,
    )
    return {party: amount / QUOTE_UNIT for party, amount in atoms.items()}
