"""Backtest against real liquidations: a population of leveraged perp traders on a real price path.

The model (pure arrays; see ``docs/backtest.md`` for the figures)
-----------------------------------------------------------------
* **Market path.** The mid price ``(bid + ask) / 2`` of every row of the file (about one a minute);
  Binance liquidates on its mark price, which the mid of its own book approximates.
* **Population.** At the first row of every UTC hour ``h`` a cohort of traders opens, long and short,
  at that row's mid ``P_h``: for each leverage ``λ`` of a grid, ``w_side,λ`` USD of notional per hour
  (fitted), i.e. ``w / P_h`` base units (ETH). Each position is isolated, margin ``notional / λ``.
  Traders leave voluntarily after an exponential holding time of mean ``τ`` hours (fitted from a
  short grid), so the population is stationary: the same flow opens every hour whether or not
  earlier traders were liquidated (re-entry is part of that flow).
* **Liquidation.** A position is liquidated, in full, at the first later row where its health
  ``equity / maintenance requirement`` falls below 1 (equity and requirement from
  :func:`ringfence.lab.vector.kernels.margin_terms`). With entry ``P₀``, maintenance rate ``m`` and
  ``x = P / P₀`` this is ``x < (1 − 1/λ) / (1 − m)`` for a long and ``x > (1 + 1/λ) / (1 + m)`` for
  a short (:func:`liquidation_price_ratio`). The rate is Binance's ETHUSDT tier for the
  representative position notional (:data:`ETHUSDT_TIERS`).
* **Expected volume.** The model's liquidated size in hour ``H`` is the expectation over holding
  times: ``Σ_cohorts Σ_λ (w_λ / P_h) · exp(−(t_liq − t_open) / τ)`` over the positions whose
  liquidation row falls in ``H`` — deterministic, no random draws.

Fit and test
------------
The whole UTC hours of the file are split in two halves at hour ``n // 2`` (for the January 2021
file: fit 2021-01-01 00:00 → 2021-01-16 00:00 UTC, test 2021-01-16 00:00 → 2021-01-31 00:00).
The fit sees only the rows before the split: for each ``τ`` of the grid, the non-negative least
squares fit (``scipy.optimize.nnls``) of the real hourly long (and, separately, short) volume on
the model's volume per USD of hourly opening notional at each leverage gives ``w``; the ``τ`` with
the smallest total squared error wins. The test half is then predicted from prices alone.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import nnls  # type: ignore[import-untyped]  # no scipy-stubs in the dev environment

from ringfence.core.errors import InvalidParameter
from ringfence.lab.errors import HistoryFileError
from ringfence.lab.history import load_price_history
from ringfence.lab.vector.kernels import margin_terms

__all__ = [
    "DEFAULT_FILE_NAME",
    "ETHUSDT_TIERS",
    "LIQUIDATION_LONG_COLUMN",
    "LIQUIDATION_SHORT_COLUMN",
    "BacktestConfig",
    "FittedPopulation",
    "HourlyLiquidations",
    "LiquidationStream",
    "MaintenanceTier",
    "fit_population",
    "health",
    "hourly_liquidations",
    "liquidation_price_ratio",
    "load_liquidation_stream",
    "maintenance_rate",
    "predict_hourly",
    "split_hour",
]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

DEFAULT_FILE_NAME = "ethusdt_1m_liquidations_2021-01_riskdao.csv"
"""The shared January 2021 Binance ETHUSDT book and liquidation stream (``../shared/data``)."""
LIQUIDATION_LONG_COLUMN = "binance-futures_ethusdt_liquidation_long"
LIQUIDATION_SHORT_COLUMN = "binance-futures_ethusdt_liquidation_short"
SECONDS_PER_HOUR = 3_600
MINIMUM_HOURS = 4
"""Two whole hours to fit and two to test at the least (a rank correlation needs two points)."""
NEVER = -1


@dataclass(frozen=True, slots=True)
class MaintenanceTier:
    """One bracket of a venue's leverage and margin table: notional up to ``cap_usd``."""

    cap_usd: float
    max_leverage: float
    rate: float


ETHUSDT_TIERS: tuple[MaintenanceTier, ...] = (
    MaintenanceTier(10_000.0, 100.0, 0.005),
    MaintenanceTier(100_000.0, 75.0, 0.0065),
    MaintenanceTier(500_000.0, 50.0, 0.01),
    MaintenanceTier(1_000_000.0, 20.0, 0.02),
    MaintenanceTier(2_000_000.0, 10.0, 0.05),
    MaintenanceTier(5_000_000.0, 5.0, 0.10),
    MaintenanceTier(10_000_000.0, 4.0, 0.125),
    MaintenanceTier(20_000_000.0, 3.0, 0.15),
    MaintenanceTier(50_000_000.0, 2.0, 0.25),
    MaintenanceTier(math.inf, 1.0, 0.50),
)
"""Binance USDⓈ-M ETHUSDT perpetual leverage and margin tiers (USDT notional, maximum leverage,
maintenance margin rate), as published on Binance's "Leverage and Margin of USDⓈ-M Futures" page
(binance.com/en/futures/trading-rules/perpetual/leverage-margin) in 2020-21: 100x / 0.50% and
75x / 0.65% for small notional, up to 1x / 50%. The rates and leverages per tier match the ETHUSDT
table mirrored by other venues; the notional caps are from the same page and could not be checked
against an archived copy of January 2021 (see ``docs/backtest.md``)."""


def maintenance_rate(notional_usd: float, tiers: Sequence[MaintenanceTier] = ETHUSDT_TIERS) -> float:
    """Return the maintenance margin rate of the tier holding a position of ``notional_usd``."""
    return next(tier.rate for tier in tiers if notional_usd <= tier.cap_usd)


@dataclass(frozen=True, slots=True)
class BacktestConfig:
    """The model's fixed choices (everything else is fitted on the first half).

    Attributes
    ----------
    leverages:
        The leverage grid; the fit chooses how much notional opens at each.
    holding_hours_grid:
        Candidate mean holding times ``τ`` (hours); the fit chooses one.
    position_notional_usd:
        The representative position, which sets the maintenance rate (10,000 USD: 0.50%).
    """

    leverages: tuple[float, ...] = (2.0, 3.0, 5.0, 10.0, 20.0, 25.0, 50.0, 75.0, 100.0)
    holding_hours_grid: tuple[float, ...] = (6.0, 12.0, 24.0, 48.0, 96.0, 168.0)
    position_notional_usd: float = 10_000.0

    @property
    def maintenance_rate(self) -> float:
        """The representative position's maintenance margin rate."""
        return maintenance_rate(self.position_notional_usd)


@dataclass(frozen=True, slots=True, eq=False)
class LiquidationStream:
    """The rows of a price-and-liquidation file in ascending time.

    Attributes
    ----------
    source, sha256:
        The file read and the SHA-256 of its bytes.
    times_s:
        Unix seconds.
    mid:
        ``(bid + ask) / 2``.
    long_base, short_base:
        Liquidated size of longs and shorts in the interval ending at the row (base units).
    dropped_rows:
        Rows the price reader left out (crossed quote, duplicate time ...).
    """

    source: Path
    sha256: str
    times_s: FloatArray
    mid: FloatArray
    long_base: FloatArray
    short_base: FloatArray
    dropped_rows: int

    def before(self, time_s: float) -> LiquidationStream:
        """Return the rows strictly before ``time_s`` (what a fit at that time may see)."""
        keep = self.times_s < time_s
        return LiquidationStream(
            self.source,
            self.sha256,
            self.times_s[keep],
            self.mid[keep],
            self.long_base[keep],
            self.short_base[keep],
            self.dropped_rows,
        )


def load_liquidation_stream(path: str | Path) -> LiquidationStream:
    """Read a CSV of the shared file's shape: ``timestamp_x``, ``ask_price``, ``bid_price``, both liquidation columns.

    Raises
    ------
    HistoryFileError
        A missing or malformed file, a missing liquidation column, a negative or empty liquidation
        size, or fewer than :data:`MINIMUM_HOURS` whole hours of rows.
    """
    source = Path(path)
    history = load_price_history(source, "mid", extra_columns=(LIQUIDATION_LONG_COLUMN, LIQUIDATION_SHORT_COLUMN))
    for column in (LIQUIDATION_LONG_COLUMN, LIQUIDATION_SHORT_COLUMN):
        values = history.columns[column]
        bad = np.flatnonzero(~np.isfinite(values) | (values < 0.0))
        if bad.size:
            raise HistoryFileError(
                source,
                None,
                f"column {column!r} must be a size >= 0 on every row; row at Unix time "
                f"{history.times_s[bad[0]]:.3f} s holds {values[bad[0]]!r}",
            )
    hours = np.floor(history.times_s[-1] / SECONDS_PER_HOUR) - np.floor(history.times_s[0] / SECONDS_PER_HOUR) + 1
    if hours < MINIMUM_HOURS:
        raise HistoryFileError(
            source, None, f"the rows span {int(hours)} UTC hours; a backtest needs at least {MINIMUM_HOURS}"
        )
    return LiquidationStream(
        source=source,
        sha256=hashlib.sha256(source.read_bytes()).hexdigest(),
        times_s=history.times_s,
        mid=history.columns["mid"],
        long_base=history.columns[LIQUIDATION_LONG_COLUMN],
        short_base=history.columns[LIQUIDATION_SHORT_COLUMN],
        dropped_rows=len(history.dropped),
    )


@dataclass(frozen=True, slots=True, eq=False)
class HourlyLiquidations:
    """The stream bucketed by UTC hour.

    Attributes
    ----------
    first_hour:
        Unix hour number (``floor(t / 3600)``) of bucket 0.
    row_hour:
        Each row's bucket.
    open_rows:
        The first row of each bucket (where that hour's cohort opens), :data:`NEVER` for an empty hour.
    long_base, short_base:
        The real liquidated size per bucket.
    """

    first_hour: int
    row_hour: IntArray
    open_rows: IntArray
    long_base: FloatArray
    short_base: FloatArray

    @property
    def hours(self) -> int:
        """The number of buckets."""
        return int(self.long_base.shape[0])

    def hour_starts_s(self) -> IntArray:
        """Each bucket's start in Unix seconds."""
        return (self.first_hour + np.arange(self.hours, dtype=np.int64)) * SECONDS_PER_HOUR


def hourly_liquidations(stream: LiquidationStream, hours: int | None = None) -> HourlyLiquidations:
    """Bucket rows by UTC hour ``[k·3600, (k+1)·3600)`` from the first row's hour; sum the liquidated sizes.

    ``hours`` fixes the number of buckets (default: up to the last row's hour).
    """
    unix_hours = np.floor(stream.times_s / SECONDS_PER_HOUR).astype(np.int64)
    first_hour = int(unix_hours[0])
    row_hour = unix_hours - first_hour
    count = int(row_hour[-1]) + 1 if hours is None else hours
    buckets = np.arange(count, dtype=np.int64)
    first_rows = np.searchsorted(row_hour, buckets, side="left").astype(np.int64)
    inside = first_rows < row_hour.shape[0]
    occupied = np.zeros(count, dtype=np.bool_)
    occupied[inside] = row_hour[first_rows[inside]] == buckets[inside]
    return HourlyLiquidations(
        first_hour=first_hour,
        row_hour=row_hour,
        open_rows=np.where(occupied, first_rows, NEVER),
        long_base=np.bincount(row_hour, weights=stream.long_base, minlength=count)[:count].astype(np.float64),
        short_base=np.bincount(row_hour, weights=stream.short_base, minlength=count)[:count].astype(np.float64),
    )


def split_hour(hours: int) -> int:
    """Return the first test bucket: the fit takes buckets ``[0, hours // 2)``, the test the rest."""
    return hours // 2


def liquidation_price_ratio(leverage: FloatArray, rate: float, side: int) -> FloatArray:
    """Return ``P_liq / P_entry`` of an isolated position (health = 1 there).

    Long (``side = +1``): ``(1 − 1/λ) / (1 − m)``; short (``side = −1``): ``(1 + 1/λ) / (1 + m)``.
    Binance's isolated-margin liquidation price for one position with no maintenance amount.
    """
    return (1.0 - side / leverage) / (1.0 - side * rate)


def health(side: int, leverage: FloatArray, entry: FloatArray, price: FloatArray, rate: float) -> FloatArray:
    """Return ``equity / maintenance requirement`` of a position of 1 USD notional at entry.

    Margin ``1/λ``, size ``side / entry``, basis ``side``; equity and requirement from
    :func:`~ringfence.lab.vector.kernels.margin_terms` (PnL weight 1). Liquidation when below 1.
    """
    size = side / entry
    basis = np.full_like(size, float(side))
    terms, requirement = margin_terms(size, basis, price, np.full_like(size, rate), np.ones_like(size))
    return np.asarray((1.0 / leverage + terms) / requirement, dtype=np.float64)


def _first_crossing_rows(mid: FloatArray, open_rows: IntArray, ratios: FloatArray, side: int) -> IntArray:
    """Return, per cohort and leverage, the first row after opening where health < 1, or :data:`NEVER`."""
    rows = np.full((open_rows.shape[0], ratios.shape[0]), NEVER, dtype=np.int64)
    for cohort, start in enumerate(open_rows):
        if start == NEVER or start + 1 >= mid.shape[0]:
            continue
        path = mid[start + 1 :]
        thresholds = mid[start] * ratios
        if side > 0:
            # Running minimum is non-increasing; its negation sorts ascending.
            offsets = np.searchsorted(-np.minimum.accumulate(path), -thresholds, side="right")
        else:
            offsets = np.searchsorted(np.maximum.accumulate(path), thresholds, side="right")
        rows[cohort] = np.where(offsets < path.shape[0], start + 1 + offsets, NEVER)
    return rows


def _unit_volumes(
    stream: LiquidationStream, hourly: HourlyLiquidations, crossings: IntArray, holding_hours: float
) -> FloatArray:
    """Return base units liquidated per hour (rows) per USD/hour of opening notional at each leverage (columns)."""
    volumes = np.zeros((hourly.hours, crossings.shape[1]), dtype=np.float64)
    cohort, leverage = np.nonzero(crossings != NEVER)
    rows = crossings[cohort, leverage]
    opens = hourly.open_rows[cohort]
    alive_seconds = stream.times_s[rows] - stream.times_s[opens]
    weights = np.exp(-alive_seconds / (holding_hours * SECONDS_PER_HOUR)) / stream.mid[opens]
    np.add.at(volumes, (hourly.row_hour[rows], leverage), weights)
    return volumes


def _crossings(
    stream: LiquidationStream, hourly: HourlyLiquidations, leverages: Sequence[float], rate: float
) -> tuple[IntArray, IntArray]:
    """Return the liquidation rows of the long and the short cohorts (cohort × leverage)."""
    grid = np.asarray(leverages, dtype=np.float64)
    return (
        _first_crossing_rows(stream.mid, hourly.open_rows, liquidation_price_ratio(grid, rate, +1), +1),
        _first_crossing_rows(stream.mid, hourly.open_rows, liquidation_price_ratio(grid, rate, -1), -1),
    )


def _nonnegative_fit(design: FloatArray, target: FloatArray) -> tuple[FloatArray, float]:
    """NNLS on unit-norm columns (better conditioned), mapped back; an all-zero column gets weight 0."""
    norms = np.linalg.norm(design, axis=0)
    scaled = design / np.where(norms > 0.0, norms, 1.0)
    weights, residual = nnls(scaled, target)
    return np.where(norms > 0.0, weights / np.where(norms > 0.0, norms, 1.0), 0.0), float(residual) ** 2


@dataclass(frozen=True, slots=True)
class FittedPopulation:
    """What the fit chose: mean holding time and USD opening notional per hour at each leverage, per side.

    ``squared_error`` is the fit window's sum of squared hourly errors (base units², long + short).
    """

    leverages: tuple[float, ...]
    maintenance_rate: float
    holding_hours: float
    long_usd_per_hour: tuple[float, ...]
    short_usd_per_hour: tuple[float, ...]
    squared_error: float
    fit_hours: int


def fit_population(stream: LiquidationStream, config: BacktestConfig) -> FittedPopulation:
    """Fit the population on the first half of the stream's hours, reading no row after the split.

    The stream is cut at the split before anything is computed, so the fitted values cannot depend
    on the second half (prices or liquidations).
    """
    hourly = hourly_liquidations(stream)
    split = split_hour(hourly.hours)
    seen = stream.before(float((hourly.first_hour + split) * SECONDS_PER_HOUR))
    fit_hourly = hourly_liquidations(seen, hours=split)
    long_rows, short_rows = _crossings(seen, fit_hourly, config.leverages, config.maintenance_rate)
    best: FittedPopulation | None = None
    for holding_hours in config.holding_hours_grid:
        long_weights, long_error = _nonnegative_fit(
            _unit_volumes(seen, fit_hourly, long_rows, holding_hours), fit_hourly.long_base
        )
        short_weights, short_error = _nonnegative_fit(
            _unit_volumes(seen, fit_hourly, short_rows, holding_hours), fit_hourly.short_base
        )
        candidate = FittedPopulation(
            leverages=config.leverages,
            maintenance_rate=config.maintenance_rate,
            holding_hours=holding_hours,
            long_usd_per_hour=tuple(float(w) for w in long_weights),
            short_usd_per_hour=tuple(float(w) for w in short_weights),
            squared_error=long_error + short_error,
            fit_hours=split,
        )
        if best is None or candidate.squared_error < best.squared_error:
            best = candidate
    if best is None:
        raise InvalidParameter("holding_hours_grid", config.holding_hours_grid, "at least one holding time")
    return best


def predict_hourly(stream: LiquidationStream, population: FittedPopulation) -> tuple[FloatArray, FloatArray]:
    """Return the model's liquidated size (base units) per hour bucket, long and short, over the whole stream."""
    hourly = hourly_liquidations(stream)
    long_rows, short_rows = _crossings(stream, hourly, population.leverages, population.maintenance_rate)
    long_volume = _unit_volumes(stream, hourly, long_rows, population.holding_hours) @ np.asarray(
        population.long_usd_per_hour
    )
    short_volume = _unit_volumes(stream, hourly, short_rows, population.holding_hours) @ np.asarray(
        population.short_usd_per_hour
    )
    return long_volume, short_volume
