"""The venue service behind the routes: the engine, its lock, the writer, the feed, authentication, limits.

:class:`VenueService` is built from any :class:`~ringfence.store.journal.Journal` (SQLite, memory,
PostgreSQL): it wraps the journal so the feed sees every durable batch, verifies and replays it into
an :class:`~ringfence.service.engine.Engine`, and owns the single group-commit writer.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path

from ringfence.core.errors import UnknownEntity
from ringfence.http.auth import Authenticator, bearer_token
from ringfence.http.feed import Feed, TappedJournal
from ringfence.http.ratelimit import RateLimits, TokenBuckets
from ringfence.http.schemas import StressResults
from ringfence.http.writer import GroupCommitWriter
from ringfence.service.clock import Clock, SystemClock
from ringfence.service.engine import DEFAULT_STREAM, Engine
from ringfence.store.journal import Journal, StoredEvent

__all__ = ["ServiceSettings", "VenueService"]

RESULTS_FILE = "results.json"


@dataclass(frozen=True, slots=True)
class ServiceSettings:
    """How the service runs.

    Parameters
    ----------
    audience:
        The ``aud`` every bearer token must carry (``GET /v1/venue`` publishes it).
    clock:
        Stamps commands (the wall clock by default).
    limits:
        Each principal's request budget.
    results_dir:
        Where ``ringfence stress`` wrote its results (``results.json``); ``None``: no stress results.
    max_batch:
        The most commands one journal transaction takes.
    stream:
        The journal stream the engine writes.
    """

    audience: str
    clock: Clock = field(default_factory=SystemClock)
    limits: RateLimits = field(default_factory=RateLimits)
    results_dir: Path | None = None
    max_batch: int = 1024
    stream: str = DEFAULT_STREAM


_TIME_FIELDS = ("timestamp_ns", "accepted_ns", "published_ns")


def latest_time_ns(entry: StoredEvent) -> int:
    """Return the latest time an entry's event records (its timestamp; a price's publication or acceptance)."""
    event = entry.event()
    return max((value for name in _TIME_FIELDS if isinstance(value := getattr(event, name, 0), int)), default=0)


class VenueService:
    """Everything the routes share (see the module docstring)."""

    def __init__(self, journal: Journal, settings: ServiceSettings) -> None:
        self.settings = settings
        self.feed = Feed()
        self.journal = TappedJournal(journal, self.feed)
        self.engine = Engine(self.journal, settings.stream)
        self.feed.load(journal.read())
        self.lock = threading.Lock()
        self.writer = GroupCommitWriter(self.engine, self.journal, settings.clock, self.lock, settings.max_batch)
        if self.feed.recent:
            self.writer.resume_after(latest_time_ns(self.feed.recent[-1]))
        self.authenticator = Authenticator(settings.audience)
        self.buckets = TokenBuckets(settings.limits)
        self._stress_cache: tuple[int, StressResults] | None = None

    def authenticate(self, authorization: str | None) -> str:
        """Return the principal an ``Authorization`` header proves, and take one token from its bucket.

        Raises
        ------
        TokenRejected
            If the header does not prove a registered principal.
        RateLimited
            If the principal is over its rate limit.
        """
        principal = self.authenticator.principal(bearer_token(authorization), self.engine.state.principals)
        self.buckets.take(f"principal {principal!r}")
        return principal

    def limit_anonymous(self, client: str) -> None:
        """Take one token from an anonymous client address's bucket (raises ``RateLimited``)."""
        self.buckets.take(f"anonymous client {client}")

    def entries_after(self, sequence: int, limit: int) -> list[StoredEvent]:
        """Return up to ``limit`` journal entries after ``sequence`` (from memory when recent)."""
        recent = self.feed.after(sequence, limit)
        if recent is not None:
            return recent
        with self.lock:
            return list(islice(self.journal.read(sequence), limit))

    def stress_results(self) -> StressResults:
        """Return the stress results on disk (read again only when the file changed).

        Raises
        ------
        UnknownEntity
            If no results directory is configured or it holds no ``results.json``.
        """
        directory = self.settings.results_dir
        path = directory / RESULTS_FILE if directory is not None else None
        try:
            modified = path.stat().st_mtime_ns if path is not None else None
        except OSError:
            modified = None
        if path is None or modified is None:
            where = str(path) if path is not None else "no --results directory"
            raise UnknownEntity(
                "stress results", where, ("run `ringfence stress --out DIR`, then serve --results DIR",)
            )
        cached = self._stress_cache
        if cached is not None and cached[0] == modified:
            return cached[1]
        try:
            results = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise UnknownEntity("stress results", f"{path} ({error})") from None
        view = StressResults(
            source=str(path), modified_ns=modified, results=results if isinstance(results, dict) else {"value": results}
        )
        self._stress_cache = (modified, view)
        return view
