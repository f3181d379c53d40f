"""Commands: what a caller asks the engine to do (imperative names).

A command is a frozen value. Every command carries ``timestamp_ns``, stamped by the
service's clock port at the edge, so the core itself never reads a clock.
``decide(state, command, sender)`` either raises a :mod:`~ringfence.core.errors` rejection or
returns the events that record the command's effect. The sender is not a field of the
command: the adapter that authenticated it hands it in beside the command (:class:`Sent`).
"""

from __future__ import annotations

from dataclasses import dataclass

from ringfence.core.governance.commands import GovernanceCommand
from ringfence.core.pool.auction_commands import AuctionCommand
from ringfence.core.pool.commands import PoolCommand
from ringfence.core.pool.cover_commands import CoverCommand
from ringfence.core.pool.credit_line_commands import CreditLineCommand
from ringfence.core.pool.series_commands import SeriesCommand
from ringfence.core.portfolio.commands import PortfolioCommand
from ringfence.core.venue_commands import ConfigureOracle, OpenVenue, RegisterAsset, RegisterPrincipal

__all__ = [
    "Command",
    "ConfigureOracle",
    "Deposit",
    "OpenVenue",
    "RegisterAsset",
    "RegisterPrincipal",
    "Sent",
    "SubmitPrice",
    "Transfer",
    "Withdraw",
]


@dataclass(frozen=True, slots=True)
class SubmitPrice:
    """A source reports a price (with its confidence interval) published at ``published_ns``."""

    asset: str
    source: str
    price_wad: int
    confidence_wad: int
    published_ns: int
    timestamp_ns: int


@dataclass(frozen=True, slots=True)
class Deposit:
    """Credit ``amount_atoms`` of ``asset`` to an owner's sub-account (created on first use)."""

    owner: str
    sub_account: int
    asset: str
    amount_atoms: int
    timestamp_ns: int


@dataclass(frozen=True, slots=True)
class Withdraw:
    """Pay ``amount_atoms`` of ``asset`` out of a sub-account, if it stays healthy at IM."""

    owner: str
    sub_account: int
    asset: str
    amount_atoms: int
    timestamp_ns: int


@dataclass(frozen=True, slots=True)
class Transfer:
    """Move collateral between two sub-accounts of one owner, if the source stays healthy at IM."""

    owner: str
    from_sub_account: int
    to_sub_account: int
    asset: str
    amount_atoms: int
    timestamp_ns: int


Command = (
    RegisterAsset
    | ConfigureOracle
    | OpenVenue
    | RegisterPrincipal
    | SubmitPrice
    | Deposit
    | Withdraw
    | Transfer
    | PoolCommand
    | AuctionCommand
    | CoverCommand
    | CreditLineCommand
    | SeriesCommand
    | GovernanceCommand
    | PortfolioCommand
)


@dataclass(frozen=True, slots=True)
class Sent:
    """A command and the principal who sent it, authenticated by the adapter that hands it in.

    The sender never comes from the command's own fields: ``decide`` checks that the sender
    owns the sub-account, is the feeder, or holds the role the command needs.
    """

    sender: str
    command: Command
