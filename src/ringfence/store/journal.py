"""The journal port, and the hash chain both backends share.

A journal is an append-only sequence of :class:`StoredEvent` entries. Each entry has a
global ``sequence`` (1, 2, 3, …), a ``(stream, version)`` pair that is unique (a second
writer at the same version gets :class:`~ringfence.core.errors.StreamConflict`), the id of
the command that produced it, and a SHA-256 hash over its content and the previous
entry's hash, so any edit, deletion or reordering breaks :func:`verify_entries`.

:meth:`Journal.append` writes a batch of commands atomically: all of their events or none.
A backend returns from ``append`` only once the batch is durable; that return is the
acknowledgement.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol

from ringfence.core.errors import JournalCorrupted
from ringfence.core.events import Event
from ringfence.store.codec import decode_event, encode_event, encode_json

__all__ = [
    "GENESIS_HASH",
    "Journal",
    "PendingCommand",
    "StoredEvent",
    "chain_entries",
    "entry_hash",
    "verify_entries",
]

GENESIS_HASH = "0" * 64


@dataclass(frozen=True, slots=True)
class PendingCommand:
    """The events of one accepted command, waiting to be appended."""

    command_id: str
    events: tuple[Event, ...]


@dataclass(frozen=True, slots=True)
class StoredEvent:
    """One journal entry."""

    sequence: int
    stream: str
    version: int
    command_id: str
    event_type: str
    schema_version: int
    payload: str
    previous_hash: str
    hash: str

    def event(self) -> Event:
        """Decode the stored payload into its event."""
        return decode_event(self.event_type, self.schema_version, self.payload, self.sequence)


def entry_hash(
    previous_hash: str,
    sequence: int,
    stream: str,
    version: int,
    command_id: str,
    event_type: str,
    schema_version: int,
    payload: str,
) -> str:
    """Return the SHA-256 hex digest chaining one entry to the previous one.

    The fields are hashed as one JSON array, so no field boundary can shift unnoticed
    (a newline moved from one string field into the next changes the hash).
    """
    material = encode_json(  # the same bytes as json.dumps(..., ensure_ascii=False, separators=(",", ":"))
        [previous_hash, sequence, stream, version, command_id, event_type, schema_version, payload]
    )
    return hashlib.sha256(material.encode()).hexdigest()


def chain_entries(
    head_sequence: int,
    head_hash: str,
    stream: str,
    head_version: int,
    batch: Sequence[PendingCommand],
) -> list[StoredEvent]:
    """Encode a batch into chained entries following ``(head_sequence, head_hash)``."""
    entries = []
    sequence, version, previous = head_sequence, head_version, head_hash
    for pending in batch:
        for event in pending.events:
            sequence += 1
            version += 1
            event_type, schema_version, payload = encode_event(event)
            digest = entry_hash(
                previous, sequence, stream, version, pending.command_id, event_type, schema_version, payload
            )
            entries.append(
                StoredEvent(
                    sequence, stream, version, pending.command_id, event_type, schema_version, payload, previous, digest
                )
            )
            previous = digest
    return entries


def verify_entries(entries: Iterable[StoredEvent]) -> int:
    """Recompute the chain over ``entries`` in order and return how many were checked.

    Raises
    ------
    JournalCorrupted
        At the first gap, broken link, wrong hash, version out of order, or undecodable payload.
    """
    expected_sequence, previous = 1, GENESIS_HASH
    stream_versions: dict[str, int] = {}
    count = 0
    for entry in entries:
        if entry.sequence != expected_sequence:
            raise JournalCorrupted(entry.sequence, f"expected sequence {expected_sequence}")
        if entry.previous_hash != previous:
            raise JournalCorrupted(entry.sequence, "previous-hash link does not match the entry before")
        recomputed = entry_hash(
            previous,
            entry.sequence,
            entry.stream,
            entry.version,
            entry.command_id,
            entry.event_type,
            entry.schema_version,
            entry.payload,
        )
        if recomputed != entry.hash:
            raise JournalCorrupted(entry.sequence, "content does not match its hash (edited entry)")
        expected_version = stream_versions.get(entry.stream, 0) + 1
        if entry.version != expected_version:
            raise JournalCorrupted(
                entry.sequence, f"stream {entry.stream!r} version {entry.version}, expected {expected_version}"
            )
        entry.event()
        stream_versions[entry.stream] = entry.version
        previous = entry.hash
        expected_sequence += 1
        count += 1
    return count


class Journal(Protocol):
    """Port: an append-only, hash-chained event journal."""

    def append(self, stream: str, expected_version: int, batch: Sequence[PendingCommand]) -> list[StoredEvent]:
        """Durably append a batch of commands' events to ``stream``, all or nothing.

        Raises
        ------
        StreamConflict
            If ``stream`` is not at ``expected_version``.
        """
        ...

    def read(self, after_sequence: int = 0) -> Iterator[StoredEvent]:
        """Yield entries with ``sequence > after_sequence`` in order."""
        ...

    def stream_version(self, stream: str) -> int:
        """Return the stream's last version (0 when empty)."""
        ...

    def verify(self) -> int:
        """Recompute the whole chain; return the entry count or raise JournalCorrupted."""
        ...

    def close(self) -> None:
        """Release resources."""
        ...
