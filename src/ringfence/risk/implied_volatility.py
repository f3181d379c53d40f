"""Black-76 implied volatility, vectorised: a safeguarded Newton iteration inside a bracket.

The price of any European option is first reduced to the **time value of the out-of-the-money
option** with the same strike (put–call parity: an in-the-money call's time value is the
out-of-the-money put's price), normalised as in P. Jäckel, "Let's be rational", *Wilmott* (2015)
47–53: with ``x = −|ln(F/K)| ≤ 0``, ``s = σ√T`` and ``β`` the undiscounted time value over
``√(FK)``, solve::

    b(s) = e^{x/2} Φ(x/s + s/2) − e^{−x/2} Φ(x/s − s/2) = β,      0 < β < e^{x/2}

``b`` rises from 0 to ``e^{x/2}``, is convex below its inflection point ``s_c = √(−2x)`` and
concave above (Jäckel, §3). Below ``b(s_c)`` the iteration is Newton's on ``ln b(s) − ln β``
(``ln b`` is concave there, so the iterates do not run away in the exponentially flat wing of
deep out-of-the-money and near-expiry options); above, Newton's on ``b(s) − β``. Either way a
bracket ``[low, high]`` around the root is kept from the signs seen so far, and a Newton step that
leaves it is replaced by bisection (doubling while ``high`` is still unbounded). The iteration
stops when a step is below ``2⁻⁴⁸`` of ``s`` (or the bracket is that narrow), at most
:data:`~ringfence.risk._implied_volatility_kernel.MAX_ITERATIONS` (100) times.

Accuracy (``tests/conformance/test_implied_volatility.py``): against prices computed with
mpmath at 40 significant digits on a grid of log-moneyness ``|ln(F/K)|`` up to 5 (strikes from
0.7% to 148 times the forward), expiries from one hour to 5 years and volatilities from 5% to
400%, the recovered volatility of an out-of-the-money quote is within ``1e−9`` relative of the
true one wherever the time value is at least ``1e−250 · √(FK)`` (a normal double far from
underflow; measured worst on that grid: ``1e−12``), and that of an in-the-money quote within
``1e−7`` (measured worst: ``4e−11``). A time value in the subnormal range may end
``NOT_CONVERGED`` or solve less accurately: its few remaining bits do not determine ``σ``. This is not Jäckel's
two-iteration machine-precision algorithm: the iteration takes up to a few dozen steps in the far
wings and its documented accuracy is the tested one.

Kernels return status codes, not exceptions (:class:`ImpliedVolatilityStatus`): a price at or
below the intrinsic value has no positive implied volatility, one at or above the forward
(calls) or the strike (puts), undiscounted, has none either; neither is clipped to a bound. An
in-the-money price whose time value is below ``2⁻²⁶`` of its intrinsic value is refused too
(``TIME_VALUE_UNRESOLVED``): its time value, the only part that depends on volatility, is then
known to fewer than half of a double's digits (``ε·intrinsic/time value``); quote the
out-of-the-money option of the same strike instead. Above that threshold an in-the-money input's
volatility carries a relative error up to about ``2⁻²⁶ ≈ 1.5e−8`` divided by the price's
elasticity to volatility. The volatility is NaN wherever the status is not ``SOLVED``. Inputs that are not prices at all
(non-finite, ``F ≤ 0``, ``K ≤ 0``, ``T ≤ 0``) raise :class:`~ringfence.core.errors.InvalidParameter`.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ringfence.core.errors import InvalidParameter
from ringfence.risk import _inputs
from ringfence.risk._inputs import FloatArray

__all__ = ["ImpliedVolatility", "ImpliedVolatilityStatus", "implied_volatility"]


class ImpliedVolatilityStatus(enum.IntEnum):
    """Why an implied volatility is or is not there (one code per option)."""

    SOLVED = 0
    AT_OR_BELOW_INTRINSIC = 1
    AT_OR_ABOVE_MAXIMUM = 2
    NOT_CONVERGED = 3
    TIME_VALUE_UNRESOLVED = 4


@dataclass(frozen=True, slots=True, eq=False)
class ImpliedVolatility:
    """Implied volatilities (a year; NaN where not solved) and their status codes."""

    volatility: FloatArray
    status: NDArray[np.int8]
    iterations: NDArray[np.int16]


def implied_volatility(
    price: ArrayLike,
    forward: ArrayLike,
    strike: ArrayLike,
    expiry_years: ArrayLike,
    discount_rate: ArrayLike,
    is_call: ArrayLike,
) -> ImpliedVolatility:
    """Return the Black-76 volatility that reprices each option (module docstring).

    Parameters
    ----------
    price:
        The option's present value (discounted at ``discount_rate``), ``≥ 0``.
    forward, strike, expiry_years, discount_rate, is_call:
        As in :func:`ringfence.risk.options.black76`.
    """
    prices = _inputs.non_negative("price", price)
    positives = [
        _inputs.positive(name, value)
        for name, value in (("forward", forward), ("strike", strike), ("expiry_years", expiry_years))
    ]
    rate = _inputs.finite("discount_rate", discount_rate)
    calls = np.asarray(is_call)
    if calls.dtype != np.bool_:
        raise InvalidParameter("is_call", calls.dtype, "booleans (True for a call, False for a put)")
    try:
        arrays = np.broadcast_arrays(prices, *positives, rate, calls)
    except ValueError as error:
        raise InvalidParameter(
            "shapes", [np.shape(a) for a in (prices, *positives, rate, calls)], "broadcastable arrays"
        ) from error
    shape = arrays[0].shape
    flat = [np.ascontiguousarray(a).ravel() for a in arrays]
    size = flat[0].shape[0]
    volatility = np.empty(size)
    status = np.empty(size, dtype=np.int8)
    iterations = np.empty(size, dtype=np.int16)
    _compiled_solver()(*flat, volatility, status, iterations)
    return ImpliedVolatility(volatility.reshape(shape), status.reshape(shape), iterations.reshape(shape))


@cache
def _compiled_solver() -> Callable[..., None]:
    from ringfence.risk import _implied_volatility_kernel  # noqa: PLC0415 - numba compiles on first use, never at import

    solve: Callable[..., None] = _implied_volatility_kernel.solve_all
    return solve
