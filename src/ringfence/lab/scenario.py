"""The scenario file: a TOML document validated by pydantic v2 models, loaded with :func:`load_scenario`.

A scenario is data, versioned with the project. Every section forbids unknown keys and every
model is strict (a string is not a number; a float with a fraction is not an int). Errors name
the offending key path (``price.volatility``, ``population.leverage_min``) in a
:class:`~ringfence.lab.errors.ScenarioError`.

Example::

    name = "eth-gbm-calm"
    description = "ETH under a calm GBM, hourly for 30 days"
    sources = ["Glasserman (2004) §3.2"]
    seed = 7
    runs = 1000

    [horizon]
    steps = 720
    step_seconds = 3600

    [price]                      # kind: gbm | jump_diffusion | garch | correlated_gbm |
                                 #       correlated_jump_diffusion | historical | event
    kind = "gbm"
    initial_price = 2000.0
    drift = 0.0                  # per year
    volatility = 0.8             # per year

    [oracle]                     # optional; the oracle reads the market every step by default
    latency_seconds = 3600
    cadence_seconds = 3600
    staleness_seconds = 7200

    [population]                 # optional placeholder for the agents engine
    accounts = 500
    leverage_min = 1.0
    leverage_max = 20.0
    collateral_per_account = 10000.0

    [keepers]                    # optional placeholder for the agents engine
    count = 3
    latency_seconds = 12
    failure_probability = 0.1

A stress run adds ``[venue]`` with ``[[venue.markets]]`` entries, each with its own depth:
``daily_volume_usd`` and ``impact_coefficient`` (the square-root law, see :func:`market_impact`)
or an explicit ``depth_usd``; ``[liquidity]`` keeps only ``recovery_half_life_seconds``. Magnitudes
are bounded (e.g. ``volatility`` at most :data:`MAX_VOLATILITY`): an absurd value is refused at load,
naming its key and the allowed range, before any run.

A ``historical`` process names a CSV (``csv = "../shared/data/eth.csv"``, relative to the scenario
file) that is read and checked when the scenario loads; see :mod:`ringfence.lab.history`.
"""

from __future__ import annotations

import math
import os
import tomllib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
)

from ringfence.core.errors import InvalidParameter
from ringfence.lab.errors import HistoryFileError, ScenarioError, ScenarioIssue
from ringfence.lab.events import EVENT_TEMPLATES
from ringfence.lab.history import PriceHistory, TimeUnit, load_price_history
from ringfence.lab.paths import SECONDS_PER_YEAR, correlation_factor
from ringfence.lab.scenario_agents import (
    Attacker,
    Keepers,
    LabModel,
    Liquidity,
    LiquidityProviders,
    MarketDesign,
    Population,
    Study,
    VenueDesign,
)

__all__ = [
    "CorrelatedGbmProcess",
    "CorrelatedJumpDiffusionProcess",
    "EventProcess",
    "GarchProcess",
    "GbmProcess",
    "HistoricalProcess",
    "Horizon",
    "JumpDiffusionProcess",
    "Keepers",
    "MarketImpact",
    "OracleModel",
    "Population",
    "PriceProcess",
    "Scenario",
    "annual_volatility",
    "load_scenario",
    "market_impact",
    "validate_scenario",
]

FiniteFloat = Annotated[float, Field(allow_inf_nan=False)]
PositiveFloat = Annotated[float, Field(gt=0, allow_inf_nan=False)]
NonNegativeFloat = Annotated[float, Field(ge=0, allow_inf_nan=False)]

MAX_PRICE = 1e9
"""Highest initial price, USD: a billion per unit, far above BTC; the exact engine's WAD prices fit."""
MIN_PRICE = 1e-9
"""Lowest initial price, USD: below any listed meme token, above float noise of the WAD prices."""
MAX_VOLATILITY = 20.0
"""Highest annual volatility (2000%): a daily sd above 100%, beyond any asset's realised volatility
including LUNA's and MNGO's collapse weeks; ``volatility = 1e10`` is a typo, not a stress."""
MAX_DRIFT = 10.0
"""Largest absolute annual drift (±1000% a year in log terms)."""
MAX_JUMP_INTENSITY = 8_760.0
"""Most jumps per year: one an hour on average."""
MAX_LOG_JUMP = 5.0
"""Largest absolute mean or sd of a log jump (a factor e^5 ≈ 150 in one jump)."""
Price = Annotated[float, Field(ge=MIN_PRICE, le=MAX_PRICE, allow_inf_nan=False)]
Drift = Annotated[float, Field(ge=-MAX_DRIFT, le=MAX_DRIFT, allow_inf_nan=False)]
Volatility = Annotated[float, Field(ge=0, le=MAX_VOLATILITY, allow_inf_nan=False)]
JumpIntensity = Annotated[float, Field(ge=0, le=MAX_JUMP_INTENSITY, allow_inf_nan=False)]
LogJumpMean = Annotated[float, Field(ge=-MAX_LOG_JUMP, le=MAX_LOG_JUMP, allow_inf_nan=False)]
LogJumpVolatility = Annotated[float, Field(ge=0, le=MAX_LOG_JUMP, allow_inf_nan=False)]
Probability = Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)]
Leverage = Annotated[float, Field(ge=1, allow_inf_nan=False)]
Name = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", max_length=64)]
EventName = Literal[
    "black_thursday", "mango_markets", "aave_crv_squeeze", "luna_collapse", "usdc_depeg", "hyperliquid_jelly"
]

HISTORIES_KEY = "histories"
SHARED_PREFIX = "shared:"
SHARED_DATA_ENV = "RINGFENCE_SHARED_DATA"
_PROJECT_ROOT = Path(__file__).resolve().parents[3]


def shared_data_file(name: str) -> Path:
    """Find ``name`` in the project's shared data folder (``csv = "shared:<name>"`` in a scenario).

    Looks in ``$RINGFENCE_SHARED_DATA``, then in ``shared/data`` beside the project's folder
    (the layout the tests and the bundled scenarios use); the data is read in place, never
    copied into the repository. A missing file is reported at the first folder looked in.
    """
    configured = os.environ.get(SHARED_DATA_ENV)
    folders = [Path(configured)] if configured else []
    folders.append(_PROJECT_ROOT.parent / "shared" / "data")
    for folder in folders:
        if (folder / name).is_file():
            return folder / name
    return folders[0] / name


BASE_DIR_KEY = "base_dir"


class Horizon(LabModel):
    """How long a run lasts: ``steps`` grid steps of ``step_seconds`` each."""

    steps: int = Field(ge=1, le=10_000_000)
    step_seconds: int = Field(ge=1, le=SECONDS_PER_YEAR)
    """Seconds per step, at most a year (the unit of the processes' rates)."""

    @property
    def seconds(self) -> int:
        """The horizon's length in seconds."""
        return self.steps * self.step_seconds

    @property
    def step_years(self) -> float:
        """One step in years of 365 days (the unit of the processes' drift and volatility)."""
        return self.step_seconds / SECONDS_PER_YEAR


class GbmProcess(LabModel):
    """Geometric Brownian motion (:func:`ringfence.lab.paths.gbm_paths`); rates per year."""

    kind: Literal["gbm"]
    asset: Name = "underlying"
    initial_price: Price
    drift: Drift = 0.0
    volatility: Volatility


class JumpDiffusionProcess(LabModel):
    """Merton jump diffusion (:func:`ringfence.lab.paths.merton_jump_paths`); rates per year."""

    kind: Literal["jump_diffusion"]
    asset: Name = "underlying"
    initial_price: Price
    drift: Drift = 0.0
    volatility: Volatility
    jump_intensity: JumpIntensity
    jump_mean: LogJumpMean
    jump_volatility: LogJumpVolatility


class GarchProcess(LabModel):
    """GARCH(1,1) log returns (:func:`ringfence.lab.paths.garch_paths`); coefficients per step."""

    kind: Literal["garch"]
    asset: Name = "underlying"
    initial_price: Price
    omega: Annotated[float, Field(gt=0, le=1, allow_inf_nan=False)]
    """Per-step variance constant; at most 1 (a 100% sd per step already)."""
    alpha: NonNegativeFloat
    beta: NonNegativeFloat
    mean_return: Annotated[float, Field(ge=-1, le=1, allow_inf_nan=False)] = 0.0

    @field_validator("beta")
    @classmethod
    def _stationary(cls, beta: float, info: ValidationInfo) -> float:
        alpha = info.data.get("alpha")
        if alpha is not None and alpha + beta >= 1.0:
            raise ValueError(f"alpha + beta = {alpha + beta} must be below 1 (a stationary GARCH(1,1))")
        return beta


class _CorrelatedProcess(LabModel):
    """Several assets with correlated Brownian shocks (the fields both correlated kinds share)."""

    assets: list[Name] = Field(min_length=1)
    initial_prices: list[Price]
    drifts: list[Drift] | None = None
    volatilities: list[Volatility]
    correlation: list[list[FiniteFloat]]

    @field_validator("assets")
    @classmethod
    def _unique(cls, assets: list[str]) -> list[str]:
        if len(set(assets)) != len(assets):
            raise ValueError(f"asset names must be unique, got {assets}")
        return assets

    @field_validator("initial_prices", "drifts", "volatilities")
    @classmethod
    def _one_per_asset(cls, values: list[float] | None, info: ValidationInfo) -> list[float] | None:
        assets = info.data.get("assets")
        if values is not None and assets is not None and len(values) != len(assets):
            raise ValueError(f"{len(values)} values for {len(assets)} assets; give one per asset")
        return values

    @field_validator("correlation")
    @classmethod
    def _positive_semi_definite(cls, correlation: list[list[float]], info: ValidationInfo) -> list[list[float]]:
        assets = info.data.get("assets")
        rows = len(correlation)
        if assets is not None and (rows != len(assets) or any(len(row) != len(assets) for row in correlation)):
            raise ValueError(f"must be a {len(assets)}x{len(assets)} matrix, one row and column per asset")
        try:
            correlation_factor(correlation)
        except InvalidParameter as error:
            raise ValueError(f"expected {error.expected}") from None
        return correlation


class CorrelatedGbmProcess(_CorrelatedProcess):
    """Several GBM assets with correlated shocks (:func:`ringfence.lab.paths.correlated_gbm_paths`)."""

    kind: Literal["correlated_gbm"]


class CorrelatedJumpDiffusionProcess(_CorrelatedProcess):
    """Correlated GBM plus independent Merton jumps per asset (:func:`ringfence.lab.paths.correlated_jump_paths`).

    ``jump_intensities`` (jumps per year), ``jump_means`` and ``jump_volatilities`` (mean and sd of
    the log jump) are one per asset; ``0`` intensity leaves an asset a pure GBM.
    """

    kind: Literal["correlated_jump_diffusion"]
    jump_intensities: list[JumpIntensity]
    jump_means: list[LogJumpMean]
    jump_volatilities: list[LogJumpVolatility]

    @field_validator("jump_intensities", "jump_means", "jump_volatilities")
    @classmethod
    def _one_jump_per_asset(cls, values: list[float], info: ValidationInfo) -> list[float]:
        assets = info.data.get("assets")
        if assets is not None and len(values) != len(assets):
            raise ValueError(f"{len(values)} values for {len(assets)} assets; give one per asset")
        return values


class HistoricalProcess(LabModel):
    """Replay of a price CSV (:func:`ringfence.lab.history.load_price_history`), read when loading.

    ``csv`` is relative to the scenario file's folder (absolute after loading). ``start`` (a TOML
    datetime with an offset, e.g. ``2020-03-12T00:00:00Z``) is where the run begins; the first
    row when omitted. The path is sampled on the horizon's grid, carrying the last price forward.
    """

    kind: Literal["historical"]
    asset: Name = "underlying"
    price_column: str | None = None
    time_unit: TimeUnit = "auto"
    start: datetime | None = None
    csv: str

    @field_validator("start")
    @classmethod
    def _aware(cls, start: datetime | None) -> datetime | None:
        if start is not None and start.utcoffset() is None:
            raise ValueError("give a UTC offset, e.g. 2020-03-12T00:00:00Z")
        return start

    @field_validator("csv")
    @classmethod
    def _readable(cls, csv: str, info: ValidationInfo) -> str:
        context: dict[str, Any] = info.context if isinstance(info.context, dict) else {}
        base = Path(context.get(BASE_DIR_KEY, Path.cwd()))
        resolved = shared_data_file(csv.removeprefix(SHARED_PREFIX)) if csv.startswith(SHARED_PREFIX) else (base / csv)
        resolved = resolved.resolve()
        try:
            history = load_price_history(
                resolved, info.data.get("price_column"), time_unit=info.data.get("time_unit", "auto")
            )
        except HistoryFileError as error:
            raise ValueError(error.message) from None
        context.setdefault(HISTORIES_KEY, {})[str(resolved)] = history
        return str(resolved)

    @property
    def start_s(self) -> float | None:
        """``start`` as Unix seconds, or ``None``."""
        return None if self.start is None else self.start.timestamp()

    def load(self) -> PriceHistory:
        """Read the CSV again (it was checked when the scenario loaded)."""
        return load_price_history(self.csv, self.price_column, time_unit=self.time_unit)


class EventProcess(LabModel):
    """An event template (:mod:`ringfence.lab.events`) with its published defaults.

    ``initial_price`` rescales the template to another starting price; the template's own
    oracle path (delayed, frozen or settled) is what the scenario's oracle model then observes.
    """

    kind: Literal["event"]
    asset: Name = "underlying"
    template: EventName
    initial_price: Price | None = None


PriceProcess = Annotated[
    GbmProcess
    | JumpDiffusionProcess
    | GarchProcess
    | CorrelatedGbmProcess
    | CorrelatedJumpDiffusionProcess
    | HistoricalProcess
    | EventProcess,
    Field(discriminator="kind"),
]
PriceProcessModel = (
    GbmProcess
    | JumpDiffusionProcess
    | GarchProcess
    | CorrelatedGbmProcess
    | CorrelatedJumpDiffusionProcess
    | HistoricalProcess
    | EventProcess
)
PROCESS_KINDS = frozenset(
    {"gbm", "jump_diffusion", "garch", "correlated_gbm", "correlated_jump_diffusion", "historical", "event"}
)


class OracleModel(LabModel):
    """How the venue's oracle sees the price (:func:`ringfence.lab.oracle.observe_oracle`).

    ``latency_seconds`` between a market time and its publication, an update every
    ``cadence_seconds`` (every grid step when omitted), and ``staleness_seconds``: a price older
    than this is stale for the venue. A staleness at or below the latency would make every price
    stale on arrival, so it is refused.
    """

    latency_seconds: int = Field(default=0, ge=0)
    cadence_seconds: int | None = Field(default=None, ge=1)
    staleness_seconds: int | None = Field(default=None, ge=1)

    @field_validator("staleness_seconds")
    @classmethod
    def _fresh_on_arrival(cls, staleness: int | None, info: ValidationInfo) -> int | None:
        latency = info.data.get("latency_seconds")
        if staleness is not None and latency is not None and staleness <= latency:
            raise ValueError(f"must exceed latency_seconds ({latency}); otherwise every price is stale on arrival")
        return staleness


class Scenario(LabModel):
    """A whole scenario: identity, seed and runs, horizon, prices, oracle, venue, agents, study.

    ``price`` is one process or a list of them (``[[price]]``), each pricing its own assets; a
    deterministic process (historical replay, event template) is the same on every path.
    The venue and agent sections are optional for a price-only scenario; a stress run needs
    ``venue``, ``population`` and ``keepers``.
    """

    name: Name
    description: str = ""
    sources: list[str] = Field(default_factory=list)
    seed: int = Field(ge=0, lt=2**63)
    runs: int = Field(ge=1, le=10_000_000)
    """Paths to draw; at most ten million (a Monte-Carlo error of 0.03% of a standard deviation)."""
    horizon: Horizon
    price: PriceProcess | list[PriceProcess]
    oracle: OracleModel = Field(default_factory=OracleModel)
    venue: VenueDesign | None = None
    population: Population | None = None
    keepers: Keepers | None = None
    liquidity: Liquidity = Field(default_factory=Liquidity)
    liquidity_providers: LiquidityProviders = Field(default_factory=LiquidityProviders)
    attacker: Attacker | None = None
    study: Study = Field(default_factory=Study)

    @field_validator("price")
    @classmethod
    def _some_process(cls, price: object) -> object:
        if isinstance(price, list) and not price:
            raise ValueError("give at least one price process")
        return price

    @property
    def processes(self) -> tuple[PriceProcessModel, ...]:
        """The price processes, in file order."""
        return tuple(self.price) if isinstance(self.price, list) else (self.price,)

    @property
    def assets(self) -> tuple[str, ...]:
        """Every asset the price processes price, in order."""
        names: list[str] = []
        for process in self.processes:
            names.extend(process.assets if isinstance(process, _CorrelatedProcess) else [process.asset])
        return tuple(names)


SECONDS_PER_DAY = 86_400


def _with_jumps(volatility: float, intensity: float, jump_mean: float, jump_volatility: float) -> float:
    """Annual sd of log returns of a Merton process: ``√(σ² + λ(m² + s²))`` (Merton 1976, eq. 13)."""
    return math.sqrt(volatility**2 + intensity * (jump_mean**2 + jump_volatility**2))


def annual_volatility(process: PriceProcessModel, asset: str, step_seconds: int) -> float | None:
    """Return the sd of ``asset``'s yearly log return under ``process``, jumps included.

    GARCH gives its unconditional variance ``ω/(1 − α − β)`` per step, scaled to a year; a replay
    or an event template has no model volatility (``None``).
    """
    if isinstance(process, GbmProcess):
        return process.volatility
    if isinstance(process, JumpDiffusionProcess):
        return _with_jumps(process.volatility, process.jump_intensity, process.jump_mean, process.jump_volatility)
    if isinstance(process, CorrelatedJumpDiffusionProcess):
        i = process.assets.index(asset)
        return _with_jumps(
            process.volatilities[i], process.jump_intensities[i], process.jump_means[i], process.jump_volatilities[i]
        )
    if isinstance(process, CorrelatedGbmProcess):
        return process.volatilities[process.assets.index(asset)]
    if isinstance(process, GarchProcess):
        return math.sqrt(process.omega / (1.0 - process.alpha - process.beta) * SECONDS_PER_YEAR / step_seconds)
    return None


@dataclass(frozen=True, slots=True)
class MarketImpact:
    """Each venue market's square-root impact ``coefficient·√(Q/depth_usd)``, in file order.

    ``daily_volatility`` is the ``σ_daily`` the square-root law used (``None`` with an explicit
    depth or no depth); a market with neither ``depth_usd`` nor ``daily_volume_usd`` has no impact
    (coefficient 0, infinite depth).
    """

    assets: tuple[str, ...]
    coefficient: tuple[float, ...]
    depth_usd: tuple[float, ...]
    daily_volatility: tuple[float | None, ...]


def _daily_volatility(scenario: Scenario, market: MarketDesign) -> float | None:
    if market.daily_volatility is not None:
        return market.daily_volatility
    for process in scenario.processes:
        assets = process.assets if isinstance(process, _CorrelatedProcess) else [process.asset]
        if market.asset in assets:
            annual = annual_volatility(process, market.asset, scenario.horizon.step_seconds)
            return None if annual is None else annual * math.sqrt(SECONDS_PER_DAY / SECONDS_PER_YEAR)
    return None


def market_impact(scenario: Scenario) -> MarketImpact:
    """Resolve each market's depth: explicit, or the square-root law from daily volume and volatility.

    With ``daily_volume_usd`` the relative impact of a net sale ``Q`` is
    ``Y·σ_daily·√(Q/V_daily)`` (J.-P. Bouchaud, J. Bonart, J. Donier, M. Gould, *Trades, Quotes and
    Prices*, Cambridge 2018, ch. 12; B. Tóth et al., "Anomalous price impact and the critical nature
    of liquidity in financial markets", *Phys. Rev. X* 1, 021006, 2011): coefficient ``Y·σ_daily``,
    depth ``V_daily``. ``σ_daily`` is ``daily_volatility`` or the price process's annual volatility
    ``/√365`` (crypto trades every day). A checked scenario always resolves (validation refuses a
    market whose volatility cannot be found).
    """
    venue = scenario.venue
    markets = [] if venue is None else venue.markets
    coefficients: list[float] = []
    depths: list[float] = []
    volatilities: list[float | None] = []
    for market in markets:
        daily = _daily_volatility(scenario, market) if market.daily_volume_usd is not None else None
        if market.depth_usd is not None:
            coefficients.append(market.impact_coefficient)
            depths.append(market.depth_usd)
        elif market.daily_volume_usd is not None and daily is not None:
            coefficients.append(market.impact_coefficient * daily)
            depths.append(market.daily_volume_usd)
        else:
            coefficients.append(0.0)
            depths.append(math.inf)
        volatilities.append(daily)
    return MarketImpact(tuple(m.asset for m in markets), tuple(coefficients), tuple(depths), tuple(volatilities))


def _dynamic_margin_issues(scenario: Scenario) -> list[ScenarioIssue]:
    dynamic = None if scenario.venue is None else scenario.venue.dynamic_margin
    step = scenario.horizon.step_seconds
    if dynamic is not None and dynamic.interval_seconds % step:
        return [
            ScenarioIssue(
                "venue.dynamic_margin.interval_seconds",
                f"a whole number of steps of {step} s (updates happen on steps), got {dynamic.interval_seconds}",
            )
        ]
    return []


def _liquidity_issues(scenario: Scenario) -> list[ScenarioIssue]:
    venue = scenario.venue
    issues = []
    for index, market in enumerate([] if venue is None else venue.markets):
        if market.daily_volume_usd is not None and _daily_volatility(scenario, market) is None:
            issues.append(
                ScenarioIssue(
                    f"venue.markets[{index}].daily_volatility",
                    f"required with daily_volume_usd: {market.asset}'s price process (a replay or an event "
                    "template) has no model volatility; give sigma_daily, e.g. from `ringfence calibrate`",
                )
            )
    return issues


def _key_path(location: tuple[int | str, ...]) -> str:
    parts: list[str] = []
    for index, part in enumerate(location):
        # pydantic names the union member (``gbm``, ``list[...]``); the file has no such key
        inside_price = index > 0 and (location[index - 1] == "price" or location[index - 2 : index - 1] == ("price",))
        if (
            inside_price
            and isinstance(part, str)
            and (part in PROCESS_KINDS or part.startswith(("list[", "tagged-union[")))
        ):
            continue
        if isinstance(part, int):
            parts.append(f"[{part}]")
        else:
            parts.append(f".{part}" if parts else str(part))
    return "".join(parts) or "(root)"


def _wrong_branch(location: tuple[int | str, ...], data: dict[str, Any]) -> bool:
    """Whether an error belongs to the ``price`` union branch the file did not take (one or a list)."""
    if len(location) < 2 or location[0] != "price" or not isinstance(location[1], str):
        return False
    is_list_branch = location[1].startswith("list[")
    return is_list_branch != isinstance(data.get("price"), list)


def _issues(error: ValidationError, data: dict[str, Any]) -> tuple[ScenarioIssue, ...]:
    issues = []
    for detail in error.errors(include_url=False):
        if _wrong_branch(tuple(detail["loc"]), data):
            continue
        message = detail["msg"].removeprefix("Value error, ")
        if detail["type"] not in ("missing", "extra_forbidden", "model_type") and not isinstance(detail["input"], dict):
            message = f"{message} (got {detail['input']!r})"
        issues.append(ScenarioIssue(_key_path(tuple(detail["loc"])), message))
    return tuple(issues)


def _process_key(scenario: Scenario, index: int) -> str:
    return f"price[{index}]" if isinstance(scenario.price, list) else "price"


def _history_issues(scenario: Scenario, histories: dict[str, PriceHistory]) -> list[ScenarioIssue]:
    issues = []
    for index, process in enumerate(scenario.processes):
        if isinstance(process, HistoricalProcess):
            issues += _history_span_issues(scenario, process, histories[process.csv], _process_key(scenario, index))
    return issues


def _history_span_issues(
    scenario: Scenario, process: HistoricalProcess, history: PriceHistory, key: str
) -> list[ScenarioIssue]:
    first, last = float(history.times_s[0]), float(history.times_s[-1])
    start = first if process.start_s is None else process.start_s
    if not first <= start <= last:
        return [ScenarioIssue(f"{key}.start", f"{process.start} is outside the file's span {first:.0f}..{last:.0f} s")]
    end = start + scenario.horizon.seconds
    if end > last:
        return [
            ScenarioIssue(
                "horizon.steps",
                f"the run ends at {end:.0f} s, after the last row of {key}.csv at {last:.0f} s; "
                f"at most {int((last - start) // scenario.horizon.step_seconds)} steps fit",
            )
        ]
    return []


def _oracle_issues(scenario: Scenario) -> list[ScenarioIssue]:
    cadence = scenario.oracle.cadence_seconds
    if cadence is not None and cadence > scenario.horizon.seconds:
        return [
            ScenarioIssue(
                "oracle.cadence_seconds",
                f"{cadence} s exceeds the horizon of {scenario.horizon.seconds} s "
                "(horizon.steps x horizon.step_seconds): the oracle would never update",
            )
        ]
    return []


def _event_issues(scenario: Scenario) -> list[ScenarioIssue]:
    issues = []
    for process in scenario.processes:
        if not isinstance(process, EventProcess):
            continue
        event = EVENT_TEMPLATES[process.template](step_seconds=scenario.horizon.step_seconds)
        available = event.market.shape[1] - 1
        if scenario.horizon.steps > available:
            issues.append(
                ScenarioIssue(
                    "horizon.steps",
                    f"{scenario.horizon.steps} steps exceed the {process.template} template's "
                    f"{available} steps of {scenario.horizon.step_seconds} s",
                )
            )
    return issues


def _design_issues(scenario: Scenario) -> list[ScenarioIssue]:
    """Cross-section checks: markets on priced assets, enough markets per trader, a real attack."""
    assets = scenario.assets
    issues = []
    if len(set(assets)) != len(assets):
        issues.append(ScenarioIssue("price", f"each asset priced once, got {list(assets)}"))
    venue = scenario.venue
    markets = [] if venue is None else [market.asset for market in venue.markets]
    for index, asset in enumerate(markets):
        if asset not in assets:
            issues.append(
                ScenarioIssue(f"venue.markets[{index}].asset", f"{asset!r} is not priced; priced: {list(assets)}")
            )
    population = scenario.population
    if population is not None and venue is not None and population.markets_per_trader > len(markets):
        issues.append(
            ScenarioIssue(
                "population.markets_per_trader",
                f"{population.markets_per_trader} exceeds the venue's {len(markets)} markets",
            )
        )
    attacker = scenario.attacker
    if attacker is not None:
        if attacker.market not in markets:
            issues.append(ScenarioIssue("attacker.market", f"{attacker.market!r} is not a market; markets: {markets}"))
        if attacker.exit_step > scenario.horizon.steps:
            issues.append(
                ScenarioIssue(
                    "attacker.exit_step", f"{attacker.exit_step} is after the last step {scenario.horizon.steps}"
                )
            )
    return issues + _credit_rung_issues(scenario)


def _credit_rung_issues(scenario: Scenario) -> list[ScenarioIssue]:
    """Refuse the credit-lines rung without lines: it would replay ``isolated_pools`` under another name."""
    venue = scenario.venue
    rungs = [*scenario.study.ladder, *([] if venue is None else [venue.isolation])]
    if "credit_lines" not in rungs or (venue is not None and venue.credit_lines):
        return []
    return [ScenarioIssue("venue.credit_lines", "the credit_lines rung needs at least one [[venue.credit_lines]]")]


def validate_scenario(data: dict[str, Any], base_dir: Path, file: Path) -> Scenario:
    """Validate a parsed scenario document; relative CSV paths are resolved against ``base_dir``.

    Raises
    ------
    ScenarioError
        Every problem found, each naming its key path.
    """
    context: dict[str, Any] = {BASE_DIR_KEY: base_dir, HISTORIES_KEY: {}}
    try:
        scenario = Scenario.model_validate(data, context=context)
    except ValidationError as error:
        raise ScenarioError(file, _issues(error, data)) from None
    issues = (
        _history_issues(scenario, context[HISTORIES_KEY])
        + _event_issues(scenario)
        + _oracle_issues(scenario)
        + _design_issues(scenario)
        + _liquidity_issues(scenario)
        + _dynamic_margin_issues(scenario)
    )
    if issues:
        raise ScenarioError(file, tuple(issues))
    return scenario


def load_scenario(path: str | Path) -> Scenario:
    """Read, parse and validate a scenario TOML file (CSV files it names are read and checked too).

    Raises
    ------
    ScenarioError
        The file is missing, not TOML, or holds values outside their domain; each issue names its
        key path (``(file)`` and ``(toml)`` for the first two).
    """
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except (FileNotFoundError, IsADirectoryError):
        raise ScenarioError(
            file, (ScenarioIssue("(file)", "not found: give the path of a scenario TOML file"),)
        ) from None
    except UnicodeDecodeError as error:
        raise ScenarioError(file, (ScenarioIssue("(file)", f"not UTF-8 text ({error.reason})"),)) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ScenarioError(file, (ScenarioIssue("(toml)", str(error)),)) from None
    return validate_scenario(data, file.parent, file)
