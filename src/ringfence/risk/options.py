"""European option prices and Greeks, vectorised: Black-76 on a forward, Black–Scholes(–Merton) on a spot.

One kernel serves both models: the generalised Black–Scholes–Merton formula with a cost of carry
``b`` (E. G. Haug, *The Complete Guide to Option Pricing Formulas*, 2nd ed. (McGraw-Hill, 2007),
§1.1.6 and the Greeks of §2.1). With the underlying ``U`` (a futures price for Black-76, a spot
for Black–Scholes), strike ``K``, expiry ``T`` years, volatility ``σ`` a year, discount rate ``r``
and carry ``b``::

    d1 = (ln(U/K) + (b + σ²/2)T) / (σ√T),      d2 = d1 − σ√T
    call = U e^{(b−r)T} Φ(d1) − K e^{−rT} Φ(d2)
    put  = K e^{−rT} Φ(−d2) − U e^{(b−r)T} Φ(−d1)

Black-76 (F. Black, "The pricing of commodity contracts", *J. Financial Economics* 3 (1976)
167–179) is ``b = 0`` with ``U = F``; Black–Scholes (F. Black and M. Scholes, *J. Political
Economy* 81 (1973) 637–654; R. C. Merton, *Bell J. Econ. Manag. Sci.* 4 (1973) 141–183) is
``b = r − q`` with ``U = S`` and continuous dividend (or foreign-rate) yield ``q``.

Greeks, with ``c = e^{(b−r)T}``, ``φ`` the standard normal density, ``±`` = + for a call::

    delta = ∂V/∂U  = c Φ(d1) (call), c (Φ(d1) − 1) (put)
    gamma = ∂²V/∂U² = c φ(d1) / (U σ √T)
    vega  = ∂V/∂σ  = U c φ(d1) √T                              per unit of volatility (1.00 = 100 vol points)
    theta = ∂V/∂t  = −U c φ(d1) σ / (2√T) ∓ (b − r) U c Φ(±d1) ∓ r K e^{−rT} Φ(±d2)   per year of time passing
    vanna = ∂²V/∂U∂σ = −c φ(d1) d2 / σ
    volga = ∂²V/∂σ² = vega · d1 d2 / σ

(theta is the derivative in calendar time at fixed expiry date, i.e. ``−∂V/∂T``; per day, divide
by 365.) Every Greek is taken with respect to the model's own underlying: Black-76's delta is
``∂V/∂F``, Black–Scholes' is ``∂V/∂S``.

The loop is compiled by numba on first use (one pass per option, no temporary arrays); inputs
are checked and never clipped: a non-finite value, ``U ≤ 0``, ``K ≤ 0``, ``T ≤ 0`` or ``σ ≤ 0``
raises :class:`~ringfence.core.errors.InvalidParameter` naming the field. An option at its expiry
is settled, not priced (``T = 0`` is refused). Accuracy: ``Φ`` is ``erfc`` of the C library, so
each tail probability has full relative precision; a deep out-of-the-money price is the
difference of two such terms and keeps about ``16 − log10(|d1|/σ√T)`` significant digits.
Conformance: ``tests/conformance/test_option_pricing.py`` (put–call parity, finite differences
and QuantLib's ``BlackCalculator`` and ``AnalyticEuropeanEngine``).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ringfence.core.errors import InvalidParameter
from ringfence.risk import _inputs
from ringfence.risk._inputs import FloatArray

__all__ = ["OptionValues", "black76", "black_scholes"]

BoolArray = NDArray[np.bool_]

INVERSE_SQRT2 = 1.0 / math.sqrt(2.0)
INVERSE_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


@dataclass(frozen=True, slots=True, eq=False)
class OptionValues:
    """Price and Greeks of each option (float64 arrays of the broadcast input shape).

    Attributes
    ----------
    price:
        Present value per unit of underlying, in the underlying's price unit.
    delta, gamma:
        First and second derivatives in the model's underlying (forward or spot).
    vega:
        Per unit of volatility (a move from 0.50 to 0.51 changes the price by ``vega / 100``).
    theta:
        Per year of calendar time passing (``−∂V/∂T``).
    vanna, volga:
        ``∂²V/∂U∂σ`` and ``∂²V/∂σ²``.
    """

    price: FloatArray
    delta: FloatArray
    gamma: FloatArray
    vega: FloatArray
    theta: FloatArray
    vanna: FloatArray
    volga: FloatArray


def black76(
    forward: ArrayLike,
    strike: ArrayLike,
    expiry_years: ArrayLike,
    volatility: ArrayLike,
    discount_rate: ArrayLike,
    is_call: ArrayLike,
) -> OptionValues:
    """Return Black-76 prices and Greeks (with respect to the forward) of European options on a forward.

    Parameters
    ----------
    forward, strike:
        ``F > 0`` and ``K > 0``, in the same unit.
    expiry_years:
        ``T > 0``.
    volatility:
        ``σ > 0`` a year (lognormal).
    discount_rate:
        ``r``, continuously compounded, a year (any finite value).
    is_call:
        True for a call, False for a put.
    """
    return _priced(forward, strike, expiry_years, volatility, discount_rate, 0.0, is_call, carry_is_rate=False)


def black_scholes(
    spot: ArrayLike,
    strike: ArrayLike,
    expiry_years: ArrayLike,
    volatility: ArrayLike,
    rate: ArrayLike,
    is_call: ArrayLike,
    dividend_yield: ArrayLike = 0.0,
) -> OptionValues:
    """Return Black–Scholes–Merton prices and Greeks (with respect to the spot).

    Parameters
    ----------
    spot, strike:
        ``S > 0`` and ``K > 0``.
    expiry_years:
        ``T > 0``.
    volatility:
        ``σ > 0`` a year.
    rate:
        ``r``, the continuously compounded risk-free rate a year (discount and carry).
    is_call:
        True for a call, False for a put.
    dividend_yield:
        ``q``, the continuous yield of the underlying (carry ``b = r − q``).
    """
    return _priced(spot, strike, expiry_years, volatility, rate, dividend_yield, is_call, carry_is_rate=True)


def _priced(
    underlying: ArrayLike,
    strike: ArrayLike,
    expiry_years: ArrayLike,
    volatility: ArrayLike,
    rate: ArrayLike,
    dividend_yield: ArrayLike,
    is_call: ArrayLike,
    *,
    carry_is_rate: bool,
) -> OptionValues:
    names = ("underlying", "strike", "expiry_years", "volatility")
    positives = [
        _inputs.positive(name, value)
        for name, value in zip(names, (underlying, strike, expiry_years, volatility), strict=True)
    ]
    discount = _inputs.finite("rate", rate)
    yield_ = _inputs.finite("dividend_yield", dividend_yield)
    calls = _calls(is_call)
    try:
        arrays = np.broadcast_arrays(*positives, discount, yield_, calls)
    except ValueError as error:
        raise InvalidParameter(
            "shapes", [np.shape(a) for a in (*positives, discount, yield_, calls)], "broadcastable arrays"
        ) from error
    shape = arrays[0].shape
    flat = [np.ascontiguousarray(a).ravel() for a in arrays]
    spot, strike_, expiry, sigma, r, q, call = flat
    carry = r - q if carry_is_rate else np.zeros_like(r)
    outputs = [np.empty(spot.shape[0]) for _ in range(7)]
    _compiled_generalised_black()(spot, strike_, expiry, sigma, r, carry, call, *outputs)
    return OptionValues(*(out.reshape(shape) for out in outputs))


def _calls(is_call: ArrayLike) -> BoolArray:
    array = np.asarray(is_call)
    if array.dtype != np.bool_:
        raise InvalidParameter("is_call", array.dtype, "booleans (True for a call, False for a put)")
    return array


def _generalised_black_loop(
    underlying: FloatArray,
    strike: FloatArray,
    expiry: FloatArray,
    sigma: FloatArray,
    rate: FloatArray,
    carry: FloatArray,
    is_call: BoolArray,
    price: FloatArray,
    delta: FloatArray,
    gamma: FloatArray,
    vega: FloatArray,
    theta: FloatArray,
    vanna: FloatArray,
    volga: FloatArray,
) -> None:
    """Write the price and Greeks of each option (module docstring): one pass, compiled by numba."""
    for i in range(underlying.shape[0]):
        u = underlying[i]
        k = strike[i]
        t = expiry[i]
        s = sigma[i]
        root_t = math.sqrt(t)
        total = s * root_t
        d1 = (math.log(u / k) + (carry[i] + 0.5 * s * s) * t) / total
        d2 = d1 - total
        carried = math.exp((carry[i] - rate[i]) * t)
        discounted_strike = k * math.exp(-rate[i] * t)
        density = INVERSE_SQRT_2PI * math.exp(-0.5 * d1 * d1)
        sign = 1.0 if is_call[i] else -1.0
        tail1 = 0.5 * math.erfc(-sign * d1 * INVERSE_SQRT2)  # Φ(±d1)
        tail2 = 0.5 * math.erfc(-sign * d2 * INVERSE_SQRT2)  # Φ(±d2)
        # Far out of the money both terms agree to within rounding; their difference can then fall a few
        # subnormal ulps below 0. The value itself is positive and smaller than that rounding, so 0 is
        # the closest float to it, never a clip of a real negative price.
        price[i] = max(sign * (u * carried * tail1 - discounted_strike * tail2), 0.0)
        delta[i] = sign * carried * tail1
        gamma[i] = carried * density / (u * total)
        option_vega = u * carried * density * root_t
        vega[i] = option_vega
        theta[i] = (
            -u * carried * density * s / (2.0 * root_t)
            - sign * (carry[i] - rate[i]) * u * carried * tail1
            - sign * rate[i] * discounted_strike * tail2
        )
        vanna[i] = -carried * density * d2 / s
        volga[i] = option_vega * d1 * d2 / s


@cache
def _compiled_generalised_black() -> Callable[..., None]:
    import numba  # noqa: PLC0415 - compiling is deferred to the first call, never at import

    kernel: Callable[..., None] = numba.njit(cache=True, nogil=True, fastmath=False, error_model="numpy")(
        _generalised_black_loop
    )
    return kernel
