"""Every bundled scenario, reduced to one path per design, runs end to end through the exact engine,
and its report opens in headless Chromium with every plot drawn and no console error.

Also: the same scenario and seed give byte-identical results JSON, and a different seed does not.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from test_report_browser import _check_report, browser  # noqa: F401  (the module's Chromium fixture)

from ringfence.lab.export import results_json
from ringfence.lab.scenario import load_scenario
from ringfence.lab.stress import run_study
from support.shared_data import shared_data_dir

pytestmark = pytest.mark.e2e

SCENARIOS = sorted((Path(__file__).resolve().parents[2] / "scenarios").glob("*.toml"))


def test_the_bundled_scenarios_are_the_documented_ones() -> None:
    assert [path.stem for path in SCENARIOS] == [
        "black-thursday",
        "credit-lines",
        "isolation-ladder",
        "mango-cross",
        "mango-isolated",
        "options-crash",
    ]


@pytest.mark.parametrize("path", SCENARIOS, ids=[path.stem for path in SCENARIOS])
def test_a_bundled_scenario_runs_and_its_report_opens_cleanly(
    path: Path,
    browser: Any,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("RINGFENCE_SHARED_DATA", str(shared_data_dir()))
    scenario = load_scenario(path)
    reduced = scenario.model_copy(
        update={"study": scenario.study.model_copy(update={"margin_scales": scenario.study.margin_scales[:2]})}
    )

    study = run_study(reduced, runs=1)

    _check_report(browser, study, tmp_path)


def test_the_same_seed_gives_byte_identical_results_and_another_seed_does_not() -> None:
    scenario = load_scenario(Path(__file__).resolve().parents[2] / "scenarios" / "mango-cross.toml")
    reseeded = scenario.model_copy(update={"seed": scenario.seed + 1})

    first = results_json(run_study(scenario, runs=2))
    second = results_json(run_study(scenario, runs=2))
    other = results_json(run_study(reseeded, runs=2))

    assert first == second
    assert first != other
