"""Old payloads lift to today's events: ``PositionChanged`` v1 split by meaning, ``LiquidationRecorded`` v1 → v2.

The old payloads are written by hand (``support.legacy``) or read from the golden journals
main wrote at ``b65bfda``; the expected events are written out field by field.
"""

from __future__ import annotations

import json

import pytest

from ringfence.core.errors import JournalCorrupted
from ringfence.core.liquidation.kinds import LiquidationPath, LiquidationReason
from ringfence.core.pool.events import (
    AutoDeleveraged,
    LiquidationRecorded,
    PositionDeleveraged,
    PositionLiquidated,
    PositionMove,
    TradeFilled,
)
from ringfence.core.pool.state import MarginMode
from ringfence.store.codec import decode_event, encode_event
from support.golden import journal_names, stored_entries
from support.legacy import dumps, liquidation_recorded_v1, position_changed_v1

OLD_MOVE = {
    "owner": "alice",
    "sub_account": 1,
    "pool": "P",
    "market": "ETH-PERP",
    "mode": "isolated",
    "size_delta_atoms": -5,
    "price_wad": 1_850,
    "new_size_atoms": 5,
    "new_open_notional_atoms": 9_000,
    "funding_index_wad": 7,
    "margin_released_atoms": 0,
    "funding_paid_atoms": 11,
    "realised_pnl_atoms": -250,
}
NEW_MOVE = {**OLD_MOVE, "mode": MarginMode.ISOLATED}
OLD_TRADE = {
    **OLD_MOVE,
    "margin_added_atoms": 40,
    "fee_atoms": 10,
    "lp_fee_atoms": 7,
    "insurance_fee_atoms": 2,
    "protocol_fee_atoms": 1,
    "liquidated": False,
    "keeper_owner": "",
    "keeper_sub_account": 0,
    "keeper_reward_atoms": 0,
    "insurance_penalty_atoms": 0,
    "shortfall_atoms": 0,
    "execution_cost_atoms": 0,
}
OLD_BACKSTOP = {
    **OLD_TRADE,
    "margin_added_atoms": 0,
    "fee_atoms": 99,
    "lp_fee_atoms": 99,
    "insurance_fee_atoms": 0,
    "protocol_fee_atoms": 0,
    "liquidated": True,
    "keeper_owner": "keeper",
    "keeper_sub_account": 2,
    "keeper_reward_atoms": 0,
    "insurance_penalty_atoms": 0,
    "shortfall_atoms": 3,
    "execution_cost_atoms": 4,
}


def test_an_old_trade_becomes_a_trade_filled_with_its_fees() -> None:
    decoded = decode_event("PositionChanged", 1, dumps(OLD_TRADE))

    assert decoded == TradeFilled(
        **NEW_MOVE,
        margin_added_atoms=40,
        fee_atoms=10,
        lp_fee_atoms=7,
        insurance_fee_atoms=2,
        protocol_fee_atoms=1,
    )


def test_an_old_backstop_liquidation_carries_its_forfeiture_in_a_field_of_its_own() -> None:
    decoded = decode_event("PositionChanged", 1, dumps(OLD_BACKSTOP))

    assert decoded == PositionLiquidated(
        **NEW_MOVE,
        keeper_owner="keeper",
        keeper_sub_account=2,
        keeper_reward_atoms=0,
        insurance_penalty_atoms=0,
        backstop_forfeit_atoms=99,
        shortfall_atoms=3,
        execution_cost_atoms=4,
    )


def test_an_old_liquidation_written_before_the_execution_cost_reads_it_as_zero() -> None:
    body = {**OLD_BACKSTOP, "fee_atoms": 0, "lp_fee_atoms": 0, "keeper_reward_atoms": 6, "insurance_penalty_atoms": 5}
    del body["execution_cost_atoms"]

    decoded = decode_event("PositionChanged", 1, dumps(body))

    assert isinstance(decoded, PositionLiquidated)
    assert (decoded.keeper_reward_atoms, decoded.insurance_penalty_atoms) == (6, 5)
    assert (decoded.backstop_forfeit_atoms, decoded.execution_cost_atoms) == (0, 0)


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ({"insurance_fee_atoms": 1}, "insurance_fee_atoms = 1 does not fit a liquidation"),
        ({"lp_fee_atoms": 98}, "is not all LP fee"),
        ({"liquidated": False}, "keeper_sub_account = 2 does not fit a trade"),
    ],
)
def test_an_old_payload_that_fits_no_meaning_is_a_corrupted_journal(change: dict[str, object], fragment: str) -> None:
    with pytest.raises(JournalCorrupted, match="PositionChanged v1 cannot be upcast") as raised:
        decode_event("PositionChanged", 1, dumps({**OLD_BACKSTOP, **change}), 9)

    assert raised.value.sequence == 9
    assert fragment in raised.value.reason


@pytest.mark.parametrize(
    ("path", "text", "reason"),
    [
        ("keeper", "", LiquidationReason.BELOW_MAINTENANCE),
        ("backstop", "bankrupt: maintenance equity -2900100000", LiquidationReason.BANKRUPT),
        ("backstop", "bankrupt after the close: margin -3", LiquidationReason.BANKRUPT_AFTER_CLOSE),
        ("backstop", "toxic: equity 1 · position requirement 2 < requirement 3", LiquidationReason.TOXIC),
        ("backstop", "health 648 below the backstop threshold 666", LiquidationReason.BELOW_BACKSTOP_THRESHOLD),
        (
            "backstop",
            "a keeper close would lower health (rounding against the account)",
            LiquidationReason.CLOSE_LOWERS_HEALTH,
        ),
    ],
)
def test_an_old_free_text_reason_becomes_the_enum_and_keeps_its_text(
    path: str, text: str, reason: LiquidationReason
) -> None:
    record = LiquidationRecorded(
        pool="P",
        market="M",
        owner="alice",
        sub_account=0,
        path=LiquidationPath(path),
        reason=reason,
        detail=text,
        health_wad=1,
        penalty_wad=2,
        closed_atoms=3,
        notional_atoms=4,
        partial=False,
        timestamp_ns=5,
    )

    decoded = decode_event("LiquidationRecorded", 1, dumps(liquidation_recorded_v1(record)))

    assert decoded == record
    assert json.loads(encode_event(decoded)[2])["reason"] == reason.value


@pytest.mark.parametrize(("path", "text"), [("keeper", "toxic: x"), ("backstop", ""), ("backstop", "a new reason")])
def test_an_old_reason_that_does_not_fit_its_path_is_a_corrupted_journal(path: str, text: str) -> None:
    body = {**liquidation_recorded_v1(_any_record()), "path": path, "reason": text}

    with pytest.raises(JournalCorrupted, match="LiquidationRecorded v1 cannot be upcast"):
        decode_event("LiquidationRecorded", 1, dumps(body))


def _any_record() -> LiquidationRecorded:
    return LiquidationRecorded(
        pool="P",
        market="M",
        owner="alice",
        sub_account=0,
        path=LiquidationPath.KEEPER,
        reason=LiquidationReason.BELOW_MAINTENANCE,
        detail="",
        health_wad=1,
        penalty_wad=2,
        closed_atoms=3,
        notional_atoms=4,
        partial=False,
        timestamp_ns=5,
    )


@pytest.mark.parametrize(
    "event",
    [
        TradeFilled(
            **NEW_MOVE, margin_added_atoms=1, fee_atoms=3, lp_fee_atoms=1, insurance_fee_atoms=1, protocol_fee_atoms=1
        ),
        PositionLiquidated(
            **NEW_MOVE,
            keeper_owner="k",
            keeper_sub_account=0,
            keeper_reward_atoms=8,
            insurance_penalty_atoms=9,
            backstop_forfeit_atoms=0,
            shortfall_atoms=0,
            execution_cost_atoms=1,
        ),
    ],
)
def test_today_s_position_events_decode_to_themselves_and_their_v1_form_to_the_same(event: PositionMove) -> None:
    name, version, payload = encode_event(event)

    assert decode_event(name, version, payload) == event
    assert decode_event("PositionChanged", 1, dumps(position_changed_v1(event))) == event


def test_an_old_adl_close_reads_as_a_fee_free_trade_identified_by_the_auto_deleveraged_that_follows() -> None:
    # The v1 payload of an ADL close cannot be told from a fee-free trade's (golden journals hold both):
    # the flows are the same, and the AutoDeleveraged after it names the close.
    adl = PositionDeleveraged(**NEW_MOVE)

    decoded = decode_event("PositionChanged", 1, dumps(position_changed_v1(adl)))

    assert decoded == TradeFilled(
        **NEW_MOVE, margin_added_atoms=0, fee_atoms=0, lp_fee_atoms=0, insurance_fee_atoms=0, protocol_fee_atoms=0
    )


def test_every_old_position_change_in_the_golden_journals_splits_by_its_liquidated_flag() -> None:
    counts = {"liquidations": 0, "trades": 0, "adl": 0}
    for name in journal_names():
        rows = list(stored_entries(name))
        for index, (event_type, version, payload) in enumerate(rows):
            if event_type != "PositionChanged":
                continue
            decoded = decode_event(event_type, version, payload)
            old = json.loads(payload)
            assert isinstance(decoded, PositionLiquidated if old["liquidated"] else TradeFilled)
            if isinstance(decoded, PositionLiquidated):
                assert decoded.backstop_forfeit_atoms == old["fee_atoms"] == old["lp_fee_atoms"]
                counts["liquidations"] += 1
            else:
                counts["trades"] += 1
            following = decode_event(*rows[index + 1]) if index + 1 < len(rows) else None
            if isinstance(following, AutoDeleveraged):
                assert (following.owner, following.market) == (decoded.owner, decoded.market)
                counts["adl"] += 1

    # counted in the journals at b65bfda (a script over the raw rows, before this code existed)
    assert counts == {"liquidations": 1754, "trades": 1206, "adl": 2}
