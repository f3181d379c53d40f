"""Crash consistency of the SQLite and PostgreSQL journals under SIGKILL, and ``ringfence journal verify``.

A worker process (``crash_worker.py``) writes deterministic batches of commands ``c1, c2, …``
through the engine and prints each command id only after ``execute_batch`` returned. The
test SIGKILLs it at seeded random points (after some acknowledgements, or after a short
delay) and restarts it on the same journal (an SQLite file, or a PostgreSQL schema of the test
run's own server). After every kill the journal must verify, hold
every acknowledged command, hold exactly a prefix of the command sequence that ends on a
batch boundary at most one batch past the last acknowledgement, hold every command whole,
and replay to a state that conserves balances.
"""

from __future__ import annotations

import importlib.util
import itertools
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import pytest
from typer.testing import CliRunner

from ringfence.cli.main import app
from ringfence.core.commands import Deposit
from ringfence.service.engine import Engine, replay
from ringfence.store.journal import StoredEvent
from ringfence.store.opener import open_journal
from ringfence.store.sqlite import SqliteJournal

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs POSIX SIGKILL")

WORKER_PATH = Path(__file__).with_name("crash_worker.py")
SEED = 20_260_101
KILL_POINTS = 8
BUDGET_S = 30.0
WATCHDOG_S = 15.0


def _load_worker() -> ModuleType:
    spec = importlib.util.spec_from_file_location("ringfence_crash_worker", WORKER_PATH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


worker = _load_worker()


@dataclass(frozen=True)
class KillPoint:
    """Kill the worker after ``acks`` acknowledgements, or after ``delay_s`` seconds."""

    acks: int | None = None
    delay_s: float | None = None


@dataclass(frozen=True)
class Run:
    """What one worker run acknowledged, in order, and how it ended."""

    acked: list[str]
    returncode: int
    timed_out: bool
    stderr: str


def _kill_points(rng: random.Random) -> list[KillPoint]:
    # The first kill lands during interpreter start-up, before anything is written.
    points = [KillPoint(delay_s=0.02)]
    for index in range(1, KILL_POINTS):
        if index % 2:
            points.append(KillPoint(acks=rng.randint(5, 200)))
        else:
            points.append(KillPoint(delay_s=rng.uniform(0.1, 0.8)))
    return points


def _read_acks(stdout: Iterator[str], wanted: int) -> list[str]:
    lines = []
    for line in stdout:
        lines.append(line)
        if len(lines) >= wanted:
            break
    return lines


@dataclass(frozen=True)
class Location:
    """Where the worker's journal lives: an SQLite path, or a PostgreSQL URL with its key file."""

    journal: str
    key_file: Path | None = None

    def arguments(self) -> list[str]:
        return [self.journal] + ([str(self.key_file)] if self.key_file is not None else [])


def _run_until_killed(location: Location, point: KillPoint, stderr_path: Path) -> Run:
    timed_out = threading.Event()
    with (
        stderr_path.open("w") as stderr,
        subprocess.Popen(
            [sys.executable, str(WORKER_PATH), *location.arguments()], stdout=subprocess.PIPE, stderr=stderr, text=True
        ) as process,
    ):
        assert process.stdout is not None

        def on_timeout() -> None:
            timed_out.set()
            process.kill()

        watchdog = threading.Timer(WATCHDOG_S, on_timeout)
        watchdog.start()
        try:
            if point.acks is not None:
                lines = _read_acks(process.stdout, point.acks)
            else:
                time.sleep(point.delay_s or 0.0)
                lines = []
            process.send_signal(signal.SIGKILL)
            # Everything the worker printed before it died is an acknowledgement too.
            lines += process.stdout.readlines()
            returncode = process.wait()
        finally:
            watchdog.cancel()
    acked = [line.removesuffix("\n") for line in lines if line.endswith("\n")]
    return Run(acked, returncode, timed_out.is_set(), stderr_path.read_text())


def _first_boundary_after(number: int) -> int:
    """The end of the batch holding command ``number + 1`` (batches start at 1, 1 + size(1), …)."""
    end = 0
    while end <= number:
        end += worker.batch_size(end + 1)
    return end


def _is_boundary(number: int) -> bool:
    return number == 0 or _first_boundary_after(number - 1) == number


def _command_groups(entries: Sequence[StoredEvent]) -> list[tuple[str, int]]:
    """``(command_id, event count)`` for each run of consecutive entries of one command."""
    return [(cid, len(list(group))) for cid, group in itertools.groupby(entries, key=lambda e: e.command_id)]


@dataclass(frozen=True)
class JournalView:
    count: int
    entries: list[StoredEvent]


def _open_and_verify(location: Location) -> JournalView:
    journal = open_journal(location.journal, key_file=location.key_file)
    try:
        count = journal.verify()
        entries = list(journal.read())
    finally:
        journal.close()
    return JournalView(count, entries)


def _check_after_kill(view: JournalView, acked_before: int, run: Run) -> int:
    """Check the invariants after one kill and return how many commands the journal holds."""
    assert view.count == len(view.entries)
    groups = _command_groups(view.entries)
    ids = [cid for cid, _ in groups]
    assert len(ids) == len(set(ids)), f"a command's events are split or repeated: {ids}"
    if not groups:
        assert run.acked == []
        return 0
    # the genesis is one atomic batch: a journal holds all of it or nothing
    genesis = len(worker.GENESIS_GROUPS)
    assert groups[:genesis] == worker.GENESIS_GROUPS
    commands = groups[genesis:]
    held = len(commands)

    # exactly the prefix c1..cK, each command whole
    assert ids[genesis:] == [worker.command_id(n) for n in range(1, held + 1)]
    assert all(count == worker.EVENTS_PER_COMMAND for _, count in commands)
    assert view.count == worker.GENESIS_ENTRIES + held * worker.EVENTS_PER_COMMAND

    # this run acknowledged the next commands in order, and every one of them is in the journal
    last_acked = acked_before + len(run.acked)
    assert run.acked == [worker.command_id(n) for n in range(acked_before + 1, last_acked + 1)]
    assert held >= last_acked

    # beyond the acknowledged ones, at most the single batch in flight landed, and whole
    assert _is_boundary(held), f"journal ends inside a batch at c{held}"
    assert held <= _first_boundary_after(last_acked), f"more than one unacknowledged batch: c{last_acked}..c{held}"
    return held


def _check_conservation(entries: Sequence[StoredEvent], held: int) -> None:
    state = replay(entries)
    asset = worker.ASSET
    balances = sum(account.balances.get(asset, 0) for account in state.accounts.values())
    deposited, withdrawn = state.deposited_atoms.get(asset, 0), state.withdrawn_atoms.get(asset, 0)
    assert balances == deposited - withdrawn
    commands = [worker.command_for(n) for n in range(1, held + 1)]
    assert deposited == sum(c.amount_atoms for c in commands if isinstance(c, Deposit))
    assert withdrawn == 0


@pytest.fixture(params=["sqlite", "postgresql"])
def location(request: pytest.FixtureRequest, tmp_path: Path) -> Location:
    if request.param == "sqlite":
        return Location(str(tmp_path / "journal.sqlite"))
    server = request.getfixturevalue("postgres_server")
    server.create_schema("crash")
    schema_option = "&options=-csearch_path%3Dcrash"
    return Location(server.url() + schema_option, tmp_path / "journal.key")


def test_sigkilled_worker_leaves_a_verified_journal_of_whole_acknowledged_batches(
    location: Location, tmp_path: Path
) -> None:
    # Arrange
    rng = random.Random(SEED)
    deadline = time.monotonic() + BUDGET_S
    held, total_acked, kills = 0, 0, 0

    for point in _kill_points(rng):
        if time.monotonic() > deadline:
            break

        # Act
        run = _run_until_killed(location, point, tmp_path / f"worker-{kills}.err")

        # Assert
        assert not run.timed_out, f"worker hung; stderr:\n{run.stderr}"
        assert run.returncode == -signal.SIGKILL, f"worker exited {run.returncode} before the kill:\n{run.stderr}"
        view = _open_and_verify(location)
        acked_before = held
        held = _check_after_kill(view, acked_before, run)
        _check_conservation(view.entries, held)
        total_acked += len(run.acked)
        kills += 1

    assert kills >= 4, f"only {kills} kill points fitted in {BUDGET_S} s"
    assert total_acked > 0
    assert held >= total_acked


# --------------------------------------------------------------------------- journal verify CLI


def _write_journal(path: Path, deposits: int = 5) -> int:
    journal = SqliteJournal(path)
    try:
        engine = Engine(journal)
        worker.write_genesis(engine)
        engine.execute_batch([worker.sent(worker.command_for(n)) for n in range(1, deposits + 1)])
        return journal.verify()
    finally:
        journal.close()


def _execute_raw(path: Path, sql: str, parameters: Sequence[object] = ()) -> None:
    with closing(sqlite3.connect(path)) as connection, connection:
        connection.execute(sql, parameters)


# Entries of ``_write_journal``: 1..4 the genesis (worker.GENESIS_GROUPS), then c1..c5 as entries 5..9;
# c3 (the deposit of 10**20 + 3 atoms) is entry 7 and c5 entry 9 (they were 4 and 6 after a one-entry genesis).


def _edit_payload(path: Path) -> None:
    _execute_raw(path, "UPDATE events SET payload = replace(payload, '100000000000000000003', '9') WHERE sequence = 7")


def _delete_middle_row(path: Path) -> None:
    _execute_raw(path, "DELETE FROM events WHERE sequence = 7")


def _swap_payloads(path: Path) -> None:
    with closing(sqlite3.connect(path)) as connection, connection:
        (c3,) = connection.execute("SELECT payload FROM events WHERE sequence = 7").fetchone()
        (c5,) = connection.execute("SELECT payload FROM events WHERE sequence = 9").fetchone()
        connection.execute("UPDATE events SET payload = ? WHERE sequence = 7", (c5,))
        connection.execute("UPDATE events SET payload = ? WHERE sequence = 9", (c3,))


def _output(text: str) -> str:
    """The CLI's output with rich's line wrapping undone."""
    return " ".join(text.split())


def test_cli_journal_verify_exits_zero_and_prints_the_entry_count_for_an_intact_journal(tmp_path: Path) -> None:
    # Arrange
    path = tmp_path / "journal.sqlite"
    count = _write_journal(path)

    # Act
    result = CliRunner().invoke(app, ["journal", "verify", str(path)])

    # Assert
    assert result.exit_code == 0, result.output
    assert count == 9  # 4 genesis entries and 5 commands of one event each
    assert "9 entries, hash chain intact" in _output(result.output)


@pytest.mark.parametrize(
    ("tamper", "failing_sequence"),
    [(_edit_payload, 7), (_delete_middle_row, 8), (_swap_payloads, 7)],
    ids=["edited-payload", "deleted-middle-row", "swapped-payloads"],
)
def test_cli_journal_verify_exits_4_for_a_tampered_journal(
    tmp_path: Path, tamper: Callable[[Path], None], failing_sequence: int
) -> None:
    # Arrange
    path = tmp_path / "journal.sqlite"
    _write_journal(path)
    tamper(path)

    # Act
    result = CliRunner().invoke(app, ["journal", "verify", str(path)])

    # Assert
    assert result.exit_code == 4, result.output
    output = _output(result.output)
    assert "FAILED verification" in output
    assert f"journal entry {failing_sequence}:" in output


def test_cli_journal_verify_exits_2_for_a_missing_file(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["journal", "verify", str(tmp_path / "absent.sqlite")])

    assert result.exit_code == 2
    assert "no journal at" in _output(result.output)
