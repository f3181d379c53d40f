"""Crash-test worker: writes deterministic command batches to a durable journal until killed.

Run as ``python crash_worker.py JOURNAL [KEY_FILE]``: an SQLite journal path, or a
``postgresql://`` URL with its key file (``ringfence.store.opener.open_journal``). On a fresh
journal the worker writes the admin's genesis as one atomic batch (ConfigureGovernance, the
asset, OpenVenue), then continues the command numbering from what the journal already holds,
and loops: it runs a batch of 1–5 commands ``c{n}``, each sent by its owner, through
:meth:`Engine.execute_batch` and, only after that call returned (the batch is durable), writes
one line per accepted command id to stdout and flushes. A printed id is therefore an
acknowledgement. The parent test SIGKILLs it.

The command sequence and the batch boundaries are pure functions of the command number, so
the parent computes the same ones by importing this file.
"""

from __future__ import annotations

import random
import sys
from collections.abc import Iterable
from pathlib import Path

from ringfence.core.commands import Command, Deposit, OpenVenue, RegisterAsset, Sent, Transfer
from ringfence.core.governance.commands import ConfigureGovernance
from ringfence.service.engine import Accepted, Engine
from ringfence.store.journal import StoredEvent
from ringfence.store.opener import open_journal

ASSET = "USDC"
REGISTER_ID = "register"
OWNERS = 7
MAX_ATOMS = 2**128 - 1
REGISTER = RegisterAsset(ASSET, 6, 98 * 10**16, 99 * 10**16, MAX_ATOMS, MAX_ATOMS, 0)
ADMIN = "admin"
DAY_NS = 86_400 * 10**9
GENESIS: tuple[tuple[str, Command], ...] = (
    # the test venues' governance (tests/support/authority.py): timelock 2 days, grace 14 days, step 25%
    ("governance", ConfigureGovernance(ADMIN, 2 * DAY_NS, 14 * DAY_NS, 25 * 10**16, 0)),
    (REGISTER_ID, REGISTER),
    ("open", OpenVenue(ADMIN, 0)),
)
GENESIS_GROUPS = [("governance", 2), (REGISTER_ID, 1), ("open", 1)]
"""The genesis's entries per command: ConfigureGovernance records GovernanceConfigured and the
admin's RoleGranted; RegisterAsset one AssetRegistered; OpenVenue one VenueOpened."""
GENESIS_ENTRIES = 4
EVENTS_PER_COMMAND = 1
"""A Deposit records one CollateralDeposited; a Transfer one CollateralTransferred."""


def command_id(n: int) -> str:
    return f"c{n}"


def command_number(identifier: str) -> int | None:
    """Return ``n`` for ``c{n}``, None for any other id."""
    if identifier.startswith("c") and identifier[1:].isdigit():
        return int(identifier[1:])
    return None


def batch_size(start: int) -> int:
    """Size of the batch that starts at command ``start`` (deterministic, 1..5)."""
    return random.Random(start).randint(1, 5)


def command_for(n: int) -> Deposit | Transfer:
    """Command ``n``: every third one moves a few atoms out of the account the previous one funded.

    Command ``n - 1`` of a transfer is always a deposit of more than 10**20 atoms to the same
    owner's sub-account 0, so every command of the sequence is accepted.
    """
    if n % 3 == 2:
        return Transfer(f"owner{(n - 1) % OWNERS}", 0, 1, ASSET, 1 + n % 10, n)
    return Deposit(f"owner{n % OWNERS}", 0, ASSET, 10**20 + n, n)


def sent(command: Deposit | Transfer) -> Sent:
    """Return ``command`` as sent by the owner it names."""
    return Sent(command.owner, command)


def write_genesis(engine: Engine) -> None:
    """Write the admin's genesis as one atomic batch: all of it is durable, or none."""
    outcomes = engine.execute_batch(
        [Sent(ADMIN, command) for _, command in GENESIS], [cid for cid, _ in GENESIS], atomic=True
    )
    for outcome in outcomes:
        if not isinstance(outcome, Accepted):
            sys.exit(f"genesis command {outcome.command_id} was rejected: {outcome.error}")


def next_number(entries: Iterable[StoredEvent]) -> int:
    """The first command number the journal does not hold yet."""
    numbers = [command_number(entry.command_id) for entry in entries]
    return max((n for n in numbers if n is not None), default=0) + 1


def run(location: str, key_file: str | None = None) -> None:
    journal = open_journal(location, key_file=Path(key_file) if key_file else None)
    engine = Engine(journal)
    if engine.state.governance is None:
        write_genesis(engine)
    n = next_number(journal.read())
    out = sys.stdout
    while True:
        numbers = range(n, n + batch_size(n))
        outcomes = engine.execute_batch([sent(command_for(i)) for i in numbers], [command_id(i) for i in numbers])
        for outcome in outcomes:
            if not isinstance(outcome, Accepted):
                sys.exit(f"command {outcome.command_id} was rejected: {outcome.error}")
        out.write("".join(f"{outcome.command_id}\n" for outcome in outcomes))
        out.flush()
        n = numbers.stop


if __name__ == "__main__":
    run(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else None)
