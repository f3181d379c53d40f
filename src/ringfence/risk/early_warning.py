"""Early warnings (margin calls) from the probability of touching the liquidation price within a horizon.

**Warnings are risk-layer records (float64), not ledger events.** Nothing here touches
``ringfence.core``: a warning is a row of a NumPy record array (:data:`WARNING_DTYPE`) that a
venue may turn into a notice to a trader; the engine never acts on it.

Per position (bulk over the book as arrays):

1. **Liquidation price.** A position of signed size ``q`` (units of the underlying, > 0 long) at
   price ``S`` whose margin unit has maintenance surplus ``E − R`` (equity minus requirement, USD)
   and whose own requirement is ``|q| · m · S`` (maintenance rate ``m``) reaches the unit's
   maintenance when its own price alone moves to
   ``L = S − (E − R) / (q − |q| m)`` (the other positions of the unit held at their prices): the
   surplus is linear in ``S`` with slope ``q − |q| m``. For a long the slope is positive and ``L``
   lies below ``S``; for a short it is negative and ``L`` lies above. A long with ``L ≤ 0`` cannot be
   liquidated by its own price (probability 0); a unit already at or below maintenance
   (``E − R ≤ 0``) has probability 1.
2. **Probability of touching ``L`` within ``T``** under GBM: the closed form of
   :func:`ringfence.risk.liquidation_probability.liquidation_probability` (Shreve II §7.2), with
   ``σ`` the RiskMetrics EWMA volatility of the path so far (:func:`ewma_annual_volatility`:
   :func:`ringfence.risk.volatility.ewma_variance`, λ = 0.94, annualised by √(periods a year))
   and **drift 0** by default (over hours the drift's effect, ``μT``, is negligible against ``σ√T``,
   and the risk layer does not know the scenario's drift; pass an estimate to use one). With
   ``σ = 0`` (a price that has not moved) the price stays put: probability 0 above maintenance.
3. **Per account**: the probability that *any* of an account's positions is liquidated is at
   least the largest of its positions' probabilities (equal to it when all its positions are on one
   underlying and one side: the highest barrier is touched first) and at most their sum capped at 1
   (the union bound). :func:`account_probability` returns both bounds.
4. **Warnings**: a record ``(time_seconds, account, probability, threshold)`` for every position
   or account whose probability is at or above the threshold (:func:`warnings_at`).
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ringfence.core.errors import InvalidParameter
from ringfence.risk import _inputs
from ringfence.risk._inputs import FloatArray
from ringfence.risk.liquidation_probability import liquidation_probability
from ringfence.risk.volatility import RISKMETRICS_DECAY, annualised_volatility, ewma_variance

__all__ = [
    "SECONDS_PER_YEAR",
    "WARNING_DTYPE",
    "account_probability",
    "ewma_annual_volatility",
    "liquidation_price",
    "touch_probability",
    "warnings_at",
]

SECONDS_PER_YEAR = 365.0 * 86_400.0
"""A year of continuous trading (crypto venues never close)."""

WARNING_DTYPE = np.dtype(
    [
        ("time_seconds", np.float64),
        ("account", np.int64),
        ("probability", np.float64),
        ("threshold", np.float64),
    ]
)
"""One warning (margin call): when, whose account, the probability that crossed, the threshold it crossed."""


def _within(name: str, values: ArrayLike, high: float, *, high_closed: bool) -> FloatArray:
    """Return finite ``values`` in ``[0, high]`` (or ``[0, high)``), else raise naming ``name``."""
    array = _inputs.finite(name, values)
    above = array > high if high_closed else array >= high
    if np.any(array < 0.0) or np.any(above):
        bracket = "]" if high_closed else ")"
        raise InvalidParameter(name, (float(array.min()), float(array.max())), f"values in [0, {high}{bracket}")
    return array


def liquidation_price(
    price: ArrayLike, size: ArrayLike, maintenance_rate: ArrayLike, surplus_usd: ArrayLike
) -> FloatArray:
    """Return each position's own liquidation price ``L = S − (E − R)/(q − |q| m)`` (module docstring, item 1).

    Parameters
    ----------
    price:
        ``S > 0``, the position's current price.
    size:
        Signed size ``q ≠ 0`` (> 0 long).
    maintenance_rate:
        ``m`` in [0, 1).
    surplus_usd:
        ``E − R`` of the position's margin unit at the current prices.

    Returns
    -------
    numpy.ndarray
        ``L`` in the broadcast shape (may be ≤ 0 for a long that its own price cannot liquidate).
    """
    spot = _inputs.positive("price", price)
    quantity = _inputs.finite("size", size)
    if np.any(quantity == 0.0):
        raise InvalidParameter("size", "0", "a non-zero signed size (an open position)")
    rate = _within("maintenance_rate", maintenance_rate, 1.0, high_closed=False)
    surplus = _inputs.finite("surplus_usd", surplus_usd)
    slope = quantity - np.abs(quantity) * rate
    return np.asarray(spot - surplus / slope)


def touch_probability(
    price: ArrayLike,
    size: ArrayLike,
    maintenance_rate: ArrayLike,
    surplus_usd: ArrayLike,
    volatility: ArrayLike,
    horizon_years: float,
    drift: ArrayLike = 0.0,
) -> FloatArray:
    """Return each position's probability of touching its liquidation price within the horizon.

    Items 1–2 of the module docstring: ``L`` from :func:`liquidation_price`, then the closed-form
    first passage under GBM. 1 where the unit is at or below maintenance, 0 where ``L ≤ 0`` (a
    long its own price cannot liquidate) or where ``σ = 0`` above maintenance.

    Parameters
    ----------
    price, size, maintenance_rate, surplus_usd:
        As in :func:`liquidation_price` (arrays of one shape, or broadcastable).
    volatility:
        ``σ ≥ 0`` a year (for example :func:`ewma_annual_volatility`).
    horizon_years:
        ``T > 0``.
    drift:
        ``μ`` a year; 0 by default (module docstring, item 2).

    Returns
    -------
    numpy.ndarray
        Probabilities in [0, 1], in the broadcast shape of the inputs.
    """
    barrier = liquidation_price(price, size, maintenance_rate, surplus_usd)
    sigma = _inputs.non_negative("volatility", volatility)
    horizon = float(_inputs.positive("horizon_years", horizon_years))
    mu = _inputs.finite("drift", drift)
    shape = np.broadcast_shapes(barrier.shape, sigma.shape, mu.shape)
    spot, quantity, surplus = (
        np.broadcast_to(np.asarray(a, dtype=np.float64), shape) for a in (price, size, surplus_usd)
    )
    barrier, sigma, mu = (np.broadcast_to(a, shape) for a in (barrier, sigma, mu))
    probability = np.zeros(shape)
    breached = surplus <= 0.0
    probability[breached] = 1.0
    live = ~breached & (barrier > 0.0) & (sigma > 0.0)
    if live.any():
        probability[live] = liquidation_probability(
            spot[live], barrier[live], quantity[live] > 0.0, sigma[live], mu[live], horizon
        )
    return probability


def ewma_annual_volatility(prices: ArrayLike, period_seconds: float, decay: float = RISKMETRICS_DECAY) -> FloatArray:
    """Return the annualised RiskMetrics EWMA volatility known at each time of a price path (no look-ahead).

    ``out[..., t]`` for ``t ≥ 1`` is ``√(s_{t} · periods a year)`` with ``s`` the EWMA variance
    (:func:`ringfence.risk.volatility.ewma_variance`) of the log returns ``r_1 … r_t`` started from
    ``r_1²``; ``out[..., 0]`` (no return yet) is NaN. Time runs along the last axis.

    Parameters
    ----------
    prices:
        Positive prices, at least 2 along the last axis.
    period_seconds:
        Seconds between two prices.
    decay:
        ``λ`` (0.94: RiskMetrics' daily value; on shorter periods it forgets faster in clock time).
    """
    checked = _inputs.prices("prices", prices, 2)
    period = float(_inputs.positive("period_seconds", period_seconds))
    returns = np.diff(np.log(checked), axis=-1)
    per_period = np.sqrt(ewma_variance(returns, decay))
    annual = annualised_volatility(per_period, SECONDS_PER_YEAR / period)
    first = np.full((*checked.shape[:-1], 1), math.nan)
    return np.concatenate([first, annual], axis=-1)


def account_probability(
    position_account: ArrayLike, position_probability: ArrayLike, accounts: int
) -> tuple[FloatArray, FloatArray]:
    """Return per account the lower and upper bounds on the probability that any of its positions is liquidated.

    Lower: the largest of its positions' probabilities; upper: their sum capped at 1 (the union
    bound; module docstring, item 3). An account without positions gets 0 and 0.

    Parameters
    ----------
    position_account:
        Per position, its account index in ``0 … accounts − 1``.
    position_probability:
        Per position, in [0, 1].
    accounts:
        Number of accounts.
    """
    owner = np.asarray(position_account)
    count = _inputs.count("accounts", accounts, 0)
    if owner.ndim != 1 or not np.issubdtype(owner.dtype, np.integer):
        raise InvalidParameter("position_account", str(owner.dtype), "a 1-D integer array of account indices")
    if owner.size and (owner.min() < 0 or owner.max() >= count):
        raise InvalidParameter("position_account", (int(owner.min()), int(owner.max())), f"indices below {count}")
    probability = _within("position_probability", position_probability, 1.0, high_closed=True)
    if probability.shape != owner.shape:
        raise InvalidParameter("position_probability", probability.shape, f"one value per position {owner.shape}")
    lower = np.zeros(count)
    np.maximum.at(lower, owner, probability)
    upper = np.minimum(np.bincount(owner, weights=probability, minlength=count), 1.0)
    return lower, upper


def warnings_at(time_seconds: float, account: ArrayLike, probability: ArrayLike, threshold: float) -> NDArray[np.void]:
    """Return a warning record (:data:`WARNING_DTYPE`) for each entry whose probability is at or above ``threshold``.

    Parameters
    ----------
    time_seconds:
        When the probabilities were computed.
    account:
        Per entry (position or account), the account it warns.
    probability:
        Per entry, in [0, 1].
    threshold:
        In (0, 1]: the probability that triggers a warning.
    """
    owner = np.asarray(account)
    chance = _within("probability", probability, 1.0, high_closed=True)
    level = float(_within("threshold", threshold, 1.0, high_closed=True))
    if level <= 0.0:
        raise InvalidParameter("threshold", level, "a probability in (0, 1]")
    if owner.shape != chance.shape or not np.issubdtype(owner.dtype, np.integer):
        raise InvalidParameter("account", owner.shape, f"one integer account per probability {chance.shape}")
    hit = chance >= level
    records = np.zeros(int(hit.sum()), dtype=WARNING_DTYPE)
    records["time_seconds"] = float(time_seconds)
    records["account"] = owner[hit]
    records["probability"] = chance[hit]
    records["threshold"] = level
    return records
