"""Publishing a pool's proof of liabilities: the commitment, one proof per account, the master secret.

``OUT/commitment.json`` is public; ``OUT/proofs/OWNER_SUB.json`` goes to that account alone
(its salt and blinding factor open its own leaf and nothing else); ``OUT/root.opening.json``
(mode 0600) opens the root's commitment for an auditor; ``OUT/master.secret`` (mode 0600) stays
with the venue: with the same state it reproduces every file byte for byte, and nobody else may
see it (it derives every salt and blinding factor). Owner names never contain ``_`` (``core/validation.py``), so the
proof file names are distinct.
"""

from __future__ import annotations

import base64
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ringfence.solvency.errors import ProofFileError
from ringfence.solvency.files import COMMITMENT_FORMAT, OPENING_FORMAT, PROOF_FORMAT, write_json
from ringfence.solvency.group import encode_scalar
from ringfence.solvency.liabilities import AccountLiability, PoolBook
from ringfence.solvency.rangeproof import ALLOWED_RANGE_BITS, DEFAULT_RANGE_BITS
from ringfence.solvency.tree import (
    DEFAULT_HEIGHT,
    MASTER_SECRET_BYTES,
    Leaf,
    SumTree,
    build_tree,
    check_range_width,
    check_total_fits,
    prove_coverage,
)

__all__ = [
    "DEFAULT_CAPACITY_UNITS",
    "Publication",
    "commitment_document",
    "default_range_bits",
    "load_or_create_secret",
    "opening_document",
    "opening_fields",
    "proof_document",
    "publish",
]


DEFAULT_CAPACITY_UNITS = 10**11
"""The default width holds a total of at least a hundred billion whole units of the quote asset."""


def default_range_bits(decimals: int) -> int:
    """Return the range width a publication uses unless told: from the quote asset's decimals alone.

    The smallest allowed width ``N ≥ 64`` with ``2**N > 10**11 · 10**decimals`` atoms: 64 for an
    asset of up to 8 decimals (USDC, WBTC: the width of format v2's first publications), 104 for
    18 (ETH-like), 144 for the core's largest 30. It depends on nothing but a public figure, so it
    says nothing about the hidden total (a width chosen from the total would publish its magnitude).

    Raises
    ------
    ValueError
        If no allowed width is that wide (more than 46 decimals; the engine allows at most 30).
    """
    atoms = DEFAULT_CAPACITY_UNITS * 10**decimals
    width = next((bits for bits in ALLOWED_RANGE_BITS if bits >= DEFAULT_RANGE_BITS and atoms < 2**bits), None)
    if width is None:  # beyond 46 decimals; the engine allows 30
        raise ValueError(f"no range width holds 10**11 units of a {decimals}-decimal asset: pass --range-bits")
    return width


@dataclass(frozen=True, slots=True, kw_only=True)
class Publication:
    """What :func:`publish` wrote."""

    commitment: Path
    proofs: tuple[Path, ...]
    opening: Path
    secret: Path
    secret_created: bool
    tree: SumTree


def load_or_create_secret(path: Path) -> tuple[bytes, bool]:
    """Return the master secret in ``path`` (64 hex digits), creating it (0600) if there is none."""
    if path.exists():
        try:
            text = path.read_text(encoding="ascii").strip()
            secret = bytes.fromhex(text)
        except (OSError, UnicodeDecodeError, ValueError):
            raise ProofFileError(path, "not a master secret (64 hex digits)") from None
        if len(secret) != MASTER_SECRET_BYTES:
            raise ProofFileError(path, f"a master secret is {MASTER_SECRET_BYTES} bytes (64 hex digits)")
        if os.stat(path).st_mode & 0o077:
            raise ProofFileError(path, "readable by others: chmod 600 it (it derives every account's salt)")
        return secret, False
    if not path.parent.is_dir():
        raise ProofFileError(path, "its folder does not exist")
    secret = secrets.token_bytes(MASTER_SECRET_BYTES)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="ascii") as handle:
        handle.write(secret.hex() + "\n")
    return secret, True


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def commitment_document(
    book: PoolBook, tree: SumTree, journal_head: str, *, public_total: bool = False
) -> dict[str, Any]:
    """Return the public commitment of ``tree`` (which must be ``book``'s).

    It carries the root's commitment and range proof and the proof that the declared assets
    cover the committed total (``None`` when they do not, or when ``A ≥ 2**N`` makes one
    unnecessary); the total itself only with ``public_total`` (the root's opening, in the clear).
    """
    assets = book.assets
    coverage = prove_coverage(tree, assets.total_atoms)
    return {
        "format": COMMITMENT_FORMAT,
        "pool": book.pool,
        "sequence": tree.sequence,
        "journal_head": journal_head,
        "as_of_ns": str(book.as_of_ns),
        "height": tree.height,
        "range_bits": tree.range_bits,
        "asset": book.asset,
        "decimals": book.decimals,
        "root_hash": tree.root.hash.hex(),
        "root_commitment": tree.root.commitment.hex(),
        "root_range_proof": _b64(tree.range_proof(tree.root)),
        "coverage_proof": None if coverage is None else _b64(coverage),
        "root_opening": opening_fields(tree) if public_total else None,
        "prices_wad": {asset: str(price) for asset, price in book.prices_wad.items()},
        "assets": {
            "vault_atoms": str(assets.vault_atoms),
            "insurance_atoms": str(assets.insurance_atoms),
            "isolated_margin_atoms": str(assets.isolated_margin_atoms),
            "cross_receivable_atoms": str(assets.cross_receivable_atoms),
            "cross_debt_atoms": str(assets.cross_debt_atoms),
            "total_atoms": str(assets.total_atoms),
        },
    }


def opening_fields(tree: SumTree) -> dict[str, str]:
    """Return the root's opening: the committed total and its blinding factor."""
    return {
        "total_liabilities_atoms": str(tree.root.value_atoms),
        "blinding": encode_scalar(tree.root.blinding).hex(),
    }


def opening_document(tree: SumTree) -> dict[str, Any]:
    """Return the root's opening as a file for an auditor (``root.opening.json``; private)."""
    return {
        "format": OPENING_FORMAT,
        "pool": tree.pool,
        "sequence": tree.sequence,
        "root_commitment": tree.root.commitment.hex(),
        **opening_fields(tree),
    }


def proof_document(book: PoolBook, tree: SumTree, leaf: Leaf, claims: AccountLiability) -> dict[str, Any]:
    """Return one account's inclusion proof: its own opening, and its siblings' commitments, hashes, range proofs."""
    return {
        "format": PROOF_FORMAT,
        "pool": tree.pool,
        "sequence": tree.sequence,
        "height": tree.height,
        "range_bits": tree.range_bits,
        "asset": book.asset,
        "decimals": book.decimals,
        "account": leaf.account,
        "liability_atoms": str(leaf.liability_atoms),
        "claims": {
            "isolated_atoms": str(claims.isolated_atoms),
            "cross_atoms": str(claims.cross_atoms),
            "lp_atoms": str(claims.lp_atoms),
        },
        "position": str(leaf.position),
        "salt": leaf.salt.hex(),
        "blinding": encode_scalar(leaf.blinding).hex(),
        "path": [
            {"commitment": node.commitment.hex(), "hash": node.hash.hex(), "range_proof": _b64(tree.range_proof(node))}
            for node in leaf.siblings
        ],
    }


def _proof_name(account: str) -> str:
    owner, sub = account.rsplit("/", 1)
    return f"{owner}_{sub}.json"


def publish(
    book: PoolBook,
    sequence: int,
    journal_head: str,
    out: Path,
    *,
    secret_file: Path | None = None,
    height: int = DEFAULT_HEIGHT,
    range_bits: int | None = None,
    public_total: bool = False,
) -> Publication:
    """Build ``book``'s tree and write the commitment, the proofs, the root's opening and (if new) the secret.

    ``OUT/root.opening.json`` (mode 0600) opens the root's commitment for an auditor;
    ``public_total`` also puts that opening in the public commitment (the committed total in the
    clear, as format v1 had it). Every range proof is ``range_bits`` wide, by default
    :func:`default_range_bits` of the quote asset's decimals.

    Raises
    ------
    ProofFileError
        If ``out`` already holds a commitment (nothing is overwritten), cannot be created, or
        the secret file is malformed or readable by others.
    RangeWidthRefused
        If ``range_bits`` is not allowed at ``height`` (checked before anything is written).
    LiabilitiesExceedRange
        If the pool's total liabilities reach ``2**range_bits`` (checked before anything is written).
    ValueError
        If the tree cannot be built (see :func:`ringfence.solvency.tree.build_tree`).
    """
    bits = default_range_bits(book.decimals) if range_bits is None else range_bits
    check_range_width(bits, height)
    check_total_fits(book.pool, book.total_liabilities_atoms, bits)
    commitment_path = out / "commitment.json"
    if commitment_path.exists():
        raise ProofFileError(commitment_path, "already exists; publish into a new folder")
    if (out / "proofs").is_dir() and any((out / "proofs").iterdir()):
        raise ProofFileError(out / "proofs", "already holds proofs; publish into a new folder")
    try:
        (out / "proofs").mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ProofFileError(out, f"cannot create the output folder ({error.strerror})") from None
    secret_path = secret_file if secret_file is not None else out / "master.secret"
    master, created = load_or_create_secret(secret_path)
    pairs = [(item.account, item.total_atoms) for item in book.liabilities]
    tree = build_tree(book.pool, sequence, pairs, master, height, range_bits=bits)
    claims = {item.account: item for item in book.liabilities}
    proofs = []
    for leaf in tree.leaves:
        path = out / "proofs" / _proof_name(leaf.account)
        write_json(path, proof_document(book, tree, leaf, claims[leaf.account]), private=True)
        proofs.append(path)
    opening_path = out / "root.opening.json"
    write_json(opening_path, opening_document(tree), private=True)
    write_json(commitment_path, commitment_document(book, tree, journal_head, public_total=public_total))
    return Publication(
        commitment=commitment_path,
        proofs=tuple(proofs),
        opening=opening_path,
        secret=secret_path,
        secret_created=created,
        tree=tree,
    )
