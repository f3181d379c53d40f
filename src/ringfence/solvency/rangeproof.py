"""Checking a range proof: a Pedersen commitment opens to a value in ``[0, 2**RANGE_BITS)`` (format v2).

The proof is a bit decomposition (docs/solvency-proofs.md, "Range proofs"): the prover commits
to each bit ``b_i`` of the value as ``C_i = b_i·G + r_i·H`` with ``Σ 2**i·r_i = r``, so that
``Σ 2**i·C_i = C`` exactly, and proves of each ``C_i`` that it opens to 0 **or** 1 with the
OR-composition of two Schnorr proofs of knowledge of a discrete logarithm to the base ``H``
(Cramer, Damgård and Schoenmakers, "Proofs of partial knowledge and simplified design of
witness hiding protocols", CRYPTO 1994): ``C_i = r·H`` or ``C_i − G = r·H``. The ``RANGE_BITS``
OR-proofs are run in parallel on one challenge (the AND-composition of Σ-protocols, Cramer's
thesis 1996, §2) made non-interactive by the Fiat–Shamir transform over the whole statement
(Fiat and Shamir, CRYPTO 1986; the statement and every first message hashed, as Bernhard,
Pereira and Warinschi, ASIACRYPT 2012, require of a "strong" Fiat–Shamir).

Wire layout (``PROOF_BYTES = 32 + 128·RANGE_BITS`` bytes): the challenge ``e`` (scalar), then
for each bit ``i = 0 … RANGE_BITS−1``: ``C_i`` (point) ‖ ``c0_i`` ‖ ``z0_i`` ‖ ``z1_i``
(scalars). The verifier recomputes ``c1_i = e − c0_i``, ``A0_i = z0_i·H − c0_i·C_i``,
``A1_i = z1_i·H − c1_i·(C_i − G)`` and accepts iff ``Σ 2**i·C_i = C`` and
``e = SHA-512(str(TAG_RANGE) ‖ str(pool) ‖ u64(sequence) ‖ u8(RANGE_BITS) ‖ C ‖ (C_i ‖ A0_i ‖ A1_i)_i) mod ℓ``.

Why 64 bits: a leaf (one account's liability in quote atoms) is below ``2**64``, and so is every
node the prover proves (it refuses a pool whose total is ``2**64`` or more). A verifier adds at
most 65 values each below ``2**64`` (a leaf and 64 siblings), far below ``ℓ ≈ 2**252``: no sum
the verifier forms can wrap the group order, so "in range modulo ℓ" means "in range".
"""

from __future__ import annotations

from dataclasses import dataclass

from ringfence.solvency.encoding import encode_str, encode_u8, encode_u64
from ringfence.solvency.group import (
    IDENTITY,
    ORDER,
    POINT_BYTES,
    SCALAR_BYTES,
    G,
    H,
    add,
    decode_scalar,
    hash_to_scalar,
    is_point,
    mul,
    sub,
)

__all__ = [
    "BIT_BYTES",
    "PROOF_BYTES",
    "RANGE_BITS",
    "TAG_RANGE",
    "BitProof",
    "RangeProofInvalid",
    "challenge",
    "first_messages",
    "statement_prefix",
    "verify_range",
    "weighted_sum",
]

RANGE_BITS = 64
TAG_RANGE = "ringfence-solvency/v2/range"
BIT_BYTES = POINT_BYTES + 3 * SCALAR_BYTES
PROOF_BYTES = SCALAR_BYTES + RANGE_BITS * BIT_BYTES


class RangeProofInvalid(ValueError):
    """A range proof does not verify; ``reason`` is ``length``, ``encoding``, ``sum`` or ``challenge``."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True, slots=True)
class BitProof:
    """One bit's commitment and its OR-proof's ``c0``, ``z0``, ``z1``."""

    commitment: bytes
    c0: int
    z0: int
    z1: int


def statement_prefix(pool: str, sequence: int, commitment: bytes) -> bytes:
    """Return the transcript's first bytes: the tag, the pool, the sequence, the bit count, ``C``."""
    return encode_str(TAG_RANGE) + encode_str(pool) + encode_u64(sequence) + encode_u8(RANGE_BITS) + commitment


def challenge(prefix: bytes, bits: list[tuple[bytes, bytes, bytes]]) -> int:
    """Return the Fiat–Shamir challenge over the statement and every ``(C_i, A0_i, A1_i)``."""
    return hash_to_scalar(prefix + b"".join(c + a0 + a1 for c, a0, a1 in bits))


def first_messages(bit: BitProof, e: int) -> tuple[bytes, bytes]:
    """Return the ``A0, A1`` a valid OR-proof must have sent, from its responses and the challenge."""
    c1 = (e - bit.c0) % ORDER
    a0 = sub(mul(bit.z0, H), mul(bit.c0, bit.commitment))
    a1 = sub(mul(bit.z1, H), mul(c1, sub(bit.commitment, G)))
    return a0, a1


def weighted_sum(points: list[bytes]) -> bytes:
    """Return ``Σ 2**i·points[i]`` by Horner's rule (doublings and additions only)."""
    total = IDENTITY
    for point in reversed(points):
        total = add(add(total, total), point)
    return total


def _parse(proof: bytes) -> tuple[int, list[BitProof]]:
    if len(proof) != PROOF_BYTES:
        raise RangeProofInvalid("length", f"{len(proof)} bytes, not {PROOF_BYTES}")
    e = decode_scalar(proof[:SCALAR_BYTES])
    if e is None:
        raise RangeProofInvalid("encoding", "the challenge is not a canonical scalar")
    bits = []
    for i in range(RANGE_BITS):
        chunk = proof[SCALAR_BYTES + i * BIT_BYTES : SCALAR_BYTES + (i + 1) * BIT_BYTES]
        point = chunk[:POINT_BYTES]
        scalars = [
            decode_scalar(chunk[POINT_BYTES + k * SCALAR_BYTES : POINT_BYTES + (k + 1) * SCALAR_BYTES])
            for k in range(3)
        ]
        if not is_point(point):
            raise RangeProofInvalid("encoding", f"bit {i}'s commitment is not a ristretto255 point")
        c0, z0, z1 = scalars
        if c0 is None or z0 is None or z1 is None:
            raise RangeProofInvalid("encoding", f"bit {i} has a non-canonical scalar")
        bits.append(BitProof(point, c0, z0, z1))
    return e, bits


def verify_range(proof: bytes, commitment: bytes, pool: str, sequence: int) -> None:
    """Check that ``proof`` shows ``commitment`` opens to a value in ``[0, 2**RANGE_BITS)``.

    Checks, in order: the length; every point and scalar canonical; ``Σ 2**i·C_i = C``; the
    Fiat–Shamir challenge. Raises :class:`RangeProofInvalid` naming the first that fails.
    """
    if not is_point(commitment):
        raise RangeProofInvalid("encoding", "the commitment is not a ristretto255 point")
    e, bits = _parse(proof)
    if weighted_sum([bit.commitment for bit in bits]) != commitment:
        raise RangeProofInvalid("sum", "the bits' commitments do not add up to the commitment")
    transcript = [(bit.commitment, *first_messages(bit, e)) for bit in bits]
    if challenge(statement_prefix(pool, sequence, commitment), transcript) != e:
        raise RangeProofInvalid("challenge", "the Fiat-Shamir challenge does not match (a forged or altered proof)")
