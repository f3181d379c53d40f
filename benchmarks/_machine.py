"""Machine set-up and timing shared by the single-core benchmarks."""

from __future__ import annotations

import argparse
import gc
import os
import time
from collections.abc import Callable, Sequence

__all__ = ["best_of", "fill_sizes", "pin"]


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


def fill_sizes(args: argparse.Namespace, names: Sequence[str], smoke: Sequence[int], full: Sequence[int]) -> None:
    """Give every size option in ``names`` left unset its smoke-run or full-run default."""
    for name, default in zip(names, smoke if args.smoke else full, strict=True):
        if getattr(args, name) is None:
            setattr(args, name, default)
