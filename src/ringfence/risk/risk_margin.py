"""Margin rates and collateral haircuts derived from volatility and depth (SPEC §3), arrays in, arrays out.

A market's **margin rate** covers, at confidence ``α``, the adverse price move while a position is
being liquidated plus the slippage of selling it into the book::

    rate = z_α · σ · √h  +  Y · σ_day · √(Q / V_day)

- ``z_α σ √h``: the one-tailed ``α`` quantile of a normal return with annual volatility ``σ`` over
  the liquidation horizon ``h`` years (square-root-of-time scaling). Source: Basel Committee on
  Banking Supervision, *International Convergence of Capital Measurement and Capital Standards*
  (June 2006), ¶156 (own-estimate haircuts: 99th percentile, one-tailed, over the liquidation
  period) and ¶162 (square-root-of-time scaling); RiskMetrics Technical Document (1996) §5.2.
- ``Y σ_day √(Q/V_day)``: the **square-root impact law** for liquidating a notional ``Q`` against a
  daily volume ``V_day``, with ``σ_day = σ/√365`` (crypto trades every day) and prefactor ``Y``
  (measured 0.5–1). Sources: B. Tóth et al., "Anomalous price impact and the critical nature of
  liquidity in financial markets", *Phys. Rev. X* 1, 021006 (2011); J.-P. Bouchaud, J. Bonart,
  J. Donier, M. Gould, *Trades, Quotes and Prices* (Cambridge, 2018), ch. 12. It is the law the
  stress lab's depth model uses (``ringfence.lab.scenario.market_impact``: coefficient
  ``Y σ_day``, depth ``V_day``).

A **collateral haircut** is the share of an asset's value lost, at confidence ``α``, between the
last price and the proceeds of selling ``Q`` of it within ``h``: the adverse move and the impact
are log-price moves, so the value kept is ``exp(−z_α σ √h) · exp(−Y σ_day √(Q/V_day))`` and::

    price haircut     = 1 − exp(−z_α σ √h)
    liquidity haircut = 1 − exp(−Y σ_day √(Q/V_day))
    haircut           = 1 − (1 − price haircut)(1 − liquidity haircut)

(the lognormal form of the Basel ¶156 haircut; it stays below 1 without any cap, until the
log loss passes about 37, where ``1 − e^{−x}`` rounds to 1.0 in float64). Every input
is checked and none is clipped: a NaN, a negative volatility or size, a horizon or depth ≤ 0
raises :class:`~ringfence.core.errors.InvalidParameter` naming it. An infinite depth means no
impact (slippage 0).
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import ndtri  # type: ignore[import-untyped]  # no scipy-stubs in the dev environment

from ringfence.core.errors import InvalidParameter
from ringfence.risk import _inputs
from ringfence.risk._inputs import FloatArray

__all__ = [
    "DAYS_PER_YEAR",
    "collateral_haircut",
    "liquidity_haircut",
    "margin_rate",
    "price_haircut",
    "price_risk_rate",
    "quantile_factor",
    "square_root_law",
    "square_root_slippage",
]

DAYS_PER_YEAR = 365
"""Trading days per year of a crypto market: ``σ_day = σ_year / √365``."""


def quantile_factor(confidence: float) -> float:
    """Return ``z_α = Φ⁻¹(α)``, the standard normal quantile at ``confidence`` ∈ (0.5, 1)."""
    level = _inputs.fraction("confidence", confidence, 0.5, 1.0)
    return float(ndtri(level))


def _depth(name: str, values: ArrayLike) -> FloatArray:
    array = np.asarray(values, dtype=np.float64)
    if np.isnan(array).any() or not (array > 0.0).all():
        raise InvalidParameter(name, "NaN or values <= 0", "depths > 0 (infinity for no impact)")
    return array


def price_risk_rate(volatility: ArrayLike, horizon_years: ArrayLike, confidence: float) -> FloatArray:
    """Return ``z_α · σ · √h``: the adverse move at confidence ``α`` over the liquidation horizon.

    Parameters
    ----------
    volatility:
        ``σ ≥ 0``, annualised.
    horizon_years:
        ``h > 0``, the liquidation horizon in years (one day is ``1/365``).
    confidence:
        ``α`` ∈ (0.5, 1), e.g. 0.99.

    Returns
    -------
    numpy.ndarray
        The rate as a fraction of notional, broadcast over the inputs.
    """
    sigma = _inputs.non_negative("volatility", volatility)
    horizon = _inputs.positive("horizon_years", horizon_years)
    return np.asarray(quantile_factor(confidence) * sigma * np.sqrt(horizon))


def square_root_law(size: FloatArray, depth: FloatArray, scale: FloatArray) -> FloatArray:
    """Return ``scale · √(size / depth)``, the square-root law's one formula (no input checks: a kernel's).

    :func:`square_root_slippage` checks its inputs and calls it with ``scale = Y·σ_day``; the stress
    lab's liquidation impact (``ringfence.lab.vector.kernels.square_root_impact``) calls it with the
    market's coefficient, on arrays, every step.
    """
    return np.asarray(scale * np.sqrt(size / depth))


def square_root_slippage(
    notional_usd: ArrayLike, daily_volume_usd: ArrayLike, volatility: ArrayLike, impact_coefficient: ArrayLike = 1.0
) -> FloatArray:
    """Return the square-root-law impact ``Y · σ_day · √(Q / V_day)`` of liquidating ``Q`` (Tóth et al. 2011).

    Parameters
    ----------
    notional_usd:
        ``Q ≥ 0``, the notional to liquidate.
    daily_volume_usd:
        ``V_day > 0``, the market's daily volume (infinity: no impact).
    volatility:
        ``σ ≥ 0`` annualised; the law uses ``σ_day = σ / √365``.
    impact_coefficient:
        ``Y ≥ 0``, the law's prefactor (measured 0.5–1 on equities and futures).

    Returns
    -------
    numpy.ndarray
        The relative price impact (a log-price move), broadcast over the inputs.
    """
    size = _inputs.non_negative("notional_usd", notional_usd)
    depth = _depth("daily_volume_usd", daily_volume_usd)
    sigma = _inputs.non_negative("volatility", volatility)
    prefactor = _inputs.non_negative("impact_coefficient", impact_coefficient)
    daily = sigma / math.sqrt(DAYS_PER_YEAR)
    return square_root_law(size, depth, prefactor * daily)


def margin_rate(
    volatility: ArrayLike,
    horizon_years: ArrayLike,
    confidence: float,
    notional_usd: ArrayLike,
    daily_volume_usd: ArrayLike,
    impact_coefficient: ArrayLike = 1.0,
) -> FloatArray:
    """Return the margin rate ``z_α σ √h + Y σ_day √(Q / V_day)`` per market (or per position).

    The two terms are :func:`price_risk_rate` and :func:`square_root_slippage`; see the module
    docstring for the sources. The rate is linear in the move (first order), as SPEC §3 writes it.

    Parameters
    ----------
    volatility, horizon_years, confidence:
        As in :func:`price_risk_rate`.
    notional_usd, daily_volume_usd, impact_coefficient:
        As in :func:`square_root_slippage`: the size to liquidate (a position, or the market's
        open interest on one side for a market-wide rate) and the depth it meets.

    Returns
    -------
    numpy.ndarray
        Rates as fractions of notional, broadcast over the inputs.
    """
    price_move = price_risk_rate(volatility, horizon_years, confidence)
    return price_move + square_root_slippage(notional_usd, daily_volume_usd, volatility, impact_coefficient)


def price_haircut(volatility: ArrayLike, horizon_years: ArrayLike, confidence: float) -> FloatArray:
    """Return ``1 − exp(−z_α σ √h)``: the value a collateral asset loses in an adverse ``α`` move over ``h``."""
    return np.asarray(-np.expm1(-price_risk_rate(volatility, horizon_years, confidence)))


def liquidity_haircut(
    amount_usd: ArrayLike, daily_volume_usd: ArrayLike, volatility: ArrayLike, impact_coefficient: ArrayLike = 1.0
) -> FloatArray:
    """Return ``1 − exp(−Y σ_day √(Q / V_day))``: the value lost to impact when selling ``Q`` of collateral."""
    return np.asarray(-np.expm1(-square_root_slippage(amount_usd, daily_volume_usd, volatility, impact_coefficient)))


def collateral_haircut(
    volatility: ArrayLike,
    horizon_years: ArrayLike,
    confidence: float,
    amount_usd: ArrayLike,
    daily_volume_usd: ArrayLike,
    impact_coefficient: ArrayLike = 1.0,
) -> FloatArray:
    """Return a collateral asset's haircut from its volatility and depth, per asset (or per holding).

    ``1 − exp(−(z_α σ √h + Y σ_day √(Q / V_day)))`` = ``1 − (1 − price haircut)(1 − liquidity
    haircut)`` (module docstring): in [0, 1), so the collateral value kept is
    ``amount · (1 − haircut)``.

    Parameters
    ----------
    volatility, horizon_years, confidence:
        As in :func:`price_risk_rate`.
    amount_usd, daily_volume_usd, impact_coefficient:
        As in :func:`square_root_slippage`: the collateral to sell and the depth it meets.

    Returns
    -------
    numpy.ndarray
        Haircuts in [0, 1), broadcast over the inputs.
    """
    log_loss = price_risk_rate(volatility, horizon_years, confidence) + square_root_slippage(
        amount_usd, daily_volume_usd, volatility, impact_coefficient
    )
    return np.asarray(-np.expm1(-log_loss))
