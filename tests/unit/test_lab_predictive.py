"""Predictive liquidation, measured (``ringfence.lab.predictive`` and ``predictive_metrics``).

The metric definitions are checked on hand-made cases whose counts are worked out in comments;
the AUC against ``sklearn.metrics.roc_auc_score`` (an independent implementation).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score  # type: ignore[import-untyped]

from ringfence.lab.exact.population import draw_population, draw_uniforms
from ringfence.lab.predictive import run_predictive, split_paths
from ringfence.lab.predictive_metrics import AucScores, auc_estimate, labels, roc_auc, warning_quality
from ringfence.lab.sample import sample_paths
from support.stress import stress_scenario

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
H = 3  # horizon in steps
STEPS = 10  # steps 0..9


def hand_case() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One path, three positions.

    - position 0: liquidated at step 6, evaluated at steps 1-5, warned at 2, 4 and 5.
      Window [6-3, 6-1] = [3, 5]: warnings 4 and 5 are true, 2 is false; first warning in the
      window is 4, lead time 6 - 4 = 2 steps.
    - position 1: never liquidated, evaluated at 1-9, warned at 7: a false warning.
    - position 2: liquidated at step 3, evaluated at 1-2, never warned: a missed liquidation.
    Warnings 4, true 2 -> precision 1/2; liquidations 2, warned 1 -> recall 1/2; lead 2 x 900 s.
    """
    evaluated = np.zeros((1, 3, STEPS), dtype=np.bool_)
    warned = np.zeros((1, 3, STEPS), dtype=np.bool_)
    evaluated[0, 0, 1:6] = True
    warned[0, 0, [2, 4, 5]] = True
    evaluated[0, 1, 1:] = True
    warned[0, 1, 7] = True
    evaluated[0, 2, 1:3] = True
    liquidated = np.array([[6, -1, 3]], dtype=np.int64)
    return warned, evaluated, liquidated


def test_precision_recall_and_lead_time_by_hand() -> None:
    warned, evaluated, liquidated = hand_case()
    quality = warning_quality(warned, evaluated, liquidated, H, 900.0, 0.5)
    assert (quality.warnings, quality.true_warnings) == (4, 2)
    assert (quality.liquidations, quality.warned_liquidations) == (2, 1)
    assert quality.precision is not None and quality.precision.value == 0.5
    assert quality.recall is not None and quality.recall.value == 0.5
    assert dict(quality.lead_time_quantiles_seconds)[0.5] == 1800.0
    # one warned liquidation cannot carry a median's 95% interval: the estimate says how many would
    median = quality.lead_time_median_seconds
    assert median is not None and median.value is None and median.runs_needed == 6


def test_a_warning_outside_evaluated_rows_does_not_count() -> None:
    warned, evaluated, liquidated = hand_case()
    warned[0, 2, 2] = True
    evaluated[0, 2, 2] = False  # e.g. already below maintenance: the keepers know
    quality = warning_quality(warned, evaluated, liquidated, H, 900.0, 0.5)
    assert (quality.warnings, quality.warned_liquidations) == (4, 1)


def test_a_warning_at_the_edge_of_the_horizon_counts_and_one_step_earlier_does_not() -> None:
    # liquidation at step 6, H = 3: a warning at step 3 (6 - 3) is true, at step 2 false
    label = labels(np.array([[6]], dtype=np.int64), STEPS, H)[0, 0]
    assert label.nonzero()[0].tolist() == [3, 4, 5]


def test_pooled_precision_over_two_paths_is_a_ratio_of_sums() -> None:
    warned, evaluated, liquidated = hand_case()
    # path 2: position 0 warned at 5 only (true); precision pooled = (2 + 1) / (4 + 1)
    second_warned = np.zeros_like(warned)
    second_warned[0, 0, 5] = True
    quality = warning_quality(
        np.concatenate([warned, second_warned]),
        np.concatenate([evaluated, evaluated]),
        np.concatenate([liquidated, liquidated]),
        H,
        900.0,
        0.5,
    )
    assert quality.precision is not None and quality.precision.value == pytest.approx(3 / 5, rel=1e-15)
    assert quality.recall is not None and quality.recall.value == pytest.approx(2 / 4, rel=1e-15)


def test_auc_of_a_perfect_score_is_one_and_of_its_reverse_zero() -> None:
    label = np.array([False, False, True, True, False, True])
    score = label.astype(np.float64) + np.linspace(0.0, 0.1, 6)
    assert roc_auc(score, label) == 1.0
    assert roc_auc(-score, label) == 0.0
    assert roc_auc(np.zeros(6), label) == 0.5  # all tied: one half


def test_auc_of_a_random_score_is_about_one_half() -> None:
    rng = np.random.default_rng(11)
    label = rng.random(20_000) < 0.3
    # Under no signal the AUC's standard error is sqrt((n1 + n0 + 1) / (12 n1 n0)) ~ 0.0045 here
    # (Hanley and McNeil 1982); 0.02 is over four of them.
    assert roc_auc(rng.random(20_000), label) == pytest.approx(0.5, abs=0.02)


def test_auc_agrees_with_scikit_learn_with_ties_and_weights() -> None:
    rng = np.random.default_rng(5)
    score = rng.integers(0, 8, 500).astype(np.float64)  # many ties
    label = rng.random(500) < score / 10.0
    assert roc_auc(score, label) == pytest.approx(roc_auc_score(label, score), rel=1e-12)
    weight = rng.integers(0, 4, 500).astype(np.float64)
    assert roc_auc(score, label, weight) == pytest.approx(roc_auc_score(label, score, sample_weight=weight), rel=1e-12)


def test_auc_interval_is_over_paths_and_contains_the_value() -> None:
    rng = np.random.default_rng(2)
    path = np.repeat(np.arange(30, dtype=np.int64), 50)
    label = rng.random(path.size) < 0.2
    score = label + rng.normal(0.0, 1.0, path.size)
    estimate = auc_estimate(AucScores(score, label, path, 30))
    assert estimate is not None and estimate.low is not None and estimate.high is not None
    assert estimate.low < estimate.value < estimate.high  # type: ignore[operator]
    assert estimate.runs == 30
    assert auc_estimate(AucScores(score, np.zeros_like(label), path, 30)) is None  # one class: undefined


def test_split_is_by_path_disjoint_and_seeded() -> None:
    training, held_out = split_paths(10, 0.5, 7)
    assert sorted([*training.tolist(), *held_out.tolist()]) == list(range(10))
    assert len(training) == 5
    again = split_paths(10, 0.5, 7)
    assert training.tolist() == again[0].tolist()


def predictive_scenario():  # type: ignore[no-untyped-def]
    return stress_scenario(
        runs=4,
        seed=17,
        horizon={"steps": 24, "step_seconds": 900},
        price={"kind": "gbm", "asset": "ETH", "initial_price": 100.0, "volatility": 1.5},
        population={
            "traders": 30,
            "leverage_min": 3.0,
            "leverage_max": 9.0,
            "long_share": 0.5,
            "collateral_log_sd": 0.5,
        },
        keepers={"count": 2, "latency_seconds": 900},
    )


def play(scenario):  # type: ignore[no-untyped-def]
    paths = sample_paths(scenario, n_paths=scenario.runs)
    book = draw_population(scenario, 1.0)
    draws = draw_uniforms(scenario, scenario.runs, len(book.position_trader))
    return run_predictive(scenario, paths, (book,), draws, ("isolated_pools", 1.0))


def test_same_seed_gives_the_same_figures_and_the_run_has_liquidations_to_judge() -> None:
    scenario = predictive_scenario()
    first, second = play(scenario), play(scenario)
    assert first == second  # every count, estimate and interval, exactly
    assert first.closed_form_all_paths.liquidations > 0  # otherwise the figures would judge nothing
    assert first.training_paths + first.held_out_paths == 4


def hand_result():  # type: ignore[no-untyped-def]
    from ringfence.lab.estimate import Estimate
    from ringfence.lab.predictive_metrics import PredictiveResult, PredictorQuality, WarningQuality

    def quality(precision: float, recall: float) -> WarningQuality:
        return WarningQuality(
            threshold=0.5,
            warnings=40,
            true_warnings=10,
            liquidations=20,
            warned_liquidations=12,
            precision=Estimate(precision, precision - 0.1, precision + 0.1, "bootstrap", 8),
            recall=Estimate(recall, recall - 0.1, recall + 0.1, "bootstrap", 8),
            lead_time_median_seconds=Estimate(3600.0, 1800.0, 5400.0, "order statistic", 12),
            lead_time_quantiles_seconds=((0.1, 900.0), (0.25, 1800.0), (0.5, 3600.0), (0.75, 5400.0), (0.9, 7200.0)),
        )

    return PredictiveResult(
        isolation="isolated_pools",
        margin_scale=1.0,
        paths=16,
        training_paths=8,
        held_out_paths=8,
        split_seed=3,
        horizon_seconds=14_400,
        threshold=0.5,
        features=("health", "volatility"),
        evaluated_rows=1000,
        positive_rows=50,
        closed_form_all_paths=quality(0.25, 0.6),
        closed_form=PredictorQuality(Estimate(0.871, 0.792, 0.949, "bootstrap over paths", 8), quality(0.25, 0.6)),
        learned=PredictorQuality(Estimate(0.912, 0.85, 0.96, "bootstrap over paths", 8), quality(0.3, 0.7)),
    )


def test_report_section_and_results_json_carry_the_figures_only_when_measured() -> None:
    import json
    from dataclasses import replace

    from ringfence.lab.export import results_json
    from ringfence.lab.report.page import page
    from support.lab_runs import sample_study

    study = sample_study()
    assert "predictive" not in json.loads(results_json(study))
    assert "Predictive liquidation" not in page(study)
    measured = replace(study, predictive=hand_result())
    document = json.loads(results_json(measured))
    assert document["predictive"]["learned"]["auc"]["value"] == 0.912
    assert document["predictive"]["closed_form"]["warnings"]["recall"]["value"] == 0.6
    html = page(measured)
    assert "Predictive liquidation" in html
    assert "0.912" in html and "0.871" in html  # both AUCs printed
    assert "4 h" in html  # the horizon


def test_cli_refuses_more_predictive_paths_than_the_study_plays(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from typer.testing import CliRunner

    from ringfence.cli.main import app

    result = CliRunner().invoke(
        app,
        [
            "stress",
            str(SCENARIOS / "isolation-ladder.toml"),
            "--runs",
            "2",
            "--predictive",
            "5",
            "--out",
            str(tmp_path),
        ],
    )
    assert result.exit_code == 2
    assert "--predictive" in result.output


def test_the_watcher_reads_each_paths_own_maintenance_rate_when_margins_move() -> None:
    # With dynamic margins the engine moves each market's rate per path; the closed form's liquidation
    # price must use the rate in force on that path at that step, not the design's static rate.
    from ringfence.lab.predictive import Recorded
    from ringfence.lab.scenario import load_scenario
    from ringfence.lab.vector.engine import run_vector

    scenario = load_scenario(Path(__file__).parents[2] / "docs" / "scenarios" / "dynamic-margins.toml")
    scenario = scenario.model_copy(update={"runs": 3})
    paths = sample_paths(scenario, n_paths=3)
    book = draw_population(scenario, 1.0)
    draws = draw_uniforms(scenario, 3, len(book.position_trader))
    recorded = Recorded.empty(3, len(book.position_trader), scenario.horizon.steps)

    run_vector(scenario, paths, book, draws, "isolated_pools", 1.0, watch=recorded.watch)

    rates = recorded.maintenance_rate[:, :, 1:]
    assert np.all(rates > 0.0)
    assert np.unique(rates[0, 0]).size > 1  # the rate moved along the path: not a static copy
