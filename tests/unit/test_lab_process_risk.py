"""Liquidation probability under the scenario's own process (issue 12, item 3).

The risk layer's Monte-Carlo, fed the scenario's jump diffusion by ``underlyings_of``, is held
against an independent estimate: the touching frequency on the lab's own simulated paths
(``lab.paths.merton_jump_paths``, the generator every stress run uses) on a fine grid, its
discrete monitoring corrected by Broadie–Glasserman–Kou (a discretely watched barrier ``H``
behaves as a continuous one at ``H·e^{−βσ√Δ}``, β = 0.5826; Broadie, Glasserman, Kou,
*Mathematical Finance* 7 (1997)).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from ringfence.core.errors import InvalidParameter
from ringfence.lab.paths import merton_jump_paths
from ringfence.lab.process_risk import scenario_liquidation_probability, underlyings_of
from ringfence.lab.scenario import GarchProcess, JumpDiffusionProcess

BGK_BETA = 0.5826
PROCESS = JumpDiffusionProcess(
    kind="jump_diffusion",
    asset="ETH",
    initial_price=2_000.0,
    drift=0.1,
    volatility=0.8,
    jump_intensity=365.0,  # one jump a day on average: jumps matter within the one-day horizon
    jump_mean=-0.05,
    jump_volatility=0.05,
)
HORIZON_YEARS = 1 / 365


def test_the_scenarios_jump_diffusion_is_copied_field_for_field() -> None:
    assets, underlyings = underlyings_of(PROCESS)

    assert assets == ("ETH",)
    assert underlyings.spot_price.tolist() == [2_000.0]
    assert underlyings.volatility.tolist() == [0.8]
    assert underlyings.drift.tolist() == [0.1]
    assert underlyings.jump_intensity.tolist() == [365.0]
    assert underlyings.jump_mean.tolist() == [-0.05]
    assert underlyings.jump_volatility.tolist() == [0.05]


def test_monte_carlo_under_the_scenarios_process_matches_the_labs_own_paths() -> None:
    # Arrange: a long liquidated at 1,800 and a short at 2,150, over one day
    liquidation = np.array([1_800.0, 2_150.0])
    is_long = np.array([True, False])
    paths = 20_000

    # Act: ours (exact Brownian-bridge extremes per step, 8 steps) against the lab's paths on 400 steps
    ours = scenario_liquidation_probability(
        PROCESS, ["ETH", "ETH"], liquidation, is_long, HORIZON_YEARS, 8, paths, np.random.default_rng(7)
    )
    steps = 400
    prices = merton_jump_paths(
        2_000.0, 0.1, 0.8, 365.0, -0.05, 0.05, HORIZON_YEARS / steps, steps, paths, np.random.default_rng(11)
    )
    shift = math.exp(BGK_BETA * 0.8 * math.sqrt(HORIZON_YEARS / steps))
    lab_long = float(np.mean(prices.min(axis=1) <= 1_800.0 * shift))
    lab_short = float(np.mean(prices.max(axis=1) >= 2_150.0 / shift))

    # Assert: within 4 combined standard errors plus our stated jump-discretisation bias bound
    for index, lab in enumerate((lab_long, lab_short)):
        p = float(ours.probability[index])
        combined = math.sqrt(p * (1 - p) / paths + lab * (1 - lab) / paths)
        assert abs(p - lab) <= 4 * combined + float(ours.bias_bound[index]), (index, p, lab)
    assert 0.05 < lab_long < 0.95 and 0.05 < lab_short < 0.95  # the premise: neither is trivially 0 or 1


def test_a_process_without_a_closed_form_is_refused_by_name() -> None:
    garch = GarchProcess(kind="garch", initial_price=100.0, omega=1e-5, alpha=0.1, beta=0.8)

    with pytest.raises(InvalidParameter, match=r"process\.kind"):
        underlyings_of(garch)


def test_a_correlated_jump_diffusion_keeps_its_assets_order_and_correlation() -> None:
    from ringfence.lab.scenario import CorrelatedJumpDiffusionProcess

    process = CorrelatedJumpDiffusionProcess(
        kind="correlated_jump_diffusion",
        assets=["BTC", "ETH"],
        initial_prices=[60_000.0, 3_000.0],
        volatilities=[0.6, 0.8],
        correlation=[[1.0, 0.7], [0.7, 1.0]],
        jump_intensities=[2.0, 0.0],
        jump_means=[-0.1, 0.0],
        jump_volatilities=[0.05, 0.0],
    )

    assets, underlyings = underlyings_of(process)

    assert assets == ("BTC", "ETH")
    assert underlyings.spot_price.tolist() == [60_000.0, 3_000.0]
    assert underlyings.drift.tolist() == [0.0, 0.0]  # no drifts given: none
    assert underlyings.jump_intensity.tolist() == [2.0, 0.0]
    assert underlyings.correlation is not None
    assert underlyings.correlation.tolist() == [[1.0, 0.7], [0.7, 1.0]]
