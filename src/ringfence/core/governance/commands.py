"""Governance commands. Each names its ``actor``; a wrong role is :class:`~ringfence.core.errors.Unauthorized`."""

from __future__ import annotations

from dataclasses import dataclass

from ringfence.core.governance.state import ParameterBound, Role, VenueChangeCommand

__all__ = [
    "CancelProposal",
    "ConfigureGovernance",
    "ExecuteProposal",
    "GovernanceCommand",
    "GrantRole",
    "PausePool",
    "ProposeParameterChange",
    "ProposeResumePool",
    "ProposeTemplateUpgrade",
    "ProposeVenueChange",
    "RegisterTemplate",
    "RevokeRole",
    "UpdateRiskMargin",
]


@dataclass(frozen=True, slots=True)
class ConfigureGovernance:
    """Bootstrap governance once: ``admin`` gets the admin role; refused once governance exists."""

    admin: str
    timelock_ns: int
    grace_period_ns: int
    max_step_wad: int
    timestamp_ns: int


@dataclass(frozen=True, slots=True)
class GrantRole:
    """An admin gives ``principal`` a role."""

    actor: str
    role: Role
    principal: str
    timestamp_ns: int


@dataclass(frozen=True, slots=True)
class RevokeRole:
    """An admin takes a role from ``principal`` (the last admin cannot be revoked)."""

    actor: str
    role: Role
    principal: str
    timestamp_ns: int


@dataclass(frozen=True, slots=True)
class RegisterTemplate:
    """An admin registers an immutable template version: its parameter bounds."""

    actor: str
    template: str
    version: int
    bounds: tuple[ParameterBound, ...]
    timestamp_ns: int


@dataclass(frozen=True, slots=True)
class ProposeParameterChange:
    """A proposer asks to set one integer field of a pool's params (``market == ""``) or of one market's."""

    actor: str
    pool: str
    market: str
    field: str
    new_value: int
    timestamp_ns: int


@dataclass(frozen=True, slots=True)
class ProposeTemplateUpgrade:
    """A proposer asks to move one pool to another registered version of its template."""

    actor: str
    pool: str
    template_version: int
    timestamp_ns: int


@dataclass(frozen=True, slots=True)
class ProposeResumePool:
    """A proposer asks to return a halted or reduce-only pool to active."""

    actor: str
    pool: str
    reason: str
    timestamp_ns: int


@dataclass(frozen=True, slots=True)
class ProposeVenueChange:
    """A proposer asks to change the venue's shape once it is open (timelocked).

    ``change`` lists an asset, configures an oracle, creates a pool, adds a market,
    configures auctions, or accepts or cancels a pool's insurance cover; in the genesis the admin
    sends these directly.
    """

    actor: str
    change: VenueChangeCommand
    timestamp_ns: int


@dataclass(frozen=True, slots=True)
class CancelProposal:
    """A proposer or guardian cancels a pending proposal."""

    actor: str
    proposal_id: int
    timestamp_ns: int


@dataclass(frozen=True, slots=True)
class ExecuteProposal:
    """An executor applies a proposal in ``[eta, expiry)``."""

    actor: str
    proposal_id: int
    timestamp_ns: int


@dataclass(frozen=True, slots=True)
class PausePool:
    """A guardian puts an active pool into reduce-only at once (no timelock: it only tightens)."""

    actor: str
    pool: str
    reason: str
    timestamp_ns: int


@dataclass(frozen=True, slots=True)
class UpdateRiskMargin:
    """The risk model sets one market's initial and maintenance rates (no timelock).

    Accepted only within the market's ``DynamicMarginRule``: inside its floor and ceiling, each
    rate one bounded step from its current value, maintenance ≤ initial, after the minimum
    interval. ``cause`` says what moved it (``"ewma sigma=0.031/day z=2.33 h=1h"``).
    """

    actor: str
    pool: str
    market: str
    initial_margin_wad: int
    maintenance_margin_wad: int
    cause: str
    timestamp_ns: int


GovernanceCommand = (
    ConfigureGovernance
    | GrantRole
    | RevokeRole
    | RegisterTemplate
    | ProposeParameterChange
    | ProposeTemplateUpgrade
    | ProposeResumePool
    | ProposeVenueChange
    | CancelProposal
    | ExecuteProposal
    | PausePool
    | UpdateRiskMargin
)
