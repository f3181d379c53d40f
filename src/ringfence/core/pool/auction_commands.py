"""Commands of a pool's collateral auctions (Maker Clipper and Lyra v2 / Derive Dutch auctions)."""

from __future__ import annotations

from dataclasses import dataclass

from ringfence.core.pool.auction_state import AuctionParams

__all__ = [
    "AuctionCommand",
    "ConfigureAuctions",
    "RedoCollateralAuction",
    "StartCollateralAuction",
    "TakeCollateral",
]


@dataclass(frozen=True, slots=True)
class ConfigureAuctions:
    """Set (or replace) a pool's collateral-auction parameters; live auctions use the new ones."""

    pool: str
    params: AuctionParams
    timestamp_ns: int


@dataclass(frozen=True, slots=True)
class StartCollateralAuction:
    """A keeper seizes a sub-account's whole balance of ``asset`` into an auction (Maker ``bark``/``kick``).

    Accepted when the sub-account owes the pool's quote asset (a negative balance) and holds
    no cross position anywhere; the pool's insurance fund pays the keeper ``tip + chip · tab``.
    """

    keeper_owner: str
    keeper_sub_account: int
    owner: str
    sub_account: int
    pool: str
    asset: str
    timestamp_ns: int


@dataclass(frozen=True, slots=True)
class TakeCollateral:
    """Buy up to ``max_amount_atoms`` of an auction's lot at its current price, if at most ``max_price_wad``."""

    taker_owner: str
    taker_sub_account: int
    pool: str
    auction_id: int
    max_amount_atoms: int
    max_price_wad: int
    timestamp_ns: int


@dataclass(frozen=True, slots=True)
class RedoCollateralAuction:
    """A keeper restarts an auction that needs a reset (tail, cusp, or a price of 0), for a reward."""

    keeper_owner: str
    keeper_sub_account: int
    pool: str
    auction_id: int
    timestamp_ns: int


AuctionCommand = ConfigureAuctions | StartCollateralAuction | TakeCollateral | RedoCollateralAuction
