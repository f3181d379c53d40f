"""A writer process for the multi-process PostgreSQL journal test (tests/contract/test_postgres_journal.py).

Run as ``python postgres_writer.py DSN KEY_FILE WRITER BATCHES START_FILE``. It opens the
journal, waits until ``START_FILE`` exists (so every writer starts together), then appends
``BATCHES`` batches: even-numbered ones to the shared stream ``shared`` (optimistic
concurrency: on StreamConflict it rereads the stream's version and retries the same batch),
odd-numbered ones to its own stream ``own-WRITER``. After each ``append`` returned (the batch
is durable) it prints ``ack COMMAND_ID EVENTS`` per command and flushes: a printed line is an
acknowledgement. Each conflict prints ``conflict``.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from ringfence.core.errors import StreamConflict
from ringfence.core.events import CollateralDeposited
from ringfence.store.journal import PendingCommand
from ringfence.store.postgres import PostgresJournal


def batch(writer: int, number: int) -> list[PendingCommand]:
    """Batch ``number`` of ``writer``: 1 to 3 commands of 1 or 2 deposits each, ids unique across writers."""
    commands = []
    for index in range(1 + (writer + number) % 3):
        events = tuple(
            CollateralDeposited(owner=f"w{writer}", sub_account=k, asset="USDC", amount_atoms=number * 1000 + index)
            for k in range(1 + (number + index) % 2)
        )
        commands.append(PendingCommand(f"w{writer}-b{number}-c{index}", events))
    return commands


def main(dsn: str, key_file: str, writer: int, batches: int, start_file: str) -> None:
    journal = PostgresJournal(dsn, key_file=Path(key_file))
    while not Path(start_file).exists():
        time.sleep(0.005)
    out = sys.stdout
    for number in range(batches):
        pending = batch(writer, number)
        stream = "shared" if number % 2 == 0 else f"own-{writer}"
        while True:
            try:
                journal.append(stream, journal.stream_version(stream), pending)
                break
            except StreamConflict:
                out.write("conflict\n")
        out.write("".join(f"ack {p.command_id} {len(p.events)}\n" for p in pending))
        out.flush()
    journal.close()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5])
