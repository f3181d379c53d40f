"""The journal's key: where it comes from, how it is created, and its public identifier.

A journal's hash chain is an HMAC-SHA256 under a 32-byte secret key, so only a holder of
the key can write entries (or rebuild the chain) that verify. The key is found, in order:

1. an explicit key file (the CLI's ``--key-file PATH``, or ``key_file=`` in the library);
2. the file named by the environment variable ``RINGFENCE_JOURNAL_KEY_FILE``;
3. ``<journal>.key`` beside the journal, created with the journal (mode 0600).

A key file holds the key as 64 hex digits and a newline. It must not be readable by the
group or others (like an SSH private key): a looser file is refused, not used. Its
``key_id`` (a hash of the key, safe to print) is stored in the journal and the head so a
wrong key is named as such instead of looking like tampering.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import stat
from dataclasses import dataclass, field
from pathlib import Path

from ringfence.core.errors import JournalKeyError

__all__ = [
    "KEY_BYTES",
    "KEY_FILE_ENV",
    "JournalKey",
    "create_key_file",
    "default_key_path",
    "load_key_file",
    "resolve_key_path",
    "sync_directory",
]

KEY_BYTES = 32
KEY_FILE_ENV = "RINGFENCE_JOURNAL_KEY_FILE"
_KEY_ID_DOMAIN = b"ringfence journal key id\x00"
_KEY_ID_HEX_DIGITS = 16


@dataclass(frozen=True, slots=True)
class JournalKey:
    """A journal's secret key and where it came from (for messages; never the key itself)."""

    secret: bytes = field(repr=False)
    source: str = "in memory"

    @property
    def key_id(self) -> str:
        """Return a short public identifier of the key (safe to print and store)."""
        return hashlib.sha256(_KEY_ID_DOMAIN + self.secret).hexdigest()[:_KEY_ID_HEX_DIGITS]

    @classmethod
    def generate(cls, source: str = "in memory") -> JournalKey:
        """Return a fresh random key."""
        return cls(secrets.token_bytes(KEY_BYTES), source)


def default_key_path(journal_path: Path) -> Path:
    """Return ``<journal>.key``, the key file created beside a journal."""
    return journal_path.with_name(journal_path.name + ".key")


def resolve_key_path(journal_path: Path, key_file: Path | None = None) -> Path:
    """Return the key file to use: explicit, else ``$RINGFENCE_JOURNAL_KEY_FILE``, else beside the journal."""
    if key_file is not None:
        return key_file
    from_environment = os.environ.get(KEY_FILE_ENV)
    if from_environment:
        return Path(from_environment)
    return default_key_path(journal_path)


def load_key_file(path: Path) -> JournalKey:
    """Read a key file.

    Raises
    ------
    JournalKeyError
        If the file is missing, unreadable, readable by group or others, or not 64 hex digits.
    """
    try:
        status = path.stat()
        text = path.read_text(encoding="ascii")
    except FileNotFoundError:
        raise JournalKeyError(str(path), "no such key file (give --key-file or set " + KEY_FILE_ENV + ")") from None
    except (OSError, UnicodeDecodeError) as error:
        raise JournalKeyError(str(path), f"cannot read it: {error}") from None
    if not stat.S_ISREG(status.st_mode):
        raise JournalKeyError(str(path), "not a regular file")
    if os.name == "posix" and status.st_mode & 0o077:
        mode = stat.S_IMODE(status.st_mode)
        raise JournalKeyError(str(path), f"readable by group or others (mode {mode:04o}); run chmod 600 on it")
    digits = text.strip()
    try:
        secret = bytes.fromhex(digits)
    except ValueError:
        secret = b""
    if len(secret) != KEY_BYTES:
        raise JournalKeyError(str(path), f"expected {2 * KEY_BYTES} hex digits")
    return JournalKey(secret, str(path))


def sync_directory(path: Path) -> None:
    """Fsync a directory so a file created or renamed in it survives a power loss."""
    if os.name != "posix":
        return
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def create_key_file(path: Path) -> JournalKey:
    """Create a new key file durably with mode 0600 and return its key; an existing file is loaded instead.

    The key is written to a temporary file, fsynced, then linked to ``path`` (which fails if
    another process created it first) and the folder is fsynced: a key file either exists
    whole or not at all, before any entry is signed with it.
    """
    key = JournalKey.generate(str(path))
    temporary = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    except OSError as error:
        raise JournalKeyError(str(path), f"cannot create it: {error.strerror}") from None
    try:
        os.write(descriptor, (key.secret.hex() + "\n").encode("ascii"))
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
    try:
        os.link(temporary, path)
    except FileExistsError:
        return load_key_file(path)
    finally:
        temporary.unlink(missing_ok=True)
    sync_directory(path.parent)
    return key
