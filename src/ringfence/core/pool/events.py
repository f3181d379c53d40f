"""Events recorded by pools. Each carries every amount it moves, so ``evolve`` only applies."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from ringfence.core.liquidation.kinds import LiquidationPath, LiquidationReason
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
    "PositionDeleveraged",
    "PositionLiquidated",
    "PositionMove",
    "TradeFilled",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class PoolCreated:
    """A pool instance was created from a template version."""

    SCHEMA_VERSION: ClassVar[int] = 1
    pool: str
    template: str
    template_version: int
    params: PoolParams


@dataclass(frozen=True, slots=True, kw_only=True)
class MarketAdded:
    """A perpetual market was added to a pool."""

    SCHEMA_VERSION: ClassVar[int] = 1
    pool: str
    params: MarketParams
    timestamp_ns: int


@dataclass(frozen=True, slots=True, kw_only=True)
class LiquidityProvided:
    """Quote atoms left a sub-account for the LP vault; shares were minted."""

    SCHEMA_VERSION: ClassVar[int] = 1
    owner: str
    sub_account: int
    pool: str
    amount_atoms: int
    shares: int


@dataclass(frozen=True, slots=True, kw_only=True)
class LiquidityRemoved:
    """Shares were burnt; quote atoms left the LP vault for a sub-account."""

    SCHEMA_VERSION: ClassVar[int] = 1
    owner: str
    sub_account: int
    pool: str
    shares: int
    amount_atoms: int


@dataclass(frozen=True, slots=True, kw_only=True)
class InsuranceFunded:
    """Quote atoms left a sub-account for a pool's insurance fund."""

    SCHEMA_VERSION: ClassVar[int] = 1
    owner: str
    sub_account: int
    pool: str
    amount_atoms: int


@dataclass(frozen=True, slots=True, kw_only=True)
class FundingAccrued:
    """A market's funding index moved (longs pay when it rises)."""

    SCHEMA_VERSION: ClassVar[int] = 1
    pool: str
    market: str
    index_delta_wad: int
    timestamp_ns: int


@dataclass(frozen=True, slots=True, kw_only=True)
class PositionMove:
    """What every change of a position carries (not an event itself; see its three subclasses).

    Quote flows, all in atoms: the account's margin side (its quote balance for cross, the
    position's vault for isolated) pays ``funding_paid_atoms`` (negative: receives) to the LP
    vault and receives ``realised_pnl_atoms`` (negative: pays) from it; an isolated position
    that closes releases ``margin_released_atoms`` from its vault back to the quote balance.
    """

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
    margin_released_atoms: int
    funding_paid_atoms: int
    realised_pnl_atoms: int


@dataclass(frozen=True, slots=True, kw_only=True)
class TradeFilled(PositionMove):
    """A trade filled at ``price_wad``: the account paid its fee and moved margin.

    ``margin_added_atoms`` moved from the quote balance into the isolated vault; ``fee_atoms``
    was paid by the margin side and split ``lp_fee_atoms`` (LP vault) + ``insurance_fee_atoms``
    (insurance fund) + ``protocol_fee_atoms``.
    """

    SCHEMA_VERSION: ClassVar[int] = 1
    margin_added_atoms: int
    fee_atoms: int
    lp_fee_atoms: int
    insurance_fee_atoms: int
    protocol_fee_atoms: int


@dataclass(frozen=True, slots=True, kw_only=True)
class PositionLiquidated(PositionMove):
    """A liquidation closed the position (or part of it) at the oracle, with every amount it moved.

    The margin side pays ``keeper_reward_atoms`` to the keeper and ``insurance_penalty_atoms``
    to the insurance fund (keeper path), or forfeits ``backstop_forfeit_atoms`` of its equity to
    the LP vault (backstop path); ``execution_cost_atoms`` moves from it to the keeper (what
    closing at the keeper's execution price cost beyond the oracle-realised PnL; 0 at the
    oracle). ``shortfall_atoms`` is the loss the account could not pay: the LP vault carries
    it, and the waterfall events that follow cover it. The accompanying
    :class:`LiquidationRecorded` says which path was taken and why.
    """

    SCHEMA_VERSION: ClassVar[int] = 1
    keeper_owner: str
    keeper_sub_account: int
    keeper_reward_atoms: int
    insurance_penalty_atoms: int
    backstop_forfeit_atoms: int
    shortfall_atoms: int
    execution_cost_atoms: int


@dataclass(frozen=True, slots=True, kw_only=True)
class PositionDeleveraged(PositionMove):
    """Auto-deleveraging closed part of a profitable position at the bankrupt position's price.

    ``realised_pnl_atoms`` is already net of the profit given up; the accompanying
    :class:`AutoDeleveraged` records how much that was and the position's rank.
    """

    SCHEMA_VERSION: ClassVar[int] = 1


@dataclass(frozen=True, slots=True, kw_only=True)
class LiquidationRecorded:
    """Why and how a position was liquidated: the path the engine chose and the numbers it used.

    ``path`` is :attr:`LiquidationPath.KEEPER` (a keeper closes ``closed_atoms`` for the penalty)
    or :attr:`LiquidationPath.BACKSTOP` (the LP vault takes the whole position over, no keeper
    bonus); ``reason`` says why (:class:`LiquidationReason`: bankrupt, toxic, below the backstop
    threshold, ...) and ``detail`` gives the numbers behind it for a human. The accompanying
    :class:`PositionLiquidated` carries the flows. ``execution_price_wad`` is the price the close
    executed at (the oracle unless the keeper sent one) and ``execution_cost_atoms`` what that
    cost the account beyond the oracle-realised PnL, paid to the keeper (journals written before
    these fields read as 0: at the oracle).

    Schema v2: ``reason`` became an enum and the v1 free text moved to ``detail``
    (``ringfence.store.upcast``).
    """

    SCHEMA_VERSION: ClassVar[int] = 2
    pool: str
    market: str
    owner: str
    sub_account: int
    path: LiquidationPath
    reason: LiquidationReason
    detail: str
    health_wad: int
    penalty_wad: int
    closed_atoms: int
    notional_atoms: int
    partial: bool
    timestamp_ns: int
    execution_price_wad: int = 0
    execution_cost_atoms: int = 0
    phase_open: bool = False
    """A Drift phased liquidation of the position goes on after this step (DRIFT_PHASED pools)."""
    phase_started_ns: int = 0
    """When that phase started."""
    phase_margin_freed_atoms: int = 0
    """The margin that phase freed so far, this step included."""


@dataclass(frozen=True, slots=True, kw_only=True)
class BackstopAbsorbed:
    """The LP vault absorbed part of a shortfall within its per-window backstop budget (waterfall step)."""

    SCHEMA_VERSION: ClassVar[int] = 1
    pool: str
    amount_atoms: int
    timestamp_ns: int


@dataclass(frozen=True, slots=True, kw_only=True)
class AutoDeleveraged:
    """A profitable opposing position was closed at the oracle and gave up ``forgone_atoms`` of its profit.

    Closing at the oracle minus the forgone profit is closing at the bankrupt position's
    bankruptcy price, capped at the closed part's profit. The accompanying
    :class:`PositionDeleveraged` carries the flows (its realised PnL is already net of the forgone
    part). In journals written before the split (``PositionChanged`` v1) the flows of an ADL close
    read as a :class:`TradeFilled` without fees: the old event did not say which it was, and
    this event, which follows it, is what identifies the close as auto-deleveraging.
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


@dataclass(frozen=True, slots=True, kw_only=True)
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


@dataclass(frozen=True, slots=True, kw_only=True)
class InsuranceDrawn:
    """The pool's insurance fund paid part of a shortfall into the LP vault (waterfall step)."""

    SCHEMA_VERSION: ClassVar[int] = 1
    pool: str
    amount_atoms: int
    shortfall_atoms: int
    timestamp_ns: int


@dataclass(frozen=True, slots=True, kw_only=True)
class LossSocialised:
    """What the insurance fund could not cover was borne by the pool's LPs (last waterfall step)."""

    SCHEMA_VERSION: ClassVar[int] = 1
    pool: str
    amount_atoms: int
    timestamp_ns: int


@dataclass(frozen=True, slots=True, kw_only=True)
class PoolStatusChanged:
    """A breaker tripped or was reset: the pool's status changed, with its cause."""

    SCHEMA_VERSION: ClassVar[int] = 1
    pool: str
    status: str
    reason: str
    timestamp_ns: int


@dataclass(frozen=True, slots=True, kw_only=True)
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
    | TradeFilled
    | PositionLiquidated
    | PositionDeleveraged
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
    TradeFilled,
    PositionLiquidated,
    PositionDeleveraged,
    LiquidationRecorded,
    InsuranceDrawn,
    BackstopAbsorbed,
    AutoDeleveraged,
    LossSocialised,
    PoolStatusChanged,
    PoolHalted,
    IsolatedMarginAdjusted,
)
