"""``--backend ray`` on a local Ray: byte-identical results to the local backend, and a cluster that is not there.

Ray is an optional extra (``pip install -e '.[ray]'``). Without it these tests skip on a developer's
machine and fail under CI (``CI`` set), where ``scripts/test`` installs it. One local Ray with two
CPUs is started for the module (its start-up costs seconds) and every test's backend joins it.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest
from typer.testing import CliRunner

from ringfence.cli.main import app
from ringfence.lab.errors import ClusterUnreachable
from ringfence.lab.execution import LocalBackend, RayBackend
from ringfence.lab.export import results_json
from ringfence.lab.recommend.grid import check_recommend_scenario
from ringfence.lab.recommend.sweep import LevelTask, run_levels, sweep_inputs
from ringfence.lab.scenario import load_scenario
from ringfence.lab.stress import run_study
from support.recommend_scenarios import ONE_STEP

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"


def _ray() -> ModuleType:
    try:
        import ray
    except ImportError:
        reason = "ray is not installed (pip install -e '.[ray]')"
        if os.environ.get("CI"):
            pytest.fail(f"{reason}; CI must run the Ray tests (scripts/test installs the [ray] extra)")
        pytest.skip(f"{reason} (scripts/test installs it; under CI this fails instead)")
    return ray


@pytest.fixture(scope="module")
def local_ray() -> Iterator[RayBackend]:
    ray = _ray()
    ray.init(address="local", num_cpus=2, include_dashboard=False, logging_level="ERROR", log_to_driver=False)
    try:
        yield RayBackend(cpus=2)
    finally:
        ray.shutdown()


@pytest.fixture
def no_cluster_address(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RAY_ADDRESS", raising=False)


def _stress(out: Path, *backend: str) -> bytes:
    arguments = ["stress", str(SCENARIOS / "isolation-ladder.toml"), "--runs", "4", "--engine", "vector"]
    result = CliRunner().invoke(app, [*arguments, "--no-sensitivity", "--confirm", "0", *backend, "--out", str(out)])
    assert result.exit_code == 0, result.output
    return (out / "results.json").read_bytes()


def test_stress_on_ray_writes_the_local_backends_results_byte_for_byte(
    local_ray: RayBackend, no_cluster_address: None, tmp_path: Path
) -> None:
    local = _stress(tmp_path / "local")
    on_ray = _stress(tmp_path / "ray", "--backend", "ray", "--workers", "2")
    assert on_ray == local


def test_a_study_in_chunks_with_its_tornado_on_ray_is_byte_identical_to_the_local_run(
    local_ray: RayBackend, tmp_path: Path
) -> None:
    scenario = load_scenario(SCENARIOS / "isolation-ladder.toml")
    # 5 paths in chunks of 2: three tasks per design, the last one shorter; the tornado's variants are tasks too
    local = run_study(scenario, engine="vector", runs=5, chunk_paths=2, backend=LocalBackend())
    on_ray = run_study(scenario, engine="vector", runs=5, chunk_paths=2, backend=local_ray)
    assert results_json(on_ray) == results_json(local)
    assert local.sensitivity, "the tornado was played"


def test_a_recommendation_sweep_on_ray_gives_the_local_losses_bit_for_bit(
    local_ray: RayBackend, tmp_path: Path
) -> None:
    path = tmp_path / "one-step.toml"
    path.write_text(ONE_STEP)
    scenario = load_scenario(path)
    check_recommend_scenario(scenario)
    inputs = sweep_inputs(scenario, 50)
    tasks = [LevelTask.one("maintenance_margin", pool, level) for pool in (0, 1) for level in (0.02, 0.05)]
    local = run_levels(scenario, tasks, inputs, chunk_paths=20)
    on_ray = run_levels(scenario, tasks, inputs, chunk_paths=20, backend=local_ray)
    assert len(on_ray) == len(tasks)
    for ours, theirs in zip(on_ray, local, strict=True):
        assert ours.shape == (50, 2, 2)
        assert ours.tobytes() == theirs.tobytes()
    assert any(np.any(losses > 0.0) for losses in local), "some level loses money: the comparison has content"


def test_recommend_on_ray_writes_the_local_json_byte_for_byte(
    local_ray: RayBackend, no_cluster_address: None, tmp_path: Path
) -> None:
    path = tmp_path / "one-step.toml"
    path.write_text(ONE_STEP)
    written = {}
    for name in ("local", "ray"):
        out = tmp_path / name
        arguments = ["recommend", str(path), "--levels", "4", "--confirm", "0", "--backend", name, "--out", str(out)]
        result = CliRunner().invoke(app, arguments)
        assert result.exit_code == 0, result.output
        written[name] = (out / "recommend.json").read_bytes()
    assert written["ray"] == written["local"]


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_an_unreachable_cluster_exits_75_by_name_and_writes_nothing(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _ray()
    address = f"127.0.0.1:{_closed_port()}"
    monkeypatch.setenv("RAY_ADDRESS", address)
    out = tmp_path / "out"
    arguments = ["stress", str(SCENARIOS / "isolation-ladder.toml"), "--runs", "2", "--backend", "ray"]
    result = CliRunner().invoke(app, [*arguments, "--out", str(out)])

    assert result.exit_code == 75, result.output
    assert "ClusterUnreachable" in result.output and address in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert not out.exists()


def test_the_backend_refuses_an_unreachable_address_without_ray_retrying() -> None:
    _ray()
    with pytest.raises(ClusterUnreachable) as caught:
        RayBackend(address=f"ray://127.0.0.1:{_closed_port()}").connect()
    assert caught.value.address is not None and caught.value.address.startswith("ray://127.0.0.1:")
