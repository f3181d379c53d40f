"""``ringfence journal verify|adopt``: check a journal against its key and signed head; adopt an old one.

``verify PATH`` (an SQLite file, or a PostgreSQL URL ``postgresql://…`` with ``--key-file``
and, if not beside the key file, ``--head-file``) opens the journal read-only (it never creates, initialises or writes
anything), recomputes its HMAC chain under the key and checks it reaches the signed head
``PATH.head``; it prints the head (``N:HASH``) for the operator to publish, and with
``--expect-head N:HASH`` also checks the journal against a head published earlier (the
only defence against someone who replaced both the journal and its head file).
``adopt PATH`` re-signs a journal written before keyed chains, after verifying its unkeyed
chain. The key comes from ``--key-file``, else ``$RINGFENCE_JOURNAL_KEY_FILE``, else
``PATH.key`` (see :mod:`ringfence.store.keys`). Exit codes: 0 verified, 2 no such file or
a malformed ``--expect-head``, 4 any journal error (tampered, truncated, wrong key, not a
journal, not adopted).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from ringfence.cli.exit_codes import exit_code_for
from ringfence.core.errors import JournalCorrupted, JournalTruncated, RingfenceError
from ringfence.store.head import JournalHead, parse_head
from ringfence.store.opener import DurableJournal, describe_location, is_postgres_dsn, open_journal
from ringfence.store.sqlite import adopt_journal

__all__ = ["KeyFileOption", "head_line", "journal_errors", "register"]

KeyFileOption = Annotated[
    Path | None,
    typer.Option(
        help="The journal's key file (default: $RINGFENCE_JOURNAL_KEY_FILE, else JOURNAL.key beside the journal)."
    ),
]


@contextmanager
def journal_errors(console: Console, path: Path | str, verb: str = "FAILED verification") -> Iterator[None]:
    """Print a journal error of the tree as ``journal PATH <verb>: <Error>: <message>`` and exit with its code."""
    try:
        yield
    except RingfenceError as error:
        where = escape(describe_location(path))
        console.print(
            f"[red]journal {where} {verb}:[/red] {type(error).__name__}: {escape(error.message)}",
            highlight=False,
        )
        raise typer.Exit(exit_code_for(error)) from None


def head_line(head: JournalHead) -> str:
    """Return the line that prints a head for the operator to publish."""
    return f"journal head {head.text()} (publish it; `ringfence journal verify --expect-head` checks against it)"


def _check_published(journal: DurableJournal, published: JournalHead) -> None:
    """Raise unless the journal holds entry ``published.sequence`` with ``published.hash``."""
    if published.sequence == 0:
        return
    found = next(journal.read(published.sequence - 1), None)
    if found is None or found.sequence != published.sequence:
        raise JournalTruncated(journal.head().sequence, published.sequence)
    if found.hash != published.hash:
        raise JournalCorrupted(published.sequence, "entry differs from the published head (the journal was rewritten)")


def verify(
    console: Console, path: str, key_file: Path | None, expect_head: str | None, head_file: Path | None = None
) -> None:
    """Verify ``path`` (a file or a PostgreSQL URL) read-only and print its head (see the module docstring)."""
    if not is_postgres_dsn(path) and not Path(path).exists():
        console.print(f"[red]no journal at {escape(path)}[/red]", highlight=False)
        raise typer.Exit(2)
    try:
        published = parse_head(expect_head) if expect_head is not None else None
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint="--expect-head") from None
    with journal_errors(console, path):
        journal = open_journal(path, key_file=key_file, head_file=head_file, read_only=True)
        try:
            count = journal.verify()
            if published is not None:
                _check_published(journal, published)
            head = journal.head()
        finally:
            journal.close()
    checked = f"; it holds the published head {published.text()}" if published is not None else ""
    console.print(
        f"[green]journal {escape(describe_location(path))} verified:[/green] {count} entries, hash chain intact "
        f"(HMAC-SHA256 under key id {journal.key.key_id}, signed head reached){checked}",
        highlight=False,
    )
    console.print(head_line(head), highlight=False, soft_wrap=True)


def adopt(console: Console, path: Path, key_file: Path | None) -> None:
    """Adopt an unkeyed journal: verify its SHA-256 chain, re-sign it under the key, write its head."""
    with journal_errors(console, path, "was NOT adopted"):
        adoption = adopt_journal(path, key_file=key_file)
    console.print(
        f"[yellow]journal {escape(str(path))} adopted:[/yellow] its unkeyed SHA-256 chain verified "
        f"({adoption.entries} entries, unkeyed head {adoption.unkeyed_head.text()}) and every entry was re-signed "
        f"with HMAC-SHA256 under key id {adoption.key.key_id} ({escape(adoption.key.source)}). "
        "Adoption vouches only that the unkeyed chain was intact now: anyone could have rebuilt it before.",
        highlight=False,
    )
    console.print(head_line(adoption.head), highlight=False, soft_wrap=True)


def register(journal_app: typer.Typer, console: Console) -> None:
    """Add ``verify`` and ``adopt`` to the ``journal`` command group."""

    @journal_app.command("verify")
    def journal_verify(
        path: Annotated[
            str, typer.Argument(help="The SQLite journal file, or a PostgreSQL URL (postgresql://user@host/db).")
        ],
        key_file: KeyFileOption = None,
        expect_head: Annotated[
            str | None, typer.Option(help="A head published earlier, N:HASH; the journal must still hold it.")
        ] = None,
        head_file: Annotated[
            Path | None,
            typer.Option(help="PostgreSQL only: the signed head's file (default: beside the key file, KEY.head)."),
        ] = None,
    ) -> None:
        """Recompute the journal's keyed hash chain read-only; exit 4 if it was altered, truncated or rebuilt."""
        verify(console, path, key_file, expect_head, head_file)

    @journal_app.command("adopt")
    def journal_adopt(
        path: Annotated[Path, typer.Argument(help="A journal written before keyed chains (schema v1).")],
        key_file: KeyFileOption = None,
    ) -> None:
        """Verify an old unkeyed journal and re-sign it under the key (creating JOURNAL.key if there is none)."""
        adopt(console, path, key_file)
