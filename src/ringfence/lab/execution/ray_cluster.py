"""The Ray backend: each call a Ray task, on the cluster at ``RAY_ADDRESS`` or on a local Ray started for the run.

Ray is imported here, when the backend first connects, never when the lab is imported: a machine
without the ``ray`` extra runs every local study, and ``--backend ray`` there is a
:class:`~ringfence.lab.errors.BackendNotInstalled` (exit 69), not an ``ImportError``.

Address, in order: the ``address`` argument, else the ``RAY_ADDRESS`` environment variable (Ray's
own convention: ``host:port`` of a cluster's head, or ``ray://host:10001`` for Ray Client), else a
new local Ray instance with ``cpus`` CPUs (``address="local"``: never someone else's cluster on
this machine), shut down when the backend closes. A cluster address is probed with a TCP
connection first (:data:`PROBE_SECONDS`): an unreachable head is a
:class:`~ringfence.lab.errors.ClusterUnreachable` (exit 75) in seconds, not Ray's minutes of retries.

Every node of a cluster must have the project installed (``pip install -e '.[ray]'``, the same
version as the driver): tasks call the lab's module-level functions by name.
"""

from __future__ import annotations

import importlib
import logging
import os
import socket
from collections.abc import Callable, Sequence
from types import ModuleType
from typing import Any, TypeVar

from ringfence.core.errors import RingfenceError
from ringfence.lab._checks import check_count
from ringfence.lab.errors import BackendNotInstalled, ClusterUnreachable
from ringfence.lab.execution.port import Done
from ringfence.lab.execution.threads import THREADS_ENVIRONMENT

__all__ = ["ADDRESS_VARIABLE", "PROBE_SECONDS", "RayBackend"]

T = TypeVar("T")
ADDRESS_VARIABLE = "RAY_ADDRESS"
PROBE_SECONDS = 5.0
"""How long the TCP probe of a cluster's head waits before the cluster is declared unreachable."""
_NAME = "ray"


def _import_ray() -> ModuleType:
    try:
        return importlib.import_module("ray")
    except ImportError:
        raise BackendNotInstalled(_NAME, "ray", "ray") from None


def _host_port(address: str) -> tuple[str, int] | None:
    """Return the head's ``(host, port)`` of a ``host:port`` or ``ray://host:port`` address; None for ``auto``."""
    bare = address.removeprefix("ray://").rstrip("/")
    if bare in ("auto", "local") or ":" not in bare:
        return None
    host, _, port = bare.rpartition(":")
    if not port.isdigit():
        return None
    return host.strip("[]"), int(port)


def _probe(address: str) -> None:
    """Refuse, in at most :data:`PROBE_SECONDS`, an address whose head accepts no TCP connection."""
    target = _host_port(address)
    if target is None:
        return
    try:
        with socket.create_connection(target, timeout=PROBE_SECONDS):
            pass
    except OSError as error:
        raise ClusterUnreachable(_NAME, address, f"no answer on {target[0]}:{target[1]} ({error})") from None


def _run_task(function: Callable[..., T], shared: object, *call: object) -> T:
    """Run one call: the body of every Ray task (Ray has fetched ``shared`` from the object store already).

    A task holds one CPU (Ray's default), so the fused kernel runs one thread in it: the cluster's
    scheduler, not the kernel, spreads the work over the cores.
    """
    os.environ[THREADS_ENVIRONMENT] = "1"
    return function(shared, *call)


class RayBackend:
    """Run calls as Ray tasks, one task per call, the shared value put in the object store once.

    Parameters
    ----------
    address:
        A cluster's address; ``None``: ``RAY_ADDRESS`` if set, else a local Ray started here.
    cpus:
        CPUs of the local Ray instance (ignored on a cluster, which has its own).

    Raises
    ------
    InvalidParameter
        ``cpus`` below 1.
    """

    name = _NAME

    def __init__(self, address: str | None = None, cpus: int = 1) -> None:
        self.cpus = check_count("cpus", cpus)
        chosen = address if address is not None else os.environ.get(ADDRESS_VARIABLE)
        self.address = chosen or None
        self._ray: ModuleType | None = None
        self._started = False
        self._remote: Any = None

    def connect(self) -> ModuleType:
        """Connect (or start the local instance) once; return the ``ray`` module.

        Raises
        ------
        BackendNotInstalled
            ``ray`` is not installed.
        ClusterUnreachable
            The cluster does not answer, or Ray could not start or join it.
        """
        if self._ray is not None:
            return self._ray
        ray = _import_ray()
        if self.address is not None:
            _probe(self.address)
        if not ray.is_initialized():
            self._init(ray)
        self._ray = ray
        self._remote = ray.remote(_run_task)
        return ray

    def _init(self, ray: ModuleType) -> None:
        settings: dict[str, Any] = {"logging_level": logging.ERROR, "log_to_driver": False}
        if self.address is None:
            settings.update(address="local", num_cpus=self.cpus, include_dashboard=False)
        else:
            settings.update(address=self.address)
        try:
            ray.init(**settings)
        except (ConnectionError, RuntimeError, TimeoutError, ValueError, OSError) as error:
            raise ClusterUnreachable(_NAME, self.address, f"{type(error).__name__}: {error}") from None
        self._started = True

    def total_cpus(self) -> int:
        """Return the CPUs the cluster offers (connecting first)."""
        ray = self.connect()
        return int(ray.cluster_resources().get("CPU", 0))

    def map(
        self,
        function: Callable[..., T],
        calls: Sequence[tuple[object, ...]],
        shared: object = None,
        done: Done | None = None,
    ) -> list[T]:
        """Return ``[function(shared, *call) for call in calls]`` in order, each call a task.

        Raises
        ------
        ClusterUnreachable
            A task's worker or node died, or an object was lost, after Ray's own retries.
        RingfenceError
            The error a task raised (the same error a local run raises), re-raised here.
        """
        ray = self.connect()
        shared_ref = ray.put(shared)
        refs = [self._remote.remote(function, shared_ref, *call) for call in calls]
        order = {ref: index for index, ref in enumerate(refs)}
        results: dict[int, T] = {}
        pending = list(refs)
        while pending:
            ready, pending = ray.wait(pending, num_returns=1)
            for ref in ready:
                results[order[ref]] = self._get(ray, ref)
                if done is not None:
                    done(order[ref])
        return [results[index] for index in range(len(calls))]

    def _get(self, ray: ModuleType, ref: object) -> Any:
        try:
            return ray.get(ref)
        except ray.exceptions.RayTaskError as error:
            cause = error.cause
            if isinstance(cause, RingfenceError):
                raise cause from None
            raise
        except ray.exceptions.RayError as error:
            reason = f"a task failed outside the lab: {type(error).__name__}: {error}"
            raise ClusterUnreachable(_NAME, self.address, reason) from None

    def close(self) -> None:
        """Shut the local Ray instance (or the connection) down if this backend made it."""
        if self._ray is not None and self._started:
            self._ray.shutdown()
        self._ray, self._started, self._remote = None, False, None

    def __enter__(self) -> RayBackend:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
