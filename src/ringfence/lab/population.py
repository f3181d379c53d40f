"""The stress population and the pre-generated uniforms, shared by both stress engines.

Both engines (``ringfence.lab.exact`` and ``ringfence.lab.vector``) play the same traders on
the same randomness: the population is drawn once per seed (identical on every rung of the
isolation ladder) and the keepers' and top-ups' uniforms are drawn per path before any run
(``docs/stress-model.md``, "Population" and "Step order").

Streams. The price paths are drawn from ``default_rng(seed)`` (:func:`ringfence.lab.sample.sample_paths`);
the population and the uniforms come from a separate stream, :func:`stress_generator`
(``default_rng([STRESS_STREAM, seed])``), so that prices and agents are independent.

Order of the draws (:func:`draw_stress`): the population, then the uniforms of path 0, path 1, ...

- **Population** (:func:`draw_population`): one block ``rng.random((traders, n_markets + 1 + 2k))``
  (``k`` = markets per trader), read row by row, trader ``j``'s row in the doc's order:
  ``n_markets`` keys choosing its markets (the ``k`` smallest keys: a uniform ``k``-subset, then
  listed in market order), one uniform for its collateral, then per chosen market (in market
  order) its direction and its leverage: ``k`` direction uniforms, then ``k`` leverage uniforms.
- **Uniforms** (:func:`draw_uniforms`): per path, ``keeper`` of shape ``(steps + 1, n_units)``
  then ``top_up`` of shape ``(steps + 1, traders)``.

Units. A *unit* is what margin is checked on: on the ``monolithic`` rung a trader's one
sub-account (unit ``j`` = trader ``j``); on every other rung a position (sub-account per market,
or isolated position), unit ``j·k + q`` for the trader's ``q``-th market in market order.
``keeper[:, u]`` is unit ``u``'s column; draws of :func:`draw_stress` have ``traders · k`` unit
columns, enough for every rung (the monolithic rung reads the first ``traders``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from scipy.special import ndtri  # type: ignore[import-untyped]  # scipy ships no stubs

from ringfence.core.errors import InvalidParameter
from ringfence.lab._checks import check_count, check_generator
from ringfence.lab.errors import ScenarioError, ScenarioIssue
from ringfence.lab.results import IsolationLevel
from ringfence.lab.scenario import Scenario
from ringfence.lab.scenario_agents import Population as PopulationSection

__all__ = [
    "LEVERAGE_HEADROOM",
    "STRESS_STREAM",
    "Population",
    "StressDraws",
    "Uniforms",
    "draw_population",
    "draw_stress",
    "draw_uniforms",
    "scenario_file",
    "stress_generator",
    "unit_count",
    "units_per_trader",
]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

STRESS_STREAM = 1
"""Prefix of the population's seed sequence: ``default_rng([STRESS_STREAM, seed])``."""

LEVERAGE_HEADROOM = 0.95
"""Leverage is capped at ``LEVERAGE_HEADROOM / initial margin`` so every opening passes initial margin."""


@dataclass(frozen=True, slots=True, eq=False)
class Population:
    """The traders, drawn once per seed (``docs/stress-model.md``, "Population").

    Attributes
    ----------
    markets:
        Shape ``(traders, k)``: the market indices each trader trades, ascending.
    collateral_usd:
        Shape ``(traders,)``: ``C_j``, deposited at the start.
    long:
        Shape ``(traders, k)``: whether the position in ``markets[j, q]`` is long.
    leverage_draw:
        Shape ``(traders, k)``: ``Uniform(leverage_min, leverage_max)`` before the cap of
        :meth:`leverage` (the cap depends on the margin scale; the draw does not).
    reserve_usd:
        Shape ``(traders,)``: the off-venue reserve for top-ups, ``top_up_reserve · C_j``.
    """

    markets: IntArray
    collateral_usd: FloatArray
    long: NDArray[np.bool_]
    leverage_draw: FloatArray
    reserve_usd: FloatArray

    @property
    def traders(self) -> int:
        """Number of traders."""
        return int(self.collateral_usd.shape[0])

    @property
    def markets_per_trader(self) -> int:
        """``k``, the markets each trader trades."""
        return int(self.markets.shape[1])

    def leverage(self, initial_margins: FloatArray) -> FloatArray:
        """Return each position's leverage, capped at ``0.95 / IM`` (``initial_margins`` per market, scaled)."""
        cap = LEVERAGE_HEADROOM / np.asarray(initial_margins, dtype=np.float64)[self.markets]
        return np.asarray(np.minimum(self.leverage_draw, cap), dtype=np.float64)

    def notional_usd(self, initial_margins: FloatArray) -> FloatArray:
        """Return each position's notional at the initial price: ``C_j / k · L``, shape ``(traders, k)``."""
        share = self.collateral_usd[:, None] / self.markets_per_trader
        return np.asarray(share * self.leverage(initial_margins), dtype=np.float64)


@dataclass(frozen=True, slots=True, eq=False)
class Uniforms:
    """Pre-generated uniforms in ``[0, 1)``.

    Attributes
    ----------
    keeper:
        Shape ``(n_paths, steps + 1, n_units)``: a unit served at step ``t`` on path ``p`` is
        liquidated when ``keeper[p, t, u] < 1 − fail^n``.
    top_up:
        Shape ``(n_paths, steps + 1, traders)``: trader ``j`` tops up at step ``t`` when
        ``top_up[p, t, j] < top_up_probability``.
    """

    keeper: FloatArray
    top_up: FloatArray

    @property
    def n_paths(self) -> int:
        """Number of paths drawn."""
        return int(self.keeper.shape[0])


@dataclass(frozen=True, slots=True, eq=False)
class StressDraws:
    """Everything random a stress run needs besides the price paths: the population and the uniforms."""

    population: Population
    uniforms: Uniforms


def _population_section(scenario: Scenario) -> PopulationSection:
    if scenario.population is None or scenario.venue is None:
        missing = "population" if scenario.population is None else "venue"
        raise ScenarioError(scenario_file(scenario), (ScenarioIssue(missing, "required to draw a stress population"),))
    return scenario.population


def scenario_file(scenario: Scenario) -> Path:
    """Return a stand-in path naming the scenario in errors (a loaded scenario keeps no file name)."""
    return Path(f"<scenario {scenario.name}>")


def stress_generator(scenario: Scenario) -> np.random.Generator:
    """Return the generator of the population and the uniforms, independent of the price paths'."""
    return np.random.default_rng([STRESS_STREAM, scenario.seed])


def draw_population(scenario: Scenario, rng: np.random.Generator) -> Population:
    """Draw the traders from ``rng`` in the documented order (module docstring).

    Collateral is log-normal with mean ``collateral_mean``: ``C = exp(μ + σ Z)`` with
    ``μ = ln(mean) − σ²/2`` (so ``E[C] = mean``) and ``Z = Φ⁻¹(u)``.
    """
    section = _population_section(scenario)
    generator = check_generator(rng)
    n_markets = len(scenario.venue.markets) if scenario.venue is not None else 0
    traders, k = section.traders, section.markets_per_trader
    block = generator.random((traders, n_markets + 1 + 2 * k))
    keys = block[:, :n_markets]
    markets = np.sort(np.argsort(keys, axis=1, kind="stable")[:, :k], axis=1).astype(np.int64)
    sigma = section.collateral_log_sd
    mu = math.log(section.collateral_mean) - 0.5 * sigma * sigma
    normal: FloatArray = ndtri(np.clip(block[:, n_markets], np.finfo(np.float64).tiny, None))
    collateral = np.exp(mu + sigma * normal)
    directions = block[:, n_markets + 1 : n_markets + 1 + k]
    leverages = block[:, n_markets + 1 + k :]
    leverage_draw = section.leverage_min + (section.leverage_max - section.leverage_min) * leverages
    return Population(
        markets=markets,
        collateral_usd=np.asarray(collateral, dtype=np.float64),
        long=directions < section.long_share,
        leverage_draw=np.asarray(leverage_draw, dtype=np.float64),
        reserve_usd=np.asarray(section.top_up_reserve * collateral, dtype=np.float64),
    )


def draw_uniforms(scenario: Scenario, n_paths: int, n_units: int, rng: np.random.Generator) -> Uniforms:
    """Draw, path after path, the keepers' uniforms ``(steps + 1, n_units)``, then the top-ups'.

    The top-ups' uniforms have shape ``(steps + 1, traders)``.

    Each path's block depends only on the blocks drawn before it.
    """
    section = _population_section(scenario)
    paths = check_count("n_paths", n_paths)
    units = check_count("n_units", n_units)
    generator = check_generator(rng)
    rows = scenario.horizon.steps + 1
    keeper = np.empty((paths, rows, units), dtype=np.float64)
    top_up = np.empty((paths, rows, section.traders), dtype=np.float64)
    for path in range(paths):
        keeper[path] = generator.random((rows, units))
        top_up[path] = generator.random((rows, section.traders))
    return Uniforms(keeper, top_up)


def units_per_trader(isolation: IsolationLevel, markets_per_trader: int) -> int:
    """Return how many units a trader has on a rung: one sub-account (monolithic) or one per market."""
    return 1 if isolation == "monolithic" else markets_per_trader


def unit_count(population: Population, isolation: IsolationLevel) -> int:
    """Return the number of units on a rung."""
    return population.traders * units_per_trader(isolation, population.markets_per_trader)


def draw_stress(scenario: Scenario, n_paths: int, rng: np.random.Generator | None = None) -> StressDraws:
    """Draw the population then the uniforms of ``n_paths`` paths (``traders · k`` unit columns).

    ``rng`` defaults to :func:`stress_generator`; the same seed gives identical draws, and the
    first ``n`` paths' uniforms do not depend on how many paths are drawn after them.
    """
    generator = stress_generator(scenario) if rng is None else rng
    population = draw_population(scenario, generator)
    units = population.traders * population.markets_per_trader
    if units < 1:
        raise InvalidParameter("population.traders", population.traders, "at least one trader")
    return StressDraws(population, draw_uniforms(scenario, n_paths, units, generator))
