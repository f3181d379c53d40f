"""Commands of insurance cover sold to a pool (``docs/insurance.md``)."""

from __future__ import annotations

from dataclasses import dataclass

from ringfence.core.pool.cover_state import CoverTerms

__all__ = ["AcceptCover", "AccruePremium", "CancelCover", "CoverCommand", "OfferCover", "WithdrawCoverOffer"]


@dataclass(frozen=True, slots=True)
class OfferCover:
    """An underwriter offers a pool cover, locking ``terms.cover_limit_atoms`` of the pool's quote asset.

    Any principal may underwrite, from its own sub-account, which must hold the capital and stay
    above initial margin without it. The offer waits for the pool's governance (``AcceptCover``).
    """

    owner: str
    sub_account: int
    pool: str
    terms: CoverTerms
    timestamp_ns: int


@dataclass(frozen=True, slots=True)
class WithdrawCoverOffer:
    """The underwriter takes back an offer the pool has not accepted; its capital returns."""

    owner: str
    sub_account: int
    pool: str
    policy_id: int
    timestamp_ns: int


@dataclass(frozen=True, slots=True)
class AcceptCover:
    """The pool accepts an offered policy and pays its first period's premium (a venue change).

    Once the venue is open, only through ``ProposeVenueChange`` and ``ExecuteProposal``.
    """

    pool: str
    policy_id: int
    timestamp_ns: int


@dataclass(frozen=True, slots=True)
class CancelCover:
    """The pool ends an accepted policy early (a venue change); the unearned premium is refunded."""

    pool: str
    policy_id: int
    timestamp_ns: int


@dataclass(frozen=True, slots=True)
class AccruePremium:
    """Anyone settles a policy on the venue clock (permissionless, like a keeper's call).

    Pays the current period's premium when it is unpaid (lapse if the source cannot), ends the
    policy once it expired or its capital is exhausted. ``actor`` is the sender.
    """

    actor: str
    pool: str
    policy_id: int
    timestamp_ns: int


CoverCommand = OfferCover | WithdrawCoverOffer | AcceptCover | CancelCover | AccruePremium
