"""The prover: a salted, padded, sparse Merkle sum tree over a pool's liabilities (DAPOL+, non-hiding).

The construction follows DAPOL+'s NDM-SMT (Ji and Chalkias, "Generalized Proof of
Liabilities", ACM CCS 2021; reference code MystenLabs/dapol ``accumulators/ndm_smt.rs``,
``kdf.rs``, ``node_content/full_node.rs``), with sums in the clear instead of Pedersen
commitments (docs/solvency-proofs.md says what that leaks):

- a 32-byte master secret (``secrets.token_bytes``) is the only randomness; everything else is
  derived from it with HKDF-SHA256 (RFC 5869, empty extract salt, 32-byte output), so the same
  secret and state give the same tree byte for byte:
  ``w = KDF(master, "w" ‖ pool ‖ sequence ‖ account)``, the account's salt ``KDF(w, salt_s)``
  with ``salt_s = KDF(master, "salt_s" ‖ pool ‖ sequence)``; a padding node's
  ``KDF(KDF(master, "pad" ‖ pool ‖ sequence ‖ x ‖ y), salt_s)``;
- each account gets a leaf at a uniformly random, distinct column of the bottom level
  (Durstenfeld's shuffle over ``[0, 2**height)``, drawn from an HMAC-SHA256 stream keyed by
  ``KDF(master, "place" ‖ pool ‖ sequence)``, with rejection sampling so no column is likelier);
- the tree has a fixed height (default 32, so the number of accounts is not its size); every
  node the accounts' paths need and that covers no account is a padding node of sum 0 at its
  own coordinate.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass

from ringfence.solvency.encoding import (
    MAX_HEIGHT,
    MAX_SUM,
    encode_str,
    encode_u8,
    encode_u64,
    leaf_hash,
    node_hash,
    pad_hash,
)

__all__ = ["DEFAULT_HEIGHT", "MASTER_SECRET_BYTES", "Leaf", "Node", "SumTree", "build_tree", "kdf"]

DEFAULT_HEIGHT = 32
MASTER_SECRET_BYTES = 32
_ZERO_SALT = bytes(32)


def kdf(key_material: bytes, info: bytes) -> bytes:
    """Return HKDF-SHA256(IKM=key_material, salt=empty, info) truncated to 32 bytes (RFC 5869).

    With no salt, extract uses 32 zero bytes as the HMAC key; one expand block (``T(1) =
    HMAC(PRK, info ‖ 0x01)``) gives the 32 bytes, as ``hkdf::Hkdf::<Sha256>::new(None, ikm)``
    followed by a 32-byte ``expand`` in the reference code.
    """
    prk = hmac.new(_ZERO_SALT, key_material, hashlib.sha256).digest()
    return hmac.new(prk, info + b"\x01", hashlib.sha256).digest()


@dataclass(frozen=True, slots=True)
class Node:
    """A node's sum (quote atoms) and hash."""

    sum_atoms: int
    hash: bytes


@dataclass(frozen=True, slots=True)
class Leaf:
    """An account's leaf: where it sits, its salt and value, and its path's siblings bottom-up."""

    account: str
    position: int
    salt: bytes
    liability_atoms: int
    siblings: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class SumTree:
    """A built tree: its root and one leaf (with its path) per account."""

    pool: str
    sequence: int
    height: int
    root: Node
    leaves: tuple[Leaf, ...]


class _Secrets:
    """Everything derived from the master secret for one (pool, sequence)."""

    def __init__(self, master: bytes, pool: str, sequence: int) -> None:
        self.master = master
        self.scope = encode_str(pool) + encode_u64(sequence)
        self.salt_s = kdf(master, encode_str("ringfence-solvency/v1/salt_s") + self.scope)
        self.place_key = kdf(master, encode_str("ringfence-solvency/v1/place") + self.scope)

    def account_salt(self, account: str) -> bytes:
        w = kdf(self.master, encode_str("ringfence-solvency/v1/w") + self.scope + encode_str(account))
        return kdf(w, self.salt_s)

    def pad_salt(self, x: int, y: int) -> bytes:
        w = kdf(self.master, encode_str("ringfence-solvency/v1/pad") + self.scope + encode_u64(x) + encode_u8(y))
        return kdf(w, self.salt_s)


class _Placement:
    """Distinct uniform columns in ``[0, 2**height)``: a sparse Durstenfeld shuffle on a keyed stream."""

    def __init__(self, key: bytes, height: int) -> None:
        self.key = key
        self.size = 2**height
        self.counter = 0
        self.swapped: dict[int, int] = {}

    def _uniform_below(self, bound: int) -> int:
        limit = (2**256 // bound) * bound  # rejection sampling: every value below bound equally likely
        while True:
            block = hmac.new(self.key, encode_u64(self.counter), hashlib.sha256).digest()
            self.counter += 1
            draw = int.from_bytes(block, "big")
            if draw < limit:
                return draw % bound

    def column(self, index: int) -> int:
        """Return the column of the ``index``-th account (0-based, in order)."""
        pick = index + self._uniform_below(self.size - index)
        chosen = self.swapped.get(pick, pick)
        self.swapped[pick] = self.swapped.get(index, index)
        return chosen


def build_tree(
    pool: str, sequence: int, liabilities: Sequence[tuple[str, int]], master: bytes, height: int = DEFAULT_HEIGHT
) -> SumTree:
    """Build pool ``pool``'s tree at ``sequence`` over ``(account, liability atoms)`` pairs.

    Raises
    ------
    ValueError
        If the height is outside ``1..64``, the accounts do not fit ``2**height`` leaves, an
        account appears twice, or a liability or a sum leaves ``[0, 2**128)``: the prover refuses
        what the verifier would reject.
    """
    if not 1 <= height <= MAX_HEIGHT:
        raise ValueError(f"height {height} is outside 1..{MAX_HEIGHT}")
    if len(liabilities) > 2**height:
        raise ValueError(f"{len(liabilities)} accounts do not fit a tree of height {height}")
    if len({account for account, _ in liabilities}) != len(liabilities):
        raise ValueError("an account appears twice")
    secrets_ = _Secrets(master, pool, sequence)
    placement = _Placement(secrets_.place_key, height)
    level: dict[int, Node] = {}
    placed: list[tuple[str, int, bytes, int]] = []
    for index, (account, liability) in enumerate(liabilities):
        if not 0 <= liability <= MAX_SUM:
            raise ValueError(f"liability of {account} is outside [0, 2**128): {liability}")
        x = placement.column(index)
        salt = secrets_.account_salt(account)
        level[x] = Node(liability, leaf_hash(pool, x, account, salt))
        placed.append((account, x, salt, liability))
    levels: list[dict[int, Node]] = []
    for y in range(height):
        parents: dict[int, Node] = {}
        for x in sorted({x >> 1 for x in level}):
            left = level.setdefault(2 * x, Node(0, pad_hash(pool, 2 * x, y, secrets_.pad_salt(2 * x, y))))
            right = level.setdefault(2 * x + 1, Node(0, pad_hash(pool, 2 * x + 1, y, secrets_.pad_salt(2 * x + 1, y))))
            total = left.sum_atoms + right.sum_atoms
            if total > MAX_SUM:
                raise ValueError(f"the sum at level {y + 1} exceeds 2**128 - 1")
            parents[x] = Node(total, node_hash(left.sum_atoms, right.sum_atoms, left.hash, right.hash))
        levels.append(level)
        level = parents
    root = level.get(0) or Node(0, pad_hash(pool, 0, height, secrets_.pad_salt(0, height)))
    leaves = tuple(
        Leaf(account, x, salt, liability, tuple(levels[y][(x >> y) ^ 1] for y in range(height)))
        for account, x, salt, liability in placed
    )
    return SumTree(pool, sequence, height, root, leaves)
