"""Errors of the stress lab, attached to the one error tree of :mod:`ringfence.core.errors`.

::

    RingfenceError
    └── InvalidCommand
        ├── InvalidParameter    a price-process or template parameter outside its domain (core class)
        ├── HistoryFileError    a missing or malformed price CSV: file, line and problem
        └── ScenarioError       a scenario TOML that cannot be loaded: file and offending key paths

Both are input errors: fix the file and load it again.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ringfence.core.errors import InvalidCommand

__all__ = ["HistoryFileError", "ScenarioError", "ScenarioIssue"]


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
