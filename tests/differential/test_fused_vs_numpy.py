"""Differential tests: the vector engine's fused kernel (numba) against its numpy kernel, on the same inputs.

Hypothesis draws the scenarios of ``test_vector_vs_exact`` (every feature the vector engine
plays: 1-2 markets, monolithic to isolated positions, top-ups, keepers with latency, failures,
congestion, limited capital, gas and a protocol liquidator, depth and impact, LPs fleeing, oracle
lag and staleness) and larger sampled ones (up to 3 markets and 40 traders on 6 paths). Both kernels
play the same paths, traders and uniforms on every rung; every decision must be equal and every
amount within ``tests/support/fused.py``'s tolerances (justified there). Where the two kernels
perform the same operations in the same order (no depth impact, no keeper failure, no shortfall
shared in one step), they must agree bit for bit. The last tests show the check bites.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import pytest
from hypothesis import given, note, settings
from hypothesis import strategies as st

from differential.test_vector_vs_exact import scenario_and_paths
from ringfence.lab.exact.population import draw_uniforms
from ringfence.lab.results import ISOLATION_LEVELS, RunResult
from ringfence.lab.sample import ScenarioPaths, sample_paths
from ringfence.lab.scenario import Scenario
from ringfence.lab.vector import run_vector
from support.fused import identical, kernel_differences
from support.stress import stress_inputs, stress_scenario

pytest.importorskip("numba")

ASSETS = ("ETH", "BTC", "SOL")


def _both(scenario: Scenario, paths: ScenarioPaths, n_paths: int, rung: str, scale: float = 1.0) -> tuple[Any, Any]:
    book, draws = stress_inputs(scenario, n_paths, scale)
    fused = run_vector(scenario, paths, book, draws, rung, scale, kernel="fused")  # type: ignore[arg-type]
    numpy = run_vector(scenario, paths, book, draws, rung, scale, kernel="numpy")  # type: ignore[arg-type]
    return fused, numpy


@settings(max_examples=40)
@given(scenario_and_paths())
def test_the_kernels_agree_on_the_differential_scenarios(inputs: tuple[Scenario, ScenarioPaths]) -> None:
    scenario, paths = inputs
    for rung in ISOLATION_LEVELS:
        fused, numpy = _both(scenario, paths, paths.market.shape[1], rung)
        note(f"{rung}: {sum(len(r.liquidations) for r in numpy)} liquidations")
        assert kernel_differences(fused, numpy) == [], rung


@st.composite
def sampled(draw: st.DrawFn, *, impact: bool = True, failures: bool = True) -> Scenario:
    n_markets = draw(st.integers(1, 3))
    markets = []
    for asset in ASSETS[:n_markets]:
        initial = draw(st.floats(0.05, 0.3))
        depth = draw(st.sampled_from([{}, {"depth_usd": 200_000.0}, {"daily_volume_usd": 5_000.0}])) if impact else {}
        markets.append(
            {
                "asset": asset,
                "initial_margin": initial,
                "maintenance_margin": initial * draw(st.floats(0.3, 0.9)),
                "lp_capital": draw(st.sampled_from([50_000.0, 2_000_000.0])),
                "insurance": draw(st.sampled_from([0.0, 500.0, 20_000.0])),
                "pnl_weight": draw(st.sampled_from([1.0, 0.7])),
                "taker_fee": draw(st.sampled_from([0.0, 0.0005])),
                **depth,
            }
        )
    changes: dict[str, Any] = {
        "seed": draw(st.integers(0, 2**31)),
        "price": [
            {"kind": "gbm", "asset": asset, "initial_price": 100.0, "volatility": draw(st.sampled_from([1.0, 3.0]))}
            for asset in ASSETS[:n_markets]
        ],
        "horizon": {"steps": draw(st.integers(5, 40)), "step_seconds": 3600},
        "venue": {
            "markets": markets,
            "pool": {
                "liquidation_penalty": draw(st.floats(0.0, 0.02)),
                "liquidator_share": draw(st.floats(0.0, 1.0)),
                "close_factor": draw(st.sampled_from([1.0, 0.5])),
                "insurance_draw_cap": draw(st.sampled_from([None, 1_000.0])),
                "backstop_loss_cap": draw(st.sampled_from([0.0, 2_000.0])),
            },
        },
        "population": {
            "traders": draw(st.integers(1, 40)),
            "markets_per_trader": draw(st.integers(1, n_markets)),
            "collateral_mean": 1_000.0,
            "collateral_log_sd": 0.7,
            "leverage_min": 1.0,
            "leverage_max": draw(st.floats(2.0, 25.0)),
            "long_share": draw(st.floats(0.0, 1.0)),
            "top_up_health": draw(st.sampled_from([0.0, 1.5])),
            "top_up_probability": 0.5,
            "top_up_fraction": 0.5,
            "top_up_reserve": draw(st.sampled_from([0.2, 2.0])),
        },
        "keepers": {
            "count": draw(st.integers(1, 3)),
            "latency_seconds": draw(st.sampled_from([0, 3600])),
            "failure_probability": draw(st.sampled_from([0.0, 0.3])) if failures else 0.0,
            "congestion_failure": draw(st.sampled_from([0.0, 0.5])) if failures else 0.0,
            "capital": draw(st.sampled_from([None, 3_000.0])),
            "gas_usd": draw(st.sampled_from([None, 1.0])),
            "protocol_backstop_seconds": draw(st.sampled_from([None, 3600])),
        },
        "liquidity_providers": {"flee_drawdown": draw(st.sampled_from([1.0, 0.01])), "flee_share": 0.5},
    }
    return stress_scenario(**changes)


N_SAMPLED = 6


@settings(max_examples=40)
@given(sampled(), st.sampled_from(ISOLATION_LEVELS), st.sampled_from([0.5, 1.0]))
def test_the_kernels_agree_on_sampled_books(scenario: Scenario, rung: str, scale: float) -> None:
    paths = sample_paths(scenario, N_SAMPLED)
    fused, numpy = _both(scenario, paths, N_SAMPLED, rung, scale)
    note(f"{sum(len(r.liquidations) for r in numpy)} liquidations")
    assert kernel_differences(fused, numpy) == []


@settings(max_examples=40)
@given(sampled(impact=False, failures=False), st.sampled_from(ISOLATION_LEVELS))
def test_without_impact_or_failures_the_decisions_and_records_are_bit_identical(scenario: Scenario, rung: str) -> None:
    # No exp or pow with a non-trivial argument: every decision and each close's amounts are the
    # same operations in the same order in both kernels (the waterfall's split may still differ
    # in the last bits, see tests/support/fused.py).
    paths = sample_paths(scenario, N_SAMPLED)
    fused, numpy = _both(scenario, paths, N_SAMPLED, rung)
    for ours, theirs in zip(fused, numpy, strict=True):
        assert ours.liquidations.tobytes() == theirs.liquidations.tobytes()
        assert ours.market_prices.tobytes() == theirs.market_prices.tobytes()
        assert ours.oracle_prices.tobytes() == theirs.oracle_prices.tobytes()
        assert ours.open_notional_usd.tobytes() == theirs.open_notional_usd.tobytes()
        assert ours.unserved_liquidations == theirs.unserved_liquidations


def test_the_benchmark_model_is_bit_identical() -> None:
    # bench_stress's model in small: one market, isolated positions, whole closes, no impact, no
    # failures; shortfalls draw on a small insurance fund.
    scenario = stress_scenario(
        seed=11,
        horizon={"steps": 60},
        price={"kind": "gbm", "asset": "ETH", "initial_price": 100.0, "volatility": 2.0},
        population={"traders": 200, "collateral_log_sd": 0.8, "leverage_min": 2.0, "leverage_max": 19.0},
        keepers={"count": 1, "latency_seconds": 3600},
    )
    paths = sample_paths(scenario, 8)
    fused, numpy = _both(scenario, paths, 8, "isolated_positions")
    assert sum(len(run.liquidations) for run in numpy) > 100
    assert identical(fused, numpy) == []


# --- the check bites -------------------------------------------------------------------------------


def test_the_check_fails_when_one_kernel_gets_a_wrong_maintenance_margin() -> None:
    scenario = stress_scenario(
        seed=5,
        horizon={"steps": 30},
        price={"kind": "gbm", "asset": "ETH", "initial_price": 100.0, "volatility": 2.0},
        population={"traders": 30, "collateral_log_sd": 0.5, "leverage_min": 2.0, "leverage_max": 9.0},
    )
    market = scenario.venue.markets[0]  # type: ignore[union-attr]
    wrong = stress_scenario(
        seed=5,
        horizon={"steps": 30},
        price={"kind": "gbm", "asset": "ETH", "initial_price": 100.0, "volatility": 2.0},
        population={"traders": 30, "collateral_log_sd": 0.5, "leverage_min": 2.0, "leverage_max": 9.0},
        venue={"markets": [{**market.model_dump(), "maintenance_margin": market.maintenance_margin * 1.01}]},
    )
    paths = sample_paths(scenario, 4)
    book, draws = stress_inputs(scenario, 4)
    honest = run_vector(scenario, paths, book, draws, "isolated_positions", 1.0, kernel="fused")
    numpy = run_vector(scenario, paths, book, draws, "isolated_positions", 1.0, kernel="numpy")
    assert kernel_differences(honest, numpy) == []
    skewed = run_vector(wrong, paths, book, draws, "isolated_positions", 1.0, kernel="fused")
    assert kernel_differences(skewed, numpy) != []


def test_the_check_fails_on_a_last_bit_change_of_an_amount_only_where_it_must() -> None:
    scenario = stress_scenario(
        seed=5,
        horizon={"steps": 30},
        price={"kind": "gbm", "asset": "ETH", "initial_price": 100.0, "volatility": 2.0},
        population={"traders": 30, "collateral_log_sd": 0.5, "leverage_min": 2.0, "leverage_max": 9.0},
    )
    paths = sample_paths(scenario, 2)
    book, draws = stress_inputs(scenario, 2)
    numpy = run_vector(scenario, paths, book, draws, "isolated_positions", 1.0, kernel="numpy")
    moved = numpy[0].insurance_usd.copy()
    moved[0, -1] = np.nextafter(moved[0, -1], np.inf)
    assert identical([_with(numpy[0], insurance_usd=moved)], [numpy[0]]) == ["path 0: insurance_usd"]
    assert kernel_differences([_with(numpy[0], insurance_usd=moved)], [numpy[0]]) == []
    moved[0, -1] += 0.01
    assert kernel_differences([_with(numpy[0], insurance_usd=moved)], [numpy[0]]) != []


def _with(run: RunResult, **changes: Any) -> RunResult:
    return replace(run, **changes)


def test_uniforms_of_every_layout_give_the_same_runs() -> None:
    # Contiguous, sliced and broadcast uniforms are one array type for the kernel (fused._one_type).
    scenario = stress_scenario(
        seed=2,
        horizon={"steps": 20},
        price={"kind": "gbm", "asset": "ETH", "initial_price": 100.0, "volatility": 2.0},
        population={"traders": 20, "collateral_log_sd": 0.5, "leverage_min": 2.0, "leverage_max": 12.0},
    )
    paths = sample_paths(scenario, 3)
    book, _ = stress_inputs(scenario, 3)
    wide = draw_uniforms(scenario, 5, len(book.position_trader))
    sliced = run_vector(scenario, paths, book, wide, "isolated_positions", 1.0, kernel="fused")
    numpy = run_vector(scenario, paths, book, wide, "isolated_positions", 1.0, kernel="numpy")
    assert kernel_differences(sliced, numpy) == []
