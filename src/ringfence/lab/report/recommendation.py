"""The recommendation's report section: per pool and parameter, the curve with whiskers and the recommended point.

``render_recommendation(result, out_dir)`` writes ``recommend.html`` (self-contained: inline SVG and
CSS, no script, no network) and one PNG per curve (``recommend-<pool>-<parameter>.png``). The plots
use the stress report's style (:func:`ringfence.lab.report.plots.style`), so the same result gives
the same bytes.
"""

from __future__ import annotations

from html import escape
from pathlib import Path

from matplotlib.artist import Artist
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from ringfence import __version__
from ringfence.lab.recommend.export import recommendation_text
from ringfence.lab.recommend.grid import SPECS
from ringfence.lab.recommend.run import Curve, RecommendResult
from ringfence.lab.report.plots import INK, MUTED, PALETTE, png, style, svg
from ringfence.lab.report.style import CSS

__all__ = ["RECOMMEND_REPORT_FILE", "curve_figure", "render_recommendation"]

RECOMMEND_REPORT_FILE = "recommend.html"


def _name(curve: Curve) -> str:
    return f"recommend-{curve.pool}-{curve.parameter}"


def _whiskers(curve: Curve) -> tuple[list[float], list[float], list[list[float]]]:
    values = [float(estimate.value or 0.0) for estimate in curve.probabilities]
    below = [value - float(estimate.low or 0.0) for value, estimate in zip(values, curve.probabilities, strict=True)]
    above = [float(estimate.high or 0.0) - value for value, estimate in zip(values, curve.probabilities, strict=True)]
    return list(curve.levels), values, [below, above]


def curve_figure(curve: Curve, alpha: float, target_usd: float, *, title: bool = True) -> Figure:
    """Draw P(loss > target) against the level, 95% Clopper-Pearson whiskers, α, the recommendation and its interval.

    ``title``: name the pool and parameter above the plot (the standalone PNG; in the page the heading does).
    """
    with style(_name(curve)):
        figure = Figure(figsize=(9.0, 3.8), layout="constrained")
        axis = figure.subplots()
        levels, values, error = _whiskers(curve)
        axis.errorbar(levels, values, yerr=error, color=PALETTE[0], marker="o", markersize=4, capsize=3, linewidth=1.4)
        axis.axhline(alpha, color=PALETTE[3], linestyle="--", linewidth=1.2)
        answer = curve.recommendation
        handles: list[Artist] = [
            Line2D([], [], color=PALETTE[0], marker="o", label="P(loss > target), 95% Clopper-Pearson"),
            Line2D([], [], color=PALETTE[3], linestyle="--", label=f"α = {alpha:g}"),
        ]
        if answer.level_low is not None or answer.level_high is not None:
            low = min(levels) if answer.level_low is None else answer.level_low
            high = max(levels) if answer.level_high is None else answer.level_high
            axis.axvspan(low, high, color=PALETTE[2], alpha=0.15, linewidth=0)
            handles.append(Patch(color=PALETTE[2], alpha=0.3, label="recommended level, 95% bootstrap"))
        if answer.level is not None:
            index = curve.levels.index(answer.level)
            axis.plot([answer.level], [values[index]], marker="*", markersize=15, color=PALETTE[2], zorder=5)
            handles.append(
                Line2D(
                    [],
                    [],
                    color=PALETTE[2],
                    marker="*",
                    linestyle="",
                    markersize=11,
                    label=f"recommended {answer.level:.4g}",
                )
            )
        if answer.crossing is not None:
            axis.axvline(answer.crossing, color=INK, linestyle=":", linewidth=1.0)
            handles.append(Line2D([], [], color=INK, linestyle=":", label=f"α-crossing {answer.crossing:.4g}"))
        if answer.level is None:
            axis.text(
                0.5, 0.9, "no level of the grid satisfies α", transform=axis.transAxes, ha="center", color=PALETTE[3]
            )
        spec = SPECS[curve.parameter]
        axis.set_xlabel(f"{spec.label} ({spec.unit}; {spec.conservative} is more conservative)")
        measure = "bad debt" if curve.measure == "bad_debt" else "bad debt left uncovered by insurance"
        axis.set_ylabel(f"P({measure} > ${target_usd:,.0f})")
        axis.set_ylim(0.0, max(0.05, max(value + up for value, up in zip(values, error[1], strict=True)) * 1.1))
        if title:
            axis.set_title(f"{curve.pool}: {spec.label}", color=INK)
        axis.legend(handles=handles, loc="lower left", bbox_to_anchor=(0.0, 1.08), ncols=3, borderaxespad=0.0)
        axis.tick_params(colors=MUTED)
    return figure


def _interval(low: float | None, high: float | None) -> str:
    ends = ["beyond the grid" if end is None else f"{end:.6g}" for end in (low, high)]
    return f"[{ends[0]}, {ends[1]}]"


def _confirmation(curve: Curve) -> str:
    check = curve.confirmation
    if check is None:
        return '<p class="note">No exact-engine confirmation (no recommended level, or none asked for).</p>'

    def text(estimate_value: float | None, low: float | None, high: float | None) -> str:
        return f"{(estimate_value or 0.0):.3f} [{(low or 0.0):.3f}, {(high or 0.0):.3f}]"

    return (
        f"<p>Exact engine on the first {check.paths} paths at {check.level:.6g}: P = "
        f"{text(check.exact.value, check.exact.low, check.exact.high)}; vector engine on the same paths "
        f"{text(check.vector.value, check.vector.low, check.vector.high)}; {check.agreeing_paths} of "
        f"{check.paths} paths on the same side of the target; largest loss gap ${check.largest_gap_usd:.3g}.</p>"
    )


def _table(curve: Curve) -> str:
    rows = "".join(
        f'<tr><td class="num">{level:.6g}</td><td class="num">{(e.value or 0.0):.4f}</td>'
        f'<td class="num">[{(e.low or 0.0):.4f}, {(e.high or 0.0):.4f}]</td></tr>'
        for level, e in zip(curve.levels, curve.probabilities, strict=True)
    )
    return (
        '<details class="full-table"><summary>every level</summary><div class="table-wrap"><table>'
        '<thead><tr><th class="num">level</th><th class="num">P(loss &gt; target)</th>'
        f'<th class="num">95% Clopper-Pearson</th></tr></thead><tbody>{rows}</tbody></table></div></details>'
    )


def _violations(curve: Curve) -> str:
    if not curve.violations:
        return '<p class="note">Monotone: no more conservative level has a higher estimate.</p>'
    items = "".join(
        f"<li>{v.looser_level:.6g} → {v.stricter_level:.6g}: {v.looser_probability:.4f} → "
        f"{v.stricter_probability:.4f} ({v.only_stricter} paths only at the stricter level, {v.only_looser} only at "
        f"the looser; exact McNemar p = {v.p_value:.3g}{', beyond noise: a finding' if v.beyond_noise else ''})</li>"
        for v in curve.violations
    )
    return f'<div class="callout">Monotonicity violations:<ul>{items}</ul></div>'


def _section(curve: Curve, result: RecommendResult) -> str:
    settings = result.settings
    answer = curve.recommendation
    figure = svg(curve_figure(curve, settings.alpha, settings.target_usd, title=False), _name(curve))
    caption = (
        f"<b>Recommended: {escape(recommendation_text(curve))}</b>; 95% bootstrap interval "
        f"{_interval(answer.level_low, answer.level_high)} ({answer.resamples} resamples of the paths, seed "
        f"{answer.seed}); α-crossing {'none' if answer.crossing is None else f'{answer.crossing:.6g}'} "
        f"{_interval(answer.crossing_low, answer.crossing_high)}."
    )
    return (
        f"<h3>{escape(curve.pool)}: {escape(SPECS[curve.parameter].label)}</h3>"
        f'<figure data-plot="{escape(_name(curve))}">{figure}<figcaption>{caption}</figcaption></figure>'
        f"{_violations(curve)}{_confirmation(curve)}{_table(curve)}"
    )


def _page(result: RecommendResult) -> str:
    settings = result.settings
    facts = [
        ("scenario", settings.scenario_name),
        ("seed", str(settings.seed)),
        ("rung", settings.isolation),
        ("paths per level", f"{settings.runs:,} (the same paths and draws at every level)"),
        ("levels per grid", str(settings.levels)),
        ("rule", f"least conservative level with P(loss > ${settings.target_usd:,.2f}) < α = {settings.alpha:g}"),
        ("engine", f"vector; exact-engine confirmation on {settings.confirm_paths} paths"),
    ]
    rows = "".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in facts)
    sections = "".join(_section(curve, result) for curve in result.curves)
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>ringfence recommendation: {escape(settings.scenario_name)}</title><style>{CSS}</style></head><body>"
        '<header><p class="kicker">ringfence parameter recommendation</p>'
        f'<h1>{escape(settings.scenario_name)}</h1><dl class="facts">{rows}</dl></header>'
        f"<h2>Parameter against P(bad debt &gt; target)</h2>{sections}"
        f"<footer>ringfence {escape(__version__)}</footer></body></html>"
    )


def render_recommendation(result: RecommendResult, out_dir: Path) -> Path:
    """Write ``recommend.html`` and one PNG per curve into ``out_dir`` (created if missing); return the HTML path."""
    out_dir.mkdir(parents=True, exist_ok=True)
    for curve in result.curves:
        figure = curve_figure(curve, result.settings.alpha, result.settings.target_usd)
        (out_dir / f"{_name(curve)}.png").write_bytes(png(figure, _name(curve)))
    report = out_dir / RECOMMEND_REPORT_FILE
    report.write_text(_page(result), encoding="utf-8")
    return report
