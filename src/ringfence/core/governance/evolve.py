"""``evolve`` handlers of governance events: the only code that changes governance state.

Parameter changes and template upgrades also change the named pool (and only that pool).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from ringfence.core.governance.events import (
    GovernanceConfigured,
    ParameterChangeProposed,
    PoolParameterChanged,
    PoolResumeProposed,
    PoolTemplateUpgraded,
    ProposalCancelled,
    ProposalExecuted,
    RiskMarginUpdated,
    RoleGranted,
    RoleRevoked,
    TemplateRegistered,
    TemplateUpgradeProposed,
    VenueChangeProposed,
    VenueOpened,
)
from ringfence.core.governance.params import replace_path
from ringfence.core.governance.state import (
    GovernanceSettings,
    GovernanceState,
    ParameterBound,
    ParameterChange,
    PoolResume,
    Proposal,
    ProposalAction,
    ProposalStatus,
    TemplateUpgrade,
    VenueChange,
    VenueChangeCommand,
)
from ringfence.core.liquidation.ltv_ramp import MaintenanceRamp
from ringfence.core.state import LedgerState

__all__ = ["GOVERNANCE_HANDLERS"]


def _governance(state: LedgerState) -> GovernanceState:
    governance = state.governance
    if governance is None:  # decide refuses every governance command before bootstrap
        raise RuntimeError("governance event before GovernanceConfigured")
    return governance


def _configured(state: LedgerState, event: GovernanceConfigured) -> None:
    state.governance = GovernanceState(GovernanceSettings(event.timelock_ns, event.grace_period_ns, event.max_step_wad))


def _role_granted(state: LedgerState, event: RoleGranted) -> None:
    _governance(state).holders.setdefault(event.role, set()).add(event.principal)


def _role_revoked(state: LedgerState, event: RoleRevoked) -> None:
    holders = _governance(state).holders
    holders[event.role].discard(event.principal)
    if not holders[event.role]:
        del holders[event.role]


def _template_registered(state: LedgerState, event: TemplateRegistered) -> None:
    bounds = zip(event.bound_paths, event.bound_minimums, event.bound_maximums, strict=True)
    _governance(state).templates[(event.template, event.version)] = {
        path: ParameterBound(path, low, high) for path, low, high in bounds
    }


def _queue(
    state: LedgerState,
    event: ParameterChangeProposed | TemplateUpgradeProposed | PoolResumeProposed | VenueChangeProposed,
    action: ProposalAction,
) -> None:
    governance = _governance(state)
    governance.proposals[event.proposal_id] = Proposal(
        event.proposal_id, action, event.proposer, event.timestamp_ns, event.eta_ns, event.expires_ns
    )
    governance.next_proposal_id = event.proposal_id + 1


def _parameter_change_proposed(state: LedgerState, event: ParameterChangeProposed) -> None:
    action = ParameterChange(event.pool, event.market, event.field, event.old_value, event.new_value)
    _queue(state, event, action)


def _template_upgrade_proposed(state: LedgerState, event: TemplateUpgradeProposed) -> None:
    action = TemplateUpgrade(event.pool, event.template, event.old_version, event.new_version)
    _queue(state, event, action)


def _pool_resume_proposed(state: LedgerState, event: PoolResumeProposed) -> None:
    _queue(state, event, PoolResume(event.pool, event.from_status, event.reason))


def _venue_change_proposed(state: LedgerState, event: VenueChangeProposed) -> None:
    changes: tuple[VenueChangeCommand | None, ...] = (
        event.register_asset,
        event.configure_oracle,
        event.create_pool,
        event.add_market,
        event.configure_auctions,
        event.accept_cover,
        event.cancel_cover,
        event.open_credit_line,
        event.lower_credit_line_cap,
        event.close_credit_line,
        event.list_series,
        event.configure_portfolio_margin,
    )
    command = next(change for change in changes if change is not None)
    _queue(state, event, VenueChange(command))


def _venue_opened(state: LedgerState, event: VenueOpened) -> None:
    _governance(state).opened_ns = event.timestamp_ns


def _close(state: LedgerState, proposal_id: int, status: ProposalStatus, actor: str, now_ns: int) -> None:
    proposal = _governance(state).proposals[proposal_id]
    proposal.status = status
    proposal.closed_by = actor
    proposal.closed_ns = now_ns


def _proposal_cancelled(state: LedgerState, event: ProposalCancelled) -> None:
    _close(state, event.proposal_id, ProposalStatus.CANCELLED, event.actor, event.timestamp_ns)


def _proposal_executed(state: LedgerState, event: ProposalExecuted) -> None:
    _close(state, event.proposal_id, ProposalStatus.EXECUTED, event.actor, event.timestamp_ns)


def _pool_parameter_changed(state: LedgerState, event: PoolParameterChanged) -> None:
    pool = state.pools[event.pool]
    if event.market:
        market = pool.markets[event.market]
        market.params = replace_path(market.params, event.field, event.new_value)
        if event.field == "maintenance_margin_wad":  # Euler's setLTV: a new change replaces any ramp
            ramp = MaintenanceRamp(event.ramp_original_wad, event.ramp_target_ns, event.ramp_ns)
            market.maintenance_ramp = ramp if event.ramp_ns else None
    else:
        pool.params = replace_path(pool.params, event.field, event.new_value)


def _risk_margin_updated(state: LedgerState, event: RiskMarginUpdated) -> None:
    market = state.pools[event.pool].markets[event.market]
    market.params = replace(
        market.params,
        initial_margin_wad=event.new_initial_margin_wad,
        maintenance_margin_wad=event.new_maintenance_margin_wad,
    )
    if event.new_maintenance_margin_wad != event.old_maintenance_margin_wad:  # a new rate replaces any ramp
        ramp = MaintenanceRamp(event.ramp_original_wad, event.ramp_target_ns, event.ramp_ns)
        market.maintenance_ramp = ramp if event.ramp_ns else None
    market.risk_margin_updated_ns = event.timestamp_ns


def _pool_template_upgraded(state: LedgerState, event: PoolTemplateUpgraded) -> None:
    state.pools[event.pool].template_version = event.new_version


GOVERNANCE_HANDLERS: dict[type[Any], Callable[[LedgerState, Any], None]] = {
    GovernanceConfigured: _configured,
    RoleGranted: _role_granted,
    RoleRevoked: _role_revoked,
    TemplateRegistered: _template_registered,
    ParameterChangeProposed: _parameter_change_proposed,
    TemplateUpgradeProposed: _template_upgrade_proposed,
    PoolResumeProposed: _pool_resume_proposed,
    VenueChangeProposed: _venue_change_proposed,
    VenueOpened: _venue_opened,
    ProposalCancelled: _proposal_cancelled,
    ProposalExecuted: _proposal_executed,
    PoolParameterChanged: _pool_parameter_changed,
    PoolTemplateUpgraded: _pool_template_upgraded,
    RiskMarginUpdated: _risk_margin_updated,
}
