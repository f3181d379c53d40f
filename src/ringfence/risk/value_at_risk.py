"""Value-at-risk and expected shortfall of portfolios, with the collateral inside the simulation.

OCC's STANS margins a portfolio by its 99% expected shortfall over a two-day horizon, on
scenarios of joint price moves (OCC, "Margin Methodology: STANS", 2021). Here a scenario is one
joint log-return of every underlying over the horizon (``N × U``): from history
(:func:`historical_returns`, overlapping windows of real prices) or from a model
(:func:`monte_carlo_returns`, correlated lognormal). Each instrument is repriced **once per
scenario** (:func:`ringfence.risk.portfolio_margin.instrument_values`: the horizon passes, the
volatility is held), the collateral moves with its underlying, and the accounts' results are one
sparse matrix product per chunk of accounts, never a loop over accounts.

Definitions (discrete, no interpolation), for an account's losses ``L`` over ``N`` scenarios sorted
from the largest, ``L(1) ≥ L(2) ≥ …``, and ``k = ⌈(1 − α)·N⌉``::

    VaR_α = L(k)                  ES_α = (L(1) + … + L(k)) / k

(the average of the ``k`` worst outcomes: C. Acerbi and D. Tasche, "On the coherence of expected
shortfall", *J. Banking & Finance* 26 (2002) 1487–1503, for ``(1 − α)·N`` an integer). Losses are
in quote units; a gain is a negative loss, and neither figure is floored at 0 here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy import sparse  # type: ignore[import-untyped]  # no scipy-stubs in the dev environment

from ringfence.core.errors import InvalidParameter
from ringfence.risk import _inputs
from ringfence.risk._inputs import FloatArray
from ringfence.risk.portfolio_margin import Collateral, Instruments, Market, instrument_values

__all__ = ["TailRisk", "historical_returns", "monte_carlo_returns", "tail_risk"]

ACCOUNTS_PER_CHUNK = 4_096
"""Accounts whose ``N`` results are held at once (bounds memory at ``4,096 · N`` floats)."""


@dataclass(frozen=True, slots=True, eq=False)
class TailRisk:
    """Per account: value-at-risk and expected shortfall (quote units), and the ``k`` averaged."""

    value_at_risk: FloatArray
    expected_shortfall: FloatArray
    tail_count: int


def historical_returns(prices: ArrayLike, horizon_steps: int) -> FloatArray:
    """Return the overlapping ``horizon_steps`` log-returns of a ``T × U`` price history (``(T − h) × U``)."""
    history = _inputs.prices("prices", prices, 2)
    if history.ndim != 2:
        raise InvalidParameter("prices", history.shape, "a T × U array (time by underlying)")
    steps = _inputs.count("horizon_steps", horizon_steps, 1)
    if steps >= history.shape[0]:
        raise InvalidParameter("horizon_steps", steps, f"fewer than the {history.shape[0]} observations")
    logs = np.log(history)
    return np.asarray(logs[steps:] - logs[:-steps], dtype=np.float64)


def monte_carlo_returns(
    volatility: ArrayLike, correlation: ArrayLike, horizon_years: float, scenarios: int, rng: np.random.Generator
) -> FloatArray:
    """Return ``scenarios × U`` lognormal log-returns over the horizon, driftless in price (``−σ²h/2``)."""
    sigma = np.atleast_1d(_inputs.positive("volatility", volatility))
    matrix = _inputs.finite("correlation", correlation)
    if matrix.shape != (sigma.shape[0], sigma.shape[0]):
        raise InvalidParameter("correlation", matrix.shape, f"a {sigma.shape[0]} × {sigma.shape[0]} matrix")
    horizon = _inputs.fraction("horizon_years", horizon_years, 0.0, math.inf)
    count = _inputs.count("scenarios", scenarios, 1)
    try:
        factor = np.linalg.cholesky(matrix)
    except np.linalg.LinAlgError as error:
        raise InvalidParameter("correlation", matrix.tolist(), "a positive definite correlation matrix") from error
    normals = rng.standard_normal((count, sigma.shape[0])) @ factor.T
    root = sigma * math.sqrt(horizon)
    return np.asarray(normals * root - 0.5 * root * root, dtype=np.float64)


def tail_risk(
    positions: sparse.sparray | sparse.spmatrix,
    instruments: Instruments,
    market: Market,
    returns: ArrayLike,
    horizon_years: float,
    confidence: float = 0.99,
    collateral_units: sparse.sparray | sparse.spmatrix | None = None,
    collateral: Collateral | None = None,
) -> TailRisk:
    """Return each account's VaR and ES at ``confidence`` over the scenarios ``returns`` (``N × U``).

    Parameters
    ----------
    positions:
        ``A × I`` signed contract quantities (sparse).
    instruments, market:
        The instruments and their underlyings' prices now.
    returns:
        One joint log-return of every underlying per row, over the horizon.
    horizon_years:
        The time that passes in each scenario (options age by it).
    confidence:
        ``α`` in (0, 1).
    collateral_units, collateral:
        ``A × C`` units held and the assets; both or neither.
    """
    holdings = sparse.csr_array(positions, dtype=np.float64)
    moves = _inputs.finite("returns", returns)
    if moves.ndim != 2 or moves.shape[1] != market.price.shape[0]:
        raise InvalidParameter("returns", moves.shape, f"N × {market.price.shape[0]} log-returns")
    if holdings.shape[1] != instruments.size:
        raise InvalidParameter("positions", holdings.shape, f"one column per instrument ({instruments.size})")
    alpha = _inputs.fraction("confidence", confidence, 0.0, 1.0)
    horizon = _inputs.fraction("horizon_years", horizon_years, 0.0, math.inf)
    factor = np.exp(moves.T)  # U × N
    now = instrument_values(instruments, market, 1.0, instruments.volatility[:, None], 0.0)
    later = instrument_values(
        instruments, market, factor[instruments.underlying], instruments.volatility[:, None], horizon
    )
    pnl = later - now  # I × N: each instrument repriced once per scenario
    extra = None
    if (collateral_units is None) != (collateral is None):
        raise InvalidParameter("collateral", "one of collateral_units and collateral", "both or neither")
    if collateral_units is not None and collateral is not None:
        moves_of = np.where(
            collateral.underlying[:, None] >= 0, factor[np.maximum(collateral.underlying, 0)] - 1.0, 0.0
        )
        extra = (sparse.csr_array(collateral_units, dtype=np.float64), collateral.price[:, None] * moves_of)
    scenarios = moves.shape[0]
    # (1 − 0.99)·1000 is 10.000000000000009 in floats: round before the ceiling so k is 10, not 11
    k = math.ceil(round((1.0 - alpha) * scenarios, 9))
    var = np.empty(holdings.shape[0])
    es = np.empty(holdings.shape[0])
    for start in range(0, holdings.shape[0], ACCOUNTS_PER_CHUNK):
        stop = min(start + ACCOUNTS_PER_CHUNK, holdings.shape[0])
        losses = -(holdings[start:stop] @ pnl)
        if extra is not None:
            losses -= extra[0][start:stop] @ extra[1]
        worst = -np.partition(-losses, k - 1, axis=1)[:, :k]
        var[start:stop] = worst.min(axis=1)
        es[start:stop] = worst.mean(axis=1)
    return TailRisk(var, es, k)
