"""Checking a range proof: a Pedersen commitment opens to a value in ``[0, 2**N)`` (format v2).

The proof is a bit decomposition (docs/solvency-proofs.md, "Range proofs"): the prover commits
to each bit ``b_i`` of the value as ``C_i = b_i·G + r_i·H`` with ``Σ 2**i·r_i = r``, so that
``Σ 2**i·C_i = C`` exactly, and proves of each ``C_i`` that it opens to 0 **or** 1 with the
OR-composition of two Schnorr proofs of knowledge of a discrete logarithm to the base ``H``
(Cramer, Damgård and Schoenmakers, "Proofs of partial knowledge and simplified design of
witness hiding protocols", CRYPTO 1994): ``C_i = r·H`` or ``C_i − G = r·H``. The ``N``
OR-proofs are run in parallel on one challenge (the AND-composition of Σ-protocols, Cramer's
thesis 1996, §2) made non-interactive by the Fiat–Shamir transform over the whole statement
(Fiat and Shamir, CRYPTO 1986; the statement and every first message hashed, as Bernhard,
Pereira and Warinschi, ASIACRYPT 2012, require of a "strong" Fiat–Shamir).

Wire layout (``proof_bytes(N) = 32 + 128·N`` bytes): the challenge ``e`` (scalar), then
for each bit ``i = 0 … N−1``: ``C_i`` (point) ‖ ``c0_i`` ‖ ``z0_i`` ‖ ``z1_i``
(scalars). The verifier recomputes ``c1_i = e − c0_i``, ``A0_i = z0_i·H − c0_i·C_i``,
``A1_i = z1_i·H − c1_i·(C_i − G)`` and accepts iff ``Σ 2**i·C_i = C`` and
``e = SHA-512(str(TAG_RANGE) ‖ str(pool) ‖ u64(sequence) ‖ u8(N) ‖ C ‖ (C_i ‖ A0_i ‖ A1_i)_i) mod ℓ``.

The width ``N`` (``range_bits``) is a parameter of a publication, the same for every node of it:
a multiple of 8 in ``[32, 192]`` (:data:`ALLOWED_RANGE_BITS`) with ``2**N · 2**H < ℓ`` for the
tree's height ``H``, i.e. ``N + H ≤ 252`` since ``2**252 < ℓ < 2**253`` (:func:`range_width_problem`).
Why that bound: every node a verifier sees is proven in ``[0, 2**N)`` and an opened leaf is
checked to be; an inclusion proof's walk adds the leaf and ``H`` siblings, at most
``(H + 1)·(2**N − 1) < 2**H·2**N`` (``H + 1 ≤ 2**H``), and all the accounts' checks together
add at most ``2**H`` leaves under the root, each below ``2**N``: no sum a verifier (or all of
them) forms can wrap the group order, so "in range modulo ℓ" means "in range". The coverage
check needs ``ℓ > 2**(N+1)`` (a negative ``A − L`` must land outside ``[0, 2**N)``), which
``N + H ≤ 252`` with ``H ≥ 1`` implies.
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
    "ALLOWED_RANGE_BITS",
    "BIT_BYTES",
    "DEFAULT_RANGE_BITS",
    "MAX_WIDTH_PLUS_HEIGHT",
    "TAG_RANGE",
    "BitProof",
    "RangeProofInvalid",
    "challenge",
    "first_messages",
    "proof_bytes",
    "range_width_problem",
    "statement_prefix",
    "verify_range",
    "weighted_sum",
]

DEFAULT_RANGE_BITS = 64
"""The width of format v2's first publications, and of every asset of up to 8 decimals by default."""
ALLOWED_RANGE_BITS = tuple(range(32, 193, 8))
"""The widths a publication may use: multiples of 8 from 32 to 192 (each fits the transcript's ``u8``)."""
MAX_WIDTH_PLUS_HEIGHT = 252
"""``N + H ≤ 252`` is ``2**N · 2**H ≤ 2**252 < ℓ``: no sum a verifier forms can wrap the group order."""
TAG_RANGE = "ringfence-solvency/v2/range"
BIT_BYTES = POINT_BYTES + 3 * SCALAR_BYTES


def proof_bytes(bits: int) -> int:
    """Return the length of an ``bits``-bit range proof: ``32 + 128·bits``."""
    return SCALAR_BYTES + bits * BIT_BYTES


def range_width_problem(bits: int, height: int) -> str | None:
    """Return why ``bits``-bit range proofs are not allowed in a tree of ``height``, or ``None`` if they are.

    Allowed: ``bits`` in :data:`ALLOWED_RANGE_BITS` and ``bits + height ≤ 252``
    (``2**bits · 2**height < ℓ``; the module's docstring says why).
    """
    if bits not in ALLOWED_RANGE_BITS:
        return f"{bits} is not a range width: a multiple of 8 from {ALLOWED_RANGE_BITS[0]} to {ALLOWED_RANGE_BITS[-1]}"
    if bits + height > MAX_WIDTH_PLUS_HEIGHT:
        return (
            f"{bits}-bit range proofs in a tree of height {height} could wrap the group order: "
            f"2**{bits} · 2**{height} ≥ ℓ (bits + height must be at most {MAX_WIDTH_PLUS_HEIGHT}); "
            f"use at most {MAX_WIDTH_PLUS_HEIGHT - height} bits or a height of at most {MAX_WIDTH_PLUS_HEIGHT - bits}"
        )
    return None


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


def statement_prefix(pool: str, sequence: int, commitment: bytes, bits: int) -> bytes:
    """Return the transcript's first bytes: the tag, the pool, the sequence, the bit count, ``C``."""
    return encode_str(TAG_RANGE) + encode_str(pool) + encode_u64(sequence) + encode_u8(bits) + commitment


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


def _parse(proof: bytes, bits: int) -> tuple[int, list[BitProof]]:
    if len(proof) != proof_bytes(bits):
        raise RangeProofInvalid("length", f"{len(proof)} bytes, not {proof_bytes(bits)} (a {bits}-bit proof)")
    e = decode_scalar(proof[:SCALAR_BYTES])
    if e is None:
        raise RangeProofInvalid("encoding", "the challenge is not a canonical scalar")
    parsed = []
    for i in range(bits):
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
        parsed.append(BitProof(point, c0, z0, z1))
    return e, parsed


def verify_range(proof: bytes, commitment: bytes, pool: str, sequence: int, *, bits: int) -> None:
    """Check that ``proof`` shows ``commitment`` opens to a value in ``[0, 2**bits)``.

    Checks, in order: the length (``32 + 128·bits``); every point and scalar canonical;
    ``Σ 2**i·C_i = C``; the Fiat–Shamir challenge (whose transcript names ``bits``). Raises
    :class:`RangeProofInvalid` naming the first that fails. ``bits`` is the publication's width,
    which the caller has checked (:func:`range_width_problem`).
    """
    if not is_point(commitment):
        raise RangeProofInvalid("encoding", "the commitment is not a ristretto255 point")
    e, parsed = _parse(proof, bits)
    if weighted_sum([bit.commitment for bit in parsed]) != commitment:
        raise RangeProofInvalid("sum", "the bits' commitments do not add up to the commitment")
    transcript = [(bit.commitment, *first_messages(bit, e)) for bit in parsed]
    if challenge(statement_prefix(pool, sequence, commitment, bits), transcript) != e:
        raise RangeProofInvalid("challenge", "the Fiat-Shamir challenge does not match (a forged or altered proof)")
