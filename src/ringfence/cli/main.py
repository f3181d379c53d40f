"""``ringfence``: the command-line adapter.

Exit codes map the error tree: 0 ok, 2 invalid input, 3 command rejected,
4 journal error (including a failed ``journal verify``), 70 invariant violation.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from ringfence.cli.backtest import register as register_backtest
from ringfence.cli.calibrate import register as register_calibrate
from ringfence.cli.demo import run_demo
from ringfence.cli.exit_codes import EXIT_CODES, exit_code_for
from ringfence.cli.stress import register as register_stress
from ringfence.cli.venue import venue_app
from ringfence.core.errors import JournalError, RingfenceError
from ringfence.store.sqlite import SqliteJournal

__all__ = ["EXIT_CODES", "app", "exit_code_for", "main"]

app = typer.Typer(help="ringfence: an exact clearing and risk engine built on isolation.", no_args_is_help=True)
journal_app = typer.Typer(help="Inspect and verify durable journals.", no_args_is_help=True)
app.add_typer(journal_app, name="journal")
app.add_typer(venue_app, name="venue")
console = Console(width=None if Console().is_terminal else 140)
register_stress(app, console)
register_backtest(app, console)
register_calibrate(app, console)


@app.command()
def demo(
    journal: Annotated[
        Path | None, typer.Option(help="SQLite journal to write (default: a temporary file, removed after).")
    ] = None,
) -> None:
    """Run a small end-to-end demo of the exact ledger and print a readable summary."""
    run_demo(console, journal)


@journal_app.command("verify")
def journal_verify(path: Annotated[Path, typer.Argument(help="The SQLite journal file.")]) -> None:
    """Recompute the journal's hash chain; exit non-zero if any entry was altered."""
    if not path.is_file():
        console.print(f"[red]no journal at {path}[/red]")
        raise typer.Exit(2)
    journal = SqliteJournal(path)
    try:
        count = journal.verify()
    except JournalError as error:
        console.print(f"[red]journal {path} FAILED verification:[/red] {error}")
        raise typer.Exit(exit_code_for(error)) from None
    finally:
        journal.close()
    console.print(f"[green]journal {path} verified:[/green] {count} entries, hash chain intact")


def main() -> None:
    """Entry point of the ``ringfence`` script."""
    try:
        app()
    except RingfenceError as error:
        console.print(f"[red]{type(error).__name__}:[/red] {error}")
        raise SystemExit(exit_code_for(error)) from None
