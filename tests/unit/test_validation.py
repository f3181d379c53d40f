"""``check_field_types`` checks every field of every command, with its per-class plan cached.

The plan lets a value of exactly the declared type (``int``, ``str``, ``bool``, an enum) pass at a
glance; everything else takes the full check. These tests send each kind of wrong value, twice
(the second call runs on the cached plan), and one nested parameter dataclass with a wrong field.
"""

from __future__ import annotations

import enum
from dataclasses import replace
from decimal import Decimal
from typing import Any

import pytest

from ringfence.core.commands import ConfigureOracle, Deposit
from ringfence.core.errors import InvalidAmount, InvalidParameter
from ringfence.core.pool.commands import AddMarket, Liquidate, Trade
from ringfence.core.pool.state import MarginMode, MarketParams
from ringfence.core.validation import check_field_types

DEPOSIT = Deposit("alice", 0, "USDC", 1_000, 5)
TRADE = Trade("alice", 0, "main", "ETH-PERP", 10, MarginMode.CROSS, 0, 10**21, 5)


class Sneaky(enum.IntEnum):
    """An int subclass: not exactly ``int``, so it takes the full check (which accepts it, as before)."""

    ONE = 1


@pytest.mark.parametrize(
    ("command", "error"),
    [
        (replace(DEPOSIT, amount_atoms=1.5), InvalidAmount),
        (replace(DEPOSIT, amount_atoms=Decimal(1000)), InvalidAmount),
        (replace(DEPOSIT, amount_atoms=True), InvalidAmount),
        (replace(DEPOSIT, sub_account="0"), InvalidAmount),
        (replace(DEPOSIT, owner=7), InvalidParameter),
        (replace(DEPOSIT, owner=None), InvalidParameter),
        (replace(TRADE, mode="cross"), InvalidParameter),
        (replace(TRADE, size_delta_atoms=10.0), InvalidAmount),
    ],
)
def test_a_field_of_the_wrong_type_is_refused_every_time(command: Any, error: type[Exception]) -> None:
    for _ in range(2):
        with pytest.raises(error):
            check_field_types(command)


def test_well_typed_commands_pass_and_an_int_subclass_takes_the_full_check() -> None:
    check_field_types(DEPOSIT)
    check_field_types(TRADE)
    check_field_types(replace(DEPOSIT, amount_atoms=Sneaky.ONE))
    liquidate = Liquidate("keeper", 0, "alice", 0, "main", "ETH-PERP", 5, execution_price_wad=10**21)
    check_field_types(liquidate)  # an optional field: ``decide_liquidate`` checks its value and range


def test_a_tuple_field_checks_each_item() -> None:
    oracle = ConfigureOracle("ETH", ("a", "b"), (1, 1), 2, 10, 10, 10, 10, 10, 10, 10, 10, 5)
    check_field_types(oracle)
    with pytest.raises(InvalidParameter):
        check_field_types(replace(oracle, source_weights=(1, 1.0)))
    with pytest.raises(InvalidParameter):
        check_field_types(replace(oracle, source_names=["a", "b"]))


def test_a_nested_parameter_dataclass_is_checked_field_by_field() -> None:
    params = MarketParams("ETH-PERP", "ETH", 10**17, 5 * 10**16, 0, 0, 10**24, 0, 10**24, 10**18)
    check_field_types(AddMarket("main", params, 5))
    with pytest.raises(InvalidAmount):
        check_field_types(AddMarket("main", replace(params, spread_wad=0.5), 5))
    with pytest.raises(InvalidParameter):
        check_field_types(AddMarket("main", "not params", 5))


@pytest.mark.parametrize("price", [1.5, Decimal("1850"), "1850", True])
def test_an_optional_field_refuses_a_value_of_the_wrong_type(price: Any) -> None:
    # Liquidate.execution_price_wad is ``int | None``: before, any value passed the type check
    command = Liquidate("keeper", 0, "alice", 0, "eth", "ETH-PERP", 1, execution_price_wad=price)
    with pytest.raises(InvalidParameter, match="execution_price_wad"):
        check_field_types(command)


@pytest.mark.parametrize("price", [None, 1_850 * 10**18])
def test_an_optional_field_accepts_none_and_its_type(price: int | None) -> None:
    check_field_types(Liquidate("keeper", 0, "alice", 0, "eth", "ETH-PERP", 1, execution_price_wad=price))
