"""Historical replay: read a price CSV of a documented shape into an ascending price path.

Accepted shapes
---------------
A CSV file (UTF-8, optional BOM, ``,`` separated, LF or CRLF line ends) whose first row is a
header. Header names are matched case-insensitively after trimming spaces; other columns are
ignored unless asked for with ``extra_columns``.

* **time** (required): the first of ``Unix Timestamp``, ``timestamp``, ``timestamp_x``, ``time``,
  ``unix``. Unix epoch numbers (integer or decimal). With ``time_unit="auto"`` the unit is read
  per row from the magnitude: below 1e11 seconds, below 1e14 milliseconds, below 1e17
  microseconds, else nanoseconds (unambiguous for dates from 1973 to 5138), so one file may mix
  seconds and milliseconds. Rows may come in ascending, descending or any order.
* **prices**, one of three shapes (the first that matches, in this order):

  - ``ohlc``: ``Open``, ``High``, ``Low``, ``Close`` (``Volume`` optional); price column
    ``open`` by default (``close``, ``high`` or ``low`` on request). A bar's timestamp marks its
    start in the exports this reads, so the open is the one price known at that instant; choosing
    ``close``, ``high`` or ``low`` looks up to one bar ahead (fine for worst-case studies, not for
    a causal replay).
  - ``quotes``: ``ask_price`` and ``bid_price`` (or ``ask`` and ``bid``); price column ``mid``
    = (ask + bid) / 2 by default (``ask`` or ``bid`` on request).
  - ``prices``: ``price``.

  Prices are in the quote currency per unit of the base asset (USD per ETH for both shared files).

What is an error and what is dropped
------------------------------------
A file that cannot be read as that shape raises :class:`~ringfence.lab.errors.HistoryFileError`
naming the file, the line and the problem: missing file, not UTF-8, no header, no time column,
no price shape, a row with the wrong number of fields, a time or price that is not a number.
Rows that parse but cannot be true are dropped and reported in :attr:`PriceHistory.dropped`
with their line and reason: an empty or non-finite price, a price or volume ``≤ 0`` / ``< 0``,
an OHLC bar whose high/low does not bound its other prices, a crossed quote (bid > ask), a
timestamp ``≤ 0``, a duplicate timestamp (the later line in the file is dropped).
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from ringfence.core.errors import InvalidParameter
from ringfence.lab._checks import check_count, check_positive
from ringfence.lab.errors import HistoryFileError

__all__ = ["DroppedTick", "PriceHistory", "TimeUnit", "load_price_history"]

TimeUnit = Literal["auto", "s", "ms", "us", "ns"]
Order = Literal["ascending", "descending", "unordered"]
FloatArray = NDArray[np.float64]

TIME_COLUMNS = ("unix timestamp", "timestamp", "timestamp_x", "time", "unix")
SHAPES: dict[str, tuple[str, ...]] = {
    "ohlc": ("open", "high", "low", "close"),
    "quotes": ("ask_price", "bid_price"),
    "prices": ("price",),
}
QUOTE_ALIASES = {"ask": "ask_price", "bid": "bid_price"}
PRICE_CHOICES: dict[str, tuple[str, ...]] = {
    "ohlc": ("open", "close", "high", "low"),
    "quotes": ("mid", "ask", "bid"),
    "prices": ("price",),
}
UNITS = ("s", "ms", "us", "ns")
UNIT_DIVISORS = np.array([1.0, 1e3, 1e6, 1e9])
#: Magnitudes at which ``auto`` moves to the next unit: 1e11 s is the year 5138, 1e11 ms is 1973.
AUTO_UNIT_BOUNDS = np.array([1e11, 1e14, 1e17])
MINIMUM_ROWS = 2


@dataclass(frozen=True, slots=True)
class DroppedTick:
    """A row left out of the path: its 1-based line in the file and why."""

    line: int
    reason: str


@dataclass(frozen=True, slots=True, eq=False)
class PriceHistory:
    """A price path read from a CSV, in ascending time, with what normalisation did to it.

    Attributes
    ----------
    source:
        The file read.
    shape:
        ``"ohlc"``, ``"quotes"`` or ``"prices"``.
    price_column:
        The column the path follows (``open``, ``mid``, ``price`` ...).
    times_s:
        Unix seconds (float64), strictly ascending.
    prices:
        The chosen price at each time.
    columns:
        Every numeric column of the shape (and each requested extra column) aligned with ``times_s``,
        by lower-case name (``open`` ... ``volume``; ``ask``, ``bid``, ``mid``; ``price``).
    dropped:
        Rows left out, with line and reason.
    original_order:
        The order of the rows in the file: ``ascending``, ``descending`` or ``unordered``.
    time_units:
        How many kept rows used each timestamp unit (``{"ms": 18692, "s": 15804}`` for a mixed file).
    """

    source: Path
    shape: str
    price_column: str
    times_s: FloatArray
    prices: FloatArray
    columns: Mapping[str, FloatArray]
    dropped: tuple[DroppedTick, ...]
    original_order: Order
    time_units: Mapping[str, int] = field(default_factory=dict)

    def __len__(self) -> int:
        """Return the number of kept rows."""
        return int(self.prices.shape[0])

    def path(self) -> FloatArray:
        """Return the prices as one path, shape ``(1, len(self))``, like the simulated processes."""
        return self.prices.reshape(1, -1).copy()

    def window(self, start_s: float, end_s: float) -> PriceHistory:
        """Return the rows with ``start_s ≤ time < end_s`` (dropped-row report kept)."""
        keep = (self.times_s >= start_s) & (self.times_s < end_s)
        return PriceHistory(
            source=self.source,
            shape=self.shape,
            price_column=self.price_column,
            times_s=self.times_s[keep],
            prices=self.prices[keep],
            columns={name: values[keep] for name, values in self.columns.items()},
            dropped=self.dropped,
            original_order=self.original_order,
            time_units=self.time_units,
        )

    def on_grid(self, step_seconds: float, n_steps: int, start_s: float | None = None) -> FloatArray:
        """Sample the path on a uniform grid, carrying the last observed price forward.

        Grid time ``t_i = start + i · step_seconds``; the price at ``t_i`` is the last row at or
        before ``t_i`` (a replay never sees the future). ``start`` defaults to the first row and
        may not precede it. Returns shape ``(1, n_steps + 1)``.
        """
        begin = float(self.times_s[0]) if start_s is None else float(start_s)
        if begin < self.times_s[0]:
            raise InvalidParameter("start_s", start_s, f"a time at or after the first row, {self.times_s[0]}")
        check_positive("step_seconds", step_seconds)
        check_count("n_steps", n_steps)
        grid = begin + step_seconds * np.arange(n_steps + 1, dtype=np.float64)
        index = np.searchsorted(self.times_s, grid, side="right") - 1
        return self.prices[index].reshape(1, -1)

    def report(self) -> str:
        """Describe the normalisation in one line a user can act on."""
        units = ", ".join(f"{count} rows in {unit}" for unit, count in sorted(self.time_units.items()))
        dropped = "; ".join(f"line {tick.line}: {tick.reason}" for tick in self.dropped) or "none"
        return (
            f"{self.source}: {len(self)} rows kept ({self.shape}, path follows {self.price_column}), "
            f"file order {self.original_order}, timestamps {units}; dropped {len(self.dropped)}: {dropped}"
        )


def _shape_of(header: Sequence[str], path: Path) -> tuple[int, str, dict[str, int]]:
    names = {name.strip().lower(): index for index, name in enumerate(header)}
    for alias, canonical in QUOTE_ALIASES.items():
        if alias in names and canonical not in names:
            names[canonical] = names[alias]
    time_index = next((names[name] for name in TIME_COLUMNS if name in names), None)
    if time_index is None:
        raise HistoryFileError(
            path, 1, f"no time column: expected one of {', '.join(TIME_COLUMNS)}; found {', '.join(header)}"
        )
    for shape, required in SHAPES.items():
        if all(name in names for name in required):
            return time_index, shape, names
    expected = " | ".join("+".join(required) for required in SHAPES.values())
    raise HistoryFileError(path, 1, f"no price columns: expected {expected}; found {', '.join(header)}")


def _column_numbers(texts: Sequence[str], lines: Sequence[int], column: str, path: Path) -> FloatArray:
    """Parse one column; an empty field is a missing value (NaN), anything else not a number is an error."""
    try:
        return np.fromiter(map(float, texts), dtype=np.float64, count=len(texts))
    except ValueError:
        pass
    numbers = np.empty(len(texts), dtype=np.float64)
    for index, text in enumerate(texts):
        stripped = text.strip()
        try:
            numbers[index] = float(stripped) if stripped else math.nan
        except ValueError:
            raise HistoryFileError(
                path, lines[index], f"column {column!r} value {stripped!r} is not a number"
            ) from None
    return numbers


def _unit_codes(raw_times: FloatArray, time_unit: TimeUnit) -> NDArray[np.intp]:
    """Index into :data:`UNITS` per row: by magnitude for ``auto``, else the given unit."""
    if time_unit != "auto":
        return np.full(raw_times.shape, UNITS.index(time_unit), dtype=np.intp)
    return np.searchsorted(AUTO_UNIT_BOUNDS, np.abs(raw_times), side="right").astype(np.intp)


def _bad_tick(shape: str, values: Mapping[str, float]) -> str | None:
    """Return why a parsed row cannot be a true observation, or ``None`` if it can."""
    prices = SHAPES[shape]
    missing = [name for name in prices if not math.isfinite(values[name])]
    if missing:
        return f"missing or non-finite {', '.join(missing)}"
    not_positive = [f"{name}={values[name]!r}" for name in prices if values[name] <= 0.0]
    if not_positive:
        return f"price not positive: {', '.join(not_positive)}"
    if values.get("volume", 0.0) < 0.0:
        return f"negative volume={values['volume']!r}"
    if shape == "ohlc":
        o, h, low, c = (values[name] for name in SHAPES["ohlc"])
        if h < max(o, low, c) or low > min(o, h, c):
            return f"high/low do not bound the bar: open={o!r} high={h!r} low={low!r} close={c!r}"
    if shape == "quotes" and values["bid_price"] > values["ask_price"]:
        return f"crossed quote: bid={values['bid_price']!r} > ask={values['ask_price']!r}"
    return None


def _bad_mask(shape: str, raw_times: FloatArray, values: Mapping[str, FloatArray]) -> NDArray[np.bool_]:
    """Flag, in bulk, every row :func:`_bad_tick` would reject or whose timestamp is not positive."""
    prices = np.stack([values[name] for name in SHAPES[shape]])
    with np.errstate(invalid="ignore"):
        bad = ~np.all(np.isfinite(prices), axis=0) | np.any(prices <= 0.0, axis=0) | (raw_times <= 0.0)
        if "volume" in values:
            bad |= values["volume"] < 0.0
        if shape == "ohlc":
            o, h, low, c = prices
            bad |= (h < np.maximum(np.maximum(o, low), c)) | (low > np.minimum(np.minimum(o, h), c))
        if shape == "quotes":
            bad |= values["bid_price"] > values["ask_price"]
    return np.asarray(bad, dtype=np.bool_)


@dataclass(frozen=True, slots=True, eq=False)
class _Table:
    lines: NDArray[np.int64]
    raw_times: FloatArray
    values: dict[str, FloatArray]


def _records(path: Path) -> Iterator[tuple[int, list[str]]]:
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.reader(handle)
            for record in reader:
                yield reader.line_num, record
    except FileNotFoundError:
        raise HistoryFileError(path, None, "file not found: give the path of an existing CSV file") from None
    except IsADirectoryError:
        raise HistoryFileError(path, None, "is a directory, not a CSV file") from None
    except UnicodeDecodeError as error:
        raise HistoryFileError(path, None, f"not UTF-8 text ({error.reason} at byte {error.start})") from None
    except csv.Error as error:
        raise HistoryFileError(path, None, f"not a readable CSV file: {error}") from None


def _read_table(path: Path, extra_columns: Sequence[str]) -> tuple[str, _Table]:
    records = _records(path)
    first = next(records, None)
    if first is None or not any(cell.strip() for cell in first[1]):
        raise HistoryFileError(path, 1, "empty file: expected a header row naming a time column and prices")
    header = first[1]
    time_index, shape, names = _shape_of(header, path)
    wanted = [*SHAPES[shape], *(["volume"] if shape == "ohlc" and "volume" in names else [])]
    for extra in extra_columns:
        if extra.strip().lower() not in names:
            raise HistoryFileError(path, 1, f"requested column {extra!r} is not in the header {', '.join(header)}")
    wanted += [extra.strip().lower() for extra in extra_columns if extra.strip().lower() not in wanted]
    lines: list[int] = []
    records_kept: list[list[str]] = []
    for line, record in records:
        if not record:
            continue
        if len(record) != len(header):
            raise HistoryFileError(path, line, f"expected {len(header)} fields as in the header, found {len(record)}")
        lines.append(line)
        records_kept.append(record)
    transposed = list(zip(*records_kept, strict=True)) if records_kept else [() for _ in header]
    indices = {"time": time_index} | {name: names[name] for name in wanted}
    texts = {name: transposed[index] for name, index in indices.items()}
    values = {name: _column_numbers(texts[name], lines, header[indices[name]], path) for name in texts}
    raw_times = values.pop("time")
    empty_time = np.flatnonzero(~np.isfinite(raw_times))
    if empty_time.size:
        line = lines[int(empty_time[0])]
        raise HistoryFileError(
            path, line, f"column {header[time_index]!r} is empty or not finite: every row needs a time"
        )
    return shape, _Table(np.asarray(lines, dtype=np.int64), raw_times, values)


def _order_of(times: FloatArray) -> Order:
    steps = np.diff(times)
    if np.all(steps >= 0):
        return "ascending"
    if np.all(steps <= 0):
        return "descending"
    return "unordered"


def _choose_price(shape: str, requested: str | None, path: Path) -> str:
    choices = PRICE_CHOICES[shape]
    chosen = choices[0] if requested is None else requested.strip().lower()
    if chosen not in choices:
        raise HistoryFileError(
            path, 1, f"price_column {requested!r} does not fit a {shape} file: choose one of {', '.join(choices)}"
        )
    return chosen


def _drop_bad_ticks(shape: str, table: _Table) -> tuple[NDArray[np.bool_], list[DroppedTick]]:
    bad = _bad_mask(shape, table.raw_times, table.values)
    dropped = []
    for row in np.flatnonzero(bad):
        row_values = {name: float(column[row]) for name, column in table.values.items()}
        reason = "timestamp not positive" if table.raw_times[row] <= 0 else _bad_tick(shape, row_values)
        dropped.append(DroppedTick(int(table.lines[row]), reason or "rejected"))
    return ~bad, dropped


def load_price_history(
    path: str | Path,
    price_column: str | None = None,
    *,
    time_unit: TimeUnit = "auto",
    extra_columns: Sequence[str] = (),
) -> PriceHistory:
    """Read a price CSV of a documented shape (see the module docstring) into ascending time.

    Parameters
    ----------
    path:
        The CSV file, read in place (never copied).
    price_column:
        Which price the path follows; the shape's default (``open``, ``mid``, ``price``) when omitted.
    time_unit:
        ``"auto"`` (per row, by magnitude) or the unit of every timestamp: ``s``, ``ms``, ``us``, ``ns``.
    extra_columns:
        Further numeric columns to carry along (e.g. liquidation volumes), by header name.

    Raises
    ------
    HistoryFileError
        The file is missing or malformed, or fewer than two rows survive; names file, line, problem.
    """
    source = Path(path)
    if time_unit not in ("auto", *UNITS):
        raise InvalidParameter("time_unit", time_unit, "one of auto, s, ms, us, ns")
    shape, table = _read_table(source, extra_columns)
    chosen = _choose_price(shape, price_column, source)
    good, dropped = _drop_bad_ticks(shape, table)
    units = _unit_codes(table.raw_times, time_unit)
    times_s = np.where(good, table.raw_times / UNIT_DIVISORS[units], np.nan)
    kept = np.flatnonzero(good)
    order = kept[np.argsort(times_s[kept], kind="stable")]
    duplicate = np.zeros(order.shape, dtype=np.bool_)
    duplicate[1:] = np.diff(times_s[order]) == 0.0
    for position in np.flatnonzero(duplicate):
        # The sort is stable, so among equal times the earlier line of the file comes first.
        earlier = int(table.lines[order[position - 1]])
        dropped.append(DroppedTick(int(table.lines[order[position]]), f"duplicate timestamp of line {earlier}"))
    keep = order[~duplicate]
    if keep.shape[0] < MINIMUM_ROWS:
        raise HistoryFileError(
            source, None, f"{keep.shape[0]} usable rows after dropping bad ticks; at least {MINIMUM_ROWS} are needed"
        )
    columns = {name: values[keep] for name, values in table.values.items()}
    if shape == "quotes":
        columns["ask"] = columns.pop("ask_price")
        columns["bid"] = columns.pop("bid_price")
        columns["mid"] = 0.5 * (columns["ask"] + columns["bid"])
    return PriceHistory(
        source=source,
        shape=shape,
        price_column=chosen,
        times_s=times_s[keep],
        prices=columns[chosen],
        columns=columns,
        dropped=tuple(sorted(dropped, key=lambda tick: tick.line)),
        original_order=_order_of(times_s[kept]),
        time_units={
            UNITS[code]: int(count) for code, count in enumerate(np.bincount(units[keep], minlength=4)) if count
        },
    )
