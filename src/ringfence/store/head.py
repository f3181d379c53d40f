"""The journal's signed head: its last sequence and hash, kept in a file beside the journal.

``<journal>.head`` holds two 512-byte slots, each one JSON object (padded with spaces): the
head's ``sequence`` and ``hash``, the ``key_id`` of the key that signed it, and ``mac``, an
HMAC-SHA256 under the journal's key over the other three. The head is the valid slot with
the highest sequence.

Durable and atomic: a new head file is written to a temporary file, fsynced, renamed into
place and its folder fsynced. After that, each durable commit overwrites the *older* slot in
place and ``fdatasync``s it (one data flush, no metadata update: the file never changes
size), so the newest head is never overwritten. A crash or power loss in the middle of a
write tears at most the slot being written, and the other slot still holds the previous
head: a reader sees the old head or the new one, never a torn one. (A temporary file and a
rename per commit would also be atomic, but costs a metadata commit of the file system per
batch, about three times the flush; this is what keeps the durable journal's throughput.)

Because a head is written only after the journal's ``COMMIT`` returned, it never runs ahead
of the journal; after a crash it may lag by the last batch, which verification accepts
(entries past the head must still verify under the key), while a journal shorter than its
head is refused as truncated. One writer process per journal (the engine's rule) keeps the
slots alternating; a second writer could only make the head lag, never run ahead. Several
writer processes sharing one journal (the PostgreSQL journal of a multi-process service) use
:class:`SharedHeadWriter` instead: it takes an exclusive ``flock`` on the head file, re-reads
both slots and writes only a head newer than the newest one recorded, so concurrent writers
never move the head backwards.

The head only protects against an attacker who cannot also restore an older head file: the
operator publishes the printed head (``N:HASH``) somewhere the attacker cannot rewrite, and
``ringfence journal verify --expect-head N:HASH`` checks a journal against it.
"""

from __future__ import annotations

import fcntl
import hmac
import json
import os
from dataclasses import dataclass
from pathlib import Path

from ringfence.core.errors import JournalCorrupted, JournalKeyError
from ringfence.store.keys import JournalKey, sync_directory

__all__ = [
    "GENESIS_HEAD",
    "HeadWriter",
    "JournalHead",
    "SharedHeadWriter",
    "head_path",
    "parse_head",
    "read_head",
    "write_head",
]

_HEAD_FORMAT = "ringfence-journal-head/1"
_HASH_HEX_DIGITS = 64
_SLOT_BYTES = 512
_SLOTS = 2
_flush_data = getattr(os, "fdatasync", os.fsync)  # fdatasync where the platform has it


@dataclass(frozen=True, slots=True)
class JournalHead:
    """The last entry of a journal: its sequence and chained hash (sequence 0: the empty journal)."""

    sequence: int
    hash: str

    def text(self) -> str:
        """Return the form an operator publishes and passes to ``--expect-head``: ``N:HASH``."""
        return f"{self.sequence}:{self.hash}"


GENESIS_HEAD = JournalHead(0, "0" * _HASH_HEX_DIGITS)


def head_path(journal_path: Path) -> Path:
    """Return ``<journal>.head``."""
    return journal_path.with_name(journal_path.name + ".head")


def parse_head(text: str) -> JournalHead:
    """Parse a published head ``N:HASH``.

    Raises
    ------
    ValueError
        If ``text`` is not a non-negative integer, a colon and 64 lowercase hex digits.
    """
    sequence, _, digest = text.strip().partition(":")
    if not sequence.isdigit() or len(digest) != _HASH_HEX_DIGITS or digest.strip("0123456789abcdef"):
        raise ValueError(f"expected N:HASH (an entry number and 64 hex digits), got {text!r}")
    return JournalHead(int(sequence), digest)


def _mac(key: JournalKey, head: JournalHead) -> str:
    material = json.dumps([_HEAD_FORMAT, key.key_id, head.sequence, head.hash], separators=(",", ":"))
    return hmac.new(key.secret, material.encode(), "sha256").hexdigest()


def _slot(head: JournalHead, key: JournalKey) -> bytes:
    body = {"format": _HEAD_FORMAT, "key_id": key.key_id, "sequence": head.sequence, "hash": head.hash}
    body["mac"] = _mac(key, head)
    text = json.dumps(body, sort_keys=True).encode("ascii")
    return text.ljust(_SLOT_BYTES - 1) + b"\n"


def write_head(path: Path, head: JournalHead, key: JournalKey) -> None:
    """Create or replace the head file atomically and durably: temporary file, fsync, rename, fsync of the folder."""
    temporary = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        os.write(descriptor, _slot(head, key) * _SLOTS)
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
    os.replace(temporary, path)
    sync_directory(path.parent)


class HeadWriter:
    """Writes each new head over the older slot of an existing head file, in place, and flushes it."""

    def __init__(self, path: Path, key: JournalKey) -> None:
        self.path = path
        self.key = key
        self._descriptor: int | None = None
        self._next_slot = 0

    def write(self, head: JournalHead) -> None:
        """Durably record ``head`` without ever overwriting the newest head in the file."""
        if self._descriptor is None:
            self._next_slot = 1 - _newest_slot(self.path, self.key)
            self._descriptor = os.open(self.path, os.O_RDWR)
        os.pwrite(self._descriptor, _slot(head, self.key), self._next_slot * _SLOT_BYTES)
        _flush_data(self._descriptor)
        self._next_slot = 1 - self._next_slot

    def close(self) -> None:
        """Close the file."""
        if self._descriptor is not None:
            os.close(self._descriptor)
            self._descriptor = None


class SharedHeadWriter:
    """Writes heads from several processes into one head file, never moving it backwards.

    Each write holds an exclusive ``flock`` on the file while it reads both slots, and
    overwrites the older slot only when ``head`` is newer than the newest recorded head
    (another process may already have recorded a later one: the journal's commits and
    the heads' writes of different processes are not in the same order).
    """

    def __init__(self, path: Path, key: JournalKey) -> None:
        self.path = path
        self.key = key
        self._descriptor: int | None = None

    def write(self, head: JournalHead) -> None:
        """Durably record ``head`` unless the file already records a head at least as new."""
        if self._descriptor is None:
            self._descriptor = os.open(self.path, os.O_RDWR)
        descriptor = self._descriptor
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        try:
            valid = _valid_slots(self.path, self.key, os.pread(descriptor, _SLOT_BYTES * _SLOTS + 1, 0))
            newest_slot, newest = max(valid, key=lambda found: found[1].sequence)
            if newest.sequence >= head.sequence:
                return
            os.pwrite(descriptor, _slot(head, self.key), (1 - newest_slot) * _SLOT_BYTES)
            _flush_data(descriptor)
        finally:
            fcntl.flock(descriptor, fcntl.LOCK_UN)

    def close(self) -> None:
        """Close the file."""
        if self._descriptor is not None:
            os.close(self._descriptor)
            self._descriptor = None


def _parse_slot(raw: bytes) -> tuple[JournalHead, str, str] | None:
    """Return ``(head, key_id, mac)`` of one slot, or ``None`` if it does not parse (a torn write)."""
    try:
        body = json.loads(raw.decode("ascii"))
        return JournalHead(int(body["sequence"]), str(body["hash"])), str(body["key_id"]), str(body["mac"])
    except (ValueError, KeyError, TypeError):
        return None


def _valid_slots(path: Path, key: JournalKey, data: bytes | None = None) -> list[tuple[int, JournalHead]]:
    """Return ``(slot index, head)`` for every slot of ``path`` (or of ``data``, read from it) that verifies.

    Raises
    ------
    JournalKeyError
        If a slot parses but was signed by another key, and none by this one.
    JournalCorrupted
        If the file cannot be read, has the wrong size, or no slot verifies.
    """
    if data is None:
        try:
            data = path.read_bytes()
        except OSError as error:
            raise JournalCorrupted(0, f"head file {path} cannot be read: {error.strerror}") from None
    if len(data) != _SLOT_BYTES * _SLOTS:
        raise JournalCorrupted(0, f"head file {path} is malformed: {len(data)} bytes, expected {_SLOT_BYTES * _SLOTS}")
    parsed = [_parse_slot(data[i * _SLOT_BYTES : (i + 1) * _SLOT_BYTES]) for i in range(_SLOTS)]
    valid = [
        (index, head)
        for index, found in enumerate(parsed)
        if found is not None
        for head, key_id, mac in [found]
        if key_id == key.key_id and hmac.compare_digest(mac.encode("utf-8", "surrogatepass"), _mac(key, head).encode())
    ]
    if valid:
        return valid
    foreign = {found[1] for found in parsed if found is not None and found[1] != key.key_id}
    if foreign:
        raise JournalKeyError(
            key.source, f"key id {key.key_id}, but head file {path} was signed by key id {min(foreign)}"
        )
    if any(found is not None for found in parsed):
        raise JournalCorrupted(0, f"head file {path} does not verify under the key (forged or edited)")
    raise JournalCorrupted(0, f"head file {path} is malformed: no slot holds a head")


def _newest_slot(path: Path, key: JournalKey) -> int:
    return max(_valid_slots(path, key), key=lambda found: found[1].sequence)[0]


def read_head(path: Path, key: JournalKey) -> JournalHead | None:
    """Read and authenticate the head file; ``None`` if there is none.

    Raises
    ------
    JournalKeyError
        If the head was signed by another key.
    JournalCorrupted
        If the file is unreadable, malformed, or no slot verifies under the key.
    """
    if not path.exists():
        return None
    return max((head for _, head in _valid_slots(path, key)), key=lambda head: head.sequence)
