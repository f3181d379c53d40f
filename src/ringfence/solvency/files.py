"""The commitment, inclusion-proof and opening files (JSON, format v2; docs/solvency-proofs.md, "Files").

Amounts are decimal strings of whole atoms (``"1250000"``), as everywhere at ringfence's edges;
hashes, salts, commitments (ristretto255 points) and scalars are 64 lowercase hex digits (32
bytes; a scalar little-endian); range proofs are standard base64 (RFC 4648 §4, padded);
``sequence``, ``height`` and ``range_bits`` are JSON integers.
Reading a file checks its shape (a field missing or of the wrong type is a
:class:`ProofFileError`, exit 2); the range of each amount is the verifier's business (a
negative or oversized amount is a rejected proof, exit 5), so :func:`read_proof` keeps every
amount as the integer it spells, whatever its sign.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ringfence.solvency.errors import ProofFileError

__all__ = [
    "COMMITMENT_FORMAT",
    "OPENING_FORMAT",
    "PROOF_FORMAT",
    "Commitment",
    "InclusionProof",
    "Opening",
    "PathStep",
    "read_commitment",
    "read_opening",
    "read_proof",
    "write_json",
]

COMMITMENT_FORMAT = "ringfence-solvency-commitment/2"
PROOF_FORMAT = "ringfence-solvency-proof/2"
OPENING_FORMAT = "ringfence-solvency-opening/2"
_INTEGER = re.compile(r"^-?(0|[1-9][0-9]*)$")
_HEX32 = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True, slots=True, kw_only=True)
class Opening:
    """The root's opening: the committed total and its blinding factor (raw 32 bytes, little-endian)."""

    total_liabilities_atoms: int
    blinding: bytes


@dataclass(frozen=True, slots=True, kw_only=True)
class Commitment:
    """A pool's public commitment: the root, its range proof, the assets it declares and their coverage proof."""

    pool: str
    sequence: int
    height: int
    range_bits: int
    asset: str
    decimals: int
    root_hash: bytes
    root_commitment: bytes
    root_range_proof: bytes
    coverage_proof: bytes | None
    root_opening: Opening | None
    """The root's opening when the venue published its total (``--public-total``), else ``None``."""
    assets_atoms: dict[str, int]
    """The declared assets by component, ``total_atoms`` among them."""
    raw: dict[str, Any]


@dataclass(frozen=True, slots=True)
class PathStep:
    """One sibling on the path, from the leaf's level upward: its commitment, hash and range proof."""

    commitment: bytes
    hash: bytes
    range_proof: bytes


@dataclass(frozen=True, slots=True, kw_only=True)
class InclusionProof:
    """One account's inclusion proof."""

    pool: str
    sequence: int
    height: int
    account: str
    liability_atoms: int
    claims_atoms: dict[str, int]
    position: int
    salt: bytes
    blinding: bytes
    range_bits: int
    path: tuple[PathStep, ...]


def write_json(path: Path, document: dict[str, Any], *, private: bool = False) -> None:
    """Write ``document`` as indented JSON; ``private``: readable by the owner only (mode 0600)."""
    text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    if private:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(text)
        return
    path.write_text(text, encoding="utf-8")


def _load(path: Path) -> dict[str, Any]:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ProofFileError(path, "no such file") from None
    except IsADirectoryError:
        raise ProofFileError(path, "a directory, not a file") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ProofFileError(path, f"not readable JSON ({error})") from None
    if not isinstance(document, dict):
        raise ProofFileError(path, "a JSON object was expected")
    return document


class _Fields:
    """Typed access to a document's fields; a problem names the field."""

    def __init__(self, path: Path, document: dict[str, Any]) -> None:
        self.path = path
        self.document = document

    def fail(self, field: str, expected: str) -> ProofFileError:
        return ProofFileError(self.path, f"field {field!r}: {expected}")

    def text(self, field: str, document: dict[str, Any] | None = None) -> str:
        value = (self.document if document is None else document).get(field)
        if not isinstance(value, str) or not value:
            raise self.fail(field, "a non-empty string")
        return value

    def count(self, field: str) -> int:
        value = self.document.get(field)
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise self.fail(field, "a whole number ≥ 0")
        return value

    def amount(self, field: str, document: dict[str, Any] | None = None) -> int:
        value = (self.document if document is None else document).get(field)
        if not isinstance(value, str) or not _INTEGER.match(value):
            raise self.fail(field, 'a decimal string of whole atoms, such as "1250000"')
        return int(value)

    def digest(self, field: str, document: dict[str, Any] | None = None) -> bytes:
        value = (self.document if document is None else document).get(field)
        if not isinstance(value, str) or not _HEX32.match(value):
            raise self.fail(field, "64 lowercase hex digits")
        return bytes.fromhex(value)

    def blob(self, field: str, document: dict[str, Any] | None = None) -> bytes:
        value = (self.document if document is None else document).get(field)
        if not isinstance(value, str):
            raise self.fail(field, "a base64 string")
        try:
            return base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            raise self.fail(field, "standard base64 (RFC 4648)") from None

    def optional_blob(self, field: str) -> bytes | None:
        return None if self.document.get(field) is None else self.blob(field)

    def opening(self, document: dict[str, Any]) -> Opening:
        return Opening(
            total_liabilities_atoms=self.amount("total_liabilities_atoms", document),
            blinding=self.digest("blinding", document),
        )

    def table(self, field: str) -> dict[str, Any]:
        value = self.document.get(field)
        if not isinstance(value, dict):
            raise self.fail(field, "a JSON object")
        return value

    def format(self, expected: str) -> None:
        if self.document.get("format") != expected:
            raise self.fail("format", f"{expected!r}")


def read_commitment(path: Path) -> Commitment:
    """Read and shape-check a commitment file."""
    fields = _Fields(path, _load(path))
    fields.format(COMMITMENT_FORMAT)
    assets = fields.table("assets")
    opening = fields.document.get("root_opening")
    if opening is not None and not isinstance(opening, dict):
        raise fields.fail("root_opening", "null or an object {total_liabilities_atoms, blinding}")
    return Commitment(
        pool=fields.text("pool"),
        sequence=fields.count("sequence"),
        height=fields.count("height"),
        range_bits=fields.count("range_bits"),
        asset=fields.text("asset"),
        decimals=fields.count("decimals"),
        root_hash=fields.digest("root_hash"),
        root_commitment=fields.digest("root_commitment"),
        root_range_proof=fields.blob("root_range_proof"),
        coverage_proof=fields.optional_blob("coverage_proof"),
        root_opening=None if opening is None else fields.opening(opening),
        assets_atoms={name: fields.amount(name, assets) for name in assets},
        raw=fields.document,
    )


def read_opening(path: Path) -> tuple[str, int, bytes, Opening]:
    """Read an opening file; return its pool, sequence, root commitment and the opening."""
    fields = _Fields(path, _load(path))
    fields.format(OPENING_FORMAT)
    return (
        fields.text("pool"),
        fields.count("sequence"),
        fields.digest("root_commitment"),
        fields.opening(fields.document),
    )


def read_proof(path: Path) -> InclusionProof:
    """Read and shape-check an inclusion-proof file."""
    fields = _Fields(path, _load(path))
    fields.format(PROOF_FORMAT)
    steps = fields.document.get("path")
    if not isinstance(steps, list) or not all(isinstance(step, dict) for step in steps):
        raise fields.fail("path", "a list of {commitment, hash, range_proof} objects")
    claims = fields.table("claims")
    return InclusionProof(
        pool=fields.text("pool"),
        sequence=fields.count("sequence"),
        height=fields.count("height"),
        account=fields.text("account"),
        liability_atoms=fields.amount("liability_atoms"),
        claims_atoms={name: fields.amount(name, claims) for name in claims},
        position=fields.amount("position"),
        salt=fields.digest("salt"),
        blinding=fields.digest("blinding"),
        range_bits=fields.count("range_bits"),
        path=tuple(
            PathStep(fields.digest("commitment", step), fields.digest("hash", step), fields.blob("range_proof", step))
            for step in steps
        ),
    )
