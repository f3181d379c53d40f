"""Insurance cover sold to a pool by an underwriter: terms, status and the policy's locked capital.

A policy belongs to one pool and its capital to that policy alone: the underwriter's quote atoms
locked by ``OfferCover`` pay only this policy's claims, into this pool's LP vault, and what is left
returns to the underwriter's sub-account when the policy ends. Nothing else reads or moves them.
The arithmetic (in force, deductible, claim, unearned premium) is in
:mod:`ringfence.core.liquidation.cover`.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from ringfence.core.liquidation.cover import CoverClock
from ringfence.core.state_keys import AccountKey

__all__ = ["CoverEndReason", "CoverPolicy", "CoverStatus", "CoverTerms", "PremiumSource"]


class PremiumSource(enum.Enum):
    """Which of the pool's balances pays the premium."""

    INSURANCE_FUND = "insurance_fund"
    """The pool's insurance fund buys the cover (reinsurance of its own layer)."""
    PROTOCOL_FEES = "protocol_fees"
    """The protocol's share of the pool's fees pays it."""


class CoverStatus(enum.Enum):
    """Where a policy stands. An ended policy leaves the pool's state (its events stay in the journal)."""

    OFFERED = "offered"
    """Capital locked, waiting for the pool's governance to accept it (or the underwriter to withdraw it)."""
    ACTIVE = "active"
    """Accepted: pays claims while a paid premium covers the moment (``CoverClock.in_force``)."""


class CoverEndReason(enum.Enum):
    """Why a policy ended and its capital went back to the underwriter."""

    WITHDRAWN = "withdrawn"
    """The underwriter took back an offer the pool had not accepted."""
    EXPIRED = "expired"
    """Its last period ended."""
    CANCELLED = "cancelled"
    """The pool's governance cancelled it; the underwriter refunded the unearned premium."""
    LAPSED = "lapsed"
    """A period's premium was due and the pool's chosen source could not pay it."""
    EXHAUSTED = "exhausted"
    """Claims used all its capital: nothing left to cover, so no further premium is charged."""


@dataclass(frozen=True, slots=True)
class CoverTerms:
    """What the underwriter offers (amounts in the pool's quote atoms).

    ``cover_limit_atoms`` is locked from the underwriter's sub-account when offered: it is the
    capital and the most the policy pays over its whole life. ``deductible_atoms`` is retained by
    the pool per premium period, in aggregate over the period's claims. The premium is paid in
    advance for each period, from ``premium_source``.
    """

    cover_limit_atoms: int
    deductible_atoms: int
    premium_per_period_atoms: int
    period_ns: int
    periods: int
    premium_source: PremiumSource = PremiumSource.INSURANCE_FUND


@dataclass(slots=True)
class CoverPolicy:
    """One policy of a pool: its underwriter, terms, capital left, and its clock once accepted."""

    policy_id: int
    underwriter: AccountKey
    terms: CoverTerms
    capital_atoms: int
    """Quote atoms locked in this policy: the cover limit less the claims paid."""
    status: CoverStatus = CoverStatus.OFFERED
    clock: CoverClock | None = None
    """Set when accepted (``None`` while offered)."""
    premiums_paid_atoms: int = 0
    claims_paid_atoms: int = 0
