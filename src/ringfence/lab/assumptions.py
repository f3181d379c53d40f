"""The assumptions a study rests on: each calibrated or chosen value of a scenario with its source.

The report prints them as a table, so a reader can see which numbers drive the results and
where each came from. :func:`scenario_assumptions` lists them for a scenario; a value's source is
the first entry of the scenario's ``sources`` that names it (case-insensitive, see
:func:`source_for`), else :data:`UNSOURCED`, so a value nobody sourced shows up as such.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path

from ringfence.lab.scenario import (
    CorrelatedGbmProcess,
    CorrelatedJumpDiffusionProcess,
    EventProcess,
    GarchProcess,
    GbmProcess,
    HistoricalProcess,
    JumpDiffusionProcess,
    PriceProcessModel,
    Scenario,
    market_impact,
)

__all__ = ["UNSOURCED", "Assumption", "scenario_assumptions", "source_for"]

UNSOURCED = "chosen: no source given in the scenario file"
SALE_USD = 1_000_000.0
"""The sale whose impact the table shows per market (the issue's yardstick)."""


@dataclass(frozen=True, slots=True)
class Assumption:
    """One value a study assumes.

    Attributes
    ----------
    name:
        What it is, with its market when it has one (``"BTC depth (USD for 1σ daily move)"``).
    value:
        As printed (with its unit).
    source:
        Where it comes from: a calibration (file, window, command) or a cited document and date;
        ``"chosen"`` with the reason when it is a modelling choice.
    """

    name: str
    value: str
    source: str


def source_for(sources: list[str], first: str, *words: str) -> str:
    """Return the first entry of ``sources`` that starts with ``first`` and holds every word of ``words``.

    Case-insensitive, whole words: ``source_for(sources, "BTC", "daily_volume_usd")`` finds
    ``"BTC daily_volume_usd 1.091e10: Glassnode ..."``, ``source_for(sources, "Keepers")`` finds
    ``"Keepers: chosen ..."``; :data:`UNSOURCED` when none does.
    """
    start = re.compile(rf"\s*{re.escape(first)}(?![A-Za-z0-9_])", re.IGNORECASE)
    patterns = [re.compile(rf"(?<![A-Za-z0-9_]){re.escape(word)}(?![A-Za-z0-9_])", re.IGNORECASE) for word in words]
    for entry in sources:
        if start.match(entry) and all(pattern.search(entry) for pattern in patterns):
            return entry
    return UNSOURCED


def _first_source(sources: list[str], *alternatives: tuple[str, ...]) -> str:
    for words in alternatives:
        found = source_for(sources, *words)
        if found != UNSOURCED:
            return found
    return UNSOURCED


def _process_of(scenario: Scenario, asset: str) -> PriceProcessModel | None:
    for process in scenario.processes:
        names = (
            process.assets
            if isinstance(process, CorrelatedGbmProcess | CorrelatedJumpDiffusionProcess)
            else [process.asset]
        )
        if asset in names:
            return process
    return None


def _price_rows(scenario: Scenario, asset: str) -> list[Assumption]:
    sources = scenario.sources
    process = _process_of(scenario, asset)
    volatility = _first_source(sources, (asset, "volatility"), ("Volatilities", asset))
    jumps = _first_source(sources, (asset, "jumps"), ("Jumps", asset))
    if isinstance(process, HistoricalProcess):
        return [
            Assumption(
                f"{asset} price path",
                f"replay of {Path(process.csv).name}",
                _first_source(sources, (asset,)),
            )
        ]
    if isinstance(process, EventProcess):
        return [
            Assumption(f"{asset} price path", f"event template {process.template}", _first_source(sources, (asset,)))
        ]
    if isinstance(process, GbmProcess):
        return [Assumption(f"{asset} volatility (per year)", f"{process.volatility:g}", volatility)]
    if isinstance(process, JumpDiffusionProcess):
        return [
            Assumption(f"{asset} volatility (per year)", f"{process.volatility:g}", volatility),
            Assumption(
                f"{asset} jumps (per year; log size mean, sd)",
                f"{process.jump_intensity:g}; {process.jump_mean:g}, {process.jump_volatility:g}",
                jumps,
            ),
        ]
    if isinstance(process, GarchProcess):
        return [
            Assumption(
                f"{asset} GARCH(1,1) omega, alpha, beta",
                f"{process.omega:g}, {process.alpha:g}, {process.beta:g}",
                _first_source(sources, (asset, "GARCH")),
            )
        ]
    if process is None:
        return []
    i = process.assets.index(asset)
    rows = [Assumption(f"{asset} volatility (per year)", f"{process.volatilities[i]:g}", volatility)]
    if isinstance(process, CorrelatedJumpDiffusionProcess):
        rows.append(
            Assumption(
                f"{asset} jumps (per year; log size mean, sd)",
                f"{process.jump_intensities[i]:g}; {process.jump_means[i]:g}, {process.jump_volatilities[i]:g}",
                jumps,
            )
        )
    return rows


def _market_rows(scenario: Scenario) -> list[Assumption]:
    venue = scenario.venue
    if venue is None:
        return []
    sources = scenario.sources
    impact = market_impact(scenario)
    rows: list[Assumption] = []
    for index, market in enumerate(venue.markets):
        asset = market.asset
        rows += _price_rows(scenario, asset)
        coefficient = _first_source(sources, (asset, "impact_coefficient"), ("impact_coefficient",))
        if market.depth_usd is not None:
            rows.append(
                Assumption(
                    f"{asset} depth (USD)", f"{market.depth_usd:,.0f}", _first_source(sources, (asset, "depth_usd"))
                )
            )
            rows.append(Assumption(f"{asset} impact coefficient", f"{market.impact_coefficient:g}", coefficient))
        elif market.daily_volume_usd is not None:
            rows.append(
                Assumption(
                    f"{asset} daily volume (USD)",
                    f"{market.daily_volume_usd:,.0f}",
                    _first_source(sources, (asset, "daily_volume_usd")),
                )
            )
            daily = impact.daily_volatility[index]
            daily_source = (
                _first_source(sources, (asset, "daily_volatility"))
                if market.daily_volatility is not None
                else "derived: the price process's yearly volatility (jumps included) / sqrt(365)"
            )
            rows.append(Assumption(f"{asset} daily volatility (square-root law)", f"{daily:.4g}", daily_source))
            rows.append(Assumption(f"{asset} impact prefactor Y", f"{market.impact_coefficient:g}", coefficient))
        else:
            rows.append(Assumption(f"{asset} depth", "none: liquidations do not move this market", UNSOURCED))
        moved = impact.coefficient[index] * math.sqrt(SALE_USD / impact.depth_usd[index])
        rows.append(
            Assumption(f"{asset} impact of a $1M sale", f"{moved:.4%}", "derived: coefficient x sqrt(1e6 / depth)")
        )
        rows.append(
            Assumption(
                f"{asset} margins (initial, maintenance)",
                f"{market.initial_margin:g}, {market.maintenance_margin:g}",
                _first_source(sources, (asset, "margins"), ("Margins",)),
            )
        )
    return rows


def _scenario_rows(scenario: Scenario) -> list[Assumption]:
    sources = scenario.sources
    rows = []
    for process in scenario.processes:
        if isinstance(process, CorrelatedGbmProcess | CorrelatedJumpDiffusionProcess):
            pairs = ", ".join(
                f"{process.assets[i]}-{process.assets[j]} {process.correlation[i][j]:g}"
                for i in range(len(process.assets))
                for j in range(i + 1, len(process.assets))
            )
            rows.append(Assumption("correlation", pairs, source_for(sources, "Correlation")))
    rows.append(
        Assumption(
            "impact recovery half-life (s)",
            f"{scenario.liquidity.recovery_half_life_seconds:g}",
            source_for(sources, "Impact recovery", "half-life"),
        )
    )
    oracle = scenario.oracle
    rows.append(
        Assumption(
            "oracle latency, cadence (s)",
            f"{oracle.latency_seconds}, {oracle.cadence_seconds or 'every step'}",
            source_for(sources, "Oracle"),
        )
    )
    keepers = scenario.keepers
    if keepers is not None:
        rows.append(
            Assumption(
                "keepers (count, latency s, failure probability)",
                f"{keepers.count}, {keepers.latency_seconds}, {keepers.failure_probability:g}",
                source_for(sources, "Keepers"),
            )
        )
        if keepers.gas_usd is not None:
            rows.append(
                Assumption(
                    "keepers' gas per liquidation (USD; multiplier added at full congestion)",
                    f"{keepers.gas_usd:g}; {keepers.congestion_gas:g}",
                    source_for(sources, "Gas"),
                )
            )
        if keepers.protocol_backstop_seconds is not None:
            rows.append(
                Assumption(
                    "protocol liquidator after (s)",
                    f"{keepers.protocol_backstop_seconds}",
                    "chosen: a stand-in for liquidations no keeper takes (no source; see the scenario file)",
                )
            )
    population = scenario.population
    if population is not None:
        rows.append(
            Assumption(
                "traders' leverage (min, max)",
                f"{population.leverage_min:g}, {population.leverage_max:g}",
                source_for(sources, "Traders"),
            )
        )
    return rows


def scenario_assumptions(scenario: Scenario) -> tuple[Assumption, ...]:
    """Return every calibrated or chosen value of ``scenario`` with its source, market by market.

    Per market: the price process's volatility and jumps (or the replayed file or event template),
    its depth (explicit, or daily volume, σ_daily and prefactor ``Y``), the impact of a $1M sale
    it implies, and its margins; each option market's volatility model, smile, margins, series,
    traders and capital (sources starting ``<asset> options``); then the correlation, the
    impact's recovery half-life, the oracle, the keepers and the traders' leverage.
    """
    return tuple(_market_rows(scenario) + _option_rows(scenario) + _scenario_rows(scenario))


def _option_rows(scenario: Scenario) -> list[Assumption]:
    """Return each option market's values (``venue.options``), sourced by entries starting ``<asset> options``."""
    venue = scenario.venue
    rows: list[Assumption] = []
    for option in [] if venue is None else venue.options:
        asset, sources = option.asset, scenario.sources
        volatility, smile, traders = option.volatility, option.smile, option.traders
        values = (
            ("ATM volatility (base, spot_beta, half-life s)", "volatility",
             f"{volatility.base:g}, {volatility.spot_beta:g}, {volatility.half_life_seconds}"),
            ("smile (wing, skew, curvature)", "smile", f"{smile.wing:g}, {smile.skew:g}, {smile.curvature:g}"),
            ("margins (initial, minimum, maintenance)", "margins",
             f"{option.initial_margin:g}, {option.minimum_margin:g}, {option.maintenance_margin:g}"),
            ("strikes (of the initial price); expiries (s)", "strikes",
             f"{', '.join(f'{k:g}' for k in option.strikes)}; {', '.join(str(e) for e in option.expiries_seconds)}"),
            ("traders (buyers, put share, writers, contracts)", "traders",
             f"{traders.buyers}, {traders.put_share:g}, {traders.writers}, {traders.contracts_mean:g}"),
            ("LP capital, insurance (USD)", "LP", f"{option.lp_capital:,.0f}, {option.insurance:,.0f}"),
        )  # fmt: skip
        for name, word, value in values:
            rows.append(Assumption(f"{asset} options {name}", value, source_for(sources, asset, "options", word)))
    return rows
