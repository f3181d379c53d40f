"""``ringfence venue apply`` and ``ringfence venue show``: a venue from TOML, a script, readable state.

``apply VENUE.toml [SCRIPT.toml] [--journal PATH] [--keep-going]`` validates both files
completely (nothing runs if either is invalid: exit 2, every problem at its key path), runs
the venue as one batch, then each script command in order. A rejected command changes
nothing; the script stops there (exit 2 if it was invalid, 3 if the venue refused it) unless
``--keep-going``, which runs the rest and still exits with the first rejection's code.
Before anything is appended the whole plan is decided against a scratch copy of the state,
exactly as it will run, so an invalid command anywhere in the script (a zero amount, an
owner name outside the accepted characters, a sub-account out of range) refuses both
files with exit 2 and leaves the journal untouched. The journal is SQLite at ``--journal``
(verified against its key and signed head before anything runs) or in memory.
``show --journal PATH`` opens the journal read-only, verifies it, replays it and prints the
same tables, as of the latest time the journal records. ``--key-file`` names the journal's
key (default: ``$RINGFENCE_JOURNAL_KEY_FILE``, else ``JOURNAL.key``). Exit codes: 0 ok,
2 an invalid file, 3 a refused command, 4 a journal error (tampered, truncated, wrong key,
not a journal, a directory, a missing folder).
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from ringfence.cli.exit_codes import exit_code_for
from ringfence.cli.journal import KeyFileOption, head_line
from ringfence.cli.venue_report import result_lines
from ringfence.cli.venue_tables import venue_tables
from ringfence.core.apply import apply
from ringfence.core.errors import CommandRejected, InvalidCommand, InvariantViolation, RingfenceError
from ringfence.core.state import LedgerState
from ringfence.service.engine import Engine
from ringfence.service.venue import (
    Plan,
    Problem,
    VenueFileError,
    apply_venue,
    load_plan,
    rejection_message,
    replay_with_time,
    run_script,
)
from ringfence.service.venue.compile import rejection_path
from ringfence.store.journal import Journal
from ringfence.store.memory import MemoryJournal
from ringfence.store.sqlite import SqliteJournal

__all__ = ["venue_app"]

venue_app = typer.Typer(
    help="Define a venue in TOML, apply a command script, show pools and accounts.", no_args_is_help=True
)
console = Console(width=None if Console().is_terminal else 180)

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@contextmanager
def _exit_codes() -> Iterator[None]:
    """Print an error of the tree and exit with its code (a file problem: every key path)."""
    try:
        yield
    except VenueFileError as error:
        verdict = "is invalid" if error.cause is None or isinstance(error.cause, InvalidCommand) else "was refused"
        console.print(f"[red]{escape(error.source)} {verdict}[/red]; nothing was executed:", highlight=False)
        for problem in error.problems:
            console.print(f"  {problem}", markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(exit_code_for(error.cause) if error.cause is not None else exit_code_for(error)) from None
    except RingfenceError as error:
        console.print(f"[red]{type(error).__name__}:[/red] {error.message}", highlight=False)
        raise typer.Exit(exit_code_for(error)) from None


def _moment(nanoseconds: int) -> str:
    return (_EPOCH + timedelta(microseconds=nanoseconds // 1_000)).isoformat().replace("+00:00", "Z")


def _check_plan(state: LedgerState, plan: Plan, source: str, keep_going: bool) -> None:
    """Decide the whole plan against a scratch copy of ``state``, as it will run; nothing is appended.

    Raises
    ------
    VenueFileError
        At the first script command that is invalid (not merely refused) where the run would
        reach it. A refusal of the venue itself is left to :func:`apply_venue`'s own dry run.
    """
    scratch = copy.deepcopy(state)
    try:
        for compiled in plan.venue.commands:
            apply(scratch, compiled.command, compiled.sender)
    except RingfenceError:
        return
    for step in plan.script:
        for compiled in step.commands:
            try:
                apply(scratch, compiled.command, compiled.sender)
            except InvalidCommand as error:
                problem = Problem(rejection_path(compiled, error), rejection_message(error))
                raise VenueFileError(source, [problem], error) from None
            except CommandRejected:
                if not keep_going:
                    return
                break


def _print_state(journal: Journal) -> None:
    state, as_of_ns = replay_with_time(journal.read_verified())
    console.print(f"\nstate as of {_moment(as_of_ns)} (the latest time in the journal)")
    for table in venue_tables(state, as_of_ns):
        console.print(table)


def _run(journal: Journal, venue: Path, script: Path | None, keep_going: bool) -> RingfenceError | None:
    engine = Engine(journal)
    plan = load_plan(engine.state, venue, script)
    _check_plan(engine.state, plan, str(script), keep_going)
    count = apply_venue(engine, plan.venue, str(venue))
    console.print(f"venue {plan.venue.name!r}: {count} commands at {_moment(plan.venue.start_ns)}", highlight=False)
    first: RingfenceError | None = None
    applied = 0
    for result in run_script(engine, plan.script, keep_going=keep_going):
        for line in result_lines(result, engine.state):
            console.print(line, highlight=False, soft_wrap=True)
        if result.error is None:
            applied += 1
        elif first is None:
            first = result.error
    if first is not None and not keep_going:
        console.print(
            f"[yellow]script stopped[/yellow] after {applied} applied entries; the rejected command changed nothing "
            "(--keep-going runs past rejections)",
            highlight=False,
        )
    replayed, _ = replay_with_time(journal.read_verified())
    if replayed != engine.state:
        raise InvariantViolation("replay equals live", "the journal's replay differs from the live state")
    _print_state(journal)
    if isinstance(journal, SqliteJournal):
        console.print(head_line(journal.head()), highlight=False, soft_wrap=True)
    return first


@venue_app.command("apply")
def venue_apply(
    venue: Annotated[Path, typer.Argument(help="The venue file (TOML).")],
    script: Annotated[Path | None, typer.Argument(help="A command script (TOML [[command]] tables).")] = None,
    journal: Annotated[Path | None, typer.Option(help="SQLite journal to write (default: in memory).")] = None,
    keep_going: Annotated[bool, typer.Option("--keep-going", help="Run past rejected commands.")] = False,
    key_file: KeyFileOption = None,
) -> None:
    """Validate a venue and a script, apply them, and print the venue's state."""
    with _exit_codes():
        store: Journal = SqliteJournal(journal, key_file=key_file) if journal is not None else MemoryJournal()
        try:
            first = _run(store, venue, script, keep_going)
        finally:
            store.close()
    if first is not None:
        raise typer.Exit(exit_code_for(first))


@venue_app.command("show")
def venue_show(
    journal: Annotated[Path, typer.Option(help="The SQLite journal to replay (opened read-only).")],
    key_file: KeyFileOption = None,
) -> None:
    """Verify a journal read-only, replay it and print its assets, pools, markets, positions and sub-accounts."""
    if not journal.exists():
        console.print(f"[red]no journal at {journal}[/red]", highlight=False)
        raise typer.Exit(2)
    with _exit_codes():
        store = SqliteJournal(journal, key_file=key_file, read_only=True)
        try:
            _print_state(store)
        finally:
            store.close()
