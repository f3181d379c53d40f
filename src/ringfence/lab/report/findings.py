"""The report's key finding: what the study says, in plain sentences, each figure with its interval.

Every sentence is built from the study's numbers; a figure the runs cannot support is printed as
the runs it would need (``needs ≥ N runs``), never as a number, and a figure without an interval
says so in the note under the finding.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from ringfence.lab.estimate import Estimate
from ringfence.lab.metrics import Summary, order_rank
from ringfence.lab.report.tables import RUNG_LABELS, duration, estimate_text, runs_needed_text
from ringfence.lab.results import RunResult
from ringfence.lab.study import LadderRow, StudyResult

__all__ = ["has_attacker", "interval_methods", "key_finding", "worst_run"]


def worst_run(runs: Sequence[RunResult]) -> RunResult:
    """Return the run with the largest protocol loss (the first in path order on a tie)."""
    worst = runs[0]
    for run in runs[1:]:
        if run.protocol_loss_usd > worst.protocol_loss_usd:
            worst = run
    return worst


def has_attacker(study: StudyResult) -> bool:
    """Return whether the study's scenario has an attacker (some run or rung records its profit or loss)."""
    return any(run.attacker_profit_usd != 0.0 for run in study.base) or any(
        row.summary.attacker_profit_mean_usd != 0.0 for row in study.ladder
    )


def interval_methods(summaries: Sequence[Summary]) -> tuple[str, ...]:
    """Return the distinct methods behind the intervals of ``summaries``, sorted (empty: no intervals)."""
    methods = {estimate.method for summary in summaries for estimate in summary.intervals.values()}
    methods |= {
        estimate.method
        for summary in summaries
        for pool in summary.per_pool
        for estimate in (
            pool.bad_debt_mean,
            pool.var95,
            pool.evar99,
            pool.lar95,
            pool.lp_pnl_mean,
            pool.insurance_drawdown_mean,
        )
    }
    return tuple(sorted(methods))


def _figure(summary: Summary, field: str, kind: str = "usd") -> str:
    return f"<b>{escape(estimate_text(getattr(summary, field), summary.intervals.get(field), kind))}</b>"


def _design(run: RunResult) -> str:
    return f"{RUNG_LABELS[run.isolation]}, margin ×{run.margin_scale:g}"


def _loss_sentence(study: StudyResult, summary: Summary) -> str:
    first = study.base[0]
    horizon = duration((first.market_prices.shape[1] - 1) * first.step_seconds)
    design = f"Under the scenario's own design ({escape(_design(first))}, {escape(horizon)} per run)"
    mean = summary.intervals.get("bad_debt_mean_usd")
    quiet = summary.bad_debt_mean_usd == 0.0 and (mean is None or mean.high in (None, 0.0))
    if quiet:
        return f"{design}, no run left bad debt: the protocol lost nothing in any of the {summary.runs:,} runs."
    per_run = "in its one run" if summary.runs == 1 else "per run on average"
    return f"{design}, the protocol loses {_figure(summary, 'bad_debt_mean_usd')} to bad debt {per_run}."


def _tail_sentence(summary: Summary) -> str:
    estimate = summary.intervals.get("var95_usd")
    if estimate is not None and estimate.value is None:
        return (
            f"How bad one run in twenty gets (VaR95) the study cannot say yet: it "
            f"{escape(runs_needed_text(estimate))} and played {summary.runs:,}."
        )
    if estimate is None and order_rank(95.0, summary.runs) == summary.runs:
        return (
            f"With {summary.runs:,} run{'s' if summary.runs != 1 else ''}, how bad one run in twenty gets (VaR95) "
            "cannot be estimated: the tail is only the largest loss observed."
        )
    return f"One run in twenty loses more than {_figure(summary, 'var95_usd')} (VaR95)."


def _extremes(rows: Sequence[LadderRow], field: str) -> tuple[LadderRow, LadderRow]:
    ordered = sorted(rows, key=lambda row: float(getattr(row.summary, field)))
    return ordered[0], ordered[-1]


def _overlap(low: Estimate | None, high: Estimate | None) -> bool:
    if low is None or high is None or low.high is None or high.low is None:
        return False
    return high.low <= low.high


def _ladder_item(rows: Sequence[LadderRow], field: str, what: str) -> str:
    best, worst = _extremes(rows, field)
    if float(getattr(worst.summary, field)) == float(getattr(best.summary, field)):
        return f"<li><b>{escape(what)}</b> is {_figure(worst.summary, field)} on every rung.</li>"
    text = (
        f"<li><b>{escape(what)}</b> runs from {_figure(best.summary, field)} "
        f"({escape(RUNG_LABELS[best.isolation])}) to {_figure(worst.summary, field)} "
        f"({escape(RUNG_LABELS[worst.isolation])})"
    )
    if _overlap(best.summary.intervals.get(field), worst.summary.intervals.get(field)):
        return text + ", but the two intervals overlap: these runs do not tell those rungs apart.</li>"
    return text + ".</li>"


def _ladder_list(study: StudyResult) -> str:
    items = [
        _ladder_item(study.ladder, "bad_debt_mean_usd", "Mean bad debt"),
        _ladder_item(study.ladder, "contagion_mean_usd", "Mean contagion"),
    ]
    if has_attacker(study):
        items.append(_ladder_item(study.ladder, "attacker_profit_mean_usd", "The attacker's mean profit"))
    return (
        f"<p>Across the {len(study.ladder)} rungs of the isolation ladder (the same paths on each; contagion is "
        f'the loss borne by those with no position in the defaulting market):</p><ul class="ladder-findings">'
        + "".join(items)
        + "</ul>"
    )


def _interval_note(study: StudyResult, summary: Summary) -> str:
    methods = interval_methods([summary, *(row.summary for row in study.ladder)])
    if methods:
        return "Figures in brackets are 95% confidence intervals (" + "; ".join(escape(m) for m in methods) + ")."
    runs = study.runs_per_design
    return (
        f"This study computed no confidence intervals: every figure is a point estimate from {runs:,} "
        f"run{'s' if runs != 1 else ''} per design, so small differences between designs may be noise."
    )


def key_finding(study: StudyResult, summary: Summary) -> str:
    """Return the key-finding section: what the study found, in sentences a risk committee can read."""
    sentences = [_loss_sentence(study, summary), _tail_sentence(summary)]
    if has_attacker(study):
        sentences.append(f"The attacker's mean profit is {_figure(summary, 'attacker_profit_mean_usd')}.")
    ladder = _ladder_list(study) if len(study.ladder) > 1 else ""
    return (
        '<section class="finding" data-section="key-finding"><h2>Key finding</h2>'
        f'<p class="headline">{" ".join(sentences)}</p>{ladder}'
        f'<p class="note">{_interval_note(study, summary)}</p></section>'
    )
