"""Events of option series and dated futures; each carries every amount it moves, so ``evolve`` only applies."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from ringfence.core.pool.series_state import SeriesParams
from ringfence.core.pool.state import MarginMode

__all__ = [
    "SERIES_EVENT_TYPES",
    "SeriesEvent",
    "SeriesListed",
    "SeriesMarginAdjusted",
    "SeriesPositionLiquidated",
    "SeriesPositionSettled",
    "SeriesSettled",
    "SeriesTradeFilled",
    "SettlementWindowAccrued",
    "VolSurfacePublished",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class SeriesListed:
    """A series was listed in a pool."""

    SCHEMA_VERSION: ClassVar[int] = 1
    pool: str
    params: SeriesParams
    timestamp_ns: int


@dataclass(frozen=True, slots=True, kw_only=True)
class VolSurfacePublished:
    """An oracle feeder published a pool's SVI smile for one (underlying, expiry)."""

    SCHEMA_VERSION: ClassVar[int] = 1
    publisher: str
    pool: str
    underlying: str
    expiry_ns: int
    a_wad: int
    b_wad: int
    rho_wad: int
    m_wad: int
    sigma_wad: int
    atm_volatility_wad: int
    timestamp_ns: int


@dataclass(frozen=True, slots=True, kw_only=True)
class SeriesTradeFilled:
    """A series trade filled against the LP vault at ``price_wad`` per whole underlying unit.

    The position's isolated vault gains ``margin_added_atoms − premium_atoms − fee_atoms +
    realised_pnl_atoms`` and releases ``margin_released_atoms`` to the quote balance when the
    position closes; the LP vault gains ``premium_atoms + lp_fee_atoms − realised_pnl_atoms``
    (``premium_atoms`` is what the trader paid: negative when a seller received it).
    """

    SCHEMA_VERSION: ClassVar[int] = 1
    owner: str
    sub_account: int
    pool: str
    series: str
    mode: MarginMode
    size_delta_atoms: int
    price_wad: int
    new_size_atoms: int
    new_open_value_atoms: int
    margin_added_atoms: int
    margin_released_atoms: int
    premium_atoms: int
    realised_pnl_atoms: int
    fee_atoms: int
    lp_fee_atoms: int
    insurance_fee_atoms: int
    protocol_fee_atoms: int
    timestamp_ns: int


@dataclass(frozen=True, slots=True, kw_only=True)
class SettlementWindowAccrued:
    """The index held ``price_wad`` for ``covered_ns`` nanoseconds of a series' settlement window."""

    SCHEMA_VERSION: ClassVar[int] = 1
    pool: str
    series: str
    price_wad: int
    covered_ns: int


@dataclass(frozen=True, slots=True, kw_only=True)
class SeriesSettled:
    """A series settled at ``settlement_price_wad`` (the window's time-weighted average index)."""

    SCHEMA_VERSION: ClassVar[int] = 1
    pool: str
    series: str
    settlement_price_wad: int
    timestamp_ns: int


@dataclass(frozen=True, slots=True, kw_only=True)
class SeriesPositionSettled:
    """One position was paid (or paid) its value at settlement and closed.

    ``paid_atoms`` moved from the LP vault to the position's margin side (negative: from the
    position to the vault); ``shortfall_atoms`` is what a losing position could not pay (the
    waterfall events that follow cover it); ``released_atoms`` left the isolated vault for the
    quote balance.
    """

    SCHEMA_VERSION: ClassVar[int] = 1
    pool: str
    series: str
    owner: str
    sub_account: int
    size_atoms: int
    paid_atoms: int
    shortfall_atoms: int
    released_atoms: int


@dataclass(frozen=True, slots=True, kw_only=True)
class SeriesPositionLiquidated:
    """The LP vault bought back a position below maintenance at ``price_wad`` (mark plus the penalty).

    From the position's vault: ``buyback_atoms`` to the LP vault (negative: paid by the LP vault
    for a long future's gain), ``keeper_reward_atoms`` to the keeper, ``insurance_penalty_atoms``
    to the insurance fund; ``shortfall_atoms`` is what the vault could not pay (the waterfall
    covers it) and ``released_atoms`` what was left, back to the quote balance.
    """

    SCHEMA_VERSION: ClassVar[int] = 1
    keeper_owner: str
    keeper_sub_account: int
    owner: str
    sub_account: int
    pool: str
    series: str
    size_atoms: int
    mark_wad: int
    price_wad: int
    buyback_atoms: int
    keeper_reward_atoms: int
    insurance_penalty_atoms: int
    shortfall_atoms: int
    released_atoms: int
    equity_atoms: int
    requirement_atoms: int
    timestamp_ns: int


@dataclass(frozen=True, slots=True, kw_only=True)
class SeriesMarginAdjusted:
    """Quote atoms moved from a sub-account's balance into its isolated series position's vault (negative: back)."""

    SCHEMA_VERSION: ClassVar[int] = 1
    owner: str
    sub_account: int
    pool: str
    series: str
    delta_atoms: int
    timestamp_ns: int


SeriesEvent = (
    SeriesListed
    | VolSurfacePublished
    | SeriesTradeFilled
    | SettlementWindowAccrued
    | SeriesSettled
    | SeriesPositionSettled
    | SeriesPositionLiquidated
    | SeriesMarginAdjusted
)

SERIES_EVENT_TYPES: tuple[type[SeriesEvent], ...] = (
    SeriesListed,
    VolSurfacePublished,
    SeriesTradeFilled,
    SettlementWindowAccrued,
    SeriesSettled,
    SeriesPositionSettled,
    SeriesPositionLiquidated,
    SeriesMarginAdjusted,
)
