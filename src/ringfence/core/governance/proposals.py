"""Timelocked proposals: propose, cancel, execute (SPEC §2.5).

A proposal is executable in ``[eta, eta + grace_period)`` where ``eta = proposed_at + timelock``.
What the community reviewed during the timelock is exactly what executes: a proposal records
the value (or template version, or pool status) it starts from, and execution refuses it as
stale if that no longer holds. Execution also re-runs the validation of the resulting
parameters, since another change may have executed in between (a lower IM and a higher MM
can each be valid alone and invalid together).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from ringfence.core.errors import (
    CommandRejected,
    InvalidCommand,
    InvalidParameter,
    ProposalNotExecutable,
    UnknownEntity,
)
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
    ExecuteProposal,
    ProposeParameterChange,
    ProposeResumePool,
    ProposeTemplateUpgrade,
    ProposeVenueChange,
)
from ringfence.core.governance.events import (
    ParameterChangeProposed,
    PoolParameterChanged,
    PoolResumeProposed,
    PoolTemplateUpgraded,
    ProposalCancelled,
    ProposalExecuted,
    TemplateUpgradeProposed,
    VenueChangeProposed,
)
from ringfence.core.governance.params import (
    check_within_bounds,
    read_path,
    replace_path,
    require_integer_path,
    step_allowance,
)
from ringfence.core.governance.state import (
    MARKET_SCOPE,
    POOL_SCOPE,
    GovernanceState,
    ParameterChange,
    PoolResume,
    Proposal,
    ProposalStatus,
    Role,
    TemplateBounds,
    TemplateUpgrade,
    VenueChange,
    VenueChangeCommand,
)
from ringfence.core.liquidation.ltv_ramp import MaintenanceRamp, start_ramp
from ringfence.core.pool.auction_commands import ConfigureAuctions
from ringfence.core.pool.commands import AddMarket, CreatePool
from ringfence.core.pool.cover_commands import AcceptCover, CancelCover
from ringfence.core.pool.credit_line_commands import CloseCreditLine, LowerCreditLineCap, OpenCreditLine
from ringfence.core.pool.decide import check_market_params, check_pool_params, pool_of
from ringfence.core.pool.events import PoolHalted, PoolStatusChanged
from ringfence.core.pool.series_commands import ListSeries
from ringfence.core.pool.state import MarginModelKind, MarketParams, PoolParams, PoolState, PoolStatus
from ringfence.core.portfolio.commands import ConfigurePortfolioMargin
from ringfence.core.state import LedgerState
from ringfence.core.validation import check_int
from ringfence.core.venue_commands import ConfigureOracle, RegisterAsset

__all__ = [
    "decide_cancel_proposal",
    "decide_execute_proposal",
    "decide_propose_parameter_change",
    "decide_propose_resume_pool",
    "decide_propose_template_upgrade",
    "decide_propose_venue_change",
]

VenueChangeRunner = Callable[[LedgerState, VenueChangeCommand], list[Event]]
"""The decider of a venue change's command (``ringfence.core.decide`` hands it in: it owns them)."""

MAX_TEMPLATE_VERSION = 10**6
"""The same range ``CreatePool`` accepts."""


def _timing(governance: GovernanceState, now_ns: int) -> tuple[int, int, int]:
    """Return ``(proposal_id, eta_ns, expires_ns)`` of a proposal made at ``now_ns``."""
    eta = now_ns + governance.settings.timelock_ns
    return governance.next_proposal_id, eta, eta + governance.settings.grace_period_ns


def _current_params(pool: PoolState, market: str) -> PoolParams | MarketParams:
    if not market:
        return pool.params
    found = pool.markets.get(market)
    if found is None:
        raise UnknownEntity(f"market of pool {pool.pool}", market, tuple(pool.markets))
    return found.params


def _check_changed_params(state: LedgerState, pool: PoolState, change: ParameterChange) -> None:
    """Validate the parameters ``change`` would produce, as ``CreatePool``/``AddMarket`` and the template do."""
    bounds = pool_template_bounds(state.governance, pool)
    label = template_label(pool.template, pool.template_version)
    if change.market:
        market_params = replace_path(pool.markets[change.market].params, change.field, change.new_value)
        check_market_params(state, market_params, pool.params)
        if bounds is not None:
            check_within_bounds(market_params, MARKET_SCOPE, bounds, label)
    else:
        pool_params = replace_path(pool.params, change.field, change.new_value)
        check_pool_params(state, pool_params, [market.params for market in pool.markets.values()])
        if bounds is not None:
            check_within_bounds(pool_params, POOL_SCOPE, bounds, label)


def _check_step(governance: GovernanceState, pool: PoolState, change: ParameterChange) -> None:
    """Check ``change`` is one bounded step under the pool's current template version (rule in ``params``)."""
    bounds = pool_template_bounds(governance, pool)
    bound = bounds.get(change.scoped_path) if bounds is not None else None
    step_wad = governance.settings.max_step_wad
    allowance = step_allowance(change.old_value, bound, step_wad)
    if allowance is None:
        raise InvalidParameter(
            "new_value",
            change.new_value,
            f"no move: {change.field} is 0 and has no scale; a template version bounding {change.scoped_path} "
            "gives one (upgrade the pool to it)",
        )
    if abs(change.new_value - change.old_value) > allowance:
        raise InvalidParameter(
            "new_value",
            change.new_value,
            f"a value between {change.old_value - allowance} and {change.old_value + allowance} "
            f"(one change moves {change.field} by at most {allowance}: "
            f"{step_wad}/1e18 of the current value)",
        )


def decide_propose_parameter_change(state: LedgerState, command: ProposeParameterChange) -> list[Event]:
    """Queue a change of one integer parameter within the bounded step and the template bounds."""
    governance = governance_of(state)
    require_role(governance, command.actor, (Role.PROPOSER,), "propose a parameter change")
    pool = pool_of(state, command.pool)
    params = _current_params(pool, command.market)
    require_integer_path(type(params), command.field)
    old_value = read_path(params, command.field)
    if command.new_value == old_value:
        raise InvalidParameter("new_value", command.new_value, f"a value other than the current {old_value}")
    change = ParameterChange(command.pool, command.market, command.field, old_value, command.new_value)
    _check_step(governance, pool, change)
    _check_changed_params(state, pool, change)
    proposal_id, eta, expires = _timing(governance, command.timestamp_ns)
    return [
        ParameterChangeProposed(
            proposal_id=proposal_id,
            proposer=command.actor,
            pool=command.pool,
            market=command.market,
            field=command.field,
            old_value=old_value,
            new_value=command.new_value,
            eta_ns=eta,
            expires_ns=expires,
            timestamp_ns=command.timestamp_ns,
        )
    ]


def _check_upgrade_bounds(pool: PoolState, bounds: TemplateBounds, label: str) -> None:
    check_within_bounds(pool.params, POOL_SCOPE, bounds, label)
    for market in pool.markets.values():
        check_within_bounds(market.params, MARKET_SCOPE, bounds, label)


def decide_propose_template_upgrade(state: LedgerState, command: ProposeTemplateUpgrade) -> list[Event]:
    """Queue moving one pool to another registered version of its template, whose bounds it satisfies."""
    governance = governance_of(state)
    require_role(governance, command.actor, (Role.PROPOSER,), "propose a template upgrade")
    pool = pool_of(state, command.pool)
    check_int("template_version", command.template_version, 1, MAX_TEMPLATE_VERSION)
    if command.template_version == pool.template_version:
        raise InvalidParameter(
            "template_version",
            command.template_version,
            f"a version other than the pool's current one ({pool.template})",
        )
    label = template_label(pool.template, command.template_version)
    bounds = governance.templates.get((pool.template, command.template_version))
    if bounds is None:
        known = tuple(template_label(name, version) for name, version in governance.templates if name == pool.template)
        raise UnknownEntity("template version", label, known)
    _check_upgrade_bounds(pool, bounds, label)
    proposal_id, eta, expires = _timing(governance, command.timestamp_ns)
    return [
        TemplateUpgradeProposed(
            proposal_id=proposal_id,
            proposer=command.actor,
            pool=command.pool,
            template=pool.template,
            old_version=pool.template_version,
            new_version=command.template_version,
            eta_ns=eta,
            expires_ns=expires,
            timestamp_ns=command.timestamp_ns,
        )
    ]


def decide_propose_resume_pool(state: LedgerState, command: ProposeResumePool) -> list[Event]:
    """Queue returning a halted or reduce-only pool to active."""
    governance = governance_of(state)
    require_role(governance, command.actor, (Role.PROPOSER,), "propose resuming a pool")
    pool = pool_of(state, command.pool)
    check_reason("reason", command.reason)
    if pool.status is PoolStatus.ACTIVE:
        raise CommandRejected(f"pool {pool.pool} is active; only a halted or reduce-only pool can be resumed")
    proposal_id, eta, expires = _timing(governance, command.timestamp_ns)
    return [
        PoolResumeProposed(
            proposal_id=proposal_id,
            proposer=command.actor,
            pool=command.pool,
            from_status=pool.status.value,
            reason=command.reason,
            eta_ns=eta,
            expires_ns=expires,
            timestamp_ns=command.timestamp_ns,
        )
    ]


def decide_propose_venue_change(
    state: LedgerState, command: ProposeVenueChange, run_change: VenueChangeRunner
) -> list[Event]:
    """Queue a listing, oracle, pool, market or auction change, checked now as its own decider would."""
    governance = governance_of(state)
    require_role(governance, command.actor, (Role.PROPOSER,), "propose a venue change")
    change = replace(command.change, timestamp_ns=command.timestamp_ns)
    checked = run_change(state, change)  # validates it against today's venue; the events are dropped
    halted = [event for event in checked if isinstance(event, PoolHalted)]
    if halted:  # a fault inside the pool's code: containment would halt it at execution; refuse it now
        raise CommandRejected(f"the change faults pool {halted[0].pool}: {halted[0].cause}")
    proposal_id, eta, expires = _timing(governance, command.timestamp_ns)
    return [
        VenueChangeProposed(
            proposal_id=proposal_id,
            proposer=command.actor,
            eta_ns=eta,
            expires_ns=expires,
            timestamp_ns=command.timestamp_ns,
            register_asset=change if isinstance(change, RegisterAsset) else None,
            configure_oracle=change if isinstance(change, ConfigureOracle) else None,
            create_pool=change if isinstance(change, CreatePool) else None,
            add_market=change if isinstance(change, AddMarket) else None,
            configure_auctions=change if isinstance(change, ConfigureAuctions) else None,
            accept_cover=change if isinstance(change, AcceptCover) else None,
            cancel_cover=change if isinstance(change, CancelCover) else None,
            open_credit_line=change if isinstance(change, OpenCreditLine) else None,
            lower_credit_line_cap=change if isinstance(change, LowerCreditLineCap) else None,
            close_credit_line=change if isinstance(change, CloseCreditLine) else None,
            list_series=change if isinstance(change, ListSeries) else None,
            configure_portfolio_margin=change if isinstance(change, ConfigurePortfolioMargin) else None,
        )
    ]


def _execute_venue_change(
    state: LedgerState, proposal: Proposal, change: VenueChange, now_ns: int, run_change: VenueChangeRunner
) -> list[Event]:
    try:
        return run_change(state, replace(change.command, timestamp_ns=now_ns))
    except (InvalidCommand, CommandRejected) as error:
        raise ProposalNotExecutable(proposal.proposal_id, f"the change no longer validates: {error}") from None


def _proposal(governance: GovernanceState, proposal_id: int) -> Proposal:
    found = governance.proposals.get(proposal_id)
    if found is None:
        raise UnknownEntity("proposal", proposal_id)
    return found


def decide_cancel_proposal(state: LedgerState, command: CancelProposal) -> list[Event]:
    """Cancel a pending proposal (proposer or guardian)."""
    governance = governance_of(state)
    require_role(governance, command.actor, (Role.PROPOSER, Role.GUARDIAN), "cancel a proposal")
    proposal = _proposal(governance, command.proposal_id)
    if proposal.status is not ProposalStatus.PENDING:
        raise CommandRejected(
            f"proposal {proposal.proposal_id} is {proposal.status.value}; only a pending one can be cancelled"
        )
    return [ProposalCancelled(proposal_id=command.proposal_id, actor=command.actor, timestamp_ns=command.timestamp_ns)]


def _check_executable(proposal: Proposal, now_ns: int) -> None:
    if proposal.status is not ProposalStatus.PENDING:
        raise ProposalNotExecutable(proposal.proposal_id, f"it is {proposal.status.value}")
    if now_ns < proposal.eta_ns:
        raise ProposalNotExecutable(
            proposal.proposal_id,
            f"its timelock runs until {proposal.eta_ns} ns ({proposal.eta_ns - now_ns} ns from now)",
        )
    if now_ns >= proposal.expires_ns:
        raise ProposalNotExecutable(proposal.proposal_id, f"it expired at {proposal.expires_ns} ns; propose it again")


def _stale(proposal: Proposal, what: str) -> ProposalNotExecutable:
    return ProposalNotExecutable(proposal.proposal_id, f"it is stale: {what}; cancel it and propose again")


def _execute_parameter_change(
    governance: GovernanceState, state: LedgerState, proposal: Proposal, change: ParameterChange, now_ns: int
) -> list[Event]:
    pool = state.pools[change.pool]
    current = read_path(_current_params(pool, change.market), change.field)
    if current != change.old_value:
        raise _stale(proposal, f"{change.field} is now {current}, it was proposed from {change.old_value}")
    try:
        _check_step(governance, pool, change)
        _check_changed_params(state, pool, change)
    except InvalidCommand as error:
        raise ProposalNotExecutable(proposal.proposal_id, f"the change no longer validates: {error}") from None
    ramp = _maintenance_ramp(pool, change, now_ns)
    return [
        PoolParameterChanged(
            pool=change.pool,
            market=change.market,
            field=change.field,
            old_value=change.old_value,
            new_value=change.new_value,
            proposal_id=proposal.proposal_id,
            timestamp_ns=now_ns,
            ramp_original_wad=ramp.original_maintenance_wad if ramp else 0,
            ramp_target_ns=ramp.target_ns if ramp else 0,
            ramp_ns=ramp.ramp_ns if ramp else 0,
        )
    ]


def _maintenance_ramp(pool: PoolState, change: ParameterChange, now_ns: int) -> MaintenanceRamp | None:
    """Return the ramp a raised maintenance rate starts under the pool's policy (Euler v2 ``setLTV``), or None.

    Only a FLAT market's ``maintenance_margin_wad`` ramps: the size-dependent models ignore it.
    """
    if change.field != "maintenance_margin_wad" or not change.market:
        return None
    market = pool.markets[change.market]
    if market.params.margin_model.kind is not MarginModelKind.FLAT:
        return None
    ramp_ns = pool.params.liquidation.maintenance_ramp_ns
    return start_ramp(change.old_value, market.maintenance_ramp, change.new_value, ramp_ns, now_ns)


def _execute_template_upgrade(
    governance: GovernanceState, state: LedgerState, proposal: Proposal, upgrade: TemplateUpgrade, now_ns: int
) -> list[Event]:
    pool = state.pools[upgrade.pool]
    if pool.template_version != upgrade.old_version:
        raise _stale(proposal, f"pool {pool.pool} is now at version {pool.template_version}")
    label = template_label(upgrade.template, upgrade.new_version)
    try:
        _check_upgrade_bounds(pool, governance.templates[(upgrade.template, upgrade.new_version)], label)
    except InvalidCommand as error:
        raise ProposalNotExecutable(proposal.proposal_id, f"the pool no longer fits {label}: {error}") from None
    return [
        PoolTemplateUpgraded(
            pool=upgrade.pool,
            template=upgrade.template,
            old_version=upgrade.old_version,
            new_version=upgrade.new_version,
            proposal_id=proposal.proposal_id,
            timestamp_ns=now_ns,
        )
    ]


def _execute_resume(state: LedgerState, proposal: Proposal, resume: PoolResume, now_ns: int) -> list[Event]:
    pool = state.pools[resume.pool]
    if pool.status.value != resume.from_status:
        raise _stale(
            proposal, f"pool {pool.pool} is now {pool.status.value}, it was proposed from {resume.from_status}"
        )
    reason = f"resumed by proposal {proposal.proposal_id}: {resume.reason}"
    return [PoolStatusChanged(pool=resume.pool, status=PoolStatus.ACTIVE.value, reason=reason, timestamp_ns=now_ns)]


def decide_execute_proposal(state: LedgerState, command: ExecuteProposal, run_change: VenueChangeRunner) -> list[Event]:
    """Apply a pending proposal in ``[eta, expiry)`` (executor)."""
    governance = governance_of(state)
    require_role(governance, command.actor, (Role.EXECUTOR,), "execute a proposal")
    proposal = _proposal(governance, command.proposal_id)
    _check_executable(proposal, command.timestamp_ns)
    action, now = proposal.action, command.timestamp_ns
    if isinstance(action, ParameterChange):
        effect = _execute_parameter_change(governance, state, proposal, action, now)
    elif isinstance(action, TemplateUpgrade):
        effect = _execute_template_upgrade(governance, state, proposal, action, now)
    elif isinstance(action, VenueChange):
        effect = _execute_venue_change(state, proposal, action, now, run_change)
    else:
        effect = _execute_resume(state, proposal, action, now)
    return [ProposalExecuted(proposal_id=proposal.proposal_id, actor=command.actor, timestamp_ns=now), *effect]
