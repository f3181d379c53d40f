"""Tamper evidence of the SQLite journal: a keyed chain and a signed head beside the journal.

Each attack is made behind the journal's back with a raw ``sqlite3`` connection (or by
editing the files), as someone with access to the journal's folder but not to its key
would. ``ringfence journal verify``, ``ringfence venue show`` and the engine's start-up must
each refuse the result with a named error and exit 4; ``verify`` and ``show`` must leave a
file that is not a journal byte-identical.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
from collections.abc import Sequence
from contextlib import closing
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from ringfence.cli.main import app
from ringfence.core.commands import Deposit, RegisterAsset
from ringfence.core.errors import JournalKeyError, JournalNotAdopted, JournalTruncated
from ringfence.core.events import CollateralDeposited
from ringfence.service.engine import Accepted, Engine
from ringfence.store.codec import encode_event
from ringfence.store.head import JournalHead, head_path, read_head
from ringfence.store.journal import GENESIS_HASH
from ringfence.store.keys import default_key_path, load_key_file
from ringfence.store.sqlite import SqliteJournal
from support.authority import bootstrap, open_venue, sent_as_named
from support.identities import make_identities

runner = CliRunner()
START_NS = 1_767_225_600 * 10**9
REGISTER = RegisterAsset(
    asset="USDC",
    decimals=6,
    initial_weight_wad=10**18,
    maintenance_weight_wad=10**18,
    supply_cap_atoms=2**100,
    weight_scale_start_value=2**100,
    timestamp_ns=START_NS,
)
DEPOSITS = 5
AMOUNT_ATOMS = 1_000_000
GENESIS_ENTRIES = 4
"""The genesis batch: ConfigureGovernance (GovernanceConfigured and the admin's RoleGranted), the
register (AssetRegistered) and OpenVenue (VenueOpened). Deposit ``n`` (from 1) is entry 4 + n."""
LAST = GENESIS_ENTRIES + DEPOSITS
"""The last entry of :func:`write_journal`'s journal: 4 + 5 = 9 (it was 6 when the register alone was the genesis)."""
FORGED = GENESIS_ENTRIES + 3
"""The entry of the third deposit (7), the one the forgery attacks edit."""


def invoke(*args: str | Path) -> Result:
    return runner.invoke(app, [str(arg) for arg in args])


def output(result: Result) -> str:
    """The CLI's output with rich's line wrapping undone."""
    return " ".join(result.output.split())


def write_journal(path: Path, deposits: int = DEPOSITS) -> None:
    """The admin's genesis (entries 1..4, one batch) and ``deposits`` deposits of 1 USDC, one command
    each, in a second batch: entries 5..4+deposits. Each command is sent by the principal it names."""
    journal = SqliteJournal(path)
    try:
        engine = Engine(journal)
        genesis = engine.execute_batch(
            sent_as_named([bootstrap(START_NS), REGISTER, open_venue(START_NS)]), atomic=True
        )
        assert sum(len(outcome.events) for outcome in genesis if isinstance(outcome, Accepted)) == GENESIS_ENTRIES
        deposits_sent = sent_as_named(Deposit(f"owner{n}", 0, "USDC", AMOUNT_ATOMS, START_NS) for n in range(deposits))
        engine.execute_batch(deposits_sent)
    finally:
        journal.close()


def execute_raw(path: Path, sql: str, parameters: Sequence[object] = ()) -> None:
    with closing(sqlite3.connect(path)) as connection, connection:
        connection.execute(sql, parameters)


def rows(path: Path) -> list[tuple[object, ...]]:
    with closing(sqlite3.connect(path)) as connection:
        return connection.execute(
            "SELECT sequence, stream, version, command_id, event_type, schema_version, payload FROM events "
            "ORDER BY sequence"
        ).fetchall()


def rebuild_unkeyed(path: Path, forge: dict[int, str]) -> None:
    """Replace payloads, then recompute every hash as the old unkeyed chain did (SHA-256 of the JSON array)."""
    previous = GENESIS_HASH
    with closing(sqlite3.connect(path)) as connection, connection:
        for sequence, stream, version, command_id, event_type, schema, stored in rows(path):
            payload = forge.get(int(str(sequence)), str(stored))
            material = json.dumps(
                [previous, sequence, stream, version, command_id, event_type, schema, payload],
                ensure_ascii=False,
                separators=(",", ":"),
            )
            digest = hashlib.sha256(material.encode()).hexdigest()
            connection.execute(
                "UPDATE events SET payload = ?, previous_hash = ?, hash = ? WHERE sequence = ?",
                (payload, previous, digest, sequence),
            )
            previous = digest


def last_hash(path: Path) -> str:
    with closing(sqlite3.connect(path)) as connection:
        (digest,) = connection.execute("SELECT hash FROM events ORDER BY sequence DESC LIMIT 1").fetchone()
    return str(digest)


def forged_deposit(path: Path, sequence: int) -> str:
    """The payload of entry ``sequence`` with its amount multiplied by 100."""
    payload = str(next(row[6] for row in rows(path) if row[0] == sequence))
    body = json.loads(payload)
    body["amount_atoms"] *= 100
    return json.dumps(body, sort_keys=True, separators=(",", ":"))


@pytest.fixture
def journal_path(tmp_path: Path) -> Path:
    path = tmp_path / "journal.sqlite"
    write_journal(path)
    return path


# --------------------------------------------------------------------------- the four attacks


def test_a_truncated_tail_is_detected_against_the_signed_head(journal_path: Path) -> None:
    # Arrange: entries 1..4 (genesis) and 5..9 (deposits); remove the last one
    execute_raw(journal_path, "DELETE FROM events WHERE sequence = ?", (LAST,))

    # Act
    result = invoke("journal", "verify", journal_path)

    # Assert
    assert result.exit_code == 4, result.output
    assert "JournalTruncated" in output(result)
    assert f"ends at entry {LAST - 1} but its signed head records entry {LAST}" in output(result)


def test_half_of_one_commands_events_removed_is_detected(tmp_path: Path) -> None:
    # Arrange: a venue whose last command (a liquidation) wrote several events; remove the last of them
    path = tmp_path / "journal.sqlite"
    examples = Path(__file__).parents[2] / "examples"
    ids = make_identities(tmp_path / "identities")
    script = examples / "script.toml"
    applied = invoke("venue", "apply", examples / "venue.toml", script, "--journal", path, "--identity-dir", ids)
    assert applied.exit_code == 0, applied.output
    with closing(sqlite3.connect(path)) as connection:
        (last,) = connection.execute("SELECT MAX(sequence) FROM events").fetchone()
        (command_id,) = connection.execute("SELECT command_id FROM events WHERE sequence = ?", (last,)).fetchone()
        (events,) = connection.execute("SELECT COUNT(*) FROM events WHERE command_id = ?", (command_id,)).fetchone()
    assert events >= 2  # the last command wrote several events, so removing one leaves half of it
    execute_raw(path, "DELETE FROM events WHERE sequence = ?", (last,))

    # Act
    verified = invoke("journal", "verify", path)
    shown = invoke("venue", "show", "--journal", path)

    # Assert
    assert verified.exit_code == 4, verified.output
    assert shown.exit_code == 4, shown.output
    assert f"signed head records entry {last}" in output(verified)
    assert "JournalTruncated" in output(shown)


def test_a_deleted_middle_row_is_detected(journal_path: Path) -> None:
    # the second deposit (entry 6): the third (entry 7) is then read where 6 was expected
    execute_raw(journal_path, "DELETE FROM events WHERE sequence = ?", (GENESIS_ENTRIES + 2,))

    result = invoke("journal", "verify", journal_path)

    assert result.exit_code == 4, result.output
    assert "journal entry 7: expected sequence 6" in output(result)


def test_an_edited_row_is_detected(journal_path: Path) -> None:
    execute_raw(
        journal_path, "UPDATE events SET payload = ? WHERE sequence = ?", (forged_deposit(journal_path, FORGED), FORGED)
    )

    result = invoke("journal", "verify", journal_path)

    assert result.exit_code == 4, result.output
    assert f"journal entry {FORGED}: content does not match its hash" in output(result)


def test_a_row_edited_to_a_value_of_another_type_is_detected(journal_path: Path) -> None:
    # SQLite keeps a BLOB in a TEXT column: the check must name it, not fail inside the hashing
    # (entry 6, the second deposit, as entry 3 was before the genesis grew to four entries)
    execute_raw(journal_path, "UPDATE events SET payload = X'00ff' WHERE sequence = ?", (GENESIS_ENTRIES + 2,))

    result = invoke("journal", "verify", journal_path)

    assert result.exit_code == 4, result.output
    assert "journal entry 6: a column holds a value of the wrong type" in output(result)


def test_a_chain_rebuilt_without_the_key_is_detected(journal_path: Path) -> None:
    # Arrange: the attack that passed before keyed chains: forge a deposit x100, recompute every hash
    rebuild_unkeyed(journal_path, {FORGED: forged_deposit(journal_path, FORGED)})

    # Act
    result = invoke("journal", "verify", journal_path)

    # Assert: entry 1 already fails, its hash is no HMAC under the key
    assert result.exit_code == 4, result.output
    assert "journal entry 1: content does not match its hash (edited entry, or a chain rebuilt without the key)" in (
        output(result)
    )


def test_a_rebuilt_chain_with_its_head_file_deleted_is_still_refused(journal_path: Path) -> None:
    rebuild_unkeyed(journal_path, {FORGED: forged_deposit(journal_path, FORGED)})
    head_path(journal_path).unlink()

    result = invoke("journal", "verify", journal_path)

    assert result.exit_code == 4, result.output
    assert f"is missing while the journal holds {LAST} entries" in output(result)


def test_the_engine_refuses_to_start_on_a_tampered_journal(journal_path: Path) -> None:
    execute_raw(journal_path, "DELETE FROM events WHERE sequence = ?", (LAST,))
    journal = SqliteJournal(journal_path)
    try:
        with pytest.raises(JournalTruncated):
            Engine(journal)
    finally:
        journal.close()


def test_a_forged_head_file_is_refused(journal_path: Path) -> None:
    # Arrange: truncate, and rewrite both head slots to match, without the key (the MAC cannot be recomputed)
    execute_raw(journal_path, "DELETE FROM events WHERE sequence = ?", (LAST,))
    with closing(sqlite3.connect(journal_path)) as connection:
        (digest,) = connection.execute("SELECT hash FROM events WHERE sequence = ?", (LAST - 1,)).fetchone()
    slots = head_path(journal_path).read_bytes()
    forged = b""
    for index in (0, 1):
        body = json.loads(slots[index * 512 : (index + 1) * 512]) | {"sequence": LAST - 1, "hash": digest}
        forged += json.dumps(body, sort_keys=True).encode().ljust(511) + b"\n"
    head_path(journal_path).write_bytes(forged)

    # Act
    result = invoke("journal", "verify", journal_path)

    # Assert
    assert result.exit_code == 4, result.output
    assert "does not verify under the key (forged or edited)" in output(result)


def test_a_head_slot_torn_by_a_crash_falls_back_to_the_other_slot(journal_path: Path) -> None:
    # Arrange: the writer alternates slots, so one holds entry 9 (the newest) and the other the head before it
    data = bytearray(head_path(journal_path).read_bytes())
    newest = max((0, 1), key=lambda index: json.loads(data[index * 512 : (index + 1) * 512])["sequence"])
    data[newest * 512 + 100 : newest * 512 + 200] = b"\0" * 100  # a torn write of the newest slot

    # Act
    head_path(journal_path).write_bytes(bytes(data))
    result = invoke("journal", "verify", journal_path)

    # Assert: the older head (entry 4, the genesis batch) is reached; entries past it verify under the key
    assert result.exit_code == 0, result.output
    assert f"{LAST} entries, hash chain intact" in output(result)


def test_a_deleted_journal_is_not_silently_started_over(journal_path: Path) -> None:
    journal_path.unlink()

    with pytest.raises(JournalTruncated):
        SqliteJournal(journal_path)


def test_a_published_head_catches_a_rollback_of_both_files(tmp_path: Path) -> None:
    # Arrange: an old copy of journal and head, then the venue grows; the attacker restores the copies
    path = tmp_path / "journal.sqlite"
    write_journal(path, deposits=2)
    saved = tmp_path / "saved"
    saved.mkdir()
    for file in (path, head_path(path)):
        shutil.copy(file, saved / file.name)
    journal = SqliteJournal(path)
    Engine(journal).execute(Deposit("late", 0, "USDC", AMOUNT_ATOMS, START_NS), sender="late")
    published = journal.head()
    journal.close()
    for file in (path, head_path(path)):
        shutil.copy(saved / file.name, file)

    # Act
    local = invoke("journal", "verify", path)
    against_published = invoke("journal", "verify", path, "--expect-head", published.text())

    # Assert: consistent on their own; the published head shows the rollback
    assert local.exit_code == 0, local.output
    assert against_published.exit_code == 4, against_published.output
    # 4 genesis entries and 2 deposits in the copies; the late deposit is entry 7
    assert "ends at entry 6 but its signed head records entry 7" in output(against_published)


# --------------------------------------------------------------------------- crash lag: longer than the head


def test_a_journal_longer_than_its_head_verifies_and_a_writer_brings_the_head_up(journal_path: Path) -> None:
    # Arrange: a crash between a commit and the head's rewrite leaves the previous head
    stale = head_path(journal_path).read_bytes()
    journal = SqliteJournal(journal_path)
    Engine(journal).execute(Deposit("late", 0, "USDC", AMOUNT_ATOMS, START_NS), sender="late")
    journal.close()
    head_path(journal_path).write_bytes(stale)

    # Act
    verified = invoke("journal", "verify", journal_path)
    after_verify = head_path(journal_path).read_bytes()
    writer = SqliteJournal(journal_path)
    Engine(writer)
    writer.close()

    # Assert: 10 entries accepted past a head at 9; verify wrote nothing; the engine's start-up updated the head
    assert verified.exit_code == 0, verified.output
    assert f"{LAST + 1} entries" in output(verified)
    assert after_verify == stale
    assert read_head(head_path(journal_path), load_key_file(default_key_path(journal_path))) == JournalHead(
        LAST + 1, last_hash(journal_path)
    )


def test_an_extension_past_the_head_must_verify_under_the_key(journal_path: Path) -> None:
    # Arrange: the head says 9; someone appends an entry 10 (stream version 10: one stream) chained without the key
    extra = LAST + 1
    with closing(sqlite3.connect(journal_path)) as connection:
        (last_hash,) = connection.execute("SELECT hash FROM events WHERE sequence = ?", (LAST,)).fetchone()
    event_type, schema, payload = encode_event(
        CollateralDeposited(owner="x", sub_account=0, asset="USDC", amount_atoms=5)
    )
    material = json.dumps(
        [last_hash, extra, "clearing", extra, "forged", event_type, schema, payload], separators=(",", ":")
    )
    execute_raw(
        journal_path,
        "INSERT INTO events VALUES (?, 'clearing', ?, 'forged', ?, ?, ?, ?, ?)",
        (extra, extra, event_type, schema, payload, last_hash, hashlib.sha256(material.encode()).hexdigest()),
    )

    result = invoke("journal", "verify", journal_path)

    assert result.exit_code == 4, result.output
    assert f"journal entry {extra}: content does not match its hash" in output(result)


# --------------------------------------------------------------------------- read-only: never writes


def test_verify_and_show_leave_an_empty_file_byte_identical(tmp_path: Path) -> None:
    path = tmp_path / "empty.sqlite"
    path.write_bytes(b"")

    verified = invoke("journal", "verify", path)
    shown = invoke("venue", "show", "--journal", path)

    assert (verified.exit_code, shown.exit_code) == (4, 4), verified.output + shown.output
    assert "JournalUnreadable" in output(verified)
    assert path.read_bytes() == b""
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty.sqlite"]


def test_verify_and_show_leave_a_foreign_sqlite_file_byte_identical(tmp_path: Path) -> None:
    # Arrange
    path = tmp_path / "other.sqlite"
    with closing(sqlite3.connect(path)) as connection, connection:
        connection.execute("CREATE TABLE customers (name TEXT)")
        connection.execute("INSERT INTO customers VALUES ('alice')")
    before = path.read_bytes()

    # Act
    verified = invoke("journal", "verify", path)
    shown = invoke("venue", "show", "--journal", path)

    # Assert
    assert (verified.exit_code, shown.exit_code) == (4, 4), verified.output + shown.output
    assert "not a ringfence journal (its tables: customers)" in output(verified)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["other.sqlite"]


def test_verify_leaves_a_journal_and_its_head_byte_identical(journal_path: Path) -> None:
    before = journal_path.read_bytes(), head_path(journal_path).read_bytes()

    result = invoke("journal", "verify", journal_path)

    assert result.exit_code == 0, result.output
    assert (journal_path.read_bytes(), head_path(journal_path).read_bytes()) == before


@pytest.mark.parametrize(
    ("target", "reason"),
    [
        ("directory", "it is a directory"),
        ("not-sqlite", "not an SQLite file"),
        ("corrupt-page", "database disk image is malformed"),
    ],
)
def test_verify_names_an_unreadable_journal_with_exit_4(tmp_path: Path, target: str, reason: str) -> None:
    # Arrange
    path = tmp_path / "journal.sqlite"
    if target == "directory":
        path.mkdir()
    elif target == "not-sqlite":
        path.write_text("name = 'a venue file, not a journal'\n")
    else:
        write_journal(path, deposits=400)  # several pages of events
        data = bytearray(path.read_bytes())
        page = 4096
        data[3 * page : 5 * page] = b"\xa5" * (2 * page)  # overwrite two pages in the middle
        path.write_bytes(bytes(data))

    # Act
    result = invoke("journal", "verify", path)

    # Assert
    assert result.exit_code == 4, result.output
    assert f"JournalUnreadable: {path} is not a readable ringfence journal: {reason}" in output(result)


# --------------------------------------------------------------------------- keys


def test_a_new_journal_gets_a_key_file_readable_only_by_its_owner(journal_path: Path) -> None:
    mode = default_key_path(journal_path).stat().st_mode & 0o777
    assert mode == 0o600


def test_a_key_file_readable_by_others_is_refused(journal_path: Path) -> None:
    os.chmod(default_key_path(journal_path), 0o644)

    result = invoke("journal", "verify", journal_path)

    assert result.exit_code == 4, result.output
    assert "readable by group or others (mode 0644)" in output(result)


def test_another_key_is_named_as_the_wrong_key_not_as_tampering(journal_path: Path, tmp_path: Path) -> None:
    # Arrange: a second journal's key
    other = tmp_path / "other.sqlite"
    write_journal(other, deposits=1)

    # Act
    result = invoke("journal", "verify", journal_path, "--key-file", default_key_path(other))

    # Assert
    assert result.exit_code == 4, result.output
    assert "JournalKeyError" in output(result)
    assert "was signed by key id" in output(result)


def test_the_key_file_environment_variable_overrides_the_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Arrange: a key kept in another folder
    keys = tmp_path / "keys"
    keys.mkdir()
    monkeypatch.setenv("RINGFENCE_JOURNAL_KEY_FILE", str(keys / "venue.key"))
    path = tmp_path / "journal.sqlite"

    # Act
    write_journal(path, deposits=1)
    result = invoke("journal", "verify", path)

    # Assert
    assert result.exit_code == 0, result.output
    assert (keys / "venue.key").exists()
    assert not default_key_path(path).exists()


# --------------------------------------------------------------------------- adoption of unkeyed journals


def write_unkeyed_journal(path: Path) -> None:
    """A schema v1 journal as main wrote it before keyed chains (SHA-256 chain, no key, no head)."""
    with closing(sqlite3.connect(path)) as connection, connection:
        connection.executescript(
            "CREATE TABLE journal_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
            "CREATE TABLE events (sequence INTEGER PRIMARY KEY, stream TEXT NOT NULL, version INTEGER NOT NULL,"
            " command_id TEXT NOT NULL, event_type TEXT NOT NULL, schema_version INTEGER NOT NULL,"
            " payload TEXT NOT NULL, previous_hash TEXT NOT NULL, hash TEXT NOT NULL, UNIQUE (stream, version));"
            "INSERT INTO journal_meta VALUES ('schema_version', '1');"
        )
        for sequence in (1, 2, 3):
            event_type, schema, payload = encode_event(
                CollateralDeposited(owner=f"o{sequence}", sub_account=0, asset="USDC", amount_atoms=sequence)
            )
            connection.execute(
                "INSERT INTO events VALUES (?, 'clearing', ?, ?, ?, ?, ?, '', '')",
                (sequence, sequence, f"c{sequence}", event_type, schema, payload),
            )
    rebuild_unkeyed(path, {})


def test_an_unkeyed_journal_is_refused_until_adopted_then_verifies(tmp_path: Path) -> None:
    # Arrange
    path = tmp_path / "old.sqlite"
    write_unkeyed_journal(path)

    # Act
    before = invoke("journal", "verify", path)
    adopted = invoke("journal", "adopt", path)
    after = invoke("journal", "verify", path)

    # Assert
    assert before.exit_code == 4, before.output
    assert "JournalNotAdopted" in output(before)
    assert adopted.exit_code == 0, adopted.output
    assert "unkeyed SHA-256 chain verified (3 entries" in output(adopted)
    assert "re-signed with HMAC-SHA256" in output(adopted)
    assert after.exit_code == 0, after.output
    assert "3 entries, hash chain intact" in output(after)


def test_the_engine_never_adopts_silently(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    write_unkeyed_journal(path)

    with pytest.raises(JournalNotAdopted):
        SqliteJournal(path)


def test_an_unkeyed_journal_with_a_broken_chain_is_not_adopted(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    write_unkeyed_journal(path)
    execute_raw(path, "DELETE FROM events WHERE sequence = 2")

    result = invoke("journal", "adopt", path)

    assert result.exit_code == 4, result.output
    assert "was NOT adopted" in output(result)
    with closing(sqlite3.connect(path)) as connection:
        assert connection.execute("SELECT value FROM journal_meta WHERE key = 'schema_version'").fetchone() == ("1",)


def test_a_keyed_journal_relabelled_as_unkeyed_is_not_adopted(journal_path: Path) -> None:
    # A downgrade: the attacker rebuilds an unkeyed chain and marks the journal schema v1
    rebuild_unkeyed(journal_path, {FORGED: forged_deposit(journal_path, FORGED)})
    execute_raw(journal_path, "UPDATE journal_meta SET value = '1' WHERE key = 'schema_version'")

    shown = invoke("venue", "show", "--journal", journal_path)
    adopted = invoke("journal", "adopt", journal_path)

    assert shown.exit_code == 4, shown.output
    assert "JournalNotAdopted" in output(shown)
    assert adopted.exit_code == 4, adopted.output
    assert "a keyed journal relabelled as unkeyed" in output(adopted)


def test_wrong_key_id_in_the_file_is_a_key_error(journal_path: Path) -> None:
    execute_raw(journal_path, "UPDATE journal_meta SET value = '0000000000000000' WHERE key = 'key_id'")

    with pytest.raises(JournalKeyError):
        SqliteJournal(journal_path, read_only=True)


def test_a_malformed_published_head_is_an_input_error_with_exit_2(journal_path: Path) -> None:
    result = invoke("journal", "verify", journal_path, "--expect-head", "5:abc")

    assert result.exit_code == 2, result.output
    assert "expected N:HASH" in output(result)


def test_adopting_a_keyed_journal_changes_nothing(journal_path: Path) -> None:
    before = journal_path.read_bytes(), head_path(journal_path).read_bytes()

    result = invoke("journal", "adopt", journal_path)

    assert result.exit_code == 4, result.output
    assert "not an unkeyed v1 journal; nothing to adopt" in output(result)
    assert (journal_path.read_bytes(), head_path(journal_path).read_bytes()) == before
