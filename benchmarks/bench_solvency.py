#!/usr/bin/env python3
"""Publishing a pool's proof of liabilities with hidden sums, beside the clear-sum tree it replaced.

Usage::

    python benchmarks/bench_solvency.py [--accounts N] [--height H] [--range-bits B] [--repeat R] [--cpu C] [--smoke]

**Pool**: N accounts (default 1,000) with seeded random liabilities below 10**12 atoms (a million
USDC), a tree of height H (default 32, the CLI's default).

**Ours** (format v2, docs/solvency-proofs.md): ``build_tree`` (Pedersen commitments on ristretto255,
a B-bit bit-decomposition range proof for every sibling of every path and the root; B is
``--range-bits``, default 64, the width of a 6-decimal asset; a range proof's cost grows linearly in B) and every
account's inclusion proof serialised to JSON, plus the coverage proof; no disk. **Peer**: format v1,
the same tree with the sums in the clear (``benchmarks/_clear_sum_tree.py``: salts, placement,
padding, hashing the same way), its proofs serialised the same way. The ratio ours/peer is **the
price of hiding** the sums: it is expected to be large, and it is reported, not a target.

Also: one inclusion proof's size in both formats, the time to verify one (ours: every sibling's
range proof and the walk; peer: the walk), and one range proof's making and checking time (median
and range of 30).

**Gate, before any figure counts**: both trees place every account at the same column and agree on
the total (ours opened, the peer's in the clear); every account's proof verifies in both formats.

One core: pinned to one CPU (``--cpu``, default the highest allowed). Publishing is timed R times
(default 1 at full size, the gate's own run: about five minutes here; 2 in the smoke run); with one run no interval is
claimed for it, and the per-range-proof figures (30 runs) carry theirs.
"""

from __future__ import annotations

import argparse
import base64
import json
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from _clear_sum_tree import build_clear_tree, clear_proof_document, verify_clear
from _machine import fill_sizes, pin
from ringfence.solvency.files import Commitment, InclusionProof, PathStep
from ringfence.solvency.group import commit
from ringfence.solvency.liabilities import AccountLiability
from ringfence.solvency.publish import proof_document
from ringfence.solvency.range_prover import prove_range
from ringfence.solvency.rangeproof import ALLOWED_RANGE_BITS, verify_range
from ringfence.solvency.tree import SumTree, build_tree, prove_coverage
from ringfence.solvency.verify import check_coverage, verify_inclusion

SECRET = bytes(range(32))


class _Book:
    asset = "USDC"
    decimals = 6


def pool(accounts: int) -> list[tuple[str, int]]:
    rng = random.Random(14)
    return [(f"owner{index}/0", rng.randrange(10**12)) for index in range(accounts)]


def publish_hidden(pairs: list[tuple[str, int]], height: int, range_bits: int) -> tuple[SumTree, list[str]]:
    tree = build_tree("P", 1, pairs, SECRET, height, range_bits=range_bits)
    prove_coverage(tree, sum(amount for _, amount in pairs) + 10**9)
    documents = [
        json.dumps(
            proof_document(
                _Book(),
                tree,
                leaf,
                AccountLiability(account=leaf.account, isolated_atoms=leaf.liability_atoms, cross_atoms=0, lp_atoms=0),
            )
        )  # type: ignore[arg-type]
        for leaf in tree.leaves
    ]
    return tree, documents


def publish_clear(pairs: list[tuple[str, int]], height: int) -> tuple[dict[str, object], list[str]]:
    tree = build_clear_tree("P", 1, pairs, SECRET, height)
    return tree, [json.dumps(clear_proof_document(tree, leaf)) for leaf in tree["leaves"]]  # type: ignore[union-attr]


def commitment_of(tree: SumTree, assets: int) -> Commitment:
    return Commitment(
        pool="P",
        sequence=1,
        height=tree.height,
        range_bits=tree.range_bits,
        asset="USDC",
        decimals=6,
        root_hash=tree.root.hash,
        root_commitment=tree.root.commitment,
        root_range_proof=tree.range_proof(tree.root),
        coverage_proof=prove_coverage(tree, assets),
        root_opening=None,
        assets_atoms={"total_atoms": assets},
        raw={},
    )


def inclusion(document: dict[str, object], range_bits: int) -> InclusionProof:
    path = document["path"]
    assert isinstance(path, list)
    return InclusionProof(
        pool="P",
        sequence=1,
        height=int(str(document["height"])),
        account=str(document["account"]),
        liability_atoms=int(str(document["liability_atoms"])),
        claims_atoms={"isolated_atoms": int(str(document["liability_atoms"]))},
        position=int(str(document["position"])),
        salt=bytes.fromhex(str(document["salt"])),
        blinding=bytes.fromhex(str(document["blinding"])),
        range_bits=range_bits,
        path=tuple(
            PathStep(bytes.fromhex(s["commitment"]), bytes.fromhex(s["hash"]), base64.b64decode(s["range_proof"]))
            for s in path
        ),
    )


def timed(function, repeat: int) -> list[float]:  # type: ignore[no-untyped-def]
    out = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        out.append(time.perf_counter() - start)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int)
    parser.add_argument("--height", type=int)
    parser.add_argument(
        "--range-bits", type=int, default=64, choices=ALLOWED_RANGE_BITS, metavar="B", help="range-proof width"
    )
    parser.add_argument("--repeat", type=int)
    parser.add_argument("--cpu", type=int)
    parser.add_argument("--smoke", action="store_true", help="tiny sizes for CI; asserts the gate")
    args = parser.parse_args()
    fill_sizes(args, ("accounts", "height", "repeat"), (12, 8, 2), (1_000, 32, 1))
    bits = args.range_bits
    print(
        f"solvency publish: {args.accounts:,} accounts, height {args.height}, {bits}-bit range proofs; {pin(args.cpu)}"
    )
    pairs = pool(args.accounts)

    # -- gate (its publication is the first timed run of ours)
    start = time.perf_counter()
    tree, documents = publish_hidden(pairs, args.height, bits)
    first_run = time.perf_counter() - start
    clear, clear_documents = publish_clear(pairs, args.height)
    total = sum(amount for _, amount in pairs)
    assert tree.root.value_atoms == total == clear["root"][0]  # type: ignore[index]
    assert tree.root.commitment == commit(total, tree.root.blinding)
    assert [leaf.position for leaf in tree.leaves] == [leaf[1] for leaf in clear["leaves"]]  # type: ignore[union-attr]
    commitment = commitment_of(tree, total + 10**9)
    assert check_coverage(commitment, total + 10**9).how == "range proof"
    checked = documents if args.smoke else documents[:3]
    for text, clear_text in zip(checked, clear_documents, strict=False):
        assert verify_inclusion(commitment, inclusion(json.loads(text), bits)).liability_atoms >= 0
        assert verify_clear(clear["root"], json.loads(clear_text))  # type: ignore[arg-type]
    print(f"gate: {len(tree.range_proofs):,} range proofs; totals, columns and {len(checked)} proofs agree")

    # -- publishing
    ours = [first_run, *timed(lambda: publish_hidden(pairs, args.height, bits), args.repeat - 1)]
    peer = timed(lambda: publish_clear(pairs, args.height), max(args.repeat, 3))
    ours_s, peer_s = statistics.median(ours), statistics.median(peer)
    spread = f" (runs {min(ours):.2f}-{max(ours):.2f} s)" if len(ours) > 1 else " (one run: no interval)"
    print(f"publish, hidden sums (v2): {ours_s:10.3f} s{spread}")
    print(f"publish, clear sums (v1):  {peer_s:10.3f} s (median of {len(peer)})")
    print(f"price of hiding: {ours_s / peer_s:,.0f}x the clear-sum tree's time")

    # -- one proof
    size, clear_size = len(documents[0].encode()), len(clear_documents[0].encode())
    print(f"one inclusion proof: {size:,} bytes of JSON (v1: {clear_size:,} bytes; {size / clear_size:,.0f}x)")
    first = inclusion(json.loads(documents[0]), bits)
    verify_ours = timed(lambda: verify_inclusion(commitment, first), 3)
    verify_peer = timed(lambda: verify_clear(clear["root"], json.loads(clear_documents[0])), 30)  # type: ignore[arg-type]
    print(
        f"verify one proof: {statistics.median(verify_ours) * 1e3:.0f} ms (v1: "
        f"{statistics.median(verify_peer) * 1e3:.2f} ms)"
    )
    runs = 10 if args.smoke else 30
    make = timed(lambda: prove_range(123_456_789, 42, "P", 1, b"seed", bits=bits), runs)
    proof = prove_range(123_456_789, 42, "P", 1, b"seed", bits=bits)
    point = commit(123_456_789, 42)
    check = timed(lambda: verify_range(proof, point, "P", 1, bits=bits), runs)
    for name, series in (("make", make), ("check", check)):
        print(
            f"one {bits}-bit range proof, {name}: median {statistics.median(series) * 1e3:.1f} ms "
            f"(range {min(series) * 1e3:.1f}-{max(series) * 1e3:.1f} ms over {runs})"
        )


if __name__ == "__main__":
    main()
