"""Where a study's tasks run: the execution port and its two backends (local processes, Ray).

Modules
-------
port         the :class:`Backend` port and the fixed chunks of paths every backend plays
local        :class:`LocalBackend`: this process, or a pool of spawned processes
ray_cluster  :class:`RayBackend`: tasks on a Ray cluster (``RAY_ADDRESS``) or a local Ray started for the run
threads      the threads one worker may run (``RINGFENCE_THREADS``), so workers and threads share the cores

A task is a pure function of its arguments and of one shared value (the paths and uniforms drawn
from the seed), so its result does not depend on the backend or on the worker that runs it.
The lab never imports Ray: :mod:`.ray_cluster` imports it when its backend first runs a task.
"""

from __future__ import annotations

from ringfence.lab.execution.local import LocalBackend
from ringfence.lab.execution.port import DEFAULT_CHUNK_PATHS, Backend, Done, chunk_ranges
from ringfence.lab.execution.ray_cluster import RayBackend

__all__ = ["DEFAULT_CHUNK_PATHS", "Backend", "Done", "LocalBackend", "RayBackend", "chunk_ranges"]
