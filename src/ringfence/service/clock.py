"""The clock port: the only way time enters ringfence (the core never reads a clock)."""

from __future__ import annotations

import time
from typing import Protocol

__all__ = ["Clock", "ManualClock", "SystemClock"]


class Clock(Protocol):
    """Port: a source of timestamps in nanoseconds since the Unix epoch."""

    def now_ns(self) -> int:
        """Return the current time in nanoseconds."""
        ...


class SystemClock:
    """The wall clock."""

    def now_ns(self) -> int:
        """Return ``time.time_ns()``."""
        return time.time_ns()


class ManualClock:
    """A clock that moves only when told to (demos, tests, simulations)."""

    def __init__(self, start_ns: int = 0) -> None:
        self._now_ns = start_ns

    def now_ns(self) -> int:
        """Return the current manual time."""
        return self._now_ns

    def advance(self, nanoseconds: int) -> int:
        """Move forward and return the new time."""
        if nanoseconds < 0:
            raise ValueError("a clock cannot go backwards")
        self._now_ns += nanoseconds
        return self._now_ns
