"""What only the PostgreSQL journal promises: several writer processes, the lock, the key and head files.

The shared contract (append, read, chain, verify, engine) is in ``test_journal_contract.py``,
run there on PostgreSQL too. Every test here runs against a real server of the test run's own
(the ``postgres_server`` fixture, ``tests/support/postgres_server.py``).
"""

from __future__ import annotations

import collections
import itertools
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from typer.testing import CliRunner

from ringfence.cli.main import app
from ringfence.core.errors import JournalError, JournalKeyError, JournalTruncated, JournalUnreadable, StreamConflict
from ringfence.core.events import CollateralDeposited
from ringfence.store.head import read_head
from ringfence.store.journal import PendingCommand
from ringfence.store.keys import JournalKey, create_key_file
from ringfence.store.postgres import EVENTS_TABLE, TAIL_TABLE, PostgresJournal, default_head_path, describe_dsn
from support.postgres_server import PostgresServer

WRITER_PATH = Path(__file__).with_name("postgres_writer.py")
WRITERS = 3
BATCHES_PER_WRITER = 40
_schemas = itertools.count()


@pytest.fixture
def dsn(postgres_server: PostgresServer) -> str:
    return postgres_server.create_schema(f"postgres_only_{next(_schemas)}")


@pytest.fixture
def journal(dsn: str, tmp_path: Path) -> Iterator[PostgresJournal]:
    opened = PostgresJournal(dsn, key_file=tmp_path / "journal.key")
    yield opened
    opened.close()


def deposits(*command_ids: str) -> list[PendingCommand]:
    return [
        PendingCommand(cid, (CollateralDeposited(owner=cid, sub_account=0, asset="USDC", amount_atoms=1),))
        for cid in command_ids
    ]


# --------------------------------------------------------------------------- several processes


def _writer_batches(writer: int) -> dict[str, int]:
    """The commands (id → event count) writer ``writer`` appends, computed from its own module."""
    sys.path.insert(0, str(WRITER_PATH.parent))
    try:
        import postgres_writer
    finally:
        sys.path.pop(0)
    return {
        pending.command_id: len(pending.events)
        for number in range(BATCHES_PER_WRITER)
        for pending in postgres_writer.batch(writer, number)
    }


def test_concurrent_writer_processes_each_acknowledged_batch_is_stored_once_and_the_chain_verifies(
    dsn: str, tmp_path: Path
) -> None:
    # Arrange: the journal exists (key file, head file) before the writers start together
    key_file = tmp_path / "journal.key"
    PostgresJournal(dsn, key_file=key_file).close()
    start = tmp_path / "start"
    processes = [
        subprocess.Popen(
            [sys.executable, str(WRITER_PATH), dsn, str(key_file), str(w), str(BATCHES_PER_WRITER), str(start)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for w in range(WRITERS)
    ]

    # Act
    start.touch()
    outputs = [process.communicate(timeout=120) for process in processes]

    # Assert: every writer finished and acknowledged all of its commands
    for process, (_, stderr) in zip(processes, outputs, strict=True):
        assert process.returncode == 0, stderr
    acknowledged: dict[str, int] = {}
    conflicts = 0
    for stdout, _ in outputs:
        for line in stdout.splitlines():
            if line == "conflict":
                conflicts += 1
                continue
            _, command_id, events = line.split()
            assert command_id not in acknowledged
            acknowledged[command_id] = int(events)
    expected = {cid: n for w in range(WRITERS) for cid, n in _writer_batches(w).items()}
    assert acknowledged == expected

    # the journal holds each acknowledged command exactly once, whole, and nothing else
    reader = PostgresJournal(dsn, key_file=key_file, read_only=True)
    try:
        count = reader.verify()  # contiguous sequence, every link, every HMAC, stream versions, the head
        entries = list(reader.read())
        head = reader.head()
    finally:
        reader.close()
    stored = collections.Counter(entry.command_id for entry in entries)
    assert dict(stored) == acknowledged
    assert count == len(entries) == sum(acknowledged.values())
    groups = [cid for cid, _ in itertools.groupby(entry.command_id for entry in entries)]
    assert len(groups) == len(acknowledged), "a command's events are not contiguous"
    # every writer reached the shared stream. Whether their batches interleave there depends on the
    # scheduler (on a loaded 2-core CI machine each process may run its batches back to back), so it
    # is not asserted; that a second writer really waits on the tail lock is shown deterministically by
    # test_a_second_writer_waits_for_the_tail_lock_then_gets_stream_conflict below
    shared_writers = {e.command_id.split("-")[0] for e in entries if e.stream == "shared"}
    assert len(shared_writers) == WRITERS
    # the head file the writers shared records the last commit (no writer moved it backwards)
    recorded = read_head(default_head_path(key_file), JournalKey(bytes.fromhex(key_file.read_text()), "test"))
    assert recorded == head
    print(f"{WRITERS} writers, {len(acknowledged)} commands, {count} entries, {conflicts} stream conflicts retried")


def test_a_second_writer_waits_for_the_tail_lock_then_gets_stream_conflict(
    journal: PostgresJournal, dsn: str, tmp_path: Path
) -> None:
    # Arrange: another session holds the tail row, as a writer in the middle of its append would
    journal.append("s", 0, deposits("first"))
    holder = psycopg.connect(dsn)
    holder.execute(f"SELECT singleton FROM {TAIL_TABLE} FOR UPDATE")
    second = PostgresJournal(dsn, key_file=tmp_path / "journal.key")
    outcome: list[BaseException | None] = []

    def append_at_version_1() -> None:
        try:
            second.append("s", 1, deposits("second"))
            outcome.append(None)
        except BaseException as error:
            outcome.append(error)

    # Act: the second writer's append must block on the lock; meanwhile the holder appends and commits
    thread = threading.Thread(target=append_at_version_1)
    thread.start()
    time.sleep(0.5)
    blocked = thread.is_alive()
    holder.execute(
        f"INSERT INTO {EVENTS_TABLE} SELECT sequence + 1, stream, version + 1, 'racer', event_type, schema_version, "
        f"payload, hash, hash FROM {EVENTS_TABLE} WHERE sequence = 1"
    )
    holder.commit()
    thread.join(timeout=10)
    holder.close()
    second.close()

    # Assert
    assert blocked, "the append did not wait for the tail row lock"
    assert len(outcome) == 1 and isinstance(outcome[0], StreamConflict)
    assert (outcome[0].expected_version, outcome[0].actual_version) == (1, 2)
    assert [e.command_id for e in journal.read()] == ["first", "racer"]


def test_unique_stream_version_rejects_a_raw_duplicate_insert(journal: PostgresJournal, dsn: str) -> None:
    (entry,) = journal.append("s", 0, deposits("c1"))

    with psycopg.connect(dsn, autocommit=True) as raw, pytest.raises(psycopg.errors.UniqueViolation):
        raw.execute(
            f"INSERT INTO {EVENTS_TABLE} VALUES (2, %s, %s, 'intruder', %s, 1, %s, %s, %s)",
            (entry.stream, entry.version, entry.event_type, entry.payload, entry.hash, "f" * 64),
        )
    assert list(journal.read()) == [entry]


def test_append_commits_with_synchronous_commit_on(journal: PostgresJournal) -> None:
    # A per-session setting: read the journal's own (private) connection, there is no public accessor.
    (level,) = journal._connection.execute("SHOW synchronous_commit").fetchone() or ("?",)

    assert level == "on"


# --------------------------------------------------------------------------- key, head, connection


def test_opening_without_a_key_file_is_refused(dsn: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RINGFENCE_JOURNAL_KEY_FILE", raising=False)

    with pytest.raises(JournalKeyError, match="needs --key-file"):
        PostgresJournal(dsn)


def test_the_key_file_may_come_from_the_environment(dsn: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    key_file = tmp_path / "venue.key"
    monkeypatch.setenv("RINGFENCE_JOURNAL_KEY_FILE", str(key_file))

    journal = PostgresJournal(dsn)
    (entry,) = journal.append("s", 0, deposits("c1"))
    journal.close()

    assert key_file.exists()
    assert journal.head_path == tmp_path / "venue.head"
    head = read_head(tmp_path / "venue.head", journal.key)
    assert head is not None and (head.sequence, head.hash) == (1, entry.hash)


def test_opening_with_another_key_is_refused_naming_both_key_ids(
    journal: PostgresJournal, dsn: str, tmp_path: Path
) -> None:
    other = create_key_file(tmp_path / "other.key")

    with pytest.raises(JournalKeyError) as raised:
        PostgresJournal(dsn, key_file=tmp_path / "other.key")

    assert other.key_id in str(raised.value) and journal.key.key_id in str(raised.value)


def test_a_wiped_database_whose_head_records_entries_is_refused_as_truncated(
    journal: PostgresJournal, postgres_server: PostgresServer, dsn: str, tmp_path: Path
) -> None:
    # Arrange: three entries, then the journal's tables are dropped behind its back
    journal.append("s", 0, deposits("c1", "c2", "c3"))
    journal.close()
    schema = dsn.rsplit("search_path=", 1)[1].rstrip("'")
    postgres_server.create_schema(schema)

    # Act / Assert
    with pytest.raises(JournalTruncated) as raised:
        PostgresJournal(dsn, key_file=tmp_path / "journal.key")
    assert raised.value.head_sequence == 3


def test_read_only_journal_never_creates_tables(dsn: str, tmp_path: Path) -> None:
    with pytest.raises(JournalUnreadable, match="not a ringfence journal"):
        PostgresJournal(dsn, key_file=tmp_path / "journal.key", read_only=True)
    assert not (tmp_path / "journal.key").exists()


def test_read_only_journal_refuses_to_append(journal: PostgresJournal, dsn: str, tmp_path: Path) -> None:
    reader = PostgresJournal(dsn, key_file=tmp_path / "journal.key", read_only=True)
    try:
        with pytest.raises(JournalError, match="read-only"):
            reader.append("s", 0, deposits("c1"))
    finally:
        reader.close()
    assert list(journal.read()) == []


def test_an_unreachable_server_is_a_named_error_without_the_password(tmp_path: Path) -> None:
    dsn = f"postgresql://venue:s3cret@/journal?host={tmp_path}&connect_timeout=2"

    with pytest.raises(JournalUnreadable) as raised:
        PostgresJournal(dsn, key_file=tmp_path / "journal.key")

    assert "s3cret" not in str(raised.value)
    assert describe_dsn(dsn) in str(raised.value)


# --------------------------------------------------------------------------- ringfence journal verify


def test_cli_journal_verify_checks_a_postgresql_journal_and_exits_4_once_it_was_edited(
    journal: PostgresJournal, postgres_server: PostgresServer, dsn: str, tmp_path: Path
) -> None:
    # Arrange: the journal lives in a schema; the CLI reaches it through a URL selecting that schema
    journal.append("s", 0, deposits("c1", "c2", "c3"))
    schema = dsn.rsplit("search_path=", 1)[1].rstrip("'")
    url = f"{postgres_server.url()}&options=-csearch_path%3D{schema}"
    arguments = ["journal", "verify", url, "--key-file", str(tmp_path / "journal.key")]

    # Act
    intact = CliRunner().invoke(app, arguments)
    with psycopg.connect(dsn, autocommit=True) as raw:
        raw.execute(f"UPDATE {EVENTS_TABLE} SET payload = replace(payload, ':1', ':2') WHERE sequence = 2")
    edited = CliRunner().invoke(app, arguments)

    # Assert
    assert intact.exit_code == 0, intact.output
    assert "3 entries, hash chain intact" in " ".join(intact.output.split())
    assert f"journal head 3:{journal.head().hash}" in intact.output
    assert edited.exit_code == 4, edited.output
    assert "journal entry 2:" in " ".join(edited.output.split())


def test_a_server_running_with_fsync_off_is_refused_for_writing(
    postgres_server: PostgresServer, dsn: str, tmp_path: Path
) -> None:
    # fsync is reloadable: switch it off on the shared test server for this test only
    with psycopg.connect(postgres_server.dsn(), autocommit=True) as admin:
        admin.execute("ALTER SYSTEM SET fsync = off")
        admin.execute("SELECT pg_reload_conf()")
        try:
            with psycopg.connect(dsn, autocommit=True) as probe:  # a reload reaches each session soon after
                deadline = time.monotonic() + 10
                while probe.execute("SHOW fsync").fetchone() != ("off",) and time.monotonic() < deadline:
                    time.sleep(0.05)
            with pytest.raises(JournalError, match="fsync = off"):
                PostgresJournal(dsn, key_file=tmp_path / "journal.key")
        finally:
            admin.execute("ALTER SYSTEM RESET fsync")
            admin.execute("SELECT pg_reload_conf()")
