"""Governance state: roles held by principals, template versions with bounds, proposals.

Governance is venue-wide and exists once a ``ConfigureGovernance`` bootstrap ran
(``LedgerState.governance`` is ``None`` before). Its settings are fixed at bootstrap.

Roles (OpenZeppelin ``TimelockController`` / ``AccessControl`` shape):

- ``admin`` grants and revokes roles and registers template versions;
- ``proposer`` (the risk council) proposes parameter changes, template upgrades and pool
  resumptions, and may cancel a pending proposal;
- ``executor`` executes a proposal once its timelock elapsed and before it expires;
- ``guardian`` may cancel a pending proposal and pause an active pool to reduce-only at
  once; it can never loosen anything (resuming goes through the timelock);
- ``risk_model`` (the automatic margin model) moves a market's flat margin rates without a
  timelock, only within the market's ``DynamicMarginRule`` (``UpdateRiskMargin``).

A **template version** is a named, immutable set of parameter bounds: it pins the envelope
of risk parameters an instance created from it (or upgraded to it) may take. A pool records
its ``(template, template_version)``; an upgrade moves one pool to another registered version
of the same template, through the timelock, and only if the pool's current parameters (and
every market's) satisfy the new version's bounds.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from ringfence.core.pool.auction_commands import ConfigureAuctions
from ringfence.core.pool.commands import AddMarket, CreatePool
from ringfence.core.pool.cover_commands import AcceptCover, CancelCover
from ringfence.core.pool.credit_line_commands import CloseCreditLine, LowerCreditLineCap, OpenCreditLine
from ringfence.core.pool.series_commands import ListSeries
from ringfence.core.portfolio.commands import ConfigurePortfolioMargin
from ringfence.core.venue_commands import ConfigureOracle, RegisterAsset

__all__ = [
    "DEFAULT_SETTINGS",
    "MARKET_SCOPE",
    "POOL_SCOPE",
    "GovernanceSettings",
    "GovernanceState",
    "ParameterBound",
    "ParameterChange",
    "PoolResume",
    "Proposal",
    "ProposalAction",
    "ProposalStatus",
    "Role",
    "TemplateBounds",
    "TemplateKey",
    "TemplateUpgrade",
    "VenueChange",
    "VenueChangeCommand",
]

POOL_SCOPE = "pool"
"""Bound paths starting ``pool.`` name a field of :class:`~ringfence.core.pool.state.PoolParams`."""
MARKET_SCOPE = "market"
"""Bound paths starting ``market.`` name a field of every market's ``MarketParams``."""


class Role(enum.Enum):
    """A venue-level governance role."""

    ADMIN = "admin"
    PROPOSER = "proposer"
    EXECUTOR = "executor"
    GUARDIAN = "guardian"
    RISK_MODEL = "risk_model"


class ProposalStatus(enum.Enum):
    """Where a proposal stands. Expiry is not a status: it follows from the clock."""

    PENDING = "pending"
    EXECUTED = "executed"
    CANCELLED = "cancelled"


@dataclass(frozen=True, slots=True)
class ParameterBound:
    """The closed range ``[minimum, maximum]`` a template version allows for one integer field.

    ``path`` is scoped: ``pool.reserve_factor_wad``, ``market.initial_margin_wad``, or a dotted
    path into a nested parameter dataclass such as ``pool.liquidation.target_health_wad``.
    """

    path: str
    minimum: int
    maximum: int


TemplateKey = tuple[str, int]
"""``(template name, version)``."""
TemplateBounds = dict[str, ParameterBound]
"""A template version's bounds keyed by scoped path."""


@dataclass(frozen=True, slots=True)
class GovernanceSettings:
    """Fixed at bootstrap: the timelock, the grace period after it, and the largest relative step."""

    timelock_ns: int
    grace_period_ns: int
    """A proposal is executable in ``[eta, eta + grace_period)``; after that it has expired."""
    max_step_wad: int
    """Largest move of one parameter per change, relative to its current value (WAD)."""


_DAY_NS = 86_400 * 10**9
DEFAULT_SETTINGS = GovernanceSettings(timelock_ns=2 * _DAY_NS, grace_period_ns=14 * _DAY_NS, max_step_wad=25 * 10**16)
"""The settings venue files default to, and the demo, the lab and the tests use: Compound's ``Timelock``
constants ``MINIMUM_DELAY`` = 2 days and ``GRACE_PERIOD`` = 14 days
(https://github.com/compound-finance/compound-protocol/blob/master/contracts/Timelock.sol), and 25% per
change, our choice."""


@dataclass(frozen=True, slots=True)
class ParameterChange:
    """Set one integer field of a pool's ``PoolParams`` (``market == ""``) or of one market's ``MarketParams``."""

    pool: str
    market: str
    field: str
    old_value: int
    """The value when proposed; execution requires it unchanged (else the proposal is stale)."""
    new_value: int

    @property
    def scoped_path(self) -> str:
        """Return the path as template bounds name it (``pool.x`` or ``market.x``)."""
        return f"{MARKET_SCOPE if self.market else POOL_SCOPE}.{self.field}"


@dataclass(frozen=True, slots=True)
class TemplateUpgrade:
    """Move one pool from ``old_version`` to ``new_version`` of its template."""

    pool: str
    template: str
    old_version: int
    new_version: int


@dataclass(frozen=True, slots=True)
class PoolResume:
    """Return a halted or reduce-only pool to active."""

    pool: str
    from_status: str
    """The pool's status when proposed; execution requires it unchanged (else the proposal is stale)."""
    reason: str


VenueChangeCommand = (
    RegisterAsset
    | ConfigureOracle
    | CreatePool
    | AddMarket
    | ConfigureAuctions
    | AcceptCover
    | CancelCover
    | OpenCreditLine
    | LowerCreditLineCap
    | CloseCreditLine
    | ListSeries
    | ConfigurePortfolioMargin
)
"""What shapes the venue: without a timelock in the genesis (the admin), through a proposal once it is open."""


@dataclass(frozen=True, slots=True)
class VenueChange:
    """List an asset, configure an oracle, create a pool, add a market, configure auctions, accept or cancel cover."""

    command: VenueChangeCommand


ProposalAction = ParameterChange | TemplateUpgrade | PoolResume | VenueChange


@dataclass(slots=True)
class Proposal:
    """A timelocked proposal and where it stands."""

    proposal_id: int
    action: ProposalAction
    proposer: str
    proposed_ns: int
    eta_ns: int
    """Earliest execution: ``proposed_ns + timelock_ns``."""
    expires_ns: int
    """First instant it can no longer be executed: ``eta_ns + grace_period_ns``."""
    status: ProposalStatus = ProposalStatus.PENDING
    closed_by: str = ""
    closed_ns: int = 0


@dataclass(slots=True)
class GovernanceState:
    """The venue's governance: settings, role holders, template versions, proposals."""

    settings: GovernanceSettings
    holders: dict[Role, set[str]] = field(default_factory=dict)
    templates: dict[TemplateKey, TemplateBounds] = field(default_factory=dict)
    proposals: dict[int, Proposal] = field(default_factory=dict)
    next_proposal_id: int = 1
    """Proposal ids are sequential from 1, so replay reproduces them."""
    opened_ns: int | None = None
    """When the admin opened the venue (``OpenVenue``); ``None`` during the genesis."""

    def holds(self, principal: str, role: Role) -> bool:
        """Return whether ``principal`` holds ``role``."""
        return principal in self.holders.get(role, set())
