"""Scenario sections for the venue design, the population and the agents (``docs/stress-model.md``).

Every section is strict and forbids unknown keys (see :class:`LabModel`). Amounts are in quote
units (USD), sizes in base units, ratios as fractions (0.05 = 5%), times in seconds.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from ringfence.lab.results import ISOLATION_LEVELS, IsolationLevel

__all__ = [
    "Attacker",
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
Leverage = Annotated[float, Field(ge=1, allow_inf_nan=False)]
Name = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", max_length=64)]


class LabModel(BaseModel):
    """Base of every scenario section: strict types, unknown keys rejected, immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class MarketDesign(LabModel):
    """One perpetual market on an asset of the price process, with the capital that backs it."""

    asset: Name
    initial_margin: MarginRate
    maintenance_margin: MarginRate
    pnl_weight: Probability = 1.0
    """Weight of positive unrealised PnL in equity (Mango v4's unsettled-PnL weight)."""
    taker_fee: Annotated[float, Field(ge=0, lt=0.1, allow_inf_nan=False)] = 0.0
    lp_capital: PositiveFloat
    """USD its LP deposits (into the market's own pool, or the shared one)."""
    insurance: NonNegativeFloat = 0.0
    """USD in its insurance fund (pooled on the shared rungs)."""
    open_interest_cap: PositiveFloat | None = None
    """Cap on each side's open interest in base units (none when omitted)."""

    @field_validator("maintenance_margin")
    @classmethod
    def _below_initial(cls, maintenance: float, info: ValidationInfo) -> float:
        initial = info.data.get("initial_margin")
        if initial is not None and maintenance >= initial:
            raise ValueError(f"must be below initial_margin ({initial})")
        return maintenance


class PoolDesign(LabModel):
    """Risk parameters every pool of the design gets (SPEC §2.6)."""

    liquidation_penalty: Annotated[float, Field(ge=0, lt=1, allow_inf_nan=False)] = 0.01
    """Share of the closed notional charged to the liquidated account."""
    liquidator_share: Probability = 0.5
    """Share of the penalty paid to the keeper; the insurance fund keeps the rest."""
    close_factor: MarginRate = 1.0
    """Largest share of a position one liquidation may close (1 = the whole position)."""
    insurance_draw_cap: PositiveFloat | None = None
    """Most the insurance fund pays per window in USD (unlimited when omitted)."""
    insurance_window_seconds: int = Field(default=86_400, ge=1)
    reserve_factor: PositiveFloat = 10.0
    """|skew notional| may not exceed this multiple of the LP vault."""
    oracle_jump_breaker: NonNegativeFloat = 0.0
    """Reduce-only once an oracle moves more than this share in one update (0 = off)."""
    backstop_loss_cap: NonNegativeFloat = 0.0
    """USD of shortfall the LP vault absorbs per window before auto-deleveraging (waterfall step)."""
    auto_deleverage: bool = False
    """Deleverage profitable opposing positions before socialising (off: the LP vault takes it)."""


class VenueDesign(LabModel):
    """The venue: its markets, how they are laid out into pools, and the pools' parameters."""

    isolation: IsolationLevel = "isolated_pools"
    stable_price: bool = False
    """Value collateral and positive PnL for initial margin at the Mango v4 stable price."""
    pool: PoolDesign = Field(default_factory=PoolDesign)
    markets: list[MarketDesign] = Field(min_length=1)

    @field_validator("markets")
    @classmethod
    def _one_per_asset(cls, markets: list[MarketDesign]) -> list[MarketDesign]:
        assets = [market.asset for market in markets]
        if len(set(assets)) != len(assets):
            raise ValueError(f"one market per asset, got {assets}")
        return markets


class Population(LabModel):
    """The traders (drawn once per seed, identical on every rung of the ladder)."""

    traders: int = Field(ge=1, le=100_000)
    markets_per_trader: int = Field(default=1, ge=1)
    collateral_mean: PositiveFloat
    """Mean of the log-normal collateral per trader, USD."""
    collateral_log_sd: NonNegativeFloat = 0.5
    leverage_min: Leverage = 1.0
    leverage_max: Leverage
    long_share: Probability = 0.5
    top_up_health: NonNegativeFloat = 0.0
    """Top up below this health (maintenance equity / requirement); 0 = never."""
    top_up_probability: Probability = 0.0
    top_up_fraction: NonNegativeFloat = 0.5
    """Each top-up deposits this share of the position's initial collateral."""
    top_up_reserve: NonNegativeFloat = 1.0
    """Off-venue reserve for top-ups, as a multiple of the trader's collateral."""

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
    congestion_scale: PositiveFloat = 10.0
    """Eligible candidates per keeper at which congestion is full."""
    capital: PositiveFloat | None = None
    """USD of notional each keeper can close per step (unlimited when omitted)."""
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
    """The external market that absorbs liquidation flow (square-root impact) and the arbitrageurs."""

    depth_usd: PositiveFloat
    impact_coefficient: NonNegativeFloat = 1.0
    recovery_half_life_seconds: PositiveFloat = 3_600.0


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
    collateral: PositiveFloat
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
    margin_scales: list[PositiveFloat] = Field(default_factory=lambda: [1.0], min_length=1)
    keeper_latencies_seconds: list[Annotated[int, Field(ge=0)]] = Field(default_factory=list)

    @field_validator("ladder")
    @classmethod
    def _distinct(cls, ladder: list[IsolationLevel]) -> list[IsolationLevel]:
        if len(set(ladder)) != len(ladder):
            raise ValueError(f"each rung once, got {ladder}")
        return ladder
