"""The wrapper's first half: lay a scenario's venue, traders and agents out as flat arrays.

The traders come from the exact engine's :class:`~ringfence.lab.exact.population.TraderBook`
(both engines play one population), and the venue follows the exact runner's layout
(``ringfence.lab.exact.layout``): pools ``shared`` or ``pool-<asset>``, markets ``<asset>-PERP``,
margins scaled and clamped below 1, and each pool's fixed penalty capped at the lowest
maintenance rate of its markets (the engine's no-split guard).

Positions are indexed ``n = u·S + q`` (unit ``u``, slot ``q``; ``S`` slots per unit: ``k`` on the
monolithic rung, 1 elsewhere), in the book's order, so a unit's positions are a contiguous row
once reshaped to ``(units, S)``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import NDArray

from ringfence.lab.exact.population import TraderBook
from ringfence.lab.results import IsolationLevel
from ringfence.lab.scenario import Scenario, market_impact
from ringfence.lab.vector.credit import CreditLines, credit_lines_of
from ringfence.lab.vector.kernels import impact_decay as decay_per_step

__all__ = ["SHARED_POOL", "Design", "Rules", "build_design", "build_rules", "with_population"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

SHARED_POOL = "shared"
SHARED_RUNGS = frozenset({"monolithic", "subaccounts"})
HIGHEST_MAINTENANCE = 1.0 - 1e-18
"""The exact layout clamps a scaled maintenance rate to ``WAD − 1``."""


@dataclass(frozen=True, slots=True, eq=False)
class Design:
    """One rung's layout: markets, pools, units and positions (static arrays)."""

    isolation: IsolationLevel
    markets: tuple[str, ...]
    assets: tuple[str, ...]
    pools: tuple[str, ...]
    market_pool: IntArray
    initial_margin: FloatArray
    maintenance_margin: FloatArray
    pnl_weight: FloatArray
    taker_fee: FloatArray
    open_interest_cap: FloatArray
    lp_capital: FloatArray
    pool_insurance: FloatArray
    pool_penalty: FloatArray
    slots: int
    unit_trader: IntArray
    unit_collateral: FloatArray
    position_market: IntArray
    position_trader: IntArray
    position_notional: FloatArray
    position_long: NDArray[np.bool_]
    credit: CreditLines | None = None
    """The credit-lines rung's lines (``None`` on the other rungs: :mod:`.credit`)."""

    @property
    def credit_lent(self) -> FloatArray:
        """Per pool: the caps it lent (its lines hold that cash; zeros without lines)."""
        return self.credit.lent if self.credit is not None else np.zeros(len(self.pools))

    @property
    def credit_room(self) -> FloatArray:
        """Per pool: the room of the lines it borrows on, counted in its reserve (zeros without lines)."""
        return self.credit.room if self.credit is not None else np.zeros(len(self.pools))

    @property
    def units(self) -> int:
        """Number of units."""
        return int(self.unit_trader.shape[0])

    @property
    def position_pool(self) -> IntArray:
        """Pool index of every position."""
        return self.market_pool[self.position_market]

    @property
    def lp_order(self) -> tuple[int, ...]:
        """LPs (one per market) in the order the exact runner's LPs redeem: by account name ``lp-<asset>``."""
        return tuple(sorted(range(len(self.assets)), key=lambda market: f"lp-{self.assets[market]}"))


@dataclass(frozen=True, slots=True, eq=False)
class Rules:
    """The rules of a run: pool design, keepers, liquidity (per market), LPs and top-ups.

    ``depth_usd`` and ``impact_coefficient`` have one entry per market, in the venue's order
    (:func:`ringfence.lab.scenario.market_impact`); every other rule is a scalar.
    """

    step_seconds: float
    liquidator_share: float
    close_factor: float
    insurance_cap: float
    insurance_window: float
    backstop_cap: float
    backstop_window: float
    reserve_factor: float
    keepers: int
    keeper_latency: float
    keeper_failure: float
    congestion_failure: float
    congestion_scale: float
    keeper_capital: float
    depth_usd: FloatArray
    impact_coefficient: FloatArray
    impact_decay: float
    flee_drawdown: float
    flee_share: float
    top_up_health: float
    top_up_probability: float
    top_up_fraction: float
    gas_usd: float | None = None
    """Gas per liquidation transaction (None: keepers act without a profit test)."""
    congestion_gas: float = 0.0
    protocol_backstop_seconds: float | None = None


def build_rules(scenario: Scenario) -> Rules:
    """Return the scalar rules (a checked scenario: venue, population and keepers present).

    A market with neither ``depth_usd`` nor ``daily_volume_usd`` has no price impact (infinite
    depth). The backstop budget shares the insurance window (``venue.pool.insurance_window_seconds``),
    as in the exact layout.
    """
    venue, keepers, population = scenario.venue, scenario.keepers, scenario.population
    if venue is None or keepers is None or population is None:
        raise ValueError("check_vector_support first: venue, population and keepers are required")
    pool, liquidity, lps = venue.pool, scenario.liquidity, scenario.liquidity_providers
    step = float(scenario.horizon.step_seconds)
    impact = market_impact(scenario)
    return Rules(
        step_seconds=step,
        liquidator_share=pool.liquidator_share,
        close_factor=pool.close_factor,
        insurance_cap=math.inf if pool.insurance_draw_cap is None else pool.insurance_draw_cap,
        insurance_window=float(pool.insurance_window_seconds),
        backstop_cap=pool.backstop_loss_cap,
        backstop_window=float(pool.insurance_window_seconds),
        reserve_factor=pool.reserve_factor,
        keepers=keepers.count,
        keeper_latency=float(keepers.latency_seconds),
        keeper_failure=keepers.failure_probability,
        congestion_failure=keepers.congestion_failure,
        congestion_scale=keepers.congestion_scale,
        keeper_capital=math.inf if keepers.capital is None else keepers.capital,
        depth_usd=np.asarray(impact.depth_usd, dtype=np.float64),
        impact_coefficient=np.asarray(impact.coefficient, dtype=np.float64),
        impact_decay=decay_per_step(step, liquidity.recovery_half_life_seconds),
        flee_drawdown=lps.flee_drawdown,
        flee_share=lps.flee_share,
        top_up_health=population.top_up_health,
        top_up_probability=population.top_up_probability,
        top_up_fraction=population.top_up_fraction,
        gas_usd=keepers.gas_usd,
        congestion_gas=keepers.congestion_gas,
        protocol_backstop_seconds=(
            None if keepers.protocol_backstop_seconds is None else float(keepers.protocol_backstop_seconds)
        ),
    )


def _pools(isolation: IsolationLevel, assets: tuple[str, ...]) -> tuple[tuple[str, ...], IntArray]:
    if isolation in SHARED_RUNGS:
        return (SHARED_POOL,), np.zeros(len(assets), dtype=np.int64)
    return tuple(f"pool-{asset}" for asset in assets), np.arange(len(assets), dtype=np.int64)


def _per_pool(values: FloatArray, market_pool: IntArray, n_pools: int) -> FloatArray:
    totals = np.zeros(n_pools)
    np.add.at(totals, market_pool, values)
    return totals


def build_design(scenario: Scenario, book: TraderBook, isolation: IsolationLevel, margin_scale: float) -> Design:
    """Lay the venue out for one rung with margins scaled by ``margin_scale`` (a checked scenario)."""
    venue = scenario.venue
    if venue is None:
        raise ValueError("check_vector_support first: venue is required")
    markets = venue.markets
    assets = tuple(market.asset for market in markets)
    pools, market_pool = _pools(isolation, assets)
    maintenance = np.minimum([m.maintenance_margin * margin_scale for m in markets], HIGHEST_MAINTENANCE)
    penalty = venue.pool.liquidation_penalty
    pool_penalty = np.array([min(penalty, maintenance[market_pool == q].min()) for q in range(len(pools))])
    monolithic = isolation == "monolithic"
    traders = np.arange(book.traders, dtype=np.int64)
    notional = np.asarray(book.position_notional_usd, dtype=np.float64)
    design = Design(
        isolation=isolation,
        markets=tuple(f"{asset}-PERP" for asset in assets),
        assets=assets,
        pools=pools,
        market_pool=market_pool,
        initial_margin=np.minimum([m.initial_margin * margin_scale for m in markets], 1.0),
        maintenance_margin=maintenance,
        pnl_weight=np.array([market.pnl_weight for market in markets], dtype=np.float64),
        taker_fee=np.array([market.taker_fee for market in markets], dtype=np.float64),
        open_interest_cap=np.array(
            [math.inf if m.open_interest_cap is None else m.open_interest_cap for m in markets], dtype=np.float64
        ),
        lp_capital=np.array([market.lp_capital for market in markets], dtype=np.float64),
        pool_insurance=_per_pool(np.array([m.insurance for m in markets]), market_pool, len(pools)),
        pool_penalty=pool_penalty,
        slots=notional.shape[0] // book.traders if monolithic else 1,
        unit_trader=traders if monolithic else np.asarray(book.position_trader, dtype=np.int64),
        unit_collateral=np.zeros(0),
        position_market=np.asarray(book.position_market, dtype=np.int64),
        position_trader=np.asarray(book.position_trader, dtype=np.int64),
        position_notional=np.zeros(0),
        position_long=np.zeros(0, dtype=np.bool_),
        credit=credit_lines_of(scenario, isolation, assets) if isolation == "credit_lines" else None,
    )
    return with_population(design, book)


def with_population(design: Design, book: TraderBook) -> Design:
    """Return ``design`` with ``book``'s sizes, directions and collateral (same traders, markets and units).

    A replay of a fixed path plays one population per path: the layout (units, slots, markets of
    every position) is shared, the amounts are each path's (:func:`ringfence.lab.vector.run_vector`).
    """
    notional = np.asarray(book.position_notional_usd, dtype=np.float64)
    collateral = book.collateral_usd if design.isolation == "monolithic" else book.position_collateral_usd
    return replace(
        design,
        unit_collateral=np.asarray(collateral, np.float64),
        position_notional=np.abs(notional),
        position_long=notional > 0.0,
    )
