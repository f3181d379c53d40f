"""``--backend local|ray`` of ``ringfence stress`` and ``ringfence recommend``: open the execution backend.

``local`` plays on this machine (``--workers`` processes). ``ray`` plays every task on Ray: the
cluster at ``RAY_ADDRESS`` when it is set, else a local Ray started for the run with ``--workers``
CPUs and shut down after it. The backend is opened before any output is written, so a missing
``ray`` package (exit 69) or an unreachable cluster (exit 75) leaves nothing behind.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Literal

import typer
from rich.console import Console
from rich.markup import escape

from ringfence.cli.exit_codes import exit_code_for
from ringfence.lab.errors import BackendError
from ringfence.lab.execution import Backend, LocalBackend, RayBackend

__all__ = ["BACKENDS", "BackendChoice", "BackendFailed", "check_backend", "open_backend", "report_backend_error"]

BackendChoice = Literal["local", "ray"]
BACKENDS: tuple[BackendChoice, ...] = ("local", "ray")
BACKEND_HELP = (
    "Where the tasks run: local (this machine, --workers processes) or ray (the cluster at RAY_ADDRESS, "
    "else a local Ray with --workers CPUs). Same results."
)


class BackendFailed(typer.Exit):
    """The backend could not run (reported already); exits with the error's code."""


def check_backend(name: str) -> BackendChoice:
    """Return ``name`` as a backend choice, or refuse it as a bad ``--backend``."""
    if name == "local":
        return "local"
    if name == "ray":
        return "ray"
    raise typer.BadParameter(f"{name!r}: choose local or ray", param_hint="--backend")


def report_backend_error(console: Console, error: BackendError) -> BackendFailed:
    """Print ``error`` by name and return the exit that carries its code."""
    console.print(f"[red]{type(error).__name__}:[/red] {escape(str(error))}", highlight=False)
    return BackendFailed(exit_code_for(error))


@contextmanager
def open_backend(console: Console, name: BackendChoice, workers: int) -> Iterator[Backend]:
    """Open the backend (connect to Ray, or start it) and close it after the block.

    Raises
    ------
    BackendFailed
        Ray is not installed or the cluster cannot be reached (printed by name, exit 69 or 75).
    """
    if name == "local":
        yield LocalBackend(workers)
        return
    backend = RayBackend(cpus=workers)
    try:
        cpus = backend.total_cpus()
    except BackendError as error:
        raise report_backend_error(console, error) from None
    where = "a local Ray instance" if backend.address is None else f"the Ray cluster at {backend.address}"
    console.print(f"ray: {escape(where)}, {cpus} CPUs", highlight=False)
    try:
        yield backend
    finally:
        backend.close()
