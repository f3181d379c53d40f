"""Volatility models over float64 arrays: EWMA (RiskMetrics), GARCH(1,1) by maximum likelihood, realised volatility.

Conventions (the same in every function):

- a *return* is a log return ``r_t = log(P_t / P_{t−1})``; time runs along the **last axis**;
- variances and volatilities are **per period** of the series (per hour for hourly bars) unless
  a function says *annualised*; :func:`annualised_volatility` converts with ``√(periods per year)``;
- inputs are checked, never repaired: a NaN, an infinity, a non-positive price or a too-short
  series raises a named error of :mod:`ringfence.risk.errors` (drop bad ticks before calling).

Sources
-------
- EWMA: J.P. Morgan / Reuters, *RiskMetrics — Technical Document*, 4th ed. (New York, 1996),
  ch. 5: §5.2 (the EWMA forecast and its recursive form ``σ²_{t+1|t} = λ σ²_{t|t−1} + (1 − λ) r²_t``,
  zero mean; longer horizons by the square root of time) and §5.3 (the decay factor: 0.94 for daily data).
- GARCH(1,1): T. Bollerslev, "Generalized autoregressive conditional heteroskedasticity",
  *Journal of Econometrics* 31 (1986) 307–327; the Gaussian log-likelihood, its start-up
  (backcast) and constraints as the reference implementation ``arch`` writes them
  (K. Sheppard, https://arch.readthedocs.io/en/latest/univariate/univariate_volatility_modeling.html).
- Realised volatility: T. G. Andersen, T. Bollerslev, F. X. Diebold, P. Labys, "Modeling and
  forecasting realized volatility", *Econometrica* 71 (2003) 579–625, eq. (2): the realised
  variance is the sum of squared intra-window returns.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike
from scipy.optimize import minimize  # type: ignore[import-untyped]  # no scipy-stubs in the dev environment
from scipy.signal import lfilter  # type: ignore[import-untyped]

from ringfence.core.errors import InvalidParameter
from ringfence.risk import _inputs
from ringfence.risk._inputs import FloatArray
from ringfence.risk.errors import GarchFitFailed, InvalidSeries

__all__ = [
    "RISKMETRICS_DECAY",
    "GarchFit",
    "annualised_volatility",
    "ewma_variance",
    "ewma_volatility",
    "fit_garch",
    "garch_forecast_variance",
    "garch_log_likelihood",
    "garch_variance",
    "log_returns",
    "realised_volatility",
]

RISKMETRICS_DECAY = 0.94
"""λ of RiskMetrics for daily data (Technical Document 1996, §5.3)."""

MIN_GARCH_OBSERVATIONS = 50
"""Fewest returns :func:`fit_garch` accepts: below this the three variance parameters are not identified in practice."""

BACKCAST_DECAY = 0.94
BACKCAST_OBSERVATIONS = 75
"""The recursion's start ``σ²_0`` is ``arch``'s backcast: a 0.94-weighted mean of the first 75 squared residuals."""

_HALF_LOG_TWO_PI = 0.5 * math.log(2.0 * math.pi)


def log_returns(prices: ArrayLike) -> FloatArray:
    """Return the log returns ``log(P_t / P_{t−1})`` of a price series along its last axis.

    Parameters
    ----------
    prices:
        Finite prices > 0, at least 2 along the last axis.

    Returns
    -------
    numpy.ndarray
        One fewer observation than ``prices`` on the last axis.

    Raises
    ------
    NonFiniteSeries, NonPositivePrices, SeriesTooShort
        For a NaN or infinity, a price ≤ 0, or fewer than 2 prices.
    """
    checked = _inputs.prices("prices", prices, 2)
    return np.asarray(np.diff(np.log(checked), axis=-1))


def ewma_variance(
    returns: ArrayLike, decay: float = RISKMETRICS_DECAY, initial_variance: float | None = None
) -> FloatArray:
    """Return the RiskMetrics exponentially weighted variance forecast after each return.

    ``s_t = λ s_{t−1} + (1 − λ) r_t²`` (RiskMetrics Technical Document 1996, §5.2, the recursive
    form, with the document's zero mean): ``s_t`` is the variance forecast for period ``t + 1`` made once
    ``r_t`` is known. The recursion starts from ``s_{−1} = initial_variance``, or from ``r_0²``
    when it is not given (then ``s_0 = r_0²``); no later return is used, so the forecast has no
    look-ahead. The RiskMetrics forecast is flat: the variance over ``h`` further periods is ``h·s_t``.

    Parameters
    ----------
    returns:
        Finite log returns, time on the last axis (several series at once are fine), at least 1.
    decay:
        ``λ`` in (0, 1); 0.94 is RiskMetrics' daily value (0.97 its monthly one).
    initial_variance:
        ``s_{−1} ≥ 0``, or None for ``r_0²``.

    Returns
    -------
    numpy.ndarray
        The variance forecasts ``s_t``, same shape as ``returns``.
    """
    checked = _inputs.series("returns", returns, 1)
    weight = _inputs.fraction("decay", decay, 0.0, 1.0)
    squared = checked * checked
    if initial_variance is None:
        start = squared[..., :1]
    else:
        start = np.full((*checked.shape[:-1], 1), float(_inputs.non_negative("initial_variance", initial_variance)))
    variance, _ = lfilter([1.0 - weight], [1.0, -weight], squared, axis=-1, zi=weight * start)
    return np.asarray(variance, dtype=np.float64)


def ewma_volatility(
    returns: ArrayLike, decay: float = RISKMETRICS_DECAY, initial_variance: float | None = None
) -> FloatArray:
    """Return ``√`` of :func:`ewma_variance`: the per-period volatility forecast after each return."""
    return np.sqrt(ewma_variance(returns, decay, initial_variance))


def annualised_volatility(per_period_volatility: ArrayLike, periods_per_year: float) -> FloatArray:
    """Return ``σ_period · √(periods per year)`` (8,760 for hourly crypto bars, 365 for daily).

    Square-root-of-time scaling: exact for independent returns, the RiskMetrics convention
    (Technical Document 1996, §5.2) otherwise.
    """
    volatility = _inputs.non_negative("per_period_volatility", per_period_volatility)
    periods = float(_inputs.positive("periods_per_year", periods_per_year))
    return np.asarray(volatility * math.sqrt(periods))


def realised_volatility(prices: ArrayLike, window: int, periods_per_year: float) -> FloatArray:
    """Return the annualised realised-volatility index of a price series over a rolling window.

    ``RV_k = √(periods_per_year / window · Σ_{j<window} r²_{k+j})`` with log returns ``r``
    (Andersen, Bollerslev, Diebold and Labys 2003, eq. 2: realised variance is the sum of squared
    returns; zero mean, as is usual at intraday frequency). Element ``k`` covers the returns ending
    at price index ``k + window``.

    Parameters
    ----------
    prices:
        Finite prices > 0, time on the last axis, at least ``window + 1`` of them.
    window:
        Returns per window, ≥ 1 (24 for a daily index on hourly bars).
    periods_per_year:
        Bars per year (8,760 for hourly crypto bars: markets trade every day).

    Returns
    -------
    numpy.ndarray
        ``len(prices) − window`` annualised volatilities on the last axis.
    """
    count_window = _inputs.count("window", window, 1)
    checked = _inputs.prices("prices", prices, count_window + 1)
    periods = float(_inputs.positive("periods_per_year", periods_per_year))
    returns = np.diff(np.log(checked), axis=-1)
    windows = np.lib.stride_tricks.sliding_window_view(returns * returns, count_window, axis=-1)
    return np.asarray(np.sqrt(windows.sum(axis=-1) * (periods / count_window)))


# --------------------------------------------------------------------------- GARCH(1,1)


@dataclass(frozen=True, slots=True, eq=False)
class GarchFit:
    """A GARCH(1,1) fitted by maximum likelihood, in the units of the returns it was fitted to.

    ``r_t = μ + ε_t``, ``ε_t = σ_t z_t`` with ``z_t ~ N(0, 1)`` and
    ``σ²_t = ω + α ε²_{t−1} + β σ²_{t−1}`` (Bollerslev 1986).

    Attributes
    ----------
    mean:
        ``μ`` per period (0.0 exactly for ``mean="zero"``).
    omega, alpha, beta:
        ``ω > 0``, ``α ≥ 0``, ``β ≥ 0``, ``α + β ≤ 1`` (``arch``'s constraint).
    log_likelihood:
        The maximised Gaussian log-likelihood of the returns.
    conditional_variance:
        ``σ²_t`` for every return (in-sample).
    next_variance:
        ``σ²_{n}``: the one-step-ahead forecast after the last return.
    observations:
        The number of returns fitted.
    """

    mean: float
    omega: float
    alpha: float
    beta: float
    log_likelihood: float
    conditional_variance: FloatArray
    next_variance: float
    observations: int

    @property
    def persistence(self) -> float:
        """Return ``α + β``: how slowly a variance shock decays (1 is integrated GARCH)."""
        return self.alpha + self.beta

    @property
    def unconditional_variance(self) -> float:
        """Return ``ω / (1 − α − β)``, or infinity when ``α + β = 1`` (no finite long-run variance)."""
        gap = 1.0 - self.persistence
        return self.omega / gap if gap > 0.0 else math.inf


def _backcast(residuals: FloatArray) -> float:
    count = min(BACKCAST_OBSERVATIONS, residuals.shape[0])
    weights = BACKCAST_DECAY ** np.arange(count)
    return float(np.sum(residuals[:count] ** 2 * weights) / weights.sum())


def _variance_path(squared: FloatArray, omega: float, alpha: float, beta: float, backcast: float) -> FloatArray:
    """Return ``σ²_0 … σ²_n`` (one past the data): ``σ²_0 = ω + (α + β)·backcast``, then the recursion."""
    variance = np.empty(squared.shape[0] + 1)
    variance[0] = omega + (alpha + beta) * backcast
    drive = omega + alpha * squared
    variance[1:], _ = lfilter([1.0], [1.0, -beta], drive, zi=[beta * variance[0]])
    return variance


def _log_likelihood(squared: FloatArray, variance: FloatArray) -> float:
    return float(-np.sum(_HALF_LOG_TWO_PI + 0.5 * np.log(variance) + 0.5 * squared / variance))


def _check_parameters(omega: float, alpha: float, beta: float) -> None:
    if not (math.isfinite(omega) and omega > 0.0):
        raise InvalidParameter("omega", omega, "a finite number > 0")
    for name, value in (("alpha", alpha), ("beta", beta)):
        if not (math.isfinite(value) and value >= 0.0):
            raise InvalidParameter(name, value, "a finite number >= 0")


def garch_variance(
    returns: ArrayLike, mean: float, omega: float, alpha: float, beta: float, backcast: float | None = None
) -> FloatArray:
    """Return the GARCH(1,1) conditional variances ``σ²_0 … σ²_n`` of a return series (``n + 1`` values).

    ``σ²_t = ω + α ε²_{t−1} + β σ²_{t−1}`` with ``ε = r − μ`` (Bollerslev 1986), started as ``arch``
    starts it: ``σ²_0 = ω + (α + β)·b`` with the backcast ``b`` (0.94-weighted mean of the first
    75 squared residuals about the sample mean when ``mean`` is not 0, the constant-mean model;
    about 0 when ``mean`` is 0, the zero-mean model; pass ``backcast`` to override). The last
    value is the one-step-ahead forecast.
    """
    checked = _inputs.series("returns", returns, 1)
    if checked.ndim != 1:
        raise InvalidParameter("returns", checked.shape, "a one-dimensional return series")
    _check_parameters(omega, alpha, beta)
    if not math.isfinite(mean):
        raise InvalidParameter("mean", mean, "a finite number")
    if backcast is not None and not (math.isfinite(backcast) and backcast >= 0.0):
        raise InvalidParameter("backcast", backcast, "a finite number >= 0")
    start = _backcast(checked - (checked.mean() if mean != 0.0 else 0.0)) if backcast is None else backcast
    residuals = checked - mean
    return _variance_path(residuals * residuals, omega, alpha, beta, float(start))


def garch_log_likelihood(
    returns: ArrayLike, mean: float, omega: float, alpha: float, beta: float, backcast: float | None = None
) -> float:
    """Return the Gaussian log-likelihood ``−½ Σ (log 2π + log σ²_t + ε²_t / σ²_t)`` of a GARCH(1,1).

    The variances are :func:`garch_variance`'s (same start-up as ``arch``), so at ``arch``'s
    parameters this equals its ``loglikelihood``.
    """
    checked = _inputs.series("returns", returns, 1)
    variance = garch_variance(checked, mean, omega, alpha, beta, backcast)
    residuals = checked - mean
    return _log_likelihood(residuals * residuals, variance[:-1])


def _starting_points(mean: float, variance: float, fit_mean: bool) -> list[FloatArray]:
    points = []
    for alpha in (0.03, 0.08, 0.2):
        for persistence in (0.9, 0.97, 0.995):
            point = [variance * (1.0 - persistence), alpha, persistence - alpha]
            points.append(np.array([mean, *point] if fit_mean else point))
    return points


def fit_garch(returns: ArrayLike, mean: Literal["zero", "constant"] = "zero") -> GarchFit:
    """Fit a GARCH(1,1) with Gaussian errors by maximum likelihood (SLSQP).

    The model, likelihood, start-up and constraints are ``arch``'s ``arch_model(returns,
    mean="Zero" | "Constant", vol="GARCH", p=1, q=1)``: ``ω ∈ [1e−8·v, 10·v]`` with ``v`` the mean
    squared residual, ``α, β ∈ [0, 1]``, ``α + β ≤ 1``. The series is divided by its standard
    deviation before the search (the optimiser's tolerances are then scale-free) and the
    parameters and log-likelihood are returned in the caller's units. The search starts from the
    best of nine points of a grid over (α, α + β), in the manner of ``arch``'s starting values.

    Parameters
    ----------
    returns:
        Finite log returns, one-dimensional, at least :data:`MIN_GARCH_OBSERVATIONS`.
    mean:
        ``"zero"`` (``μ = 0``, usual for high-frequency returns) or ``"constant"`` (``μ`` fitted).

    Returns
    -------
    GarchFit
        Parameters, maximised log-likelihood, in-sample variances and the next-period forecast.

    Raises
    ------
    NonFiniteSeries, SeriesTooShort, InvalidSeries
        A NaN, too few returns, or a series with zero variance.
    GarchFitFailed
        When SLSQP reports failure.
    """
    checked = _inputs.series("returns", returns, MIN_GARCH_OBSERVATIONS)
    if checked.ndim != 1:
        raise InvalidParameter("returns", checked.shape, "a one-dimensional return series")
    if mean not in ("zero", "constant"):
        raise InvalidParameter("mean", mean, "'zero' or 'constant'")
    fit_mean = mean == "constant"
    scale = float(checked.std())
    if scale == 0.0:
        raise InvalidSeries("returns", "a constant series", "returns with a positive variance")
    scaled = checked / scale
    centre = float(scaled.mean()) if fit_mean else 0.0
    backcast = _backcast(scaled - centre)
    variance = float(np.mean((scaled - centre) ** 2))
    observations = int(scaled.shape[0])

    def negative_mean_log_likelihood(theta: FloatArray) -> float:
        location = float(theta[0]) if fit_mean else 0.0
        omega, alpha, beta = (float(v) for v in theta[-3:])
        squared = (scaled - location) ** 2
        path = _variance_path(squared, omega, alpha, beta, backcast)
        return -_log_likelihood(squared, path[:-1]) / observations

    start = min(_starting_points(centre, variance, fit_mean), key=negative_mean_log_likelihood)
    bounds = [(1e-8 * variance, 10.0 * variance), (0.0, 1.0), (0.0, 1.0)]
    result = minimize(
        negative_mean_log_likelihood,
        start,
        method="SLSQP",
        bounds=[(None, None), *bounds] if fit_mean else bounds,
        constraints=[{"type": "ineq", "fun": lambda theta: 1.0 - theta[-2] - theta[-1]}],
        options={"ftol": 1e-12, "maxiter": 500},
    )
    if not result.success:
        raise GarchFitFailed("returns", f"SLSQP: {result.message}")
    location = float(result.x[0]) * scale if fit_mean else 0.0
    omega = float(result.x[-3]) * scale * scale
    alpha, beta = float(result.x[-2]), float(result.x[-1])
    path = garch_variance(checked, location, omega, alpha, beta, backcast * scale * scale)
    residuals = checked - location
    return GarchFit(
        mean=location,
        omega=omega,
        alpha=alpha,
        beta=beta,
        log_likelihood=_log_likelihood(residuals * residuals, path[:-1]),
        conditional_variance=path[:-1],
        next_variance=float(path[-1]),
        observations=observations,
    )


def garch_forecast_variance(fit: GarchFit, horizon: int) -> FloatArray:
    """Return the variance forecasts ``E[σ²_{n+h−1}]`` for ``h = 1 … horizon`` periods after the sample.

    ``E[σ²_{n+h−1}] = ω Σ_{i<h−1} φ^i + φ^{h−1} σ²_n`` with ``φ = α + β`` (Bollerslev 1986, §3;
    for ``φ < 1`` it is ``V + φ^{h−1}(σ²_n − V)``, ``V = ω/(1 − φ)``; for ``φ = 1`` it grows by ``ω``
    a period). The variance of the sum of the next ``h`` returns is the cumulative sum.
    """
    steps = _inputs.count("horizon", horizon, 1)
    persistence = fit.persistence
    powers = persistence ** np.arange(steps)
    geometric = (1.0 - powers) / (1.0 - persistence) if persistence < 1.0 else np.arange(steps, dtype=np.float64)
    return np.asarray(fit.omega * geometric + powers * fit.next_variance)
