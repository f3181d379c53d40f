"""The encoder's bytes are the bytes the old encoder wrote, and re-encoding a golden event keeps its payload.

The golden journals were written by main at ``b65bfda`` with ``json.dumps(body, sort_keys=True,
separators=(",", ":"), ensure_ascii=False)`` per event, ``body`` built by reflection over every
field. The faster encoder (one shared ``JSONEncoder``, no per-field reflection) must give exactly
those bytes for every event (checked against that reference encoder, written here), and a golden
event read back and re-encoded keeps every key and value it was stored with: only keys added
since (new parameters with their defaults, e.g. a liquidation policy's preset fields) may appear,
and an event upcast to a newer shape is compared with the reference only. The hash material is
checked against ``json.dumps`` called the way the old ``entry_hash`` called it.
"""

from __future__ import annotations

import dataclasses
import enum
import hashlib
import json
from typing import Any

import pytest

from ringfence.store.codec import decode_event, encode_event
from ringfence.store.journal import entry_hash
from support.golden import journal_names, stored_entries


def _reference_plain(value: Any) -> Any:
    """The old codec's conversion: every dataclass field by reflection, enums by value."""
    if isinstance(value, enum.Enum):
        return value.value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _reference_plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, tuple | list):
        return [_reference_plain(item) for item in value]
    return value


def _reference_payload(event: Any) -> str:
    return json.dumps(_reference_plain(event), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _keeps(new: Any, old: Any) -> bool:
    """Return whether ``new`` holds every key of ``old`` with the same value (recursively)."""
    if isinstance(old, dict):
        return isinstance(new, dict) and all(key in new and _keeps(new[key], item) for key, item in old.items())
    return bool(new == old)


@pytest.mark.parametrize("name", journal_names())
def test_re_encoding_a_golden_event_gives_the_reference_bytes_and_keeps_its_stored_payload(name: str) -> None:
    kept = 0
    for event_type, schema_version, payload in stored_entries(name):
        event = decode_event(event_type, schema_version, payload)
        name_now, version_now, encoded = encode_event(event)
        assert (name_now, version_now) == (type(event).__name__, type(event).SCHEMA_VERSION)
        assert encoded == _reference_payload(event)
        if (name_now, version_now) == (event_type, schema_version):
            assert _keeps(json.loads(encoded), json.loads(payload)), f"{event_type} lost or changed a stored key"
            kept += encoded == payload
    assert kept > 0  # most events are byte-identical to what main stored


def test_the_hash_material_is_the_json_array_the_old_entry_hash_encoded() -> None:
    payload = json.dumps({"note": 'quote " and \\ and é and \n', "atoms": 10**30}, separators=(",", ":"))
    fields = ("ab" * 32, 7, "clearing", 7, "3:1", "PositionChanged", 1, payload)
    material = json.dumps(list(fields), ensure_ascii=False, separators=(",", ":"))
    assert entry_hash(*fields) == hashlib.sha256(material.encode()).hexdigest()
