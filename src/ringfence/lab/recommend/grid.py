"""What a recommendation sweeps: the parameters, their grids of levels and the scenario at each level.

Four parameters, each set per pool on an isolated rung (one pool per market, ``pool-<asset>``):

===================== ============================================== =============== ==========================
parameter             moved in the scenario                          conservative    default grid
===================== ============================================== =============== ==========================
maintenance_margin    the market's MM, its IM moved with it at the   higher          MM × 1/4 (at least the
                      scenario's IM/MM ratio (traders' leverage cap                  penalty) … × 4, geometric
                      ``0.95 / IM`` moves too: the population is
                      drawn at each level from the same stream)
liquidation_penalty   ``venue.pool.liquidation_penalty`` (one value  higher          0 … the venue's lowest MM,
                      for every pool in the scenario format: every                   linear
                      pool moves at once, each pool's curve is read
                      from the same runs)
open_interest_cap     the market's cap on each side (base units)    lower           5% … 100% of the base,
                                                                                     geometric
insurance             the market's insurance fund (USD)              higher          0 … 4 × the fund, linear
===================== ============================================== =============== ==========================

The base of the open-interest grid is the scenario's cap or, without one, the larger side's open
interest the scenario's population opens in the market (a hair above it, so the top level binds
nothing). An insurance fund of 0 in the scenario gets a grid up to 10% of the pool's LP capital.

**What is measured.** Bad debt, as the stress lab counts it (``docs/stress-model.md``, "Metrics"),
is the shortfall of every bankrupt close *whoever absorbed it*, plus the latent bad debt of units
still underwater at the end: the insurance fund's size cannot change it. The insurance sweep
therefore measures the bad debt the fund leaves uncovered (what the pool's LPs bear, plus latent
bad debt, which no fund pays); the three others measure the pool's bad debt. Each curve names its
measure.

Grids are listed from the least to the most conservative level (the *risk order*); a level the
engines would cap (an initial margin of 100% or more, a penalty above a maintenance margin) is
refused with the key named, never moved to the bound.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from ringfence.core.errors import InvalidParameter
from ringfence.lab.errors import ScenarioError, ScenarioIssue
from ringfence.lab.exact.population import TraderBook, draw_population
from ringfence.lab.sample import sample_paths
from ringfence.lab.scenario import Scenario
from ringfence.lab.scenario_agents import MarketDesign, PoolDesign, VenueDesign
from ringfence.lab.vector import check_vector_support

__all__ = [
    "ISOLATED_RUNGS",
    "PARAMETERS",
    "SPECS",
    "Parameter",
    "ParameterSpec",
    "check_recommend_scenario",
    "grid_levels",
    "level_population",
    "pool_names",
    "variant",
]

Parameter = Literal["maintenance_margin", "liquidation_penalty", "open_interest_cap", "insurance"]
PARAMETERS: tuple[Parameter, ...] = ("maintenance_margin", "liquidation_penalty", "open_interest_cap", "insurance")
ISOLATED_RUNGS = ("isolated_pools", "isolated_positions")
Measure = Literal["bad_debt", "uncovered_bad_debt"]
MARGIN_SPAN = (0.25, 4.0)
OPEN_INTEREST_SPAN = (0.05, 1.0)
OPEN_INTEREST_HAIR = 1.0 + 1e-9
"""The top of a default open-interest grid sits this factor above the opened open interest (binds nothing)."""
INSURANCE_SPAN = 4.0
INSURANCE_EMPTY_SHARE = 0.10


@dataclass(frozen=True, slots=True)
class ParameterSpec:
    """How a parameter is swept: its label, unit, which way is conservative and what its curve measures."""

    name: Parameter
    label: str
    unit: str
    conservative: Literal["higher", "lower"]
    measure: Measure
    venue_wide: bool
    geometric: bool


SPECS: dict[Parameter, ParameterSpec] = {
    "maintenance_margin": ParameterSpec(
        "maintenance_margin", "maintenance margin (IM moved with it)", "rate", "higher", "bad_debt", False, True
    ),
    "liquidation_penalty": ParameterSpec(
        "liquidation_penalty", "liquidation penalty (every pool)", "rate", "higher", "bad_debt", True, False
    ),
    "open_interest_cap": ParameterSpec(
        "open_interest_cap", "open-interest cap per side", "base units", "lower", "bad_debt", False, True
    ),
    "insurance": ParameterSpec("insurance", "insurance fund", "USD", "higher", "uncovered_bad_debt", False, False),
}


def _where(scenario: Scenario) -> Path:
    return Path(f"<scenario {scenario.name}>")


def _venue(scenario: Scenario) -> VenueDesign:
    venue = scenario.venue
    if venue is None:
        raise ScenarioError(_where(scenario), (ScenarioIssue("venue", "required by a recommendation"),))
    return venue


def check_recommend_scenario(scenario: Scenario) -> None:
    """Refuse, naming the key, a scenario a per-pool recommendation cannot sweep on the vector engine.

    Raises
    ------
    ScenarioError
        No venue, a shared rung (one pool for every market: nothing is per pool), or a feature the
        vector engine does not model (:func:`ringfence.lab.vector.check_vector_support`).
    """
    venue = _venue(scenario)
    if venue.isolation not in ISOLATED_RUNGS:
        message = f"{venue.isolation!r} shares one pool across markets; a per-pool recommendation needs " + " or ".join(
            ISOLATED_RUNGS
        )
        raise ScenarioError(_where(scenario), (ScenarioIssue("venue.isolation", message),))
    check_vector_support(scenario, venue.isolation, 1.0)


def pool_names(scenario: Scenario) -> tuple[str, ...]:
    """Return the pools of the scenario's isolated rung, one per market, in the venue's order."""
    return tuple(f"pool-{market.asset}" for market in _venue(scenario).markets)


def _with_market(scenario: Scenario, pool: int, changes: Mapping[str, float | None]) -> Scenario:
    venue = _venue(scenario)
    markets = list(venue.markets)
    markets[pool] = MarketDesign.model_validate({**markets[pool].model_dump(), **changes})
    return scenario.model_copy(update={"venue": venue.model_copy(update={"markets": markets})})


def _with_penalty(scenario: Scenario, penalty: float) -> Scenario:
    venue = _venue(scenario)
    pool = PoolDesign.model_validate({**venue.pool.model_dump(), "liquidation_penalty": penalty})
    return scenario.model_copy(update={"venue": venue.model_copy(update={"pool": pool})})


def _margin_ratio(market: MarketDesign) -> float:
    return market.initial_margin / market.maintenance_margin


def _check_level(scenario: Scenario, parameter: Parameter, pool: int, level: float) -> None:
    """Refuse a level the engines would cap or the scenario format does not hold (``InvalidParameter``)."""
    venue = _venue(scenario)
    name = f"{parameter}[{pool_names(scenario)[pool]}]"
    if not math.isfinite(level):
        raise InvalidParameter(name, level, "a finite number")
    if parameter == "maintenance_margin":
        ratio = _margin_ratio(venue.markets[pool])
        if level <= 0.0 or level * ratio >= 1.0:
            raise InvalidParameter(name, level, f"in (0, {1.0 / ratio:.6g}): its IM (× {ratio:g}) must stay below 100%")
        penalty = venue.pool.liquidation_penalty
        if penalty > level:
            raise InvalidParameter(name, level, f"at least the penalty {penalty:g} (the engines would cap the penalty)")
    elif parameter == "liquidation_penalty":
        lowest = min(market.maintenance_margin for market in venue.markets)
        if not 0.0 <= level <= lowest:
            raise InvalidParameter(name, level, f"in [0, {lowest:g}], the lowest maintenance margin (engine cap)")
    elif parameter == "open_interest_cap":
        if not 0.0 < level <= 1e18:
            raise InvalidParameter(name, level, "in (0, 1e18] base units")
    elif not 0.0 <= level <= 1e12:
        raise InvalidParameter(name, level, "in [0, 1e12] USD")


def variant(scenario: Scenario, parameter: Parameter, pool: int, level: float) -> Scenario:
    """Return ``scenario`` with ``parameter`` of pool ``pool`` at ``level`` (every pool for the penalty).

    Raises
    ------
    InvalidParameter
        A level the engines would cap, or outside the scenario format's range.
    """
    _check_level(scenario, parameter, pool, level)
    if parameter == "maintenance_margin":
        ratio = _margin_ratio(_venue(scenario).markets[pool])
        return _with_market(scenario, pool, {"maintenance_margin": level, "initial_margin": level * ratio})
    if parameter == "liquidation_penalty":
        return _with_penalty(scenario, level)
    if parameter == "open_interest_cap":
        return _with_market(scenario, pool, {"open_interest_cap": level})
    return _with_market(scenario, pool, {"insurance": level})


def level_population(scenario: Scenario) -> TraderBook:
    """Return the population of a level's scenario: the same stream, so only the leverage cap moves."""
    return draw_population(scenario, 1.0)


def _opened_interest(scenario: Scenario, pool: int) -> float:
    """Return the larger side's open interest (base units) the scenario's population asks for in market ``pool``."""
    book = draw_population(scenario, 1.0)
    market = _venue(scenario).markets[pool]
    initial_price = _initial_prices(scenario)[market.asset]
    in_market = book.position_market == pool
    sizes = book.position_notional_usd[in_market] / initial_price
    return float(max(sizes[sizes > 0].sum(), -sizes[sizes < 0].sum()))


def _initial_prices(scenario: Scenario) -> dict[str, float]:
    paths = sample_paths(scenario, n_paths=1)
    return {asset: float(paths.oracle[index, 0, 0]) for index, asset in enumerate(paths.assets)}


def _spaced(low: float, high: float, count: int, geometric: bool) -> list[float]:
    if geometric:
        return [float(value) for value in np.geomspace(low, high, count)]
    return [float(value) for value in np.linspace(low, high, count)]


def _default_bounds(scenario: Scenario, parameter: Parameter, pool: int) -> tuple[float, float]:
    venue = _venue(scenario)
    market = venue.markets[pool]
    if parameter == "maintenance_margin":
        # the engines cap a pool's penalty at its maintenance margin: the default grid starts at the penalty
        low = max(market.maintenance_margin * MARGIN_SPAN[0], venue.pool.liquidation_penalty)
        return low, market.maintenance_margin * MARGIN_SPAN[1]
    if parameter == "liquidation_penalty":
        return 0.0, min(m.maintenance_margin for m in venue.markets)
    if parameter == "open_interest_cap":
        base = market.open_interest_cap
        if base is None:
            base = _opened_interest(scenario, pool) * OPEN_INTEREST_HAIR
        return base * OPEN_INTEREST_SPAN[0], base * OPEN_INTEREST_SPAN[1]
    top = market.insurance * INSURANCE_SPAN if market.insurance > 0 else market.lp_capital * INSURANCE_EMPTY_SHARE
    return 0.0, top


def grid_levels(
    scenario: Scenario,
    parameter: Parameter,
    pool: int,
    count: int,
    bounds: tuple[float, float] | None = None,
) -> tuple[float, ...]:
    """Return ``count`` levels of ``parameter`` for pool ``pool`` in risk order (least conservative first).

    ``bounds`` (low, high) replaces the default grid's ends (module docstring); the spacing stays the
    parameter's (geometric or linear; a geometric grid from 0 is refused).

    Raises
    ------
    InvalidParameter
        Fewer than 2 levels, ``low >= high``, or a level the engines would cap.
    """
    if isinstance(count, bool) or not isinstance(count, int) or count < 2:
        raise InvalidParameter("levels", count, "an integer >= 2 (a curve needs two levels)")
    spec = SPECS[parameter]
    low, high = _default_bounds(scenario, parameter, pool) if bounds is None else bounds
    if not low < high:
        raise InvalidParameter(f"{parameter} bounds", (low, high), "low < high")
    if spec.geometric and low <= 0.0:
        raise InvalidParameter(f"{parameter} bounds", (low, high), "low > 0 (the grid is geometric)")
    levels = _spaced(low, high, count, spec.geometric)
    for level in levels:
        _check_level(scenario, parameter, pool, level)
    return tuple(levels if spec.conservative == "higher" else levels[::-1])


def describe_levels(levels: Sequence[float]) -> str:
    """Return ``"a … b (n levels)"`` for a settings line."""
    return f"{levels[0]:.6g} … {levels[-1]:.6g} ({len(levels)} levels)"
