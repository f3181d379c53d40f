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
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.typing import RcKeyType
from numpy.typing import NDArray

from ringfence.lab.estimate import Estimate
from ringfence.lab.metrics import Summary, order_rank
from ringfence.lab.report.tables import RUNG_LABELS, money, runs_needed_text, swing_order
from ringfence.lab.results import LADDER_RUNGS, RunResult
from ringfence.lab.study import FrontierPoint, KeeperSweepPoint, LadderRow, SensitivityBar

__all__ = [
    "bad_debt_distribution",
    "cascade",
    "frontier",
    "keeper_sweep",
    "ladder",
    "liquidation_timeline",
    "png",
    "sensitivity",
    "style",
    "svg",
]

INK = "#1f2933"
MUTED = "#7b8794"
GRID = "#e4e7eb"
PALETTE = ("#2563eb", "#d97706", "#059669", "#dc2626", "#7c3aed", "#0891b2", "#db2777", "#65a30d")
RUNG_MARKERS = dict(zip(LADDER_RUNGS, ("o", "s", "P", "D", "^"), strict=True))
RUNG_COLOURS = dict(zip(LADDER_RUNGS, ("#dc2626", "#d97706", "#7c3aed", "#2563eb", "#059669"), strict=True))

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
    # matplotlib names a clip path by a hash of its rectangle at full float precision, where the layout's last
    # bits can differ between two renders of the same figure; number them in page order instead
    for index, clip in enumerate(dict.fromkeys(re.findall(r'<clipPath id="([^"]+)"', text))):
        text = text.replace(f'"{clip}"', f'"{name}-clip{index}"').replace(f"(#{clip})", f"(#{name}-clip{index})")
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


_AXIS_UNITS = ((1e9, "B"), (1e6, "M"), (1e3, "k"), (1.0, ""))


class MoneyFormatter(ticker.Formatter):
    """Label a dollar axis with one unit (k, M, B) for all ticks and as many decimals as the tick step needs.

    ``$0``, ``$200k``, ``$400k``; ``$1.25M``, ``$1.50M``; a negative value as ``−$20k``. The unit comes from
    the largest tick, the decimals from the smallest step between ticks, so neighbouring labels differ.
    """

    def __init__(self) -> None:
        self._ticks = np.zeros(0, dtype=np.float64)

    def set_locs(self, locs: Sequence[float]) -> None:
        """Remember the axis's tick positions (the unit and the decimals are chosen from all of them)."""
        self._ticks = np.sort(np.asarray(locs, dtype=np.float64))

    def __call__(self, x: float, pos: int | None = None) -> str:
        """Return the label of the tick at ``x``."""
        locs = self._ticks if self._ticks.size else np.array([x])
        top = float(np.max(np.abs(locs)))
        unit, suffix = next(((size, name) for size, name in _AXIS_UNITS if top >= size), (1.0, ""))
        scaled = locs / unit
        steps = np.diff(locs)
        step = float(steps[steps > 0].min()) if np.any(steps > 0) else unit
        # the fewest decimals that print every tick exactly (to a thousandth of the step)
        decimals = next(
            (places for places in range(7) if np.all(np.abs(np.round(scaled, places) - scaled) * unit <= step * 1e-3)),
            6,
        )
        if abs(x) < step * 1e-6:
            return "$0"
        sign = "−" if x < 0 else ""
        return f"{sign}${abs(x) / unit:,.{decimals}f}{suffix}"


def _usd_axis(axis: Axes, which: str = "y") -> None:
    target = axis.yaxis if which == "y" else axis.xaxis
    target.set_major_formatter(MoneyFormatter())


def _from_zero(axis: Axes, values: Sequence[float] | NDArray[np.float64], which: str = "y") -> None:
    """Start a non-negative axis at 0; give an all-zero one a visible range and say it is all zero.

    Without this, automatic margins put a negative dollar tick under data that cannot be negative, and an
    all-zero range gets ticks a hair apart.
    """
    array = np.asarray(values, dtype=np.float64)
    if array.size == 0 or float(array.min()) < 0.0:
        return
    limits = axis.set_ylim if which == "y" else axis.set_xlim
    if float(array.max()) == 0.0:
        limits(0.0, 1.0)
        (axis.set_yticks if which == "y" else axis.set_xticks)([0.0])
        return
    limits(0.0, None)


def _legend_above(axis: Axes, columns: int) -> None:
    """Put the legend in a row above the axes, where it hides no data (none when nothing is labelled)."""
    if not axis.get_legend_handles_labels()[0]:
        return
    axis.legend(loc="lower left", bbox_to_anchor=(0.0, 1.01), ncols=max(1, min(columns, 6)), borderaxespad=0.0)


def _empty(axis: Axes, message: str) -> None:
    axis.text(0.5, 0.5, message, ha="center", va="center", transform=axis.transAxes, color=MUTED, fontsize=10)
    axis.set_xticks([])
    axis.set_yticks([])


def _stacked_steps(axis: Axes, edges: NDArray[np.float64], values: NDArray[np.float64], pools: Sequence[str]) -> None:
    """Draw per-step values (shape ``(pools, steps + 1)``) as bars stacked by pool."""
    baseline = np.zeros(values.shape[1])
    for pool_index, pool in enumerate(pools):
        top_line = baseline + values[pool_index]
        colour = PALETTE[pool_index % len(PALETTE)]
        axis.stairs(top_line, edges, baseline=baseline, fill=True, color=colour, label=pool, linewidth=0)
        baseline = top_line


def _bar_edges(times: NDArray[np.float64]) -> NDArray[np.float64]:
    """Return bar edges centred on each grid time: liquidations of step t happen at grid time t."""
    width = float(times[1] - times[0]) if times.size > 1 else 1.0
    return np.append(times - width / 2, times[-1] + width / 2)


@_styled("cascade")
def cascade(run: RunResult) -> Figure:
    """Draw one run's cascade on one time axis: prices and oracle, liquidations, and each pool's LP NAV.

    Prices are shown as the change from their start (one scale for every asset): solid the market after
    liquidation impact, dashed steps the oracle. Liquidated notional per step is stacked by pool; LP NAV is
    each pool's change from its start, in USD.
    """
    figure = Figure(figsize=(9.0, 7.2), layout="constrained")
    price_axis, liquidation_axis, nav_axis = figure.subplots(
        3, 1, sharex=True, gridspec_kw={"height_ratios": (1.3, 1.0, 1.0)}
    )
    times, label = _time_axis(run.market_prices.shape[1] - 1, run.step_seconds)
    for index, asset in enumerate(run.assets):
        colour = PALETTE[index % len(PALETTE)]
        start = run.market_prices[index, 0]
        price_axis.plot(times, run.market_prices[index] / start - 1.0, color=colour, linewidth=1.4, label=asset)
        price_axis.step(
            times, run.oracle_prices[index] / start - 1.0, where="post", color=colour, linewidth=1.0, linestyle="--"
        )
    price_axis.plot([], [], color=MUTED, linestyle="--", linewidth=1.0, label="oracle (dashed)")
    price_axis.set_ylabel("price change from start")
    price_axis.yaxis.set_major_formatter(ticker.PercentFormatter(xmax=1.0, decimals=0))
    _legend_above(price_axis, len(run.assets) + 1)
    edges = _bar_edges(times)
    values = np.zeros((len(run.pools), times.size), dtype=np.float64)
    np.add.at(values, (run.liquidations["pool"], run.liquidations["step"]), run.liquidations["notional_usd"])
    if run.liquidations.size:
        _stacked_steps(liquidation_axis, edges, values, run.pools)
    else:
        liquidation_axis.text(
            0.5, 0.5, "no liquidation in this run", transform=liquidation_axis.transAxes, ha="center", color=MUTED
        )
    liquidation_axis.set_ylabel("liquidated notional\nper step")
    _usd_axis(liquidation_axis)
    _from_zero(liquidation_axis, values.ravel())
    for pool_index, pool in enumerate(run.pools):
        nav = run.lp_nav_usd[pool_index]
        nav_axis.plot(times, nav - nav[0], color=PALETTE[pool_index % len(PALETTE)], linewidth=1.4, label=pool)
    nav_axis.axhline(0.0, color=MUTED, linewidth=0.8)
    nav_axis.set_ylabel("LP NAV change\nfrom start")
    _usd_axis(nav_axis)
    _legend_above(nav_axis, len(run.pools))
    nav_axis.set_xlabel(label)
    nav_axis.set_xlim(edges[0], edges[-1])
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
    edges = _bar_edges(times)
    if not any(run.liquidations.size for run in runs):
        _empty(top, f"No liquidation in any of the {len(runs)} runs")
        _empty(bottom, "")
        return figure
    for axis, field, ylabel in ((top, None, "liquidations per step"), (bottom, "notional_usd", "notional per step")):
        _stacked_steps(axis, edges, _per_step(runs, field), first.pools)
        axis.set_ylabel(ylabel)
        axis.set_xlim(edges[0], edges[-1])
    _usd_axis(bottom)
    bottom.set_xlabel(label)
    _legend_above(top, len(first.pools))
    return figure


STRIP_BELOW_RUNS = 20
"""Below this many runs (or when every run lost the same) the distribution is a strip of dots, not a histogram."""


def _tail_lines(axis: Axes, summary: Summary) -> None:
    """Mark the mean, VaR95 and EVaR99 (shaded: their intervals); leave out a tail the runs cannot support."""
    for field, colour, style_, name, percent in (
        ("bad_debt_mean_usd", MUTED, ":", "mean", None),
        ("var95_usd", PALETTE[1], "--", "VaR95", 95.0),
        ("evar99_usd", PALETTE[3], "-", "EVaR99", 99.0),
    ):
        value = float(getattr(summary, field))
        estimate = summary.intervals.get(field)
        if estimate is not None and estimate.value is None and percent is not None:
            continue  # the runs cannot support it: the caption and the cards say how many runs it needs
        if estimate is None and percent is not None and order_rank(percent, summary.runs) == summary.runs < 20:
            continue  # with so few runs the "percentile" is only the largest loss, already a dot
        if estimate is not None and estimate.low is not None and estimate.high is not None:
            axis.axvspan(estimate.low, estimate.high, color=colour, alpha=0.12, linewidth=0)
        axis.axvline(value, color=colour, linestyle=style_, linewidth=1.6, label=f"{name} {money(value)}")


def _strip(axis: Axes, losses: NDArray[np.float64]) -> None:
    """Draw one dot per run on a line (a few dots stacked where they would overlap)."""
    heights = (np.arange(losses.size) % 5).astype(np.float64)
    axis.scatter(losses, heights, s=36, color=PALETTE[0], alpha=0.8, zorder=3, clip_on=False)
    axis.set_ylim(-1.0, 5.0)
    axis.set_yticks([])
    axis.grid(axis="y", visible=False)
    if losses.size == 1:
        axis.text(
            0.02,
            0.9,
            f"One run, protocol loss {money(float(losses[0]))}. One value is no distribution: run more paths for a "
            "mean with an interval and for the tail.",
            transform=axis.transAxes,
            va="top",
            color=INK,
            fontsize=9,
        )


@_styled("bad_debt_distribution")
def bad_debt_distribution(losses: NDArray[np.float64], summary: Summary) -> Figure:
    """Draw protocol loss per run with the mean, VaR95 and EVaR99 marked (shaded: their 95% intervals).

    A histogram from :data:`STRIP_BELOW_RUNS` runs on; below that, or when every run lost the same, a strip
    of one dot per run (a histogram of a handful of values, or of one, shows nothing).
    """
    figure, (axis,) = _figure(9.0, 3.4 if losses.size >= STRIP_BELOW_RUNS else 2.4)
    if not np.any(losses > 0.0):
        _empty(axis, f"No bad debt in any of the {losses.size} runs")
        return figure
    strip = losses.size < STRIP_BELOW_RUNS or float(np.ptp(losses)) == 0.0
    if strip:
        _strip(axis, losses)
    else:
        bins = np.histogram_bin_edges(losses, bins=min(40, max(8, losses.size // 3)))
        axis.hist(losses, bins=bins.tolist(), color=PALETTE[0], alpha=0.75, edgecolor="white", linewidth=0.6)
        axis.set_ylabel("runs")
        axis.yaxis.set_major_locator(ticker.MaxNLocator(integer=True))
    _tail_lines(axis, summary)
    axis.set_xlabel("protocol loss per run (total bad debt)" + ("; one dot per run" if strip else ""))
    axis.set_xlim(0.0, float(losses.max()) * 1.08)
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


def _frontier_error_bars(axis: Axes, line: Sequence[FrontierPoint], colour: str) -> None:
    """Draw each point's 95% intervals of capital efficiency (across) and contagion (up), where it has them."""
    for point in line:
        across, up = point.capital_efficiency, point.contagion
        if across is None or up is None or None in (across.low, across.high, up.low, up.high):
            continue
        x, y = point.capital_efficiency_mean, point.contagion_mean_usd
        axis.errorbar(
            [x],
            [y],
            xerr=[[max(x - float(across.low or x), 0.0)], [max(float(across.high or x) - x, 0.0)]],
            yerr=[[max(y - float(up.low or y), 0.0)], [max(float(up.high or y) - y, 0.0)]],
            fmt="none",
            ecolor=colour,
            elinewidth=1.0,
            capsize=3,
            alpha=0.8,
        )


def _static_lines(axis: Axes, points: Sequence[FrontierPoint]) -> None:
    """Draw the static-margin frontier dashed and hollow in each rung's colour, for comparison."""
    for rung in LADDER_RUNGS:
        line = sorted((point for point in points if point.isolation == rung), key=lambda point: point.margin_scale)
        if line:
            axis.plot(
                [point.capital_efficiency_mean for point in line],
                [point.contagion_mean_usd for point in line],
                marker=RUNG_MARKERS[rung],
                markersize=6,
                markerfacecolor="none",
                linewidth=1.2,
                linestyle="--",
                color=RUNG_COLOURS[rung],
                alpha=0.7,
                clip_on=False,
            )


@_styled("frontier")
def frontier(points: Sequence[FrontierPoint], title: str | None = None, static: Sequence[FrontierPoint] = ()) -> Figure:
    """Draw capital efficiency against contagion, one line per rung, points labelled by margin scale.

    ``title`` goes above the plot (the standalone PNG has one; in the page the section heading is the title).
    ``static``: with dynamic margins, the same designs with static margins, drawn dashed on the same axes.
    """
    figure, (axis,) = _figure(9.0, 4.4 if title is None else 4.8)
    if title is not None:
        figure.suptitle(title, x=0.01, ha="left", fontweight="bold", fontsize=11)
    if not points:
        _empty(axis, "No margin sweep in this study")
        return figure
    for rung in LADDER_RUNGS:
        line = sorted((point for point in points if point.isolation == rung), key=lambda point: point.margin_scale)
        if not line:
            continue
        xs = [point.capital_efficiency_mean for point in line]
        ys = [point.contagion_mean_usd for point in line]
        colour = RUNG_COLOURS[rung]
        axis.plot(
            xs,
            ys,
            marker=RUNG_MARKERS[rung],
            markersize=6,
            linewidth=1.6,
            color=colour,
            label=RUNG_LABELS[rung],
            clip_on=False,
        )
        _frontier_error_bars(axis, line, colour)
        for point in line:
            axis.annotate(
                f"×{point.margin_scale:g}",
                (point.capital_efficiency_mean, point.contagion_mean_usd),
                xytext=(4, 5),
                textcoords="offset points",
                fontsize=7.5,
                color=colour,
            )
    _static_lines(axis, static)
    axis.set_xlabel("capital efficiency (time-averaged open notional / collateral, mean across runs)")
    axis.set_ylabel("contagion (mean across runs)")
    _usd_axis(axis)
    axis.margins(x=0.08, y=0.12)
    contagion = [point.contagion_mean_usd for point in (*points, *static)]
    _from_zero(axis, contagion)
    if max(contagion) == 0.0 and min(contagion) == 0.0:
        axis.text(0.5, 0.5, "contagion is $0 on every design", transform=axis.transAxes, ha="center", color=MUTED)
    if static:  # the line style's meaning, as two legend entries in a neutral colour
        axis.plot([], [], color=MUTED, linewidth=1.6, label="dynamic margins (solid)")
        axis.plot([], [], color=MUTED, linewidth=1.2, linestyle="--", label="static margins (dashed)")
    _legend_above(
        axis, max(4, len({point.isolation for point in points}))
    )  # with static lines: the two styles on a second row
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
    _from_zero(axis, [value for point in ordered for value in (point.bad_debt_mean_usd, point.var95_usd)])
    _legend_above(axis, 2)
    return figure


def _tornado_end(axis: Axes, row: int, base: float, estimate: Estimate, colour: str, setting: str) -> float | None:
    """Draw one half-bar of the tornado (base to the estimate) with its interval; return its end."""
    if estimate.value is None:
        axis.annotate(
            f"{setting}: {runs_needed_text(estimate)}",
            (base, row),
            xytext=(6, 0),
            textcoords="offset points",
            va="center",
            fontsize=7.5,
            color=MUTED,
        )
        return None
    axis.barh(row, estimate.value - base, left=base, height=0.55, color=colour, alpha=0.85)
    if estimate.low is not None and estimate.high is not None:
        error = [[estimate.value - estimate.low], [estimate.high - estimate.value]]
        axis.errorbar(estimate.value, row, xerr=error, color=INK, linewidth=1.0, capsize=3)
    side = 1 if estimate.value >= base else -1
    axis.annotate(
        setting,
        (estimate.value, row),
        xytext=(6 * side, 9),
        textcoords="offset points",
        ha="left" if side > 0 else "right",
        fontsize=7.5,
        color=colour,
    )
    return estimate.value


@_styled("sensitivity")
def sensitivity(base: Estimate, bars: Sequence[SensitivityBar]) -> Figure:
    """Draw the tornado: the figure with each input at its low and high setting, widest swing on top.

    Whiskers are each setting's 95% interval; the shaded band is the interval at the scenario's own inputs.
    """
    ordered = sorted(bars, key=swing_order)
    figure, (axis,) = _figure(9.0, 1.0 + 0.55 * max(1, len(ordered)))
    centre = 0.0 if base.value is None else base.value
    if base.low is not None and base.high is not None:
        axis.axvspan(base.low, base.high, color=MUTED, alpha=0.15, linewidth=0)
    axis.axvline(centre, color=INK, linewidth=1.0)
    ends = [centre]
    for row, bar in enumerate(ordered):
        for estimate, colour, setting in (
            (bar.low, PALETTE[0], bar.low_setting),
            (bar.high, PALETTE[3], bar.high_setting),
        ):
            end = _tornado_end(axis, row, centre, estimate, colour, setting)
            ends.extend([] if end is None else [end, estimate.low or end, estimate.high or end])
    handles = [
        Line2D([], [], color=INK, linewidth=1.0, label=f"scenario as written {money(centre)}"),
        Patch(color=PALETTE[0], label="input at its low setting"),
        Patch(color=PALETTE[3], label="input at its high setting"),
    ]
    axis.set_yticks(range(len(ordered)), [bar.parameter for bar in ordered])
    axis.invert_yaxis()
    axis.grid(axis="y", visible=False)
    axis.set_xlabel("mean protocol loss per run")
    _usd_axis(axis, "x")
    axis.margins(x=0.12)
    if min(ends) >= 0.0:
        axis.set_xlim(max(0.0, axis.get_xlim()[0]), None)
    axis.legend(handles=handles, loc="lower left", bbox_to_anchor=(0.0, 1.01), ncols=3, borderaxespad=0.0)
    return figure
