"""The wrapper's second half: play ``docs/stress-model.md`` over every path at once, then split the results.

:func:`run_vector` checks the scenario, lays the rung out (:mod:`.design`), opens the book at
time 0 (:mod:`.opening`) and plays steps ``1 … steps`` in the doc's order:

1. market price ``exogenous · exp(impact)``, ``impact ← impact · decay + flow_impact``;
2. oracle ``exogenous oracle · exp(impact at the oracle's source time)``;
3. top-ups (one draw per trader, units in order, from the trader's reserve);
4. (attacker: refused by :func:`~.support.check_vector_support`);
5. keepers (:mod:`.keepers`);
6. depth: each market's net liquidated notional moves the next step's price (square-root impact);
7. LPs flee (:mod:`.lps`).

Every array has the paths on its first axis; only the keepers' service loops (over ranks and
closes, :mod:`.keepers`) and the LPs loop (over LPs) are Python loops inside a step.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from ringfence.core.errors import InvalidParameter
from ringfence.lab.exact.population import Draws, TraderBook
from ringfence.lab.results import IsolationLevel, RunResult
from ringfence.lab.sample import ScenarioPaths
from ringfence.lab.scenario import Scenario
from ringfence.lab.vector.design import Design, build_design, build_rules
from ringfence.lab.vector.keepers import Marks, serve_keepers
from ringfence.lab.vector.kernels import oracle_stale, square_root_impact, top_up_amount
from ringfence.lab.vector.lps import redeem_fleeing_lps
from ringfence.lab.vector.opening import open_positions
from ringfence.lab.vector.settle import party_pnl, settle_closes
from ringfence.lab.vector.state import Book, Records, Static, initial_book
from ringfence.lab.vector.support import check_vector_support

__all__ = ["MarginObserver", "run_vector"]

FloatArray = NDArray[np.float64]


@dataclass(slots=True, eq=False)
class _Run:
    """One vectorised run: inputs, the book and the histories being filled."""

    static: Static
    book: Book
    records: Records
    exogenous: FloatArray
    exogenous_oracle: FloatArray
    oracle_source: NDArray[np.int64]
    stale: NDArray[np.bool_]
    draws: Sequence[Draws]
    terms: FloatArray
    requirement: FloatArray
    top_up_wanted: FloatArray
    impact: FloatArray
    market_prices: FloatArray
    oracle_prices: FloatArray
    insurance: FloatArray
    nav: FloatArray
    open_notional: FloatArray
    observe: MarginObserver | None = None


MarginObserver = Callable[[int, FloatArray, FloatArray], None]
"""Called every step with ``(step, equity, requirement)`` of every unit ``(P, U)`` as the keepers see them
(after top-ups): a diagnostic for the differential tests' tolerance band."""


def _asset_rows(design: Design, paths: ScenarioPaths) -> NDArray[np.int64]:
    return np.array([paths.assets.index(asset) for asset in design.assets], dtype=np.int64)


def _check_draws(draws: Sequence[Draws], design: Design, n_paths: int, steps: int) -> Sequence[Draws]:
    """Return the first ``n_paths`` paths' uniforms after checking their shapes."""
    if len(draws) < n_paths:
        raise InvalidParameter("draws", len(draws), f"one Draws per path, at least {n_paths}")
    traders = int(design.unit_trader.max(initial=-1)) + 1
    for index, draw in enumerate(draws[:n_paths]):
        if draw.keeper.shape[0] != steps + 1 or draw.keeper.shape[1] < design.units:
            raise InvalidParameter(f"draws[{index}].keeper", draw.keeper.shape, f"({steps + 1}, >= {design.units})")
        if draw.top_up.shape[0] != steps + 1 or draw.top_up.shape[1] < traders:
            raise InvalidParameter(f"draws[{index}].top_up", draw.top_up.shape, f"({steps + 1}, >= {traders})")
    return draws[:n_paths]


def _uniforms(run: _Run, step: int, top_up: bool) -> FloatArray:
    """Return every path's uniforms of one step ``(P, columns)``: the keepers' or the top-ups'."""
    return np.stack([np.asarray(d.top_up[step] if top_up else d.keeper[step], dtype=np.float64) for d in run.draws])


def _start(
    scenario: Scenario,
    paths: ScenarioPaths,
    traders: TraderBook,
    draws: Sequence[Draws],
    design_key: tuple[IsolationLevel, float],
) -> _Run:
    rules = build_rules(scenario)
    design = build_design(scenario, traders, *design_key)
    n_paths, steps = paths.market.shape[1], scenario.horizon.steps
    checked = _check_draws(draws, design, n_paths, steps)
    rows = _asset_rows(design, paths)
    exogenous, exogenous_oracle = paths.market[rows], paths.oracle[rows]
    opening = open_positions(design, rules, exogenous_oracle[:, 0, 0])
    book = initial_book(design, rules, traders, opening, n_paths)
    shape = (len(design.pools), n_paths, steps + 1)
    k = scenario.population.markets_per_trader if scenario.population is not None else 1
    source = np.arange(steps + 1) - paths.oracle_age_seconds // scenario.horizon.step_seconds
    run = _Run(
        static=Static.of(design, rules),
        book=book,
        records=Records(),
        exogenous=exogenous,
        exogenous_oracle=exogenous_oracle,
        oracle_source=np.maximum(source, 0),
        stale=oracle_stale(paths.oracle_age_seconds, scenario.horizon.step_seconds, scenario.oracle.staleness_seconds),
        draws=checked,
        terms=np.empty(book.size.shape),
        requirement=np.empty(book.size.shape),
        top_up_wanted=rules.top_up_fraction * traders.collateral_usd / k,
        impact=np.zeros(exogenous.shape),
        market_prices=exogenous.copy(),
        oracle_prices=exogenous_oracle.copy(),
        insurance=np.zeros(shape),
        nav=np.zeros(shape),
        open_notional=np.zeros((n_paths, steps + 1)),
    )
    _snapshot(run, 0, book.vault.copy())
    return run


def _position_prices(run: _Run, by_market: FloatArray) -> FloatArray:
    """Spread prices ``(M, P)`` onto positions ``(P, N)`` (a broadcast view with one market)."""
    design = run.static.design
    if len(design.markets) == 1:
        return np.broadcast_to(by_market.T, (by_market.shape[1], design.position_market.shape[0]))
    return np.asarray(by_market.T[:, design.position_market])


def _snapshot(run: _Run, step: int, nav: FloatArray) -> None:
    book = run.book
    run.insurance[:, :, step] = book.insurance.T
    run.nav[:, :, step] = nav.T
    run.open_notional[:, step] = (book.open_size * run.market_prices[:, :, step].T).sum(axis=1)


def _unit_margin(run: _Run, price: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Return every unit's maintenance equity and requirement ``(P, U)`` at the positions' oracle prices.

    :func:`~.kernels.margin_terms` fused for the whole book: the requirement is kept as
    ``|size| · rate`` (``Book.requirement_rate``), so each step costs a few passes over the book.
    """
    static, book = run.static, run.book
    terms = np.multiply(book.size, price, out=run.terms)
    terms -= book.basis
    if static.weighted:
        terms = np.where(terms > 0.0, terms * static.pnl_weight, terms)
    requirement = np.multiply(book.requirement_rate, price, out=run.requirement)
    slots = static.design.slots
    if slots == 1:
        terms += book.margin
        return terms, requirement
    equity = book.margin + terms.reshape(book.paths, -1, slots).sum(axis=2)
    return equity, requirement.reshape(book.paths, -1, slots).sum(axis=2)


def _pool_nav(run: _Run, oracle: FloatArray) -> FloatArray:
    """Return each pool's NAV ``(P, Q)``: vault − (Σ skew · price − Σ basis), from the incremental sums."""
    book, static = run.book, run.static
    pnl = (book.skew * oracle.T) @ static.lp_pool - book.pool_basis
    return np.asarray(book.vault - pnl)


def _top_ups(run: _Run, step: int, equity: FloatArray, requirement: FloatArray) -> None:
    """Step 3: units below ``top_up_health`` deposit from their trader's reserve, units in order.

    ``equity`` is updated in place with the deposits.
    """
    rules, book = run.static.rules, run.book
    if rules.top_up_health <= 0.0 or rules.top_up_probability <= 0.0:
        return
    draws = _uniforms(run, step, top_up=True)
    wants = draws < rules.top_up_probability
    if not wants.any():
        return
    health = np.divide(equity, requirement, out=np.full_like(equity, np.nan), where=requirement > 0.0)
    traders = book.reserve.shape[1]
    per_trader = run.static.design.units // traders
    for slot in range(per_trader):
        units = np.arange(traders) * per_trader + slot
        amount = top_up_amount(
            health[:, units], rules.top_up_health, draws, rules.top_up_probability, book.reserve, run.top_up_wanted
        )
        book.reserve -= amount
        book.margin[:, units] += amount
        equity[:, units] += amount
        book.collateral += amount.sum(axis=1)


def _prices(run: _Run, step: int, flow: FloatArray) -> None:
    """Move the market by the decayed impact and let the oracle read it at its source time (steps 1, 2)."""
    decay = run.static.rules.impact_decay
    run.impact[:, :, step] = run.impact[:, :, step - 1] * decay + flow
    run.market_prices[:, :, step] = run.exogenous[:, :, step] * np.exp(run.impact[:, :, step])
    source = run.oracle_source[step]
    run.oracle_prices[:, :, step] = run.exogenous_oracle[:, :, step] * np.exp(run.impact[:, :, source])


def _depth(run: _Run) -> FloatArray:
    """Step 6: each market's net liquidated notional of the step becomes its next flow impact ``(M, P)``."""
    rules, records = run.static.rules, run.records
    flow = records.net_flow(*run.exogenous.shape[:2])
    impact = square_root_impact(flow, rules.depth_usd, rules.impact_coefficient)
    records.close_step()
    return impact


def _step(run: _Run, step: int, flow: FloatArray) -> FloatArray:
    _prices(run, step, flow)
    oracle = run.oracle_prices[:, :, step]
    price = _position_prices(run, oracle)
    stale = bool(run.stale[step])
    equity, requirement = _unit_margin(run, price)
    if not stale:
        _top_ups(run, step, equity, requirement)
    if run.observe is not None:
        run.observe(step, equity, requirement)
    prices = Marks(price, _position_prices(run, run.market_prices[:, :, step]))
    closes = serve_keepers(
        run.book, run.static, step, prices, (equity, requirement), lambda: _uniforms(run, step, top_up=False), stale
    )
    settle_closes(run.book, run.static, run.records, step, closes)
    flow = _depth(run)
    nav = _pool_nav(run, oracle)
    _snapshot(run, step, redeem_fleeing_lps(run.book, run.static, nav, oracle, stale))
    return flow


def _results(run: _Run, isolation: IsolationLevel, margin_scale: float, step_seconds: int) -> tuple[RunResult, ...]:
    design, book = run.static.design, run.book
    liquidations = run.records.by_path(book.paths)
    parties = party_pnl(book, run.static, run.market_prices[:, :, -1])
    return tuple(
        RunResult(
            engine="vector",
            isolation=isolation,
            margin_scale=margin_scale,
            path_index=path,
            assets=design.assets,
            markets=design.markets,
            pools=design.pools,
            step_seconds=step_seconds,
            market_prices=run.market_prices[:, path, :].copy(),
            oracle_prices=run.oracle_prices[:, path, :].copy(),
            liquidations=liquidations[path],
            bad_debt_usd=book.bad_debt[path].copy(),
            insurance_usd=run.insurance[:, path, :].copy(),
            lp_nav_usd=run.nav[:, path, :].copy(),
            lp_loss_usd=book.lp_loss[path].copy(),
            adl_loss_usd=np.zeros(len(design.pools)),
            contagion_usd=float(book.contagion[path]),
            open_notional_usd=run.open_notional[path].copy(),
            collateral_usd=float(book.collateral[path]),
            attacker_profit_usd=0.0,
            execution_cost_usd=book.execution_cost[path].copy(),
            gas_usd=float(book.keeper_gas[path] + book.protocol_gas[path]),
            unserved_liquidations=int(book.unserved[path]),
            party_pnl_usd={party: float(values[path]) for party, values in parties.items()},
        )
        for path in range(book.paths)
    )


def run_vector(
    scenario: Scenario,
    paths: ScenarioPaths,
    traders: TraderBook,
    draws: Sequence[Draws],
    isolation: IsolationLevel,
    margin_scale: float,
    *,
    observe: MarginObserver | None = None,
) -> tuple[RunResult, ...]:
    """Play the stress model on every path of ``paths`` at once; return one :class:`RunResult` per path.

    The inputs are the exact engine's (:func:`ringfence.lab.exact.runner.run_exact` plays one
    path of the same): ``run_vector(s, p, book, draws, rung, scale)[i]`` and
    ``run_exact(s, p, book, draws[i], rung, scale, i)`` play the same path, traders and uniforms.

    Parameters
    ----------
    scenario:
        A loaded scenario with ``venue``, ``population`` and ``keepers``.
    paths:
        Its sampled prices (:func:`ringfence.lab.sample.sample_paths`); path ``p`` plays
        ``paths.market[:, p]``.
    traders:
        The population at this margin scale (:func:`ringfence.lab.exact.population.draw_population`).
    draws:
        One :class:`~ringfence.lab.exact.population.Draws` per path, at least as many as ``paths``
        has (:func:`ringfence.lab.exact.population.draw_uniforms`).
    isolation, margin_scale:
        The rung of the ladder and the multiplier of every initial and maintenance margin.
    observe:
        Optional diagnostic, called every step with the units' margins (:data:`MarginObserver`).

    Raises
    ------
    ScenarioError
        Naming every key the vector engine does not support (:func:`~.support.check_vector_support`).
    InvalidParameter
        If ``draws`` do not fit the scenario and the paths.
    """
    check_vector_support(scenario, isolation, margin_scale)
    run = _start(scenario, paths, traders, draws, (isolation, margin_scale))
    run.observe = observe
    flow = np.zeros(run.exogenous.shape[:2])
    for step in range(1, scenario.horizon.steps + 1):
        flow = _step(run, step, flow)
    return _results(run, isolation, margin_scale, scenario.horizon.step_seconds)
