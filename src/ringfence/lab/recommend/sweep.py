"""Play every level of a sweep on the vector engine with common random numbers.

The price paths (:func:`ringfence.lab.sample.sample_paths`) and the keepers' and top-ups' uniforms
(:func:`ringfence.lab.exact.population.draw_uniforms`) are drawn **once** from the scenario's seed and
replayed at every level; the population is drawn at each level from the same stream
(``default_rng([seed, 1])``), so only what the level moves (a leverage cap that follows the initial
margin) changes. The curves are then comparable level by level, path by path: a path that ends in
bad debt at a conservative level and not at a looser one is a fact about the model, not noise
(:mod:`ringfence.lab.recommend.curve` tests the curve's monotonicity on those pairs).

``workers > 1`` spreads the levels over spawned processes; each draws the same inputs from the
seed, so the losses do not depend on ``workers``.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from ringfence.lab._checks import check_count
from ringfence.lab.exact.population import DrawSet, draw_population, draw_uniforms
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


def _play(scenario: Scenario, inputs: SweepInputs, task: LevelTask) -> FloatArray:
    moved = task.scenario(scenario)
    venue = moved.venue
    if venue is None:
        raise ValueError("check_recommend_scenario first: a venue is required")
    results = run_vector(moved, inputs.paths, level_population(moved), inputs.draws, venue.isolation, 1.0)
    return pool_losses(results)


def _play_chunk(scenario: Scenario, runs: int, tasks: Sequence[LevelTask]) -> list[FloatArray]:
    """Draw the inputs from the seed and play ``tasks`` (a worker's share; module-level for spawn)."""
    inputs = sweep_inputs(scenario, runs)
    return [_play(scenario, inputs, task) for task in tasks]


def run_levels(
    scenario: Scenario,
    tasks: Sequence[LevelTask],
    inputs: SweepInputs,
    *,
    workers: int = 1,
    progress: Progress | None = None,
) -> list[FloatArray]:
    """Play every task on the same paths and uniforms; return each task's losses ``(paths, pools, 2)`` in order.

    ``workers`` processes share the tasks (interleaved); each draws ``inputs`` again from the seed,
    so the result does not depend on ``workers``.
    """
    check_count("workers", workers)
    ticker = NoProgress() if progress is None else progress
    runs = inputs.paths.market.shape[1]
    ticker.start(len(tasks) * runs)
    if workers == 1 or len(tasks) < 2:
        played = []
        for task in tasks:
            played.append(_play(scenario, inputs, task))
            ticker.advance(runs)
        ticker.close()
        return played
    chunks = [list(range(start, len(tasks), workers)) for start in range(min(workers, len(tasks)))]
    context = multiprocessing.get_context("spawn")
    results: list[FloatArray | None] = [None] * len(tasks)
    with ProcessPoolExecutor(max_workers=len(chunks), mp_context=context) as pool:
        futures = [pool.submit(_play_chunk, scenario, runs, [tasks[i] for i in chunk]) for chunk in chunks]
        for chunk, future in zip(chunks, futures, strict=True):
            for index, losses in zip(chunk, future.result(), strict=True):
                results[index] = losses
            ticker.advance(len(chunk) * runs)
    ticker.close()
    return [losses for losses in results if losses is not None]


def measure_index(parameter: Parameter) -> int:
    """Return which measure of :func:`pool_losses` the parameter's curve reads."""
    return UNCOVERED if SPECS[parameter].measure == "uncovered_bad_debt" else BAD_DEBT
