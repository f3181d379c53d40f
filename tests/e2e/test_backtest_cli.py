"""``ringfence backtest`` end to end through typer: outputs written and reproducible, bad files refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ringfence.cli.main import app
from support.liquidation_csv import random_stream, write_stream
from support.shared_data import RISKDAO_FILE, shared_data_dir

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def test_backtest_writes_the_record_and_the_plot_and_repeats_byte_for_byte(tmp_path: Path) -> None:
    csv = write_stream(tmp_path / "stream.csv", *random_stream(seed=11, hours=8))

    first = CliRunner().invoke(app, ["backtest", str(csv), "--out", str(tmp_path / "one")])
    second = CliRunner().invoke(app, ["backtest", str(csv), "--out", str(tmp_path / "two")])

    assert first.exit_code == 0, first.output
    assert second.exit_code == 0, second.output
    assert "Spearman" in first.output
    record = (tmp_path / "one" / "backtest.json").read_bytes()
    assert record == (tmp_path / "two" / "backtest.json").read_bytes()
    assert set(json.loads(record)["metrics"]) == {"fit", "test"}
    assert (tmp_path / "one" / "backtest.png").read_bytes().startswith(PNG_SIGNATURE)


def test_a_csv_without_the_liquidation_columns_exits_2_naming_the_error(tmp_path: Path) -> None:
    csv = tmp_path / "prices.csv"
    csv.write_text("timestamp_x,ask_price,bid_price\n1609459200000000,1,0.9\n1609473600000000,1,0.9\n")

    result = CliRunner().invoke(app, ["backtest", str(csv), "--out", str(tmp_path / "out")])

    assert result.exit_code == 2
    assert "HistoryFileError" in result.output
    assert "binance-futures_ethusdt_liquidation_long" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "out").exists()


def test_a_missing_csv_exits_2_naming_the_file(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["backtest", str(tmp_path / "nope.csv"), "--out", str(tmp_path / "out")])

    assert result.exit_code == 2
    assert "nope.csv" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_backtest_without_a_file_replays_the_shared_january_2021_stream(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RINGFENCE_SHARED_DATA", str(shared_data_dir()))

    result = CliRunner().invoke(app, ["backtest", "--out", str(tmp_path)])

    assert result.exit_code == 0, result.output
    record = json.loads((tmp_path / "backtest.json").read_bytes())
    assert record["source"]["file"] == RISKDAO_FILE
    assert record["windows"]["test"] == {"start": "2021-01-16T00:00Z", "end": "2021-01-31T00:00Z", "hours": 360}
