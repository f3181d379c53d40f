"""Insurance cover sold to a pool: offer, acceptance, premiums, claims in the waterfall, the end (SPEC §2.6).

- **Offer** (``OfferCover``, any principal as underwriter, once the venue is open): the cover
  limit is locked from the underwriter's own sub-account into a new policy of the pool. The
  sub-account must hold it and stay above initial margin without it (as for a withdrawal).
- **Acceptance** (``AcceptCover``, a venue change: the admin in the genesis, then only by
  ``ProposeVenueChange`` + ``ExecuteProposal`` after the timelock): the policy's periods start and
  its first premium is paid in the same command; refused if the premium's source cannot pay it.
- **Premiums** (``AccruePremium``, permissionless): paid in advance, one period at a time, from the
  pool's insurance fund or its protocol fees into the underwriter's sub-account. Cover is in force
  from the payment to the end of that period; a period nobody paid for is not covered (and not
  charged). If the source cannot pay a due premium, the policy lapses.
- **Claims**: inside the waterfall (``core/pool/liquidate.py``), after the insurance fund
  (:func:`cover_layers`, :func:`~ringfence.core.liquidation.cover.claim_cover`,
  :func:`cover_claim_events`).
- **End**: expiry and exhaustion (``AccruePremium``), cancellation by the pool (``CancelCover``, a
  venue change), withdrawal of an unaccepted offer (``WithdrawCoverOffer``): the capital left
  returns to the underwriter's sub-account, net of claims (and, on a cancellation, of the unearned
  premium, refunded to its source).
"""

from __future__ import annotations

from ringfence.core.errors import CommandRejected, InsufficientBalance, InsufficientMargin, UnknownEntity
from ringfence.core.events import Event
from ringfence.core.liquidation.cover import CoverClaim, CoverClock, CoverLayer, unearned_premium_atoms
from ringfence.core.margin import MarginKind
from ringfence.core.pool.cover_commands import (
    AcceptCover,
    AccruePremium,
    CancelCover,
    OfferCover,
    WithdrawCoverOffer,
)
from ringfence.core.pool.cover_events import CoverAccepted, CoverClaimPaid, CoverEnded, CoverOffered, PremiumPaid
from ringfence.core.pool.cover_state import CoverEndReason, CoverPolicy, CoverStatus, CoverTerms, PremiumSource
from ringfence.core.pool.decide import pool_of, quote_balance
from ringfence.core.pool.position_margin import margin_snapshot
from ringfence.core.pool.state import PoolState, PoolStatus
from ringfence.core.state import LedgerState
from ringfence.core.units import MAX_ATOMS
from ringfence.core.validation import check_account, check_amount, check_int

__all__ = [
    "cover_claim_events",
    "cover_layers",
    "decide_accept_cover",
    "decide_accrue_premium",
    "decide_cancel_cover",
    "decide_offer_cover",
    "decide_withdraw_cover_offer",
]

MAX_PERIOD_NS = 366 * 86_400 * 10**9
"""Longest premium period: a year (leap included)."""
MAX_PERIODS = 1_000
"""Most periods one policy may run: with daily periods, almost three years."""


def _check_terms(terms: CoverTerms) -> None:
    check_amount("cover_limit_atoms", terms.cover_limit_atoms)
    check_int("deductible_atoms", terms.deductible_atoms, 0, MAX_ATOMS)
    check_int("premium_per_period_atoms", terms.premium_per_period_atoms, 0, MAX_ATOMS)
    check_int("period_ns", terms.period_ns, 1, MAX_PERIOD_NS)
    check_int("periods", terms.periods, 1, MAX_PERIODS)


def _not_halted(pool: PoolState) -> None:
    if pool.status is PoolStatus.HALTED:
        raise CommandRejected(f"pool {pool.pool} is halted ({pool.status_reason}); governance must resume it")


def _policy(pool: PoolState, policy_id: int) -> CoverPolicy:
    check_int("policy_id", policy_id, 1, MAX_ATOMS)
    found = pool.cover_policies.get(policy_id)
    if found is None:
        raise UnknownEntity(
            f"cover policy of pool {pool.pool}", policy_id, tuple(str(known) for known in pool.cover_policies)
        )
    return found


def decide_offer_cover(state: LedgerState, command: OfferCover) -> list[Event]:
    """Lock the cover limit from the underwriter's sub-account into a new offered policy."""
    pool = pool_of(state, command.pool)
    _not_halted(pool)
    key = check_account("owner", command.owner, "sub_account", command.sub_account)
    _check_terms(command.terms)
    quote, capital = pool.params.quote_asset, command.terms.cover_limit_atoms
    held = quote_balance(state, key, quote)
    if held < capital:
        raise InsufficientBalance(f"{key[0]}/{key[1]}", quote, capital, max(held, 0))
    after = margin_snapshot(state, key, MarginKind.INITIAL, command.timestamp_ns, {quote: -capital})
    if not after.is_healthy:
        raise InsufficientMargin(f"{key[0]}/{key[1]}", after.equity_atoms, after.requirement_atoms)
    return [
        CoverOffered(
            pool=pool.pool,
            policy_id=pool.next_policy_id,
            owner=command.owner,
            sub_account=command.sub_account,
            terms=command.terms,
            timestamp_ns=command.timestamp_ns,
        )
    ]


def _ended(pool: PoolState, policy: CoverPolicy, reason: CoverEndReason, now_ns: int, refund: int = 0) -> CoverEnded:
    return CoverEnded(
        pool=pool.pool,
        policy_id=policy.policy_id,
        reason=reason,
        owner=policy.underwriter[0],
        sub_account=policy.underwriter[1],
        capital_returned_atoms=policy.capital_atoms - refund,
        premium_refund_atoms=refund,
        source=policy.terms.premium_source,
        claims_paid_atoms=policy.claims_paid_atoms,
        timestamp_ns=now_ns,
    )


def decide_withdraw_cover_offer(state: LedgerState, command: WithdrawCoverOffer) -> list[Event]:
    """Return an unaccepted offer's capital to its underwriter (only the underwriter's own sub-account)."""
    pool = pool_of(state, command.pool)
    key = check_account("owner", command.owner, "sub_account", command.sub_account)
    policy = _policy(pool, command.policy_id)
    if policy.underwriter != key:
        raise UnknownEntity(f"cover offer of {key[0]}/{key[1]} in pool {pool.pool}", command.policy_id)
    if policy.status is not CoverStatus.OFFERED:
        raise CommandRejected(
            f"policy {policy.policy_id} of pool {pool.pool} was accepted; its capital returns at expiry, "
            "exhaustion, lapse or cancellation by the pool, never at the underwriter's call"
        )
    return [_ended(pool, policy, CoverEndReason.WITHDRAWN, command.timestamp_ns)]


def _source_atoms(pool: PoolState, source: PremiumSource) -> int:
    return pool.insurance_atoms if source is PremiumSource.INSURANCE_FUND else pool.protocol_fees_atoms


def _premium(pool: PoolState, policy: CoverPolicy, period: int, until_ns: int, now_ns: int) -> PremiumPaid:
    return PremiumPaid(
        pool=pool.pool,
        policy_id=policy.policy_id,
        source=policy.terms.premium_source,
        owner=policy.underwriter[0],
        sub_account=policy.underwriter[1],
        period=period,
        amount_atoms=policy.terms.premium_per_period_atoms,
        covered_until_ns=until_ns,
        timestamp_ns=now_ns,
    )


def decide_accept_cover(state: LedgerState, command: AcceptCover) -> list[Event]:
    """Accept an offered policy and pay its first period's premium (refused if the source cannot)."""
    pool = pool_of(state, command.pool)
    _not_halted(pool)
    policy = _policy(pool, command.policy_id)
    if policy.status is not CoverStatus.OFFERED:
        raise CommandRejected(f"policy {policy.policy_id} of pool {pool.pool} is already accepted")
    terms = policy.terms
    source = terms.premium_source
    available = _source_atoms(pool, source)
    if available < terms.premium_per_period_atoms:
        raise CommandRejected(
            f"pool {pool.pool}'s {source.value} holds {available} quote atoms, less than the first premium "
            f"{terms.premium_per_period_atoms} of policy {policy.policy_id}"
        )
    now = command.timestamp_ns
    accepted = CoverAccepted(pool=pool.pool, policy_id=policy.policy_id, timestamp_ns=now)
    first_period_end = CoverClock(now, terms.period_ns, terms.periods).period_end_ns(now)
    return [accepted, _premium(pool, policy, 0, first_period_end, now)]


def _active(pool: PoolState, policy_id: int) -> tuple[CoverPolicy, CoverClock]:
    """Return an accepted policy and its clock."""
    policy = _policy(pool, policy_id)
    if policy.status is not CoverStatus.ACTIVE or policy.clock is None:
        raise CommandRejected(f"policy {policy.policy_id} of pool {pool.pool} is offered, not accepted yet")
    return policy, policy.clock


def decide_cancel_cover(state: LedgerState, command: CancelCover) -> list[Event]:
    """End an accepted policy at once; the underwriter refunds the period's unearned premium from its capital."""
    pool = pool_of(state, command.pool)
    policy, clock = _active(pool, command.policy_id)
    now = command.timestamp_ns
    unearned = 0
    if clock.in_force(now):
        premium = policy.terms.premium_per_period_atoms
        unearned = unearned_premium_atoms(premium, now, clock.covered_until_ns, clock.period_ns)
    refund = min(unearned, policy.capital_atoms)
    return [_ended(pool, policy, CoverEndReason.CANCELLED, now, refund)]


def decide_accrue_premium(state: LedgerState, command: AccruePremium) -> list[Event]:
    """Settle a policy on the venue clock: end it (expired, exhausted), pay the current period, or lapse it."""
    pool = pool_of(state, command.pool)
    policy, clock = _active(pool, command.policy_id)
    now = command.timestamp_ns
    if now < clock.covered_from_ns:
        raise CommandRejected(
            f"policy {policy.policy_id}'s last premium was paid at {clock.covered_from_ns} ns; the clock is at {now}"
        )
    if now >= clock.expires_ns:
        return [_ended(pool, policy, CoverEndReason.EXPIRED, now)]
    if policy.capital_atoms == 0:
        return [_ended(pool, policy, CoverEndReason.EXHAUSTED, now)]
    if clock.in_force(now):
        raise CommandRejected(
            f"policy {policy.policy_id} of pool {pool.pool} is paid until {clock.covered_until_ns} ns; "
            "the next premium is due then"
        )
    premium = policy.terms.premium_per_period_atoms
    if _source_atoms(pool, policy.terms.premium_source) < premium:
        return [_ended(pool, policy, CoverEndReason.LAPSED, now)]
    return [_premium(pool, policy, clock.period_at(now), clock.period_end_ns(now), now)]


def cover_layers(pool: PoolState, now_ns: int) -> list[CoverLayer]:
    """Return the pool's policies in force at ``now_ns``, in the order the pool accepted them."""
    in_force = [
        (policy.clock, policy)
        for policy in pool.cover_policies.values()
        if policy.clock is not None and policy.clock.in_force(now_ns)
    ]
    in_force.sort(key=lambda item: (item[0].started_ns, item[1].policy_id))
    return [
        CoverLayer(
            policy.policy_id, clock.deductible_left_atoms(policy.terms.deductible_atoms, now_ns), policy.capital_atoms
        )
        for clock, policy in in_force
    ]


def cover_claim_events(pool: PoolState, claims: tuple[CoverClaim, ...], now_ns: int) -> list[Event]:
    """Return one :class:`CoverClaimPaid` per claim, with the capital each policy has left."""
    return [
        CoverClaimPaid(
            pool=pool.pool,
            policy_id=claim.policy_id,
            residual_atoms=claim.residual_atoms,
            retained_atoms=claim.retained_atoms,
            amount_atoms=claim.paid_atoms,
            capital_left_atoms=pool.cover_policies[claim.policy_id].capital_atoms - claim.paid_atoms,
            timestamp_ns=now_ns,
        )
        for claim in claims
    ]
