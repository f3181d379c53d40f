"""Authority as a property: random command sequences from several principals, each naming anyone.

Over every sequence: no accepted command changes an account (balances, positions, LP shares, cover offers) of
an owner other than its sender, except what a liquidation reaches by the venue's rules (the
liquidated account and the positions auto-deleveraged against it); prices change only by a
source of the oracle, parameters and roles only by a holder of the role; and every refused
command leaves the state byte-identical (its pickle) and the journal as it was.

Values are compared by equality (a pickle of a copy may differ in its memo, not in value); a
refusal is checked on the live state's own pickle, byte for byte.
"""

from __future__ import annotations

import pickle
from typing import Any

import hypothesis.strategies as st
from hypothesis import HealthCheck, given, settings

from ringfence.core.commands import Command, Deposit, SubmitPrice, Transfer, Withdraw
from ringfence.core.errors import RingfenceError
from ringfence.core.events import Event
from ringfence.core.governance.commands import GrantRole, PausePool, RevokeRole
from ringfence.core.governance.state import Role
from ringfence.core.pool.commands import (
    AdjustIsolatedMargin,
    FundInsurance,
    Liquidate,
    ProvideLiquidity,
    RemoveLiquidity,
    Trade,
)
from ringfence.core.pool.cover_commands import AccruePremium, OfferCover, WithdrawCoverOffer
from ringfence.core.pool.cover_state import CoverTerms
from ringfence.core.pool.events import PositionDeleveraged
from ringfence.core.pool.state import MarginMode
from ringfence.core.state import LedgerState
from support.authority import ADMIN
from support.venue import ETH, MARKET, MARKET_PARAMS, POOL, POOL_PARAMS, USDC, WAD, Venue

PRINCIPALS = ("alice", "bob", "mallory", "a", ADMIN, "guard")
"""Traders, a stranger, a feeder of ETH's oracle (sources a, b, c), the admin and a guardian."""

principal = st.sampled_from(PRINCIPALS)
sub = st.integers(0, 1)
usdc = st.integers(1, 5_000).map(lambda units: units * USDC)


def _commands(now: int) -> st.SearchStrategy[Command]:
    size = st.integers(-3, 3).filter(bool).map(lambda units: units * ETH // 2)
    price = st.integers(1_500, 2_500).map(lambda dollars: dollars * WAD)
    mode = st.sampled_from(MarginMode)
    cover_terms = st.builds(CoverTerms, usdc, st.just(0), st.just(USDC), st.just(86_400 * 10**9), st.just(30))
    return st.one_of(
        st.builds(Deposit, principal, sub, st.just("USDC"), usdc, st.just(now)),
        st.builds(Withdraw, principal, sub, st.just("USDC"), usdc, st.just(now)),
        st.builds(Transfer, principal, sub, sub, st.just("USDC"), usdc, st.just(now)),
        st.builds(ProvideLiquidity, principal, sub, st.just(POOL), usdc, st.just(now)),
        st.builds(RemoveLiquidity, principal, sub, st.just(POOL), usdc, st.just(now)),
        st.builds(FundInsurance, principal, sub, st.just(POOL), usdc, st.just(now)),
        st.builds(Trade, principal, sub, st.just(POOL), st.just(MARKET), size, mode, usdc, st.just(0), st.just(now)),
        st.builds(AdjustIsolatedMargin, principal, sub, st.just(POOL), st.just(MARKET), usdc, st.just(now)),
        st.builds(Liquidate, principal, sub, principal, sub, st.just(POOL), st.just(MARKET), st.just(now)),
        st.builds(SubmitPrice, st.just("ETH"), principal, price, st.just(0), st.just(now), st.just(now)),
        st.builds(GrantRole, principal, st.sampled_from(Role), principal, st.just(now)),
        st.builds(RevokeRole, principal, st.sampled_from(Role), principal, st.just(now)),
        st.builds(PausePool, principal, st.just(POOL), st.just("drill"), st.just(now)),
        st.builds(OfferCover, principal, sub, st.just(POOL), cover_terms, st.just(now)),
        st.builds(WithdrawCoverOffer, principal, sub, st.just(POOL), st.integers(1, 3), st.just(now)),
        st.builds(AccruePremium, principal, st.just(POOL), st.integers(1, 3), st.just(now)),
    )


def _accounts_by_owner(state: LedgerState) -> dict[str, list[Any]]:
    """Each owner's balances, positions and LP shares (what only its owner may change)."""
    owned: dict[str, list[Any]] = {}
    for (owner, number), account in state.accounts.items():
        owned.setdefault(owner, []).append(("balances", number, sorted(account.balances.items())))
    for pool_id, pool in state.pools.items():
        for ((owner, number), market), position in pool.positions.items():
            owned.setdefault(owner, []).append(("position", pool_id, number, market, position))
        for (owner, number), shares in pool.lp_shares.items():
            owned.setdefault(owner, []).append(("lp", pool_id, number, shares))
        for policy_id, policy in pool.cover_policies.items():
            owner, number = policy.underwriter
            owned.setdefault(owner, []).append(("cover", pool_id, number, policy_id, policy))
    return {owner: sorted(items, key=repr) for owner, items in owned.items()}


def _prices(state: LedgerState) -> dict[str, Any]:
    return {asset: (o.quotes, o.accepted_price_wad) for asset, o in state.oracles.items()}


def _parameters_and_roles(state: LedgerState) -> tuple[Any, ...]:
    governance = state.governance
    assert governance is not None
    pools = {pool_id: (pool.params, [m.params for m in pool.markets.values()]) for pool_id, pool in state.pools.items()}
    roles = {role: sorted(holders) for role, holders in governance.holders.items()}
    configs = {asset: oracle.config for asset, oracle in state.oracles.items()}
    return pools, roles, configs, [a.params for a in state.assets.values()], governance.templates


def _allowed_owners(command: Command, sender: str, events: tuple[Event, ...]) -> set[str]:
    allowed = {sender}
    if isinstance(command, Liquidate):
        allowed.add(command.owner)
        allowed |= {event.owner for event in events if isinstance(event, PositionDeleveraged)}
    return allowed


def _check_accepted(before: LedgerState, after: LedgerState, command: Command, sender: str, events: Any) -> None:
    owners_before, owners_after = _accounts_by_owner(before), _accounts_by_owner(after)
    changed = {
        owner
        for owner in owners_before.keys() | owners_after.keys()
        if owners_before.get(owner) != owners_after.get(owner)
    }
    assert changed <= _allowed_owners(command, sender, events), (command, sender, changed)
    if _prices(before) != _prices(after):
        assert isinstance(command, SubmitPrice) and sender == command.source
        assert sender in before.oracles["ETH"].config.source_names()
    if _parameters_and_roles(before) != _parameters_and_roles(after):
        assert isinstance(command, GrantRole | RevokeRole), command
        assert before.governance is not None and before.governance.holds(sender, Role.ADMIN)
    if before.pools[POOL].status != after.pools[POOL].status and isinstance(command, PausePool):
        assert before.governance is not None and before.governance.holds(sender, Role.GUARDIAN)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_no_principal_reaches_what_is_not_its_own_and_every_refusal_changes_nothing(data: st.DataObject) -> None:
    venue = Venue(POOL_PARAMS, MARKET_PARAMS)
    venue.run(GrantRole(ADMIN, Role.GUARDIAN, "guard", venue.now))
    for owner in ("alice", "bob", "mallory"):
        venue.deposit(owner, 20_000 * USDC)
    refused = accepted = 0
    for _ in range(data.draw(st.integers(1, 30), label="length")):
        command = data.draw(_commands(venue.now), label="command")
        sender = data.draw(principal, label="sender")
        before_bytes, before_entries = pickle.dumps(venue.state), len(list(venue.engine.journal.read()))
        before = pickle.loads(before_bytes)
        try:
            events = venue.engine.execute(command, sender=sender)
        except RingfenceError:
            refused += 1
            assert pickle.dumps(venue.state) == before_bytes
            assert len(list(venue.engine.journal.read())) == before_entries
            continue
        accepted += 1
        _check_accepted(before, venue.state, command, sender, events)
    assert refused + accepted > 0
