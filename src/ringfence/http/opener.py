"""How ``ringfence serve`` opens its journal: an opener per URL scheme, SQLite for a plain path.

``open_journal("venue.sqlite")`` opens (or creates) an SQLite journal with its key and signed head,
as ``ringfence venue`` does; ``open_journal("SCHEME://...")`` calls the opener registered for that
scheme (another backend registers one with :func:`register_opener`). ``postgresql://`` and
``postgres://`` open a :class:`~ringfence.store.postgres.PostgresJournal` (the journal of a service
with several processes, ``docs/postgresql-journal.md``); its key file is ``--key-file`` or
``$RINGFENCE_JOURNAL_KEY_FILE``, its signed head a file beside the key file.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ringfence.core.errors import InvalidParameter
from ringfence.store.journal import Journal
from ringfence.store.postgres import PostgresJournal
from ringfence.store.sqlite import SqliteJournal

__all__ = ["JournalOpener", "is_new_journal", "open_journal", "register_opener"]

JournalOpener = Callable[[str, Path | None], Journal]
"""``opener(location, key_file) -> Journal``: opens (creating if needed) the journal at ``location``."""

_OPENERS: dict[str, JournalOpener] = {}


def register_opener(scheme: str, opener: JournalOpener) -> None:
    """Make ``open_journal`` call ``opener`` for locations ``SCHEME://...``."""
    _OPENERS[scheme.lower()] = opener


def _scheme(location: str) -> str | None:
    scheme, separator, _ = location.partition("://")
    return scheme.lower() if separator and scheme.isidentifier() else None


def is_new_journal(location: str) -> bool:
    """Return whether ``location`` is a path with no file yet (a URL is never new: its backend says)."""
    return _scheme(location) is None and not Path(location).exists()


def open_journal(location: str, key_file: Path | None = None) -> Journal:
    """Open the journal at ``location``: a path (SQLite) or a ``SCHEME://`` URL with a registered opener.

    Raises
    ------
    InvalidParameter
        If the URL's scheme has no opener.
    JournalError
        If the journal cannot be opened or fails its checks.
    """
    scheme = _scheme(location)
    if scheme is None:
        return SqliteJournal(Path(location), key_file=key_file)
    opener = _OPENERS.get(scheme)
    if opener is None:
        known = ", ".join(sorted(_OPENERS)) or "none registered"
        raise InvalidParameter("journal", location, f"a path (SQLite) or a URL of a known scheme ({known})")
    return opener(location, key_file)


def _open_postgres(location: str, key_file: Path | None) -> Journal:
    return PostgresJournal(location, key_file=key_file)


register_opener("postgresql", _open_postgres)
register_opener("postgres", _open_postgres)
