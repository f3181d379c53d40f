"""In-memory journal: the fast, faithful double of the SQLite journal (same contract)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from ringfence.core.errors import StreamConflict
from ringfence.store.journal import GENESIS_HASH, PendingCommand, StoredEvent, chain_entries, verify_entries

__all__ = ["MemoryJournal"]


class MemoryJournal:
    """A journal held in a list; nothing survives the process."""

    def __init__(self) -> None:
        self._entries: list[StoredEvent] = []
        self._versions: dict[str, int] = {}

    def append(self, stream: str, expected_version: int, batch: Sequence[PendingCommand]) -> list[StoredEvent]:
        """Append a batch atomically (see :class:`~ringfence.store.journal.Journal`)."""
        actual = self._versions.get(stream, 0)
        if actual != expected_version:
            raise StreamConflict(stream, expected_version, actual)
        head_sequence = len(self._entries)
        head_hash = self._entries[-1].hash if self._entries else GENESIS_HASH
        entries = chain_entries(head_sequence, head_hash, stream, actual, batch)
        self._entries.extend(entries)
        if entries:
            self._versions[stream] = entries[-1].version
        return entries

    def read(self, after_sequence: int = 0) -> Iterator[StoredEvent]:
        """Yield entries after ``after_sequence``."""
        yield from self._entries[after_sequence:]

    def stream_version(self, stream: str) -> int:
        """Return the stream's last version."""
        return self._versions.get(stream, 0)

    def verify(self) -> int:
        """Recompute the chain."""
        return verify_entries(self._entries)

    def close(self) -> None:
        """Nothing to release."""

    def tamper(self, index: int, entry: StoredEvent) -> None:
        """Replace an entry in place (for tests of verification only)."""
        self._entries[index] = entry
