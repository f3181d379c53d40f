"""Errors the HTTP adapter adds to the tree, and how every error of the tree maps to a status.

::

    RingfenceError
    ├── CommandRejected
    │   └── NotAuthenticated            (service.authentication)
    │       └── TokenRejected           a missing, malformed, expired or wrongly signed bearer token
    └── RateLimited                     a principal (or an anonymous client) past its request budget

The response body of any error is an RFC 9457 problem (``application/problem+json``) whose
``error`` member is the name of the error class of the core's tree (``core/errors.py``) or of an
adapter's (``NotAuthenticated``, ``RateLimited``); a subclass private to this adapter is named by
its public parent (``TokenRejected`` is reported as ``NotAuthenticated``).

=======================================  ======
error                                    status
=======================================  ======
NotAuthenticated                         401
Unauthorized, ActingAsAnother            403
UnknownEntity (a query's resource)       404
UnknownEntity (in a command)             422
InvalidCommand and the rest of it        422
CommandRejected and the rest of it       409
RateLimited                              429
JournalError                             503
InvariantViolation, anything unexpected  500 (no traceback, ever)
=======================================  ======
"""

from __future__ import annotations

from ringfence.core.errors import (
    CommandRejected,
    InvalidCommand,
    InvariantViolation,
    JournalError,
    RingfenceError,
    Unauthorized,
)
from ringfence.service.authentication import NotAuthenticated

__all__ = ["RateLimited", "TokenRejected", "public_name", "status_for"]


class TokenRejected(NotAuthenticated):
    """The request's bearer token is missing, malformed, expired, for another venue, or not signed by the key."""

    code = "not_authenticated"

    def __init__(self, reason: str, principal: str | None = None) -> None:
        CommandRejected.__init__(self, f"not authenticated: {reason}")
        self.reason = reason
        self.missing = ()
        self.mismatched = {}
        self.principals = (principal,) if principal is not None else ()


class RateLimited(RingfenceError):
    """A principal (or an anonymous client address) sent more requests than its token bucket allows."""

    code = "rate_limited"

    def __init__(self, who: str, retry_after_s: float, rate_per_s: float, burst: int) -> None:
        super().__init__(
            f"{who} is over its rate limit ({rate_per_s:g} requests/s, bursts of {burst}); "
            f"retry after {retry_after_s:.3f} s"
        )
        self.who = who
        self.retry_after_s = retry_after_s


_STATUS: tuple[tuple[type[RingfenceError], int], ...] = (
    (NotAuthenticated, 401),
    (Unauthorized, 403),
    (InvalidCommand, 422),
    (CommandRejected, 409),
    (RateLimited, 429),
    (JournalError, 503),
    (InvariantViolation, 500),
)


def status_for(error: RingfenceError) -> int:
    """Return the HTTP status of an error of the tree (the table in the module docstring)."""
    for error_type, status in _STATUS:
        if isinstance(error, error_type):
            return status
    return 500


def public_name(error: RingfenceError) -> str:
    """Return the name a client matches on: the error's class, ``NotAuthenticated`` for a rejected token."""
    return "NotAuthenticated" if isinstance(error, TokenRejected) else type(error).__name__
