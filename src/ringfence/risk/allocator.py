"""Capital allocator: split an owner's collateral across isolated positions to minimise P(any is liquidated).

An owner holds ``N`` isolated positions (each its own margin vault, SPEC §2.2) and ``C`` atoms of the
quote asset to spread over their vaults. Position ``i`` with margin ``x_i`` (quote units) is
liquidated when its price touches its own liquidation price ``L_i(x_i)``
(:func:`ringfence.risk.early_warning.liquidation_price`, the surplus ``x_i + e_i − |q_i| m_i S_i``
with ``e_i`` its equity terms other than the margin: unrealised PnL minus funding owed). Its
probability of doing so within ``T`` is the closed-form GBM first passage
:func:`ringfence.risk.early_warning.touch_probability` (Shreve II §7.2), ``p_i(x_i)``.

**Objective.** Minimise ``P(any) = 1 − Π (1 − p_i(x_i))`` subject to ``Σ x_i = C`` and
``x_i ≥ f_i`` (a floor per position: 0, or what keeps the position at initial margin so a
removal is executable). This treats the positions' liquidations as **independent**. Why this and
not the correlated probability by Monte Carlo on common paths
(:func:`ringfence.risk.liquidation_probability.account_liquidation_probability`):

- it is smooth, deterministic and cheap, and its optimum has a checkable form (below); a
  Monte-Carlo ``P(any)`` is a step function of the barriers on fixed paths, so a gradient method
  cannot use it and a derivative-free one would chase sampling noise;
- under positive dependence the true ``P(any)`` is lower than ``1 − Π(1 − p_i)``, so the objective
  is conservative; what the misspecification costs is *measured*, not assumed: the lab's study
  (:mod:`ringfence.lab.allocation_study`) scores the allocation on the scenario's own correlated
  jump-diffusion paths, and the CLI reports the Monte-Carlo ``P(any)`` on common paths beside it.

**Solution.** ``−log(1 − P(any)) = Σ g_i(x_i)`` with ``g_i = −log(1 − p_i)``: separable. Each
``g_i`` decreases in ``x_i`` and is infinite at the barrier (``p_i = 1``), so no optimum sacrifices
a position. The Karush–Kuhn–Tucker conditions of a separable problem with one budget constraint
(H. Everett, "Generalized Lagrange multiplier method for solving problems of optimum allocation
of resources", *Operations Research* 11 (1963) 399–417; T. Ibaraki and N. Katoh, *Resource
Allocation Problems*, MIT Press 1988, ch. 2) say that at the optimum every position above its
floor has the same **marginal benefit** ``b_i(x_i) = −g_i'(x_i) = −p_i'(x_i) / (1 − p_i(x_i)) = λ``
and every position at its floor has ``b_i(f_i) ≤ λ``. With ``b_i`` decreasing (``g_i`` convex) this
is the global optimum: ``x_i(λ)`` is found per position by bisection and ``λ`` by Brent's method
(``scipy.optimize.brentq``) on ``log λ`` so that ``Σ x_i(λ) = C``. ``g_i`` is convex for a short
(the log-distance to the barrier is concave in the margin), and for a long except within a
log-distance of about ``σ²T`` of the barrier (where ``p_i`` is near 1 and ``−log(1 − p_i)``
dominates); ``tests/unit/test_risk_allocator.py`` checks the optimum against a brute-force search.

``b_i`` in closed form: with ``a`` the log-distance to the barrier, ``ν`` the log-drift towards it,
``s = σ√T`` and ``d₁ = (−a + νT)/s``, differentiating the first-passage formula gives
``∂p/∂a = −2φ(d₁)/s + (2ν/σ²)(p − Φ(d₁))`` (using ``e^{2νa/σ²} φ(d₂) = φ(d₁)``), and
``∂a/∂x = 1/(|q − |q| m| · L)`` (the surplus moves ``L`` by ``1/(q − |q|m)``).

**Integers.** The optimum is a float vector; the vaults hold integer atoms. The atoms above the
floors, ``C − Σ f_i``, are apportioned by the **largest remainder** (Hamilton) method in exact
rational arithmetic: position ``i``'s quota is ``(C − Σ f) · w_i / Σ w`` with ``w_i = x_i − f_i``
read exactly from its float (``fractions.Fraction``), each gets the floor of its quota, and the
atoms left over (fewer than ``N``) go one each to the largest fractional parts (ties to the lower
index). So the margins sum to ``C`` exactly, never more, each within one atom of its quota.
Should every ``w_i`` be 0 (no position's probability falls with more margin) the excess is split
equally, by the same rule.

Inputs are checked and never clipped: :class:`~ringfence.core.errors.InvalidParameter` names the
field; floors above the collateral raise :class:`~ringfence.risk.errors.CollateralShortfall`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
from numpy.typing import ArrayLike
from scipy import optimize  # type: ignore[import-untyped]  # no scipy-stubs in the dev environment
from scipy.special import ndtr  # type: ignore[import-untyped]

from ringfence.core.errors import InvalidParameter
from ringfence.risk import _inputs
from ringfence.risk._inputs import FloatArray
from ringfence.risk.early_warning import liquidation_price, touch_probability
from ringfence.risk.errors import CollateralShortfall

__all__ = [
    "Allocation",
    "MarginBook",
    "allocate",
    "any_liquidation_probability",
    "apportion",
    "equal_split",
    "evaluate",
    "marginal_benefit",
    "optimal_margins",
    "position_probabilities",
]

INVERSE_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
BISECTION_STEPS = 100
"""Bisection steps per position for ``x_i(λ)``: the bracket shrinks by 2¹⁰⁰, far below an atom."""
LOG_LAMBDA_BRACKET = (-700.0, 700.0)
"""``log λ`` is searched here: ``e^±700`` spans every finite float64 marginal benefit."""


@dataclass(frozen=True, slots=True, eq=False)
class MarginBook:
    """An owner's isolated positions to margin: float64 arrays of one length ``N`` (quote units).

    Build it with :meth:`of`, which checks every field; the plain constructor checks nothing.

    Attributes
    ----------
    price:
        ``S > 0``, each position's current (oracle) price.
    size:
        Signed size ``q ≠ 0`` in base units (> 0 long).
    maintenance_rate:
        ``m`` in [0, 1): the maintenance requirement over the notional at the current price.
    equity:
        ``e``: the position's equity terms other than its vault (unrealised PnL minus funding owed), quote units.
    volatility:
        ``σ > 0`` a year.
    drift:
        ``μ`` a year (0 by default in :meth:`of`).
    """

    price: FloatArray
    size: FloatArray
    maintenance_rate: FloatArray
    equity: FloatArray
    volatility: FloatArray
    drift: FloatArray

    @classmethod
    def of(
        cls,
        price: ArrayLike,
        size: ArrayLike,
        maintenance_rate: ArrayLike,
        equity: ArrayLike,
        volatility: ArrayLike,
        drift: ArrayLike = 0.0,
    ) -> MarginBook:
        """Return a checked book; scalars broadcast to the length of ``size``."""
        quantity = np.atleast_1d(_inputs.finite("size", size))
        if quantity.ndim != 1 or quantity.size == 0:
            raise InvalidParameter("size", quantity.shape, "one signed size per position (a non-empty 1-D array)")
        if np.any(quantity == 0.0):
            raise InvalidParameter("size", 0.0, "non-zero signed sizes (open positions)")
        rate = _inputs.finite("maintenance_rate", maintenance_rate)
        if np.any(rate < 0.0) or np.any(rate >= 1.0):
            raise InvalidParameter("maintenance_rate", rate.tolist(), "rates in [0, 1)")

        def column(name: str, values: FloatArray) -> FloatArray:
            try:
                return np.broadcast_to(values, quantity.shape).astype(np.float64, copy=True)
            except ValueError:
                raise InvalidParameter(name, np.shape(values), f"a scalar or {quantity.size} values") from None

        return cls(
            price=column("price", _inputs.positive("price", price)),
            size=quantity.astype(np.float64, copy=True),
            maintenance_rate=column("maintenance_rate", rate),
            equity=column("equity", _inputs.finite("equity", equity)),
            volatility=column("volatility", _inputs.positive("volatility", volatility)),
            drift=column("drift", _inputs.finite("drift", drift)),
        )

    @property
    def count(self) -> int:
        """Return the number of positions ``N``."""
        return int(self.size.shape[0])

    def surplus(self, margin: FloatArray) -> FloatArray:
        """Return ``x + e − |q| m S``: each vault's maintenance surplus with margins ``x``."""
        return np.asarray(margin + self.equity - np.abs(self.size) * self.maintenance_rate * self.price)


def _margins(book: MarginBook, margin: ArrayLike, name: str = "margin") -> FloatArray:
    values = _inputs.finite(name, margin)
    if values.shape != (book.count,):
        raise InvalidParameter(name, values.shape, f"one value per position ({book.count})")
    return values


def _horizon(horizon_years: float) -> float:
    return float(_inputs.positive("horizon_years", horizon_years))


def position_probabilities(book: MarginBook, margin: ArrayLike, horizon_years: float) -> FloatArray:
    """Return each position's probability of liquidation within ``T`` with vault margins ``margin`` (quote units)."""
    surplus = book.surplus(_margins(book, margin))
    return touch_probability(
        book.price,
        book.size,
        book.maintenance_rate,
        surplus,
        book.volatility,
        _horizon(horizon_years),
        book.drift,
    )


def any_liquidation_probability(book: MarginBook, margin: ArrayLike, horizon_years: float) -> float:
    """Return ``1 − Π(1 − p_i)``: the probability that any position is liquidated, positions independent.

    Computed as ``−expm1(Σ log1p(−p_i))`` so that small probabilities keep their digits.
    """
    p = position_probabilities(book, margin, horizon_years)
    with np.errstate(divide="ignore"):
        return float(-np.expm1(np.sum(np.log1p(-p))))


def marginal_benefit(book: MarginBook, margin: ArrayLike, horizon_years: float) -> FloatArray:
    """Return ``b_i = −∂/∂x_i log(1 − p_i(x_i))`` per position (module docstring): ∞ at or past the barrier.

    0 where more margin changes nothing (a long whose own price cannot liquidate it, ``L ≤ 0``).
    """
    values = _margins(book, margin)
    horizon = _horizon(horizon_years)
    p = position_probabilities(book, values, horizon)
    surplus = book.surplus(values)
    slope = book.size - np.abs(book.size) * book.maintenance_rate
    barrier = liquidation_price(book.price, book.size, book.maintenance_rate, surplus)
    benefit = np.zeros(book.count)
    breached = surplus <= 0.0
    benefit[breached] = np.inf
    live = ~breached & (barrier > 0.0) & (p < 1.0)
    if not live.any():
        return benefit
    sigma, mu = book.volatility[live], book.drift[live]
    long_side = book.size[live] > 0.0
    log_drift = mu - 0.5 * sigma * sigma
    towards = np.where(long_side, -log_drift, log_drift)
    distance = np.abs(np.log(barrier[live] / book.price[live]))
    root = sigma * math.sqrt(horizon)
    direct = (-distance + towards * horizon) / root
    density = INVERSE_SQRT_2PI * np.exp(-0.5 * direct * direct)
    d_probability = -2.0 * density / root + 2.0 * towards / (sigma * sigma) * (p[live] - ndtr(direct))
    d_distance = 1.0 / (np.abs(slope[live]) * barrier[live])
    benefit[live] = -d_probability * d_distance / (1.0 - p[live])
    return benefit


def _demand(book: MarginBook, floors: FloatArray, excess: float, log_lambda: float, horizon: float) -> FloatArray:
    """Return ``x_i(λ)``: the largest margin in ``[f_i, f_i + E]`` whose marginal benefit is still ``≥ λ``."""
    target = math.exp(log_lambda)
    low = floors.copy()
    high = floors + excess
    at_top = marginal_benefit(book, high, horizon) >= target
    for _ in range(BISECTION_STEPS):
        middle = 0.5 * (low + high)
        above = marginal_benefit(book, middle, horizon) >= target
        low = np.where(above, middle, low)
        high = np.where(above, high, middle)
    return np.where(at_top, floors + excess, low)


def optimal_margins(book: MarginBook, floors: ArrayLike, collateral: float, horizon_years: float) -> FloatArray:
    """Return the float margins (quote units) that minimise ``P(any)`` with ``Σ x = collateral``, ``x ≥ floors``.

    The equal-marginal-benefit solution of the module docstring. Every returned margin lies in
    ``[f_i, f_i + E]``; their sum equals ``collateral`` to the bisection's precision (the integer
    split, :func:`allocate`, makes it exact).

    Raises
    ------
    CollateralShortfall
        When the floors add up to more than the collateral.
    """
    horizon = _horizon(horizon_years)
    lower = _margins(book, floors, "floors")
    total = float(_inputs.finite("collateral", collateral))
    excess = total - float(lower.sum())
    if excess < 0.0:
        raise CollateralShortfall(float(lower.sum()), total)
    if excess == 0.0:
        return lower.copy()
    if not np.any(marginal_benefit(book, lower + excess, horizon) > 0.0):
        return lower + excess / book.count  # no margin lowers any probability: every split is optimal

    def unspent(log_lambda: float) -> float:
        return float(_demand(book, lower, excess, log_lambda, horizon).sum() - lower.sum()) - excess

    low, high = LOG_LAMBDA_BRACKET
    if unspent(low) <= 0.0 or unspent(high) >= 0.0:
        # No level spends the excess exactly: the benefits underflow to 0 at any level we can represent, or
        # some vault is past its barrier even with every atom (P(any) = 1 whatever the split). Spend it in
        # proportion to what the vaults want at that extreme level, so the margins still add up.
        wanted = _demand(book, lower, excess, low if unspent(low) <= 0.0 else high, horizon) - lower
        return np.asarray(lower + excess * wanted / wanted.sum())
    root = optimize.brentq(unspent, low, high, xtol=1e-12, rtol=1e-14, maxiter=500)
    return _demand(book, lower, excess, float(root), horizon)


def apportion(floors_atoms: Sequence[int], weights: ArrayLike, total_atoms: int) -> tuple[int, ...]:
    """Return integer amounts ``≥ floors`` summing exactly to ``total_atoms``: the excess by largest remainder.

    Quotas ``(total − Σ floors) · w_i / Σ w`` in exact rationals; each amount gets its quota's
    floor, the leftover atoms go one each to the largest fractional parts, ties to the lower index
    (module docstring, "Integers"). All weights 0: the excess is split equally by the same rule.

    Raises
    ------
    InvalidParameter
        Non-integer floors or total, negative or non-finite weights, a length mismatch.
    CollateralShortfall
        ``Σ floors > total``.
    """
    floors = [_atoms("floors_atoms", value) for value in floors_atoms]
    total = _atoms("total_atoms", total_atoms)
    shares = _inputs.finite("weights", weights)
    if shares.shape != (len(floors),) or not floors:
        raise InvalidParameter("weights", shares.shape, f"one weight per floor ({len(floors)}), at least one")
    if np.any(shares < 0.0):
        raise InvalidParameter("weights", shares.tolist(), "weights >= 0")
    excess = total - sum(floors)
    if excess < 0:
        raise CollateralShortfall(float(sum(floors)), float(total))
    exact = [Fraction(float(w)) for w in shares]
    if sum(exact) == 0:
        exact = [Fraction(1)] * len(floors)
    whole = sum(exact)
    quotas = [excess * w / whole for w in exact]
    amounts = [math.floor(q) for q in quotas]
    leftover = excess - sum(amounts)
    order = sorted(range(len(quotas)), key=lambda i: (-(quotas[i] - amounts[i]), i))
    for i in order[:leftover]:
        amounts[i] += 1
    return tuple(f + a for f, a in zip(floors, amounts, strict=True))


def _atoms(name: str, value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 0:
        raise InvalidParameter(name, value, "non-negative integer atoms")
    return int(value)


def equal_split(collateral_atoms: int, positions: int) -> tuple[int, ...]:
    """Return ``collateral_atoms`` split equally over ``positions`` vaults (leftover atoms to the first ones)."""
    count = _inputs.count("positions", positions, 1)
    return apportion([0] * count, np.ones(count), collateral_atoms)


@dataclass(frozen=True, slots=True)
class Allocation:
    """An integer allocation and what it buys.

    Attributes
    ----------
    margins_atoms:
        Per position, its vault's margin in quote atoms; they sum to the collateral exactly.
    probabilities:
        Per position, the probability of liquidation within the horizon with that margin.
    any_probability:
        ``1 − Π(1 − p_i)`` (positions independent).
    """

    margins_atoms: tuple[int, ...]
    probabilities: tuple[float, ...]
    any_probability: float


def evaluate(book: MarginBook, margins_atoms: Sequence[int], atoms_per_unit: int, horizon_years: float) -> Allocation:
    """Return the probabilities that integer margins ``margins_atoms`` (``atoms_per_unit`` per quote unit) give."""
    margin = np.asarray([int(a) for a in margins_atoms], dtype=np.float64) / atoms_per_unit
    p = position_probabilities(book, margin, horizon_years)
    return Allocation(
        margins_atoms=tuple(int(a) for a in margins_atoms),
        probabilities=tuple(float(v) for v in p),
        any_probability=any_liquidation_probability(book, margin, horizon_years),
    )


def allocate(
    book: MarginBook,
    collateral_atoms: int,
    horizon_years: float,
    atoms_per_unit: int,
    floors_atoms: Sequence[int] | None = None,
) -> Allocation:
    """Return the integer allocation of ``collateral_atoms`` that minimises ``P(any)`` (module docstring).

    Parameters
    ----------
    book:
        The positions (:meth:`MarginBook.of`), money in quote units.
    collateral_atoms:
        The atoms of the quote asset to put in the vaults, all of them.
    horizon_years:
        ``T > 0``.
    atoms_per_unit:
        Atoms per quote unit (``10**decimals``).
    floors_atoms:
        The least each vault may hold (default 0 each).

    Raises
    ------
    CollateralShortfall
        The floors need more than ``collateral_atoms``.
    """
    scale = _inputs.count("atoms_per_unit", atoms_per_unit, 1)
    total = _atoms("collateral_atoms", collateral_atoms)
    floors = [0] * book.count if floors_atoms is None else [_atoms("floors_atoms", v) for v in floors_atoms]
    if len(floors) != book.count:
        raise InvalidParameter("floors_atoms", len(floors), f"one floor per position ({book.count})")
    if sum(floors) > total:
        raise CollateralShortfall(sum(floors) / scale, total / scale)
    lower = np.asarray(floors, dtype=np.float64) / scale
    margin = optimal_margins(book, lower, total / scale, horizon_years)
    # margin >= lower elementwise (the bisection only moves up from the floors), so no weight is negative.
    return evaluate(book, apportion(floors, margin - lower, total), scale, horizon_years)
