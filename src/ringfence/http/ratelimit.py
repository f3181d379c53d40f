"""Per-principal rate limits: a token bucket for each principal (or anonymous client address).

A bucket holds up to ``burst`` tokens and refills at ``rate_per_s``; each request takes one. A
request finding the bucket empty is refused with :class:`~ringfence.http.errors.RateLimited`
(429, ``Retry-After`` = the seconds until a token is back, rounded up) and takes nothing.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from ringfence.http.errors import RateLimited

__all__ = ["RateLimits", "TokenBuckets"]


@dataclass(frozen=True, slots=True)
class RateLimits:
    """The budget of each principal: ``rate_per_s`` requests per second on average, bursts of ``burst``."""

    rate_per_s: float = 200.0
    burst: int = 400

    def __post_init__(self) -> None:
        if not (self.rate_per_s > 0 and math.isfinite(self.rate_per_s)) or self.burst < 1:
            raise ValueError("a rate limit needs a finite rate > 0 and a burst >= 1")


class TokenBuckets:
    """One token bucket per key, refilled lazily from a monotonic clock."""

    def __init__(self, limits: RateLimits, clock: Callable[[], float] = time.monotonic) -> None:
        self.limits = limits
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, key: str) -> None:
        """Take one token from ``key``'s bucket.

        Raises
        ------
        RateLimited
            If the bucket is empty; ``retry_after_s`` says when the next token arrives.
        """
        rate, burst = self.limits.rate_per_s, float(self.limits.burst)
        now = self._clock()
        with self._lock:
            tokens, then = self._buckets.get(key, (burst, now))
            tokens = min(burst, tokens + (now - then) * rate)
            if tokens < 1.0:
                self._buckets[key] = (tokens, now)
                raise RateLimited(key, (1.0 - tokens) / rate, rate, self.limits.burst)
            self._buckets[key] = (tokens - 1.0, now)
