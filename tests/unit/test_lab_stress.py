"""The study runner (``ringfence.lab.stress``): replays play N runs, the sensitivity section, engines agree.

The replay here is a hand-written CSV (a 30% fall over 12 hours) under a population of 30 traders
with spread collateral and leverage, so every run's population differs from the others'.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from ringfence.cli.main import app
from ringfence.core.errors import InvalidParameter
from ringfence.lab import confirm
from ringfence.lab.assumptions import scenario_assumptions
from ringfence.lab.errors import ScenarioError
from ringfence.lab.exact.population import draw_population, draw_uniforms
from ringfence.lab.export import results_json
from ringfence.lab.metrics import protocol_losses
from ringfence.lab.sample import fixed_path, sample_paths
from ringfence.lab.scenario import Scenario
from ringfence.lab.sensitivity import scale_depth, sensitivity_variants
from ringfence.lab.stress import STATISTICS_ASSUMPTIONS, check_study_inputs, collect_runs, run_sensitivity, run_study
from ringfence.lab.vector import run_vector
from support import differential
from support.differential import disagreements, play_both
from support.stress import stress_scenario

STEPS = 12
MARKET = {"asset": "ETH", "initial_margin": 0.15, "maintenance_margin": 0.1, "lp_capital": 1_000_000.0}
DEEP_MARKET = {**MARKET, "insurance": 300.0, "depth_usd": 2_000_000.0, "impact_coefficient": 0.5}
PRICES = [100.0 - 2.5 * step for step in range(STEPS + 1)]  # 100 → 70
POPULATION = {
    "traders": 30,
    "collateral_log_sd": 0.6,
    "leverage_min": 2.0,
    "leverage_max": 9.0,
    "long_share": 0.8,
    "top_up_health": 1.2,
    "top_up_probability": 0.3,
}


def replay_scenario(tmp_path: Path) -> Scenario:
    csv = tmp_path / "prices.csv"
    csv.write_text(
        "timestamp,price\n" + "".join(f"{1_600_000_000 + 3600 * i},{price}\n" for i, price in enumerate(PRICES)),
        encoding="utf-8",
    )
    return stress_scenario(
        runs=2,
        horizon={"steps": STEPS, "step_seconds": 3600},
        price={"kind": "historical", "asset": "ETH", "csv": str(csv)},
        population=POPULATION,
        keepers={"count": 2, "latency_seconds": 3600, "failure_probability": 0.2},
        venue={"markets": [DEEP_MARKET]},
    )


def test_runs_on_a_replay_play_that_many_distinct_runs(tmp_path: Path) -> None:
    scenario = replay_scenario(tmp_path)
    assert fixed_path(scenario)

    study = collect_runs(scenario, runs=5)

    base = study.runs[study.own]
    assert [run.path_index for run in base] == [0, 1, 2, 3, 4]
    # the same recorded path every run (the oracle reads it before any liquidation moves the market)
    assert all(run.oracle_prices[0, 0] == 100.0 for run in base)
    # ... and five populations: five different deposits
    assert len({run.collateral_usd for run in base}) == 5


def test_the_cli_plays_five_runs_of_the_black_thursday_replay(tmp_path: Path) -> None:
    # On the old main, --runs 5 on a replay played one path: one row, one number for mean, VaR and EVaR.
    scenario = Path(__file__).resolve().parents[2] / "scenarios" / "black-thursday.toml"
    arguments = ["stress", str(scenario), "--runs", "5", "--engine", "vector", "--no-sensitivity"]

    result = CliRunner().invoke(app, [*arguments, "--out", str(tmp_path)])

    assert result.exit_code == 0, result.output
    runs = json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))["base"]["runs"]
    assert runs["path_index"] == [0, 1, 2, 3, 4]
    assert len(set(runs["total_bad_debt_usd"])) == 5


def test_both_engines_agree_on_every_run_of_a_replay(tmp_path: Path) -> None:
    # Differential on a replay: each run's own population and uniforms, both engines, the declared
    # tolerances of tests/support/differential.py (decision band 1e-4 USD, metrics 1e-3 USD).
    scenario = replay_scenario(tmp_path)
    paths = sample_paths(scenario, n_paths=4)
    width = len(draw_population(scenario, 1.0, run=0).position_trader)
    draws = draw_uniforms(scenario, 4, width)
    for run in range(4):
        book = draw_population(scenario, 1.0, run=run)
        one = sample_paths(scenario, n_paths=1)
        played = play_both(scenario, one, book, draws[run : run + 1], "isolated_pools")
        problems, _ = disagreements(played)
        assert problems == [], (run, problems)
    assert paths.market.shape[1] == 4
    vector = collect_runs(scenario, engine="vector", runs=4)
    exact = collect_runs(scenario, engine="exact", runs=4)
    for design, runs in vector.runs.items():
        np.testing.assert_allclose(
            protocol_losses(runs), protocol_losses(exact.runs[design]), rtol=0.0, atol=1e-3
        )  # METRIC_TOLERANCE_USD
        assert [r.liquidations.size for r in runs] == [r.liquidations.size for r in exact.runs[design]]


def test_a_replays_populations_differ_by_run_and_repeat_by_seed(tmp_path: Path) -> None:
    scenario = replay_scenario(tmp_path)
    first, again = draw_population(scenario, 1.0, run=3), draw_population(scenario, 1.0, run=3)
    other = draw_population(scenario, 1.0, run=4)
    assert np.array_equal(first.collateral_usd, again.collateral_usd)
    assert not np.array_equal(first.collateral_usd, other.collateral_usd)


def test_scale_depth_multiplies_the_depth_and_needs_one() -> None:
    scenario = stress_scenario(venue={"markets": [{**DEEP_MARKET, "depth_usd": 1_000_000.0}]})
    doubled = scale_depth(scenario, 2.0)
    assert doubled is not None and doubled.venue is not None
    assert doubled.venue.markets[0].depth_usd == 2_000_000.0
    assert scale_depth(stress_scenario(), 2.0) is None


def test_sensitivity_variants_state_their_settings_and_skip_what_is_missing() -> None:
    scenario = stress_scenario(
        venue={"markets": [DEEP_MARKET]}, keepers={"count": 1, "latency_seconds": 3600}, population=POPULATION
    )
    variants, skipped = sensitivity_variants(scenario)
    by_name = {variant.parameter: variant for variant in variants}
    assert list(by_name) == ["depth", "keeper latency", "volatility", "leverage"]
    assert [item.parameter for item in skipped] == ["correlation"]  # one GBM asset
    latency = by_name["keeper latency"]
    assert latency.low.keepers is not None and latency.low.keepers.latency_seconds == 1800
    assert latency.high.keepers is not None and latency.high.keepers.latency_seconds == 7200
    volatility = by_name["volatility"]
    # 0.5 · 0.75 = 0.375 and 0.5 · 1.25 = 0.625
    assert [v.processes[0].volatility for v in (volatility.low, volatility.high)] == [0.375, 0.625]  # type: ignore[union-attr]
    leverage = by_name["leverage"]
    assert leverage.low.population is not None and leverage.high.population is not None
    assert (leverage.low.population.leverage_min, leverage.low.population.leverage_max) == (1.5, 6.75)
    assert (leverage.high.population.leverage_min, leverage.high.population.leverage_max) == (2.5, 11.25)


def test_correlation_moves_to_zero_and_095() -> None:
    scenario = stress_scenario(
        price={
            "kind": "correlated_gbm",
            "assets": ["ETH"],
            "initial_prices": [100.0],
            "volatilities": [0.5],
            "correlation": [[1.0]],
        }
    )
    _, skipped = sensitivity_variants(scenario)
    assert "correlation" in [item.parameter for item in skipped]  # one asset: no correlation to move


def test_run_study_fills_the_tornado(tmp_path: Path) -> None:
    scenario = replay_scenario(tmp_path)
    study = run_study(scenario, engine="vector", runs=3)
    assert study.sensitivity_base is not None and study.sensitivity_base.runs == 3
    assert [bar.parameter for bar in study.sensitivity] == ["depth", "keeper latency", "leverage"]
    assert {name for name, _ in study.sensitivity_skipped} == {"volatility", "correlation"}
    depth = study.sensitivity[0]
    # shallower markets (depth × 0.5) move more on the same sales: at least as much loss as deeper ones
    assert depth.low.value is not None and depth.high.value is not None
    assert depth.low.value >= depth.high.value
    # the base figure is the mean protocol loss of the study's own runs
    assert study.sensitivity_base.value == pytest.approx(float(protocol_losses(study.base).mean()), abs=0.0)


def test_run_sensitivity_plays_its_own_base_on_the_exact_studys_scenario(tmp_path: Path) -> None:
    scenario = replay_scenario(tmp_path)
    tornado = run_sensitivity(scenario, runs=2)
    vector = collect_runs(scenario, engine="vector", runs=2)
    assert tornado.base.value == float(protocol_losses(vector.runs[vector.own]).mean())


def test_confirmation_tolerances_are_the_differential_tests_declared_ones() -> None:
    assert confirm.DECISION_BAND_USD == differential.DECISION_BAND_USD
    assert confirm.METRIC_TOLERANCE_USD == differential.METRIC_TOLERANCE_USD


def test_a_vector_study_confirmed_on_the_exact_engine_agrees(tmp_path: Path) -> None:
    scenario = stress_scenario(
        runs=3,
        horizon={"steps": 8, "step_seconds": 3600},
        price={"kind": "gbm", "asset": "ETH", "initial_price": 100.0, "volatility": 1.5},
        population=POPULATION,
        keepers={"count": 2, "latency_seconds": 3600, "failure_probability": 0.2},
        venue={"markets": [DEEP_MARKET]},
    )
    study = run_study(scenario, engine="vector", sensitivity=False, confirm=2)
    assert [row.isolation for row in study.confirmation] == list(scenario.study.ladder)
    for row in study.confirmation:
        assert row.paths == 2 and row.agrees and row.agreeing + row.excused == 2, row
        assert row.largest_gap_usd <= confirm.METRIC_TOLERANCE_USD
    document = json.loads(results_json(study))
    assert document["confirmation"][0]["paths"] == 2


def test_confirm_is_refused_when_it_cannot_be_done(tmp_path: Path) -> None:
    scenario = replay_scenario(tmp_path)
    with pytest.raises(InvalidParameter, match="confirm"):
        run_study(scenario, engine="exact", runs=2, confirm=1)
    with pytest.raises(InvalidParameter, match="confirm"):
        run_study(scenario, engine="vector", runs=2, confirm=3)
    black_thursday = Path(__file__).resolve().parents[2] / "scenarios" / "black-thursday.toml"
    arguments = ["stress", str(black_thursday), "--engine", "exact", "--confirm", "2", "--out", str(tmp_path / "o")]
    result = CliRunner().invoke(app, arguments, env={"COLUMNS": "200"})
    assert result.exit_code == 2 and "add --engine vector" in result.output
    assert not (tmp_path / "o").exists()


def test_a_margin_scale_that_would_be_capped_is_refused_by_name() -> None:
    # IM 0.15 · 7 = 105%: both engines would cap it at 100% and play another venue than the file's
    scenario = stress_scenario(study={"margin_scales": [1.0, 7.0]})
    with pytest.raises(ScenarioError) as caught:
        collect_runs(scenario, runs=1)
    assert caught.value.keys == ("study.margin_scales",)


def test_a_penalty_above_the_scaled_maintenance_margin_is_refused_by_name() -> None:
    # MM 0.1 · 0.05 = 0.005 < penalty 0.01: the engines would cap the penalty at 0.005
    scenario = stress_scenario(study={"margin_scales": [0.05, 1.0]})
    with pytest.raises(ScenarioError) as caught:
        check_study_inputs(scenario)
    assert caught.value.keys == ("venue.pool.liquidation_penalty",)
    check_study_inputs(stress_scenario())  # the base scenario passes


def test_the_vector_engine_plays_one_population_per_path_as_if_each_were_alone(tmp_path: Path) -> None:
    # One call with a population per path must give what one call per path gives (paths do not interact).
    scenario = replay_scenario(tmp_path)
    paths = sample_paths(scenario, n_paths=3)
    books = [draw_population(scenario, 1.0, run=run) for run in range(3)]
    draws = draw_uniforms(scenario, 3, len(books[0].position_trader))
    together = run_vector(scenario, paths, books, draws, "isolated_pools", 1.0)
    for run in range(3):
        one = sample_paths(scenario, n_paths=1)
        alone = run_vector(scenario, one, books[run], draws[run : run + 1], "isolated_pools", 1.0)[0]
        np.testing.assert_allclose(together[run].bad_debt_usd, alone.bad_debt_usd, rtol=1e-12, atol=1e-9)
        assert together[run].collateral_usd == alone.collateral_usd
        assert together[run].liquidations.tolist() == alone.liquidations.tolist()
        np.testing.assert_allclose(together[run].lp_nav_usd, alone.lp_nav_usd, rtol=1e-12)


def test_per_path_populations_of_another_layout_are_refused() -> None:
    scenario = stress_scenario(runs=2)
    paths = sample_paths(scenario, n_paths=2)
    book = draw_population(scenario, 1.0)
    draws = draw_uniforms(scenario, 2, len(book.position_trader))
    with pytest.raises(InvalidParameter, match="one per path"):
        run_vector(scenario, paths, [book], draws, "isolated_pools", 1.0)


def test_two_workers_give_byte_identical_results(tmp_path: Path) -> None:
    scenario = replay_scenario(tmp_path)
    # One pool of two spawned processes (LocalBackend(2)), for the designs' chunks and the tornado alike.
    one = results_json(run_study(scenario, engine="vector", runs=3, sensitivity=False, workers=1))
    two = results_json(run_study(scenario, engine="vector", runs=3, sensitivity=False, workers=2))
    assert one == two


def test_a_study_lists_its_assumptions_without_machine_paths(tmp_path: Path) -> None:
    scenario = replay_scenario(tmp_path)
    study = run_study(scenario, engine="vector", runs=2, sensitivity=False)
    # the scenario's assumptions (lab/assumptions.py), then the statistics' settings with their reasons
    assert study.assumptions == (*scenario_assumptions(scenario), *STATISTICS_ASSUMPTIONS)
    assert STATISTICS_ASSUMPTIONS[-1].value == "max($100, 1e-6 × LP capital)"
    assert str(tmp_path) not in results_json(study).decode("utf-8")
