"""The local backend: calls run in this process, or in a pool of spawned processes on this machine."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import TypeVar

from ringfence.lab._checks import check_count
from ringfence.lab.execution.port import Done
from ringfence.lab.execution.threads import THREADS_ENVIRONMENT, thread_budget

__all__ = ["LocalBackend"]

T = TypeVar("T")

_SHARED: list[object] = []
"""A worker process's copy of the shared value (set once per process by the pool's initializer)."""


def _keep_shared(shared: object, threads: int) -> None:
    _SHARED[:] = [shared]
    os.environ[THREADS_ENVIRONMENT] = str(threads)


def _call_with_shared(function: Callable[..., T], *call: object) -> T:
    return function(_SHARED[0], *call)


class LocalBackend:
    """Run calls here (``workers=1``) or on ``workers`` spawned processes (the results do not depend on it).

    Processes are spawned, not forked (a forked child of a threaded parent may deadlock); each
    receives the shared value once, when it starts, and an equal share of the cores for the fused
    kernel's threads (``RINGFENCE_THREADS``).

    Raises
    ------
    InvalidParameter
        ``workers`` below 1.
    """

    name = "local"

    def __init__(self, workers: int = 1) -> None:
        self.workers = check_count("workers", workers)

    def map(
        self,
        function: Callable[..., T],
        calls: Sequence[tuple[object, ...]],
        shared: object = None,
        done: Done | None = None,
    ) -> list[T]:
        """Return ``[function(shared, *call) for call in calls]`` in order."""
        if self.workers == 1 or len(calls) < 2:
            results = []
            for index, call in enumerate(calls):
                results.append(function(shared, *call))
                if done is not None:
                    done(index)
            return results
        context = multiprocessing.get_context("spawn")
        workers = min(self.workers, len(calls))
        threads = max(1, thread_budget() // workers)  # the cores shared out: no oversubscription
        with ProcessPoolExecutor(
            workers, mp_context=context, initializer=_keep_shared, initargs=(shared, threads)
        ) as pool:
            futures = {pool.submit(_call_with_shared, function, *call): index for index, call in enumerate(calls)}
            finished: dict[int, T] = {}
            for future in as_completed(futures):
                index = futures[future]
                finished[index] = future.result()
                if done is not None:
                    done(index)
        return [finished[index] for index in range(len(calls))]
