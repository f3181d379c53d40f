"""Events of insurance cover: each payment is one event with its amounts (quote atoms of the pool)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from ringfence.core.pool.cover_state import CoverEndReason, CoverTerms, PremiumSource

__all__ = [
    "COVER_EVENT_TYPES",
    "CoverAccepted",
    "CoverClaimPaid",
    "CoverEnded",
    "CoverEvent",
    "CoverOffered",
    "PremiumPaid",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class CoverOffered:
    """An underwriter locked ``terms.cover_limit_atoms`` from its sub-account into a new policy of ``pool``."""

    SCHEMA_VERSION: ClassVar[int] = 1
    pool: str
    policy_id: int
    owner: str
    sub_account: int
    terms: CoverTerms
    timestamp_ns: int


@dataclass(frozen=True, slots=True, kw_only=True)
class CoverAccepted:
    """The pool accepted the policy: its periods start now (a :class:`PremiumPaid` for the first follows)."""

    SCHEMA_VERSION: ClassVar[int] = 1
    pool: str
    policy_id: int
    timestamp_ns: int


@dataclass(frozen=True, slots=True, kw_only=True)
class PremiumPaid:
    """The pool paid one period's premium from ``source`` to the underwriter's sub-account.

    Cover is in force from ``timestamp_ns`` to ``covered_until_ns`` (the end of ``period``).
    """

    SCHEMA_VERSION: ClassVar[int] = 1
    pool: str
    policy_id: int
    source: PremiumSource
    owner: str
    sub_account: int
    period: int
    amount_atoms: int
    covered_until_ns: int
    timestamp_ns: int


@dataclass(frozen=True, slots=True, kw_only=True)
class CoverClaimPaid:
    """A policy's part of a shortfall in the waterfall, after the pool's insurance fund.

    ``residual_atoms`` reached the policy; the pool retained ``retained_atoms`` (its deductible,
    which goes on down the waterfall); the policy paid ``amount_atoms`` from its capital into the
    LP vault and has ``capital_left_atoms``.
    """

    SCHEMA_VERSION: ClassVar[int] = 1
    pool: str
    policy_id: int
    residual_atoms: int
    retained_atoms: int
    amount_atoms: int
    capital_left_atoms: int
    timestamp_ns: int


@dataclass(frozen=True, slots=True, kw_only=True)
class CoverEnded:
    """A policy ended: ``capital_returned_atoms`` went back to the underwriter's sub-account.

    On a cancellation, ``premium_refund_atoms`` of the locked capital went back to the premium's
    source first (the unearned part of the period). The policy leaves the pool's state.
    """

    SCHEMA_VERSION: ClassVar[int] = 1
    pool: str
    policy_id: int
    reason: CoverEndReason
    owner: str
    sub_account: int
    capital_returned_atoms: int
    premium_refund_atoms: int
    source: PremiumSource
    claims_paid_atoms: int
    timestamp_ns: int


CoverEvent = CoverOffered | CoverAccepted | PremiumPaid | CoverClaimPaid | CoverEnded

COVER_EVENT_TYPES: tuple[type[CoverEvent], ...] = (CoverOffered, CoverAccepted, PremiumPaid, CoverClaimPaid, CoverEnded)
