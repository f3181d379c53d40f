"""Making a range proof (the prover's half of :mod:`.rangeproof`; the verifier never imports it).

Every random choice is drawn from one seed, so the same seed and statement give the same proof
byte for byte: ``SHAKE-256(seed)`` read as consecutive 64-byte blocks, each a little-endian
integer reduced modulo ``ℓ`` (a negligible bias of at most ``2**-259``). Per bit ``i``, in order:
the bit's blinding ``r_i`` (for ``i ≥ 1``; ``r_0`` makes ``Σ 2**i·r_i = r``), the real branch's
nonce ``k_i``, the simulated branch's challenge and response. The seed must be secret and
different for every statement (the caller derives it from the master secret, the node and its
commitment): reusing a nonce across two challenges would reveal a bit's blinding.
"""

from __future__ import annotations

import hashlib

from ringfence.solvency.group import ORDER, G, H, add, commit, encode_scalar, mul
from ringfence.solvency.rangeproof import ALLOWED_RANGE_BITS, challenge, statement_prefix

__all__ = ["prove_range"]

_BLOCK = 64


def _draws(seed: bytes, count: int) -> list[int]:
    stream = hashlib.shake_256(seed).digest(_BLOCK * count)
    return [int.from_bytes(stream[k * _BLOCK : (k + 1) * _BLOCK], "little") % ORDER for k in range(count)]


def prove_range(value: int, blinding: int, pool: str, sequence: int, seed: bytes, *, bits: int) -> bytes:
    """Return a proof that ``commit(value, blinding)`` opens to a value in ``[0, 2**bits)``.

    Raises
    ------
    ValueError
        If ``bits`` is not an allowed width, or ``value`` is outside ``[0, 2**bits)``: no valid
        proof exists for it.
    """
    if bits not in ALLOWED_RANGE_BITS:
        raise ValueError(f"{bits} is not a range width (a multiple of 8 from 32 to 192)")
    if not 0 <= value < 2**bits:
        raise ValueError(f"{value} is outside [0, 2**{bits}): no range proof exists for it")
    draws = _draws(seed, 4 * bits)
    bit_values = [(value >> i) & 1 for i in range(bits)]
    blindings = [0] + [draws[4 * i] for i in range(1, bits)]
    blindings[0] = (blinding - sum(blindings[i] << i for i in range(1, bits))) % ORDER
    commitment = commit(value, blinding)
    first: list[tuple[bytes, bytes, bytes]] = []
    secrets_: list[tuple[int, int, int, int]] = []  # (k, simulated c, simulated z, real branch)
    for i in range(bits):
        bit, r = bit_values[i], blindings[i]
        point = commit(bit, r)
        k, c_sim, z_sim = draws[4 * i + 1], draws[4 * i + 2], draws[4 * i + 3]
        real = mul(k, H)
        # the false branch's statement X is C_i − (1 − bit)·G = r·H + (2·bit − 1)·G, so its simulated first
        # message z·H − c·X is (z − c·r)·H − c·(2·bit − 1)·G: one multiplication by H and one by the base
        # point (libsodium's faster fixed-base one) instead of two variable-base ones
        simulated = add(mul(z_sim - c_sim * r, H), mul(-c_sim * (2 * bit - 1), G))
        a0, a1 = (real, simulated) if bit == 0 else (simulated, real)
        first.append((point, a0, a1))
        secrets_.append((k, c_sim, z_sim, bit))
    e = challenge(statement_prefix(pool, sequence, commitment, bits), first)
    out = [encode_scalar(e)]
    for i, ((point, _, _), (k, c_sim, z_sim, bit)) in enumerate(zip(first, secrets_, strict=True)):
        c_real = (e - c_sim) % ORDER
        z_real = (k + c_real * blindings[i]) % ORDER
        c0, z0, z1 = (c_real, z_real, z_sim) if bit == 0 else (c_sim, z_sim, z_real)
        out.append(point + encode_scalar(c0) + encode_scalar(z0) + encode_scalar(z1))
    return b"".join(out)
