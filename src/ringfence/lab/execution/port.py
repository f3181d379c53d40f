"""The execution port: run a list of pure calls, in order, somewhere; and the chunks of paths a study plays.

Byte-identical results on every backend rest on two rules:

1. Every random number is drawn once, on the caller's side, from the scenario's seed in the
   documented streams (:func:`ringfence.lab.sample.sample_paths`,
   :func:`ringfence.lab.exact.population.draw_uniforms`): a task receives its paths' slice and
   never draws. Which worker runs a chunk cannot change its numbers.
2. The chunks are fixed by the study (:func:`chunk_ranges`: :data:`DEFAULT_CHUNK_PATHS` paths
   each), never by the backend or the number of workers. The vector engine's float arithmetic on a
   batch of paths can differ in the last bits from the same paths in another batch (BLAS blocking);
   the same chunks on every backend make the same arithmetic.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol, TypeVar

from ringfence.lab._checks import check_count

__all__ = ["DEFAULT_CHUNK_PATHS", "Backend", "Done", "chunk_ranges"]

T = TypeVar("T")
DEFAULT_CHUNK_PATHS = 250
"""Paths per task: large enough that the vector engine's per-step overhead stays small next to its array
work (measured: 250-path chunks play the 1,000-path ladder as fast as one batch, within the noise of a
loaded machine), small enough that a 1,000-run study of 12 designs makes 48 tasks to spread."""

Done = Callable[[int], None]
"""Called with a call's index when it has finished (in any order): the progress bar's hook."""


class Backend(Protocol):
    """Runs pure calls: ``map(function, calls, shared)[i] == function(shared, *calls[i])``, whatever the backend.

    ``function`` must be a module-level function (it is pickled by name). ``shared`` is sent to each
    worker once, not once per call (the paths and uniforms every chunk slices).
    """

    name: str

    def map(
        self,
        function: Callable[..., T],
        calls: Sequence[tuple[object, ...]],
        shared: object = None,
        done: Done | None = None,
    ) -> list[T]:
        """Return ``[function(shared, *call) for call in calls]`` in the calls' order."""
        ...


def chunk_ranges(n_paths: int, chunk_paths: int = DEFAULT_CHUNK_PATHS) -> list[tuple[int, int]]:
    """Return the ``[start, stop)`` ranges of paths a study's tasks play: ``chunk_paths`` each, the last one shorter.

    Raises
    ------
    InvalidParameter
        ``n_paths`` or ``chunk_paths`` below 1.
    """
    check_count("n_paths", n_paths)
    check_count("chunk_paths", chunk_paths)
    return [(start, min(start + chunk_paths, n_paths)) for start in range(0, n_paths, chunk_paths)]
