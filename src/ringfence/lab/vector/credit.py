"""Credit lines on the vector engine's ``credit_lines`` rung: the lines' cash, room and the lenders' latent loss.

In a lab run a line is never drawn (``docs/credit-lines.md``, "In the stress lab"): the lab's
traders close only through liquidation, so no profit is realised past a vault and no vault goes
negative. What a line changes is then fixed when it opens, as on the exact engine
(:mod:`ringfence.lab.exact.credit`):

- the lender's vault holds ``cap`` less cash (the line holds it) and its NAV counts the line;
- the borrower counts the line's room, ``cap`` (nothing owed, nothing written off), in its reserve
  (``check_reserve``: ``reserve_factor · (max(vault, 0) + room)``);
- at the end, junior line first, a lender loses ``min(cap, max(0, −(NAV − latent bad debt)))``
  of the borrower: what settling every open position at the final price would draw and leave
  unbacked.

No interest accrues on an undrawn line. The exact engine records what it drew per run
(``RunResult.credit_line_drawn_usd``); the differential test holds it at 0.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from ringfence.lab.scenario import Scenario

__all__ = ["CreditLines", "credit_lines_of", "lender_loss"]

FloatArray = NDArray[np.float64]


@dataclass(frozen=True, slots=True, eq=False)
class CreditLines:
    """The lines of a rung: per line its lender and borrower pool and cap; per pool what it lent and may draw."""

    lender: tuple[int, ...]
    borrower: tuple[int, ...]
    cap: tuple[float, ...]
    lent: FloatArray
    """Per pool: the caps it lent (cash held by its lines, counted in its NAV)."""
    room: FloatArray
    """Per pool: the caps it may draw (counted in its reserve)."""


def credit_lines_of(scenario: Scenario, isolation: str, assets: tuple[str, ...]) -> CreditLines:
    """Return the lines of ``scenario`` on rung ``isolation`` (none but on ``credit_lines``).

    On that rung pool ``i`` holds market ``i``, as on ``isolated_pools``.
    """
    venue = scenario.venue
    lines = venue.credit_lines if venue is not None and isolation == "credit_lines" else []
    n_pools = len(assets) if isolation == "credit_lines" else 1
    lent, room = np.zeros(n_pools), np.zeros(n_pools)
    lenders = tuple(assets.index(line.lender) for line in lines)
    borrowers = tuple(assets.index(line.borrower) for line in lines)
    for lender, borrower, line in zip(lenders, borrowers, lines, strict=True):
        lent[lender] += line.cap
        room[borrower] += line.cap
    return CreditLines(lenders, borrowers, tuple(line.cap for line in lines), lent, room)


def lender_loss(lines: CreditLines, final_nav: FloatArray, latent: FloatArray) -> FloatArray:
    """Return each path's loss per lender pool ``(P, pools)`` from the final NAV and latent bad debt ``(P, pools)``."""
    loss = np.zeros(final_nav.shape)
    unbacked = np.maximum(-(final_nav - latent), 0.0)
    for index in reversed(range(len(lines.cap))):  # junior line first
        borrower, lender = lines.borrower[index], lines.lender[index]
        taken = np.minimum(lines.cap[index], unbacked[:, borrower])
        unbacked[:, borrower] -= taken
        loss[:, lender] += taken
    return loss
