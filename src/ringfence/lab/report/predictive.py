"""The report's "Predictive liquidation" section: warnings and a learned predictor against real liquidations.

Tables only, from :class:`ringfence.lab.predictive_metrics.PredictiveResult`; empty when the study
measured none (``ringfence stress --predictive N``).
"""

from __future__ import annotations

from html import escape

from ringfence.lab.estimate import Estimate
from ringfence.lab.predictive_metrics import PredictiveResult, WarningQuality
from ringfence.lab.report.tables import DASH, RUNG_LABELS, Html, duration, estimate_cell, table
from ringfence.lab.study import StudyResult

__all__ = ["predictive_section"]


def _cell(estimate: Estimate | None, kind: str) -> str:
    return DASH if estimate is None else estimate_cell(estimate.value, estimate, kind)


def _auc(estimate: Estimate | None) -> str:
    """Format an AUC to three decimals with its interval below (a rank score: neither a multiple nor a share)."""
    if estimate is None or estimate.value is None:
        return "undefined (one class only)" if estimate is None else DASH
    interval = "" if estimate.low is None or estimate.high is None else f"{estimate.low:.3f}–{estimate.high:.3f}"
    below = f'<span class="ci">{escape(interval)}</span>' if interval else ""
    return Html(f'<span class="figure">{estimate.value:.3f}</span>{below}')


def _lead(estimate: Estimate | None) -> str:
    if estimate is None or estimate.value is None:
        return DASH
    interval = (
        "" if estimate.low is None or estimate.high is None else f"{duration(estimate.low)}–{duration(estimate.high)}"
    )
    below = f'<span class="ci">{escape(interval)}</span>' if interval else ""
    return Html(f'<span class="figure">{escape(duration(estimate.value))}</span>{below}')


def _row(name: str, auc: Estimate | None, quality: WarningQuality, with_auc: bool) -> list[str]:
    return [
        name,
        _auc(auc) if with_auc else "not computed",
        _cell(quality.precision, "share"),
        _cell(quality.recall, "share"),
        _lead(quality.lead_time_median_seconds),
        f"{quality.warnings:,} ({quality.true_warnings:,})",
        f"{quality.liquidations:,} ({quality.warned_liquidations:,})",
    ]


def _lead_table(result: PredictiveResult) -> str:
    rows = []
    for name, quality in (
        ("closed form, held-out", result.closed_form.warnings),
        ("learned, held-out", result.learned.warnings),
    ):
        quantiles = dict(quality.lead_time_quantiles_seconds)
        rows.append([name, *(duration(quantiles[q]) if q in quantiles else DASH for q in (0.1, 0.25, 0.5, 0.75, 0.9))])
    return table(["lead time", "10%", "25%", "median", "75%", "90%"], rows)


def _threshold_note(result: PredictiveResult, base_rate: float) -> str:
    """Say why the predictors' warning counts differ, only in the direction the figures show."""
    note = (
        f"<p>{base_rate:.2%} of the evaluated rows are followed by their position's liquidation within the horizon. "
        "Compare the predictors by AUC, which does not depend on a threshold; precision and recall hold at this "
        "threshold only."
    )
    if result.learned.warnings.warnings < result.closed_form.warnings.warnings:
        note += (
            " The learned probabilities are fitted to what happened, so they sit near that rate and fewer rows "
            "reach the threshold than the closed form's (GBM without jumps, volatility from a short window)."
        )
    return note + "</p>"


def predictive_section(study: StudyResult) -> str:
    """Return the section's HTML, or ``""`` when the study has no predictive measurement."""
    result = study.predictive
    if result is None:
        return ""
    held_out = f"{result.held_out_paths} held-out paths"
    rows = [
        _row(f"closed form, all {result.paths} paths", None, result.closed_form_all_paths, False),
        _row(f"closed form, {held_out}", result.closed_form.auc, result.closed_form.warnings, True),
        _row(f"learned, {held_out}", result.learned.auc, result.learned.warnings, True),
    ]
    headers = ["predictor", "AUC", "precision", "recall", "median lead", "warnings (true)", "liquidations (warned)"]
    rung = RUNG_LABELS.get(result.isolation, result.isolation)
    base_rate = result.positive_rows / result.evaluated_rows if result.evaluated_rows else 0.0
    features = ", ".join(result.features)
    return "".join(
        [
            '<h2 id="predictive">Predictive liquidation</h2>',
            '<p class="engine">numbers from the <b>vector</b> engine</p>',
            f"<p>The scenario's own design ({escape(rung)}, margins ×{result.margin_scale:g}) on its first "
            f"{result.paths} paths. At every step, for every open position whose unit is above maintenance "
            f"({result.evaluated_rows:,} rows, {result.positive_rows:,} of them liquidated within the horizon), a "
            f"<b>warning</b> is a probability of liquidation within {escape(duration(result.horizon_seconds))} of at "
            f"least {result.threshold:g}. The <b>closed form</b> is the GBM first-passage probability of touching the "
            "position's own liquidation price, volatility from a RiskMetrics EWMA (λ = 0.94 a step) of the oracle so "
            f"far, drift 0. The <b>learned</b> predictor is gradient boosting on {escape(features)} (the lab has no "
            f"funding), trained on {result.training_paths} paths and scored on the other {result.held_out_paths} "
            f"(split by path, seed {result.split_seed}).</p>",
            table(headers, rows),
            _threshold_note(result, base_rate),
            _lead_table(result),
            "<p>A <b>true positive</b> is a warning for a position that is liquidated within the horizon after it "
            "(strictly later, at most the horizon). <b>Precision</b>: true positives over warnings (rows); "
            "<b>recall</b>: liquidations with a warning of their position within the horizon before, over all "
            "liquidations; <b>lead time</b>: from the first such warning to the liquidation. AUC ranks every "
            "evaluated row by its score against its label (ties count one half); its interval is a bootstrap over "
            "held-out paths, precision and recall a bootstrap over paths, the median lead time an exact "
            "order-statistic interval. Warnings are risk records, never ledger events.</p>",
        ]
    )
