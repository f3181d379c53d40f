"""Play every level of a sweep on the vector engine with common random numbers.

The price paths (:func:`ringfence.lab.sample.sample_paths`) and the keepers' and top-ups' uniforms
(:func:`ringfence.lab.exact.population.draw_uniforms`) are drawn **once** from the scenario's seed and
replayed at every level; the population is drawn at each level from the same stream
(``default_rng([seed, 1])``), so only what the level moves (a leverage cap that follows the initial
margin) changes. The curves are then comparable level by level, path by path: a path that ends in
bad debt at a conservative level and not at a looser one is a fact about the model, not noise
(:mod:`ringfence.lab.recommend.curve` tests the curve's monotonicity on those pairs).

Every level is played in the study's fixed chunks of paths (:func:`ringfence.lab.execution.chunk_ranges`),
one task per level and chunk, on an execution backend (:mod:`ringfence.lab.execution`: this process,
spawned processes, or Ray); the inputs are drawn here once and shared, so the losses do not depend
on the backend or the workers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from ringfence.lab._checks import check_count
from ringfence.lab.exact.population import DrawSet, draw_population, draw_uniforms
from ringfence.lab.execution import DEFAULT_CHUNK_PATHS, Backend, LocalBackend, chunk_ranges
from ringfence.lab.recommend.grid import SPECS, Parameter, level_population, variant
from ringfence.lab.results import RunResult
from ringfence.lab.sample import ScenarioPaths, sample_paths
from ringfence.lab.scenario import Scenario
from ringfence.lab.study import NoProgress, Progress
from ringfence.lab.vector import run_vector

__all__ = ["LevelTask", "SweepInputs", "pool_losses", "run_levels", "sweep_inputs"]

FloatArray = NDArray[np.float64]
BAD_DEBT, UNCOVERED = 0, 1
"""Indices of the two measures in a level's loss array ``(paths, pools, 2)``."""


@dataclass(frozen=True, slots=True)
class LevelTask:
    """One engine run: ``parameter`` set to ``level`` in each ``(pool, level)`` of ``settings``, together.

    One pair sweeps one pool with the others as in the scenario (a venue-wide parameter names pool 0
    and moves every pool); several pairs are a joint run (every pool at its own grid's level).
    """

    parameter: Parameter
    settings: tuple[tuple[int, float], ...]

    @classmethod
    def one(cls, parameter: Parameter, pool: int, level: float) -> LevelTask:
        """Return the run of pool ``pool`` at ``level``, the other pools as in the scenario."""
        return cls(parameter, ((pool, level),))

    def scenario(self, scenario: Scenario) -> Scenario:
        """Return ``scenario`` with every setting of the task applied."""
        moved = scenario
        for pool, level in self.settings:
            moved = variant(moved, self.parameter, pool, level)
        return moved


@dataclass(frozen=True, slots=True, eq=False)
class SweepInputs:
    """What every level replays: the paths and the uniforms, drawn once from the seed."""

    paths: ScenarioPaths
    draws: DrawSet


def sweep_inputs(scenario: Scenario, runs: int) -> SweepInputs:
    """Draw the paths and uniforms of ``runs`` paths from the scenario's seed (the same at every level)."""
    check_count("runs", runs)
    paths = sample_paths(scenario, n_paths=runs)
    width = len(draw_population(scenario, 1.0).position_trader)
    return SweepInputs(paths, draw_uniforms(scenario, runs, width))


def pool_losses(results: Sequence[RunResult]) -> FloatArray:
    """Return each path's losses per pool ``(paths, pools, 2)``: bad debt, and bad debt the insurance left uncovered.

    Bad debt is realised shortfall plus latent bad debt (``docs/stress-model.md``); uncovered bad debt
    is what the LP vault bore of the shortfall (``lp_loss_usd``) plus latent bad debt (no fund pays it).
    """
    latent = np.stack([run.latent_per_pool_usd for run in results])
    bad_debt = np.stack([run.bad_debt_usd for run in results]) + latent
    uncovered = np.stack([run.lp_loss_usd for run in results]) + latent
    return np.stack([bad_debt, uncovered], axis=2)


def _play_chunk(inputs: SweepInputs, scenario: Scenario, task: LevelTask, start: int, stop: int) -> FloatArray:
    """Play ``task`` on paths ``start … stop - 1`` of the shared inputs; return their losses (a task: module-level)."""
    moved = task.scenario(scenario)
    venue = moved.venue
    if venue is None:
        raise ValueError("check_recommend_scenario first: a venue is required")
    paths = inputs.paths
    chunk = ScenarioPaths(
        paths.assets, paths.market[:, start:stop], paths.oracle[:, start:stop], paths.oracle_age_seconds, paths.stale
    )
    draws = inputs.draws[start:stop]
    results = run_vector(moved, chunk, level_population(moved), draws, venue.isolation, 1.0)
    return pool_losses(results)


def run_levels(
    scenario: Scenario,
    tasks: Sequence[LevelTask],
    inputs: SweepInputs,
    *,
    workers: int = 1,
    progress: Progress | None = None,
    backend: Backend | None = None,
    chunk_paths: int = DEFAULT_CHUNK_PATHS,
) -> list[FloatArray]:
    """Play every task on the same paths and uniforms; return each task's losses ``(paths, pools, 2)`` in order.

    One backend task per level and chunk of ``chunk_paths`` paths, on ``backend`` (default:
    ``workers`` local processes, each sent ``inputs`` once); the result does not depend on either.
    """
    check_count("workers", workers)
    ticker = NoProgress() if progress is None else progress
    runs = inputs.paths.market.shape[1]
    ranges = chunk_ranges(runs, chunk_paths)
    calls = [(scenario, task, start, stop) for task in tasks for start, stop in ranges]
    sizes = [stop - start for _ in tasks for start, stop in ranges]
    ticker.start(len(tasks) * runs)
    runner = LocalBackend(workers) if backend is None else backend
    chunks = runner.map(_play_chunk, calls, inputs, done=lambda index: ticker.advance(sizes[index]))
    ticker.close()
    return [
        np.concatenate(chunks[number * len(ranges) : (number + 1) * len(ranges)], axis=0)
        for number in range(len(tasks))
    ]


def measure_index(parameter: Parameter) -> int:
    """Return which measure of :func:`pool_losses` the parameter's curve reads."""
    return UNCOVERED if SPECS[parameter].measure == "uncovered_bad_debt" else BAD_DEBT
