"""SQLite journal: WAL, ``synchronous=FULL``, one transaction per appended batch, keyed chain, signed head.

The table's ``UNIQUE(stream, version)`` rejects a conflicting writer even if two processes
race past the version check; the whole batch is one ``BEGIN IMMEDIATE … COMMIT``, so after a
crash at any point the journal holds every committed batch and no part of any other.
``append`` returns after ``COMMIT``, which with ``synchronous=FULL`` has reached the disk, and
after the signed head (``<journal>.head``, :mod:`ringfence.store.head`) was rewritten.

Entries are chained with an HMAC-SHA256 under the journal's key (:mod:`ringfence.store.keys`;
journal schema v2). A journal of schema v1 (an unkeyed SHA-256 chain) is refused until an
operator adopts it (:func:`adopt_journal`). Opened with ``read_only=True`` (``journal
verify``, ``venue show``) the file is opened read-only and never written: a file that is not
a ringfence journal (empty, foreign tables, not SQLite, a directory) is refused with
:class:`~ringfence.core.errors.JournalUnreadable`, never initialised.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from ringfence.core.errors import (
    JournalCorrupted,
    JournalError,
    JournalKeyError,
    JournalNotAdopted,
    JournalTruncated,
    JournalUnreadable,
    StreamConflict,
)
from ringfence.store.head import GENESIS_HEAD, HeadWriter, JournalHead, head_path, read_head, write_head
from ringfence.store.journal import (
    PendingCommand,
    StoredEvent,
    chain_entries,
    entry_hash,
    recorded_head,
    verified_catching_up,
    verify_entries,
)
from ringfence.store.keys import JournalKey, create_key_file, load_key_file, resolve_key_path

__all__ = ["LEGACY_SCHEMA_VERSION", "SCHEMA_VERSION", "Adoption", "SqliteJournal", "adopt_journal"]

SCHEMA_VERSION = 2
"""v2: HMAC-SHA256 chain under the journal's key, whose ``key_id`` is in ``journal_meta``."""
LEGACY_SCHEMA_VERSION = 1
"""v1: an unkeyed SHA-256 chain (before keyed chains); read only by :func:`adopt_journal`."""

_SQLITE_MAGIC = b"SQLite format 3\x00"
_TABLES = {"events", "journal_meta"}

_SCHEMA = """
CREATE TABLE journal_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE events (
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


def _check_path(path: Path, *, must_exist: bool) -> bool:
    """Refuse a path that cannot hold a journal; return whether it holds a non-empty file."""
    if path.is_dir():
        raise JournalUnreadable(str(path), "it is a directory")
    if not path.parent.is_dir():
        raise JournalUnreadable(str(path), f"the folder {path.parent} does not exist")
    if not path.exists():
        if must_exist:
            raise JournalUnreadable(str(path), "no such file")
        return False
    try:
        with path.open("rb") as handle:
            header = handle.read(len(_SQLITE_MAGIC))
    except OSError as error:
        raise JournalUnreadable(str(path), f"cannot read it: {error.strerror}") from None
    if not header:
        return False
    if header != _SQLITE_MAGIC:
        raise JournalUnreadable(str(path), "not an SQLite file")
    return True


def _connect(path: Path, *, read_only: bool) -> sqlite3.Connection:
    if read_only:
        connection = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, isolation_level=None)
    else:
        connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=FULL")
    connection.execute("PRAGMA busy_timeout=5000")
    return connection


def _tables(connection: sqlite3.Connection) -> set[str]:
    return {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def _meta(connection: sqlite3.Connection) -> dict[str, str]:
    return dict(connection.execute("SELECT key, value FROM journal_meta").fetchall())


class SqliteJournal:
    """A journal in one SQLite file, chained under a key, with its signed head beside it.

    Parameters
    ----------
    path:
        The journal file. Opened for writing, a missing or empty file becomes a new journal
        (and its key file is created unless one is found); anything else must be a
        ringfence journal of schema v2.
    key:
        The journal's key; when omitted it is read from ``key_file``, else from
        ``$RINGFENCE_JOURNAL_KEY_FILE``, else from ``<path>.key`` (see :mod:`ringfence.store.keys`).
    read_only:
        Open the file read-only: it is never created, initialised or written, nor is the head.
    """

    def __init__(
        self, path: str | Path, key: JournalKey | None = None, *, key_file: Path | None = None, read_only: bool = False
    ) -> None:
        self.path = Path(path)
        self.read_only = read_only
        existing = _check_path(self.path, must_exist=read_only)
        self.head_path = head_path(self.path)
        if read_only and not existing:
            raise JournalUnreadable(str(self.path), "an empty file")
        try:
            self._connection = _connect(self.path, read_only=read_only)
        except sqlite3.Error as error:
            raise JournalUnreadable(str(self.path), str(error)) from None
        try:
            self.key = self._open(key, key_file)
            self._head_writer = HeadWriter(self.head_path, self.key)
        except sqlite3.Error as error:
            self._connection.close()
            raise JournalUnreadable(str(self.path), str(error)) from None
        except BaseException:
            self._connection.close()
            raise

    def _open(self, key: JournalKey | None, key_file: Path | None) -> JournalKey:
        """Check (or, for a new journal, create) the schema and the key; return the key."""
        tables = _tables(self._connection)
        if not tables and not self.read_only:
            return self._create(key, key_file)
        if not tables >= _TABLES:
            found = ", ".join(sorted(tables)) or "none"
            raise JournalUnreadable(str(self.path), f"not a ringfence journal (its tables: {found})")
        meta = _meta(self._connection)
        version = meta.get("schema_version", "")
        if version == str(LEGACY_SCHEMA_VERSION):
            raise JournalNotAdopted(str(self.path))
        if version != str(SCHEMA_VERSION):
            raise JournalUnreadable(str(self.path), f"journal schema v{version}, this code reads v{SCHEMA_VERSION}")
        if key is None:
            key = load_key_file(resolve_key_path(self.path, key_file))
        if meta.get("key_id") != key.key_id:
            raise JournalKeyError(
                key.source, f"key id {key.key_id}, but {self.path} was signed by key id {meta.get('key_id')}"
            )
        if not self.read_only and not self.head_path.exists() and self._last() == GENESIS_HEAD:
            write_head(self.head_path, GENESIS_HEAD, key)
        return key

    def _create(self, key: JournalKey | None, key_file: Path | None) -> JournalKey:
        """Initialise a new journal: key file, then schema and meta in one transaction, then the genesis head."""
        if key is None:
            path = resolve_key_path(self.path, key_file)
            key = load_key_file(path) if path.exists() else create_key_file(path)
        previous = read_head(self.head_path, key)
        if previous is not None and previous.sequence > 0:
            # The journal file is gone or empty but its head records entries: never start over silently.
            raise JournalTruncated(0, previous.sequence)
        connection = self._connection
        connection.execute("BEGIN IMMEDIATE")
        try:
            if not _tables(connection):
                for statement in _SCHEMA.split(";"):
                    if statement.strip():
                        connection.execute(statement)
                connection.executemany(
                    "INSERT INTO journal_meta (key, value) VALUES (?, ?)",
                    [("schema_version", str(SCHEMA_VERSION)), ("key_id", key.key_id)],
                )
            connection.execute("COMMIT")
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        write_head(self.head_path, GENESIS_HEAD, key)
        return key

    def _last(self) -> JournalHead:
        row = self._connection.execute("SELECT sequence, hash FROM events ORDER BY sequence DESC LIMIT 1").fetchone()
        return JournalHead(row[0], row[1]) if row else GENESIS_HEAD

    def append(self, stream: str, expected_version: int, batch: Sequence[PendingCommand]) -> list[StoredEvent]:
        """Append a batch in one durable transaction, then rewrite the signed head.

        Raises
        ------
        StreamConflict
            If ``stream`` is not at ``expected_version``.
        JournalError
            If the file cannot be written, or the head cannot be rewritten after the commit
            (the batch is then durable and the head lags it, which verification accepts).
        """
        if self.read_only:
            raise JournalError(f"{self.path} was opened read-only")
        connection = self._connection
        try:
            connection.execute("BEGIN IMMEDIATE")
            try:
                actual = self.stream_version(stream)
                if actual != expected_version:
                    raise StreamConflict(stream, expected_version, actual)
                last = self._last()
                entries = chain_entries(last.sequence, last.hash, stream, actual, batch, self.key.secret)
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
        except sqlite3.Error as error:
            raise JournalError(f"journal {self.path} write failed: {error}") from None
        if entries:
            self._write_head(JournalHead(entries[-1].sequence, entries[-1].hash))
        return entries

    def _write_head(self, head: JournalHead) -> None:
        try:
            self._head_writer.write(head)
        except OSError as error:
            raise JournalError(f"head file {self.head_path} could not be written: {error.strerror}") from None

    def read(self, after_sequence: int = 0) -> Iterator[StoredEvent]:
        """Yield entries after ``after_sequence`` in sequence order, unverified."""
        try:
            cursor = self._connection.execute(
                f"SELECT {_COLUMNS} FROM events WHERE sequence > ? ORDER BY sequence", (after_sequence,)
            )
            for row in cursor:
                yield StoredEvent(*row)
        except sqlite3.Error as error:
            raise JournalUnreadable(str(self.path), str(error)) from None

    def signed_head(self) -> JournalHead:
        """Return the head the head file records, authenticated under the key (:func:`recorded_head`).

        Raises
        ------
        JournalCorrupted
            If the head file is missing while the journal holds entries, or does not verify.
        """
        return recorded_head(self.head_path, self.key, self._last)

    def read_verified(self) -> Iterator[StoredEvent]:
        """Yield every entry as it is verified against the key and the signed head.

        Opened for writing, a head that lags the verified journal is brought up to date at the
        end (:func:`verified_catching_up`).
        """
        write = None if self.read_only else self._write_head
        yield from verified_catching_up(self.read(), self.key.secret, self.signed_head(), write)

    def head(self) -> JournalHead:
        """Return the last entry's ``(sequence, hash)``."""
        return self._last()

    def stream_version(self, stream: str) -> int:
        """Return the stream's last version (0 when empty)."""
        row = self._connection.execute("SELECT MAX(version) FROM events WHERE stream = ?", (stream,)).fetchone()
        return int(row[0]) if row and row[0] is not None else 0

    def verify(self) -> int:
        """Recompute the whole chain under the key, against the signed head, decode every entry; return the count."""
        count = 0
        for entry in self.read_verified():
            entry.event()
            count += 1
        return count

    def close(self) -> None:
        """Close the connection and the head file."""
        self._connection.close()
        self._head_writer.close()


@dataclass(frozen=True, slots=True)
class Adoption:
    """What :func:`adopt_journal` did: how many entries it verified and re-signed, and the heads."""

    entries: int
    unkeyed_head: JournalHead
    head: JournalHead
    key: JournalKey


def adopt_journal(path: Path, key: JournalKey | None = None, *, key_file: Path | None = None) -> Adoption:
    """Verify a schema v1 journal's unkeyed chain, then re-sign every entry under the key (schema v2).

    The whole rewrite is one transaction; the unkeyed head it replaced is kept in
    ``journal_meta`` (``adopted_unkeyed_head``) for the record. Adoption attests only that
    the unkeyed chain was intact when adopted: anyone could have rebuilt it before.

    Raises
    ------
    JournalUnreadable
        If ``path`` is not a ringfence journal.
    JournalCorrupted
        If the unkeyed chain does not verify, or a keyed head already exists (a keyed
        journal relabelled as unkeyed).
    JournalError
        If the journal is already keyed.
    """
    _check_path(path, must_exist=True)
    try:
        connection = _connect(path, read_only=False)
    except sqlite3.Error as error:
        raise JournalUnreadable(str(path), str(error)) from None
    try:
        return _adopt(connection, path, key, key_file)
    except sqlite3.Error as error:
        raise JournalUnreadable(str(path), str(error)) from None
    finally:
        connection.close()


def _adopt(connection: sqlite3.Connection, path: Path, key: JournalKey | None, key_file: Path | None) -> Adoption:
    if not _tables(connection) >= _TABLES:
        raise JournalUnreadable(str(path), "not a ringfence journal")
    version = _meta(connection).get("schema_version")
    if version != str(LEGACY_SCHEMA_VERSION):
        raise JournalError(f"{path} is journal schema v{version}, not an unkeyed v1 journal; nothing to adopt")
    if key is None:
        key_path = resolve_key_path(path, key_file)
        key = load_key_file(key_path) if key_path.exists() else create_key_file(key_path)
    if head_path(path).exists():
        raise JournalCorrupted(0, f"{head_path(path)} exists: a keyed journal relabelled as unkeyed? refusing to adopt")
    rows = [StoredEvent(*row) for row in connection.execute(f"SELECT {_COLUMNS} FROM events ORDER BY sequence")]
    count = verify_entries(rows, None)
    unkeyed = JournalHead(rows[-1].sequence, rows[-1].hash) if rows else GENESIS_HEAD
    previous, updates = GENESIS_HEAD.hash, []
    for e in rows:
        digest = entry_hash(
            previous,
            e.sequence,
            e.stream,
            e.version,
            e.command_id,
            e.event_type,
            e.schema_version,
            e.payload,
            key.secret,
        )
        updates.append((previous, digest, e.sequence))
        previous = digest
    connection.execute("BEGIN IMMEDIATE")
    try:
        connection.executemany("UPDATE events SET previous_hash = ?, hash = ? WHERE sequence = ?", updates)
        connection.executemany(
            "INSERT OR REPLACE INTO journal_meta (key, value) VALUES (?, ?)",
            [("schema_version", str(SCHEMA_VERSION)), ("key_id", key.key_id), ("adopted_unkeyed_head", unkeyed.text())],
        )
        connection.execute("COMMIT")
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    head = JournalHead(count, previous) if rows else GENESIS_HEAD
    write_head(head_path(path), head, key)
    return Adoption(count, unkeyed, head, key)
