"""The engine's state: assets, oracles and sub-accounts.

State objects are plain mutable containers, but only :mod:`ringfence.core.evolve` mutates
them; ``decide`` reads them. Mapping iteration follows insertion order, which replay
reproduces, so every output derived from the state is deterministic.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ringfence.core.governance.state import GovernanceState
from ringfence.core.oracle import OracleConfig, OracleStatus, SourceQuote
from ringfence.core.pool.credit_line_state import CreditLine
from ringfence.core.pool.state import PoolState
from ringfence.core.portfolio.rule import PortfolioRule
from ringfence.core.portfolio.state import PortfolioAuction
from ringfence.core.stable_price import StablePrice, StablePriceParams
from ringfence.core.state_keys import AccountKey

__all__ = ["AccountKey", "AssetParams", "AssetState", "LedgerState", "OracleState", "SubAccount"]


@dataclass(frozen=True, slots=True)
class AssetParams:
    """An asset's listing: decimals and collateral parameters."""

    asset: str
    decimals: int
    initial_weight_wad: int
    maintenance_weight_wad: int
    supply_cap_atoms: int
    weight_scale_start_value: int


@dataclass(slots=True)
class AssetState:
    """A listed asset and the venue-wide total deposited of it."""

    params: AssetParams
    total_deposits_atoms: int = 0


@dataclass(slots=True)
class OracleState:
    """One asset's oracle: its configuration, latest quotes and accepted price."""

    config: OracleConfig
    stable_params: StablePriceParams
    quotes: dict[str, SourceQuote] = field(default_factory=dict)
    accepted_price_wad: int | None = None
    accepted_ns: int = 0
    status: OracleStatus = OracleStatus.STALE
    reason: str = "no price accepted yet"
    guarded_since_ns: int | None = None
    guarded_price_wad: int | None = None
    """The median the guard is holding back; a release must confirm this level."""
    stable: StablePrice | None = None


@dataclass(slots=True)
class SubAccount:
    """One owner's sub-account: collateral balances in atoms, keyed by asset."""

    balances: dict[str, int] = field(default_factory=dict)


@dataclass(slots=True)
class LedgerState:
    """Everything the engine knows. Equality compares every field (replay tests rely on it)."""

    assets: dict[str, AssetState] = field(default_factory=dict)
    oracles: dict[str, OracleState] = field(default_factory=dict)
    accounts: dict[AccountKey, SubAccount] = field(default_factory=dict)
    deposited_atoms: dict[str, int] = field(default_factory=dict)
    """Cumulative deposits per asset (the conservation reference)."""
    withdrawn_atoms: dict[str, int] = field(default_factory=dict)
    """Cumulative withdrawals per asset."""
    pools: dict[str, PoolState] = field(default_factory=dict)
    cross_pool: dict[AccountKey, str] = field(default_factory=dict)
    """The one pool a sub-account's cross positions live in (a sub-account never spans pools)."""
    governance: GovernanceState | None = None
    """Roles, template versions and proposals; ``None`` until ``ConfigureGovernance`` ran."""
    principals: dict[str, str] = field(default_factory=dict)
    """Registered principals: name → Ed25519 public key (hex), for adapters to authenticate senders."""
    credit_lines: dict[str, CreditLine] = field(default_factory=dict)
    """Credit lines between pools, by id, in opening order (``core/pool/credit_lines.py``)."""
    portfolio_rule: PortfolioRule | None = None
    """The venue's portfolio-margin rule; ``None`` until ``ConfigurePortfolioMargin`` ran (``core/portfolio``)."""
    portfolio_accounts: dict[AccountKey, int] = field(default_factory=dict)
    """Portfolio-margined sub-accounts and when each enabled it (ns): margined by the scenario grid."""
    portfolio_auctions: dict[AccountKey, PortfolioAuction] = field(default_factory=dict)
    """Live auctions of portfolio-margined sub-accounts (``core/pool/portfolio_auction.py``)."""
