"""The backtest's figure: mid price, then real vs model hourly liquidation volume for longs and shorts."""

from __future__ import annotations

import numpy as np
from matplotlib import ticker
from matplotlib.figure import Figure
from numpy.typing import NDArray

from ringfence.lab.backtest_metrics import BacktestResult, iso_hour
from ringfence.lab.report.plots import png, style

__all__ = ["backtest_figure", "backtest_png"]

REAL = "#1f2933"
MODEL = "#dc2626"
PRICE = "#2563eb"
SPLIT = "#7b8794"
PLOT_NAME = "backtest"


def _days(result: BacktestResult) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Bucket starts and row times in days since the first bucket (UTC midnight for the January file)."""
    origin = float(result.hourly.hour_starts_s()[0])
    hours = (result.hourly.hour_starts_s().astype(np.float64) - origin) / 86_400.0
    rows = (result.stream.times_s - origin) / 86_400.0
    return hours, rows


def backtest_figure(result: BacktestResult) -> Figure:
    """Draw three panels sharing a time axis; the fit/test split is a dashed line on each."""
    with style(PLOT_NAME):
        figure = Figure(figsize=(11.0, 7.5), layout="constrained")
        price_axis, long_axis, short_axis = figure.subplots(
            3, 1, sharex=True, gridspec_kw={"height_ratios": [1.0, 1.6, 1.6]}
        )
        hours, rows = _days(result)
        split_day = float(hours[result.split]) if result.split < hours.shape[0] else float(hours[-1])
        price_axis.plot(rows, result.stream.mid, color=PRICE, linewidth=0.8)
        price_axis.set_ylabel("mid (USD)")
        series = (
            (long_axis, result.hourly.long_base, result.model_long, "long liquidations per hour (base units)"),
            (short_axis, result.hourly.short_base, result.model_short, "short liquidations per hour (base units)"),
        )
        step = 1.0 / 24.0
        edges = np.append(hours, hours[-1] + step)
        for axis, real, model, label in series:
            # Real volume upward, model downward: peaks line up in time without hiding each other.
            axis.stairs(real, edges, fill=True, color=REAL, alpha=0.8, label="real (Binance stream) ↑")
            axis.stairs(-model, edges, fill=True, color=MODEL, alpha=0.8, label="model ↓")
            axis.axhline(0.0, color=SPLIT, linewidth=0.6)
            axis.set_ylabel(label, fontsize=8.5)
            limit = 1.05 * max(float(real.max()), float(model.max()), 1.0)
            axis.set_ylim(-limit, limit)
            axis.yaxis.set_major_formatter(ticker.FuncFormatter(lambda value, _position: f"{abs(value):,.0f}"))
            axis.legend(loc="upper left", ncols=2)
        for axis in (price_axis, long_axis, short_axis):
            axis.axvspan(split_day, float(edges[-1]), color=SPLIT, alpha=0.08, linewidth=0)
            axis.axvline(split_day, color=SPLIT, linestyle="--", linewidth=1.2)
            axis.grid(True, axis="y")
        for half, left in zip(result.halves, (0.0, split_day), strict=True):
            scores = half.sides["total"]
            rho = "n/a" if scores.spearman is None else f"{scores.spearman:.2f}"
            price_axis.annotate(
                f"{half.name}: {iso_hour(result.hourly, half.start_hour)} → {iso_hour(result.hourly, half.end_hour)}"
                f"   Spearman ρ (total) {rho}",
                xy=(left, 1.0),
                xycoords=("data", "axes fraction"),
                xytext=(4, 4),
                textcoords="offset points",
                ha="left",
                va="bottom",
                fontsize=8.5,
                color=REAL,
            )
        start = result.hourly.hour_starts_s()[0]
        short_axis.set_xlabel(f"days since {np.datetime_as_string(np.datetime64(int(start), 's'), unit='m')} UTC")
        short_axis.set_xlim(0.0, float(hours[-1]) + step)
        figure.suptitle(
            f"Backtest: real vs model hourly liquidations ({result.stream.source.name}); "
            "fitted left of the dashed line, predicted right (shaded)",
            fontsize=10,
        )
    return figure


def backtest_png(result: BacktestResult) -> bytes:
    """Render :func:`backtest_figure` as PNG bytes."""
    return png(backtest_figure(result), PLOT_NAME, dpi=130)
