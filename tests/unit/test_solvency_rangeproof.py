"""The group, the Pedersen commitments and the range proofs of format v2 (solvency/group.py, rangeproof.py).

Conformance: the base point's first multiples are RFC 9496's test vectors (Appendix A.1), computed
by the RFC's authors, not by this code; the homomorphism is checked against integer arithmetic.
"""

from __future__ import annotations

import pytest

from ringfence.solvency.group import IDENTITY, ORDER, G, H, add, commit, decode_scalar, encode_scalar, mul, sub
from ringfence.solvency.range_prover import prove_range
from ringfence.solvency.rangeproof import PROOF_BYTES, RangeProofInvalid, verify_range

RFC_9496_MULTIPLES_OF_B = [
    "0000000000000000000000000000000000000000000000000000000000000000",
    "e2f2ae0a6abc4e71a884a961c500515f58e30b6aa582dd8db6a65945e08d2d76",
    "6a493210f7499cd17fecb510ae0cea23a110e8d5b901f8acadd3095c73a3b919",
    "94741f5d5d52755ece4f23f044ee27d5d1ea1e2bd196b462166b16152a9d0259",
]


def test_the_base_point_s_multiples_are_rfc_9496_s_test_vectors() -> None:
    for k, expected in enumerate(RFC_9496_MULTIPLES_OF_B):
        assert mul(k, G).hex() == expected
    assert add(G, G) == mul(2, G)


def test_zero_scalars_and_the_identity_are_answered_not_refused_by_libsodium() -> None:
    # libsodium's scalarmult returns an error for an identity result; group.mul answers those cases itself
    assert mul(0, G) == mul(ORDER, H) == mul(5, IDENTITY) == IDENTITY
    assert commit(0, 0) == IDENTITY
    assert commit(0, 7) == mul(7, H)  # a padding node: a commitment to 0 is a plain point
    assert commit(3, 0) == mul(3, G)
    assert mul(ORDER - 1, G) == sub(IDENTITY, G)


def test_commitments_add_as_their_openings_do() -> None:
    a, b = commit(100, 12345), commit(250, ORDER - 5)
    assert add(a, b) == commit(350, 12340)
    assert commit(-5, 0) == commit(ORDER - 5, 0)  # a negative value is its residue: why range proofs are needed
    assert G != H and H not in (IDENTITY, mul(2, G))


def test_scalars_must_be_canonical() -> None:
    assert decode_scalar(encode_scalar(ORDER - 1)) == ORDER - 1
    assert decode_scalar(ORDER.to_bytes(32, "little")) is None
    assert decode_scalar(bytes(31)) is None


@pytest.mark.parametrize("value", [0, 1, 2**32 + 5, 2**64 - 1])
def test_a_value_in_range_proves_and_verifies(value: int) -> None:
    proof = prove_range(value, 987_654_321, "P", 3, b"seed")
    assert len(proof) == PROOF_BYTES == 8_224
    verify_range(proof, commit(value, 987_654_321), "P", 3)
    assert proof == prove_range(value, 987_654_321, "P", 3, b"seed")  # deterministic from its seed
    assert proof != prove_range(value, 987_654_321, "P", 3, b"other seed")


@pytest.mark.parametrize("value", [-1, 2**64])
def test_the_prover_refuses_a_value_out_of_range(value: int) -> None:
    with pytest.raises(ValueError, match="no range proof exists"):
        prove_range(value, 1, "P", 3, b"seed")


def test_a_proof_is_bound_to_its_commitment_pool_and_sequence() -> None:
    proof = prove_range(42, 7, "P", 3, b"seed")
    for commitment, pool, sequence, reason in (
        (commit(43, 7), "P", 3, "sum"),
        (commit(42, 8), "P", 3, "sum"),
        (commit(42, 7), "Q", 3, "challenge"),
        (commit(42, 7), "P", 4, "challenge"),
    ):
        with pytest.raises(RangeProofInvalid) as caught:
            verify_range(proof, commitment, pool, sequence)
        assert caught.value.reason == reason
    with pytest.raises(RangeProofInvalid) as caught:
        verify_range(proof[:-1], commit(42, 7), "P", 3)
    assert caught.value.reason == "length"
    non_canonical = proof[: 32 + 32] + ORDER.to_bytes(32, "little") + proof[32 + 64 :]  # bit 0's c0 = ℓ
    with pytest.raises(RangeProofInvalid) as caught:
        verify_range(non_canonical, commit(42, 7), "P", 3)
    assert caught.value.reason == "encoding"
