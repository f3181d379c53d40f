"""The ledger's integer Black-76 (``core/pricing``) against the risk models' float64 one (``risk/options.py``).

Two implementations on purpose: the integer one runs the ledger, the float one the vectorised
statistics. They must agree to within 1e-9 relative (or 1e-9 of the forward, absolute, for values
near zero): float64 carries about 16 digits, and a deep out-of-the-money price is a difference of
two such terms (``risk/options.py`` documents the loss), so the bound is the float side's.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from ringfence.core.pricing.black76 import NS_PER_YEAR, black76
from ringfence.core.pricing.fixed_math import PRECISE
from ringfence.risk.options import black76 as float_black76

FORWARD = 2_500.0
STRIKES = [500.0, 2_000.0, 2_450.0, 2_500.0, 2_600.0, 4_000.0, 10_000.0]
EXPIRIES = [3_600 * 10**9, 7 * 86_400 * 10**9, NS_PER_YEAR // 4, 2 * NS_PER_YEAR]
VOLS = [0.05, 0.6, 2.0]
WAD = 10**18


@pytest.mark.parametrize(("strike", "expiry_ns", "vol"), list(itertools.product(STRIKES, EXPIRIES, VOLS)))
def test_integer_and_float_black76_agree(strike: float, expiry_ns: int, vol: float) -> None:
    exact = black76(int(FORWARD) * WAD, int(strike) * WAD, round(vol * 1000) * WAD // 1000, expiry_ns)
    years = expiry_ns / NS_PER_YEAR
    for is_call, price, delta in (
        (True, exact.call_precise, exact.call_delta_precise),
        (False, exact.put_precise, exact.put_delta_precise),
    ):
        floats = float_black76(FORWARD, strike, years, vol, 0.0, is_call)
        pairs = [
            (price, floats.price),
            (delta, floats.delta),
            (exact.gamma_precise, floats.gamma),
            (exact.vega_precise, floats.vega),
            (exact.theta_precise, floats.theta),
        ]
        for integer_value, float_value in pairs:
            assert np.isclose(integer_value / PRECISE, float(float_value), rtol=1e-9, atol=1e-9 * FORWARD * 1e-3)
