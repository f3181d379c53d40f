"""The sensitivity (tornado) variants of a scenario: one input moved down and up, everything else as in the file.

Settings (each a modelling choice, stated in the report beside the chart):

- **depth**: every market's depth (or daily volume, the square-root law's depth) × 0.5 and × 2
  (:func:`scale_depth`);
- **keeper latency**: × 0.5 and × 2 (a scenario whose keepers act at once, latency 0, has no bar);
- **volatility**: every diffusive volatility − 25% and + 25% (GBM, correlated GBM, jump diffusion's
  diffusive part; a replayed or template path, and a GARCH process, have no volatility parameter);
- **leverage**: the population's leverage range × 0.75 and × 1.25 (a minimum below 1× is set to 1×,
  and the setting says so);
- **correlation**: every off-diagonal correlation → 0 and → 0.95 (correlated GBM only; an
  equicorrelation of 0.95 is positive definite).

An input the scenario lacks is skipped with the reason (:class:`Skipped`). The variants keep the
seed, so each plays the same normal draws, population and uniforms (common random numbers): the
bars differ by the input alone.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass

from pydantic import ValidationError

from ringfence.lab.scenario import (
    CorrelatedGbmProcess,
    CorrelatedJumpDiffusionProcess,
    GbmProcess,
    JumpDiffusionProcess,
    PriceProcessModel,
    Scenario,
)
from ringfence.lab.scenario_agents import Keepers, MarketDesign, Population

__all__ = ["DEPTH_FACTORS", "SENSITIVITY_INPUTS", "Skipped", "Variant", "scale_depth", "sensitivity_variants"]

DEPTH_FACTORS = (0.5, 2.0)
LATENCY_FACTORS = (0.5, 2.0)
VOLATILITY_FACTORS = (0.75, 1.25)
LEVERAGE_FACTORS = (0.75, 1.25)
CORRELATIONS = (0.0, 0.95)
SENSITIVITY_INPUTS = ("depth", "keeper latency", "volatility", "leverage", "correlation")


@dataclass(frozen=True, slots=True)
class Variant:
    """One input moved down (``low``) and up (``high``), with the settings as the report prints them."""

    parameter: str
    low_setting: str
    high_setting: str
    low: Scenario
    high: Scenario


@dataclass(frozen=True, slots=True)
class Skipped:
    """An input with no bar, and why."""

    parameter: str
    reason: str


def scale_depth(scenario: Scenario, factor: float) -> Scenario | None:
    """Return ``scenario`` with every market's depth multiplied by ``factor`` (``None`` when no market has one).

    The one place the sensitivity writes depth: a market's explicit ``depth_usd``, or its
    ``daily_volume_usd`` (the depth of the square-root law, :func:`ringfence.lab.scenario.market_impact`).
    """
    venue = scenario.venue
    if venue is None:
        return None
    markets = []
    moved = False
    for market in venue.markets:
        data = market.model_dump()
        for key in ("depth_usd", "daily_volume_usd"):
            if data.get(key) is not None:
                data[key] *= factor
                moved = True
        markets.append(MarketDesign.model_validate(data))
    if not moved:
        return None
    return scenario.model_copy(update={"venue": venue.model_copy(update={"markets": markets})})


def _depth(scenario: Scenario) -> Variant | Skipped:
    low, high = (scale_depth(scenario, factor) for factor in DEPTH_FACTORS)
    if low is None or high is None:
        return Skipped("depth", "no market has a depth or a daily volume (no price impact)")
    return Variant("depth", "depth × 0.5", "depth × 2", low, high)


def _latency(scenario: Scenario) -> Variant | Skipped:
    keepers = scenario.keepers
    if keepers is None or keepers.latency_seconds == 0:
        return Skipped("keeper latency", "keepers act at once (latency 0 s): halving or doubling changes nothing")

    def moved(factor: float) -> Scenario:
        latency = round(keepers.latency_seconds * factor)
        return scenario.model_copy(
            update={"keepers": Keepers.model_validate({**keepers.model_dump(), "latency_seconds": latency})}
        )

    seconds, step = keepers.latency_seconds, scenario.horizon.step_seconds
    low, high = (moved(factor) for factor in LATENCY_FACTORS)
    low_label = f"{round(seconds * 0.5)} s (× 0.5)"
    if math.ceil(round(seconds * 0.5) / step) == math.ceil(seconds / step):
        low_label += f"; acts as {seconds} s on the {step} s grid"
    return Variant("keeper latency", low_label, f"{seconds * 2} s (× 2)", low, high)


def _process_volatility(process: PriceProcessModel, factor: float) -> PriceProcessModel | None:
    data = process.model_dump()
    if isinstance(process, CorrelatedGbmProcess | CorrelatedJumpDiffusionProcess):
        volatilities = [value * factor for value in process.volatilities]
        return type(process).model_validate({**data, "volatilities": volatilities})
    if isinstance(process, GbmProcess | JumpDiffusionProcess):
        return type(process).model_validate({**data, "volatility": process.volatility * factor})
    return None


def _with_processes(
    scenario: Scenario, change: Callable[[PriceProcessModel], PriceProcessModel | None]
) -> Scenario | None:
    """Apply ``change`` to every process; ``None`` when no process has the input."""
    changed = [change(process) for process in scenario.processes]
    if all(process is None for process in changed):
        return None
    processes = [new if new is not None else old for new, old in zip(changed, scenario.processes, strict=True)]
    price = processes if isinstance(scenario.price, list) else processes[0]
    return scenario.model_copy(update={"price": price})


def _volatility(scenario: Scenario) -> Variant | Skipped:
    low, high = (
        _with_processes(scenario, functools.partial(_process_volatility, factor=f)) for f in VOLATILITY_FACTORS
    )
    if low is None or high is None:
        return Skipped("volatility", "no price process has a volatility parameter (a replayed or scripted path)")
    return Variant("volatility", "volatility − 25%", "volatility + 25%", low, high)


def _process_correlation(process: PriceProcessModel, correlation: float) -> PriceProcessModel | None:
    if not isinstance(process, CorrelatedGbmProcess | CorrelatedJumpDiffusionProcess) or len(process.assets) < 2:
        return None
    size = len(process.assets)
    matrix = [[1.0 if row == column else correlation for column in range(size)] for row in range(size)]
    return type(process).model_validate({**process.model_dump(), "correlation": matrix})


def _correlation(scenario: Scenario) -> Variant | Skipped:
    low, high = (
        _with_processes(scenario, functools.partial(_process_correlation, correlation=c)) for c in CORRELATIONS
    )
    if low is None or high is None:
        return Skipped("correlation", "no correlated price process of two or more assets")
    return Variant("correlation", "correlation → 0", "correlation → 0.95", low, high)


def _leverage(scenario: Scenario) -> Variant | Skipped:
    population = scenario.population
    if population is None:
        return Skipped("leverage", "the scenario has no [population]")
    settings: list[str] = []
    moved: list[Scenario] = []
    for factor in LEVERAGE_FACTORS:
        low_end = population.leverage_min * factor
        floored = low_end < 1.0
        data = {**population.model_dump(), "leverage_min": max(1.0, low_end)}
        data["leverage_max"] = max(data["leverage_min"], population.leverage_max * factor)
        moved.append(scenario.model_copy(update={"population": Population.model_validate(data)}))
        label = f"leverage × {factor:g} ({data['leverage_min']:g}–{data['leverage_max']:g}×)"
        settings.append(label + (", minimum floored at 1×" if floored else ""))
    return Variant("leverage", settings[0], settings[1], moved[0], moved[1])


def sensitivity_variants(scenario: Scenario) -> tuple[tuple[Variant, ...], tuple[Skipped, ...]]:
    """Return the tornado's variants of ``scenario`` in :data:`SENSITIVITY_INPUTS` order, and the inputs skipped.

    A variant that fails validation (a moved value out of its field's range) is skipped with the
    field's message.
    """
    variants: list[Variant] = []
    skipped: list[Skipped] = []
    builders = (_depth, _latency, _volatility, _leverage, _correlation)
    for name, builder in zip(SENSITIVITY_INPUTS, builders, strict=True):
        try:
            outcome = builder(scenario)
        except ValidationError as error:
            outcome = Skipped(name, f"the moved value is out of range: {error.errors()[0]['msg']}")
        (variants if isinstance(outcome, Variant) else skipped).append(outcome)  # type: ignore[arg-type]
    return tuple(variants), tuple(skipped)
