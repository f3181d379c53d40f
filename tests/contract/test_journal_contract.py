"""The journal contract, run against every backend (in-memory, SQLite and PostgreSQL).

Every case that takes the ``backend`` fixture runs once per journal implementation, so the
in-memory double and the PostgreSQL journal are held to exactly what the durable SQLite
journal promises: ordered,
contiguous, atomic, optimistic-concurrency appends, and a hash chain that detects edits.
The codec cases check the exact round trip of every event type and the upcaster hook.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import closing
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import psycopg
import pytest

from ringfence.core.commands import (
    Command,
    ConfigureOracle,
    Deposit,
    RegisterAsset,
    Sent,
    SubmitPrice,
    Transfer,
    Withdraw,
)
from ringfence.core.decide import decide
from ringfence.core.errors import InsufficientBalance, JournalCorrupted, JournalTruncated, StreamConflict
from ringfence.core.events import (
    CollateralDeposited,
    CollateralTransferred,
    CollateralWithdrawn,
    Event,
)
from ringfence.core.state import LedgerState
from ringfence.service.engine import Accepted, Engine, Rejected, replay
from ringfence.store.codec import UPCASTERS
from ringfence.store.head import write_head
from ringfence.store.journal import GENESIS_HASH, Journal, PendingCommand, StoredEvent, entry_hash
from ringfence.store.keys import JournalKey
from ringfence.store.memory import MemoryJournal
from ringfence.store.postgres import EVENTS_TABLE, PostgresJournal
from ringfence.store.sqlite import SqliteJournal
from support.authority import bootstrap, open_venue, sent_as_named
from support.event_samples import EVENT_SAMPLES, LEGACY_DEPOSIT, LEGACY_DEPOSIT_PAYLOAD, rename_atoms

WAD = 10**18
SECOND_NS = 1_000_000_000
NOW_NS = 1_767_225_600 * SECOND_NS  # 2026-01-01T00:00:00Z
MAX_ATOMS = 2**128 - 1
STREAM = "clearing"


# --------------------------------------------------------------------------- harness


def _execute_raw(path: Path, sql: str, parameters: Sequence[object] = ()) -> None:
    """Run one statement on the journal file through a separate, raw sqlite3 connection."""
    with closing(sqlite3.connect(path)) as connection, connection:
        connection.execute(sql, parameters)


def _execute_postgres(dsn: str, sql: str, parameters: Sequence[object] = ()) -> None:
    """Run one statement on the journal's database through a separate, raw psycopg connection."""
    with psycopg.connect(dsn, autocommit=True) as connection:
        connection.execute(sql, parameters)  # type: ignore[arg-type]


@dataclass
class Backend:
    """One journal implementation under test, with backend-specific tampering."""

    name: str
    journal: Journal
    path: Path | None = None
    dsn: str | None = None
    key_file: Path | None = None
    _opened: list[Journal] = field(default_factory=list)

    @property
    def key(self) -> JournalKey:
        """The key the journal under test chains with."""
        assert isinstance(self.journal, MemoryJournal | SqliteJournal | PostgresJournal)
        return self.journal.key

    def execute_raw(self, sql: str, parameters: Sequence[object] = ()) -> None:
        """Run one statement (``?`` placeholders) behind the journal's back; its table is ``events``."""
        if self.dsn is not None:
            _execute_postgres(self.dsn, sql.replace("?", "%s").replace("events", EVENTS_TABLE), parameters)
        else:
            assert self.path is not None
            _execute_raw(self.path, sql, parameters)

    def rewrite(self, sequence: int, **changes: Any) -> None:
        """Overwrite columns of the stored entry ``sequence`` behind the journal's back."""
        if isinstance(self.journal, MemoryJournal):
            entry = next(e for e in self.journal.read() if e.sequence == sequence)
            self.journal.tamper(sequence - 1, replace(entry, **changes))
            return
        assignments = ", ".join(f"{column} = ?" for column in changes)
        self.execute_raw(f"UPDATE events SET {assignments} WHERE sequence = ?", [*changes.values(), sequence])

    def sign_head(self) -> None:
        """Sign the current last entry as the head, as the writer of a rewritten entry would have."""
        if isinstance(self.journal, MemoryJournal):
            self.journal.set_head(self.journal.last_entry_head())
            return
        assert isinstance(self.journal, SqliteJournal | PostgresJournal)
        write_head(self.journal.head_path, self.journal.head(), self.journal.key)

    def reopen(self) -> Journal:
        """Return a journal over the same content (a new connection for SQLite and PostgreSQL)."""
        if self.dsn is not None:
            journal: Journal = PostgresJournal(self.dsn, key_file=self.key_file)
        elif self.path is not None:
            journal = SqliteJournal(self.path)
        else:
            return self.journal
        self._opened.append(journal)
        return journal

    def close(self) -> None:
        for journal in [self.journal, *self._opened]:
            journal.close()


_schemas = itertools.count()


def _make_backend(name: str, tmp_path: Path, request: pytest.FixtureRequest) -> Backend:
    if name == "memory":
        return Backend("memory", MemoryJournal())
    if name == "sqlite":
        path = tmp_path / "journal.sqlite"
        return Backend("sqlite", SqliteJournal(path), path)
    server = request.getfixturevalue("postgres_server")
    dsn = server.create_schema(f"contract_{next(_schemas)}")
    key_file = tmp_path / "journal.key"
    return Backend("postgresql", PostgresJournal(dsn, key_file=key_file), dsn=dsn, key_file=key_file)


@pytest.fixture(params=["memory", "sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    harness = _make_backend(request.param, tmp_path, request)
    yield harness
    harness.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def durable(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    """The backends that keep a journal beyond the process (and a head file beside it)."""
    harness = _make_backend(request.param, tmp_path, request)
    yield harness
    harness.close()


@pytest.fixture
def sqlite_path(tmp_path: Path) -> Path:
    return tmp_path / "journal.sqlite"


@pytest.fixture
def sqlite_journal(sqlite_path: Path) -> Iterator[SqliteJournal]:
    journal = SqliteJournal(sqlite_path)
    yield journal
    journal.close()


def deposited(owner: str, amount_atoms: int, asset: str = "USDC", sub_account: int = 0) -> CollateralDeposited:
    return CollateralDeposited(owner=owner, sub_account=sub_account, asset=asset, amount_atoms=amount_atoms)


def command(command_id: str, *events: Event) -> PendingCommand:
    return PendingCommand(command_id, tuple(events))


def single_deposits(count: int, start: int = 1) -> list[PendingCommand]:
    """``count`` one-event commands ``c{start}``, ``c{start+1}`` … with distinct amounts."""
    return [command(f"c{n}", deposited(f"owner{n}", 2**70 + n)) for n in range(start, start + count)]


def fill(journal: Journal, count: int) -> list[StoredEvent]:
    return journal.append(STREAM, 0, single_deposits(count))


# --------------------------------------------------------------------------- append / read


def test_append_then_read_returns_entries_in_order_with_contiguous_sequence_and_version(backend: Backend) -> None:
    # Arrange
    journal = backend.journal
    first, second = single_deposits(2), single_deposits(3, start=3)

    # Act
    appended = journal.append(STREAM, 0, first) + journal.append(STREAM, 2, second)
    stored = list(journal.read())

    # Assert
    assert stored == appended
    assert [e.sequence for e in stored] == [1, 2, 3, 4, 5]
    assert [(e.stream, e.version) for e in stored] == [(STREAM, v) for v in range(1, 6)]
    assert [e.command_id for e in stored] == ["c1", "c2", "c3", "c4", "c5"]
    assert [e.event() for e in stored] == [event for pending in first + second for event in pending.events]
    assert journal.stream_version(STREAM) == 5


def test_read_after_a_sequence_yields_only_the_later_entries(backend: Backend) -> None:
    # Arrange
    entries = fill(backend.journal, 5)

    # Act
    later = list(backend.journal.read(after_sequence=3))

    # Assert
    assert later == entries[3:]
    assert list(backend.journal.read(after_sequence=5)) == []


def test_empty_journal_reads_nothing_and_verifies_zero_entries(backend: Backend) -> None:
    assert list(backend.journal.read()) == []
    assert backend.journal.stream_version(STREAM) == 0
    assert backend.journal.verify() == 0


def test_batch_of_several_commands_is_appended_as_one_contiguous_unit(backend: Backend) -> None:
    # Arrange: three commands of 2, 1 and 3 events
    batch = [
        command("a", deposited("alice", 5), deposited("alice", 6, sub_account=1)),
        command(
            "b",
            CollateralTransferred(owner="alice", from_sub_account=0, to_sub_account=1, asset="USDC", amount_atoms=2),
        ),
        command(
            "c",
            deposited("bob", 1),
            deposited("bob", 2),
            CollateralWithdrawn(owner="bob", sub_account=0, asset="USDC", amount_atoms=3),
        ),
    ]

    # Act
    entries = backend.journal.append(STREAM, 0, batch)

    # Assert
    assert [e.command_id for e in entries] == ["a", "a", "b", "c", "c", "c"]
    assert [e.version for e in entries] == [1, 2, 3, 4, 5, 6]
    assert list(backend.journal.read()) == entries
    assert backend.journal.stream_version(STREAM) == 6


def test_batch_failing_on_its_last_command_writes_none_of_its_commands(backend: Backend) -> None:
    # Arrange: an event whose payload cannot be encoded fails the batch part-way through
    journal = backend.journal
    before = fill(journal, 2)
    unencodable = CollateralDeposited(owner="carol", sub_account=0, asset="USDC", amount_atoms=object())  # type: ignore[arg-type]
    batch = [*single_deposits(2, start=3), command("bad", unencodable)]

    # Act
    with pytest.raises(TypeError):
        journal.append(STREAM, 2, batch)

    # Assert: nothing of the batch, and the journal still accepts the next append at version 2
    assert list(journal.read()) == before
    assert journal.stream_version(STREAM) == 2
    assert [e.sequence for e in journal.append(STREAM, 2, single_deposits(2, start=3))] == [3, 4]
    assert journal.verify() == 4


@pytest.mark.parametrize("expected_version", [0, 1, 3, 7], ids=["behind-by-2", "behind-by-1", "ahead", "far-ahead"])
def test_wrong_expected_version_raises_stream_conflict_and_writes_nothing(
    backend: Backend, expected_version: int
) -> None:
    # Arrange
    journal = backend.journal
    before = fill(journal, 2)

    # Act
    with pytest.raises(StreamConflict) as raised:
        journal.append(STREAM, expected_version, single_deposits(3, start=3))

    # Assert
    assert (raised.value.stream, raised.value.expected_version, raised.value.actual_version) == (
        STREAM,
        expected_version,
        2,
    )
    assert list(journal.read()) == before
    assert journal.stream_version(STREAM) == 2
    assert journal.verify() == 2


def test_two_streams_keep_independent_versions_over_one_global_sequence(backend: Backend) -> None:
    # Arrange
    journal = backend.journal

    # Act
    journal.append("alpha", 0, single_deposits(2))
    journal.append("beta", 0, single_deposits(1, start=3))
    journal.append("alpha", 2, single_deposits(1, start=4))

    # Assert
    stored = list(journal.read())
    assert [(e.sequence, e.stream, e.version) for e in stored] == [
        (1, "alpha", 1),
        (2, "alpha", 2),
        (3, "beta", 1),
        (4, "alpha", 3),
    ]
    assert (journal.stream_version("alpha"), journal.stream_version("beta"), journal.stream_version("gamma")) == (
        3,
        1,
        0,
    )
    with pytest.raises(StreamConflict):
        journal.append("beta", 3, single_deposits(1, start=5))
    assert journal.verify() == 4


# --------------------------------------------------------------------------- hash chain


def test_hash_chain_links_each_entry_to_the_previous_hash_from_genesis(backend: Backend) -> None:
    # Arrange / Act
    fill(backend.journal, 2)
    backend.journal.append(STREAM, 2, single_deposits(3, start=3))
    stored = list(backend.journal.read())

    # Assert
    assert stored[0].previous_hash == GENESIS_HASH
    for before, after in itertools.pairwise(stored):
        assert after.previous_hash == before.hash
    secret = backend.key.secret
    for entry in stored:
        # Independent of entry_hash: the documented HMAC-SHA256 over the fields as one compact JSON array.
        material = json.dumps(
            [
                entry.previous_hash,
                entry.sequence,
                entry.stream,
                entry.version,
                entry.command_id,
                entry.event_type,
                entry.schema_version,
                entry.payload,
            ],
            ensure_ascii=False,
            separators=(",", ":"),
        )
        assert entry.hash == hmac.new(secret, material.encode(), hashlib.sha256).hexdigest()
    assert len({entry.hash for entry in stored}) == len(stored)


def test_verify_returns_the_entry_count(backend: Backend) -> None:
    fill(backend.journal, 4)
    backend.journal.append("other", 0, single_deposits(3, start=5))

    assert backend.journal.verify() == 7


def test_verify_detects_an_edited_payload_and_names_its_sequence(backend: Backend) -> None:
    # Arrange
    entries = fill(backend.journal, 5)
    forged = json.loads(entries[2].payload) | {"amount_atoms": 2**100}

    # Act
    backend.rewrite(3, payload=json.dumps(forged, sort_keys=True, separators=(",", ":")))

    # Assert
    with pytest.raises(JournalCorrupted) as raised:
        backend.journal.verify()
    assert raised.value.sequence == 3
    assert "journal entry 3" in str(raised.value)


def test_verify_detects_an_edited_entry_whose_own_hash_was_recomputed_at_the_next_link(backend: Backend) -> None:
    # Arrange
    entries = fill(backend.journal, 5)
    target = entries[2]
    payload = target.payload.replace(str(2**70 + 3), str(2**70 + 999))
    rehashed = entry_hash(
        target.previous_hash, 3, target.stream, 3, target.command_id, target.event_type, 1, payload, backend.key.secret
    )

    # Act
    backend.rewrite(3, payload=payload, hash=rehashed)

    # Assert
    with pytest.raises(JournalCorrupted) as raised:
        backend.journal.verify()
    assert raised.value.sequence == 4
    assert "previous-hash link" in raised.value.reason


def test_verify_detects_two_swapped_payloads_at_the_first_of_them(backend: Backend) -> None:
    # Arrange
    entries = fill(backend.journal, 5)

    # Act
    backend.rewrite(2, payload=entries[3].payload)
    backend.rewrite(4, payload=entries[1].payload)

    # Assert
    with pytest.raises(JournalCorrupted) as raised:
        backend.journal.verify()
    assert raised.value.sequence == 2


def test_verify_detects_a_field_boundary_shift_between_stream_and_command_id(backend: Backend) -> None:
    # Arrange: a command id containing a newline (the engine accepts any string as an id).
    # Regression: entry_hash used to join the fields with "\n", so this relabelling kept the hash.
    backend.journal.append("s", 0, [command("1\nc", deposited("alice", 5))])

    # Act: relabel the entry's stream and command id without touching its hash
    backend.rewrite(1, stream="s\n1", command_id="c")

    # Assert
    with pytest.raises(JournalCorrupted) as raised:
        backend.journal.verify()
    assert raised.value.sequence == 1


# --------------------------------------------------------------------------- codec


def test_every_event_type_round_trips_through_the_journal(backend: Backend) -> None:
    # Arrange
    batch = [command(f"sample-{i}", event) for i, event in enumerate(EVENT_SAMPLES)]

    # Act
    backend.journal.append(STREAM, 0, batch)
    stored = list(backend.reopen().read())

    # Assert
    assert [entry.event() for entry in stored] == list(EVENT_SAMPLES)
    assert backend.journal.verify() == len(EVENT_SAMPLES)


def _store_legacy_entry(backend: Backend) -> None:
    """Turn entry 1 into a correctly hashed schema-v0 entry, as an older release would have written."""
    backend.journal.append(STREAM, 0, [command("c1", LEGACY_DEPOSIT)])
    digest = entry_hash(
        GENESIS_HASH, 1, STREAM, 1, "c1", "CollateralDeposited", 0, LEGACY_DEPOSIT_PAYLOAD, backend.key.secret
    )
    backend.rewrite(1, schema_version=0, payload=LEGACY_DEPOSIT_PAYLOAD, hash=digest)
    backend.sign_head()


def test_stored_legacy_entry_is_upcast_when_read_and_verified(
    backend: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Arrange
    _store_legacy_entry(backend)
    monkeypatch.setitem(UPCASTERS, ("CollateralDeposited", 0), rename_atoms)

    # Act
    count = backend.journal.verify()
    (entry,) = backend.journal.read()

    # Assert
    assert count == 1
    assert (entry.schema_version, entry.payload) == (0, LEGACY_DEPOSIT_PAYLOAD)
    assert entry.event() == LEGACY_DEPOSIT


def test_stored_legacy_entry_without_its_upcaster_fails_verification(backend: Backend) -> None:
    _store_legacy_entry(backend)

    with pytest.raises(JournalCorrupted) as raised:
        backend.journal.verify()

    assert raised.value.sequence == 1
    assert "no upcaster" in raised.value.reason


# --------------------------------------------------------------------------- durable backends (SQLite, PostgreSQL)


def test_durable_reopened_journal_sees_the_same_entries(durable: Backend) -> None:
    # Arrange
    writer = durable.journal
    written = fill(writer, 3) + writer.append("other", 0, single_deposits(2, start=4))
    writer.close()

    # Act
    reader = durable.reopen()
    stored = list(reader.read())
    versions = (reader.stream_version(STREAM), reader.stream_version("other"))
    count = reader.verify()

    # Assert
    assert stored == written
    assert versions == (3, 2)
    assert count == 5


def test_durable_reopened_journal_continues_the_chain(durable: Backend) -> None:
    # Arrange
    fill(durable.journal, 2)
    durable.journal.close()

    # Act
    reopened = durable.reopen()
    more = reopened.append(STREAM, 2, single_deposits(2, start=3))
    count = reopened.verify()

    # Assert
    assert [(e.sequence, e.version) for e in more] == [(3, 3), (4, 4)]
    assert count == 4


def test_durable_verify_detects_a_deleted_middle_row_at_the_gap(durable: Backend) -> None:
    # Arrange
    fill(durable.journal, 5)

    # Act
    durable.execute_raw("DELETE FROM events WHERE sequence = 3")

    # Assert
    with pytest.raises(JournalCorrupted) as raised:
        durable.journal.verify()
    assert raised.value.sequence == 4
    assert "expected sequence 3" in raised.value.reason


def test_durable_verify_detects_a_deleted_last_row_against_the_signed_head(durable: Backend) -> None:
    # Truncating the tail leaves a valid shorter chain; the head file outside the journal records entry 5.
    fill(durable.journal, 5)

    durable.execute_raw("DELETE FROM events WHERE sequence = 5")

    with pytest.raises(JournalTruncated) as raised:
        durable.journal.verify()
    assert (raised.value.last_sequence, raised.value.head_sequence) == (4, 5)


def test_durable_verify_detects_a_chain_rebuilt_without_the_key(durable: Backend) -> None:
    # Arrange: an editor recomputes every hash after an edit, but with plain SHA-256 (no key)
    entries = fill(durable.journal, 3)
    previous = GENESIS_HASH
    for entry in entries:
        payload = entry.payload.replace(str(2**70 + entry.sequence), "1") if entry.sequence == 2 else entry.payload
        digest = entry_hash(
            previous, entry.sequence, entry.stream, entry.version, entry.command_id, entry.event_type, 1, payload
        )
        durable.rewrite(entry.sequence, payload=payload, previous_hash=previous, hash=digest)
        previous = digest

    # Act / Assert
    with pytest.raises(JournalCorrupted) as raised:
        durable.journal.verify()
    assert raised.value.sequence == 1
    assert "without the key" in raised.value.reason


# --------------------------------------------------------------------------- SQLite only


def test_sqlite_file_is_in_wal_mode(sqlite_path: Path, sqlite_journal: SqliteJournal) -> None:
    # journal_mode=WAL is persistent, so a separate connection to the file reports it.
    with closing(sqlite3.connect(sqlite_path)) as connection:
        (mode,) = connection.execute("PRAGMA journal_mode").fetchone()

    assert mode == "wal"


def test_sqlite_journal_connection_uses_synchronous_full(sqlite_journal: SqliteJournal) -> None:
    # synchronous is a per-connection setting, so this reads the journal's own (private)
    # ``_connection``: no public accessor exists. 2 == FULL.
    (level,) = sqlite_journal._connection.execute("PRAGMA synchronous").fetchone()

    assert level == 2


def test_sqlite_unique_stream_version_rejects_a_raw_duplicate_insert(
    sqlite_path: Path, sqlite_journal: SqliteJournal
) -> None:
    # Arrange
    (entry,) = fill(sqlite_journal, 1)

    # Act / Assert: a second writer bypassing the version check still cannot reuse (stream, version)
    with pytest.raises(sqlite3.IntegrityError, match=r"UNIQUE constraint failed: events\.stream, events\.version"):
        _execute_raw(
            sqlite_path,
            "INSERT INTO events (sequence, stream, version, command_id, event_type, schema_version, payload, "
            "previous_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [2, entry.stream, entry.version, "intruder", entry.event_type, 1, entry.payload, entry.hash, "f" * 64],
        )
    assert list(sqlite_journal.read()) == [entry]


# --------------------------------------------------------------------------- engine over each backend


def _listing() -> list[Sent]:
    """The admin's genesis: governance, USDC and ETH with its oracle, then opening the venue."""
    genesis: list[Command] = [
        bootstrap(NOW_NS),
        RegisterAsset("USDC", 6, 98 * WAD // 100, 99 * WAD // 100, MAX_ATOMS, MAX_ATOMS, NOW_NS),
        RegisterAsset("ETH", 18, 80 * WAD // 100, 85 * WAD // 100, 10**30, MAX_ATOMS, NOW_NS),
        ConfigureOracle(
            asset="ETH",
            source_names=("chainlink", "pyth"),
            source_weights=(1, 1),
            quorum=1,
            max_staleness_ns=120 * SECOND_NS,
            max_deviation_wad=2 * WAD // 100,
            max_confidence_wad=WAD // 100,
            max_jump_wad=15 * WAD // 100,
            guard_release_ns=300 * SECOND_NS,
            delay_interval_seconds=3600,
            delay_growth_limit_wad=6 * WAD // 100,
            stable_growth_limit_wad=3 * WAD // 10_000,
            timestamp_ns=NOW_NS,
        ),
        open_venue(NOW_NS),
    ]
    return sent_as_named(genesis)


def _activity() -> list[list[Sent]]:
    later = NOW_NS + 30 * SECOND_NS
    batches: list[list[Command]] = [
        [
            SubmitPrice("ETH", "chainlink", 3_000 * WAD, 0, NOW_NS, NOW_NS),
            SubmitPrice("ETH", "pyth", 3_001 * WAD, 0, NOW_NS, NOW_NS),
        ],
        [
            Deposit("alice", 0, "USDC", 25_000 * 10**6, later),
            Deposit("alice", 0, "ETH", 2**70, later),
            Deposit("bob", 1, "USDC", 1_000_000_001, later),
        ],
        [
            Transfer("alice", 0, 1, "ETH", 2**69, later),
            Withdraw("bob", 1, "USDC", 250 * 10**6, later),
            Withdraw("bob", 1, "USDC", 10**12, later),  # more than bob holds: rejected, leaves no trace
        ],
    ]
    return [sent_as_named(batch) for batch in batches]


def _run_script(engine: Engine) -> list[list[Accepted | Rejected]]:
    outcomes = [engine.execute_batch(_listing(), ["governance", "list-usdc", "list-eth", "oracle-eth", "open"])]
    for number, batch in enumerate(_activity()):
        outcomes.append(engine.execute_batch(batch, [f"b{number}-{i}" for i in range(len(batch))]))
    return outcomes


def test_second_engine_over_the_same_journal_rebuilds_an_equal_state(backend: Backend) -> None:
    # Arrange
    first = Engine(backend.journal)
    outcomes = _run_script(first)

    # Act
    second = Engine(backend.reopen())

    # Assert
    rejected = [outcome for batch in outcomes for outcome in batch if isinstance(outcome, Rejected)]
    assert [(r.command_id, type(r.error)) for r in rejected] == [("b2-2", InsufficientBalance)]
    assert "ETH" in second.state.oracles and second.state.oracles["ETH"].accepted_price_wad is not None
    assert second.state == first.state
    assert second.state is not first.state
    assert second.state.accounts[("alice", 1)].balances == {"ETH": 2**69}
    assert "b2-2" not in {entry.command_id for entry in backend.journal.read()}


def test_second_engine_continues_writing_where_the_first_stopped(backend: Backend) -> None:
    # Arrange
    first = Engine(backend.journal)
    _run_script(first)
    second = Engine(backend.reopen())

    # Act
    second.execute(Deposit("carol", 0, "USDC", 7, NOW_NS + 60 * SECOND_NS), sender="carol", command_id="late")
    third = Engine(backend.reopen())

    # Assert
    assert third.state == second.state
    assert third.state.accounts[("carol", 0)].balances == {"USDC": 7}
    assert backend.reopen().verify() == len(list(backend.journal.read()))


def test_engine_state_equals_a_replay_of_its_journal_after_each_batch(backend: Backend) -> None:
    engine = Engine(backend.journal)
    engine.execute_batch(_listing())

    for batch in _activity():
        engine.execute_batch(batch)
        assert replay(backend.reopen().read()) == engine.state


def test_batch_raising_an_unexpected_error_leaves_live_state_equal_to_the_journal(
    backend: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Arrange: decide() fails with a non-RingfenceError on the batch's second command, after the
    # first one was already applied to the live state (regression: that deposit used to stay in memory)
    engine = Engine(backend.journal)
    engine.execute_batch(_listing())

    def decide_failing_on_withdraw(state: LedgerState, requested: Command, sender: str) -> list[Event]:
        if isinstance(requested, Withdraw):
            raise RuntimeError("bug inside decide")
        return decide(state, requested, sender)

    monkeypatch.setattr("ringfence.core.apply.decide", decide_failing_on_withdraw)  # the engine decides through apply

    # Act
    with pytest.raises(RuntimeError, match="bug inside decide"):
        engine.execute_batch(
            sent_as_named([Deposit("alice", 0, "USDC", 5, NOW_NS), Withdraw("alice", 0, "USDC", 1, NOW_NS)])
        )

    # Assert
    assert engine.state == replay(backend.journal.read())
    assert ("alice", 0) not in engine.state.accounts


def test_stale_engine_gets_stream_conflict_and_reloads_the_journal_state(backend: Backend) -> None:
    # Arrange: two engines on one stream; the first writes after the second was built
    first = Engine(backend.journal)
    first.execute_batch(_listing())
    stale = Engine(backend.reopen())
    first.execute(Deposit("alice", 0, "USDC", 5, NOW_NS), sender="alice", command_id="first-writer")

    # Act
    with pytest.raises(StreamConflict):
        stale.execute(Deposit("bob", 0, "USDC", 7, NOW_NS), sender="bob", command_id="stale-writer")

    # Assert: nothing of the stale batch anywhere; after reloading, the stale engine writes normally
    assert stale.state == first.state
    assert "stale-writer" not in {entry.command_id for entry in backend.journal.read()}
    stale.execute(Deposit("bob", 0, "USDC", 7, NOW_NS), sender="bob", command_id="retried")
    assert replay(backend.reopen().read()).accounts[("bob", 0)].balances == {"USDC": 7}
