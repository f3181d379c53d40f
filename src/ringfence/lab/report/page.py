"""The report page: sections of HTML around the plots and tables, each saying which engine made its numbers."""

from __future__ import annotations

from html import escape

import numpy as np

from ringfence import __version__
from ringfence.lab.metrics import Summary, order_rank
from ringfence.lab.report import plots
from ringfence.lab.report.credit_lines import credit_lines_section
from ringfence.lab.report.findings import has_attacker, key_finding, worst_run
from ringfence.lab.report.options import options_section
from ringfence.lab.report.predictive import predictive_section
from ringfence.lab.report.style import CSS
from ringfence.lab.report.tables import (
    LADDER_COLUMNS,
    RUNG_LABELS,
    assumptions_table,
    containment_table,
    count,
    duration,
    estimate_cell,
    frontier_table,
    keeper_table,
    ladder_key_table,
    ladder_table,
    money,
    ordinal,
    pool_estimates_table,
    pool_table,
    sensitivity_table,
)
from ringfence.lab.study import StudyResult, StudySection

__all__ = ["page"]


def _engine(study: StudyResult, section: StudySection) -> str:
    return f'<p class="engine">numbers from the <b>{escape(study.engine_for(section))}</b> engine</p>'


def _figure(name: str, svg: str, caption: str) -> str:
    return f'<figure data-plot="{name}">{svg}<figcaption>{caption}</figcaption></figure>'


def _source(text: str) -> str:
    if text.startswith(("https://", "http://")):
        return f'<li><a href="{escape(text, quote=True)}">{escape(text)}</a></li>'
    return f"<li>{escape(text)}</li>"


def tail_note(runs: int) -> str:
    """Say which observed losses VaR95 and EVaR99 are, and what that means with few runs."""
    if runs == 1:
        return "With 1 run, VaR95 and EVaR99 are that run's loss: one run says nothing about a tail."
    var_rank, evar_rank = order_rank(95.0, runs), order_rank(99.0, runs)
    text = (
        f"With {runs} runs, VaR95 is the {ordinal(var_rank)} smallest of the {runs} losses and EVaR99 "
        f"the {ordinal(evar_rank)}: observed losses, never an interpolation between runs."
    )
    if evar_rank == runs:
        text += (
            " EVaR99 is the largest loss observed: with 100 runs or fewer it cannot say how much worse a rarer"
            " path would be; run more paths (the vectorised engine) for the far tail."
        )
    return text


def _header(study: StudyResult) -> str:
    first = study.base[0]
    steps = first.market_prices.shape[1] - 1
    sources = f'<ul class="sources">{"".join(_source(s) for s in study.sources)}</ul>' if study.sources else ""
    labels: tuple[tuple[StudySection, str], ...] = (
        ("base", "base runs"),
        ("ladder", "ladder"),
        ("frontier", "frontier"),
        ("keeper_sweep", "keeper sweep"),
    )
    engines = ", ".join(
        f"{label}: <b>{escape(study.engine_for(section))}</b>"
        for section, label in labels
        if section != "keeper_sweep" or study.keeper_sweep
    )
    facts = [
        ("seed", str(study.seed)),
        ("runs per design", str(study.runs_per_design)),
        ("base design", f"{RUNG_LABELS[first.isolation]}, margin ×{first.margin_scale:g}"),
        ("assets", ", ".join(first.assets)),
        ("pools", ", ".join(first.pools)),
        ("horizon", f"{duration(steps * first.step_seconds)}: {steps} steps of {duration(first.step_seconds)}"),
    ]
    rows = "".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in facts)
    return (
        '<header><p class="kicker">ringfence stress report</p>'
        f"<h1>{escape(study.scenario_name)}</h1>"
        f'<p class="description">{escape(study.description) or "No description in the scenario file."}</p>'
        f'{sources}<dl class="facts">{rows}<dt>engines</dt><dd>{engines}</dd></dl></header>'
    )


_CARDS: tuple[tuple[str, str, str, str], ...] = (
    ("bad debt, mean", "bad_debt_mean_usd", "usd", "protocol loss per run"),
    ("VaR95", "var95_usd", "usd", "exceeded in 1 run in 20"),
    ("EVaR99", "evar99_usd", "usd", "exceeded in 1 run in 100"),
    ("LaR95", "lar95_usd", "usd", "liquidated value"),
    ("contagion, mean", "contagion_mean_usd", "usd", "borne by the uninvolved"),
    ("capital efficiency", "capital_efficiency_mean", "ratio", "open notional / collateral"),
)


def _card(label: str, cell: str, note: str) -> str:
    return (
        f'<div class="card"><div class="label">{escape(label)}</div><div class="value">{cell}</div>'
        f'<div class="note">{escape(note)}</div></div>'
    )


def _cards(summary: Summary, *, attacker: bool) -> str:
    cards = list(_CARDS)
    if attacker:
        cards.append(("attacker profit, mean", "attacker_profit_mean_usd", "usd", "withdrawn minus deposited"))
    body = "".join(
        _card(
            label,
            estimate_cell(float(getattr(summary, field)), summary.intervals.get(field), kind, label_interval=True),
            note,
        )
        for label, field, kind, note in cards
    )
    liquidations = _card(
        "liquidations, mean", escape(count(summary.liquidation_count_mean)), f"max {summary.liquidation_count_max}"
    )
    unserved = ""
    if summary.unserved_share is not None:
        unserved = _card(
            "found no profitable keeper",
            estimate_cell(
                summary.unserved_share, summary.intervals.get("unserved_share"), "share", label_interval=True
            ),
            "of the liquidations asked for (bonus below gas)",
        )
    return f'<div class="cards">{body}{liquidations}{unserved}</div>'


def _pools(summary: Summary) -> str:
    if summary.per_pool:
        return (
            '<h3>Per pool</h3><p class="note">Mean across runs or percentile; below each figure its 95% '
            "confidence interval.</p>" + pool_estimates_table(summary)
        )
    return (
        '<h3>Per pool</h3><p class="note">This study computed no per-pool tail figures or intervals; the '
        "table shows the per-pool means only.</p>" + pool_table(summary)
    )


def _base(study: StudyResult, summary: Summary) -> str:
    first = study.base[0]
    runs = len(study.base)
    losses = np.array([run.protocol_loss_usd for run in study.base], dtype=np.float64)
    worst = worst_run(study.base)
    parts = [
        "<h2>The scenario's own design</h2>",
        _engine(study, "base"),
        f"<p>{runs} run{'s' if runs != 1 else ''} of the design the scenario file describes "
        f"({escape(RUNG_LABELS[first.isolation])}, margin ×{first.margin_scale:g}). Below each figure, its 95% "
        "confidence interval when the study computed one.</p>",
        _cards(summary, attacker=has_attacker(study)),
        _pools(summary),
        "<h3>The worst run's cascade</h3>",
        _figure(
            "cascade",
            plots.svg(plots.cascade(worst), "cascade"),
            f"Path {worst.path_index}, the run of the base design with the largest protocol loss "
            f"({escape(money(worst.protocol_loss_usd))} of bad debt"
            + (f" of {runs} runs" if runs > 1 else ", the only run")
            + "). <b>Top</b>: each asset's price as a change from its start; <b>solid</b> the traded market "
            "after liquidation impact, <b>dashed steps</b> what the oracle reported. The venue margins at the "
            "dashed line, so a gap between them (oracle lag, a frozen or manipulated feed) is where bad debt comes "
            "from. <b>Middle</b>: notional liquidated per step, stacked by pool. <b>Bottom</b>: each pool's LP "
            "vault value as a change from its start.",
        ),
        "<h3>Liquidations over time</h3>",
        _figure(
            "liquidation_timeline",
            plots.svg(plots.liquidation_timeline(study.base), "liquidation_timeline"),
            f"Liquidations per grid step, averaged over the {runs} run{'s' if runs != 1 else ''} and stacked by "
            "pool. <b>Top</b>: how many; <b>bottom</b>: notional closed at the oracle. Bursts that outlast the "
            "price move that started them are cascades: liquidation sales move the price through the depth model "
            "and push more accounts below maintenance.",
        ),
        "<h3>Bad debt across runs</h3>",
        _figure(
            "bad_debt_distribution",
            plots.svg(plots.bad_debt_distribution(losses, summary), "bad_debt_distribution"),
            _distribution_caption(runs),
        ),
    ]
    return "".join(parts)


def _distribution_caption(runs: int) -> str:
    if runs < plots.STRIP_BELOW_RUNS:
        shape = f"One dot per run: with {runs} run{'s' if runs != 1 else ''} a histogram would show nothing. "
    else:
        shape = "Each bar counts the runs whose protocol loss (bad debt summed over pools) fell in its range. "
    return (
        shape + "<b>Dotted</b>: mean; <b>dashed</b>: VaR95; <b>solid</b>: EVaR99; shaded: their 95% intervals "
        "when computed. A wide gap between VaR95 and EVaR99 means rare paths cost far more than typical ones. "
        + escape(tail_note(runs))
    )


def _ladder(study: StudyResult) -> str:
    if not study.ladder:
        return ""
    full = len(LADDER_COLUMNS) + 3
    return "".join(
        [
            "<h2>Isolation ladder</h2>",
            _engine(study, "ladder"),
            "<p>The same population and the same paths on every rung, from the least isolated (one shared pool, "
            "cross margin) to the most (a pool per market, margin inside each position). Below each figure, its "
            "95% confidence interval when the study computed one.</p>",
            ladder_key_table(study.ladder, attacker=has_attacker(study)),
            f'<details class="full-table"><summary>All {full} columns of the ladder</summary>'
            f"{ladder_table(study.ladder)}</details>",
            _figure(
                "ladder",
                plots.svg(plots.ladder(study.ladder), "ladder"),
                "Mean across runs of each loss measure (VaR95 is a percentile), rung by rung. Bad debt is what "
                "defaulting accounts did not cover; contagion is what LPs and traders who held nothing in a market "
                "that defaulted lost to it, the profit a shared vault paid out there included. On the isolated "
                "rungs every LP's home is its pool's market, so "
                "contagion is zero by construction of the pools, but for what a pool loses on a credit line it lent "
                "(the credit-lines rung).",
            ),
        ]
    )


def _sensitivity(study: StudyResult) -> str:
    base = study.sensitivity_base
    if base is None or not study.sensitivity:
        return ""
    return "".join(
        [
            "<h2>What moves the result: sensitivity</h2>",
            _engine(study, "base"),
            "<p>The scenario's own design replayed with one input at a time moved down and up, every other input "
            "as written. The widest bars are the assumptions the result rests on most.</p>",
            _figure(
                "sensitivity",
                plots.svg(plots.sensitivity(base, study.sensitivity), "sensitivity"),
                "Mean protocol loss per run with each input at its low (<b>blue</b>) and high (<b>red</b>) "
                "setting; whiskers are each setting's 95% interval, the shaded band the interval with every "
                "input as written. Bars whose whiskers cross the band are not told apart from the scenario as "
                "written by these runs.",
            ),
            sensitivity_table(base, study.sensitivity),
        ]
    )


def _assumptions(study: StudyResult) -> str:
    if not study.assumptions:
        return ""
    return (
        "<h2>Assumptions</h2><p>Each calibrated or chosen value the study rests on, and where it comes from.</p>"
        + assumptions_table(study.assumptions)
    )


def _not_computed(study: StudyResult) -> str:
    """Say which sections the study has no data for (the key finding already says when it has no intervals)."""
    missing = []
    if study.sensitivity_base is None or not study.sensitivity:
        missing.append("a sensitivity analysis (tornado)")
    if not study.assumptions:
        missing.append("a table of assumptions and their sources")
    if not missing:
        return ""
    return f'<p class="note not-computed">This study did not compute {escape(_join(missing))}.</p>'


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " or " + items[-1]


def _frontier(study: StudyResult) -> str:
    return "".join(
        [
            "<h2>Frontier: capital efficiency against contagion</h2>",
            _engine(study, "frontier"),
            _figure(
                "frontier",
                plots.svg(plots.frontier(study.frontier), "frontier"),
                "Each point is one design: a rung of the ladder with every margin multiplied by the label (×1 = "
                "as in the file). <b>Right</b> = more open notional carried per dollar of collateral; <b>up</b> = "
                "more loss spread to those who held nothing in the defaulting positions. Lower right is better: "
                "where one rung's line runs below another's at the same efficiency, it buys that efficiency with "
                "less contagion.",
            ),
            frontier_table(study.frontier),
            _static_frontier(study),
        ]
    )


def _static_frontier(study: StudyResult) -> str:
    """With dynamic margins on: the same designs with the risk model off, to set against the frontier above."""
    if not study.static_frontier:
        return ""
    return "".join(
        [
            "<h3>Static against dynamic margins</h3>",
            _figure(
                "frontier-static",
                plots.svg(plots.frontier(study.frontier, static=study.static_frontier), "frontier-static"),
                "<b>Solid</b>: the frontier above, each market's margins moved with its EWMA volatility, one "
                "bounded step per update (<code>[venue.dynamic_margin]</code>). <b>Dashed, hollow</b>: the same "
                "designs, paths and traders with the risk model off, every margin at its static rate (×scale) "
                "throughout. The table lists the static points.",
            ),
            frontier_table(study.static_frontier),
        ]
    )


def _keepers(study: StudyResult) -> str:
    if not study.keeper_sweep:
        return ""
    return "".join(
        [
            "<h2>Keeper latency</h2>",
            _engine(study, "keeper_sweep"),
            _figure(
                "keeper_sweep",
                plots.svg(plots.keeper_sweep(study.keeper_sweep), "keeper_sweep"),
                "The base design replayed with every keeper waiting the latency on the x axis before it may "
                "liquidate a unit below maintenance. <b>Solid</b>: mean protocol loss; <b>dashed</b>: VaR95. The "
                "slope is what each second of keeper delay costs the venue.",
            ),
            keeper_table(study.keeper_sweep),
        ]
    )


def _containment(study: StudyResult) -> str:
    if not study.containment:
        return ""
    return "".join(
        [
            "<h2>Which mechanism contained the attack</h2>",
            '<p class="note">Exact engine. The scenario\'s own design replayed on the same paths with one '
            "mechanism switched off at a time; a mechanism the design does not use shows the design's own "
            "figures. Means across runs; protocol loss includes latent bad debt.</p>",
            containment_table(study.containment),
        ]
    )


_METHOD = """
<h2>How the numbers are defined</h2>
<dl class="defs">
<dt>Protocol loss, bad debt</dt><dd>The shortfall of every bankrupt close (what the account's equity did not
cover), whoever absorbed it: insurance, backstop budget, ADL or LPs. Per pool, then summed.</dd>
<dt>VaR95, EVaR99</dt><dd>The 95th and 99th percentiles of protocol loss across runs (Chaos Labs' Value at Risk
and Extreme VaR; Gauntlet's VaR is the same 95th percentile). A percentile of <i>n</i> runs is the
&lceil;p&middot;n/100&rceil;-th smallest loss, always a loss some run had.</dd>
<dt>95% confidence interval; "needs &ge; N runs"</dt><dd>Beside or below a figure, the range that covers its
true value in 95% of studies like this one (the method is named under the key finding). A figure the runs cannot
support (a tail with too few runs beyond its percentile) is not printed: the report gives the fewest runs that
would support it.</dd>
<dt>LaR95</dt><dd>The 95th percentile of liquidated value (notional closed by liquidations) across runs (Gauntlet,
Liquidations at Risk).</dd>
<dt>Latent bad debt</dt><dd>Protocol loss is bad debt plus the latent bad debt of positions still open and
underwater at the end of a run (their negative equity at the final market price).</dd>
<dt>Contagion</dt><dd>Per LP, the net loss it bears from markets other than its home market that defaulted in the
run (bad debt, realised or latent, above $1), summed over LPs: the vault's P&amp;L attributed per market (fees,
traders' realised and unrealised PnL, shortfall), so the profit a shared vault pays out in a defaulting market
counts; plus profit forgone by traders auto-deleveraged for another market's shortfall. What a shared vault's
LPs win or lose to a market that did not default is risk sharing, not contagion.</dd>
<dt>Execution cost, no profitable keeper</dt><dd>A liquidation executes at the market price after its own
impact, not at the oracle; the gap and the slippage (the table's "slippage") are charged to the account and, past
its equity, down the pool's waterfall. Where the scenario prices gas, a keeper acts only when its bonus exceeds the
gas; "found no profitable keeper" is the share of the liquidations asked for that none took.</dd>
<dt>Insurance drawdown</dt><dd>Per pool, the largest fall of the insurance fund from its running peak; a run's
figure sums the pools.</dd>
<dt>Capital efficiency</dt><dd>Time-averaged open notional divided by the collateral traders deposited (initial
deposits and top-ups).</dd>
<dt>Liquidation delay</dt><dd>Seconds between a unit first falling below maintenance and its liquidation,
averaged over every liquidation of every run.</dd>
</dl>
<p class="note">The full model (step order, agents, depth, keepers) is <code>docs/stress-model.md</code>.</p>
"""


def page(study: StudyResult) -> str:
    """Return the whole report as one self-contained HTML document."""
    summary = study.base_summary()
    runs = len(study.base)
    warning = ""
    if order_rank(95.0, runs) == runs:
        warning = (
            f'<p class="callout">Only {runs} run{"s" if runs != 1 else ""} per design: VaR95 and EVaR99 are both the '
            "largest loss observed, not estimates of a distribution's tail.</p>"
        )
    sections = [
        _header(study),
        key_finding(study, summary),
        _not_computed(study),
        warning,
        _base(study, summary),
        _ladder(study),
        credit_lines_section(study),
        options_section(study),
        _sensitivity(study),
        _assumptions(study),
        _frontier(study),
        _keepers(study),
        _containment(study),
        predictive_section(study),
        _METHOD,
    ]
    body = "".join(sections)
    title = escape(f"Stress report: {study.scenario_name}")
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{title}</title><style>{CSS}</style></head><body>{body}"
        f"<footer>ringfence {escape(__version__)} &middot; seed {study.seed} &middot; the same seed and "
        "version produce this page byte for byte.</footer></body></html>\n"
    )
