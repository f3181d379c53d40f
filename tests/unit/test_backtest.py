"""The backtest's pure pieces: reading and bucketing the stream, the liquidation rule, the fit window."""

from __future__ import annotations

import math
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from ringfence.lab.backtest import (
    ETHUSDT_TIERS,
    NEVER,
    BacktestConfig,
    FittedPopulation,
    LiquidationStream,
    fit_population,
    health,
    hourly_liquidations,
    liquidation_price_ratio,
    load_liquidation_stream,
    maintenance_rate,
    predict_hourly,
    split_hour,
)
from ringfence.lab.errors import HistoryFileError
from support.liquidation_csv import random_stream, write_stream


def test_rows_are_summed_per_utc_hour_and_an_empty_hour_opens_no_cohort(tmp_path: Path) -> None:
    # Hour 0 has two rows, hour 1 none, hour 2 one row, hour 3 one row at its very first second.
    csv = write_stream(
        tmp_path / "tiny.csv",
        seconds=[600, 3000, 7500, 10800],
        mids=[1000.0, 1001.0, 1002.0, 1003.0],
        longs=[1.0, 2.0, 0.0, 4.0],
        shorts=[0.0, 0.5, 3.0, 0.0],
    )

    hourly = hourly_liquidations(load_liquidation_stream(csv))

    assert hourly.hours == 4
    assert hourly.long_base.tolist() == [3.0, 0.0, 0.0, 4.0]
    assert hourly.short_base.tolist() == [0.5, 0.0, 3.0, 0.0]
    assert hourly.open_rows.tolist() == [0, NEVER, 2, 3]
    assert hourly.hour_starts_s().tolist() == [1_609_459_200 + 3600 * k for k in range(4)]


def test_the_mid_is_the_middle_of_bid_and_ask_and_timestamps_are_microseconds(tmp_path: Path) -> None:
    csv = write_stream(tmp_path / "tiny.csv", [0, 3600, 7200, 10800], [1000.0] * 4, [0.0] * 4, [0.0] * 4, 0.25)

    stream = load_liquidation_stream(csv)

    assert stream.mid.tolist() == [1000.0] * 4
    assert stream.times_s[1] - stream.times_s[0] == 3600.0


def test_the_halves_split_the_whole_hours_at_the_middle() -> None:
    assert split_hour(720) == 360
    assert split_hour(5) == 2


@pytest.mark.parametrize(
    ("notional_usd", "rate"), [(1.0, 0.005), (10_000.0, 0.005), (10_001.0, 0.0065), (600_000.0, 0.02), (1e12, 0.5)]
)
def test_the_maintenance_rate_is_the_binance_ethusdt_tier_of_the_notional(notional_usd: float, rate: float) -> None:
    assert maintenance_rate(notional_usd) == rate


def test_the_tier_table_rises_in_rate_and_falls_in_leverage() -> None:
    rates = [tier.rate for tier in ETHUSDT_TIERS]
    leverages = [tier.max_leverage for tier in ETHUSDT_TIERS]
    assert rates == sorted(rates)
    assert leverages == sorted(leverages, reverse=True)


def test_a_10x_long_at_1000_is_liquidated_between_904_and_905() -> None:
    # Hand: size 1 ETH, margin 100. At 905: equity 100 − 95 = 5, requirement 905·0.005 = 4.525 → 1.105.
    # At 904: equity 4, requirement 4.52 → 0.885. Threshold 1000·0.9/0.995 = 904.5226...
    ratio = liquidation_price_ratio(np.array([10.0]), 0.005, +1)
    at_905, at_904 = health(+1, np.array([10.0, 10.0]), np.array([1000.0, 1000.0]), np.array([905.0, 904.0]), 0.005)

    assert ratio[0] == pytest.approx(float(Fraction(9, 10) / Fraction(995, 1000)), rel=1e-15)  # float rounding only
    assert at_905 == pytest.approx(float(Fraction(5) / Fraction(4525, 1000)), rel=1e-12)  # float rounding only
    assert at_904 == pytest.approx(float(Fraction(4) / Fraction(452, 100)), rel=1e-12)  # float rounding only


def test_a_10x_short_at_1000_is_liquidated_between_1094_and_1095() -> None:
    # Hand: at 1094 equity 100 − 94 = 6, requirement 5.47 → 1.097; at 1095 equity 5, requirement 5.475 → 0.913.
    ratio = liquidation_price_ratio(np.array([10.0]), 0.005, -1)
    at_1094, at_1095 = health(-1, np.full(2, 10.0), np.full(2, 1000.0), np.array([1094.0, 1095.0]), 0.005)

    assert ratio[0] == pytest.approx(float(Fraction(11, 10) / Fraction(1005, 1000)), rel=1e-15)  # float rounding only
    assert at_1094 == pytest.approx(6 / 5.47, rel=1e-12)  # float rounding only
    assert at_1095 == pytest.approx(5 / 5.475, rel=1e-12)  # float rounding only


@pytest.mark.parametrize("side", [+1, -1])
def test_the_liquidation_price_is_where_the_kernel_health_reaches_one(side: int) -> None:
    leverages = np.array([2.0, 5.0, 20.0, 100.0])
    entry = np.full(4, 1234.5)

    at_threshold = health(side, leverages, entry, entry * liquidation_price_ratio(leverages, 0.0065, side), 0.0065)

    assert at_threshold == pytest.approx(np.ones(4), abs=1e-9)  # a few float roundings of a ratio near 1


def test_the_model_liquidates_each_cohort_at_its_first_row_below_health_one() -> None:
    # Rows every 30 min. Cohort 0 opens at 1000 (long threshold 904.52): 905 spares it, 904 at 01:30
    # liquidates it, after 1.5 h. Cohort 1 opens at 905 (short threshold 905·1.1/1.005 = 990.55):
    # 1000 at 02:00 liquidates it after 1 h. With τ = 1.5/ln 2 hours, survival is 2^(−t/1.5 h).
    stream = LiquidationStream(
        Path("hand.csv"),
        "",
        np.array([0.0, 1800.0, 3600.0, 5400.0, 7200.0, 9000.0]),
        np.array([1000.0, 950.0, 905.0, 904.0, 1000.0, 1000.0]),
        np.zeros(6),
        np.zeros(6),
        0,
    )
    population = FittedPopulation((10.0,), 0.005, 1.5 / math.log(2.0), (1000.0,), (1000.0,), 0.0, 1)

    long_volume, short_volume = predict_hourly(stream, population)

    assert long_volume == pytest.approx([0.0, 0.5, 0.0], rel=1e-12)  # float rounding only
    assert short_volume == pytest.approx([0.0, 0.0, 1000.0 / 905.0 * 2.0 ** (-2.0 / 3.0)], rel=1e-12)


def _fit(path: Path) -> FittedPopulation:
    return fit_population(load_liquidation_stream(path), BacktestConfig(leverages=(10.0, 50.0, 100.0)))


def test_the_fit_reads_no_row_of_the_second_half(tmp_path: Path) -> None:
    seconds, mids, longs, shorts = random_stream(seed=7, hours=12)
    half = len(seconds) // 2
    changed_mids = mids[:half] + [m * 1.3 for m in mids[half:]]
    changed_longs = longs[:half] + [5_000.0] * (len(longs) - half)

    original = _fit(write_stream(tmp_path / "a.csv", seconds, mids, longs, shorts))
    second_half_changed = _fit(write_stream(tmp_path / "b.csv", seconds, changed_mids, changed_longs, shorts))
    first_half_changed = _fit(write_stream(tmp_path / "c.csv", seconds, mids, [2 * x for x in longs], shorts))

    assert original.fit_hours == 6
    assert sum(original.long_usd_per_hour) > 0.0
    assert second_half_changed == original
    # The check bites: doubling the first half's long liquidations doubles the fitted long flow.
    assert first_half_changed.long_usd_per_hour == pytest.approx([2 * w for w in original.long_usd_per_hour])


def test_a_stream_without_liquidation_columns_is_refused_naming_the_column(tmp_path: Path) -> None:
    csv = tmp_path / "prices.csv"
    csv.write_text("timestamp_x,ask_price,bid_price\n1609459200000000,1,0.9\n1609473600000000,1,0.9\n")

    with pytest.raises(HistoryFileError, match="binance-futures_ethusdt_liquidation_long"):
        load_liquidation_stream(csv)


def test_a_negative_liquidation_size_is_refused(tmp_path: Path) -> None:
    csv = write_stream(tmp_path / "bad.csv", [0, 3600, 7200, 10800], [1000.0] * 4, [0.0, -1.0, 0.0, 0.0], [0.0] * 4)

    with pytest.raises(HistoryFileError, match="size >= 0"):
        load_liquidation_stream(csv)


def test_a_stream_shorter_than_four_hours_is_refused(tmp_path: Path) -> None:
    csv = write_stream(tmp_path / "short.csv", [0, 3600, 7200], [1000.0] * 3, [0.0] * 3, [0.0] * 3)

    with pytest.raises(HistoryFileError, match="at least 4"):
        load_liquidation_stream(csv)
