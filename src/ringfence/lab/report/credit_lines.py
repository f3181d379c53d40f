"""The report's "Credit lines" section: what routing liquidity between pools buys and what it costs.

Tables only, from :class:`ringfence.lab.credit_comparison.CreditLineComparison`; empty when the
study did not play both the ``credit_lines`` and ``isolated_pools`` rungs.
"""

from __future__ import annotations

from html import escape

from ringfence.lab.credit_comparison import CreditLineComparison
from ringfence.lab.estimate import Estimate
from ringfence.lab.report.tables import DASH, estimate_cell, money, table
from ringfence.lab.study import StudyResult

__all__ = ["credit_lines_section"]


def _cell(estimate: Estimate, kind: str) -> str:
    return estimate_cell(estimate.value, estimate, kind)


def _buys(comparison: CreditLineComparison) -> str:
    rows = [
        [
            "open interest per $ of LP capital",
            _cell(comparison.open_interest_per_lp_plain, "ratio"),
            _cell(comparison.open_interest_per_lp_credit, "ratio"),
            _cell(comparison.open_interest_per_lp_gain, "ratio"),
        ],
        [
            "open notional per $ of traders' collateral",
            _cell(comparison.capital_efficiency_plain, "ratio"),
            _cell(comparison.capital_efficiency_credit, "ratio"),
            _cell(comparison.capital_efficiency_gain, "ratio"),
        ],
    ]
    headers = ["what the lines buy", "isolated pools", "with credit lines", "gain, path by path"]
    return table(headers, rows, css_class="credit-buys")


def _costs(comparison: CreditLineComparison) -> str:
    rows = [
        ["contagion per run", _cell(comparison.contagion_plain, "usd"), _cell(comparison.contagion_credit, "usd")],
        ["the lenders' loss per run", "$0 (no line)", _cell(comparison.lender_loss, "usd")],
        ["runs in which a lender lost more than $1", "0 (no line)", _cell(comparison.runs_with_lender_loss, "share")],
        [
            "the largest lender loss of any run (bound: the caps lent)",
            DASH,
            f"{money(comparison.lender_loss_max_usd)} of {money(comparison.caps_usd)}",
        ],
        ["principal drawn per run", DASH, _cell(comparison.drawn, "usd")],
    ]
    return table(["what they cost", "isolated pools", "with credit lines"], rows, css_class="credit-costs")


def credit_lines_section(study: StudyResult) -> str:
    """Return the "Credit lines" section, or nothing when the study has no comparison."""
    comparison = study.credit_lines
    if comparison is None:
        return ""
    lines = "".join(f"<li>{escape(line)}</li>" for line in comparison.lines)
    engine = (
        f'<p class="engine">numbers from the <b>{escape(comparison.engine)}</b> engine, {comparison.runs:,} paths '
        "per rung (both engines play the rung; <code>tests/differential/test_vector_vs_exact.py</code> holds them "
        "together)</p>"
    )
    return "".join(
        [
            '<h2 id="credit-lines">Credit lines</h2>',
            engine,
            "<p>Isolated pools with capped credit lines (the lender commits the cap out of its LPs' cash; the "
            "borrower counts the undrawn room in its reserve, draws on it for a profit its vault cannot pay or a "
            "vault left negative by its waterfall, and owes the line ahead of its own LPs), against the same pools "
            "without lines, on the same paths and population. Lines, most senior first:</p>",
            f"<ul>{lines}</ul>",
            _buys(comparison),
            "<p>Open interest per $ of LP capital: traders' open notional averaged over the run, over the LP "
            "capital of every pool at the start (the lines move LP cash between pools, not in or out). The gain is "
            "the mean of each path's difference, with its own interval.</p>",
            _costs(comparison),
            "<p>A lender's loss: the principal written off and not recovered by the end of the run, plus what "
            "settling every open position at the final price would draw on the line and leave unbacked (the "
            "borrower's final NAV, latent bad debt deducted, below zero; at most the line). It is contagion (the "
            "lender's LPs held nothing in the borrower's markets) and is counted in the credit rung's contagion. The "
            "lab's traders close only through liquidation: a winner's profit stays unrealised and a loser's shortfall "
            "is profit the pool never collects, so no line is drawn during a run and the cost is the latent one "
            "(<code>docs/credit-lines.md</code>). Below each figure, its 95% interval.</p>",
        ]
    )
