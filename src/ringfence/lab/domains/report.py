"""A domains study over many paths and its report: where the failure's loss landed, with 95% intervals.

:func:`study_domains` plays every path with the failure and without it (the control), and, when
the failure both halts and depegs, with each part alone; it keeps per path each figure's loss from
the failure (control − failure; positive = lost). :func:`report_json` and :func:`report_html` show,
per domain and per pool, bad debt, latent bad debt, insurance drawn, LP loss and LP NAV lost, per
party the value lost, and per failure part the parties' total over every domain, each as the mean
over paths with its 95% percentile-bootstrap interval (:func:`ringfence.lab.estimate.mean_estimate`).
Exact engine only: the vector engine does not model domains.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ringfence.lab.domains.outcome import PARTIES, POOL_FIGURES, DomainOutcome, domain_outcomes
from ringfence.lab.domains.plot import loss_plot
from ringfence.lab.domains.runner import domain_uniforms, play_domains
from ringfence.lab.domains.scenario import DomainScenario
from ringfence.lab.estimate import Estimate, mean_estimate
from ringfence.lab.report.plots import svg
from ringfence.lab.report.style import CSS
from ringfence.lab.sample import sample_paths

__all__ = ["DomainStudy", "report_html", "report_json", "study_domains"]

FloatArray = NDArray[np.float64]
FIGURE_LABELS = {
    "bad_debt_usd": "bad debt (more)",
    "latent_bad_debt_usd": "latent bad debt (more)",
    "insurance_drawn_usd": "insurance drawn (more)",
    "lp_loss_usd": "LP loss (more)",
    "lp_nav_usd": "LP NAV lost",
}


@dataclass(frozen=True, slots=True)
class DomainStudy:
    """Per-path losses from the failure (control − failure, USD).

    ``pool_loss[(domain, pool, figure)]`` and ``party_loss[(domain, party)]`` for the failure as
    given; ``part_loss[(part, party)]``: the party's loss summed over every domain, per failure part
    (``as given``, and ``halt only`` / ``depeg only`` when the failure does both).
    """

    scenario: DomainScenario
    runs: int
    pool_loss: dict[tuple[str, str, str], FloatArray]
    party_loss: dict[tuple[str, str], FloatArray]
    part_loss: dict[tuple[str, str], FloatArray]
    refused_transfers: FloatArray
    unchanged_domains: dict[str, int]
    """Per domain, on how many paths its engine state was byte-identical to the control's."""


def _losses(
    kept: dict[str, DomainOutcome],
    lost: dict[str, DomainOutcome],
    pool_loss: dict[tuple[str, str, str], list[float]],
    party_loss: dict[tuple[str, str], list[float]],
) -> None:
    for name, outcome in lost.items():
        for figure in POOL_FIGURES:
            sign = 1.0 if figure == "lp_nav_usd" else -1.0
            for i, pool in enumerate(outcome.pools):
                delta = sign * (kept[name].pool_figures[figure][i] - outcome.pool_figures[figure][i])
                pool_loss.setdefault((name, pool, figure), []).append(delta)
        for party in PARTIES:
            party_loss.setdefault((name, party), []).append(kept[name].parties[party] - outcome.parties[party])


def study_domains(scenario: DomainScenario, runs: int | None = None) -> DomainStudy:
    """Play ``runs`` paths (the scenario's by default) with and without the failure (and its parts)."""
    count = scenario.base.runs if runs is None else runs
    paths = sample_paths(scenario.base, count)
    pool_loss: dict[tuple[str, str, str], list[float]] = {}
    party_loss: dict[tuple[str, str], list[float]] = {}
    part_loss: dict[tuple[str, str], list[float]] = {}
    refused: list[float] = []
    unchanged = dict.fromkeys(scenario.names, 0)
    parts = scenario.failure_parts()
    draws = {name: domain_uniforms(scenario, name, count) for name in scenario.names}
    for path in range(count):
        control = play_domains(scenario.without_failure(), paths, path, draws)
        kept = domain_outcomes(control)
        for part, failure in parts.items():
            failed = play_domains(scenario.with_failure(failure), paths, path, draws)
            lost = domain_outcomes(failed)
            for party in PARTIES:
                total = sum(kept[name].parties[party] - lost[name].parties[party] for name in scenario.names)
                part_loss.setdefault((part, party), []).append(total)
            if part != "as given":
                continue
            _losses(kept, lost, pool_loss, party_loss)
            for name in scenario.names:
                unchanged[name] += failed.state(name) == control.state(name)
            refused.append(float(sum(group.refused_transfers for group in failed.holders.values())))
    return DomainStudy(
        scenario,
        count,
        {key: np.asarray(values) for key, values in pool_loss.items()},
        {key: np.asarray(values) for key, values in party_loss.items()},
        {key: np.asarray(values) for key, values in part_loss.items()},
        np.asarray(refused),
        unchanged,
    )


def _estimate(values: FloatArray) -> dict[str, Any]:
    estimate = mean_estimate(values)
    return {"mean": estimate.value, "low": estimate.low, "high": estimate.high, "method": estimate.method}


def _pools(study: DomainStudy, name: str) -> list[str]:
    return list(dict.fromkeys(pool for (domain, pool, _) in study.pool_loss if domain == name))


def _parts(study: DomainStudy) -> list[str]:
    return list(dict.fromkeys(part for (part, _) in study.part_loss))


def report_json(study: DomainStudy) -> dict[str, Any]:
    """Return the study as JSON-ready data (every figure a mean with its interval, in USD)."""
    scenario = study.scenario
    failure = scenario.failure
    return {
        "scenario": scenario.base.name,
        "engine": "exact",
        "runs": study.runs,
        "failure": None if failure is None else failure.model_dump(),
        "loss_is": "control minus failure, per path (positive: lost because of the failure)",
        "domains": {
            name: {
                "unchanged_paths": study.unchanged_domains[name],
                "pools": {
                    pool: {figure: _estimate(study.pool_loss[(name, pool, figure)]) for figure in POOL_FIGURES}
                    for pool in _pools(study, name)
                },
                "parties": {party: _estimate(study.party_loss[(name, party)]) for party in PARTIES},
            }
            for name in scenario.names
        },
        "parties_all_domains": {
            part: {party: _estimate(study.part_loss[(part, party)]) for party in PARTIES} for part in _parts(study)
        },
        "refused_bridge_transfers": _estimate(study.refused_transfers) if study.refused_transfers.size else None,
    }


def _money(value: float) -> str:
    return f"−${-value:,.0f}" if value < 0 else f"${value:,.0f}"


def _cell(estimate: Estimate) -> str:
    if estimate.value is None:
        return "n/a"
    if estimate.low is None or estimate.high is None:
        return _money(estimate.value)
    return f"{_money(estimate.value)}<br><span class=note>[{_money(estimate.low)}, {_money(estimate.high)}]</span>"


def _table(head: list[str], rows: list[list[str]]) -> str:
    # the interval sits under its mean, so a pool's five figures fit a 1280 px window without scrolling
    header = "".join(f"<th{' class=num' if i else ''}>{html.escape(h)}</th>" for i, h in enumerate(head))
    body = "".join(
        "<tr>" + "".join(f"<td{' class=num' if i else ''}>{c}</td>" for i, c in enumerate(row)) + "</tr>"
        for row in rows
    )
    return f"<div class=table-wrap><table><thead><tr>{header}</tr></thead><tbody>{body}</tbody></table></div>"


def _domain_section(study: DomainStudy, name: str) -> str:
    pool_rows = [
        [html.escape(pool)] + [_cell(mean_estimate(study.pool_loss[(name, pool, f)])) for f in POOL_FIGURES]
        for pool in _pools(study, name)
    ]
    party_rows = [[party, _cell(mean_estimate(study.party_loss[(name, party)]))] for party in PARTIES]
    same = study.unchanged_domains[name]
    verdict = f"engine state byte-identical to the control on {same} of {study.runs} paths"
    return (
        f"<h3>{html.escape(name)}</h3><p class=note>{verdict}</p>"
        + _table(["pool", *(FIGURE_LABELS[f] for f in POOL_FIGURES)], pool_rows)
        + _table(["party", "value lost"], party_rows)
    )


def _parts_section(study: DomainStudy) -> str:
    parts = _parts(study)
    rows = [[party] + [_cell(mean_estimate(study.part_loss[(part, party)])) for part in parts] for party in PARTIES]
    return (
        "<h2>Which part of the failure</h2><p>Value lost by each party over every domain, with the failure as "
        "given and, when it both halts and depegs, with each part alone (same paths).</p>"
        + _table(["party", *parts], rows)
    )


def report_html(study: DomainStudy) -> str:
    """Return a self-contained HTML page: per domain, per pool and per party, where the loss landed."""
    scenario = study.scenario
    failure = scenario.failure
    described = "no failure" if failure is None else html.escape(json.dumps(failure.model_dump()))
    sections = "".join(_domain_section(study, name) for name in scenario.names)
    refused = (
        _cell(mean_estimate(study.refused_transfers)).replace("$", "").replace("<br>", " ")
        if study.refused_transfers.size
        else "0"
    )
    figure = svg(loss_plot(study.scenario.names, PARTIES, study.party_loss), "domains-loss")
    return f"""<!doctype html><html lang=en><head><meta charset=utf-8>
<title>{html.escape(scenario.base.name)}: where the bridge failure's loss lands</title><style>{CSS}</style></head><body>
<header><p class=kicker>ringfence stress lab · domains</p><h1>{html.escape(scenario.base.name)}</h1>
<p class=description>{html.escape(scenario.base.description)}</p>
<span class=engine>engine <b>exact</b> (the vector engine does not model domains)</span></header>
<h2>Where the loss landed</h2>
<p>Failure: <code>{described}</code>. Every path is played twice, with the failure and without it (same prices,
populations and uniforms); each figure is the mean over {study.runs} paths of <b>control − failure</b> (positive:
lost because of the failure) with its 95% percentile-bootstrap interval. Bad debt counts shortfalls of liquidations
and collateral auctions; latent bad debt the negative equity of units still open at the end; LP NAV lost includes
the LPs' trading P&amp;L. Parties' value is marked at the final market prices (the wrapped asset at its depegged
price); <i>holders</i> are the wrapped asset's holders on every domain (their reserve on the native side included),
<i>liquidators</i> the keepers and the auction keeper. Holders' top-ups refused by the halted bridge: {refused} per
path.</p>
<figure>{figure}<figcaption>Value lost by party on each domain (mean over {study.runs} paths, whiskers: 95%
intervals). A negative value is a gain: the holders' reserve kept on the native side by the halt, the auction
keeper buying the wrapped asset cheap.</figcaption></figure>
{sections}
{_parts_section(study)}
</body></html>"""
