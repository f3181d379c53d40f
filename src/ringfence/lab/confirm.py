"""Confirm a vector-engine study with the exact engine on a sample of its runs.

The main job plays 1,000 paths per design on the vector engine; ``ringfence stress --confirm N``
replays the first ``N`` paths of each rung of the ladder on the exact (integer) engine with the same
population and uniforms, and checks that the two agree within the differential tests' declared
tolerances (``tests/support/differential.py``, where both are justified; a test holds the values
here equal to those):

- the same liquidations (trader, market) at the same steps, except where the run parted inside the
  **decision band** (a unit's maintenance equity within :data:`DECISION_BAND_USD` of its requirement
  at the first step where the decisions differ: the exact engine's integer rounding may fall on
  the other side; the path is then *excused*, not compared further);
- every metric of :func:`metric_pairs` (bad debt, latent bad debt, insurance drawdown, contagion,
  the vault's P&L per market, execution cost, gas) within :data:`METRIC_TOLERANCE_USD`, and the
  unserved liquidations exactly.

The differential tests use the same two functions, so the confirmation and the tests check one rule.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from ringfence.core.errors import InvalidParameter
from ringfence.lab._checks import check_count
from ringfence.lab.exact.population import Draws, TraderBook
from ringfence.lab.exact.runner import run_exact
from ringfence.lab.results import IsolationLevel, RunResult
from ringfence.lab.sample import ScenarioPaths
from ringfence.lab.scenario import Scenario
from ringfence.lab.study import Confirmation
from ringfence.lab.vector import run_vector

__all__ = [
    "DECISION_BAND_USD",
    "METRIC_TOLERANCE_USD",
    "Confirmation",
    "confirm_design",
    "first_divergence",
    "metric_pairs",
]

DECISION_BAND_USD = 1e-4
METRIC_TOLERANCE_USD = 1e-3
FloatArray = NDArray[np.float64]


@dataclass
class _Trace:
    """Every unit's equity and requirement per step, as the vector engine's keepers saw them."""

    by_step: dict[int, tuple[FloatArray, FloatArray]] = field(default_factory=dict)

    def __call__(self, step: int, equity: FloatArray, requirement: FloatArray) -> None:
        self.by_step[step] = (equity.copy(), requirement.copy())

    def gap(self, step: int, path: int, unit: int) -> float:
        if step not in self.by_step:
            return float("inf")
        equity, requirement = self.by_step[step]
        return float(abs(equity[path, unit] - requirement[path, unit]))


def _unit_of(book: TraderBook, isolation: IsolationLevel) -> dict[tuple[int, int], int]:
    pairs = zip(book.position_trader.tolist(), book.position_market.tolist(), strict=True)
    if isolation == "monolithic":
        return {(trader, market): trader for trader, market in pairs}
    return {pair: index for index, pair in enumerate(pairs)}


def _decisions(result: RunResult) -> dict[int, Counter[tuple[int, int]]]:
    steps: dict[int, Counter[tuple[int, int]]] = {}
    for row in result.liquidations:
        steps.setdefault(int(row["step"]), Counter())[(int(row["trader"]), int(row["market"]))] += 1
    return steps


def first_divergence(vector: RunResult, exact: RunResult) -> tuple[int, set[tuple[int, int]]] | None:
    """Return the first step where the engines liquidated different (trader, market) pairs, and those pairs."""
    ours, theirs = _decisions(vector), _decisions(exact)
    for step in sorted(set(ours) | set(theirs)):
        mine, other = ours.get(step, Counter()), theirs.get(step, Counter())
        if mine != other:
            return step, set((mine - other) + (other - mine))
    return None


def metric_pairs(vector: RunResult, exact: RunResult) -> dict[str, tuple[FloatArray, FloatArray]]:
    """Return every metric the two engines must agree on within :data:`METRIC_TOLERANCE_USD`, vector first."""
    return {
        "bad debt": (vector.bad_debt_usd, exact.bad_debt_usd),
        "insurance drawdown": (vector.insurance_drawdown_usd, exact.insurance_drawdown_usd),
        "contagion": (np.array([vector.contagion_usd]), np.array([exact.contagion_usd])),
        "latent bad debt": (vector.latent_bad_debt_usd, exact.latent_bad_debt_usd),
        "vault P&L by market": (vector.vault_pnl_by_market_usd, exact.vault_pnl_by_market_usd),
        "execution cost": (vector.execution_cost_usd, exact.execution_cost_usd),
        "gas": (np.array([vector.gas_usd]), np.array([exact.gas_usd])),
    }


def _gaps(vector: RunResult, exact: RunResult) -> dict[str, float]:
    gaps = {name: float(np.max(np.abs(mine - theirs))) for name, (mine, theirs) in metric_pairs(vector, exact).items()}
    # unserved liquidations must agree exactly: a count, not a rounded amount
    gaps["unserved liquidations"] = math.inf if vector.unserved_liquidations != exact.unserved_liquidations else 0.0
    return gaps


def confirm_design(
    scenario: Scenario,
    paths: ScenarioPaths,
    books: Sequence[TraderBook],
    draws: Sequence[Draws],
    design: tuple[IsolationLevel, float],
    count: int,
) -> Confirmation:
    """Replay the first ``count`` paths of one design on both engines and compare them.

    ``books`` holds one population for every path, or one per path (a replay of a fixed path).

    Raises
    ------
    InvalidParameter
        ``count`` below 1 or above the number of paths.
    """
    isolation, margin_scale = design
    check_count("count", count)
    if count > paths.market.shape[1]:
        raise InvalidParameter("count", count, f"at most the study's {paths.market.shape[1]} paths")
    problems: list[str] = []
    agreeing = excused = 0
    largest = 0.0
    for path in range(count):
        book = books[0] if len(books) == 1 else books[path]
        one = _one(paths, path)
        trace = _Trace()
        vector = run_vector(scenario, one, book, draws[path : path + 1], isolation, margin_scale, observe=trace)[0]
        exact = run_exact(scenario, one, book, draws[path], isolation, margin_scale, 0)
        divergence = first_divergence(vector, exact)
        if divergence is not None:
            step, units = divergence
            unit_of = _unit_of(book, isolation)
            outside = sorted(pair for pair in units if trace.gap(step, 0, unit_of[pair]) > DECISION_BAND_USD)
            if outside:
                problems.append(f"path {path}, step {step}: liquidation decisions differ for {outside}")
            else:
                excused += 1
            continue
        gaps = _gaps(vector, exact)
        largest = max(largest, *gaps.values())
        wrong = {name: gap for name, gap in gaps.items() if not gap <= METRIC_TOLERANCE_USD}
        if wrong:
            problems.append(f"path {path}: " + ", ".join(f"{name} gap {gap:.3g} USD" for name, gap in wrong.items()))
        else:
            agreeing += 1
    return Confirmation(isolation, margin_scale, count, agreeing, excused, tuple(problems), largest)


def _one(paths: ScenarioPaths, path: int) -> ScenarioPaths:
    market, oracle = paths.market[:, path : path + 1], paths.oracle[:, path : path + 1]
    return ScenarioPaths(paths.assets, market, oracle, paths.oracle_age_seconds, paths.stale)
