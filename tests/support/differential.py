"""Hold the vectorised stress engine to the exact one: same scenario, paths, traders and uniforms.

:func:`play_both` runs both engines on every path; :func:`disagreements` lists what they do
not agree on, outside two declared tolerances:

- **Decision band** (:data:`DECISION_BAND_USD`). The engines must liquidate the same units
  (trader, market) at the same steps, except a unit whose maintenance equity is within
  ``DECISION_BAND_USD`` of its requirement at that step (health within ``band / R`` of 1): there
  the exact engine's integer rounding may fall on the other side. Justification: every USD
  amount enters the exact engine truncated to a quote atom (1e-6 USD: collateral, top-ups), each
  size to a base atom and each price to a WAD; then each close rounds its PnL, penalty and basis
  against the account by at most an atom apiece. A unit's equity and requirement therefore differ
  between the engines by a few atoms per command that touched it; 100 atoms (1e-4 USD) covers
  ~20 such commands with room to spare, while float64's own error on these amounts is ~1e-10
  USD. At the first step where decisions differ inside the band the two runs have legitimately
  parted, so that path is not compared further (it is counted as excused).
- **Metric tolerance** (:data:`METRIC_TOLERANCE_USD`). Bad debt and latent bad debt per pool, each
  pool's insurance drawdown, the vault's P&L per market, contagion, execution cost per pool and gas
  must agree within 1e-3 USD (1,000 atoms); unserved liquidations exactly. (An execution cost is
  ``⌈closed · |oracle − price|⌉``, one atom of rounding per close, inside the bound below; gas is a
  float both engines compute alike.) Justification: each close
  moves these totals by amounts rounded against the account by at most ~5 atoms (penalty up,
  PnL and values down, basis up), each deposit by at most 1; the generated scenarios make at
  most ~100 closes and ~30 deposits per path, a bound of ~530 atoms. Observed on 1,800 random
  runs while calibrating: at most 20 atoms (2e-5 USD).

- **Conservation** (:func:`conservation_problems`). In every run the parties' P&L
  (``RunResult.party_pnl_usd``) sums to zero: the exact engine's within :data:`EXACT_CONSERVATION_USD`
  (1e-6 USD: the sum is exactly 0 in atoms, each party converted to float once), the vector
  engine's within :data:`VECTOR_CONSERVATION_SHARE` of the run's capital (LP capital, insurance
  and collateral deposited). Justification: each party is a float64 total accumulated over at
  most ~1e4 additions of amounts no larger than the capital ``C``, each off by at most
  ``ε = 1.1e-16`` of ``C``: ~1e-12·C per total, six totals; 1e-10·C leaves ten-fold headroom and
  is 2.6e-3 USD on the 26M book of Black Thursday (observed: 2e-8 USD).

A tie at a *top-up* threshold (health within the band of ``top_up_health``) is not excused: it
would show as a decision outside the band. Its probability is of the order of the band over the
spread of healths (~1e-7 per unit and step), and the derandomised CI examples do not hit it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from ringfence.lab.confirm import first_divergence, metric_pairs
from ringfence.lab.exact.population import Draws, TraderBook
from ringfence.lab.exact.runner import run_exact
from ringfence.lab.results import PARTIES, IsolationLevel, RunResult
from ringfence.lab.sample import ScenarioPaths
from ringfence.lab.scenario import Scenario
from ringfence.lab.vector import run_vector

DECISION_BAND_USD = 1e-4
METRIC_TOLERANCE_USD = 1e-3
EXACT_CONSERVATION_USD = 1e-6
VECTOR_CONSERVATION_SHARE = 1e-10


@dataclass
class MarginTrace:
    """Every unit's equity and requirement per step, as the vector engine's keepers saw them."""

    by_step: dict[int, tuple[NDArray[np.float64], NDArray[np.float64]]] = field(default_factory=dict)

    def __call__(self, step: int, equity: NDArray[np.float64], requirement: NDArray[np.float64]) -> None:
        self.by_step[step] = (equity.copy(), requirement.copy())

    def gap(self, step: int, path: int, unit: int) -> float:
        """Return ``|equity − requirement|`` of a unit at a step (infinite when it was not observed)."""
        if step not in self.by_step:
            return float("inf")
        equity, requirement = self.by_step[step]
        return float(abs(equity[path, unit] - requirement[path, unit]))


@dataclass
class Played:
    """Both engines' results on every path of one design, and what to tell units apart with."""

    vector: tuple[RunResult, ...]
    exact: tuple[RunResult, ...]
    trace: MarginTrace
    unit_of: dict[tuple[int, int], int]


def unit_index(book: TraderBook, isolation: IsolationLevel) -> dict[tuple[int, int], int]:
    """Map ``(trader, market)`` to the unit it is margined in on a rung (its keeper-draw column)."""
    pairs = zip(book.position_trader.tolist(), book.position_market.tolist(), strict=True)
    if isolation == "monolithic":
        return {(trader, market): trader for trader, market in pairs}
    return {pair: index for index, pair in enumerate(pairs)}


def play_both(
    scenario: Scenario,
    paths: ScenarioPaths,
    book: TraderBook,
    draws: Sequence[Draws],
    isolation: IsolationLevel,
    margin_scale: float = 1.0,
    vector_scenario: Scenario | None = None,
) -> Played:
    """Run the vector engine on every path at once and the exact engine path by path.

    ``vector_scenario`` replaces the scenario for the vector engine only (to show the check fails).
    """
    trace = MarginTrace()
    vector = run_vector(vector_scenario or scenario, paths, book, draws, isolation, margin_scale, observe=trace)
    n_paths = paths.market.shape[1]
    exact = tuple(run_exact(scenario, paths, book, draws[i], isolation, margin_scale, i) for i in range(n_paths))
    return Played(vector, exact, trace, unit_index(book, isolation))


def _metric_problems(path: int, vector: RunResult, exact: RunResult) -> list[str]:
    problems = []
    pairs = metric_pairs(vector, exact)
    for name, (mine, theirs) in pairs.items():
        gap = float(np.max(np.abs(mine - theirs)))
        if not gap <= METRIC_TOLERANCE_USD:
            problems.append(
                f"path {path}: {name} vector {mine.tolist()} vs exact {theirs.tolist()} (gap {gap:.3g} USD)"
            )
    if vector.unserved_liquidations != exact.unserved_liquidations:
        problems.append(
            f"path {path}: unserved liquidations vector {vector.unserved_liquidations} "
            f"vs exact {exact.unserved_liquidations}"
        )
    return problems


def disagreements(played: Played) -> tuple[list[str], int]:
    """Return what the engines disagree on outside the tolerances, and how many paths were excused."""
    problems: list[str] = []
    excused = 0
    for path, (vector, exact) in enumerate(zip(played.vector, played.exact, strict=True)):
        divergence = first_divergence(vector, exact)
        if divergence is None:
            problems += _metric_problems(path, vector, exact)
            continue
        step, units = divergence
        outside = [
            (pair, gap)
            for pair in sorted(units)
            if (gap := played.trace.gap(step, path, played.unit_of[pair])) > DECISION_BAND_USD
        ]
        if outside:
            listed = ", ".join(f"trader {t} market {m} (|E - R| = {gap:.3g} USD)" for (t, m), gap in outside)
            problems.append(f"path {path}, step {step}: liquidation decisions differ for {listed}")
        else:
            excused += 1
    return problems, excused


def run_capital_usd(scenario: Scenario, result: RunResult) -> float:
    """Return the capital a run holds: LP capital and insurance of every market, and collateral deposited."""
    markets = scenario.venue.markets if scenario.venue is not None else ()
    return sum(market.lp_capital + market.insurance for market in markets) + result.collateral_usd


def conservation_problems(scenario: Scenario, results: Sequence[RunResult]) -> list[str]:
    """Return the runs whose parties do not sum to zero within the engine's tolerance."""
    problems = []
    for result in results:
        total = sum(result.party_pnl_usd.values())
        if result.engine == "exact":
            tolerance = EXACT_CONSERVATION_USD
        else:
            tolerance = VECTOR_CONSERVATION_SHARE * run_capital_usd(scenario, result)
        if set(result.party_pnl_usd) != set(PARTIES) or not abs(total) <= tolerance:
            problems.append(
                f"{result.engine} {result.isolation} path {result.path_index}: parties {dict(result.party_pnl_usd)} "
                f"sum to {total:.3g} USD (tolerance {tolerance:.3g})"
            )
    return problems
