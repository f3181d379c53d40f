"""Errors of the solvency proofs, attached to the one error tree of :mod:`ringfence.core.errors`.

::

    RingfenceError
    ├── InvalidCommand
    │   └── ProofFileError          a commitment, proof or secret file that cannot be read or written (exit 2)
    └── SolvencyCheckFailed         a proof or a pool's coverage did not check out (exit 5)
        ├── ProofRejected           an inclusion, range or coverage proof does not verify: which check failed
        ├── LiabilitiesNotCovered   the pool's assets are less than its committed (opened) liabilities
        └── CoverageNotProven       no valid proof that the assets cover the hidden liabilities

A liability that cannot be computed (an oracle without a usable price) is the core's
:class:`~ringfence.core.errors.OracleUnavailable` (exit 3).
"""

from __future__ import annotations

from pathlib import Path

from ringfence.core.errors import InvalidCommand, RingfenceError

__all__ = ["CoverageNotProven", "LiabilitiesNotCovered", "ProofFileError", "ProofRejected", "SolvencyCheckFailed"]


class ProofFileError(InvalidCommand):
    """A commitment, proof or secret file is missing, unreadable or malformed, or may not be written.

    Attributes
    ----------
    file:
        The path as given.
    problem:
        What is wrong and what would be accepted.
    """

    code = "invalid_proof_file"

    def __init__(self, file: Path, problem: str) -> None:
        super().__init__(f"{file}: {problem}")
        self.file = file
        self.problem = problem


class SolvencyCheckFailed(RingfenceError):
    """A solvency check ran and failed: the venue's statement does not hold."""

    code = "solvency_check_failed"


class ProofRejected(SolvencyCheckFailed):
    """An inclusion proof does not verify against its commitment.

    Attributes
    ----------
    check:
        The check that failed (``pool``, ``range``, ``overflow``, ``total``, ``root``, ...).
    detail:
        What was found.
    """

    code = "proof_rejected"

    def __init__(self, check: str, detail: str) -> None:
        super().__init__(f"inclusion proof rejected ({check}): {detail}")
        self.check = check
        self.detail = detail


class LiabilitiesNotCovered(SolvencyCheckFailed):
    """The pool's assets are below its committed liabilities.

    Attributes
    ----------
    pool:
        The pool.
    assets_atoms, liabilities_atoms:
        Both sides, in the pool's quote atoms.
    """

    code = "liabilities_not_covered"

    def __init__(self, pool: str, assets_atoms: int, liabilities_atoms: int, asset: str) -> None:
        super().__init__(
            f"pool {pool} holds {assets_atoms} {asset} atoms against {liabilities_atoms} committed: "
            f"short by {liabilities_atoms - assets_atoms}"
        )
        self.pool = pool
        self.assets_atoms = assets_atoms
        self.liabilities_atoms = liabilities_atoms
        self.asset = asset


class CoverageNotProven(SolvencyCheckFailed):
    """The commitment does not show that the pool's assets cover its hidden liabilities.

    Attributes
    ----------
    pool:
        The pool.
    assets_atoms:
        The declared assets, in the pool's quote atoms.
    reason:
        Why no coverage is shown (negative assets, no coverage proof).
    """

    code = "coverage_not_proven"

    def __init__(self, pool: str, assets_atoms: int, reason: str) -> None:
        super().__init__(
            f"pool {pool} does not show that its {assets_atoms} atoms of assets cover its liabilities: {reason}"
        )
        self.pool = pool
        self.assets_atoms = assets_atoms
        self.reason = reason
