"""Step 7 of the stress model: LPs flee a pool whose NAV fell too far below its running peak.

NAV = LP vault − traders' unrealised PnL in the pool at the oracle (``pool_nav_range_atoms``).
While a pool's LPs have not fled and ``1 − NAV/peak > flee_drawdown`` (peak > 0), each of its
LPs, in the order of their account names (``lp-<asset>``, as the exact runner iterates them),
asks to redeem ``flee_share`` of its shares at NAV (``decide_remove_liquidity``: ``shares ·
NAV / total``, refused when that exceeds the vault's cash, and refused outright while the NAV
is at or below 0: ``PoolNavNotPositive``, so the LPs have not fled and ask again next step).
The pool's reserve rule (``check_reserve``: net exposure ``Σ |skew · price|`` at most
``reserve_factor ×`` the vault left) may refuse a redemption. Once
one redemption of a pool is paid its LPs have fled; otherwise they ask again next step if the
drawdown persists. While the oracle is stale no redemption can be priced (all are refused).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from ringfence.lab.vector.state import Book, Static

__all__ = ["redeem_fleeing_lps"]

FloatArray = NDArray[np.float64]


def _exposure(book: Book, static: Static, oracle: FloatArray) -> FloatArray:
    """Return each pool's net exposure ``Σ_markets |skew · price|`` ``(P, Q)``; ``oracle`` is ``(M, P)``."""
    return np.asarray(np.abs(book.skew * oracle.T) @ static.lp_pool)


def redeem_fleeing_lps(book: Book, static: Static, nav: FloatArray, oracle: FloatArray, stale: bool) -> FloatArray:
    """Let the LPs of pools in drawdown redeem, given each pool's NAV ``(P, Q)``; return the NAV after."""
    design, rules = static.design, static.rules
    nav = nav.copy()
    book.nav_peak = np.maximum(book.nav_peak, nav)
    peak = book.nav_peak
    drawdown = 1.0 - np.divide(nav, peak, out=np.ones_like(nav), where=peak > 0.0)
    trying = ~book.fled & (peak > 0.0) & (drawdown > rules.flee_drawdown)
    if stale or not trying.any():
        return nav
    exposure = _exposure(book, static, oracle)
    rows = np.arange(book.paths)
    for lp in design.lp_order:
        pool = int(design.market_pool[lp])
        wanted = book.lp_shares[:, lp] * rules.flee_share
        total = book.lp_shares @ static.lp_pool[:, pool]
        value = np.divide(wanted * np.maximum(nav[:, pool], 0.0), total, out=np.zeros_like(total), where=total > 0)
        amount = value
        liquidity = np.maximum(book.vault[:, pool] - amount, 0.0) + design.credit_room[pool]
        # shares worth more than the vault's cash are refused (decide_remove_liquidity), as a reserve breach is
        # a pool whose NAV is at or below 0 refuses every redemption (PoolNavNotPositive): no shares burnt for 0
        allowed = (
            (nav[:, pool] > 0.0)
            & (amount <= book.vault[:, pool])
            & (exposure[:, pool] <= rules.reserve_factor * liquidity)
        )
        paid = rows[trying[:, pool] & (wanted > 0.0) & allowed]
        book.vault[paid, pool] -= amount[paid]
        book.redeemed[paid] += amount[paid]
        nav[paid, pool] -= amount[paid]
        book.lp_shares[paid, lp] -= wanted[paid]
        book.fled[paid, pool] = True
    return nav
