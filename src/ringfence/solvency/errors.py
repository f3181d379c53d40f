"""Errors of the solvency proofs, attached to the one error tree of :mod:`ringfence.core.errors`.

::

    RingfenceError
    ├── InvalidCommand
    │   ├── ProofFileError          a commitment, proof or secret file that cannot be read or written (exit 2)
    │   ├── RangeWidthRefused       a --range-bits / --height pair a publication may not use (exit 2)
    │   └── LiabilitiesExceedRange  a pool's total liabilities reach 2**N: no N-bit range proof holds it (exit 2)
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

__all__ = [
    "CoverageNotProven",
    "LiabilitiesExceedRange",
    "LiabilitiesNotCovered",
    "ProofFileError",
    "ProofRejected",
    "RangeWidthRefused",
    "SolvencyCheckFailed",
]


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


class RangeWidthRefused(InvalidCommand):
    """A publication may not use ``range_bits``-bit range proofs in a tree of ``height``.

    Attributes
    ----------
    range_bits, height:
        The pair asked for.
    problem:
        Why: not a multiple of 8 in ``[32, 192]``, or ``2**range_bits · 2**height ≥ ℓ`` (a sum could wrap).
    """

    code = "range_width_refused"

    def __init__(self, range_bits: int, height: int, problem: str) -> None:
        super().__init__(f"--range-bits {range_bits} with --height {height} is refused: {problem}")
        self.range_bits = range_bits
        self.height = height
        self.problem = problem


class LiabilitiesExceedRange(InvalidCommand):
    """A pool's total liabilities reach ``2**range_bits`` atoms: no node's range proof could hold the root.

    Attributes
    ----------
    pool:
        The pool.
    total_atoms:
        Its total liabilities, in quote atoms.
    range_bits:
        The width asked for.
    needed_bits:
        The smallest allowed width that holds the total, or ``None`` if none does (it needs more than 192 bits).
    """

    code = "liabilities_exceed_range"

    def __init__(self, pool: str, total_atoms: int, range_bits: int, needed_bits: int | None) -> None:
        advice = (
            f"publish with --range-bits {needed_bits} or more"
            if needed_bits is not None
            else "no allowed --range-bits (at most 192) holds it"
        )
        super().__init__(
            f"pool {pool}'s total liabilities ({total_atoms} atoms) ≥ 2**{range_bits}: {advice} "
            "(the width is public: choose it from the asset, not from today's total, and keep it)"
        )
        self.pool = pool
        self.total_atoms = total_atoms
        self.range_bits = range_bits
        self.needed_bits = needed_bits


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
