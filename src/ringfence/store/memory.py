"""In-memory journal: the fast, faithful double of the SQLite journal (same contract).

It chains its entries under a key like the SQLite journal (a fresh random key unless one is
given) and keeps its signed head beside the entries, so verification is the same code.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from ringfence.core.errors import StreamConflict
from ringfence.store.head import GENESIS_HEAD, JournalHead
from ringfence.store.journal import PendingCommand, StoredEvent, chain_entries, verified, verify_entries
from ringfence.store.keys import JournalKey

__all__ = ["MemoryJournal"]


class MemoryJournal:
    """A journal held in a list; nothing survives the process."""

    def __init__(self, key: JournalKey | None = None) -> None:
        self.key = key if key is not None else JournalKey.generate()
        self._entries: list[StoredEvent] = []
        self._versions: dict[str, int] = {}
        self._head = GENESIS_HEAD

    def append(self, stream: str, expected_version: int, batch: Sequence[PendingCommand]) -> list[StoredEvent]:
        """Append a batch atomically (see :class:`~ringfence.store.journal.Journal`)."""
        actual = self._versions.get(stream, 0)
        if actual != expected_version:
            raise StreamConflict(stream, expected_version, actual)
        head_sequence = len(self._entries)
        head_hash = self._entries[-1].hash if self._entries else GENESIS_HEAD.hash
        entries = chain_entries(head_sequence, head_hash, stream, actual, batch, self.key.secret)
        self._entries.extend(entries)
        if entries:
            self._versions[stream] = entries[-1].version
            self._head = JournalHead(entries[-1].sequence, entries[-1].hash)
        return entries

    def read(self, after_sequence: int = 0) -> Iterator[StoredEvent]:
        """Yield entries after ``after_sequence``."""
        yield from self._entries[after_sequence:]

    def read_verified(self) -> Iterator[StoredEvent]:
        """Yield every entry as it is verified against the key and the head."""
        return verified(list(self._entries), self.key.secret, self._head)

    def head(self) -> JournalHead:
        """Return the last ``(sequence, hash)`` appended."""
        return self._head

    def stream_version(self, stream: str) -> int:
        """Return the stream's last version."""
        return self._versions.get(stream, 0)

    def verify(self) -> int:
        """Recompute the chain against the head."""
        return verify_entries(self._entries, self.key.secret, self._head)

    def close(self) -> None:
        """Nothing to release."""

    def tamper(self, index: int, entry: StoredEvent) -> None:
        """Replace an entry in place (for tests of verification only)."""
        self._entries[index] = entry

    def last_entry_head(self) -> JournalHead:
        """Return the last stored entry's ``(sequence, hash)``, whatever the head says."""
        return JournalHead(self._entries[-1].sequence, self._entries[-1].hash) if self._entries else GENESIS_HEAD

    def set_head(self, head: JournalHead) -> None:
        """Replace the signed head (for tests of verification only)."""
        self._head = head

    def truncate(self, length: int) -> None:
        """Drop every entry after the first ``length`` (for tests of verification only)."""
        del self._entries[length:]
