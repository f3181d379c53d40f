"""Group commit across concurrent requests: one writer task drains a queue into ``Engine.execute_batch``.

Each request puts a :class:`Submission` on the queue and awaits its future. The writer takes
everything queued (up to ``max_batch``), stamps the commands with one timestamp from the clock
(never earlier than the previous batch's), and runs them in a worker thread as one
``execute_batch``: the core decides each in order (a rejected one changes nothing and does not
stop the others) and the journal appends the accepted ones in **one transaction**. Only after
``append`` returned, that is after the batch is durable, are the futures resolved: that is the
acknowledgement. While a batch is being written the next requests queue up, so the batch size
grows with the load and the cost of a durable commit is shared.

If the append fails (a journal error), every command of the batch fails with it and nothing of
it stays in memory (the engine rebuilds its state from the journal). If a command trips an error
outside the tree (a bug), the batch is run again one command at a time so only that command fails.

The acknowledgement is a :class:`Receipt`: the command's journal entries as they were stored.
Its JSON (:meth:`Receipt.json`, the body of ``CommandReceipt``) is written straight from the
stored entries, whose payloads are JSON already, rather than parsed back and re-serialised
through the pydantic model, which cost the service more per command than the engine's decision
(``tests/unit/test_http_receipt.py`` holds the two forms equal).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from itertools import islice

from ringfence.core.commands import Command, Sent
from ringfence.core.errors import JournalError, RingfenceError, StreamConflict
from ringfence.http.feed import TappedJournal
from ringfence.http.schemas import CommandReceipt
from ringfence.http.views import entry_json, entry_view
from ringfence.service.clock import Clock
from ringfence.service.engine import Accepted, Engine
from ringfence.store.journal import StoredEvent

__all__ = ["GroupCommitWriter", "Receipt", "Submission", "WriterStats"]

_log = logging.getLogger("ringfence.http")


@dataclass(frozen=True, slots=True)
class Receipt:
    """The acknowledgement of a durable command: its journal id, sender and the entries it stored."""

    command_id: str
    sender: str
    entries: tuple[StoredEvent, ...]
    duplicate: bool = False

    def json(self) -> bytes:
        """Return the ``CommandReceipt`` body as JSON, the stored payloads copied in as they are."""
        first = str(self.entries[0].sequence) if self.entries else "null"
        last = str(self.entries[-1].sequence) if self.entries else "null"
        events = ",".join(entry_json(entry) for entry in self.entries)
        return (
            f'{{"command_id":{json.dumps(self.command_id)},"sender":{json.dumps(self.sender)},'
            f'"first_sequence":{first},"last_sequence":{last},'
            f'"duplicate":{"true" if self.duplicate else "false"},"events":[{events}]}}'
        ).encode()

    def model(self) -> CommandReceipt:
        """Return the receipt as the response model (payloads parsed)."""
        return CommandReceipt(
            command_id=self.command_id,
            sender=self.sender,
            first_sequence=self.entries[0].sequence if self.entries else None,
            last_sequence=self.entries[-1].sequence if self.entries else None,
            duplicate=self.duplicate,
            events=[entry_view(entry) for entry in self.entries],
        )


@dataclass(slots=True)
class Submission:
    """One command waiting for the writer: its sender, how to build it at a timestamp, its journal id."""

    sender: str
    build: Callable[[int], Command]
    command_id: str
    future: asyncio.Future[Receipt] = field(repr=False)


@dataclass(slots=True)
class WriterStats:
    """Counters of the writer: batches committed and commands in them (for tests and the load test)."""

    batches: int = 0
    commands: int = 0
    largest_batch: int = 0


class GroupCommitWriter:
    """The single writer of an engine (see the module docstring).

    Parameters
    ----------
    engine:
        The engine; its journal must be the :class:`~ringfence.http.feed.TappedJournal` given.
    journal:
        The tapped journal, to learn the sequences each batch was given.
    clock:
        Stamps every command.
    lock:
        Held while a batch runs and while a query reads the state.
    max_batch:
        The most commands one journal transaction takes.
    """

    def __init__(
        self, engine: Engine, journal: TappedJournal, clock: Clock, lock: threading.Lock, max_batch: int = 1024
    ) -> None:
        self.engine = engine
        self.journal = journal
        self.clock = clock
        self.lock = lock
        self.max_batch = max_batch
        self.stats = WriterStats()
        self._last_ns = 0
        self._in_flight: dict[str, asyncio.Future[Receipt]] = {}

    def resume_after(self, latest_ns: int) -> None:
        """Never stamp a command earlier than ``latest_ns`` (the latest time the journal records)."""
        self._last_ns = max(self._last_ns, latest_ns)
        self._queue: asyncio.Queue[Submission] | None = None
        self._task: asyncio.Task[None] | None = None

    def now_ns(self) -> int:
        """Return the timestamp the next batch would get: the clock, never earlier than the last batch's."""
        return max(self.clock.now_ns(), self._last_ns)

    async def start(self) -> None:
        """Start the writer task on the running loop."""
        self._queue = asyncio.Queue()
        self._task = asyncio.create_task(self._run(), name="ringfence group-commit writer")

    async def stop(self) -> None:
        """Stop the writer after the batch it is writing (queued commands fail as cancelled)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def submit(self, sender: str, build: Callable[[int], Command], client_id: str | None) -> Receipt:
        """Queue a command from ``sender`` and return its receipt once durable.

        With ``client_id``, a command already acknowledged (or in flight) under ``SENDER/CLIENT_ID``
        is not run again: its receipt comes back with ``duplicate=True``.

        Raises
        ------
        RingfenceError
            The command's rejection (nothing changed), or the journal's failure (nothing acknowledged).
        """
        if self._queue is None:
            raise RuntimeError("the writer is not started")
        command_id = f"{sender}/{client_id}" if client_id is not None else f"http-{uuid.uuid4().hex}"
        if client_id is not None:
            earlier = self._in_flight.get(command_id)
            if earlier is not None:
                return replace(await asyncio.shield(earlier), duplicate=True)
            committed = self.journal.feed.committed.get(command_id)
            if committed is not None:
                return self._duplicate(command_id, sender, committed)
        future: asyncio.Future[Receipt] = asyncio.get_running_loop().create_future()
        self._in_flight[command_id] = future
        try:
            self._queue.put_nowait(Submission(sender, build, command_id, future))  # unbounded: never waits
            return await asyncio.shield(future)
        finally:
            self._in_flight.pop(command_id, None)

    def _duplicate(self, command_id: str, sender: str, sequences: tuple[int, int]) -> Receipt:
        first, last = sequences
        with self.lock:
            entries = tuple(islice(self.journal.read(first - 1), last - first + 1))
        return Receipt(command_id, sender, entries, duplicate=True)

    async def _run(self) -> None:
        queue = self._queue
        if queue is None:
            return
        while True:
            batch = [await queue.get()]
            while len(batch) < self.max_batch and not queue.empty():
                batch.append(queue.get_nowait())
            results = await asyncio.to_thread(self._commit, batch)
            for submission, result in zip(batch, results, strict=True):
                if submission.future.done():
                    continue
                if isinstance(result, BaseException):
                    submission.future.set_exception(result)
                else:
                    submission.future.set_result(result)

    def _commit(self, batch: list[Submission]) -> list[Receipt | BaseException]:
        with self.lock:
            try:
                try:
                    return self._execute(batch)
                except StreamConflict:
                    # Another process wrote the stream first: the engine has rebuilt its state from the
                    # journal, nothing of this batch was acknowledged; decide it again on the new state, once.
                    self.journal.catch_up()
                    return self._execute(batch)
            except JournalError as error:
                return [error] * len(batch)
            except Exception:
                if len(batch) == 1:
                    return [_unexpected()]
                return [result for submission in batch for result in self._commit_each(submission)]

    def _commit_each(self, submission: Submission) -> list[Receipt | BaseException]:
        try:
            return self._execute([submission])
        except JournalError as error:
            return [error]
        except Exception:
            return [_unexpected()]

    def _execute(self, batch: list[Submission]) -> list[Receipt | BaseException]:
        stamp = self.now_ns()
        self._last_ns = stamp
        sent = [Sent(submission.sender, submission.build(stamp)) for submission in batch]
        ids = [submission.command_id for submission in batch]
        self.journal.last_entries = []
        outcomes = self.engine.execute_batch(sent, ids)
        by_command: dict[str, list[StoredEvent]] = {}
        for entry in self.journal.last_entries:
            by_command.setdefault(entry.command_id, []).append(entry)
        self.stats.batches += 1
        self.stats.commands += len(batch)
        self.stats.largest_batch = max(self.stats.largest_batch, len(batch))
        results: list[Receipt | BaseException] = []
        for submission, outcome in zip(batch, outcomes, strict=True):
            if isinstance(outcome, Accepted):
                entries = tuple(by_command.get(outcome.command_id, ()))
                results.append(Receipt(outcome.command_id, submission.sender, entries))
            else:
                results.append(outcome.error)
        return results


def _unexpected() -> RingfenceError:
    """Log the error outside the tree that a command tripped; return what the client is told (no details)."""
    _log.exception("a command failed outside the error tree; nothing of its batch was committed")
    return RingfenceError("the service failed to run this command (an internal error; nothing was committed)")
