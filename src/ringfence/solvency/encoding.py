"""The byte layouts and hashes of a solvency proof (format ``v2``; docs/solvency-proofs.md).

Every hash is SHA-256 over a concatenation of fixed-width or length-prefixed fields, the first
of which is a domain tag, so a leaf, a padding node and an inner node can never hash the same
bytes:

- ``str(s)``: the UTF-8 bytes of ``s`` preceded by their length as an unsigned 16-bit
  big-endian integer;
- ``u8``, ``u64``: unsigned big-endian integers of 1 and 8 bytes;
- a salt or a hash: its 32 raw bytes; a commitment: its 32-byte ristretto255 encoding.

::

    leaf  = SHA256(str("ringfence-solvency/v2/leaf") ‖ str(pool) ‖ u64(x) ‖ str(account) ‖ salt)
    pad   = SHA256(str("ringfence-solvency/v2/pad")  ‖ str(pool) ‖ u64(x) ‖ u8(y) ‖ salt)
    node  = SHA256(str("ringfence-solvency/v2/node") ‖ C_left ‖ C_right ‖ hash_left ‖ hash_right)

A node's hash binds both children's Pedersen commitments and hashes, as DAPOL+ does (Ji and
Chalkias, "Generalized Proof of Liabilities", ACM CCS 2021, §4; reference code
``silversixpence-crypto/dapol`` ``node_content/full_node.rs``, ``merge``: ``H(C_L ‖ C_R ‖ h_L ‖ h_R)``),
while the node's own commitment is the group sum ``C_left + C_right``: a node whose commitment is
not the sum of its children's cannot reach the published root. This module holds no secret.
"""

from __future__ import annotations

import hashlib

__all__ = [
    "HASH_BYTES",
    "MAX_HEIGHT",
    "TAG_LEAF",
    "TAG_NODE",
    "TAG_PAD",
    "encode_str",
    "encode_u8",
    "encode_u64",
    "leaf_hash",
    "node_hash",
    "pad_hash",
]

TAG_LEAF = "ringfence-solvency/v2/leaf"
TAG_PAD = "ringfence-solvency/v2/pad"
TAG_NODE = "ringfence-solvency/v2/node"

HASH_BYTES = 32
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


def leaf_hash(pool: str, position: int, account: str, salt: bytes) -> bytes:
    """Return the hash of an account's leaf at ``position`` of ``pool``'s tree."""
    return hashlib.sha256(
        encode_str(TAG_LEAF) + encode_str(pool) + encode_u64(position) + encode_str(account) + salt
    ).digest()


def pad_hash(pool: str, x: int, y: int, salt: bytes) -> bytes:
    """Return the hash of the padding node at column ``x`` of level ``y`` (leaves are level 0)."""
    return hashlib.sha256(encode_str(TAG_PAD) + encode_str(pool) + encode_u64(x) + encode_u8(y) + salt).digest()


def node_hash(commitment_left: bytes, commitment_right: bytes, hash_left: bytes, hash_right: bytes) -> bytes:
    """Return the hash of an inner node from its two children's commitments and hashes."""
    return hashlib.sha256(encode_str(TAG_NODE) + commitment_left + commitment_right + hash_left + hash_right).digest()
