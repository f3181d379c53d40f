"""``apply``: the one decide → evolve step, and the engine's all-or-nothing batch built on it."""

from __future__ import annotations

import copy

import pytest

from ringfence.core.apply import apply
from ringfence.core.commands import Deposit, RegisterAsset, Sent, Withdraw
from ringfence.core.errors import InsufficientBalance
from ringfence.core.events import CollateralDeposited
from ringfence.core.state import LedgerState
from ringfence.core.units import WAD
from ringfence.service.engine import Accepted, Engine, Rejected
from ringfence.store.memory import MemoryJournal
from support.authority import ADMIN, bootstrap, open_venue

NOW_NS = 1_700_000_000 * 10**9
USDC = RegisterAsset("USDC", 6, WAD, WAD, 10**15, 0, NOW_NS)
GENESIS = [Sent(ADMIN, bootstrap(NOW_NS)), Sent(ADMIN, USDC), Sent(ADMIN, open_venue(NOW_NS))]
"""The admin's genesis: governance, USDC listed, the venue opened."""


def _listed_state() -> LedgerState:
    state = LedgerState()
    for sent in GENESIS:
        apply(state, sent.command, sent.sender)
    return state


def test_apply_returns_the_events_and_leaves_the_state_they_evolve_to() -> None:
    # Arrange
    state = _listed_state()

    # Act
    events = apply(state, Deposit("alice", 0, "USDC", 5_000_000, NOW_NS), "alice")

    # Assert
    assert events == [CollateralDeposited(owner="alice", sub_account=0, asset="USDC", amount_atoms=5_000_000)]
    assert state.accounts[("alice", 0)].balances == {"USDC": 5_000_000}


def test_a_refused_command_raises_and_changes_nothing() -> None:
    state = _listed_state()
    before = copy.deepcopy(state)

    with pytest.raises(InsufficientBalance):
        apply(state, Withdraw("alice", 0, "USDC", 1, NOW_NS), "alice")

    assert state == before


def test_an_atomic_batch_with_a_refusal_keeps_nothing_of_the_batch() -> None:
    # Arrange: the genesis is durable before the batch
    journal = MemoryJournal()
    engine = Engine(journal)
    engine.execute_batch(GENESIS)
    before = copy.deepcopy(engine.state)
    genesis_entries = list(journal.read())
    deposit = Sent("alice", Deposit("alice", 0, "USDC", 5, NOW_NS))
    too_much = Sent("alice", Withdraw("alice", 0, "USDC", 6, NOW_NS))

    # Act
    outcomes = engine.execute_batch([deposit, too_much, deposit], ["a", "b", "c"], atomic=True)

    # Assert: the batch ends at the refusal; the accepted deposit before it is gone from memory and journal
    assert [type(outcome) for outcome in outcomes] == [Accepted, Rejected]
    assert engine.state == before
    assert list(journal.read()) == genesis_entries


def test_a_plain_batch_keeps_the_commands_around_a_refusal() -> None:
    engine = Engine(MemoryJournal())
    engine.execute_batch(GENESIS)

    outcomes = engine.execute_batch(
        [Sent("alice", Deposit("alice", 0, "USDC", 5, NOW_NS)), Sent("alice", Withdraw("alice", 0, "USDC", 6, NOW_NS))],
        ["a", "b"],
    )

    assert [type(outcome) for outcome in outcomes] == [Accepted, Rejected]
    assert engine.state.accounts[("alice", 0)].balances == {"USDC": 5}
