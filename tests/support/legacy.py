"""Payloads as main wrote them at git ``b65bfda``, before the events were split (hand-built, for upcaster tests).

Each function writes, field by field, the v1 payload the old code would have stored for the
same facts; nothing here calls the upcaster it is used to test.
"""

from __future__ import annotations

import json
from typing import Any

from ringfence.core.pool.events import LiquidationRecorded, PositionDeleveraged, PositionLiquidated, TradeFilled


def _moved(event: TradeFilled | PositionLiquidated | PositionDeleveraged) -> dict[str, Any]:
    return {
        "owner": event.owner,
        "sub_account": event.sub_account,
        "pool": event.pool,
        "market": event.market,
        "mode": event.mode.value,
        "size_delta_atoms": event.size_delta_atoms,
        "price_wad": event.price_wad,
        "new_size_atoms": event.new_size_atoms,
        "new_open_notional_atoms": event.new_open_notional_atoms,
        "funding_index_wad": event.funding_index_wad,
        "margin_released_atoms": event.margin_released_atoms,
        "funding_paid_atoms": event.funding_paid_atoms,
        "realised_pnl_atoms": event.realised_pnl_atoms,
    }


_NO_KEEPER = {
    "liquidated": False,
    "keeper_owner": "",
    "keeper_sub_account": 0,
    "keeper_reward_atoms": 0,
    "insurance_penalty_atoms": 0,
    "shortfall_atoms": 0,
    "execution_cost_atoms": 0,
}


def position_changed_v1(event: TradeFilled | PositionLiquidated | PositionDeleveraged) -> dict[str, Any]:
    """Return the v1 ``PositionChanged`` body the old code wrote for ``event``."""
    body = _moved(event)
    if isinstance(event, TradeFilled):
        fees = {
            "margin_added_atoms": event.margin_added_atoms,
            "fee_atoms": event.fee_atoms,
            "lp_fee_atoms": event.lp_fee_atoms,
            "insurance_fee_atoms": event.insurance_fee_atoms,
            "protocol_fee_atoms": event.protocol_fee_atoms,
        }
        return body | fees | _NO_KEEPER
    no_fees = dict.fromkeys(("margin_added_atoms", "insurance_fee_atoms", "protocol_fee_atoms"), 0)
    if isinstance(event, PositionDeleveraged):
        return body | no_fees | {"fee_atoms": 0, "lp_fee_atoms": 0} | _NO_KEEPER
    return (
        body
        | no_fees
        | {
            "fee_atoms": event.backstop_forfeit_atoms,  # v1 carried the backstop forfeiture as an LP fee
            "lp_fee_atoms": event.backstop_forfeit_atoms,
            "liquidated": True,
            "keeper_owner": event.keeper_owner,
            "keeper_sub_account": event.keeper_sub_account,
            "keeper_reward_atoms": event.keeper_reward_atoms,
            "insurance_penalty_atoms": event.insurance_penalty_atoms,
            "shortfall_atoms": event.shortfall_atoms,
            "execution_cost_atoms": event.execution_cost_atoms,
        }
    )


def liquidation_recorded_v1(event: LiquidationRecorded) -> dict[str, Any]:
    """Return the v1 ``LiquidationRecorded`` body: the reason was free text (today's ``detail``)."""
    return {
        "pool": event.pool,
        "market": event.market,
        "owner": event.owner,
        "sub_account": event.sub_account,
        "path": event.path.value,
        "reason": event.detail,
        "health_wad": event.health_wad,
        "penalty_wad": event.penalty_wad,
        "closed_atoms": event.closed_atoms,
        "notional_atoms": event.notional_atoms,
        "partial": event.partial,
        "timestamp_ns": event.timestamp_ns,
        "execution_price_wad": event.execution_price_wad,
        "execution_cost_atoms": event.execution_cost_atoms,
    }


def dumps(body: dict[str, Any]) -> str:
    """Return the canonical JSON the codec writes."""
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
