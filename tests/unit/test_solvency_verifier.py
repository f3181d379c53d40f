"""An independent verifier, written from docs/solvency-proofs.md alone, against the prover's files.

The verification logic below imports nothing from ringfence: ``hashlib``, ``base64``, ``json``,
the ristretto255 arithmetic of ``rbcl`` (libsodium) and the documented byte layouts only ("What a
verifier checks, in this order", "Range proofs", "The coverage check"), the range width ``N``
read from each commitment. The prover
(``ringfence.solvency``) is used only to *produce* genuine files from a real engine state; every
tamper is applied to those files, or to a small tree this module builds with its own commitments,
hashes and range-proof maker (for the cheats a genuine file cannot express: a node that does not
add up, a negative or overflowing value), and must be rejected by the check the document says.
The package's own verifier (``ringfence.solvency.verify``) is held to the same verdicts.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import random
from pathlib import Path
from typing import Any

import pytest
import rbcl

# -- the independent verifier: nothing from ringfence below this line until the fixtures ---------

ELL = 2**252 + 27742317777372353535851937790883648493
BITS = 64  # the width of this module's own cheating trees; a file's width is read from the file
ZERO = bytes(32)


class Rejected(Exception):
    """The documented verification failed at ``check`` (for a range proof, ``reason`` says which step)."""

    def __init__(self, check: str, reason: str = "") -> None:
        super().__init__(check, reason)
        self.check = check
        self.reason = reason


def s(text: str) -> bytes:
    raw = text.encode("utf-8")
    return len(raw).to_bytes(2, "big") + raw


def le(value: int) -> bytes:
    return (value % ELL).to_bytes(32, "little")


def mul(k: int, point: bytes) -> bytes:
    k %= ELL
    if k == 0 or point == ZERO:  # libsodium refuses an identity result
        return ZERO
    return bytes(rbcl.crypto_scalarmult_ristretto255(le(k), point))


def add(a: bytes, b: bytes) -> bytes:
    return bytes(rbcl.crypto_core_ristretto255_add(a, b))


def sub(a: bytes, b: bytes) -> bytes:
    return bytes(rbcl.crypto_core_ristretto255_sub(a, b))


G = bytes(rbcl.crypto_scalarmult_ristretto255_base(le(1)))
H = bytes(rbcl.crypto_core_ristretto255_from_hash(hashlib.sha512(s("ringfence-solvency/v2/pedersen-H")).digest()))


def pedersen(value: int, blinding: int) -> bytes:
    return add(mul(value, G), mul(blinding, H))


def point(raw: bytes) -> bool:
    return len(raw) == 32 and bool(rbcl.crypto_core_ristretto255_is_valid_point(raw))


def scalar(raw: bytes) -> int | None:
    value = int.from_bytes(raw, "little")
    return value if len(raw) == 32 and value < ELL else None


def hs(data: bytes) -> int:
    return int.from_bytes(hashlib.sha512(data).digest(), "little") % ELL


def doc_leaf(pool: str, x: int, account: str, salt: bytes) -> bytes:
    return hashlib.sha256(s("ringfence-solvency/v2/leaf") + s(pool) + x.to_bytes(8, "big") + s(account) + salt).digest()


def doc_pad(pool: str, x: int, y: int, salt: bytes) -> bytes:
    return hashlib.sha256(s("ringfence-solvency/v2/pad") + s(pool) + x.to_bytes(8, "big") + bytes([y]) + salt).digest()


def doc_node(c_left: bytes, c_right: bytes, h_left: bytes, h_right: bytes) -> bytes:
    return hashlib.sha256(s("ringfence-solvency/v2/node") + c_left + c_right + h_left + h_right).digest()


def prefix(pool: str, sequence: int, c: bytes, width: int) -> bytes:
    return s("ringfence-solvency/v2/range") + s(pool) + sequence.to_bytes(8, "big") + bytes([width]) + c


def allowed_width(width: int, height: int) -> bool:
    """The documented widths: a multiple of 8 in [32, 192] with 2**N · 2**H < ℓ (no verifier-side sum wraps)."""
    return width % 8 == 0 and 32 <= width <= 192 and 2**width * 2**height < ELL


def doc_range(proof: bytes, c: bytes, pool: str, sequence: int, width: int) -> None:
    """Range proofs of ``width`` bits: length, encodings, Σ 2**i·C_i = C, then the Fiat–Shamir challenge."""
    if len(proof) != 32 + 128 * width:
        raise Rejected("range_proof", "length")
    e = scalar(proof[:32])
    bits = []
    for i in range(width):
        chunk = proof[32 + 128 * i : 32 + 128 * (i + 1)]
        ci, c0, z0, z1 = chunk[:32], scalar(chunk[32:64]), scalar(chunk[64:96]), scalar(chunk[96:128])
        if e is None or c0 is None or z0 is None or z1 is None or not point(ci) or not point(c):
            raise Rejected("range_proof", "encoding")
        bits.append((ci, c0, z0, z1))
    total = ZERO
    for ci, *_ in reversed(bits):
        total = add(add(total, total), ci)
    if total != c:
        raise Rejected("range_proof", "sum")
    assert e is not None
    transcript = prefix(pool, sequence, c, width)
    for ci, c0, z0, z1 in bits:
        a0 = sub(mul(z0, H), mul(c0, ci))
        a1 = sub(mul(z1, H), mul(e - c0, sub(ci, G)))
        transcript += ci + a0 + a1
    if hs(transcript) != e:
        raise Rejected("range_proof", "challenge")


def value(text: Any, width: int) -> int:
    if not isinstance(text, str) or not text.lstrip("-").isdigit():
        raise Rejected("shape")
    number = int(text)
    if not 0 <= number < 2**width:
        raise Rejected("range")
    return number


def doc_header(commitment: dict[str, Any], proof: dict[str, Any]) -> None:
    """Step 1: formats, pool, sequence, height, range bits (and an allowed width), position, path length."""
    if (
        commitment.get("format") != "ringfence-solvency-commitment/2"
        or proof.get("format") != "ringfence-solvency-proof/2"
    ):
        raise Rejected("format")
    for field in ("pool", "sequence", "height", "range_bits"):
        if proof[field] != commitment[field]:
            raise Rejected(field)
    height = commitment["height"]
    if not allowed_width(commitment["range_bits"], height):
        raise Rejected("range_bits")
    if not 1 <= height <= 64:
        raise Rejected("height")
    if not 0 <= int(proof["position"]) < 2**height or len(proof["path"]) != height:
        raise Rejected("position")


def doc_verify(commitment: dict[str, Any], proof: dict[str, Any]) -> int:
    """Return the verified liability; raise :class:`Rejected` at the first failed check (docs order)."""
    doc_header(commitment, proof)
    width = commitment["range_bits"]
    liability = value(proof["liability_atoms"], width)  # step 2: opened values in range, claims add up
    if sum(value(v, width) for v in proof["claims"].values()) != liability:
        raise Rejected("claims")
    blinding = scalar(bytes.fromhex(proof["blinding"]))
    root_c = bytes.fromhex(commitment["root_commitment"])
    steps = [
        (bytes.fromhex(p["commitment"]), bytes.fromhex(p["hash"]), base64.b64decode(p["range_proof"]))
        for p in proof["path"]
    ]
    if blinding is None or not point(root_c) or not all(point(c) for c, _, _ in steps):
        raise Rejected("encoding")
    for c, _, rp in steps:  # step 3: every sibling's range proof
        doc_range(rp, c, proof["pool"], proof["sequence"], width)
    x = int(proof["position"])  # step 4: the walk
    current = pedersen(liability, blinding)
    current_hash = doc_leaf(proof["pool"], x, proof["account"], bytes.fromhex(proof["salt"]))
    for level, (c, h, _) in enumerate(steps):
        if (x >> level) & 1:
            current_hash = doc_node(c, current, h, current_hash)
        else:
            current_hash = doc_node(current, c, current_hash, h)
        current = add(current, c)
    if current != root_c:  # step 5
        raise Rejected("commitment")
    if current_hash != bytes.fromhex(commitment["root_hash"]):
        raise Rejected("root")
    return liability


def doc_coverage(commitment: dict[str, Any]) -> str:
    """The coverage check without an opening: ``"covered"`` or raise."""
    width = commitment["range_bits"]
    if not allowed_width(width, commitment["height"]):
        raise Rejected("range_bits")
    root_c = bytes.fromhex(commitment["root_commitment"])
    pool, sequence = commitment["pool"], commitment["sequence"]
    doc_range(base64.b64decode(commitment["root_range_proof"]), root_c, pool, sequence, width)
    assets = int(commitment["assets"]["total_atoms"])
    if assets < 0:
        raise Rejected("coverage", "negative")
    if assets >= 2**width:
        return "covered"
    if commitment["coverage_proof"] is None:
        raise Rejected("coverage", "absent")
    difference = sub(mul(assets, G), root_c)
    try:
        doc_range(base64.b64decode(commitment["coverage_proof"]), difference, pool, sequence, width)
    except Rejected as error:
        raise Rejected("coverage", error.reason) from None
    return "covered"


# -- a range-proof maker written from the document, for the cheats (and to show which ones fail) --


def make_range(bits: list[int], blindings: list[int], c: bytes, pool: str, sequence: int, rng: random.Random) -> bytes:
    """Run the documented prover on the given bit values and blindings, true or not (a cheat may lie)."""
    draws = [[rng.randrange(1, ELL) for _ in range(3)] for _ in range(BITS)]
    points, firsts = [], []
    for i in range(BITS):
        ci = pedersen(bits[i], blindings[i])
        k, c_sim, z_sim = draws[i]
        real = mul(k, H)
        false_statement = ci if bits[i] != 0 else sub(ci, G)  # for a non-bit value, branch 0 is "simulated" too
        fake = sub(mul(z_sim, H), mul(c_sim, false_statement))
        points.append(ci)
        firsts.append((real, fake) if bits[i] == 0 else (fake, real))
    e = hs(prefix(pool, sequence, c, BITS) + b"".join(p + a0 + a1 for p, (a0, a1) in zip(points, firsts, strict=True)))
    out = le(e)
    for i in range(BITS):
        k, c_sim, z_sim = draws[i]
        c_real = (e - c_sim) % ELL
        z_real = (k + c_real * blindings[i]) % ELL
        c0, z0, z1 = (c_real, z_real, z_sim) if bits[i] == 0 else (c_sim, z_sim, z_real)
        out += points[i] + le(c0) + le(z0) + le(z1)
    return out


def honest_range(amount: int, blinding: int, pool: str, sequence: int, rng: random.Random) -> bytes:
    """The documented decomposition of ``amount mod 2**64`` with ``Σ 2**i·r_i = blinding``."""
    bits = [(amount % ELL >> i) & 1 for i in range(BITS)]
    blindings = [0] + [rng.randrange(ELL) for _ in range(1, BITS)]
    blindings[0] = (blinding - sum(r << i for i, r in enumerate(blindings))) % ELL
    return make_range(bits, blindings, pedersen(amount, blinding), pool, sequence, rng)


# -- genuine files from the prover, on a real engine state -----------------------------------------

from ringfence.core.pool.state import MarginMode  # noqa: E402  (fixtures only: the verifier is above)
from ringfence.solvency.errors import LiabilitiesExceedRange, RangeWidthRefused, SolvencyCheckFailed  # noqa: E402
from ringfence.solvency.files import read_commitment, read_proof  # noqa: E402
from ringfence.solvency.liabilities import AccountLiability, PoolAssets, PoolBook, pool_book  # noqa: E402
from ringfence.solvency.publish import publish  # noqa: E402
from ringfence.solvency.verify import check_coverage, verify_inclusion  # noqa: E402
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
    except SolvencyCheckFailed as error:
        return str(getattr(error, "check", type(error).__name__))
    return "ok"


def doc_verdict(commitment: dict[str, Any], proof: dict[str, Any]) -> str:
    try:
        doc_verify(commitment, proof)
    except Rejected as error:
        return error.check if not error.reason else f"{error.check}:{error.reason}"
    return "ok"


def _tampered(published: Path, owner: str) -> tuple[dict[str, Any], dict[str, Any]]:
    commitment, proofs = files(published)
    return copy.deepcopy(commitment), copy.deepcopy(proofs[owner])


def _both_reject(tmp_path: Path, commitment: dict[str, Any], proof: dict[str, Any], check: str) -> None:
    """Both verifiers reject, at ``check`` (``range_proof:sum`` names the range proof's failed step too)."""
    assert doc_verdict(commitment, proof) == check
    assert package_verdict(tmp_path, commitment, proof) == check.split(":", maxsplit=1)[0]


def test_every_genuine_proof_verifies_and_the_commitment_shows_coverage(published: Path, tmp_path: Path) -> None:
    commitment, proofs = files(published)
    assert sorted(proofs) == sorted([f"{owner}_0" for owner in TRADERS] + ["lp_0"])
    verified = [doc_verify(commitment, proof) for proof in proofs.values()]
    assert all(package_verdict(tmp_path, commitment, proof) == "ok" for proof in proofs.values())
    # the accounts' liabilities add up to what the auditor's opening says, and to what the root commits to
    opening = json.loads((published / "root.opening.json").read_text())
    assert sum(verified) == int(opening["total_liabilities_atoms"])
    assert pedersen(sum(verified), int.from_bytes(bytes.fromhex(opening["blinding"]), "little")) == bytes.fromhex(
        commitment["root_commitment"]
    )
    text = json.dumps(commitment)
    assert "count" not in text and "total_liabilities" not in text  # neither the number of accounts nor the total
    assert doc_coverage(commitment) == "covered"
    assert len({proof["position"] for proof in proofs.values()}) == len(proofs)


def test_a_changed_balance_is_rejected(published: Path, tmp_path: Path) -> None:
    commitment, proof = _tampered(published, "alice_0")
    proof["liability_atoms"] = str(int(proof["liability_atoms"]) + 1)
    proof["claims"]["isolated_atoms"] = str(int(proof["claims"]["isolated_atoms"]) + 1)
    _both_reject(tmp_path, commitment, proof, "commitment")
    proof["claims"]["isolated_atoms"] = str(int(proof["claims"]["isolated_atoms"]) - 1)  # the claims no longer add up
    _both_reject(tmp_path, commitment, proof, "claims")


def test_a_negative_or_overflowing_opened_leaf_is_rejected(published: Path, tmp_path: Path) -> None:
    commitment, proof = _tampered(published, "carol_0")
    for bad in ("-5", str(2**64)):
        proof["liability_atoms"] = bad
        proof["claims"] = {"isolated_atoms": bad, "cross_atoms": "0", "lp_atoms": "0"}
        _both_reject(tmp_path, commitment, proof, "range")


def test_a_moved_leaf_is_rejected(published: Path, tmp_path: Path) -> None:
    commitment, proof = _tampered(published, "dave_0")
    x = int(proof["position"])
    for moved in (x ^ 1, x ^ 2, (x + 17) % 256):
        proof["position"] = str(moved)
        _both_reject(tmp_path, commitment, proof, "root")  # commitments add up in any order; the hashes do not


def test_a_wrong_root_is_rejected(published: Path, tmp_path: Path) -> None:
    commitment, proof = _tampered(published, "erin_0")
    root = bytearray(bytes.fromhex(commitment["root_hash"]))
    root[0] ^= 1
    commitment["root_hash"] = root.hex()
    _both_reject(tmp_path, commitment, proof, "root")
    commitment, proof = _tampered(published, "erin_0")
    commitment["root_commitment"] = add(bytes.fromhex(commitment["root_commitment"]), G).hex()  # one atom more
    _both_reject(tmp_path, commitment, proof, "commitment")


def test_a_sibling_swapped_for_another_valid_node_is_rejected(published: Path, tmp_path: Path) -> None:
    # a genuine node with a genuine range proof, from another level: the range proof holds, the sum does not
    commitment, proof = _tampered(published, "bob_0")
    proof["path"][0] = copy.deepcopy(proof["path"][3])
    _both_reject(tmp_path, commitment, proof, "commitment")
    commitment, proof = _tampered(published, "bob_0")
    proof["path"][0]["range_proof"] = proof["path"][3]["range_proof"]  # another node's range proof
    _both_reject(tmp_path, commitment, proof, "range_proof:sum")


@pytest.mark.parametrize(
    ("offset", "why"),
    [
        (0, "challenge"),  # the challenge e
        (32 + 128 * 5 + 32, "challenge"),  # bit 5's c0
        (32 + 128 * 5 + 64, "challenge"),  # bit 5's z0
        (32 + 128 * 63 + 96, "challenge"),  # bit 63's z1
        (32 + 128 * 7, "sum"),  # bit 7's commitment (still a point or not: either way not the same sum)
    ],
)
def test_a_forged_range_proof_is_rejected(published: Path, tmp_path: Path, offset: int, why: str) -> None:
    commitment, proof = _tampered(published, "frank_0")
    raw = bytearray(base64.b64decode(proof["path"][2]["range_proof"]))
    raw[offset] ^= 0x01
    proof["path"][2]["range_proof"] = base64.b64encode(bytes(raw)).decode()
    verdict = doc_verdict(commitment, proof)
    assert verdict in (f"range_proof:{why}", "range_proof:encoding")  # a flipped point byte may not decode
    assert package_verdict(tmp_path, commitment, proof) == "range_proof"


def test_a_proof_of_another_pool_or_sequence_is_rejected(published: Path, tmp_path: Path) -> None:
    commitment, proof = _tampered(published, "frank_0")
    commitment["pool"] = "Q"
    _both_reject(tmp_path, commitment, proof, "pool")
    proof["pool"] = "Q"  # relabelled to match: the range proofs' transcripts name the pool
    _both_reject(tmp_path, commitment, proof, "range_proof:challenge")
    commitment, proof = _tampered(published, "frank_0")
    proof["sequence"] = 41
    _both_reject(tmp_path, commitment, proof, "sequence")


def test_the_coverage_check_rejects_a_forged_or_missing_coverage_proof(published: Path, tmp_path: Path) -> None:
    commitment, _ = files(published)
    raised = copy.deepcopy(commitment)
    raised["assets"]["total_atoms"] = str(int(commitment["assets"]["total_atoms"]) - 1)  # a different A
    with pytest.raises(Rejected) as caught:
        doc_coverage(raised)
    assert (caught.value.check, caught.value.reason) == ("coverage", "sum")  # A·G − C_root is another point
    forged = copy.deepcopy(commitment)
    raw = bytearray(base64.b64decode(commitment["coverage_proof"]))
    raw[100] ^= 0x01  # bit 0's z0
    forged["coverage_proof"] = base64.b64encode(bytes(raw)).decode()
    with pytest.raises(Rejected) as caught:
        doc_coverage(forged)
    assert (caught.value.check, caught.value.reason) == ("coverage", "challenge")
    missing = copy.deepcopy(commitment)
    missing["coverage_proof"] = None
    with pytest.raises(Rejected) as caught:
        doc_coverage(missing)
    assert caught.value.reason == "absent"
    for document in (raised, forged, missing):
        (tmp_path / "c.json").write_text(json.dumps(document))
        with pytest.raises(SolvencyCheckFailed):
            check_coverage(read_commitment(tmp_path / "c.json"), int(document["assets"]["total_atoms"]))


# -- hiding: what an account's proof does not say --------------------------------------------------


def encodings(number: int) -> list[bytes]:
    """Every integer encoding of the formats, old and new: decimal, u64/u128 either endian, a scalar."""
    out = [str(number).encode(), le(number)]
    for width in (8, 16):
        if number < 2 ** (8 * width):
            out += [number.to_bytes(width, "big"), number.to_bytes(width, "little")]
    return out


def proof_bytes(proof: dict[str, Any]) -> bytes:
    """The proof's text and every binary field decoded."""
    blobs = [bytes.fromhex(proof["blinding"]), bytes.fromhex(proof["salt"])]
    for step in proof["path"]:
        blobs += [bytes.fromhex(step["commitment"]), bytes.fromhex(step["hash"]), base64.b64decode(step["range_proof"])]
    return json.dumps(proof).encode() + b"".join(blobs)


def test_an_inclusion_proof_reveals_no_sibling_sum(published: Path) -> None:
    _, proofs = files(published)
    placed = {int(p["position"]): int(p["liability_atoms"]) for p in proofs.values()}
    checked = 0
    for proof in proofs.values():
        haystack = proof_bytes(proof)
        assert any(needle in haystack for needle in encodings(int(proof["liability_atoms"])))  # the search bites
        x = int(proof["position"])
        for y in range(len(proof["path"])):
            sibling_sum = sum(v for column, v in placed.items() if column >> y == (x >> y) ^ 1)
            if sibling_sum >= 10**6:  # a short number (a zero of padding, say) appears anywhere by chance
                checked += 1
                assert not any(needle in haystack for needle in encodings(sibling_sum)), (proof["account"], y)
    assert checked >= 10


def test_two_pools_with_different_sibling_sums_give_proofs_of_the_same_shape_and_size() -> None:
    from types import SimpleNamespace

    from ringfence.solvency.liabilities import AccountLiability
    from ringfence.solvency.publish import proof_document
    from ringfence.solvency.tree import build_tree

    def shape(node: Any) -> Any:
        if isinstance(node, dict):
            return {key: shape(item) for key, item in node.items()}
        if isinstance(node, list):
            return [shape(item) for item in node]
        return (type(node).__name__, len(str(node)))

    secret = bytes(range(32))
    documents = []
    for others in ((1, 2, 3), (9_999_999_999, 123_456_789_012, 5)):
        pairs = [("me/0", 777_000_000), *((f"u{i}/0", amount) for i, amount in enumerate(others))]
        tree = build_tree("P", 3, pairs, secret, 6)
        leaf = next(leaf for leaf in tree.leaves if leaf.account == "me/0")
        book = SimpleNamespace(asset="USDC", decimals=6)
        documents.append(
            proof_document(
                book,
                tree,
                leaf,
                AccountLiability(account="me/0", isolated_atoms=777_000_000, cross_atoms=0, lp_atoms=0),
            )
        )  # type: ignore[arg-type]
    first, second = documents
    assert first["position"] == second["position"] and first["blinding"] == second["blinding"]
    assert first["path"] != second["path"]  # the siblings' commitments differ ...
    assert shape(first) == shape(second)  # ... in nothing a reader can measure
    assert len(json.dumps(first)) == len(json.dumps(second))
    for document in documents:  # both are genuine: every sibling's range proof holds
        for step in document["path"]:
            doc_range(base64.b64decode(step["range_proof"]), bytes.fromhex(step["commitment"]), "P", 3, 64)


# -- cheats a genuine file cannot express: a small tree built here, with the documented layouts ----


def cheating_tree(
    leaves: dict[int, int], reported: dict[tuple[int, int], int], rng: random.Random
) -> dict[tuple[int, int], tuple[bytes, bytes, int, int]]:
    """Return every node of a height-3 tree of pool ``X`` as ``(x, y) → (C, hash, value, blinding)``.

    ``leaves`` maps columns to liabilities (the others are padding); ``reported`` makes a node show
    its parent a commitment to another value (the cheat), while the node's own hash stays honest.
    """
    nodes: dict[tuple[int, int], tuple[bytes, bytes, int, int]] = {}
    for x in range(8):
        salt, blinding = bytes([x]) * 32, rng.randrange(1, ELL)
        amount = leaves.get(x, 0)
        digest = doc_leaf("X", x, f"u{x}/0", salt) if x in leaves else doc_pad("X", x, 0, salt)
        nodes[(x, 0)] = (pedersen(amount, blinding), digest, amount, blinding)
    for y in range(1, 4):
        for x in range(2 ** (3 - y)):
            left, right = nodes[(2 * x, y - 1)], nodes[(2 * x + 1, y - 1)]
            shown = []
            for honest, key in ((left, (2 * x, y - 1)), (right, (2 * x + 1, y - 1))):
                child = honest
                if key in reported:
                    child = (pedersen(reported[key], honest[3]), honest[1], reported[key], honest[3])
                    nodes[key] = child
                shown.append(child)
            c = add(shown[0][0], shown[1][0])
            nodes[(x, y)] = (
                c,
                doc_node(left[0], right[0], left[1], right[1]),
                shown[0][2] + shown[1][2],
                (shown[0][3] + shown[1][3]) % ELL,
            )
    return nodes


def proof_from(
    nodes: dict[tuple[int, int], tuple[bytes, bytes, int, int]],
    x: int,
    rng: random.Random,
    forged: dict[tuple[int, int], bytes] | None = None,
) -> tuple[dict[str, Any], dict[str, Any]]:
    root = nodes[(0, 3)]
    commitment = {
        "format": "ringfence-solvency-commitment/2",
        "pool": "X",
        "sequence": 1,
        "height": 3,
        "range_bits": BITS,
        "root_hash": root[1].hex(),
        "root_commitment": root[0].hex(),
        "root_range_proof": base64.b64encode(honest_range(root[2], root[3], "X", 1, rng)).decode(),
        "coverage_proof": None,
        "root_opening": None,
        "asset": "USDC",
        "decimals": 6,
        "assets": {"total_atoms": "0"},
    }
    path = []
    for y in range(3):
        key = ((x >> y) ^ 1, y)
        c, h, amount, blinding = nodes[key]
        rp = (forged or {}).get(key) or honest_range(amount, blinding, "X", 1, rng)
        path.append({"commitment": c.hex(), "hash": h.hex(), "range_proof": base64.b64encode(rp).decode()})
    c, h, amount, blinding = nodes[(x, 0)]
    proof = {
        "format": "ringfence-solvency-proof/2",
        "pool": "X",
        "sequence": 1,
        "height": 3,
        "range_bits": BITS,
        "account": f"u{x}/0",
        "liability_atoms": str(amount),
        "claims": {"isolated_atoms": str(amount), "cross_atoms": "0", "lp_atoms": "0"},
        "position": str(x),
        "salt": (bytes([x]) * 32).hex(),
        "blinding": le(blinding).hex(),
        "path": path,
    }
    return commitment, proof


def test_the_tree_built_here_matches_the_documented_verifier(tmp_path: Path) -> None:
    """The cheats below mean something only if an honest tree of this module verifies, by both verifiers."""
    rng = random.Random(1)
    nodes = cheating_tree({0: 100, 1: 250, 5: 40}, {}, rng)
    for x, liability in ((0, 100), (1, 250), (5, 40)):
        commitment, proof = proof_from(nodes, x, rng)
        assert doc_verify(commitment, proof) == liability
        assert package_verdict(tmp_path, commitment, proof) == "ok"
    assert nodes[(0, 3)][2] == 390


def test_a_node_whose_commitment_does_not_add_up_is_caught_by_the_accounts_below_it(tmp_path: Path) -> None:
    # the node over columns 0-1 holds 100 + 250 = 350 but shows its parent a commitment to 50, with a valid
    # range proof for 50: the root commits to 90, not 390
    rng = random.Random(2)
    nodes = cheating_tree({0: 100, 1: 250, 5: 40}, {(0, 1): 50}, rng)
    assert nodes[(0, 3)][2] == 90
    for x in (0, 1):
        commitment, proof = proof_from(nodes, x, rng)
        _both_reject(tmp_path, commitment, proof, "commitment")
    # the account outside that subtree sees only the shown commitment as a sibling: its own proof holds,
    # which is why the guarantee rests on the accounts under each node verifying (as in DAPOL+)
    commitment, proof = proof_from(nodes, 5, rng)
    assert doc_verdict(commitment, proof) == "ok"
    assert package_verdict(tmp_path, commitment, proof) == "ok"


@pytest.mark.parametrize("cheat", [-60, 2**64, 2**64 + 7])
def test_a_negative_or_overflowing_sibling_has_no_valid_range_proof(tmp_path: Path, cheat: int) -> None:
    # a fake account at column 1 "owes" -60 (to lower the total from 140 to 80) or 2**64 or more (to wrap a
    # 64-bit sum); its commitment is cheat·G + r·H. The prover's two ways to attempt a 64-bit range proof:
    rng = random.Random(3)
    nodes = cheating_tree({0: 100, 1: cheat % ELL, 5: 40}, {}, rng)
    _, _, amount, blinding = nodes[(1, 0)]
    c = pedersen(amount, blinding)
    # 1. the honest algorithm on the value's low 64 bits: the bits' commitments do not add up to C
    truncated = honest_range(amount, blinding, "X", 1, rng)
    commitment, proof = proof_from(nodes, 0, rng, forged={(1, 0): truncated})
    _both_reject(tmp_path, commitment, proof, "range_proof:sum")
    # 2. make the sum add up by giving bit 63 whatever value is left over: that "bit" is neither 0 nor 1,
    #    so its OR-proof can only be simulated on both branches and the challenge does not match
    bits = [(amount >> i) & 1 for i in range(BITS - 1)]
    bits.append((amount - sum(b << i for i, b in enumerate(bits))) * pow(2**63, -1, ELL) % ELL)
    assert bits[63] not in (0, 1)
    blindings = [rng.randrange(ELL) for _ in range(BITS)]
    blindings[0] = (blinding - sum(r << i for i, r in enumerate(blindings) if i)) % ELL
    fitted = make_range(bits, blindings, c, "X", 1, rng)
    commitment, proof = proof_from(nodes, 0, rng, forged={(1, 0): fitted})
    _both_reject(tmp_path, commitment, proof, "range_proof:challenge")


def test_a_huge_liability_cannot_reach_the_root_range_proof_either() -> None:
    rng = random.Random(4)
    nodes = cheating_tree({0: 2**63, 5: 2**63}, {}, rng)  # each in range; together 2**64
    commitment, _ = proof_from(nodes, 0, rng)
    with pytest.raises(Rejected) as caught:
        doc_coverage(commitment)
    assert (caught.value.check, caught.value.reason) == ("range_proof", "sum")


# -- the range width N: read from the file, the same for every node, allowed only where no sum wraps --

ETHER = 10**18  # an 18-decimal quote asset: 2**64 atoms is about 18.4 units of it


def wide_book() -> PoolBook:
    """A pool whose liabilities total 21.5 units of an 18-decimal asset: 21.5·10**18 ≥ 2**64 atoms."""
    return PoolBook(
        pool="W",
        asset="WETH",
        decimals=18,
        as_of_ns=1,
        prices_wad={},
        liabilities=(
            AccountLiability(account="ann/0", isolated_atoms=0, cross_atoms=0, lp_atoms=12 * ETHER),
            AccountLiability(account="ben/0", isolated_atoms=0, cross_atoms=0, lp_atoms=9 * ETHER),
            AccountLiability(account="cat/0", isolated_atoms=ETHER // 2, cross_atoms=0, lp_atoms=0),
        ),
        assets=PoolAssets(
            vault_atoms=25 * ETHER,
            insurance_atoms=0,
            isolated_margin_atoms=0,
            cross_receivable_atoms=0,
            cross_debt_atoms=0,
        ),
    )


@pytest.fixture(scope="module")
def wide(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wide")
    publish(wide_book(), 9, "9:" + "cd" * 32, out, height=3, range_bits=128)
    return out


def test_a_total_of_2_64_atoms_or_more_publishes_and_verifies_at_128_bits(wide: Path, tmp_path: Path) -> None:
    commitment, proofs = files(wide)
    assert 21_500_000_000_000_000_000 >= 2**64  # 21.5 units of 18 decimals; 2**64 = 18,446,744,073,709,551,616
    assert commitment["range_bits"] == 128
    assert all(proof["range_bits"] == 128 for proof in proofs.values())
    assert len(base64.b64decode(commitment["root_range_proof"])) == 32 + 128 * 128
    verified = {proof["account"]: doc_verify(commitment, proof) for proof in proofs.values()}
    assert verified == {"ann/0": 12 * ETHER, "ben/0": 9 * ETHER, "cat/0": ETHER // 2}
    assert all(package_verdict(tmp_path, commitment, proof) == "ok" for proof in proofs.values())
    opening = json.loads((wide / "root.opening.json").read_text())
    assert int(opening["total_liabilities_atoms"]) == 21 * ETHER + ETHER // 2
    # 25 units of assets cover 21.5: the coverage proof is a 128-bit proof of the 3.5-unit surplus
    assert doc_coverage(commitment) == "covered"
    assert check_coverage(read_commitment(wide / "commitment.json"), 25 * ETHER).how == "range proof"


def test_at_64_bits_such_a_total_is_refused_by_name_and_nothing_is_written(tmp_path: Path) -> None:
    with pytest.raises(LiabilitiesExceedRange) as caught:
        publish(wide_book(), 9, "9:" + "cd" * 32, tmp_path / "out", height=3, range_bits=64)
    assert "total liabilities (21500000000000000000 atoms) ≥ 2**64" in caught.value.message
    assert "publish with --range-bits 72" in caught.value.message  # 21.5·10**18 < 2**72 (about 4.7·10**21)
    assert not (tmp_path / "out").exists()
    from ringfence.cli.exit_codes import exit_code_for

    assert exit_code_for(caught.value) == 2


def test_the_default_width_comes_from_the_asset_s_decimals() -> None:
    from ringfence.solvency.publish import default_range_bits

    # 10**11 units: 10**17 < 2**64 (6 decimals), 10**19 < 2**64 (8), 10**20 ≥ 2**64 but < 2**72 (9),
    # 10**29 ≥ 2**96 but < 2**104 (18), 10**41 ≥ 2**136 but < 2**144 (30, the core's largest)
    assert [default_range_bits(d) for d in (0, 6, 8, 9, 18, 30)] == [64, 64, 64, 72, 104, 144]
    assert default_range_bits(46) == 192  # 10**57 < 2**192 (about 6.3·10**57)
    with pytest.raises(ValueError, match="pass --range-bits"):
        default_range_bits(47)  # 10**58 ≥ 2**192: no allowed width, and no silent narrower one


def test_a_proof_whose_width_differs_from_its_commitment_s_is_rejected(wide: Path, tmp_path: Path) -> None:
    commitment, proofs = files(wide)
    proof = copy.deepcopy(proofs["ann_0"])
    proof["range_bits"] = 64
    _both_reject(tmp_path, commitment, proof, "range_bits")
    relabelled = copy.deepcopy(commitment)
    relabelled["range_bits"] = 64  # both say 64; the proofs are 128-bit ones
    _both_reject(tmp_path, relabelled, proof, "range_proof:length")


@pytest.mark.parametrize("width", [0, 24, 63, 65, 200, 256])
def test_a_width_that_is_not_allowed_is_rejected(wide: Path, tmp_path: Path, width: int) -> None:
    commitment, proofs = files(wide)
    commitment["range_bits"] = width
    proof = copy.deepcopy(proofs["ben_0"])
    proof["range_bits"] = width
    _both_reject(tmp_path, commitment, proof, "range_bits")
    with pytest.raises(Rejected) as caught:
        doc_coverage(commitment)
    assert caught.value.check == "range_bits"
    (tmp_path / "c.json").write_text(json.dumps(commitment))
    with pytest.raises(SolvencyCheckFailed) as refused:
        check_coverage(read_commitment(tmp_path / "c.json"), 25 * ETHER)
    assert getattr(refused.value, "check", None) == "range_bits"


def test_a_width_and_height_whose_sums_could_wrap_are_refused_on_both_sides(wide: Path, tmp_path: Path) -> None:
    # 192 bits at height 61: 2**192 · 2**61 = 2**253 > ℓ. The publisher refuses it before reading anything
    with pytest.raises(RangeWidthRefused) as caught:
        publish(wide_book(), 9, "9:" + "cd" * 32, tmp_path / "out", height=61, range_bits=192)
    assert "could wrap the group order" in caught.value.message
    assert not (tmp_path / "out").exists()
    # a file claiming that pair is rejected by both verifiers, before its path is looked at
    commitment, proofs = files(wide)
    proof = copy.deepcopy(proofs["cat_0"])
    for document in (commitment, proof):
        document["range_bits"], document["height"] = 192, 61
    _both_reject(tmp_path, commitment, proof, "range_bits")
    # 192 bits at height 60 (2**252 < ℓ) is allowed: the same relabelling then fails on the path's length
    for document in (commitment, proof):
        document["height"] = 60
    assert doc_verdict(commitment, proof) == "position"
    assert package_verdict(tmp_path, commitment, proof) == "path"  # the package names the length check "path"
