"""Commands of credit lines between pools (issue 14 item 3)."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["CloseCreditLine", "CreditLineCommand", "LowerCreditLineCap", "OpenCreditLine", "RepayCreditLine"]


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


@dataclass(frozen=True, slots=True)
class LowerCreditLineCap:
    """Lower a line's cap to ``cap_atoms``: the released undrawn cash returns to the lender pool's vault.

    A venue change (Aave v4 ``Hub.updateSpokeConfig``, restricted to the hub's governance): the
    admin's in the genesis, a timelocked ``ProposeVenueChange`` once the venue is open.
    ``lender_pool`` names the pool whose cash returns (checked against the line, and the unit of
    ``cap_atoms`` in a venue file). The new cap may not fall below the principal drawn and not
    yet repaid (written-off principal included): that cash is out of the line.
    """

    line: str
    lender_pool: str
    cap_atoms: int
    timestamp_ns: int


@dataclass(frozen=True, slots=True)
class CloseCreditLine:
    """Close a line: the borrower repays everything it owes, the line's cash returns to the lender's vault.

    A venue change like :class:`LowerCreditLineCap`. Refused (``CreditLineOutstanding``) while the
    borrower pool's vault cash cannot repay the whole claim (interest, principal and what was
    written off): lower the cap to stop further draws and close once it is repaid.
    """

    line: str
    timestamp_ns: int


CreditLineCommand = OpenCreditLine | RepayCreditLine | LowerCreditLineCap | CloseCreditLine
