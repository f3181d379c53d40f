"""Machine set-up shared by the single-core benchmarks."""

from __future__ import annotations

import os

__all__ = ["pin"]


def pin(cpu: int | None) -> str:
    """Pin the process to one CPU (where the platform allows it); return which."""
    if not hasattr(os, "sched_setaffinity"):
        return "not pinned (no sched_setaffinity)"
    chosen = max(os.sched_getaffinity(0)) if cpu is None else cpu
    os.sched_setaffinity(0, {chosen})
    return f"pinned to cpu {chosen}"
