"""The fused kernel's choice, refusals and buffers, and its one reproduction of a NumPy reduction order.

The fused kernel's results against the numpy kernel's are in ``tests/differential/test_fused_vs_numpy.py``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ringfence.core.errors import InvalidParameter
from ringfence.lab.errors import ScenarioError
from ringfence.lab.sample import sample_paths
from ringfence.lab.scenario import load_scenario
from ringfence.lab.vector import fused, run_vector
from ringfence.lab.vector.fused import KERNEL_ENVIRONMENT, choose_kernel
from support.fused import identical
from support.stress import stress_inputs, stress_scenario

pytest.importorskip("numba")

DYNAMIC = {"interval_seconds": 3600, "lookback_steps": 4}


def _liquidating() -> object:
    return stress_scenario(
        seed=7,
        horizon={"steps": 40},
        price={"kind": "gbm", "asset": "ETH", "initial_price": 100.0, "volatility": 3.0},
        population={"traders": 40, "collateral_log_sd": 0.6, "leverage_min": 2.0, "leverage_max": 15.0},
        venue={"pool": {"close_factor": 0.5}},
    )


@pytest.mark.parametrize("length", [*range(1, 140), 255, 256, 257, 1000, 8191, 8192, 8193, 20_000])
def test_the_kernels_row_sum_adds_as_numpy_sums_along_an_axis(length: int) -> None:
    from ringfence.lab.vector.fused_kernel import numpy_row_sum  # imports numba: first use only

    rows = np.random.default_rng(length).normal(size=(3, length)) * 10.0 ** np.random.default_rng(1).integers(
        -3, 7, size=(3, length)
    )
    expected = rows.sum(axis=1)
    got = np.array([numpy_row_sum(np.ascontiguousarray(row)) for row in rows])
    assert got.tobytes() == expected.tobytes()


def test_auto_takes_the_fused_kernel_where_numba_is_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(KERNEL_ENVIRONMENT, raising=False)
    assert choose_kernel(stress_scenario()) == fused.KernelChoice("fused")
    assert choose_kernel(stress_scenario(), "numpy") == fused.KernelChoice("numpy", "asked for")


def test_auto_plays_dynamic_margins_and_observers_on_numpy_and_says_why(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(KERNEL_ENVIRONMENT, raising=False)
    choice = choose_kernel(stress_scenario(venue={"dynamic_margin": DYNAMIC}))
    assert choice.kernel == "numpy"
    assert choice.reason.startswith("venue.dynamic_margin:")
    assert choose_kernel(stress_scenario(), observed=True).reason.startswith("observe:")


def test_the_credit_lines_rung_stays_on_numpy_and_says_why(monkeypatch: pytest.MonkeyPatch) -> None:
    # the fused loop does not count a line's room in the borrower's reserve checks (lab/vector/credit.py)
    monkeypatch.delenv(KERNEL_ENVIRONMENT, raising=False)
    scenario = load_scenario(Path(__file__).resolve().parents[2] / "scenarios" / "credit-lines.toml")
    choice = choose_kernel(scenario)
    assert choice.kernel == "numpy"
    assert choice.reason.startswith("venue.credit_lines:")
    with pytest.raises(ScenarioError) as caught:
        choose_kernel(scenario, "fused")
    assert caught.value.keys == ("venue.credit_lines",)


def test_fused_asked_for_refuses_what_it_does_not_play_by_key() -> None:
    with pytest.raises(ScenarioError) as caught:
        choose_kernel(stress_scenario(venue={"dynamic_margin": DYNAMIC}), "fused", observed=True)
    assert caught.value.keys == ("venue.dynamic_margin", "observe")
    scenario = stress_scenario()
    book, draws = stress_inputs(scenario, 2)
    with pytest.raises(ScenarioError):
        run_vector(scenario, sample_paths(scenario, 2), book, draws, "monolithic", 1.0, kernel="fused", observe=print)


def test_the_kernel_comes_from_the_environment_and_a_bad_name_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(KERNEL_ENVIRONMENT, "numpy")
    assert choose_kernel(stress_scenario()).kernel == "numpy"
    monkeypatch.setenv(KERNEL_ENVIRONMENT, "gpu")
    with pytest.raises(InvalidParameter):
        choose_kernel(stress_scenario())
    with pytest.raises(InvalidParameter):
        choose_kernel(stress_scenario(), "gpu")  # type: ignore[arg-type]


def test_without_numba_auto_falls_back_and_fused_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    # A stub stands in for a machine without numba (numba is installed here).
    monkeypatch.delenv(KERNEL_ENVIRONMENT, raising=False)
    monkeypatch.setattr(fused, "numba_available", lambda: False)
    assert choose_kernel(stress_scenario()) == fused.KernelChoice("numpy", "numba is not installed")
    with pytest.raises(InvalidParameter):
        choose_kernel(stress_scenario(), "fused")


def test_a_run_that_overflows_its_buffers_replays_with_more_room_and_the_same_results(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    scenario = _liquidating()
    paths = sample_paths(scenario, 4)  # type: ignore[arg-type]
    book, draws = stress_inputs(scenario, 4)  # type: ignore[arg-type]
    roomy = run_vector(scenario, paths, book, draws, "monolithic", 1.0, kernel="fused")  # type: ignore[arg-type]
    assert sum(len(run.liquidations) for run in roomy) > 20
    played = []
    original = fused._play

    def counting(run: object, capacity: int, rows: int) -> object:
        played.append((capacity, rows))
        return original(run, capacity, rows)  # type: ignore[arg-type]

    monkeypatch.setattr(fused, "_play", counting)
    monkeypatch.setattr(fused, "FIRST_CAPACITY", 1 - 40)  # one close per step
    monkeypatch.setattr(fused, "RECORDS_PER_POSITION", 0)
    monkeypatch.setattr(fused, "RECORDS_SPARE", 1)  # one record per path
    cramped = run_vector(scenario, paths, book, draws, "monolithic", 1.0, kernel="fused")  # type: ignore[arg-type]
    assert len(played) > 1
    assert played[0] == (1, 1)
    assert identical(cramped, roomy) == []
