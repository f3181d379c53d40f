"""State of a pool instance: parameters, LP vault, insurance fund, markets and positions.

A pool is the counterparty to every trade in its markets (GMX v2 GM pools). It owns its
vault, insurance fund and parameters; nothing in a pool refers to another pool, and the
clearinghouse moves value into or out of a pool only through recorded events.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ringfence.core.liquidation.ltv_ramp import MaintenanceRamp
from ringfence.core.liquidation.perp_presets import LiquidationPhase
from ringfence.core.liquidation.window import Window
from ringfence.core.pool.auction_state import AuctionParams, CollateralAuction
from ringfence.core.pool.cover_state import CoverPolicy
from ringfence.core.pool.dynamic_margin import DynamicMarginRule
from ringfence.core.pool.liquidation_policy import LiquidationMark, LiquidationPolicy
from ringfence.core.state_keys import AccountKey

if TYPE_CHECKING:
    from ringfence.core.pool.series_state import SeriesPosition, SeriesState, VolSurface

__all__ = [
    "FLAT_MARGIN",
    "MarginMode",
    "MarginModel",
    "MarginModelKind",
    "MarketParams",
    "MarketState",
    "PoolParams",
    "PoolState",
    "PoolStatus",
    "Position",
]


class PoolStatus(enum.Enum):
    """What a pool accepts."""

    ACTIVE = "active"
    REDUCE_ONLY = "reduce_only"
    """New risk refused; closing, liquidating and LP exits go on."""
    HALTED = "halted"
    """A fault was contained here: only governance can resume it."""


class MarginMode(enum.Enum):
    """How a position is margined."""

    ISOLATED = "isolated"
    """Its own margin vault; its loss can consume only that vault."""
    CROSS = "cross"
    """It shares its sub-account's collateral."""
    PORTFOLIO = "portfolio"
    """It belongs to a portfolio-margined sub-account: margined with its collateral and every other
    portfolio position, in any pool, by the venue's scenario grid (``core/pool/portfolio_margin.py``)."""


@dataclass(frozen=True, slots=True)
class PoolParams:
    """A pool's own risk parameters (ratios in WAD, amounts in quote atoms)."""

    quote_asset: str
    lp_fee_share_wad: int
    insurance_fee_share_wad: int
    """The protocol takes the rest of each fee."""
    reserve_factor_wad: int
    """|skew notional| and the series' worst-case payout may not exceed this share of the LP vault
    (``check_reserve``, docs/options.md)."""
    liquidation_penalty_wad: int
    liquidator_share_wad: int
    """Share of the penalty paid to the keeper; the insurance fund keeps the rest."""
    insurance_draw_cap_atoms: int
    """Most the insurance fund may pay out per ``insurance_window_ns``."""
    insurance_window_ns: int
    close_factor_wad: int
    """Largest share of a position one liquidation may close (WAD = whole position)."""
    nav_drawdown_limit_wad: int
    """Reduce-only once LP losses (backstop absorption and socialised loss) within one risk
    window (``insurance_window_ns``) exceed this share of the LP vault as it stood when the
    window opened."""
    liquidation: LiquidationPolicy = field(default_factory=LiquidationPolicy)
    """Sizing, incentive, backstop, auto-deleveraging and pacing rules (SPEC §2.6)."""
    oracle_jump_breaker_wad: int = 0
    """Reduce-only once an oracle this pool depends on moves more than this in one update (0 = off)."""


class MarginModelKind(enum.Enum):
    """Which formula a market's margin requirements follow (``core/pool/requirements.py``)."""

    FLAT = "flat"
    """``|notional| · rate`` with the market's initial and maintenance rates."""
    DYDX_IMF = "dydx_imf"
    """dYdX v4 liquidity tier: the initial fraction rises with the market's open interest."""
    HYPERLIQUID_TIERS = "hyperliquid_tiers"
    """Hyperliquid margin table: the maximum leverage falls as the position's notional grows."""


@dataclass(frozen=True, slots=True)
class MarginModel:
    """A market's margin model and its parameters (amounts in value atoms).

    Only the parameters of ``kind`` may be set; ``AddMarket`` refuses the others. Build the
    size-dependent ones from the presets with ``dydx_margin_model`` and
    ``hyperliquid_margin_model`` (``core/pool/requirements.py``).
    """

    kind: MarginModelKind = MarginModelKind.FLAT
    initial_margin_ppm: int = 0
    """DYDX_IMF: base initial-margin fraction (ppm)."""
    maintenance_fraction_ppm: int = 0
    """DYDX_IMF: maintenance as a share of the base initial margin (ppm)."""
    open_interest_lower_cap_value: int = 0
    """DYDX_IMF: open-interest value below which the base fraction applies."""
    open_interest_upper_cap_value: int = 0
    """DYDX_IMF: open-interest value from which the initial fraction is 100% (0: no scaling)."""
    tier_lower_bounds_value: tuple[int, ...] = ()
    """HYPERLIQUID_TIERS: notional lower bound of each tier, the first 0, increasing."""
    tier_max_leverages: tuple[int, ...] = ()
    """HYPERLIQUID_TIERS: maximum leverage of each tier."""


FLAT_MARGIN = MarginModel()
"""The default model: the market's flat initial and maintenance rates."""


@dataclass(frozen=True, slots=True)
class MarketParams:
    """A linear perpetual market inside a pool."""

    market: str
    base_asset: str
    initial_margin_wad: int
    maintenance_margin_wad: int
    spread_wad: int
    taker_fee_wad: int
    skew_scale_atoms: int
    """Base atoms of skew that move the fill price by 100% (Synthetix skew scale)."""
    max_funding_rate_per_day_wad: int
    open_interest_cap_atoms: int
    """Cap on each side's open interest in base atoms."""
    pnl_weight_wad: int
    """Weight of positive unrealised PnL in equity (≤ WAD)."""
    margin_model: MarginModel = FLAT_MARGIN
    """How requirements depend on size and open interest; FLAT uses the two rates above, the
    others ignore them."""
    dynamic_margin: DynamicMarginRule | None = None
    """The band and pace within which the risk model moves the two flat rates (``UpdateRiskMargin``);
    None: the rates change only by governance proposal."""


@dataclass(slots=True)
class Position:
    """A perpetual position (size in base atoms, signed; notional in quote atoms)."""

    size_atoms: int
    open_notional_atoms: int
    """Signed quote paid to open (long > 0): unrealised PnL = size·price − open_notional."""
    funding_index_wad: int
    mode: MarginMode
    isolated_margin_atoms: int = 0


@dataclass(slots=True)
class MarketState:
    """A market's parameters, open interest and funding index."""

    params: MarketParams
    long_atoms: int = 0
    short_atoms: int = 0
    """Positive magnitude of the short side."""
    funding_index_wad: int = 0
    """Cumulative funding paid by a long of one whole base unit, in quote atoms × WAD."""
    funding_updated_ns: int = 0
    maintenance_ramp: MaintenanceRamp | None = None
    """A raised maintenance rate still ramping in for liquidation (Euler v2's LTV ramp); None: none."""
    risk_margin_updated_ns: int | None = None
    """When the risk model last moved the market's rates (``RiskMarginUpdated``); None: never."""

    @property
    def skew_atoms(self) -> int:
        """Return longs minus shorts in base atoms."""
        return self.long_atoms - self.short_atoms


@dataclass(slots=True)
class PoolState:
    """One pool instance."""

    pool: str
    template: str
    template_version: int
    params: PoolParams
    status: PoolStatus = PoolStatus.ACTIVE
    status_reason: str = ""
    vault_atoms: int = 0
    """Quote atoms the LP vault holds (cash)."""
    total_shares: int = 0
    lp_shares: dict[AccountKey, int] = field(default_factory=dict)
    insurance_atoms: int = 0
    protocol_fees_atoms: int = 0
    insurance_window: Window = field(default_factory=Window)
    """Insurance draws in the current ``insurance_window_ns`` (capped by ``insurance_draw_cap_atoms``)."""
    socialised_loss_atoms: int = 0
    """Cumulative losses the LP vault absorbed for bankrupt positions."""
    loss_window: Window = field(default_factory=Window)
    """LP losses (backstop absorption and socialised loss) in the current ``insurance_window_ns``, the
    NAV-drawdown breaker's window; its reference is the LP vault when the window opened."""
    backstop_window: Window = field(default_factory=Window)
    """Shortfall the LP vault absorbed in the current ``liquidation.window_ns`` (the backstop budget)."""
    backstop_absorbed_atoms: int = 0
    """Cumulative shortfall the LP vault absorbed as the waterfall's backstop step."""
    deleveraged_atoms: int = 0
    """Cumulative shortfall recovered from profitable opposing positions (auto-deleveraging)."""
    liquidation_window: Window = field(default_factory=Window)
    """Notional closed by liquidations in the current ``liquidation.window_ns`` (pacing, breaker)."""
    liquidation_marks: dict[tuple[AccountKey, str], LiquidationMark] = field(default_factory=dict)
    """Positions liquidated in part, and when (the Hyperliquid cooldown)."""
    liquidation_phases: dict[tuple[AccountKey, str], LiquidationPhase] = field(default_factory=dict)
    """Positions in an open Drift phased liquidation: its start and the margin freed so far."""
    markets: dict[str, MarketState] = field(default_factory=dict)
    positions: dict[tuple[AccountKey, str], Position] = field(default_factory=dict)
    account_markets: dict[AccountKey, list[str]] = field(default_factory=dict)
    """Index: the markets each sub-account holds a position in (ordered by first open)."""

    def has_cross_position(self, key: AccountKey) -> bool:
        """Return whether the sub-account holds a cross position in this pool."""
        if any(self.positions[(key, m)].mode is MarginMode.CROSS for m in self.account_markets.get(key, ())):
            return True
        return any(
            holder == key and position.mode is MarginMode.CROSS
            for (holder, _), position in self.series_positions.items()
        )

    auction_params: AuctionParams | None = None
    """Collateral-auction parameters (None: this pool runs no auctions)."""
    auctions: dict[int, CollateralAuction] = field(default_factory=dict)
    """Live collateral auctions by id (ids are sequential per pool, never reused)."""
    next_auction_id: int = 1
    cover_policies: dict[int, CoverPolicy] = field(default_factory=dict)
    """Insurance policies offered to or accepted by this pool, by id (``docs/insurance.md``)."""
    next_policy_id: int = 1
    """Policy ids are sequential per pool, never reused."""
    series: dict[str, SeriesState] = field(default_factory=dict)
    """Option series and dated futures listed in this pool, by id (``core/pool/series_state.py``)."""
    series_positions: dict[tuple[AccountKey, str], SeriesPosition] = field(default_factory=dict)
    """Positions in those series, by (sub-account, series)."""
    vol_surfaces: dict[tuple[str, int], VolSurface] = field(default_factory=dict)
    """The latest smile per (underlying, expiry) its oracle published for this pool."""
