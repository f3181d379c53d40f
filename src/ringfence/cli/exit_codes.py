"""Exit codes of the ``ringfence`` command: the error tree mapped to numbers.

0 ok, 2 invalid input, 3 command rejected, 4 journal error (including a failed
``journal verify``), 5 a solvency check failed (``proof verify``, ``proof check``), 69 an
execution backend's package not installed (``--backend ray`` without ``ray``), 75 a cluster
unreachable or a task's worker lost (try again), 70 invariant violation, 1 anything else of the tree.
"""

from __future__ import annotations

from ringfence.core.errors import CommandRejected, InvalidCommand, InvariantViolation, JournalError, RingfenceError
from ringfence.lab.errors import BackendNotInstalled, ClusterUnreachable
from ringfence.solvency.errors import SolvencyCheckFailed

__all__ = ["EXIT_CODES", "exit_code_for"]

EXIT_CODES: dict[type[RingfenceError], int] = {
    InvalidCommand: 2,
    CommandRejected: 3,
    JournalError: 4,
    SolvencyCheckFailed: 5,
    InvariantViolation: 70,
    BackendNotInstalled: 69,
    ClusterUnreachable: 75,
}


def exit_code_for(error: RingfenceError) -> int:
    """Return the process exit code for an error of the tree."""
    for error_type, code in EXIT_CODES.items():
        if isinstance(error, error_type):
            return code
    return 1
