"""The journal port, and the keyed hash chain both backends share.

A journal is an append-only sequence of :class:`StoredEvent` entries. Each entry has a
global ``sequence`` (1, 2, 3, …), a ``(stream, version)`` pair that is unique (a second
writer at the same version gets :class:`~ringfence.core.errors.StreamConflict`), the id of
the command that produced it, and a hash over its content and the previous entry's hash,
so any edit, deletion or reordering breaks :func:`verify_entries`.

The hash is an HMAC-SHA256 under the journal's secret key (:mod:`ringfence.store.keys`):
without the key nobody can rebuild a chain that verifies, so a forged entry cannot be
hidden by recomputing every hash after it. Why an HMAC and not Ed25519-signed
checkpoints: every entry is authenticated on its own (a journal that grew past its last
signed head after a crash still verifies entry by entry), it costs about a microsecond
per entry in the standard library, and the verifier is the venue operator, who holds the
key anyway. (An Ed25519 scheme would let outsiders verify without the secret; the
published head, :mod:`ringfence.store.head`, covers the outsider's question "is this
still the journal I saw".) Journals written before keyed chains used a plain SHA-256
(``key=None`` here) and are only read to be adopted.

The last entry's ``(sequence, hash)`` is the journal's head, kept signed outside the
journal's file; verification against it detects a removed tail (:func:`verified`).

:meth:`Journal.append` writes a batch of commands atomically: all of their events or none.
A backend returns from ``append`` only once the batch is durable; that return is the
acknowledgement.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from ringfence.core.errors import JournalCorrupted, JournalTruncated
from ringfence.core.events import Event
from ringfence.store.codec import decode_event, encode_event, encode_json
from ringfence.store.head import GENESIS_HEAD, JournalHead, read_head
from ringfence.store.keys import JournalKey

__all__ = [
    "GENESIS_HASH",
    "Journal",
    "JournalHead",
    "PendingCommand",
    "StoredEvent",
    "chain_entries",
    "entry_hash",
    "recorded_head",
    "verified",
    "verified_catching_up",
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
    key: bytes | None = None,
) -> str:
    """Return the hex digest chaining one entry to the previous one: HMAC-SHA256 under ``key``.

    The fields are hashed as one JSON array, so no field boundary can shift unnoticed
    (a newline moved from one string field into the next changes the hash). ``key=None``
    is the unkeyed SHA-256 of journals written before keyed chains.
    """
    material = encode_json(  # the same bytes as json.dumps(..., ensure_ascii=False, separators=(",", ":"))
        [previous_hash, sequence, stream, version, command_id, event_type, schema_version, payload]
    ).encode()
    if key is None:
        return hashlib.sha256(material).hexdigest()
    keyed = _keyed_hmac(key).copy()
    keyed.update(material)
    return keyed.hexdigest()


@functools.lru_cache(maxsize=16)
def _keyed_hmac(key: bytes) -> hmac.HMAC:
    """Return an HMAC-SHA256 with ``key`` absorbed, to copy per entry (half the cost of a one-shot HMAC)."""
    return hmac.new(key, digestmod=hashlib.sha256)


def chain_entries(
    head_sequence: int,
    head_hash: str,
    stream: str,
    head_version: int,
    batch: Sequence[PendingCommand],
    key: bytes | None = None,
) -> list[StoredEvent]:
    """Encode a batch into entries chained under ``key`` following ``(head_sequence, head_hash)``."""
    entries = []
    sequence, version, previous = head_sequence, head_version, head_hash
    for pending in batch:
        for event in pending.events:
            sequence += 1
            version += 1
            event_type, schema_version, payload = encode_event(event)
            digest = entry_hash(
                previous, sequence, stream, version, pending.command_id, event_type, schema_version, payload, key
            )
            entries.append(
                StoredEvent(
                    sequence, stream, version, pending.command_id, event_type, schema_version, payload, previous, digest
                )
            )
            previous = digest
    return entries


_TEXT_COLUMNS = ("stream", "command_id", "event_type", "payload", "previous_hash", "hash")


def _well_typed(entry: StoredEvent) -> bool:
    """Whether every column has its declared type (SQLite stores whatever an editor writes, a BLOB included)."""
    numbers = (entry.sequence, entry.version, entry.schema_version)
    return all(type(value) is int for value in numbers) and all(
        type(getattr(entry, name)) is str for name in _TEXT_COLUMNS
    )


class _ChainCheck:
    """Checks entries one by one: contiguous sequence, links, hashes under the key, stream versions."""

    def __init__(self, key: bytes | None, head: JournalHead | None) -> None:
        self.key = key
        self.head = head
        self.last = JournalHead(0, GENESIS_HASH)
        self.stream_versions: dict[str, int] = {}

    def check(self, entry: StoredEvent) -> None:
        expected_sequence, previous = self.last.sequence + 1, self.last.hash
        if not _well_typed(entry):
            raise JournalCorrupted(self.last.sequence + 1, "a column holds a value of the wrong type (edited entry)")
        if entry.sequence != expected_sequence:
            raise JournalCorrupted(entry.sequence, f"expected sequence {expected_sequence} (an entry was removed)")
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
            self.key,
        )
        if recomputed != entry.hash:
            reason = "edited entry, or a chain rebuilt without the key" if self.key else "edited entry"
            raise JournalCorrupted(entry.sequence, f"content does not match its hash ({reason})")
        expected_version = self.stream_versions.get(entry.stream, 0) + 1
        if entry.version != expected_version:
            raise JournalCorrupted(
                entry.sequence, f"stream {entry.stream!r} version {entry.version}, expected {expected_version}"
            )
        if self.head is not None and entry.sequence == self.head.sequence and entry.hash != self.head.hash:
            raise JournalCorrupted(entry.sequence, "entry differs from the one the signed head records")
        self.stream_versions[entry.stream] = entry.version
        self.last = JournalHead(entry.sequence, entry.hash)

    def finish(self) -> None:
        if self.head is not None and self.last.sequence < self.head.sequence:
            raise JournalTruncated(self.last.sequence, self.head.sequence)


def verified(
    entries: Iterable[StoredEvent], key: bytes | None = None, head: JournalHead | None = None
) -> Iterator[StoredEvent]:
    """Yield ``entries`` as each is checked; after the last, check the journal reaches ``head``.

    A journal longer than ``head`` is accepted when every entry past it verifies under the
    key (the head lags the journal after a crash between a commit and the head's rewrite);
    a journal shorter than ``head`` raises :class:`~ringfence.core.errors.JournalTruncated`.
    Payloads are not decoded here: a consumer that replays decodes each entry anyway.

    Raises
    ------
    JournalCorrupted
        At the first gap, broken link, wrong hash, version out of order, entry differing
        from the head, or when entries the head records are missing.
    """
    check = _ChainCheck(key, head)
    for entry in entries:
        check.check(entry)
        yield entry
    check.finish()


def recorded_head(head_path: Path, key: JournalKey, last_entry: Callable[[], JournalHead]) -> JournalHead:
    """Return the head a durable journal's head file records, authenticated under ``key``.

    ``last_entry`` gives the journal's own last entry; it is read only when the file is missing,
    which is accepted for an empty journal (the genesis head) and nothing else.

    Raises
    ------
    JournalCorrupted
        If the head file is missing while the journal holds entries, or does not verify.
    """
    head = read_head(head_path, key)
    if head is not None:
        return head
    last = last_entry()
    if last.sequence:
        raise JournalCorrupted(
            0,
            f"head file {head_path} is missing while the journal holds {last.sequence} entries; "
            "without it a removed tail cannot be detected (check against your published head)",
        )
    return GENESIS_HEAD


def verified_catching_up(
    entries: Iterable[StoredEvent],
    key: bytes,
    head: JournalHead,
    write_head: Callable[[JournalHead], None] | None,
) -> Iterator[StoredEvent]:
    """Yield ``entries`` as :func:`verified` checks them; then bring a lagging head up to date.

    A head behind the verified journal (a crash between a commit and the head's write, or commits
    of another host) is rewritten at the end through ``write_head``; ``None`` (read-only) never writes.
    """
    last = head
    for entry in verified(entries, key, head):
        last = JournalHead(entry.sequence, entry.hash)
        yield entry
    if write_head is not None and last.sequence > head.sequence:
        write_head(last)


def verify_entries(entries: Iterable[StoredEvent], key: bytes | None = None, head: JournalHead | None = None) -> int:
    """Verify the chain over ``entries`` (see :func:`verified`), decode every payload, return the count.

    Raises
    ------
    JournalCorrupted
        At the first gap, broken link, wrong hash, version out of order, undecodable payload,
        or when the journal ends before ``head``.
    """
    count = 0
    for entry in verified(entries, key, head):
        entry.event()
        count += 1
    return count


class Journal(Protocol):
    """Port: an append-only event journal with a keyed hash chain and a signed head."""

    def append(self, stream: str, expected_version: int, batch: Sequence[PendingCommand]) -> list[StoredEvent]:
        """Durably append a batch of commands' events to ``stream``, all or nothing.

        Raises
        ------
        StreamConflict
            If ``stream`` is not at ``expected_version``.
        """
        ...

    def read(self, after_sequence: int = 0) -> Iterator[StoredEvent]:
        """Yield entries with ``sequence > after_sequence`` in order, unverified."""
        ...

    def read_verified(self) -> Iterator[StoredEvent]:
        """Yield every entry as it is verified against the key and the signed head (see :func:`verified`)."""
        ...

    def head(self) -> JournalHead:
        """Return the journal's last ``(sequence, hash)`` (what the operator publishes)."""
        ...

    def stream_version(self, stream: str) -> int:
        """Return the stream's last version (0 when empty)."""
        ...

    def verify(self) -> int:
        """Recompute the whole chain against the signed head; return the entry count or raise JournalCorrupted."""
        ...

    def close(self) -> None:
        """Release resources."""
        ...
