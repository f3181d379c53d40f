"""Credit lines on the exact engine's ``credit_lines`` rung: the keeper that repays them and what they cost.

The core decides everything about a line (draws, caps, interest, write-downs:
``core/pool/credit_lines.py``); the lab adds two things (``docs/credit-lines.md``, "In the lab"):

- **repayment**: at the end of every step, a keeper (:data:`REPAYER`) sends ``RepayCreditLine``
  for each line whose borrower owes something and holds cash, as the core leaves repayment to
  anyone who sends it. Interest first, then principal, then recoveries of what was written off.
- **the lender's loss** at the end of a run, per lender pool: the principal written off and not
  recovered (booked), plus the latent loss, as the lab counts latent bad debt: what settling every
  open position at the final price would leave unbacked. The lab's traders close only through
  liquidation, so a winning side's profit stays unrealised and has drawn nothing yet; settled, it
  would be paid from the borrower's vault, then drawn on its lines (``DrawReason.PROFIT``). So,
  junior line first, each line loses ``min(principal + room, deficit)``, where the deficit is
  ``max(0, −(NAV − latent bad debt))`` (the borrower's NAV, which already deducts what it owes its
  lines, less what underwater accounts cannot pay) and ``room`` what the line could still lend.
  What exceeds the lines' capacity would be forgone by the winners (the core's profit cap), not
  lost by a lender. Interest written off is forgone income, not counted. Each lender's loss is at
  most the caps it lent: the core holds ``undrawn + principal + principal written off = cap``,
  and ``room ≤ undrawn``.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from ringfence.core.errors import RingfenceError
from ringfence.core.pool.credit_line_commands import RepayCreditLine
from ringfence.core.pool.credit_lines import line_view
from ringfence.core.state import LedgerState
from ringfence.lab.exact.layout import QUOTE_UNIT, Layout
from ringfence.lab.exact.ledger import Ledger

__all__ = ["REPAYER", "LineOutcome", "line_cash_atoms", "line_outcome", "repay_lines"]

FloatArray = NDArray[np.float64]
REPAYER = "keeper-repay"
"""The principal that repays the lines (a keeper: its party holds nothing, it only sends commands)."""


def repay_lines(ledger: Ledger, layout: Layout, now_ns: int) -> None:
    """Repay every line of ``layout`` whose borrower owes something and holds cash (senior line first)."""
    state = ledger.state
    for placed in layout.credit_lines:
        line = state.credit_lines[placed.line]
        owed = line_view(line, now_ns).claim_atoms
        if owed <= 0 or state.pools[line.borrower_pool].vault_atoms <= 0:
            continue
        try:
            ledger.apply(RepayCreditLine(REPAYER, placed.line, now_ns), REPAYER)
        except RingfenceError:
            continue  # a halted borrower cannot repay this step; the keeper tries again at the next


def line_cash_atoms(state: LedgerState) -> int:
    """Return the cash the lines hold (undrawn commitments and collected interest): the lenders' LPs'."""
    return sum(line.undrawn_atoms + line.interest_collected_atoms for line in state.credit_lines.values())


class LineOutcome:
    """Per pool of a run: what it lost as a lender, the caps it lent, the principal it drew as a borrower."""

    def __init__(self, pools: int) -> None:
        self.loss_usd = np.zeros(pools)
        self.cap_usd = np.zeros(pools)
        self.drawn_usd = np.zeros(pools)


def line_outcome(
    state: LedgerState,
    layout: Layout,
    final_nav_usd: FloatArray,
    latent_usd: FloatArray,
    drawn_atoms: dict[str, int],
    end_ns: int,
) -> LineOutcome:
    """Return each pool's line outcome at the end of a run (module docstring).

    ``final_nav_usd`` is each pool's NAV at the last step (lines counted), ``latent_usd`` each
    pool's latent bad debt, ``drawn_atoms`` the principal each borrower pool drew over the run,
    ``end_ns`` the time of the last step.
    """
    outcome = LineOutcome(len(layout.pools))
    unbacked = np.maximum(-(final_nav_usd - latent_usd), 0.0)
    for placed in reversed(layout.credit_lines):  # junior line first
        line = state.credit_lines[placed.line]
        exposed_usd = (line.principal_atoms + line_view(line, end_ns).room_atoms) / QUOTE_UNIT
        latent_loss = min(exposed_usd, float(unbacked[placed.borrower]))
        unbacked[placed.borrower] -= latent_loss
        outcome.loss_usd[placed.lender] += line.principal_written_off_atoms / QUOTE_UNIT + latent_loss
        outcome.cap_usd[placed.lender] += line.cap_atoms / QUOTE_UNIT
    for index, pool in enumerate(layout.pools):
        outcome.drawn_usd[index] = drawn_atoms.get(pool, 0) / QUOTE_UNIT
    return outcome
