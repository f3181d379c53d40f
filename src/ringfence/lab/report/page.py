"""The report page: sections of HTML around the plots and tables, each saying which engine made its numbers."""

from __future__ import annotations

from html import escape

import numpy as np

from ringfence import __version__
from ringfence.lab.metrics import Summary, order_rank
from ringfence.lab.report import plots
from ringfence.lab.report.style import CSS
from ringfence.lab.report.tables import (
    RUNG_LABELS,
    containment_table,
    count,
    duration,
    frontier_table,
    keeper_table,
    ladder_table,
    ordinal,
    pool_table,
    ratio,
    usd,
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


def _cards(summary: Summary) -> str:
    cards = [
        ("bad debt, mean", usd(summary.bad_debt_mean_usd), f"median {usd(summary.bad_debt_median_usd)}"),
        ("VaR95", usd(summary.var95_usd), "protocol loss"),
        ("EVaR99", usd(summary.evar99_usd), "protocol loss"),
        ("LaR95", usd(summary.lar95_usd), "liquidated value"),
        ("contagion, mean", usd(summary.contagion_mean_usd), f"max {usd(summary.contagion_max_usd)}"),
        ("liquidations, mean", count(summary.liquidation_count_mean), f"max {summary.liquidation_count_max}"),
        ("capital efficiency", ratio(summary.capital_efficiency_mean), "open notional / collateral"),
    ]
    body = "".join(
        f'<div class="card"><div class="label">{escape(label)}</div><div class="value">{escape(value)}</div>'
        f'<div class="note">{escape(note)}</div></div>'
        for label, value, note in cards
    )
    return f'<div class="cards">{body}</div>'


def _base(study: StudyResult, summary: Summary) -> str:
    first = study.base[0]
    runs = len(study.base)
    losses = np.array([run.protocol_loss_usd for run in study.base], dtype=np.float64)
    parts = [
        "<h2>The scenario's own design</h2>",
        _engine(study, "base"),
        f"<p>{runs} runs of the design the scenario file describes "
        f"({escape(RUNG_LABELS[first.isolation])}, margin ×{first.margin_scale:g}).</p>",
        _cards(summary),
        "<h3>Prices and oracle</h3>",
        _figure(
            "prices",
            plots.svg(plots.prices(first), "prices"),
            f"Path {first.path_index} of the base design. <b>Solid</b>: the traded market price after liquidation "
            "impact; <b>dashed steps</b>: what the venue's oracle reported. The venue margins at the dashed line "
            "while positions unwind at the solid one, so a gap between them (oracle lag, a frozen or manipulated "
            "feed) is where bad debt comes from.",
        ),
        "<h3>Liquidations over time</h3>",
        _figure(
            "liquidation_timeline",
            plots.svg(plots.liquidation_timeline(study.base), "liquidation_timeline"),
            f"Liquidations per grid step, averaged over the {runs} runs and stacked by pool. <b>Top</b>: how "
            "many; <b>bottom</b>: notional closed at the oracle. Bursts that outlast the price move that started "
            "them are cascades: liquidation sales move the price through the depth model and push more accounts "
            "below maintenance.",
        ),
        pool_table(summary),
        "<h3>Bad debt across runs</h3>",
        _figure(
            "bad_debt_distribution",
            plots.svg(plots.bad_debt_distribution(losses, summary), "bad_debt_distribution"),
            "Each bar counts the runs whose protocol loss (bad debt summed over pools) fell in its range. "
            "<b>Dotted</b>: mean; <b>dashed</b>: VaR95; <b>solid</b>: EVaR99. A wide gap between VaR95 and "
            f"EVaR99 means rare paths cost far more than typical ones. {escape(tail_note(runs))}",
        ),
    ]
    return "".join(parts)


def _ladder(study: StudyResult) -> str:
    if not study.ladder:
        return ""
    return "".join(
        [
            "<h2>Isolation ladder</h2>",
            _engine(study, "ladder"),
            "<p>The same population and the same paths on every rung, from the least isolated (one shared pool, "
            "cross margin) to the most (a pool per market, margin inside each position).</p>",
            _figure(
                "ladder",
                plots.svg(plots.ladder(study.ladder), "ladder"),
                "Mean across runs of each loss measure (VaR95 is a percentile), rung by rung. Bad debt is what "
                "defaulting accounts did not cover; contagion is the part of it borne by LPs and traders who held "
                "nothing in the defaulting market. On the isolated rungs every LP's home is its pool's market, so "
                "contagion is zero by construction of the pools.",
            ),
            ladder_table(study.ladder),
        ]
    )


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
<dt>LaR95</dt><dd>The 95th percentile of liquidated value (notional closed by liquidations) across runs (Gauntlet,
Liquidations at Risk).</dd>
<dt>Latent bad debt</dt><dd>Protocol loss is bad debt plus the latent bad debt of positions still open and
underwater at the end of a run (their negative equity at the final market price).</dd>
<dt>Contagion</dt><dd>Per LP, the net loss it bears from markets other than its home market (the vault's P&amp;L
attributed per market: fees, traders' realised and unrealised PnL, shortfall), summed over LPs; plus profit
forgone by traders auto-deleveraged for another market's shortfall.</dd>
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
            f'<p class="callout">Only {runs} runs per design: VaR95 and EVaR99 are both the largest loss '
            "observed, not estimates of a distribution's tail.</p>"
        )
    body = "".join(
        [
            _header(study),
            warning,
            _base(study, summary),
            _ladder(study),
            _frontier(study),
            _keepers(study),
            _containment(study),
            _METHOD,
        ]
    )
    title = escape(f"Stress report: {study.scenario_name}")
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{title}</title><style>{CSS}</style></head><body>{body}"
        f"<footer>ringfence {escape(__version__)} &middot; seed {study.seed} &middot; the same seed and "
        "version produce this page byte for byte.</footer></body></html>\n"
    )
