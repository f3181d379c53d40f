"""The group, the Pedersen commitments and the range proofs of format v2 (solvency/group.py, rangeproof.py).

Conformance: the base point's first multiples are RFC 9496's test vectors (Appendix A.1), computed
by the RFC's authors, not by this code; the homomorphism is checked against integer arithmetic.
"""

from __future__ import annotations

import pytest

from ringfence.solvency.group import IDENTITY, ORDER, G, H, add, commit, decode_scalar, encode_scalar, mul, sub
from ringfence.solvency.range_prover import prove_range
from ringfence.solvency.rangeproof import RangeProofInvalid, proof_bytes, range_width_problem, verify_range

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
    proof = prove_range(value, 987_654_321, "P", 3, b"seed", bits=64)
    assert len(proof) == proof_bytes(64) == 8_224
    verify_range(proof, commit(value, 987_654_321), "P", 3, bits=64)
    assert proof == prove_range(value, 987_654_321, "P", 3, b"seed", bits=64)  # deterministic from its seed
    assert proof != prove_range(value, 987_654_321, "P", 3, b"other seed", bits=64)


@pytest.mark.parametrize(("value", "bits"), [(-1, 64), (2**64, 64), (2**32, 32), (2**128, 128)])
def test_the_prover_refuses_a_value_out_of_range(value: int, bits: int) -> None:
    with pytest.raises(ValueError, match="no range proof exists"):
        prove_range(value, 1, "P", 3, b"seed", bits=bits)


@pytest.mark.parametrize(
    ("value", "bits", "size"), [(2**32 - 1, 32, 4_128), (2**64, 72, 9_248), (2**128 - 1, 128, 16_416)]
)
def test_other_widths_prove_their_own_range_and_no_other(value: int, bits: int, size: int) -> None:
    # 32 + 128·N bytes, counted by hand: 32 + 4,096; 32 + 9,216; 32 + 16,384
    proof = prove_range(value, 5, "P", 3, b"seed", bits=bits)
    assert len(proof) == size
    verify_range(proof, commit(value, 5), "P", 3, bits=bits)
    with pytest.raises(RangeProofInvalid) as caught:  # read at another width: the wrong length
        verify_range(proof, commit(value, 5), "P", 3, bits=bits + 8)
    assert caught.value.reason == "length"


def test_a_proof_cut_to_a_narrower_width_is_rejected() -> None:
    # a 72-bit proof of a value below 2**64, its top 8 bits dropped: those bits commit to 0 with their own
    # blinding, so the 64 left do not add up to C
    proof = prove_range(2**40 + 3, 11, "P", 3, b"seed", bits=72)
    with pytest.raises(RangeProofInvalid) as caught:
        verify_range(proof[: proof_bytes(64)], commit(2**40 + 3, 11), "P", 3, bits=64)
    assert caught.value.reason == "sum"


@pytest.mark.parametrize(
    ("bits", "height", "allowed"),
    [
        (64, 64, True),
        (32, 1, True),
        (192, 60, True),  # 192 + 60 = 252: 2**252 < ℓ
        (192, 61, False),  # 2**253 > ℓ: a sum could wrap
        (184, 64, True),
        (24, 8, False),
        (200, 8, False),
        (65, 8, False),
        (0, 8, False),
    ],
)
def test_the_allowed_widths_and_the_wrap_inequality(bits: int, height: int, allowed: bool) -> None:
    ell = 2**252 + 27742317777372353535851937790883648493  # RFC 9496 §4.1, written out again here
    assert (range_width_problem(bits, height) is None) is allowed
    if bits % 8 == 0 and 32 <= bits <= 192:
        assert allowed is (2**bits * 2**height < ell)


def test_the_prover_refuses_a_width_that_is_not_allowed() -> None:
    for bits in (16, 63, 200):
        with pytest.raises(ValueError, match="not a range width"):
            prove_range(1, 1, "P", 3, b"seed", bits=bits)


def test_a_proof_is_bound_to_its_commitment_pool_and_sequence() -> None:
    proof = prove_range(42, 7, "P", 3, b"seed", bits=64)
    for commitment, pool, sequence, reason in (
        (commit(43, 7), "P", 3, "sum"),
        (commit(42, 8), "P", 3, "sum"),
        (commit(42, 7), "Q", 3, "challenge"),
        (commit(42, 7), "P", 4, "challenge"),
    ):
        with pytest.raises(RangeProofInvalid) as caught:
            verify_range(proof, commitment, pool, sequence, bits=64)
        assert caught.value.reason == reason
    with pytest.raises(RangeProofInvalid) as caught:
        verify_range(proof[:-1], commit(42, 7), "P", 3, bits=64)
    assert caught.value.reason == "length"
    non_canonical = proof[: 32 + 32] + ORDER.to_bytes(32, "little") + proof[32 + 64 :]  # bit 0's c0 = ℓ
    with pytest.raises(RangeProofInvalid) as caught:
        verify_range(non_canonical, commit(42, 7), "P", 3, bits=64)
    assert caught.value.reason == "encoding"
