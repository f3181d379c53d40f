"""Number formatting and HTML tables for the report (every string that reaches the page is escaped)."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from ringfence.lab.metrics import Summary
from ringfence.lab.study import ContainmentRow, FrontierPoint, KeeperSweepPoint, LadderRow

__all__ = [
    "containment_table",
    "count",
    "duration",
    "frontier_table",
    "keeper_table",
    "ladder_table",
    "ordinal",
    "pool_table",
    "ratio",
    "seconds",
    "share",
    "table",
    "usd",
]

RUNG_LABELS = {
    "monolithic": "monolithic",
    "subaccounts": "sub-accounts",
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


def duration(total_seconds: float) -> str:
    """Format a span of time in its largest whole-ish unit: ``90 s``, ``15 min``, ``4 h``, ``30 d``."""
    for unit, size in (("d", 86_400), ("h", 3_600), ("min", 60)):
        if total_seconds >= size:
            return f"{total_seconds / size:,.4g} {unit}"
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


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], numeric_from: int = 1) -> str:
    """Render an HTML table; columns from ``numeric_from`` on are right-aligned numbers."""

    def cell(tag: str, index: int, text: str) -> str:
        css = ' class="num"' if index >= numeric_from else ""
        return f"<{tag}{css}>{escape(text)}</{tag}>"

    head = "".join(cell("th", index, text) for index, text in enumerate(headers))
    body = "".join("<tr>" + "".join(cell("td", i, text) for i, text in enumerate(row)) + "</tr>" for row in rows)
    return f'<div class="table-wrap"><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>'


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
            ratio(point.capital_efficiency_mean),
            usd(point.contagion_mean_usd),
            usd(point.bad_debt_mean_usd),
        ]
        for point in points
    ]
    return table(["rung", "margin ×", "capital efficiency", "contagion mean", "bad debt mean"], rows)


def keeper_table(points: Sequence[KeeperSweepPoint]) -> str:
    """Tabulate the keeper-latency sweep: one row per latency."""
    rows = [
        [
            seconds(point.latency_seconds),
            usd(point.bad_debt_mean_usd),
            usd(point.var95_usd),
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
