"""Unit tests of ``ringfence.core.units``: exact rounding, valuation, parsing and formatting.

Every expected number is computed by hand (the arithmetic is in the comment beside it) and
written literally; the hypothesis properties check against ``fractions.Fraction`` or plain
integer arithmetic, never against the code under test.
"""

from __future__ import annotations

import math
import time
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ringfence.core.errors import InvalidAmount, InvalidCommand
from ringfence.core.units import (
    MAX_ATOMS,
    VALUE_DECIMALS,
    WAD,
    Rounding,
    format_fixed,
    mul_div,
    parse_amount,
    parse_fixed,
    parse_price,
    parse_ratio,
    value_of,
)

DOWN = Rounding.DOWN
UP = Rounding.UP

MAX_ATOMS_LITERAL = 340_282_366_920_938_463_463_374_607_431_768_211_455  # 2**128 - 1
HALF_MAX_FLOOR = 170_141_183_460_469_231_731_687_303_715_884_105_727  # 2**127 - 1
MAX_AT_6_DECIMALS = "340282366920938463463374607431768.211455"  # MAX_ATOMS / 10**6


# --- constants ----------------------------------------------------------------------------------


def test_constants_have_their_documented_values() -> None:
    assert WAD == 1_000_000_000_000_000_000
    assert VALUE_DECIMALS == 6
    assert MAX_ATOMS == MAX_ATOMS_LITERAL


# --- mul_div ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b", "denominator", "down", "up"),
    [
        (7, 1, 2, 3, 4),  # 3.5
        (-7, 1, 2, -4, -3),  # -3.5: floor is -4, ceiling is -3
        (7, -1, 2, -4, -3),  # sign on the other factor
        (-7, -1, 2, 3, 4),  # two negatives: +3.5
        (10, 10, 3, 33, 34),  # 33.33…
        (-10, 10, 3, -34, -33),  # -33.33…
        (1, 1, 3, 0, 1),  # 0.33…
        (-1, 1, 3, -1, 0),  # -0.33…
        (6, 1, 2, 3, 3),  # exact
        (-6, 1, 2, -3, -3),  # exact, negative
        (0, 12345, 7, 0, 0),  # zero
        (5, 7, 1, 35, 35),  # denominator 1
        (MAX_ATOMS_LITERAL, WAD, WAD, MAX_ATOMS_LITERAL, MAX_ATOMS_LITERAL),  # exact big product
        (MAX_ATOMS_LITERAL, 1, 2, HALF_MAX_FLOOR, HALF_MAX_FLOOR + 1),  # (2**128 - 1) / 2 = 2**127 - 0.5
    ],
)
def test_mul_div_rounds_down_to_floor_and_up_to_ceiling(a: int, b: int, denominator: int, down: int, up: int) -> None:
    assert mul_div(a, b, denominator, DOWN) == down
    assert mul_div(a, b, denominator, UP) == up


@pytest.mark.parametrize("denominator", [0, -1, -2, -(10**18)])
@pytest.mark.parametrize("rounding", [DOWN, UP])
def test_mul_div_rejects_a_zero_or_negative_denominator_with_value_error(denominator: int, rounding: Rounding) -> None:
    with pytest.raises(ValueError, match="positive denominator") as caught:
        mul_div(7, 1, denominator, rounding)
    assert str(denominator) in str(caught.value)


@given(
    a=st.integers(-(10**40), 10**40),
    b=st.integers(-(10**40), 10**40),
    c=st.integers(1, 10**40),
)
def test_mul_div_up_minus_down_is_zero_when_exact_and_one_otherwise(a: int, b: int, c: int) -> None:
    difference = mul_div(a, b, c, UP) - mul_div(a, b, c, DOWN)
    assert difference == (0 if (a * b) % c == 0 else 1)


@given(
    a=st.integers(-(10**40), 10**40),
    b=st.integers(-(10**40), 10**40),
    c=st.integers(1, 10**40),
)
def test_mul_div_brackets_the_exact_quotient(a: int, b: int, c: int) -> None:
    down = mul_div(a, b, c, DOWN)
    up = mul_div(a, b, c, UP)
    # Integer arithmetic: down·c ≤ a·b ≤ up·c, each within one denominator.
    assert down * c <= a * b <= up * c
    assert a * b - down * c < c
    assert up * c - a * b < c
    # An independent reference: floor and ceiling of the exact rational.
    exact = Fraction(a * b, c)
    assert down == math.floor(exact)
    assert up == math.ceil(exact)


@given(a=st.integers(-(10**30), 10**30), c=st.integers(1, 10**30))
def test_mul_div_by_the_denominator_itself_is_exact_in_both_directions(a: int, c: int) -> None:
    assert mul_div(a, c, c, DOWN) == a
    assert mul_div(a, c, c, UP) == a


# --- value_of -----------------------------------------------------------------------------------


def test_value_of_one_and_a_half_eth_at_3000_25_is_4500_375_usd_exactly() -> None:
    # 1.5 ETH (18 decimals) = 1_500_000_000_000_000_000 atoms; price 3000.25 = 3_000_250_000_000_000_000_000 wad.
    # 1.5 × 3000.25 = 4500.375 USD = 4_500_375_000 value atoms (6 decimals). Exact, so both directions agree.
    amount = 1_500_000_000_000_000_000
    price = 3_000_250_000_000_000_000_000
    assert value_of(amount, price, 18, DOWN) == 4_500_375_000
    assert value_of(amount, price, 18, UP) == 4_500_375_000


def test_value_of_an_inexact_18_decimal_amount_differs_by_one_between_down_and_up() -> None:
    # 0.333333333333333333 ETH × 3 USD = 0.999999999999999999 USD = 999_999.999999999999 value atoms.
    amount = 333_333_333_333_333_333
    price = 3_000_000_000_000_000_000
    assert value_of(amount, price, 18, DOWN) == 999_999
    assert value_of(amount, price, 18, UP) == 1_000_000


def test_value_of_a_negative_inexact_amount_rounds_down_toward_negative_infinity() -> None:
    # -0.333333333333333333 × 3 = -999_999.999999999999 value atoms: floor -1_000_000, ceiling -999_999.
    amount = -333_333_333_333_333_333
    price = 3_000_000_000_000_000_000
    assert value_of(amount, price, 18, DOWN) == -1_000_000
    assert value_of(amount, price, 18, UP) == -999_999


def test_value_of_eight_decimal_btc_is_exact() -> None:
    # 0.75 BTC = 75_000_000 atoms (8 decimals) at 65000.5 USD = 48_750.375 USD = 48_750_375_000 value atoms.
    assert value_of(75_000_000, 65_000_500_000_000_000_000_000, 8, DOWN) == 48_750_375_000
    assert value_of(75_000_000, 65_000_500_000_000_000_000_000, 8, UP) == 48_750_375_000


def test_value_of_one_satoshi_below_a_value_atom_rounds_to_zero_or_one() -> None:
    # 1 atom = 0.00000001 BTC at 50 USD = 0.0000005 USD = 0.5 value atoms.
    assert value_of(1, 50_000_000_000_000_000_000, 8, DOWN) == 0
    assert value_of(1, 50_000_000_000_000_000_000, 8, UP) == 1


def test_value_of_six_decimal_asset_is_price_times_atoms() -> None:
    # 1 USDC = 1_000_000 atoms (6 decimals = VALUE_DECIMALS) at 0.9999 = 999_900 value atoms.
    assert value_of(1_000_000, 999_900_000_000_000_000, 6, DOWN) == 999_900
    assert value_of(1_000_000, 999_900_000_000_000_000, 6, UP) == 999_900


def test_value_of_two_decimal_asset_scales_up_exactly() -> None:
    # 12.34 units = 1234 atoms (2 decimals) at 1.5 USD = 18.51 USD = 18_510_000 value atoms.
    assert value_of(1234, 1_500_000_000_000_000_000, 2, DOWN) == 18_510_000
    assert value_of(1234, 1_500_000_000_000_000_000, 2, UP) == 18_510_000


def test_value_of_zero_decimal_asset_at_a_tiny_price_differs_by_one_between_down_and_up() -> None:
    # 7 whole units (0 decimals) at 0.0000003 USD (300_000_000_000 wad) = 0.0000021 USD = 2.1 value atoms.
    assert value_of(7, 300_000_000_000, 0, DOWN) == 2
    assert value_of(7, 300_000_000_000, 0, UP) == 3


def test_value_of_zero_amount_is_zero() -> None:
    assert value_of(0, 3_000_000_000_000_000_000, 18, DOWN) == 0
    assert value_of(0, 3_000_000_000_000_000_000, 2, UP) == 0


@given(
    amount=st.integers(-MAX_ATOMS, MAX_ATOMS),
    price=st.integers(0, 10**30),
    decimals=st.integers(0, 30),
)
def test_value_of_is_floor_and_ceiling_of_the_exact_rational_value(amount: int, price: int, decimals: int) -> None:
    # value = amount / 10**decimals × price / 10**18 × 10**6, as an exact fraction.
    exact = Fraction(amount, 10**decimals) * Fraction(price, 10**18) * 10**6
    assert value_of(amount, price, decimals, DOWN) == math.floor(exact)
    assert value_of(amount, price, decimals, UP) == math.ceil(exact)


# --- parse_fixed / parse_amount / parse_price / parse_ratio: exact parsing ----------------------


@pytest.mark.parametrize(
    ("text", "decimals", "expected"),
    [
        ("1.25", 6, 1_250_000),
        ("1.250000", 6, 1_250_000),  # trailing zeros within the scale are exact
        ("0", 6, 0),
        ("0.000001", 6, 1),
        ("1", 0, 1),
        ("12", 0, 12),
        (".5", 6, 500_000),
        ("5.", 6, 5_000_000),
        (" 1.5 ", 6, 1_500_000),  # surrounding whitespace is stripped
        ("1E+2", 6, 100_000_000),  # 100
        ("3000.25", 18, 3_000_250_000_000_000_000_000),
        ("0.000000000000000001", 18, 1),
        (MAX_AT_6_DECIMALS, 6, MAX_ATOMS_LITERAL),  # exactly MAX_ATOMS is accepted
    ],
)
def test_parse_fixed_scales_exact_decimals_to_integers(text: str, decimals: int, expected: int) -> None:
    assert parse_fixed(text, decimals) == expected


def test_parse_amount_parses_positive_token_amounts() -> None:
    assert parse_amount("1.25", 6) == 1_250_000
    assert parse_amount("1.5", 18) == 1_500_000_000_000_000_000
    assert parse_amount("0.75", 8) == 75_000_000


def test_parse_price_parses_to_wad() -> None:
    assert parse_price("3000.25") == 3_000_250_000_000_000_000_000
    assert parse_price("0.000000000000000001") == 1
    assert parse_price("1") == 1_000_000_000_000_000_000


def test_parse_ratio_parses_to_wad_and_accepts_zero_and_the_maximum() -> None:
    assert parse_ratio("0.8") == 800_000_000_000_000_000
    assert parse_ratio("0") == 0
    assert parse_ratio("1", maximum_wad=1_000_000_000_000_000_000) == 1_000_000_000_000_000_000
    assert parse_ratio("2.5") == 2_500_000_000_000_000_000  # no maximum given: any ratio


# --- parse_*: rejections, with messages that name the field and what is accepted ---------------


@pytest.mark.parametrize(
    ("text", "decimals", "expected_fragment"),
    [
        ("0.0000001", 6, "at most 6 fractional digits"),
        ("1.0000001", 6, "at most 6 fractional digits"),
        ("2.5e-6", 6, "at most 6 fractional digits"),  # 2.5 atoms
        ("0.5", 0, "at most 0 fractional digits"),
        ("0.0000000000000000001", 18, "at most 18 fractional digits"),
        ("-1", 6, "a non-negative number"),
        ("-0.000001", 6, "a non-negative number"),
        ("NaN", 6, "a finite decimal number"),
        ("sNaN", 6, "a finite decimal number"),
        ("Infinity", 6, "a finite decimal number"),
        ("-Infinity", 6, "a finite decimal number"),
        ("1e400", 6, f"at most {MAX_AT_6_DECIMALS}"),
        ("340282366920938463463374607431768.211456", 6, f"at most {MAX_AT_6_DECIMALS}"),  # MAX_ATOMS + 1
        ("abc", 6, "a decimal string such as '12.5'"),
        ("", 6, "a decimal string such as '12.5'"),
        ("0x10", 6, "a decimal string such as '12.5'"),
        ("1,5", 6, "a decimal string such as '12.5'"),
    ],
)
def test_parse_fixed_rejects_with_invalid_amount_naming_field_and_accepted_form(
    text: str, decimals: int, expected_fragment: str
) -> None:
    with pytest.raises(InvalidAmount) as caught:
        parse_fixed(text, decimals, field="collateral")
    error = caught.value
    assert isinstance(error, InvalidCommand)
    assert error.field == "collateral"
    assert error.value == text
    assert expected_fragment in error.expected
    message = str(error)
    assert message.startswith(f"collateral={text!r} is not accepted")
    assert f"expected {expected_fragment}" in message


@pytest.mark.parametrize("decimals", [-1, 31])
def test_parse_fixed_rejects_a_scale_outside_0_to_30(decimals: int) -> None:
    with pytest.raises(InvalidAmount, match="a scale between 0 and 30 decimals"):
        parse_fixed("1", decimals)


@pytest.mark.parametrize("text", ["0", "0.000", "-0"])
def test_parse_amount_rejects_zero_as_not_positive(text: str) -> None:
    with pytest.raises(InvalidAmount, match="expected a positive number") as caught:
        parse_amount(text, 6, field="deposit")
    assert caught.value.field == "deposit"
    assert str(caught.value).startswith("deposit=")


def test_parse_amount_uses_the_default_field_name_amount() -> None:
    with pytest.raises(InvalidAmount, match=r"^amount='-1' is not accepted: expected a non-negative number$"):
        parse_amount("-1", 6)


def test_parse_price_rejects_zero_negative_and_nineteen_fractional_digits() -> None:
    with pytest.raises(InvalidAmount, match=r"^price='0' is not accepted: expected a positive number$"):
        parse_price("0")
    with pytest.raises(InvalidAmount, match=r"^price='-3000' is not accepted: expected a non-negative number$"):
        parse_price("-3000")
    with pytest.raises(InvalidAmount, match="at most 18 fractional digits"):
        parse_price("0.0000000000000000001")


def test_parse_ratio_rejects_above_its_maximum_and_names_the_maximum() -> None:
    with pytest.raises(InvalidAmount) as caught:
        parse_ratio("1.000000000000000001", field="initial_weight", maximum_wad=1_000_000_000_000_000_000)
    assert caught.value.field == "initial_weight"
    assert str(caught.value) == "initial_weight='1.000000000000000001' is not accepted: expected at most 1"


def test_parse_ratio_rejects_above_a_fractional_maximum() -> None:
    with pytest.raises(InvalidAmount, match=r"expected at most 0\.5$"):
        parse_ratio("0.6", maximum_wad=500_000_000_000_000_000)


# Regression tests: '1e999999999' used to report "at most 6 fractional digits" (the decimal
# overflow signalled Inexact), '1e200000' used to expand into a 200,000-digit int (~1.4 s,
# '1e999990' ~30 s) before the range check, and a float was repr()'d twice so 1.5 read '1.5'.


def test_parse_fixed_reports_the_maximum_for_an_exponent_beyond_the_decimal_context() -> None:
    with pytest.raises(InvalidAmount) as caught:
        parse_fixed("1e999999999", 6)
    assert caught.value.expected == f"at most {MAX_AT_6_DECIMALS}"


def test_parse_fixed_rejects_a_huge_exponent_without_expanding_it() -> None:
    started = time.perf_counter()
    with pytest.raises(InvalidAmount, match="at most"):
        parse_fixed("1e200000", 6)
    assert time.perf_counter() - started < 0.1


def test_parse_fixed_rejects_a_float_with_a_message_that_shows_it_is_not_a_string() -> None:
    with pytest.raises(InvalidAmount, match="a decimal string") as caught:
        parse_fixed(1.5, 6)  # type: ignore[arg-type]
    assert "'1.5'" not in str(caught.value)


@given(
    x=st.integers(0, 10**30),
    decimals=st.integers(0, 29),
    extra=st.integers(1, 9),
)
def test_parse_fixed_rejects_any_text_with_one_nonzero_digit_beyond_the_scale(
    x: int, decimals: int, extra: int
) -> None:
    # Build "<x at decimals+1 fractional digits>" by hand: the last digit is non-zero.
    digits = str(x * 10 + extra).rjust(decimals + 2, "0")
    text = f"{digits[: -(decimals + 1)]}.{digits[-(decimals + 1) :]}"
    with pytest.raises(InvalidAmount, match=f"at most {decimals} fractional digits"):
        parse_fixed(text, decimals)


def _max_atoms_text(decimals: int) -> str:
    """MAX_ATOMS at ``decimals`` as text, by hand: its 39 digits end in 5, so no trailing zeros."""
    digits = str(MAX_ATOMS_LITERAL)
    return f"{digits[:-decimals]}.{digits[-decimals:]}" if decimals else digits


@given(mantissa=st.integers(0, 10**45), exponent=st.integers(-60, 60), decimals=st.integers(0, 30))
def test_parse_fixed_of_scientific_notation_matches_the_exact_fraction(
    mantissa: int, exponent: int, decimals: int
) -> None:
    # Independent reference: the exact scaled value as a Fraction; accepted iff whole and ≤ MAX_ATOMS.
    text = f"{mantissa}e{exponent}"
    scaled = Fraction(mantissa) * Fraction(10) ** (exponent + decimals)
    if scaled.denominator == 1 and scaled <= MAX_ATOMS_LITERAL:
        assert parse_fixed(text, decimals) == scaled
        return
    with pytest.raises(InvalidAmount) as caught:
        parse_fixed(text, decimals)
    too_many_digits = f"at most {decimals} fractional digits"
    too_big = f"at most {_max_atoms_text(decimals)}"
    if scaled.denominator != 1 and scaled > MAX_ATOMS_LITERAL:
        assert caught.value.expected in {too_many_digits, too_big}
    elif scaled.denominator != 1:
        assert caught.value.expected == too_many_digits
    else:
        assert caught.value.expected == too_big


@given(x=st.integers(MAX_ATOMS_LITERAL + 1, 10**60), decimals=st.integers(0, 30))
def test_parse_fixed_rejects_every_amount_above_max_atoms_naming_the_maximum(x: int, decimals: int) -> None:
    whole, fraction = divmod(x, 10**decimals)
    text = f"{whole}.{str(fraction).rjust(decimals, '0')}" if decimals else str(whole)
    with pytest.raises(InvalidAmount) as caught:
        parse_fixed(text, decimals)
    assert caught.value.expected == f"at most {_max_atoms_text(decimals)}"


@given(x=st.integers(1, MAX_ATOMS), decimals=st.integers(0, 30))
def test_parse_fixed_rejects_every_negative_number(x: int, decimals: int) -> None:
    whole, fraction = divmod(x, 10**decimals)
    text = f"-{whole}.{str(fraction).rjust(decimals, '0')}" if decimals else f"-{whole}"
    with pytest.raises(InvalidAmount, match="a non-negative number"):
        parse_fixed(text, decimals)


# --- format_fixed -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "decimals", "text"),
    [
        (1_250_000, 6, "1.25"),
        (0, 6, "0"),
        (1, 6, "0.000001"),
        (-1, 6, "-0.000001"),
        (-1_500_000, 6, "-1.5"),
        (5, 0, "5"),
        (1_000_000_000_000_000_000, 18, "1"),
        (1, 18, "0.000000000000000001"),
        (3_000_250_000_000_000_000_000, 18, "3000.25"),
        (MAX_ATOMS_LITERAL, 6, MAX_AT_6_DECIMALS),
    ],
)
def test_format_fixed_renders_exact_decimals_without_trailing_zeros(value: int, decimals: int, text: str) -> None:
    assert format_fixed(value, decimals) == text


@pytest.mark.parametrize(
    ("text", "decimals"),
    [("1.25", 6), ("0", 6), ("0.000001", 6), ("3000.25", 18), ("12", 0), ("0.75", 8), (MAX_AT_6_DECIMALS, 6)],
)
def test_format_fixed_round_trips_canonical_text_through_parse_fixed(text: str, decimals: int) -> None:
    assert format_fixed(parse_fixed(text, decimals), decimals) == text


@given(x=st.integers(0, MAX_ATOMS), decimals=st.integers(0, 30))
def test_parse_fixed_inverts_format_fixed_for_every_amount_and_scale(x: int, decimals: int) -> None:
    assert parse_fixed(format_fixed(x, decimals), decimals) == x


@given(x=st.integers(0, MAX_ATOMS), decimals=st.integers(0, 30))
def test_format_fixed_equals_the_exact_fraction_it_represents(x: int, decimals: int) -> None:
    text = format_fixed(x, decimals)
    assert Fraction(text) == Fraction(x, 10**decimals)
    assert not ("." in text and text.endswith("0"))
