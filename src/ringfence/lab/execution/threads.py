"""How many threads one process of the lab may run, so that worker processes and threads share the cores."""

from __future__ import annotations

import os

from ringfence.core.errors import InvalidParameter

__all__ = ["THREADS_ENVIRONMENT", "thread_budget"]


THREADS_ENVIRONMENT = "RINGFENCE_THREADS"
"""Caps the fused kernel's threads in this process: the execution backends set it in their worker
processes (a local pool: the CPUs over the workers; a Ray task: its one CPU) so that workers and
threads do not oversubscribe the cores."""


def thread_budget() -> int:
    """Return the threads one process may run (the fused kernel's).

    The CPUs the process may run on, at most :data:`THREADS_ENVIRONMENT` when it is set.

    Raises
    ------
    InvalidParameter
        :data:`THREADS_ENVIRONMENT` is set to anything but a positive integer.
    """
    cpus = max(1, len(os.sched_getaffinity(0)))
    budget = os.environ.get(THREADS_ENVIRONMENT)
    if budget is None:
        return cpus
    if not budget.isdecimal() or int(budget) < 1:
        raise InvalidParameter(THREADS_ENVIRONMENT, budget, "a positive integer (threads per process)")
    return min(cpus, int(budget))
