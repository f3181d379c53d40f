"""Scores of the liquidation backtest per half: rank correlation, peaks, volume ratio; its JSON record.

Per half (fit, test) and side (long, short, total):

* ``spearman``: ``scipy.stats.spearmanr`` of the model's hourly volume against the real one
  (``None`` when either series is constant over the half: no rank correlation exists);
* ``baseline_spearman``: the same for a model-free predictor, the hour's adverse price range
  (``(open − low)/open`` for longs, ``(high − open)/open`` for shorts, ``(high − low)/open`` in
  total), so the population model can be judged against "liquidations follow price moves";
* ``volume_ratio``: model total / real total over the half;
* the 5 largest real hours with the model's volume there and its rank, the model's own 5 largest
  hours with the real volume there, and how many real peaks have a model peak within ±1 hour.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from scipy.stats import spearmanr  # type: ignore[import-untyped]  # no scipy-stubs in the dev environment

from ringfence.lab.backtest import (
    BacktestConfig,
    FittedPopulation,
    HourlyLiquidations,
    LiquidationStream,
    fit_population,
    hourly_liquidations,
    load_liquidation_stream,
    predict_hourly,
    split_hour,
)

__all__ = ["BacktestResult", "HalfMetrics", "Peak", "SideMetrics", "backtest_json", "run_backtest"]

FloatArray = NDArray[np.float64]
SIDES = ("long", "short", "total")
PEAKS = 5
PEAK_TOLERANCE_HOURS = 1
SIGNIFICANT_DIGITS = 10
"""Digits kept in the JSON record: far above the data's own precision, and stable across platforms."""


@dataclass(frozen=True, slots=True)
class Peak:
    """One of the largest hours: its bucket, real and model volume there, its rank in the other series (1 = top)."""

    hour: int
    real: float
    model: float
    other_rank: int


@dataclass(frozen=True, slots=True)
class SideMetrics:
    """One side's scores over one half."""

    spearman: float | None
    baseline_spearman: float | None
    real_total: float
    model_total: float
    volume_ratio: float | None
    real_peaks: tuple[Peak, ...]
    model_peaks: tuple[Peak, ...]
    real_peaks_matched: int


@dataclass(frozen=True, slots=True)
class HalfMetrics:
    """The scores of one half: ``[start_hour, end_hour)`` in bucket numbers."""

    name: str
    start_hour: int
    end_hour: int
    sides: Mapping[str, SideMetrics]


def _rank_correlation(model: FloatArray, real: FloatArray) -> float | None:
    if model.shape[0] < 2 or np.ptp(model) == 0.0 or np.ptp(real) == 0.0:
        return None
    return float(spearmanr(model, real).statistic)


def _ranks(values: FloatArray) -> NDArray[np.int64]:
    """Rank 1 for the largest; ties broken by the earlier hour (stable sort)."""
    order = np.argsort(-values, kind="stable")
    ranks = np.empty(values.shape[0], dtype=np.int64)
    ranks[order] = np.arange(1, values.shape[0] + 1)
    return ranks


def _peaks(leading: FloatArray, other: FloatArray, offset: int, real_leads: bool) -> tuple[Peak, ...]:
    order = np.argsort(-leading, kind="stable")[:PEAKS]
    other_ranks = _ranks(other)
    peaks = []
    for index in order:
        real, model = (leading[index], other[index]) if real_leads else (other[index], leading[index])
        peaks.append(Peak(offset + int(index), float(real), float(model), int(other_ranks[index])))
    return tuple(peaks)


def side_metrics(model: FloatArray, real: FloatArray, baseline: FloatArray, offset: int) -> SideMetrics:
    """Score one side over one half (``offset`` = the half's first bucket number)."""
    real_peaks = _peaks(real, model, offset, real_leads=True)
    model_peaks = _peaks(model, real, offset, real_leads=False)
    model_hours = np.array([peak.hour for peak in model_peaks], dtype=np.int64)
    matched = sum(
        1 for peak in real_peaks if np.any(np.abs(model_hours - peak.hour) <= PEAK_TOLERANCE_HOURS) and peak.real > 0
    )
    real_total = float(real.sum())
    return SideMetrics(
        spearman=_rank_correlation(model, real),
        baseline_spearman=_rank_correlation(baseline, real),
        real_total=real_total,
        model_total=float(model.sum()),
        volume_ratio=float(model.sum()) / real_total if real_total > 0.0 else None,
        real_peaks=real_peaks,
        model_peaks=model_peaks,
        real_peaks_matched=matched,
    )


def price_ranges(stream: LiquidationStream, hourly: HourlyLiquidations) -> dict[str, FloatArray]:
    """Return each hour's adverse price range relative to its opening mid, per side (the baseline)."""
    low = np.full(hourly.hours, np.inf)
    high = np.full(hourly.hours, -np.inf)
    np.minimum.at(low, hourly.row_hour, stream.mid)
    np.maximum.at(high, hourly.row_hour, stream.mid)
    occupied = hourly.open_rows >= 0
    opening = np.where(occupied, stream.mid[np.maximum(hourly.open_rows, 0)], 1.0)
    low = np.where(occupied, low, opening)
    high = np.where(occupied, high, opening)
    return {"long": (opening - low) / opening, "short": (high - opening) / opening, "total": (high - low) / opening}


@dataclass(frozen=True, slots=True, eq=False)
class BacktestResult:
    """A finished backtest: inputs, fitted population, hourly series and the scores per half."""

    stream: LiquidationStream
    config: BacktestConfig
    hourly: HourlyLiquidations
    population: FittedPopulation
    model_long: FloatArray
    model_short: FloatArray
    halves: tuple[HalfMetrics, HalfMetrics]

    @property
    def split(self) -> int:
        """The first test bucket."""
        return split_hour(self.hourly.hours)


def run_backtest(path: str | Path, config: BacktestConfig | None = None) -> BacktestResult:
    """Load the stream, fit on the first half, predict all hours and score both halves."""
    chosen = BacktestConfig() if config is None else config
    stream = load_liquidation_stream(path)
    hourly = hourly_liquidations(stream)
    population = fit_population(stream, chosen)
    model_long, model_short = predict_hourly(stream, population)
    model = {"long": model_long, "short": model_short, "total": model_long + model_short}
    real = {"long": hourly.long_base, "short": hourly.short_base, "total": hourly.long_base + hourly.short_base}
    baseline = price_ranges(stream, hourly)
    split = split_hour(hourly.hours)
    halves = tuple(
        HalfMetrics(
            name,
            start,
            end,
            {
                side: side_metrics(model[side][start:end], real[side][start:end], baseline[side][start:end], start)
                for side in SIDES
            },
        )
        for name, start, end in (("fit", 0, split), ("test", split, hourly.hours))
    )
    return BacktestResult(stream, chosen, hourly, population, model_long, model_short, (halves[0], halves[1]))


def _number(value: float | None) -> float | None:
    return None if value is None else float(f"{value:.{SIGNIFICANT_DIGITS}g}")


def iso_hour(hourly: HourlyLiquidations, hour: int) -> str:
    """Return a bucket's start as ``YYYY-MM-DDTHH:MMZ``."""
    start = dt.datetime.fromtimestamp(int(hourly.hour_starts_s()[0]) + 3_600 * hour, tz=dt.UTC)
    return start.strftime("%Y-%m-%dT%H:%MZ")


def _peak_record(hourly: HourlyLiquidations, peak: Peak, other: str) -> dict[str, object]:
    return {
        "hour": iso_hour(hourly, peak.hour),
        "real": _number(peak.real),
        "model": _number(peak.model),
        f"{other}_rank": peak.other_rank,
    }


def _side_record(hourly: HourlyLiquidations, side: SideMetrics) -> dict[str, object]:
    return {
        "spearman": _number(side.spearman),
        "baseline_spearman": _number(side.baseline_spearman),
        "real_total": _number(side.real_total),
        "model_total": _number(side.model_total),
        "volume_ratio": _number(side.volume_ratio),
        "real_peaks": [_peak_record(hourly, peak, "model") for peak in side.real_peaks],
        "model_peaks": [_peak_record(hourly, peak, "real") for peak in side.model_peaks],
        "real_peaks_with_a_model_peak_within_1h": side.real_peaks_matched,
    }


def _population_record(population: FittedPopulation) -> dict[str, object]:
    per_hour = np.add(population.long_usd_per_hour, population.short_usd_per_hour)
    return {
        "maintenance_rate": population.maintenance_rate,
        "mean_holding_hours": population.holding_hours,
        "leverages": list(population.leverages),
        "long_opening_usd_per_hour": [_number(value) for value in population.long_usd_per_hour],
        "short_opening_usd_per_hour": [_number(value) for value in population.short_usd_per_hour],
        "long_share_of_opening_notional": _number(sum(population.long_usd_per_hour) / float(per_hour.sum()))
        if per_hour.sum() > 0
        else None,
        "steady_open_interest_usd": _number(float(per_hour.sum()) * population.holding_hours),
        "fit_squared_error_base2": _number(population.squared_error),
    }


def backtest_json(result: BacktestResult) -> bytes:
    """Serialise the backtest deterministically (same inputs → same bytes)."""
    hourly = result.hourly
    record = {
        "source": {
            "file": result.stream.source.name,
            "sha256": result.stream.sha256,
            "rows": int(result.stream.times_s.shape[0]),
            "dropped_rows": result.stream.dropped_rows,
        },
        "grid": "every row of the file (mid = (bid + ask) / 2), liquidations bucketed by UTC hour",
        "windows": {
            half.name: {
                "start": iso_hour(hourly, half.start_hour),
                "end": iso_hour(hourly, half.end_hour),
                "hours": half.end_hour - half.start_hour,
            }
            for half in result.halves
        },
        "config": {
            "leverages": list(result.config.leverages),
            "holding_hours_grid": list(result.config.holding_hours_grid),
            "position_notional_usd": result.config.position_notional_usd,
        },
        "fitted": _population_record(result.population),
        "metrics": {
            half.name: {side: _side_record(hourly, metrics) for side, metrics in half.sides.items()}
            for half in result.halves
        },
        "hourly": {
            "hour": [iso_hour(hourly, hour) for hour in range(hourly.hours)],
            "real_long": [_number(value) for value in hourly.long_base],
            "real_short": [_number(value) for value in hourly.short_base],
            "model_long": [_number(value) for value in result.model_long],
            "model_short": [_number(value) for value in result.model_short],
        },
    }
    return (json.dumps(record, indent=1, ensure_ascii=False) + "\n").encode()
