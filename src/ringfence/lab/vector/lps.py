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

from ringfence.lab.vector.state import Book, Static

__all__ = ["PENDING", "REDEEMED", "redeem_fleeing_lps"]

FloatArray = NDArray[np.float64]

PENDING = 1
"""An LP that asked to redeem and has not been paid yet."""
REDEEMED = 2
"""An LP that fled (it does not flee twice)."""


def _exposure(book: Book, static: Static, oracle: FloatArray) -> FloatArray:
    """Return each pool's net exposure ``Σ_markets |skew · price|`` ``(P, Q)``; ``oracle`` is ``(M, P)``."""
    return np.asarray(np.abs(book.skew * oracle.T) @ static.lp_pool)


def redeem_fleeing_lps(book: Book, static: Static, nav: FloatArray, oracle: FloatArray, stale: bool) -> FloatArray:
    """Trigger and pay the fleeing LPs given each pool's NAV ``(P, Q)``; return the NAV after the redemptions."""
    design, rules = static.design, static.rules
    nav = nav.copy()
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
