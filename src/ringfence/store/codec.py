"""Canonical JSON encoding of events, with schema versions and upcasters.

An event is stored as ``(event_type, schema_version, payload)`` where ``payload`` is JSON
with sorted keys and no whitespace, so its bytes (and the hash chain over them) are
canonical. Integers stay exact (Python's ``json`` reads and writes big ints losslessly).
An old payload is upcast step by step to the current event on read (:mod:`ringfence.store.upcast`).
"""

from __future__ import annotations

import enum
import json
import types
import typing
from collections.abc import Callable
from dataclasses import fields, is_dataclass
from operator import attrgetter
from typing import Any

from ringfence.core.errors import JournalCorrupted
from ringfence.core.events import EVENT_TYPES, Event
from ringfence.store.upcast import UPCASTERS, upcast

__all__ = ["UPCASTERS", "decode_event", "encode_event", "encode_json"]

_TYPES: dict[str, type[Any]] = {cls.__name__: cls for cls in EVENT_TYPES}
_FIELDS: dict[type[Any], tuple[str, ...]] = {cls: tuple(f.name for f in fields(cls)) for cls in EVENT_TYPES}
_HINTS: dict[type[Any], dict[str, Any]] = {}

_VERSIONS: dict[str, int] = {cls.__name__: cls.SCHEMA_VERSION for cls in EVENT_TYPES}


_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, check_circular=False)
"""One encoder for every payload (``json.dumps`` with these arguments builds a new one per call).
``check_circular`` is off: an encoded value is built here from frozen events of primitive fields
and cannot contain itself; the bytes are the same either way."""
encode_json = _ENCODER.encode
"""Return the canonical JSON of a value (the bytes ``json.dumps(value, sort_keys=True,
separators=(",", ":"), ensure_ascii=False)`` returns)."""

_SCALARS = frozenset({int, str, bool, type(None), float})
"""Types whose values ``_plain`` returns unchanged (exact types: an ``IntEnum`` is not among them)."""


def _field_getter(names: tuple[str, ...]) -> Callable[[Any], tuple[Any, ...]]:
    """Return a function reading the named fields of an event as one tuple (one C call per event)."""
    if len(names) == 1:
        only = names[0]
        return lambda event: (getattr(event, only),)
    if not names:
        return lambda event: ()
    getter: Callable[[Any], tuple[Any, ...]] = attrgetter(*names)
    return getter


_GETTERS: dict[type[Any], Callable[[Any], tuple[Any, ...]]] = {
    cls: _field_getter(names) for cls, names in _FIELDS.items()
}


def encode_event(event: Event) -> tuple[str, int, str]:
    """Return ``(event_type, schema_version, canonical JSON payload)``."""
    cls = type(event)
    body = {
        name: value if type(value) in _SCALARS else _plain(value)
        for name, value in zip(_FIELDS[cls], _GETTERS[cls](event), strict=True)
    }
    return cls.__name__, cls.SCHEMA_VERSION, encode_json(body)


def _plain(value: Any) -> Any:
    """Turn nested parameter dataclasses and enums into JSON-ready values."""
    if isinstance(value, enum.Enum):
        return value.value
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in fields(value)}
    return value


def _hints(cls: type[Any]) -> dict[str, Any]:
    found = _HINTS.get(cls)
    if found is None:
        found = _HINTS[cls] = typing.get_type_hints(cls)
    return found


def _item_hints(hint: Any, length: int) -> list[Any]:
    """Return the hint of each item of a tuple field (``tuple[X, ...]`` or ``tuple[X, Y]``)."""
    args = typing.get_args(hint) if typing.get_origin(hint) is tuple else ()
    if len(args) == 2 and args[1] is Ellipsis:
        return [args[0]] * length
    return list(args) if len(args) == length else [None] * length


def _typed(value: Any, hint: Any) -> Any:
    """Rebuild a field from JSON by its declared type: dataclasses, enums, tuples, optionals."""
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        options = [arg for arg in typing.get_args(hint) if arg is not type(None)]
        if value is None or len(options) != 1:
            return value
        hint = options[0]
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return hint(value)
    if isinstance(hint, type) and is_dataclass(hint) and isinstance(value, dict):
        hints = _hints(hint)
        return hint(**{name: _typed(item, hints.get(name)) for name, item in value.items()})
    if isinstance(value, list):
        return tuple(
            _typed(item, item_hint) for item, item_hint in zip(value, _item_hints(hint, len(value)), strict=True)
        )
    return value


def decode_event(event_type: str, schema_version: int, payload: str, sequence: int = 0) -> Event:
    """Rebuild an event from its stored form, upcasting old schema versions.

    Raises
    ------
    JournalCorrupted
        If the type is unknown, a version has no upcaster, or the payload does not fit.
    """
    try:
        body: dict[str, Any] = json.loads(payload)
    except json.JSONDecodeError as error:
        raise JournalCorrupted(sequence, f"payload is not JSON: {error}") from None
    if not isinstance(body, dict):
        raise JournalCorrupted(sequence, f"payload is JSON {type(body).__name__}, not an object")
    event_type, body = upcast(event_type, schema_version, body, _VERSIONS, sequence)
    cls = _TYPES[event_type]
    try:
        hints = _hints(cls)
        event: Event = cls(**{name: _typed(value, hints.get(name)) for name, value in body.items()})
    except (TypeError, ValueError) as error:
        raise JournalCorrupted(sequence, f"payload does not fit {event_type}: {error}") from None
    return event
