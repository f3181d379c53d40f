"""The journal's signed head: its last sequence and hash, kept in a file beside the journal.

``<journal>.head`` is one JSON object: the head's ``sequence`` and ``hash``, the ``key_id``
of the key that signed it, and ``mac``, an HMAC-SHA256 under the journal's key over the
other three. It is rewritten after every durable commit, atomically and durably: the new
head goes to a temporary file, which is fsynced and renamed over the old one, so after a
crash the file holds the old head or the new one, whole. Because it is written only after
the journal's ``COMMIT`` returned, a head never runs ahead of the journal; after a crash it
may lag by the last batch, which verification accepts (entries past the head must still
verify under the key), while a journal shorter than its head is refused as truncated.

The head only protects against an attacker who cannot also restore an older head file: the
operator publishes the printed head (``entry N hash H``) somewhere the attacker cannot
rewrite, and ``ringfence journal verify --expect-head N:H`` checks a journal against it.
"""

from __future__ import annotations

import hmac
import json
import os
from dataclasses import dataclass
from pathlib import Path

from ringfence.core.errors import JournalCorrupted, JournalKeyError
from ringfence.store.keys import JournalKey, sync_directory

__all__ = ["GENESIS_HEAD", "JournalHead", "head_path", "parse_head", "read_head", "write_head"]

_HEAD_FORMAT = "ringfence-journal-head/1"
_HASH_HEX_DIGITS = 64


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


def write_head(path: Path, head: JournalHead, key: JournalKey, *, new_file: bool = False) -> None:
    """Replace the head file atomically and durably (temporary file, fsync, rename).

    ``new_file`` also fsyncs the folder, so a head file that did not exist before survives a
    power loss (a replaced one is the old or the new head either way).
    """
    body = {"format": _HEAD_FORMAT, "key_id": key.key_id, "sequence": head.sequence, "hash": head.hash}
    body["mac"] = _mac(key, head)
    temporary = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        os.write(descriptor, (json.dumps(body, sort_keys=True) + "\n").encode("ascii"))
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
    os.replace(temporary, path)
    if new_file:
        sync_directory(path.parent)


def read_head(path: Path, key: JournalKey) -> JournalHead | None:
    """Read and authenticate the head file; ``None`` if there is none.

    Raises
    ------
    JournalKeyError
        If the head was signed by another key.
    JournalCorrupted
        If the file is unreadable, malformed, or its MAC does not verify under the key.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as error:
        raise JournalCorrupted(0, f"head file {path} cannot be read: {error}") from None
    try:
        body = json.loads(text)
        head = JournalHead(int(body["sequence"]), str(body["hash"]))
        key_id, mac = str(body["key_id"]), str(body["mac"])
    except (ValueError, KeyError, TypeError) as error:
        raise JournalCorrupted(0, f"head file {path} is malformed: {error!r}") from None
    if key_id != key.key_id:
        raise JournalKeyError(key.source, f"key id {key.key_id}, but head file {path} was signed by key id {key_id}")
    if not hmac.compare_digest(mac, _mac(key, head)):
        raise JournalCorrupted(head.sequence, f"head file {path} does not verify under the key (forged or edited)")
    return head
