"""Parameter recommendation: 3 pools × 20 levels × 1,000 paths, beside a level-by-level stress study.

Usage::

    python benchmarks/bench_recommend.py [--paths N] [--levels L] [--peer-levels K] [--workers W] [--smoke]

Scenario: ``scenarios/isolation-ladder.toml`` (3 pools on ``isolated_pools``, 120 traders in two
markets each, 96 steps of 15 min, jump diffusion, keepers, top-ups, depth), the maintenance margin
swept per pool (IM moved with it).

- ``ours``: :func:`ringfence.lab.recommend.recommend` on the whole grid (3 pools × L levels × N
  paths), ``--workers`` processes, no exact confirmation (``confirm=0``): the paths and uniforms are
  drawn once (per worker) and replayed at every level (common random numbers);
- ``peer``: the obvious alternative, the stress study's machinery run once per level
  (:func:`ringfence.lab.stress.collect_runs` on the level's scenario, one design: it draws the paths,
  the population and the uniforms from the seed, then plays the design). It is measured on the
  first ``K`` levels of the first pool, serially, and **scaled** to the whole grid (× 3L / K);
- ``ours, same K levels``: our sweep on those same K levels, serially, so the ratio compares like
  with like.

**Correctness gate, before any figure**: on the K shared levels the peer's per-path pool losses must
equal ours exactly (same seed, same paths, same draws: the peer's regenerated inputs are the
very ones we reuse).
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse
import platform
import sys
import time
from pathlib import Path

import numpy as np

from bench_ledger import code_identity
from ringfence.lab.recommend import recommend
from ringfence.lab.recommend.grid import grid_levels, variant
from ringfence.lab.recommend.sweep import LevelTask, pool_losses, run_levels, sweep_inputs
from ringfence.lab.scenario import Scenario, load_scenario
from ringfence.lab.scenario_agents import Study
from ringfence.lab.stress import collect_runs

SCENARIO = Path(__file__).resolve().parents[1] / "scenarios" / "isolation-ladder.toml"
TARGET_SECONDS = 60.0


def _peer_level(scenario: Scenario, level: float, paths: int) -> np.ndarray:
    """One level through the stress machinery: regenerate the inputs, play the one design, read the losses."""
    moved = variant(scenario, "maintenance_margin", 0, level)
    venue = moved.venue
    assert venue is not None
    one_design = moved.model_copy(
        update={"study": Study.model_validate({"ladder": [venue.isolation], "margin_scales": [1.0]})}
    )
    collected = collect_runs(one_design, engine="vector", runs=paths)
    return pool_losses(next(iter(collected.runs.values())))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--paths", type=int, default=1000)
    parser.add_argument("--levels", type=int, default=20)
    parser.add_argument("--peer-levels", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--smoke", action="store_true", help="3 levels × 20 paths, 1 worker, peer on 1 level (CI)")
    arguments = parser.parse_args()
    if arguments.smoke:
        arguments.paths, arguments.levels, arguments.peer_levels, arguments.workers = 20, 3, 1, 1
    scenario = load_scenario(SCENARIO)
    paths, levels, k = arguments.paths, arguments.levels, arguments.peer_levels
    grid = grid_levels(scenario, "maintenance_margin", 0, levels)[:k]

    started = time.perf_counter()
    inputs = sweep_inputs(scenario, paths)
    ours_subset = run_levels(scenario, [LevelTask.one("maintenance_margin", 0, level) for level in grid], inputs)
    ours_subset_seconds = time.perf_counter() - started

    started = time.perf_counter()
    peer_subset = [_peer_level(scenario, level, paths) for level in grid]
    peer_seconds = time.perf_counter() - started
    for level, mine, theirs in zip(grid, ours_subset, peer_subset, strict=True):
        if not np.array_equal(mine, theirs):
            print(f"CORRECTNESS GATE FAILED at level {level}: the peer's losses differ from ours", file=sys.stderr)
            return 1

    load_before = os.getloadavg()
    started = time.perf_counter()
    result = recommend(scenario, runs=paths, levels=levels, confirm=0, workers=arguments.workers)
    ours_seconds = time.perf_counter() - started
    load_after = os.getloadavg()
    started = time.perf_counter()
    joint = recommend(scenario, runs=paths, levels=levels, confirm=0, workers=arguments.workers, joint=True)
    joint_seconds = time.perf_counter() - started
    load_joint = os.getloadavg()

    runs_total = 3 * levels
    peer_scaled = peer_seconds * runs_total / k
    print(f"bench_recommend: python {platform.python_version()}, {os.cpu_count()} cpus; code: {code_identity()}")
    print(
        f"scenario {SCENARIO.name}: 3 pools × {levels} levels × {paths} paths, maintenance margin; load average "
        f"{load_before[0]:.2f} before, {load_after[0]:.2f} after ours, {load_joint[0]:.2f} after joint"
    )
    print("correctness gate: the peer's per-path pool losses equal ours on the shared levels (exactly)")
    print(f"{'configuration':<52} {'seconds':>9}")
    print(f"{'ours, whole grid, ' + str(arguments.workers) + ' workers':<52} {ours_seconds:>9.1f}")
    print(f"{'ours --joint (one run per level), ' + str(arguments.workers) + ' workers':<52} {joint_seconds:>9.1f}")
    print(f"{'ours, ' + str(k) + ' levels of one pool, serial':<52} {ours_subset_seconds:>9.1f}")
    print(f"{'peer (stress machinery per level), same ' + str(k) + ' levels':<52} {peer_seconds:>9.1f}")
    print(
        f"{'peer scaled to the whole grid (× ' + str(runs_total) + '/' + str(k) + '), serial':<52} {peer_scaled:>9.1f}"
    )
    print(f"ratio peer / ours on the same {k} levels, serial: {peer_seconds / ours_subset_seconds:.2f}×")
    print(
        f"ratio peer scaled (serial) / ours whole grid ({arguments.workers} workers): {peer_scaled / ours_seconds:.2f}×"
    )
    verdict = "met" if ours_seconds <= TARGET_SECONDS else "missed"
    print(f"target ≤ {TARGET_SECONDS:.0f} s for the whole grid on 2 cores: {verdict} ({ours_seconds:.1f} s)")
    print(f"--joint: {joint_seconds:.1f} s, {'met' if joint_seconds <= TARGET_SECONDS else 'missed'}")
    for alone, together in zip(result.curves, joint.curves, strict=True):
        gap = max(
            abs((a.value or 0.0) - (b.value or 0.0))
            for a, b in zip(alone.probabilities, together.probabilities, strict=True)
        )
        print(
            f"{alone.pool}: recommended {alone.recommendation.level} "
            f"[{alone.recommendation.level_low}, {alone.recommendation.level_high}] one pool at a time, "
            f"{together.recommendation.level} [{together.recommendation.level_low}, "
            f"{together.recommendation.level_high}] joint; largest gap in P between the modes {gap:.4f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
