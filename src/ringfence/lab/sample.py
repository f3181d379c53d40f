"""Market and oracle paths for a loaded scenario, from its seed (one ``Generator`` per call)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from ringfence.lab._checks import check_count
from ringfence.lab.events import EVENT_TEMPLATES
from ringfence.lab.oracle import observe_oracle
from ringfence.lab.paths import (
    correlated_gbm_paths,
    correlated_jump_paths,
    garch_paths,
    gbm_paths,
    merton_jump_paths,
)
from ringfence.lab.scenario import (
    CorrelatedGbmProcess,
    CorrelatedJumpDiffusionProcess,
    EventProcess,
    GarchProcess,
    GbmProcess,
    HistoricalProcess,
    JumpDiffusionProcess,
    PriceProcessModel,
    Scenario,
)

__all__ = ["ScenarioPaths", "fixed_path", "sample_paths"]

FloatArray = NDArray[np.float64]


@dataclass(frozen=True, slots=True, eq=False)
class ScenarioPaths:
    """Prices for one scenario, per asset.

    Attributes
    ----------
    assets:
        Asset names, in the order of the first axis.
    market, oracle:
        Shape ``(n_assets, n_paths, steps + 1)``: what trades and what the venue's oracle reports.
    oracle_age_seconds:
        Age of the oracle's price at each grid time, shape ``(steps + 1,)``.
    stale:
        Whether that age exceeds ``oracle.staleness_seconds`` (all ``False`` when it is not set).
    """

    assets: tuple[str, ...]
    market: FloatArray
    oracle: FloatArray
    oracle_age_seconds: NDArray[np.int64]
    stale: NDArray[np.bool_]


def _market(
    scenario: Scenario, n_paths: int, rng: np.random.Generator
) -> tuple[tuple[str, ...], FloatArray, FloatArray]:
    """Return asset names, market prices and oracle sources of every process, on ``n_paths`` paths.

    A deterministic process (replay, event) is one path, repeated on every path.
    """
    names: list[str] = []
    markets: list[FloatArray] = []
    sources: list[FloatArray] = []
    for process in scenario.processes:
        assets, market, source = _process_market(process, scenario, n_paths, rng)
        names.extend(assets)
        markets.append(np.broadcast_to(market, (market.shape[0], n_paths, market.shape[2])))
        sources.append(np.broadcast_to(source, (source.shape[0], n_paths, source.shape[2])))
    return tuple(names), np.concatenate(markets), np.concatenate(sources)


def _process_market(
    process: PriceProcessModel, scenario: Scenario, n_paths: int, rng: np.random.Generator
) -> tuple[tuple[str, ...], FloatArray, FloatArray]:
    horizon = scenario.horizon
    grid = (horizon.step_years, horizon.steps, n_paths, rng)
    if isinstance(process, CorrelatedGbmProcess | CorrelatedJumpDiffusionProcess):
        drifts = process.drifts if process.drifts is not None else [0.0] * len(process.assets)
        market = correlated_gbm_paths(process.initial_prices, drifts, process.volatilities, process.correlation, *grid)
        if isinstance(process, CorrelatedJumpDiffusionProcess):
            market = correlated_jump_paths(
                market,
                process.jump_intensities,
                process.jump_means,
                process.jump_volatilities,
                horizon.step_years,
                rng,
            )
        return tuple(process.assets), market, market
    if isinstance(process, GbmProcess):
        single = gbm_paths(process.initial_price, process.drift, process.volatility, *grid)
    elif isinstance(process, JumpDiffusionProcess):
        single = merton_jump_paths(
            process.initial_price,
            process.drift,
            process.volatility,
            process.jump_intensity,
            process.jump_mean,
            process.jump_volatility,
            *grid,
        )
    elif isinstance(process, GarchProcess):
        single = garch_paths(
            process.initial_price,
            process.omega,
            process.alpha,
            process.beta,
            horizon.steps,
            n_paths,
            rng,
            mean_return=process.mean_return,
        )
    elif isinstance(process, HistoricalProcess):
        single = process.load().on_grid(horizon.step_seconds, horizon.steps, start_s=process.start_s)
    else:
        return _event(process, scenario)
    return (process.asset,), single[None], single[None]


def _event(process: EventProcess, scenario: Scenario) -> tuple[tuple[str, ...], FloatArray, FloatArray]:
    event = EVENT_TEMPLATES[process.template](step_seconds=scenario.horizon.step_seconds)
    if process.initial_price is not None:
        event = event.rebased(process.initial_price)
    length = scenario.horizon.steps + 1
    return (process.asset,), event.market[None, :, :length], event.oracle[None, :, :length]


def fixed_path(scenario: Scenario) -> bool:
    """Whether every price process is deterministic (a historical replay or an event template).

    Such a scenario plays the same price path on every run; its runs differ by their population
    and their uniforms (``ringfence.lab.exact.population``), one draw of each per run.
    """
    return all(isinstance(p, HistoricalProcess | EventProcess) for p in scenario.processes)


def sample_paths(
    scenario: Scenario, n_paths: int | None = None, rng: np.random.Generator | None = None
) -> ScenarioPaths:
    """Draw the scenario's market paths and the oracle's view of them, ``n_paths`` of them.

    Random processes draw ``n_paths`` paths (``scenario.runs`` by default) from
    ``numpy.random.default_rng(scenario.seed)`` unless ``rng`` is given; a historical replay or an
    event template is one deterministic path, repeated on every one of the ``n_paths`` paths
    (:func:`fixed_path`: the runs then differ by population and uniforms).
    """
    paths = scenario.runs if n_paths is None else check_count("n_paths", n_paths)
    generator = np.random.default_rng(scenario.seed) if rng is None else rng
    assets, market, source = _market(scenario, paths, generator)
    model = scenario.oracle
    observations = [
        observe_oracle(source[i], scenario.horizon.step_seconds, model.latency_seconds, model.cadence_seconds)
        for i in range(source.shape[0])
    ]
    age = observations[0].age_seconds
    stale = age > model.staleness_seconds if model.staleness_seconds is not None else np.zeros(age.shape, bool)
    return ScenarioPaths(assets, market, np.stack([o.prices for o in observations]), age, stale)
