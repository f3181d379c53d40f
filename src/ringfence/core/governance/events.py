"""Governance events. Pool status changes reuse :class:`~ringfence.core.pool.events.PoolStatusChanged`."""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import ClassVar

from ringfence.core.governance.state import Role
from ringfence.core.pool.auction_commands import ConfigureAuctions
from ringfence.core.pool.commands import AddMarket, CreatePool
from ringfence.core.pool.cover_commands import AcceptCover, CancelCover
from ringfence.core.pool.credit_line_commands import CloseCreditLine, LowerCreditLineCap, OpenCreditLine
from ringfence.core.pool.series_commands import ListSeries
from ringfence.core.portfolio.commands import ConfigurePortfolioMargin
from ringfence.core.venue_commands import ConfigureOracle, RegisterAsset

__all__ = [
    "GOVERNANCE_EVENT_TYPES",
    "GovernanceConfigured",
    "GovernanceEvent",
    "ParameterChangeProposed",
    "PoolParameterChanged",
    "PoolResumeProposed",
    "PoolTemplateUpgraded",
    "ProposalCancelled",
    "ProposalExecuted",
    "RiskMarginUpdated",
    "RoleGranted",
    "RoleRevoked",
    "TemplateRegistered",
    "TemplateUpgradeProposed",
    "VenueChangeProposed",
    "VenueOpened",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class GovernanceConfigured:
    """Governance was bootstrapped with its fixed settings."""

    SCHEMA_VERSION: ClassVar[int] = 1
    admin: str
    timelock_ns: int
    grace_period_ns: int
    max_step_wad: int
    timestamp_ns: int


@dataclass(frozen=True, slots=True, kw_only=True)
class RoleGranted:
    """``principal`` now holds ``role`` (granted by ``actor``)."""

    SCHEMA_VERSION: ClassVar[int] = 1
    actor: str
    role: Role
    principal: str
    timestamp_ns: int


@dataclass(frozen=True, slots=True, kw_only=True)
class RoleRevoked:
    """``principal`` no longer holds ``role`` (revoked by ``actor``)."""

    SCHEMA_VERSION: ClassVar[int] = 1
    actor: str
    role: Role
    principal: str
    timestamp_ns: int


@dataclass(frozen=True, slots=True, kw_only=True)
class TemplateRegistered:
    """A template version was registered with its bounds (parallel tuples, one entry per bound)."""

    SCHEMA_VERSION: ClassVar[int] = 1
    actor: str
    template: str
    version: int
    bound_paths: tuple[str, ...]
    bound_minimums: tuple[int, ...]
    bound_maximums: tuple[int, ...]
    timestamp_ns: int


@dataclass(frozen=True, slots=True, kw_only=True)
class ParameterChangeProposed:
    """A parameter change was queued behind the timelock."""

    SCHEMA_VERSION: ClassVar[int] = 1
    proposal_id: int
    proposer: str
    pool: str
    market: str
    field: str
    old_value: int
    new_value: int
    eta_ns: int
    expires_ns: int
    timestamp_ns: int


@dataclass(frozen=True, slots=True, kw_only=True)
class TemplateUpgradeProposed:
    """A pool's template upgrade was queued behind the timelock."""

    SCHEMA_VERSION: ClassVar[int] = 1
    proposal_id: int
    proposer: str
    pool: str
    template: str
    old_version: int
    new_version: int
    eta_ns: int
    expires_ns: int
    timestamp_ns: int


@dataclass(frozen=True, slots=True, kw_only=True)
class PoolResumeProposed:
    """Resuming a halted or reduce-only pool was queued behind the timelock."""

    SCHEMA_VERSION: ClassVar[int] = 1
    proposal_id: int
    proposer: str
    pool: str
    from_status: str
    reason: str
    eta_ns: int
    expires_ns: int
    timestamp_ns: int


@dataclass(frozen=True, slots=True, kw_only=True)
class VenueChangeProposed:
    """A change to the venue's shape was queued behind the timelock; exactly one change field is set.

    The change is stored as the command that will run at execution (one optional field per
    kind, so the journal decodes it by its declared type).
    """

    SCHEMA_VERSION: ClassVar[int] = 1
    proposal_id: int
    proposer: str
    eta_ns: int
    expires_ns: int
    timestamp_ns: int
    register_asset: RegisterAsset | None = None
    configure_oracle: ConfigureOracle | None = None
    create_pool: CreatePool | None = None
    add_market: AddMarket | None = None
    configure_auctions: ConfigureAuctions | None = None
    accept_cover: AcceptCover | None = None
    cancel_cover: CancelCover | None = None
    open_credit_line: OpenCreditLine | None = None
    lower_credit_line_cap: LowerCreditLineCap | None = None
    close_credit_line: CloseCreditLine | None = None
    list_series: ListSeries | None = None
    configure_portfolio_margin: ConfigurePortfolioMargin | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class VenueOpened:
    """The admin ended the genesis: accounts may act, and shaping the venue now takes a proposal."""

    SCHEMA_VERSION: ClassVar[int] = 1
    admin: str
    timestamp_ns: int


@dataclass(frozen=True, slots=True, kw_only=True)
class ProposalCancelled:
    """A pending proposal was cancelled."""

    SCHEMA_VERSION: ClassVar[int] = 1
    proposal_id: int
    actor: str
    timestamp_ns: int


@dataclass(frozen=True, slots=True, kw_only=True)
class ProposalExecuted:
    """A proposal was executed; its effect follows as its own event."""

    SCHEMA_VERSION: ClassVar[int] = 1
    proposal_id: int
    actor: str
    timestamp_ns: int


@dataclass(frozen=True, slots=True, kw_only=True)
class PoolParameterChanged:
    """One integer field of a pool's params (``market == ""``) or of one market's params changed.

    A raised ``maintenance_margin_wad`` in a pool whose liquidation policy ramps it (Euler v2's
    LTV ramp, ``core/liquidation/ltv_ramp.py``) carries the ramp decide started: from
    ``ramp_original_wad`` to the new value, reached at ``ramp_target_ns``, ``ramp_ns`` long
    (0: no ramp, the new value applies at once, as for every event written before ramps).
    """

    SCHEMA_VERSION: ClassVar[int] = 1
    pool: str
    market: str
    field: str
    old_value: int
    new_value: int
    proposal_id: int
    timestamp_ns: int
    ramp_original_wad: int = dataclass_field(default=0, kw_only=True)
    ramp_target_ns: int = dataclass_field(default=0, kw_only=True)
    ramp_ns: int = dataclass_field(default=0, kw_only=True)


@dataclass(frozen=True, slots=True, kw_only=True)
class PoolTemplateUpgraded:
    """One pool moved to another version of its template; no other pool changed."""

    SCHEMA_VERSION: ClassVar[int] = 1
    pool: str
    template: str
    old_version: int
    new_version: int
    proposal_id: int
    timestamp_ns: int


@dataclass(frozen=True, slots=True, kw_only=True)
class RiskMarginUpdated:
    """The risk model moved one market's flat margin rates, within its dynamic rule, for ``cause``.

    A raised maintenance rate in a pool whose liquidation policy ramps it carries the ramp, as
    :class:`PoolParameterChanged` does (0: none, the new rate applies at once).
    """

    SCHEMA_VERSION: ClassVar[int] = 1
    actor: str
    pool: str
    market: str
    old_initial_margin_wad: int
    new_initial_margin_wad: int
    old_maintenance_margin_wad: int
    new_maintenance_margin_wad: int
    cause: str
    timestamp_ns: int
    ramp_original_wad: int = 0
    ramp_target_ns: int = 0
    ramp_ns: int = 0


GovernanceEvent = (
    GovernanceConfigured
    | RoleGranted
    | RoleRevoked
    | TemplateRegistered
    | ParameterChangeProposed
    | TemplateUpgradeProposed
    | PoolResumeProposed
    | VenueChangeProposed
    | VenueOpened
    | ProposalCancelled
    | ProposalExecuted
    | PoolParameterChanged
    | PoolTemplateUpgraded
    | RiskMarginUpdated
)

GOVERNANCE_EVENT_TYPES: tuple[type[GovernanceEvent], ...] = (
    GovernanceConfigured,
    RoleGranted,
    RoleRevoked,
    TemplateRegistered,
    ParameterChangeProposed,
    TemplateUpgradeProposed,
    PoolResumeProposed,
    VenueChangeProposed,
    VenueOpened,
    ProposalCancelled,
    ProposalExecuted,
    PoolParameterChanged,
    PoolTemplateUpgraded,
    RiskMarginUpdated,
)
