"""Statistical and validation tests of ``ringfence.lab.paths``.

Every tolerance is a number of standard errors of the estimator's sampling distribution, derived in
a comment next to it. Seeds are fixed, so each test is deterministic; ``K = 4`` standard errors would
reject a correct implementation with probability about 6e-5 per check for a fresh seed, while a
wrong drift, variance or correlation moves the estimate by far more than that.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from ringfence.core.errors import InvalidParameter
from ringfence.lab.paths import (
    correlated_gbm_paths,
    correlated_jump_paths,
    correlation_factor,
    garch_paths,
    gbm_paths,
    merton_jump_paths,
)

K = 4.0
DAY_YEARS = 1 / 365


def _log_increments(prices: np.ndarray) -> np.ndarray:
    return np.diff(np.log(prices), axis=-1)


# --- GBM --------------------------------------------------------------------------------------


def test_gbm_log_returns_have_the_exact_mean_and_variance() -> None:
    # Arrange: 2,000 paths x 250 daily steps = 500,000 iid log increments.
    mu, sigma, dt = 0.05, 0.8, DAY_YEARS
    rng = np.random.default_rng(20200312)

    # Act
    increments = _log_increments(gbm_paths(100.0, mu, sigma, dt, 250, 2_000, rng)).ravel()

    # Assert: increment ~ N((mu - sigma^2/2) dt, sigma^2 dt) exactly.
    n = increments.size
    mean = (mu - sigma**2 / 2) * dt  # (0.05 - 0.32) / 365 = -7.397e-4
    variance = sigma**2 * dt  # 0.64 / 365 = 1.7534e-3
    # SE of a sample mean: sqrt(var / n) = 5.9e-5.
    assert abs(increments.mean() - mean) < K * math.sqrt(variance / n)
    # SE of a normal sample variance: var * sqrt(2 / (n - 1)) = 3.5e-6.
    assert abs(increments.var(ddof=1) - variance) < K * variance * math.sqrt(2 / (n - 1))


def test_gbm_terminal_log_price_is_normal_and_the_mean_price_grows_at_the_drift() -> None:
    # Arrange: a one-year horizon in 12 monthly steps; exactness means the step size does not matter.
    mu, sigma, years, n = 0.1, 0.6, 1.0, 20_000
    rng = np.random.default_rng(7)

    # Act
    prices = gbm_paths(50.0, mu, sigma, years / 12, 12, n, rng)

    # Assert: log(S_T / S_0) ~ N((mu - sigma^2/2) T, sigma^2 T); a KS test at the 0.1% level.
    log_return = np.log(prices[:, -1] / 50.0)
    result = stats.kstest(log_return, "norm", args=((mu - sigma**2 / 2) * years, sigma * math.sqrt(years)))
    assert result.pvalue > 1e-3
    # E[S_T] = S_0 e^{mu T} = 50 e^{0.1} = 55.2585; SE = sample std / sqrt(n).
    terminal = prices[:, -1]
    assert abs(terminal.mean() - 50.0 * math.exp(mu * years)) < K * terminal.std(ddof=1) / math.sqrt(n)


def test_gbm_shape_and_first_column() -> None:
    prices = gbm_paths(3.5, 0.0, 0.2, DAY_YEARS, 10, 4, np.random.default_rng(1))

    assert prices.shape == (4, 11)
    assert np.all(prices[:, 0] == 3.5)
    assert np.all(prices > 0)


def test_zero_volatility_gbm_grows_deterministically_at_the_drift() -> None:
    prices = gbm_paths(100.0, 0.1, 0.0, 0.5, 2, 3, np.random.default_rng(1))

    # S(t) = 100 e^{0.1 t}: t = 0.5 -> 105.1271096, t = 1 -> 110.5170918.
    assert prices[0] == pytest.approx([100.0, 105.12710963760241, 110.51709180756477], rel=1e-12)


def test_same_seed_gives_identical_arrays_and_another_seed_does_not() -> None:
    arguments = (100.0, 0.0, 0.5, DAY_YEARS, 30, 8)

    first = gbm_paths(*arguments, np.random.default_rng(42))
    second = gbm_paths(*arguments, np.random.default_rng(42))
    other = gbm_paths(*arguments, np.random.default_rng(43))

    assert np.array_equal(first, second)
    assert not np.array_equal(first, other)


def test_every_process_is_reproducible_from_its_seed() -> None:
    def draw(seed: int) -> list[np.ndarray]:
        return [
            merton_jump_paths(10.0, 0.0, 0.4, 20.0, -0.1, 0.1, DAY_YEARS, 20, 5, np.random.default_rng(seed)),
            garch_paths(10.0, 1e-5, 0.1, 0.8, 20, 5, np.random.default_rng(seed)),
            correlated_gbm_paths(
                [1.0, 2.0], [0.0, 0.0], [0.3, 0.4], [[1, 0.5], [0.5, 1]], DAY_YEARS, 20, 5, np.random.default_rng(seed)
            ),
        ]

    for first, second in zip(draw(11), draw(11), strict=True):
        assert np.array_equal(first, second)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"initial_price": 0.0}, "initial_price"),
        ({"initial_price": float("nan")}, "initial_price"),
        ({"volatility": -0.1}, "volatility"),
        ({"drift": float("inf")}, "drift"),
        ({"step_years": 0.0}, "step_years"),
        ({"n_steps": 0}, "n_steps"),
        ({"n_paths": True}, "n_paths"),
        ({"rng": 42}, "rng"),
    ],
)
def test_gbm_rejects_parameters_outside_their_domain_naming_them(overrides: dict[str, object], field: str) -> None:
    arguments: dict[str, object] = {
        "initial_price": 1.0,
        "drift": 0.0,
        "volatility": 0.5,
        "step_years": DAY_YEARS,
        "n_steps": 5,
        "n_paths": 2,
        "rng": np.random.default_rng(0),
    } | overrides

    with pytest.raises(InvalidParameter, match=field) as caught:
        gbm_paths(**arguments)  # type: ignore[arg-type]

    assert caught.value.field == field


# --- Merton jump diffusion --------------------------------------------------------------------


def test_merton_log_returns_match_the_compound_poisson_moments() -> None:
    # Arrange: 4,000 paths x 100 daily steps = 400,000 iid increments; about 50 jumps a year.
    mu, sigma, lam, m, s, dt = 0.1, 0.5, 50.0, -0.05, 0.1, DAY_YEARS
    rng = np.random.default_rng(1976)

    # Act
    increments = _log_increments(merton_jump_paths(100.0, mu, sigma, lam, m, s, dt, 100, 4_000, rng)).ravel()

    # Assert. kappa = e^{m + s^2/2} - 1; increment = drift + diffusion + compound Poisson jumps.
    n = increments.size
    kappa = math.exp(m + s * s / 2) - 1
    mean = (mu - lam * kappa - sigma**2 / 2) * dt + lam * dt * m
    # Cumulants of a sum of independent parts: k2 = sigma^2 dt + lam dt E[Y^2], k4 = lam dt E[Y^4].
    k2 = sigma**2 * dt + lam * dt * (m * m + s * s)
    k4 = lam * dt * (m**4 + 6 * m * m * s * s + 3 * s**4)
    central_fourth = k4 + 3 * k2 * k2
    assert abs(increments.mean() - mean) < K * math.sqrt(k2 / n)
    # SE of a sample variance: sqrt((mu_4 - sigma^4) / n).
    assert abs(increments.var(ddof=1) - k2) < K * math.sqrt((central_fourth - k2 * k2) / n)


def test_merton_compensated_drift_keeps_the_mean_price_at_the_drift() -> None:
    # E[S_T] = S_0 e^{mu T} whatever the jumps: the drift is compensated by lambda * kappa.
    mu, n = 0.2, 20_000
    rng = np.random.default_rng(5)

    terminal = merton_jump_paths(1.0, mu, 0.3, 10.0, -0.2, 0.15, 1 / 12, 12, n, rng)[:, -1]

    # 1 * e^{0.2} = 1.2214028; SE = sample std / sqrt(n).
    assert abs(terminal.mean() - math.exp(mu)) < K * terminal.std(ddof=1) / math.sqrt(n)


def test_merton_without_jumps_is_the_gbm_of_the_same_seed() -> None:
    # The diffusion shocks are the generator's first draws in both functions.
    jumpless = merton_jump_paths(100.0, 0.05, 0.4, 0.0, -0.3, 0.2, DAY_YEARS, 50, 7, np.random.default_rng(9))
    gbm = gbm_paths(100.0, 0.05, 0.4, DAY_YEARS, 50, 7, np.random.default_rng(9))

    assert np.allclose(jumpless, gbm, rtol=1e-14, atol=0.0)


@pytest.mark.parametrize(
    ("field", "value"),
    [("jump_intensity", -1.0), ("jump_volatility", -0.1), ("jump_mean", float("nan"))],
)
def test_merton_rejects_bad_jump_parameters(field: str, value: float) -> None:
    arguments: dict[str, object] = {
        "initial_price": 1.0,
        "drift": 0.0,
        "volatility": 0.5,
        "jump_intensity": 1.0,
        "jump_mean": 0.0,
        "jump_volatility": 0.1,
        "step_years": DAY_YEARS,
        "n_steps": 5,
        "n_paths": 2,
        "rng": np.random.default_rng(0),
    } | {field: value}

    with pytest.raises(InvalidParameter, match=field):
        merton_jump_paths(**arguments)  # type: ignore[arg-type]


# --- GARCH(1,1) -------------------------------------------------------------------------------


def _garch_residuals(alpha: float, beta: float, omega: float, seed: int) -> np.ndarray:
    prices = garch_paths(100.0, omega, alpha, beta, 500, 2_000, np.random.default_rng(seed))
    return _log_increments(prices)


def test_garch_residual_variance_is_the_unconditional_variance() -> None:
    # Arrange: omega = 2e-6, alpha = 0.1, beta = 0.85 -> omega / (1 - alpha - beta) = 2e-6 / 0.05 = 4e-5.
    residuals = _garch_residuals(0.1, 0.85, 2e-6, seed=1986)

    # Act: each path's mean squared residual; paths are independent, so these are iid.
    per_path = (residuals**2).mean(axis=1)

    # Assert: starting at the unconditional variance makes E[eps_t^2] = 4e-5 at every step, so
    # E[per_path] = 4e-5; the SE is the sample std of per_path over sqrt(2,000 paths). The fourth
    # moment is finite (3 alpha^2 + 2 alpha beta + beta^2 = 0.9225 < 1), so the CLT applies.
    assert abs(per_path.mean() - 4e-5) < K * per_path.std(ddof=1) / math.sqrt(per_path.size)


def _lag_one_autocorrelation(values: np.ndarray) -> float:
    centred = values - values.mean()
    return float((centred[:, 1:] * centred[:, :-1]).sum() / (centred * centred).sum())


def test_garch_squared_returns_cluster_and_without_alpha_they_do_not() -> None:
    # Under iid returns the lag-1 autocorrelation of squares has SE about 1 / sqrt(n), n = 1,000,000.
    clustered = _lag_one_autocorrelation(_garch_residuals(0.1, 0.85, 2e-6, seed=3) ** 2)
    flat = _lag_one_autocorrelation(_garch_residuals(0.0, 0.85, 6e-6, seed=3) ** 2)
    se_under_iid = 1 / math.sqrt(500 * 2_000)

    # alpha = 0.1, beta = 0.85: theory gives rho_1 = a(1 - ab - b^2)/(1 - 2ab - b^2) = 0.179.
    assert clustered > 25 * se_under_iid
    # alpha = 0 and sigma^2 starting at omega / (1 - beta): the variance never moves, returns are iid.
    assert abs(flat) < K * se_under_iid


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"omega": 0.0}, "omega"),
        ({"alpha": -0.1}, "alpha"),
        ({"beta": -0.1}, "beta"),
        ({"alpha": 0.2, "beta": 0.8}, "alpha + beta"),
        ({"initial_variance": -1.0}, "initial_variance"),
    ],
)
def test_garch_rejects_non_stationary_or_negative_coefficients(overrides: dict[str, float], field: str) -> None:
    arguments: dict[str, object] = {
        "initial_price": 1.0,
        "omega": 1e-6,
        "alpha": 0.1,
        "beta": 0.8,
        "n_steps": 5,
        "n_paths": 2,
        "rng": np.random.default_rng(0),
    } | overrides

    with pytest.raises(InvalidParameter) as caught:
        garch_paths(**arguments)  # type: ignore[arg-type]

    assert caught.value.field == field


# --- Correlated GBM ---------------------------------------------------------------------------

CORRELATION = [[1.0, 0.6, -0.3], [0.6, 1.0, 0.2], [-0.3, 0.2, 1.0]]


def test_correlated_gbm_recovers_the_correlation_matrix_and_each_volatility() -> None:
    # Arrange: 1,000 paths x 200 steps = 200,000 joint increments per asset.
    volatilities = [0.5, 0.8, 0.3]
    rng = np.random.default_rng(2004)

    # Act
    prices = correlated_gbm_paths(
        [10.0, 20.0, 30.0], [0.0, 0.1, -0.1], volatilities, CORRELATION, DAY_YEARS, 200, 1_000, rng
    )
    increments = _log_increments(prices).reshape(3, -1)

    # Assert: Fisher's z = atanh(r) has SE 1 / sqrt(n - 3) = 0.0022 around atanh(rho).
    n = increments.shape[1]
    sample = np.corrcoef(increments)
    for i in range(3):
        for j in range(i + 1, 3):
            assert abs(math.atanh(sample[i, j]) - math.atanh(CORRELATION[i][j])) < K / math.sqrt(n - 3)
        # Each marginal is the exact GBM step: variance sigma_i^2 dt, SE var * sqrt(2 / (n - 1)).
        variance = volatilities[i] ** 2 * DAY_YEARS
        assert abs(increments[i].var(ddof=1) - variance) < K * variance * math.sqrt(2 / (n - 1))
    assert prices.shape == (3, 1_000, 201)
    assert prices[:, 0, 0].tolist() == [10.0, 20.0, 30.0]


def test_perfectly_correlated_assets_move_together() -> None:
    # [[1, 1], [1, 1]] is positive semi-definite but singular: no Cholesky factor exists.
    prices = correlated_gbm_paths(
        [1.0, 5.0], [0.0, 0.0], [0.2, 0.4], [[1.0, 1.0], [1.0, 1.0]], DAY_YEARS, 50, 10, np.random.default_rng(3)
    )

    # Standardised shocks are equal: (dlog S_i - (-sigma_i^2/2) dt) / sigma_i.
    shocks = [(_log_increments(prices[i]) + 0.5 * s * s * DAY_YEARS) / s for i, s in enumerate([0.2, 0.4])]
    assert np.allclose(shocks[0], shocks[1], rtol=0.0, atol=1e-12)


def test_correlation_factor_reproduces_the_matrix() -> None:
    factor = correlation_factor(CORRELATION)

    assert np.allclose(factor @ factor.T, CORRELATION, rtol=0.0, atol=1e-14)


@pytest.mark.parametrize(
    ("matrix", "expected"),
    [
        # Pairwise plausible, jointly impossible: det = 0.19 - 0.9 * 1.71 + 0.9 * (-1.71) = -2.888 < 0.
        ([[1.0, 0.9, 0.9], [0.9, 1.0, -0.9], [0.9, -0.9, 1.0]], "positive semi-definite"),
        ([[1.0, 0.5], [0.4, 1.0]], "symmetric"),
        ([[2.0, 0.0], [0.0, 1.0]], "diagonal"),
        ([[1.0, 1.5], [1.5, 1.0]], "between -1 and 1"),
        ([[1.0, 0.0, 0.0]], "square"),
    ],
)
def test_correlation_factor_rejects_impossible_matrices(matrix: list[list[float]], expected: str) -> None:
    with pytest.raises(InvalidParameter, match=expected) as caught:
        correlation_factor(matrix)

    assert caught.value.field == "correlation"


def test_correlated_gbm_wants_one_parameter_per_asset() -> None:
    with pytest.raises(InvalidParameter, match="volatilities") as caught:
        correlated_gbm_paths([1.0, 2.0], [0.0, 0.0], [0.3], [[1, 0], [0, 1]], DAY_YEARS, 5, 2, np.random.default_rng(0))

    assert "2 values, one per asset" in caught.value.expected


def test_correlated_jumps_leave_an_asset_without_intensity_on_its_gbm_path() -> None:
    rng = np.random.default_rng(4)
    base = correlated_gbm_paths([100.0, 50.0], [0.0, 0.0], [0.5, 0.5], [[1.0, 0.6], [0.6, 1.0]], 1 / 365, 30, 8, rng)

    jumped = correlated_jump_paths(base, [0.0, 40.0], [0.0, -0.1], [0.0, 0.05], 1 / 365, rng)

    np.testing.assert_array_equal(jumped[0], base[0])
    assert not np.array_equal(jumped[1], base[1])
    np.testing.assert_array_equal(jumped[:, :, 0], base[:, :, 0])


def test_correlated_jumps_are_drift_compensated() -> None:
    # Pure jumps (no diffusion), 50 a year of log size N(-0.1, 0.05²) over one year: compensated by
    # lambda·kappa, kappa = exp(-0.1 + 0.00125) - 1 = -0.09404, so E[S(1)/S(0)] = 1. The ratio's sd:
    # E[ratio²] = exp(-2·lambda·kappa + lambda·(exp(-0.2 + 0.005) - 1)) = exp(9.403 - 8.858) = 1.725,
    # sd = 0.85; over 20,000 paths the mean's se is 0.006: 5% is 8 se.
    rng = np.random.default_rng(8)
    base = np.ones((1, 20_000, 366))
    jumped = correlated_jump_paths(base, [50.0], [-0.1], [0.05], 1 / 365, rng)
    assert float(np.mean(jumped[0, :, -1])) == pytest.approx(1.0, rel=0.05)


def test_correlated_jumps_refuse_one_value_short() -> None:
    with pytest.raises(InvalidParameter, match="jump_means"):
        correlated_jump_paths(np.ones((2, 1, 3)), [1.0, 1.0], [0.0], [0.0, 0.0], 0.01, np.random.default_rng(0))
