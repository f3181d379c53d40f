"""An independent verifier, written from docs/solvency-proofs.md alone, against the prover's files.

The verification logic below imports nothing from ringfence: ``hashlib`` and ``json`` and the
documented byte layouts only ("What a verifier checks, in this order"). The prover
(``ringfence.solvency``) is used only to *produce* genuine files from a real engine state; every
tamper is applied to those files (or to a tree this module builds with its own hashing, for the
cheats a single genuine file cannot express) and must be rejected. The package's own verifier
(``ringfence.solvency.verify``) is held to the same verdicts on every case.
"""

from __future__ import annotations

import copy
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

# -- the independent verifier: nothing from ringfence below this line until the fixtures ---------

MAX = 2**128 - 1


class Rejected(Exception):
    """The documented verification failed at ``check``."""

    def __init__(self, check: str) -> None:
        super().__init__(check)
        self.check = check


def s(text: str) -> bytes:
    raw = text.encode("utf-8")
    return len(raw).to_bytes(2, "big") + raw


def u128(value: int) -> bytes:
    return value.to_bytes(16, "big")


def doc_leaf(pool: str, x: int, account: str, salt: bytes) -> bytes:
    return hashlib.sha256(s("ringfence-solvency/v1/leaf") + s(pool) + x.to_bytes(8, "big") + s(account) + salt).digest()


def doc_pad(pool: str, x: int, y: int, salt: bytes) -> bytes:
    return hashlib.sha256(s("ringfence-solvency/v1/pad") + s(pool) + x.to_bytes(8, "big") + bytes([y]) + salt).digest()


def doc_node(left_sum: int, right_sum: int, left_hash: bytes, right_hash: bytes) -> bytes:
    return hashlib.sha256(
        s("ringfence-solvency/v1/node") + u128(left_sum) + u128(right_sum) + left_hash + right_hash
    ).digest()


def amount(text: Any) -> int:
    if not isinstance(text, str) or not text.lstrip("-").isdigit():
        raise Rejected("shape")
    value = int(text)
    if not 0 <= value <= MAX:
        raise Rejected("range")
    return value


def doc_header(commitment: dict[str, Any], proof: dict[str, Any]) -> None:
    """Step 1: formats, pool, sequence, height, position, path length."""
    if (
        commitment.get("format") != "ringfence-solvency-commitment/1"
        or proof.get("format") != "ringfence-solvency-proof/1"
    ):
        raise Rejected("format")
    for field in ("pool", "sequence", "height"):
        if proof[field] != commitment[field]:
            raise Rejected(field)
    height = commitment["height"]
    if not 1 <= height <= 64:
        raise Rejected("height")
    if not 0 <= int(proof["position"]) < 2**height or len(proof["path"]) != height:
        raise Rejected("position")


def doc_walk(position: int, leaf: tuple[int, bytes], siblings: list[tuple[int, bytes]]) -> tuple[int, bytes]:
    """Step 4: from the leaf up to the root; return the root's sum and hash."""
    current_sum, current_hash = leaf
    for level, (sibling_sum, sibling_hash) in enumerate(siblings):
        if current_sum + sibling_sum > MAX:
            raise Rejected("overflow")
        if (position >> level) & 1:
            current_hash = doc_node(sibling_sum, current_sum, sibling_hash, current_hash)
        else:
            current_hash = doc_node(current_sum, sibling_sum, current_hash, sibling_hash)
        current_sum += sibling_sum
    return current_sum, current_hash


def doc_verify(commitment: dict[str, Any], proof: dict[str, Any]) -> int:
    """Return the verified liability; raise :class:`Rejected` at the first failed check (docs order)."""
    doc_header(commitment, proof)
    total = amount(commitment["total_liabilities_atoms"])  # step 2: every amount in range
    liability = amount(proof["liability_atoms"])
    claims = [amount(value) for value in proof["claims"].values()]
    siblings = [(amount(step["sum_atoms"]), bytes.fromhex(step["hash"])) for step in proof["path"]]
    if sum(claims) != liability:  # step 3
        raise Rejected("claims")
    position = int(proof["position"])
    leaf = doc_leaf(proof["pool"], position, proof["account"], bytes.fromhex(proof["salt"]))
    root_sum, root_hash = doc_walk(position, (liability, leaf), siblings)
    if root_sum != total:  # step 5
        raise Rejected("total")
    if root_hash != bytes.fromhex(commitment["root_hash"]):
        raise Rejected("root")
    return liability


# -- genuine files from the prover, on a real engine state -----------------------------------------

from ringfence.core.pool.state import MarginMode  # noqa: E402  (fixtures only: the verifier is above)
from ringfence.solvency.errors import ProofRejected  # noqa: E402
from ringfence.solvency.files import read_commitment, read_proof  # noqa: E402
from ringfence.solvency.liabilities import pool_book  # noqa: E402
from ringfence.solvency.publish import publish  # noqa: E402
from ringfence.solvency.verify import verify_inclusion  # noqa: E402
from support.venue import ETH, MARKET_PARAMS, POOL, POOL_PARAMS, USDC, WAD, Venue  # noqa: E402

TRADERS = ("alice", "bob", "carol", "dave", "erin", "frank")


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Pool P with an LP, three isolated and three cross traders, ETH then moved to 2,100; height 8."""
    venue = Venue(POOL_PARAMS, MARKET_PARAMS, insurance_atoms=1_000 * USDC)
    for index, owner in enumerate(TRADERS):
        venue.deposit(owner, 2_000 * USDC)
        mode = MarginMode.ISOLATED if index % 2 == 0 else MarginMode.CROSS
        venue.trade(owner, (index + 1) * ETH // 2, mode, 600 * USDC if mode is MarginMode.ISOLATED else 0)
    venue.quote_prices(2_100 * WAD)
    out = tmp_path_factory.mktemp("published")
    book = pool_book(venue.state, POOL, venue.now)
    publish(book, 42, "42:" + "ab" * 32, out, height=8)
    return out


def files(out: Path) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    commitment = json.loads((out / "commitment.json").read_text())
    proofs = {path.stem: json.loads(path.read_text()) for path in sorted((out / "proofs").glob("*.json"))}
    return commitment, proofs


def package_verdict(tmp_path: Path, commitment: dict[str, Any], proof: dict[str, Any]) -> str:
    """Return ``"ok"`` or the failed check's name, from ringfence's own verifier."""
    (tmp_path / "c.json").write_text(json.dumps(commitment))
    (tmp_path / "p.json").write_text(json.dumps(proof))
    try:
        verify_inclusion(read_commitment(tmp_path / "c.json"), read_proof(tmp_path / "p.json"))
    except ProofRejected as error:
        return error.check
    return "ok"


def doc_verdict(commitment: dict[str, Any], proof: dict[str, Any]) -> str:
    try:
        doc_verify(commitment, proof)
    except Rejected as error:
        return error.check
    return "ok"


def test_every_genuine_proof_verifies_and_the_leaves_add_up_to_the_committed_total(published: Path) -> None:
    commitment, proofs = files(published)
    assert sorted(proofs) == sorted([f"{owner}_0" for owner in TRADERS] + ["lp_0"])
    verified = [doc_verify(commitment, proof) for proof in proofs.values()]
    assert sum(verified) == int(commitment["total_liabilities_atoms"])
    assert "count" not in json.dumps(commitment)  # the commitment states no number of accounts
    positions = {proof["position"] for proof in proofs.values()}
    assert len(positions) == len(proofs)


def test_the_package_verifier_agrees_on_the_genuine_proofs(published: Path, tmp_path: Path) -> None:
    commitment, proofs = files(published)
    for proof in proofs.values():
        assert package_verdict(tmp_path, commitment, proof) == "ok"


def _tampered(published: Path, owner: str) -> tuple[dict[str, Any], dict[str, Any]]:
    commitment, proofs = files(published)
    return copy.deepcopy(commitment), copy.deepcopy(proofs[owner])


def _both_reject(tmp_path: Path, commitment: dict[str, Any], proof: dict[str, Any], *checks: str) -> None:
    assert doc_verdict(commitment, proof) in checks
    assert package_verdict(tmp_path, commitment, proof) in checks


def test_a_changed_balance_is_rejected(published: Path, tmp_path: Path) -> None:
    commitment, proof = _tampered(published, "alice_0")
    proof["liability_atoms"] = str(int(proof["liability_atoms"]) + 1)
    proof["claims"]["isolated_atoms"] = str(int(proof["claims"]["isolated_atoms"]) + 1)
    _both_reject(tmp_path, commitment, proof, "total")
    # the same +1 with the total raised to match: the root's hash still gives it away
    commitment["total_liabilities_atoms"] = str(int(commitment["total_liabilities_atoms"]) + 1)
    _both_reject(tmp_path, commitment, proof, "root")


def test_a_changed_sibling_sum_is_rejected(published: Path, tmp_path: Path) -> None:
    commitment, proof = _tampered(published, "bob_0")
    level = next(i for i, step in enumerate(proof["path"]) if int(step["sum_atoms"]) > 0)
    proof["path"][level]["sum_atoms"] = str(int(proof["path"][level]["sum_atoms"]) - 1)
    commitment["total_liabilities_atoms"] = str(int(commitment["total_liabilities_atoms"]) - 1)
    _both_reject(tmp_path, commitment, proof, "root")


def test_a_negative_leaf_is_rejected(published: Path, tmp_path: Path) -> None:
    commitment, proof = _tampered(published, "carol_0")
    proof["liability_atoms"] = "-5"
    proof["claims"] = {"isolated_atoms": "-5", "cross_atoms": "0", "lp_atoms": "0"}
    _both_reject(tmp_path, commitment, proof, "range")


def test_a_negative_sibling_is_rejected(published: Path, tmp_path: Path) -> None:
    commitment, proof = _tampered(published, "carol_0")
    proof["path"][0]["sum_atoms"] = "-1"
    _both_reject(tmp_path, commitment, proof, "range")


def test_a_moved_leaf_is_rejected(published: Path, tmp_path: Path) -> None:
    commitment, proof = _tampered(published, "dave_0")
    x = int(proof["position"])
    for moved in (x ^ 1, x ^ 2, (x + 17) % 256):
        proof["position"] = str(moved)
        _both_reject(tmp_path, commitment, proof, "root")


def test_a_wrong_root_is_rejected(published: Path, tmp_path: Path) -> None:
    commitment, proof = _tampered(published, "erin_0")
    root = bytearray(bytes.fromhex(commitment["root_hash"]))
    root[0] ^= 1
    commitment["root_hash"] = root.hex()
    _both_reject(tmp_path, commitment, proof, "root")


def test_a_proof_of_another_pool_or_sequence_is_rejected(published: Path, tmp_path: Path) -> None:
    commitment, proof = _tampered(published, "frank_0")
    commitment["pool"] = "Q"
    _both_reject(tmp_path, commitment, proof, "pool")
    proof["pool"] = "Q"  # relabelled to match: the leaf hashes the pool, so the root differs
    _both_reject(tmp_path, commitment, proof, "root")
    commitment, proof = _tampered(published, "frank_0")
    proof["sequence"] = 41
    _both_reject(tmp_path, commitment, proof, "sequence")


# -- cheats a genuine file cannot express: a small tree built here, with the documented hashes -----


def cheating_tree(
    leaves: dict[int, int], reported: dict[tuple[int, int], int]
) -> dict[tuple[int, int], tuple[int, bytes]]:
    """Return every node of a height-3 tree of pool ``X`` as ``(x, y) → (sum, hash)``.

    ``leaves`` maps columns to liabilities (the others are padding); ``reported`` overrides the
    sum a node shows its parent with (the cheat), while the node's own hash stays honest.
    """
    nodes: dict[tuple[int, int], tuple[int, bytes]] = {}
    for x in range(8):
        salt = bytes([x]) * 32
        if x in leaves:
            nodes[(x, 0)] = (leaves[x], doc_leaf("X", x, f"u{x}/0", salt))
        else:
            nodes[(x, 0)] = (0, doc_pad("X", x, 0, salt))
    for y in range(1, 4):
        for x in range(2 ** (3 - y)):
            left, right = nodes[(2 * x, y - 1)], nodes[(2 * x + 1, y - 1)]
            left_sum = reported.get((2 * x, y - 1), left[0])
            right_sum = reported.get((2 * x + 1, y - 1), right[0])
            nodes[(x, y)] = (left_sum + right_sum, doc_node(left_sum, right_sum, left[1], right[1]))
    return nodes


def proof_from(
    nodes: dict[tuple[int, int], tuple[int, bytes]], x: int, liability: int
) -> tuple[dict[str, Any], dict[str, Any]]:
    root_sum, root_hash = nodes[(0, 3)]
    commitment = {
        "format": "ringfence-solvency-commitment/1",
        "pool": "X",
        "sequence": 1,
        "height": 3,
        "root_hash": root_hash.hex(),
        "total_liabilities_atoms": str(root_sum),
        "asset": "USDC",
        "decimals": 6,
        "assets": {"total_atoms": "0"},
    }
    path = []
    for y in range(3):
        sibling = nodes[((x >> y) ^ 1, y)]
        path.append({"sum_atoms": str(sibling[0]), "hash": sibling[1].hex()})
    proof = {
        "format": "ringfence-solvency-proof/1",
        "pool": "X",
        "sequence": 1,
        "height": 3,
        "account": f"u{x}/0",
        "liability_atoms": str(liability),
        "claims": {"isolated_atoms": str(liability), "cross_atoms": "0", "lp_atoms": "0"},
        "position": str(x),
        "salt": (bytes([x]) * 32).hex(),
        "path": path,
    }
    return commitment, proof


def test_the_tree_built_here_matches_the_documented_verifier() -> None:
    """The cheats below mean something only if an honest tree of this module verifies."""
    nodes = cheating_tree({0: 100, 1: 250, 5: 40}, {})
    for x, liability in ((0, 100), (1, 250), (5, 40)):
        commitment, proof = proof_from(nodes, x, liability)
        assert doc_verify(commitment, proof) == liability
    assert nodes[(0, 3)][0] == 390


def test_a_node_whose_sum_does_not_add_up_is_caught_by_the_accounts_below_it(tmp_path: Path) -> None:
    # the node over columns 0-1 holds 100 + 250 = 350 but reports 50 to its parent: total 90, not 390
    nodes = cheating_tree({0: 100, 1: 250, 5: 40}, {(0, 1): 50})
    assert nodes[(0, 3)][0] == 90
    for x, liability in ((0, 100), (1, 250)):
        commitment, proof = proof_from(nodes, x, liability)
        _both_reject(tmp_path, commitment, proof, "total", "root")
    # the account outside that subtree sees only the reported 50 as a sibling sum: its own proof holds,
    # which is why the guarantee rests on the accounts under each node verifying (as in DAPOL+)
    commitment, proof = proof_from(nodes, 5, 40)
    assert doc_verdict(commitment, proof) == "ok"
    assert package_verdict(tmp_path, commitment, proof) == "ok"


def test_a_negative_leaf_in_twos_complement_overflows_instead_of_lowering_the_total(tmp_path: Path) -> None:
    # a fake account at column 1 "owes" -60, written as 2**128 - 60: a naive tree that adds modulo
    # 2**128 would commit to 100 - 60 + 40 = 80 instead of 140
    fake = 2**128 - 60
    nodes = cheating_tree({0: 100, 1: 0, 5: 40}, {})
    honest_total = nodes[(0, 3)][0]
    commitment, proof = proof_from(nodes, 0, 100)
    proof["path"][0]["sum_atoms"] = str(fake)
    naive_total = (100 + fake + 40) % 2**128
    assert (honest_total, naive_total) == (140, 80)
    commitment["total_liabilities_atoms"] = str(naive_total)
    _both_reject(tmp_path, commitment, proof, "overflow")


def test_a_sum_past_128_bits_is_rejected(tmp_path: Path) -> None:
    nodes = cheating_tree({0: 100, 5: 40}, {})
    commitment, proof = proof_from(nodes, 0, 100)
    proof["path"][2]["sum_atoms"] = str(2**128)
    _both_reject(tmp_path, commitment, proof, "range")
