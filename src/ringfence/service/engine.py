"""The engine service: the one place commands become durable facts.

Every command arrives with its sender, the principal the calling adapter authenticated
(:class:`~ringfence.core.commands.Sent`); the core checks that sender's authority.
For each command: :func:`~ringfence.core.apply.apply` it to the current state (``decide``,
whose rejection raises and changes nothing, then ``evolve`` by each event, so the next command
of the batch sees it), then append
the batch's events to the journal in one transaction. Only after the journal returns are
the outcomes handed back: that is the acknowledgement. If the append fails, the live state
is rebuilt from the journal, so nothing unacknowledged survives in memory either.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from ringfence.core.apply import apply
from ringfence.core.commands import Command, Sent
from ringfence.core.errors import InvalidCommand, RingfenceError
from ringfence.core.events import Event
from ringfence.core.evolve import evolve_all
from ringfence.core.pool.series_exposure import PoolExposure, pool_exposure
from ringfence.core.state import LedgerState
from ringfence.store.journal import Journal, PendingCommand, StoredEvent

__all__ = ["Accepted", "Engine", "Outcome", "Rejected", "replay"]

DEFAULT_STREAM = "clearing"


@dataclass(frozen=True, slots=True)
class Accepted:
    """A durable command and the events it produced."""

    command_id: str
    events: tuple[Event, ...]


@dataclass(frozen=True, slots=True)
class Rejected:
    """A refused command; it changed nothing."""

    command_id: str
    error: RingfenceError


Outcome = Accepted | Rejected


def replay(entries: Iterable[StoredEvent], state: LedgerState | None = None) -> LedgerState:
    """Rebuild the state by evolving every stored event in order."""
    return evolve_all(state if state is not None else LedgerState(), (entry.event() for entry in entries))


class Engine:
    """Runs commands against a journal-backed state.

    Parameters
    ----------
    journal:
        Where events are made durable; its content is verified (keyed chain, signed head)
        and replayed on construction: a journal that fails verification raises
        :class:`~ringfence.core.errors.JournalCorrupted` and is not trusted.
    stream:
        The journal stream this engine writes (one writer per stream).
    """

    def __init__(self, journal: Journal, stream: str = DEFAULT_STREAM) -> None:
        self._journal = journal
        self._stream = stream
        self._state = replay(journal.read_verified())
        self._version = journal.stream_version(stream)
        self._subscribers: list[Callable[[Sequence[Event]], None]] = []

    @property
    def state(self) -> LedgerState:
        """The current state. Read it; never mutate it (only ``evolve`` does)."""
        return self._state

    @property
    def journal(self) -> Journal:
        """The journal behind this engine."""
        return self._journal

    def pool_exposure(self, pool: str, now_ns: int) -> PoolExposure:
        """Return the net delta, gamma and vega of ``pool``'s counterparty book in its series at ``now_ns``.

        See :func:`ringfence.core.pool.series_exposure.pool_exposure`.
        """
        return pool_exposure(self._state, pool, now_ns)

    def subscribe(self, callback: Callable[[Sequence[Event]], None]) -> None:
        """Call ``callback`` with the events of every acknowledged batch."""
        self._subscribers.append(callback)

    def execute(self, command: Command, *, sender: str, command_id: str | None = None) -> tuple[Event, ...]:
        """Run one command from ``sender`` durably and return its events.

        Raises
        ------
        RingfenceError
            The command's rejection; the state and the journal are unchanged.
        """
        sent = [Sent(sender, command)]
        outcome = self.execute_batch(sent, [command_id] if command_id is not None else None)[0]
        if isinstance(outcome, Rejected):
            raise outcome.error
        return outcome.events

    def execute_batch(
        self, commands: Sequence[Sent], command_ids: Sequence[str] | None = None, *, atomic: bool = False
    ) -> list[Outcome]:
        """Run commands, each with its sender, in order and commit the accepted ones in one journal transaction.

        Group commit: the whole batch becomes durable at once, and no outcome is returned
        before it is. Rejected commands are reported and leave no trace. With ``atomic`` the
        batch is all or nothing: the first rejection ends it, the commands before it are
        dropped too (the state is rebuilt from the journal) and the outcomes end with that
        rejection; nothing is appended.
        """
        if command_ids is not None and len(command_ids) != len(commands):
            raise InvalidCommand("command_ids must match commands one to one")
        ids = list(command_ids) if command_ids is not None else [f"{self._version}:{i}" for i in range(len(commands))]
        outcomes: list[Outcome] = []
        pending: list[PendingCommand] = []
        try:
            for sent, command_id in zip(commands, ids, strict=True):
                try:
                    events = tuple(apply(self._state, sent.command, sent.sender))
                except RingfenceError as error:
                    outcomes.append(Rejected(command_id, error))
                    if atomic:
                        self._restore()
                        return outcomes
                    continue
                pending.append(PendingCommand(command_id, events))
                outcomes.append(Accepted(command_id, events))
            entries = self._journal.append(self._stream, self._version, pending) if pending else []
        except BaseException:
            # Nothing of this batch was acknowledged: drop it from memory too.
            self._restore()
            raise
        if entries:
            self._version = entries[-1].version
            for callback in self._subscribers:
                callback([event for command in pending for event in command.events])
        return outcomes

    def _restore(self) -> None:
        self._state = replay(self._journal.read_verified())
        self._version = self._journal.stream_version(self._stream)
