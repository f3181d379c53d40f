"""The screen's sums as one compiled pass (numba), giving the NumPy path's results bit for bit.

:func:`ringfence.risk.screen.screen` runs its per-account sums either as NumPy array passes
(a gather, a product, a ``numpy.bincount`` per sum: about ten passes over the positions) or,
when numba is installed, as the single loop below: each position is read once and added to its
account's three sums, each holding once to its account's two. Both paths perform the same
IEEE-754 operations in the same order (numba compiles without ``fastmath``, so no reassociation
and no fused multiply-add; ``numpy.bincount`` adds in input order, as the loop does), so their
arrays are identical, NaN for NaN; ``tests/unit/test_risk_screen.py`` checks it on random books.

The kernel is compiled on first use (and cached on disk by numba), never at import.
"""

from __future__ import annotations

import importlib.util
import math
from collections.abc import Callable
from functools import cache
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ringfence.risk.book import FloatArray, RiskBook

__all__ = ["Columns", "compiled_columns", "numba_available"]

Columns = tuple[FloatArray, FloatArray, FloatArray, FloatArray, NDArray[np.int8]]
"""Per account: equity, requirement, health, tolerance and status code (as ``ScreenResult`` holds them)."""


def numba_available() -> bool:
    """Return whether numba can be imported (the compiled path is then the default)."""
    return importlib.util.find_spec("numba") is not None


def _screen_columns(  # the kernel takes the book's columns: numba compiles arrays, not the book object
    price: FloatArray,
    position_account: Any,
    position_market: Any,
    position_size: FloatArray,
    position_open_notional: FloatArray,
    market_base_asset: Any,
    market_kept_weight: FloatArray,
    market_maintenance_rate: FloatArray,
    holding_account: Any,
    holding_asset: Any,
    holding_weighted_amount: FloatArray,
    account_fixed_equity: FloatArray,
    account_fixed_magnitude: FloatArray,
    account_rounding_allowance: FloatArray,
    bounds: FloatArray,
) -> Columns:
    """Return the screen's per-account columns: the NumPy path's operations, fused, in its order.

    ``bounds`` holds ``(tolerance factor, underflow allowance, relative band)``.
    """
    accounts = account_fixed_equity.shape[0]
    equity = np.zeros(accounts)
    requirement = np.zeros(accounts)
    gross = np.zeros(accounts)
    for i in range(position_size.shape[0]):
        market = position_market[i]
        account = position_account[i]
        notional = price[market_base_asset[market]] * position_size[i]
        pnl = notional - position_open_notional[i]
        # numpy.maximum(pnl, 0.0): pnl itself when it is NaN or not below 0.
        withheld = pnl if (pnl >= 0.0 or math.isnan(pnl)) else 0.0
        pnl -= withheld * market_kept_weight[market]
        gross_notional = abs(notional)
        equity[account] += pnl
        requirement[account] += gross_notional * market_maintenance_rate[market]
        gross[account] += gross_notional
    holding_equity = np.zeros(accounts)
    holding_gross = np.zeros(accounts)
    for j in range(holding_weighted_amount.shape[0]):
        value = holding_weighted_amount[j] * price[holding_asset[j]]
        holding_equity[holding_account[j]] += value
        holding_gross[holding_account[j]] += abs(value)
    factor, underflow, band = bounds[0], bounds[1], bounds[2]
    health = np.empty(accounts)
    status = np.empty(accounts, dtype=np.int8)
    for k in range(accounts):
        account_equity = (equity[k] + holding_equity[k]) + account_fixed_equity[k]
        account_requirement = requirement[k]
        tolerance = (
            ((gross[k] * 2.0 + holding_gross[k]) + account_fixed_magnitude[k]) * factor
        ) + account_rounding_allowance[k]
        tolerance += underflow
        floor = band * account_requirement
        # numpy.maximum(tolerance, floor): NaN if either is NaN.
        tolerance = tolerance if (tolerance >= floor or math.isnan(tolerance)) else floor
        equity[k] = account_equity
        gross[k] = tolerance
        if account_requirement == 0.0:
            health[k] = np.inf if account_equity >= 0.0 else -np.inf
        else:
            health[k] = account_equity / account_requirement
        margin = account_equity - account_requirement
        if math.isnan(margin):
            status[k] = 3
        else:
            status[k] = (1 if margin <= tolerance else 0) + (1 if margin < -tolerance else 0)
    return equity, requirement, health, gross, status


@cache
def _compiled() -> Callable[..., Columns]:
    import numba  # noqa: PLC0415 - optional, and compiling is deferred to the first screen

    kernel: Callable[..., Columns] = numba.njit(cache=True, nogil=True, fastmath=False, error_model="numpy")(
        _screen_columns
    )
    return kernel


def compiled_columns(book: RiskBook, price: FloatArray, market_kept_weight: FloatArray, bounds: FloatArray) -> Columns:
    """Return per account ``(equity, requirement, health, tolerance, status)`` from the compiled kernel.

    ``price`` is the checked price vector (NaN where unusable); ``market_kept_weight`` is
    ``1 − pnl_weight`` per market and ``bounds`` ``(tolerance factor, underflow allowance,
    relative band)``, each computed by the caller exactly as the NumPy path computes it.
    """
    return _compiled()(
        price,
        book.position_account,
        book.position_market,
        book.position_size,
        book.position_open_notional,
        book.market_base_asset,
        market_kept_weight,
        book.market_maintenance_rate,
        book.holding_account,
        book.holding_asset,
        book.holding_weighted_amount,
        book.account_fixed_equity,
        book.account_fixed_magnitude,
        book.account_rounding_allowance,
        bounds,
    )
