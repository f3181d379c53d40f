"""The service's view of the journal's tail: recent entries, the liquidation feed, and waking streams.

:class:`TappedJournal` wraps the engine's journal (any backend of the port) and hands every batch
its ``append`` returned to a :class:`Feed`, so the service learns the sequence numbers of what it
committed without reading it back. The feed keeps the last entries in memory (older ones are read
from the journal itself), indexes the liquidation events, remembers which client command ids were
committed (idempotency), and wakes the event streams waiting for new entries.
"""

from __future__ import annotations

import asyncio
import bisect
import threading
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from itertools import islice

from ringfence.store.journal import Journal, JournalHead, PendingCommand, StoredEvent

__all__ = ["LIQUIDATION_EVENTS", "Feed", "TappedJournal"]

LIQUIDATION_EVENTS = frozenset(
    {
        "PositionLiquidated",
        "LiquidationRecorded",
        "PositionDeleveraged",
        "AutoDeleveraged",
        "BackstopAbsorbed",
        "InsuranceDrawn",
        "LossSocialised",
        "CollateralAuctionStarted",
        "CollateralTaken",
    }
)
"""The event types of the liquidation feed (``GET /v1/liquidations``): closes, their record, the waterfall."""


@dataclass(slots=True)
class Feed:
    """Recent journal entries, the liquidation index and the committed command ids, kept by the writer.

    Parameters
    ----------
    capacity:
        How many recent entries to keep in memory for streams that resume near the head.
    """

    capacity: int = 20_000
    recent: deque[StoredEvent] = field(init=False)
    liquidations: list[StoredEvent] = field(default_factory=list)
    committed: dict[str, tuple[int, int]] = field(default_factory=dict)
    head_sequence: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _waiters: list[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.recent = deque(maxlen=self.capacity)

    def load(self, entries: Iterator[StoredEvent], chunk: int = 10_000) -> None:
        """Index a journal's existing entries (at start-up), a chunk at a time."""
        while batch := list(islice(entries, chunk)):
            self.record(batch)

    def record(self, entries: Sequence[StoredEvent]) -> None:
        """Take in entries just made durable; wake every waiting stream."""
        if not entries:
            return
        with self._lock:
            for entry in entries:
                self.recent.append(entry)
                if entry.event_type in LIQUIDATION_EVENTS:
                    self.liquidations.append(entry)
                first, _ = self.committed.get(entry.command_id, (entry.sequence, entry.sequence))
                self.committed[entry.command_id] = (first, entry.sequence)
            self.head_sequence = entries[-1].sequence
            waiters, self._waiters = self._waiters, []
        for loop, event in waiters:
            loop.call_soon_threadsafe(event.set)

    def after(self, sequence: int, limit: int) -> list[StoredEvent] | None:
        """Return up to ``limit`` entries after ``sequence`` from memory, or ``None`` if memory no longer has them."""
        with self._lock:
            if not self.recent or sequence >= self.head_sequence:
                return []
            oldest = self.recent[0].sequence
            if sequence + 1 < oldest:
                return None
            start = sequence + 1 - oldest
            return [self.recent[index] for index in range(start, min(start + limit, len(self.recent)))]

    def liquidations_after(self, sequence: int, limit: int) -> list[StoredEvent]:
        """Return up to ``limit`` liquidation-feed entries after ``sequence``, oldest first."""
        with self._lock:
            start = bisect.bisect_right(self.liquidations, sequence, key=lambda entry: entry.sequence)
            return self.liquidations[start : start + limit]

    def waiter(self) -> asyncio.Event:
        """Return an event set at the next commit (register it before checking for entries, to miss none)."""
        event = asyncio.Event()
        with self._lock:
            self._waiters.append((asyncio.get_running_loop(), event))
        return event


class TappedJournal:
    """A journal that reports each durable batch to a :class:`Feed`; every other call goes to the journal."""

    def __init__(self, journal: Journal, feed: Feed) -> None:
        self.inner = journal
        self.feed = feed
        self.last_entries: list[StoredEvent] = []

    def append(self, stream: str, expected_version: int, batch: Sequence[PendingCommand]) -> list[StoredEvent]:
        """Append through the wrapped journal; once it returned (durable), record the entries."""
        entries = self.inner.append(stream, expected_version, batch)
        self.last_entries = entries
        if entries and entries[0].sequence != self.feed.head_sequence + 1:
            # Another writer (another process on a shared journal) appended in between: take its entries first.
            missing = entries[0].sequence - self.feed.head_sequence - 1
            self.feed.record(list(islice(self.inner.read(self.feed.head_sequence), max(missing, 0))))
        self.feed.record(entries)
        return entries

    def catch_up(self) -> None:
        """Record the entries other writers appended since the feed's head (a shared journal)."""
        self.feed.load(self.inner.read(self.feed.head_sequence))

    def read(self, after_sequence: int = 0) -> Iterator[StoredEvent]:
        """Read the wrapped journal."""
        return self.inner.read(after_sequence)

    def read_verified(self) -> Iterator[StoredEvent]:
        """Read and verify the wrapped journal."""
        return self.inner.read_verified()

    def head(self) -> JournalHead:
        """Return the wrapped journal's head."""
        return self.inner.head()

    def stream_version(self, stream: str) -> int:
        """Return the wrapped journal's stream version."""
        return self.inner.stream_version(stream)

    def verify(self) -> int:
        """Verify the wrapped journal."""
        return self.inner.verify()

    def close(self) -> None:
        """Close the wrapped journal."""
        self.inner.close()
