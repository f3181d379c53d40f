"""Checking an inclusion proof against its commitment, and a pool's coverage (docs/solvency-proofs.md).

Needs nothing secret and nothing of the venue but the two files. The checks run in the order
the documentation lists; the first that fails raises :class:`ProofRejected` naming it.
"""

from __future__ import annotations

from dataclasses import dataclass

from ringfence.solvency.encoding import MAX_HEIGHT, MAX_SUM, leaf_hash, node_hash
from ringfence.solvency.errors import LiabilitiesNotCovered, ProofRejected
from ringfence.solvency.files import Commitment, InclusionProof

__all__ = ["Inclusion", "check_coverage", "verify_inclusion"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Inclusion:
    """A verified inclusion: the account's liability is counted in the committed total."""

    pool: str
    sequence: int
    account: str
    liability_atoms: int
    total_liabilities_atoms: int


def _in_range(what: str, value: int) -> None:
    if value < 0:
        raise ProofRejected("range", f"{what} is negative ({value})")
    if value > MAX_SUM:
        raise ProofRejected("range", f"{what} exceeds 2**128 - 1 ({value})")


def _check_header(commitment: Commitment, proof: InclusionProof) -> None:
    for field in ("pool", "sequence", "height"):
        mine, theirs = getattr(proof, field), getattr(commitment, field)
        if mine != theirs:
            raise ProofRejected(field, f"the proof is for {field} {mine!r}, the commitment for {theirs!r}")
    for field, text in (("pool", proof.pool), ("account", proof.account)):
        if len(text.encode()) > 0xFFFF:
            raise ProofRejected(field, "longer than 65,535 bytes")
    if not 1 <= commitment.height <= MAX_HEIGHT:
        raise ProofRejected("height", f"{commitment.height} is outside 1..{MAX_HEIGHT}")
    _in_range("the committed total", commitment.total_liabilities_atoms)
    if not 0 <= proof.position < 2**proof.height:
        raise ProofRejected("position", f"{proof.position} is outside [0, 2**{proof.height})")
    if len(proof.path) != proof.height:
        raise ProofRejected("path", f"{len(proof.path)} siblings for a tree of height {proof.height}")


def _check_amounts(proof: InclusionProof) -> None:
    _in_range("the account's liability", proof.liability_atoms)
    for name, amount in proof.claims_atoms.items():
        _in_range(f"claim {name}", amount)
    for level, sibling in enumerate(proof.path):
        _in_range(f"the sibling's sum at level {level}", sibling.sum_atoms)
    if sum(proof.claims_atoms.values()) != proof.liability_atoms:
        raise ProofRejected("claims", "the claims do not add up to the liability")


def verify_inclusion(commitment: Commitment, proof: InclusionProof) -> Inclusion:
    """Return the verified inclusion of ``proof``'s account in ``commitment``; raise :class:`ProofRejected`.

    Order (docs/solvency-proofs.md): pool, sequence and height match; the height, position and
    path length are in range; the committed total, the liability, its claims and every sibling's
    sum in ``[0, 2**128)``; the claims add up to the liability; then, from the leaf up, every
    parent's sum (computed, exact) at most ``2**128 - 1``; finally the computed root's sum equals
    the committed total and its hash the committed root.
    """
    _check_header(commitment, proof)
    _check_amounts(proof)
    current_sum = proof.liability_atoms
    current_hash = leaf_hash(proof.pool, proof.position, proof.account, proof.salt)
    for level, sibling in enumerate(proof.path):
        parent_sum = current_sum + sibling.sum_atoms
        if parent_sum > MAX_SUM:
            raise ProofRejected("overflow", f"the sum at level {level + 1} exceeds 2**128 - 1")
        if (proof.position >> level) & 1:
            current_hash = node_hash(sibling.sum_atoms, current_sum, sibling.hash, current_hash)
        else:
            current_hash = node_hash(current_sum, sibling.sum_atoms, current_hash, sibling.hash)
        current_sum = parent_sum
    if current_sum != commitment.total_liabilities_atoms:
        raise ProofRejected(
            "total", f"the path sums to {current_sum}, the commitment states {commitment.total_liabilities_atoms}"
        )
    if current_hash != commitment.root_hash:
        raise ProofRejected("root", f"the path reaches root {current_hash.hex()}, not {commitment.root_hash.hex()}")
    return Inclusion(
        pool=proof.pool,
        sequence=proof.sequence,
        account=proof.account,
        liability_atoms=proof.liability_atoms,
        total_liabilities_atoms=current_sum,
    )


def check_coverage(commitment: Commitment, assets_atoms: int) -> int:
    """Return the surplus ``assets − committed total``; raise :class:`LiabilitiesNotCovered` if negative."""
    surplus = assets_atoms - commitment.total_liabilities_atoms
    if surplus < 0:
        raise LiabilitiesNotCovered(commitment.pool, assets_atoms, commitment.total_liabilities_atoms, commitment.asset)
    return surplus
