"""Exact units: integer atoms, fixed-point prices and ratios, one rounding helper.

Ledger amounts are ``int`` counts of an asset's smallest unit (*atoms*). Prices and
ratios are fixed-point ``int`` values with a declared scale:

- ``WAD = 10**18`` is the scale of every price and every ratio (weights, fees, growth
  limits). A price is *value units per whole asset unit* times ``WAD``; a weight of
  0.8 is ``800_000_000_000_000_000``.
- Value (equity, requirements) is measured in *value atoms*: ``VALUE_DECIMALS``
  decimals of the numeraire (USD by convention).

Every division states its rounding direction (:class:`Rounding`); the house rule is
**round against the account, for the protocol**: requirements and debts round up,
credits, collateral value and payouts round down (SPEC §1).

Decimal strings from the edges (config, JSON, CLI) enter through the ``parse_*``
functions, which reject inexact, non-finite, negative or out-of-range input with an
:class:`~ringfence.core.errors.InvalidAmount` instead of rounding it.
"""

from __future__ import annotations

import decimal
import enum
from decimal import Decimal

from ringfence.core.errors import InvalidAmount

__all__ = [
    "MAX_ATOMS",
    "VALUE_DECIMALS",
    "WAD",
    "Rounding",
    "format_fixed",
    "mul_div",
    "parse_amount",
    "parse_fixed",
    "parse_price",
    "parse_ratio",
    "value_of",
]

WAD = 10**18
"""Scale of prices and ratios: 1.0 is ``WAD``."""

VALUE_DECIMALS = 6
"""Decimals of a value atom (the numeraire's smallest counted unit)."""

MAX_ATOMS = 2**128 - 1
"""Largest amount accepted anywhere; keeps products far from any practical limit."""

MAX_DECIMALS = 30

_MAX_ATOMS_DIGITS = len(str(MAX_ATOMS))
_EXACT_CONTEXT = decimal.Context(prec=200, traps=[decimal.Inexact, decimal.InvalidOperation])


class Rounding(enum.Enum):
    """Direction of an inexact integer division."""

    DOWN = "down"
    """Toward negative infinity (floor): credits, collateral value, payouts."""
    UP = "up"
    """Toward positive infinity (ceiling): requirements, debts, fees owed."""


def mul_div(a: int, b: int, denominator: int, rounding: Rounding) -> int:
    """Return ``a * b / denominator`` rounded in the stated direction.

    The product is exact (Python ints do not overflow), so the only rounding is the
    final division, and its direction is always the caller's explicit choice.

    Parameters
    ----------
    a, b:
        Integer factors; either may be negative.
    denominator:
        Positive divisor.
    rounding:
        :attr:`Rounding.DOWN` for floor, :attr:`Rounding.UP` for ceiling.
    """
    if denominator <= 0:
        raise ValueError(f"mul_div needs a positive denominator, got {denominator}")
    product = a * b
    if rounding is Rounding.DOWN:
        return product // denominator
    return -((-product) // denominator)


def value_of(amount_atoms: int, price_wad: int, asset_decimals: int, rounding: Rounding) -> int:
    """Return the value, in value atoms, of ``amount_atoms`` at ``price_wad``.

    ``value = amount / 10**asset_decimals * price / WAD * 10**VALUE_DECIMALS``,
    computed as one exact product and one rounded division.
    """
    shift = VALUE_DECIMALS - asset_decimals
    if shift >= 0:
        return mul_div(amount_atoms * 10**shift, price_wad, WAD, rounding)
    return mul_div(amount_atoms, price_wad, WAD * 10**-shift, rounding)


def parse_fixed(text: str, decimals: int, *, field: str = "amount", allow_zero: bool = True) -> int:
    """Parse a decimal string into an integer scaled by ``10**decimals``, exactly.

    Raises
    ------
    InvalidAmount
        If the text is not a finite decimal, is negative, has more fractional digits
        than ``decimals`` (it would need rounding), or exceeds :data:`MAX_ATOMS`.
    """
    if not 0 <= decimals <= MAX_DECIMALS:
        raise InvalidAmount(field, text, f"a scale between 0 and {MAX_DECIMALS} decimals")
    if not isinstance(text, str):
        raise InvalidAmount(field, text, "a decimal string such as '12.5'")
    try:
        number = Decimal(text.strip())
    except decimal.InvalidOperation:
        raise InvalidAmount(field, text, "a decimal string such as '12.5'") from None
    if not number.is_finite():
        raise InvalidAmount(field, text, "a finite decimal number")
    if number.is_signed() and number != 0:
        raise InvalidAmount(field, text, "a non-negative number")
    if number != 0 and number.adjusted() + decimals > _MAX_ATOMS_DIGITS:
        # Checked before scaling: a short text like '1e200000' must not expand into a huge int.
        raise InvalidAmount(field, text, f"at most {format_fixed(MAX_ATOMS, decimals)}")
    try:
        scaled = number.scaleb(decimals, context=_EXACT_CONTEXT).to_integral_exact(context=_EXACT_CONTEXT)
    except decimal.Inexact:
        raise InvalidAmount(field, text, f"at most {decimals} fractional digits") from None
    result = int(scaled)
    if result > MAX_ATOMS:
        raise InvalidAmount(field, text, f"at most {format_fixed(MAX_ATOMS, decimals)}")
    if result == 0 and not allow_zero:
        raise InvalidAmount(field, text, "a positive number")
    return result


def parse_amount(text: str, decimals: int, *, field: str = "amount") -> int:
    """Parse a positive token amount (e.g. ``"1.25"`` ETH) into atoms."""
    return parse_fixed(text, decimals, field=field, allow_zero=False)


def parse_price(text: str, *, field: str = "price") -> int:
    """Parse a positive price into a ``WAD``-scaled integer."""
    return parse_fixed(text, 18, field=field, allow_zero=False)


def parse_ratio(text: str, *, field: str = "ratio", maximum_wad: int | None = None) -> int:
    """Parse a ratio (``"0.8"``) into a ``WAD``-scaled integer, optionally bounded above."""
    ratio = parse_fixed(text, 18, field=field)
    if maximum_wad is not None and ratio > maximum_wad:
        raise InvalidAmount(field, text, f"at most {format_fixed(maximum_wad, 18)}")
    return ratio


def format_fixed(value: int, decimals: int) -> str:
    """Render a scaled integer as an exact decimal string without trailing zeros."""
    sign = "-" if value < 0 else ""
    whole, fraction = divmod(abs(value), 10**decimals)
    if decimals == 0 or fraction == 0:
        return f"{sign}{whole}"
    digits = str(fraction).rjust(decimals, "0").rstrip("0")
    return f"{sign}{whole}.{digits}"
