"""``evolve`` handlers of cover events: the only code that changes a policy or moves its capital.

A policy's capital moves to exactly two places: this pool's LP vault (a claim) and the
underwriter's own sub-account, or the premium's source for a cancellation's refund (the end).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ringfence.core.liquidation.cover import CoverClock
from ringfence.core.pool.cover_events import CoverAccepted, CoverClaimPaid, CoverEnded, CoverOffered, PremiumPaid
from ringfence.core.pool.cover_state import CoverPolicy, CoverStatus, PremiumSource
from ringfence.core.pool.evolve import adjust_balance
from ringfence.core.pool.state import PoolState
from ringfence.core.state import LedgerState

__all__ = ["COVER_HANDLERS"]


def _cover_offered(state: LedgerState, event: CoverOffered) -> None:
    pool = state.pools[event.pool]
    key = (event.owner, event.sub_account)
    capital = event.terms.cover_limit_atoms
    adjust_balance(state, key, pool.params.quote_asset, -capital)
    pool.cover_policies[event.policy_id] = CoverPolicy(event.policy_id, key, event.terms, capital)
    pool.next_policy_id = event.policy_id + 1


def _cover_accepted(state: LedgerState, event: CoverAccepted) -> None:
    policy = state.pools[event.pool].cover_policies[event.policy_id]
    terms = policy.terms
    policy.status = CoverStatus.ACTIVE
    policy.clock = CoverClock(event.timestamp_ns, terms.period_ns, terms.periods)


def _move_source(pool: PoolState, source: PremiumSource, delta_atoms: int) -> None:
    """Add ``delta_atoms`` (either sign) to the pool balance that pays premiums."""
    if source is PremiumSource.INSURANCE_FUND:
        pool.insurance_atoms += delta_atoms
    else:
        pool.protocol_fees_atoms += delta_atoms


def _premium_paid(state: LedgerState, event: PremiumPaid) -> None:
    pool = state.pools[event.pool]
    policy = pool.cover_policies[event.policy_id]
    _move_source(pool, event.source, -event.amount_atoms)
    adjust_balance(state, (event.owner, event.sub_account), pool.params.quote_asset, event.amount_atoms)
    if policy.clock is not None:
        policy.clock = policy.clock.paid_at(event.timestamp_ns)
    policy.premiums_paid_atoms += event.amount_atoms


def _cover_claim_paid(state: LedgerState, event: CoverClaimPaid) -> None:
    pool = state.pools[event.pool]
    policy = pool.cover_policies[event.policy_id]
    policy.capital_atoms -= event.amount_atoms
    policy.claims_paid_atoms += event.amount_atoms
    pool.vault_atoms += event.amount_atoms
    if policy.clock is not None and event.retained_atoms:
        policy.clock = policy.clock.retain(event.retained_atoms, event.timestamp_ns)


def _cover_ended(state: LedgerState, event: CoverEnded) -> None:
    pool = state.pools[event.pool]
    policy = pool.cover_policies.pop(event.policy_id)
    _move_source(pool, event.source, event.premium_refund_atoms)
    adjust_balance(state, policy.underwriter, pool.params.quote_asset, event.capital_returned_atoms)


COVER_HANDLERS: dict[type[Any], Callable[[LedgerState, Any], None]] = {
    CoverOffered: _cover_offered,
    CoverAccepted: _cover_accepted,
    PremiumPaid: _premium_paid,
    CoverClaimPaid: _cover_claim_paid,
    CoverEnded: _cover_ended,
}
