"""State of option series and dated futures inside a pool, and the volatility smiles that mark them.

A pool lists *series* beside its perpetual markets (``ListSeries``, a venue change like
``AddMarket``): European cash-settled calls and puts (underlying, strike, expiry) and dated
futures (underlying, expiry). The pool's LP vault is the sole counterparty of every series it
lists: it is short what traders are long. Positions are signed sizes in contracts, one contract
being one base atom of the underlying, held per (sub-account, series) with their own isolated
margin vault (``docs/options.md``).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from ringfence.core.pool.state import MarginMode
from ringfence.core.pricing.svi import SviParams

__all__ = ["SeriesKind", "SeriesParams", "SeriesPosition", "SeriesState", "VolSurface"]


class SeriesKind(enum.Enum):
    """What a series pays at expiry per contract, against the settlement price ``S``."""

    CALL = "call"
    """``max(S − K, 0)``."""
    PUT = "put"
    """``max(K − S, 0)``."""
    FUTURE = "future"
    """``S`` against the price it was bought at (a dated future, margined like a perpetual, no funding)."""

    @property
    def is_option(self) -> bool:
        """Return whether the series is a call or a put."""
        return self is not SeriesKind.FUTURE


@dataclass(frozen=True, slots=True)
class SeriesParams:
    """A listed series (ratios in WAD, amounts in base atoms of the underlying, times in ns).

    Margin (short options, Deribit's standard option margin, see :mod:`.series_math`): initial
    ``max(initial_margin − OTM/F, minimum_margin)·F`` and maintenance ``maintenance_margin·F`` per
    contract on top of the option's mark. Futures: flat ``initial_margin·|notional|`` and
    ``maintenance_margin·|notional|`` (``minimum_margin`` unused, 0).
    """

    series: str
    kind: SeriesKind
    underlying: str
    """A base asset with an oracle; its accepted price is the index the series is marked and settled on."""
    strike_wad: int
    """0 for a future."""
    expiry_ns: int
    spread_wad: int
    """Share of the fill price added to a buy and taken from a sell."""
    skew_scale_atoms: int
    """Traders' net size (base atoms) that moves the series by ``vol_impact_wad`` (options) or 100% (futures)."""
    vol_impact_wad: int
    """Options: volatility (WAD, 0.05 = 5 vol points) a net traders' size of ``skew_scale_atoms`` adds."""
    taker_fee_wad: int
    """Fee as a share of the underlying notional ``|size|·F``, split as perps split it."""
    fee_cap_wad: int
    """Options: the fee is at most this share of the premium (Deribit: 12.5%); 0 for futures (no cap)."""
    open_interest_cap_atoms: int
    """Cap on each side's open interest."""
    initial_margin_wad: int
    minimum_margin_wad: int
    maintenance_margin_wad: int
    settlement_window_ns: int
    """The settlement price is the time-weighted average of the index over ``[expiry − window, expiry]``."""
    surface_max_age_ns: int = 0
    """Options: a smile older than this refuses new risk (0 for futures)."""
    max_atm_vol_jump_wad: int = 0
    """Options: a published smile whose at-the-money volatility moves more than this trips the pool reduce-only
    (0: no breaker)."""


@dataclass(slots=True)
class SeriesState:
    """A series' parameters, open interest and settlement record."""

    params: SeriesParams
    long_atoms: int = 0
    short_atoms: int = 0
    window_price_ns_sum: int = 0
    """Σ index price (WAD) × nanoseconds it held inside the settlement window, as oracle prices were accepted."""
    window_covered_ns: int = 0
    """Nanoseconds of the window the sum covers so far."""
    settlement_price_wad: int | None = None
    """Set once settled; the series then refuses every trade."""

    @property
    def skew_atoms(self) -> int:
        """Return traders' net size: longs minus shorts (the vault holds the opposite)."""
        return self.long_atoms - self.short_atoms


@dataclass(slots=True)
class SeriesPosition:
    """A position in a series (size in contracts = base atoms, signed; amounts in quote atoms)."""

    size_atoms: int
    open_value_atoms: int
    """Options: premium paid to open (negative: received by a short). Futures: open notional, as a perp's."""
    mode: MarginMode
    isolated_margin_atoms: int = 0


@dataclass(frozen=True, slots=True)
class VolSurface:
    """One expiry's SVI smile for an underlying, as its oracle last published it."""

    underlying: str
    expiry_ns: int
    svi: SviParams
    published_ns: int
    atm_volatility_wad: int
    """``√(w(0)/τ)`` at publication, the level the next smile's jump guard compares against."""
