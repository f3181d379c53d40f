"""Dynamic margins in the stress lab: one rule and one updater that both engines use (``docs/stress-model.md``).

When a scenario sets ``[venue.dynamic_margin]``, every market of the exact layout carries a
:class:`~ringfence.core.pool.dynamic_margin.DynamicMarginRule` (:func:`dynamic_rule`), and the
principal :data:`RISK_MODEL` holds ``Role.RISK_MODEL``. Every ``interval_seconds`` each market's
rates move one bounded step toward the model's targets
(:func:`ringfence.risk.dynamic_margin.next_risk_margin`) read from the market's oracle prices
of the last ``lookback_steps`` steps. The exact engine sends the result as ``UpdateRiskMargin``;
the vector engine applies the same integers to its arrays, path by path, so both engines hold
the same rates whenever they see the same prices.

The band of each market is scaled from its static rates after the margin scale, in integers:
``floor = max(⌊maintenance · floor_ratio⌋, pool penalty)`` (the penalty bound is the engine's
no-split guard: a maintenance rate below the fixed penalty is refused) and
``ceiling = min(⌊initial · ceiling_ratio⌋, WAD)``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from ringfence.core.pool.commands import AddMarket
from ringfence.core.pool.dynamic_margin import DynamicMarginRule
from ringfence.core.pool.state import MarketParams
from ringfence.core.units import WAD, Rounding, mul_div
from ringfence.lab.scenario import Scenario
from ringfence.lab.scenario_agents import DynamicMarginDesign, MarketDesign
from ringfence.risk.dynamic_margin import (
    DynamicMarginModel,
    RiskMarginUpdate,
    TargetRates,
    next_risk_margin,
    step_toward,
    target_rate_arrays,
)

__all__ = ["RISK_MODEL", "MarginUpdater", "dynamic_rule", "margin_updater"]

RISK_MODEL = "lab-risk-model"
"""The principal holding ``Role.RISK_MODEL`` on every rung with dynamic margins."""
SECONDS_PER_YEAR = 365 * 86_400


def _ratio_wad(ratio: float) -> int:
    return math.floor(ratio * WAD)


def dynamic_rule(
    design: DynamicMarginDesign, params: MarketParams, penalty_wad: int, step_seconds: int
) -> DynamicMarginRule:
    """Return the market's band, step and interval (module docstring), from its static rates."""
    floor = max(
        mul_div(params.maintenance_margin_wad, _ratio_wad(design.floor_ratio), WAD, Rounding.DOWN), penalty_wad, 1
    )
    ceiling = min(mul_div(params.initial_margin_wad, _ratio_wad(design.ceiling_ratio), WAD, Rounding.DOWN), WAD)
    interval_ns = max(design.interval_seconds, step_seconds) * 10**9
    return DynamicMarginRule(floor, ceiling, max(_ratio_wad(design.max_step), 1), interval_ns)


def _depth(market: MarketDesign) -> tuple[float, float]:
    """Return the daily volume and prefactor the model's slippage term uses (no depth: no slippage)."""
    volume = market.daily_volume_usd if market.daily_volume_usd is not None else market.depth_usd
    return (math.inf if volume is None else volume), market.impact_coefficient


@dataclass(frozen=True, slots=True)
class MarginUpdater:
    """When and how each market's rates move; the static rates it starts from, per market in layout order."""

    design: DynamicMarginDesign
    model: DynamicMarginModel
    interval_steps: int
    rules: tuple[DynamicMarginRule, ...]
    initial_wad: tuple[int, ...]
    maintenance_wad: tuple[int, ...]
    depths: tuple[tuple[float, float], ...]

    def due(self, step: int) -> bool:
        """Return whether the rates move at ``step`` (never at the opening step 0)."""
        return step > 0 and step % self.interval_steps == 0

    def model_of(self, market: int) -> DynamicMarginModel:
        """Return the model with market ``market``'s impact prefactor."""
        coefficient = self.depths[market][1]
        return (
            self.model if coefficient == self.model.impact_coefficient else _with_coefficient(self.model, coefficient)
        )

    def update(
        self, market: int, oracle_prices: NDArray[np.float64], step: int, initial_wad: int, maintenance_wad: int
    ) -> RiskMarginUpdate | None:
        """Return market ``market``'s next rates from its oracle prices up to ``step``, or None if none move."""
        window = oracle_prices[max(0, step - self.design.lookback_steps) : step + 1]
        volume = self.depths[market][0]
        model = self.model_of(market)
        size = self.design.liquidation_size_usd
        return next_risk_margin(window, model, self.rules[market], initial_wad, maintenance_wad, size, volume)

    def targets(self, market: int, oracle_prices: NDArray[np.float64], step: int) -> list[TargetRates]:
        """Return market ``market``'s targets on every path at once (``oracle_prices`` is ``(P, steps + 1)``).

        Each path's targets are the floats :meth:`update` computes from that path alone.
        """
        window = oracle_prices[:, max(0, step - self.design.lookback_steps) : step + 1]
        volume = self.depths[market][0]
        sigma, initial, maintenance = target_rate_arrays(
            window, self.model_of(market), self.design.liquidation_size_usd, volume
        )
        return [TargetRates(float(s), float(i), float(m)) for s, i, m in zip(sigma, initial, maintenance, strict=True)]

    def step_toward(
        self, market: int, targets: TargetRates, initial_wad: int, maintenance_wad: int
    ) -> RiskMarginUpdate | None:
        """Return the rates one bounded step toward ``targets`` (as :meth:`update` does), or None."""
        return step_toward(targets, self.model_of(market), self.rules[market], initial_wad, maintenance_wad)


def _with_coefficient(model: DynamicMarginModel, coefficient: float) -> DynamicMarginModel:
    return DynamicMarginModel(
        model.initial_confidence,
        model.maintenance_confidence,
        model.horizon_years,
        model.periods_per_year,
        model.decay,
        coefficient,
    )


def _market_params(setup: tuple[object, ...], markets: tuple[str, ...]) -> list[MarketParams]:
    added = {c.params.market: c.params for c in setup if isinstance(c, AddMarket)}
    return [added[market] for market in markets]


def margin_updater(scenario: Scenario, setup: tuple[object, ...], markets: tuple[str, ...]) -> MarginUpdater | None:
    """Return the updater of a scenario with dynamic margins on, or None when it is off.

    ``setup`` holds the layout's genesis commands (its ``AddMarket`` carry each market's static
    rates and rule), ``markets`` the layout's market names in order.
    """
    venue = scenario.venue
    design = None if venue is None else venue.dynamic_margin
    if venue is None or design is None:
        return None
    step_seconds = scenario.horizon.step_seconds
    params = _market_params(setup, markets)
    rules = tuple(p.dynamic_margin for p in params)
    if any(rule is None for rule in rules):
        raise ValueError("the layout's markets carry no dynamic margin rule; build it with layout_venue")
    model = DynamicMarginModel(
        initial_confidence=design.initial_confidence,
        maintenance_confidence=design.maintenance_confidence,
        horizon_years=design.horizon_seconds / SECONDS_PER_YEAR,
        periods_per_year=SECONDS_PER_YEAR / step_seconds,
        decay=design.decay,
    )
    by_asset = {market.asset: market for market in venue.markets}
    return MarginUpdater(
        design,
        model,
        max(design.interval_seconds // step_seconds, 1),
        tuple(rule for rule in rules if rule is not None),
        tuple(p.initial_margin_wad for p in params),
        tuple(p.maintenance_margin_wad for p in params),
        tuple(_depth(by_asset[p.base_asset]) for p in params),
    )
