"""Group commit across concurrent requests: fewer journal transactions than commands, every acknowledged one durable.

The journal under the service is the real SQLite journal behind a counting wrapper that also makes
each append take 20 ms longer (a slow disk), so requests arriving while a batch is written must
queue; the test counts ``append`` calls itself rather than trusting the writer's own statistics.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from ringfence.http.client import ProblemError
from ringfence.http.schemas import CommandReceipt
from ringfence.service.identity import Identity
from ringfence.store.journal import Journal, JournalHead, PendingCommand, StoredEvent
from ringfence.store.sqlite import SqliteJournal
from support.service import USDC, live_service

CLIENTS = 32


class SlowCountingJournal:
    """A journal that counts its appends and sleeps 20 ms in each (a slow disk); everything else is the journal's."""

    def __init__(self, inner: Journal) -> None:
        self.inner = inner
        self.appends = 0
        self.lock = threading.Lock()

    def append(self, stream: str, expected_version: int, batch: Sequence[PendingCommand]) -> list[StoredEvent]:
        with self.lock:
            self.appends += 1
        time.sleep(0.02)
        return self.inner.append(stream, expected_version, batch)

    def read(self, after_sequence: int = 0) -> Iterator[StoredEvent]:
        return self.inner.read(after_sequence)

    def read_verified(self) -> Iterator[StoredEvent]:
        return self.inner.read_verified()

    def head(self) -> JournalHead:
        return self.inner.head()

    def stream_version(self, stream: str) -> int:
        return self.inner.stream_version(stream)

    def verify(self) -> int:
        return self.inner.verify()

    def close(self) -> None:
        self.inner.close()


def test_concurrent_commands_share_transactions_and_every_acknowledged_one_is_durable(tmp_path: Path) -> None:
    with live_service(tmp_path, wrap=SlowCountingJournal) as live:
        journal = live.service.journal.inner
        assert isinstance(journal, SlowCountingJournal)
        names = [f"trader{index:02d}" for index in range(CLIENTS)]
        for name in names:
            live.identities[name] = Identity.generate(name)
            with live.client(name) as client:
                client.register()
        appends_before = journal.appends

        def deposit(name: str) -> CommandReceipt:
            with live.client(name) as client:
                return client.deposit(0, "USDC", 1_000 * USDC)

        with ThreadPoolExecutor(CLIENTS) as pool:
            receipts = list(pool.map(deposit, names))
        appends = journal.appends - appends_before

    assert all(receipt.first_sequence is not None for receipt in receipts)
    assert appends < CLIENTS / 2, f"{CLIENTS} concurrent commands took {appends} journal transactions"
    reopened = SqliteJournal(tmp_path / "venue.sqlite", read_only=True)
    try:
        reopened.verify()
        by_command = {entry.command_id: entry for entry in reopened.read()}
    finally:
        reopened.close()
    for receipt in receipts:
        entry = by_command[receipt.command_id]
        assert entry.sequence == receipt.first_sequence
        assert entry.event_type == "CollateralDeposited"


def test_a_resent_command_id_is_acknowledged_once(tmp_path: Path) -> None:
    with live_service(tmp_path) as live, live.client("carol") as carol:
        carol.register()
        first = carol.deposit(0, "USDC", 5 * USDC, command_id="dep-1")
        again = carol.deposit(0, "USDC", 5 * USDC, command_id="dep-1")
        balance = carol.account("carol", 0).balances["USDC"]

    assert first.duplicate is False
    assert again.duplicate is True
    assert again.command_id == first.command_id == "carol/dep-1"
    assert again.first_sequence == first.first_sequence
    assert [event.payload for event in again.events] == [event.payload for event in first.events]
    assert balance == 5 * USDC


def test_a_refused_command_in_a_batch_does_not_stop_the_others(tmp_path: Path) -> None:
    with live_service(tmp_path, wrap=SlowCountingJournal) as live:
        for name in ("carol", "dave"):
            with live.client(name) as client:
                client.register()

        def withdraw_too_much() -> ProblemError | None:
            try:
                with live.client("dave") as dave:
                    dave.withdraw(0, "USDC", 1)
            except ProblemError as error:
                return error
            return None

        def deposit_one() -> CommandReceipt:
            with live.client("carol") as carol:
                return carol.deposit(0, "USDC", USDC)

        with ThreadPoolExecutor(8) as pool:
            refused = [pool.submit(withdraw_too_much) for _ in range(4)]
            accepted = [pool.submit(deposit_one) for _ in range(4)]
            errors = [future.result() for future in refused]
            receipts = [future.result() for future in accepted]
        with live.client() as reader:
            balance = reader.account("carol", 0).balances["USDC"]

    assert all(error is not None and error.status == 409 for error in errors)
    assert {error.error for error in errors if error is not None} == {"InsufficientBalance"}
    assert len({receipt.first_sequence for receipt in receipts}) == 4
    assert balance == 4 * USDC
