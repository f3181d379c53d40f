"""Checks shared by every governance decider: governance exists, the actor holds a role, template bounds."""

from __future__ import annotations

from ringfence.core.errors import CommandRejected, InvalidParameter, Unauthorized
from ringfence.core.governance.state import GovernanceState, Role, TemplateBounds
from ringfence.core.pool.state import PoolState
from ringfence.core.state import LedgerState
from ringfence.core.validation import check_name

__all__ = [
    "MAX_REASON_CHARS",
    "check_reason",
    "governance_of",
    "pool_template_bounds",
    "require_role",
    "template_label",
]

MAX_REASON_CHARS = 200


def governance_of(state: LedgerState) -> GovernanceState:
    """Return the venue's governance, or refuse: it must be bootstrapped first."""
    if state.governance is None:
        raise CommandRejected("governance is not configured; bootstrap it once with ConfigureGovernance")
    return state.governance


def require_role(governance: GovernanceState, actor: str, roles: tuple[Role, ...], action: str) -> None:
    """Refuse with :class:`Unauthorized` unless ``actor`` holds one of ``roles``."""
    check_name("actor", actor)
    if not any(governance.holds(actor, role) for role in roles):
        raise Unauthorized(actor, tuple(role.value for role in roles), action)


def template_label(template: str, version: int) -> str:
    """Return ``"perp v2"``."""
    return f"{template} v{version}"


def pool_template_bounds(governance: GovernanceState | None, pool: PoolState) -> TemplateBounds | None:
    """Return the bounds of the pool's template version, or ``None`` if it is not registered."""
    if governance is None:
        return None
    return governance.templates.get((pool.template, pool.template_version))


def check_reason(field: str, reason: str) -> None:
    """Accept 1 to ``MAX_REASON_CHARS`` printable characters."""
    if not isinstance(reason, str) or not 0 < len(reason) <= MAX_REASON_CHARS or not reason.isprintable():
        raise InvalidParameter(field, reason, f"1 to {MAX_REASON_CHARS} printable characters")
