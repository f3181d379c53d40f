"""The arithmetic of a capped credit line between two pools (SPEC §2.5, §2.6; issue 14 item 3).

A *lender* pool commits ``cap`` quote atoms to a *borrower* pool. The borrower draws on the
line when its LP vault lacks the cash to pay a trader's profit, or to cover a shortfall that
would leave its vault negative; it owes what it drew plus interest, senior to its own LPs, and
repays from its vault. The rules come from Aave v4's hub and spoke (aave/aave-v4,
``src/hub/Hub.sol``):

- **draw cap** (``Hub._validateDraw``): a spoke may draw ``amount`` only while
  ``owed + amount + deficit ≤ drawCap``, with ``owed`` the drawn amount plus its accrued
  premium and ``deficit`` what the spoke reported as lost (``Hub.reportDeficit``). A written-off
  line therefore never refills: the lender's total loss of principal is at most the cap.
- **interest** on the venue clock: the drawn index grows by the linear interest
  ``rate · elapsed / year`` between two accruals and compounds at each (Aave's
  ``MathUtils.calculateLinearInterest`` over ``SECONDS_PER_YEAR = 365 days``); the owed amount
  is rounded up (``Hub._getSpokeDrawn``: ``toDrawnAssetsUp``), against the borrower.
- **seniority**: the borrower's LPs bear a loss first (the in-pool waterfall), the lender only
  what the borrower's LP capital cannot: once the borrower's vault holds less cash than it
  owes, the line is written down to that cash (interest first, then principal; Aave's
  ``reportDeficit`` takes a drawn and a premium amount).

These functions decide amounts only; ``core/pool/credit_lines.py`` reads the ledger and writes
the events.
"""

from __future__ import annotations

from typing import NamedTuple

from ringfence.core.units import WAD, Rounding, mul_div

__all__ = [
    "YEAR_NS",
    "Repayment",
    "WriteDown",
    "accrued_interest_atoms",
    "draw_room_atoms",
    "repayment",
    "write_down",
]

YEAR_NS = 365 * 86_400 * 1_000_000_000
"""A year of the venue clock in nanoseconds (Aave's ``SECONDS_PER_YEAR = 365 days``)."""


def accrued_interest_atoms(owed_atoms: int, rate_per_year_wad: int, elapsed_ns: int) -> int:
    """Return the interest ``⌈owed · rate · elapsed / (WAD · year)⌉`` accrued since the last accrual.

    Linear between two accruals, compounded at each (the owed amount includes the interest
    accrued before); rounded up, against the borrower. Nothing accrues on nothing, at a zero
    rate, or when no time passed.
    """
    if owed_atoms <= 0 or rate_per_year_wad <= 0 or elapsed_ns <= 0:
        return 0
    return mul_div(owed_atoms * rate_per_year_wad, elapsed_ns, WAD * YEAR_NS, Rounding.UP)


def draw_room_atoms(cap_atoms: int, owed_atoms: int, written_off_atoms: int) -> int:
    """Return what the borrower may still draw: ``max(cap − owed − written off, 0)`` (Aave v4 draw cap)."""
    return max(cap_atoms - owed_atoms - written_off_atoms, 0)


class Repayment(NamedTuple):
    """What a repayment pays: the interest owed first, then principal."""

    interest_atoms: int
    principal_atoms: int


def repayment(cash_atoms: int, interest_owed_atoms: int, principal_atoms: int) -> Repayment:
    """Return what the borrower's ``cash_atoms`` repays: interest first, then principal, never more than owed."""
    available = max(cash_atoms, 0)
    interest = min(available, interest_owed_atoms)
    return Repayment(interest, min(available - interest, principal_atoms))


class WriteDown(NamedTuple):
    """The part of a line's claim the borrower's cash no longer backs: interest first, then principal."""

    interest_atoms: int
    principal_atoms: int


def write_down(cash_atoms: int, interest_owed_atoms: int, principal_atoms: int) -> WriteDown:
    """Return the write-down of a claim of ``interest + principal`` against ``cash_atoms`` of the borrower.

    The borrower's LP capital (its vault's cash less what it owes the line) is exhausted when the
    cash is below the claim: the lender loses the excess ``claim − max(cash, 0)``, forgone interest
    first, then principal, and never more than the claim.
    """
    claim = interest_owed_atoms + principal_atoms
    lost = min(max(claim - max(cash_atoms, 0), 0), claim)
    interest = min(lost, interest_owed_atoms)
    return WriteDown(interest, lost - interest)
