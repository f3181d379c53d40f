"""Number formatting and HTML tables for the report (every string that reaches the page is escaped)."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from html import escape

from ringfence.lab.assumptions import Assumption
from ringfence.lab.estimate import Estimate
from ringfence.lab.metrics import Summary
from ringfence.lab.study import ContainmentRow, FrontierPoint, KeeperSweepPoint, LadderRow, SensitivityBar

__all__ = [
    "Html",
    "assumptions_table",
    "containment_table",
    "count",
    "duration",
    "estimate_cell",
    "estimate_text",
    "frontier_table",
    "keeper_table",
    "ladder_key_table",
    "ladder_table",
    "money",
    "ordinal",
    "pool_estimates_table",
    "pool_table",
    "ratio",
    "runs_needed_text",
    "seconds",
    "sensitivity_table",
    "share",
    "swing",
    "swing_order",
    "table",
    "usd",
]

RUNG_LABELS = {
    "monolithic": "monolithic",
    "subaccounts": "sub-accounts",
    "credit_lines": "isolated pools with credit lines",
    "isolated_pools": "isolated pools",
    "isolated_positions": "isolated positions",
}
DASH = "—"


def usd(value: float | None) -> str:
    """Format dollars: whole dollars with thousands separators from $100 up, cents below."""
    if value is None:
        return DASH
    if value == 0:
        return "$0"
    sign = "−" if value < 0 else ""
    size = abs(value)
    return f"{sign}${size:,.0f}" if size >= 100 else f"{sign}${size:,.2f}"


_MONEY_UNITS = ((1e9, "B"), (1e6, "M"), (1e3, "k"), (1.0, ""))


def money(value: float | None, digits: int = 3) -> str:
    """Format dollars compactly to ``digits`` significant figures: ``$42.6k``, ``$37.8M``, ``$812``, ``−$1.25M``.

    Amounts below half a cent print as ``<$0.01`` (not as ``$0``: they are not zero).
    """
    if value is None:
        return DASH
    if value == 0 or not math.isfinite(value):
        return "$0" if value == 0 else f"${value}"
    sign = "−" if value < 0 else ""
    if abs(value) < 0.005:
        return f"{sign}<$0.01"  # float dust (1e-11 of rounding) is no figure to print with 3 digits
    rounded = float(f"{abs(value):.{digits}g}")
    unit, suffix = next(((size, name) for size, name in _MONEY_UNITS if rounded >= size), (1.0, ""))
    scaled = rounded / unit
    decimals = max(0, digits - 1 - math.floor(math.log10(scaled)))
    return f"{sign}${scaled:,.{decimals}f}{suffix}"


def _ratio_digits(value: float, digits: int) -> str:
    return f"{value:,.{max(2, digits - 1)}f}×"


Formatter = Callable[[float, int], str]


def _share_digits(value: float, digits: int) -> str:
    return f"{value:.{max(0, digits - 2)}%}"


_FORMATS: dict[str, Formatter] = {"usd": money, "ratio": _ratio_digits, "share": _share_digits}


class Html(str):
    """Text that is already HTML (escaped where it needs to be): :func:`table` inserts it as is."""

    __slots__ = ()


def _distinct(value: float, low: float, high: float, formatter: Formatter) -> tuple[str, str, str]:
    """Format value, low and high with the fewest digits (3 to 6) that keep different numbers apart."""
    texts = (formatter(value, 3), formatter(low, 3), formatter(high, 3))
    for digits in range(4, 7):
        apart = (texts[0] != texts[1] or value == low) and (texts[0] != texts[2] or value == high)
        if apart:
            break
        texts = (formatter(value, digits), formatter(low, digits), formatter(high, digits))
    return texts


def runs_needed_text(estimate: Estimate) -> str:
    """Say how many runs a figure the runs cannot support would need."""
    if estimate.runs_needed is None:
        return f"needs more than {estimate.runs:,} runs"
    return f"needs ≥ {estimate.runs_needed:,} runs"


def _parts(value: float | None, estimate: Estimate | None, kind: str) -> tuple[str | None, str | None]:
    """Return (figure, interval) texts; figure is ``None`` when the runs cannot support a number."""
    formatter = _FORMATS[kind]
    if estimate is None:
        return (DASH if value is None else formatter(value, 3)), None
    if estimate.value is None:
        return None, runs_needed_text(estimate)
    if estimate.low is None or estimate.high is None:
        return formatter(estimate.value, 3), None
    figure, low, high = _distinct(estimate.value, estimate.low, estimate.high, formatter)
    # an en dash between two negative numbers ("−$16.5k–−$13.5k") reads as a subtraction
    joint = " to " if min(estimate.low, estimate.high) < 0 else "–"
    return figure, f"{low}{joint}{high}"


def estimate_text(value: float | None, estimate: Estimate | None, kind: str = "usd") -> str:
    """Format a figure with its interval: ``$42.6k (95% CI $38.1k–$47.0k)``.

    Parameters
    ----------
    value:
        The figure as the summary states it (printed when there is no estimate; ``None``: a dash).
    estimate:
        Its :class:`Estimate`, or ``None`` when the study computed none. An estimate without a value
        prints ``needs ≥ N runs`` and no number.
    kind:
        ``"usd"`` or ``"ratio"``.
    """
    figure, interval = _parts(value, estimate, kind)
    if figure is None:
        return interval or ""
    return figure if interval is None else f"{figure} (95% CI {interval})"


def estimate_cell(
    value: float | None, estimate: Estimate | None, kind: str = "usd", *, label_interval: bool = False
) -> Html:
    """Format a figure for a table cell: the number, and below it its 95% interval (``low–high``) in small type."""
    figure, interval = _parts(value, estimate, kind)
    if figure is None:
        return Html(f'<span class="needs">{escape(interval or "")}</span>')
    prefix = "95% CI " if label_interval else ""
    below = "" if interval is None else f'<span class="ci">{escape(prefix + interval)}</span>'
    return Html(f'<span class="figure">{escape(figure)}</span>{below}')


def duration(total_seconds: float) -> str:
    """Format a span of time in its largest whole-ish unit: ``90 s``, ``15 min``, ``4 h``, ``30 d``."""
    for unit, size in (("d", 86_400), ("h", 3_600), ("min", 60)):
        if total_seconds >= size:
            return f"{total_seconds / size:,.3g} {unit}"
    return f"{total_seconds:,.4g} s"


def ratio(value: float) -> str:
    """Format a multiple (capital efficiency): ``3.42×``."""
    return f"{value:,.2f}×"


def share(value: float) -> str:
    """Format a fraction as a percentage."""
    return f"{value:.0%}"


def seconds(value: float | None) -> str:
    """Format a duration in seconds."""
    return DASH if value is None else f"{value:,.0f} s"


def count(value: float) -> str:
    """Format a count that may be a mean (one decimal when it has a fraction)."""
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def ordinal(number: int) -> str:
    """Return ``1st``, ``2nd``, ``3rd``, ``19th``, ``21st``..."""
    suffix = "th" if 10 <= number % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    return f"{number}{suffix}"


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], numeric_from: int = 1, css_class: str = "") -> str:
    """Render an HTML table; columns from ``numeric_from`` on are right-aligned numbers.

    Cells are escaped unless they are :class:`Html`.
    """

    def cell(tag: str, index: int, text: str) -> str:
        css = ' class="num"' if index >= numeric_from else ""
        return f"<{tag}{css}>{text if isinstance(text, Html) else escape(text)}</{tag}>"

    head = "".join(cell("th", index, text) for index, text in enumerate(headers))
    body = "".join("<tr>" + "".join(cell("td", i, text) for i, text in enumerate(row)) + "</tr>" for row in rows)
    wrap = f"table-wrap {css_class}".strip()
    return f'<div class="{wrap}"><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>'


LADDER_COLUMNS: tuple[tuple[str, str], ...] = (
    ("bad debt mean", "bad_debt_mean_usd"),
    ("bad debt median", "bad_debt_median_usd"),
    ("VaR95", "var95_usd"),
    ("EVaR99", "evar99_usd"),
    ("LaR95", "lar95_usd"),
    ("contagion mean", "contagion_mean_usd"),
    ("contagion max", "contagion_max_usd"),
    ("runs with contagion", "contagion_share"),
    ("insurance drawdown mean", "insurance_drawdown_mean_usd"),
    ("insurance drawdown max", "insurance_drawdown_max_usd"),
    ("LP loss mean", "lp_loss_mean_usd"),
    ("ADL loss mean", "adl_loss_mean_usd"),
    ("liquidations mean", "liquidation_count_mean"),
    ("liquidations max", "liquidation_count_max"),
    ("volume mean", "liquidation_volume_mean_usd"),
    ("slippage mean", "slippage_mean_usd"),
    ("delay mean", "delay_mean_seconds"),
    ("delay max", "delay_max_seconds"),
    ("capital efficiency", "capital_efficiency_mean"),
    ("attacker profit mean", "attacker_profit_mean_usd"),
)


def _summary_cell(summary: Summary, field: str) -> str:
    value = getattr(summary, field)
    if field.endswith("_usd"):
        return usd(value)
    if field.endswith("_seconds"):
        return seconds(value)
    if field == "contagion_share":
        return share(value)
    if field == "capital_efficiency_mean":
        return ratio(value)
    return count(value)


def ladder_table(rows: Sequence[LadderRow]) -> str:
    """Tabulate the ladder: one row per rung, one column per metric of its :class:`Summary`."""
    headers = ["rung", "margin ×", "runs", *(name for name, _ in LADDER_COLUMNS)]
    body = [
        [
            RUNG_LABELS[row.isolation],
            f"{row.margin_scale:g}",
            str(row.summary.runs),
            *(_summary_cell(row.summary, field) for _, field in LADDER_COLUMNS),
        ]
        for row in rows
    ]
    return table(headers, body)


KEY_LADDER_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("bad debt, mean", "bad_debt_mean_usd", "usd"),
    ("VaR95", "var95_usd", "usd"),
    ("contagion, mean", "contagion_mean_usd", "usd"),
    ("capital efficiency", "capital_efficiency_mean", "ratio"),
)
ATTACKER_COLUMN = ("attacker profit, mean", "attacker_profit_mean_usd", "usd")


def ladder_key_table(rows: Sequence[LadderRow], *, attacker: bool) -> str:
    """Tabulate the ladder's key figures, each with its interval: narrow enough to read without scrolling.

    ``attacker`` adds the attacker's mean profit (scenarios with an attacker).
    """
    columns = (*KEY_LADDER_COLUMNS, ATTACKER_COLUMN) if attacker else KEY_LADDER_COLUMNS
    headers = ["rung", *(name for name, _, _ in columns)]
    body = [
        [
            f"{RUNG_LABELS[row.isolation]} (×{row.margin_scale:g})",
            *(
                estimate_cell(float(getattr(row.summary, field)), row.summary.intervals.get(field), kind)
                for _, field, kind in columns
            ),
        ]
        for row in rows
    ]
    return table(headers, body, css_class="key-table")


POOL_COLUMNS: tuple[tuple[str, str], ...] = (
    ("bad debt, mean", "bad_debt_mean"),
    ("VaR95", "var95"),
    ("EVaR99", "evar99"),
    ("LaR95", "lar95"),
    ("LP P&L, mean", "lp_pnl_mean"),
    ("insurance drawdown, mean", "insurance_drawdown_mean"),
)


def pool_estimates_table(summary: Summary) -> str:
    """Tabulate :attr:`Summary.per_pool`: each pool's loss figures with their intervals."""
    body = [
        [
            pool.pool,
            *(estimate_cell(getattr(pool, field).value, getattr(pool, field)) for _, field in POOL_COLUMNS),
        ]
        for pool in summary.per_pool
    ]
    return table(["pool", *(name for name, _ in POOL_COLUMNS)], body, css_class="key-table")


def assumptions_table(assumptions: Sequence[Assumption]) -> str:
    """Tabulate what the study assumes: each value and its source."""
    rows = [[item.name, item.value, item.source] for item in assumptions]
    return table(["assumption", "value", "source"], rows, numeric_from=3, css_class="wrap-table")


def sensitivity_table(base: Estimate, bars: Sequence[SensitivityBar]) -> str:
    """Tabulate the tornado in the chart's order: the figure with each input at its low and high setting, the swing."""
    rows: list[list[str]] = [["scenario as written", "", estimate_cell(base.value, base), "", ""]]
    for bar in sorted(bars, key=swing_order):
        rows.append(
            [
                bar.parameter,
                f"{bar.low_setting} / {bar.high_setting}",
                estimate_cell(bar.low.value, bar.low),
                estimate_cell(bar.high.value, bar.high),
                money(swing(bar)),
            ]
        )
    headers = ["input", "low / high setting", "at low", "at high", "swing"]
    return table(headers, rows, numeric_from=2)


def swing_order(bar: SensitivityBar) -> tuple[bool, float]:
    """Sort key of the tornado: widest swing first, bars without both values last."""
    width = swing(bar)
    return (width is None, -(width or 0.0))


def swing(bar: SensitivityBar) -> float | None:
    """Return how far the figure moves between the input's low and high setting (``None`` without both)."""
    if bar.low.value is None or bar.high.value is None:
        return None
    return abs(bar.high.value - bar.low.value)


def pool_table(summary: Summary) -> str:
    """Tabulate per pool of the base design: mean bad debt and mean insurance drawdown across runs."""
    rows = [
        [pool, usd(bad_debt), usd(drawdown)]
        for pool, bad_debt, drawdown in zip(
            summary.pools,
            summary.bad_debt_per_pool_mean_usd,
            summary.insurance_drawdown_per_pool_mean_usd,
            strict=True,
        )
    ]
    return table(["pool", "bad debt mean", "insurance drawdown mean"], rows)


def frontier_table(points: Sequence[FrontierPoint]) -> str:
    """Tabulate the frontier: one row per design."""
    rows = [
        [
            RUNG_LABELS[point.isolation],
            f"{point.margin_scale:g}",
            estimate_cell(point.capital_efficiency_mean, point.capital_efficiency, "ratio"),
            estimate_cell(point.contagion_mean_usd, point.contagion),
            estimate_cell(point.bad_debt_mean_usd, point.bad_debt),
        ]
        for point in points
    ]
    return table(["rung", "margin ×", "capital efficiency", "contagion mean", "bad debt mean"], rows)


def keeper_table(points: Sequence[KeeperSweepPoint]) -> str:
    """Tabulate the keeper-latency sweep: one row per latency."""
    rows = [
        [
            seconds(point.latency_seconds),
            estimate_cell(point.bad_debt_mean_usd, point.bad_debt),
            estimate_cell(point.var95_usd, point.var95),
            seconds(point.liquidation_delay_mean_seconds),
        ]
        for point in sorted(points, key=lambda point: point.latency_seconds)
    ]
    return table(["keeper latency", "bad debt mean", "VaR95", "liquidation delay mean"], rows, numeric_from=0)


def containment_table(rows: Sequence[ContainmentRow]) -> str:
    """Tabulate which mechanism contained the attack: the design, then each mechanism switched off."""
    body = [
        [
            "as designed" if row.mechanism == "none" else f"{row.mechanism} off",
            row.change if row.switched or row.mechanism == "none" else f"{row.change} (same figures)",
            usd(row.attacker_profit_mean_usd),
            usd(row.protocol_loss_mean_usd),
            usd(row.contagion_mean_usd),
        ]
        for row in rows
    ]
    return table(["mechanism", "change", "attacker profit", "protocol loss", "contagion"], body, numeric_from=2)
