"""PostgreSQL journal: the SQLite journal's contract for a service of several writer processes.

The entries, their keyed HMAC chain and the signed head are exactly those of
:mod:`ringfence.store.sqlite` (:mod:`ringfence.store.journal`); only where they live and how
concurrent writers are ordered differ.

Tables (created in the connection's current schema, so a DSN's ``search_path`` selects
which journal a database holds):

* ``ringfence_events``: one row per entry; ``sequence`` is the primary key and
  ``UNIQUE (stream, version)`` rejects a second writer at a stream version even if it
  bypassed the lock below;
* ``ringfence_journal_meta``: ``schema_version`` and the ``key_id`` of the journal's key;
* ``ringfence_journal_tail``: one row, the lock that serialises appends.

Concurrent writers: :meth:`PostgresJournal.append` is one transaction that first takes
``SELECT … FOR UPDATE`` on the tail row, then reads the stream's version and the last
entry's ``(sequence, hash)``, chains the batch onto it and inserts it. A second process
waits on the row lock until the first commits; under ``READ COMMITTED`` its next
statement sees that commit, so it chains onto the new tail, or raises
:class:`~ringfence.core.errors.StreamConflict` when its stream moved. Two processes can
therefore never both chain onto the same previous hash, and the global sequence is
committed in order (an entry becomes visible only after every entry before it).

Durability: ``append`` returns after ``COMMIT``, which this session runs with
``synchronous_commit = on`` (the commit record is flushed to the server's disk before
``COMMIT`` returns). A server running with ``fsync = off`` could lose acknowledged
commits on a power loss, so the journal refuses to write to one.

Key and signed head (they must not live in the database: someone who can rewrite the
tables could otherwise remove the tail and roll the head back with it):

* the key is a key file as for SQLite (:mod:`ringfence.store.keys`), given explicitly
  (``key_file=``, the CLI's ``--key-file``) or by ``$RINGFENCE_JOURNAL_KEY_FILE``: there is
  no journal file beside which to find one. A new journal creates a missing key file;
* the signed head is a file on the writer's host, by default beside the key file
  (``journal.key`` → ``journal.head``), or ``head_file=``. Several processes on one host
  share it through :class:`~ringfence.store.head.SharedHeadWriter` (``flock``, never
  backwards). Processes on several hosts each keep their own head file: each then records
  the newest commit its host made, which still detects a removed tail up to that commit.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path

import psycopg
from psycopg import conninfo

from ringfence.core.errors import (
    JournalError,
    JournalKeyError,
    JournalTruncated,
    JournalUnreadable,
    StreamConflict,
)
from ringfence.store.head import GENESIS_HEAD, JournalHead, SharedHeadWriter, read_head, write_head
from ringfence.store.journal import (
    PendingCommand,
    StoredEvent,
    chain_entries,
    recorded_head,
    verified_catching_up,
)
from ringfence.store.keys import KEY_FILE_ENV, JournalKey, create_key_file, load_key_file

__all__ = [
    "EVENTS_TABLE",
    "META_TABLE",
    "SCHEMA_VERSION",
    "TAIL_TABLE",
    "PostgresJournal",
    "default_head_path",
    "describe_dsn",
    "is_postgres_dsn",
]

SCHEMA_VERSION = 2
"""The keyed chain of the SQLite journal's schema v2 (HMAC-SHA256 under the key in ``key_id``)."""

EVENTS_TABLE = "ringfence_events"
META_TABLE = "ringfence_journal_meta"
TAIL_TABLE = "ringfence_journal_tail"
_TABLES = {EVENTS_TABLE, META_TABLE, TAIL_TABLE}
_READ_PAGE_ROWS = 2_000
_SCHEMA_LOCK = 0x72696E67_6A726E6C  # "ringjrnl": serialises concurrent first opens of one database

_SCHEMA = (
    f"CREATE TABLE IF NOT EXISTS {META_TABLE} (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    f"""CREATE TABLE IF NOT EXISTS {EVENTS_TABLE} (
        sequence BIGINT PRIMARY KEY,
        stream TEXT NOT NULL,
        version BIGINT NOT NULL,
        command_id TEXT NOT NULL,
        event_type TEXT NOT NULL,
        schema_version INTEGER NOT NULL,
        payload TEXT NOT NULL,
        previous_hash TEXT NOT NULL,
        hash TEXT NOT NULL,
        UNIQUE (stream, version)
    )""",
    f"CREATE TABLE IF NOT EXISTS {TAIL_TABLE} (singleton BOOLEAN PRIMARY KEY CHECK (singleton))",
    f"INSERT INTO {TAIL_TABLE} (singleton) VALUES (TRUE) ON CONFLICT DO NOTHING",
)

_COLUMNS = "sequence, stream, version, command_id, event_type, schema_version, payload, previous_hash, hash"
_INSERT = f"INSERT INTO {EVENTS_TABLE} ({_COLUMNS}) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)"
_STREAM_VERSION = f"SELECT MAX(version) FROM {EVENTS_TABLE} WHERE stream = %s"
_LAST = f"SELECT sequence, hash FROM {EVENTS_TABLE} ORDER BY sequence DESC LIMIT 1"


def is_postgres_dsn(text: str) -> bool:
    """Whether ``text`` names a PostgreSQL journal (``postgresql://…`` or ``postgres://…``), not a file."""
    return text.startswith(("postgresql://", "postgres://"))


def describe_dsn(dsn: str) -> str:
    """Return ``dsn`` without its password, for messages (``postgresql://user@host/db``)."""
    try:
        parts = conninfo.conninfo_to_dict(dsn)
    except psycopg.ProgrammingError:
        return "postgresql (unparsable connection string)"
    user, host = parts.get("user", ""), parts.get("host", "") or "localhost"
    port, database = parts.get("port"), parts.get("dbname", "")
    at = f"{user}@" if user else ""
    return f"postgresql://{at}{host}{f':{port}' if port else ''}/{database}"


def default_head_path(key_path: Path) -> Path:
    """Return the head file kept beside a key file: ``journal.key`` → ``journal.head``, else ``<key>.head``."""
    if key_path.suffix == ".key":
        return key_path.with_suffix(".head")
    return key_path.with_name(key_path.name + ".head")


def _key_path(key_file: Path | None) -> Path | None:
    """Return the key file to read or create (explicit, else the environment's), or None."""
    if key_file is not None:
        return key_file
    from_environment = os.environ.get(KEY_FILE_ENV)
    return Path(from_environment) if from_environment else None


class PostgresJournal:
    """A journal in a PostgreSQL database, chained under a key, with its signed head in a file.

    Parameters
    ----------
    dsn:
        A libpq connection string or URI (``postgresql://user@host/db``,
        ``host=/run/postgresql dbname=venue``).
    key:
        The journal's key; when omitted it is read from ``key_file``, else from
        ``$RINGFENCE_JOURNAL_KEY_FILE`` (one of them is required). A new journal creates a
        missing key file.
    head_file:
        Where the signed head is kept; by default beside the key file (see the module docstring).
        Required when ``key`` is given without a key file.
    read_only:
        Never create, initialise or write anything (the session is read-only and the head is not rewritten).

    Raises
    ------
    JournalUnreadable
        If the server cannot be reached, or the database holds something other than a ringfence journal.
    JournalKeyError
        If no key is given, or it is not the key the journal was signed with.
    JournalTruncated
        If the database holds no journal while the head file records entries.
    """

    def __init__(
        self,
        dsn: str,
        key: JournalKey | None = None,
        *,
        key_file: Path | None = None,
        head_file: Path | None = None,
        read_only: bool = False,
    ) -> None:
        self.dsn = dsn
        self.name = describe_dsn(dsn)
        self.read_only = read_only
        key_path = _key_path(key_file)
        if key is None and key_path is None:
            raise JournalKeyError(self.name, f"a PostgreSQL journal needs --key-file or ${KEY_FILE_ENV}")
        if head_file is not None:
            self.head_path = head_file
        elif key_path is not None:
            self.head_path = default_head_path(key_path)
        else:
            raise JournalError(f"{self.name}: give head_file (the signed head's file) with an in-memory key")
        self._lock = threading.RLock()
        try:
            self._connection = psycopg.connect(dsn, autocommit=True)
        except psycopg.Error as error:
            raise JournalUnreadable(self.name, _first_line(error)) from None
        try:
            self._connection.execute("SET synchronous_commit = on")
            if read_only:
                self._connection.execute("SET default_transaction_read_only = on")
            else:
                self._refuse_volatile_server()
            self.key = self._open(key, key_path)
            self._head_writer = SharedHeadWriter(self.head_path, self.key)
        except psycopg.Error as error:
            self._connection.close()
            raise JournalUnreadable(self.name, _first_line(error)) from None
        except BaseException:
            self._connection.close()
            raise

    # ------------------------------------------------------------------ opening

    def _refuse_volatile_server(self) -> None:
        """Refuse a server whose commits are not flushed to disk: an acknowledgement must be durable."""
        row = self._connection.execute("SHOW fsync").fetchone()
        if row is None or str(row[0]) != "on":
            raise JournalError(
                f"{self.name} runs with fsync = off: an acknowledged command could be lost on a power loss; "
                "turn fsync on for a journal"
            )

    def _tables(self) -> set[str]:
        rows = self._connection.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
        ).fetchall()
        return {str(row[0]) for row in rows}

    def _open(self, key: JournalKey | None, key_path: Path | None) -> JournalKey:
        """Check (or, for a new journal, create) the schema and the key; return the key."""
        tables = self._tables() & _TABLES
        if not tables and not self.read_only:
            return self._create(key, key_path)
        if tables != _TABLES:
            found = ", ".join(sorted(tables)) or "none of ringfence's tables"
            raise JournalUnreadable(self.name, f"not a ringfence journal (found: {found})")
        meta = self._meta()
        if meta.get("schema_version") != str(SCHEMA_VERSION):
            raise JournalUnreadable(
                self.name, f"journal schema v{meta.get('schema_version')}, this code reads v{SCHEMA_VERSION}"
            )
        key = key if key is not None else _load_key(key_path)
        if meta.get("key_id") != key.key_id:
            raise JournalKeyError(
                key.source, f"key id {key.key_id}, but {self.name} was signed by key id {meta.get('key_id')}"
            )
        if not self.read_only and not self.head_path.exists() and self.head() == GENESIS_HEAD:
            write_head(self.head_path, GENESIS_HEAD, key)
        return key

    def _meta(self) -> dict[str, str]:
        return {str(k): str(v) for k, v in self._connection.execute(f"SELECT key, value FROM {META_TABLE}")}

    def _create(self, key: JournalKey | None, key_path: Path | None) -> JournalKey:
        """Initialise a new journal: key file, then schema and meta in one transaction, then the genesis head."""
        if key is None:
            key = _load_key(key_path) if key_path is None or key_path.exists() else create_key_file(key_path)
        previous = read_head(self.head_path, key)
        if previous is not None and previous.sequence > 0:
            # The database holds no journal but the head records entries: never start over silently.
            raise JournalTruncated(0, previous.sequence)
        with self._connection.transaction():
            self._connection.execute("SELECT pg_advisory_xact_lock(%s)", (_SCHEMA_LOCK,))
            for statement in _SCHEMA:
                self._connection.execute(statement)
            self._connection.execute(
                f"INSERT INTO {META_TABLE} (key, value) VALUES ('schema_version', %s), ('key_id', %s) "
                "ON CONFLICT (key) DO NOTHING",
                (str(SCHEMA_VERSION), key.key_id),
            )
        key_id = self._meta().get("key_id")
        if key_id != key.key_id:  # another process created this journal first, with another key
            raise JournalKeyError(key.source, f"key id {key.key_id}, but {self.name} was signed by key id {key_id}")
        if not self.head_path.exists():
            write_head(self.head_path, GENESIS_HEAD, key)
        return key

    # ------------------------------------------------------------------ the port

    def append(self, stream: str, expected_version: int, batch: Sequence[PendingCommand]) -> list[StoredEvent]:
        """Append a batch in one durable transaction serialised on the tail row, then record the signed head.

        Raises
        ------
        StreamConflict
            If ``stream`` is not at ``expected_version`` once this writer holds the tail.
        JournalError
            If the database cannot be written, or the head cannot be recorded after the
            commit (the batch is then durable and the head lags it, which verification accepts).
        """
        if self.read_only:
            raise JournalError(f"{self.name} was opened read-only")
        try:
            with self._lock, self._connection.transaction(), self._connection.cursor() as cursor:
                cursor.execute(f"SELECT singleton FROM {TAIL_TABLE} FOR UPDATE")
                actual = _version(cursor.execute(_STREAM_VERSION, (stream,)).fetchone())
                if actual != expected_version:
                    raise StreamConflict(stream, expected_version, actual)
                row = cursor.execute(_LAST).fetchone()
                last = JournalHead(int(row[0]), str(row[1])) if row else GENESIS_HEAD
                entries = chain_entries(last.sequence, last.hash, stream, actual, batch, self.key.secret)
                if entries:
                    cursor.executemany(_INSERT, [_row(e) for e in entries])
        except psycopg.errors.UniqueViolation:
            # Only a writer that skipped the tail lock can get here; the constraint still refuses it.
            raise StreamConflict(stream, expected_version, self.stream_version(stream)) from None
        except psycopg.Error as error:
            raise JournalError(f"journal {self.name} write failed: {_first_line(error)}") from None
        if entries:
            self._write_head(JournalHead(entries[-1].sequence, entries[-1].hash))
        return entries

    def _write_head(self, head: JournalHead) -> None:
        try:
            self._head_writer.write(head)
        except OSError as error:
            raise JournalError(f"head file {self.head_path} could not be written: {error.strerror}") from None

    def read(self, after_sequence: int = 0) -> Iterator[StoredEvent]:
        """Yield entries after ``after_sequence`` in sequence order, unverified (in pages, no long transaction)."""
        last = after_sequence
        while True:
            try:
                with self._lock:
                    rows = self._connection.execute(
                        f"SELECT {_COLUMNS} FROM {EVENTS_TABLE} WHERE sequence > %s ORDER BY sequence LIMIT %s",
                        (last, _READ_PAGE_ROWS),
                    ).fetchall()
            except psycopg.Error as error:
                raise JournalUnreadable(self.name, _first_line(error)) from None
            for row in rows:
                yield StoredEvent(*row)
            if len(rows) < _READ_PAGE_ROWS:
                return
            last = rows[-1][0]

    def signed_head(self) -> JournalHead:
        """Return the head the head file records, authenticated under the key (:func:`recorded_head`).

        Raises
        ------
        JournalCorrupted
            If the head file is missing while the journal holds entries, or does not verify.
        """
        return recorded_head(self.head_path, self.key, self.head)

    def read_verified(self) -> Iterator[StoredEvent]:
        """Yield every entry as it is verified against the key and the signed head.

        Opened for writing, a head that lags the verified journal is brought up to date at the
        end (:func:`verified_catching_up`).
        """
        write = None if self.read_only else self._write_head
        yield from verified_catching_up(self.read(), self.key.secret, self.signed_head(), write)

    def head(self) -> JournalHead:
        """Return the last entry's ``(sequence, hash)``."""
        with self._lock:
            row = self._connection.execute(_LAST).fetchone()
        return JournalHead(int(row[0]), str(row[1])) if row else GENESIS_HEAD

    def stream_version(self, stream: str) -> int:
        """Return the stream's last version (0 when empty)."""
        with self._lock:
            return _version(self._connection.execute(_STREAM_VERSION, (stream,)).fetchone())

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


def _load_key(key_path: Path | None) -> JournalKey:
    if key_path is None:
        raise JournalKeyError("(none)", f"a PostgreSQL journal needs --key-file or ${KEY_FILE_ENV}")
    return load_key_file(key_path)


def _version(row: tuple[object, ...] | None) -> int:
    value = row[0] if row else None
    return int(value) if isinstance(value, int) else 0


def _row(entry: StoredEvent) -> tuple[object, ...]:
    return (
        entry.sequence,
        entry.stream,
        entry.version,
        entry.command_id,
        entry.event_type,
        entry.schema_version,
        entry.payload,
        entry.previous_hash,
        entry.hash,
    )


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
