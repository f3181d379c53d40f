"""The bulk health screen: every margin account's equity, requirement and health after a price tick.

One pass over a :class:`~ringfence.risk.book.RiskBook` (no Python loop over positions: a compiled
kernel, :mod:`ringfence.risk.screen_kernel`, or NumPy array passes with identical results),
mirroring the exact engine's maintenance formulas (``core/margin.py``: ``position_terms``,
``collateral_value``, ``margin_snapshot``, ``isolated_margin``; FLAT margin model of
``core/pool/requirements.py``), in float64 value units:

- position PnL ``pnl = size · price − open_notional``; a gain counts at ``pnl_weight``
  (``pnl − (1 − pnl_weight) · max(pnl, 0)``); funding owed is subtracted;
- requirement ``|size · price| · maintenance_rate``;
- a cross account's equity adds its collateral, ``Σ weighted_amount · price``; an isolated
  account's equity adds its vault;
- ``health = equity / requirement`` (``+inf`` with no requirement and equity ≥ 0; ``-inf`` with
  no requirement and negative equity, which ``MarginSnapshot.is_healthy`` calls unhealthy).

Accounts are classified by ``margin = equity − requirement`` against a per-account tolerance,
a proven bound on how far the float margin can be from the engine's integer one::

    tolerance = max(RELATIVE_BAND · requirement,
                    rounding allowance            (the engine's roundings to atoms, from the book)
                    + γ(n + 16) · G               (float64 error; G bounds Σ|terms| of the account)
                    + (n + 16) · 2**-1073)        (subnormal intermediates)

``HEALTHY`` above ``+tolerance``, ``LIQUIDATABLE`` below ``−tolerance``, ``UNCERTAIN`` between
(equivalently: health below ``1 − band`` is certain, ``band = tolerance / requirement``). Results
come back as :class:`ScreenStatus` codes: the kernel returns a status array
and never raises on data (a missing, non-finite or non-positive price makes the accounts that
read it ``UNPRICED``). Only a price vector of the wrong shape, a caller's error, raises
:class:`~ringfence.core.errors.InvalidParameter` before any work.

The screen decides nothing: every candidate (``LIQUIDATABLE``, ``UNCERTAIN``, ``UNPRICED``) is
re-checked in integers by :func:`ringfence.risk.boundary.confirm_candidates` before anything acts.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ringfence.core.errors import InvalidParameter
from ringfence.risk.book import FloatArray, IndexArray, RiskBook
from ringfence.risk.screen_kernel import compiled_columns, numba_available

__all__ = [
    "RELATIVE_BAND",
    "ScreenResult",
    "ScreenStatus",
    "screen",
    "tolerance_factor",
    "underflow_allowance",
]

UNIT_ROUNDOFF = 2.0**-53
"""``u``: the relative error of one correctly rounded float64 operation (normal range)."""

UNDERFLOW_UNIT = 2.0**-1073
"""Twice the absolute error one operation can add in the subnormal range (``2**-1074`` is the
smallest subnormal, and a rounding there errs by at most half of it): the standard model is
``fl(x op y) = (x op y)(1 + δ) + η`` with ``|δ| ≤ u`` and ``|η| ≤ 2**-1075``."""

OPERATIONS_PER_TERM = 16
"""Roundings one summed term can carry, with slack: its inputs' conversions from exact ints
(size, price, open notional, rate or weight: one correctly rounded division each), the
products, ``min``/``max`` and the subtraction (≤ 8 in all), and the final combination of the
account's sums (collateral + positions + fixed part, then ``equity − requirement``: 3)."""

RELATIVE_BAND = 1e-9
"""The declared tolerance band around health 1, relative to the requirement.

Why it is safe: for an account summing ``n`` terms whose magnitudes add to ``G``, the float64
error of ``equity − requirement`` is at most ``γ(n + 16) · G`` with ``γ(m) = m·u/(1 − m·u)``
(Higham, *Accuracy and Stability of Numerical Algorithms*, §3.1 and §4.2: recursive summation,
which ``numpy.bincount`` performs, in input order). A typical account (``n ≤ 100``, gross
magnitude within 10³ of its requirement: leverage × (1 + PnL) at 5% maintenance) stays below
``116 · 1.1e-16 · 10³ ≈ 1.3e-11`` of its requirement, some 80 times inside the band. An
account the typical figures do not cover (a large collateral beside a tiny position, or the
exact engine's atom rounding on a position of a few atoms) gets its own wider band from the
bound itself (:attr:`ScreenResult.tolerance`), so the band is a floor, never a guess."""


class ScreenStatus(enum.IntEnum):
    """Status code of a margin account after a screen (``ScreenResult.status``)."""

    HEALTHY = 0
    """``equity − requirement > tolerance``: above maintenance whatever the rounding."""
    UNCERTAIN = 1
    """``|equity − requirement| ≤ tolerance``: inside the band; only the exact engine can tell."""
    LIQUIDATABLE = 2
    """``equity − requirement < −tolerance``: below maintenance whatever the rounding."""
    UNPRICED = 3
    """A price the account reads is missing, non-finite or not positive (or its sums overflowed)."""


@dataclass(frozen=True, slots=True, eq=False)
class ScreenResult:
    """Per margin account: equity, requirement, health, tolerance (value units) and status."""

    equity: FloatArray
    requirement: FloatArray
    health: FloatArray
    tolerance: FloatArray
    """Bound on ``|(equity − requirement) − exact (equity − requirement)|``, in value units."""
    status: NDArray[np.int8]
    """A :class:`ScreenStatus` code per account."""

    @property
    def band(self) -> FloatArray:
        """Return each account's tolerance band around health 1 (``tolerance / requirement``)."""
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            return np.where(self.requirement > 0.0, self.tolerance / self.requirement, np.inf)

    def certain(self) -> IndexArray:
        """Return the accounts below maintenance outside the band (``LIQUIDATABLE``)."""
        return np.flatnonzero(self.status == ScreenStatus.LIQUIDATABLE)

    def uncertain(self) -> IndexArray:
        """Return the accounts inside the band (``UNCERTAIN``)."""
        return np.flatnonzero(self.status == ScreenStatus.UNCERTAIN)

    def candidates(self) -> IndexArray:
        """Return every account the exact engine must re-check: all but ``HEALTHY``."""
        return np.flatnonzero(self.status != ScreenStatus.HEALTHY)


def tolerance_factor(max_terms_per_account: int) -> float:
    """Return ``γ(n + OPERATIONS_PER_TERM)``, the float64 error per unit of gross magnitude.

    ``γ(m) = m·u/(1 − m·u) ≤ 1.01·m·u`` while ``m·u ≤ 0.0099``; a second factor 1.01 covers the
    rounding of the gross magnitude itself (it is computed in float64 too): 1.01² < 1.03.
    """
    return 1.03 * (max_terms_per_account + OPERATIONS_PER_TERM) * UNIT_ROUNDOFF


def underflow_allowance(max_terms_per_account: int) -> float:
    """Return the absolute error subnormal intermediates can add to one account's margin.

    Every one of the ``n + OPERATIONS_PER_TERM`` roundings along an account's sum may add
    ``|η| ≤ 2**-1075``, later scaled by factors ≤ 1 (weights, rates) or by ``1 + O(u)``; doubling
    it covers both. It matters only for books with subnormal amounts; it keeps the bound a bound.
    """
    return (max_terms_per_account + OPERATIONS_PER_TERM) * UNDERFLOW_UNIT


def _checked_prices(book: RiskBook, prices: ArrayLike) -> FloatArray:
    """Return the price vector as float64, with NaN for every unusable price."""
    array = np.asarray(prices, dtype=np.float64)
    if array.shape != (book.asset_count,):
        raise InvalidParameter("prices", array.shape, f"one price per asset: shape ({book.asset_count},)")
    usable = np.isfinite(array) & (array > 0.0)
    return np.where(usable, array, np.nan)


def screen(book: RiskBook, prices: ArrayLike, *, compiled: bool | None = None) -> ScreenResult:
    """Screen every margin account of ``book`` at ``prices`` (value units per whole asset unit).

    Parameters
    ----------
    book:
        The positions, collateral and markets (:func:`ringfence.risk.boundary.book_from_state`).
    prices:
        One price per asset index; an unusable price (NaN, ±inf, ≤ 0) marks the accounts that read
        it ``UNPRICED``.
    compiled:
        Run the sums as one compiled pass (:mod:`ringfence.risk.screen_kernel`, numba) or as NumPy
        array passes; ``None`` (default): compiled when numba is installed. Both give identical
        arrays.

    Returns
    -------
    ScreenResult
        Per account: equity, requirement, health, tolerance and a :class:`ScreenStatus` code.
    """
    price = _checked_prices(book, prices)
    use_compiled = numba_available() if compiled is None else compiled
    kept_weight = 1.0 - book.market_pnl_weight
    factor, underflow = tolerance_factor(book.max_terms_per_account), underflow_allowance(book.max_terms_per_account)
    if use_compiled:
        return ScreenResult(*compiled_columns(book, price, kept_weight, np.array([factor, underflow, RELATIVE_BAND])))
    equity, requirement, gross = _numpy_sums(book, price, kept_weight)
    tolerance = np.multiply(gross, factor, out=gross)
    tolerance += book.account_rounding_allowance
    tolerance += underflow
    np.maximum(tolerance, RELATIVE_BAND * requirement, out=tolerance)
    return ScreenResult(
        equity, requirement, _health(equity, requirement), tolerance, _status(equity, requirement, tolerance)
    )


def _numpy_sums(book: RiskBook, price: FloatArray, kept_weight: FloatArray) -> tuple[FloatArray, ...]:
    """Return per account ``(equity, requirement, gross)`` in NumPy array passes (no Python loop)."""
    accounts, account, market = book.account_count, book.position_account, book.position_market
    # Fused, in place: each pass over the positions reads and writes as few arrays as it can.
    notional = np.take(price[book.market_base_asset], market)
    notional *= book.position_size
    pnl = notional - book.position_open_notional
    # A gain counts at its weight: pnl − (1 − weight) · max(pnl, 0).
    withheld = np.maximum(pnl, 0.0)
    withheld *= np.take(kept_weight, market)
    pnl -= withheld
    gross_notional = np.abs(notional, out=notional)
    requirement_terms = np.multiply(gross_notional, np.take(book.market_maintenance_rate, market), out=withheld)
    holding_value = book.holding_weighted_amount * price[book.holding_asset]

    equity = _sum_by(account, pnl, accounts)
    equity += _sum_by(book.holding_account, holding_value, accounts)
    equity += book.account_fixed_equity
    requirement = _sum_by(account, requirement_terms, accounts)
    # Σ|terms| ≤ 2·Σ|size · price| + Σ|collateral| + fixed magnitude: |pnl| ≤ |size · price| + |open
    # notional| and a requirement term is at most |size · price| (rate ≤ 1).
    gross = _sum_by(account, gross_notional, accounts)
    gross *= 2.0
    gross += _sum_by(book.holding_account, np.abs(holding_value, out=holding_value), accounts)
    gross += book.account_fixed_magnitude
    return equity, requirement, gross


def _sum_by(index: IndexArray, weights: FloatArray, length: int) -> FloatArray:
    """Return ``weights`` summed per ``index`` value (recursive summation, in input order).

    ``numpy.bincount`` returns integers for empty input; the cast keeps an empty book float.
    """
    return np.bincount(index, weights, length).astype(np.float64, copy=False)


def _health(equity: FloatArray, requirement: FloatArray) -> FloatArray:
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        health = equity / requirement
    no_requirement = requirement == 0.0
    health[no_requirement] = np.where(equity[no_requirement] >= 0.0, np.inf, -np.inf)
    return health


def _status(equity: FloatArray, requirement: FloatArray, tolerance: FloatArray) -> NDArray[np.int8]:
    """Return the status codes; a NaN price reaches both the margin and its tolerance through the sums."""
    margin = equity - requirement
    status = (margin <= tolerance).astype(np.int8)
    status += margin < -tolerance
    status[np.isnan(margin)] = ScreenStatus.UNPRICED
    return status
