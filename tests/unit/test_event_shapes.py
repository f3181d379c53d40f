"""Event shapes: keyword-only fields everywhere, and each position event carries only what its meaning needs."""

from __future__ import annotations

import dataclasses

import pytest

from ringfence.core.events import EVENT_TYPES
from ringfence.core.pool.events import PositionDeleveraged, PositionLiquidated, TradeFilled


@pytest.mark.parametrize("cls", EVENT_TYPES, ids=lambda cls: cls.__name__)
def test_every_event_field_is_keyword_only(cls: type) -> None:
    assert all(field.kw_only for field in dataclasses.fields(cls))
    with pytest.raises(TypeError):
        cls("positional")


def _names(cls: type) -> set[str]:
    return {field.name for field in dataclasses.fields(cls)}


def test_a_trade_carries_fees_and_no_keeper_and_a_liquidation_no_fees() -> None:
    fees = {"margin_added_atoms", "fee_atoms", "lp_fee_atoms", "insurance_fee_atoms", "protocol_fee_atoms"}
    keeper = {"keeper_owner", "keeper_reward_atoms", "insurance_penalty_atoms", "backstop_forfeit_atoms"}

    assert fees <= _names(TradeFilled) and not keeper & _names(TradeFilled)
    assert keeper <= _names(PositionLiquidated) and not fees & _names(PositionLiquidated)
    assert not (fees | keeper | {"shortfall_atoms", "liquidated"}) & _names(PositionDeleveraged)
