"""The stress population and the pre-generated uniforms shared by both stress engines."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ringfence.lab.errors import ScenarioError
from ringfence.lab.population import (
    draw_population,
    draw_stress,
    draw_uniforms,
    stress_generator,
    unit_count,
)
from support.stress import stress_scenario

THREE_MARKETS = {
    "price": {
        "kind": "correlated_gbm",
        "assets": ["ETH", "BTC", "SOL"],
        "initial_prices": [100.0, 200.0, 10.0],
        "volatilities": [0.5, 0.5, 0.5],
        "correlation": [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]],
    },
    "venue": {
        "markets": [
            {"asset": asset, "initial_margin": im, "maintenance_margin": im / 2, "lp_capital": 1e6}
            for asset, im in (("ETH", 0.1), ("BTC", 0.05), ("SOL", 0.2))
        ]
    },
    "population": {
        "traders": 500,
        "markets_per_trader": 2,
        "collateral_mean": 2000.0,
        "collateral_log_sd": 0.4,
        "leverage_min": 1.0,
        "leverage_max": 30.0,
        "long_share": 0.3,
        "top_up_reserve": 0.5,
    },
}


def test_the_population_is_read_row_by_row_from_one_block_in_the_documented_order() -> None:
    scenario = stress_scenario(**THREE_MARKETS)
    population = draw_population(scenario, stress_generator(scenario))
    block = np.random.default_rng([1, scenario.seed]).random((500, 3 + 1 + 2 * 2))
    # trader 7: its two markets are the two smallest of three keys, listed in market order
    keys = block[7, :3]
    assert population.markets[7].tolist() == sorted(np.argsort(keys)[:2].tolist())
    # collateral: exp(mu + sigma * Phi^-1(u)), mu = ln(2000) - 0.4^2 / 2
    from statistics import NormalDist

    expected = math.exp(math.log(2000.0) - 0.08 + 0.4 * NormalDist().inv_cdf(block[7, 3]))
    assert population.collateral_usd[7] == pytest.approx(expected, rel=1e-12)
    assert population.long[7].tolist() == (block[7, 4:6] < 0.3).tolist()
    np.testing.assert_allclose(population.leverage_draw[7], 1.0 + 29.0 * block[7, 6:8])
    np.testing.assert_allclose(population.reserve_usd, 0.5 * population.collateral_usd)


def test_the_population_has_the_stated_shape_and_moments() -> None:
    scenario = stress_scenario(**THREE_MARKETS)
    population = draw_stress(scenario, 1).population
    assert population.markets.shape == (500, 2)
    assert np.all(population.markets[:, 0] < population.markets[:, 1])  # distinct, ascending
    # mean of 500 log-normals with sd 0.4: standard error 2000 * sqrt(e^0.16 - 1) / sqrt(500) = 37; 5 se
    assert abs(population.collateral_usd.mean() - 2000.0) < 5 * 37.0
    assert 0.2 < population.long.mean() < 0.4  # binomial(1000, 0.3): se 0.0145


def test_leverage_is_capped_so_every_opening_passes_initial_margin() -> None:
    scenario = stress_scenario(**THREE_MARKETS)
    population = draw_stress(scenario, 1).population
    initial = np.array([0.1, 0.05, 0.2])
    leverage = population.leverage(initial)
    cap = 0.95 / initial[population.markets]
    assert np.all(leverage <= cap)
    assert np.any(population.leverage_draw > cap)  # the cap binds for some (up to 30x against 4.75x on SOL)
    np.testing.assert_allclose(population.notional_usd(initial), population.collateral_usd[:, None] / 2 * leverage)


def test_draws_repeat_with_the_seed_and_a_path_does_not_depend_on_how_many_follow() -> None:
    scenario = stress_scenario(**THREE_MARKETS)
    few, many = draw_stress(scenario, 2), draw_stress(scenario, 5)
    np.testing.assert_array_equal(few.population.collateral_usd, many.population.collateral_usd)
    np.testing.assert_array_equal(few.uniforms.keeper, many.uniforms.keeper[:2])
    np.testing.assert_array_equal(few.uniforms.top_up, many.uniforms.top_up[:2])
    assert many.uniforms.keeper.shape == (5, scenario.horizon.steps + 1, 1000)
    assert many.uniforms.top_up.shape == (5, scenario.horizon.steps + 1, 500)
    other = draw_stress(stress_scenario(**THREE_MARKETS, seed=4), 2)
    assert not np.array_equal(few.uniforms.keeper, other.uniforms.keeper)


def test_the_uniforms_of_a_path_are_its_keeper_block_then_its_top_up_block() -> None:
    scenario = stress_scenario()
    uniforms = draw_uniforms(scenario, 2, 3, np.random.default_rng(0))
    generator = np.random.default_rng(0)
    rows = scenario.horizon.steps + 1
    np.testing.assert_array_equal(uniforms.keeper[0], generator.random((rows, 3)))
    np.testing.assert_array_equal(uniforms.top_up[0], generator.random((rows, 1)))
    np.testing.assert_array_equal(uniforms.keeper[1], generator.random((rows, 3)))


def test_units_are_one_per_trader_on_the_monolithic_rung_and_one_per_position_elsewhere() -> None:
    population = draw_stress(stress_scenario(**THREE_MARKETS), 1).population
    assert unit_count(population, "monolithic") == 500
    assert unit_count(population, "subaccounts") == 1000
    assert unit_count(population, "isolated_positions") == 1000


def test_a_population_needs_its_section() -> None:
    scenario = stress_scenario().model_copy(update={"population": None})
    with pytest.raises(ScenarioError) as caught:
        draw_stress(scenario, 1)
    assert caught.value.keys == ("population",)
