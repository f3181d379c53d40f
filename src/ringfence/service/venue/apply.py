"""Load a venue and a script, check them completely, then apply them through the engine.

1. Both files are parsed, validated and compiled to commands (every amount converted to
   atoms) before anything runs: a problem anywhere raises :class:`VenueFileError`.
2. The venue is executed as one all-or-nothing batch (one journal transaction): a rejection
   is reported at the key path of the field it names and nothing is kept.
3. Then each script command runs through :meth:`Engine.execute`, in order. A rejected command changes nothing (the
   engine's guarantee); the script stops there unless asked to keep going.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ringfence.core.commands import Sent
from ringfence.core.errors import CommandRejected, InvalidCommand, RingfenceError
from ringfence.core.events import Event
from ringfence.core.evolve import evolve_all
from ringfence.core.state import LedgerState
from ringfence.service.engine import Engine, Rejected
from ringfence.service.venue.catalog import Catalog
from ringfence.service.venue.compile import VenueProgram, compile_venue, rejection_message, rejection_path
from ringfence.service.venue.problems import Problem, VenueFileError
from ringfence.service.venue.script import ScriptStep, compile_script
from ringfence.store.journal import StoredEvent

__all__ = ["Plan", "StepResult", "apply_venue", "load_plan", "read_toml", "replay_with_time", "run_script"]

_TIME_FIELDS = ("timestamp_ns", "accepted_ns", "published_ns")


@dataclass(frozen=True, slots=True)
class Plan:
    """A compiled venue and script, ready to run."""

    venue: VenueProgram
    script: tuple[ScriptStep, ...]


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


def apply_venue(engine: Engine, program: VenueProgram, source: str = "venue file") -> int:
    """Execute the venue's commands as one all-or-nothing batch; return how many ran.

    Raises
    ------
    VenueFileError
        If the venue refuses any command, at the key path of the field it names; nothing was
        executed (the engine's atomic batch appends nothing and rebuilds its state).
    """
    sent = [Sent(compiled.sender, compiled.command) for compiled in program.commands]
    outcomes = engine.execute_batch(sent, atomic=True)
    for compiled, outcome in zip(program.commands, outcomes, strict=False):
        if isinstance(outcome, Rejected):
            problem = Problem(rejection_path(compiled, outcome.error), rejection_message(outcome.error))
            raise VenueFileError(source, [problem], outcome.error)
    return len(outcomes)


def run_script(engine: Engine, steps: Iterable[ScriptStep], *, keep_going: bool = False) -> Iterator[StepResult]:
    """Execute each step's commands in order, yielding one result per step.

    A rejected command (invalid or refused) changed nothing; its result names the key path of
    the field the error names. Without ``keep_going`` the script stops after it. Journal
    failures and invariant violations propagate.
    """
    for step in steps:
        events: list[Event] = []
        for compiled in step.commands:
            try:
                events.extend(engine.execute(compiled.command, sender=compiled.sender))
            except (InvalidCommand, CommandRejected) as error:
                yield StepResult(step, tuple(events), error, rejection_path(compiled, error))
                if not keep_going:
                    return
                break
        else:
            yield StepResult(step, tuple(events))


def replay_with_time(entries: Iterable[StoredEvent]) -> tuple[LedgerState, int]:
    """Replay journal entries (``evolve`` only: replay decides nothing); return the state and the latest time (ns)."""
    events = [entry.event() for entry in entries]
    state = evolve_all(LedgerState(), events)
    latest = max((getattr(event, name, 0) for event in events for name in _TIME_FIELDS), default=0)
    return state, latest
