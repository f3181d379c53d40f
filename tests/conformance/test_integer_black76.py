"""Conformance of the ledger's integer Black-76 and SVI (``core/pricing``) against mpmath at 80 digits.

The expected values are computed here by mpmath (an independent arbitrary-precision library), never
by the code under test; each WAD output must lie within one unit (10⁻¹⁸) of the exact value.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import mpmath
import pytest

from ringfence.core.pricing.black76 import NS_PER_YEAR, black76, to_wad
from ringfence.core.pricing.fixed_math import (
    PRECISE,
    exp_precise,
    ln_precise,
    normal_cdf_precise,
    normal_pdf_precise,
    sqrt_precise,
)
from ringfence.core.pricing.svi import (
    SviParams,
    svi_minimum_variance_precise,
    svi_total_variance_precise,
    svi_volatility_wad,
)
from ringfence.core.units import WAD, Rounding


@pytest.fixture(autouse=True)
def _mpmath_digits() -> Iterator[None]:
    """Work at 80 digits in every test of this module (``mp.dps`` is global: other modules set their own)."""
    with mpmath.workdps(80):
        yield


SCALE = 10**50
WAD_MP = 10**18
TOLERANCE_PRECISE = 10**9
"""10⁻⁴¹: the functions' documented absolute error bound is far tighter at ordinary arguments."""

POINTS = ["-14.9", "-9", "-3.2", "-1", "-0.3", "-1e-9", "0", "1e-12", "0.5", "1", "2.5", "7", "12", "14.99"]


def _precise(text: str) -> int:
    return int(mpmath.mpf(text) * SCALE)


def _exact(value: mpmath.mpf) -> int:
    return int(mpmath.floor(value * SCALE))


@pytest.mark.parametrize("text", POINTS)
def test_normal_cdf_and_density_match_mpmath(text: str) -> None:
    x = _precise(text)
    assert abs(normal_cdf_precise(x) - _exact(mpmath.ncdf(mpmath.mpf(x) / SCALE))) <= TOLERANCE_PRECISE
    assert abs(normal_pdf_precise(x) - _exact(mpmath.npdf(mpmath.mpf(x) / SCALE))) <= TOLERANCE_PRECISE


@pytest.mark.parametrize("text", POINTS)
def test_normal_cdf_symmetry_is_exact(text: str) -> None:
    x = _precise(text)
    assert normal_cdf_precise(x) + normal_cdf_precise(-x) == PRECISE


@pytest.mark.parametrize("text", ["-120", "-20", "-1", "-1e-20", "0", "0.7", "5", "40"])
def test_exp_matches_mpmath_relatively(text: str) -> None:
    x = _precise(text)
    exact = mpmath.exp(mpmath.mpf(x) / SCALE)
    assert abs(mpmath.mpf(exp_precise(x)) / SCALE - exact) <= exact * mpmath.mpf(10) ** -44 + mpmath.mpf(10) ** -49


@pytest.mark.parametrize("text", ["1e-30", "1e-9", "0.2", "1", "1.5", "2", "123.456", "1e12"])
def test_ln_and_sqrt_match_mpmath(text: str) -> None:
    x = _precise(text)
    assert abs(ln_precise(x) - _exact(mpmath.log(mpmath.mpf(x) / SCALE))) <= TOLERANCE_PRECISE
    assert sqrt_precise(x) == int(mpmath.floor(mpmath.sqrt(mpmath.mpf(x) / SCALE) * SCALE))


def _black76_exact(
    forward: mpmath.mpf, strike: mpmath.mpf, vol: mpmath.mpf, years: mpmath.mpf
) -> dict[str, mpmath.mpf]:
    stdev = vol * mpmath.sqrt(years)
    d1 = (mpmath.log(forward / strike) + stdev**2 / 2) / stdev
    d2 = d1 - stdev
    call = forward * mpmath.ncdf(d1) - strike * mpmath.ncdf(d2)
    return {
        "call": call,
        "put": strike * mpmath.ncdf(-d2) - forward * mpmath.ncdf(-d1),
        "delta": mpmath.ncdf(d1),
        "gamma": mpmath.npdf(d1) / (forward * stdev),
        "vega": forward * mpmath.npdf(d1) * mpmath.sqrt(years),
        "theta": -forward * mpmath.npdf(d1) * vol / (2 * mpmath.sqrt(years)),
    }


MONEYNESS = ["0.2", "0.5", "0.9", "1", "1.1", "2", "5"]
EXPIRIES_NS = [60 * 10**9, 3_600 * 10**9, 86_400 * 10**9, 30 * 86_400 * 10**9, NS_PER_YEAR, 5 * NS_PER_YEAR]
VOLATILITIES = ["0.01", "0.3", "0.8", "5"]


@pytest.mark.parametrize(
    ("moneyness", "expiry_ns", "vol"), list(itertools.product(MONEYNESS, EXPIRIES_NS, VOLATILITIES))
)
def test_black76_is_within_one_wad_unit_of_mpmath(moneyness: str, expiry_ns: int, vol: str) -> None:
    forward_wad = 3_000 * WAD
    strike_wad = int(mpmath.mpf(moneyness) * 3_000 * WAD_MP)
    vol_wad = int(mpmath.mpf(vol) * WAD_MP)
    exact = _black76_exact(
        mpmath.mpf(forward_wad) / WAD_MP,
        mpmath.mpf(strike_wad) / WAD_MP,
        mpmath.mpf(vol_wad) / WAD_MP,
        mpmath.mpf(expiry_ns) / NS_PER_YEAR,
    )
    values = black76(forward_wad, strike_wad, vol_wad, expiry_ns)

    def close(got_precise: int, want: mpmath.mpf) -> bool:
        floor = to_wad(got_precise, Rounding.DOWN)
        return abs(floor - int(mpmath.floor(want * WAD_MP))) <= 1

    assert close(values.call_precise, exact["call"])
    assert close(values.put_precise, exact["put"])
    assert close(values.call_delta_precise, exact["delta"])
    assert close(values.put_delta_precise, exact["delta"] - 1)
    assert close(values.gamma_precise, exact["gamma"])
    assert close(values.vega_precise, exact["vega"])
    assert close(values.theta_precise, exact["theta"])


@pytest.mark.parametrize(("moneyness", "expiry_ns"), list(itertools.product(MONEYNESS, EXPIRIES_NS)))
def test_put_call_parity_is_exact_in_wad(moneyness: str, expiry_ns: int) -> None:
    forward_wad, strike_wad = 3_000 * WAD, int(mpmath.mpf(moneyness) * 3_000 * WAD_MP)
    values = black76(forward_wad, strike_wad, 8 * WAD // 10, expiry_ns)
    call = values.price_wad(True, Rounding.DOWN)
    put = values.price_wad(False, Rounding.DOWN)
    assert call - put == forward_wad - strike_wad
    assert values.call_precise - values.put_precise == (forward_wad - strike_wad) * (PRECISE // WAD)


def test_at_expiry_an_option_is_worth_its_intrinsic_value() -> None:
    values = black76(3_100 * WAD, 3_000 * WAD, 8 * WAD // 10, 0)
    assert values.price_wad(True, Rounding.DOWN) == 100 * WAD
    assert values.price_wad(False, Rounding.DOWN) == 0
    assert (values.call_delta_precise, values.gamma_precise, values.vega_precise) == (PRECISE, 0, 0)
    out = black76(2_900 * WAD, 3_000 * WAD, 8 * WAD // 10, 0)
    assert out.price_wad(False, Rounding.DOWN) == 100 * WAD
    assert out.put_delta_precise == -PRECISE


def test_one_second_to_expiry_converges_to_intrinsic() -> None:
    values = black76(3_100 * WAD, 3_000 * WAD, 8 * WAD // 10, 10**9)
    assert values.price_wad(True, Rounding.DOWN) == 100 * WAD  # the time value is ~10⁻¹¹⁶⁰, far below a unit


SVI = SviParams(a_wad=4 * WAD // 100, b_wad=WAD // 10, rho_wad=-3 * WAD // 10, m_wad=WAD // 50, sigma_wad=WAD // 5)


def _svi_exact(k: mpmath.mpf) -> mpmath.mpf:
    a, b, rho, m, sigma = (
        mpmath.mpf(v) / WAD_MP for v in (SVI.a_wad, SVI.b_wad, SVI.rho_wad, SVI.m_wad, SVI.sigma_wad)
    )
    return a + b * (rho * (k - m) + mpmath.sqrt((k - m) ** 2 + sigma**2))


@pytest.mark.parametrize("moneyness", MONEYNESS)
def test_svi_total_variance_matches_gatheral_formula(moneyness: str) -> None:
    forward_wad, strike_wad = 3_000 * WAD, int(mpmath.mpf(moneyness) * 3_000 * WAD_MP)
    k = mpmath.log(mpmath.mpf(strike_wad) / forward_wad)
    assert abs(svi_total_variance_precise(SVI, forward_wad, strike_wad) - _exact(_svi_exact(k))) <= TOLERANCE_PRECISE
    quarter = NS_PER_YEAR // 4
    want = mpmath.sqrt(_svi_exact(k) * NS_PER_YEAR / quarter)
    assert abs(svi_volatility_wad(SVI, forward_wad, strike_wad, quarter) - int(mpmath.floor(want * WAD_MP))) <= 1


def test_svi_minimum_variance_is_the_smiles_minimum() -> None:
    a, b, rho, sigma = (mpmath.mpf(v) / WAD_MP for v in (SVI.a_wad, SVI.b_wad, SVI.rho_wad, SVI.sigma_wad))
    want = a + b * sigma * mpmath.sqrt(1 - rho**2)
    assert abs(svi_minimum_variance_precise(SVI) - _exact(want)) <= TOLERANCE_PRECISE
    # the minimum is attained at k* = m − ρσ/√(1−ρ²) (Gatheral–Jacquier 2014, §3.1)
    k_star = mpmath.mpf(SVI.m_wad) / WAD_MP - rho * sigma / mpmath.sqrt(1 - rho**2)
    assert abs(_svi_exact(k_star) - want) < mpmath.mpf(10) ** -70
