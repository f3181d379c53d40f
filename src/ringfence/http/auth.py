"""Authentication of a request's principal: a bearer JWT verified against the key the venue registered.

See :mod:`ringfence.http.tokens` for the token. The service checks, in order: a
``Authorization: Bearer`` header; a compact JWS whose header says ``alg: EdDSA``; a ``sub`` naming a
principal the journal registered (``RegisterPrincipal``); a signature valid under that principal's
registered public key; ``aud`` equal to the venue's audience; ``exp`` in the future and ``iat`` not in
the future (both with :data:`~ringfence.http.tokens.LEEWAY_S` of skew); a lifetime ``exp - iat`` of
at most :data:`~ringfence.http.tokens.MAX_LIFETIME_S`. Any failure is
:class:`~ringfence.http.errors.TokenRejected` (401, reported as ``NotAuthenticated``), whose message
says which check failed, never what the key is.

Authentication only names the sender. Whether that sender may send a command (its roles, its
ownership of a sub-account, its feeder's seat) is the core's decision (``core/authority.py``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

import jwt

from ringfence.http.errors import TokenRejected
from ringfence.http.tokens import ALGORITHM, LEEWAY_S, MAX_LIFETIME_S
from ringfence.service.identity import public_key_from_hex

__all__ = ["Authenticator", "bearer_token"]

_CACHE_LIMIT = 65_536


def bearer_token(authorization: str | None) -> str:
    """Return the token of an ``Authorization: Bearer <token>`` header.

    Raises
    ------
    TokenRejected
        If the header is missing or not a bearer token.
    """
    if authorization is None:
        raise TokenRejected("no Authorization header (send `Authorization: Bearer <JWT>`)")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise TokenRejected("the Authorization header is not `Bearer <JWT>`")
    return token.strip()


class Authenticator:
    """Verifies bearer tokens for one venue; remembers verified tokens until they expire.

    Parameters
    ----------
    audience:
        The venue's audience, required in every token's ``aud``.
    now_s:
        The wall clock, seconds since the epoch (a parameter for tests of expiry).
    """

    def __init__(self, audience: str, now_s: Callable[[], float] = time.time) -> None:
        self.audience = audience
        self._now_s = now_s
        self._verified: dict[str, tuple[str, float]] = {}

    def principal(self, token: str, registry: Mapping[str, str]) -> str:
        """Return the principal a token proves, checked against ``registry`` (name → public key hex).

        Raises
        ------
        TokenRejected
            If any check of the module docstring fails.
        """
        now = self._now_s()
        known = self._verified.get(token)
        if known is not None and known[1] + LEEWAY_S > now:
            return known[0]
        name = _unverified_subject(token)
        registered = registry.get(name)
        if registered is None:
            raise TokenRejected(f"{name!r} is not a registered principal (register with POST /v1/principals)", name)
        claims = self.verify(token, registered, name)
        if len(self._verified) >= _CACHE_LIMIT:
            self._verified.clear()
        self._verified[token] = (name, float(claims["exp"]))
        return name

    def verify(self, token: str, public_key_hex: str, name: str) -> dict[str, Any]:
        """Verify ``token`` was signed by ``public_key_hex`` for ``name`` at this venue, now; return its claims.

        Raises
        ------
        TokenRejected
            If the signature, audience, subject, times or lifetime are wrong.
        """
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                public_key_from_hex(public_key_hex),
                algorithms=[ALGORITHM],
                audience=self.audience,
                leeway=LEEWAY_S,
                options={"require": ["sub", "aud", "iat", "exp"], "verify_iat": False},
            )
        except jwt.ExpiredSignatureError:
            raise TokenRejected("the token has expired (mint a new one)", name) from None
        except jwt.InvalidAudienceError:
            raise TokenRejected(f"the token is not for this venue (aud must be {self.audience!r})", name) from None
        except jwt.InvalidSignatureError:
            raise TokenRejected(f"the token is not signed by the key registered for {name!r}", name) from None
        except jwt.PyJWTError as error:
            raise TokenRejected(f"the token is invalid: {error}", name) from None
        _check_times(claims, self._now_s(), name)
        if claims["sub"] != name:
            raise TokenRejected("the token's subject changed", name)
        return claims


def _check_times(claims: Mapping[str, Any], now: float, name: str) -> None:
    issued, expires = claims["iat"], claims["exp"]
    if not isinstance(issued, int | float) or not isinstance(expires, int | float):
        raise TokenRejected("iat and exp must be numbers (seconds since the epoch)", name)
    if issued > now + LEEWAY_S:
        raise TokenRejected("the token was issued in the future (check the client's clock)", name)
    if expires - issued > MAX_LIFETIME_S:
        raise TokenRejected(f"the token lives {expires - issued:g} s; at most {MAX_LIFETIME_S} s is accepted", name)


def _unverified_subject(token: str) -> str:
    try:
        header = jwt.get_unverified_header(token)
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        raise TokenRejected("the bearer token is not a JWT") from None
    if header.get("alg") != ALGORITHM:
        raise TokenRejected(f"the token's alg must be {ALGORITHM}")
    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject:
        raise TokenRejected("the token has no subject (sub: the principal's name)")
    return subject
