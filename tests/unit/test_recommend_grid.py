"""The recommendation's grids and level scenarios (:mod:`ringfence.lab.recommend.grid`); common random numbers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ringfence.core.errors import InvalidParameter
from ringfence.lab.errors import ScenarioError
from ringfence.lab.recommend.grid import check_recommend_scenario, grid_levels, variant
from ringfence.lab.recommend.sweep import LevelTask, pool_losses, run_levels, sweep_inputs
from ringfence.lab.scenario import load_scenario
from ringfence.lab.scenario_agents import Study
from ringfence.lab.stress import collect_runs

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
LADDER = load_scenario(SCENARIOS / "isolation-ladder.toml")


def test_the_maintenance_margin_moves_the_initial_margin_at_the_scenario_ratio() -> None:
    moved = variant(LADDER, "maintenance_margin", 2, 0.08)  # ALT: 10% / 5%, ratio 2

    assert moved.venue is not None and LADDER.venue is not None
    alt = moved.venue.markets[2]
    assert (alt.maintenance_margin, alt.initial_margin) == (0.08, 0.16)
    assert moved.venue.markets[0] == LADDER.venue.markets[0]  # other pools as in the file


def test_a_margin_whose_initial_margin_reaches_100_percent_is_refused_not_capped() -> None:
    with pytest.raises(InvalidParameter, match=r"maintenance_margin\[pool-BTC\]"):
        variant(LADDER, "maintenance_margin", 0, 0.5)  # IM = 2 × 0.5 = 100%


def test_a_penalty_above_the_lowest_maintenance_margin_is_refused_not_capped() -> None:
    with pytest.raises(InvalidParameter, match="liquidation_penalty"):
        variant(LADDER, "liquidation_penalty", 0, 0.03)  # BTC and ETH keep 2.5%


def test_default_grids_run_from_the_least_to_the_most_conservative_level() -> None:
    margins = grid_levels(LADDER, "maintenance_margin", 0, 5)
    caps = grid_levels(LADDER, "open_interest_cap", 0, 5)
    funds = grid_levels(LADDER, "insurance", 0, 5)

    assert margins[0] == pytest.approx(0.01) and margins[-1] == pytest.approx(0.1)  # max(2.5%/4, 1% penalty), ×4
    assert list(caps) == sorted(caps, reverse=True)  # a lower cap is more conservative
    assert funds == (0.0, 100_000.0, 200_000.0, 300_000.0, 400_000.0)  # 0 … 4 × $100k, linear


def test_a_grid_needs_two_levels_and_ordered_bounds() -> None:
    with pytest.raises(InvalidParameter, match="levels"):
        grid_levels(LADDER, "insurance", 0, 1)
    with pytest.raises(InvalidParameter, match="bounds"):
        grid_levels(LADDER, "insurance", 0, 5, (10.0, 5.0))


def test_a_shared_rung_is_refused_naming_the_key() -> None:
    with pytest.raises(ScenarioError) as raised:
        check_recommend_scenario(load_scenario(SCENARIOS / "mango-cross.toml"))

    assert raised.value.keys == ("venue.isolation",)


def test_every_level_replays_the_paths_and_draws_the_stress_machinery_draws_from_the_seed() -> None:
    """Common random numbers: the sweep's losses at a level equal a fresh one-design stress study of that level."""
    levels = grid_levels(LADDER, "maintenance_margin", 1, 3)
    inputs = sweep_inputs(LADDER, 4)
    swept = run_levels(LADDER, [LevelTask.one("maintenance_margin", 1, level) for level in levels], inputs)
    for level, losses in zip(levels, swept, strict=True):
        moved = variant(LADDER, "maintenance_margin", 1, level)
        one = moved.model_copy(update={"study": Study.model_validate({"ladder": ["isolated_pools"]})})
        fresh = pool_losses(next(iter(collect_runs(one, engine="vector", runs=4).runs.values())))
        assert np.array_equal(losses, fresh)
