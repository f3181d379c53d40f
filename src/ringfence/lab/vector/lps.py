"""Step 7 of the stress model: LPs flee a pool whose NAV fell too far below its running peak.

NAV = LP vault − traders' unrealised PnL in the pool at the oracle (``pool_nav_range_atoms``).
Once ``(peak − NAV) > flee_drawdown · peak``, each of the pool's LPs asks once to redeem
``flee_share`` of its shares at NAV (``decide_remove_liquidity``: ``shares · NAV / total``,
at most the vault). The pool's reserve rule (``_check_reserve``: net exposure
``Σ |skew · price|`` at most ``reserve_factor ×`` the vault left) may refuse it; the LP then
retries every step until it passes. While the oracle is stale no redemption can be priced.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from ringfence.lab.vector.state import Book, Static, one_hot

__all__ = ["PENDING", "REDEEMED", "pool_nav", "redeem_fleeing_lps"]

FloatArray = NDArray[np.float64]

PENDING = 1
"""An LP that asked to redeem and has not been paid yet."""
REDEEMED = 2
"""An LP that fled (it does not flee twice)."""


def pool_nav(book: Book, static: Static, price: FloatArray) -> FloatArray:
    """Return each pool's NAV ``(P, Q)`` at the positions' oracle prices ``price`` ``(P, N)``."""
    pnl = book.size * price - book.basis
    return np.asarray(book.vault - pnl @ one_hot(static.pool, len(static.design.pools)))


def _exposure(book: Book, static: Static, oracle: FloatArray) -> FloatArray:
    """Return each pool's net exposure ``Σ_markets |skew · price|`` ``(P, Q)``; ``oracle`` is ``(M, P)``."""
    design = static.design
    skew = book.size @ one_hot(design.position_market, len(design.markets))
    return np.asarray(np.abs(skew * oracle.T) @ static.lp_pool)


def redeem_fleeing_lps(book: Book, static: Static, price: FloatArray, oracle: FloatArray, stale: bool) -> FloatArray:
    """Trigger and pay the fleeing LPs; return each pool's NAV after the redemptions ``(P, Q)``."""
    design, rules = static.design, static.rules
    nav = pool_nav(book, static, price)
    book.nav_peak = np.maximum(book.nav_peak, nav)
    falling = book.nav_peak - nav > rules.flee_drawdown * book.nav_peak
    book.flee[(book.flee == 0) & falling[:, design.market_pool]] = PENDING
    if stale or not (book.flee == PENDING).any():
        return nav
    exposure = _exposure(book, static, oracle)
    rows = np.arange(book.paths)
    for lp, pool in enumerate(design.market_pool):
        pending = book.flee[:, lp] == PENDING
        if not pending.any():
            continue
        burned = book.lp_shares[:, lp] * rules.flee_share
        total = book.lp_shares @ static.lp_pool[:, pool]
        value = np.divide(burned * np.maximum(nav[:, pool], 0.0), total, out=np.zeros_like(total), where=total > 0)
        amount = np.minimum(value, book.vault[:, pool])
        allowed = exposure[:, pool] <= rules.reserve_factor * np.maximum(book.vault[:, pool] - amount, 0.0)
        paid = pending & allowed & (burned > 0.0)
        book.vault[rows[paid], pool] -= amount[paid]
        nav[rows[paid], pool] -= amount[paid]
        book.lp_shares[rows[paid], lp] -= burned[paid]
        book.flee[pending & (paid | (burned <= 0.0)), lp] = REDEEMED
    return nav
