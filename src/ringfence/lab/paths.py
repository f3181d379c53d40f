"""Seeded price processes: arrays of shape ``(n_paths, n_steps + 1)``, column 0 the initial price.

Every function takes a ``numpy.random.Generator`` (``numpy.random.default_rng(seed)``); the same
seed gives identical arrays. Rates are per year and time steps are in years (``step_years``);
crypto markets trade every day, so :data:`SECONDS_PER_YEAR` counts 365 days of 86,400 s.
GARCH is the exception: its parameters are per step, as Bollerslev writes them.

Parameters outside their domain raise :class:`ringfence.core.errors.InvalidParameter` naming the
argument, before any random number is drawn.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ringfence.core.errors import InvalidParameter
from ringfence.lab._checks import (
    check_count,
    check_finite,
    check_generator,
    check_non_negative,
    check_positive,
)

__all__ = [
    "SECONDS_PER_YEAR",
    "correlated_gbm_paths",
    "correlated_jump_paths",
    "correlation_factor",
    "garch_paths",
    "gbm_paths",
    "merton_jump_paths",
]

SECONDS_PER_YEAR = 365 * 86_400

#: Tolerance of the correlation checks: symmetry, unit diagonal and the smallest eigenvalue.
#: Matrices typed by hand with a few decimals are exact far above 1e-10.
CORRELATION_TOLERANCE = 1e-10

FloatArray = NDArray[np.float64]


def _prices_from_log_increments(initial_price: float, log_increments: FloatArray) -> FloatArray:
    """Turn increments of shape ``(..., n_steps)`` into prices of shape ``(..., n_steps + 1)``."""
    shape = (*log_increments.shape[:-1], log_increments.shape[-1] + 1)
    log_prices = np.empty(shape, dtype=np.float64)
    log_prices[..., 0] = 0.0
    np.cumsum(log_increments, axis=-1, out=log_prices[..., 1:])
    return initial_price * np.exp(log_prices)


def gbm_paths(
    initial_price: float,
    drift: float,
    volatility: float,
    step_years: float,
    n_steps: int,
    n_paths: int,
    rng: np.random.Generator,
) -> FloatArray:
    """Simulate geometric Brownian motion exactly on a uniform grid.

    ``dS = μ S dt + σ S dW`` has the exact solution sampled step by step as
    ``S(t+Δ) = S(t) · exp((μ − σ²/2) Δ + σ √Δ Z)``, ``Z ~ N(0, 1)`` independent: no discretisation
    error at any step size.

    Source: P. Glasserman, *Monte Carlo Methods in Financial Engineering* (Springer, 2004),
    §3.2 (geometric Brownian motion: the exact recursion on a time grid).

    Parameters
    ----------
    initial_price:
        ``S(0) > 0``.
    drift, volatility:
        ``μ`` and ``σ ≥ 0`` per year.
    step_years:
        ``Δ > 0`` in years.
    n_steps, n_paths:
        Grid steps and independent paths, each ``≥ 1``.
    rng:
        The seeded generator.

    Returns
    -------
    numpy.ndarray
        Prices of shape ``(n_paths, n_steps + 1)``; column 0 equals ``initial_price``.
    """
    price0 = check_positive("initial_price", initial_price)
    mu = check_finite("drift", drift)
    sigma = check_non_negative("volatility", volatility)
    dt = check_positive("step_years", step_years)
    steps = check_count("n_steps", n_steps)
    paths = check_count("n_paths", n_paths)
    generator = check_generator(rng)
    shocks = generator.standard_normal((paths, steps))
    increments = (mu - 0.5 * sigma * sigma) * dt + sigma * math.sqrt(dt) * shocks
    return _prices_from_log_increments(price0, increments)


def merton_jump_paths(
    initial_price: float,
    drift: float,
    volatility: float,
    jump_intensity: float,
    jump_mean: float,
    jump_volatility: float,
    step_years: float,
    n_steps: int,
    n_paths: int,
    rng: np.random.Generator,
) -> FloatArray:
    """Simulate Merton's jump diffusion exactly on a uniform grid.

    ``dS/S = (μ − λκ) dt + σ dW + (J − 1) dN``: ``N`` is Poisson with intensity ``λ``, each jump
    multiplies the price by ``J = e^Y`` with ``Y ~ N(m, s²)``, and ``κ = E[J − 1] = e^{m + s²/2} − 1``
    compensates the drift so that ``E[S(t)] = S(0) e^{μt}``. Over a step ``Δ``::

        log S(t+Δ) − log S(t) = (μ − λκ − σ²/2) Δ + σ √Δ Z + Σ_{i ≤ N_Δ} Y_i,   N_Δ ~ Poisson(λΔ)

    and given ``N_Δ = n`` the jump sum is ``N(n m, n s²)``, drawn as ``n m + s √n Z'``.

    Sources: R. C. Merton, "Option pricing when underlying stock returns are discontinuous",
    *Journal of Financial Economics* 3 (1976) 125–144; P. Glasserman, *Monte Carlo Methods in
    Financial Engineering* (Springer, 2004), §3.5.1 (jump-diffusion model: simulation on a fixed grid).

    Parameters
    ----------
    initial_price:
        ``S(0) > 0``.
    drift, volatility:
        ``μ`` and ``σ ≥ 0`` per year (``μ`` is the total expected return, jumps included).
    jump_intensity:
        ``λ ≥ 0`` expected jumps per year.
    jump_mean, jump_volatility:
        ``m`` and ``s ≥ 0`` of the normal log-jump size.
    step_years, n_steps, n_paths, rng:
        As in :func:`gbm_paths`.

    Returns
    -------
    numpy.ndarray
        Prices of shape ``(n_paths, n_steps + 1)``.
    """
    price0 = check_positive("initial_price", initial_price)
    mu = check_finite("drift", drift)
    sigma = check_non_negative("volatility", volatility)
    intensity = check_non_negative("jump_intensity", jump_intensity)
    log_jump_mean = check_finite("jump_mean", jump_mean)
    log_jump_volatility = check_non_negative("jump_volatility", jump_volatility)
    dt = check_positive("step_years", step_years)
    steps = check_count("n_steps", n_steps)
    paths = check_count("n_paths", n_paths)
    generator = check_generator(rng)
    diffusion = generator.standard_normal((paths, steps))
    jump_counts = generator.poisson(intensity * dt, (paths, steps))
    jump_shocks = generator.standard_normal((paths, steps))
    jumps = _compensated_jumps(jump_counts, jump_shocks, log_jump_mean, log_jump_volatility, intensity, dt)
    increments = (mu - 0.5 * sigma * sigma) * dt + sigma * math.sqrt(dt) * diffusion + jumps
    return _prices_from_log_increments(price0, increments)


def _compensated_jumps(
    counts: NDArray[np.int64],
    shocks: FloatArray,
    jump_mean: FloatArray | float,
    jump_volatility: FloatArray | float,
    intensity: FloatArray | float,
    dt: float,
) -> FloatArray:
    """Return each step's log jump sum less its compensator: ``n·m + s·√n·Z' − λκΔ``, ``κ = e^{m + s²/2} − 1``.

    Given ``n`` jumps in a step the sum of their ``N(m, s²)`` log sizes is ``N(n m, n s²)``; the
    compensator keeps ``E[S(t)] = S(0) e^{μt}`` (:func:`merton_jump_paths`).
    """
    kappa = np.expm1(np.asarray(jump_mean) + 0.5 * np.asarray(jump_volatility) ** 2)
    jumps = counts * jump_mean + jump_volatility * np.sqrt(counts) * shocks
    return np.asarray(jumps - intensity * kappa * dt)


def _check_garch(omega: float, alpha: float, beta: float) -> tuple[float, float, float]:
    w = check_positive("omega", omega)
    a = check_non_negative("alpha", alpha)
    b = check_non_negative("beta", beta)
    if a + b >= 1.0:
        raise InvalidParameter("alpha + beta", a + b, "alpha + beta < 1 (a covariance-stationary GARCH(1,1))")
    return w, a, b


def garch_paths(
    initial_price: float,
    omega: float,
    alpha: float,
    beta: float,
    n_steps: int,
    n_paths: int,
    rng: np.random.Generator,
    mean_return: float = 0.0,
    initial_variance: float | None = None,
) -> FloatArray:
    """Simulate prices whose log returns follow a GARCH(1,1) with normal innovations.

    Per step ``t``: ``r_t = μ + ε_t``, ``ε_t = σ_t Z_t``, ``σ²_{t+1} = ω + α ε²_t + β σ²_t``, and
    ``S_t = S_{t−1} e^{r_t}``. With ``ω > 0``, ``α, β ≥ 0`` and ``α + β < 1`` the process is
    covariance stationary with unconditional variance ``ω / (1 − α − β)``; starting ``σ²_1`` there
    (the default) makes ``E[ε²_t] = ω / (1 − α − β)`` at every step.

    Source: T. Bollerslev, "Generalized autoregressive conditional heteroskedasticity",
    *Journal of Econometrics* 31 (1986) 307–327: the GARCH(p, q) definition with p = q = 1, and
    Theorem 1 (wide-sense stationary iff α + β < 1, with variance ω / (1 − α − β)).

    Parameters
    ----------
    initial_price:
        ``S_0 > 0``.
    omega, alpha, beta:
        Per-step GARCH(1,1) coefficients: ``ω > 0``, ``α, β ≥ 0``, ``α + β < 1``.
    n_steps, n_paths, rng:
        As in :func:`gbm_paths`.
    mean_return:
        ``μ``, the mean log return per step.
    initial_variance:
        ``σ²_1 > 0``; the unconditional variance when omitted.

    Returns
    -------
    numpy.ndarray
        Prices of shape ``(n_paths, n_steps + 1)``.
    """
    price0 = check_positive("initial_price", initial_price)
    w, a, b = _check_garch(omega, alpha, beta)
    mu = check_finite("mean_return", mean_return)
    steps = check_count("n_steps", n_steps)
    paths = check_count("n_paths", n_paths)
    generator = check_generator(rng)
    unconditional = w / (1.0 - a - b)
    variance0 = unconditional if initial_variance is None else check_positive("initial_variance", initial_variance)
    shocks = generator.standard_normal((paths, steps))
    increments = np.empty((paths, steps), dtype=np.float64)
    variance = np.full(paths, variance0, dtype=np.float64)
    for step in range(steps):
        residual = np.sqrt(variance) * shocks[:, step]
        increments[:, step] = mu + residual
        variance = w + a * residual * residual + b * variance
    return _prices_from_log_increments(price0, increments)


def correlation_factor(correlation: ArrayLike) -> FloatArray:
    """Validate a correlation matrix and return ``L`` with ``L Lᵀ = C``.

    The matrix must be square, symmetric, with a unit diagonal, entries in ``[−1, 1]`` and positive
    semi-definite (smallest eigenvalue ``≥ −1e-10``). ``L`` is the Cholesky factor; a singular but
    positive semi-definite matrix (perfectly correlated assets) has none, so its factor is built from
    the eigendecomposition ``V diag(√λ⁺)`` instead, which also satisfies ``L Lᵀ = C``.

    Source: P. Glasserman, *Monte Carlo Methods in Financial Engineering* (Springer, 2004),
    §2.3.3 (generating multivariate normals: the Cholesky factor, and the eigenvector factor for
    the semi-definite case).
    """
    matrix = np.asarray(correlation, dtype=np.float64)
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1] or matrix.shape[0] < 1:
        raise InvalidParameter("correlation", matrix.tolist(), "a non-empty square matrix")
    if not np.all(np.isfinite(matrix)):
        raise InvalidParameter("correlation", matrix.tolist(), "finite entries")
    if not np.allclose(matrix, matrix.T, rtol=0.0, atol=CORRELATION_TOLERANCE):
        raise InvalidParameter("correlation", matrix.tolist(), "a symmetric matrix")
    if not np.allclose(np.diag(matrix), 1.0, rtol=0.0, atol=CORRELATION_TOLERANCE):
        raise InvalidParameter("correlation", matrix.tolist(), "ones on the diagonal")
    if np.any(np.abs(matrix) > 1.0 + CORRELATION_TOLERANCE):
        raise InvalidParameter("correlation", matrix.tolist(), "entries between -1 and 1")
    eigenvalues, eigenvectors = np.linalg.eigh(matrix)
    smallest = float(eigenvalues[0])
    if smallest < -CORRELATION_TOLERANCE:
        raise InvalidParameter(
            "correlation",
            matrix.tolist(),
            f"a positive semi-definite matrix (smallest eigenvalue is {smallest:.6g})",
        )
    try:
        factor = np.linalg.cholesky(matrix)
    except np.linalg.LinAlgError:
        factor = eigenvectors * np.sqrt(np.clip(eigenvalues, 0.0, None))
    return np.asarray(factor, dtype=np.float64)


def _per_asset(name: str, values: Sequence[float], n_assets: int) -> list[float]:
    if len(values) != n_assets:
        raise InvalidParameter(name, list(values), f"{n_assets} values, one per asset of the correlation matrix")
    return list(values)


def correlated_gbm_paths(
    initial_prices: Sequence[float],
    drifts: Sequence[float],
    volatilities: Sequence[float],
    correlation: ArrayLike,
    step_years: float,
    n_steps: int,
    n_paths: int,
    rng: np.random.Generator,
) -> FloatArray:
    """Simulate several GBM assets whose Brownian increments have correlation matrix ``C``.

    Each step draws ``Z ~ N(0, I)`` and uses ``W = L Z`` with ``L Lᵀ = C``
    (:func:`correlation_factor`), then the exact GBM step of :func:`gbm_paths` per asset.
    Log increments of assets ``i`` and ``j`` then have correlation ``C_ij``.

    Source: P. Glasserman, *Monte Carlo Methods in Financial Engineering* (Springer, 2004),
    §3.2.3 (GBM in multiple dimensions, driven by correlated Brownian motions).

    Returns
    -------
    numpy.ndarray
        Prices of shape ``(n_assets, n_paths, n_steps + 1)``: ``result[i]`` is asset ``i``'s
        ``(n_paths, n_steps + 1)`` array, in the order of the correlation matrix.
    """
    factor = correlation_factor(correlation)
    n_assets = factor.shape[0]
    prices0 = [
        check_positive(f"initial_prices[{i}]", p)
        for i, p in enumerate(_per_asset("initial_prices", initial_prices, n_assets))
    ]
    mus = [check_finite(f"drifts[{i}]", m) for i, m in enumerate(_per_asset("drifts", drifts, n_assets))]
    sigmas = [
        check_non_negative(f"volatilities[{i}]", s)
        for i, s in enumerate(_per_asset("volatilities", volatilities, n_assets))
    ]
    dt = check_positive("step_years", step_years)
    steps = check_count("n_steps", n_steps)
    paths = check_count("n_paths", n_paths)
    generator = check_generator(rng)
    independent = generator.standard_normal((n_assets, paths, steps))
    correlated = np.einsum("ij,jps->ips", factor, independent)
    sigma = np.asarray(sigmas)[:, None, None]
    mu = np.asarray(mus)[:, None, None]
    increments = (mu - 0.5 * sigma * sigma) * dt + sigma * math.sqrt(dt) * correlated
    scale = np.asarray(prices0)[:, None, None]
    return scale * _prices_from_log_increments(1.0, increments)


def _jump_parameters(
    intensities: Sequence[float], means: Sequence[float], volatilities: Sequence[float], n_assets: int
) -> tuple[FloatArray, FloatArray, FloatArray]:
    lam = [
        check_non_negative(f"jump_intensities[{i}]", v)
        for i, v in enumerate(_per_asset("jump_intensities", intensities, n_assets))
    ]
    mean = [check_finite(f"jump_means[{i}]", v) for i, v in enumerate(_per_asset("jump_means", means, n_assets))]
    sd = [
        check_non_negative(f"jump_volatilities[{i}]", v)
        for i, v in enumerate(_per_asset("jump_volatilities", volatilities, n_assets))
    ]
    return np.asarray(lam)[:, None, None], np.asarray(mean)[:, None, None], np.asarray(sd)[:, None, None]


def correlated_jump_paths(
    base: FloatArray,
    jump_intensities: Sequence[float],
    jump_means: Sequence[float],
    jump_volatilities: Sequence[float],
    step_years: float,
    rng: np.random.Generator,
) -> FloatArray:
    """Add independent Merton jumps per asset to correlated GBM prices.

    ``base`` comes from :func:`correlated_gbm_paths` (shape ``(n_assets, n_paths, n_steps + 1)``);
    each asset ``i`` gets its own Poisson jumps of intensity ``λ_i`` with log sizes ``N(m_i, s_i²)``,
    drift-compensated by ``λ_i κ_i`` (``κ_i = e^{m_i + s_i²/2} − 1``) exactly as in
    :func:`merton_jump_paths`, so ``E[S_i(t)] = S_i(0) e^{μ_i t}``. The diffusions stay correlated;
    the jumps are independent across assets (a crash in one asset is idiosyncratic, the co-movement
    comes from the correlated diffusion).

    Sources: R. C. Merton (1976), *Journal of Financial Economics* 3, 125–144; P. Glasserman,
    *Monte Carlo Methods in Financial Engineering* (2004), §3.5.1 and §2.3.3.
    """
    n_assets, paths, columns = base.shape
    lam, mean, sd = _jump_parameters(jump_intensities, jump_means, jump_volatilities, n_assets)
    dt = check_positive("step_years", step_years)
    generator = check_generator(rng)
    counts = generator.poisson(np.broadcast_to(lam * dt, (n_assets, paths, columns - 1)))
    shocks = generator.standard_normal((n_assets, paths, columns - 1))
    jumps = _compensated_jumps(counts, shocks, mean, sd, lam, dt)
    return np.asarray(base * _prices_from_log_increments(1.0, jumps))
