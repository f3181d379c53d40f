"""Open a durable journal from where it lives: an SQLite file path, or a PostgreSQL URL.

``postgresql://…`` and ``postgres://…`` open a :class:`~ringfence.store.postgres.PostgresJournal`
(the journal of a service with several processes); anything else is an SQLite file
(:class:`~ringfence.store.sqlite.SqliteJournal`, the embedded default). The CLI's
``--journal`` options and ``ringfence journal verify`` go through here.
"""

from __future__ import annotations

from pathlib import Path

from ringfence.core.errors import JournalError
from ringfence.store.postgres import PostgresJournal, describe_dsn, is_postgres_dsn
from ringfence.store.sqlite import SqliteJournal

__all__ = ["DurableJournal", "describe_location", "is_postgres_dsn", "open_journal"]

DurableJournal = SqliteJournal | PostgresJournal


def open_journal(
    location: str | Path,
    *,
    key_file: Path | None = None,
    head_file: Path | None = None,
    read_only: bool = False,
) -> DurableJournal:
    """Open the journal at ``location`` (a PostgreSQL URL or an SQLite file path).

    Parameters
    ----------
    location:
        ``postgresql://user@host/db`` (a libpq URI; ``?host=/socket/folder`` for a Unix
        socket) or the path of an SQLite journal file.
    key_file:
        The journal's key file (see :mod:`ringfence.store.keys`); required for PostgreSQL
        unless ``$RINGFENCE_JOURNAL_KEY_FILE`` is set.
    head_file:
        PostgreSQL only: where the signed head is kept (default: beside the key file). An
        SQLite journal's head is always ``<journal>.head``.
    read_only:
        Never create or write anything.

    Raises
    ------
    JournalError
        Any error of the journal tree (unreadable, wrong key, truncated, …); ``head_file`` given for SQLite.
    """
    text = str(location)
    if is_postgres_dsn(text):
        return PostgresJournal(text, key_file=key_file, head_file=head_file, read_only=read_only)
    if head_file is not None:
        raise JournalError(
            f"{text}: an SQLite journal keeps its head beside it ({text}.head); --head-file is for PostgreSQL"
        )
    return SqliteJournal(Path(text), key_file=key_file, read_only=read_only)


def describe_location(location: str | Path) -> str:
    """Return ``location`` as it may be printed: a PostgreSQL URL without its password, or the path."""
    text = str(location)
    return describe_dsn(text) if is_postgres_dsn(text) else text
