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

With ``[venue.dynamic_margin]``, each path's market rates move after step 2 on the update steps,
by the integers the exact engine's risk model sends (:mod:`ringfence.lab.dynamic_margins`).

Every array has the paths on its first axis; only the keepers' service loops (over ranks and
closes, :mod:`.keepers`) and the LPs loop (over LPs) are Python loops inside a step.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from ringfence.core.errors import InvalidParameter
from ringfence.core.units import WAD
from ringfence.lab.dynamic_margins import MarginUpdater, margin_updater
from ringfence.lab.exact.population import Draws, DrawSet, TraderBook
from ringfence.lab.results import IsolationLevel, RunResult
from ringfence.lab.sample import ScenarioPaths
from ringfence.lab.scenario import Scenario
from ringfence.lab.vector.attribution import (
    allocate_latent,
    attribute_marks,
    defaulted_markets,
    latent_bad_debt,
    lp_contagion,
)
from ringfence.lab.vector.credit import CreditLines, lender_loss
from ringfence.lab.vector.design import Design, Rules, build_design, build_rules, with_population
from ringfence.lab.vector.fused import VectorKernel, choose_kernel, play_fused
from ringfence.lab.vector.keepers import Marks, serve_keepers
from ringfence.lab.vector.kernels import oracle_stale, square_root_impact, top_up_amount
from ringfence.lab.vector.lps import redeem_fleeing_lps
from ringfence.lab.vector.opening import Opening, open_positions
from ringfence.lab.vector.settle import party_pnl, settle_closes
from ringfence.lab.vector.state import Book, Records, Static, initial_book, one_hot
from ringfence.lab.vector.support import check_vector_support

__all__ = ["BookObserver", "MarginObserver", "run_vector"]

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
    keeper_draws: FloatArray
    top_up_draws: FloatArray
    terms: FloatArray
    requirement: FloatArray
    top_up_wanted: FloatArray
    impact: FloatArray
    market_prices: FloatArray
    oracle_prices: FloatArray
    insurance: FloatArray
    nav: FloatArray
    open_notional: FloatArray
    marks: _Marks
    dynamic: _Dynamic | None = None
    observe: MarginObserver | None = None
    watch: BookObserver | None = None


@dataclass(slots=True, eq=False)
class _Dynamic:
    """Dynamic margins: the updater both engines share and each path's current rates in WAD ``(P, M)``."""

    updater: MarginUpdater
    initial_wad: NDArray[np.int64]
    maintenance_wad: NDArray[np.int64]

    @classmethod
    def of(cls, scenario: Scenario, design_key: tuple[IsolationLevel, float], n_paths: int) -> _Dynamic | None:
        """Return the rates of a dynamic-margin scenario, from the exact layout's own integers; None when off."""
        venue = scenario.venue
        if venue is None or venue.dynamic_margin is None:
            return None
        from ringfence.lab.exact.layout import layout_venue  # noqa: PLC0415  # the layout imports .kernels

        layout = layout_venue(scenario, *design_key)
        updater = margin_updater(scenario, tuple(sent.command for sent in layout.setup), layout.markets)
        if updater is None:  # pragma: no cover - dynamic_margin is set
            return None
        initial = np.tile(np.array(updater.initial_wad, dtype=np.int64), (n_paths, 1))
        maintenance = np.tile(np.array(updater.maintenance_wad, dtype=np.int64), (n_paths, 1))
        return cls(updater, initial, maintenance)


@dataclass(slots=True, eq=False)
class _Marks:
    """Each market's mark for its pool's vault ``(P, M)``, the LPs' fractions ``(P, M)`` and P&L ``(P, M, M)``.

    LP ``i`` is market ``i``'s (:mod:`.attribution`).
    """

    by_market: FloatArray
    """``(N, M)``: position ``n`` trades market ``m``."""
    same_pool: NDArray[np.bool_]
    market_basis: FloatArray
    """``(P, M)``: the sum of open positions' signed basis per market (changes only where a close happened)."""
    last: FloatArray
    fraction: FloatArray
    lp_pnl: FloatArray

    @classmethod
    def of(cls, design: Design, basis: FloatArray) -> _Marks:
        """Start every path with no P&L, the opened book's ``basis`` ``(P, N)`` and the LPs' initial fractions."""
        n_paths = basis.shape[0]
        n_markets = len(design.markets)
        same_pool = design.market_pool[:, None] == design.market_pool[None, :]
        capital = np.asarray(design.lp_capital, dtype=np.float64)
        pool_capital = (capital[None, :] * same_pool).sum(axis=1)
        fraction = np.divide(capital, pool_capital, out=np.zeros(n_markets), where=pool_capital > 0)
        by_market = one_hot(design.position_market, n_markets)
        return cls(
            by_market,
            same_pool,
            basis @ by_market,
            np.zeros((n_paths, n_markets)),
            np.tile(fraction, (n_paths, 1)),
            np.zeros((n_paths, n_markets, n_markets)),
        )


MarginObserver = Callable[[int, FloatArray, FloatArray], None]
"""Called every step with ``(step, equity, requirement)`` of every unit ``(P, U)`` as the keepers see them
(after top-ups): a diagnostic for the differential tests' tolerance band."""

BookObserver = Callable[[int, Book, Static, FloatArray, FloatArray, FloatArray], None]
"""Called every step with ``(step, book, static, position oracle prices (P, N), unit equity, unit requirement)``
at the same point as :data:`MarginObserver` (after top-ups, before the keepers); it must not modify
them (the early-warning evaluation, :mod:`ringfence.lab.predictive`, reads positions from them)."""


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


def _stacked(draws: Sequence[Draws], top_up: bool) -> FloatArray:
    """Return every path's uniforms as one array ``(steps + 1, P, columns)``, so a step's rows are one slice.

    A :class:`~ringfence.lab.exact.population.DrawSet` already is that array (no copy); other
    sequences of :class:`Draws` are stacked once.
    """
    if isinstance(draws, DrawSet):
        return draws.top_up if top_up else draws.keeper
    return np.stack([np.asarray(d.top_up if top_up else d.keeper, dtype=np.float64) for d in draws], axis=1)


def _uniforms(run: _Run, step: int, top_up: bool) -> FloatArray:
    """Return every path's uniforms of one step ``(P, columns)``: the keepers' or the top-ups'."""
    return np.asarray(run.top_up_draws[step] if top_up else run.keeper_draws[step])


def _per_path(books: Sequence[TraderBook], n_paths: int) -> TraderBook:
    """Stack one population per path into a book whose amounts have a first axis of paths.

    The populations must share their layout (every position's trader and market): true of a
    replay's draws whenever every trader trades every market (one market, or ``markets_per_trader``
    equal to the number of markets).
    """
    if len(books) != n_paths:
        raise InvalidParameter("traders", f"{len(books)} books", f"one TraderBook, or one per path ({n_paths})")
    first = books[0]
    for index, book in enumerate(books):
        if not (
            np.array_equal(book.position_trader, first.position_trader)
            and np.array_equal(book.position_market, first.position_market)
        ):
            raise InvalidParameter(
                f"traders[{index}]", "another layout", "the positions' traders and markets of traders[0]"
            )
    return TraderBook(
        collateral_usd=np.stack([book.collateral_usd for book in books]),
        reserve_usd=np.stack([book.reserve_usd for book in books]),
        position_trader=first.position_trader,
        position_market=first.position_market,
        position_notional_usd=np.stack([book.position_notional_usd for book in books]),
        position_collateral_usd=np.stack([book.position_collateral_usd for book in books]),
    )


def _open(design: Design, rules: Rules, books: Sequence[TraderBook], prices: FloatArray) -> Opening:
    """Open every path's population at the initial prices; stack the openings (a first axis of paths)."""
    openings = [open_positions(with_population(design, book), rules, prices) for book in books]
    return Opening(
        size=np.stack([opening.size for opening in openings]),
        basis=np.stack([opening.basis for opening in openings]),
        margin=np.stack([opening.margin for opening in openings]),
        vault=np.stack([opening.vault for opening in openings]),
        opened=np.stack([opening.opened for opening in openings]),
        fee=np.stack([opening.fee for opening in openings]),
    )


def _start(
    scenario: Scenario,
    paths: ScenarioPaths,
    traders: TraderBook | Sequence[TraderBook],
    draws: Sequence[Draws],
    design_key: tuple[IsolationLevel, float],
) -> _Run:
    rules = build_rules(scenario)
    n_paths, steps = paths.market.shape[1], scenario.horizon.steps
    books = [traders] if isinstance(traders, TraderBook) else list(traders)
    design = build_design(scenario, books[0], *design_key)
    checked = _check_draws(draws, design, n_paths, steps)
    rows = _asset_rows(design, paths)
    exogenous, exogenous_oracle = paths.market[rows], paths.oracle[rows]
    if isinstance(traders, TraderBook):
        opening = open_positions(design, rules, exogenous_oracle[:, 0, 0])
    else:
        traders = _per_path(books, n_paths)
        opening = _open(design, rules, books, exogenous_oracle[:, 0, 0])
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
        keeper_draws=_stacked(checked, top_up=False),
        top_up_draws=_stacked(checked, top_up=True),
        terms=np.empty(book.size.shape),
        requirement=np.empty(book.size.shape),
        top_up_wanted=rules.top_up_fraction * traders.collateral_usd / k,
        impact=np.zeros(exogenous.shape),
        market_prices=exogenous.copy(),
        oracle_prices=exogenous_oracle.copy(),
        insurance=np.zeros(shape),
        nav=np.zeros(shape),
        open_notional=np.zeros((n_paths, steps + 1)),
        marks=_Marks.of(design, book.basis),
        dynamic=_Dynamic.of(scenario, design_key, n_paths),
    )
    _snapshot(run, 0, book.vault + design.credit_lent)
    _mark(run, exogenous_oracle[:, :, 0])
    return run


def _mark(run: _Run, oracle: FloatArray) -> None:
    """Share each market's mark change since the last step by the LPs' fractions then; take the new fractions.

    ``oracle`` is ``(M, P)``. A mark is the vault's flows booked by the market minus its positions'
    unrealised PnL at the oracle (:mod:`.attribution`).
    """
    book, marks, static = run.book, run.marks, run.static
    unrealised = book.skew * oracle.T - marks.market_basis
    current = book.market_flow - unrealised
    attribute_marks(marks.lp_pnl, marks.fraction, current - marks.last, marks.same_pool)
    marks.last = current
    pool_shares = (book.lp_shares @ static.lp_pool)[:, static.design.market_pool]
    marks.fraction = np.divide(book.lp_shares, pool_shares, out=np.zeros_like(pool_shares), where=pool_shares > 0)


def _latent(run: _Run) -> tuple[FloatArray, FloatArray]:
    """Return each path's latent bad debt per pool ``(P, Q)`` and per market ``(P, M)``; write it off the marks.

    Open units' negative equity at the final market price, split over their positions pro rata to
    their losses and taken off those markets' marks by the LPs' fractions now (:mod:`.attribution`).
    """
    static, book, marks = run.static, run.book, run.marks
    design = static.design
    market = _position_prices(run, run.market_prices[:, :, -1])
    pnl = np.where(book.size != 0.0, book.size * market - book.basis, 0.0).reshape(book.paths, -1, design.slots)
    open_unit = (book.size != 0.0).reshape(book.paths, -1, design.slots).any(axis=2)
    latent = np.where(open_unit, latent_bad_debt(book.margin + pnl.sum(axis=2)), 0.0)
    by_market = allocate_latent(latent, pnl).reshape(book.paths, -1) @ marks.by_market
    attribute_marks(marks.lp_pnl, marks.fraction, -by_market, marks.same_pool)
    marks.last = marks.last - by_market
    unit_pool = design.position_pool.reshape(-1, design.slots)[:, 0]
    return np.asarray(latent @ one_hot(unit_pool, len(design.pools))), np.asarray(by_market)


def market_basis(basis: FloatArray, design: Design) -> FloatArray:
    """Return each market's sum of its positions' signed basis ``(P, M)`` from ``basis`` ``(P, N)``.

    One NumPy sum along the positions per market (zeros for the other markets' positions): an
    order of additions the fused kernel reproduces (``fused_kernel.numpy_row_sum``), unlike a BLAS
    product's.
    """
    markets = design.position_market
    sums = [np.where(markets == market, basis, 0.0).sum(axis=1) for market in range(len(design.markets))]
    return np.stack(sums, axis=1) if sums else np.zeros((basis.shape[0], 0))


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
    """Return each pool's NAV ``(P, Q)``: vault − (Σ skew · price − Σ basis) + the cash its lines hold."""
    book, static = run.book, run.static
    pnl = (book.skew * oracle.T) @ static.lp_pool - book.pool_basis
    return np.asarray(book.vault - pnl + static.design.credit_lent)


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
    impact = square_root_impact(flow, rules.depth_usd[:, None], rules.impact_coefficient[:, None])
    records.close_step()
    return impact


def _update_margins(run: _Run, step: int) -> None:
    """On an update step, move each path's market rates as the exact engine's risk model does (same integers)."""
    dynamic = run.dynamic
    if dynamic is None or not dynamic.updater.due(step):
        return
    book, design = run.book, run.static.design
    for market in range(len(design.markets)):
        columns = np.flatnonzero(design.position_market == market)
        targets = dynamic.updater.targets(market, run.oracle_prices[market], step)
        for path in range(book.paths):
            update = dynamic.updater.step_toward(
                market,
                targets[path],
                int(dynamic.initial_wad[path, market]),
                int(dynamic.maintenance_wad[path, market]),
            )
            if update is None:
                continue
            dynamic.initial_wad[path, market] = update.initial_margin_wad
            dynamic.maintenance_wad[path, market] = update.maintenance_margin_wad
            rate = update.maintenance_margin_wad / WAD
            book.maintenance[path, columns] = rate
            book.requirement_rate[path, columns] = np.abs(book.size[path, columns]) * rate


def _step(run: _Run, step: int, flow: FloatArray) -> FloatArray:
    _prices(run, step, flow)
    _update_margins(run, step)
    oracle = run.oracle_prices[:, :, step]
    price = _position_prices(run, oracle)
    stale = bool(run.stale[step])
    equity, requirement = _unit_margin(run, price)
    if not stale:
        _top_ups(run, step, equity, requirement)
    if run.observe is not None:
        run.observe(step, equity, requirement)
    if run.watch is not None:
        run.watch(step, run.book, run.static, price, equity, requirement)
    prices = Marks(price, _position_prices(run, run.market_prices[:, :, step]))
    closes = serve_keepers(
        run.book, run.static, step, prices, (equity, requirement), lambda: _uniforms(run, step, top_up=False), stale
    )
    settle_closes(run.book, run.static, run.records, step, closes)
    closed = run.records.step_paths
    if closed is not None:
        touched = np.unique(closed)
        run.marks.market_basis[touched] = market_basis(run.book.basis[touched], run.static.design)
    flow = _depth(run)
    nav = _pool_nav(run, oracle)
    _snapshot(run, step, redeem_fleeing_lps(run.book, run.static, nav, oracle, stale))
    _mark(run, oracle)
    return flow


def _results(run: _Run, isolation: IsolationLevel, margin_scale: float, step_seconds: int) -> tuple[RunResult, ...]:
    design, book = run.static.design, run.book
    liquidations = run.records.by_path(book.paths)
    latent, latent_by_market = _latent(run)
    realised = np.stack(
        [
            np.bincount(rows["market"], weights=rows["bad_debt_usd"], minlength=len(design.markets))
            for rows in liquidations
        ]
    )
    defaulted = defaulted_markets(realised + latent_by_market)
    contagion = lp_contagion(run.marks.lp_pnl, np.eye(len(design.markets), dtype=np.bool_), defaulted)
    lines = design.credit
    line_loss = lender_loss(lines, run.nav[:, :, -1].T, latent) if lines is not None else None
    if line_loss is not None:
        contagion = contagion + line_loss.sum(axis=1)
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
            contagion_usd=float(contagion[path]),
            open_notional_usd=run.open_notional[path].copy(),
            collateral_usd=float(book.collateral[path]),
            attacker_profit_usd=0.0,
            latent_bad_debt_usd=latent[path].copy(),
            vault_pnl_by_market_usd=run.marks.last[path].copy(),
            execution_cost_usd=book.execution_cost[path].copy(),
            gas_usd=float(book.keeper_gas[path] + book.protocol_gas[path]),
            unserved_liquidations=int(book.unserved[path]),
            party_pnl_usd={party: float(values[path]) for party, values in parties.items()},
            credit_line_loss_usd=_credit_fields(lines, line_loss, path)[0],
            credit_line_cap_usd=_credit_fields(lines, line_loss, path)[1],
            credit_line_drawn_usd=_credit_fields(lines, line_loss, path)[2],
        )
        for path in range(book.paths)
    )


def _credit_fields(
    lines: CreditLines | None, loss: FloatArray | None, path: int
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Return a path's credit-line loss, caps and draws on the credit-lines rung, empty arrays elsewhere.

    Nothing is ever drawn on the vector engine (:mod:`.credit`); a rung without lines gets what a
    run without them holds (empty arrays, ``RunResult``'s defaults).
    """
    if lines is None or loss is None:
        return np.zeros(0), np.zeros(0), np.zeros(0)
    return loss[path].copy(), lines.lent.copy(), np.zeros(len(lines.lent))


def run_vector(
    scenario: Scenario,
    paths: ScenarioPaths,
    traders: TraderBook | Sequence[TraderBook],
    draws: Sequence[Draws],
    isolation: IsolationLevel,
    margin_scale: float,
    *,
    observe: MarginObserver | None = None,
    watch: BookObserver | None = None,
    kernel: VectorKernel | None = None,
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
        The population at this margin scale (:func:`ringfence.lab.exact.population.draw_population`),
        or one population per path (a replay of a fixed path), all with the same layout: the same
        trader and market for every position (each path's sizes, directions and collateral).
    draws:
        One :class:`~ringfence.lab.exact.population.Draws` per path, at least as many as ``paths``
        has (:func:`ringfence.lab.exact.population.draw_uniforms`).
    isolation, margin_scale:
        The rung of the ladder and the multiplier of every initial and maintenance margin.
    observe:
        Optional diagnostic, called every step with the units' margins (:data:`MarginObserver`).
    watch:
        Optional reader of the whole book every step (:data:`BookObserver`).
    kernel:
        ``fused``, ``numpy`` or ``auto`` (:func:`~.fused.choose_kernel`); None reads
        ``RINGFENCE_VECTOR_KERNEL`` (default ``auto``: fused wherever numba is installed and the
        run needs nothing it refuses). Both give the same results within ``docs/fused-kernel.md``'s
        tolerances.

    Raises
    ------
    ScenarioError
        Naming every key the vector engine does not support (:func:`~.support.check_vector_support`).
    InvalidParameter
        If ``draws`` do not fit the scenario and the paths, or per-path populations differ in layout
        or number; an unknown ``kernel``, or ``fused`` without numba.
    ScenarioError
        ``kernel="fused"`` and the run needs a feature the fused kernel refuses (:func:`~.fused.fused_refusals`).
    """
    check_vector_support(scenario, isolation, margin_scale)
    choice = choose_kernel(scenario, kernel, observed=observe is not None or watch is not None)
    if choice.kernel == "fused":
        run = play_fused(lambda: _start(scenario, paths, traders, draws, (isolation, margin_scale)))
        return _results(run, isolation, margin_scale, scenario.horizon.step_seconds)
    run = _start(scenario, paths, traders, draws, (isolation, margin_scale))
    run.observe = observe
    run.watch = watch
    flow = np.zeros(run.exogenous.shape[:2])
    for step in range(1, scenario.horizon.steps + 1):
        flow = _step(run, step, flow)
    return _results(run, isolation, margin_scale, scenario.horizon.step_seconds)
