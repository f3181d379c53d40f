"""Events of a pool's collateral auctions. Each carries every amount it moves, so ``evolve`` only applies.

Quote amounts are atoms of the pool's quote asset; collateral amounts atoms of the auction's asset.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from ringfence.core.pool.auction_state import AuctionParams

__all__ = [
    "AUCTION_EVENT_TYPES",
    "AuctionEvent",
    "AuctionsConfigured",
    "CollateralAuctionEnded",
    "CollateralAuctionRestarted",
    "CollateralAuctionStarted",
    "CollateralTaken",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class AuctionsConfigured:
    """A pool's collateral-auction parameters were set."""

    SCHEMA_VERSION: ClassVar[int] = 1
    pool: str
    params: AuctionParams
    timestamp_ns: int


@dataclass(frozen=True, slots=True, kw_only=True)
class CollateralAuctionStarted:
    """``lot_atoms`` of ``asset`` left the sub-account for auction ``auction_id``.

    ``debt_atoms`` is the sub-account's debt when kicked, ``tab_atoms`` the debt plus the
    penalty. The pool's insurance fund paid ``keeper_incentive_atoms`` to the keeper.
    """

    SCHEMA_VERSION: ClassVar[int] = 1
    pool: str
    auction_id: int
    owner: str
    sub_account: int
    asset: str
    lot_atoms: int
    debt_atoms: int
    tab_atoms: int
    oracle_price_wad: int
    top_wad: int
    keeper_owner: str
    keeper_sub_account: int
    keeper_incentive_atoms: int
    timestamp_ns: int


@dataclass(frozen=True, slots=True, kw_only=True)
class CollateralTaken:
    """A taker paid ``paid_atoms`` of quote for ``slice_atoms`` of the lot at ``price_wad``.

    ``debt_repaid_atoms`` of the payment went to the liquidated sub-account's quote balance and
    ``penalty_atoms`` (the rest) to the pool's insurance fund. The auction's lot falls by
    ``slice_atoms``, its tab by ``paid_atoms`` and its debt by ``debt_repaid_atoms``.
    """

    SCHEMA_VERSION: ClassVar[int] = 1
    pool: str
    auction_id: int
    taker_owner: str
    taker_sub_account: int
    price_wad: int
    slice_atoms: int
    paid_atoms: int
    debt_repaid_atoms: int
    penalty_atoms: int
    timestamp_ns: int


@dataclass(frozen=True, slots=True, kw_only=True)
class CollateralAuctionEnded:
    """Auction ``auction_id`` closed: its tab was raised or its lot sold out.

    ``lot_returned_atoms`` of collateral went back to the sub-account. ``shortfall_atoms`` of
    its debt that the lot could not raise was written off: credited to its quote balance and
    taken from the pool's LP vault, which the waterfall events that follow refill from the
    insurance fund or book as socialised loss. ``unsettled_debt_atoms`` is the auction's debt
    that neither the lot nor the write-off settled: still owed by a sub-account that holds
    other collateral or positions (a later auction can sell it), or already repaid by its owner.
    """

    SCHEMA_VERSION: ClassVar[int] = 1
    pool: str
    auction_id: int
    lot_returned_atoms: int
    shortfall_atoms: int
    unsettled_debt_atoms: int
    timestamp_ns: int


@dataclass(frozen=True, slots=True, kw_only=True)
class CollateralAuctionRestarted:
    """Auction ``auction_id`` was reset (Maker ``redo``): a new ``top`` and clock from ``timestamp_ns``.

    The pool's insurance fund paid ``keeper_incentive_atoms`` to the keeper.
    """

    SCHEMA_VERSION: ClassVar[int] = 1
    pool: str
    auction_id: int
    oracle_price_wad: int
    top_wad: int
    keeper_owner: str
    keeper_sub_account: int
    keeper_incentive_atoms: int
    timestamp_ns: int


AuctionEvent = (
    AuctionsConfigured
    | CollateralAuctionStarted
    | CollateralTaken
    | CollateralAuctionEnded
    | CollateralAuctionRestarted
)

AUCTION_EVENT_TYPES: tuple[type[AuctionEvent], ...] = (
    AuctionsConfigured,
    CollateralAuctionStarted,
    CollateralTaken,
    CollateralAuctionEnded,
    CollateralAuctionRestarted,
)
