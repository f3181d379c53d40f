"""Liquidation (first-passage) probability: the closed form against independent computations and Monte-Carlo.

Closed form (``ringfence.risk.liquidation_probability``; Shreve, *Stochastic Calculus for Finance II*,
§7.2, Corollary 7.2.2; Harrison 1985, ch. 1) checked against:

- the driftless reflection principle ``P = 2Φ(−a/(σ√T))`` (Shreve II, §3.7), via ``scipy.stats.norm``;
- the inverse Gaussian law of the first-passage time when the drift points at the barrier
  (``scipy.stats.invgauss``: mean ``a/m``, shape ``a²/σ²``);
- the first-passage density ``a/(σ√(2πt³)) exp(−(a − mt)²/(2σ²t))`` integrated by ``scipy.integrate.quad``
  when the drift points away (the law is then defective);
- the formula typed out with ``scipy.stats.norm`` at worked points, and in log space where it overflows.

Monte-Carlo (per position and per account) against the closed form: within 4 standard errors plus
the estimator's stated discretisation-bias bound (0 without jumps). Seeds are fixed, so every
check is deterministic; at 4 standard errors an honest estimator would fail one check in ~16,000.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate, stats

from ringfence.core.errors import InvalidParameter
from ringfence.lab.paths import merton_jump_paths
from ringfence.risk import liquidation_probability as module
from ringfence.risk.liquidation_probability import (
    Underlyings,
    account_liquidation_probability,
    liquidation_probability,
    monte_carlo_liquidation_probability,
)

# The compiled loop and scipy evaluate the same closed form with different erfc implementations: 1e-12 relative.
SAME_FORMULA = 1e-12
# quad's default tolerance (epsabs 1.49e-8) bounds the numerical integral's error.
QUADRATURE = 1e-7


def _log_distance_and_drift(spot, barrier, is_long, sigma, mu):
    """Return ``a`` and the log-drift ``m`` towards the barrier, computed here from the definitions."""
    nu = mu - sigma**2 / 2
    return (math.log(spot / barrier), -nu) if is_long else (math.log(barrier / spot), nu)


# --------------------------------------------------------------------------- closed form


@pytest.mark.parametrize("is_long", [True, False])
def test_driftless_log_price_is_the_reflection_principle(is_long: bool):
    # Arrange: μ = σ²/2 makes the log-price driftless: P = 2Φ(−a/(σ√T)).
    sigma, horizon = 0.8, 30 / 365
    spot, barrier = 2_000.0, (1_600.0 if is_long else 2_500.0)
    a = abs(math.log(barrier / spot))

    # Act
    probability = liquidation_probability(spot, barrier, np.array(is_long), sigma, sigma**2 / 2, horizon)

    # Assert
    assert probability == pytest.approx(2 * stats.norm.cdf(-a / (sigma * math.sqrt(horizon))), rel=SAME_FORMULA)


@pytest.mark.parametrize(
    ("spot", "barrier", "is_long", "sigma", "mu", "horizon"),
    [
        (2_000.0, 1_600.0, True, 0.8, -0.5, 30 / 365),  # a bear drift pushes a long towards liquidation
        (2_000.0, 2_300.0, False, 0.6, 1.0, 7 / 365),  # a bull drift pushes a short towards liquidation
        (1.0, 0.97, True, 0.02, -0.2, 0.25),  # a stablecoin-like volatility: exp(2ma/σ²) = e^{31}
    ],
)
def test_drift_towards_the_barrier_gives_the_inverse_gaussian_law(spot, barrier, is_long, sigma, mu, horizon):
    # Arrange: τ_a of m t + σ W (m > 0) is inverse Gaussian, mean a/m and shape a²/σ².
    a, m = _log_distance_and_drift(spot, barrier, is_long, sigma, mu)
    assert m > 0
    mean, shape = a / m, a**2 / sigma**2
    expected = stats.invgauss.cdf(horizon, mean / shape, scale=shape)

    # Act
    probability = liquidation_probability(spot, barrier, np.array(is_long), sigma, mu, horizon)

    # Assert
    assert probability == pytest.approx(expected, rel=1e-10)  # scipy's invgauss cdf is accurate to ~1e-12


@pytest.mark.parametrize(
    ("spot", "barrier", "is_long", "sigma", "mu", "horizon"),
    [
        (2_000.0, 1_700.0, True, 0.8, 0.9, 90 / 365),  # a bull drift pulls a long away from its barrier
        (2_000.0, 2_400.0, False, 1.2, -0.3, 60 / 365),
    ],
)
def test_drift_away_from_the_barrier_matches_the_integrated_density(spot, barrier, is_long, sigma, mu, horizon):
    # Arrange: integrate the first-passage density over (0, T].
    a, m = _log_distance_and_drift(spot, barrier, is_long, sigma, mu)
    assert m < 0

    def density(t: float) -> float:
        return a / (sigma * math.sqrt(2 * math.pi * t**3)) * math.exp(-((a - m * t) ** 2) / (2 * sigma**2 * t))

    expected, error = integrate.quad(density, 0.0, horizon)

    # Act
    probability = liquidation_probability(spot, barrier, np.array(is_long), sigma, mu, horizon)

    # Assert
    assert error < QUADRATURE
    assert probability == pytest.approx(expected, abs=QUADRATURE)


def test_worked_point_with_scipy_norm():
    # Long ETH at 2,000, liquidation at 1,600 (−20%), σ = 80%, μ = 5%, one month (30/365 y).
    # a = ln(2000/1600) = 0.2231435513, ν = 0.05 − 0.32 = −0.27, m = +0.27 (towards a long's barrier)
    # σ√T = 0.8 · 0.2866911 = 0.2293529; mT = 0.27 · 0.0821918 = 0.0221918
    # P = Φ((−0.2231436 + 0.0221918)/0.2293529) + e^{2·0.27·0.2231436/0.64} Φ((−0.2231436 − 0.0221918)/0.2293529)
    #   = Φ(−0.876169) + e^{0.188277} Φ(−1.069685) = 0.190469 + 1.207168 · 0.142381 = 0.362347
    sigma, horizon, a, m = 0.8, 30 / 365, math.log(2000 / 1600), 0.27
    root = sigma * math.sqrt(horizon)
    expected = stats.norm.cdf((-a + m * horizon) / root) + math.exp(2 * m * a / sigma**2) * stats.norm.cdf(
        (-a - m * horizon) / root
    )

    probability = liquidation_probability(2_000.0, 1_600.0, np.array(True), sigma, 0.05, horizon)

    assert expected == pytest.approx(0.362347, abs=2e-6)  # the hand figure above, to its 6 decimals
    assert probability == pytest.approx(expected, rel=SAME_FORMULA)


def test_extreme_exponent_is_evaluated_in_log_space():
    # σ = 0.03% a year, a long 0.1% from its barrier, log-drift m = 0.05 towards it, T = 0.02 y (a = mT):
    # exp(2ma/σ²) = e^{1,111} overflows and Φ(−47.1) underflows; their product is e^{0}/(47.1·√(2π)) ≈ 0.00846.
    sigma, horizon = 0.0003, 0.02
    mu = -0.05 + sigma**2 / 2
    spot, barrier = 1.0, math.exp(-0.001)
    a, m = _log_distance_and_drift(spot, barrier, True, sigma, mu)
    root = sigma * math.sqrt(horizon)
    assert 2 * m * a / sigma**2 > 1_000
    expected = stats.norm.cdf((-a + m * horizon) / root) + math.exp(
        2 * m * a / sigma**2 + stats.norm.logcdf((-a - m * horizon) / root)
    )

    probability = liquidation_probability(spot, barrier, np.array(True), sigma, mu, horizon)

    assert expected == pytest.approx(0.5 + 0.00846, abs=1e-4)
    # The truncated series is within 2e-13 of log Φ; scipy's logcdf is exact to ~1e-15: 1e-10 is slack for both.
    assert probability == pytest.approx(expected, rel=1e-10)


def test_positions_at_or_beyond_their_liquidation_price_have_probability_one():
    probability = liquidation_probability(
        100.0, np.array([100.0, 120.0, 100.0, 80.0]), np.array([True, True, False, False]), 0.5, 0.0, 0.1
    )

    np.testing.assert_array_equal(probability, [1.0, 1.0, 1.0, 1.0])


def test_bulk_call_broadcasts_one_underlying_against_many_positions():
    barrier = np.array([1_600.0, 2_500.0, 1_900.0])
    is_long = np.array([True, False, True])

    bulk = liquidation_probability(2_000.0, barrier, is_long, 0.8, 0.05, 30 / 365)
    single = [
        liquidation_probability(2_000.0, b, np.array(s), 0.8, 0.05, 30 / 365)
        for b, s in zip(barrier, is_long, strict=True)
    ]

    np.testing.assert_array_equal(bulk, np.array(single))
    assert bulk[0] < bulk[2]  # a nearer barrier is likelier to be touched


@pytest.mark.parametrize(
    ("field", "arguments"),
    [
        ("spot_price", (0.0, 90.0, True, 0.5, 0.0, 0.1)),
        ("liquidation_price", (100.0, float("nan"), True, 0.5, 0.0, 0.1)),
        ("volatility", (100.0, 90.0, True, 0.0, 0.0, 0.1)),
        ("drift", (100.0, 90.0, True, 0.5, float("inf"), 0.1)),
        ("horizon_years", (100.0, 90.0, True, 0.5, 0.0, 0.0)),
        ("is_long", (100.0, 90.0, 1, 0.5, 0.0, 0.1)),
    ],
)
def test_bad_inputs_raise_a_named_error(field: str, arguments: tuple[object, ...]):
    spot, barrier, side, sigma, mu, horizon = arguments
    with pytest.raises(InvalidParameter) as error:
        liquidation_probability(spot, barrier, np.array(side), sigma, mu, horizon)  # type: ignore[arg-type]
    assert error.value.field == field


# --------------------------------------------------------------------------- Monte-Carlo per position


def _within(estimate_probability, standard_error, bias_bound, expected) -> None:
    gap = np.abs(np.asarray(estimate_probability) - np.asarray(expected))
    assert (gap <= 4 * np.asarray(standard_error) + np.asarray(bias_bound)).all(), (gap, standard_error)


BARRIERS = np.array([1_600.0, 1_850.0, 2_300.0, 2_900.0])
SIDES = np.array([True, True, False, False])


@pytest.mark.parametrize("steps", [1, 12])
def test_monte_carlo_without_jumps_matches_the_closed_form(steps: int):
    # Arrange: one underlying, four positions; the bridge extremes make even one step exact in law.
    underlyings = Underlyings.of(2_000.0, 0.8, 0.05)
    expected = liquidation_probability(2_000.0, BARRIERS, SIDES, 0.8, 0.05, 30 / 365)

    # Act
    estimate = monte_carlo_liquidation_probability(
        underlyings, np.zeros(4, dtype=np.intp), BARRIERS, SIDES, 30 / 365, steps, 20_000, np.random.default_rng(11)
    )

    # Assert: no jumps, no bias; the binomial standard error at the true p.
    np.testing.assert_array_equal(estimate.bias_bound, 0.0)
    _within(estimate.probability, np.sqrt(expected * (1 - expected) / 20_000), 0.0, expected)


def test_grid_points_alone_would_miss_crossings_the_bridge_counts():
    # The check above bites: monitoring only the 2 grid points of a one-step grid finds far fewer touches.
    rng = np.random.default_rng(5)
    sigma, mu, horizon = 0.8, 0.05, 30 / 365
    end = (mu - sigma**2 / 2) * horizon + sigma * math.sqrt(horizon) * rng.standard_normal(20_000)
    discrete = np.mean(end <= math.log(1_850.0 / 2_000.0))
    expected = float(liquidation_probability(2_000.0, 1_850.0, np.array(True), sigma, mu, horizon))

    assert expected - discrete > 10 * math.sqrt(expected * (1 - expected) / 20_000)


def test_monte_carlo_with_certain_loss_jumps_matches_the_poisson_probability():
    # Arrange: σ = 1%, jumps e^{−1} (−63%) at 6 a year; a long liquidated at −30% dies at the first jump
    # (even after the compensating drift 6 · 0.632 = +3.8 a year, +32% over the month: 1.37 · 0.37 < 0.7)
    # and never by diffusion (a 36% log move is 120 σ√T). P = 1 − e^{−λT} = 1 − e^{−0.5} = 0.3934693403.
    underlyings = Underlyings.of(100.0, 0.01, 0.0, jump_intensity=6.0, jump_mean=-1.0, jump_volatility=0.01)

    # Act
    estimate = monte_carlo_liquidation_probability(
        underlyings, np.array([0]), np.array([70.0]), np.array([True]), 1 / 12, 20, 20_000, np.random.default_rng(3)
    )

    # Assert: bias bound n·(1 − e^{−x}(1 + x)), x = 6/240 = 0.025: 20 · 3.0740e-4 = 0.0061480.
    assert estimate.bias_bound[0] == pytest.approx(20 * (1 - math.exp(-0.025) * 1.025), rel=1e-9)
    _within(estimate.probability, estimate.standard_error, estimate.bias_bound, 1 - math.exp(-0.5))


def test_monte_carlo_with_jumps_matches_a_fine_discrete_simulation_with_the_bgk_correction():
    # Arrange: an independent simulator (ringfence.lab.paths.merton_jump_paths, 1,000 steps) monitored
    # at its grid points, the barrier moved towards the spot by the Broadie-Glasserman-Kou continuity
    # correction exp(+0.5826 σ√Δ) for a down barrier (Math. Finance 7 (1997) 325-349: a discretely
    # monitored barrier acts like a continuous one moved away from the spot); what remains is o(√Δ).
    sigma, mu, horizon, steps_fine, paths_fine = 0.7, 0.1, 1 / 12, 1_000, 4_000
    jumps = {"jump_intensity": 12.0, "jump_mean": -0.08, "jump_volatility": 0.05}
    fine = merton_jump_paths(
        2_000.0, mu, sigma, *jumps.values(), horizon / steps_fine, steps_fine, paths_fine, np.random.default_rng(21)
    )
    shifted = 1_700.0 * math.exp(0.5826 * sigma * math.sqrt(horizon / steps_fine))
    reference = np.mean(fine.min(axis=1) <= shifted)
    reference_error = math.sqrt(reference * (1 - reference) / paths_fine)

    # Act
    estimate = monte_carlo_liquidation_probability(
        Underlyings.of(2_000.0, sigma, mu, **jumps),
        np.array([0]),
        np.array([1_700.0]),
        np.array([True]),
        horizon,
        24,
        20_000,
        np.random.default_rng(22),
    )

    # Assert: 4 standard errors of the difference plus our bias bound.
    combined = math.hypot(float(estimate.standard_error[0]), reference_error)
    _within(estimate.probability, combined, estimate.bias_bound, reference)


# --------------------------------------------------------------------------- Monte-Carlo per account


def test_account_with_nested_longs_on_one_underlying_is_hit_with_its_highest_barrier():
    # Common paths: two longs on one underlying are both hit whenever the higher barrier is.
    underlyings = Underlyings.of(2_000.0, 0.8, 0.05)
    expected = float(liquidation_probability(2_000.0, 1_850.0, np.array(True), 0.8, 0.05, 30 / 365))
    independent_union = 1 - (1 - expected) * (
        1 - float(liquidation_probability(2_000.0, 1_600.0, np.array(True), 0.8, 0.05, 30 / 365))
    )

    estimate = account_liquidation_probability(
        underlyings,
        np.array([0, 0]),
        np.array([0, 0]),
        np.array([1_850.0, 1_600.0]),
        np.array([True, True]),
        30 / 365,
        8,
        20_000,
        np.random.default_rng(4),
    )

    _within(estimate.probability, estimate.standard_error, 0.0, [expected])
    assert independent_union - estimate.probability[0] > 8 * estimate.standard_error[0]


def test_accounts_on_independent_underlyings_combine_as_a_union():
    # Account 0: long on ETH and short on BTC (independent); account 1 has no position; account 2: BTC short only.
    underlyings = Underlyings.of([2_000.0, 60_000.0], [0.8, 0.6], [0.05, 0.0])
    eth = float(liquidation_probability(2_000.0, 1_800.0, np.array(True), 0.8, 0.05, 14 / 365))
    btc = float(liquidation_probability(60_000.0, 66_000.0, np.array(False), 0.6, 0.0, 14 / 365))

    estimate = account_liquidation_probability(
        underlyings,
        np.array([0, 0, 2]),
        np.array([0, 1, 1]),
        np.array([1_800.0, 66_000.0, 66_000.0]),
        np.array([True, False, False]),
        14 / 365,
        8,
        20_000,
        np.random.default_rng(8),
    )

    _within(estimate.probability[[0, 2]], estimate.standard_error[[0, 2]], 0.0, [1 - (1 - eth) * (1 - btc), btc])
    assert estimate.probability[1] == 0.0


def test_positive_correlation_lowers_the_chance_that_any_of_two_longs_is_hit():
    # Two longs on two underlyings: with ρ = 0.9 P(any) falls below the independent union, above the larger one.
    positions = (np.array([0, 0]), np.array([0, 1]), np.array([1_800.0, 1_800.0]), np.array([True, True]))
    single = float(liquidation_probability(2_000.0, 1_800.0, np.array(True), 0.8, 0.05, 14 / 365))
    correlated = Underlyings.of([2_000.0, 2_000.0], 0.8, 0.05, correlation=[[1.0, 0.9], [0.9, 1.0]])

    estimate = account_liquidation_probability(correlated, *positions, 14 / 365, 16, 20_000, np.random.default_rng(9))

    margin = 4 * float(estimate.standard_error[0])
    assert single - margin < estimate.probability[0] < 1 - (1 - single) ** 2 - margin


def test_account_blocks_do_not_change_the_estimate(monkeypatch: pytest.MonkeyPatch):
    underlyings = Underlyings.of([2_000.0, 60_000.0], [0.8, 0.6], [0.05, 0.0])
    arguments = (
        underlyings,
        np.array([0, 1, 2, 3, 3]),
        np.array([0, 1, 0, 0, 1]),
        np.array([1_800.0, 66_000.0, 2_200.0, 1_900.0, 55_000.0]),
        np.array([True, False, False, True, True]),
        14 / 365,
        4,
        1_000,
    )
    whole = account_liquidation_probability(*arguments, np.random.default_rng(1))

    monkeypatch.setattr(module, "ACCOUNT_BLOCK_CELLS", 1_000)  # one account per block
    blocked = account_liquidation_probability(*arguments, np.random.default_rng(1))

    np.testing.assert_array_equal(whole.probability, blocked.probability)


def test_monte_carlo_refuses_bad_runs_and_matrices():
    underlyings = Underlyings.of(100.0, 0.5, 0.0)
    position = (np.array([0]), np.array([90.0]), np.array([True]))
    with pytest.raises(InvalidParameter):
        monte_carlo_liquidation_probability(underlyings, *position, 0.1, 10, 1, np.random.default_rng(0))
    with pytest.raises(InvalidParameter):
        monte_carlo_liquidation_probability(
            underlyings, np.array([1]), *position[1:], 0.1, 10, 10, np.random.default_rng(0)
        )
    with pytest.raises(InvalidParameter):
        monte_carlo_liquidation_probability(underlyings, *position, 0.1, 10, 10, 42)  # type: ignore[arg-type]
    with pytest.raises(InvalidParameter):
        Underlyings.of([1.0, 1.0], 0.5, 0.0, correlation=[[1.0, 1.2], [1.2, 1.0]])
    with pytest.raises(InvalidParameter):
        Underlyings.of([1.0, 1.0], [0.5, 0.5, 0.5], 0.0)


def test_account_with_a_long_and_a_short_on_one_underlying_matches_a_fine_two_sided_simulation():
    # Arrange: the band exit of one underlying (a long at 1,850 and a short at 2,150) against an
    # independent plain simulation on 1,000 steps, each barrier moved towards the spot by the BGK
    # correction exp(±0.5826 σ√Δ). This measures the approximation the module states for two-sided accounts
    # (independent min and max within a piece) together with sampling error.
    sigma, mu, horizon, steps_fine, paths_fine = 0.8, 0.05, 7 / 365, 1_000, 4_000
    rng = np.random.default_rng(31)
    step = horizon / steps_fine
    log_path = np.cumsum(
        (mu - sigma**2 / 2) * step + sigma * math.sqrt(step) * rng.standard_normal((paths_fine, steps_fine)), axis=1
    )
    shift = 0.5826 * sigma * math.sqrt(step)
    low_hit = log_path.min(axis=1) <= math.log(1_850.0 / 2_000.0) + shift
    high_hit = log_path.max(axis=1) >= math.log(2_150.0 / 2_000.0) - shift
    reference = float(np.mean(low_hit | high_hit))
    reference_error = math.sqrt(reference * (1 - reference) / paths_fine)

    # Act
    estimate = account_liquidation_probability(
        Underlyings.of(2_000.0, sigma, mu),
        np.array([0, 0]),
        np.array([0, 0]),
        np.array([1_850.0, 2_150.0]),
        np.array([True, False]),
        horizon,
        8,
        20_000,
        np.random.default_rng(32),
    )

    # Assert: within 4 standard errors of the difference (the BGK-corrected reference is o(√Δ) off).
    combined = math.hypot(float(estimate.standard_error[0]), reference_error)
    _within(estimate.probability, combined, 0.0, [reference])
