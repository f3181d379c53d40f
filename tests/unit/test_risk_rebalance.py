"""Rebalancing suggestions (``ringfence.risk.rebalance``): exact transfers, the no-churn threshold."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ringfence.core.errors import InvalidParameter
from ringfence.risk.allocator import MarginBook, allocate
from ringfence.risk.rebalance import MarginTransfer, rebalance, transfers

DAY = 1.0 / 365.0
USD = 10**6


def test_transfers_worked_case():
    # Holders 0 and 2 have 30 and 10 too much; holder 1 needs 40.
    moves = transfers([50, 0, 20], [20, 40, 10])
    assert moves == (MarginTransfer(0, 1, 30), MarginTransfer(2, 1, 10))


def test_transfers_refuse_unequal_totals():
    with pytest.raises(InvalidParameter):
        transfers([10, 0], [5, 6])
    with pytest.raises(InvalidParameter):
        transfers([10, -1], [9, 0])


@given(st.lists(st.tuples(st.integers(0, 10**9), st.integers(0, 10**9)), min_size=1, max_size=10))
def test_transfers_reach_every_target_exactly(pairs):
    current = [c for c, _ in pairs]
    # A target with the same total: move the difference onto holder 0 or take it from others.
    target = [t for _, t in pairs]
    difference = sum(current) - sum(target)
    if difference >= 0:
        target[0] += difference
    else:
        current[0] += -difference
    moves = transfers(current, target)
    after = list(current)
    for move in moves:
        assert move.amount_atoms > 0 and move.source != move.destination
        after[move.source] -= move.amount_atoms
        after[move.destination] += move.amount_atoms
        assert after[move.source] >= 0
    assert after == target
    givers = sum(c > t for c, t in zip(current, target, strict=True))
    takers = sum(t > c for c, t in zip(current, target, strict=True))
    assert len(moves) <= max(givers + takers - 1, 0)


def _book(prices):
    return MarginBook.of(prices, [2.0, -20.0], 0.025, 0.0, [0.7, 1.1])


def test_a_price_move_triggers_transfers_toward_the_new_optimum():
    start = _book([60_000.0, 3_000.0])
    initial = allocate(start, 12_000 * USD, DAY, USD)
    # BTC falls 3% and ETH falls 3%: the long lost, the short gained; equity terms move with them.
    moved = MarginBook.of([58_200.0, 2_910.0], [2.0, -20.0], 0.025, [-3_600.0, 1_800.0], [0.7, 1.1])
    suggestion = rebalance(moved, initial.margins_atoms, DAY, USD, threshold=0.005)
    assert suggestion.suggested
    assert suggestion.improvement >= 0.005
    assert suggestion.transfers == (MarginTransfer(1, 0, suggestion.transfers[0].amount_atoms),)
    after = np.array(initial.margins_atoms)
    after[0] += suggestion.transfers[0].amount_atoms
    after[1] -= suggestion.transfers[0].amount_atoms
    assert tuple(after) == suggestion.target.margins_atoms


def test_a_small_move_below_the_threshold_suggests_nothing():
    start = _book([60_000.0, 3_000.0])
    initial = allocate(start, 12_000 * USD, DAY, USD)
    moved = MarginBook.of([59_940.0, 2_997.0], [2.0, -20.0], 0.025, [-120.0, 60.0], [0.7, 1.1])
    suggestion = rebalance(moved, initial.margins_atoms, DAY, USD, threshold=0.005)
    assert 0.0 <= suggestion.improvement < 0.005
    assert not suggestion.suggested and suggestion.transfers == ()


def test_idle_collateral_is_moved_into_the_vaults():
    book = _book([60_000.0, 3_000.0])
    suggestion = rebalance(book, [4_000 * USD, 4_000 * USD], DAY, USD, idle_atoms=[4_000 * USD], threshold=0.0)
    assert sum(suggestion.target.margins_atoms) == 12_000 * USD
    assert all(move.source == 2 for move in suggestion.transfers if move.source >= 2)
    assert sum(m.amount_atoms for m in suggestion.transfers if m.source == 2) == 4_000 * USD


def test_rebalance_refuses_a_threshold_outside_zero_one():
    with pytest.raises(InvalidParameter):
        rebalance(_book([60_000.0, 3_000.0]), [1, 1], DAY, USD, threshold=1.5)
