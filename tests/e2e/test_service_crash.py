"""SIGKILL ``ringfence serve`` under load: after each restart every acknowledged command is in the journal.

A real ``ringfence serve`` process (SQLite, and PostgreSQL through ``--journal postgresql://…``)
takes deposits from concurrent clients, each a self-registered principal sending commands with
its own ids (``tests/support/serve_process.py``). At seeded random moments the test SIGKILLs the
server, then checks the journal it left: the chain verifies against the key and the signed head,
every command a client saw acknowledged (a ``200`` received) is there exactly once, nothing is
there twice, and every entry is one of the clients' deposits (or the genesis and registrations).
It restarts the server on the same journal (which verifies and replays it): the restarted server
reports the journal's head, serves each client's balance as the count of its deposits in the
journal, and takes the next round of load.

The default run kills twice per backend (each restart of ``ringfence serve`` costs its start-up, a
few seconds); ``-m slow`` runs a longer version (twelve kills).
"""

from __future__ import annotations

import asyncio
import collections
import random
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from ringfence.service.identity import Identity
from ringfence.store.opener import open_journal
from support.postgres_server import PostgresServer
from support.serve_process import DepositClient, ServeProcess, register_all, ringfence_command, run_deposits

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs POSIX SIGKILL")

SEED = 20_261_202
CLIENTS = 8


@dataclass(frozen=True)
class Location:
    """The journal the server is started on: an SQLite path, or a PostgreSQL URL with its key file."""

    journal: str
    key_file: Path | None = None

    def serve_arguments(self) -> list[str]:
        key = ["--key-file", str(self.key_file)] if self.key_file is not None else []
        return ["--journal", self.journal, *key]


@pytest.fixture(params=["sqlite", "postgresql"])
def location(request: pytest.FixtureRequest, tmp_path: Path) -> Location:
    if request.param == "sqlite":
        return Location(str(tmp_path / "venue.sqlite"))
    server: PostgresServer = request.getfixturevalue("postgres_server")
    server.create_schema("service_crash")
    return Location(f"{server.url()}&options=-csearch_path%3Dservice_crash", tmp_path / "venue.key")


@dataclass(frozen=True)
class JournalCheck:
    entries: int
    head_sequence: int
    deposits_by_owner: dict[str, int]


def _check_journal(location: Location, clients: list[DepositClient]) -> JournalCheck:
    """Verify the journal read-only; assert every acknowledged deposit is in it once and nothing is repeated."""
    journal = open_journal(location.journal, key_file=location.key_file, read_only=True)
    try:
        count = journal.verify()  # raises on any broken link, wrong HMAC, gap, or a journal shorter than its head
        entries = list(journal.read())
        head = journal.head()
    finally:
        journal.close()
    assert count == len(entries)
    per_command = collections.Counter(entry.command_id for entry in entries)
    deposits = {c.name: [e for e in entries if e.command_id.startswith(f"{c.name}/d")] for c in clients}
    for client in clients:
        stored = {entry.command_id for entry in deposits[client.name]}
        missing = [cid for cid in client.acknowledged if cid not in stored]
        assert not missing, f"acknowledged but not in the journal: {missing[:5]} (of {len(missing)})"
        assert all(per_command[cid] == 1 for cid in stored), "a deposit is in the journal twice"
        assert all(entry.event_type == "CollateralDeposited" for entry in deposits[client.name])
        # beyond the acknowledged ones, only commands still in flight at the kill: ids it had sent
        assert all(int(cid.rsplit("/d", 1)[1]) < client.next_number for cid in stored)
    return JournalCheck(count, head.sequence, {name: len(found) for name, found in deposits.items()})


def _load_until_killed(server: ServeProcess, clients: list[DepositClient], audience: str, kill_after_s: float) -> int:
    """Run the clients against the server and SIGKILL it after ``kill_after_s``; return the acks of this round."""
    before = sum(len(c.acknowledged) for c in clients)
    failure: list[BaseException] = []

    def load() -> None:
        try:
            asyncio.run(run_deposits(server.base_url, clients, kill_after_s + 30.0, audience))
        except BaseException as error:  # reported by the test below
            failure.append(error)

    thread = threading.Thread(target=load)
    thread.start()
    time.sleep(kill_after_s)
    server.kill()
    thread.join(timeout=60)
    assert not thread.is_alive(), "the clients did not notice the server had died"
    assert not failure, f"the load failed: {failure[0]!r}"
    return sum(len(c.acknowledged) for c in clients) - before


def _check_restarted(server: ServeProcess, check: JournalCheck, clients: list[DepositClient]) -> None:
    """The restarted server replayed exactly the journal: its head and each client's balance."""
    venue = httpx.get(f"{server.base_url}/v1/venue", timeout=10).json()
    assert venue["head_sequence"] == check.head_sequence
    for client in clients[:3]:
        response = httpx.get(f"{server.base_url}/v1/accounts/{client.name}/0", timeout=10)
        if check.deposits_by_owner[client.name] == 0:
            assert response.status_code == 404, response.text  # no deposit landed: no such sub-account
            continue
        assert response.status_code == 200, response.text
        assert response.json()["balances"].get("USDC", 0) == check.deposits_by_owner[client.name]


def _kill_and_restart(location: Location, tmp_path: Path, kills: int) -> None:
    rng = random.Random(SEED)
    server = ServeProcess(
        [
            *ringfence_command(),
            "serve",
            *location.serve_arguments(),
            "--identity-dir",
            str(tmp_path / "ids"),
            "--rate",
            "1000000",
            "--burst",
            "1000000",
        ],
        tmp_path / "serve.log",
    )
    clients = [DepositClient(Identity.generate(f"trader{i}")) for i in range(CLIENTS)]
    server.start()
    try:
        audience = asyncio.run(register_all(server.base_url, clients))
        acknowledged = 0
        for round_number in range(kills):
            # Act: load, then SIGKILL at a random moment (the first kill lands early, the others anywhere)
            kill_after_s = rng.uniform(0.05, 0.3) if round_number == 0 else rng.uniform(0.2, 1.5)
            acknowledged += _load_until_killed(server, clients, audience, kill_after_s)

            # Assert: the journal the dead server left
            assert server.process is not None and server.process.returncode == -9
            check = _check_journal(location, clients)

            # and the server restarted on it
            server.start()
            _check_restarted(server, check, clients)
        assert acknowledged > 0, "no command was acknowledged before the kills: the test tested nothing"
    finally:
        server.kill()


def test_sigkilled_server_under_load_loses_no_acknowledged_command(location: Location, tmp_path: Path) -> None:
    _kill_and_restart(location, tmp_path, kills=2)


@pytest.mark.slow
def test_sigkilled_server_under_load_loses_no_acknowledged_command_over_many_kills(
    location: Location, tmp_path: Path
) -> None:
    _kill_and_restart(location, tmp_path, kills=12)
