"""The allocation study's own small report: one self-contained HTML page, a JSON file and a PNG plot.

``render_allocation_report(study, out_dir)`` writes ``allocation.html`` (inline CSS and SVG, no
script, no network), ``allocation.json`` (every figure with its interval) and ``allocation.png``
(the plot, for the README). The same study gives the same bytes.
"""

from __future__ import annotations

import json
from html import escape
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from ringfence import __version__
from ringfence.lab.allocation_study import ATOMS_PER_USD, AllocationStudy
from ringfence.lab.estimate import Estimate
from ringfence.lab.report import plots
from ringfence.lab.report.style import CSS
from ringfence.lab.report.tables import duration, estimate_cell, estimate_text, money, table, usd

__all__ = [
    "HTML_FILE",
    "JSON_FILE",
    "PNG_FILE",
    "allocation_figure",
    "allocation_json",
    "allocation_page",
    "points_text",
    "render_allocation_report",
]

HTML_FILE = "allocation.html"
JSON_FILE = "allocation.json"
PNG_FILE = "allocation.png"


def _label(study: AllocationStudy, index: int, separator: str = " ") -> str:
    position = study.book.positions[index]
    return f"{position.asset} {position.side}{separator}{money(position.notional)}"


def _percent(value: float) -> str:
    return f"{value:.2%}" if value >= 1e-4 or value == 0.0 else f"{value:.1e}"


def points_text(estimate: Estimate) -> str:
    """Format a difference of probabilities in percentage points with its interval: ``19.5 pp (95% CI 16.8–22.1)``."""
    if estimate.value is None:
        return "—"
    if estimate.low is None or estimate.high is None:
        return f"{estimate.value * 100:.1f} pp"
    return f"{estimate.value * 100:.1f} pp (95% CI {estimate.low * 100:.1f} to {estimate.high * 100:.1f})"


def allocation_figure(study: AllocationStudy) -> Figure:
    """Return the plot: margin per vault under each policy (left), measured P(any) with its interval (right)."""
    with plots.style("allocation"):
        figure = Figure(figsize=(9.0, 3.4), layout="constrained")
        left, right = figure.subplots(1, 2, width_ratios=(2.2, 1.0))
        count = len(study.book.positions)
        width = 0.8 / len(study.policies)
        x = np.arange(count)
        for k, policy in enumerate(study.policies):
            margins = np.asarray(policy.margins_atoms, dtype=np.float64) / ATOMS_PER_USD / 1e3
            left.bar(
                x + (k - (len(study.policies) - 1) / 2) * width,
                margins,
                width,
                label=policy.name,
                color=plots.PALETTE[k],
            )
        floors = np.asarray(study.initial_margin_atoms, dtype=np.float64) / ATOMS_PER_USD / 1e3
        left.hlines(floors, x - 0.42, x + 0.42, color=plots.INK, zorder=3, label="initial margin (floor)")
        left.set_xticks(x, [_label(study, i, "\n") for i in range(count)], fontsize=7.5)
        left.set_ylabel("margin in the vault, $k")
        left.set_title("How each policy splits the collateral")
        left.legend(loc="upper right")
        for k, policy in enumerate(study.policies):
            estimate = policy.measured_any
            value = 0.0 if estimate.value is None else estimate.value
            low = value if estimate.low is None else estimate.low
            high = value if estimate.high is None else estimate.high
            right.bar(k, value * 100, 0.6, color=plots.PALETTE[k])
            right.errorbar(k, value * 100, yerr=[[(value - low) * 100], [(high - value) * 100]], color=plots.INK)
        right.set_xticks(range(len(study.policies)), [p.name.replace(" ", "\n") for p in study.policies], fontsize=7.5)
        right.set_ylabel("P(any position liquidated), % (95% CI)")
        right.set_title(f"P(any) on {study.policy('allocator').measured_any.runs:,} paths")
    return figure


def _inputs_table(study: AllocationStudy) -> str:
    rows = [
        [
            _label(study, i),
            f"{study.volatility[i]:.1%}",
            f"{study.maintenance_rate[i]:.2%}",
            usd(study.initial_margin_atoms[i] / ATOMS_PER_USD),
            *(usd(p.margins_atoms[i] / ATOMS_PER_USD) for p in study.policies),
        ]
        for i in range(len(study.book.positions))
    ]
    headers = ["position", "σ a year (jumps incl.)", "maintenance", "initial margin", *study_policy_names(study)]
    return table(headers, rows)


def study_policy_names(study: AllocationStudy) -> list[str]:
    """Return the policies' names, in the study's order."""
    return [policy.name for policy in study.policies]


def _results_table(study: AllocationStudy) -> str:
    rows = []
    for policy in study.policies:
        rows.append(
            [
                policy.name,
                estimate_cell(None, policy.measured_any, "share"),
                _percent(policy.model_any),
                *(estimate_cell(None, e, "share") for e in policy.measured_positions),
            ]
        )
    headers = [
        "policy",
        "P(any) measured",
        "P(any) allocator's model",
        *(_label(study, i) for i in range(len(study.book.positions))),
    ]
    return table(headers, rows)


def _gain_sentence(study: AllocationStudy) -> str:
    equal = study.policy("equal split").measured_any
    mine = study.policy("allocator").measured_any
    return (
        f"Over {mine.runs:,} paths of <b>{escape(study.scenario_name)}</b> (seed {study.seed}), the owner lost at "
        f"least one position within {escape(duration(study.horizon_seconds))} on "
        f"{escape(estimate_text(None, equal, 'share'))} of paths with the equal split and on "
        f"{escape(estimate_text(None, mine, 'share'))} with the allocator: a gain of "
        f"<b>{escape(points_text(study.gain_over_equal))}</b> of probability (pp: percentage points; the paired "
        f"difference per path, percentile bootstrap over paths). Against the split in proportion to "
        f"notional the gain is {escape(points_text(study.gain_over_proportional))}. Optimising the correlated "
        f"P(any) itself on {study.book.training_paths:,} other paths of the scenario (the path search) gains "
        f"{escape(points_text(study.path_search_gain))} over the allocator: what the allocator's independence "
        f"assumption costs here."
    )


def allocation_page(study: AllocationStudy) -> str:
    """Return the report's HTML (self-contained)."""
    figure = plots.svg(allocation_figure(study), "allocation")
    book = study.book
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Capital allocator: {escape(book.name)}</title>
<style>{CSS}</style></head><body>
<header><p class="kicker">ringfence {escape(__version__)} · capital allocator study</p>
<h1>{escape(book.name)}</h1><p class="description">{escape(book.description)}</p>
<dl class="facts"><dt>scenario</dt><dd>{escape(study.scenario_name)}, seed {study.seed},
{study.steps} steps over {escape(duration(study.horizon_seconds))}</dd>
<dt>collateral</dt><dd>{escape(usd(book.collateral))} in {len(book.positions)} isolated vaults</dd></dl></header>
<h2>The gain</h2><p>{_gain_sentence(study)}</p>
<figure data-plot="allocation">{figure}<figcaption>Left: each policy's margin per vault (the dash is the
vault's initial margin, the allocator's floor). Right: the share of paths on which at least one position was
liquidated, with its exact 95% interval.</figcaption></figure>
<h2>Results</h2>{_results_table(study)}
<p>Measured: the share of the paths on which a vault fell below maintenance at some grid step (every
{escape(duration(study.horizon_seconds / study.steps))}; exact Clopper-Pearson interval). The allocator's
model: its own closed form (GBM with the volatility below, continuous monitoring, positions independent),
the figure it minimises.</p>
<h2>Inputs and the splits</h2>{_inputs_table(study)}
<p><b>equal split</b>: the collateral divided equally (leftover atoms to the first vaults).
<b>proportional</b>: in proportion to notional (every vault at the same leverage).
<b>allocator</b>: <code>ringfence.risk.allocator.allocate</code>, floors at initial margin.
<b>path search</b>: <code>ringfence.risk.allocator_paths.path_optimal_margins</code>, the share of paths with no
liquidation maximised by local search on separate training paths of the scenario, from the allocator's split.
Every split is
in integer atoms and sums exactly to the collateral. Positions open at the scenario's initial prices, vaults
are never topped up, no funding or fees; a position is liquidated when its equity falls strictly below its
maintenance requirement at a grid step on the market price.</p>
</body></html>
"""


def _estimate_json(estimate: Estimate) -> dict[str, Any]:
    return {
        "value": estimate.value,
        "low": estimate.low,
        "high": estimate.high,
        "method": estimate.method,
        "runs": estimate.runs,
    }


def allocation_json(study: AllocationStudy) -> dict[str, Any]:
    """Return the study as plain JSON data (amounts in atoms as decimal strings)."""
    return {
        "book": study.book.model_dump(),
        "scenario": study.scenario_name,
        "seed": study.seed,
        "horizon_seconds": study.horizon_seconds,
        "volatility": list(study.volatility),
        "initial_margin_atoms": [str(a) for a in study.initial_margin_atoms],
        "policies": [
            {
                "name": policy.name,
                "margins_atoms": [str(a) for a in policy.margins_atoms],
                "model_any": policy.model_any,
                "model_positions": list(policy.model_probabilities),
                "measured_any": _estimate_json(policy.measured_any),
                "measured_positions": [_estimate_json(e) for e in policy.measured_positions],
            }
            for policy in study.policies
        ],
        "gain_over_equal": _estimate_json(study.gain_over_equal),
        "gain_over_proportional": _estimate_json(study.gain_over_proportional),
        "path_search_gain": _estimate_json(study.path_search_gain),
    }


def render_allocation_report(study: AllocationStudy, out_dir: Path) -> tuple[Path, Path, Path]:
    """Write ``allocation.html``, ``allocation.json`` and ``allocation.png`` into ``out_dir`` (created)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    html_path, json_path, png_path = out_dir / HTML_FILE, out_dir / JSON_FILE, out_dir / PNG_FILE
    html_path.write_text(allocation_page(study), encoding="utf-8")
    json_path.write_text(json.dumps(allocation_json(study), indent=2, sort_keys=True) + "\n", encoding="utf-8")
    png_path.write_bytes(plots.png(allocation_figure(study), "allocation"))
    return html_path, json_path, png_path
