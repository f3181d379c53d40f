"""Events of portfolio margin. Each carries every amount it moves, so ``evolve`` only applies."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import ClassVar

from ringfence.core.pool.events import PositionMove
from ringfence.core.portfolio.rule import PortfolioRule

__all__ = [
    "PORTFOLIO_EVENT_TYPES",
    "AuctionEndReason",
    "PortfolioAuctionEnded",
    "PortfolioAuctionStarted",
    "PortfolioBid",
    "PortfolioBidderCompensated",
    "PortfolioCollateralTaken",
    "PortfolioEvent",
    "PortfolioMarginConfigured",
    "PortfolioMarginDisabled",
    "PortfolioMarginEnabled",
    "PortfolioPositionTaken",
    "PortfolioSeriesTaken",
]


class AuctionEndReason(enum.Enum):
    """Why a portfolio auction ended."""

    RESTORED = "restored"
    """The account is back above water (solvent auction: initial margin; insolvent: maintenance)."""
    EMPTIED = "emptied"
    """Bidders took the whole portfolio: no position and no balance is left."""


@dataclass(frozen=True, slots=True, kw_only=True)
class PortfolioMarginConfigured:
    """The venue's portfolio-margin rule was set."""

    SCHEMA_VERSION: ClassVar[int] = 1
    rule: PortfolioRule
    timestamp_ns: int


@dataclass(frozen=True, slots=True, kw_only=True)
class PortfolioMarginEnabled:
    """A sub-account is margined by the scenario grid from now on."""

    SCHEMA_VERSION: ClassVar[int] = 1
    owner: str
    sub_account: int
    timestamp_ns: int


@dataclass(frozen=True, slots=True, kw_only=True)
class PortfolioMarginDisabled:
    """A sub-account returned to cross margin."""

    SCHEMA_VERSION: ClassVar[int] = 1
    owner: str
    sub_account: int
    timestamp_ns: int


@dataclass(frozen=True, slots=True, kw_only=True)
class PortfolioAuctionStarted:
    """A portfolio went to auction (or a spent solvent auction turned insolvent), with the numbers behind it.

    ``mark_to_market_value`` (collateral at the oracle, unrealised PnL, less funding owed) and the
    maintenance equity and requirement are value atoms; an insolvent auction records the deficit
    its payment grows to (cash atoms) and the pools that pay it with their weights.
    """

    SCHEMA_VERSION: ClassVar[int] = 1
    owner: str
    sub_account: int
    keeper_owner: str
    keeper_sub_account: int
    insolvent: bool
    mark_to_market_value: int
    maintenance_equity_value: int
    maintenance_requirement_value: int
    deficit_atoms: int
    pools: tuple[str, ...]
    pool_weights_value: tuple[int, ...]
    timestamp_ns: int


@dataclass(frozen=True, slots=True, kw_only=True)
class PortfolioBid:
    """A bidder took ``share_wad`` of the portfolio; ``price_atoms`` cash moved from it to the account.

    Solvent: ``price_atoms = ⌊share · MtM · discount⌋`` ≥ 0 (cash atoms, from the bidder's cash
    balance to the account's). Insolvent: ``price_atoms`` ≤ 0 and nothing moves here: the pools pay
    the bidder (:class:`PortfolioBidderCompensated`). ``requested_share_wad`` is what the bidder
    asked for; ``share_wad`` what it got (capped so the account is not liquidated past initial margin).
    """

    SCHEMA_VERSION: ClassVar[int] = 1
    owner: str
    sub_account: int
    bidder_owner: str
    bidder_sub_account: int
    requested_share_wad: int
    share_wad: int
    discount_wad: int
    mark_to_market_value: int
    price_atoms: int
    cash_asset: str
    timestamp_ns: int


@dataclass(frozen=True, slots=True, kw_only=True)
class PortfolioPositionTaken(PositionMove):
    """One side of a position's transfer from an auctioned portfolio to a bidder, at the oracle.

    Two events per transferred position: the account's (its size falls by the share, realising
    the share's PnL into its cash) and the bidder's (its size grows by it, booked at the oracle).
    The flows are those of :class:`~ringfence.core.pool.events.PositionMove`; no fee is paid.
    """

    SCHEMA_VERSION: ClassVar[int] = 1


@dataclass(frozen=True, slots=True, kw_only=True)
class PortfolioSeriesTaken:
    """One side of an option or dated-future position's transfer to a bidder, with its cost basis.

    Two events per transferred series position (the account's, then the bidder's); no value moves
    but the position: ``new_open_value_atoms`` carries the premium (or notional) with it.
    """

    SCHEMA_VERSION: ClassVar[int] = 1
    owner: str
    sub_account: int
    pool: str
    series: str
    size_delta_atoms: int
    new_size_atoms: int
    new_open_value_atoms: int
    timestamp_ns: int


@dataclass(frozen=True, slots=True, kw_only=True)
class PortfolioCollateralTaken:
    """``amount_atoms`` of ``asset`` moved from the auctioned account to the bidder (negative: a share of a debt)."""

    SCHEMA_VERSION: ClassVar[int] = 1
    owner: str
    sub_account: int
    bidder_owner: str
    bidder_sub_account: int
    asset: str
    amount_atoms: int
    timestamp_ns: int


@dataclass(frozen=True, slots=True, kw_only=True)
class PortfolioBidderCompensated:
    """A pool's LP vault paid a bidder its share of an insolvent portfolio's price; its waterfall events follow."""

    SCHEMA_VERSION: ClassVar[int] = 1
    pool: str
    owner: str
    sub_account: int
    bidder_owner: str
    bidder_sub_account: int
    amount_atoms: int
    timestamp_ns: int


@dataclass(frozen=True, slots=True, kw_only=True)
class PortfolioAuctionEnded:
    """The auction of a sub-account's portfolio ended."""

    SCHEMA_VERSION: ClassVar[int] = 1
    owner: str
    sub_account: int
    reason: AuctionEndReason
    timestamp_ns: int


PortfolioEvent = (
    PortfolioMarginConfigured
    | PortfolioMarginEnabled
    | PortfolioMarginDisabled
    | PortfolioAuctionStarted
    | PortfolioBid
    | PortfolioPositionTaken
    | PortfolioSeriesTaken
    | PortfolioCollateralTaken
    | PortfolioBidderCompensated
    | PortfolioAuctionEnded
)

PORTFOLIO_EVENT_TYPES: tuple[type[PortfolioEvent], ...] = (
    PortfolioMarginConfigured,
    PortfolioMarginEnabled,
    PortfolioMarginDisabled,
    PortfolioAuctionStarted,
    PortfolioBid,
    PortfolioPositionTaken,
    PortfolioSeriesTaken,
    PortfolioCollateralTaken,
    PortfolioBidderCompensated,
    PortfolioAuctionEnded,
)
