"""The prover: a salted, padded, sparse Merkle sum tree of Pedersen commitments over a pool's liabilities.

The construction is DAPOL+'s NDM-SMT (Ji and Chalkias, "Generalized Proof of Liabilities",
ACM CCS 2021, §3-4; reference code ``silversixpence-crypto/dapol``, formerly MystenLabs/dapol:
``accumulators/ndm_smt.rs``, ``kdf.rs``, ``node_content/full_node.rs``):

- a 32-byte master secret (``secrets.token_bytes``) is the only randomness; everything else is
  derived from it with HKDF-SHA256 (RFC 5869, empty extract salt), so the same secret and state
  give the same tree, proofs included, byte for byte. With ``scope = str(pool) ‖ u64(sequence)``:
  an account's ``w = KDF(master, "w" ‖ scope ‖ account)``, its salt ``KDF(w, salt_s)`` and its
  blinding factor ``KDF64(w, salt_b) mod ℓ`` (DAPOL+'s ``salt_s`` and ``salt_b``, each
  ``KDF(master, tag ‖ scope)``); a padding node's ``w`` is ``KDF(master, "pad" ‖ scope ‖ x ‖ y)``
  and its salt and blinding follow the same way;
- each account gets a leaf at a uniformly random, distinct column of the bottom level
  (Durstenfeld's shuffle over ``[0, 2**height)``, drawn from an HMAC-SHA256 stream keyed by
  ``KDF(master, "place" ‖ scope)``, with rejection sampling so no column is likelier);
- a leaf commits to its liability ``C = l·G + b·H``; a padding node commits to 0 with its own
  secret blinding (so it looks like any other node); an inner node's commitment is the group sum
  of its children's and its hash ``H(C_L ‖ C_R ‖ h_L ‖ h_R)``; its blinding is the sum of theirs;
- the tree has a fixed height (default 32, so the number of accounts is not its size);
- every node that is the sibling of a node on an account's path, and the root, gets a range
  proof (:mod:`.range_prover`) made once and copied into every inclusion proof that needs it, all
  of the publication's one width ``N`` (``range_bits``, :func:`.rangeproof.range_width_problem`).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass

from ringfence.solvency.encoding import MAX_HEIGHT, encode_str, encode_u8, encode_u64, leaf_hash, node_hash, pad_hash
from ringfence.solvency.errors import LiabilitiesExceedRange, RangeWidthRefused
from ringfence.solvency.group import ORDER, G, add, commit, mul, sub
from ringfence.solvency.range_prover import prove_range
from ringfence.solvency.rangeproof import ALLOWED_RANGE_BITS, DEFAULT_RANGE_BITS, range_width_problem

__all__ = [
    "DEFAULT_HEIGHT",
    "MASTER_SECRET_BYTES",
    "Leaf",
    "Node",
    "SumTree",
    "build_tree",
    "check_range_width",
    "check_total_fits",
    "coverage_commitment",
    "kdf",
    "kdf64",
    "prove_coverage",
]

DEFAULT_HEIGHT = 32
MASTER_SECRET_BYTES = 32
_ZERO_SALT = bytes(32)


def _prk(key_material: bytes) -> bytes:
    return hmac.new(_ZERO_SALT, key_material, hashlib.sha256).digest()


def kdf(key_material: bytes, info: bytes) -> bytes:
    """Return HKDF-SHA256(IKM=key_material, salt=empty, info) truncated to 32 bytes (RFC 5869).

    With no salt, extract uses 32 zero bytes as the HMAC key; one expand block (``T(1) =
    HMAC(PRK, info ‖ 0x01)``) gives the 32 bytes, as ``hkdf::Hkdf::<Sha256>::new(None, ikm)``
    followed by a 32-byte ``expand`` in the reference code.
    """
    return hmac.new(_prk(key_material), info + b"\x01", hashlib.sha256).digest()


def kdf64(key_material: bytes, info: bytes) -> bytes:
    """Return 64 bytes of HKDF-SHA256 output (``T(1) ‖ T(2)``), wide enough to reduce modulo ``ℓ`` unbiased."""
    prk = _prk(key_material)
    first = hmac.new(prk, info + b"\x01", hashlib.sha256).digest()
    return first + hmac.new(prk, first + info + b"\x02", hashlib.sha256).digest()


@dataclass(frozen=True, slots=True)
class Node:
    """A node at column ``x`` of level ``y``: its public commitment and hash, its private opening."""

    x: int
    y: int
    commitment: bytes
    hash: bytes
    value_atoms: int
    blinding: int


@dataclass(frozen=True, slots=True)
class Leaf:
    """An account's leaf: where it sits, its salt, its opening, and its path's siblings bottom-up."""

    account: str
    position: int
    salt: bytes
    liability_atoms: int
    blinding: int
    siblings: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class SumTree:
    """A built tree: its root, one leaf (with its path) per account, and the range proofs of its nodes."""

    pool: str
    sequence: int
    height: int
    range_bits: int
    """Every range proof's width ``N``: each node it proves is in ``[0, 2**N)``."""
    root: Node
    leaves: tuple[Leaf, ...]
    range_proofs: dict[tuple[int, int], bytes]
    """By ``(x, y)``: every sibling of a path node, and the root."""
    range_key: bytes
    """Secret: seeds the range proofs' random choices (:func:`prove_coverage` needs it)."""

    def range_proof(self, node: Node) -> bytes:
        """Return the range proof of ``node`` (a sibling on some path, or the root)."""
        return self.range_proofs[(node.x, node.y)]


class _Secrets:
    """Everything derived from the master secret for one (pool, sequence)."""

    def __init__(self, master: bytes, pool: str, sequence: int) -> None:
        self.master = master
        self.scope = encode_str(pool) + encode_u64(sequence)
        self.salt_s = kdf(master, encode_str("ringfence-solvency/v1/salt_s") + self.scope)
        self.salt_b = kdf(master, encode_str("ringfence-solvency/v2/salt_b") + self.scope)
        self.place_key = kdf(master, encode_str("ringfence-solvency/v1/place") + self.scope)
        self.range_key = kdf(master, encode_str("ringfence-solvency/v2/range") + self.scope)

    def _salt_and_blinding(self, w: bytes) -> tuple[bytes, int]:
        return kdf(w, self.salt_s), int.from_bytes(kdf64(w, self.salt_b), "little") % ORDER

    def account(self, account: str) -> tuple[bytes, int]:
        return self._salt_and_blinding(
            kdf(self.master, encode_str("ringfence-solvency/v1/w") + self.scope + encode_str(account))
        )

    def pad(self, x: int, y: int) -> tuple[bytes, int]:
        return self._salt_and_blinding(
            kdf(self.master, encode_str("ringfence-solvency/v1/pad") + self.scope + encode_u64(x) + encode_u8(y))
        )


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


def _range_seed(range_key: bytes, height: int, range_bits: int, node: Node) -> bytes:
    """Return the seed of ``node``'s range proof: secret, and different for every statement.

    The statement is the commitment and the width: the same node proven at two widths (two
    publications of one state with the same secret) must not reuse a nonce under two challenges,
    which would reveal every bit's blinding and so the node's value.
    """
    return kdf(
        range_key, encode_u8(height) + encode_u8(range_bits) + encode_u64(node.x) + encode_u8(node.y) + node.commitment
    )


def _padding(pool: str, secrets_: _Secrets, x: int, y: int) -> Node:
    salt, blinding = secrets_.pad(x, y)
    return Node(x, y, commit(0, blinding), pad_hash(pool, x, y, salt), 0, blinding)


def check_range_width(range_bits: int, height: int) -> None:
    """Raise :class:`RangeWidthRefused` unless a publication may use ``range_bits`` at ``height``."""
    problem = range_width_problem(range_bits, height)
    if problem is not None:
        raise RangeWidthRefused(range_bits, height, problem)


def check_total_fits(pool: str, total_atoms: int, range_bits: int) -> None:
    """Raise :class:`LiabilitiesExceedRange` if ``total_atoms`` reaches ``2**range_bits`` (naming a width that fits)."""
    if total_atoms >= 2**range_bits:
        needed = next((bits for bits in ALLOWED_RANGE_BITS if total_atoms < 2**bits), None)
        raise LiabilitiesExceedRange(pool, total_atoms, range_bits, needed)


def _check_inputs(pool: str, liabilities: Sequence[tuple[str, int]], height: int, range_bits: int) -> None:
    if not 1 <= height <= MAX_HEIGHT:
        raise ValueError(f"height {height} is outside 1..{MAX_HEIGHT}")
    check_range_width(range_bits, height)
    if len(liabilities) > 2**height:
        raise ValueError(f"{len(liabilities)} accounts do not fit a tree of height {height}")
    if len({account for account, _ in liabilities}) != len(liabilities):
        raise ValueError("an account appears twice")
    for account, liability in liabilities:
        if liability < 0:
            raise ValueError(f"liability of {account} is negative: {liability}")
    # every leaf is at most the total: this refuses an oversized leaf too
    check_total_fits(pool, sum(liability for _, liability in liabilities), range_bits)


def build_tree(
    pool: str,
    sequence: int,
    liabilities: Sequence[tuple[str, int]],
    master: bytes,
    height: int = DEFAULT_HEIGHT,
    *,
    range_bits: int = DEFAULT_RANGE_BITS,
) -> SumTree:
    """Build pool ``pool``'s tree at ``sequence`` over ``(account, liability atoms)`` pairs.

    Every node proven (the root and every sibling of a path) gets a ``range_bits``-bit range proof.

    Raises
    ------
    RangeWidthRefused
        If ``range_bits`` is not an allowed width at this height (docs/solvency-proofs.md).
    LiabilitiesExceedRange
        If the total reaches ``2**range_bits``: no range proof could cover the root.
    ValueError
        If the height is outside ``1..64``, the accounts do not fit ``2**height`` leaves, an
        account appears twice, or a liability is negative.
    """
    _check_inputs(pool, liabilities, height, range_bits)
    secrets_ = _Secrets(master, pool, sequence)
    placement = _Placement(secrets_.place_key, height)
    level: dict[int, Node] = {}
    placed: list[tuple[str, int, bytes]] = []
    for index, (account, liability) in enumerate(liabilities):
        x = placement.column(index)
        salt, blinding = secrets_.account(account)
        level[x] = Node(x, 0, commit(liability, blinding), leaf_hash(pool, x, account, salt), liability, blinding)
        placed.append((account, x, salt))
    levels: list[dict[int, Node]] = []
    for y in range(height):
        parents: dict[int, Node] = {}
        for x in sorted({x >> 1 for x in level}):
            left = level.get(2 * x) or _padding(pool, secrets_, 2 * x, y)
            right = level.get(2 * x + 1) or _padding(pool, secrets_, 2 * x + 1, y)
            level[2 * x], level[2 * x + 1] = left, right
            parents[x] = Node(
                x,
                y + 1,
                add(left.commitment, right.commitment),
                node_hash(left.commitment, right.commitment, left.hash, right.hash),
                left.value_atoms + right.value_atoms,
                (left.blinding + right.blinding) % ORDER,
            )
        levels.append(level)
        level = parents
    root = level.get(0) or _padding(pool, secrets_, 0, height)
    leaves = tuple(
        Leaf(account, x, salt, levels[0][x].value_atoms, levels[0][x].blinding, _siblings(levels, x, height))
        for account, x, salt in placed
    )
    proved = {(node.x, node.y): node for leaf in leaves for node in leaf.siblings}
    proved[(root.x, root.y)] = root
    range_proofs = {
        key: prove_range(
            node.value_atoms,
            node.blinding,
            pool,
            sequence,
            _range_seed(secrets_.range_key, height, range_bits, node),
            bits=range_bits,
        )
        for key, node in sorted(proved.items())
    }
    return SumTree(pool, sequence, height, range_bits, root, leaves, range_proofs, secrets_.range_key)


def _siblings(levels: list[dict[int, Node]], x: int, height: int) -> tuple[Node, ...]:
    return tuple(levels[y][(x >> y) ^ 1] for y in range(height))


def coverage_commitment(tree: SumTree, assets_atoms: int) -> bytes:
    """Return ``A·G − C_root``: a commitment to ``A − L`` whose blinding is minus the root's."""
    return sub(mul(assets_atoms, G), tree.root.commitment)


def prove_coverage(tree: SumTree, assets_atoms: int) -> bytes | None:
    """Return a range proof that ``A·G − C_root`` opens to a value in ``[0, 2**N)``, i.e. ``A ≥ L``.

    ``N`` is the tree's ``range_bits``. ``None`` when no such proof exists: the assets are below
    the liabilities, or the surplus (or the assets themselves) reach ``2**N``; the verifier then
    decides from ``A`` alone (docs/solvency-proofs.md, "The coverage check").
    """
    surplus = assets_atoms - tree.root.value_atoms
    limit = 2**tree.range_bits
    if not 0 <= assets_atoms < limit or not 0 <= surplus < limit:
        return None
    difference = coverage_commitment(tree, assets_atoms)
    seed = kdf(
        tree.range_key,
        encode_str("ringfence-solvency/v2/coverage") + encode_u8(tree.height) + encode_u8(tree.range_bits) + difference,
    )
    return prove_range(surplus, -tree.root.blinding, tree.pool, tree.sequence, seed, bits=tree.range_bits)
