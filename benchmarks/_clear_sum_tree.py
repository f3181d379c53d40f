"""The peer of bench_solvency.py: format v1's Merkle sum tree with the sums in the clear.

A copy of ``ringfence.solvency.tree.build_tree`` and its verifier as they were before the sums were
hidden (format v1, docs/solvency-proofs.md in the git history): the same KDF-derived salts, random
placement and padding, each node's sum a plain integer hashed into its parent. Kept here, outside
the package, only to time the price of hiding against it in the same run.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from typing import Any

from ringfence.solvency.encoding import encode_str, encode_u8, encode_u64
from ringfence.solvency.tree import kdf

__all__ = ["build_clear_tree", "clear_proof_document", "verify_clear"]


def _leaf(pool: str, x: int, account: str, salt: bytes) -> bytes:
    return hashlib.sha256(
        encode_str("ringfence-solvency/v1/leaf") + encode_str(pool) + encode_u64(x) + encode_str(account) + salt
    ).digest()


def _pad(pool: str, x: int, y: int, salt: bytes) -> bytes:
    return hashlib.sha256(
        encode_str("ringfence-solvency/v1/pad") + encode_str(pool) + encode_u64(x) + encode_u8(y) + salt
    ).digest()


def _node(left_sum: int, right_sum: int, left_hash: bytes, right_hash: bytes) -> bytes:
    return hashlib.sha256(
        encode_str("ringfence-solvency/v1/node")
        + left_sum.to_bytes(16, "big")
        + right_sum.to_bytes(16, "big")
        + left_hash
        + right_hash
    ).digest()


def _columns(key: bytes, height: int, count: int) -> list[int]:
    size, counter, swapped, out = 2**height, 0, {}, []
    for index in range(count):
        bound = size - index
        limit = (2**256 // bound) * bound
        while True:
            draw = int.from_bytes(hmac.new(key, encode_u64(counter), hashlib.sha256).digest(), "big")
            counter += 1
            if draw < limit:
                break
        pick = index + draw % bound
        out.append(swapped.get(pick, pick))
        swapped[pick] = swapped.get(index, index)
    return out


def build_clear_tree(
    pool: str, sequence: int, liabilities: Sequence[tuple[str, int]], master: bytes, height: int
) -> dict[str, Any]:
    """Return the v1 tree: its root ``(sum, hash)`` and, per account, ``(x, salt, liability, siblings)``."""
    scope = encode_str(pool) + encode_u64(sequence)
    salt_s = kdf(master, encode_str("ringfence-solvency/v1/salt_s") + scope)
    place = kdf(master, encode_str("ringfence-solvency/v1/place") + scope)

    def pad_node(x: int, y: int) -> tuple[int, bytes]:
        w = kdf(master, encode_str("ringfence-solvency/v1/pad") + scope + encode_u64(x) + encode_u8(y))
        return 0, _pad(pool, x, y, kdf(w, salt_s))

    level: dict[int, tuple[int, bytes]] = {}
    placed = []
    for (account, liability), x in zip(liabilities, _columns(place, height, len(liabilities)), strict=True):
        salt = kdf(kdf(master, encode_str("ringfence-solvency/v1/w") + scope + encode_str(account)), salt_s)
        level[x] = (liability, _leaf(pool, x, account, salt))
        placed.append((account, x, salt, liability))
    levels = []
    for y in range(height):
        parents = {}
        for x in sorted({x >> 1 for x in level}):
            left = level.get(2 * x) or pad_node(2 * x, y)
            right = level.get(2 * x + 1) or pad_node(2 * x + 1, y)
            level[2 * x], level[2 * x + 1] = left, right
            parents[x] = (left[0] + right[0], _node(left[0], right[0], left[1], right[1]))
        levels.append(level)
        level = parents
    root = level.get(0) or pad_node(0, height)
    leaves = [
        (account, x, salt, liability, [levels[y][(x >> y) ^ 1] for y in range(height)])
        for account, x, salt, liability in placed
    ]
    return {"pool": pool, "sequence": sequence, "height": height, "root": root, "leaves": leaves}


def clear_proof_document(tree: dict[str, Any], leaf: tuple[Any, ...]) -> dict[str, Any]:
    """Return a v1 inclusion proof (the fields that depend on the tree)."""
    account, x, salt, liability, siblings = leaf
    return {
        "format": "ringfence-solvency-proof/1",
        "pool": tree["pool"],
        "sequence": tree["sequence"],
        "height": tree["height"],
        "account": account,
        "liability_atoms": str(liability),
        "claims": {"isolated_atoms": str(liability), "cross_atoms": "0", "lp_atoms": "0"},
        "position": str(x),
        "salt": salt.hex(),
        "path": [{"sum_atoms": str(total), "hash": digest.hex()} for total, digest in siblings],
    }


def verify_clear(root: tuple[int, bytes], proof: dict[str, Any]) -> bool:
    """Walk a v1 proof to its root; whether it reaches ``root``."""
    x = int(proof["position"])
    total = int(proof["liability_atoms"])
    digest = _leaf(proof["pool"], x, proof["account"], bytes.fromhex(proof["salt"]))
    for level, step in enumerate(proof["path"]):
        other, other_hash = int(step["sum_atoms"]), bytes.fromhex(step["hash"])
        left, right = (
            ((other, other_hash), (total, digest)) if (x >> level) & 1 else ((total, digest), (other, other_hash))
        )
        digest = _node(left[0], right[0], left[1], right[1])
        total += other
    return (total, digest) == root
