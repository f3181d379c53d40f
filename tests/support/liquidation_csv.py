"""Small CSV files of the shared Binance liquidation stream's shape, written for the backtest tests."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

HEADER = (
    "timestamp_x,ask_price,bid_price,"
    "binance-futures_ethusdt_liquidation_long,binance-futures_ethusdt_liquidation_short\n"
)
JANUARY_2021_S = 1_609_459_200
"""2021-01-01 00:00 UTC, a whole hour."""


def write_stream(
    path: Path,
    seconds: Sequence[float],
    mids: Sequence[float],
    longs: Sequence[float],
    shorts: Sequence[float],
    half_spread: float = 0.05,
) -> Path:
    """Write rows at ``JANUARY_2021_S + seconds`` (timestamps in microseconds, as in the shared file)."""
    lines = [HEADER]
    for second, mid, long_size, short_size in zip(seconds, mids, longs, shorts, strict=True):
        micros = (JANUARY_2021_S + second) * 1_000_000
        lines.append(f"{micros!r},{mid + half_spread!r},{mid - half_spread!r},{long_size!r},{short_size!r}\n")
    path.write_text("".join(lines), encoding="utf-8")
    return path


def random_stream(
    seed: int, hours: int, rows_per_hour: int = 6
) -> tuple[list[float], list[float], list[float], list[float]]:
    """Return a volatile path (1% steps) and liquidation sizes that follow its moves, on a regular grid."""
    rng = np.random.default_rng(seed)
    count = hours * rows_per_hour
    steps = rng.normal(0.0, 0.01, count)
    mids = 1000.0 * np.exp(np.cumsum(steps))
    seconds = (np.arange(count) * (3600 / rows_per_hour) + 1.0).tolist()
    longs = np.round(np.maximum(-steps, 0.0) * 1e4 * rng.uniform(0.5, 1.5, count), 3).tolist()
    shorts = np.round(np.maximum(steps, 0.0) * 5e3 * rng.uniform(0.5, 1.5, count), 3).tolist()
    return seconds, np.round(mids, 4).tolist(), longs, shorts
