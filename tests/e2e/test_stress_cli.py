"""``ringfence stress`` end to end through typer: outputs written, bad input refused before any run."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from ringfence.cli.main import app

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"


def test_stress_writes_the_report_the_results_and_the_tables(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["stress", str(SCENARIOS / "mango-isolated.toml"), "--runs", "1", "--out", str(tmp_path)]
    )

    assert result.exit_code == 0, result.output
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
