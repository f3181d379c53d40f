"""The encoder's bytes are the bytes main wrote: re-encoding every golden event gives its stored payload.

The golden journals were written by main at ``b65bfda`` with ``json.dumps(body, sort_keys=True,
separators=(",", ":"), ensure_ascii=False)`` per event; the faster encoder (one shared
``JSONEncoder``, no per-field reflection) must give the same payload for every event, so the hash
chain of a journal written today is the one the old code would have written. The hash material is
checked against ``json.dumps`` called the way the old ``entry_hash`` called it.
"""

from __future__ import annotations

import hashlib
import json

import pytest

from ringfence.store.codec import decode_event, encode_event
from ringfence.store.journal import entry_hash
from support.golden import journal_names, stored_entries


@pytest.mark.parametrize("name", journal_names())
def test_re_encoding_a_golden_event_gives_the_payload_main_stored(name: str) -> None:
    compared = 0
    for event_type, schema_version, payload in stored_entries(name):
        event = decode_event(event_type, schema_version, payload)
        if (type(event).__name__, type(event).SCHEMA_VERSION) != (event_type, schema_version):
            continue  # upcast to a newer shape: its new payload is not the old one, by design
        assert encode_event(event) == (event_type, schema_version, payload)
        compared += 1
    assert compared > 0


def test_the_hash_material_is_the_json_array_the_old_entry_hash_encoded() -> None:
    payload = json.dumps({"note": 'quote " and \\ and é and \n', "atoms": 10**30}, separators=(",", ":"))
    fields = ("ab" * 32, 7, "clearing", 7, "3:1", "PositionChanged", 1, payload)
    material = json.dumps(list(fields), ensure_ascii=False, separators=(",", ":"))
    assert entry_hash(*fields) == hashlib.sha256(material.encode()).hexdigest()
