"""The ristretto255 group and Pedersen commitments of a solvency proof (format v2; docs/solvency-proofs.md).

ristretto255 (RFC 9496) is a prime-order group of order
``ORDER = 2**252 + 27742317777372353535851937790883648493`` built on Curve25519; its elements
are 32-byte canonical encodings. The arithmetic is libsodium's, through ``rbcl`` (a wheel that
bundles libsodium and wraps its ``crypto_core_ristretto255_*`` and
``crypto_scalarmult_ristretto255*`` functions; PyNaCl 1.6 does not expose them).

- ``G`` is the group's standard base point (libsodium's ``crypto_scalarmult_ristretto255_base(1)``);
- ``H`` is derived nothing-up-my-sleeve: ``from_hash(SHA-512(str("ringfence-solvency/v2/pedersen-H")))``
  (RFC 9496 §4.3.4's one-way map), so nobody knows ``log_G H``;
- a Pedersen commitment to ``v`` with blinding ``r`` is ``C = v·G + r·H`` (Pedersen, CRYPTO 1991),
  additively homomorphic: ``C(v1, r1) + C(v2, r2) = C(v1 + v2, r1 + r2)``.

Scalars are Python integers modulo ``ORDER``; on the wire a scalar is 32 bytes little-endian and
must be canonical (``< ORDER``). libsodium's scalar multiplication refuses a result equal to the
identity (it returns an error for a zero scalar or an identity point); in a prime-order group
that happens exactly when the scalar is 0 mod ``ORDER`` or the point is the identity, so
:func:`mul` returns the identity for those two cases explicitly and lets any other failure raise.
This module holds no secret and is shared by the prover and the verifier.
"""

from __future__ import annotations

import hashlib

import rbcl

from ringfence.solvency.encoding import encode_str

__all__ = [
    "IDENTITY",
    "ORDER",
    "POINT_BYTES",
    "SCALAR_BYTES",
    "TAG_GENERATOR_H",
    "G",
    "H",
    "add",
    "commit",
    "decode_scalar",
    "encode_scalar",
    "hash_to_scalar",
    "is_point",
    "mul",
    "sub",
]

ORDER = 2**252 + 27742317777372353535851937790883648493
"""The order ``ℓ`` of ristretto255 (RFC 9496)."""
POINT_BYTES = 32
SCALAR_BYTES = 32
IDENTITY = bytes(POINT_BYTES)
"""The identity element's encoding (32 zero bytes)."""
TAG_GENERATOR_H = "ringfence-solvency/v2/pedersen-H"


def encode_scalar(value: int) -> bytes:
    """Return ``value mod ORDER`` as 32 little-endian bytes."""
    return (value % ORDER).to_bytes(SCALAR_BYTES, "little")


def decode_scalar(raw: bytes) -> int | None:
    """Return the scalar 32 little-endian bytes spell, or ``None`` if not canonical (``≥ ORDER``)."""
    if len(raw) != SCALAR_BYTES:
        return None
    value = int.from_bytes(raw, "little")
    return value if value < ORDER else None


def hash_to_scalar(data: bytes) -> int:
    """Return ``SHA-512(data)`` read as a little-endian integer, reduced modulo ``ORDER``."""
    return int.from_bytes(hashlib.sha512(data).digest(), "little") % ORDER


def is_point(raw: bytes) -> bool:
    """Whether ``raw`` is the canonical encoding of a ristretto255 element (the identity included)."""
    return len(raw) == POINT_BYTES and bool(rbcl.crypto_core_ristretto255_is_valid_point(raw))


def add(left: bytes, right: bytes) -> bytes:
    """Return ``left + right``."""
    result: bytes = rbcl.crypto_core_ristretto255_add(left, right)
    return result


def sub(left: bytes, right: bytes) -> bytes:
    """Return ``left − right``."""
    result: bytes = rbcl.crypto_core_ristretto255_sub(left, right)
    return result


def mul(scalar: int, point: bytes) -> bytes:
    """Return ``scalar·point``; the identity when ``scalar ≡ 0`` or ``point`` is the identity.

    libsodium refuses exactly those two cases (a result equal to the identity) in a group of
    prime order; they are answered here, not by catching its error, so any other failure (an
    invalid encoding) still raises.
    """
    reduced = scalar % ORDER
    if reduced == 0 or point == IDENTITY:
        return IDENTITY
    if reduced == 1:
        return point
    if point == G:
        result: bytes = rbcl.crypto_scalarmult_ristretto255_base(encode_scalar(reduced))
        return result
    product: bytes = rbcl.crypto_scalarmult_ristretto255(encode_scalar(reduced), point)
    return product


G: bytes = rbcl.crypto_scalarmult_ristretto255_base(encode_scalar(1))
"""The value generator: ristretto255's standard base point."""
H: bytes = rbcl.crypto_core_ristretto255_from_hash(hashlib.sha512(encode_str(TAG_GENERATOR_H)).digest())
"""The blinding generator, nothing up the sleeve: the one-way map of a SHA-512 of a fixed string."""


def commit(value: int, blinding: int) -> bytes:
    """Return the Pedersen commitment ``value·G + blinding·H`` (both taken modulo ``ORDER``)."""
    return add(mul(value, G), mul(blinding, H))
