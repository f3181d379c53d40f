"""Portfolio margin in venue files and scripts: the rule's grid in percentages, the bid's signed limit.

Expected values by hand (a percent is 10,000 ppm); every bad input is a named problem at its key
path and nothing compiles.
"""

from __future__ import annotations

import copy
import tomllib
from pathlib import Path
from typing import Any

import pytest

from ringfence.core.portfolio.commands import BidPortfolio, ConfigurePortfolioMargin
from ringfence.core.portfolio.rule import PortfolioRule
from ringfence.service.venue import Catalog, VenueFileError, compile_script, compile_venue
from ringfence.service.venue.human import percent_ppm, volatility_move

EXAMPLES = Path(__file__).parents[2] / "examples"
START_NS = 1_767_225_600 * 10**9
USD = 10**6


def pm_venue() -> dict[str, Any]:
    with (EXAMPLES / "portfolio-margin-venue.toml").open("rb") as handle:
        return tomllib.load(handle)


def venue_problems(data: Any) -> dict[str, str]:
    with pytest.raises(VenueFileError) as caught:
        compile_venue(data, Catalog())
    return {problem.path: problem.message for problem in caught.value.problems}


def script_problems(entries: list[dict[str, Any]], catalog: Catalog) -> dict[str, str]:
    with pytest.raises(VenueFileError) as caught:
        compile_script({"command": entries}, catalog, START_NS)
    return {problem.path: problem.message for problem in caught.value.problems}


def genesis_rule(data: dict[str, Any]) -> PortfolioRule:
    [command] = [
        c.command for c in compile_venue(data, Catalog()).commands if isinstance(c.command, ConfigurePortfolioMargin)
    ]
    return command.rule


@pytest.mark.parametrize(
    ("text", "ppm"),
    [("-16%", -160_000), ("16%", 160_000), ("100%", 1_000_000), ("0.04", 40_000), ("-0.0001%", -1), ("0", 0)],
)
def test_a_grid_percentage_converts_to_whole_ppm_exactly(text: str, ppm: int) -> None:
    assert percent_ppm(text) == ppm


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("1.23456%", "whole number of parts per million"),
        (0.16, "TOML float"),
        ("-x%", "percentage"),
        ("--5%", "percentage"),
    ],
)
def test_a_grid_percentage_off_the_ppm_lattice_or_not_a_number_is_refused(value: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        percent_ppm(value)


def test_volatility_moves_are_named_or_the_cores_integers() -> None:
    assert [volatility_move(v) for v in ("up", "static", "DOWN", 1, 0, -1)] == [1, 0, -1, 1, 0, -1]
    with pytest.raises(ValueError, match='"up", "static" or "down"'):
        volatility_move("sideways")


def test_the_genesis_sends_the_rule_before_opening_and_the_preset_equals_the_columns() -> None:
    data = pm_venue()
    commands = [c.command for c in compile_venue(data, Catalog()).commands]
    names = [type(c).__name__ for c in commands]
    assert names.index("ConfigurePortfolioMargin") == names.index("OpenVenue") - 1
    preset = genesis_rule(data)
    explicit = copy.deepcopy(data)
    table = explicit["portfolio_margin"]
    for key in ("grid", "price_range", "steps"):
        del table[key]
    table["spot_shocks"] = [f"{k * 4}%" for k in range(-4, 5) for _ in range(3)]
    table["volatility_moves"] = ["up", "static", "down"] * 9
    table["weights"] = ["100%"] * 27
    assert genesis_rule(explicit) == preset
    assert preset.minimum_equity_value == 1_000 * USD and preset.linear_contingency_wad == 10**16


def test_a_narrower_preset_has_its_own_buckets() -> None:
    data = pm_venue()
    data["portfolio_margin"].update(price_range="10%", steps=2)
    assert genesis_rule(data).spot_shocks_ppm == tuple(k * 50_000 for k in range(-2, 3) for _ in range(3))


@pytest.mark.parametrize(
    ("change", "path", "message"),
    [
        ({"grid": "binance"}, "portfolio_margin.grid", "not a grid preset"),
        ({"spot_shocks": ["-16%"]}, "portfolio_margin.grid", "not both"),
        ({"price_range": "16.00001%"}, "portfolio_margin.price_range", "parts per million"),
        ({"steps": 3}, "portfolio_margin.price_range", "divisible by 3"),
        ({"maintenance_factor": "0.8x"}, "portfolio_margin.maintenance_factor", "not accepted"),
        ({"minimum_equity_value": "-5"}, "portfolio_margin.minimum_equity_value", "non-negative"),
    ],
)
def test_a_bad_rule_in_the_genesis_is_a_named_problem(change: dict[str, Any], path: str, message: str) -> None:
    data = pm_venue()
    data["portfolio_margin"].update(change)
    problems = venue_problems(data)
    assert message in problems[path], problems


def test_explicit_columns_with_a_bad_move_or_shock_are_named_problems() -> None:
    data = pm_venue()
    table = data["portfolio_margin"]
    for key in ("grid", "price_range", "steps"):
        del table[key]
    table.update(spot_shocks=["-16%", "0.5ppm"], volatility_moves=["up", "left"], weights=["100%", "100%"])
    problems = venue_problems(data)
    assert "percentage" in problems["portfolio_margin.spot_shocks[1]"]
    assert '"up", "static" or "down"' in problems["portfolio_margin.volatility_moves[1]"]


def _catalog(cash: str | None) -> Catalog:
    return Catalog(decimals={"USDC": 6, "ETH": 18}, portfolio_cash=cash)


BID = {"type": "BidPortfolio", "bidder_owner": "dave", "owner": "carol", "share": "50%"}


def test_a_bid_limit_is_signed_and_in_the_rules_cash_asset() -> None:
    steps = compile_script(
        {"command": [{**BID, "limit": "-12.5"}, {**BID, "limit": "5000"}]}, _catalog("USDC"), START_NS
    )
    bids = [step.commands[0].command for step in steps]
    assert all(isinstance(bid, BidPortfolio) for bid in bids)
    assert [bid.limit_atoms for bid in bids] == [-12_500_000, 5_000 * USD]
    assert bids[0].share_wad == 5 * 10**17 and bids[0].bidder_sub_account == 0
    assert steps[0].commands[0].sender == "dave"


def test_a_bid_limit_without_a_rule_or_finer_than_the_cash_is_a_named_problem() -> None:
    assert "no portfolio-margin rule" in script_problems([{**BID, "limit": "10"}], _catalog(None))["command[0].limit"]
    finer = script_problems([{**BID, "limit": "0.0000001"}], _catalog("USDC"))
    assert "not accepted" in finer["command[0].limit"]


def test_a_script_learns_the_cash_asset_from_a_proposed_rule_and_expands_its_preset() -> None:
    change = {"type": "ConfigurePortfolioMargin", "rule": {"cash_asset": "USDC", "grid": "deribit"}}
    entries = [{"type": "ProposeVenueChange", "actor": "admin", "change": change}, {**BID, "limit": "1"}]
    catalog = _catalog(None)
    steps = compile_script({"command": entries}, catalog, START_NS)
    proposal = steps[0].commands[0].command
    assert isinstance(proposal.change, ConfigurePortfolioMargin)  # type: ignore[attr-defined]
    assert len(proposal.change.rule.spot_shocks_ppm) == 27  # type: ignore[attr-defined]
    assert catalog.portfolio_cash == "USDC" and steps[1].commands[0].command.limit_atoms == USD  # type: ignore[attr-defined]


def test_the_account_commands_compile_with_their_senders_and_default_sub_accounts() -> None:
    entries = [
        {"type": "EnablePortfolioMargin", "owner": "carol"},
        {"type": "DisablePortfolioMargin", "owner": "carol", "sub_account": 2},
        {"type": "StartPortfolioAuction", "keeper_owner": "keeper", "owner": "carol"},
        {"type": "EndPortfolioAuction", "actor": "erin", "owner": "carol"},
    ]
    steps = compile_script({"command": entries}, _catalog("USDC"), START_NS)
    compiled = [step.commands[0] for step in steps]
    assert [c.sender for c in compiled] == ["carol", "carol", "keeper", "erin"]
    assert [getattr(c.command, "sub_account") for c in compiled] == [0, 2, 0, 0]  # noqa: B009
    assert all(c.command.timestamp_ns == START_NS for c in compiled)
    problems = script_problems([{"type": "StartPortfolioAuction", "owner": "carol"}], _catalog("USDC"))
    assert "required" in problems["command[0].keeper_owner"]
