"""Events: facts the engine recorded (past-tense names).

Events are frozen values of primitive fields (``str``, ``int``, ``bool``, enums and tuples of
them), keyword-only, so the journal can store them as canonical JSON by field name. Each class
declares its ``SCHEMA_VERSION``; the journal's codec upcasts older payloads on read
(``ringfence.store.upcast``).
``evolve(state, event)`` is the only place state changes, for live commands and replay alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from ringfence.core.governance.events import GOVERNANCE_EVENT_TYPES, GovernanceEvent
from ringfence.core.pool.auction_events import AUCTION_EVENT_TYPES, AuctionEvent
from ringfence.core.pool.cover_events import COVER_EVENT_TYPES, CoverEvent
from ringfence.core.pool.credit_line_events import CREDIT_LINE_EVENT_TYPES, CreditLineEvent
from ringfence.core.pool.events import POOL_EVENT_TYPES, PoolEvent
from ringfence.core.pool.series_events import SERIES_EVENT_TYPES, SeriesEvent
from ringfence.core.portfolio.events import PORTFOLIO_EVENT_TYPES, PortfolioEvent

__all__ = [
    "AssetRegistered",
    "CollateralDeposited",
    "CollateralTransferred",
    "CollateralWithdrawn",
    "Event",
    "OracleConfigured",
    "OracleDegraded",
    "OracleGuardTripped",
    "OraclePriceAccepted",
    "PriceSubmitted",
    "PrincipalRegistered",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class AssetRegistered:
    """An asset was listed with its collateral parameters."""

    SCHEMA_VERSION: ClassVar[int] = 1
    asset: str
    decimals: int
    initial_weight_wad: int
    maintenance_weight_wad: int
    supply_cap_atoms: int
    weight_scale_start_value: int


@dataclass(frozen=True, slots=True, kw_only=True)
class OracleConfigured:
    """An asset's oracle configuration was set (replacing any earlier one)."""

    SCHEMA_VERSION: ClassVar[int] = 1
    asset: str
    source_names: tuple[str, ...]
    source_weights: tuple[int, ...]
    quorum: int
    max_staleness_ns: int
    max_deviation_wad: int
    max_confidence_wad: int
    max_jump_wad: int
    guard_release_ns: int
    delay_interval_seconds: int
    delay_growth_limit_wad: int
    stable_growth_limit_wad: int


@dataclass(frozen=True, slots=True, kw_only=True)
class PriceSubmitted:
    """A source's quote was recorded as that source's latest."""

    SCHEMA_VERSION: ClassVar[int] = 1
    asset: str
    source: str
    price_wad: int
    confidence_wad: int
    published_ns: int


@dataclass(frozen=True, slots=True, kw_only=True)
class OraclePriceAccepted:
    """The aggregate became the asset's accepted price; the stable price advanced toward it."""

    SCHEMA_VERSION: ClassVar[int] = 1
    asset: str
    price_wad: int
    accepted_ns: int
    released_guard: bool
    """True when this accepts a jump the guard had held back (``guard_release_ns`` elapsed)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class OracleGuardTripped:
    """The sources' median jumped past the guard; the price was held back."""

    SCHEMA_VERSION: ClassVar[int] = 1
    asset: str
    refused_price_wad: int
    reason: str
    timestamp_ns: int


@dataclass(frozen=True, slots=True, kw_only=True)
class OracleDegraded:
    """Too few fresh, agreeing sources: the asset's oracle is stale."""

    SCHEMA_VERSION: ClassVar[int] = 1
    asset: str
    reason: str
    timestamp_ns: int


@dataclass(frozen=True, slots=True, kw_only=True)
class CollateralDeposited:
    """Collateral entered the venue into a sub-account."""

    SCHEMA_VERSION: ClassVar[int] = 1
    owner: str
    sub_account: int
    asset: str
    amount_atoms: int


@dataclass(frozen=True, slots=True, kw_only=True)
class CollateralWithdrawn:
    """Collateral left the venue from a sub-account."""

    SCHEMA_VERSION: ClassVar[int] = 1
    owner: str
    sub_account: int
    asset: str
    amount_atoms: int


@dataclass(frozen=True, slots=True, kw_only=True)
class CollateralTransferred:
    """Collateral moved between two sub-accounts of one owner."""

    SCHEMA_VERSION: ClassVar[int] = 1
    owner: str
    from_sub_account: int
    to_sub_account: int
    asset: str
    amount_atoms: int


@dataclass(frozen=True, slots=True, kw_only=True)
class PrincipalRegistered:
    """A principal's name was bound to its Ed25519 public key (raw, 64 hex digits)."""

    SCHEMA_VERSION: ClassVar[int] = 1
    name: str
    public_key_hex: str
    timestamp_ns: int


Event = (
    AssetRegistered
    | OracleConfigured
    | PriceSubmitted
    | OraclePriceAccepted
    | OracleGuardTripped
    | OracleDegraded
    | CollateralDeposited
    | CollateralWithdrawn
    | CollateralTransferred
    | PrincipalRegistered
    | PoolEvent
    | AuctionEvent
    | CoverEvent
    | CreditLineEvent
    | SeriesEvent
    | GovernanceEvent
    | PortfolioEvent
)

EVENT_TYPES: tuple[type[Event], ...] = (
    AssetRegistered,
    OracleConfigured,
    PriceSubmitted,
    OraclePriceAccepted,
    OracleGuardTripped,
    OracleDegraded,
    CollateralDeposited,
    CollateralWithdrawn,
    CollateralTransferred,
    PrincipalRegistered,
    *POOL_EVENT_TYPES,
    *AUCTION_EVENT_TYPES,
    *COVER_EVENT_TYPES,
    *CREDIT_LINE_EVENT_TYPES,
    *SERIES_EVENT_TYPES,
    *GOVERNANCE_EVENT_TYPES,
    *PORTFOLIO_EVENT_TYPES,
)
