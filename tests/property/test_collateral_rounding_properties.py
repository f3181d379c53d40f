"""Collateral valuation rounds in the protocol's favour: never above the exact value, and within two atoms of it.

Split from ``test_ledger_properties.py`` (the ledger's state machine and batch properties stay there).
"""

from __future__ import annotations

from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from ringfence.core.events import (
    AssetRegistered,
    CollateralDeposited,
    Event,
    OracleConfigured,
    OraclePriceAccepted,
    PriceSubmitted,
)
from ringfence.core.evolve import evolve_all
from ringfence.core.margin import NO_LIMIT, MarginKind, collateral_value
from ringfence.core.state import LedgerState

SECOND_NS = 1_000_000_000
WAD_LITERAL = 1_000_000_000_000_000_000
MAX_ATOMS_LITERAL = 2**128 - 1
PERCENT_WAD = WAD_LITERAL // 100


# --- rounding favours the protocol --------------------------------------------------------------


def _priced_state(
    decimals: int,
    price_wad: int,
    initial_weight_wad: int,
    maintenance_weight_wad: int,
    weight_scale_start_value: int = NO_LIMIT,
    total_deposits_atoms: int = 0,
) -> LedgerState:
    """A state with one asset "X" whose oracle and stable price are both ``price_wad`` at t=0."""
    events: list[Event] = [
        AssetRegistered(
            asset="X",
            decimals=decimals,
            initial_weight_wad=initial_weight_wad,
            maintenance_weight_wad=maintenance_weight_wad,
            supply_cap_atoms=NO_LIMIT,
            weight_scale_start_value=weight_scale_start_value,
        ),
        OracleConfigured(
            asset="X",
            source_names=("a",),
            source_weights=(1,),
            quorum=1,
            max_staleness_ns=60 * SECOND_NS,
            max_deviation_wad=PERCENT_WAD,
            max_confidence_wad=PERCENT_WAD,
            max_jump_wad=PERCENT_WAD,
            guard_release_ns=0,
            delay_interval_seconds=3600,
            delay_growth_limit_wad=0,
            stable_growth_limit_wad=0,
        ),
        PriceSubmitted(asset="X", source="a", price_wad=price_wad, confidence_wad=0, published_ns=0),
        OraclePriceAccepted(asset="X", price_wad=price_wad, accepted_ns=0, released_guard=False),
    ]
    if total_deposits_atoms:
        events.append(CollateralDeposited(owner="whale", sub_account=0, asset="X", amount_atoms=total_deposits_atoms))
    return evolve_all(LedgerState(), events)


def _exact_value(balance: int, decimals: int, price_wad: int, weight: Fraction) -> Fraction:
    return Fraction(balance, 10**decimals) * Fraction(price_wad, WAD_LITERAL) * weight * 10**6


balances = st.integers(0, MAX_ATOMS_LITERAL)
decimals_range = st.integers(0, 30)
prices_wad = st.one_of(st.integers(1, 10**6), st.integers(1, 10**30))
weights_wad = st.one_of(st.sampled_from((0, WAD_LITERAL)), st.integers(0, WAD_LITERAL))  # full weight hides nothing


@given(balance=balances, decimals=decimals_range, price_wad=prices_wad, weight_wad=weights_wad)
def test_maintenance_collateral_value_never_exceeds_the_exact_value_and_is_within_two_atoms(
    balance: int, decimals: int, price_wad: int, weight_wad: int
) -> None:
    state = _priced_state(decimals, price_wad, 0, weight_wad)

    value = collateral_value(state, {"X": balance}, MarginKind.MAINTENANCE, 0)

    exact = _exact_value(balance, decimals, price_wad, Fraction(weight_wad, WAD_LITERAL))
    assert value <= exact
    assert exact - value < 2


@given(balance=balances, decimals=decimals_range, price_wad=prices_wad, weight_wad=weights_wad)
def test_initial_collateral_value_never_exceeds_the_exact_value_and_is_within_two_atoms(
    balance: int, decimals: int, price_wad: int, weight_wad: int
) -> None:
    # No weight scaling and stable == oracle: the initial value is balance × price × initial weight.
    state = _priced_state(decimals, price_wad, weight_wad, WAD_LITERAL)

    value = collateral_value(state, {"X": balance}, MarginKind.INITIAL, 0)

    exact = _exact_value(balance, decimals, price_wad, Fraction(weight_wad, WAD_LITERAL))
    assert value <= exact
    assert exact - value < 2


@given(
    balance=balances,
    decimals=decimals_range,
    price_wad=prices_wad,
    weight_wad=weights_wad,
    start_value=st.integers(0, 10**20),
    total_deposits=st.integers(1, MAX_ATOMS_LITERAL),
)
def test_scaled_initial_collateral_value_never_exceeds_the_exactly_scaled_value(
    balance: int, decimals: int, price_wad: int, weight_wad: int, start_value: int, total_deposits: int
) -> None:
    # Mango v4 scaling: weight × min(1, start / deposits value), with the deposits valued exactly here.
    # The deposits are the pool's (SPEC §2.3), given as the scaling's input.
    state = _priced_state(decimals, price_wad, weight_wad, WAD_LITERAL, start_value, total_deposits)

    value = collateral_value(state, {"X": balance}, MarginKind.INITIAL, 0, scaling_deposits_atoms={"X": total_deposits})

    deposits_value = _exact_value(total_deposits, decimals, price_wad, Fraction(1))
    scale = min(Fraction(1), Fraction(start_value) / deposits_value) if deposits_value else Fraction(1)
    assert 0 <= value <= _exact_value(balance, decimals, price_wad, Fraction(weight_wad, WAD_LITERAL) * scale)


@given(balance=st.integers(1, MAX_ATOMS_LITERAL), decimals=decimals_range, price_wad=prices_wad)
def test_a_full_weight_one_atom_truncation_is_the_only_loss(balance: int, decimals: int, price_wad: int) -> None:
    # With weight 1 only the valuation floors: value == floor(exact), never more than 1 atom below.
    state = _priced_state(decimals, price_wad, 0, WAD_LITERAL)

    value = collateral_value(state, {"X": balance}, MarginKind.MAINTENANCE, 0)

    exact = _exact_value(balance, decimals, price_wad, Fraction(1))
    assert value <= exact < value + 1
