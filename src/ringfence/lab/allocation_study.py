"""The capital allocator against an equal split, on the scenario's own paths.

A **book file** (TOML) names a scenario (its price process, horizon, markets and seed), an owner's
collateral and the isolated positions the owner wants to hold::

    name = "three-markets"
    scenario = "isolation-ladder.toml"      # relative to the book file
    collateral = 50000.0                    # USD (quote), spread over the positions' vaults
    paths = 1000

    [[positions]]
    asset = "BTC"                           # a market of the scenario's venue
    side = "long"                           # long | short
    notional = 150000.0                     # USD at the scenario's initial price

Three ways to put the collateral into the vaults (integer atoms, 6 decimals, summing exactly to it):

- **equal split**: ``C/N`` each (:func:`ringfence.risk.allocator.equal_split`);
- **proportional**: in proportion to notional (every vault at the same leverage), a common practice;
- **allocator**: :func:`ringfence.risk.allocator.allocate` with each vault's initial margin as its
  floor, volatility ``√(σ² + λ(m² + s²))`` per asset (the scenario's process, jumps included:
  :func:`ringfence.lab.scenario.annual_volatility`) and the process's drift. The allocator sees
  a GBM with independent positions; the paths are the scenario's (correlated diffusions, jumps);
- **path search**: what independence costs. :func:`ringfence.risk.allocator_paths.path_optimal_margins`
  maximises the share of paths with no liquidation on ``training_paths`` paths of the scenario's own
  process (correlations and jumps included; drawn from ``default_rng([seed, 1])``, a stream the scored
  paths never use), starting from the allocator's split; then scored on the same paths as the others.

Every path of the scenario (:func:`ringfence.lab.sample.sample_paths`, its seed) is played to the
horizon with the vaults untouched (no top-ups, no funding, no fees): position ``i`` is liquidated on a
path when at some step ``t ≥ 1``, on the market price, its equity falls below its maintenance
requirement, ``x_i + q_i (S_t − S_0) < |q_i| m_i S_t`` (the lab engines' rule: strict, on the grid).
The figure is ``P(any)``: the share of paths on which at least one of the owner's positions is
liquidated, with its exact Clopper-Pearson interval; the **gain** is ``P_equal(any) − P_alloc(any)``,
the mean over paths of the paired difference of the two indicators, with the percentile bootstrap
interval of :func:`ringfence.lab.estimate.mean_estimate` (paths resampled, pairs kept together); the
path search's gain over the allocator is measured the same way.
Beside each measured figure: the allocator's own model figure (closed form, continuous
monitoring, independent positions), so the gap between model and paths is visible.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
from numpy.typing import NDArray
from pydantic import Field, ValidationError

from ringfence.lab.errors import ScenarioError, ScenarioIssue
from ringfence.lab.estimate import Estimate, mean_estimate, proportion_estimate
from ringfence.lab.sample import sample_paths
from ringfence.lab.scenario import (
    CorrelatedGbmProcess,
    CorrelatedJumpDiffusionProcess,
    GbmProcess,
    JumpDiffusionProcess,
    PriceProcessModel,
    Scenario,
    annual_volatility,
    load_scenario,
)
from ringfence.lab.scenario_agents import LabModel, Name
from ringfence.risk.allocator import MarginBook, allocate, apportion, equal_split, evaluate
from ringfence.risk.allocator_paths import margin_need, path_optimal_margins
from ringfence.risk.early_warning import SECONDS_PER_YEAR

__all__ = [
    "ATOMS_PER_USD",
    "AllocationBookFile",
    "AllocationStudy",
    "PolicyResult",
    "liquidated_on_paths",
    "load_allocation_book",
    "run_allocation_study",
]

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]
ATOMS_PER_USD = 10**6
"""The quote asset's atoms per unit in the study (USDC's 6 decimals)."""
Usd = Annotated[float, Field(gt=0, le=1e12, allow_inf_nan=False)]


class BookPosition(LabModel):
    """One isolated position the owner wants to hold."""

    asset: Name
    side: Literal["long", "short"]
    notional: Usd
    """USD at the scenario's initial price."""


class AllocationBookFile(LabModel):
    """The study's input: a scenario, the owner's collateral and positions, and how many paths."""

    name: Name
    description: str = ""
    scenario: str
    """The scenario file, relative to the book file."""
    collateral: Usd
    paths: int = Field(default=1000, ge=2, le=1_000_000)
    training_paths: int = Field(default=10_000, ge=2, le=1_000_000)
    """Paths the path search is fitted on: drawn from another stream of the scenario's seed, never scored."""
    positions: list[BookPosition] = Field(min_length=1, max_length=200)


@dataclass(frozen=True, slots=True)
class PolicyResult:
    """One way of splitting the collateral and what it gave on the paths.

    Attributes
    ----------
    name:
        ``equal split``, ``proportional`` or ``allocator``.
    margins_atoms:
        Per position, the vault's margin (USD atoms).
    model_probabilities, model_any:
        The allocator's closed form per position and ``1 − Π(1 − p)`` (continuous monitoring, GBM, independent).
    measured_any:
        The share of paths with at least one liquidation, Clopper-Pearson interval.
    measured_positions:
        Per position, the share of paths on which it was liquidated.
    """

    name: str
    margins_atoms: tuple[int, ...]
    model_probabilities: tuple[float, ...]
    model_any: float
    measured_any: Estimate
    measured_positions: tuple[Estimate, ...]


@dataclass(frozen=True, slots=True)
class AllocationStudy:
    """The whole study: inputs, each policy's result, and the allocator's gains with their intervals."""

    book: AllocationBookFile
    scenario_name: str
    seed: int
    horizon_seconds: int
    steps: int
    volatility: tuple[float, ...]
    initial_margin_atoms: tuple[int, ...]
    maintenance_rate: tuple[float, ...]
    policies: tuple[PolicyResult, ...]
    gain_over_equal: Estimate
    gain_over_proportional: Estimate
    path_search_gain: Estimate
    """``P_alloc(any) − P_path(any)``: what optimising the correlated P(any) on paths adds to the allocator."""

    def policy(self, name: str) -> PolicyResult:
        """Return the result of the policy called ``name``."""
        return next(p for p in self.policies if p.name == name)


def _issues(error: ValidationError) -> tuple[ScenarioIssue, ...]:
    return tuple(
        ScenarioIssue(".".join(str(part) for part in issue["loc"]) or "(root)", issue["msg"])
        for issue in error.errors()
    )


def load_allocation_book(path: str | Path) -> tuple[AllocationBookFile, Scenario]:
    """Read and check a book file and the scenario it names.

    Raises
    ------
    ScenarioError
        The file is missing, not TOML, has a value outside its domain, names an asset the
        scenario's venue has no market for, or the scenario itself is invalid (its own error).
    """
    file = Path(path)
    try:
        data: dict[str, Any] = tomllib.loads(file.read_text(encoding="utf-8"))
    except (FileNotFoundError, IsADirectoryError):
        raise ScenarioError(file, (ScenarioIssue("(file)", "not found: give the path of a book TOML file"),)) from None
    except UnicodeDecodeError as error:
        raise ScenarioError(file, (ScenarioIssue("(file)", f"not UTF-8 text ({error.reason})"),)) from None
    except tomllib.TOMLDecodeError as error:
        raise ScenarioError(file, (ScenarioIssue("(toml)", str(error)),)) from None
    try:
        book = AllocationBookFile.model_validate(data)
    except ValidationError as error:
        raise ScenarioError(file, _issues(error)) from None
    scenario = load_scenario(file.parent / book.scenario)
    markets = {market.asset for market in scenario.venue.markets} if scenario.venue is not None else set()
    unknown = [
        ScenarioIssue(f"positions.{i}.asset", f"{p.asset!r} has no market in {book.scenario} ({', '.join(markets)})")
        for i, p in enumerate(book.positions)
        if p.asset not in markets
    ]
    if unknown:
        raise ScenarioError(file, tuple(unknown))
    return book, scenario


def _process_of(scenario: Scenario, asset: str) -> PriceProcessModel:
    for process in scenario.processes:
        assets = (
            process.assets
            if isinstance(process, CorrelatedGbmProcess | CorrelatedJumpDiffusionProcess)
            else [process.asset]
        )
        if asset in assets:
            return process
    raise ScenarioError(Path(scenario.name), (ScenarioIssue("price", f"no process prices {asset!r}"),))


def _drift(process: PriceProcessModel, asset: str) -> float:
    if isinstance(process, GbmProcess | JumpDiffusionProcess):
        return process.drift
    if isinstance(process, CorrelatedGbmProcess | CorrelatedJumpDiffusionProcess) and process.drifts is not None:
        return process.drifts[process.assets.index(asset)]
    return 0.0


def liquidated_on_paths(prices: FloatArray, size: float, margin: float, maintenance_rate: float) -> BoolArray:
    """Return, per path, whether the vault falls below maintenance at some step ``t ≥ 1`` (module docstring).

    ``prices`` is ``(paths, steps + 1)`` of the position's market, step 0 the opening price.
    """
    start = prices[:, :1]
    later = prices[:, 1:]
    equity = margin + size * (later - start)
    requirement = abs(size) * maintenance_rate * later
    return np.asarray(np.any(equity < requirement, axis=1))


def _initial_margin_atoms(notional: float, rate: float) -> int:
    """``⌈notional · rate⌉`` in atoms, exact from the floats' decimal values (a requirement rounds up)."""
    return math.ceil(Fraction(repr(notional)) * Fraction(repr(rate)) * ATOMS_PER_USD)


def _check_equal_split_meets_initial_margin(book: AllocationBookFile, floors: list[int]) -> None:
    equal = equal_split(round(Fraction(repr(book.collateral)) * ATOMS_PER_USD), len(floors))
    short = [
        ScenarioIssue(
            f"positions.{i}",
            f"the equal split's {e / ATOMS_PER_USD:,.2f} USD is below its initial margin {f / ATOMS_PER_USD:,.2f}: "
            "the comparison needs every split to be one the venue would accept (raise the collateral)",
        )
        for i, (e, f) in enumerate(zip(equal, floors, strict=True))
        if e < f
    ]
    if short:
        raise ScenarioError(Path(book.name), tuple(short))


def _policy(
    name: str, margins: tuple[int, ...], margin_book: MarginBook, horizon: float, hits: list[BoolArray]
) -> PolicyResult:
    model = evaluate(margin_book, margins, ATOMS_PER_USD, horizon)
    paths = int(hits[0].shape[0])
    any_hit = np.logical_or.reduce(hits)
    return PolicyResult(
        name=name,
        margins_atoms=margins,
        model_probabilities=model.probabilities,
        model_any=model.any_probability,
        measured_any=proportion_estimate(int(any_hit.sum()), paths),
        measured_positions=tuple(proportion_estimate(int(h.sum()), paths) for h in hits),
    )


def _path_search(
    book: AllocationBookFile,
    scenario: Scenario,
    columns: tuple[FloatArray, FloatArray],
    floors: list[int],
    start: tuple[int, ...],
) -> tuple[int, ...]:
    """Return the path search's split (module docstring), fitted on paths the study never scores."""
    size, rate = columns
    training = sample_paths(scenario, book.training_paths, rng=np.random.default_rng([scenario.seed, 1]))
    need = np.stack(
        [
            margin_need(training.market[training.assets.index(p.asset)], size[i], rate[i])
            for i, p in enumerate(book.positions)
        ],
        axis=1,
    )
    lower = np.asarray(floors, dtype=np.float64) / ATOMS_PER_USD
    collateral = sum(start)
    margins = path_optimal_margins(
        need, lower, np.asarray(start, dtype=np.float64) / ATOMS_PER_USD, collateral / ATOMS_PER_USD
    )
    # Moves never take a vault below its floor; only the subtraction's last-bit rounding can show as -1e-12.
    return apportion(floors, np.maximum(margins - lower, 0.0), collateral)


def run_allocation_study(book: AllocationBookFile, scenario: Scenario, paths: int | None = None) -> AllocationStudy:
    """Split the collateral three ways and play each on the scenario's paths (module docstring).

    Raises
    ------
    ScenarioError
        When the equal split leaves a position below its initial margin (no fair comparison).
    """
    count = book.paths if paths is None else paths
    if scenario.venue is None:
        raise ScenarioError(Path(scenario.name), (ScenarioIssue("venue", "the study needs the venue's markets"),))
    markets = {market.asset: market for market in scenario.venue.markets}
    step_seconds = scenario.horizon.step_seconds
    horizon = scenario.horizon.seconds / SECONDS_PER_YEAR
    sampled = sample_paths(scenario, count)
    columns: list[tuple[float, float, float, float, float]] = []
    for position in book.positions:
        process = _process_of(scenario, position.asset)
        start = float(sampled.market[sampled.assets.index(position.asset), 0, 0])
        signed = position.notional / start * (1.0 if position.side == "long" else -1.0)
        volatility = annual_volatility(process, position.asset, step_seconds)
        if volatility is None or volatility <= 0.0:
            raise ScenarioError(Path(scenario.name), (ScenarioIssue("price", f"{position.asset} has no volatility"),))
        maintenance = markets[position.asset].maintenance_margin
        columns.append((start, signed, maintenance, volatility, _drift(process, position.asset)))
    price, size, rate, sigma, drift = (np.asarray(c, dtype=np.float64) for c in zip(*columns, strict=True))
    margin_book = MarginBook.of(price, size, rate, 0.0, sigma, drift)
    floors = [_initial_margin_atoms(p.notional, markets[p.asset].initial_margin) for p in book.positions]
    _check_equal_split_meets_initial_margin(book, floors)
    collateral = round(Fraction(repr(book.collateral)) * ATOMS_PER_USD)
    allocator = allocate(margin_book, collateral, horizon, ATOMS_PER_USD, floors).margins_atoms
    splits = {
        "equal split": equal_split(collateral, len(floors)),
        "proportional": apportion([0] * len(floors), [p.notional for p in book.positions], collateral),
        "allocator": allocator,
        "path search": _path_search(book, scenario, (size, rate), floors, allocator),
    }
    results = []
    indicators: dict[str, BoolArray] = {}
    for name, margins in splits.items():
        hits = [
            liquidated_on_paths(
                sampled.market[sampled.assets.index(p.asset)], size[i], margins[i] / ATOMS_PER_USD, rate[i]
            )
            for i, p in enumerate(book.positions)
        ]
        indicators[name] = np.logical_or.reduce(hits)
        results.append(_policy(name, margins, margin_book, horizon, hits))
    mine = indicators["allocator"].astype(np.float64)
    return AllocationStudy(
        book=book,
        scenario_name=scenario.name,
        seed=scenario.seed,
        horizon_seconds=scenario.horizon.seconds,
        steps=scenario.horizon.steps,
        volatility=tuple(float(s) for s in sigma),
        initial_margin_atoms=tuple(floors),
        maintenance_rate=tuple(float(r) for r in rate),
        policies=tuple(results),
        gain_over_equal=mean_estimate(indicators["equal split"].astype(np.float64) - mine),
        gain_over_proportional=mean_estimate(indicators["proportional"].astype(np.float64) - mine),
        path_search_gain=mean_estimate(mine - indicators["path search"].astype(np.float64)),
    )
