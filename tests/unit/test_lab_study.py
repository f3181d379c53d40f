"""The study result (``ringfence.lab.study``), built from hand-made runs, not an engine."""

from __future__ import annotations

from dataclasses import replace

import pytest

from ringfence.core.errors import InvalidParameter
from ringfence.lab.metrics import summarise
from ringfence.lab.study import (
    NoProgress,
    Progress,
    SectionEngines,
    frontier_point,
    keeper_sweep_point,
    ladder_row,
)
from support.lab_runs import make_run, sample_runs, sample_study


def test_engine_for_names_the_engine_of_each_section() -> None:
    study = sample_study()
    assert study.engine_for("base") == "exact"
    assert study.engine_for("ladder") == "exact"
    assert study.engine_for("frontier") == "vector"
    assert study.engine_for("keeper_sweep") == "exact"


def test_engine_for_refuses_an_unknown_section() -> None:
    with pytest.raises(InvalidParameter, match=r"section='paths'.*base, ladder, frontier, keeper_sweep"):
        sample_study().engine_for("paths")  # type: ignore[arg-type]


def test_a_study_needs_base_runs() -> None:
    with pytest.raises(InvalidParameter, match=r"base=.*at least one run"):
        replace(sample_study(), base=())


def test_a_study_needs_at_least_one_run_per_design() -> None:
    with pytest.raises(InvalidParameter, match=r"runs_per_design=0"):
        replace(sample_study(), runs_per_design=0)


def test_frontier_and_sweep_points_take_their_numbers_from_the_summary() -> None:
    # contagion 0, 300 → mean 150; bad debt 10, 30 → mean 20, VaR95 = ⌈0.95·2⌉ = 2nd = 30;
    # open notional 1000 on collateral 1000 → efficiency 1.0; one liquidation delayed 60 s
    runs = [
        make_run(path_index=0, bad_debt=(10.0, 0.0), records=[(1, 0, 0, 0, 100.0, 0.0, 0.0, 60.0, False)]),
        make_run(path_index=1, bad_debt=(0.0, 30.0), contagion=300.0),
    ]
    summary = summarise(runs)
    point = frontier_point("monolithic", 0.5, summary)
    assert (point.capital_efficiency_mean, point.contagion_mean_usd, point.bad_debt_mean_usd) == (1.0, 150.0, 20.0)
    sweep = keeper_sweep_point(30, summary)
    assert (sweep.bad_debt_mean_usd, sweep.var95_usd, sweep.liquidation_delay_mean_seconds) == (20.0, 30.0, 60.0)


def test_ladder_row_summarises_its_runs() -> None:
    row = ladder_row("subaccounts", 1.0, sample_runs(3, "subaccounts"))
    # sample losses 250·k for k = 0, 1, 2 → mean 250
    assert row.summary.bad_debt_mean_usd == 250.0
    assert row.summary.runs == 3


def test_section_engines_uniform() -> None:
    assert SectionEngines.uniform("vector") == SectionEngines("vector", "vector", "vector", "vector")


def test_no_progress_is_a_progress() -> None:
    progress: Progress = NoProgress()
    progress.start(3)
    progress.advance()
    progress.advance(2)
    progress.close()
    assert isinstance(progress, NoProgress)
