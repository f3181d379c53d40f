"""The byte layouts and hashes of a solvency proof (format ``v1``; docs/solvency-proofs.md).

Every hash is SHA-256 over a concatenation of fixed-width or length-prefixed fields, the first
of which is a domain tag, so a leaf, a padding node and an inner node can never hash the same
bytes:

- ``str(s)``: the UTF-8 bytes of ``s`` preceded by their length as an unsigned 16-bit
  big-endian integer;
- ``u8``, ``u64``, ``u128``: unsigned big-endian integers of 1, 8 and 16 bytes;
- a salt or a hash: its 32 raw bytes.

::

    leaf  = SHA256(str("ringfence-solvency/v1/leaf") ‖ str(pool) ‖ u64(x) ‖ str(account) ‖ salt)
    pad   = SHA256(str("ringfence-solvency/v1/pad")  ‖ str(pool) ‖ u64(x) ‖ u8(y) ‖ salt)
    node  = SHA256(str("ringfence-solvency/v1/node") ‖ u128(sum_left) ‖ u128(sum_right) ‖ hash_left ‖ hash_right)

A node's hash binds both children's sums separately, as DAPOL+ binds both children's
commitments (Ji and Chalkias, "Generalized Proof of Liabilities", ACM CCS 2021; its reference
code, MystenLabs/dapol ``FullNodeContent::merge``, hashes ``C(L) ‖ C(R) ‖ H(L) ‖ H(R)``): a node
whose sum is not the sum of its children cannot reach the published root (the flaw of
Maxwell's original summation tree, which hashed only the parent's sum). Sums are exact integers checked
to lie in ``[0, 2**128)`` at every node: no negative leaf is representable and no sum wraps.
This module is shared by the prover and the package's verifier; it holds no secret.
"""

from __future__ import annotations

import hashlib

__all__ = [
    "HASH_BYTES",
    "MAX_HEIGHT",
    "MAX_SUM",
    "TAG_LEAF",
    "TAG_NODE",
    "TAG_PAD",
    "encode_str",
    "encode_u8",
    "encode_u64",
    "encode_u128",
    "leaf_hash",
    "node_hash",
    "pad_hash",
]

TAG_LEAF = "ringfence-solvency/v1/leaf"
TAG_PAD = "ringfence-solvency/v1/pad"
TAG_NODE = "ringfence-solvency/v1/node"

HASH_BYTES = 32
MAX_SUM = 2**128 - 1
"""Largest sum any node may carry (the width of ``u128``)."""
MAX_HEIGHT = 64
"""Leaf positions are ``u64``: a tree has at most 2**64 leaves."""


def encode_str(text: str) -> bytes:
    """Return ``u16(len) ‖ utf8(text)``; refuse a string longer than 65,535 bytes."""
    raw = text.encode()
    if len(raw) > 0xFFFF:
        raise ValueError(f"a string of {len(raw)} bytes does not fit a 16-bit length")
    return len(raw).to_bytes(2, "big") + raw


def encode_u8(value: int) -> bytes:
    """Return ``value`` as one byte (0–255)."""
    return value.to_bytes(1, "big")


def encode_u64(value: int) -> bytes:
    """Return ``value`` as 8 big-endian bytes (0 ≤ value < 2**64)."""
    return value.to_bytes(8, "big")


def encode_u128(value: int) -> bytes:
    """Return ``value`` as 16 big-endian bytes (0 ≤ value < 2**128); a negative value raises."""
    return value.to_bytes(16, "big")


def leaf_hash(pool: str, position: int, account: str, salt: bytes) -> bytes:
    """Return the hash of an account's leaf at ``position`` of ``pool``'s tree."""
    return hashlib.sha256(
        encode_str(TAG_LEAF) + encode_str(pool) + encode_u64(position) + encode_str(account) + salt
    ).digest()


def pad_hash(pool: str, x: int, y: int, salt: bytes) -> bytes:
    """Return the hash of the padding node at column ``x`` of level ``y`` (leaves are level 0)."""
    return hashlib.sha256(encode_str(TAG_PAD) + encode_str(pool) + encode_u64(x) + encode_u8(y) + salt).digest()


def node_hash(sum_left: int, sum_right: int, hash_left: bytes, hash_right: bytes) -> bytes:
    """Return the hash of an inner node from its two children's sums and hashes."""
    return hashlib.sha256(
        encode_str(TAG_NODE) + encode_u128(sum_left) + encode_u128(sum_right) + hash_left + hash_right
    ).digest()
