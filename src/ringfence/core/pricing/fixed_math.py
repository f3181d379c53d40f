"""Integer-only transcendental functions at a high fixed-point precision, for the ledger's option pricing.

Every function takes and returns ``int`` values scaled by :data:`PRECISE` (``10**50``), so the
engine prices options without a float anywhere (SPEC §1). Lyra's ``BlackScholes.sol`` and its
``FixedPointMathLib`` (derivexyz/v1-core and v2-core, ``src/libraries/``) evaluate ``ln``, ``exp``,
``sqrt`` and the normal CDF in 18- or 27-decimal fixed point with polynomial approximations, as
a contract must within its gas budget. Python integers have no width limit, so here each
function is a convergent series summed at 50 decimals until its terms vanish:

- ``exp(x)``: range reduction ``x = k·ln 2 + r`` with ``|r| ≤ ln 2 / 2``, then the Taylor series
  of ``e^r``, shifted by ``2^k``;
- ``ln(x)``: ``x = m·2^k`` with ``m ∈ [1, 2)``, then ``ln m = 2·atanh((m − 1)/(m + 1))`` (a series
  whose ratio is at most 1/9);
- ``sqrt``: :func:`math.isqrt` of the scaled square (exact floor);
- ``Φ(x)``: Marsaglia's series ``Φ(x) = ½ + φ(x)·Σ x^(2n+1)/(1·3·5···(2n+1))`` for ``x ≥ 0``
  (G. Marsaglia, "Evaluating the normal distribution", *J. Statistical Software* 11(4), 2004),
  whose terms are all positive (no cancellation), and ``Φ(−x) = 1 − Φ(x)`` exactly in integers;
  ``|x| ≥ 15`` gives ``Φ = 0`` or ``1`` (``Φ(−15) ≈ 3.7·10⁻⁵¹``, below one unit of the scale);
- ``π`` and ``ln 2`` are computed once from Machin's formula and ``2·atanh(1/3)``.

Accuracy: each truncated division loses less than one unit of ``10⁻⁵⁰``; a function sums a few
hundred terms at most, so its absolute error is below ``10⁻⁴⁶`` for the ranges the engine uses
(``tests/conformance/test_integer_black76.py`` compares each with mpmath at 80 digits). This
is far below the 10⁻¹⁸ of a WAD, so a WAD result rounded in a stated direction is the directed
rounding of the exact value except when the exact value lies within 10⁻⁴⁶ of a WAD boundary.
"""

from __future__ import annotations

import math

__all__ = [
    "LN2",
    "PI",
    "PRECISE",
    "SQRT_TWO_PI",
    "exp_precise",
    "ln_precise",
    "normal_cdf_precise",
    "normal_pdf_precise",
    "sqrt_precise",
]

PRECISE = 10**50
"""Scale of every value in this module: 1.0 is ``PRECISE``."""

_GUARD = 10**10
"""Extra digits the constants are computed with before they are rounded to :data:`PRECISE`."""

_CDF_CUTOFF = 15 * PRECISE
"""Beyond ``|x| = 15`` the normal CDF is 0 or 1 to within one unit of the scale."""


def _atanh_inverse(n: int, scale: int) -> int:
    """Return ``atanh(1/n)·scale`` (floored terms) for an integer ``n ≥ 2``."""
    total = 0
    power = scale // n
    k = 0
    square = n * n
    while power:
        total += power // (2 * k + 1)
        power //= square
        k += 1
    return total


def _atan_inverse(n: int, scale: int) -> int:
    """Return ``atan(1/n)·scale`` for an integer ``n ≥ 2`` (alternating Gregory series)."""
    total = 0
    power = scale // n
    k = 0
    square = n * n
    while power:
        term = power // (2 * k + 1)
        total += -term if k % 2 else term
        power //= square
        k += 1
    return total


_TAIL = 10**40
"""Extra digits the normal CDF works with: ``φ(x)`` is tiny where its series is large (``x`` near 15)."""
_WIDE = PRECISE * _TAIL
"""The CDF's internal scale."""
_LN2_WIDE = (2 * _atanh_inverse(3, _WIDE * _GUARD)) // _GUARD
_PI_WIDE = (16 * _atan_inverse(5, _WIDE * _GUARD) - 4 * _atan_inverse(239, _WIDE * _GUARD)) // _GUARD
LN2 = _LN2_WIDE // _TAIL
"""``ln 2`` at :data:`PRECISE`."""
PI = _PI_WIDE // _TAIL
"""``π`` at :data:`PRECISE` (Machin: ``π = 16·atan(1/5) − 4·atan(1/239)``)."""
_SQRT_TWO_PI_WIDE = math.isqrt(2 * _PI_WIDE * _WIDE)
SQRT_TWO_PI = _SQRT_TWO_PI_WIDE // _TAIL
"""``√(2π)`` at :data:`PRECISE`."""

_EXP_FLOOR = -130 * PRECISE
"""Below ``e^−130 ≈ 3.5·10⁻⁵⁷`` the result is 0 at this scale."""


def exp_precise(x: int) -> int:
    """Return ``e^x`` for ``x`` at :data:`PRECISE` (any sign; 0 once it underflows the scale).

    Raises
    ------
    ValueError
        If ``x > 300`` (no price or Greek of the engine needs one; a caller's bug).
    """
    if x > 300 * PRECISE:
        raise ValueError(f"exp argument {x // PRECISE} is out of range")
    if x < _EXP_FLOOR:
        return 0
    return _exp(x, PRECISE, LN2)


def _exp(x: int, scale: int, ln2: int) -> int:
    """Return ``e^x`` at ``scale`` (``x`` at ``scale``, ``ln2`` its ``ln 2``)."""
    k = (2 * x + ln2) // (2 * ln2)  # nearest integer to x / ln 2
    r = x - k * ln2
    total = scale
    term = scale
    n = 1
    while term:
        term = term * r // (scale * n)
        total += term
        n += 1
    return total << k if k >= 0 else total >> -k


def ln_precise(x: int) -> int:
    """Return ``ln(x)`` for ``x > 0`` at :data:`PRECISE`.

    Raises
    ------
    ValueError
        If ``x ≤ 0``.
    """
    if x <= 0:
        raise ValueError(f"ln needs a positive argument, got {x}")
    k = x.bit_length() - PRECISE.bit_length()
    mantissa = x >> k if k >= 0 else x << -k
    while mantissa >= 2 * PRECISE:
        mantissa >>= 1
        k += 1
    while mantissa < PRECISE:
        mantissa <<= 1
        k -= 1
    # mantissa·2^k = x up to the bits the shift dropped (k ≥ 0 only: a relative error < 2^-166)
    y = (mantissa - PRECISE) * PRECISE // (mantissa + PRECISE)
    square = y * y // PRECISE
    total = 0
    power = y
    n = 1
    while power:
        total += power // n
        power = power * square // PRECISE
        n += 2
    return 2 * total + k * LN2


def sqrt_precise(x: int) -> int:
    """Return ``√x`` for ``x ≥ 0`` at :data:`PRECISE`, floored exactly."""
    if x < 0:
        raise ValueError(f"sqrt needs a non-negative argument, got {x}")
    return math.isqrt(x * PRECISE)


def normal_pdf_precise(x: int) -> int:
    """Return the standard normal density ``φ(x) = e^(−x²/2)/√(2π)`` at :data:`PRECISE`."""
    if abs(x) >= 2 * _CDF_CUTOFF:
        return 0
    return exp_precise(-(x * x) // (2 * PRECISE)) * PRECISE // SQRT_TWO_PI


def _upper_half_cdf(x: int) -> int:
    """Return ``Φ(x)`` for ``0 ≤ x < 15`` (Marsaglia's series, all terms positive), at the wide scale."""
    wide = x * _TAIL
    square = wide * wide // _WIDE
    term = wide
    total = wide
    n = 1
    while term:
        term = term * square // (_WIDE * (2 * n + 1))
        total += term
        n += 1
    density = _exp(-square // 2, _WIDE, _LN2_WIDE) * _WIDE // _SQRT_TWO_PI_WIDE
    return (_WIDE // 2 + density * total // _WIDE) // _TAIL


def normal_cdf_precise(x: int) -> int:
    """Return the standard normal CDF ``Φ(x)`` at :data:`PRECISE`, with ``Φ(−x) = PRECISE − Φ(x)`` exactly."""
    if x >= _CDF_CUTOFF:
        return PRECISE
    if x <= -_CDF_CUTOFF:
        return 0
    if x >= 0:
        return min(_upper_half_cdf(x), PRECISE)
    return PRECISE - min(_upper_half_cdf(-x), PRECISE)
