"""Run a whole recommendation: every pool and parameter swept on the vector engine, then confirmed on the exact one.

:func:`recommend` lays the grids out (:mod:`.grid`), plays every level on the same paths and draws
(:mod:`.sweep`), and for each pool and parameter estimates the curve, checks its monotonicity and
picks the recommended level with its bootstrap interval (:mod:`.curve`). The exact (integer)
engine then replays the first ``confirm`` paths at each recommended level (same population and
uniforms, :func:`ringfence.lab.exact.runner.run_exact`) and its P(loss > target) is reported
beside the vector engine's on the same paths, each with its Clopper-Pearson interval.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from ringfence.core.errors import InvalidParameter
from ringfence.lab._checks import check_count, check_non_negative
from ringfence.lab.errors import ScenarioError, ScenarioIssue
from ringfence.lab.estimate import Estimate, proportion_estimate
from ringfence.lab.exact.runner import run_exact
from ringfence.lab.execution import Backend
from ringfence.lab.recommend.curve import (
    RECOMMEND_BOOTSTRAP_RESAMPLES,
    RECOMMEND_BOOTSTRAP_SEED,
    Recommendation,
    Violation,
    curve_estimates,
    monotonicity_violations,
    recommend_level,
)
from ringfence.lab.recommend.grid import (
    PARAMETERS,
    SPECS,
    Parameter,
    check_recommend_scenario,
    grid_levels,
    level_population,
    pool_names,
)
from ringfence.lab.recommend.sweep import (
    LevelTask,
    SweepInputs,
    measure_index,
    pool_losses,
    run_levels,
    sweep_inputs,
)
from ringfence.lab.sample import fixed_path
from ringfence.lab.scenario import Scenario
from ringfence.lab.study import Progress
from ringfence.lab.vector.attribution import DEFAULT_MATERIALITY_USD

__all__ = [
    "DEFAULT_ALPHA",
    "DEFAULT_CONFIRM_PATHS",
    "DEFAULT_LEVELS",
    "DEFAULT_TARGET_USD",
    "Curve",
    "ExactCheck",
    "RecommendResult",
    "RecommendSettings",
    "check_recommend_inputs",
    "recommend",
]

FloatArray = NDArray[np.float64]
DEFAULT_LEVELS = 20
DEFAULT_ALPHA = 0.01
DEFAULT_TARGET_USD = DEFAULT_MATERIALITY_USD
"""$1: the lab's materiality threshold for a defaulted market (far above float dust of a shortfall)."""
DEFAULT_CONFIRM_PATHS = 20


@dataclass(frozen=True, slots=True)
class ExactCheck:
    """The recommended level replayed on the exact engine on the first ``paths`` paths.

    ``exact`` and ``vector`` are P(loss > target) on those same paths with their Clopper-Pearson
    intervals; ``agreeing_paths`` is how many paths both engines put on the same side of the target;
    ``largest_gap_usd`` the largest difference of the pool's loss between the engines.
    """

    level: float
    paths: int
    exact: Estimate
    vector: Estimate
    agreeing_paths: int
    largest_gap_usd: float


@dataclass(frozen=True, slots=True)
class Curve:
    """One pool and parameter: the levels in risk order, P(loss > target) at each, the checks and the answer."""

    pool: str
    parameter: Parameter
    measure: str
    levels: tuple[float, ...]
    probabilities: tuple[Estimate, ...]
    violations: tuple[Violation, ...]
    recommendation: Recommendation
    confirmation: ExactCheck | None


@dataclass(frozen=True, slots=True)
class RecommendSettings:
    """What the recommendation was asked (every figure depends on these and on nothing else)."""

    scenario_name: str
    seed: int
    isolation: str
    runs: int
    levels: int
    alpha: float
    target_usd: float
    parameters: tuple[Parameter, ...]
    bootstrap_resamples: int
    bootstrap_seed: int
    confirm_paths: int
    joint: bool = False
    """Every pool moved at once, level index by level index (``recommend(joint=True)``)."""


@dataclass(frozen=True, slots=True)
class RecommendResult:
    """Every curve of a recommendation with its settings."""

    settings: RecommendSettings
    curves: tuple[Curve, ...]

    def curve(self, pool: str, parameter: Parameter) -> Curve:
        """Return the curve of ``pool`` and ``parameter``."""
        for curve in self.curves:
            if curve.pool == pool and curve.parameter == parameter:
                return curve
        raise InvalidParameter("curve", (pool, parameter), "a swept pool and parameter")


def _check_inputs(scenario: Scenario, parameters: Sequence[Parameter], alpha: float, target_usd: float) -> None:
    """Refuse a scenario or an argument the recommendation cannot run with (named), before any run."""
    check_recommend_scenario(scenario)
    if fixed_path(scenario):
        issue = ScenarioIssue("price", "a recommendation needs random paths (a replay is one path: no probability)")
        raise ScenarioError(Path(f"<scenario {scenario.name}>"), (issue,))
    if not parameters or any(parameter not in PARAMETERS for parameter in parameters):
        raise InvalidParameter("parameters", tuple(parameters), f"one or more of {', '.join(PARAMETERS)}")
    if not 0.0 < alpha < 1.0:
        raise InvalidParameter("alpha", alpha, "a probability in (0, 1)")
    check_non_negative("target_usd", target_usd)


def _grids(
    scenario: Scenario,
    parameters: Sequence[Parameter],
    count: int,
    bounds: Mapping[tuple[Parameter, str], tuple[float, float]] | None,
) -> dict[tuple[Parameter, int], tuple[float, ...]]:
    pools = pool_names(scenario)
    grids = {}
    for parameter in dict.fromkeys(parameters):
        for index, pool in enumerate(pools):
            chosen = None if bounds is None else bounds.get((parameter, pool))
            grids[(parameter, index)] = grid_levels(scenario, parameter, index, count, chosen)
        if SPECS[parameter].venue_wide and len({grids[(parameter, i)] for i in range(len(pools))}) > 1:
            raise InvalidParameter(f"{parameter} bounds", "per pool", "one grid for every pool (a venue-wide value)")
    return grids


def check_recommend_inputs(
    scenario: Scenario,
    *,
    parameters: Sequence[Parameter] = ("maintenance_margin",),
    levels: int = DEFAULT_LEVELS,
    alpha: float = DEFAULT_ALPHA,
    target_usd: float = DEFAULT_TARGET_USD,
    bounds: Mapping[tuple[Parameter, str], tuple[float, float]] | None = None,
) -> None:
    """Check everything :func:`recommend` checks before its first run (the CLI calls it before writing anything).

    Raises
    ------
    ScenarioError
        A scenario the recommendation cannot sweep (named key).
    InvalidParameter
        An argument out of its range, or a grid level the engines would cap.
    """
    _check_inputs(scenario, parameters, alpha, target_usd)
    _grids(scenario, parameters, levels, bounds)


Grids = Mapping[tuple[Parameter, int], tuple[float, ...]]


def _tasks(grids: Grids, joint: bool) -> dict[tuple[Parameter, int, int], LevelTask]:
    """Return the run that measures each ``(parameter, pool, level index)``.

    One run per level and pool; one per level for a venue-wide parameter (every pool reads it);
    with ``joint``, one per level index for every pool at once (each pool at its own grid's level).
    """
    pools = sorted({pool for _, pool in grids})
    tasks: dict[tuple[Parameter, int, int], LevelTask] = {}
    for (parameter, pool), levels in grids.items():
        for index, level in enumerate(levels):
            if SPECS[parameter].venue_wide:
                task = LevelTask.one(parameter, 0, level)
            elif joint:
                task = LevelTask(parameter, tuple((other, grids[(parameter, other)][index]) for other in pools))
            else:
                task = LevelTask.one(parameter, pool, level)
            tasks[(parameter, pool, index)] = task
    return tasks


def _confirm(
    scenario: Scenario,
    inputs: SweepInputs,
    task: LevelTask,
    pool: int,
    vector_losses: FloatArray,
    paths: int,
    target_usd: float,
) -> ExactCheck:
    """Replay the first ``paths`` paths of ``task`` on the exact engine; compare pool ``pool``'s loss."""
    moved = task.scenario(scenario)
    isolation = moved.venue.isolation if moved.venue is not None else "isolated_pools"
    book = level_population(moved)
    played = [run_exact(moved, inputs.paths, book, inputs.draws[p], isolation, 1.0, p) for p in range(paths)]
    exact = pool_losses(played)[:, pool, measure_index(task.parameter)]
    vector = vector_losses[:paths]
    return ExactCheck(
        level=dict(task.settings).get(pool, task.settings[0][1]),
        paths=paths,
        exact=proportion_estimate(int(np.count_nonzero(exact > target_usd)), paths),
        vector=proportion_estimate(int(np.count_nonzero(vector > target_usd)), paths),
        agreeing_paths=int(np.count_nonzero((exact > target_usd) == (vector > target_usd))),
        largest_gap_usd=float(np.max(np.abs(exact - vector))),
    )


def recommend(
    scenario: Scenario,
    *,
    parameters: Sequence[Parameter] = ("maintenance_margin",),
    runs: int | None = None,
    levels: int = DEFAULT_LEVELS,
    alpha: float = DEFAULT_ALPHA,
    target_usd: float = DEFAULT_TARGET_USD,
    bounds: Mapping[tuple[Parameter, str], tuple[float, float]] | None = None,
    confirm: int = DEFAULT_CONFIRM_PATHS,
    resamples: int = RECOMMEND_BOOTSTRAP_RESAMPLES,
    workers: int = 1,
    progress: Progress | None = None,
    joint: bool = False,
    backend: Backend | None = None,
) -> RecommendResult:
    """Recommend, per pool and parameter, the least conservative level with P(loss > target) < α.

    Parameters
    ----------
    scenario:
        A scenario on an isolated rung that the vector engine models, with random price paths.
    parameters:
        Which of :data:`~ringfence.lab.recommend.grid.PARAMETERS` to sweep.
    runs:
        Paths per level (the scenario's ``runs`` by default); the same paths at every level.
    levels:
        Levels per grid (:func:`~ringfence.lab.recommend.grid.grid_levels`).
    alpha, target_usd:
        The recommendation keeps P(loss > ``target_usd``) below ``alpha``.
    bounds:
        ``(parameter, pool) -> (low, high)`` replacing a default grid's ends.
    confirm:
        Paths replayed on the exact engine at each recommended level (0: none).
    resamples:
        Bootstrap resamples of the recommended level's interval.
    workers:
        Processes for the sweep (the result does not depend on it).
    backend:
        Where the sweep's tasks (level × chunk of paths) run (:mod:`ringfence.lab.execution`);
        default: ``workers`` local processes. The result does not depend on it.
    progress:
        Where the sweep reports its runs.
    joint:
        Move every pool's parameter at once, level index by level index (one run per level instead
        of one per level and pool). Pools of an isolated rung still share the keepers and each
        trader's top-up reserve, so a pool's curve can differ from the one-pool-at-a-time sweep;
        the settings record the choice.

    Raises
    ------
    ScenarioError
        A scenario the recommendation cannot sweep (named key).
    InvalidParameter
        An argument out of its range, or a grid level the engines would cap.
    """
    _check_inputs(scenario, parameters, alpha, target_usd)
    paths = scenario.runs if runs is None else check_count("runs", runs)
    check_count("confirm", confirm, minimum=0)
    if confirm > paths:
        raise InvalidParameter("confirm", confirm, f"at most the {paths} paths of the sweep")
    grids = _grids(scenario, parameters, levels, bounds)
    tasks = _tasks(grids, joint)
    distinct = list(dict.fromkeys(tasks.values()))
    inputs = sweep_inputs(scenario, paths)
    played = run_levels(scenario, distinct, inputs, workers=workers, progress=progress, backend=backend)
    losses = dict(zip(distinct, played, strict=True))
    pools = pool_names(scenario)
    curves = []
    for (parameter, pool), grid in grids.items():
        spec = SPECS[parameter]
        measure = measure_index(parameter)
        rows = np.stack([losses[tasks[(parameter, pool, i)]][:, pool, measure] for i in range(len(grid))])
        exceeds = rows > target_usd
        answer = recommend_level(
            exceeds, grid, alpha, conservative_higher=spec.conservative == "higher", resamples=resamples
        )
        check = None
        if confirm and answer.level is not None:
            index = grid.index(answer.level)
            task = tasks[(parameter, pool, index)]
            check = _confirm(scenario, inputs, task, pool, rows[index], confirm, target_usd)
        curves.append(
            Curve(
                pool=pools[pool],
                parameter=parameter,
                measure=spec.measure,
                levels=grid,
                probabilities=curve_estimates(exceeds, grid),
                violations=monotonicity_violations(exceeds, grid),
                recommendation=answer,
                confirmation=check,
            )
        )
    venue = scenario.venue
    settings = RecommendSettings(
        scenario_name=scenario.name,
        seed=scenario.seed,
        isolation=venue.isolation if venue is not None else "",
        runs=paths,
        levels=levels,
        alpha=alpha,
        target_usd=target_usd,
        parameters=tuple(dict.fromkeys(parameters)),
        bootstrap_resamples=resamples,
        bootstrap_seed=RECOMMEND_BOOTSTRAP_SEED,
        confirm_paths=confirm,
        joint=joint,
    )
    return RecommendResult(settings, tuple(curves))
