"""``ringfence serve``: run the venue's HTTP service (FastAPI under uvicorn) over its journal.

``serve [--journal venue.sqlite] [--venue FILE] [--identity-dir DIR] [--host 127.0.0.1] [--port 8000]``
opens the journal (a path: SQLite with its key and signed head, like ``ringfence venue``; a
``SCHEME://`` URL: a backend registered with :func:`ringfence.http.opener.register_opener`),
verifies and replays it, and serves it. On a journal that does not exist yet it first applies a
venue as its genesis: ``--venue FILE`` with the senders' identity files in ``--identity-dir``, or
by default the bundled example venue, whose demo identities are created in ``--identity-dir``
(default ``ids``) when missing. ``--results DIR`` serves the stress results ``ringfence stress
--out DIR`` wrote. Exit codes as elsewhere: 2 invalid input, 3 a refused genesis, 4 a journal error.
"""

from __future__ import annotations

import gc
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from ringfence.cli.exit_codes import exit_code_for
from ringfence.cli.journal import KeyFileOption
from ringfence.core.errors import RingfenceError
from ringfence.service.venue import VenueFileError

__all__ = ["register"]


def _companions(journal: str) -> set[Path]:
    """Return the files a new SQLite journal at ``journal`` creates that exist now (itself, WAL, head, key)."""
    base = Path(journal)
    names = (base, Path(f"{journal}-wal"), Path(f"{journal}-shm"), Path(f"{journal}.head"), Path(f"{journal}.key"))
    return {path for path in names if path.exists()}


def _serve(
    console: Console,
    journal: str,
    key_file: Path | None,
    venue: Path | None,
    identity_dir: Path,
    host: str,
    port: int,
    results: Path | None,
    rate: float,
    burst: int,
    audience: str | None,
    access_log: bool,
) -> None:
    import uvicorn  # noqa: PLC0415 (the server's imports stay out of every other command's start-up)

    from ringfence.http import RateLimits, ServiceSettings, create_app  # noqa: PLC0415
    from ringfence.http.genesis import apply_genesis, genesis_audience  # noqa: PLC0415
    from ringfence.http.opener import is_new_journal, open_journal  # noqa: PLC0415

    new = is_new_journal(journal)
    before = _companions(journal) if new else set()
    store = open_journal(journal, key_file)
    try:
        if new or next(store.read(0), None) is None:
            try:
                genesis = apply_genesis(store, venue, identity_dir)
            except BaseException:
                if new:  # leave no empty journal behind: the next `serve` starts afresh
                    store.close()
                    for path in _companions(journal) - before:
                        path.unlink(missing_ok=True)
                raise
            made = f"; demo identities created in {identity_dir}: {', '.join(genesis.created_identities)}"
            console.print(
                f"venue {escape(genesis.venue)!r} created in {escape(journal)} ({genesis.commands} commands)"
                + (escape(made) if genesis.created_identities else ""),
                highlight=False,
            )
        elif venue is not None:
            console.print(f"[yellow]{escape(journal)} holds a venue already; --venue is ignored[/yellow]")
        settings = ServiceSettings(
            audience=audience or genesis_audience(store),
            limits=RateLimits(rate, burst),
            results_dir=results,
        )
        app = create_app(store, settings)
        # What start-up built (modules, the replayed state, the journal's index) lives as long as the
        # process: keep it out of the cyclic collector, whose full collections would otherwise walk it
        # all and stall every request for a few hundred milliseconds (the load test's p99).
        gc.collect()
        gc.freeze()
        console.print(
            f"serving {escape(journal)} at http://{host}:{port} (OpenAPI: /docs; token audience {settings.audience!r})",
            highlight=False,
        )
        # uvloop and httptools explicitly (both are dependencies): the HTTP stack is most of a command's CPU.
        uvicorn.run(
            app,
            host=host,
            port=port,
            loop="asyncio" if sys.platform == "win32" else "uvloop",
            http="httptools",
            log_level="info",
            access_log=access_log,
            timeout_graceful_shutdown=3,
        )
    finally:
        store.close()


def register(app: typer.Typer, console: Console) -> None:
    """Add ``serve`` to the ``ringfence`` command."""

    @app.command()
    def serve(
        journal: Annotated[
            str, typer.Option(help="The journal: an SQLite path (created with a venue if missing) or a URL.")
        ] = "venue.sqlite",
        key_file: KeyFileOption = None,
        venue: Annotated[
            Path | None, typer.Option(help="A venue file (TOML) to apply to a new journal (default: the bundled one).")
        ] = None,
        identity_dir: Annotated[
            Path, typer.Option(help="The identity files of the venue's senders (the example's are created here).")
        ] = Path("ids"),
        host: Annotated[str, typer.Option(help="The address to listen on.")] = "127.0.0.1",
        port: Annotated[int, typer.Option(help="The port to listen on.")] = 8000,
        results: Annotated[
            Path | None, typer.Option(help="A folder where `ringfence stress` wrote results.json.")
        ] = None,
        rate: Annotated[float, typer.Option(help="Requests per second each principal may send on average.")] = 200.0,
        burst: Annotated[int, typer.Option(help="Requests each principal may send in a burst.")] = 400,
        audience: Annotated[
            str | None, typer.Option(help="The `aud` tokens must carry (default: from the journal's first entry).")
        ] = None,
        access_log: Annotated[
            bool, typer.Option(help="Log every request (off by default: the journal records every command).")
        ] = False,
    ) -> None:
        """Serve the venue over HTTP: commands, queries, the event stream; a new journal gets a venue first."""
        try:
            _serve(
                console, journal, key_file, venue, identity_dir, host, port, results, rate, burst, audience, access_log
            )
        except VenueFileError as error:
            console.print(f"[red]{escape(error.source)} was refused[/red]; nothing was executed:", highlight=False)
            for problem in error.problems:
                console.print(f"  {problem}", markup=False, highlight=False, soft_wrap=True)
            raise typer.Exit(exit_code_for(error.cause) if error.cause is not None else exit_code_for(error)) from None
        except (RingfenceError, ValueError) as error:
            name = type(error).__name__
            console.print(f"[red]{name}:[/red] {escape(str(error))}", highlight=False, soft_wrap=True)
            code = exit_code_for(error) if isinstance(error, RingfenceError) else 2
            raise typer.Exit(code) from None
