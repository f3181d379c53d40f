"""State of a capped credit line from a lender pool to a borrower pool (issue 14 item 3).

The committed cash sits in the line, not in either pool: opening moves ``cap`` quote atoms
out of the lender's LP vault into :attr:`CreditLine.undrawn_atoms`, so neither the lender's
own traders and LPs nor its reserve ever depend on the borrower (what the lender can lose is
fixed when the line opens). A draw moves cash from ``undrawn_atoms`` into the borrower's
vault and adds to ``principal_atoms``; a repayment moves cash back (principal refills
``undrawn_atoms``, interest goes to ``interest_collected_atoms``); a write-down impairs part
of the claim (booked by the lender at once, still owed by the borrower: a later repayment
recovers it, back into ``undrawn_atoms``). The identity
``undrawn + principal + principal written off = cap`` holds after every event
(``core/invariants.py``). Lowering the cap moves undrawn cash back to the lender's vault;
closing moves the rest (and the interest collected) there once the borrower repaid everything,
and leaves the line listed with a cap of 0 (its name stays taken).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["CreditLine"]


@dataclass(slots=True)
class CreditLine:
    """One line and where it stands (amounts in the pools' quote atoms)."""

    line: str
    lender_pool: str
    borrower_pool: str
    quote_asset: str
    cap_atoms: int
    """The draw cap: ``owed + written off`` may not pass it through a draw (Aave v4 ``drawCap``)."""
    rate_per_year_wad: int
    """Simple yearly rate, compounded at each accrual."""
    opened_ns: int
    undrawn_atoms: int
    """The lender's committed cash not lent out (held by the line)."""
    principal_atoms: int = 0
    """Drawn and not yet repaid nor written off."""
    interest_owed_atoms: int = 0
    """Interest accrued and not yet paid nor written off."""
    interest_collected_atoms: int = 0
    """Interest the borrower paid; the lender's, held by the line."""
    principal_written_off_atoms: int = 0
    """Principal impaired and not recovered: the lender's loss, at most the cap."""
    interest_written_off_atoms: int = 0
    """Interest impaired and not recovered."""
    accrued_ns: int = 0
    """When interest was last accrued."""
    closed_ns: int | None = None
    """When the line was closed (``CloseCreditLine``); its cap and cash are then 0, and it stays listed."""

    @property
    def owed_atoms(self) -> int:
        """Return what the borrower owes as booked: principal plus interest."""
        return self.principal_atoms + self.interest_owed_atoms

    @property
    def claim_atoms(self) -> int:
        """Return everything the borrower still owes the lender: booked and impaired."""
        return self.owed_atoms + self.written_off_atoms

    @property
    def written_off_atoms(self) -> int:
        """Return everything written off (counted against the cap, as Aave v4 counts a spoke's deficit)."""
        return self.principal_written_off_atoms + self.interest_written_off_atoms
