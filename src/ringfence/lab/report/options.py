"""The report's "Option markets" section: each writers' pool's Greeks over time, and what isolating it buys.

From :attr:`ringfence.lab.study.StudyResult.options` (the scenario's own design, Greeks over time) and
``options_ladder`` (per rung); empty for a study without ``venue.options``. The chart
(:func:`greeks_over_time`) draws the published at-the-money volatility and the writers' pool's net
delta, gamma and vega (the core's pool exposure), each the mean across runs with its pointwise 95%
bootstrap band.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

import numpy as np
from matplotlib import ticker
from matplotlib.figure import Figure

from ringfence.lab.estimate import Estimate
from ringfence.lab.options_results import GreekPath, OptionMarketSummary
from ringfence.lab.report import plots
from ringfence.lab.report.tables import RUNG_LABELS, Html, estimate_cell, table
from ringfence.lab.study import StudyResult

__all__ = ["greeks_over_time", "options_section"]

_PANELS = (
    ("atm_volatility", "ATM volatility\n(published)"),
    ("delta", "net delta\n(units of underlying)"),
    ("gamma", "net gamma\n(per $ of price)"),
    ("vega_per_point", "net vega\n($ per vol point)"),
)


def _band(axis: object, times: np.ndarray, path: GreekPath, colour: str) -> None:
    mean = np.array(path.mean, dtype=np.float64)
    axis.plot(times, mean, color=colour, linewidth=1.4, label="mean across runs")  # type: ignore[attr-defined]
    if all(value is not None for value in path.low + path.high):
        low = np.array(path.low, dtype=np.float64)
        high = np.array(path.high, dtype=np.float64)
        axis.fill_between(times, low, high, color=colour, alpha=0.18, linewidth=0, label="95% CI")  # type: ignore[attr-defined]


@plots._styled("option_greeks")
def greeks_over_time(market: OptionMarketSummary, step_seconds: int) -> Figure:
    """Draw the market's ATM volatility and its writers' pool's net delta, gamma and vega over the run."""
    figure, axes = plots._figure(9.0, 7.0, 4, 1)
    paths = [getattr(market, name) for name, _ in _PANELS]
    steps = len(paths[0].mean) - 1 if paths[0] is not None else 0
    times, label = plots._time_axis(steps, step_seconds)
    for index, ((_, ylabel), path) in enumerate(zip(_PANELS, paths, strict=True)):
        axis = axes[index]
        if path is None:
            plots._empty(axis, "not recorded")
            continue
        _band(axis, times, path, plots.PALETTE[index % len(plots.PALETTE)])
        axis.axhline(0.0, color=plots.MUTED, linewidth=0.6)
        axis.set_ylabel(ylabel)
        if index > 0:
            axis.sharex(axes[0])
    axes[0].yaxis.set_major_formatter(ticker.PercentFormatter(xmax=1.0, decimals=0))
    plots._legend_above(axes[0], 2)
    axes[-1].set_xlabel(label)
    return figure


_TOTALS = (
    ("premium_usd", "net premium the vault received at the open"),
    ("vault_pnl_usd", "the options' P&L for their vault"),
    ("settlement_paid_usd", "paid out at settlement, net"),
    ("writer_top_ups_usd", "margin writers added from their reserves"),
    ("liquidations", "writers liquidated"),
    ("liquidated_notional_usd", "underlying notional liquidated"),
    ("bad_debt_usd", "bad debt (shortfalls)"),
    ("latent_bad_debt_usd", "latent bad debt (open at the end)"),
    ("positions_opened", "positions opened"),
    ("openings_refused", "openings the engine refused"),
    ("smiles_refused", "smiles the engine refused"),
    ("borne_by_other_lps_usd", "of the options' P&L, borne by other markets' LPs (a loss: positive)"),
)


def _kind(name: str) -> str:
    return "ratio" if name in ("liquidations", "positions_opened", "openings_refused", "smiles_refused") else "usd"


def _cell(estimate: Estimate, name: str) -> str:
    if _kind(name) == "usd":
        return estimate_cell(estimate.value, estimate, "usd")
    value = "—" if estimate.value is None else f"{estimate.value:,.1f}"
    interval = "" if estimate.low is None or estimate.high is None else f"{estimate.low:,.1f}–{estimate.high:,.1f}"
    below = f'<span class="ci">{escape(interval)}</span>' if interval else ""
    return Html(f'<span class="figure">{escape(value)}</span>{below}')


def _ladder_table(rows: Sequence[tuple[str, tuple[OptionMarketSummary, ...]]], index: int) -> str:
    names = ("vault_pnl_usd", "borne_by_other_lps_usd", "bad_debt_usd", "latent_bad_debt_usd", "liquidations")
    headers = [
        "rung",
        "pool writing the options",
        "options' vault P&L",
        "borne by other LPs",
        "bad debt",
        "latent",
        "liquidations",
    ]
    body = []
    for rung, markets in rows:
        market = markets[index]
        body.append([RUNG_LABELS.get(rung, rung), market.pool, *(_cell(market.totals[name], name) for name in names)])
    return table(headers, body, numeric_from=2, css_class="options-ladder")


def options_section(study: StudyResult) -> str:
    """Return the "Option markets" section, or nothing when the study has no option market."""
    if not study.options:
        return ""
    step_seconds = study.base[0].step_seconds
    parts = [
        "<h2>Option markets</h2>",
        '<p class="engine">numbers from the <b>exact</b> engine (the vector engine refuses '
        "<code>venue.options</code>)</p>",
        "<p>Each option market's writers' pool is the sole counterparty of its series: its net Greeks below are "
        "the core's pool exposure (the vault's side) in the underlying, at the end of each step, at the smile the "
        "oracle's feeder published. Mean across runs with its pointwise 95% bootstrap interval.</p>",
    ]
    for index, market in enumerate(study.options):
        parts.append(f"<h3>{escape(market.market)} — written by pool <code>{escape(market.pool)}</code></h3>")
        name = f"option_greeks_{index}"
        parts.append(
            f'<figure data-plot="{name}">{plots.svg(greeks_over_time(market, step_seconds), name)}<figcaption>'
            "Top: the at-the-money volatility the oracle agent published (it rises as the price falls). Then the "
            "writers' pool's net delta, gamma and vega: short puts the traders bought make it long delta as the "
            "price falls; series that expire drop out of the book after settlement.</figcaption></figure>"
        )
        rows = [[label, _cell(market.totals[key], key)] for key, label in _TOTALS]
        rows.append(["largest |vega| of a run ($ per vol point)", _cell(market.peak_abs_vega, "usd")])
        parts.append(table(["the scenario's own design, per run", "mean (95% CI)"], rows, css_class="options-totals"))
        if study.options_ladder:
            parts.append(
                "<p>On every rung of the ladder: the options' vault P&amp;L is borne by the LPs of the pool that "
                "writes them (the shared pool on the first rungs, the options' own pool on the isolated ones). "
                "<i>Borne by other LPs</i> is the share the other markets' LPs bore (a loss is positive); the "
                "ladder's contagion above counts it only from an option market that defaulted (bad debt above the "
                "materiality threshold). <i>Latent</i>: bad debt of positions still open at the end.</p>"
            )
            parts.append(_ladder_table(study.options_ladder, index))
    return "".join(parts)
