"""The stress report: one self-contained HTML page (inline SVG plots, inline CSS, no script, no network).

``render_report(study, out_dir)`` writes ``report.html`` and ``key_plot.png`` (the frontier, for the
README). Both are deterministic: the same study gives the same bytes.

Modules
-------
plots     matplotlib figures (no pyplot) and their deterministic SVG / PNG rendering
tables    number formatting and HTML tables
page      the page's sections, captions and definitions
findings  the key finding: plain sentences, each figure with its interval
predictive the "Predictive liquidation" section (tables; empty unless the study measured it)
style     the inline stylesheet
"""

from __future__ import annotations

from pathlib import Path

from ringfence.lab.report import plots
from ringfence.lab.report.page import page
from ringfence.lab.study import StudyResult

__all__ = ["KEY_PLOT_FILE", "REPORT_FILE", "expected_plots", "render_report"]

REPORT_FILE = "report.html"
KEY_PLOT_FILE = "key_plot.png"


def expected_plots(study: StudyResult) -> tuple[str, ...]:
    """Return the ``data-plot`` names the report of ``study`` contains, in page order."""
    names = ["cascade", "liquidation_timeline", "bad_debt_distribution"]
    if study.ladder:
        names.append("ladder")
    names += [f"option_greeks_{index}" for index in range(len(study.options))]
    if study.sensitivity_base is not None and study.sensitivity:
        names.append("sensitivity")
    names.append("frontier")
    if study.keeper_sweep:
        names.append("keeper_sweep")
    return tuple(names)


def render_report(study: StudyResult, out_dir: Path) -> Path:
    """Write ``report.html`` and ``key_plot.png`` into ``out_dir`` (created if missing); return the HTML path."""
    out_dir.mkdir(parents=True, exist_ok=True)
    report = out_dir / REPORT_FILE
    report.write_text(page(study), encoding="utf-8")
    title = f"{study.scenario_name}: capital efficiency against contagion"
    (out_dir / KEY_PLOT_FILE).write_bytes(plots.png(plots.frontier(study.frontier, title), "frontier"))
    return report
