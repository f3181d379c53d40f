r"""Ed25519 identities of principals: files that hold a name and its private key, and signatures.

A principal (a trader, keeper, oracle feeder, governor, the venue's admin) is a name the
core knows (``LedgerState.principals``: name → public key) and a private key only its
operator holds. This adapter creates, loads and uses that key; the core never sees it.

An **identity file** is UTF-8 JSON, one object with exactly these members::

    {
      "format": "ringfence-identity/1",
      "name": "carol",
      "public_key_hex": "<64 hex digits: the raw 32-byte Ed25519 public key>",
      "private_key_pem": "-----BEGIN PRIVATE KEY-----\n...\n-----END PRIVATE KEY-----\n"
    }

``private_key_pem`` is the Ed25519 private key as unencrypted PEM PKCS#8 (RFC 8410), so
``openssl pkey -in`` reads it once extracted; ``public_key_hex`` is its public key in the
raw encoding the core registers (RFC 8032 §5.1.5), kept beside it so the key a file will
sign with can be shown without reading the secret, and checked against it on every load.
The name is the principal's; the file's own name (by default ``NAME.identity``) carries no
meaning. Like an SSH private key, the file is protected by its permissions alone: it is
created with mode 0600 (never over an existing file) and a file readable or writable by
the group or others is refused on load, not used.

Errors are :class:`IdentityError` (an :class:`~ringfence.core.errors.InvalidCommand`: the
CLI exits 2), naming the file and what is wrong with it.
"""

from __future__ import annotations

import json
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from ringfence.core.errors import InvalidCommand, InvalidParameter
from ringfence.core.validation import check_name
from ringfence.store.keys import sync_directory

__all__ = [
    "IDENTITY_FORMAT",
    "IDENTITY_SUFFIX",
    "PUBLIC_KEY_HEX_DIGITS",
    "Identity",
    "IdentityError",
    "create_identity_file",
    "default_identity_path",
    "load_identity_directory",
    "load_identity_file",
    "public_key_from_hex",
    "verify_signature",
]

IDENTITY_FORMAT = "ringfence-identity/1"
IDENTITY_SUFFIX = ".identity"
PUBLIC_KEY_HEX_DIGITS = 64
_SIGNATURE_BYTES = 64
_MEMBERS = frozenset({"format", "name", "public_key_hex", "private_key_pem"})
_MAX_FILE_BYTES = 64 * 1024  # a real identity file is ~300 bytes; refuse to parse anything huge


class IdentityError(InvalidCommand):
    """An identity file is missing, unreadable, too widely readable, malformed, or not the expected principal's."""

    code = "identity_error"

    def __init__(self, source: str, reason: str) -> None:
        super().__init__(f"identity {source}: {reason}")
        self.source = source
        self.reason = reason


@dataclass(frozen=True, slots=True, eq=False)
class Identity:
    """A principal's name and Ed25519 private key, and where it was loaded from (the key is never printed)."""

    name: str
    private_key: Ed25519PrivateKey = field(repr=False)
    source: str = "in memory"

    @classmethod
    def generate(cls, name: str, source: str = "in memory") -> Identity:
        """Return a fresh identity for ``name`` with a new random key.

        Raises
        ------
        InvalidParameter
            If ``name`` is not a valid principal name (the core's name rule).
        """
        check_name("name", name)
        return cls(name, Ed25519PrivateKey.generate(), source)

    @property
    def public_key_hex(self) -> str:
        """Return the raw 32-byte public key as 64 lowercase hex digits (the form the core registers)."""
        raw = self.private_key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        return raw.hex()

    def sign(self, message: bytes) -> str:
        """Return the Ed25519 signature of ``message`` as 128 hex digits."""
        return self.private_key.sign(message).hex()


def public_key_from_hex(public_key_hex: str) -> Ed25519PublicKey:
    """Parse a raw Ed25519 public key written as 64 hex digits.

    Raises
    ------
    InvalidParameter
        If the text is not 64 hex digits.
    """
    try:
        raw = bytes.fromhex(public_key_hex) if isinstance(public_key_hex, str) else b""
    except ValueError:
        raw = b""
    if len(raw) * 2 != PUBLIC_KEY_HEX_DIGITS or len(public_key_hex) != PUBLIC_KEY_HEX_DIGITS:
        raise InvalidParameter("public_key_hex", public_key_hex, "64 hex digits (a raw Ed25519 public key)")
    return Ed25519PublicKey.from_public_bytes(raw)


def verify_signature(public_key_hex: str, message: bytes, signature_hex: str) -> bool:
    """Return whether ``signature_hex`` is a valid Ed25519 signature of ``message`` under the public key.

    A malformed signature is simply not valid (``False``); a malformed public key raises.

    Raises
    ------
    InvalidParameter
        If ``public_key_hex`` is not 64 hex digits.
    """
    public_key = public_key_from_hex(public_key_hex)
    try:
        signature = bytes.fromhex(signature_hex)
    except (TypeError, ValueError):
        return False
    if len(signature) != _SIGNATURE_BYTES:
        return False
    try:
        public_key.verify(signature, message)
    except InvalidSignature:
        return False
    return True


def default_identity_path(name: str, directory: Path | None = None) -> Path:
    """Return ``DIRECTORY/NAME.identity`` (the current directory by default)."""
    return (directory if directory is not None else Path()) / f"{name}{IDENTITY_SUFFIX}"


def _document(identity: Identity) -> bytes:
    pem = identity.private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode("ascii")
    members = {
        "format": IDENTITY_FORMAT,
        "name": identity.name,
        "public_key_hex": identity.public_key_hex,
        "private_key_pem": pem,
    }
    return (json.dumps(members, indent=2) + "\n").encode("utf-8")


def create_identity_file(path: Path, name: str) -> Identity:
    """Create ``path`` holding a new identity for ``name`` with mode 0600, and return it.

    The document is written to a temporary file (mode 0600) beside ``path`` and fsynced, then
    hard-linked to ``path``, which fails if ``path`` exists: an existing file is never
    overwritten, and ``path`` either holds the whole identity or does not exist.

    Raises
    ------
    InvalidParameter
        If ``name`` is not a valid principal name.
    IdentityError
        If ``path`` exists already or cannot be created.
    """
    identity = Identity.generate(name, str(path))
    if path.exists() or path.is_symlink():
        raise IdentityError(str(path), "the file exists already; an identity is never overwritten")
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError as error:
        raise IdentityError(str(path), f"cannot create it: {error.strerror}") from None
    try:
        try:
            os.write(descriptor, _document(identity))
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
        os.link(temporary, path)
    except FileExistsError:
        raise IdentityError(str(path), "the file exists already; an identity is never overwritten") from None
    except OSError as error:
        raise IdentityError(str(path), f"cannot create it: {error.strerror}") from None
    finally:
        temporary.unlink(missing_ok=True)
    sync_directory(path.parent)
    return identity


def _read_private(path: Path) -> str:
    """Return the file's text after checking it is a regular file only its owner can read or write."""
    source = str(path)
    try:
        status = path.stat()
    except FileNotFoundError:
        raise IdentityError(source, "no such file (create one with `ringfence identity new NAME`)") from None
    except OSError as error:
        raise IdentityError(source, f"cannot read it: {error.strerror}") from None
    if not stat.S_ISREG(status.st_mode):
        raise IdentityError(source, "not a regular file")
    if os.name == "posix" and status.st_mode & 0o077:
        mode = stat.S_IMODE(status.st_mode)
        raise IdentityError(source, f"accessible by group or others (mode {mode:04o}); run chmod 600 on it")
    if status.st_size > _MAX_FILE_BYTES:
        raise IdentityError(source, f"{status.st_size} bytes is not an identity file (at most {_MAX_FILE_BYTES})")
    try:
        return path.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        raise IdentityError(source, "not UTF-8 text") from None
    except OSError as error:
        raise IdentityError(source, f"cannot read it: {error.strerror}") from None


def _members(source: str, text: str) -> dict[str, str]:
    """Return the document's four string members, or name what is wrong with it."""
    try:
        document: Any = json.loads(text)
    except json.JSONDecodeError as error:
        raise IdentityError(source, f"not JSON ({error.msg} at line {error.lineno})") from None
    if not isinstance(document, dict) or set(document) != _MEMBERS:
        raise IdentityError(source, f"expected one JSON object with exactly the members {', '.join(sorted(_MEMBERS))}")
    if document["format"] != IDENTITY_FORMAT:
        raise IdentityError(source, f"format {document['format']!r} is not {IDENTITY_FORMAT!r}")
    if not all(isinstance(value, str) for value in document.values()):
        raise IdentityError(source, "every member must be a string")
    return dict(document)


def _private_key(source: str, pem: str) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(pem.encode("utf-8"), password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise IdentityError(source, "private_key_pem is not an unencrypted PEM PKCS#8 private key") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise IdentityError(source, f"private_key_pem holds a {type(key).__name__}, not an Ed25519 key")
    return key


def load_identity_file(path: Path, expected_name: str | None = None) -> Identity:
    """Load and check an identity file (see the module docstring for its format).

    Parameters
    ----------
    path
        The identity file.
    expected_name
        If given, the principal the file must belong to.

    Raises
    ------
    IdentityError
        If the file is missing, not a regular file, accessible by group or others, not a
        well-formed identity document, its public key does not match its private key, its
        name is not a valid principal name, or it is not ``expected_name``'s.
    """
    source = str(path)
    members = _members(source, _read_private(path))
    name = members["name"]
    try:
        check_name("name", name)
    except InvalidParameter as error:
        raise IdentityError(source, f"its name is invalid: {error.message}") from None
    identity = Identity(name, _private_key(source, members["private_key_pem"]), source)
    if members["public_key_hex"] != identity.public_key_hex:
        raise IdentityError(source, "public_key_hex is not the public key of private_key_pem (the file was altered)")
    if expected_name is not None and name != expected_name:
        raise IdentityError(source, f"it is {name!r}'s identity, not {expected_name!r}'s")
    return identity


def load_identity_directory(directory: Path) -> dict[str, Identity]:
    """Load every ``*.identity`` file of ``directory`` (not recursively), keyed by principal name.

    Raises
    ------
    IdentityError
        If ``directory`` is not a directory, any of its identity files fails
        :func:`load_identity_file`, or two files hold the same principal's identity.
    """
    if not directory.is_dir():
        raise IdentityError(str(directory), "not a directory")
    identities: dict[str, Identity] = {}
    for path in sorted(directory.glob(f"*{IDENTITY_SUFFIX}")):
        identity = load_identity_file(path)
        if identity.name in identities:
            other = identities[identity.name].source
            raise IdentityError(str(path), f"a second identity for {identity.name!r} (the first is {other})")
        identities[identity.name] = identity
    return identities
