"""Input checks shared by the risk models: each raises a named error, none repairs its input."""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ringfence.core.errors import InvalidParameter
from ringfence.risk.errors import NonFiniteSeries, NonPositivePrices, SeriesTooShort

FloatArray = NDArray[np.float64]


def series(name: str, values: ArrayLike, minimum: int) -> FloatArray:
    """Return ``values`` as float64 if finite with at least ``minimum`` observations on the last axis."""
    array = np.asarray(values, dtype=np.float64)
    if array.ndim == 0:
        raise InvalidParameter(name, "a scalar", "an array whose last axis is time")
    if array.shape[-1] < minimum:
        raise SeriesTooShort(name, array.shape[-1], minimum)
    finite = np.isfinite(array)
    if not finite.all():
        raise NonFiniteSeries(name, int(np.flatnonzero(~finite.ravel())[0]))
    return array


def prices(name: str, values: ArrayLike, minimum: int) -> FloatArray:
    """Return a finite price series of at least ``minimum`` observations, every price > 0."""
    array = series(name, values, minimum)
    non_positive = array <= 0.0
    if non_positive.any():
        first = int(np.flatnonzero(non_positive.ravel())[0])
        raise NonPositivePrices(name, first, float(array.ravel()[first]))
    return array


def finite(name: str, values: ArrayLike) -> FloatArray:
    """Return ``values`` as float64 if every element is finite."""
    array = np.asarray(values, dtype=np.float64)
    if not np.isfinite(array).all():
        raise InvalidParameter(name, "non-finite values", "finite floats")
    return array


def positive(name: str, values: ArrayLike) -> FloatArray:
    """Return ``values`` as float64 if every element is finite and > 0."""
    array = finite(name, values)
    if not (array > 0.0).all():
        raise InvalidParameter(name, float(array.min()), "finite values > 0")
    return array


def non_negative(name: str, values: ArrayLike) -> FloatArray:
    """Return ``values`` as float64 if every element is finite and ≥ 0."""
    array = finite(name, values)
    if not (array >= 0.0).all():
        raise InvalidParameter(name, float(array.min()), "finite values >= 0")
    return array


def fraction(name: str, value: float, low: float, high: float) -> float:
    """Return ``value`` as a float if ``low < value < high`` (both bounds open)."""
    if isinstance(value, bool) or not isinstance(value, int | float | np.floating | np.integer):
        raise InvalidParameter(name, value, f"a real number in ({low}, {high})")
    number = float(value)
    if not (math.isfinite(number) and low < number < high):
        raise InvalidParameter(name, value, f"a real number in ({low}, {high})")
    return number


def count(name: str, value: int, minimum: int) -> int:
    """Return ``value`` if it is an int (not a bool) of at least ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < minimum:
        raise InvalidParameter(name, value, f"an integer >= {minimum}")
    return int(value)
