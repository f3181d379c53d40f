"""Black Thursday replayed from the real hourly CSV: slower keepers never leave less bad debt.

``scenarios/black-thursday.toml`` sweeps keeper latency over 0-4 hours with fixed seeds (the same
path, population and draws at every latency).
"""

from __future__ import annotations

import itertools
from pathlib import Path

from ringfence.lab.scenario import load_scenario
from ringfence.lab.stress import collect_runs
from support.shared_data import shared_data_dir

SCENARIO = Path(__file__).resolve().parents[2] / "scenarios" / "black-thursday.toml"


def test_bad_debt_does_not_decrease_as_keeper_latency_grows(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("RINGFENCE_SHARED_DATA", str(shared_data_dir()))
    scenario = load_scenario(SCENARIO)
    study = collect_runs(scenario, runs=1)

    sweep = sorted(
        (key.keeper_latency_seconds, runs[0].total_bad_debt_usd)
        for key, runs in study.runs.items()
        if key.keeper_latency_seconds is not None
    )
    latencies = [latency for latency, _ in sweep]
    bad_debt = [debt for _, debt in sweep]

    assert latencies == [0, 3600, 7200, 10800, 14400]
    assert bad_debt[0] > 0
    assert all(later >= earlier for earlier, later in itertools.pairwise(bad_debt))
    assert bad_debt[-1] > bad_debt[0]
