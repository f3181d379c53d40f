"""Commands that reach a pool through its gateway."""

from __future__ import annotations

from dataclasses import dataclass, field

from ringfence.core.pool.state import MarginMode, MarketParams, PoolParams

__all__ = [
    "AddMarket",
    "AdjustIsolatedMargin",
    "CreatePool",
    "FundInsurance",
    "Liquidate",
    "PoolCommand",
    "ProvideLiquidity",
    "RemoveLiquidity",
    "Trade",
]


@dataclass(frozen=True, slots=True)
class CreatePool:
    """Instantiate a pool from a versioned template (factory)."""

    pool: str
    template: str
    template_version: int
    params: PoolParams
    timestamp_ns: int


@dataclass(frozen=True, slots=True)
class AddMarket:
    """Add a linear perpetual market to a pool."""

    pool: str
    params: MarketParams
    timestamp_ns: int


@dataclass(frozen=True, slots=True)
class ProvideLiquidity:
    """Move quote atoms from a sub-account into a pool's LP vault for shares at NAV."""

    owner: str
    sub_account: int
    pool: str
    amount_atoms: int
    timestamp_ns: int


@dataclass(frozen=True, slots=True)
class RemoveLiquidity:
    """Redeem LP shares for quote atoms at NAV, within the pool's reserve."""

    owner: str
    sub_account: int
    pool: str
    shares: int
    timestamp_ns: int


@dataclass(frozen=True, slots=True)
class FundInsurance:
    """Move quote atoms from a sub-account into a pool's insurance fund."""

    owner: str
    sub_account: int
    pool: str
    amount_atoms: int
    timestamp_ns: int


@dataclass(frozen=True, slots=True)
class Trade:
    """Change a position by ``size_delta_atoms`` (long > 0) against the pool.

    ``margin_atoms`` moves from the sub-account's quote balance into an isolated position's
    vault (0 for cross). ``limit_price_wad`` bounds the fill: a buy fills at or below it, a
    sell at or above it (0 for no limit).
    """

    owner: str
    sub_account: int
    pool: str
    market: str
    size_delta_atoms: int
    mode: MarginMode
    margin_atoms: int
    limit_price_wad: int
    timestamp_ns: int


@dataclass(frozen=True, slots=True)
class Liquidate:
    """A keeper asks to liquidate a position below maintenance margin.

    ``execution_price_wad`` is the price at which the keeper closed the position in the outside
    market (``None``: at the oracle). The close is sized and priced at the oracle; the account
    pays the keeper the execution cost (the oracle-realised PnL minus the PnL at this price),
    within the pool's ``liquidation.max_execution_gap_wad``.
    """

    keeper_owner: str
    keeper_sub_account: int
    owner: str
    sub_account: int
    pool: str
    market: str
    timestamp_ns: int
    execution_price_wad: int | None = field(default=None, kw_only=True)


@dataclass(frozen=True, slots=True)
class AdjustIsolatedMargin:
    """Move quote atoms between a sub-account's balance and one of its isolated positions' vault.

    ``delta_atoms > 0`` adds margin (from the quote balance into the vault); ``< 0`` removes it,
    only from the vault's cash and only while the position stays at initial margin.
    """

    owner: str
    sub_account: int
    pool: str
    market: str
    delta_atoms: int
    timestamp_ns: int


PoolCommand = (
    CreatePool
    | AddMarket
    | ProvideLiquidity
    | RemoveLiquidity
    | FundInsurance
    | Trade
    | Liquidate
    | AdjustIsolatedMargin
)
