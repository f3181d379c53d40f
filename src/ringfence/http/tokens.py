"""Bearer tokens: a JWT (RFC 7519) signed with EdDSA by a principal's Ed25519 identity.

A client proves it is a principal by signing a short-lived token with the private key of its
identity file (:mod:`ringfence.service.identity`); the service verifies it against the public
key the venue's journal registered for that name (``RegisterPrincipal``). The token is a
compact JWS with header ``{"alg": "EdDSA", "typ": "JWT"}`` (RFC 8037) and the claims:

``sub``
    The principal's name: the sender every command of the request is sent by.
``aud``
    The venue's audience (``GET /v1/venue`` publishes it), so a token minted for one venue
    is refused by another.
``iat``, ``exp``
    Issue and expiry times (seconds since the epoch); the service refuses a lifetime longer
    than :data:`MAX_LIFETIME_S` and allows :data:`LEEWAY_S` of clock skew.

The private key never leaves the client; the service stores nothing but the registry.
"""

from __future__ import annotations

import time

import jwt

from ringfence.service.identity import Identity

__all__ = ["ALGORITHM", "DEFAULT_LIFETIME_S", "LEEWAY_S", "MAX_LIFETIME_S", "mint_token"]

ALGORITHM = "EdDSA"
MAX_LIFETIME_S = 300
"""The longest lifetime (``exp - iat``) the service accepts: five minutes, so a leaked token expires soon."""
DEFAULT_LIFETIME_S = 120
LEEWAY_S = 30
"""Clock skew tolerated on ``iat`` and ``exp`` between client and service."""


def mint_token(
    identity: Identity, audience: str, *, lifetime_s: int = DEFAULT_LIFETIME_S, now_s: int | None = None
) -> str:
    """Return a bearer token for ``identity`` valid at ``audience`` for ``lifetime_s`` seconds from ``now_s``."""
    issued = int(time.time()) if now_s is None else now_s
    claims = {"sub": identity.name, "aud": audience, "iat": issued, "exp": issued + lifetime_s}
    return jwt.encode(claims, identity.private_key, algorithm=ALGORITHM)
