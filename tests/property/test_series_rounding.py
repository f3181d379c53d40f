"""An option trade's premium never rounds in the trader's favour (SPEC §1), against mpmath's exact value.

For random forwards, strikes, volatilities, expiries, skews and sizes, the integer premium a buyer
pays (``option_fill_price_wad``, then the atoms ``decide_trade_series`` charges) is at least the
exact ``(mark + vega·Δσ)·(1 + spread)·size``, and what a seller receives at most the exact
``(mark + vega·Δσ)·(1 − spread)·|size|`` (to 10⁻³⁰ atom, the two computations' precision); and by less
than one WAD unit per underlying unit plus one atom.
"""

from __future__ import annotations

import mpmath
from hypothesis import given, settings
from hypothesis import strategies as st

from ringfence.core.pool.perp_math import signed_notional_atoms
from ringfence.core.pool.series_math import option_fill_price_wad
from ringfence.core.pricing.black76 import NS_PER_YEAR, black76
from ringfence.core.units import Rounding
from support.series import CALL_PARAMS

WAD = 10**18
ETH = 10**18


def _exact(forward: int, strike: int, vol_wad: int, tau_ns: int, is_call: bool, skew: int, size: int) -> mpmath.mpf:
    vol, years = mpmath.mpf(vol_wad) / WAD, mpmath.mpf(tau_ns) / NS_PER_YEAR
    stdev = vol * mpmath.sqrt(years)
    f, k = mpmath.mpf(forward) / WAD, mpmath.mpf(strike) / WAD
    d1 = (mpmath.log(f / k) + stdev**2 / 2) / stdev
    call = f * mpmath.ncdf(d1) - k * mpmath.ncdf(d1 - stdev)
    mark = call if is_call else call - f + k
    vega = f * mpmath.npdf(d1) * mpmath.sqrt(years)
    impact = (
        vega * mpmath.mpf(CALL_PARAMS.vol_impact_wad) / WAD * (2 * skew + size) / (2 * CALL_PARAMS.skew_scale_atoms)
    )
    spread = mpmath.mpf(CALL_PARAMS.spread_wad) / WAD
    return max(mark + impact, 0) * (1 + spread if size > 0 else 1 - spread)


@settings(max_examples=80, deadline=None)
@given(
    st.integers(500, 5_000),
    st.integers(300, 8_000),
    st.integers(50, 3_000),
    st.integers(60, 365 * 86_400),
    st.booleans(),
    st.integers(-900, 900),
    st.integers(-50 * 10**6, 50 * 10**6).filter(bool),
)
def test_premiums_round_against_the_trader(
    forward: int, strike: int, vol_bp: int, tau_s: int, is_call: bool, skew: int, size_micro: int
) -> None:
    with mpmath.workdps(60):  # mp.dps is global: other modules set their own
        _check(forward, strike, vol_bp, tau_s, is_call, skew, size_micro)


def _check(forward: int, strike: int, vol_bp: int, tau_s: int, is_call: bool, skew: int, size_micro: int) -> None:
    vol_wad, tau_ns, size, skew_atoms = vol_bp * WAD // 10_000, tau_s * 10**9, size_micro * 10**12, skew * ETH
    values = black76(forward * WAD, strike * WAD, vol_wad, tau_ns)
    price = option_fill_price_wad(values, is_call, skew_atoms, size, CALL_PARAMS)
    premium_atoms = signed_notional_atoms(size, price, 18, 6, Rounding.UP)
    exact = _exact(forward * WAD, strike * WAD, vol_wad, tau_ns, is_call, skew_atoms, size)
    exact_atoms = exact * size / ETH * 10**6
    # a buyer pays at least it, a seller's (negative) credit is at most it, up to 10⁻³⁰ atom: the precision of
    # the two computations (mpmath at 60 digits, the integer pricing at 10⁻⁵⁰ of a price), not a rounding
    assert premium_atoms >= exact_atoms - mpmath.mpf(10) ** -30
    assert premium_atoms - exact_atoms < abs(mpmath.mpf(size)) / ETH * 10**6 / WAD * 2 + 1
