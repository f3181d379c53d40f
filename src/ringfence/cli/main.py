"""``ringfence``: the command-line adapter.

Exit codes map the error tree: 0 ok, 2 invalid input (a malformed file or option, a
missing input file, a path that must not exist yet, an identity file that is missing,
malformed or readable by others), 3 command rejected, 4 journal error
(a failed ``journal verify``, a truncated, edited or rebuilt journal, a wrong or missing
key, a journal path that is a directory, in a missing folder, not SQLite or not a
ringfence journal, an unadopted old journal), 5 a solvency check failed (``proof verify``
rejected a proof; ``proof check`` found liabilities not covered, or a commitment that differs from
its journal), 69 ``--backend ray`` without the ``ray`` package, 75 a Ray cluster unreachable or a
task's worker lost, 70 invariant violation.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from ringfence.cli.allocate import register as register_allocate
from ringfence.cli.backtest import register as register_backtest
from ringfence.cli.calibrate import register as register_calibrate
from ringfence.cli.demo import run_demo
from ringfence.cli.domains import register as register_domains
from ringfence.cli.exit_codes import EXIT_CODES, exit_code_for
from ringfence.cli.identity import register as register_identity
from ringfence.cli.journal import register as register_journal
from ringfence.cli.proof import register as register_proof
from ringfence.cli.recommend import register as register_recommend
from ringfence.cli.serve import register as register_serve
from ringfence.cli.stress import register as register_stress
from ringfence.cli.venue import venue_app
from ringfence.core.errors import RingfenceError

__all__ = ["EXIT_CODES", "app", "exit_code_for", "main"]

app = typer.Typer(help="ringfence: an exact clearing and risk engine built on isolation.", no_args_is_help=True)
journal_app = typer.Typer(help="Inspect and verify durable journals.", no_args_is_help=True)
app.add_typer(journal_app, name="journal")
app.add_typer(venue_app, name="venue")
console = Console(width=None if Console().is_terminal else 140)
register_stress(app, console)
register_backtest(app, console)
register_calibrate(app, console)
register_recommend(app, console)
register_journal(journal_app, console)
register_identity(app, console)
register_proof(app, console)
register_serve(app, console)
register_domains(app, console)
register_allocate(app, console)


@app.command()
def demo(
    journal: Annotated[
        Path | None,
        typer.Option(
            help="A new SQLite journal to write (default: a temporary file, removed after); never an existing file."
        ),
    ] = None,
) -> None:
    """Run a small end-to-end demo of the exact ledger and print a readable summary."""
    try:
        run_demo(console, journal)
    except RingfenceError as error:
        console.print(f"[red]{type(error).__name__}:[/red] {escape(error.message)}", highlight=False)
        raise typer.Exit(exit_code_for(error)) from None


def main() -> None:
    """Entry point of the ``ringfence`` script."""
    try:
        app()
    except RingfenceError as error:
        console.print(f"[red]{type(error).__name__}:[/red] {error}")
        raise SystemExit(exit_code_for(error)) from None
