"""Load a venue and a script, check them completely, then apply them through the engine.

1. Both files are parsed, validated and compiled to commands (every amount converted to
   atoms) before anything runs: a problem anywhere raises :class:`VenueFileError`.
2. Every command carries its sender (:class:`~ringfence.core.commands.Sent`). A principal
   not registered yet is registered (``RegisterPrincipal``, prepared by
   :func:`~ringfence.service.venue.senders.authenticate_plan`) in the same all-or-nothing
   batch as its first command, so a principal whose commands are all refused leaves no trace.
3. The venue is executed as one all-or-nothing batch (one journal transaction): a rejection
   is reported at the key path of the field it names and nothing is kept.
4. Then each script command runs through the engine, in order. A rejected command changes
   nothing (the engine's guarantee); the script stops there unless asked to keep going.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ringfence.core.commands import RegisterPrincipal, Sent
from ringfence.core.errors import CommandRejected, InvalidCommand, RingfenceError
from ringfence.core.events import Event
from ringfence.core.evolve import evolve_all
from ringfence.core.state import LedgerState
from ringfence.service.engine import Engine, Rejected
from ringfence.service.venue.catalog import Catalog
from ringfence.service.venue.compile import (
    Compiled,
    VenueProgram,
    compile_venue,
    rejection_message,
    rejection_path,
)
from ringfence.service.venue.problems import Problem, VenueFileError
from ringfence.service.venue.script import ScriptStep, compile_script
from ringfence.store.journal import StoredEvent

__all__ = [
    "Plan",
    "Registrations",
    "StepResult",
    "apply_venue",
    "create_venue",
    "load_plan",
    "load_script_plan",
    "read_toml",
    "replay_with_time",
    "run_script",
]

_TIME_FIELDS = ("timestamp_ns", "accepted_ns", "published_ns")


@dataclass(frozen=True, slots=True)
class Plan:
    """A compiled venue and script, ready to run, and the registrations its new senders need."""

    venue: VenueProgram
    script: tuple[ScriptStep, ...]
    registrations: Mapping[str, Compiled] = field(default_factory=dict)
    """``RegisterPrincipal`` per sender not registered yet, by name (see :mod:`.senders`)."""

    def commands(self) -> Iterator[Compiled]:
        """Yield every command of the venue, then of the script, in order."""
        yield from self.venue.commands
        for step in self.script:
            yield from step.commands

    def senders(self) -> tuple[str, ...]:
        """Return every principal that sends a command of the plan, in order of first appearance."""
        return tuple(dict.fromkeys(compiled.sender for compiled in self.commands()))


class Registrations:
    """The registrations still to run: each goes in one batch with its principal's first command."""

    def __init__(self, pending: Mapping[str, Compiled] | None = None) -> None:
        self._pending = dict(pending or {})

    def batch(self, commands: Iterable[Compiled]) -> list[Compiled]:
        """Return ``commands`` with each pending registration before its principal's first command (taken)."""
        batch: list[Compiled] = []
        for compiled in commands:
            registration = self._pending.pop(compiled.sender, None)
            if registration is not None:
                batch.append(registration)
            batch.append(compiled)
        return batch

    def put_back(self, batch: Iterable[Compiled]) -> None:
        """Return the registrations of a batch that was not appended."""
        for compiled in batch:
            if isinstance(compiled.command, RegisterPrincipal):
                self._pending[compiled.sender] = compiled


@dataclass(frozen=True, slots=True)
class StepResult:
    """What one script entry did: its events, or the rejection that stopped it (at a key path)."""

    step: ScriptStep
    events: tuple[Event, ...]
    error: RingfenceError | None = None
    path: str = ""


def read_toml(path: Path) -> dict[str, Any]:
    """Read a TOML file; a syntax error is a :class:`VenueFileError` with TOML's line and column."""
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as error:
        raise VenueFileError(str(path), [Problem("", f"not valid TOML: {error}")]) from None
    except UnicodeDecodeError as error:
        raise VenueFileError(
            str(path), [Problem("", f"not UTF-8 text ({error.reason} at byte {error.start})")]
        ) from None
    except OSError as error:
        raise VenueFileError(str(path), [Problem("", f"cannot read the file: {error.strerror}")]) from None


def load_plan(state: LedgerState, venue_path: Path, script_path: Path | None = None) -> Plan:
    """Read, validate and compile a venue file and an optional script against ``state``."""
    catalog = Catalog.from_state(state)
    venue = compile_venue(read_toml(venue_path), catalog, str(venue_path))
    if script_path is None:
        return Plan(venue, ())
    return Plan(venue, compile_script(read_toml(script_path), catalog, venue.start_ns, str(script_path)))


@dataclass(frozen=True, slots=True)
class _Refusal:
    compiled: Compiled
    error: RingfenceError


def _execute_atomic(engine: Engine, batch: Sequence[Compiled]) -> tuple[Event, ...] | _Refusal:
    """Run ``batch`` all or nothing; return its events, or the refused command and its error."""
    outcomes = engine.execute_batch([Sent(compiled.sender, compiled.command) for compiled in batch], atomic=True)
    events: list[Event] = []
    for compiled, outcome in zip(batch, outcomes, strict=False):
        if isinstance(outcome, Rejected):
            return _Refusal(compiled, outcome.error)
        events.extend(outcome.events)
    return tuple(events)


def load_script_plan(state: LedgerState, script_path: Path, start_ns: int) -> Plan:
    """Read, validate and compile a script for a venue already in ``state``; times count from ``start_ns``."""
    catalog = Catalog.from_state(state)
    steps = compile_script(read_toml(script_path), catalog, start_ns, str(script_path))
    return Plan(VenueProgram("", start_ns, ()), steps)


def apply_venue(
    engine: Engine, program: VenueProgram, source: str = "venue file", registrations: Registrations | None = None
) -> int:
    """Execute the venue's commands, with their senders' pending registrations, as one all-or-nothing batch.

    Return how many commands ran (registrations included).

    Raises
    ------
    VenueFileError
        If the venue refuses any command, at the key path of the field it names; nothing was
        executed (the engine's atomic batch appends nothing and rebuilds its state).
    """
    pending = registrations if registrations is not None else Registrations()
    batch = pending.batch(program.commands)
    if not batch:
        return 0
    result = _execute_atomic(engine, batch)
    if isinstance(result, _Refusal):
        pending.put_back(batch)
        problem = Problem(rejection_path(result.compiled, result.error), rejection_message(result.error))
        raise VenueFileError(source, [problem], result.error)
    return len(batch)


def create_venue(engine: Engine, definition: Mapping[str, Any], *, source: str = "venue definition") -> VenueProgram:
    """Compile a venue definition and run it through ``engine`` as one all-or-nothing genesis.

    The library's way to build a venue in Python: ``definition`` holds the tables of a venue
    file (:mod:`~ringfence.service.venue.model`) as a mapping, in human units (``"10%"``,
    ``"4000"``, ``"1h"``); the same as :func:`compile_venue` then :func:`apply_venue`, which
    it calls. Each command is sent by its principal (the admin for the genesis, a feeder for
    its prices, an owner for its funding); an in-process caller is its own adapter, so no
    identity is checked.

    Parameters
    ----------
    engine:
        The engine to run the genesis in; its state must be empty (``ConfigureGovernance``
        runs only on an empty ledger).
    definition:
        The venue file's tables: ``venue`` (``admin`` required), ``governance``, ``assets``,
        ``oracles``, ``prices``, ``pools`` with their ``markets``, and the funding lists
        ``deposits``, ``liquidity``, ``insurance``.
    source:
        The name problems are reported under.

    Returns
    -------
    VenueProgram
        The compiled venue: its name, start time (``start_ns``: later commands count from it)
        and commands, each with its sender.

    Raises
    ------
    VenueFileError
        Every problem of the definition at its key path (nothing ran), or the venue's
        rejection of one of its commands (nothing was appended).
    """
    program = compile_venue(definition, Catalog.from_state(engine.state), source)
    apply_venue(engine, program, source)
    return program


def run_script(
    engine: Engine,
    steps: Iterable[ScriptStep],
    *,
    keep_going: bool = False,
    registrations: Registrations | None = None,
) -> Iterator[StepResult]:
    """Execute each step's commands in order, yielding one result per step.

    A command whose sender is not registered yet runs in one all-or-nothing batch with its
    pending registration. A rejected command (invalid or refused) changed nothing; its result
    names the key path of the field the error names. Without ``keep_going`` the script stops
    after it. Journal failures and invariant violations propagate.
    """
    pending = registrations if registrations is not None else Registrations()
    for step in steps:
        events: list[Event] = []
        for compiled in step.commands:
            batch = pending.batch([compiled])
            result = _execute_atomic(engine, batch)
            if isinstance(result, _Refusal):
                pending.put_back(batch)
                if not isinstance(result.error, InvalidCommand | CommandRejected):
                    raise result.error
                yield StepResult(step, tuple(events), result.error, rejection_path(result.compiled, result.error))
                if not keep_going:
                    return
                break
            events.extend(result)
        else:
            yield StepResult(step, tuple(events))


def replay_with_time(entries: Iterable[StoredEvent]) -> tuple[LedgerState, int]:
    """Replay journal entries (``evolve`` only: replay decides nothing); return the state and the latest time (ns)."""
    events = [entry.event() for entry in entries]
    state = evolve_all(LedgerState(), events)
    latest = max((getattr(event, name, 0) for event in events for name in _TIME_FIELDS), default=0)
    return state, latest
