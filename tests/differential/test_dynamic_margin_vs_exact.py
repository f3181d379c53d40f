"""Differential tests with dynamic margins on: both stress engines move the same rates and agree.

The exact engine's risk model sends ``UpdateRiskMargin`` on every update step; the vector engine
applies the same integers to its arrays (:mod:`ringfence.lab.dynamic_margins`). On the random
scenarios of ``test_vector_vs_exact.py`` with ``[venue.dynamic_margin]`` added (an update every
step, a quarter of the rate per step, four returns of EWMA: rates that move a lot), both engines
must agree within the same declared band (``tests/support/differential.py``). The check bites:
the vector engine given the static scenario disagrees with the exact engine's dynamic run.
"""

from __future__ import annotations

import pytest
from hypothesis import given, note, settings
from test_vector_vs_exact import N_PATHS, scenario_and_paths

from ringfence.core.governance.events import RiskMarginUpdated
from ringfence.lab.exact import runner
from ringfence.lab.results import ISOLATION_LEVELS
from ringfence.lab.sample import ScenarioPaths
from ringfence.lab.scenario import Scenario
from ringfence.lab.scenario_agents import DynamicMarginDesign
from support.differential import conservation_problems, disagreements, play_both
from support.stress import hand_paths, stress_inputs, stress_scenario

FAST = DynamicMarginDesign(interval_seconds=3600, lookback_steps=4, max_step=0.25, floor_ratio=0.3, ceiling_ratio=3.0)
"""An update every hourly step, up to 25% of the rate each: the rates move on every path."""


def _dynamic(scenario: Scenario) -> Scenario:
    assert scenario.venue is not None
    return scenario.model_copy(update={"venue": scenario.venue.model_copy(update={"dynamic_margin": FAST})})


@settings(max_examples=25, deadline=None)
@given(scenario_and_paths())
def test_both_engines_agree_with_dynamic_margins_on(inputs: tuple[Scenario, ScenarioPaths]) -> None:
    scenario, paths = _dynamic(inputs[0]), inputs[1]
    book, draws = stress_inputs(scenario, N_PATHS)
    for rung in ISOLATION_LEVELS:
        played = play_both(scenario, paths, book, draws, rung)
        problems, excused = disagreements(played)
        note(f"{rung}: {sum(len(r.liquidations) for r in played.exact)} exact liquidations, {excused} excused paths")
        assert problems == [], f"{rung}: {problems}"
        assert conservation_problems(scenario, played.vector + played.exact) == []


def _crossing() -> tuple[Scenario, ScenarioPaths]:
    # Long 5x with 1000 USD (size 50 at 100), maintenance 10% static: equity 50P − 4000 falls below
    # 50P·m when P < 80/(1 − m): 88.89 static, so the static run liquidates at 86 (step 4). The 5%
    # fall to 95 gives an hourly EWMA sigma of 5.1% and a maintenance target z(0.99)·5.1% ≈ 11.9%,
    # reached in one step (10% may move by 2.5%): then P < 90.8 liquidates at 89.5 (step 2).
    static = stress_scenario(horizon={"steps": 5})
    return static, hand_paths([[100.0, 95.0, 89.5, 89.5, 86.0, 86.0]])


def _first_liquidation_step(scenario: Scenario, paths: ScenarioPaths) -> tuple[int, int]:
    book, draws = stress_inputs(scenario, 1)
    played = play_both(scenario, paths, book, draws, "isolated_positions")
    assert disagreements(played)[0] == []
    return int(played.exact[0].liquidations["step"][0]), int(played.vector[0].liquidations["step"][0])


def test_a_risen_maintenance_rate_liquidates_earlier_in_both_engines() -> None:
    static, paths = _crossing()

    assert _first_liquidation_step(static, paths) == (4, 4)
    assert _first_liquidation_step(_dynamic(static), paths) == (2, 2)


def test_the_exact_run_journals_each_update_with_its_cause() -> None:
    static, paths = _crossing()
    scenario = _dynamic(static)
    book, draws = stress_inputs(scenario, 1)
    seen: list[RiskMarginUpdated] = []
    original = runner.Ledger.apply

    def spy(self: runner.Ledger, command: object, sender: str) -> list[object]:
        events = original(self, command, sender)  # type: ignore[arg-type]
        seen.extend(e for e in events if isinstance(e, RiskMarginUpdated))
        return events  # type: ignore[return-value]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(runner.Ledger, "apply", spy)
        runner.run_exact(scenario, paths, book, draws[0], "isolated_positions", 1.0, 0)

    assert seen, "no update was journalled"
    first = seen[0]
    assert (first.old_maintenance_margin_wad, first.timestamp_ns > 0) == (10**17, True)
    assert 10**17 < first.new_maintenance_margin_wad <= 10**17 + 25 * 10**15  # one step of at most 25%
    assert first.cause.startswith("ewma σ=")


def test_the_check_fails_when_the_vector_engine_keeps_static_margins() -> None:
    static, paths = _crossing()
    book, draws = stress_inputs(static, 1)

    problems, excused = disagreements(
        play_both(_dynamic(static), paths, book, draws, "isolated_positions", vector_scenario=static)
    )

    assert excused == 0
    assert any("liquidation decisions differ" in problem for problem in problems)
