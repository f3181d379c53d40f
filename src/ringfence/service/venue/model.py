"""The venue file's pydantic models: assets, oracles, initial prices, pools with markets, funding.

::

    [venue]
    name = "demo"                 # optional
    start = 2026-01-01T00:00:00Z  # optional; every venue command is stamped at start; script times count from it
    admin = "admin"               # required: the principal whose genesis this file is (sends it, becomes admin)

    [governance]                  # optional: ConfigureGovernance's settings, fixed at the genesis
    timelock = "2d"               # default 2 days: Compound's Timelock.MINIMUM_DELAY
    grace_period = "14d"          # default 14 days: Compound's Timelock.GRACE_PERIOD
    max_step = "25%"              # default 25%: largest relative move of a parameter per change (our choice)

    [assets.ETH]
    decimals = 18
    initial_weight = "80%"
    maintenance_weight = "85%"
    supply_cap = "100000"         # optional, in ETH; omitted: no cap
    weight_scale_start_value = "5000000"  # optional, USD of deposits before the IM weight scales down

    [oracles.ETH]
    sources = ["chainlink", "pyth", "redstone"]
    weights = [1, 1, 1]           # optional, default all 1
    quorum = 2
    max_staleness = "2m"
    max_deviation = "2%"
    max_confidence = "1%"
    max_jump = "15%"
    guard_release = "5m"
    delay_interval = "1h"         # stable price (Mango v4)
    delay_growth_limit = "6%"
    stable_growth_limit = "0.03%"

    [prices]                      # submitted by every source at start (or a list, one per source)
    ETH = "4200"

    [pools.eth]                   # template, version, then every PoolParams field (fields.py)
    template = "perp"
    version = 1
    quote_asset = "USDC"
    ...
    [pools.eth.markets.ETH-PERP]  # every MarketParams field but ``market`` (the key)
    base_asset = "ETH"
    ...

    [portfolio_margin]            # optional: ConfigurePortfolioMargin's rule, in the genesis
    cash_asset = "USDC"           # every PortfolioRule field (fields.py); the grid as columns or
    grid = "deribit"              # a preset (service/venue/portfolio.py)

    [[deposits]]                  # optional funding: Deposit, ProvideLiquidity, FundInsurance
    owner = "lp"                  # fields as in the commands, human units
    asset = "USDC"
    amount = "1000000"
    [[liquidity]]
    owner = "lp"
    pool = "eth"
    amount = "500000"
    [[insurance]]
    ...

Pools and funding entries are validated by models derived from the core dataclasses
(:func:`~ringfence.service.venue.fields.model_for`), so new parameters need no change here.
"""

from __future__ import annotations

import functools
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field, StrictInt, StrictStr, create_model

from ringfence.core.governance.state import DEFAULT_SETTINGS
from ringfence.core.pool.state import MarketParams, PoolParams
from ringfence.core.units import MAX_DECIMALS
from ringfence.service.venue.fields import field_specs, model_for
from ringfence.service.venue.human import (
    amount_text,
    duration_ns,
    duration_seconds,
    price_wad,
    principal_name,
    ratio_wad,
)

__all__ = [
    "DEFAULT_GRACE_PERIOD_NS",
    "DEFAULT_MAX_STEP_WAD",
    "DEFAULT_START",
    "DEFAULT_TIMELOCK_NS",
    "AssetTable",
    "GovernanceTable",
    "OracleTable",
    "VenueSettings",
    "VenueTables",
    "pool_table_model",
]

DEFAULT_START = datetime(2026, 1, 1, tzinfo=UTC)
DEFAULT_TIMELOCK_NS = DEFAULT_SETTINGS.timelock_ns
"""Compound's ``Timelock.MINIMUM_DELAY`` (2 days; ``core.governance.state.DEFAULT_SETTINGS``)."""
DEFAULT_GRACE_PERIOD_NS = DEFAULT_SETTINGS.grace_period_ns
"""Compound's ``Timelock.GRACE_PERIOD`` (14 days)."""
DEFAULT_MAX_STEP_WAD = DEFAULT_SETTINGS.max_step_wad
"""25%: our choice of the largest relative move of one parameter per governance change."""

Ratio = Annotated[int, BeforeValidator(ratio_wad)]
Duration = Annotated[int, BeforeValidator(duration_ns)]
Seconds = Annotated[int, BeforeValidator(duration_seconds)]
AmountText = Annotated[str, BeforeValidator(amount_text)]


def _prices(value: Any) -> tuple[int, ...]:
    """One price for every source, or a list of prices, one per source in the oracle's order."""
    if isinstance(value, list):
        return tuple(price_wad(item) for item in value)
    return (price_wad(value),)


Prices = Annotated[tuple[int, ...], BeforeValidator(_prices)]


class _Table(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class VenueSettings(_Table):
    """The venue's name, start time (a TOML offset date-time) and admin."""

    name: StrictStr = "venue"
    start: AwareDatetime = DEFAULT_START
    admin: Annotated[StrictStr, BeforeValidator(principal_name)]
    """The principal whose genesis the file is: it sends every venue command and becomes the venue's admin."""


class GovernanceTable(_Table):
    """``[governance]``: the settings ``ConfigureGovernance`` fixes for the venue's life.

    The defaults are Compound's ``Timelock`` constants (``MINIMUM_DELAY = 2 days``,
    ``GRACE_PERIOD = 14 days``; https://github.com/compound-finance/compound-protocol/blob/master/contracts/Timelock.sol)
    and a 25% largest step per parameter change, a choice of ours (no venue publishes one
    rule for every parameter): doubling a parameter then takes three timelocked changes.
    """

    timelock: Duration = DEFAULT_TIMELOCK_NS
    grace_period: Duration = DEFAULT_GRACE_PERIOD_NS
    max_step: Ratio = DEFAULT_MAX_STEP_WAD


class AssetTable(_Table):
    """An asset's listing (``[assets.CODE]``)."""

    decimals: Annotated[StrictInt, Field(ge=0, le=MAX_DECIMALS)]
    initial_weight: Ratio
    maintenance_weight: Ratio
    supply_cap: AmountText | None = None
    weight_scale_start_value: AmountText | None = None


class OracleTable(_Table):
    """An asset's oracle (``[oracles.CODE]``): sources, guards and stable-price tuning."""

    sources: tuple[StrictStr, ...]
    weights: tuple[StrictInt, ...] | None = None
    quorum: StrictInt
    max_staleness: Duration
    max_deviation: Ratio
    max_confidence: Ratio
    max_jump: Ratio
    guard_release: Duration
    delay_interval: Seconds
    delay_growth_limit: Ratio
    stable_growth_limit: Ratio


class VenueTables(_Table):
    """The whole file; pools and funding entries are checked by their derived models."""

    venue: VenueSettings
    governance: GovernanceTable = GovernanceTable()
    assets: dict[str, AssetTable] = {}
    oracles: dict[str, OracleTable] = {}
    prices: dict[str, Prices] = {}
    pools: dict[str, dict[str, Any]] = {}
    portfolio_margin: dict[str, Any] | None = None
    """``ConfigurePortfolioMargin``'s rule, sent by the admin after the pools and before opening."""
    deposits: list[dict[str, Any]] = []
    liquidity: list[dict[str, Any]] = []
    insurance: list[dict[str, Any]] = []


_POOL_KEYS = ("template", "version", "markets")


@functools.cache
def pool_table_model() -> type[BaseModel]:
    """Return the model of ``[pools.ID]``: template, version, markets and every PoolParams field."""
    clash = {spec.key for spec in field_specs(PoolParams)} & set(_POOL_KEYS)
    if clash:
        raise TypeError(f"PoolParams fields clash with the pool table's own keys: {sorted(clash)}")
    market = model_for(MarketParams, frozenset({"market"}))
    model: type[BaseModel] = create_model(
        "PoolTable",
        __base__=model_for(PoolParams),
        template=(StrictStr, ...),
        version=(StrictInt, 1),
        markets=(dict[str, market], {}),  # type: ignore[valid-type]
    )
    return model
