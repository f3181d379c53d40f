"""The codec contract: every event type round-trips exactly, payloads are canonical, and bad input is refused.

Split from ``test_journal_contract.py`` (which keeps the cases that need a journal backend); the
samples are in :mod:`support.event_samples`.
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any

import pytest

from ringfence.core.errors import JournalCorrupted
from ringfence.core.events import (
    EVENT_TYPES,
    CollateralDeposited,
    CollateralTransferred,
    Event,
)
from ringfence.store.codec import UPCASTERS, decode_event, encode_event
from support.event_samples import EVENT_SAMPLES, LEGACY_DEPOSIT, LEGACY_DEPOSIT_PAYLOAD, rename_atoms
from support.governance_samples import VENUE_CHANGE_SAMPLES

WAD = 10**18
SECOND_NS = 1_000_000_000
NOW_NS = 1_767_225_600 * SECOND_NS  # 2026-01-01T00:00:00Z
MAX_ATOMS = 2**128 - 1
STREAM = "clearing"


def test_event_samples_cover_every_event_type() -> None:
    assert {type(event) for event in EVENT_SAMPLES} == set(EVENT_TYPES)
    assert len(EVENT_SAMPLES) == len(EVENT_TYPES)


@pytest.mark.parametrize("event", EVENT_SAMPLES + VENUE_CHANGE_SAMPLES, ids=lambda event: type(event).__name__)
def test_every_event_type_round_trips_exactly_through_the_codec(event: Event) -> None:
    # Act
    event_type, schema_version, payload = encode_event(event)
    decoded = decode_event(event_type, schema_version, payload)

    # Assert: equal, same type, tuples stay tuples, and re-encoding is byte-identical
    assert decoded == event
    assert type(decoded) is type(event)
    for item in fields(event):
        assert type(getattr(decoded, item.name)) is type(getattr(event, item.name))
    assert (event_type, schema_version) == (type(event).__name__, type(event).SCHEMA_VERSION)
    assert encode_event(decoded) == (event_type, schema_version, payload)


def test_codec_payload_is_canonical_json_with_sorted_keys_and_no_whitespace() -> None:
    _, _, payload = encode_event(
        CollateralTransferred(owner="alice", from_sub_account=0, to_sub_account=1, asset="ETH", amount_atoms=2**65)
    )

    assert payload == '{"amount_atoms":36893488147419103232,"asset":"ETH","from_sub_account":0,"owner":"alice",' + (
        '"to_sub_account":1}'
    )


def test_unknown_event_type_raises_journal_corrupted() -> None:
    with pytest.raises(JournalCorrupted) as raised:
        decode_event("CollateralVanished", 1, '{"owner":"alice"}', 42)

    assert raised.value.sequence == 42
    assert "unknown event type 'CollateralVanished'" in raised.value.reason


def test_schema_version_newer_than_the_code_raises_journal_corrupted() -> None:
    _, _, payload = encode_event(CollateralDeposited(owner="alice", sub_account=0, asset="USDC", amount_atoms=5))

    with pytest.raises(JournalCorrupted) as raised:
        decode_event("CollateralDeposited", CollateralDeposited.SCHEMA_VERSION + 1, payload, 9)

    assert raised.value.sequence == 9
    assert "newer than this code" in raised.value.reason


def test_older_schema_version_without_an_upcaster_raises_journal_corrupted() -> None:
    with pytest.raises(JournalCorrupted) as raised:
        decode_event("CollateralDeposited", 0, '{"asset":"USDC","atoms":5,"owner":"alice","sub_account":0}', 3)

    assert "no upcaster for CollateralDeposited v0" in raised.value.reason


@pytest.mark.parametrize(
    "payload",
    [
        '{"asset":"USDC","owner":"alice","sub_account":0}',
        '{"asset":"USDC","amount_atoms":5,"owner":"a","sub_account":0,"x":1}',
    ],
    ids=["missing-field", "extra-field"],
)
def test_payload_that_does_not_fit_the_event_raises_journal_corrupted(payload: str) -> None:
    with pytest.raises(JournalCorrupted, match="does not fit CollateralDeposited"):
        decode_event("CollateralDeposited", 1, payload, 5)


def test_payload_that_is_not_json_raises_journal_corrupted() -> None:
    with pytest.raises(JournalCorrupted, match="not JSON"):
        decode_event("CollateralDeposited", 1, '{"owner": "alice"', 5)


@pytest.mark.parametrize("payload", ["[1, 2]", "5", "null"])
def test_payload_that_is_json_but_not_an_object_raises_journal_corrupted(payload: str) -> None:
    with pytest.raises(JournalCorrupted):
        decode_event("CollateralDeposited", 1, payload, 5)


def test_registered_upcaster_lifts_an_older_schema_version_on_decode(monkeypatch: pytest.MonkeyPatch) -> None:
    # Arrange
    monkeypatch.setitem(UPCASTERS, ("CollateralDeposited", 0), rename_atoms)

    # Act
    decoded = decode_event("CollateralDeposited", 0, LEGACY_DEPOSIT_PAYLOAD, 1)

    # Assert
    assert decoded == LEGACY_DEPOSIT


def test_upcasters_are_chained_one_version_at_a_time(monkeypatch: pytest.MonkeyPatch) -> None:
    # Arrange: v-1 called the owner "holder"; v0 called the amount "atoms"
    calls: list[int] = []

    def from_minus_one(body: dict[str, Any]) -> dict[str, Any]:
        calls.append(-1)
        upgraded = dict(body)
        upgraded["owner"] = upgraded.pop("holder")
        return upgraded

    def from_zero(body: dict[str, Any]) -> dict[str, Any]:
        calls.append(0)
        return rename_atoms(body)

    monkeypatch.setitem(UPCASTERS, ("CollateralDeposited", -1), from_minus_one)
    monkeypatch.setitem(UPCASTERS, ("CollateralDeposited", 0), from_zero)

    # Act
    decoded = decode_event("CollateralDeposited", -1, LEGACY_DEPOSIT_PAYLOAD.replace('"owner"', '"holder"'))

    # Assert
    assert decoded == LEGACY_DEPOSIT
    assert calls == [-1, 0]
