"""Token buckets of the service's rate limits, on a clock the test moves (a unit test: no server)."""

from __future__ import annotations

import pytest

from ringfence.http.errors import RateLimited
from ringfence.http.ratelimit import RateLimits, TokenBuckets


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_bucket_allows_its_burst_then_refills_at_its_rate() -> None:
    clock = Clock()
    buckets = TokenBuckets(RateLimits(rate_per_s=2.0, burst=3), clock)
    for _ in range(3):
        buckets.take("carol")
    with pytest.raises(RateLimited) as empty:
        buckets.take("carol")
    assert empty.value.retry_after_s == pytest.approx(0.5)  # one token at 2/s
    clock.now += 0.25
    with pytest.raises(RateLimited) as half:
        buckets.take("carol")
    assert half.value.retry_after_s == pytest.approx(0.25)
    clock.now += 0.25
    buckets.take("carol")
    buckets.take("dave")  # another principal has its own bucket


def test_a_refill_never_exceeds_the_burst() -> None:
    clock = Clock()
    buckets = TokenBuckets(RateLimits(rate_per_s=1.0, burst=2), clock)
    clock.now += 3_600
    buckets.take("carol")
    buckets.take("carol")
    with pytest.raises(RateLimited):
        buckets.take("carol")


@pytest.mark.parametrize(("rate", "burst"), [(0.0, 1), (-1.0, 1), (float("inf"), 1), (float("nan"), 1), (1.0, 0)])
def test_a_limit_must_be_positive_and_finite(rate: float, burst: int) -> None:
    with pytest.raises(ValueError, match="rate limit"):
        RateLimits(rate, burst)
