"""The traders and the per-step uniforms of a stress run, drawn from the seed (``docs/stress-model.md``).

The population is drawn once per seed and is the same on every rung of the ladder; the uniforms
decide keepers' success and traders' top-ups, and are shared by both engines.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import overload

import numpy as np
from numpy.typing import NDArray

from ringfence.lab._checks import check_count
from ringfence.lab.scenario import Scenario

__all__ = ["DrawSet", "Draws", "TraderBook", "draw_population", "draw_uniforms"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
POPULATION_STREAM = 1
DRAWS_STREAM = 2


@dataclass(frozen=True, slots=True, eq=False)
class TraderBook:
    """Traders and their positions, opened at the initial price.

    ``collateral_usd[j]`` and ``reserve_usd[j]`` per trader; per position ``p``: its trader, its
    market, its signed notional at the initial price (long > 0) and the collateral allotted to it
    (``collateral / markets_per_trader``).
    """

    collateral_usd: FloatArray
    reserve_usd: FloatArray
    position_trader: IntArray
    position_market: IntArray
    position_notional_usd: FloatArray
    position_collateral_usd: FloatArray

    @property
    def traders(self) -> int:
        """How many traders."""
        return int(self.collateral_usd.shape[0])


@dataclass(frozen=True, slots=True, eq=False)
class Draws:
    """Uniforms on [0, 1) for one path: ``keeper[t, unit]`` and ``top_up[t, trader]``."""

    keeper: FloatArray
    top_up: FloatArray


def draw_population(scenario: Scenario, margin_scale: float = 1.0, run: int | None = None) -> TraderBook:
    """Draw the traders from ``default_rng([seed, 1])`` in the documented order.

    Markets, collateral, then per position direction and leverage. The leverage cap ``0.95 / IM``
    depends on ``margin_scale``, so a sweep changes position sizes but never the draws.

    ``run`` set: the population of that run alone, from ``default_rng([seed, 1, run])`` (a replay
    of a fixed price path draws one population per run; random paths share one population).
    """
    population, venue = scenario.population, scenario.venue
    if population is None or venue is None:
        raise ValueError("a stress run needs [population] and [venue] sections")
    if run is not None:
        check_count("run", run, minimum=0)
    stream = [scenario.seed, POPULATION_STREAM] if run is None else [scenario.seed, POPULATION_STREAM, run]
    rng = np.random.default_rng(stream)
    n_markets, k = len(venue.markets), population.markets_per_trader
    n = population.traders
    markets = np.stack([rng.permutation(n_markets)[:k] for _ in range(n)])
    sigma = population.collateral_log_sd
    collateral = population.collateral_mean * rng.lognormal(-0.5 * sigma * sigma, sigma, size=n)
    longs = rng.random((n, k)) < population.long_share
    leverage = rng.uniform(population.leverage_min, population.leverage_max, size=(n, k))
    initial = np.array([m.initial_margin for m in venue.markets]) * margin_scale
    leverage = np.minimum(leverage, 0.95 / np.minimum(initial[markets], 1.0))
    allotted = np.repeat((collateral / k)[:, None], k, axis=1)
    notional = np.where(longs, 1.0, -1.0) * allotted * leverage
    return TraderBook(
        collateral_usd=collateral,
        reserve_usd=collateral * population.top_up_reserve,
        position_trader=np.repeat(np.arange(n, dtype=np.int64), k),
        position_market=markets.reshape(-1).astype(np.int64),
        position_notional_usd=notional.reshape(-1),
        position_collateral_usd=allotted.reshape(-1),
    )


ATTACKER_UNITS = 2


@dataclass(frozen=True, slots=True, eq=False)
class DrawSet(Sequence[Draws]):
    """Every path's uniforms in two arrays, ``keeper[t, path, unit]`` and ``top_up[t, path, trader]``.

    A sequence of :class:`Draws` (path ``p``'s are views of its column), so the exact engine reads
    one path and the vector engine takes a step of every path as one slice, without copying.
    """

    keeper: FloatArray
    top_up: FloatArray

    def __len__(self) -> int:
        return int(self.keeper.shape[1])

    @overload
    def __getitem__(self, index: int) -> Draws: ...

    @overload
    def __getitem__(self, index: slice) -> DrawSet: ...

    def __getitem__(self, index: int | slice) -> Draws | DrawSet:
        if isinstance(index, slice):
            return DrawSet(self.keeper[:, index], self.top_up[:, index])
        if not -len(self) <= index < len(self):
            raise IndexError(index)
        return Draws(self.keeper[:, index], self.top_up[:, index])


def draw_uniforms(scenario: Scenario, n_paths: int, n_units: int) -> DrawSet:
    """Draw each path's uniforms from ``default_rng([seed, 2])``: keeper draws, then top-up draws, per path.

    Keeper draws have a column per position (a unit on every rung but the monolithic one, where
    trader ``j``'s sub-account uses column ``j``) and two more for the attacker's accounts. The
    generator fills path by path in that order, so the values do not depend on the storage.
    """
    n_units += ATTACKER_UNITS
    population = scenario.population
    traders = 0 if population is None else population.traders
    rng = np.random.default_rng([scenario.seed, DRAWS_STREAM])
    steps = scenario.horizon.steps + 1
    keeper = np.empty((steps, n_paths, n_units))
    top_up = np.empty((steps, n_paths, traders))
    for path in range(n_paths):
        keeper[:, path, :] = rng.random((steps, n_units))
        top_up[:, path, :] = rng.random((steps, traders))
    return DrawSet(keeper, top_up)
