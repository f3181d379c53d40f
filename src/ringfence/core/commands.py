"""Commands: what a caller asks the engine to do (imperative names).

A command is a frozen value. Every command carries ``timestamp_ns``, stamped by the
service's clock port at the edge, so the core itself never reads a clock.
``decide(state, command)`` either raises a :mod:`~ringfence.core.errors` rejection or
returns the events that record the command's effect.
"""

from __future__ import annotations

from dataclasses import dataclass

from ringfence.core.governance.commands import GovernanceCommand
from ringfence.core.pool.auction_commands import AuctionCommand
from ringfence.core.pool.commands import PoolCommand

__all__ = [
    "Command",
    "ConfigureOracle",
    "Deposit",
    "RegisterAsset",
    "SubmitPrice",
    "Transfer",
    "Withdraw",
]


@dataclass(frozen=True, slots=True)
class RegisterAsset:
    """List an asset with its collateral parameters (SPEC §2.3).

    ``initial_weight_wad ≤ maintenance_weight_wad ≤ WAD``; ``supply_cap_atoms`` bounds the
    total deposited; past ``weight_scale_start_value`` of deposits (in value atoms) the
    initial weight scales down as ``weight · start / deposits`` (Mango v4).
    """

    asset: str
    decimals: int
    initial_weight_wad: int
    maintenance_weight_wad: int
    supply_cap_atoms: int
    weight_scale_start_value: int
    timestamp_ns: int


@dataclass(frozen=True, slots=True)
class ConfigureOracle:
    """Set an asset's oracle sources, quorum, guards and stable-price tuning."""

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
    timestamp_ns: int


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
    | SubmitPrice
    | Deposit
    | Withdraw
    | Transfer
    | PoolCommand
    | AuctionCommand
    | GovernanceCommand
)
