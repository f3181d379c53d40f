"""Scenario sections for option markets in the stress lab (``[[venue.options]]``, ``docs/stress-options.md``).

An option market lists European cash-settled puts and calls on one of the venue's market assets,
at strikes around the money and one or two expiries, in a pool whose LP vault writes them (the
sole counterparty, ``docs/options.md``). Its writers' vault is its own pool on the isolated rungs
and the one shared pool on the monolithic and sub-account rungs. The lab's oracle agent publishes
an SVI smile for each expiry every step, its at-the-money volatility following the price path
(:class:`VolatilityModel`). Option traders buy puts and calls or write puts with margin; keepers
liquidate under-margined writers and settle each series at expiry.

Played on the exact engine only: the vector engine refuses ``venue.options`` by name
(:func:`ringfence.lab.vector.check_vector_support`).
"""

from __future__ import annotations

import math
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

__all__ = ["MAX_OPTION_VOLATILITY", "OptionMarketDesign", "OptionTraders", "SmileShape", "VolatilityModel"]

MAX_OPTION_VOLATILITY = 20.0
"""Highest base at-the-money volatility a year (2000%), as the price processes' bound."""
Ratio = Annotated[float, Field(gt=0, allow_inf_nan=False)]
Probability = Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)]
Name = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", max_length=32)]
VenueUsd = Annotated[float, Field(gt=0, le=1e12, allow_inf_nan=False)]
"""As :data:`ringfence.lab.scenario_agents.MAX_VENUE_USD`."""
VenueUsdOrZero = Annotated[float, Field(ge=0, le=1e12, allow_inf_nan=False)]


class LabModel(BaseModel):
    """Strict, closed and immutable, as every scenario section (``scenario_agents.LabModel``, imported from here)."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class VolatilityModel(LabModel):
    """The at-the-money volatility the oracle agent publishes, tied to the oracle's price path.

    A log-volatility that jumps against every price move and decays back to the base level::

        z_0 = 0,   z_t = z_{t−1}·2^(−Δt/half_life) − spot_beta·ln(S_t / S_{t−1}),   σ_t = base·e^{z_t}

    The sign is the leverage effect (F. Black, "Studies of stock price volatility changes",
    *Proc. 1976 Meetings of the American Statistical Association*: volatility rises when prices
    fall); the exponential keeps the volatility positive without a clamp. The bundled scenario's
    ``spot_beta`` is calibrated on March 2020 (``scenarios/options-crash.toml``'s sources).
    """

    base: Annotated[float, Field(gt=0, le=MAX_OPTION_VOLATILITY, allow_inf_nan=False)]
    """At-the-money volatility a year before anything moves (0.8 = 80%)."""
    spot_beta: Annotated[float, Field(ge=0, le=10, allow_inf_nan=False)] = 1.0
    """Log-volatility added per unit of log price fall (0: a constant volatility)."""
    half_life_seconds: Annotated[int, Field(ge=1, le=10 * 365 * 86_400)] = 3 * 86_400
    """Half-life of a spike's decay back to ``base``."""


class SmileShape(LabModel):
    """The smile around the at-the-money level: raw SVI scaled by the level (Gatheral–Jacquier 2014).

    With ``w_atm = σ_t²·τ`` the published parameters are ``m = 0``, ``σ = curvature``,
    ``ρ = skew``, ``b = wing·w_atm`` and ``a = w_atm·(1 − wing·curvature)``, so ``w(0) = w_atm``
    and the whole smile moves with the level. Its minimum ``w_atm·(1 − wing·curvature·(1 −
    √(1 − ρ²)))`` is non-negative (SVI's validity, checked by the engine) when
    ``wing·curvature·(1 − √(1 − ρ²)) ≤ 1``, checked here. ``wing = 0`` is a flat smile.
    """

    wing: Annotated[float, Field(ge=0, le=100, allow_inf_nan=False)] = 0.0
    skew: Annotated[float, Field(gt=-1, lt=1, allow_inf_nan=False)] = 0.0
    curvature: Annotated[float, Field(gt=0, le=10, allow_inf_nan=False)] = 0.1

    @model_validator(mode="after")
    def _non_negative(self) -> SmileShape:
        lowest = 1.0 - self.wing * self.curvature * (1.0 - math.sqrt(1.0 - self.skew**2))
        if self.wing * self.curvature > 1.0 or lowest < 0.0:
            raise ValueError(
                f"wing·curvature = {self.wing * self.curvature:g} must be at most 1 (a = w_atm·(1 − wing·curvature) "
                "keeps the at-the-money variance the level's)"
            )
        return self


class OptionTraders(LabModel):
    """Who trades the market at the start (drawn once per seed, the same on every rung).

    Buyers buy puts (``put_share``) or calls at a random listed strike and expiry, depositing the
    premium and fee the engine will charge (paid in full: a long option needs no margin); writers
    sell puts at a random strike and expiry, posting ``writer_margin_multiple`` times the
    position's initial requirement in its isolated vault, and, with a ``writer_top_up_reserve``,
    adds margin from it (``AdjustSeriesMargin``) whenever its equity falls below
    ``writer_top_up_health`` times its maintenance requirement. Sizes are log-normal around
    ``contracts_mean``.
    """

    buyers: int = Field(default=0, ge=0, le=10_000)
    put_share: Probability = 0.7
    writers: int = Field(default=0, ge=0, le=10_000)
    contracts_mean: Annotated[float, Field(gt=0, le=1e9, allow_inf_nan=False)] = 10.0
    """Mean contracts a trader buys or sells, in units of the underlying."""
    size_log_sd: Annotated[float, Field(ge=0, le=5, allow_inf_nan=False)] = 0.5
    writer_margin_multiple: Annotated[float, Field(ge=1, le=100, allow_inf_nan=False)] = 1.5
    writer_top_up_reserve: Annotated[float, Field(ge=0, le=100, allow_inf_nan=False)] = 0.0
    """Off-venue reserve of a writer for top-ups, as a multiple of its opening margin (0: none)."""
    writer_top_up_health: Annotated[float, Field(ge=1, le=100, allow_inf_nan=False)] = 1.2
    """A writer tops up once its equity falls below this multiple of its maintenance requirement."""
    writer_top_up_fraction: Annotated[float, Field(gt=0, le=100, allow_inf_nan=False)] = 0.5
    """Each top-up adds this share of the opening margin (``AdjustSeriesMargin``), as far as the reserve lasts."""


class OptionMarketDesign(LabModel):
    """One option market: its series, its writers' vault, its smile and its traders.

    ``strikes`` are moneyness ratios of the underlying's initial oracle price; each strike is
    listed as a put and a call at each of ``expiries_seconds`` (after the start). Margins are
    Deribit's standard option margin (``docs/options.md``): initial ``max(initial − OTM/F,
    minimum)·F``, maintenance ``maintenance·F`` on top of the mark.
    """

    asset: Name
    """The underlying: the asset of one of ``venue.markets``."""
    lp_capital: VenueUsd
    """USD the writers' LPs deposit."""
    insurance: VenueUsdOrZero = 0.0
    strikes: list[Ratio] = Field(min_length=1, max_length=20)
    expiries_seconds: list[Annotated[int, Field(ge=1, le=10 * 365 * 86_400)]] = Field(min_length=1, max_length=2)
    spread: Annotated[float, Field(ge=0, le=0.5, allow_inf_nan=False)] = 0.01
    skew_scale: Annotated[float, Field(gt=0, le=1e18, allow_inf_nan=False)] = 1_000.0
    """Traders' net contracts (units of the underlying) that move a series' volatility by ``vol_impact``."""
    vol_impact: Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)] = 0.1
    taker_fee: Annotated[float, Field(ge=0, le=0.1, allow_inf_nan=False)] = 0.0003
    fee_cap: Probability = 0.125
    open_interest_cap: Annotated[float, Field(gt=0, le=1e18, allow_inf_nan=False)] = 1e9
    """Contracts per side and series, units of the underlying."""
    initial_margin: Annotated[float, Field(gt=0, le=1, allow_inf_nan=False)] = 0.15
    minimum_margin: Annotated[float, Field(gt=0, le=1, allow_inf_nan=False)] = 0.10
    maintenance_margin: Annotated[float, Field(gt=0, le=1, allow_inf_nan=False)] = 0.075
    settlement_window_seconds: int = Field(default=3_600, ge=1, le=86_400)
    surface_max_age_seconds: int = Field(default=86_400, ge=1)
    max_atm_vol_jump: Annotated[float, Field(ge=0, le=100, allow_inf_nan=False)] = 0.0
    """A smile moving the ATM volatility more than this (relative) turns the pool reduce-only (0: off)."""
    volatility: VolatilityModel
    smile: SmileShape = Field(default_factory=SmileShape)
    traders: OptionTraders = Field(default_factory=OptionTraders)

    @field_validator("strikes", "expiries_seconds")
    @classmethod
    def _distinct(cls, values: list[float]) -> list[float]:
        if len(set(values)) != len(values):
            raise ValueError(f"each value once, got {values}")
        return values

    @field_validator("minimum_margin")
    @classmethod
    def _minimum_below_initial(cls, minimum: float, info: ValidationInfo) -> float:
        initial = info.data.get("initial_margin")
        if initial is not None and minimum > initial:
            raise ValueError(f"must be at most initial_margin ({initial})")
        return minimum

    @field_validator("maintenance_margin")
    @classmethod
    def _maintenance_below_minimum(cls, maintenance: float, info: ValidationInfo) -> float:
        minimum = info.data.get("minimum_margin")
        if minimum is not None and maintenance > minimum:
            raise ValueError(f"must be at most minimum_margin ({minimum})")
        return maintenance
