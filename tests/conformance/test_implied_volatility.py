"""Conformance of ``ringfence.risk.implied_volatility``: the round trip against prices computed with mpmath.

The reference prices are Black-76 evaluated in mpmath at 40 significant digits (independent of
the code under test and of its erfc), then rounded once to a double, the way a quote arrives. The
grid spans log-moneyness ±5 (strikes from 0.7% to 148 times the forward), expiries from one hour
to 5 years and volatilities from 5% to 400%, calls and puts: deep out of the money and near expiry
included. The tolerances are the module's documented accuracy.
"""

from __future__ import annotations

import itertools
import math

import mpmath
import numpy as np
import pytest

from ringfence.core.errors import InvalidParameter
from ringfence.risk.implied_volatility import ImpliedVolatilityStatus, implied_volatility

FORWARD = 100.0
RATE = 0.03
LOG_MONEYNESS = (-5.0, -3.0, -1.5, -0.5, -0.1, 0.0, 0.1, 0.5, 1.5, 3.0, 5.0)
EXPIRIES = (1 / 8760, 1 / 365, 7 / 365, 0.25, 1.0, 5.0)
VOLATILITIES = (0.05, 0.2, 0.8, 1.5, 4.0)

OUT_OF_THE_MONEY_TOLERANCE = 1e-9
"""Documented: relative, wherever the time value is at least 1e-250·√(FK)."""
IN_THE_MONEY_TOLERANCE = 1e-7
"""Documented: an in-the-money quote's time value (≥ 2⁻²⁶ of intrinsic) carries ≤ ε·2²⁶ ≈ 1.5e-8 relative error."""


def _reference_grid() -> dict[str, np.ndarray]:
    mpmath.mp.dps = 40
    rows = []
    for x, expiry, sigma, is_call in itertools.product(LOG_MONEYNESS, EXPIRIES, VOLATILITIES, (True, False)):
        strike = FORWARD * math.exp(-x)
        f, k, t, s = (mpmath.mpf(v) for v in (FORWARD, strike, expiry, sigma))
        root = s * mpmath.sqrt(t)
        d1 = (mpmath.log(f / k) + root * root / 2) / root
        d2 = d1 - root
        discount = mpmath.exp(-RATE * t)
        if is_call:
            price = discount * (f * mpmath.ncdf(d1) - k * mpmath.ncdf(d2))
        else:
            price = discount * (k * mpmath.ncdf(-d2) - f * mpmath.ncdf(-d1))
        intrinsic = max(f - k, 0) if is_call else max(k - f, 0)
        time_value = price / discount - intrinsic
        rows.append(
            (strike, expiry, sigma, is_call, float(price), float(intrinsic), float(time_value / mpmath.sqrt(f * k)))
        )
    columns = list(zip(*rows, strict=True))
    names = ("strike", "expiry", "sigma", "is_call", "price", "intrinsic", "beta")
    return {name: np.array(column) for name, column in zip(names, columns, strict=True)}


@pytest.fixture(scope="module")
def grid() -> dict[str, np.ndarray]:
    return _reference_grid()


@pytest.fixture(scope="module")
def solved(grid: dict[str, np.ndarray]):  # type: ignore[no-untyped-def]
    return implied_volatility(
        grid["price"], FORWARD, grid["strike"], grid["expiry"], RATE, grid["is_call"].astype(bool)
    )


def test_out_of_the_money_round_trip_within_documented_accuracy(grid, solved) -> None:  # type: ignore[no-untyped-def]
    out_of_the_money = grid["intrinsic"] == 0.0
    resolvable = out_of_the_money & (grid["beta"] >= 1e-250)
    assert resolvable.sum() >= 250  # the grid must keep its deep and short corners, not just easy cases
    assert np.all(solved.status[resolvable] == ImpliedVolatilityStatus.SOLVED)
    relative = np.abs(solved.volatility[resolvable] / grid["sigma"][resolvable] - 1.0)
    assert relative.max() <= OUT_OF_THE_MONEY_TOLERANCE, relative.max()
    # the corners are really there: a near-expiry deep wing and a 5-year 400% option were solved
    assert np.any(resolvable & (grid["expiry"] == EXPIRIES[0]) & (np.abs(np.log(FORWARD / grid["strike"])) >= 0.5))
    assert np.any(resolvable & (grid["expiry"] == EXPIRIES[-1]) & (grid["sigma"] == VOLATILITIES[-1]))


def test_prices_that_underflow_to_zero_have_no_volatility(grid, solved) -> None:  # type: ignore[no-untyped-def]
    zero = grid["price"] == 0.0
    assert zero.any()
    assert np.all(solved.status[zero] == ImpliedVolatilityStatus.AT_OR_BELOW_INTRINSIC)
    assert np.all(np.isnan(solved.volatility[zero]))


def test_in_the_money_quotes_solved_or_refused_by_name(grid, solved) -> None:  # type: ignore[no-untyped-def]
    in_the_money = grid["intrinsic"] > 0.0
    status = solved.status[in_the_money]
    allowed = {
        ImpliedVolatilityStatus.SOLVED,
        ImpliedVolatilityStatus.AT_OR_BELOW_INTRINSIC,
        ImpliedVolatilityStatus.TIME_VALUE_UNRESOLVED,
    }
    assert set(status.tolist()) <= {int(s) for s in allowed}
    ok = in_the_money & (solved.status == ImpliedVolatilityStatus.SOLVED)
    assert ok.sum() >= 100
    relative = np.abs(solved.volatility[ok] / grid["sigma"][ok] - 1.0)
    assert relative.max() <= IN_THE_MONEY_TOLERANCE, relative.max()
    # a quote whose time value is a comfortable share of intrinsic is never refused
    ample = in_the_money & (grid["beta"] * np.sqrt(FORWARD * grid["strike"]) >= 1e-6 * grid["intrinsic"])
    assert np.all(solved.status[ample] == ImpliedVolatilityStatus.SOLVED)


def test_prices_outside_the_arbitrage_bounds_get_status_not_a_clip() -> None:
    discount = math.exp(-RATE)
    prices = np.array([0.0, discount * 10.0, discount * 100.0, discount * 100.5, discount * 9.999999])
    strikes = np.array([100.0, 90.0, 100.0, 100.0, 90.0])
    result = implied_volatility(prices, FORWARD, strikes, 1.0, RATE, True)
    assert result.status.tolist() == [
        ImpliedVolatilityStatus.AT_OR_BELOW_INTRINSIC,  # zero price
        ImpliedVolatilityStatus.AT_OR_BELOW_INTRINSIC,  # exactly intrinsic
        ImpliedVolatilityStatus.AT_OR_ABOVE_MAXIMUM,  # a call worth the whole forward
        ImpliedVolatilityStatus.AT_OR_ABOVE_MAXIMUM,
        ImpliedVolatilityStatus.AT_OR_BELOW_INTRINSIC,  # below intrinsic
    ]
    assert np.all(np.isnan(result.volatility))


def test_put_and_call_of_one_strike_give_one_volatility() -> None:
    # parity: C − P = D(F − K); the same σ must come out of both quotes
    discount = math.exp(-RATE * 0.5)
    call, put = 14.0, 14.0 - discount * (FORWARD - 95.0)
    result = implied_volatility(np.array([call, put]), FORWARD, 95.0, 0.5, RATE, np.array([True, False]))
    assert result.status.tolist() == [0, 0]
    assert result.volatility[0] == pytest.approx(result.volatility[1], rel=1e-12)


def test_negative_price_and_bad_inputs_raise_by_name() -> None:
    with pytest.raises(InvalidParameter) as error:
        implied_volatility(-1.0, FORWARD, 100.0, 1.0, RATE, True)
    assert error.value.field == "price"
    with pytest.raises(InvalidParameter) as error:
        implied_volatility(1.0, FORWARD, 100.0, 0.0, RATE, True)
    assert error.value.field == "expiry_years"
