"""``scenario_assumptions``: every calibrated or chosen value of a scenario, with its source."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from ringfence.lab.assumptions import UNSOURCED, Assumption, scenario_assumptions, source_for
from ringfence.lab.scenario import load_scenario
from support.stress import BASE, stress_scenario

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
BUNDLED = sorted(SCENARIOS.glob("*.toml"))


def _by_name(rows: tuple[Assumption, ...]) -> dict[str, Assumption]:
    return {row.name: row for row in rows}


def test_source_for_matches_the_first_word_at_the_start_and_the_others_as_whole_words() -> None:
    sources = [
        "ETH/USD hourly bars: geb",
        "BTC daily_volume_usd 1e10: Glassnode",
        "Keepers: chosen",
        "ETH jumps: calib",
    ]

    assert source_for(sources, "BTC", "daily_volume_usd") == sources[1]
    assert source_for(sources, "ETH", "jumps") == sources[3]
    assert source_for(sources, "keepers") == sources[2]
    assert source_for(sources, "ETH", "volume") == UNSOURCED  # "daily_volume_usd" is not the word "volume"
    assert source_for(sources, "Glassnode") == UNSOURCED  # not at the start


def test_the_ladder_lists_each_market_s_calibration_with_its_source() -> None:
    rows = _by_name(scenario_assumptions(load_scenario(SCENARIOS / "isolation-ladder.toml")))

    volume = rows["BTC daily volume (USD)"]
    assert volume.value == "10,910,000,000"
    assert volume.source.startswith("BTC daily_volume_usd") and "Glassnode" in volume.source
    assert rows["ETH jumps (per year; log size mean, sd)"].value == "85.77; -0.0087, 0.0675"
    assert "ringfence calibrate" in rows["ETH jumps (per year; log size mean, sd)"].source
    assert rows["ALT jumps (per year; log size mean, sd)"].value == "6; -0.2, 0.15"
    assert "chosen" in rows["ALT volatility (per year)"].source
    # BTC: sqrt(0.36 + 85.77·(0.006² + 0.0465²)) = 0.74076 a year, /sqrt(365) = 0.038774 a day;
    # a $1M sale: 1.0 · 0.038774 · sqrt(1e6 / 1.091e10) = 0.0371%
    daily = math.sqrt(0.36 + 85.77 * (0.006**2 + 0.0465**2)) / math.sqrt(365)
    assert rows["BTC daily volatility (square-root law)"].value == f"{daily:.4g}"
    assert rows["BTC impact of a $1M sale"].value == f"{daily * math.sqrt(1e6 / 1.091e10):.4%}"
    assert rows["correlation"].value == "BTC-ETH 0.8, BTC-ALT 0.5, ETH-ALT 0.5"
    assert rows["keepers (count, latency s, failure probability)"].value == "3, 900, 0.05"


@pytest.mark.parametrize("file", BUNDLED, ids=[file.stem for file in BUNDLED])
def test_every_value_of_a_bundled_scenario_names_its_source(file: Path) -> None:
    rows = scenario_assumptions(load_scenario(file))

    assert {row.name for row in rows} >= {
        "keepers (count, latency s, failure probability)",
        "traders' leverage (min, max)",
    }
    assert [row.name for row in rows if row.source == UNSOURCED] == []


def test_an_unsourced_scenario_says_so_and_an_explicit_depth_is_listed() -> None:
    market = {**BASE["venue"]["markets"][0], "depth_usd": 4e6, "impact_coefficient": 0.5}
    rows = _by_name(scenario_assumptions(stress_scenario(venue={"markets": [market]})))

    assert rows["ETH depth (USD)"].value == "4,000,000"
    assert rows["ETH impact coefficient"].source == UNSOURCED
    assert rows["ETH volatility (per year)"] == Assumption("ETH volatility (per year)", "0.5", UNSOURCED)
    # 0.5 · sqrt(1e6 / 4e6) = 0.25
    assert rows["ETH impact of a $1M sale"].value == "25.0000%"
    assert rows["ETH margins (initial, maintenance)"].value == "0.15, 0.1"


def test_black_thursday_lists_its_gas_and_the_protocol_liquidator() -> None:
    rows = {row.name: row for row in scenario_assumptions(load_scenario(SCENARIOS / "black-thursday.toml"))}
    gas = rows["keepers' gas per liquidation (USD; multiplier added at full congestion)"]
    # the scenario file: gas_usd = 2.08 (200,000 gas x 80 gwei x $130), congestion_gas = 1.5
    assert gas.value == "2.08; 1.5"
    assert gas.source.startswith("Gas:")
    assert rows["protocol liquidator after (s)"].value == "7200"
