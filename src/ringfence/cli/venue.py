"""``ringfence venue apply`` and ``ringfence venue show``: a venue from TOML, a script, readable state.

``apply VENUE.toml [SCRIPT.toml] [--journal PATH] [--keep-going]`` validates both files
completely (nothing runs if either is invalid: exit 2, every problem at its key path), runs
the venue as one batch, then each script command in order. A rejected command changes
nothing; the script stops there (exit 2 if it was invalid, 3 if the venue refused it) unless
``--keep-going``, which runs the rest and still exits with the first rejection's code. The
journal is SQLite at ``--journal`` or in memory. ``show --journal PATH`` replays a journal
and prints the same tables, as of the latest time the journal records.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from ringfence.cli.exit_codes import exit_code_for
from ringfence.cli.venue_report import result_lines
from ringfence.cli.venue_tables import venue_tables
from ringfence.core.errors import InvalidCommand, InvariantViolation, RingfenceError
from ringfence.service.engine import Engine
from ringfence.service.venue import VenueFileError, apply_venue, load_plan, replay_with_time, run_script
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


def _print_state(journal: Journal) -> None:
    state, as_of_ns = replay_with_time(journal.read())
    console.print(f"\nstate as of {_moment(as_of_ns)} (the latest time in the journal)")
    for table in venue_tables(state, as_of_ns):
        console.print(table)


def _run(journal: Journal, venue: Path, script: Path | None, keep_going: bool) -> RingfenceError | None:
    engine = Engine(journal)
    plan = load_plan(engine.state, venue, script)
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
    replayed, _ = replay_with_time(journal.read())
    if replayed != engine.state:
        raise InvariantViolation("replay equals live", "the journal's replay differs from the live state")
    _print_state(journal)
    return first


@venue_app.command("apply")
def venue_apply(
    venue: Annotated[Path, typer.Argument(help="The venue file (TOML).")],
    script: Annotated[Path | None, typer.Argument(help="A command script (TOML [[command]] tables).")] = None,
    journal: Annotated[Path | None, typer.Option(help="SQLite journal to write (default: in memory).")] = None,
    keep_going: Annotated[bool, typer.Option("--keep-going", help="Run past rejected commands.")] = False,
) -> None:
    """Validate a venue and a script, apply them, and print the venue's state."""
    store: Journal = SqliteJournal(journal) if journal is not None else MemoryJournal()
    try:
        with _exit_codes():
            first = _run(store, venue, script, keep_going)
            if first is not None:
                raise typer.Exit(exit_code_for(first))
    finally:
        store.close()


@venue_app.command("show")
def venue_show(journal: Annotated[Path, typer.Option(help="The SQLite journal to replay.")]) -> None:
    """Replay a journal and print its assets, pools, markets, positions and sub-accounts."""
    if not journal.is_file():
        console.print(f"[red]no journal at {journal}[/red]", highlight=False)
        raise typer.Exit(2)
    store = SqliteJournal(journal)
    try:
        with _exit_codes():
            _print_state(store)
    finally:
        store.close()
