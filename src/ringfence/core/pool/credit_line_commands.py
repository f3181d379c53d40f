"""Commands of credit lines between pools (issue 14 item 3)."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["CreditLineCommand", "OpenCreditLine", "RepayCreditLine"]


@dataclass(frozen=True, slots=True)
class OpenCreditLine:
    """Commit ``cap_atoms`` of the lender pool's vault as a line the borrower pool may draw on.

    A venue change: the admin's in the genesis, a timelocked ``ProposeVenueChange`` once the
    venue is open. ``rate_per_year_wad`` is the yearly interest rate (WAD = 100%).
    """

    line: str
    lender_pool: str
    borrower_pool: str
    cap_atoms: int
    rate_per_year_wad: int
    timestamp_ns: int


@dataclass(frozen=True, slots=True)
class RepayCreditLine:
    """Repay a line from the borrower pool's vault cash (interest first): any principal may send it, as ``actor``."""

    actor: str
    line: str
    timestamp_ns: int


CreditLineCommand = OpenCreditLine | RepayCreditLine
