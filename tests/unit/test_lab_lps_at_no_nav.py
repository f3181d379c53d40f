"""LPs of a pool whose NAV is at or below 0 are refused a redemption in all three stress engines (defect fix).

Before the fix the core burnt LP shares for 0 when the NAV was ≤ 0, and the numpy and fused lab kernels
mirrored it: the LPs "fled" with nothing and never redeemed again. Now the core refuses
(``PoolNavNotPositive``), the LPs have not fled, and they redeem once the NAV is positive again.

Premises (``tests/support/stress.py``): one ETH market, one trader 5x with 1,000 USD, here a short
(notional 5,000: size 50 at 100), the pool's LP capital 1,000 USD, reserve factor 10, LPs flee a
drawdown of 0.01% by redeeming half their shares. Path 100 → 50 → 90 → 90 → 90: at 50 the short's
unrealised gain is 2,500 and the NAV 1,000 − 2,500 = −1,500 (refused); at 90 the gain is 500, the NAV
500, still 50% below its 1,000 peak: half the shares redeem for 250 (exposure 50 · 90 = 4,500 ≤ 10 ·
(1,000 − 250)), leaving a NAV of 250.
"""

from __future__ import annotations

import numpy as np
import pytest

from ringfence.lab.exact.runner import run_exact
from ringfence.lab.vector import run_vector
from support.stress import hand_paths, stress_inputs, stress_scenario

PRICES = [[100.0, 50.0, 90.0, 90.0, 90.0]]
EXPECTED_NAV = [1_000.0, -1_500.0, 250.0, 250.0, 250.0]


def scenario_with_a_thin_pool() -> object:
    market = {**stress_scenario().venue.markets[0].model_dump(), "lp_capital": 1_000.0}  # type: ignore[union-attr]
    return stress_scenario(
        population={"long_share": 0.0},
        venue={"markets": [market]},
        liquidity_providers={"flee_drawdown": 0.0001, "flee_share": 0.5},
    )


def test_the_exact_engine_refuses_at_a_negative_nav_and_redeems_once_it_is_positive() -> None:
    scenario = scenario_with_a_thin_pool()
    book, draws = stress_inputs(scenario, 1, 1.0)  # type: ignore[arg-type]
    exact = run_exact(scenario, hand_paths(PRICES), book, draws[0], "isolated_positions", 1.0, 0)  # type: ignore[arg-type]
    np.testing.assert_allclose(exact.lp_nav_usd[0], EXPECTED_NAV, atol=1e-3)


@pytest.mark.parametrize("kernel", ["numpy", "fused"])
def test_the_vector_kernels_mirror_the_exact_engine(kernel: str) -> None:
    if kernel == "fused":
        pytest.importorskip("numba")
    scenario = scenario_with_a_thin_pool()
    book, draws = stress_inputs(scenario, 1, 1.0)  # type: ignore[arg-type]
    (vector,) = run_vector(scenario, hand_paths(PRICES), book, draws, "isolated_positions", 1.0, kernel=kernel)  # type: ignore[arg-type]
    np.testing.assert_allclose(vector.lp_nav_usd[0], EXPECTED_NAV, atol=1e-6)
