"""``ringfence domains``: the report and the JSON of a domains study; a bad scenario is refused by key (exit 2)."""

from __future__ import annotations

import json
import math
from pathlib import Path

from typer.testing import CliRunner

from ringfence.cli.main import app

SCENARIO = Path(__file__).resolve().parents[2] / "scenarios" / "domains" / "bridge-halt-depeg.toml"


def test_domains_writes_where_the_loss_landed_with_intervals(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["domains", str(SCENARIO), "--runs", "2", "--out", str(out)])
    assert result.exit_code == 0, result.output
    data = json.loads((out / "domains.json").read_text())
    assert data["engine"] == "exact" and data["runs"] == 2
    assert set(data["domains"]) == {"ethereum", "fantom", "solana"}
    assert data["domains"]["solana"]["unchanged_paths"] == 2
    fantom_eth = data["domains"]["fantom"]["pools"]["pool-ETH"]["bad_debt_usd"]
    assert fantom_eth["mean"] > 0 and fantom_eth["low"] <= fantom_eth["mean"] <= fantom_eth["high"]
    assert data["domains"]["fantom"]["pools"]["pool-BTC"]["bad_debt_usd"]["mean"] == 0.0
    assert set(data["parties_all_domains"]) == {"as given", "halt only", "depeg only"}
    holders = data["parties_all_domains"]["as given"]["holders"]
    assert math.isfinite(holders["mean"]) and holders["low"] is not None
    page = (out / "domains.html").read_text()
    assert "Where the loss landed" in page and "<svg" in page and "pool-ETH" in page


def test_a_bad_domains_scenario_is_refused_naming_its_key(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(SCENARIO.read_text().replace('wrapped_domain = "fantom"', 'wrapped_domain = "cosmos"'))
    result = CliRunner().invoke(app, ["domains", str(bad), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert "bridges[0].wrapped_domain" in result.output
    assert not (tmp_path / "out").exists()
