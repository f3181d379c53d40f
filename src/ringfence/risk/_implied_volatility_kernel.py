"""The compiled loop of :mod:`ringfence.risk.implied_volatility` (numba, compiled on first call, cached on disk).

Imported only when a volatility is first solved, so importing the risk package never imports numba.
Status codes are the values of :class:`~ringfence.risk.implied_volatility.ImpliedVolatilityStatus`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, TypeVar, cast

import numba
import numpy as np
from numpy.typing import NDArray

from ringfence.risk._inputs import FloatArray

__all__ = ["MAX_ITERATIONS", "solve_all"]

MAX_ITERATIONS = 100
"""Newton or bisection steps per option before giving up with ``NOT_CONVERGED``."""

RELATIVE_STEP = 2.0**-48
TIME_VALUE_RESOLUTION = 2.0**-26
"""Below this fraction of the intrinsic value, an in-the-money price's time value has lost more than half its digits."""
INVERSE_SQRT2 = 1.0 / math.sqrt(2.0)
INVERSE_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_OPTIONS: dict[str, Any] = {"cache": True, "nogil": True, "fastmath": False, "error_model": "numpy"}

_Function = TypeVar("_Function", bound=Callable[..., Any])


def _compiled(function: _Function) -> _Function:
    """Compile ``function`` with numba (no fastmath: IEEE-754 as written), keeping its signature for mypy."""
    return cast(_Function, numba.njit(**_OPTIONS)(function))


@_compiled
def _normalised_price(x: float, s: float) -> float:
    """``b(x, s)`` of the module docstring, for ``x ≤ 0`` and ``s > 0``."""
    return math.exp(0.5 * x) * 0.5 * math.erfc(-(x / s + 0.5 * s) * INVERSE_SQRT2) - math.exp(
        -0.5 * x
    ) * 0.5 * math.erfc(-(x / s - 0.5 * s) * INVERSE_SQRT2)


@_compiled
def _normalised_vega(x: float, s: float) -> float:
    """``∂b/∂s = e^{x/2} φ(x/s + s/2)``."""
    d1 = x / s + 0.5 * s
    return math.exp(0.5 * x) * INVERSE_SQRT_2PI * math.exp(-0.5 * d1 * d1)


@_compiled
def _solve_total_volatility(x: float, beta: float, out_iterations: NDArray[np.int16], i: int) -> float:
    """Return ``s`` with ``b(x, s) = β`` (NaN if not converged), writing the step count."""
    low = 0.0
    high = math.inf
    s = math.sqrt(-2.0 * x) if x < 0.0 else math.sqrt(2.0 * math.pi) * beta
    use_log = x < 0.0 and beta < _normalised_price(x, s)
    log_beta = math.log(beta)
    for step in range(1, MAX_ITERATIONS + 1):
        value = _normalised_price(x, s)
        if value < beta:
            low = s
        else:
            high = s
        slope = _normalised_vega(x, s)
        if use_log and value > 0.0:
            candidate = s - (math.log(value) - log_beta) * value / slope
        elif slope > 0.0:
            candidate = s - (value - beta) / slope
        else:
            candidate = math.nan
        if not (low < candidate < high):
            candidate = 2.0 * low if high == math.inf else 0.5 * (low + high)
            if candidate == 0.0:
                candidate = 0.5 * high
        converged = abs(candidate - s) <= RELATIVE_STEP * s or (high - low) <= RELATIVE_STEP * s
        s = candidate
        if converged:
            out_iterations[i] = step
            return s
    out_iterations[i] = MAX_ITERATIONS
    return math.nan


@_compiled
def solve_all(
    price: FloatArray,
    forward: FloatArray,
    strike: FloatArray,
    expiry: FloatArray,
    rate: FloatArray,
    is_call: NDArray[np.bool_],
    volatility: FloatArray,
    status: NDArray[np.int8],
    iterations: NDArray[np.int16],
) -> None:
    """Solve each option (module docstring): one pass, compiled by numba."""
    for i in range(price.shape[0]):
        f = forward[i]
        k = strike[i]
        undiscounted = price[i] * math.exp(rate[i] * expiry[i])
        intrinsic = max(f - k, 0.0) if is_call[i] else max(k - f, 0.0)
        maximum = f if is_call[i] else k
        iterations[i] = 0
        volatility[i] = math.nan
        if not undiscounted > intrinsic:
            status[i] = 1
            continue
        if not undiscounted < maximum:
            status[i] = 2
            continue
        if intrinsic > 0.0 and undiscounted - intrinsic < TIME_VALUE_RESOLUTION * intrinsic:
            status[i] = 4
            continue
        root = math.sqrt(f * k)
        x = -abs(math.log(f / k))
        beta = (undiscounted - intrinsic) / root
        if not beta < math.exp(0.5 * x):
            status[i] = 2
            continue
        s = _solve_total_volatility(x, beta, iterations, i)
        if math.isnan(s):
            status[i] = 3
            continue
        status[i] = 0
        volatility[i] = s / math.sqrt(expiry[i])
