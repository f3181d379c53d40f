"""Commands on option series and dated futures (``core/pool/series_state.py``, ``docs/options.md``)."""

from __future__ import annotations

from dataclasses import dataclass

from ringfence.core.pool.series_state import SeriesParams
from ringfence.core.pool.state import MarginMode

__all__ = [
    "AdjustSeriesMargin",
    "LiquidateSeries",
    "ListSeries",
    "PublishVolSurface",
    "SeriesCommand",
    "SettleSeries",
    "TradeSeries",
]


@dataclass(frozen=True, slots=True)
class ListSeries:
    """List an option series or a dated future in a pool (a venue change, like ``AddMarket``)."""

    pool: str
    params: SeriesParams
    timestamp_ns: int


@dataclass(frozen=True, slots=True)
class PublishVolSurface:
    """An oracle feeder of ``underlying`` publishes the pool's SVI smile for one listed expiry (WAD parameters)."""

    publisher: str
    pool: str
    underlying: str
    expiry_ns: int
    a_wad: int
    b_wad: int
    rho_wad: int
    m_wad: int
    sigma_wad: int
    timestamp_ns: int


@dataclass(frozen=True, slots=True)
class TradeSeries:
    """Buy (``size_delta_atoms > 0``) or sell contracts of a series against the pool's LP vault.

    ``margin_atoms`` moves from the sub-account's quote balance into the position's isolated
    vault, which pays the premium (options), the fee and any realised loss (futures).
    ``limit_price_wad`` bounds the fill per whole unit of the underlying: a buy at or below it, a
    sell at or above it (0: no limit).
    """

    owner: str
    sub_account: int
    pool: str
    series: str
    size_delta_atoms: int
    mode: MarginMode
    margin_atoms: int
    limit_price_wad: int
    timestamp_ns: int


@dataclass(frozen=True, slots=True)
class SettleSeries:
    """Settle every position of an expired series at its window-averaged settlement price (permissionless)."""

    actor: str
    pool: str
    series: str
    timestamp_ns: int


@dataclass(frozen=True, slots=True)
class LiquidateSeries:
    """A keeper asks the pool to buy back a series position below maintenance margin at mark plus the penalty."""

    keeper_owner: str
    keeper_sub_account: int
    owner: str
    sub_account: int
    pool: str
    series: str
    timestamp_ns: int


@dataclass(frozen=True, slots=True)
class AdjustSeriesMargin:
    """Move quote atoms between a sub-account's balance and its isolated series position's vault.

    ``delta_atoms > 0`` adds margin (accepted in a reduce-only pool: it only lowers risk); ``< 0``
    removes it, only from the vault's cash and only while the position stays at initial margin.
    """

    owner: str
    sub_account: int
    pool: str
    series: str
    delta_atoms: int
    timestamp_ns: int


SeriesCommand = ListSeries | PublishVolSurface | TradeSeries | SettleSeries | LiquidateSeries | AdjustSeriesMargin
