"""Parameter checks shared by the lab's generators; each raises ``InvalidParameter`` naming the field."""

from __future__ import annotations

import math

import numpy as np

from ringfence.core.errors import InvalidParameter


def check_count(name: str, value: int, minimum: int = 1) -> int:
    """Return ``value`` if it is an int (not a bool) of at least ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < minimum:
        raise InvalidParameter(name, value, f"an integer >= {minimum}")
    return int(value)


def check_finite(name: str, value: float) -> float:
    """Return ``value`` as a float if it is a finite real number."""
    if isinstance(value, bool) or not isinstance(value, int | float | np.floating | np.integer):
        raise InvalidParameter(name, value, "a finite real number")
    number = float(value)
    if not math.isfinite(number):
        raise InvalidParameter(name, value, "a finite real number")
    return number


def check_positive(name: str, value: float) -> float:
    """Return ``value`` if it is finite and strictly positive."""
    number = check_finite(name, value)
    if number <= 0.0:
        raise InvalidParameter(name, value, "a finite number > 0")
    return number


def check_non_negative(name: str, value: float) -> float:
    """Return ``value`` if it is finite and at least zero."""
    number = check_finite(name, value)
    if number < 0.0:
        raise InvalidParameter(name, value, "a finite number >= 0")
    return number


def check_generator(rng: object) -> np.random.Generator:
    """Return ``rng`` if it is a ``numpy.random.Generator`` (build one with ``default_rng(seed)``)."""
    if not isinstance(rng, np.random.Generator):
        raise InvalidParameter("rng", rng, "a numpy.random.Generator, e.g. numpy.random.default_rng(seed)")
    return rng
