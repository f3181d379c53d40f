"""The wrapper's first half: lay a scenario's venue, population and agents out as flat arrays.

Positions are indexed ``n = u·S + q`` (unit ``u``, slot ``q``; ``S`` slots per unit: ``k`` on the
monolithic rung, 1 elsewhere), so a unit's positions are a contiguous row once reshaped to
``(units, S)``. Pools are ``shared`` (monolithic, subaccounts) or ``pool-<asset>`` per market.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from ringfence.lab.population import Population, units_per_trader
from ringfence.lab.results import IsolationLevel
from ringfence.lab.scenario import Scenario

__all__ = ["SHARED_POOL", "Design", "Rules", "build_design", "build_rules"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

SHARED_POOL = "shared"
SHARED_RUNGS = frozenset({"monolithic", "subaccounts"})


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
    slots: int
    unit_trader: IntArray
    unit_pool: IntArray
    unit_collateral: FloatArray
    position_market: IntArray
    position_trader: IntArray
    position_notional: FloatArray
    position_long: NDArray[np.bool_]

    @property
    def units(self) -> int:
        """Number of units."""
        return int(self.unit_trader.shape[0])

    @property
    def isolated_margin(self) -> bool:
        """Whether positions carry their own margin (the isolated-positions rung)."""
        return self.isolation == "isolated_positions"

    @property
    def position_pool(self) -> IntArray:
        """Pool index of every position."""
        return self.market_pool[self.position_market]

    @property
    def position_unit(self) -> IntArray:
        """Unit index of every position."""
        return np.repeat(np.arange(self.units, dtype=np.int64), self.slots)


@dataclass(frozen=True, slots=True)
class Rules:
    """The scalar rules of a run: pool design, keepers, liquidity, LPs and top-ups."""

    step_seconds: float
    penalty: float
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
    depth_usd: float
    impact_coefficient: float
    impact_decay: float
    flee_drawdown: float
    flee_share: float
    top_up_health: float
    top_up_probability: float
    top_up_fraction: float


def build_rules(scenario: Scenario) -> Rules:
    """Return the scalar rules (a checked scenario: venue, population and keepers present).

    No ``[liquidity]`` section means no price impact (infinite depth). The backstop budget
    shares the insurance window (``venue.pool.insurance_window_seconds``).
    """
    venue, keepers, population = scenario.venue, scenario.keepers, scenario.population
    if venue is None or keepers is None or population is None:
        raise ValueError("check_vector_support first: venue, population and keepers are required")
    pool, liquidity, lps = venue.pool, scenario.liquidity, scenario.liquidity_providers
    step = float(scenario.horizon.step_seconds)
    return Rules(
        step_seconds=step,
        penalty=pool.liquidation_penalty,
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
        depth_usd=math.inf if liquidity is None else liquidity.depth_usd,
        impact_coefficient=0.0 if liquidity is None else liquidity.impact_coefficient,
        impact_decay=1.0 if liquidity is None else 0.5 ** (step / liquidity.recovery_half_life_seconds),
        flee_drawdown=lps.flee_drawdown,
        flee_share=lps.flee_share,
        top_up_health=population.top_up_health,
        top_up_probability=population.top_up_probability,
        top_up_fraction=population.top_up_fraction,
    )


def build_design(scenario: Scenario, population: Population, isolation: IsolationLevel, margin_scale: float) -> Design:
    """Lay the venue out for one rung with margins scaled by ``margin_scale`` (a checked scenario)."""
    venue = scenario.venue
    if venue is None:
        raise ValueError("check_vector_support first: venue is required")
    markets = venue.markets
    n_markets = len(markets)
    shared = isolation in SHARED_RUNGS
    assets = tuple(market.asset for market in markets)
    pools = (SHARED_POOL,) if shared else tuple(f"pool-{asset}" for asset in assets)
    market_pool = np.zeros(n_markets, np.int64) if shared else np.arange(n_markets, dtype=np.int64)
    lp_capital = np.array([market.lp_capital for market in markets], dtype=np.float64)
    insurance = np.array([market.insurance for market in markets], dtype=np.float64)
    initial = np.array([market.initial_margin for market in markets], dtype=np.float64) * margin_scale
    k = population.markets_per_trader
    per_trader = units_per_trader(isolation, k)
    traders = np.arange(population.traders, dtype=np.int64)
    unit_market = population.markets.reshape(-1) if per_trader == k else population.markets[:, 0]
    notional = population.notional_usd(initial).reshape(-1)
    return Design(
        isolation=isolation,
        markets=assets,
        assets=assets,
        pools=pools,
        market_pool=market_pool,
        initial_margin=initial,
        maintenance_margin=np.array([m.maintenance_margin for m in markets], dtype=np.float64) * margin_scale,
        pnl_weight=np.array([market.pnl_weight for market in markets], dtype=np.float64),
        taker_fee=np.array([market.taker_fee for market in markets], dtype=np.float64),
        open_interest_cap=np.array(
            [math.inf if m.open_interest_cap is None else m.open_interest_cap for m in markets], dtype=np.float64
        ),
        lp_capital=lp_capital,
        pool_insurance=np.array([insurance.sum()]) if shared else insurance,
        slots=k // per_trader,
        unit_trader=np.repeat(traders, per_trader),
        unit_pool=market_pool[unit_market],
        unit_collateral=np.repeat(population.collateral_usd / per_trader, per_trader),
        position_market=population.markets.reshape(-1).astype(np.int64),
        position_trader=np.repeat(traders, k),
        position_notional=notional,
        position_long=population.long.reshape(-1),
    )
