"""Checking an inclusion proof against its commitment, and a pool's coverage (docs/solvency-proofs.md).

Needs nothing secret and nothing of the venue but the files. The checks run in the order the
documentation lists; the first that fails raises :class:`ProofRejected` naming it.
"""

from __future__ import annotations

from dataclasses import dataclass

from ringfence.solvency.encoding import MAX_HEIGHT, leaf_hash, node_hash
from ringfence.solvency.errors import CoverageNotProven, LiabilitiesNotCovered, ProofRejected
from ringfence.solvency.files import Commitment, InclusionProof, Opening
from ringfence.solvency.group import G, add, commit, decode_scalar, is_point, mul, sub
from ringfence.solvency.rangeproof import RangeProofInvalid, range_width_problem, verify_range

__all__ = ["Coverage", "Inclusion", "check_coverage", "check_opening", "verify_inclusion"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Inclusion:
    """A verified inclusion: the account's liability is counted in the committed (hidden) total."""

    pool: str
    sequence: int
    account: str
    liability_atoms: int
    root_commitment: bytes


@dataclass(frozen=True, slots=True, kw_only=True)
class Coverage:
    """A passed coverage check; the liabilities and surplus are known only when the root was opened."""

    assets_atoms: int
    liabilities_atoms: int | None
    surplus_atoms: int | None
    how: str
    """``"range proof"`` (``A·G − C_root`` is in range), ``"assets ≥ 2**N"`` or ``"opening"``."""


def _check_header(commitment: Commitment, proof: InclusionProof) -> None:
    for field in ("pool", "sequence", "height", "range_bits"):
        mine, theirs = getattr(proof, field), getattr(commitment, field)
        if mine != theirs:
            raise ProofRejected(field, f"the proof is for {field} {mine!r}, the commitment for {theirs!r}")
    _check_width(commitment)
    for field, text in (("pool", proof.pool), ("account", proof.account)):
        if len(text.encode()) > 0xFFFF:
            raise ProofRejected(field, "longer than 65,535 bytes")
    if not 1 <= commitment.height <= MAX_HEIGHT:
        raise ProofRejected("height", f"{commitment.height} is outside 1..{MAX_HEIGHT}")
    if not 0 <= proof.position < 2**proof.height:
        raise ProofRejected("position", f"{proof.position} is outside [0, 2**{proof.height})")
    if len(proof.path) != proof.height:
        raise ProofRejected("path", f"{len(proof.path)} siblings for a tree of height {proof.height}")


def _check_width(commitment: Commitment) -> None:
    """Reject a width a publication may not use: not a multiple of 8 in [32, 192], or one whose sums could wrap."""
    problem = range_width_problem(commitment.range_bits, commitment.height)
    if problem is not None:
        raise ProofRejected("range_bits", problem)


def _in_range(what: str, value: int, bits: int) -> None:
    if not 0 <= value < 2**bits:
        raise ProofRejected("range", f"{what} is outside [0, 2**{bits}): {value}")


def _check_values(commitment: Commitment, proof: InclusionProof) -> int:
    """Check the opened values and every encoding; return the leaf's blinding factor."""
    _in_range("the account's liability", proof.liability_atoms, commitment.range_bits)
    for name, amount in proof.claims_atoms.items():
        _in_range(f"claim {name}", amount, commitment.range_bits)
    if sum(proof.claims_atoms.values()) != proof.liability_atoms:
        raise ProofRejected("claims", "the claims do not add up to the liability")
    blinding = decode_scalar(proof.blinding)
    if blinding is None:
        raise ProofRejected("encoding", "the blinding factor is not a canonical scalar")
    if not is_point(commitment.root_commitment):
        raise ProofRejected("encoding", "the root's commitment is not a ristretto255 point")
    for level, sibling in enumerate(proof.path):
        if not is_point(sibling.commitment):
            raise ProofRejected("encoding", f"the sibling's commitment at level {level} is not a ristretto255 point")
    return blinding


def verify_inclusion(commitment: Commitment, proof: InclusionProof) -> Inclusion:
    """Return the verified inclusion of ``proof``'s account in ``commitment``; raise :class:`ProofRejected`.

    Order (docs/solvency-proofs.md): pool, sequence, height and range bits match; the width
    ``N`` is allowed at the height; the height, position and path length are in range; the
    liability and its claims in ``[0, 2**N)``, the claims add up; every encoding canonical;
    every sibling's ``N``-bit range proof holds; then, from the leaf's commitment ``l·G + b·H``
    up, each parent's commitment is the sum of its children's and its hash binds both; finally
    the computed root commitment and hash are the committed ones.
    """
    _check_header(commitment, proof)
    blinding = _check_values(commitment, proof)
    for level, sibling in enumerate(proof.path):
        try:
            verify_range(
                sibling.range_proof, sibling.commitment, proof.pool, proof.sequence, bits=commitment.range_bits
            )
        except RangeProofInvalid as error:
            raise ProofRejected("range_proof", f"the sibling's at level {level}: {error}") from None
    current = commit(proof.liability_atoms, blinding)
    current_hash = leaf_hash(proof.pool, proof.position, proof.account, proof.salt)
    for level, sibling in enumerate(proof.path):
        if (proof.position >> level) & 1:
            current_hash = node_hash(sibling.commitment, current, sibling.hash, current_hash)
        else:
            current_hash = node_hash(current, sibling.commitment, current_hash, sibling.hash)
        current = add(current, sibling.commitment)
    if current != commitment.root_commitment:
        raise ProofRejected("commitment", f"the path adds up to commitment {current.hex()}, not the committed root's")
    if current_hash != commitment.root_hash:
        raise ProofRejected("root", f"the path reaches root {current_hash.hex()}, not {commitment.root_hash.hex()}")
    return Inclusion(
        pool=proof.pool,
        sequence=proof.sequence,
        account=proof.account,
        liability_atoms=proof.liability_atoms,
        root_commitment=current,
    )


def check_opening(commitment: Commitment, opening: Opening) -> int:
    """Return the committed total if ``opening`` opens the root's commitment; raise :class:`ProofRejected`."""
    blinding = decode_scalar(opening.blinding)
    if blinding is None:
        raise ProofRejected("opening", "the blinding factor is not a canonical scalar")
    _check_width(commitment)
    if not 0 <= opening.total_liabilities_atoms < 2**commitment.range_bits:
        raise ProofRejected("opening", f"the total is outside [0, 2**{commitment.range_bits})")
    if commit(opening.total_liabilities_atoms, blinding) != commitment.root_commitment:
        raise ProofRejected("opening", "it does not open the root's commitment")
    return opening.total_liabilities_atoms


def _check_root(commitment: Commitment) -> None:
    _check_width(commitment)
    try:
        verify_range(
            commitment.root_range_proof,
            commitment.root_commitment,
            commitment.pool,
            commitment.sequence,
            bits=commitment.range_bits,
        )
    except RangeProofInvalid as error:
        raise ProofRejected("root_range_proof", str(error)) from None


def check_coverage(commitment: Commitment, assets_atoms: int, opening: Opening | None = None) -> Coverage:
    """Check that ``assets_atoms`` (``A``) cover the committed liabilities ``L``; raise if not shown.

    ``N`` is the commitment's ``range_bits``. Order (docs/solvency-proofs.md, "The coverage
    check"): ``N`` is allowed at the commitment's height; the root's range proof (``L`` in
    ``[0, 2**N)``); with an opening, that it opens the root and ``A ≥ L``; then ``A < 0`` is not
    covered, ``A ≥ 2**N`` is covered, and otherwise the coverage proof must show that
    ``A·G − C_root`` commits to a value in ``[0, 2**N)``, which given ``0 ≤ L, A < 2**N`` (and
    ``ℓ > 2**(N+1)``) means ``A − L ≥ 0``.

    Raises
    ------
    ProofRejected
        The width is not allowed, or a range proof or the opening does not verify.
    LiabilitiesNotCovered
        The opened total exceeds the assets.
    CoverageNotProven
        The assets are negative, or the commitment carries no coverage proof (the venue could
        not make one: its liabilities exceed its assets).
    """
    _check_root(commitment)
    liabilities = None if opening is None else check_opening(commitment, opening)
    if liabilities is not None and assets_atoms < liabilities:
        raise LiabilitiesNotCovered(commitment.pool, assets_atoms, liabilities, commitment.asset)
    surplus = None if liabilities is None else assets_atoms - liabilities
    if assets_atoms < 0:
        raise CoverageNotProven(commitment.pool, assets_atoms, "the declared assets are negative")
    if assets_atoms >= 2**commitment.range_bits:
        return Coverage(
            assets_atoms=assets_atoms,
            liabilities_atoms=liabilities,
            surplus_atoms=surplus,
            how=f"assets ≥ 2**{commitment.range_bits}",
        )
    if commitment.coverage_proof is None:
        raise CoverageNotProven(
            commitment.pool, assets_atoms, "the commitment carries no coverage proof (liabilities exceed assets)"
        )
    difference = sub(mul(assets_atoms, G), commitment.root_commitment)
    try:
        verify_range(
            commitment.coverage_proof, difference, commitment.pool, commitment.sequence, bits=commitment.range_bits
        )
    except RangeProofInvalid as error:
        raise ProofRejected("coverage", f"A·G − C_root is not shown in range: {error}") from None
    how = "range proof" if opening is None else "opening"
    return Coverage(assets_atoms=assets_atoms, liabilities_atoms=liabilities, surplus_atoms=surplus, how=how)
