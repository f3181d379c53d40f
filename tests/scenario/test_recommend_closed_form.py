"""Acceptance: ``recommend`` finds the analytical maintenance margin inside its interval.

**The closed form.** A long position of leverage ``L`` opened at ``P0`` with collateral ``C`` has
equity ``C·(1 + L·(x − 1))`` when the price has moved by the factor ``x``; it is bankrupt (equity
below 0) exactly when ``x < 1 − 1/L``. Under GBM with drift ``μ`` and volatility ``σ`` over one
step ``Δ`` (in years), ``ln x ~ N((μ − σ²/2)Δ, σ²Δ)``, so

    P(bad debt) = Φ( (ln(1 − 1/L) − (μ − σ²/2)Δ) / (σ√Δ) ).

The traders lever up to the cap the population model allows, ``L = 0.95 / IM`` (``docs/stress-
model.md``, Population), and the recommendation moves ``IM = r · MM`` with the scenario's ratio
``r``. Setting the probability to α and solving for MM:

    MM* = (0.95 / r) · (1 − exp((μ − σ²/2)Δ + σ√Δ · Φ⁻¹(α))).

**Why the engine's mechanics match it exactly.** The scenario is built so that nothing but the
one-step price move decides bad debt:

- one grid step (``horizon.steps = 1``), so bad debt can only come from the move between the
  opening at ``t = 0`` and the single monitoring step (no discrete first-passage question);
- GBM is sampled exactly (``lab/paths.py``: ``S·exp((μ − σ²/2)Δ + σ√Δ Z)``, no discretisation error);
- no price impact (no depth in any market), oracle latency 0: the oracle and the execution price
  equal the exogenous price, so a close costs nothing beyond the move;
- isolated positions, every trader long with leverage drawn at 100× and capped to ``0.95 / IM``
  (binding on the whole grid: ``IM ≥ 0.0095``), taker fee 0, penalty 0, no top-ups: every
  position of a pool has the same ``L`` and sees the same price, so the pool has bad debt iff
  ``x < 1 − 1/L`` (collateral sizes scale the amount, not the event);
- keepers act at once and never fail, but it does not matter: a unit not liquidated at step 1 is
  still bankrupt at the same final price, and the measure counts latent bad debt too. A unit that
  is not bankrupt has no bad debt whether it is liquidated or not (its equity pays the close).

Target $0 (any bad debt), so the event is exactly ``equity < 0``. Three pools with different
volatilities, one with a drift, give three different answers.

**Tolerances.** None: the assertion is that the 95% bootstrap interval of the α-crossing contains
MM*, and that the interval of the recommended grid level, widened by one grid step on its loose
side (the grid can only bracket a continuous threshold), contains it too. The test is seeded, so
it is deterministic; a wrong closed form (dropping the IM/MM ratio) must fall outside, which
checks that the assertion bites.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
from scipy.stats import norm  # type: ignore[import-untyped]

from ringfence.lab.recommend import RecommendResult, recommend
from ringfence.lab.scenario import Scenario, validate_scenario

STEP_SECONDS = 86_400
YEAR_SECONDS = 365 * 86_400  # the lab's year (lab/paths.py: crypto trades every day)
RATIO = 2.0  # IM / MM in every market
PROCESSES = (("A", 0.0, 0.5), ("B", 0.0, 0.9), ("C", 0.5, 1.3))  # asset, drift μ, volatility σ (per year)


def analytical_maintenance_margin(drift: float, volatility: float, alpha: float, ratio: float = RATIO) -> float:
    """Return MM* of the module docstring (hand-derived closed form, ``scipy.stats.norm.ppf``)."""
    step_years = STEP_SECONDS / YEAR_SECONDS
    log_move = (drift - volatility**2 / 2.0) * step_years + volatility * math.sqrt(step_years) * norm.ppf(alpha)
    return 0.95 / ratio * (1.0 - math.exp(log_move))


def closed_form_scenario(runs: int, seed: int = 7) -> Scenario:
    """Return the scenario of the module docstring."""
    data: dict[str, Any] = {
        "name": "closed-form-margin",
        "seed": seed,
        "runs": runs,
        "horizon": {"steps": 1, "step_seconds": STEP_SECONDS},
        "price": [
            {"kind": "gbm", "asset": asset, "initial_price": 100.0, "drift": drift, "volatility": volatility}
            for asset, drift, volatility in PROCESSES
        ],
        "venue": {
            "isolation": "isolated_positions",
            "pool": {"liquidation_penalty": 0.0, "reserve_factor": 100.0},
            "markets": [
                {"asset": asset, "initial_margin": 0.05 * RATIO, "maintenance_margin": 0.05, "lp_capital": 1e9}
                for asset, _, _ in PROCESSES
            ],
        },
        "population": {
            "traders": 60,
            "collateral_mean": 10_000.0,
            "collateral_log_sd": 0.5,
            "leverage_min": 100.0,
            "leverage_max": 100.0,
            "long_share": 1.0,
        },
        "keepers": {"count": 1, "latency_seconds": 0},
    }
    return validate_scenario(data, Path("."), Path("<closed-form>"))


def _bounds(alpha: float) -> dict[tuple[Any, str], tuple[float, float]]:
    """A grid from MM*/2 to 2·MM* per pool (the answer in the middle, so the grid brackets it)."""
    return {
        ("maintenance_margin", f"pool-{asset}"): (
            analytical_maintenance_margin(drift, volatility, alpha) / 2.0,
            analytical_maintenance_margin(drift, volatility, alpha) * 2.0,
        )
        for asset, drift, volatility in PROCESSES
    }


def _check_contains(result: RecommendResult, alpha: float) -> None:
    for asset, drift, volatility in PROCESSES:
        expected = analytical_maintenance_margin(drift, volatility, alpha)
        curve = result.curve(f"pool-{asset}", "maintenance_margin")
        answer = curve.recommendation
        assert answer.crossing_low is not None and answer.crossing_high is not None, curve
        assert answer.crossing_low <= expected <= answer.crossing_high, (asset, expected, answer)
        assert answer.level_low is not None and answer.level_high is not None, curve
        looser = curve.levels[max(0, curve.levels.index(answer.level_low) - 1)]
        assert looser <= expected <= answer.level_high, (asset, expected, looser, answer)
        wrong = 0.95 * (1.0 - math.exp(math.log(1.0 - RATIO * expected / 0.95)))  # MM* without the IM/MM ratio
        assert not answer.crossing_low <= wrong <= answer.crossing_high, (asset, wrong, answer)


def test_the_closed_form_of_the_test_is_the_probability_it_claims() -> None:
    """The hand formula, plugged back into Φ, gives α (guards the algebra of MM*)."""
    for _, drift, volatility in PROCESSES:
        margin = analytical_maintenance_margin(drift, volatility, 0.05)
        leverage = 0.95 / (RATIO * margin)
        step_years = STEP_SECONDS / YEAR_SECONDS
        z = (math.log(1.0 - 1.0 / leverage) - (drift - volatility**2 / 2.0) * step_years) / (
            volatility * math.sqrt(step_years)
        )
        assert norm.cdf(z) == pytest.approx(0.05, rel=1e-12)  # float rounding of exp/log only


def test_recommend_finds_the_analytical_margin_inside_its_interval() -> None:
    """3 pools × 20 levels × 1,000 paths at α = 5%: each interval contains MM* (fast, ~10 s)."""
    alpha = 0.05
    result = recommend(
        closed_form_scenario(runs=1000), runs=1000, alpha=alpha, target_usd=0.0, bounds=_bounds(alpha), confirm=3
    )
    _check_contains(result, alpha)
    for curve in result.curves:
        assert not [v for v in curve.violations if v.beyond_noise], curve.violations  # CRN: monotone in MM
        assert curve.confirmation is not None and curve.confirmation.agreeing_paths == 3, curve.confirmation


@pytest.mark.slow
def test_recommend_finds_the_analytical_margin_at_one_percent() -> None:
    """The defaults' α = 1% with 20,000 paths per level (slow)."""
    alpha = 0.01
    result = recommend(
        closed_form_scenario(runs=20_000), runs=20_000, alpha=alpha, target_usd=0.0, bounds=_bounds(alpha), confirm=20
    )
    _check_contains(result, alpha)


def test_the_joint_sweep_equals_the_one_pool_sweep_where_pools_share_nothing() -> None:
    """Here keepers never fail, have no capital limit and traders never top up: pools share nothing, so moving
    every pool at once (``joint``) must give every pool exactly the curve of moving it alone."""
    alpha = 0.05
    scenario = closed_form_scenario(runs=300)
    alone = recommend(scenario, runs=300, levels=6, alpha=alpha, target_usd=0.0, bounds=_bounds(alpha), confirm=0)
    together = recommend(
        scenario, runs=300, levels=6, alpha=alpha, target_usd=0.0, bounds=_bounds(alpha), confirm=0, joint=True
    )

    assert together.settings.joint and not alone.settings.joint
    for one, joint in zip(alone.curves, together.curves, strict=True):
        assert one.probabilities == joint.probabilities
        assert one.recommendation == joint.recommendation
