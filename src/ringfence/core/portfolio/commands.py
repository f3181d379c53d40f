"""Commands of portfolio margin: the venue's rule, an owner's opt-in and opt-out, the portfolio auction."""

from __future__ import annotations

from dataclasses import dataclass

from ringfence.core.portfolio.rule import PortfolioRule

__all__ = [
    "BidPortfolio",
    "ConfigurePortfolioMargin",
    "DisablePortfolioMargin",
    "EnablePortfolioMargin",
    "EndPortfolioAuction",
    "PortfolioCommand",
    "StartPortfolioAuction",
]


@dataclass(frozen=True, slots=True)
class ConfigurePortfolioMargin:
    """Set (or replace) the venue's portfolio-margin rule: a venue change (admin's genesis or a proposal)."""

    rule: PortfolioRule
    timestamp_ns: int


@dataclass(frozen=True, slots=True)
class EnablePortfolioMargin:
    """Margin a sub-account by the venue's scenario grid (it must hold no position and the rule's minimum equity)."""

    owner: str
    sub_account: int
    timestamp_ns: int


@dataclass(frozen=True, slots=True)
class DisablePortfolioMargin:
    """Return a sub-account with no portfolio position and no live auction to cross margin."""

    owner: str
    sub_account: int
    timestamp_ns: int


@dataclass(frozen=True, slots=True)
class StartPortfolioAuction:
    """A keeper starts the auction of a portfolio below maintenance margin, or turns a spent one insolvent.

    Permissionless, by a keeper other than the owner (who is credited in the auction's record).
    """

    keeper_owner: str
    keeper_sub_account: int
    owner: str
    sub_account: int
    timestamp_ns: int


@dataclass(frozen=True, slots=True)
class BidPortfolio:
    """A bidder takes ``share_wad`` of an auctioned portfolio (its positions and collateral) into its own sub-account.

    ``limit_atoms`` bounds the price in cash atoms (signed: what the bidder pays; negative, what it
    is paid): the bid is refused if the price is above it. The bidder's sub-account must be
    portfolio-margined (it takes positions in every pool the portfolio spans) and stay at initial
    margin afterwards.
    """

    bidder_owner: str
    bidder_sub_account: int
    owner: str
    sub_account: int
    share_wad: int
    limit_atoms: int
    timestamp_ns: int


@dataclass(frozen=True, slots=True)
class EndPortfolioAuction:
    """End an auction whose account is back above water (solvent: initial margin; insolvent: maintenance)."""

    actor: str
    owner: str
    sub_account: int
    timestamp_ns: int


PortfolioCommand = (
    ConfigurePortfolioMargin
    | EnablePortfolioMargin
    | DisablePortfolioMargin
    | StartPortfolioAuction
    | BidPortfolio
    | EndPortfolioAuction
)
