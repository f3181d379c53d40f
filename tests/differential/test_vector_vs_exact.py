"""Differential tests: the vectorised stress engine against the exact one, on the same inputs.

Hypothesis draws small scenarios (1-2 markets, 1-6 traders, 3-8 steps, random margins,
leverage, penalties, close factors, insurance caps, keepers (with and without gas, congestion
gas and a protocol liquidator), depth and impact (so closes execute away from the oracle), LPs
fleeing, oracle lag and staleness) and price paths; both engines play the same paths, traders
and uniforms on every rung of the ladder, and must agree on every liquidation decision, on bad
debt, insurance drawdown, contagion, execution cost, gas and unserved liquidations within the
tolerances declared (and justified) in ``tests/support/differential.py``; in every run of both
the parties' P&L sums to zero.
A check that cannot fail would prove nothing: the last tests feed one engine a wrong parameter
and show that the check catches it.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, note
from hypothesis import strategies as st

from ringfence.lab.exact.runner import run_exact
from ringfence.lab.oracle import observe_oracle
from ringfence.lab.results import ISOLATION_LEVELS, LIQUIDATION_DTYPE, IsolationLevel, RunResult
from ringfence.lab.sample import ScenarioPaths
from ringfence.lab.scenario import Scenario
from ringfence.lab.vector.engine import run_vector
from support.differential import (
    DECISION_BAND_USD,
    METRIC_TOLERANCE_USD,
    MarginTrace,
    Played,
    conservation_problems,
    disagreements,
    play_both,
)
from support.stress import hand_paths, stress_inputs, stress_scenario

ASSETS = ("ETH", "BTC")
STEP_SECONDS = 3600
N_PATHS = 2


@st.composite
def markets(draw: st.DrawFn, n_markets: int, with_depth: bool) -> list[dict[str, Any]]:
    designs = []
    for asset in ASSETS[:n_markets]:
        # Deep enough that no step's liquidations move a price 100-fold: the exact layout's oracle
        # jump guard (100x) would hold such a move back, which the vector engine does not model.
        # Each market draws its own depth, explicit or from the square-root law (daily volume and
        # the GBM's volatility 0.5/sqrt(365) with Y = 1: the same order as the explicit depths).
        # Coefficient 3 on the deeper book: executions far from the oracle, a price still moved less
        # than 100-fold.
        depth = draw(
            st.sampled_from(
                [
                    {},
                    {"depth_usd": 100_000.0},
                    {"depth_usd": 1_000_000.0},
                    {"depth_usd": 1_000_000.0, "impact_coefficient": 3.0},
                ]
            )
        )
        volume = {"daily_volume_usd": draw(st.sampled_from([200.0, 2_000.0])), "impact_coefficient": 1.0}
        liquidity = (volume if draw(st.booleans()) else depth) if with_depth else {}
        initial = draw(st.floats(0.05, 0.4))
        designs.append(
            {
                "asset": asset,
                "initial_margin": initial,
                "maintenance_margin": initial * draw(st.floats(0.3, 0.9)),
                "lp_capital": draw(st.sampled_from([20_000.0, 1_000_000.0])),
                "insurance": draw(st.sampled_from([0.0, 200.0, 5_000.0])),
                "pnl_weight": draw(st.sampled_from([1.0, 0.8])),
                "taker_fee": draw(st.sampled_from([0.0, 0.001])),
                **liquidity,
            }
        )
    return designs


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    n_markets = draw(st.integers(1, 2))
    latency = draw(st.sampled_from([0, 3600]))
    staleness = draw(st.sampled_from([None, 5400, 3000]))  # 3000 with a 2-hour cadence: every other step stale
    changes: dict[str, Any] = {
        "price": [
            {"kind": "gbm", "asset": asset, "initial_price": 100.0, "volatility": 0.5} for asset in ASSETS[:n_markets]
        ],
        "horizon": {"steps": draw(st.integers(3, 8)), "step_seconds": STEP_SECONDS},
        "oracle": {
            "latency_seconds": latency,
            "cadence_seconds": draw(st.sampled_from([None, 7200])),
            "staleness_seconds": staleness if staleness is None or staleness > latency else None,
        },
        "venue": {
            "markets": draw(markets(n_markets, draw(st.booleans()))),
            "pool": {
                "liquidation_penalty": draw(st.floats(0.0, 0.05)),
                "liquidator_share": draw(st.floats(0.0, 1.0)),
                "close_factor": draw(st.sampled_from([1.0, 0.5, 0.25])),
                "insurance_draw_cap": draw(st.sampled_from([None, 100.0, 1_000.0])),
                "backstop_loss_cap": draw(st.sampled_from([0.0, 300.0])),
                "reserve_factor": draw(st.sampled_from([10.0, 0.3])),
            },
        },
        "population": {
            "traders": draw(st.integers(1, 6)),
            "markets_per_trader": draw(st.integers(1, n_markets)),
            "collateral_mean": 1_000.0,
            "collateral_log_sd": 0.7,
            "leverage_min": 1.0,
            "leverage_max": draw(st.floats(1.5, 25.0)),
            "long_share": draw(st.floats(0.0, 1.0)),
            "top_up_health": draw(st.sampled_from([0.0, 1.5])),
            "top_up_probability": 0.5,
            "top_up_fraction": 0.5,
            # below one top-up's worth: a reserve is spent at once, never left at a float residue
            # (see test_a_top_up_below_one_quote_atom_does_not_crash_the_exact_run)
            "top_up_reserve": 0.2,
        },
        "keepers": {
            "count": draw(st.integers(1, 3)),
            "latency_seconds": draw(st.sampled_from([0, 3600, 7200])),
            "failure_probability": draw(st.sampled_from([0.0, 0.3])),
            "congestion_failure": draw(st.sampled_from([0.0, 0.5])),
            "congestion_scale": 1.0,
            "capital": draw(st.sampled_from([None, 2_000.0])),
            # keepers for profit: no gas (act whatever a close pays), or gas near a small close's bonus.
            # Not gas 0: a bonus below one quote atom (a liquidator share of 1e-78) would be a tie the
            # exact engine pays 0 atoms for; at a positive gas a tie within an atom is as unlikely as a
            # top-up tie (see tests/support/differential.py).
            "gas_usd": draw(st.sampled_from([None, 0.5, 3.0])),
            "congestion_gas": draw(st.sampled_from([0.0, 2.0])),
            "protocol_backstop_seconds": draw(st.sampled_from([None, 0, 3600])),
        },
        "liquidity_providers": {"flee_drawdown": draw(st.sampled_from([1.0, 0.005])), "flee_share": 0.5},
    }
    designs = changes["venue"]["markets"]
    if n_markets == 2 and draw(st.booleans()):
        # a line one way or the other, of a quarter or the whole of the lender's LP capital (then the
        # lender's own reserve has nothing left: its traders' net exposure must stay 0)
        lender, borrower = draw(st.permutations([0, 1]))
        changes["venue"]["credit_lines"] = [
            {
                "lender": designs[lender]["asset"],
                "borrower": designs[borrower]["asset"],
                "cap": designs[lender]["lp_capital"] * draw(st.sampled_from([0.25, 1.0])),
                "rate_per_year": draw(st.sampled_from([0.0, 0.08])),
            }
        ]
    return stress_scenario(**changes)


def rungs_of(scenario: Scenario) -> tuple[IsolationLevel, ...]:
    """Return the rungs both engines play for ``scenario``: the ladder, and the credit-lines rung when it has lines."""
    lines = scenario.venue is not None and bool(scenario.venue.credit_lines)
    return (*ISOLATION_LEVELS, "credit_lines") if lines else ISOLATION_LEVELS


def credit_problems(played: Played) -> list[str]:
    """Return where the engines part on a line: the lender's loss (within the metric tolerance), a draw (none)."""
    problems = []
    for path, (vector, exact) in enumerate(zip(played.vector, played.exact, strict=True)):
        gap = float(np.max(np.abs(vector.credit_line_loss_usd - exact.credit_line_loss_usd), initial=0.0))
        if not gap <= METRIC_TOLERANCE_USD:
            problems.append(f"path {path}: lender loss {vector.credit_line_loss_usd} vs {exact.credit_line_loss_usd}")
        if np.any(exact.credit_line_drawn_usd != 0.0):
            problems.append(
                f"path {path}: the exact engine drew {exact.credit_line_drawn_usd} (the vector never draws)"
            )
        if not np.all(exact.credit_line_loss_usd <= exact.credit_line_cap_usd):
            problems.append(f"path {path}: a lender lost more than its line")
    return problems


@st.composite
def scenario_and_paths(draw: st.DrawFn) -> tuple[Scenario, ScenarioPaths]:
    scenario = draw(scenarios())
    n_assets, steps = len(scenario.processes), scenario.horizon.steps
    returns = draw(
        st.lists(st.floats(-0.3, 0.2), min_size=n_assets * N_PATHS * steps, max_size=n_assets * N_PATHS * steps)
    )
    log_prices = np.cumsum(np.asarray(returns).reshape(n_assets, N_PATHS, steps), axis=2)
    market = 100.0 * np.exp(np.concatenate([np.zeros((n_assets, N_PATHS, 1)), log_prices], axis=2))
    model = scenario.oracle
    observed = [
        observe_oracle(market[i], STEP_SECONDS, model.latency_seconds, model.cadence_seconds) for i in range(n_assets)
    ]
    age = observed[0].age_seconds
    stale = age > model.staleness_seconds if model.staleness_seconds is not None else np.zeros(age.shape, bool)
    paths = ScenarioPaths(scenario.assets, market, np.stack([o.prices for o in observed]), age, stale)
    return scenario, paths


@given(scenario_and_paths())
def test_both_engines_agree_on_liquidations_and_losses(inputs: tuple[Scenario, ScenarioPaths]) -> None:
    scenario, paths = inputs
    book, draws = stress_inputs(scenario, N_PATHS)
    for rung in rungs_of(scenario):
        played = play_both(scenario, paths, book, draws, rung)
        problems, excused = disagreements(played)
        problems += credit_problems(played)
        note(f"{rung}: {sum(len(r.liquidations) for r in played.exact)} exact liquidations, {excused} excused paths")
        assert problems == [], f"{rung}: {problems}"
        assert conservation_problems(scenario, played.vector + played.exact) == []


# --- the check bites -------------------------------------------------------------------------------


def _crossing() -> tuple[Scenario, ScenarioPaths]:
    # Long 5x with 1000 USD (size 50 at 100), maintenance 10%: liquidatable below 88.89 (45 P < 4000);
    # with maintenance 11% below 89.89 (44.5 P < 4000). The price rests at 89.5 for two steps, then 86.
    return stress_scenario(horizon={"steps": 5}), hand_paths([[100.0, 95.0, 89.5, 89.5, 86.0, 86.0]])


def test_the_check_fails_when_one_engine_gets_a_wrong_maintenance_margin() -> None:
    scenario, paths = _crossing()
    market = scenario.venue.markets[0]  # type: ignore[union-attr]
    wrong = stress_scenario(
        horizon={"steps": 5},
        venue={"markets": [{**market.model_dump(), "maintenance_margin": market.maintenance_margin * 1.1}]},
    )
    book, draws = stress_inputs(scenario, 1)
    honest, _ = disagreements(play_both(scenario, paths, book, draws, "isolated_positions"))
    assert honest == []
    problems, excused = disagreements(
        play_both(scenario, paths, book, draws, "isolated_positions", vector_scenario=wrong)
    )
    assert excused == 0
    assert len(problems) == 1
    assert "step 2: liquidation decisions differ for trader 0 market 0" in problems[0]


def test_the_check_fails_when_one_engine_gets_a_wrong_insurance_fund() -> None:
    # Same decisions (a jump to 70 bankrupts the trader: shortfall 500), but the vector engine is
    # told the fund holds 600 instead of 300: it draws 500 instead of 300, a drawdown 200 USD off,
    # and the 200 more drawn into the vault shows in the market's vault P&L (1000 + 500 vs 1000 + 300).
    scenario = stress_scenario()
    market = scenario.venue.markets[0]  # type: ignore[union-attr]
    wrong = stress_scenario(venue={"markets": [{**market.model_dump(), "insurance": 600.0}]})
    paths = hand_paths([[100.0, 70.0, 70.0, 70.0, 70.0]])
    book, draws = stress_inputs(scenario, 1)
    problems, _ = disagreements(play_both(scenario, paths, book, draws, "subaccounts", vector_scenario=wrong))
    assert len(problems) == 2
    assert problems[0].startswith("path 0: insurance drawdown vector [500.0] vs exact [300.0]")
    assert problems[1].startswith("path 0: vault P&L by market vector [1500.0] vs exact [1300.0]")


# --- the band excuses only what is inside it -------------------------------------------------------


def _result(engine: str, steps: list[int]) -> RunResult:
    rows = np.zeros(len(steps), dtype=LIQUIDATION_DTYPE)
    rows["step"] = steps
    zeros = np.zeros((1, 4))
    return RunResult(
        engine,  # type: ignore[arg-type]
        "isolated_positions",
        1.0,
        0,
        ("ETH",),
        ("ETH-PERP",),
        ("pool-ETH",),
        STEP_SECONDS,
        zeros,
        zeros,
        rows,
        np.zeros(1),
        zeros,
        zeros,
        np.zeros(1),
        np.zeros(1),
        0.0,
        np.zeros(4),
        1000.0,
        0.0,
    )


@pytest.mark.parametrize(("gap_usd", "excused", "problems"), [(DECISION_BAND_USD / 2, 1, 0), (0.01, 0, 1)])
def test_a_decision_differs_legitimately_only_inside_the_band(gap_usd: float, excused: int, problems: int) -> None:
    # The vector engine liquidates trader 0 at step 2, the exact engine at step 3. At step 2 the
    # unit's equity was gap_usd from its requirement: inside the band the paths have merely parted.
    trace = MarginTrace()
    trace(2, np.array([[1000.0 - gap_usd]]), np.array([[1000.0]]))
    played = Played((_result("vector", [2]),), (_result("exact", [3]),), trace, {(0, 0): 0})
    found, skipped = disagreements(played)
    assert (skipped, len(found)) == (excused, problems)


# --- found by these tests ----------------------------------------------------------------------------


def test_a_top_up_below_one_quote_atom_does_not_crash_the_exact_run() -> None:
    # Reserve 1e-10 x 1000 USD = 1e-7 USD: below one atom, but positive, so the trader tops up.
    scenario = stress_scenario(population={"top_up_health": 5.0, "top_up_probability": 1.0, "top_up_reserve": 1e-10})
    book, draws = stress_inputs(scenario, 1)
    result = run_exact(scenario, hand_paths([[100.0] * 5]), book, draws[0], "isolated_positions", 1.0, 0)
    assert result.collateral_usd == pytest.approx(1000.0)


def test_a_price_beyond_the_wad_range_does_not_crash_the_exact_run() -> None:
    # A short against a price gone to 1e21: bankrupt, so once prices are clamped it is liquidated once.
    scenario = stress_scenario(population={"long_share": 0.0})
    book, draws = stress_inputs(scenario, 1)
    result = run_exact(scenario, hand_paths([[100.0, 1e21, 1e21, 1e21, 1e21]]), book, draws[0], "monolithic", 1.0, 0)
    assert result.liquidations.shape == (1,)


@pytest.mark.parametrize("rung", ISOLATION_LEVELS)
def test_both_engines_count_a_position_left_underwater_as_latent_bad_debt(rung: IsolationLevel) -> None:
    # Keepers always fail: the 5x long with 1000 USD (notional 5000) ends at 70, equity 1000 - 1500 = -500.
    # The oracle marks count the whole 1500 loss as owed to the vault; the 500 the trader cannot pay
    # is written off, so the market's vault P&L is the 1000 of margin.
    scenario = stress_scenario(keepers={"failure_probability": 1.0})
    book, draws = stress_inputs(scenario, 1)
    paths = hand_paths([[100.0, 90.0, 80.0, 70.0, 70.0]])
    exact = run_exact(scenario, paths, book, draws[0], rung, 1.0, 0)
    (vector,) = run_vector(scenario, paths, book, draws, rung, 1.0)
    for result in (exact, vector):
        assert result.liquidations.size == 0
        # 1e-5 USD: the exact engine truncates the size to a base atom and the PnL to a quote atom
        np.testing.assert_allclose(result.latent_bad_debt_usd, [500.0], atol=1e-5)
        assert result.protocol_loss_usd == pytest.approx(500.0, abs=1e-5)
        np.testing.assert_allclose(result.vault_pnl_by_market_usd, [1000.0], atol=1e-5)


# --- credit lines -----------------------------------------------------------------------------------


def _credit(cap: float) -> Scenario:
    """Two pools, ETH (1,000,000 of LPs) lending ``cap`` to BTC (10,000), reserve factor 100%, one trader long 5x
    in each with 4,000 USD (20,000 of notional: above BTC's reserve alone, within it with a line of 10,000+)."""
    return stress_scenario(
        price={
            "kind": "correlated_gbm",
            "assets": list(ASSETS),
            "initial_prices": [100.0, 100.0],
            "volatilities": [0.5, 0.5],
            "correlation": [[1.0, 0.0], [0.0, 1.0]],
        },
        venue={
            "pool": {"reserve_factor": 1.0},
            "markets": [
                {"asset": "ETH", "initial_margin": 0.15, "maintenance_margin": 0.1, "lp_capital": 1_000_000.0},
                {"asset": "BTC", "initial_margin": 0.15, "maintenance_margin": 0.1, "lp_capital": 10_000.0},
            ],
            "credit_lines": [{"lender": "ETH", "borrower": "BTC", "cap": cap, "rate_per_year": 0.08}],
        },
        population={"traders": 1, "markets_per_trader": 2, "collateral_mean": 8_000.0, "long_share": 1.0},
    )


def test_both_engines_agree_on_a_lines_room_and_its_lenders_loss() -> None:
    scenario = _credit(50_000.0)
    # BTC rallies: the long's unrealised 20,000 (at 200) passes the 10,000 vault; ETH crashes: its long is liquidated
    paths = hand_paths([[100.0, 90.0, 60.0, 40.0, 40.0], [100.0, 125.0, 150.0, 175.0, 200.0]], ASSETS)
    book, draws = stress_inputs(scenario, 1)

    played = play_both(scenario, paths, book, draws, "credit_lines")

    assert disagreements(played)[0] == []
    assert credit_problems(played) == []
    assert played.exact[0].credit_line_loss_usd[0] == pytest.approx(10_000.0, abs=1e-5)
    assert conservation_problems(scenario, played.vector + played.exact) == []


def test_the_check_fails_when_one_engine_gets_a_wrong_cap() -> None:
    scenario, wrong = _credit(50_000.0), _credit(12_000.0)
    paths = hand_paths([[100.0] * 5, [100.0, 150.0, 220.0, 330.0, 500.0]], ASSETS)
    book, draws = stress_inputs(scenario, 1)

    played = play_both(scenario, paths, book, draws, "credit_lines", vector_scenario=wrong)

    # the exact lender loses its whole 50,000 line (a deficit of 70,000), the vector one its 12,000
    problems = credit_problems(played)
    assert len(problems) == 1
    assert "lender loss" in problems[0]
    assert any("contagion" in problem for problem in disagreements(played)[0])
