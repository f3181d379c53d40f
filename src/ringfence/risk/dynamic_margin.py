"""The dynamic-margin model: target rates from a price series, rounded up into WAD, one bounded step toward them.

The one float → integer crossing of dynamic margins (SPEC §2.3, §3; issue 12 item 2). From a
market's recent prices the model forecasts volatility with RiskMetrics EWMA
(:func:`~ringfence.risk.volatility.ewma_volatility`, annualised by square-root of time), and
sets each rate with the margin formula of :func:`~ringfence.risk.risk_margin.margin_rate`::

    rate(α) = z_α · σ · √h  +  Y · σ_day · √(Q / V_day)

the maintenance rate at ``maintenance_confidence`` and the initial rate at the higher
``initial_confidence`` (so maintenance ≤ initial). Each float rate becomes WAD by rounding **up**
(against the account: a requirement is never understated by rounding), exactly, from the
float's binary value (:func:`rate_wad_up`). The model then moves each current rate one bounded
step toward its target with the core's own rule
(:func:`~ringfence.core.governance.risk_margin.allowed_rate_range`: the governance step, the
market's floor and ceiling): reaching a distant target takes several updates, each an
``UpdateRiskMargin`` the core re-checks. Moving toward a target is the model's policy; the core
still refuses any command beyond one step, never clamping it.

:func:`next_risk_margin` is pure: a price series in, the command's fields out (or None when the
rates would not move). Both lab engines call it, so they apply the same targets, the same
rounding and the same step.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
from numpy.typing import ArrayLike

from ringfence.core.errors import InvalidParameter
from ringfence.core.governance.risk_margin import allowed_rate_range
from ringfence.core.pool.dynamic_margin import DynamicMarginRule
from ringfence.core.units import WAD
from ringfence.risk._inputs import FloatArray
from ringfence.risk.risk_margin import DAYS_PER_YEAR, margin_rate, quantile_factor
from ringfence.risk.volatility import RISKMETRICS_DECAY, annualised_volatility, ewma_volatility, log_returns

__all__ = [
    "DynamicMarginModel",
    "RiskMarginUpdate",
    "TargetRates",
    "bounded_step_wad",
    "next_risk_margin",
    "rate_wad_up",
    "step_toward",
    "target_rate_arrays",
    "target_rates",
]

HOURS_PER_YEAR = 24 * DAYS_PER_YEAR


@dataclass(frozen=True, slots=True)
class DynamicMarginModel:
    """The model's settings: confidences, liquidation horizon, EWMA decay, sampling, impact prefactor."""

    initial_confidence: float
    """``α`` of the initial rate, e.g. 0.999."""
    maintenance_confidence: float
    """``α`` of the maintenance rate, e.g. 0.99 (at most ``initial_confidence``)."""
    horizon_years: float
    """The liquidation horizon ``h`` (one hour is ``1/8760``)."""
    periods_per_year: float
    """Sampling of the price series: 8,760 for hourly prices, 365 for daily."""
    decay: float = RISKMETRICS_DECAY
    """EWMA ``λ``."""
    impact_coefficient: float = 1.0
    """``Y`` of the square-root law."""

    def __post_init__(self) -> None:
        """Refuse a maintenance confidence above the initial one (it would put maintenance above initial)."""
        if self.maintenance_confidence > self.initial_confidence:
            raise InvalidParameter(
                "maintenance_confidence",
                self.maintenance_confidence,
                f"at most initial_confidence {self.initial_confidence}",
            )


@dataclass(frozen=True, slots=True)
class TargetRates:
    """The model's float targets and the volatility they came from."""

    volatility: float
    """Annualised EWMA ``σ`` forecast after the last price."""
    initial_rate: float
    maintenance_rate: float


@dataclass(frozen=True, slots=True)
class RiskMarginUpdate:
    """The fields of one ``UpdateRiskMargin`` (the lab adds actor, pool, market and time)."""

    initial_margin_wad: int
    maintenance_margin_wad: int
    cause: str


def target_rate_arrays(
    prices: ArrayLike, model: DynamicMarginModel, notional_usd: float, daily_volume_usd: float
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Return ``(σ, initial rate, maintenance rate)`` for each series of ``prices`` (time on the last axis).

    The array form of :func:`target_rates` (it calls this one): each series gives exactly the
    floats it gives alone, so the vector engine's paths match the exact engine's one at a time.
    """
    per_period = ewma_volatility(log_returns(prices), model.decay)[..., -1]
    sigma = annualised_volatility(per_period, model.periods_per_year)
    initial, maintenance = (
        margin_rate(sigma, model.horizon_years, confidence, notional_usd, daily_volume_usd, model.impact_coefficient)
        for confidence in (model.initial_confidence, model.maintenance_confidence)
    )
    return np.asarray(sigma), np.asarray(initial), np.asarray(maintenance)


def target_rates(
    prices: ArrayLike, model: DynamicMarginModel, notional_usd: float, daily_volume_usd: float
) -> TargetRates:
    """Return the target initial and maintenance rates for a market from its recent prices.

    Parameters
    ----------
    prices:
        At least 2 finite prices > 0, oldest first, sampled ``model.periods_per_year`` times a year.
    model:
        The confidences, horizon, decay and impact prefactor.
    notional_usd, daily_volume_usd:
        The size to liquidate (``Q ≥ 0``) and the depth it meets (``V_day > 0``; infinity: no impact).

    Returns
    -------
    TargetRates
        Float rates as fractions of notional.
    """
    sigma, initial, maintenance = target_rate_arrays(np.atleast_2d(prices), model, notional_usd, daily_volume_usd)
    return TargetRates(float(sigma[0]), float(initial[0]), float(maintenance[0]))


def rate_wad_up(rate: float) -> int:
    """Return ``⌈rate · WAD⌉`` exactly, from the float's binary value (rounded against the account).

    Raises
    ------
    InvalidParameter
        For a NaN, an infinity or a negative rate.
    """
    if not math.isfinite(rate) or rate < 0.0:
        raise InvalidParameter("rate", rate, "a finite rate ≥ 0")
    return math.ceil(Fraction(rate) * WAD)


def bounded_step_wad(rule: DynamicMarginRule, current_wad: int, target_wad: int) -> int:
    """Return the rate one update reaches from ``current_wad`` toward ``target_wad`` (the core's allowed range)."""
    low, high = allowed_rate_range(rule, current_wad)
    return min(high, max(low, target_wad))


def _cause(targets: TargetRates, model: DynamicMarginModel) -> str:
    sigma_day = targets.volatility / math.sqrt(DAYS_PER_YEAR)
    z_initial = quantile_factor(model.initial_confidence)
    z_maintenance = quantile_factor(model.maintenance_confidence)
    hours = model.horizon_years * HOURS_PER_YEAR
    return (
        f"ewma σ={sigma_day:.4f}/day z={z_initial:.2f}/{z_maintenance:.2f} h={hours:g}h "
        f"target IM={targets.initial_rate:.4%} MM={targets.maintenance_rate:.4%}"
    )


def next_risk_margin(
    prices: ArrayLike,
    model: DynamicMarginModel,
    rule: DynamicMarginRule,
    current_initial_wad: int,
    current_maintenance_wad: int,
    notional_usd: float = 0.0,
    daily_volume_usd: float = math.inf,
) -> RiskMarginUpdate | None:
    """Return the next ``UpdateRiskMargin`` fields toward the model's targets, or None if nothing moves.

    Each target is rounded up to WAD (:func:`rate_wad_up`), then each rate moves one bounded
    step toward its target (:func:`bounded_step_wad`). Maintenance stays at most initial: the
    targets are ordered (``maintenance_confidence ≤ initial_confidence``) and the step is
    monotone in the current rate.
    """
    return step_toward(
        target_rates(prices, model, notional_usd, daily_volume_usd),
        model,
        rule,
        current_initial_wad,
        current_maintenance_wad,
    )


def step_toward(
    targets: TargetRates,
    model: DynamicMarginModel,
    rule: DynamicMarginRule,
    current_initial_wad: int,
    current_maintenance_wad: int,
) -> RiskMarginUpdate | None:
    """Return the update one bounded step toward ``targets`` (rounded up to WAD), or None if nothing moves."""
    initial = bounded_step_wad(rule, current_initial_wad, rate_wad_up(targets.initial_rate))
    maintenance = bounded_step_wad(rule, current_maintenance_wad, rate_wad_up(targets.maintenance_rate))
    if (initial, maintenance) == (current_initial_wad, current_maintenance_wad):
        return None
    return RiskMarginUpdate(initial, maintenance, _cause(targets, model))
