"""Black-76 prices and Greeks in exact integers: the formula the ledger prices option series with.

Two implementations of Black-76 live in ringfence, on purpose: this one runs the ledger (every
premium, mark, margin requirement and pool Greek the engine records is computed here, in
integers, deterministically on every machine), and :mod:`ringfence.risk.options` runs the
vectorised float64 statistics (scenario grids, VaR, the lab). The core may not import the risk
package (no numpy in the core; an import-linter contract), and the risk package must not loop
over integers; ``tests/differential/test_black76_integer_vs_float.py`` holds them to each other.

Model (F. Black, "The pricing of commodity contracts", *J. Financial Economics* 3 (1976)),
undiscounted (the pool's quote asset earns nothing and settles at expiry: ``r = 0``), with the
forward ``F``, strike ``K``, volatility ``σ`` a year and ``τ`` years to expiry::

    s  = σ√τ                       d1 = (ln(F/K) + s²/2) / s        d2 = d1 − s
    call = F·Φ(d1) − K·Φ(d2)       put = call − F + K   (put–call parity, exact in integers)
    delta_call = Φ(d1)             delta_put = Φ(d1) − 1
    gamma = φ(d1) / (F·s)          vega = F·φ(d1)·√τ    (per 1.00 of volatility)
    theta = −F·φ(d1)·σ / (2√τ)     (per year of calendar time; the same for a call and a put at r = 0)

The put is derived from the call through parity, as Lyra does (derivexyz/v2-core
``src/libraries/BlackScholesV2.sol``, ``_optionPrices``: ``put = call + K·df − spot``), so
``call − put = F − K`` holds exactly at the internal scale, and at WAD whenever both are floored
(``F − K`` is a whole number of WAD units). Lyra computes ``Φ`` with a polynomial approximation
to fit gas; here ``ln``, ``exp``, ``√`` and ``Φ`` are series summed at 10⁻⁵⁰
(:mod:`.fixed_math`), so every WAD output is within one unit of the exact value (the
conformance test checks it against mpmath at 80 digits over moneyness from 0.2 to 5, expiries
from one minute to five years and volatilities from 1% to 500%).

At expiry (``τ = 0``) or with zero volatility the option is worth its intrinsic value and its
delta is the step ``1`` (in the money) or ``0``; gamma, vega and theta are 0.
"""

from __future__ import annotations

from dataclasses import dataclass

from ringfence.core.pricing.fixed_math import (
    PRECISE,
    ln_precise,
    normal_cdf_precise,
    normal_pdf_precise,
    sqrt_precise,
)
from ringfence.core.units import WAD, Rounding, mul_div

__all__ = ["NS_PER_YEAR", "Black76", "black76", "to_wad"]

NS_PER_YEAR = 365 * 86_400 * 10**9
"""A year of 365 days, in nanoseconds (Lyra's ``SECONDS_PER_YEAR = 31536000``)."""

_TO_PRECISE = PRECISE // WAD


def to_wad(value_precise: int, rounding: Rounding) -> int:
    """Round a value at :data:`~ringfence.core.pricing.fixed_math.PRECISE` to WAD, in the stated direction."""
    return mul_div(value_precise, 1, _TO_PRECISE, rounding)


@dataclass(frozen=True, slots=True)
class Black76:
    """Black-76 values at :data:`~ringfence.core.pricing.fixed_math.PRECISE` (10⁵⁰ = 1.0), per unit of underlying.

    Prices, vega and theta are in the price unit of ``F`` and ``K``; delta is a ratio; gamma is
    per price unit. Convert with :func:`to_wad` and an explicit rounding.
    """

    call_precise: int
    put_precise: int
    call_delta_precise: int
    put_delta_precise: int
    gamma_precise: int
    vega_precise: int
    theta_precise: int

    def price_wad(self, is_call: bool, rounding: Rounding) -> int:
        """Return the call's or the put's price in WAD."""
        return to_wad(self.call_precise if is_call else self.put_precise, rounding)

    def delta_wad(self, is_call: bool, rounding: Rounding) -> int:
        """Return the call's or the put's delta in WAD."""
        return to_wad(self.call_delta_precise if is_call else self.put_delta_precise, rounding)


def black76(forward_wad: int, strike_wad: int, volatility_wad: int, time_to_expiry_ns: int) -> Black76:
    """Return Black-76 prices and Greeks of a call and a put on ``F`` struck at ``K``.

    Parameters
    ----------
    forward_wad, strike_wad:
        ``F > 0`` and ``K > 0``, prices in WAD.
    volatility_wad:
        ``σ ≥ 0`` a year, in WAD (0.8 is 80% a year).
    time_to_expiry_ns:
        ``τ ≥ 0`` in nanoseconds (a year is :data:`NS_PER_YEAR`).

    Raises
    ------
    ValueError
        On a non-positive price or a negative volatility or time (the callers validate first:
        this is a programming error, never a user's).
    """
    if forward_wad <= 0 or strike_wad <= 0 or volatility_wad < 0 or time_to_expiry_ns < 0:
        raise ValueError("black76 needs F > 0, K > 0, σ ≥ 0 and τ ≥ 0")
    forward = forward_wad * _TO_PRECISE
    strike = strike_wad * _TO_PRECISE
    sqrt_tau = sqrt_precise(time_to_expiry_ns * PRECISE // NS_PER_YEAR)
    sigma = volatility_wad * _TO_PRECISE
    stdev = sigma * sqrt_tau // PRECISE
    if stdev == 0:
        return _intrinsic(forward, strike)
    log_moneyness = ln_precise(forward * PRECISE // strike)
    d1 = (log_moneyness * PRECISE + stdev * stdev // 2) // stdev
    d2 = d1 - stdev
    cdf_d1 = normal_cdf_precise(d1)
    call = (forward * cdf_d1 - strike * normal_cdf_precise(d2)) // PRECISE
    density = normal_pdf_precise(d1)
    vega = forward * density // PRECISE * sqrt_tau // PRECISE
    return Black76(
        call_precise=call,
        put_precise=call - forward + strike,
        call_delta_precise=cdf_d1,
        put_delta_precise=cdf_d1 - PRECISE,
        gamma_precise=density * PRECISE // forward * PRECISE // stdev,
        vega_precise=vega,
        theta_precise=-(forward * density // PRECISE * sigma // (2 * sqrt_tau)),
    )


def _intrinsic(forward: int, strike: int) -> Black76:
    """Values at expiry (or with no volatility): intrinsic prices, step deltas, no curvature."""
    in_the_money = forward > strike
    call = max(forward - strike, 0)
    return Black76(
        call_precise=call,
        put_precise=call - forward + strike,
        call_delta_precise=PRECISE if in_the_money else 0,
        put_delta_precise=0 if in_the_money else -PRECISE,
        gamma_precise=0,
        vega_precise=0,
        theta_precise=0,
    )
