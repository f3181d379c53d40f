"""Properties of the solvency tree: every account's proof verifies, the leaves add up, any flipped byte fails.

Random liabilities (including zeros and values up to 2**60), random master secrets and small heights
(so padding and full trees both occur), through the prover and the package's verifier. Few examples:
each tree makes a 64-bit range proof per sibling (about 13 ms each).
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from ringfence.solvency.errors import ProofRejected
from ringfence.solvency.files import Commitment, InclusionProof, PathStep
from ringfence.solvency.group import commit, encode_scalar
from ringfence.solvency.tree import SumTree, build_tree
from ringfence.solvency.verify import verify_inclusion

liabilities = st.lists(st.integers(min_value=0, max_value=2**60), min_size=0, max_size=6)


def commitment_of(tree: SumTree) -> Commitment:
    return Commitment(
        pool=tree.pool,
        sequence=tree.sequence,
        height=tree.height,
        range_bits=64,
        asset="USDC",
        decimals=6,
        root_hash=tree.root.hash,
        root_commitment=tree.root.commitment,
        root_range_proof=tree.range_proof(tree.root),
        coverage_proof=None,
        root_opening=None,
        assets_atoms={},
        raw={},
    )


def proofs_of(tree: SumTree) -> list[InclusionProof]:
    return [
        InclusionProof(
            pool=tree.pool,
            sequence=tree.sequence,
            height=tree.height,
            account=leaf.account,
            liability_atoms=leaf.liability_atoms,
            claims_atoms={"lp_atoms": leaf.liability_atoms},
            position=leaf.position,
            salt=leaf.salt,
            blinding=encode_scalar(leaf.blinding),
            range_bits=64,
            path=tuple(PathStep(node.commitment, node.hash, tree.range_proof(node)) for node in leaf.siblings),
        )
        for leaf in tree.leaves
    ]


@settings(max_examples=10, deadline=None)
@given(amounts=liabilities, height=st.integers(min_value=3, max_value=5), secret=st.binary(min_size=32, max_size=32))
def test_every_proof_verifies_and_the_leaves_add_up_to_the_root(amounts: list[int], height: int, secret: bytes) -> None:
    accounts = [(f"a{index}/0", amount) for index, amount in enumerate(amounts)]
    tree = build_tree("P", 7, accounts, secret, height)
    commitment = commitment_of(tree)
    verified = [verify_inclusion(commitment, proof).liability_atoms for proof in proofs_of(tree)]
    assert verified == amounts
    assert tree.root.value_atoms == sum(amounts)
    assert tree.root.commitment == commit(sum(amounts), tree.root.blinding)
    assert len({leaf.position for leaf in tree.leaves}) == len(amounts)


@settings(max_examples=10, deadline=None)
@given(
    amounts=liabilities.filter(bool),
    secret=st.binary(min_size=32, max_size=32),
    pick=st.integers(min_value=0),
    level=st.integers(min_value=0, max_value=4),
    bit=st.integers(min_value=0, max_value=255),
)
def test_a_flipped_bit_in_any_sibling_hash_or_salt_is_rejected(
    amounts: list[int], secret: bytes, pick: int, level: int, bit: int
) -> None:
    tree = build_tree("P", 7, [(f"a{i}/0", amount) for i, amount in enumerate(amounts)], secret, 5)
    proof = proofs_of(tree)[pick % len(amounts)]
    step = proof.path[level]
    flipped = bytearray(step.hash)
    flipped[bit // 8] ^= 1 << (bit % 8)
    path = (*proof.path[:level], PathStep(step.commitment, bytes(flipped), step.range_proof), *proof.path[level + 1 :])
    salt = bytearray(proof.salt)
    salt[bit // 8] ^= 1 << (bit % 8)
    commitment = commitment_of(tree)
    for tampered in (
        InclusionProof(**{**_fields(proof), "path": path}),
        InclusionProof(**{**_fields(proof), "salt": bytes(salt)}),
    ):
        try:
            verify_inclusion(commitment, tampered)
        except ProofRejected as error:
            assert error.check == "root"
        else:
            raise AssertionError("a tampered proof verified")


def _fields(proof: InclusionProof) -> dict[str, object]:
    return {name: getattr(proof, name) for name in InclusionProof.__dataclass_fields__}
