"""Events recorded by pools. Each carries every amount it moves, so ``evolve`` only applies."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from ringfence.core.pool.state import MarginMode, MarketParams, PoolParams

__all__ = [
    "POOL_EVENT_TYPES",
    "AutoDeleveraged",
    "BackstopAbsorbed",
    "FundingAccrued",
    "InsuranceDrawn",
    "InsuranceFunded",
    "IsolatedMarginAdjusted",
    "LiquidationRecorded",
    "LiquidityProvided",
    "LiquidityRemoved",
    "LossSocialised",
    "MarketAdded",
    "PoolCreated",
    "PoolEvent",
    "PoolHalted",
    "PoolStatusChanged",
    "PositionChanged",
]


@dataclass(frozen=True, slots=True)
class PoolCreated:
    """A pool instance was created from a template version."""

    SCHEMA_VERSION: ClassVar[int] = 1
    pool: str
    template: str
    template_version: int
    params: PoolParams


@dataclass(frozen=True, slots=True)
class MarketAdded:
    """A perpetual market was added to a pool."""

    SCHEMA_VERSION: ClassVar[int] = 1
    pool: str
    params: MarketParams
    timestamp_ns: int


@dataclass(frozen=True, slots=True)
class LiquidityProvided:
    """Quote atoms left a sub-account for the LP vault; shares were minted."""

    SCHEMA_VERSION: ClassVar[int] = 1
    owner: str
    sub_account: int
    pool: str
    amount_atoms: int
    shares: int


@dataclass(frozen=True, slots=True)
class LiquidityRemoved:
    """Shares were burnt; quote atoms left the LP vault for a sub-account."""

    SCHEMA_VERSION: ClassVar[int] = 1
    owner: str
    sub_account: int
    pool: str
    shares: int
    amount_atoms: int


@dataclass(frozen=True, slots=True)
class InsuranceFunded:
    """Quote atoms left a sub-account for a pool's insurance fund."""

    SCHEMA_VERSION: ClassVar[int] = 1
    owner: str
    sub_account: int
    pool: str
    amount_atoms: int


@dataclass(frozen=True, slots=True)
class FundingAccrued:
    """A market's funding index moved (longs pay when it rises)."""

    SCHEMA_VERSION: ClassVar[int] = 1
    pool: str
    market: str
    index_delta_wad: int
    timestamp_ns: int


@dataclass(frozen=True, slots=True)
class PositionChanged:
    """A position changed by a trade or a liquidation, with every amount it moved.

    Quote flows, all in atoms: the account (its quote balance for cross, the position's
    vault for isolated) pays ``fee_atoms`` (split LP / insurance / protocol) and
    ``funding_paid_atoms`` (negative: received) and receives ``realised_pnl_atoms``
    (negative: pays); ``margin_added_atoms`` moves from the quote balance into the isolated
    vault and ``margin_released_atoms`` back. A liquidation also pays ``keeper_reward_atoms``
    to the keeper and ``insurance_penalty_atoms`` to the insurance fund, and records
    ``shortfall_atoms``: loss the account could not pay (covered next by the waterfall).
    ``execution_cost_atoms`` moves from the account to the keeper: what closing at the keeper's
    execution price cost the account beyond the oracle-realised PnL (0 at the oracle).
    """

    SCHEMA_VERSION: ClassVar[int] = 1
    owner: str
    sub_account: int
    pool: str
    market: str
    mode: MarginMode
    size_delta_atoms: int
    price_wad: int
    new_size_atoms: int
    new_open_notional_atoms: int
    funding_index_wad: int
    margin_added_atoms: int
    margin_released_atoms: int
    fee_atoms: int
    lp_fee_atoms: int
    insurance_fee_atoms: int
    protocol_fee_atoms: int
    funding_paid_atoms: int
    realised_pnl_atoms: int
    liquidated: bool
    keeper_owner: str
    keeper_sub_account: int
    keeper_reward_atoms: int
    insurance_penalty_atoms: int
    shortfall_atoms: int
    execution_cost_atoms: int = field(default=0, kw_only=True)


@dataclass(frozen=True, slots=True)
class LiquidationRecorded:
    """Why and how a position was liquidated: the path the engine chose and the numbers it used.

    ``path`` is ``"keeper"`` (a keeper closes ``closed_atoms`` for the penalty) or ``"backstop"``
    (the LP vault takes the whole position over, no keeper bonus; ``reason`` says why: bankrupt,
    toxic, or below the backstop health). The accompanying :class:`PositionChanged` carries the
    flows; for the backstop path its ``fee_atoms`` (all ``lp_fee_atoms``) is the equity the
    account forfeits to the LP vault. ``execution_price_wad`` is the price the close executed at
    (the oracle unless the keeper sent one) and ``execution_cost_atoms`` what that cost the
    account beyond the oracle-realised PnL, paid to the keeper (journals written before these
    fields read as 0: at the oracle).
    """

    SCHEMA_VERSION: ClassVar[int] = 1
    pool: str
    market: str
    owner: str
    sub_account: int
    path: str
    reason: str
    health_wad: int
    penalty_wad: int
    closed_atoms: int
    notional_atoms: int
    partial: bool
    timestamp_ns: int
    execution_price_wad: int = field(default=0, kw_only=True)
    execution_cost_atoms: int = field(default=0, kw_only=True)
    phase_open: bool = field(default=False, kw_only=True)
    """A Drift phased liquidation of the position goes on after this step (DRIFT_PHASED pools)."""
    phase_started_ns: int = field(default=0, kw_only=True)
    """When that phase started."""
    phase_margin_freed_atoms: int = field(default=0, kw_only=True)
    """The margin that phase freed so far, this step included."""


@dataclass(frozen=True, slots=True)
class BackstopAbsorbed:
    """The LP vault absorbed part of a shortfall within its per-window backstop budget (waterfall step)."""

    SCHEMA_VERSION: ClassVar[int] = 1
    pool: str
    amount_atoms: int
    timestamp_ns: int


@dataclass(frozen=True, slots=True)
class AutoDeleveraged:
    """A profitable opposing position was closed at the oracle and gave up ``forgone_atoms`` of its profit.

    Closing at the oracle minus the forgone profit is closing at the bankrupt position's
    bankruptcy price, capped at the closed part's profit. The accompanying
    :class:`PositionChanged` carries the flows (its realised PnL is already net of the forgone part).
    """

    SCHEMA_VERSION: ClassVar[int] = 1
    pool: str
    market: str
    owner: str
    sub_account: int
    closed_atoms: int
    forgone_atoms: int
    rank: int
    timestamp_ns: int


@dataclass(frozen=True, slots=True)
class IsolatedMarginAdjusted:
    """Quote atoms moved from a sub-account's balance into its isolated position's vault.

    ``delta_atoms`` is signed: negative moves margin back from the vault to the balance.
    """

    SCHEMA_VERSION: ClassVar[int] = 1
    owner: str
    sub_account: int
    pool: str
    market: str
    delta_atoms: int
    timestamp_ns: int


@dataclass(frozen=True, slots=True)
class InsuranceDrawn:
    """The pool's insurance fund paid part of a shortfall into the LP vault (waterfall step)."""

    SCHEMA_VERSION: ClassVar[int] = 1
    pool: str
    amount_atoms: int
    shortfall_atoms: int
    timestamp_ns: int


@dataclass(frozen=True, slots=True)
class LossSocialised:
    """What the insurance fund could not cover was borne by the pool's LPs (last waterfall step)."""

    SCHEMA_VERSION: ClassVar[int] = 1
    pool: str
    amount_atoms: int
    timestamp_ns: int


@dataclass(frozen=True, slots=True)
class PoolStatusChanged:
    """A breaker tripped or was reset: the pool's status changed, with its cause."""

    SCHEMA_VERSION: ClassVar[int] = 1
    pool: str
    status: str
    reason: str
    timestamp_ns: int


@dataclass(frozen=True, slots=True)
class PoolHalted:
    """A fault inside the pool was contained: the pool is halted, every other pool runs on."""

    SCHEMA_VERSION: ClassVar[int] = 1
    pool: str
    command: str
    cause: str
    timestamp_ns: int


PoolEvent = (
    PoolCreated
    | MarketAdded
    | LiquidityProvided
    | LiquidityRemoved
    | InsuranceFunded
    | FundingAccrued
    | PositionChanged
    | LiquidationRecorded
    | InsuranceDrawn
    | BackstopAbsorbed
    | AutoDeleveraged
    | LossSocialised
    | PoolStatusChanged
    | PoolHalted
    | IsolatedMarginAdjusted
)

POOL_EVENT_TYPES: tuple[type[PoolEvent], ...] = (
    PoolCreated,
    MarketAdded,
    LiquidityProvided,
    LiquidityRemoved,
    InsuranceFunded,
    FundingAccrued,
    PositionChanged,
    LiquidationRecorded,
    InsuranceDrawn,
    BackstopAbsorbed,
    AutoDeleveraged,
    LossSocialised,
    PoolStatusChanged,
    PoolHalted,
    IsolatedMarginAdjusted,
)
