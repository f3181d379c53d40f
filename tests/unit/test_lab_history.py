"""Tests of ``ringfence.lab.history``: the two shared crash files and CSVs of every documented shape.

The shared files are read in place from the shared data folder (never copied into the repository).
Expected values are read from the files independently with the ``csv`` module, and also pinned as
literals documented in the folder's README and checked there by hand.
"""

from __future__ import annotations

import csv
import itertools
import math
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from ringfence.core.errors import InvalidCommand, InvalidParameter
from ringfence.lab.errors import HistoryFileError
from ringfence.lab.history import PriceHistory, load_price_history
from support.shared_data import GEB_FILE, RISKDAO_FILE, shared_data_dir

GEB = GEB_FILE
RISKDAO = RISKDAO_FILE


@pytest.fixture(scope="module")
def data_dir() -> Path:
    return shared_data_dir()


def _utc(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


def _raw_rows(path: Path) -> tuple[list[str], list[list[str]]]:
    with path.open(newline="") as handle:
        rows = list(csv.reader(handle))
    return rows[0], rows[1:]


# --- the hourly ETH file (reflexer-labs/geb-simulations) --------------------------------------


@pytest.fixture(scope="module")
def geb(data_dir: Path) -> PriceHistory:
    return load_price_history(data_dir / GEB)


@pytest.fixture(scope="module")
def geb_raw(data_dir: Path) -> tuple[list[str], list[list[str]]]:
    return _raw_rows(data_dir / GEB)


def test_hourly_file_loads_every_row_but_the_zero_tick(geb: PriceHistory, geb_raw: tuple) -> None:
    header, rows = geb_raw
    # Independent count: rows whose Open/High/Low/Close has a value <= 0 (README: the first tick).
    zero_lines = [number + 2 for number, row in enumerate(rows) if any(float(v) <= 0 for v in row[3:7])]

    assert header == ["Unix Timestamp", "Date", "Symbol", "Open", "High", "Low", "Close", "Volume"]
    assert len(rows) == 34_497  # README: 34,497 rows
    assert zero_lines == [34_498]  # the last line of the file is 2016-05-09 13:00, Open = Low = 0.0
    assert len(geb) == 34_496
    assert [tick.line for tick in geb.dropped] == [34_498]
    assert "open=0.0" in geb.dropped[0].reason
    assert "low=0.0" in geb.dropped[0].reason
    assert geb.shape == "ohlc"
    assert geb.price_column == "open"


def test_hourly_file_is_normalised_to_ascending_seconds(geb: PriceHistory, geb_raw: tuple) -> None:
    _, rows = geb_raw
    # The kept row with the earliest time is the second-to-last line (seconds), the latest the first (ms).
    oldest, newest = rows[-2], rows[0]

    assert geb.original_order == "descending"
    assert geb.time_units == {"ms": 15_803, "s": 18_693}
    assert np.all(np.diff(geb.times_s) > 0)
    assert geb.times_s[0] == int(oldest[0]) == _utc("2016-05-09 14:00:00")
    assert geb.prices[0] == float(oldest[3]) == 9.55
    assert geb.times_s[-1] == int(newest[0]) / 1000 == _utc("2020-04-16 00:00:00")
    assert geb.prices[-1] == float(newest[3]) == 152.94
    assert geb.columns["close"][-1] == 150.39
    # Every kept time equals its Date column: the unit was inferred right on every row.
    dates = sorted(_utc(row[1]) for row in rows[:-1])
    assert np.array_equal(geb.times_s, np.asarray(dates))


def test_hourly_file_has_three_two_hour_gaps(geb: PriceHistory, geb_raw: tuple) -> None:
    _, rows = geb_raw
    times = sorted(_utc(row[1]) for row in rows)
    independent_gaps = sum(1 for a, b in itertools.pairwise(times) if b - a == 7200)

    assert independent_gaps == 3
    assert int(np.count_nonzero(np.diff(geb.times_s) == 7200)) == 3


def test_black_thursday_window_matches_the_readme(geb: PriceHistory) -> None:
    window = geb.window(_utc("2020-03-12 00:00:00"), _utc("2020-03-14 00:00:00"))

    assert len(window) == 48  # README: 48 hourly rows cover 12-13 March 2020
    assert window.columns["open"][0] == 194.46
    assert window.columns["low"][10] == 126.00  # 2020-03-12 10:00
    assert window.columns["low"].min() == 86.62
    assert window.times_s[int(np.argmin(window.columns["low"]))] == _utc("2020-03-13 02:00:00")
    assert window.columns["close"][-1] == 135.40


def test_on_grid_carries_the_last_price_forward(geb: PriceHistory) -> None:
    start = _utc("2020-03-12 00:00:00")
    window = geb.window(start, start + 3 * 3600)

    hourly = geb.on_grid(3600, 2, start_s=start)
    half_hourly = geb.on_grid(1800, 4, start_s=start)

    opens = window.columns["open"]
    assert hourly.tolist() == [opens.tolist()]
    assert half_hourly.tolist() == [[opens[0], opens[0], opens[1], opens[1], opens[2]]]


def test_on_grid_refuses_a_start_before_the_first_row(geb: PriceHistory) -> None:
    with pytest.raises(InvalidParameter, match="start_s"):
        geb.on_grid(3600, 2, start_s=geb.times_s[0] - 1)


def test_report_names_the_dropped_line(geb: PriceHistory) -> None:
    assert "line 34498" in geb.report()
    assert "descending" in geb.report()


# --- the minute ETHUSDT file (Risk-DAO/simulation-env) ----------------------------------------


@pytest.fixture(scope="module")
def riskdao(data_dir: Path) -> PriceHistory:
    return load_price_history(
        data_dir / RISKDAO,
        extra_columns=["binance-futures_ethusdt_liquidation_long", "binance-futures_ethusdt_liquidation_short"],
    )


def test_minute_file_loads_every_row_with_microsecond_times(riskdao: PriceHistory, data_dir: Path) -> None:
    _, rows = _raw_rows(data_dir / RISKDAO)
    first, last = rows[0], rows[-1]

    assert len(rows) == 43_173  # README: 43,173 rows
    assert len(riskdao) == 43_173
    assert riskdao.dropped == ()
    assert riskdao.original_order == "ascending"
    assert riskdao.time_units == {"us": 43_173}
    assert riskdao.shape == "quotes"
    assert riskdao.price_column == "mid"
    assert riskdao.times_s[0] == float(first[0]) / 1e6
    assert riskdao.prices[0] == (float(first[1]) + float(first[2])) / 2
    assert riskdao.prices[-1] == (float(last[1]) + float(last[2])) / 2
    assert datetime.fromtimestamp(riskdao.times_s[0], UTC).strftime("%Y-%m-%d %H:%M") == "2021-01-01 00:14"
    assert datetime.fromtimestamp(riskdao.times_s[-1], UTC).strftime("%Y-%m-%d %H:%M") == "2021-01-30 23:51"


def test_minute_file_carries_the_liquidation_columns(riskdao: PriceHistory, data_dir: Path) -> None:
    _, rows = _raw_rows(data_dir / RISKDAO)
    long_total = math.fsum(float(row[3]) for row in rows)
    short_total = math.fsum(float(row[4]) for row in rows)

    assert riskdao.columns["binance-futures_ethusdt_liquidation_long"].sum() == pytest.approx(long_total, rel=1e-12)
    assert riskdao.columns["binance-futures_ethusdt_liquidation_short"].sum() == pytest.approx(short_total, rel=1e-12)
    assert round(long_total) == 1_002_062  # README totals
    assert round(short_total) == 352_972


# --- user CSVs of each documented shape -------------------------------------------------------


def _write(tmp_path: Path, text: str, name: str = "prices.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_simple_price_file_with_mixed_units_and_descending_rows(tmp_path: Path) -> None:
    path = _write(tmp_path, "timestamp,price\n1600000120000,3.0\n1600000060,2.0\n1600000000000000,1.0\n")

    history = load_price_history(path)

    assert history.times_s.tolist() == [1600000000.0, 1600000060.0, 1600000120.0]
    assert history.prices.tolist() == [1.0, 2.0, 3.0]
    assert history.time_units == {"s": 1, "ms": 1, "us": 1}
    assert history.original_order == "descending"
    assert history.path().shape == (1, 3)


def test_explicit_time_unit_overrides_the_magnitude_rule(tmp_path: Path) -> None:
    path = _write(tmp_path, "time,price\n1000,1.0\n2000,2.0\n")

    history = load_price_history(path, time_unit="ms")

    assert history.times_s.tolist() == [1.0, 2.0]


def test_bad_ticks_are_dropped_and_reported(tmp_path: Path) -> None:
    text = (
        "Unix Timestamp,Open,High,Low,Close,Volume\n"
        "1600000000,10,11,9,10.5,5\n"  # line 2: fine
        "1600003600,10,9,9.5,10,5\n"  # line 3: high below open
        "1600007200,10,11,9,,5\n"  # line 4: missing close
        "1600010800,10,11,9,10,-1\n"  # line 5: negative volume
        "1600000000,10,11,9,10,5\n"  # line 6: duplicate of line 2
        "1600014400,10,12,9,11,5\n"  # line 7: fine
        "0,10,12,9,11,5\n"  # line 8: timestamp not positive
    )
    path = _write(tmp_path, text)

    history = load_price_history(path, "close")

    assert history.prices.tolist() == [10.5, 11.0]
    reasons = {tick.line: tick.reason for tick in history.dropped}
    assert sorted(reasons) == [3, 4, 5, 6, 8]
    assert "high/low" in reasons[3]
    assert "close" in reasons[4]
    assert "volume" in reasons[5]
    assert reasons[6] == "duplicate timestamp of line 2"
    assert "timestamp" in reasons[8]


def test_quotes_file_drops_crossed_quotes_and_offers_ask_and_bid(tmp_path: Path) -> None:
    path = _write(
        tmp_path, "timestamp_x,ask_price,bid_price\n1.6e15,101,99\n1.60000006e15,100,100.5\n1.60000012e15,103,101\n"
    )

    mid = load_price_history(path)
    bid = load_price_history(path, "bid")

    assert mid.prices.tolist() == [100.0, 102.0]
    assert bid.prices.tolist() == [99.0, 101.0]
    assert [tick.line for tick in mid.dropped] == [3]
    assert "crossed" in mid.dropped[0].reason


def test_headers_match_case_insensitively_with_a_bom_and_crlf(tmp_path: Path) -> None:
    path = tmp_path / "bom.csv"
    path.write_bytes("\ufeff TimeStamp , PRICE \r\n1600000000,5\r\n1600000060,6\r\n".encode())

    assert load_price_history(path).prices.tolist() == [5.0, 6.0]


@pytest.mark.parametrize(
    ("text", "line", "problem"),
    [
        ("timestamp,price\n1600000000,1\n1600000060\n", 3, "expected 2 fields"),
        ("timestamp,price\n1600000000,1\n1600000060,abc\n", 3, "'price' value 'abc' is not a number"),
        ("timestamp,price\n1600000000,1\nsoon,2\n", 3, "'timestamp' value 'soon' is not a number"),
        ("timestamp,price\n1600000000,1\n,2\n", 3, "every row needs a time"),
        ("date,price\n2020-01-01,1\n", 1, "no time column"),
        ("timestamp,value\n1600000000,1\n", 1, "no price columns"),
        ("", 1, "empty file"),
        ("timestamp,price\n1600000000,1\n", None, "1 usable rows"),
        ("timestamp,price\n1600000000,-1\n1600000060,0\n", None, "0 usable rows"),
    ],
)
def test_malformed_files_name_the_file_the_line_and_the_problem(
    tmp_path: Path, text: str, line: int | None, problem: str
) -> None:
    path = _write(tmp_path, text)

    with pytest.raises(HistoryFileError) as caught:
        load_price_history(path)

    assert caught.value.file == path
    assert caught.value.line == line
    assert problem in caught.value.problem
    assert str(caught.value).startswith(f"{path}:{line}: " if line is not None else f"{path}: ")
    assert isinstance(caught.value, InvalidCommand)


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.csv"

    with pytest.raises(HistoryFileError, match="file not found") as caught:
        load_price_history(path)

    assert str(path) in str(caught.value)


def test_a_price_column_of_another_shape_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, "timestamp,price\n1600000000,1\n1600000060,2\n")

    with pytest.raises(HistoryFileError, match="price_column 'mid' does not fit a prices file"):
        load_price_history(path, "mid")


def test_an_unknown_extra_column_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, "timestamp,price\n1600000000,1\n1600000060,2\n")

    with pytest.raises(HistoryFileError, match="'volume' is not in the header"):
        load_price_history(path, extra_columns=["volume"])


def test_an_unknown_time_unit_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, "timestamp,price\n1600000000,1\n1600000060,2\n")

    with pytest.raises(InvalidParameter, match="time_unit"):
        load_price_history(path, time_unit="minutes")  # type: ignore[arg-type]
