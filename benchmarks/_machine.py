"""Machine set-up and timing shared by the single-core benchmarks."""

from __future__ import annotations

import gc
import os
import time
from collections.abc import Callable

__all__ = ["best_of", "pin"]


def pin(cpu: int | None) -> str:
    """Pin the process to one CPU (where the platform allows it); return which."""
    if not hasattr(os, "sched_setaffinity"):
        return "not pinned (no sched_setaffinity)"
    chosen = max(os.sched_getaffinity(0)) if cpu is None else cpu
    os.sched_setaffinity(0, {chosen})
    return f"pinned to cpu {chosen}"


def best_of(function: Callable[[], object], repeat: int) -> float:
    """Return the fastest of ``repeat`` runs (``time.perf_counter``), each after a garbage collection."""
    best = float("inf")
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        function()
        best = min(best, time.perf_counter() - start)
    return best
