"""A domains study over many paths and its report: where the failure's loss landed, with 95% intervals.

:func:`study_domains` plays every path twice (with the failure, and the control without it) and
keeps, per path, each figure's loss from the failure (control − failure; positive = lost).
:func:`report_json` and :func:`report_html` show, per domain and per pool, the bad debt, insurance
drawn, LP loss and LP NAV lost, and per party the value lost, each as the mean over paths with its
95% percentile-bootstrap interval (:func:`ringfence.lab.estimate.mean_estimate`). Exact engine only:
the vector engine does not model domains.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass
from typing import Any

import numpy as np

from ringfence.lab.domains.outcome import PARTIES, POOL_FIGURES, domain_outcomes
from ringfence.lab.domains.runner import play_domains
from ringfence.lab.domains.scenario import DomainScenario
from ringfence.lab.estimate import Estimate, mean_estimate
from ringfence.lab.report.style import CSS
from ringfence.lab.sample import sample_paths

__all__ = ["DomainStudy", "report_html", "report_json", "study_domains"]

FIGURE_LABELS = {
    "bad_debt_usd": "bad debt (more)",
    "insurance_drawn_usd": "insurance drawn (more)",
    "lp_loss_usd": "LP loss (more)",
    "lp_nav_usd": "LP NAV lost",
}


@dataclass(frozen=True, slots=True)
class DomainStudy:
    """Per-path losses from the failure: ``pool_loss[(domain, pool, figure)]`` and ``party_loss[(domain, party)]``."""

    scenario: DomainScenario
    runs: int
    pool_loss: dict[tuple[str, str, str], np.ndarray]
    party_loss: dict[tuple[str, str], np.ndarray]
    refused_transfers: np.ndarray
    unchanged_domains: dict[str, int]
    """Per domain, on how many paths its engine state was byte-identical to the control's."""


def study_domains(scenario: DomainScenario, runs: int | None = None) -> DomainStudy:
    """Play ``runs`` paths (the scenario's by default) with and without the failure; return the losses."""
    count = scenario.base.runs if runs is None else runs
    paths = sample_paths(scenario.base, count)
    pool_loss: dict[tuple[str, str, str], list[float]] = {}
    party_loss: dict[tuple[str, str], list[float]] = {}
    refused: list[float] = []
    unchanged = dict.fromkeys(scenario.names, 0)
    control_scenario = scenario.without_failure()
    for path in range(count):
        failed, control = play_domains(scenario, paths, path), play_domains(control_scenario, paths, path)
        lost, kept = domain_outcomes(failed), domain_outcomes(control)
        for name in scenario.names:
            unchanged[name] += failed.state(name) == control.state(name)
            for figure in POOL_FIGURES:
                sign = 1.0 if figure == "lp_nav_usd" else -1.0
                for i, pool in enumerate(lost[name].pools):
                    delta = sign * (kept[name].pool_figures[figure][i] - lost[name].pool_figures[figure][i])
                    pool_loss.setdefault((name, pool, figure), []).append(delta)
            for party in PARTIES:
                party_loss.setdefault((name, party), []).append(kept[name].parties[party] - lost[name].parties[party])
        refused.append(float(sum(group.refused_transfers for group in failed.holders.values())))
    return DomainStudy(
        scenario,
        count,
        {key: np.asarray(values) for key, values in pool_loss.items()},
        {key: np.asarray(values) for key, values in party_loss.items()},
        np.asarray(refused),
        unchanged,
    )


def _estimate(values: np.ndarray) -> dict[str, Any]:
    estimate = mean_estimate(values)
    return {"mean": estimate.value, "low": estimate.low, "high": estimate.high, "method": estimate.method}


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
                    for pool in dict.fromkeys(p for (d, p, _) in study.pool_loss if d == name)
                },
                "parties": {party: _estimate(study.party_loss[(name, party)]) for party in PARTIES},
            }
            for name in scenario.names
        },
        "refused_bridge_transfers": _estimate(study.refused_transfers),
    }


def _cell(estimate: Estimate) -> str:
    if estimate.value is None:
        return "n/a"
    if estimate.low is None or estimate.high is None:
        return f"${estimate.value:,.0f}"
    return f"${estimate.value:,.0f} <span class=note>[{estimate.low:,.0f}, {estimate.high:,.0f}]</span>"


def _domain_section(study: DomainStudy, name: str) -> str:
    pools = list(dict.fromkeys(p for (d, p, _) in study.pool_loss if d == name))
    head = "".join(f"<th class=num>{html.escape(FIGURE_LABELS[f])}</th>" for f in POOL_FIGURES)
    rows = "".join(
        f"<tr><td>{html.escape(pool)}</td>"
        + "".join(f"<td class=num>{_cell(mean_estimate(study.pool_loss[(name, pool, f)]))}</td>" for f in POOL_FIGURES)
        + "</tr>"
        for pool in pools
    )
    parties = "".join(
        f"<tr><td>{party}</td><td class=num>{_cell(mean_estimate(study.party_loss[(name, party)]))}</td></tr>"
        for party in PARTIES
    )
    same = study.unchanged_domains[name]
    verdict = (
        f"engine state byte-identical to the control on {same} of {study.runs} paths"
        if same
        else f"engine state differs from the control on every one of the {study.runs} paths"
    )
    return (
        f"<h3>{html.escape(name)}</h3><p class=note>{verdict}</p>"
        f"<div class=table-wrap><table><thead><tr><th>pool</th>{head}</tr></thead><tbody>{rows}</tbody></table></div>"
        "<div class=table-wrap><table><thead><tr><th>party</th><th class=num>value lost</th></tr></thead>"
        f"<tbody>{parties}</tbody></table></div>"
    )


def report_html(study: DomainStudy) -> str:
    """Return a self-contained HTML page: per domain, per pool and per party, where the loss landed."""
    scenario = study.scenario
    failure = scenario.failure
    described = "no failure" if failure is None else html.escape(json.dumps(failure.model_dump()))
    sections = "".join(_domain_section(study, name) for name in scenario.names)
    return f"""<!doctype html><html lang=en><head><meta charset=utf-8>
<title>{html.escape(scenario.base.name)}: where the bridge failure's loss lands</title><style>{CSS}</style></head><body>
<header><p class=kicker>ringfence stress lab · domains</p><h1>{html.escape(scenario.base.name)}</h1>
<p class=description>{html.escape(scenario.base.description)}</p>
<span class=engine>engine <b>exact</b> (the vector engine does not model domains)</span></header>
<h2>Where the loss landed</h2>
<p>Failure: <code>{described}</code>. Every path is played twice, with the failure and without it (same prices,
populations and uniforms); each figure is the mean over {study.runs} paths of <b>control − failure</b> (positive:
lost because of the failure) with its 95% percentile-bootstrap interval. Bad debt counts shortfalls of liquidations
and collateral auctions; LP NAV lost includes the LPs' trading P&amp;L. Parties' value is marked at the final market
prices (the wrapped asset at its depegged price); <i>holders</i> are the wrapped asset's holders on every domain
(their reserve on the native side included), <i>liquidators</i> the keepers and the auction keeper. Holders' top-ups
refused by the halted bridge: {_cell(mean_estimate(study.refused_transfers)).replace("$", "")} per path.</p>
{sections}
</body></html>"""
