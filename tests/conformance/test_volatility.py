"""Volatility models against hand computation, RiskMetrics' own finite-sum form and the ``arch`` package.

- EWMA: RiskMetrics Technical Document (J.P. Morgan / Reuters, 4th ed., 1996), §5.2: the
  recursive form is checked by hand and against the document's finite-sum form (weights
  ``(1 − λ) λ^i``) computed in exact fractions.
- GARCH(1,1): against ``arch.arch_model(..., vol="GARCH", p=1, q=1)`` (K. Sheppard,
  https://arch.readthedocs.io), the implementation users trust, on a simulated series and on the
  shared hourly ETH/USD file (2016-2020). ``arch`` is fitted to returns ×100 (its recommended scale:
  on raw returns it warns, and warnings are errors here), so ``ω`` converts by 100², ``μ`` by 100
  and the log-likelihood by ``n·log 100`` (the density of ``r`` is 100 × that of ``100 r``).
- Realised volatility: Andersen, Bollerslev, Diebold and Labys, *Econometrica* 71 (2003), eq. 2, by hand.
"""

from __future__ import annotations

import csv
import math
from fractions import Fraction

import numpy as np
import pytest
from arch import arch_model

from ringfence.core.errors import InvalidParameter
from ringfence.risk.errors import InvalidSeries, NonFiniteSeries, NonPositivePrices, SeriesTooShort
from ringfence.risk.volatility import (
    GarchFit,
    annualised_volatility,
    ewma_variance,
    ewma_volatility,
    fit_garch,
    garch_forecast_variance,
    garch_log_likelihood,
    garch_variance,
    log_returns,
    realised_volatility,
)
from support.shared_data import GEB_FILE, shared_data_dir

# Float results of a few multiplications and adds against exact hand figures: a few ulps.
RELATIVE_FLOAT = 1e-12


# --------------------------------------------------------------------------- EWMA


def test_ewma_recursion_by_hand_starts_from_the_first_squared_return():
    # Arrange: r = 1%, −2%, 3%; λ = 0.94.
    returns = [0.01, -0.02, 0.03]

    # Act
    variance = ewma_variance(returns)

    # Assert
    # s0 = r0² = 1e-4
    # s1 = 0.94 · 1e-4 + 0.06 · 4e-4 = 0.94e-4 + 0.24e-4 = 1.18e-4
    # s2 = 0.94 · 1.18e-4 + 0.06 · 9e-4 = 1.1092e-4 + 0.54e-4 = 1.6492e-4
    assert variance == pytest.approx([1e-4, 1.18e-4, 1.6492e-4], rel=RELATIVE_FLOAT)
    assert ewma_volatility(returns)[-1] == pytest.approx(math.sqrt(1.6492e-4), rel=RELATIVE_FLOAT)


def test_ewma_recursion_by_hand_from_a_given_initial_variance():
    # s0 = 0.94 · 2e-4 + 0.06 · 1e-4 = 1.88e-4 + 0.06e-4 = 1.94e-4; s1 = 0.94 · 1.94e-4 + 0.06 · 4e-4 = 2.0636e-4
    variance = ewma_variance([0.01, -0.02], decay=0.94, initial_variance=2e-4)

    assert variance == pytest.approx([1.94e-4, 2.0636e-4], rel=RELATIVE_FLOAT)


def test_ewma_equals_the_riskmetrics_finite_sum_in_exact_fractions():
    # Arrange: the RiskMetrics finite sum: s_t = (1 − λ) Σ_{i ≤ t} λ^i r²_{t−i} + λ^{t+1} s_{−1}, with s_{−1} = r0².
    rng = np.random.default_rng(7)
    returns = rng.normal(0.0, 0.02, 60)
    decay = Fraction(97, 100)
    exact_returns = [Fraction(float(r)) for r in returns]
    start = exact_returns[0] ** 2

    # Act
    variance = ewma_variance(returns, decay=0.97)

    # Assert
    for t in (0, 1, 10, 59):
        total = sum((1 - decay) * decay**i * exact_returns[t - i] ** 2 for i in range(t + 1))
        expected = total + decay ** (t + 1) * start
        # 60 float recursion steps, each a few ulps: 1e-12 relative is ample and still bites.
        assert variance[t] == pytest.approx(float(expected), rel=RELATIVE_FLOAT)


def test_ewma_runs_each_series_on_the_last_axis_independently():
    rng = np.random.default_rng(3)
    returns = rng.normal(0.0, 0.01, (3, 40))

    together = ewma_variance(returns)

    for row in range(3):
        np.testing.assert_array_equal(together[row], ewma_variance(returns[row]))


@pytest.mark.parametrize("decay", [0.0, 1.0, 1.5, float("nan")])
def test_ewma_refuses_a_decay_outside_the_open_unit_interval(decay: float):
    with pytest.raises(InvalidParameter):
        ewma_variance([0.01, 0.02], decay=decay)


def test_ewma_refuses_nan_and_names_its_index():
    with pytest.raises(NonFiniteSeries) as error:
        ewma_variance([0.01, float("nan"), 0.02])
    assert error.value.first_index == 1


def test_ewma_refuses_an_empty_series():
    with pytest.raises(SeriesTooShort):
        ewma_variance([])


# --------------------------------------------------------------------------- realised volatility


def test_realised_volatility_by_hand():
    # Arrange: prices 100, 110, 99, 99 → r = ln 1.1, ln 0.9, 0; windows of 2 returns, daily bars.
    prices = [100.0, 110.0, 99.0, 99.0]

    # Act
    index = realised_volatility(prices, window=2, periods_per_year=365)

    # Assert: RV = √(365/2 · Σ r²) over each window.
    first = math.sqrt(365 / 2 * (math.log(1.1) ** 2 + math.log(0.9) ** 2))
    second = math.sqrt(365 / 2 * math.log(0.9) ** 2)
    assert index == pytest.approx([first, second], rel=RELATIVE_FLOAT)


def test_annualised_volatility_scales_by_the_square_root_of_periods():
    assert annualised_volatility(0.01, 8_760) == pytest.approx(0.01 * math.sqrt(8_760), rel=RELATIVE_FLOAT)


def test_log_returns_by_hand():
    assert log_returns([100.0, 125.0, 100.0]) == pytest.approx([math.log(1.25), math.log(0.8)], rel=RELATIVE_FLOAT)


@pytest.mark.parametrize("bad_price", [0.0, -1.0])
def test_non_positive_prices_are_refused_not_clipped(bad_price: float):
    with pytest.raises(NonPositivePrices) as error:
        realised_volatility([100.0, 101.0, bad_price, 102.0], window=1, periods_per_year=365)
    assert error.value.first_index == 2


def test_realised_volatility_needs_one_more_price_than_its_window():
    with pytest.raises(SeriesTooShort) as error:
        realised_volatility([100.0, 101.0, 102.0], window=3, periods_per_year=365)
    assert error.value.minimum == 4


def test_log_returns_refuse_an_infinite_price():
    with pytest.raises(NonFiniteSeries):
        log_returns([100.0, float("inf")])


# --------------------------------------------------------------------------- GARCH(1,1)


def test_garch_variance_recursion_by_hand():
    # Arrange: μ = 0, ω = 1e-6, α = 0.1, β = 0.8, r = 1%, −2%, 0.5%.
    returns = [0.01, -0.02, 0.005]
    # arch's backcast: weights 1, 0.94, 0.94² = 0.8836 over the first (here all 3) squared returns.
    backcast = (1e-4 + 0.94 * 4e-4 + 0.8836 * 2.5e-5) / (1 + 0.94 + 0.8836)
    s0 = 1e-6 + 0.9 * backcast
    s1 = 1e-6 + 0.1 * 1e-4 + 0.8 * s0
    s2 = 1e-6 + 0.1 * 4e-4 + 0.8 * s1
    s3 = 1e-6 + 0.1 * 2.5e-5 + 0.8 * s2

    # Act
    variance = garch_variance(returns, 0.0, 1e-6, 0.1, 0.8)

    # Assert
    assert variance == pytest.approx([s0, s1, s2, s3], rel=RELATIVE_FLOAT)
    expected_log_likelihood = -0.5 * sum(
        math.log(2 * math.pi) + math.log(s) + r * r / s for r, s in zip(returns, (s0, s1, s2), strict=True)
    )
    assert garch_log_likelihood(returns, 0.0, 1e-6, 0.1, 0.8) == pytest.approx(expected_log_likelihood, rel=1e-12)


def _simulated_garch(observations: int) -> np.ndarray:
    """A GARCH(1,1) path (ω = 2e-6, α = 0.08, β = 0.9, μ = 3e-4) simulated by the plain loop, seed 1."""
    rng = np.random.default_rng(1)
    omega, alpha, beta = 2e-6, 0.08, 0.9
    returns = np.empty(observations)
    variance = omega / (1 - alpha - beta)
    for t in range(observations):
        returns[t] = math.sqrt(variance) * rng.standard_normal()
        variance = omega + alpha * returns[t] ** 2 + beta * variance
    return returns + 3e-4


def _hourly_eth_returns() -> np.ndarray:
    with (shared_data_dir() / GEB_FILE).open(newline="") as handle:
        closes = [float(row["Close"]) for row in csv.DictReader(handle)]
    return log_returns(closes[::-1])  # the file runs newest first


def _arch_reference(returns: np.ndarray, mean: str) -> tuple[dict[str, float], dict[str, float], float, object]:
    """Fit arch on 100·r; return parameters and standard errors in the units of r, the log-likelihood, the result."""
    result = arch_model(returns * 100, mean=mean.capitalize(), vol="GARCH", p=1, q=1, rescale=False).fit(disp="off")
    unit = {"mu": 100.0, "omega": 1e4, "alpha[1]": 1.0, "beta[1]": 1.0}
    params = {name: float(result.params[name]) / unit[name] for name in result.params.index}
    errors = {name: float(result.std_err[name]) / unit[name] for name in result.params.index}
    return params, errors, float(result.loglikelihood) + returns.shape[0] * math.log(100.0), result


@pytest.mark.parametrize(
    ("series", "mean"),
    [("simulated", "zero"), ("simulated", "constant"), ("eth_hourly", "zero"), ("eth_hourly", "constant")],
)
def test_garch_fit_matches_arch(series: str, mean: str):
    # Arrange
    returns = _simulated_garch(3_000) if series == "simulated" else _hourly_eth_returns()
    params, errors, arch_log_likelihood, _ = _arch_reference(returns, mean)

    # Act
    fit = fit_garch(returns, mean=mean)  # type: ignore[arg-type]

    # Assert: the likelihood at arch's own parameters is arch's (same model, start-up and recursion):
    # only float summation order differs, 1e-9 relative of a log-likelihood of 1e4-1e5.
    at_arch = garch_log_likelihood(
        returns, params.get("mu", 0.0), params["omega"], params["alpha[1]"], params["beta[1]"]
    )
    assert at_arch == pytest.approx(arch_log_likelihood, rel=1e-9)
    # Both optimisers stop within their tolerances of the same maximum: 1e-3 nats apart at most
    # (a likelihood-ratio difference 4,000 times smaller than the 5% critical value 3.84/2 would notice).
    assert fit.log_likelihood == pytest.approx(arch_log_likelihood, abs=1e-3)
    # Parameters within 1% of arch's standard error: optimiser noise, far inside the estimate's uncertainty.
    ours = {"mu": fit.mean, "omega": fit.omega, "alpha[1]": fit.alpha, "beta[1]": fit.beta}
    for name, value in params.items():
        assert ours[name] == pytest.approx(value, abs=0.01 * errors[name]), name
    if mean == "zero":
        assert fit.mean == 0.0


def test_garch_forecast_matches_arch_at_arch_parameters():
    # Arrange: our forecast formula fed arch's parameters and last variance, against arch's own forecast.
    returns = _simulated_garch(2_000)
    params, _, log_likelihood, result = _arch_reference(returns, "zero")
    path = garch_variance(returns, 0.0, params["omega"], params["alpha[1]"], params["beta[1]"])
    fit = GarchFit(
        mean=0.0,
        omega=params["omega"],
        alpha=params["alpha[1]"],
        beta=params["beta[1]"],
        log_likelihood=log_likelihood,
        conditional_variance=path[:-1],
        next_variance=float(path[-1]),
        observations=returns.shape[0],
    )

    # Act
    forecast = garch_forecast_variance(fit, 10)

    # Assert: arch's variances are for 100·r, hence /1e4; same formula, a few ulps apart.
    expected = result.forecast(horizon=10, reindex=False).variance.to_numpy()[-1] / 1e4  # type: ignore[attr-defined]
    np.testing.assert_allclose(forecast, expected, rtol=1e-9)


def test_integrated_garch_forecast_grows_by_omega_per_period():
    # α + β = 1: E[σ²_{n+h−1}] = σ²_n + (h − 1) ω, by hand.
    fit = GarchFit(0.0, 1e-6, 0.1, 0.9, 0.0, np.array([1e-4]), 2e-4, 1)

    assert garch_forecast_variance(fit, 3) == pytest.approx([2e-4, 2e-4 + 1e-6, 2e-4 + 2e-6], rel=RELATIVE_FLOAT)
    assert fit.unconditional_variance == math.inf


def test_garch_refuses_a_short_series():
    with pytest.raises(SeriesTooShort):
        fit_garch(np.full(49, 0.01))


def test_garch_refuses_a_constant_series():
    with pytest.raises(InvalidSeries):
        fit_garch(np.zeros(100))


def test_garch_refuses_an_unknown_mean_model():
    with pytest.raises(InvalidParameter):
        fit_garch(_simulated_garch(100), mean="ar1")  # type: ignore[arg-type]


@pytest.mark.parametrize(("field", "value"), [("mean", float("nan")), ("backcast", -1e-4)])
def test_garch_variance_refuses_a_non_finite_mean_or_negative_backcast(field: str, value: float):
    arguments = {"mean": 0.0, "backcast": None} | {field: value}

    with pytest.raises(InvalidParameter) as error:
        garch_variance([0.01, -0.02], omega=1e-6, alpha=0.1, beta=0.8, **arguments)  # type: ignore[arg-type]
    assert error.value.field == field
