"""Authenticate the senders of a batch of commands with identity files, against the journal's registry.

The core trusts the sender its adapter hands it (:class:`~ringfence.core.commands.Sent`); this
module is how a local adapter (the CLI) earns that trust. Before anything is appended, every
principal that will send a command must be proven by a loaded identity
(:mod:`ringfence.service.identity`):

- a principal the journal has registered (``LedgerState.principals``: name → public key) is
  authenticated by an identity of that name whose key signs a challenge that verifies under
  the **registered** public key (a different key is refused, never re-registered);
- a principal not registered yet is registered first: :func:`authenticate` returns a
  ``RegisterPrincipal`` for it, sent by itself, carrying its identity's public key, for the
  caller to put ahead of its commands (a name registers once; later runs check against it).

A sender without a loaded identity, or whose identity's key is not the registered one, raises
:class:`NotAuthenticated` (a :class:`~ringfence.core.errors.CommandRejected`: the CLI exits 3),
naming every such sender at once; nothing is registered or executed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ringfence.core.commands import RegisterPrincipal, Sent
from ringfence.core.errors import CommandRejected
from ringfence.service.identity import (
    Identity,
    IdentityError,
    load_identity_directory,
    load_identity_file,
    verify_signature,
)

__all__ = ["Keyring", "NotAuthenticated", "authenticate", "challenge"]

_CHALLENGE_DOMAIN = b"ringfence sender authentication\x00"


class NotAuthenticated(CommandRejected):
    """A sender has no loaded identity, or its identity's key is not the one the journal registered for it.

    ``missing`` names the senders without an identity; ``mismatched`` maps each sender whose
    identity holds another key to what was found; ``principals`` lists both.
    """

    code = "not_authenticated"

    def __init__(self, missing: Sequence[str], mismatched: Mapping[str, str]) -> None:
        parts = []
        if missing:
            names = ", ".join(repr(name) for name in missing)
            parts.append(
                f"no identity file was given for {names} (give --identity PATH or --identity-dir DIR; "
                "`ringfence identity new NAME` creates one)"
            )
        parts.extend(f"{name!r}: {reason}" for name, reason in mismatched.items())
        super().__init__("senders not authenticated, nothing was executed: " + "; ".join(parts))
        self.missing = tuple(missing)
        self.mismatched = dict(mismatched)
        self.principals = (*self.missing, *self.mismatched)


@dataclass(frozen=True, slots=True)
class Keyring:
    """The identities an operator loaded, by principal name."""

    identities: Mapping[str, Identity] = field(default_factory=dict)

    @classmethod
    def load(cls, files: Sequence[Path] = (), directories: Sequence[Path] = ()) -> Keyring:
        """Load identity files and every ``*.identity`` file of some folders.

        Raises
        ------
        IdentityError
            If any file fails to load, or two files hold different keys for one principal.
        """
        found: dict[str, Identity] = {}
        loaded = [identity for directory in directories for identity in load_identity_directory(directory).values()]
        loaded.extend(load_identity_file(path) for path in files)
        for identity in loaded:
            known = found.setdefault(identity.name, identity)
            if known.public_key_hex != identity.public_key_hex:
                raise IdentityError(
                    identity.source, f"a second, different key for {identity.name!r} (the first is {known.source})"
                )
        return cls(found)


def challenge(name: str, public_key_hex: str) -> bytes:
    """Return the message an identity signs to prove it holds the key registered for ``name``."""
    return _CHALLENGE_DOMAIN + f"{name}\x00{public_key_hex}".encode()


def _mismatch(name: str, identity: Identity, registered_hex: str) -> str | None:
    """Return why ``identity`` does not prove the key registered for ``name``, or ``None`` if it does."""
    message = challenge(name, registered_hex)
    if verify_signature(registered_hex, message, identity.sign(message)):
        return None
    return (
        f"the identity {identity.source} holds public key {identity.public_key_hex[:16]}…, but the journal "
        f"registered {registered_hex[:16]}… for it (a name registers once, with one key)"
    )


def authenticate(principals: Mapping[str, str], first_sends: Mapping[str, int], keyring: Keyring) -> tuple[Sent, ...]:
    """Authenticate every sender and return the registrations the unregistered ones need, in the mapping's order.

    Parameters
    ----------
    principals
        The journal's registry (``LedgerState.principals``): name → public key hex.
    first_sends
        Every principal that will send a command → the time (ns) of its first command, which
        stamps its ``RegisterPrincipal``.
    keyring
        The loaded identities.

    Raises
    ------
    NotAuthenticated
        Naming every sender without an identity or whose identity's key is not the registered one.
    """
    registrations: list[Sent] = []
    missing: list[str] = []
    mismatched: dict[str, str] = {}
    for name, first_ns in first_sends.items():
        identity = keyring.identities.get(name)
        registered_hex = principals.get(name)
        if identity is None:
            missing.append(name)
        elif registered_hex is None:
            registrations.append(Sent(name, RegisterPrincipal(name, identity.public_key_hex, first_ns)))
        else:
            reason = _mismatch(name, identity, registered_hex.lower())
            if reason is not None:
                mismatched[name] = reason
    if missing or mismatched:
        raise NotAuthenticated(missing, mismatched)
    return tuple(registrations)
