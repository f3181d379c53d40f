"""The lab conservation sum: traders + LPs + insurance + keepers + protocol + the outside market = 0 in every run.

Every bundled scenario, reduced to its first two margin scales and one path per design, on the
exact engine (the sum is exactly 0 in atoms; each party is converted to USD once, so the float
sum is within 1e-6 USD), and on the vector engine where it plays the scenario (no attacker),
three paths per design, within the float tolerance justified in ``tests/support/differential.py``.
The hypothesis-generated scenarios of ``tests/differential`` check the same in every run.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ringfence.lab.results import PARTIES
from ringfence.lab.scenario import Scenario, load_scenario
from ringfence.lab.stress import collect_runs
from support.differential import conservation_problems
from support.shared_data import shared_data_dir

SCENARIOS = sorted((Path(__file__).resolve().parents[2] / "scenarios").glob("*.toml"))


def reduced(path: Path) -> Scenario:
    scenario = load_scenario(path)
    study = scenario.study.model_copy(update={"margin_scales": scenario.study.margin_scales[:2]})
    return scenario.model_copy(update={"study": study})


@pytest.mark.parametrize("path", SCENARIOS, ids=[path.stem for path in SCENARIOS])
def test_every_run_of_a_bundled_scenario_conserves_value(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RINGFENCE_SHARED_DATA", str(shared_data_dir()))
    scenario = reduced(path)
    exact_only = scenario.attacker is not None or (scenario.venue is not None and bool(scenario.venue.options))
    engines = [("exact", 1)] if exact_only else [("exact", 1), ("vector", 3)]

    for engine, runs in engines:
        study = collect_runs(scenario, engine=engine, runs=runs)  # type: ignore[arg-type]
        results = [run for design in study.runs.values() for run in design]

        assert results
        assert all(tuple(run.party_pnl_usd) == PARTIES for run in results)
        assert conservation_problems(scenario, results) == []
        # not a sum of zeros: value moved between parties
        assert any(abs(run.party_pnl_usd["traders"]) > 1.0 for run in results)
