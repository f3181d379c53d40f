"""``ringfence venue apply|run|show``: a venue from TOML, command scripts, readable state.

``apply VENUE.toml [SCRIPT.toml] [--journal PATH] [--keep-going] --identity-dir DIR`` validates
both files completely (nothing runs if either is invalid: exit 2, every problem at its key
path), authenticates every sender, runs the venue (its genesis, by its admin) as one batch,
then each script command in order. ``run SCRIPT.toml --journal PATH --identity ...`` runs a
script against a venue already in the journal; its times (``at``) count from the latest
time the journal records. A rejected command changes nothing; the script stops there (exit 2
if it was invalid, 3 if the venue refused it) unless ``--keep-going``, which runs the rest
and still exits with the first rejection's code.

**Senders.** Every command is sent by a principal (the venue's admin, an oracle feeder, an
owner, a keeper: :mod:`ringfence.service.venue.script` says who by default), and before
anything is appended each must be authenticated by an identity file loaded with
``--identity PATH`` (repeatable) or ``--identity-dir DIR`` (its ``*.identity`` files; see
``ringfence identity new``): a principal the journal registered must present the key it
registered; a new one is registered with its identity's key (``RegisterPrincipal``) in the
batch of its first command, so a principal whose every command is refused leaves no trace.
A sender without an identity, or with another key than the registered one, is refused with
``NotAuthenticated`` (exit 3) and nothing is appended; an identity file that cannot be
loaded (missing, readable by others, malformed) is an ``IdentityError`` (exit 2).

Before anything is appended (and before the senders are authenticated) the whole plan is
decided against a scratch copy of the state, exactly as it will run, so an invalid command
anywhere in the script (a zero amount, an owner name outside the accepted characters, a
sub-account out of range) refuses both files with exit 2 and leaves the journal untouched.
The journal is SQLite at ``--journal`` (verified against its key and signed head before
anything runs) or, for ``apply``, in memory.
``show --journal PATH`` opens the journal read-only, verifies it, replays it and prints the
same tables, as of the latest time the journal records. ``--key-file`` names the journal's
key (default: ``$RINGFENCE_JOURNAL_KEY_FILE``, else ``JOURNAL.key``). Exit codes: 0 ok,
2 an invalid file, option or identity file, 3 a refused command (``Unauthorized``,
``ActingAsAnother``, ``GenesisClosed``, ``NotAuthenticated``, ...), 4 a journal error
(tampered, truncated, wrong key, not a journal, a directory, a missing folder).
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
from ringfence.service.authentication import Keyring
from ringfence.service.engine import Engine
from ringfence.service.venue import (
    Plan,
    Problem,
    Registrations,
    VenueFileError,
    apply_venue,
    load_plan,
    load_script_plan,
    rejection_message,
    replay_with_time,
    run_script,
)
from ringfence.service.venue.compile import rejection_path
from ringfence.service.venue.senders import authenticate_plan
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
        console.print(f"[red]{type(error).__name__}:[/red] {escape(error.message)}", highlight=False, soft_wrap=True)
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


def _run_script(engine: Engine, plan: Plan, registrations: Registrations, keep_going: bool) -> RingfenceError | None:
    """Run the plan's script, print a line per entry; return the first rejection."""
    first: RingfenceError | None = None
    applied = 0
    for result in run_script(engine, plan.script, keep_going=keep_going, registrations=registrations):
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
    return first


def _finish(journal: Journal, engine: Engine) -> None:
    """Check replay equals the live state, print the tables and the journal's head."""
    replayed, _ = replay_with_time(journal.read_verified())
    if replayed != engine.state:
        raise InvariantViolation("replay equals live", "the journal's replay differs from the live state")
    _print_state(journal)
    if isinstance(journal, SqliteJournal):
        console.print(head_line(journal.head()), highlight=False, soft_wrap=True)


def _genesis_registrations(plan: Plan) -> str:
    """Return ``; registered principals a, b`` for the venue's senders registered in its batch, else ``""``."""
    venue_senders = {compiled.sender for compiled in plan.venue.commands}
    names = [name for name in plan.registrations if name in venue_senders]
    return f"; registered principals {', '.join(names)}" if names else ""


def _run(
    journal: Journal, venue: Path, script: Path | None, keep_going: bool, keyring: Keyring
) -> RingfenceError | None:
    engine = Engine(journal)
    plan = load_plan(engine.state, venue, script)
    _check_plan(engine.state, plan, str(script), keep_going)
    plan = authenticate_plan(plan, engine.state, keyring)
    registrations = Registrations(plan.registrations)
    count = apply_venue(engine, plan.venue, str(venue), registrations)
    console.print(
        f"venue {escape(plan.venue.name)!r}: {count} commands at {_moment(plan.venue.start_ns)}, its genesis sent "
        f"by its admin {escape(plan.venue.admin)!r}{_genesis_registrations(plan)}",
        highlight=False,
        soft_wrap=True,
    )
    first = _run_script(engine, plan, registrations, keep_going)
    _finish(journal, engine)
    return first


def _run_on_journal(journal: Journal, script: Path, keep_going: bool, keyring: Keyring) -> RingfenceError | None:
    engine = Engine(journal)
    _, latest_ns = replay_with_time(journal.read_verified())
    plan = load_script_plan(engine.state, script, latest_ns)
    _check_plan(engine.state, plan, str(script), keep_going)
    plan = authenticate_plan(plan, engine.state, keyring)
    console.print(f"script {escape(str(script))!r}: times count from {_moment(latest_ns)}", highlight=False)
    first = _run_script(engine, plan, Registrations(plan.registrations), keep_going)
    _finish(journal, engine)
    return first


IdentityOption = Annotated[
    list[Path] | None,
    typer.Option("--identity", help="An identity file of a sender (repeatable); see `ringfence identity new`."),
]
IdentityDirOption = Annotated[
    list[Path] | None,
    typer.Option("--identity-dir", help="A folder whose *.identity files are loaded (repeatable)."),
]
KeepGoingOption = Annotated[bool, typer.Option("--keep-going", help="Run past rejected commands.")]


@venue_app.command("apply")
def venue_apply(
    venue: Annotated[Path, typer.Argument(help="The venue file (TOML): the genesis its admin sends.")],
    script: Annotated[Path | None, typer.Argument(help="A command script (TOML [[command]] tables).")] = None,
    journal: Annotated[Path | None, typer.Option(help="SQLite journal to write (default: in memory).")] = None,
    keep_going: KeepGoingOption = False,
    key_file: KeyFileOption = None,
    identity: IdentityOption = None,
    identity_dir: IdentityDirOption = None,
) -> None:
    """Authenticate every sender, apply a venue and a script, and print the venue's state."""
    with _exit_codes():
        keyring = Keyring.load(identity or (), identity_dir or ())
        store: Journal = SqliteJournal(journal, key_file=key_file) if journal is not None else MemoryJournal()
        try:
            first = _run(store, venue, script, keep_going, keyring)
        finally:
            store.close()
    if first is not None:
        raise typer.Exit(exit_code_for(first))


@venue_app.command("run")
def venue_run(
    script: Annotated[Path, typer.Argument(help="A command script (TOML [[command]] tables).")],
    journal: Annotated[Path, typer.Option(help="The SQLite journal of an applied venue.")],
    keep_going: KeepGoingOption = False,
    key_file: KeyFileOption = None,
    identity: IdentityOption = None,
    identity_dir: IdentityDirOption = None,
) -> None:
    """Authenticate every sender, run a script against a venue already in the journal, print its state."""
    if not journal.exists():
        console.print(f"[red]no journal at {escape(str(journal))}[/red] (create one with `venue apply`)")
        raise typer.Exit(2)
    with _exit_codes():
        keyring = Keyring.load(identity or (), identity_dir or ())
        store = SqliteJournal(journal, key_file=key_file)
        try:
            first = _run_on_journal(store, script, keep_going, keyring)
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
