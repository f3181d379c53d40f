"""``ringfence recommend`` end to end through typer: outputs written, bad input refused (exit 2) before any run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ringfence.cli.main import app
from support.recommend_scenarios import ONE_STEP

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"


@pytest.fixture
def one_step(tmp_path: Path) -> Path:
    path = tmp_path / "one-step.toml"
    path.write_text(ONE_STEP)
    return path


def test_recommend_writes_the_json_the_report_and_a_plot_per_curve(one_step: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app, ["recommend", str(one_step), "--levels", "6", "--alpha", "0.05", "--confirm", "2", "--out", str(out)]
    )

    assert result.exit_code == 0, result.output
    assert {p.name for p in out.iterdir()} == {
        "recommend.json",
        "recommend.html",
        "recommend-pool-A-maintenance_margin.png",
        "recommend-pool-B-maintenance_margin.png",
    }
    document = json.loads((out / "recommend.json").read_text())
    assert document["settings"]["runs"] == 200 and document["settings"]["alpha"] == 0.05
    curve = document["curves"][0]
    assert len(curve["levels"]) == 6
    assert {"value", "low", "high", "method"} <= set(curve["levels"][0]["probability"])
    assert {"level", "level_low", "level_high", "crossing", "resamples", "seed"} <= set(curve["recommendation"])
    assert curve["exact_confirmation"] is None or curve["exact_confirmation"]["paths"] == 2
    assert "pool-A maintenance_margin" in result.output


def test_a_shared_rung_exits_2_naming_the_key_and_writes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["recommend", str(SCENARIOS / "mango-cross.toml"), "--out", str(out)])

    assert result.exit_code == 2
    assert "venue.isolation" in result.output
    assert not out.exists()


@pytest.mark.parametrize(
    ("options", "named"),
    [
        (["--alpha", "1.5"], "alpha"),
        (["--low", "0.01"], "--low"),
        (["--parameter", "leverage"], "--parameter"),
        (["--low", "0.3", "--high", "0.6"], "maintenance_margin"),  # IM = 2 × 0.6: refused, not capped
        (["--confirm", "500"], "--confirm"),
    ],
)
def test_a_bad_option_exits_2_naming_it_before_any_run(
    one_step: Path, tmp_path: Path, options: list[str], named: str
) -> None:
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["recommend", str(one_step), "--out", str(out), *options])

    assert result.exit_code == 2, result.output
    assert named in result.output
    assert not out.exists()
