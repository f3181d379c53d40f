"""Scenario sections for the venue design, the population and the agents (``docs/stress-model.md``).

Every section is strict and forbids unknown keys (see :class:`LabModel`). Amounts are in quote
units (USD), sizes in base units, ratios as fractions (0.05 = 5%), times in seconds.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, ValidationInfo, field_validator, model_validator

from ringfence.lab.results import ISOLATION_LEVELS, IsolationLevel
from ringfence.lab.scenario_options import LabModel, OptionMarketDesign

__all__ = [
    "Attacker",
    "CreditLineDesign",
    "DynamicMarginDesign",
    "Keepers",
    "LabModel",
    "Liquidity",
    "LiquidityProviders",
    "MarketDesign",
    "PoolDesign",
    "Population",
    "Study",
    "VenueDesign",
]

PositiveFloat = Annotated[float, Field(gt=0, allow_inf_nan=False)]
NonNegativeFloat = Annotated[float, Field(ge=0, allow_inf_nan=False)]
Probability = Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)]
MarginRate = Annotated[float, Field(gt=0, le=1, allow_inf_nan=False)]

MAX_LEVERAGE = 1_000.0
"""The highest leverage a scenario may ask for: above the 125x-200x retail perpetual venues list
(Binance, Bybit) and the 1000x some have advertised, so any real desk's book fits."""
MAX_VENUE_USD = 1e12
"""Largest USD amount of one pool's capital, fund, cap or budget: a trillion dollars, above the
largest crypto venue's total balance sheet; beyond it a typo (``1e300``), not a stress."""
MAX_ACCOUNT_USD = 1e10
"""Largest USD collateral of one account (trader or attacker): $10 bn, above any single crypto
trading account on record; the exact engine's integers hold it times :data:`MAX_LEVERAGE`."""
MAX_MARKET_USD = 1e13
"""Largest daily volume or depth of one market, USD: $10 tn, above the daily turnover of the
whole foreign-exchange market (BIS Triennial Survey 2022: $7.5 tn/day)."""
MAX_IMPACT_COEFFICIENT = 10.0
"""Largest square-root-law prefactor ``Y``: measured values are 0.3-1.5 (Bouchaud et al., *Trades,
Quotes and Prices*, 2018, ch. 12); 10 leaves room for a deliberately punitive stress."""
MAX_DAILY_VOLATILITY = 3.0
"""Largest daily volatility (log-return sd): 300% a day, beyond LUNA's collapse in May 2022."""

Leverage = Annotated[float, Field(ge=1, le=MAX_LEVERAGE, allow_inf_nan=False)]
VenueUsd = Annotated[float, Field(gt=0, le=MAX_VENUE_USD, allow_inf_nan=False)]
VenueUsdOrZero = Annotated[float, Field(ge=0, le=MAX_VENUE_USD, allow_inf_nan=False)]
AccountUsd = Annotated[float, Field(gt=0, le=MAX_ACCOUNT_USD, allow_inf_nan=False)]
MarketUsd = Annotated[float, Field(gt=0, le=MAX_MARKET_USD, allow_inf_nan=False)]
Name = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", max_length=64)]


class MarketDesign(LabModel):
    """One perpetual market on an asset of the price process, with the capital that backs it."""

    asset: Name
    initial_margin: MarginRate
    maintenance_margin: MarginRate
    pnl_weight: Probability = 1.0
    """Weight of positive unrealised PnL in equity (Mango v4's unsettled-PnL weight)."""
    taker_fee: Annotated[float, Field(ge=0, lt=0.1, allow_inf_nan=False)] = 0.0
    lp_capital: VenueUsd
    """USD its LP deposits (into the market's own pool, or the shared one), at most :data:`MAX_VENUE_USD`."""
    insurance: VenueUsdOrZero = 0.0
    """USD in its insurance fund (pooled on the shared rungs), at most :data:`MAX_VENUE_USD`."""
    open_interest_cap: Annotated[float, Field(gt=0, le=1e18, allow_inf_nan=False)] | None = None
    """Cap on each side's open interest in base units (none when omitted; at most 1e18, the
    exact engine's 18-decimal base units still fit its 128-bit atoms)."""
    depth_usd: MarketUsd | None = None
    """Explicit depth: a net liquidated notional ``Q`` moves this market's log price by
    ``impact_coefficient·√(Q/depth_usd)`` (:func:`ringfence.lab.vector.kernels.square_root_impact`)."""
    daily_volume_usd: MarketUsd | None = None
    """The asset's daily traded volume (spot and perpetuals), USD: with it the impact is the
    square-root law ``impact_coefficient·σ_daily·√(Q/daily_volume_usd)`` (Tóth et al. 2011)."""
    daily_volatility: Annotated[float, Field(gt=0, le=MAX_DAILY_VOLATILITY, allow_inf_nan=False)] | None = None
    """``σ_daily`` of the square-root law (log-return sd per day); derived from the asset's price
    process when omitted (required for a replay or an event template, which have none)."""
    impact_coefficient: Annotated[float, Field(ge=0, le=MAX_IMPACT_COEFFICIENT, allow_inf_nan=False)] = 1.0
    """The prefactor: ``Y`` of the square-root law with ``daily_volume_usd`` (measured 0.5-1), or
    the log impact of a sale of ``depth_usd`` with an explicit depth."""

    @field_validator("maintenance_margin")
    @classmethod
    def _below_initial(cls, maintenance: float, info: ValidationInfo) -> float:
        initial = info.data.get("initial_margin")
        if initial is not None and maintenance >= initial:
            raise ValueError(f"must be below initial_margin ({initial})")
        return maintenance

    @field_validator("daily_volume_usd")
    @classmethod
    def _one_depth(cls, volume: float | None, info: ValidationInfo) -> float | None:
        if volume is not None and info.data.get("depth_usd") is not None:
            raise ValueError("give depth_usd or daily_volume_usd, not both")
        return volume

    @field_validator("daily_volatility")
    @classmethod
    def _with_volume(cls, volatility: float | None, info: ValidationInfo) -> float | None:
        if volatility is not None and info.data.get("daily_volume_usd") is None:
            raise ValueError("only used with daily_volume_usd (the square-root law); give that too")
        return volatility


class PoolDesign(LabModel):
    """Risk parameters every pool of the design gets (SPEC §2.6)."""

    liquidation_penalty: Annotated[float, Field(ge=0, lt=1, allow_inf_nan=False)] = 0.01
    """Share of the closed notional charged to the liquidated account."""
    liquidator_share: Probability = 0.5
    """Share of the penalty paid to the keeper; the insurance fund keeps the rest."""
    close_factor: MarginRate = 1.0
    """Largest share of a position one liquidation may close (1 = the whole position)."""
    insurance_draw_cap: VenueUsd | None = None
    """Most the insurance fund pays per window in USD (unlimited when omitted)."""
    insurance_window_seconds: int = Field(default=86_400, ge=1)
    reserve_factor: Annotated[float, Field(gt=0, le=1e6, allow_inf_nan=False)] = 10.0
    """|skew notional| may not exceed this multiple of the LP vault."""
    oracle_jump_breaker: NonNegativeFloat = 0.0
    """Reduce-only once an oracle moves more than this share in one update (0 = off)."""
    backstop_loss_cap: VenueUsdOrZero = 0.0
    """USD of shortfall the LP vault absorbs per window before auto-deleveraging (waterfall step)."""
    auto_deleverage: bool = False
    """Deleverage profitable opposing positions before socialising (off: the LP vault takes it)."""


class DynamicMarginDesign(LabModel):
    """``[venue.dynamic_margin]``: the risk model moves every market's margins (``risk/dynamic_margin.py``).

    Every ``interval_seconds`` the model reads the last ``lookback_steps`` oracle returns of each
    market, forecasts EWMA volatility, and moves the market's initial and maintenance rates one
    bounded step (``max_step`` of the current rate) toward ``z_α σ √h + slippage``, within a band
    scaled from the market's static rates: from ``floor_ratio`` × maintenance (never below the
    pool's liquidation penalty, the engine's no-split guard) to ``ceiling_ratio`` × initial (at
    most 100%).
    """

    interval_seconds: int = Field(default=3_600, ge=1)
    """Time between two updates; a whole number of steps."""
    lookback_steps: int = Field(default=24, ge=1, le=100_000)
    """Returns the EWMA reads before each update (the window ends at the update's step)."""
    initial_confidence: Annotated[float, Field(gt=0.5, lt=1, allow_inf_nan=False)] = 0.999
    maintenance_confidence: Annotated[float, Field(gt=0.5, lt=1, allow_inf_nan=False)] = 0.99
    horizon_seconds: int = Field(default=3_600, ge=1)
    """The liquidation horizon ``h`` of the margin formula."""
    decay: Annotated[float, Field(gt=0, lt=1, allow_inf_nan=False)] = 0.94
    """EWMA ``λ`` (RiskMetrics)."""
    max_step: Annotated[float, Field(gt=0, le=1, allow_inf_nan=False)] = 0.1
    """Largest move of each rate per update, relative to its current value."""
    floor_ratio: Annotated[float, Field(gt=0, le=1, allow_inf_nan=False)] = 0.5
    """Lowest rate as a share of the market's static maintenance rate."""
    ceiling_ratio: Annotated[float, Field(ge=1, le=1_000, allow_inf_nan=False)] = 4.0
    """Highest rate as a multiple of the market's static initial rate (capped at 100%)."""
    liquidation_size_usd: NonNegativeFloat = 0.0
    """Notional ``Q`` whose square-root slippage against the market's daily volume the rate adds
    (0: the price term alone; a market without ``daily_volume_usd`` or ``depth_usd`` has none)."""

    @field_validator("maintenance_confidence")
    @classmethod
    def _not_above_initial(cls, maintenance: float, info: ValidationInfo) -> float:
        initial = info.data.get("initial_confidence")
        if initial is not None and maintenance > initial:
            raise ValueError(f"must be at most initial_confidence ({initial})")
        return maintenance


class CreditLineDesign(LabModel):
    """A capped credit line from one market's pool to another's, opened on the credit-lines rung only.

    ``lender`` and ``borrower`` name markets by asset (on that rung each market has its own pool,
    as on ``isolated_pools``); ``cap`` is committed out of the lender pool's LP capital when the
    venue opens (``docs/credit-lines.md``). Lines rank by their order in the file: the first is
    the most senior.
    """

    lender: Name
    borrower: Name
    cap: VenueUsd
    """USD the borrower pool may draw (the lender's loss is at most this)."""
    rate_per_year: Annotated[float, Field(ge=0, le=10, allow_inf_nan=False)] = 0.0
    """Simple yearly interest rate (0.08 = 8%), compounded at each accrual; at most 1,000% as the core."""

    @model_validator(mode="after")
    def _two_pools(self) -> CreditLineDesign:
        if self.lender == self.borrower:
            raise ValueError(f"a pool never lends to itself ({self.lender})")
        return self


class VenueDesign(LabModel):
    """The venue: its markets, how they are laid out into pools, and the pools' parameters."""

    isolation: IsolationLevel = "isolated_pools"
    stable_price: bool = False
    """Value collateral and positive PnL for initial margin at the Mango v4 stable price."""
    pool: PoolDesign = Field(default_factory=PoolDesign)
    markets: list[MarketDesign] = Field(min_length=1)
    dynamic_margin: DynamicMarginDesign | None = None
    """Margins that follow volatility (off when omitted: the static rates hold throughout)."""
    credit_lines: list[CreditLineDesign] = Field(default_factory=list)
    """Lines between the markets' pools, opened on the ``credit_lines`` rung (ignored on the others)."""
    options: list[OptionMarketDesign] = Field(default_factory=list)
    """Option markets on the markets' assets (exact engine only, :mod:`ringfence.lab.scenario_options`)."""

    @field_validator("markets")
    @classmethod
    def _one_per_asset(cls, markets: list[MarketDesign]) -> list[MarketDesign]:
        assets = [market.asset for market in markets]
        if len(set(assets)) != len(assets):
            raise ValueError(f"one market per asset, got {assets}")
        return markets

    @model_validator(mode="after")
    def _options_on_markets(self) -> VenueDesign:
        assets = [market.asset for market in self.markets]
        listed = [option.asset for option in self.options]
        for index, asset in enumerate(listed):
            if asset not in assets:
                raise ValueError(f"options[{index}].asset {asset!r} is not a market's asset; markets: {assets}")
        if len(set(listed)) != len(listed):
            raise ValueError(f"one option market per asset, got {listed}")
        return self

    @model_validator(mode="after")
    def _lines_fit(self) -> VenueDesign:
        capital = {market.asset: market.lp_capital for market in self.markets}
        lent: dict[str, float] = {}
        pairs: set[tuple[str, str]] = set()
        for index, line in enumerate(self.credit_lines):
            for role in ("lender", "borrower"):
                if getattr(line, role) not in capital:
                    raise ValueError(
                        f"credit_lines[{index}].{role} {getattr(line, role)!r} is not a market; "
                        f"markets: {list(capital)}"
                    )
            if (line.lender, line.borrower) in pairs:
                raise ValueError(f"credit_lines[{index}]: a second line from {line.lender} to {line.borrower}")
            pairs.add((line.lender, line.borrower))
            lent[line.lender] = lent.get(line.lender, 0.0) + line.cap
        for lender, total in lent.items():
            if total > capital[lender]:
                raise ValueError(
                    f"the lines from {lender} commit {total:g} USD, more than its lp_capital {capital[lender]:g} "
                    "(the cap is committed out of the lender's cash)"
                )
        return self


class Population(LabModel):
    """The traders (drawn once per seed, identical on every rung of the ladder)."""

    traders: int = Field(ge=1, le=100_000)
    markets_per_trader: int = Field(default=1, ge=1)
    collateral_mean: AccountUsd
    """Mean of the log-normal collateral per trader, USD (at most :data:`MAX_ACCOUNT_USD`)."""
    collateral_log_sd: Annotated[float, Field(ge=0, le=5, allow_inf_nan=False)] = 0.5
    """Log-sd of the collateral; 5 already spreads accounts over ten orders of magnitude."""
    leverage_min: Leverage = 1.0
    leverage_max: Leverage
    long_share: Probability = 0.5
    top_up_health: Annotated[float, Field(ge=0, le=100, allow_inf_nan=False)] = 0.0
    """Top up below this health (maintenance equity / requirement); 0 = never."""
    top_up_probability: Probability = 0.0
    top_up_fraction: Annotated[float, Field(ge=0, le=100, allow_inf_nan=False)] = 0.5
    """Each top-up deposits this share of the position's initial collateral (at most 100x)."""
    top_up_reserve: Annotated[float, Field(ge=0, le=100, allow_inf_nan=False)] = 1.0
    """Off-venue reserve for top-ups, as a multiple of the trader's collateral (at most 100x)."""

    @field_validator("leverage_max")
    @classmethod
    def _ordered(cls, leverage_max: float, info: ValidationInfo) -> float:
        leverage_min = info.data.get("leverage_min")
        if leverage_min is not None and leverage_max < leverage_min:
            raise ValueError(f"must be at least leverage_min ({leverage_min})")
        return leverage_max


class Keepers(LabModel):
    """Who liquidates, how fast, with how much capital, and how often they fail."""

    count: int = Field(ge=1, le=1_000)
    latency_seconds: int = Field(default=0, ge=0)
    failure_probability: Probability = 0.0
    congestion_failure: Probability = 0.0
    """Added failure probability at full congestion."""
    congestion_scale: Annotated[float, Field(gt=0, le=1e6, allow_inf_nan=False)] = 10.0
    """Eligible candidates per keeper at which congestion is full."""
    capital: VenueUsd | None = None
    """USD of notional each keeper can close per step (unlimited when omitted; at most :data:`MAX_VENUE_USD`)."""
    gas_usd: Annotated[float, Field(ge=0, le=1_000_000, allow_inf_nan=False)] | None = None
    """USD of gas per liquidation transaction. Set, keepers act only for profit: a close is sent
    only when its keeper bonus exceeds the gas (at the step's congestion). Omitted, keepers act
    whatever a liquidation pays (no gas, no profit test)."""
    congestion_gas: Annotated[float, Field(ge=0, le=1_000, allow_inf_nan=False)] = 0.0
    """Gas multiplier added at full congestion: ``gas · (1 + congestion_gas · min(1, c / congestion_scale))``."""
    protocol_backstop_seconds: int | None = Field(default=None, ge=0, le=10 * 365 * 86_400)
    """After this long below maintenance a unit is liquidated by the protocol's own liquidator,
    at no bonus to a keeper, whatever it pays (omitted: nobody takes unprofitable units)."""


class Liquidity(LabModel):
    """How fast the outside market recovers from liquidation flow (arbitrageurs refill the book).

    Depth is per market (``venue.markets[i].depth_usd`` or ``daily_volume_usd``); the old
    scenario-wide ``depth_usd`` and ``impact_coefficient`` are refused with a message saying so.
    """

    recovery_half_life_seconds: Annotated[float, Field(gt=0, le=365 * 86_400.0, allow_inf_nan=False)] = 3_600.0
    """Half-life of a liquidation's price impact (at most a year)."""
    depth_usd: None = None
    impact_coefficient: None = None

    @field_validator("depth_usd", "impact_coefficient", mode="before")
    @classmethod
    def _moved(cls, value: object, info: ValidationInfo) -> None:
        raise ValueError(
            f"{info.field_name} moved to each market: give venue.markets[i].{info.field_name} "
            "(or daily_volume_usd for the square-root law)"
        )


class LiquidityProviders(LabModel):
    """When LPs flee: a NAV drawdown from the running peak, and the share of their shares they redeem."""

    flee_drawdown: Annotated[float, Field(gt=0, le=1, allow_inf_nan=False)] = 1.0
    flee_share: Probability = 0.5


class Attacker(LabModel):
    """Self-trade and oracle pump (Mango Markets, 2022): long in one account, short in another.

    Both accounts open at ``open_step`` with ``collateral`` each at ``leverage`` in ``market``;
    at ``exit_step`` the long closes at the (pumped) oracle and withdraws what it can.
    """

    market: Name
    collateral: AccountUsd
    leverage: Leverage
    open_step: int = Field(default=0, ge=0)
    exit_step: int = Field(ge=1)

    @model_validator(mode="after")
    def _exit_after_open(self) -> Attacker:
        if self.exit_step <= self.open_step:
            raise ValueError(f"exit_step ({self.exit_step}) must come after open_step ({self.open_step})")
        return self


class Study(LabModel):
    """What a stress run compares: the ladder's rungs, the margin sweep, the keeper-latency sweep."""

    ladder: list[IsolationLevel] = Field(default_factory=lambda: list(ISOLATION_LEVELS), min_length=1)
    """The rungs to play (default: :data:`ISOLATION_LEVELS`); ``credit_lines`` needs ``venue.credit_lines``."""
    margin_scales: list[PositiveFloat] = Field(default_factory=lambda: [1.0], min_length=1)
    keeper_latencies_seconds: list[Annotated[int, Field(ge=0)]] = Field(default_factory=list)

    @field_validator("ladder")
    @classmethod
    def _distinct(cls, ladder: list[IsolationLevel]) -> list[IsolationLevel]:
        if len(set(ladder)) != len(ladder):
            raise ValueError(f"each rung once, got {ladder}")
        return ladder
