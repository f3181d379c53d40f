"""Canonical JSON encoding of events, with schema versions and upcasters.

An event is stored as ``(event_type, schema_version, payload)`` where ``payload`` is JSON
with sorted keys and no whitespace, so its bytes (and the hash chain over them) are
canonical. Integers stay exact (Python's ``json`` reads and writes big ints losslessly).
An old payload is upcast step by step to the current ``SCHEMA_VERSION`` on read.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import fields
from typing import Any

from ringfence.core.errors import JournalCorrupted
from ringfence.core.events import EVENT_TYPES, Event

__all__ = ["UPCASTERS", "decode_event", "encode_event"]

_TYPES: dict[str, type[Any]] = {cls.__name__: cls for cls in EVENT_TYPES}
_FIELDS: dict[type[Any], tuple[str, ...]] = {cls: tuple(f.name for f in fields(cls)) for cls in EVENT_TYPES}

Upcaster = Callable[[dict[str, Any]], dict[str, Any]]
UPCASTERS: dict[tuple[str, int], Upcaster] = {}
"""``(event_type, from_version) -> function`` lifting a payload one schema version up."""


def encode_event(event: Event) -> tuple[str, int, str]:
    """Return ``(event_type, schema_version, canonical JSON payload)``."""
    cls = type(event)
    body = {name: getattr(event, name) for name in _FIELDS[cls]}
    payload = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return cls.__name__, cls.SCHEMA_VERSION, payload


def _tuples(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_tuples(item) for item in value)
    return value


def decode_event(event_type: str, schema_version: int, payload: str, sequence: int = 0) -> Event:
    """Rebuild an event from its stored form, upcasting old schema versions.

    Raises
    ------
    JournalCorrupted
        If the type is unknown, a version has no upcaster, or the payload does not fit.
    """
    cls = _TYPES.get(event_type)
    if cls is None:
        raise JournalCorrupted(sequence, f"unknown event type {event_type!r}")
    try:
        body: dict[str, Any] = json.loads(payload)
    except json.JSONDecodeError as error:
        raise JournalCorrupted(sequence, f"payload is not JSON: {error}") from None
    version = schema_version
    while version < cls.SCHEMA_VERSION:
        upcaster = UPCASTERS.get((event_type, version))
        if upcaster is None:
            raise JournalCorrupted(sequence, f"no upcaster for {event_type} v{version}")
        body = upcaster(body)
        version += 1
    if version != cls.SCHEMA_VERSION:
        raise JournalCorrupted(sequence, f"{event_type} v{schema_version} is newer than this code")
    try:
        event: Event = cls(**{name: _tuples(value) for name, value in body.items()})
    except TypeError as error:
        raise JournalCorrupted(sequence, f"payload does not fit {event_type}: {error}") from None
    return event
