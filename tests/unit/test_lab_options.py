"""Option markets in the stress lab (``[[venue.options]]``): parsing, refusals, and small runs on the exact engine.

Premises of the runs (``support.stress`` plus one option market): ETH at 100 on a hand-made path whose
oracle reads the market, one strike at the money (K = 100) and one expiry two hours after the start,
no spread, no vega impact and no fee (so a fill is the mark), a flat smile at the ATM volatility
``0.5·e^{z}`` with ``z`` moved by ``spot_beta = 1`` (no decay within the run), one keeper that never
fails and waits for nothing. Expected values are Black-76 in mpmath at 30 digits, and payoffs by hand.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import mpmath
import numpy as np
import pytest
from typer.testing import CliRunner

from ringfence.cli.main import app
from ringfence.lab.errors import ScenarioError
from ringfence.lab.exact.runner import run_exact
from ringfence.lab.export import results_json
from ringfence.lab.report import expected_plots, render_report
from ringfence.lab.results import RunResult
from ringfence.lab.scenario import Scenario
from ringfence.lab.stress import run_study
from ringfence.lab.vector import check_vector_support, run_vector
from ringfence.lab.vector.fused import fused_refusals
from support.stress import hand_paths, stress_inputs, stress_scenario

mpmath.mp.dps = 30
YEAR_S = 365 * 86_400
EXPIRY_S = 7_200
OPTIONS: dict[str, Any] = {
    "asset": "ETH",
    "lp_capital": 100_000.0,
    "strikes": [1.0],
    "expiries_seconds": [EXPIRY_S],
    "spread": 0.0,
    "vol_impact": 0.0,
    "taker_fee": 0.0,
    "volatility": {"base": 0.5, "spot_beta": 1.0, "half_life_seconds": 10 * YEAR_S},
    "traders": {"buyers": 1, "put_share": 1.0, "writers": 0, "contracts_mean": 10.0, "size_log_sd": 0.0},
}


def options_scenario(**changes: Any) -> Scenario:
    """Return the one-market stress scenario with the option market above (``changes`` merged into it)."""
    option = copy.deepcopy(OPTIONS)
    for key, value in changes.items():
        option[key] = {**option.get(key, {}), **value} if isinstance(value, dict) else value
    return stress_scenario(
        venue={"options": [option]},
        keepers={"count": 1, "latency_seconds": 0, "failure_probability": 0.0},
        study={"ladder": ["isolated_pools", "monolithic"]},
    )


def play(scenario: Scenario, prices: list[float], rung: str = "isolated_pools") -> RunResult:
    book, draws = stress_inputs(scenario, 1)
    paths = hand_paths([prices])
    return run_exact(scenario, paths, book, draws[0], rung, 1.0, 0)  # type: ignore[arg-type]


def black76_put(forward: float, strike: float, volatility: float, years: float) -> dict[str, Any]:
    """Black-76 put price and Greeks (undiscounted), in mpmath."""
    f, k, s, t = (mpmath.mpf(x) for x in (forward, strike, volatility, years))
    d1 = (mpmath.log(f / k) + s * s * t / 2) / (s * mpmath.sqrt(t))
    d2 = d1 - s * mpmath.sqrt(t)
    density = mpmath.npdf(d1)
    return {
        "price": k * mpmath.ncdf(-d2) - f * mpmath.ncdf(-d1),
        "delta": mpmath.ncdf(d1) - 1,
        "gamma": density / (f * s * mpmath.sqrt(t)),
        "vega": f * density * mpmath.sqrt(t),
    }


# --- parsing and refusals ----------------------------------------------------------------------


def test_an_option_market_loads_with_its_defaults() -> None:
    scenario = options_scenario()

    venue = scenario.venue
    assert venue is not None
    (option,) = venue.options
    assert (option.initial_margin, option.minimum_margin, option.maintenance_margin) == (0.15, 0.10, 0.075)
    assert option.smile.wing == 0.0


@pytest.mark.parametrize(
    ("change", "key", "words"),
    [
        ({"asset": "BTC"}, "venue", "options[0].asset 'BTC' is not a market's asset"),
        ({"strikes": []}, "venue.options[0].strikes", "at least 1"),
        ({"strikes": [1.0, 1.0]}, "venue.options[0].strikes", "each value once"),
        ({"expiries_seconds": [3600, 7200, 10800]}, "venue.options[0].expiries_seconds", "at most 2"),
        ({"minimum_margin": 0.2}, "venue.options[0].minimum_margin", "at most initial_margin"),
        ({"maintenance_margin": 0.12}, "venue.options[0].maintenance_margin", "at most minimum_margin"),
        ({"smile": {"wing": 20.0, "curvature": 0.1}}, "venue.options[0].smile", "wing·curvature = 2"),
        ({"volatility": {"base": 0.0}}, "venue.options[0].volatility.base", "greater than 0"),
        ({"traders": {"sellers": 3}}, "venue.options[0].traders.sellers", "Extra inputs"),
    ],
)
def test_a_bad_option_market_is_refused_naming_its_key(change: dict[str, Any], key: str, words: str) -> None:
    with pytest.raises(ScenarioError) as raised:
        options_scenario(**change)

    assert key in raised.value.keys
    assert words in str(raised.value)


def test_the_vector_engine_refuses_option_markets_by_name_on_both_kernels() -> None:
    scenario = options_scenario()
    book, draws = stress_inputs(scenario, 1)

    with pytest.raises(ScenarioError) as raised:
        check_vector_support(scenario, "isolated_pools", 1.0)
    with pytest.raises(ScenarioError) as ran:
        run_vector(scenario, hand_paths([[100.0] * 5]), book, draws, "isolated_pools", 1.0)

    assert "venue.options" in raised.value.keys
    assert "venue.options" in ran.value.keys
    assert "venue.options" in [issue.key for issue in fused_refusals(scenario)]


def test_the_cli_refuses_options_on_the_vector_engine_with_exit_2(tmp_path: Path) -> None:
    bundled = Path(__file__).resolve().parents[2] / "scenarios" / "options-crash.toml"

    result = CliRunner().invoke(app, ["stress", str(bundled), "--engine", "vector", "--out", str(tmp_path / "o")])

    assert result.exit_code == 2
    assert "venue.options" in result.output
    assert not (tmp_path / "o" / "results.json").exists()


# --- runs on the exact engine ------------------------------------------------------------------


def test_the_pools_greeks_are_the_black76_greeks_of_the_puts_the_vault_wrote() -> None:
    # the buyer holds 10 puts at K = 100: the vault is short 10; the price is flat, so σ stays 0.5
    run = play(options_scenario(), [100.0, 100.0, 100.0, 100.0, 100.0])

    options = run.options
    assert options is not None
    for step in (0, 1):
        expected = black76_put(100.0, 100.0, 0.5, (EXPIRY_S - step * 3600) / YEAR_S)
        # the core floors each Greek to WAD: agreement to 1e-9 relative is far above that rounding
        assert options.delta[0, step] == pytest.approx(-10 * float(expected["delta"]), rel=1e-9)
        assert options.gamma[0, step] == pytest.approx(-10 * float(expected["gamma"]), rel=1e-9)
        assert options.vega_per_point[0, step] == pytest.approx(-10 * float(expected["vega"]) / 100, rel=1e-9)
    assert options.atm_volatility[0, :2].tolist() == [0.5, 0.5]
    assert (options.positions_opened[0], options.openings_refused[0], options.smiles_refused[0]) == (1, 0, 0)
    premium = 10 * float(black76_put(100.0, 100.0, 0.5, EXPIRY_S / YEAR_S)["price"])
    assert options.premium_usd[0] == pytest.approx(premium, abs=1e-5)  # 10 contracts at the mark, atoms rounded up


def test_the_atm_volatility_spikes_as_the_price_falls() -> None:
    run = play(options_scenario(), [100.0, 80.0, 80.0, 80.0, 80.0])

    options = run.options
    assert options is not None
    # z = −1·ln(0.8) with no decay to speak of (10-year half-life): σ = 0.5 / 0.8
    assert options.atm_volatility[0, 1] == pytest.approx(0.5 / 0.8, rel=1e-6)


def test_a_put_settles_at_the_window_average_and_pays_its_intrinsic_value() -> None:
    # 80 is accepted at 1 h and holds the whole window [1 h, 2 h]: S = 80, the put pays 10 · (100 − 80)
    run = play(options_scenario(), [100.0, 80.0, 80.0, 80.0, 80.0])

    options = run.options
    assert options is not None
    assert options.settlement_paid_usd[0] == pytest.approx(200.0, abs=1e-6)
    assert options.delta[0, 2:].tolist() == [0.0, 0.0, 0.0]  # settled: nothing left in the book
    assert sum(run.party_pnl_usd.values()) == pytest.approx(0.0, abs=1e-6)


def writer_scenario() -> Scenario:
    return options_scenario(traders={"buyers": 0, "writers": 1})


def test_an_under_margined_writer_is_liquidated_without_bad_debt_when_its_vault_covers_the_buyback() -> None:
    # margin 1.5 × IM = 1.5 · max(15% · 100, 10% · 100) · 10 = 225; at F = 80 the put is worth ≈ 20.2 a contract
    run = play(writer_scenario(), [100.0, 80.0, 80.0, 80.0, 80.0])

    options = run.options
    assert options is not None
    assert options.liquidations[0] == 1
    assert options.liquidated_notional_usd[0] == pytest.approx(800.0, abs=1e-6)
    assert options.bad_debt_usd[0] == 0.0


def test_a_writer_whose_vault_cannot_pay_the_buyback_leaves_its_shortfall_as_bad_debt() -> None:
    # at F = 50 (σ = 0.5 / 0.5 = 1.0, one hour left) the buy-back is ≈ 10 · 50; the vault holds 225 + the premium
    run = play(writer_scenario(), [100.0, 50.0, 50.0, 50.0, 50.0])

    options = run.options
    assert options is not None
    premium = 10 * black76_put(100.0, 100.0, 0.5, EXPIRY_S / YEAR_S)["price"]
    buyback = 10 * black76_put(50.0, 100.0, 1.0, 3_600 / YEAR_S)["price"]
    expected = float(buyback - 225 - premium)
    assert options.bad_debt_usd[0] == pytest.approx(expected, abs=1e-4)  # a few atoms of rounding each way
    assert run.bad_debt_usd[run.pools.index("options-ETH")] == pytest.approx(expected, abs=1e-4)
    assert sum(run.party_pnl_usd.values()) == pytest.approx(0.0, abs=1e-6)


def test_the_options_loss_stays_in_their_pool_when_isolated_and_reaches_the_perp_lps_when_shared() -> None:
    scenario = options_scenario(traders={"buyers": 1, "writers": 1})
    prices = [100.0, 50.0, 50.0, 50.0, 50.0]

    isolated = play(scenario, prices, "isolated_pools")
    shared = play(scenario, prices, "monolithic")

    assert isolated.pools == ("pool-ETH", "options-ETH")
    assert shared.pools == ("shared",)
    assert isolated.contagion_usd == 0.0
    # the writer's shortfall is a default of the option market: on the shared vault the perp LP bears its share
    assert shared.contagion_usd > 0.0
    for run in (isolated, shared):
        assert sum(run.party_pnl_usd.values()) == pytest.approx(0.0, abs=1e-6)
    assert isolated.options is not None and shared.options is not None
    assert isolated.options.borne_by_other_lps_usd[0] == 0.0
    # on the shared vault the perp LP holds 1,000,000 of the 1,100,000 deposited: it bears 10/11 of the options' P&L
    share = 1_000_000 / 1_100_000
    assert shared.options.borne_by_other_lps_usd[0] == pytest.approx(-share * shared.options.vault_pnl_usd[0], rel=1e-9)
    assert shared.options.vault_pnl_usd[0] < 0.0
    assert np.isfinite(shared.lp_nav_usd).all()


# --- the study's outputs -----------------------------------------------------------------------


def test_results_json_is_byte_identical_for_a_seed_and_carries_the_greeks_with_intervals(tmp_path: Path) -> None:
    scenario = options_scenario(traders={"buyers": 2, "writers": 2, "size_log_sd": 0.5})
    reseeded = scenario.model_copy(update={"seed": scenario.seed + 1})

    first_study = run_study(scenario, runs=3, sensitivity=False)
    first = results_json(first_study)
    second = results_json(run_study(scenario, runs=3, sensitivity=False))
    other = results_json(run_study(reseeded, runs=3, sensitivity=False))

    assert first == second
    assert first != other
    document = json.loads(first)
    (market,) = document["options"]["base"]
    assert market["market"] == "ETH-OPTIONS" and market["pool"] == "options-ETH"
    assert len(market["delta"]["mean"]) == scenario.horizon.steps + 1
    assert market["totals"]["vault_pnl_usd"]["runs"] == 3
    assert [row["isolation"] for row in document["options"]["ladder"]] == ["isolated_pools", "monolithic"]
    assert [row["markets"][0]["pool"] for row in document["options"]["ladder"]] == ["options-ETH", "shared"]
    report = render_report(first_study, tmp_path).read_text(encoding="utf-8")
    assert "option_greeks_0" in expected_plots(first_study)
    assert 'data-plot="option_greeks_0"' in report and "Option markets" in report


def test_a_study_without_options_keeps_its_results_without_an_options_key() -> None:
    document = json.loads(
        results_json(run_study(stress_scenario(study={"ladder": ["isolated_pools"]}), runs=1, sensitivity=False))
    )

    assert "options" not in document


def test_a_writer_with_a_reserve_tops_up_and_survives_the_fall_that_liquidates_one_without() -> None:
    # at F = 82 (σ = 0.5 / 0.82, one hour left) 10 puts are worth ≈ 180.0: equity ≈ 225 + 3.0 − 180.0 = 48.0,
    # below the maintenance max(7.5% · 82, 7.5% · 18) · 10 = 61.5, and below 1.2 × that: the writer with a
    # reserve adds 0.5 × 225 = 112.5 first and is not liquidated; at expiry it pays 10 · (100 − 82) = 180
    prices = [100.0, 82.0, 82.0, 82.0, 82.0]
    bare = play(writer_scenario(), prices)
    reserved = play(options_scenario(traders={"buyers": 0, "writers": 1, "writer_top_up_reserve": 1.0}), prices)

    assert bare.options is not None and reserved.options is not None
    assert bare.options.liquidations[0] == 1
    assert bare.options.writer_top_ups_usd[0] == 0.0
    assert reserved.options.liquidations[0] == 0
    assert reserved.options.writer_top_ups_usd[0] == pytest.approx(112.5, abs=1e-6)
    assert reserved.options.settlement_paid_usd[0] == pytest.approx(-180.0, abs=1e-6)
    assert reserved.options.bad_debt_usd[0] == 0.0
    assert sum(reserved.party_pnl_usd.values()) == pytest.approx(0.0, abs=1e-6)
