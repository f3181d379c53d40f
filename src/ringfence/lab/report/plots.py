"""The report's plots: matplotlib figures built without pyplot (no global state), saved as SVG or PNG.

Every function takes study data and returns a :class:`matplotlib.figure.Figure`; :func:`svg` and
:func:`png` render one deterministically (``svg.hashsalt`` fixed per plot, no date in the metadata),
so the same study gives the same bytes.
"""

from __future__ import annotations

import functools
import io
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, ParamSpec

import matplotlib as mpl
import matplotlib.style
import numpy as np
from matplotlib import ticker
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.typing import RcKeyType
from numpy.typing import NDArray

from ringfence.lab.metrics import Summary
from ringfence.lab.report.tables import RUNG_LABELS
from ringfence.lab.results import ISOLATION_LEVELS, RunResult
from ringfence.lab.study import FrontierPoint, KeeperSweepPoint, LadderRow

__all__ = [
    "bad_debt_distribution",
    "frontier",
    "keeper_sweep",
    "ladder",
    "liquidation_timeline",
    "png",
    "prices",
    "style",
    "svg",
]

INK = "#1f2933"
MUTED = "#7b8794"
GRID = "#e4e7eb"
PALETTE = ("#2563eb", "#d97706", "#059669", "#dc2626", "#7c3aed", "#0891b2", "#db2777", "#65a30d")
RUNG_MARKERS = dict(zip(ISOLATION_LEVELS, ("o", "s", "D", "^"), strict=True))
RUNG_COLOURS = dict(zip(ISOLATION_LEVELS, ("#dc2626", "#d97706", "#2563eb", "#059669"), strict=True))

_RC: dict[RcKeyType, Any] = {
    "font.family": "sans-serif",
    "font.size": 9.0,
    "axes.edgecolor": MUTED,
    "axes.labelcolor": INK,
    "axes.titlesize": 10.0,
    "axes.titleweight": "bold",
    "axes.titlelocation": "left",
    "axes.grid": True,
    "axes.axisbelow": True,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "grid.color": GRID,
    "grid.linewidth": 0.8,
    "xtick.color": MUTED,
    "ytick.color": MUTED,
    "xtick.labelcolor": INK,
    "ytick.labelcolor": INK,
    "legend.frameon": False,
    "legend.fontsize": 8.5,
    "svg.fonttype": "none",
}


@contextmanager
def style(name: str) -> Iterator[None]:
    """Apply matplotlib's defaults plus the report's settings, with the SVG hash salt set to ``name``.

    Starting from the defaults keeps a user's matplotlibrc out of the report (determinism); the
    per-plot salt keeps SVG ids unique when several plots are inlined in one page.
    """
    with mpl.style.context("default"), mpl.rc_context({**_RC, "svg.hashsalt": f"ringfence-{name}"}):
        yield


Params = ParamSpec("Params")


def _styled(name: str) -> Callable[[Callable[Params, Figure]], Callable[Params, Figure]]:
    """Build the decorated plot inside :func:`style` (text and lines read rc settings when created)."""

    def decorate(draw: Callable[Params, Figure]) -> Callable[Params, Figure]:
        @functools.wraps(draw)
        def styled(*args: Params.args, **kwargs: Params.kwargs) -> Figure:
            with style(name):
                return draw(*args, **kwargs)

        return styled

    return decorate


def svg(figure: Figure, name: str) -> str:
    """Render ``figure`` as an inline ``<svg>`` element (no XML prolog, sized by CSS through its viewBox)."""
    buffer = io.StringIO()
    with style(name):
        figure.savefig(buffer, format="svg", metadata={"Date": None})
    text = buffer.getvalue()
    text = text[text.index("<svg") :]
    return re.sub(r'^<svg([^>]*?) width="[^"]*" height="[^"]*"', r'<svg\1 role="img"', text, count=1)


def png(figure: Figure, name: str, dpi: int = 160) -> bytes:
    """Render ``figure`` as PNG bytes."""
    buffer = io.BytesIO()
    with style(name):
        figure.savefig(buffer, format="png", dpi=dpi, metadata={"Software": None})
    return buffer.getvalue()


def _figure(width: float, height: float, rows: int = 1, columns: int = 1) -> tuple[Figure, list[Axes]]:
    figure = Figure(figsize=(width, height), layout="constrained")
    axes = figure.subplots(rows, columns, squeeze=False)
    return figure, [axis for row in axes for axis in row]


def _time_axis(steps: int, step_seconds: int) -> tuple[NDArray[np.float64], str]:
    seconds = np.arange(steps + 1, dtype=np.float64) * step_seconds
    if seconds[-1] <= 3 * 86_400:
        return seconds / 3_600, "time (hours)"
    return seconds / 86_400, "time (days)"


def _usd_axis(axis: Axes, which: str = "y") -> None:
    def label(value: float, _position: object) -> str:
        size = abs(value)
        for threshold, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
            if size >= threshold:
                return f"${value / threshold:g}{suffix}"
        return f"${value:g}"

    target = axis.yaxis if which == "y" else axis.xaxis
    target.set_major_formatter(ticker.FuncFormatter(label))


def _legend_above(axis: Axes, columns: int) -> None:
    """Put the legend in a row above the axes, where it hides no data."""
    axis.legend(loc="lower left", bbox_to_anchor=(0.0, 1.01), ncols=max(1, min(columns, 6)), borderaxespad=0.0)


def _empty(axis: Axes, message: str) -> None:
    axis.text(0.5, 0.5, message, ha="center", va="center", transform=axis.transAxes, color=MUTED, fontsize=10)
    axis.set_xticks([])
    axis.set_yticks([])


@_styled("prices")
def prices(run: RunResult) -> Figure:
    """Draw the market price (after liquidation impact) and the oracle price per asset, for one run."""
    count = len(run.assets)
    columns = 1 if count <= 2 else 2
    rows = -(-count // columns)
    figure, axes = _figure(9.0, 2.3 * rows + 0.4, rows, columns)
    times, label = _time_axis(run.market_prices.shape[1] - 1, run.step_seconds)
    for index, (axis, asset) in enumerate(zip(axes, run.assets, strict=False)):
        axis.plot(times, run.market_prices[index], color=PALETTE[0], linewidth=1.3, label="market")
        axis.step(
            times,
            run.oracle_prices[index],
            where="post",
            color=PALETTE[1],
            linewidth=1.1,
            linestyle="--",
            label="oracle",
        )
        axis.set_title(asset)
        axis.set_xlabel(label)
        axis.set_ylabel("price (USD)")
        axis.legend(loc="best")
    for axis in axes[count:]:
        axis.set_visible(False)
    return figure


def _per_step(runs: Sequence[RunResult], field: str | None) -> NDArray[np.float64]:
    """Return, shape ``(pools, steps + 1)``, the liquidation count (``field=None``) or the field's sum, mean per run."""
    first = runs[0]
    totals = np.zeros((len(first.pools), first.market_prices.shape[1]), dtype=np.float64)
    for run in runs:
        weights = None if field is None else run.liquidations[field].astype(np.float64)
        np.add.at(totals, (run.liquidations["pool"], run.liquidations["step"]), 1.0 if weights is None else weights)
    return totals / len(runs)


@_styled("liquidation_timeline")
def liquidation_timeline(runs: Sequence[RunResult]) -> Figure:
    """Draw liquidations per grid step (count and notional), stacked by pool, averaged over the runs."""
    figure, (top, bottom) = _figure(9.0, 4.6, 2, 1)
    first = runs[0]
    steps = first.market_prices.shape[1] - 1
    times, label = _time_axis(steps, first.step_seconds)
    # one bar per grid time, centred on it: liquidations of step t happen at grid time t
    width = times[1] - times[0] if steps else 1.0
    edges = np.append(times - width / 2, times[-1] + width / 2)
    if not any(run.liquidations.size for run in runs):
        _empty(top, f"No liquidation in any of the {len(runs)} runs")
        _empty(bottom, "")
        return figure
    for axis, field, ylabel in ((top, None, "liquidations per step"), (bottom, "notional_usd", "notional per step")):
        values = _per_step(runs, field)
        baseline = np.zeros(values.shape[1])
        for pool_index, pool in enumerate(first.pools):
            colour = PALETTE[pool_index % len(PALETTE)]
            top_line = baseline + values[pool_index]
            axis.stairs(top_line, edges, baseline=baseline, fill=True, color=colour, label=pool, linewidth=0)
            baseline = top_line
        axis.set_ylabel(ylabel)
        axis.set_xlim(edges[0], edges[-1])
    _usd_axis(bottom)
    bottom.set_xlabel(label)
    _legend_above(top, len(first.pools))
    return figure


@_styled("bad_debt_distribution")
def bad_debt_distribution(losses: NDArray[np.float64], summary: Summary) -> Figure:
    """Draw the histogram of protocol loss per run with the mean, VaR95 and EVaR99 marked."""
    figure, (axis,) = _figure(9.0, 3.4)
    if not np.any(losses > 0.0):
        _empty(axis, f"No bad debt in any of the {losses.size} runs")
        return figure
    bins = np.histogram_bin_edges(losses, bins=min(40, max(8, losses.size // 3)))
    axis.hist(losses, bins=bins.tolist(), color=PALETTE[0], alpha=0.75, edgecolor="white", linewidth=0.6)
    for value, colour, style_, name in (
        (summary.bad_debt_mean_usd, MUTED, ":", "mean"),
        (summary.var95_usd, PALETTE[1], "--", "VaR95"),
        (summary.evar99_usd, PALETTE[3], "-", "EVaR99"),
    ):
        axis.axvline(value, color=colour, linestyle=style_, linewidth=1.6, label=f"{name} ${value:,.0f}")
    axis.set_xlabel("protocol loss per run (total bad debt)")
    axis.set_ylabel("runs")
    axis.yaxis.set_major_locator(ticker.MaxNLocator(integer=True))
    _usd_axis(axis, "x")
    _legend_above(axis, 3)
    return figure


LADDER_METRICS = (
    ("bad debt", "bad_debt_mean_usd"),
    ("VaR95", "var95_usd"),
    ("contagion", "contagion_mean_usd"),
    ("LP loss", "lp_loss_mean_usd"),
    ("insurance drawdown", "insurance_drawdown_mean_usd"),
)


@_styled("ladder")
def ladder(rows: Sequence[LadderRow]) -> Figure:
    """Draw grouped bars: loss measures (mean across runs, VaR95) for each rung of the ladder."""
    figure, (axis,) = _figure(9.0, 3.4)
    if not rows:
        _empty(axis, "No ladder in this study")
        return figure
    positions = np.arange(len(rows), dtype=np.float64)
    width = 0.8 / len(LADDER_METRICS)
    for index, (name, field) in enumerate(LADDER_METRICS):
        values = [float(getattr(row.summary, field)) for row in rows]
        offset = (index - (len(LADDER_METRICS) - 1) / 2) * width
        axis.bar(positions + offset, values, width=width * 0.92, color=PALETTE[index], label=name)
    axis.set_xticks(positions, [RUNG_LABELS[row.isolation] for row in rows])
    axis.grid(axis="x", visible=False)
    axis.set_ylabel("USD (mean across runs; VaR95 a percentile)")
    _usd_axis(axis)
    _legend_above(axis, len(LADDER_METRICS))
    return figure


@_styled("frontier")
def frontier(points: Sequence[FrontierPoint], title: str | None = None) -> Figure:
    """Draw capital efficiency against contagion, one line per rung, points labelled by margin scale.

    ``title`` goes above the plot (the standalone PNG has one; in the page the section heading is the title).
    """
    figure, (axis,) = _figure(9.0, 4.4 if title is None else 4.8)
    if title is not None:
        figure.suptitle(title, x=0.01, ha="left", fontweight="bold", fontsize=11)
    if not points:
        _empty(axis, "No margin sweep in this study")
        return figure
    for rung in ISOLATION_LEVELS:
        line = sorted((point for point in points if point.isolation == rung), key=lambda point: point.margin_scale)
        if not line:
            continue
        xs = [point.capital_efficiency_mean for point in line]
        ys = [point.contagion_mean_usd for point in line]
        colour = RUNG_COLOURS[rung]
        axis.plot(xs, ys, marker=RUNG_MARKERS[rung], markersize=6, linewidth=1.6, color=colour, label=RUNG_LABELS[rung])
        for point in line:
            axis.annotate(
                f"×{point.margin_scale:g}",
                (point.capital_efficiency_mean, point.contagion_mean_usd),
                xytext=(4, 5),
                textcoords="offset points",
                fontsize=7.5,
                color=colour,
            )
    axis.set_xlabel("capital efficiency (time-averaged open notional / collateral, mean across runs)")
    axis.set_ylabel("contagion (mean across runs)")
    _usd_axis(axis)
    axis.margins(x=0.08, y=0.12)
    _legend_above(axis, len(ISOLATION_LEVELS))
    return figure


@_styled("keeper_sweep")
def keeper_sweep(points: Sequence[KeeperSweepPoint]) -> Figure:
    """Draw bad debt (mean and VaR95) against keeper latency."""
    figure, (axis,) = _figure(9.0, 3.4)
    ordered = sorted(points, key=lambda point: point.latency_seconds)
    latencies = [point.latency_seconds for point in ordered]
    axis.plot(latencies, [p.bad_debt_mean_usd for p in ordered], marker="o", color=PALETTE[0], label="mean")
    axis.plot(latencies, [p.var95_usd for p in ordered], marker="s", color=PALETTE[1], linestyle="--", label="VaR95")
    axis.set_xlabel("keeper latency (seconds after a unit falls below maintenance)")
    axis.set_ylabel("protocol loss (total bad debt)")
    _usd_axis(axis)
    _legend_above(axis, 2)
    return figure
