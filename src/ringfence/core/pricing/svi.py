"""The SVI volatility smile in exact integers: total implied variance by log-moneyness.

Raw SVI (J. Gatheral, "A parsimonious arbitrage-free implied volatility parameterization",
Global Derivatives 2004; J. Gatheral and A. Jacquier, "Arbitrage-free SVI volatility surfaces",
*Quantitative Finance* 14(1) (2014) 59–71, eq. (3.1)) gives the total implied variance
``w = σ_imp²·τ`` of one expiry at log-moneyness ``k = ln(K/F)``::

    w(k) = a + b·(ρ·(k − m) + √((k − m)² + σ²))

Parameters are WAD fixed point (``a``, ``m`` and ``ρ`` signed). Validity, checked when an oracle
publishes a smile (Gatheral–Jacquier §3.1): ``b ≥ 0``, ``|ρ| < 1``, ``σ > 0`` and
``a + b·σ·√(1 − ρ²) ≥ 0``, the last being the minimum of ``w`` over all ``k``, so the total
variance is non-negative everywhere. (Freedom from butterfly and calendar arbitrage needs more;
the oracle is trusted for it, the engine checks what keeps its own arithmetic sound.)
"""

from __future__ import annotations

from dataclasses import dataclass

from ringfence.core.pricing.black76 import NS_PER_YEAR
from ringfence.core.pricing.fixed_math import PRECISE, ln_precise, sqrt_precise
from ringfence.core.units import WAD

__all__ = ["SviParams", "svi_minimum_variance_precise", "svi_total_variance_precise", "svi_volatility_wad"]

_TO_PRECISE = PRECISE // WAD


@dataclass(frozen=True, slots=True)
class SviParams:
    """Raw SVI parameters of one expiry's smile, in WAD (``a``, ``rho`` and ``m`` may be negative)."""

    a_wad: int
    b_wad: int
    rho_wad: int
    m_wad: int
    sigma_wad: int


def svi_minimum_variance_precise(params: SviParams) -> int:
    """Return ``a + b·σ·√(1 − ρ²)``, the smallest total variance of the smile, at PRECISE."""
    rho = params.rho_wad * _TO_PRECISE
    root = sqrt_precise(PRECISE - rho * rho // PRECISE)
    b_sigma = params.b_wad * _TO_PRECISE * (params.sigma_wad * _TO_PRECISE) // PRECISE
    return params.a_wad * _TO_PRECISE + b_sigma * root // PRECISE


def svi_total_variance_precise(params: SviParams, forward_wad: int, strike_wad: int) -> int:
    """Return the smile's total variance ``w(ln(K/F))`` at PRECISE (never negative: floored at 0)."""
    k = ln_precise(strike_wad * PRECISE // forward_wad)
    shifted = k - params.m_wad * _TO_PRECISE
    sigma = params.sigma_wad * _TO_PRECISE
    root = sqrt_precise((shifted * shifted + sigma * sigma) // PRECISE)
    wing = params.rho_wad * _TO_PRECISE * shifted // PRECISE + root
    return max(params.a_wad * _TO_PRECISE + params.b_wad * _TO_PRECISE * wing // PRECISE, 0)


def svi_volatility_wad(params: SviParams, forward_wad: int, strike_wad: int, time_to_expiry_ns: int) -> int:
    """Return the implied volatility a year ``√(w/τ)`` at the strike, in WAD (floored; 0 at or after expiry)."""
    if time_to_expiry_ns <= 0:
        return 0
    variance = svi_total_variance_precise(params, forward_wad, strike_wad)
    per_year = variance * NS_PER_YEAR // time_to_expiry_ns
    return sqrt_precise(per_year) // _TO_PRECISE
