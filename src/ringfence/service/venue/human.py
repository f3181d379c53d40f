"""Human units at the edge: ratios, prices, token amounts and durations written as text.

TOML floats are binary (``0.1`` is not one tenth), so every money field is written as a
decimal *string* (or a TOML integer, which is exact) and converted exactly by the
``ringfence.core.units`` parsers; a float is refused with a message saying how to write it.

- ratio: ``"10%"`` or ``"0.1"`` → WAD integer (a percent moves the decimal point, exactly);
- price: ``"4200.5"`` → WAD integer;
- token amount: kept as validated text until the asset (and its decimals) is known, then
  :func:`atoms_of` converts it with :func:`~ringfence.core.units.parse_fixed`;
- duration: ``"90s"``, ``"1h30m"``, ``"250ms"``, ``"0"`` → nanoseconds;
- principal: a name the core accepts (1-64 letters, digits, ``.``, ``_``, ``:``, ``-``).

The validators raise :class:`ValueError` (pydantic turns it into an error at the key path).
"""

from __future__ import annotations

import decimal
import re
from decimal import Decimal
from typing import Any

from ringfence.core.errors import InvalidAmount, InvalidParameter
from ringfence.core.units import WAD, parse_fixed
from ringfence.core.validation import check_name

__all__ = [
    "FLOAT_HINT",
    "amount_text",
    "atoms_of",
    "duration_ns",
    "duration_seconds",
    "percent_ppm",
    "price_wad",
    "principal_name",
    "ratio_wad",
    "signed_amount_text",
    "signed_ratio_wad",
    "volatilities",
    "volatility_move",
]

FLOAT_HINT = 'a TOML float is binary and inexact; write the number as a string, e.g. "0.1"'
_UNIT_NS = {"ns": 1, "us": 10**3, "ms": 10**6, "s": 10**9, "m": 60 * 10**9, "h": 3600 * 10**9, "d": 86_400 * 10**9}
_DURATION = re.compile(r"^(?:\d{1,20}(?:ns|us|ms|s|m|h|d)){1,7}$")
_DURATION_PART = re.compile(r"(\d+)(ns|us|ms|s|m|h|d)")
_MAX_DURATION_NS = 100 * 365 * 86_400 * 10**9


def _number_text(value: Any, what: str) -> str:
    """Return the decimal text of a TOML string or integer; refuse floats, booleans and the rest."""
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is a boolean; expected {what}")
    if isinstance(value, float):
        raise ValueError(f"{value!r} is not accepted: {FLOAT_HINT}")
    if isinstance(value, int):
        return str(value)
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not accepted: expected {what}")
    return value.strip()


def _wad(text: str, original: Any, field: str) -> int:
    try:
        return parse_fixed(text, 18, field=field)
    except InvalidAmount as error:
        raise ValueError(f"{original!r} is not accepted: expected {error.expected}") from None


def ratio_wad(value: Any) -> int:
    """Parse a ratio (``"10%"``, ``"0.1"``, ``0``, ``1``) into a WAD integer, exactly."""
    text = _number_text(value, 'a ratio such as "10%" or "0.1"')
    if text.endswith("%"):
        number = text[:-1].strip()
        try:
            shifted = Decimal(number).scaleb(-2)
        except decimal.InvalidOperation:
            raise ValueError(f'{value!r} is not accepted: expected a ratio such as "10%" or "0.1"') from None
        if not shifted.is_finite():
            raise ValueError(f"{value!r} is not accepted: expected a finite ratio")
        text = str(shifted)  # scientific notation stays short; parse_fixed bounds it before scaling
    return _wad(text, value, "ratio")


def volatilities(values: list[str], field: str) -> dict[str, float]:
    """Parse ``ASSET=RATIO`` volatilities a year (``"ETH=80%"``, ``"WBTC=0.6"``) into floats per asset.

    The inputs of the allocator's risk model (statistics, hence floats), from the CLI's
    ``--volatility`` and the service's ``volatility`` query parameter alike; ``field`` names the
    input in the error.

    Raises
    ------
    InvalidParameter
        A value not ``ASSET=RATIO``, a ratio not above 0, or the same asset twice.
    """
    sigmas: dict[str, float] = {}
    for text in values:
        asset, separator, ratio = text.partition("=")
        asset = asset.strip()
        if not separator or not asset:
            raise InvalidParameter(field, text, 'ASSET=RATIO, for example "ETH=80%" or "WBTC=0.6"')
        if asset in sigmas:
            raise InvalidParameter(field, text, f"one volatility per asset ({asset} is given twice)")
        try:
            sigma = ratio_wad(ratio.strip()) / WAD
        except ValueError:
            raise InvalidParameter(field, text, 'ASSET=RATIO with a ratio such as "80%" or "0.8"') from None
        if not sigma > 0.0:
            raise InvalidParameter(field, text, "a volatility above 0 a year")
        sigmas[asset] = sigma
    return sigmas


def signed_ratio_wad(value: Any) -> int:
    """Parse a ratio that may be negative (``"-0.3"``, ``"-5%"``) into a WAD integer, exactly."""
    if isinstance(value, str) and value.strip().startswith("-"):
        return -ratio_wad(value.strip()[1:])
    return ratio_wad(value)


def percent_ppm(value: Any) -> int:
    """Parse a signed ratio (``"-16%"``, ``"100%"``, ``"0.04"``) into whole parts per million, exactly.

    A portfolio grid's shocks and weights are ppm (``core/portfolio/grid.py``); a value off the
    ppm lattice (``"1.23456789%"``) is refused, never rounded.
    """
    text = _number_text(value, 'a percentage such as "-16%" or "100%"')
    negative = text.startswith("-")
    magnitude = text[1:].strip() if negative else text
    percent = magnitude.endswith("%")
    try:
        number = Decimal(magnitude[:-1].strip() if percent else magnitude)
    except decimal.InvalidOperation:
        raise ValueError(f'{value!r} is not accepted: expected a percentage such as "-16%" or "100%"') from None
    if not number.is_finite() or number.is_signed():
        raise ValueError(f'{value!r} is not accepted: expected a percentage such as "-16%" or "100%"')
    ppm = number.scaleb(4 if percent else 6)
    if ppm != ppm.to_integral_value() or ppm > 10**12:
        raise ValueError(f"{value!r} is not accepted: expected a whole number of parts per million (0.0001%)")
    return -int(ppm) if negative else int(ppm)


_VOLATILITY_MOVES = {"down": -1, "static": 0, "up": 1}


def volatility_move(value: Any) -> int:
    """Parse a scenario's volatility move: ``"up"``, ``"static"`` or ``"down"`` (or the core's 1, 0, -1)."""
    if isinstance(value, str) and value.strip().lower() in _VOLATILITY_MOVES:
        return _VOLATILITY_MOVES[value.strip().lower()]
    if type(value) is int and value in (-1, 0, 1):
        return value
    raise ValueError(f'{value!r} is not accepted: expected "up", "static" or "down"')


def price_wad(value: Any) -> int:
    """Parse a price (``"4200.5"``) into a WAD integer, exactly (no percent sign)."""
    text = _number_text(value, 'a price such as "4200.5"')
    if text.endswith("%"):
        raise ValueError(f"{value!r} is not accepted: a price is a plain decimal, not a percentage")
    return _wad(text, value, "price")


def amount_text(value: Any) -> str:
    """Check a non-negative token amount's text; :func:`atoms_of` converts it once the asset is known."""
    text = _number_text(value, 'a token amount such as "12.5"')
    try:
        number = Decimal(text)
    except decimal.InvalidOperation:
        raise ValueError(f'{value!r} is not accepted: expected a decimal amount such as "12.5"') from None
    if not number.is_finite():
        raise ValueError(f"{value!r} is not accepted: expected a finite amount")
    if number.is_signed() and number != 0:
        raise ValueError(f"{value!r} is not accepted: expected a non-negative amount")
    return text


def signed_amount_text(value: Any) -> str:
    """Like :func:`amount_text`, but a leading ``-`` is allowed (a short, a decrease)."""
    text = _number_text(value, 'a signed token amount such as "-2.5"')
    magnitude = text[1:] if text.startswith("-") else text
    amount_text(magnitude)
    return text


def atoms_of(text: str, decimals: int, path: str) -> int:
    """Convert checked amount text to atoms of an asset with ``decimals``; exact or :class:`InvalidAmount`."""
    negative = text.startswith("-")
    atoms = parse_fixed(text[1:] if negative else text, decimals, field=path)
    return -atoms if negative else atoms


def duration_ns(value: Any) -> int:
    """Parse ``"1h30m"``, ``"90s"``, ``"250ms"`` or ``"0"`` into nanoseconds."""
    if isinstance(value, float):
        raise ValueError(f"{value!r} is not accepted: {FLOAT_HINT}")
    if not isinstance(value, str):
        raise ValueError(f'{value!r} is not accepted: expected a duration string such as "30s", "5m" or "1h"')
    text = value.strip().replace(" ", "")
    if text == "0":
        return 0
    if not _DURATION.match(text):
        raise ValueError(
            f'{value!r} is not accepted: expected a duration such as "30s", "1h30m" or "250ms" '
            "(units ns, us, ms, s, m, h, d)"
        )
    total = sum(int(count) * _UNIT_NS[unit] for count, unit in _DURATION_PART.findall(text))
    if total > _MAX_DURATION_NS:
        raise ValueError(f"{value!r} is not accepted: expected at most 100 years")
    return total


def duration_seconds(value: Any) -> int:
    """Parse a duration into whole seconds (refuses fractions of a second)."""
    nanoseconds = duration_ns(value)
    if nanoseconds % 10**9:
        raise ValueError(f"{value!r} is not accepted: expected a whole number of seconds")
    return nanoseconds // 10**9


def principal_name(value: Any) -> str:
    """Accept a principal's name as the core does (:func:`~ringfence.core.validation.check_name`)."""
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not accepted: expected a principal's name (a string)")
    try:
        check_name("principal", value)
    except InvalidParameter as error:
        raise ValueError(f"{value!r} is not accepted: expected {error.expected}") from None
    return value
