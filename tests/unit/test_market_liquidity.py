"""Per-market liquidity: each market's depth, explicit or from the square-root law, in both engines.

The expected impacts are recomputed here from the raw TOML values with the square-root law
``Y·σ_daily·√(Q/V_daily)`` (Bouchaud et al., *Trades, Quotes and Prices*, 2018, ch. 12), where
``σ_daily`` is the file's ``daily_volatility`` or the process's yearly volatility, jumps
included (``√(σ² + λ(m² + s²))``, Merton 1976), over ``√365``: not by calling the code under test.
"""

from __future__ import annotations

import math
import tomllib
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from ringfence.lab.errors import ScenarioError
from ringfence.lab.exact.layout import layout_venue
from ringfence.lab.exact.runner import _Prices
from ringfence.lab.sample import sample_paths
from ringfence.lab.scenario import annual_volatility, load_scenario, market_impact, validate_scenario
from ringfence.lab.vector.design import build_rules
from ringfence.lab.vector.kernels import square_root_impact
from support.stress import BASE, merge, stress_scenario

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
BUNDLED = sorted(SCENARIOS.glob("*.toml"))
SALE_USD = 1_000_000.0
MEASURED_Y = (0.5, 1.0)
"""The square-root law's prefactor as measured (Tóth et al. 2011; Bouchaud et al. 2018, ch. 12)."""


def _yearly_sd(data: dict[str, Any], asset: str) -> float:
    processes = data["price"] if isinstance(data["price"], list) else [data["price"]]
    for process in processes:
        assets = process.get("assets", [process.get("asset")])
        if asset in assets:
            i = assets.index(asset)
            sigma = process["volatilities"][i]
            jumps = [process.get(key, [0.0] * len(assets))[i] for key in ("jump_intensities", "jump_means")]
            sd = process.get("jump_volatilities", [0.0] * len(assets))[i]
            return math.sqrt(sigma**2 + jumps[0] * (jumps[1] ** 2 + sd**2))
    raise AssertionError(f"{asset} not priced by a GBM-like process")


def _hand_impact(data: dict[str, Any], market: dict[str, Any], prefactor: float) -> float:
    daily = market.get("daily_volatility") or _yearly_sd(data, market["asset"]) / math.sqrt(365.0)
    return prefactor * daily * math.sqrt(SALE_USD / market["daily_volume_usd"])


@pytest.mark.parametrize("file", BUNDLED, ids=[file.stem for file in BUNDLED])
def test_a_one_million_sale_moves_each_bundled_market_within_its_calibration(file: Path) -> None:
    data = tomllib.loads(file.read_text())
    scenario = load_scenario(file)
    rules = build_rules(scenario)
    sold = np.full(len(rules.depth_usd), SALE_USD)

    impact = -square_root_impact(sold, rules.depth_usd, rules.impact_coefficient)

    for index, market in enumerate(data["venue"]["markets"]):
        assert "daily_volume_usd" in market, f"{file.stem} {market['asset']}: no volume, no calibrated depth"
        low, high = (_hand_impact(data, market, y) for y in MEASURED_Y)
        assert low <= impact[index] * (1 + 1e-12) and impact[index] <= high * (1 + 1e-12)
        assert impact[index] == pytest.approx(_hand_impact(data, market, market["impact_coefficient"]), rel=1e-12)
        if market["asset"] == "BTC":
            assert impact[index] < 0.001  # a real BTC book absorbs $1M for a few hundredths of a percent


@pytest.mark.parametrize("file", BUNDLED, ids=[file.stem for file in BUNDLED])
def test_markets_of_different_volume_never_share_a_depth(file: Path) -> None:
    markets = tomllib.loads(file.read_text())["venue"]["markets"]
    depths = build_rules(load_scenario(file)).depth_usd
    volumes = [market["daily_volume_usd"] for market in markets]
    assert len(set(volumes)) == len(volumes)
    assert len(set(depths.tolist())) == len(markets)


def test_the_exact_engine_moves_each_market_by_the_same_impact_as_the_vector_engine() -> None:
    scenario = load_scenario(SCENARIOS / "isolation-ladder.toml")
    rules = build_rules(scenario)
    layout = layout_venue(scenario, "isolated_pools", 1.0)
    prices = _Prices(scenario, layout, sample_paths(scenario, 1), 0)
    flow = np.array([3e6, -2e6, 5e5])  # exact convention: a sale is negative flow

    exact = prices.flow_impact(-flow)
    vector = square_root_impact(flow[:, None], rules.depth_usd[:, None], rules.impact_coefficient[:, None])[:, 0]

    assert layout.assets == ("BTC", "ETH", "ALT")
    np.testing.assert_array_equal(exact, vector)
    assert exact[0] < 0 < exact[1]  # sales push down, purchases up


def test_an_explicit_depth_uses_its_coefficient_and_a_market_without_depth_does_not_move() -> None:
    two = merge(BASE, {})
    two["price"] = [
        {"kind": "gbm", "asset": "ETH", "initial_price": 100.0, "volatility": 0.5},
        {"kind": "gbm", "asset": "BTC", "initial_price": 100.0, "volatility": 0.5},
    ]
    eth = {**BASE["venue"]["markets"][0], "depth_usd": 4e6, "impact_coefficient": 0.5}
    btc = {**BASE["venue"]["markets"][0], "asset": "BTC"}
    scenario = stress_scenario(price=two["price"], venue={"markets": [eth, btc]})

    impact = market_impact(scenario)

    assert impact.coefficient == (0.5, 0.0)
    assert impact.depth_usd == (4e6, math.inf)
    # 1e6 sold into 4e6 at 0.5: -0.5 * sqrt(0.25) = -0.25; BTC: 0
    moved = square_root_impact(np.array([1e6, 1e6]), np.array(impact.depth_usd), np.array(impact.coefficient))
    np.testing.assert_allclose(moved, [-0.25, 0.0])


def test_the_square_root_law_takes_sigma_daily_from_the_gbm() -> None:
    market = {**BASE["venue"]["markets"][0], "daily_volume_usd": 1e9, "impact_coefficient": 0.8}
    scenario = stress_scenario(venue={"markets": [market]})

    impact = market_impact(scenario)

    # sigma 0.5/yr -> 0.5/sqrt(365) = 0.0261712 per day; coefficient 0.8 * 0.0261712 = 0.0209370
    assert impact.coefficient[0] == pytest.approx(0.8 * 0.5 / math.sqrt(365.0), rel=1e-12)
    assert impact.depth_usd == (1e9,)


def test_annual_volatility_of_a_jump_diffusion_and_a_garch_counts_every_variance() -> None:
    jumps = stress_scenario(
        price={
            "kind": "jump_diffusion",
            "asset": "ETH",
            "initial_price": 100.0,
            "volatility": 0.3,
            "jump_intensity": 4.0,
            "jump_mean": -0.1,
            "jump_volatility": 0.2,
        }
    )
    garch = stress_scenario(
        price={"kind": "garch", "asset": "ETH", "initial_price": 100.0, "omega": 1e-6, "alpha": 0.1, "beta": 0.8}
    )
    # 0.09 + 4 * (0.01 + 0.04) = 0.29; GARCH: 1e-6 / 0.1 = 1e-5 per hour, 8760 hours a year
    assert annual_volatility(jumps.processes[0], "ETH", 3600) == pytest.approx(math.sqrt(0.29))
    assert annual_volatility(garch.processes[0], "ETH", 3600) == pytest.approx(math.sqrt(1e-5 * 8760))


def _refused(**changes: Any) -> ScenarioError:
    with pytest.raises(ScenarioError) as caught:
        stress_scenario(**changes)
    return caught.value


def test_the_old_scenario_wide_depth_is_refused_naming_the_key() -> None:
    error = _refused(liquidity={"depth_usd": 2e7, "impact_coefficient": 0.5})

    assert error.keys == ("liquidity.depth_usd", "liquidity.impact_coefficient")
    assert "venue.markets[i].depth_usd" in str(error)


def test_a_market_with_both_depth_forms_is_refused() -> None:
    market = {**BASE["venue"]["markets"][0], "depth_usd": 1e6, "daily_volume_usd": 1e9}
    assert _refused(venue={"markets": [market]}).keys == ("venue.markets[0].daily_volume_usd",)


def test_a_replay_with_a_volume_but_no_daily_volatility_is_refused_naming_the_key() -> None:
    text = (SCENARIOS / "black-thursday.toml").read_text().replace("daily_volatility = 0.0426\n", "")
    with pytest.raises(ScenarioError) as caught:
        validate_scenario(tomllib.loads(text), SCENARIOS, SCENARIOS / "black-thursday.toml")

    assert caught.value.keys == ("venue.markets[0].daily_volatility",)
