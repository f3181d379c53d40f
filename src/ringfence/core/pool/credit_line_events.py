"""Events of credit lines between pools: each carries every amount it moves (issue 14 item 3)."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import ClassVar

__all__ = [
    "CREDIT_LINE_EVENT_TYPES",
    "CreditLineAccrued",
    "CreditLineCapLowered",
    "CreditLineClosed",
    "CreditLineDrawn",
    "CreditLineEvent",
    "CreditLineOpened",
    "CreditLineRepaid",
    "CreditLineWrittenDown",
    "DrawReason",
]


class DrawReason(enum.Enum):
    """Why the borrower pool drew on its line."""

    PROFIT = "profit"
    """Its vault lacked the cash to pay a trader's realised profit."""
    SHORTFALL = "shortfall"
    """A shortfall left its vault negative after its LPs bore what they could."""


@dataclass(frozen=True, slots=True, kw_only=True)
class CreditLineOpened:
    """The lender pool committed ``cap_atoms`` of its vault's cash to a line for the borrower pool."""

    SCHEMA_VERSION: ClassVar[int] = 1
    line: str
    lender_pool: str
    borrower_pool: str
    quote_asset: str
    cap_atoms: int
    rate_per_year_wad: int
    timestamp_ns: int


@dataclass(frozen=True, slots=True, kw_only=True)
class CreditLineAccrued:
    """Interest accrued on what the borrower owes since the line's last accrual (rounded up)."""

    SCHEMA_VERSION: ClassVar[int] = 1
    line: str
    borrower_pool: str
    interest_atoms: int
    timestamp_ns: int


@dataclass(frozen=True, slots=True, kw_only=True)
class CreditLineDrawn:
    """Cash moved from the line's undrawn commitment into the borrower pool's vault."""

    SCHEMA_VERSION: ClassVar[int] = 1
    line: str
    borrower_pool: str
    amount_atoms: int
    reason: DrawReason
    timestamp_ns: int


@dataclass(frozen=True, slots=True, kw_only=True)
class CreditLineRepaid:
    """Cash moved from the borrower pool's vault back to the line: interest, then principal, then recoveries.

    ``recovered_interest_atoms`` and ``recovered_principal_atoms`` pay back what an earlier
    write-down impaired, from cash left once everything owed is repaid: the lender's claim
    survives its write-down and stays senior to the borrower's LPs.
    """

    SCHEMA_VERSION: ClassVar[int] = 1
    line: str
    borrower_pool: str
    interest_atoms: int
    principal_atoms: int
    recovered_interest_atoms: int
    recovered_principal_atoms: int
    timestamp_ns: int


@dataclass(frozen=True, slots=True, kw_only=True)
class CreditLineWrittenDown:
    """The borrower's cash no longer backs the claim: the lender impairs ``principal_atoms`` and ``interest_atoms``.

    Recorded in the borrower pool's waterfall, after its LPs bore the loss. The lender's NAV
    drops by the impairment at once; the borrower still owes it (a later ``RepayCreditLine``
    recovers it before the borrower's LPs may withdraw anything) and it counts against the cap,
    so the line never refills it.
    """

    SCHEMA_VERSION: ClassVar[int] = 1
    line: str
    lender_pool: str
    borrower_pool: str
    interest_atoms: int
    principal_atoms: int
    timestamp_ns: int


@dataclass(frozen=True, slots=True, kw_only=True)
class CreditLineCapLowered:
    """The line's cap fell from ``old_cap_atoms`` to ``cap_atoms``: ``released_atoms`` of undrawn cash went back.

    ``released_atoms = old_cap_atoms − cap_atoms`` moves from the line's undrawn cash into the
    lender pool's vault; what the borrower owes is untouched.
    """

    SCHEMA_VERSION: ClassVar[int] = 1
    line: str
    lender_pool: str
    old_cap_atoms: int
    cap_atoms: int
    released_atoms: int
    timestamp_ns: int


@dataclass(frozen=True, slots=True, kw_only=True)
class CreditLineClosed:
    """The line closed: its undrawn cash and the interest it collected went back to the lender pool's vault.

    Recorded after the ``CreditLineRepaid`` that settled the borrower's whole claim (none when it
    owed nothing): ``returned_atoms`` is then the whole cap, ``interest_atoms`` every interest
    atom the line collected over its life. The line stays listed, its cap 0.
    """

    SCHEMA_VERSION: ClassVar[int] = 1
    line: str
    lender_pool: str
    borrower_pool: str
    returned_atoms: int
    interest_atoms: int
    timestamp_ns: int


CreditLineEvent = (
    CreditLineOpened
    | CreditLineAccrued
    | CreditLineDrawn
    | CreditLineRepaid
    | CreditLineWrittenDown
    | CreditLineCapLowered
    | CreditLineClosed
)

CREDIT_LINE_EVENT_TYPES: tuple[type[CreditLineEvent], ...] = (
    CreditLineOpened,
    CreditLineAccrued,
    CreditLineDrawn,
    CreditLineRepaid,
    CreditLineWrittenDown,
    CreditLineCapLowered,
    CreditLineClosed,
)
