"""SQLite journal: WAL, ``synchronous=FULL``, one transaction per appended batch.

The table's ``UNIQUE(stream, version)`` rejects a conflicting writer even if two processes
race past the version check; the whole batch is one ``BEGIN IMMEDIATE … COMMIT``, so after a
crash at any point the journal holds every committed batch and no part of any other.
``append`` returns after ``COMMIT``, which with ``synchronous=FULL`` has reached the disk.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from pathlib import Path

from ringfence.core.errors import JournalCorrupted, StreamConflict
from ringfence.store.journal import GENESIS_HASH, PendingCommand, StoredEvent, chain_entries, verify_entries

__all__ = ["SCHEMA_VERSION", "SqliteJournal"]

SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS journal_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS events (
    sequence INTEGER PRIMARY KEY,
    stream TEXT NOT NULL,
    version INTEGER NOT NULL,
    command_id TEXT NOT NULL,
    event_type TEXT NOT NULL,
    schema_version INTEGER NOT NULL,
    payload TEXT NOT NULL,
    previous_hash TEXT NOT NULL,
    hash TEXT NOT NULL,
    UNIQUE (stream, version)
);
"""

_COLUMNS = "sequence, stream, version, command_id, event_type, schema_version, payload, previous_hash, hash"


class SqliteJournal:
    """A journal in one SQLite file."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._connection = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self._connection.execute("PRAGMA journal_mode=WAL")
        self._connection.execute("PRAGMA synchronous=FULL")
        self._connection.execute("PRAGMA busy_timeout=5000")
        self._connection.executescript(_SCHEMA)
        row = self._connection.execute("SELECT value FROM journal_meta WHERE key = 'schema_version'").fetchone()
        if row is None:
            self._connection.execute(
                "INSERT OR IGNORE INTO journal_meta (key, value) VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),)
            )
        elif int(row[0]) != SCHEMA_VERSION:
            raise JournalCorrupted(0, f"journal schema v{row[0]}, this code reads v{SCHEMA_VERSION}")

    def append(self, stream: str, expected_version: int, batch: Sequence[PendingCommand]) -> list[StoredEvent]:
        """Append a batch in one durable transaction (see :class:`~ringfence.store.journal.Journal`)."""
        connection = self._connection
        connection.execute("BEGIN IMMEDIATE")
        try:
            actual = self.stream_version(stream)
            if actual != expected_version:
                raise StreamConflict(stream, expected_version, actual)
            head = connection.execute("SELECT sequence, hash FROM events ORDER BY sequence DESC LIMIT 1").fetchone()
            head_sequence, head_hash = (head[0], head[1]) if head else (0, GENESIS_HASH)
            entries = chain_entries(head_sequence, head_hash, stream, actual, batch)
            connection.executemany(
                f"INSERT INTO events ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        e.sequence,
                        e.stream,
                        e.version,
                        e.command_id,
                        e.event_type,
                        e.schema_version,
                        e.payload,
                        e.previous_hash,
                        e.hash,
                    )
                    for e in entries
                ],
            )
            connection.execute("COMMIT")
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        return entries

    def read(self, after_sequence: int = 0) -> Iterator[StoredEvent]:
        """Yield entries after ``after_sequence`` in sequence order."""
        cursor = self._connection.execute(
            f"SELECT {_COLUMNS} FROM events WHERE sequence > ? ORDER BY sequence", (after_sequence,)
        )
        for row in cursor:
            yield StoredEvent(*row)

    def stream_version(self, stream: str) -> int:
        """Return the stream's last version (0 when empty)."""
        row = self._connection.execute("SELECT MAX(version) FROM events WHERE stream = ?", (stream,)).fetchone()
        return int(row[0]) if row and row[0] is not None else 0

    def verify(self) -> int:
        """Recompute the whole chain from the file."""
        return verify_entries(self.read())

    def close(self) -> None:
        """Close the connection."""
        self._connection.close()
