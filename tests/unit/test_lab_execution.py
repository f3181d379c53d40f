"""The execution port (lab/execution): fixed chunks, the local backend, and what a missing Ray does."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ringfence.cli.main import app
from ringfence.core.errors import InvalidParameter
from ringfence.lab.errors import BackendNotInstalled
from ringfence.lab.execution import LocalBackend, RayBackend, chunk_ranges, ray_cluster
from ringfence.lab.execution.threads import THREADS_ENVIRONMENT, thread_budget
from ringfence.lab.export import results_json
from ringfence.lab.stress import run_study
from support.stress import stress_scenario

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"


def _scaled(shared: int, factor: int, offset: int) -> int:
    return shared * factor + offset


def test_chunks_cover_every_path_once_in_order_the_last_one_shorter() -> None:
    assert chunk_ranges(7, 3) == [(0, 3), (3, 6), (6, 7)]
    assert chunk_ranges(6, 3) == [(0, 3), (3, 6)]
    assert chunk_ranges(2, 250) == [(0, 2)]


@pytest.mark.parametrize(("paths", "chunk"), [(0, 3), (3, 0)])
def test_an_empty_study_or_chunk_is_refused_by_name(paths: int, chunk: int) -> None:
    with pytest.raises(InvalidParameter):
        chunk_ranges(paths, chunk)


@pytest.mark.parametrize("workers", [1, 2])
def test_the_local_backend_returns_each_call_with_the_shared_value_in_order(workers: int) -> None:
    finished: list[int] = []
    calls = [(factor, offset) for factor, offset in ((1, 0), (2, 1), (3, 2), (4, 3))]

    results = LocalBackend(workers).map(_scaled, calls, 10, done=finished.append)

    assert results == [10, 21, 32, 43]
    assert sorted(finished) == [0, 1, 2, 3]


def test_a_study_in_small_chunks_on_two_processes_is_byte_identical_to_one_process() -> None:
    scenario = stress_scenario(runs=5)
    one = run_study(scenario, engine="vector", runs=5, sensitivity=False, chunk_paths=2)
    two = run_study(scenario, engine="vector", runs=5, sensitivity=False, chunk_paths=2, backend=LocalBackend(2))
    assert results_json(one) == results_json(two)
    # every run carries its index in the whole study, whichever chunk played it
    assert [run.path_index for run in one.base] == [0, 1, 2, 3, 4]


def test_importing_the_lab_and_the_cli_does_not_import_ray() -> None:
    code = "import sys, ringfence.cli.main, ringfence.lab.stress, ringfence.lab.recommend; print('ray' in sys.modules)"
    answer = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert answer.stdout.strip() == "False"


def test_without_ray_the_ray_backend_is_a_named_error(monkeypatch: pytest.MonkeyPatch) -> None:
    # A mock: this machine may have ray installed, so its import is made to fail as it does without it.
    def no_ray(name: str) -> object:
        raise ModuleNotFoundError(f"No module named {name!r}")

    monkeypatch.setattr(ray_cluster.importlib, "import_module", no_ray)
    with pytest.raises(BackendNotInstalled, match=r"pip install -e '\.\[ray\]'"):
        RayBackend().connect()


def test_stress_with_ray_missing_exits_69_by_name_and_writes_nothing(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # A mock, as above: the import of ray fails as on a machine without the [ray] extra.
    def no_ray(name: str) -> object:
        raise ModuleNotFoundError(f"No module named {name!r}")

    monkeypatch.setattr(ray_cluster.importlib, "import_module", no_ray)
    out = tmp_path / "out"
    arguments = ["stress", str(SCENARIOS / "isolation-ladder.toml"), "--runs", "2", "--backend", "ray"]
    result = CliRunner().invoke(app, [*arguments, "--out", str(out)])

    assert result.exit_code == 69, result.output
    assert "BackendNotInstalled" in result.output and "pip install -e" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert not out.exists()


def test_an_unknown_backend_is_refused_by_name(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["stress", "--backend", "dask", "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert "--backend" in result.output
    assert not (tmp_path / "out").exists()


def _threads_here(shared: object, call: int) -> int:
    from ringfence.lab.execution.threads import thread_budget

    return thread_budget()


def test_local_workers_share_the_cores_out_so_the_fused_threads_do_not_oversubscribe() -> None:
    # Arrange: as many workers as this process may use cores
    cpus = len(os.sched_getaffinity(0))

    # Act
    budgets = LocalBackend(workers=2).map(_threads_here, [(0,), (1,)])

    # Assert: each worker runs cores // workers threads (at least one)
    assert budgets == [max(1, cpus // 2)] * 2


@pytest.mark.parametrize("budget", ["1", "64"])
def test_the_thread_budget_caps_the_threads_at_the_cores(monkeypatch: pytest.MonkeyPatch, budget: str) -> None:
    monkeypatch.setenv(THREADS_ENVIRONMENT, budget)
    assert thread_budget() == min(int(budget), len(os.sched_getaffinity(0)))


@pytest.mark.parametrize("budget", ["0", "-1", "two", ""])
def test_a_thread_budget_that_is_not_a_positive_integer_is_refused_by_name(
    monkeypatch: pytest.MonkeyPatch, budget: str
) -> None:
    monkeypatch.setenv(THREADS_ENVIRONMENT, budget)
    with pytest.raises(InvalidParameter, match=THREADS_ENVIRONMENT):
        thread_budget()
