"""Errors of the stress lab, attached to the one error tree of :mod:`ringfence.core.errors`.

::

    RingfenceError
    ├── InvalidCommand
    │   ├── InvalidParameter    a price-process or template parameter outside its domain (core class)
    │   ├── HistoryFileError    a missing or malformed price CSV: file, line and problem
    │   └── ScenarioError       a scenario TOML that cannot be loaded: file and offending key paths
    └── BackendError            the execution backend (``--backend``) cannot run the study
        ├── BackendNotInstalled  ``--backend ray`` without the ``ray`` package (exit 69)
        └── ClusterUnreachable   the Ray cluster cannot be reached, or lost a task (exit 75)

The first three are input errors: fix the file and load it again. A backend error changes
nothing and writes nothing: install the extra (``pip install -e '.[ray]'``), or start the
cluster (or fix ``RAY_ADDRESS``) and run again. The exit codes follow ``sysexits.h``:
69 ``EX_UNAVAILABLE`` (a support program does not exist), 75 ``EX_TEMPFAIL`` (try again later).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ringfence.core.errors import InvalidCommand, RingfenceError

__all__ = [
    "BackendError",
    "BackendNotInstalled",
    "ClusterUnreachable",
    "HistoryFileError",
    "ScenarioError",
    "ScenarioIssue",
]


class HistoryFileError(InvalidCommand):
    """A price CSV is missing, unreadable or malformed.

    Attributes
    ----------
    file:
        The path as given.
    line:
        The 1-based physical line of the problem, or ``None`` when it concerns the whole file.
    problem:
        What is wrong and what would be accepted.
    """

    code = "invalid_history_file"

    def __init__(self, file: Path, line: int | None, problem: str) -> None:
        where = f"{file}:{line}" if line is not None else f"{file}"
        super().__init__(f"{where}: {problem}")
        self.file = file
        self.line = line
        self.problem = problem


@dataclass(frozen=True, slots=True)
class ScenarioIssue:
    """One problem in a scenario: the dotted key path (``price.volatility``) and the message."""

    key: str
    message: str


class ScenarioError(InvalidCommand):
    """A scenario file cannot be loaded: unreadable TOML or values outside their domain.

    Attributes
    ----------
    file:
        The scenario path.
    issues:
        Every problem found, each naming its key path (``(root)`` for the whole document).
    """

    code = "invalid_scenario"

    def __init__(self, file: Path, issues: tuple[ScenarioIssue, ...]) -> None:
        listed = "; ".join(f"{issue.key}: {issue.message}" for issue in issues)
        super().__init__(f"scenario {file} is invalid: {listed}")
        self.file = file
        self.issues = issues

    @property
    def keys(self) -> tuple[str, ...]:
        """The key paths named by the issues, in order."""
        return tuple(issue.key for issue in self.issues)


class BackendError(RingfenceError):
    """The execution backend chosen with ``--backend`` cannot run the study (nothing was written).

    Attributes
    ----------
    backend:
        The backend's name (``ray``).
    """

    code = "backend_unavailable"

    def __init__(self, backend: str, message: str) -> None:
        super().__init__(message)
        self.backend = backend


class BackendNotInstalled(BackendError):
    """The backend's package is not installed in this environment.

    Attributes
    ----------
    package:
        The missing import (``ray``); ``extra`` the project extra that installs it.
    """

    code = "backend_not_installed"

    def __init__(self, backend: str, package: str, extra: str) -> None:
        super().__init__(
            backend,
            f"--backend {backend} needs the {package!r} package, which is not installed here: "
            f"pip install -e '.[{extra}]' (or pip install '{package}')",
        )
        self.package = package
        self.extra = extra


class ClusterUnreachable(BackendError):
    """The cluster at ``address`` cannot be reached, refused the connection, or lost a task's worker.

    Attributes
    ----------
    address:
        The address tried (``RAY_ADDRESS`` or ``None`` for a local instance); ``reason`` what failed.
    """

    code = "cluster_unreachable"

    def __init__(self, backend: str, address: str | None, reason: str) -> None:
        where = "a local Ray instance" if address is None else f"the Ray cluster at {address}"
        super().__init__(backend, f"{where}: {reason}")
        self.address = address
        self.reason = reason
