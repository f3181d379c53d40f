"""``ringfence stress`` end to end through typer: outputs written, bad input refused before any run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ringfence.cli.main import app

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"


def test_stress_writes_the_report_the_results_and_the_tables(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["stress", str(SCENARIOS / "mango-isolated.toml"), "--runs", "1", "--out", str(tmp_path)]
    )

    assert result.exit_code == 0, result.output
    # the default engine is auto: mango-isolated has an attacker, which only the exact engine plays
    assert "exact engine: the vector engine does not model this scenario" in result.output
    assert json.loads((tmp_path / "results.json").read_text())["engines"]["base"] == "exact"
    assert {path.name for path in tmp_path.iterdir()} >= {
        "report.html",
        "results.json",
        "liquidations.parquet",
        "runs.parquet",
    }


def test_a_scenario_with_an_impossible_value_is_refused_naming_the_key_before_any_run(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text((SCENARIOS / "mango-cross.toml").read_text().replace("leverage_min = 1.0", "leverage_min = 0.5"))

    result = CliRunner().invoke(app, ["stress", str(bad), "--out", str(tmp_path / "out")])

    assert result.exit_code == 2
    assert "population.leverage_min" in result.output
    assert not (tmp_path / "out").exists()


def test_a_prices_file_that_does_not_exist_is_refused(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app,
        [
            "stress",
            str(SCENARIOS / "black-thursday.toml"),
            "--prices",
            str(tmp_path / "nope.csv"),
            "--out",
            str(tmp_path),
        ],
    )

    assert result.exit_code == 2
    assert "nope.csv" in result.output


def test_the_vector_engine_refuses_the_attacker_by_name_before_any_run(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["stress", str(SCENARIOS / "mango-cross.toml"), "--engine", "vector", "--out", str(tmp_path / "out")]
    )

    assert result.exit_code == 2
    assert "attacker" in result.output
    assert not (tmp_path / "out").exists()


def test_both_engines_report_the_same_bad_debt_on_the_black_thursday_replay(tmp_path: Path) -> None:
    outputs = {}
    for engine in ("exact", "vector"):
        out = tmp_path / engine
        result = CliRunner().invoke(
            app,
            [
                "stress",
                str(SCENARIOS / "black-thursday.toml"),
                *("--engine", engine, "--runs", "2", "--no-sensitivity", "--out", str(out)),
            ],
        )
        assert result.exit_code == 0, result.output
        outputs[engine] = json.loads((out / "results.json").read_text())

    exact, vector = (outputs[engine]["keeper_sweep"] for engine in ("exact", "vector"))
    # Tolerance: the differential suite's 1e-3 USD per run (tests/support/differential.py).
    assert [point["bad_debt_mean_usd"] for point in vector] == pytest.approx(
        [point["bad_debt_mean_usd"] for point in exact], abs=1e-3
    )


@pytest.mark.parametrize(
    ("old", "new", "key", "allowed"),
    [
        ("collateral_mean = 10000.0", "collateral_mean = 1e300", "population.collateral_mean", "10000000000"),
        ("leverage_max = 18.0", "leverage_max = 1e300", "population.leverage_max", "1000"),
        ("volatilities = [0.6, 0.8707, 1.2]", "volatilities = [0.6, 1e10, 1.2]", "price.volatilities[1]", "20"),
        (
            "daily_volume_usd = 1.091e10",
            "daily_volume_usd = 1e300",
            "venue.markets[0].daily_volume_usd",
            "10000000000000",
        ),
        ("lp_capital = 500000.0", "lp_capital = 1e300", "venue.markets[2].lp_capital", "1000000000000"),
    ],
)
def test_an_absurd_magnitude_is_refused_naming_the_field_and_its_range_before_any_run(
    tmp_path: Path, old: str, new: str, key: str, allowed: str
) -> None:
    text = (SCENARIOS / "isolation-ladder.toml").read_text()
    assert old in text
    bad = tmp_path / "absurd.toml"
    bad.write_text(text.replace(old, new, 1))

    result = CliRunner().invoke(app, ["stress", str(bad), "--out", str(tmp_path / "out")])

    assert result.exit_code == 2
    flat = " ".join(result.output.split())
    assert key in flat
    assert f"less than or equal to {allowed}" in flat
    assert not (tmp_path / "out").exists()


def test_an_absurd_explicit_depth_is_refused_naming_the_field(tmp_path: Path) -> None:
    text = (SCENARIOS / "black-thursday.toml").read_text()
    bad = tmp_path / "deep.toml"
    bad.write_text(text.replace("daily_volume_usd = 2.0e9\ndaily_volatility = 0.0426\n", "depth_usd = 1e300\n"))

    result = CliRunner().invoke(app, ["stress", str(bad), "--out", str(tmp_path / "out")])

    assert result.exit_code == 2
    assert "venue.markets[0].depth_usd" in " ".join(result.output.split())
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("runs", "expected"),
    [
        # past the scenario's bound (10,000,000 runs)
        ("99999999999", "less than or equal to 10000000"),
        # inside the bound, but 9e6 x 97 steps x (6 prices + 240 positions + 120 traders + 2) x 8 bytes
        # = 2,394 GiB of prices and uniforms alone, more than any machine this runs on
        ("9000000", "at most"),
    ],
)
def test_more_runs_than_fit_are_refused_by_name_before_any_run(tmp_path: Path, runs: str, expected: str) -> None:
    result = CliRunner().invoke(app, ["stress", "--runs", runs, "--out", str(tmp_path / "out")], env={"COLUMNS": "300"})
    assert result.exit_code == 2, result.output
    assert "runs:" in result.output and expected in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert not (tmp_path / "out").exists()
