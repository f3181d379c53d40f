"""``decide`` for governance: bootstrap, roles, templates, the guardian's pause, and the governed factory.

Every governance command names its actor and is refused with
:class:`~ringfence.core.errors.Unauthorized` (changing nothing) unless the actor holds the
role it needs. Proposals live in :mod:`ringfence.core.governance.proposals`.

Once governance exists, the factory is governed too: ``CreatePool`` accepts only a
registered template version whose ``pool.*`` bounds the parameters satisfy, and
``AddMarket`` checks the pool's template ``market.*`` bounds. Before the bootstrap both
behave exactly as the ungoverned factory.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ringfence.core.errors import CommandRejected, DuplicateEntity, InvalidParameter, UnknownEntity
from ringfence.core.events import Event
from ringfence.core.governance.access import (
    check_reason,
    governance_of,
    pool_template_bounds,
    require_role,
    template_label,
)
from ringfence.core.governance.commands import (
    CancelProposal,
    ConfigureGovernance,
    GrantRole,
    PausePool,
    ProposeParameterChange,
    ProposeResumePool,
    ProposeTemplateUpgrade,
    RegisterTemplate,
    RevokeRole,
    UpdateRiskMargin,
)
from ringfence.core.governance.events import GovernanceConfigured, RoleGranted, RoleRevoked, TemplateRegistered
from ringfence.core.governance.params import check_within_bounds, require_integer_path
from ringfence.core.governance.proposals import (
    MAX_TEMPLATE_VERSION,
    decide_cancel_proposal,
    decide_propose_parameter_change,
    decide_propose_resume_pool,
    decide_propose_template_upgrade,
)
from ringfence.core.governance.risk_margin import decide_update_risk_margin
from ringfence.core.governance.state import MARKET_SCOPE, POOL_SCOPE, ParameterBound, Role
from ringfence.core.pool.commands import AddMarket, CreatePool
from ringfence.core.pool.decide import decide_add_market, decide_create_pool, pool_of
from ringfence.core.pool.events import PoolStatusChanged
from ringfence.core.pool.state import MarketParams, PoolParams, PoolStatus
from ringfence.core.state import LedgerState
from ringfence.core.units import MAX_ATOMS, WAD
from ringfence.core.validation import check_int, check_name, check_ratio

__all__ = ["GOVERNANCE_DECIDERS", "MAX_TIMELOCK_NS", "decide_governed_add_market", "decide_governed_create_pool"]

MAX_TIMELOCK_NS = 365 * 86_400 * 10**9
"""Longest timelock and longest grace period accepted: one year."""
_SCOPES: dict[str, type[Any]] = {POOL_SCOPE: PoolParams, MARKET_SCOPE: MarketParams}


def _decide_configure(state: LedgerState, command: ConfigureGovernance) -> list[Event]:
    if state.governance is not None:
        raise CommandRejected("governance is already configured; it is bootstrapped once (roles change by GrantRole)")
    if state.assets or state.pools or state.accounts:
        raise CommandRejected(
            "this venue was set up without governance (a journal from before authority); its admin is fixed "
            "by ConfigureGovernance as the first command of a new venue only"
        )
    check_name("admin", command.admin)
    check_int("timelock_ns", command.timelock_ns, 1, MAX_TIMELOCK_NS)
    check_int("grace_period_ns", command.grace_period_ns, 1, MAX_TIMELOCK_NS)
    check_ratio("max_step_wad", command.max_step_wad, 1, WAD)
    return [
        GovernanceConfigured(
            admin=command.admin,
            timelock_ns=command.timelock_ns,
            grace_period_ns=command.grace_period_ns,
            max_step_wad=command.max_step_wad,
            timestamp_ns=command.timestamp_ns,
        ),
        RoleGranted(actor=command.admin, role=Role.ADMIN, principal=command.admin, timestamp_ns=command.timestamp_ns),
    ]


def _decide_grant(state: LedgerState, command: GrantRole) -> list[Event]:
    governance = governance_of(state)
    require_role(governance, command.actor, (Role.ADMIN,), "grant a role")
    check_name("principal", command.principal)
    if governance.holds(command.principal, command.role):
        raise CommandRejected(f"{command.principal!r} already holds the {command.role.value} role")
    return [
        RoleGranted(
            actor=command.actor, role=command.role, principal=command.principal, timestamp_ns=command.timestamp_ns
        )
    ]


def _decide_revoke(state: LedgerState, command: RevokeRole) -> list[Event]:
    governance = governance_of(state)
    require_role(governance, command.actor, (Role.ADMIN,), "revoke a role")
    check_name("principal", command.principal)
    holders = governance.holders.get(command.role, set())
    if command.principal not in holders:
        raise CommandRejected(f"{command.principal!r} does not hold the {command.role.value} role")
    if command.role is Role.ADMIN and len(holders) == 1:
        raise CommandRejected(f"{command.principal!r} is the last admin; grant the admin role to another first")
    return [
        RoleRevoked(
            actor=command.actor, role=command.role, principal=command.principal, timestamp_ns=command.timestamp_ns
        )
    ]


def _check_bound(bound: ParameterBound, seen: set[str]) -> None:
    if not isinstance(bound.path, str) or bound.path in seen:
        raise InvalidParameter("bounds", bound.path, "each path at most once")
    scope, _, path = bound.path.partition(".")
    params_type = _SCOPES.get(scope)
    if params_type is None:
        raise InvalidParameter("bounds", bound.path, f"a path starting {POOL_SCOPE}. or {MARKET_SCOPE}.")
    require_integer_path(params_type, path, "bounds")
    check_int("bounds.minimum", bound.minimum, -MAX_ATOMS, MAX_ATOMS)
    check_int("bounds.maximum", bound.maximum, bound.minimum, MAX_ATOMS)
    seen.add(bound.path)


def _decide_register_template(state: LedgerState, command: RegisterTemplate) -> list[Event]:
    governance = governance_of(state)
    require_role(governance, command.actor, (Role.ADMIN,), "register a template")
    check_name("template", command.template)
    check_int("version", command.version, 1, MAX_TEMPLATE_VERSION)
    if (command.template, command.version) in governance.templates:
        raise DuplicateEntity("template version", template_label(command.template, command.version))
    seen: set[str] = set()
    for bound in command.bounds:
        _check_bound(bound, seen)
    return [
        TemplateRegistered(
            actor=command.actor,
            template=command.template,
            version=command.version,
            bound_paths=tuple(bound.path for bound in command.bounds),
            bound_minimums=tuple(bound.minimum for bound in command.bounds),
            bound_maximums=tuple(bound.maximum for bound in command.bounds),
            timestamp_ns=command.timestamp_ns,
        )
    ]


def _decide_pause(state: LedgerState, command: PausePool) -> list[Event]:
    governance = governance_of(state)
    require_role(governance, command.actor, (Role.GUARDIAN,), "pause a pool")
    pool = pool_of(state, command.pool)
    check_reason("reason", command.reason)
    if pool.status is not PoolStatus.ACTIVE:
        raise CommandRejected(
            f"pool {pool.pool} is {pool.status.value}, not active; a pause only tightens an active pool"
        )
    reason = f"paused by guardian {command.actor}: {command.reason}"
    return [
        PoolStatusChanged(
            pool=pool.pool, status=PoolStatus.REDUCE_ONLY.value, reason=reason, timestamp_ns=command.timestamp_ns
        )
    ]


def decide_governed_create_pool(state: LedgerState, command: CreatePool) -> list[Event]:
    """Create a pool within the bounds of its template version, if registered.

    In the genesis the admin may use a template version not registered (its pools then have no
    template bounds); once the venue is open a pool is created only by proposal, and only from
    a registered template version.
    """
    events = decide_create_pool(state, command)
    governance = state.governance
    if governance is not None:
        label = template_label(command.template, command.template_version)
        bounds = governance.templates.get((command.template, command.template_version))
        if bounds is not None:
            check_within_bounds(command.params, POOL_SCOPE, bounds, label)
        elif governance.opened_ns is not None:
            known = tuple(template_label(name, version) for name, version in governance.templates)
            raise UnknownEntity("template version", label, known)
    return events


def decide_governed_add_market(state: LedgerState, command: AddMarket) -> list[Event]:
    """Add a market; once governance exists, within the ``market.*`` bounds of the pool's template version."""
    events = decide_add_market(state, command)
    pool = state.pools[command.pool]
    bounds = pool_template_bounds(state.governance, pool)
    if bounds is not None:
        check_within_bounds(command.params, MARKET_SCOPE, bounds, template_label(pool.template, pool.template_version))
    return events


GOVERNANCE_DECIDERS: dict[type[Any], Callable[[LedgerState, Any], list[Event]]] = {
    ConfigureGovernance: _decide_configure,
    GrantRole: _decide_grant,
    RevokeRole: _decide_revoke,
    RegisterTemplate: _decide_register_template,
    ProposeParameterChange: decide_propose_parameter_change,
    ProposeTemplateUpgrade: decide_propose_template_upgrade,
    ProposeResumePool: decide_propose_resume_pool,
    CancelProposal: decide_cancel_proposal,
    PausePool: _decide_pause,
    UpdateRiskMargin: decide_update_risk_margin,
}
"""Spliced into ``ringfence.core.decide._DECIDERS``."""
