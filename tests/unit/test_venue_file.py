"""Unit tests of venue files and scripts: human units, key paths of every problem, generic field mapping.

Expected atoms and WAD values are written by hand (the arithmetic is in the comment beside
them); the hypothesis properties format their text independently of the parsers.
"""

from __future__ import annotations

import copy
import enum
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ringfence.core.commands import ConfigureOracle, Deposit, OpenVenue, RegisterAsset, SubmitPrice
from ringfence.core.errors import InvalidAmount
from ringfence.core.margin import NO_LIMIT
from ringfence.core.pool.commands import AddMarket, CreatePool, ProvideLiquidity, RemoveLiquidity, Trade
from ringfence.core.pool.state import MarginMode, MarketParams, PoolParams
from ringfence.core.state import LedgerState
from ringfence.service.engine import Engine
from ringfence.service.venue import Catalog, VenueFileError, apply_venue, compile_script, compile_venue, load_plan
from ringfence.service.venue.fields import BuildContext, build, field_paths, model_for
from ringfence.service.venue.human import FLOAT_HINT, atoms_of, duration_ns, duration_seconds, price_wad, ratio_wad
from ringfence.service.venue.problems import validate
from ringfence.service.venue.script import COMMAND_TYPES
from ringfence.store.memory import MemoryJournal

WAD = 10**18
PERCENT = WAD // 100
SECOND_NS = 10**9
START_NS = 1_767_225_600 * SECOND_NS  # 2026-01-01T00:00:00Z: (56·365 + 14 leap days)·86,400 s
EXAMPLES = Path(__file__).parents[2] / "examples"


def example_venue() -> dict[str, Any]:
    with (EXAMPLES / "venue.toml").open("rb") as handle:
        return tomllib.load(handle)


def problems_of(data: Any) -> dict[str, str]:
    with pytest.raises(VenueFileError) as caught:
        compile_venue(data, Catalog())
    return {problem.path: problem.message for problem in caught.value.problems}


def compiled_example() -> list[Any]:
    return [compiled.command for compiled in compile_venue(example_venue(), Catalog()).commands]


# --- human units --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("10%", 10 * PERCENT),  # 10/100 = 0.1
        ("0.1", 10 * PERCENT),
        ("0.000001", 10**12),  # 1e-6 · 1e18
        ("0.03%", 3 * 10**14),  # 0.0003 · 1e18
        ("100%", WAD),
        ("0.0000000000000001%", 1),  # 1e-16 / 100 = 1e-18: one WAD unit
        (0, 0),  # a TOML integer is exact
        (1, WAD),
    ],
)
def test_ratio_text_converts_exactly(text: Any, expected: int) -> None:
    assert ratio_wad(text) == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (0.1, "TOML float is binary and inexact"),
        (True, "boolean"),
        ("0.00000000000000000001%", "at most 18 fractional digits"),  # 1e-22: below one WAD unit
        ("ten%", "a ratio such as"),
        ("-5%", "non-negative"),
        ("nan", "finite"),
    ],
)
def test_ratio_text_refuses_what_would_need_rounding_or_is_not_a_number(value: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ratio_wad(value)


def test_price_text_is_exact_and_has_no_percent() -> None:
    assert price_wad("4200.5") == 4_200_500_000_000_000_000_000  # 4200.5 · 1e18
    with pytest.raises(ValueError, match="not a percentage"):
        price_wad("5%")
    with pytest.raises(ValueError, match="TOML float"):
        price_wad(4200.5)


@pytest.mark.parametrize(
    ("text", "decimals", "expected"),
    [
        ("0.000001", 6, 1),  # the smallest USDC atom
        ("12.5", 18, 12_500_000_000_000_000_000),  # 12.5 · 1e18
        ("0.00000001", 8, 1),  # one satoshi
        ("-2.5", 18, -2_500_000_000_000_000_000),  # a short
    ],
)
def test_amount_text_converts_to_atoms_of_its_asset(text: str, decimals: int, expected: int) -> None:
    assert atoms_of(text, decimals, "x") == expected


def test_amount_with_more_decimals_than_its_asset_is_refused() -> None:
    with pytest.raises(InvalidAmount, match="at most 6 fractional digits"):
        atoms_of("0.0000001", 6, "deposits[0].amount")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1h30m", 5_400 * SECOND_NS),
        ("250ms", 250_000_000),
        ("2m", 120 * SECOND_NS),
        ("0", 0),
        ("1d", 86_400 * SECOND_NS),
    ],
)
def test_duration_text_converts_to_nanoseconds(text: str, expected: int) -> None:
    assert duration_ns(text) == expected


@pytest.mark.parametrize("value", ["2 minutes", 30, 1.5, "h", "-1s"])
def test_duration_without_a_unit_or_with_an_unknown_one_is_refused(value: Any) -> None:
    with pytest.raises(ValueError, match=r"duration|TOML float"):
        duration_ns(value)


def test_duration_in_seconds_must_be_whole() -> None:
    assert duration_seconds("1h") == 3_600
    with pytest.raises(ValueError, match="whole number of seconds"):
        duration_seconds("1500ms")


@given(atoms=st.integers(0, 10**30), decimals=st.integers(0, 18))
def test_amount_text_round_trips_any_atom_count(atoms: int, decimals: int) -> None:
    whole, fraction = divmod(atoms, 10**decimals)
    text = f"{whole}.{fraction:0{decimals}d}" if decimals else str(whole)
    assert atoms_of(text, decimals, "x") == atoms


@given(wad=st.integers(0, 100 * WAD))
def test_percent_text_is_the_ratio_shifted_by_two_places(wad: int) -> None:
    whole, fraction = divmod(wad, 10**16)  # a percent point is 1e16 WAD units
    assert ratio_wad(f"{whole}.{fraction:016d}%") == wad


# --- the example venue compiles to exact commands ---------------------------------------------------


def test_example_venue_compiles_every_section_in_order() -> None:
    commands = compiled_example()
    kinds = [type(command).__name__ for command in commands]
    assert kinds[0] == "ConfigureGovernance"
    assert kinds[1:4] == ["RegisterAsset"] * 3
    assert kinds[4:7] == ["ConfigureOracle"] * 3
    assert kinds[7:16] == ["SubmitPrice"] * 9  # 3 assets × 3 sources
    assert kinds[16:] == [
        "CreatePool",
        "AddMarket",
        "CreatePool",
        "AddMarket",
        "OpenVenue",
        "Deposit",
        "ProvideLiquidity",
        "ProvideLiquidity",
        "FundInsurance",
        "FundInsurance",
    ]
    assert {command.timestamp_ns for command in commands} == {START_NS}


def test_example_assets_and_oracles_convert_exactly() -> None:
    commands = compiled_example()[1:]  # after ConfigureGovernance
    assert commands[0] == RegisterAsset("USDC", 6, 98 * PERCENT, 99 * PERCENT, NO_LIMIT, NO_LIMIT, START_NS)
    assert commands[1] == RegisterAsset("ETH", 18, 80 * PERCENT, 85 * PERCENT, NO_LIMIT, 5_000_000 * 10**6, START_NS)
    assert commands[2].supply_cap_atoms == 10_000 * 10**8  # 10,000 WBTC of 8 decimals
    assert commands[4] == ConfigureOracle(
        asset="ETH",
        source_names=("chainlink", "pyth", "redstone"),
        source_weights=(1, 1, 1),
        quorum=2,
        max_staleness_ns=120 * SECOND_NS,
        max_deviation_wad=2 * PERCENT,
        max_confidence_wad=1 * PERCENT,
        max_jump_wad=15 * PERCENT,
        guard_release_ns=300 * SECOND_NS,
        delay_interval_seconds=3_600,
        delay_growth_limit_wad=6 * PERCENT,
        stable_growth_limit_wad=3 * 10**14,  # 0.03% = 0.0003
        timestamp_ns=START_NS,
    )
    assert commands[9] == SubmitPrice("ETH", "chainlink", 4_200 * WAD, 0, START_NS, START_NS)


def test_example_pools_markets_and_funding_convert_exactly() -> None:
    commands = compiled_example()
    eth_pool, eth_market, _, btc_market, opening, deposit, liquidity = commands[16:23]
    assert eth_pool == CreatePool(
        "eth",
        "perp",
        1,
        PoolParams(
            quote_asset="USDC",
            lp_fee_share_wad=70 * PERCENT,
            insurance_fee_share_wad=20 * PERCENT,
            reserve_factor_wad=50 * PERCENT,
            liquidation_penalty_wad=1 * PERCENT,
            liquidator_share_wad=50 * PERCENT,
            insurance_draw_cap_atoms=10_000 * 10**6,  # USDC, 6 decimals
            insurance_window_ns=3_600 * SECOND_NS,
            close_factor_wad=50 * PERCENT,
            nav_drawdown_limit_wad=20 * PERCENT,
        ),
        START_NS,
    )
    assert eth_market == AddMarket(
        "eth",
        MarketParams(
            market="ETH-PERP",
            base_asset="ETH",
            initial_margin_wad=10 * PERCENT,
            maintenance_margin_wad=5 * PERCENT,
            spread_wad=5 * 10**14,  # 0.05%
            taker_fee_wad=5 * 10**14,
            skew_scale_atoms=100_000 * 10**18,  # in ETH, the base asset
            max_funding_rate_per_day_wad=1 * PERCENT,
            open_interest_cap_atoms=100_000 * 10**18,
            pnl_weight_wad=80 * PERCENT,
        ),
        START_NS,
    )
    assert btc_market.params.skew_scale_atoms == 5_000 * 10**8  # in WBTC, 8 decimals
    assert opening == OpenVenue("admin", START_NS)
    assert deposit == Deposit("lpfund", 0, "USDC", 2_000_000 * 10**6, START_NS)
    assert liquidity == ProvideLiquidity("lpfund", 0, "eth", 500_000 * 10**6, START_NS)


# --- every problem names its key path ------------------------------------------------------------


def edit(path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    data = copy.deepcopy(example_venue())
    node = data
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return data


@pytest.mark.parametrize(
    ("path", "value", "key_path", "message"),
    [
        (
            ("pools", "eth", "markets", "ETH-PERP", "initial_margin"),
            0.1,
            "pools.eth.markets.ETH-PERP.initial_margin",
            "TOML float",
        ),
        (("pools", "eth", "colour"), "red", "pools.eth.colour", "unknown key"),
        (("assets", "ETH", "decimals"), 31, "assets.ETH.decimals", "less than or equal to 30"),
        (("assets", "ETH", "decimals"), "18", "assets.ETH.decimals", "valid integer"),
        (("oracles", "ETH", "max_staleness"), "2 minutes", "oracles.ETH.max_staleness", "duration"),
        (("oracles", "ETH", "delay_interval"), "1500ms", "oracles.ETH.delay_interval", "whole number of seconds"),
        (("deposits", 0, "amount"), "1.0000001", "deposits[0].amount", "at most 6 fractional digits"),
        (("deposits", 0, "amount"), 2.5, "deposits[0].amount", "TOML float"),
        (
            ("pools", "btc", "markets", "BTC-PERP", "skew_scale"),
            "0.000000001",
            "pools.btc.markets.BTC-PERP.skew_scale",
            "at most 8",
        ),
        (("pools", "eth", "insurance_draw_cap"), "-1", "pools.eth.insurance_draw_cap", "non-negative"),
        (("pools", "eth", "quote_asset"), "DOGE", "pools.eth.insurance_draw_cap", "'DOGE' is not listed"),
        (("prices", "DOGE"), "1", "prices.DOGE", "no oracle"),
        (("prices", "ETH"), ["4200", "4201"], "prices.ETH", "one per source"),
        (("venue", "start"), "2026-01-01T00:00:00", "venue.start", "timezone"),
        (("liquidity", 0, "pool"), 7, "liquidity[0].pool", "valid string"),
        (("assets",), "USDC", "assets", "valid dictionary"),
    ],
)
def test_every_validation_problem_names_its_key_path(
    path: tuple[Any, ...], value: Any, key_path: str, message: str
) -> None:
    found = problems_of(edit(path, value))
    assert key_path in found, found
    assert message in found[key_path]


def test_missing_key_is_named() -> None:
    data = example_venue()
    del data["pools"]["eth"]["markets"]["ETH-PERP"]["base_asset"]
    assert problems_of(data) == {"pools.eth.markets.ETH-PERP.base_asset": "required key is missing"}


def test_every_problem_of_a_file_is_reported_at_once() -> None:
    data = edit(("pools", "eth", "reserve_factor"), 0.5)
    data["deposits"][0]["colour"] = "red"
    data["oracles"]["USDC"]["max_jump"] = "lots"
    assert set(problems_of(data)) == {"pools.eth.reserve_factor", "deposits[0].colour", "oracles.USDC.max_jump"}


def test_a_key_that_is_not_bare_is_quoted_in_the_path() -> None:
    data = edit(("pools", "eth", "markets", "ETH.PERP"), {"base_asset": "ETH"})
    assert 'pools.eth.markets."ETH.PERP".initial_margin' in problems_of(data)


# --- a venue the engine refuses: named at its key, nothing executed --------------------------------


@pytest.mark.parametrize(
    ("path", "value", "key_path", "message"),
    [
        (
            ("pools", "eth", "markets", "ETH-PERP", "initial_margin"),
            "4%",
            "pools.eth.markets.ETH-PERP.initial_margin",
            "0.04 is not accepted: expected a ratio between 0.05 and 1",
        ),
        (("pools", "eth", "liquidation_penalty"), "60%", "pools.eth.liquidation_penalty", "between 0 and 0.5"),
        (("oracles", "ETH", "quorum"), 4, "oracles.ETH.quorum", "InvalidParameter"),
        (("liquidity", 0, "amount"), "3000000", "liquidity[0]", "InsufficientBalance"),
        (("assets", "ETH", "initial_weight"), "90%", "assets.ETH.initial_weight", "between 0 and 0.85"),
    ],
)
def test_engine_rejection_in_the_venue_batch_names_the_key_and_keeps_nothing(
    path: tuple[Any, ...], value: Any, key_path: str, message: str, tmp_path: Path
) -> None:
    journal = MemoryJournal()
    engine = Engine(journal)
    program = compile_venue(edit(path, value), Catalog())
    with pytest.raises(VenueFileError) as caught:
        apply_venue(engine, program)
    [problem] = caught.value.problems
    assert problem.path == key_path
    assert message in problem.message
    assert list(journal.read()) == []
    assert engine.state == LedgerState()  # the commands before the refused one were dropped from memory too


# --- generic field mapping ------------------------------------------------------------------------


class Side(enum.Enum):
    LONG = "long"
    SHORT = "short"


@dataclass(frozen=True, slots=True)
class Policy:
    bonus_wad: int = 5 * PERCENT
    rounds: int = 3
    side: Side = Side.LONG
    dust_atoms: int = 0


@dataclass(frozen=True, slots=True)
class Tier:
    notional_cap_atoms: int
    margin_wad: int


@dataclass(frozen=True, slots=True)
class Params:
    quote_asset: str
    fee_wad: int
    cap_atoms: int
    window_ns: int
    liquidation: Policy = Policy()
    tiers: tuple[Tier, ...] = ()


CATALOG = Catalog(decimals={"USDC": 6, "WBTC": 8})


def compile_params(table: dict[str, Any]) -> tuple[Any, list[str]]:
    model, problems = validate(model_for(Params), table, ("pools", "p"))
    if model is None:
        return None, [str(problem) for problem in problems]
    context = BuildContext(CATALOG, 0, [])
    return build(Params, model, ("pools", "p"), context), [str(problem) for problem in context.problems]


BASE = {"quote_asset": "USDC", "fee": "1%", "cap": "12.5", "window": "1h"}


def test_generic_mapping_strips_unit_suffixes_and_keeps_defaults_optional() -> None:
    params, problems = compile_params(BASE)
    assert problems == []
    assert params == Params("USDC", PERCENT, 12_500_000, 3_600 * SECOND_NS, Policy())  # 12.5 USDC, 1 h


def test_generic_mapping_compiles_a_nested_policy_with_enums_and_inherited_quote_units() -> None:
    params, problems = compile_params({**BASE, "liquidation": {"bonus": "7.5%", "side": "short", "dust": "0.01"}})
    assert problems == []
    # 7.5% = 0.075 WAD; 0.01 USDC = 10,000 atoms; rounds keeps its default
    assert params.liquidation == Policy(75 * 10**15, 3, Side.SHORT, 10_000)


def test_generic_mapping_compiles_an_array_of_nested_tables() -> None:
    tiers = [{"notional_cap": "1000", "margin": "2%"}, {"notional_cap": "5000.5", "margin": "5%"}]
    params, problems = compile_params({**BASE, "tiers": tiers})
    assert problems == []
    assert params.tiers == (Tier(1_000_000_000, 2 * PERCENT), Tier(5_000_500_000, 5 * PERCENT))  # USDC atoms


def test_generic_mapping_names_the_position_of_a_bad_nested_table() -> None:
    tiers = [{"notional_cap": "1000", "margin": "2%"}, {"notional_cap": "1", "margin": 0.05}]
    _, problems = compile_params({**BASE, "tiers": tiers})
    assert problems == ["pools.p.tiers[1].margin: 0.05 is not accepted: " + FLOAT_HINT]


@pytest.mark.parametrize(
    ("liquidation", "expected"),
    [
        ({"side": "sideways"}, "pools.p.liquidation.side: Input should be 'long' or 'short'"),
        ({"rounds": 2.0}, "pools.p.liquidation.rounds: Input should be a valid integer"),
        ({"bonus_wad": "1%"}, "pools.p.liquidation.bonus_wad: unknown key"),
        (
            {"dust": "0.0000001"},
            "pools.p.liquidation.dust: '0.0000001' is not accepted: expected at most 6 fractional digits",
        ),
    ],
)
def test_generic_mapping_names_nested_keys_in_its_problems(liquidation: dict[str, Any], expected: str) -> None:
    _, problems = compile_params({**BASE, "liquidation": liquidation})
    assert any(problem.startswith(expected) for problem in problems), problems


def test_field_paths_find_nested_fields_by_full_and_bare_name() -> None:
    paths = field_paths(Params, ("pools", "p"))
    assert paths["fee_wad"] == "pools.p.fee"
    assert paths["liquidation.bonus_wad"] == "pools.p.liquidation.bonus"
    assert paths["bonus_wad"] == "pools.p.liquidation.bonus"


def test_fields_that_would_share_a_toml_key_are_a_programming_error() -> None:
    @dataclass(frozen=True)
    class Clash:
        fee_wad: int
        fee_atoms: int

    with pytest.raises(TypeError, match="same TOML key"):
        model_for(Clash)


def test_every_pool_and_market_field_has_its_key_without_the_unit_suffix() -> None:
    from dataclasses import fields

    def strip(name: str) -> str:
        for suffix in ("_wad", "_atoms", "_ns", "_seconds"):
            if name.endswith(suffix):
                return name.removesuffix(suffix)
        return name

    assert set(model_for(PoolParams).model_fields) == {strip(f.name) for f in fields(PoolParams)}
    assert set(model_for(MarketParams).model_fields) == {strip(f.name) for f in fields(MarketParams)}


# --- scripts --------------------------------------------------------------------------------------


def script_catalog() -> Catalog:
    catalog = Catalog()
    compile_venue(example_venue(), catalog)
    return catalog


def compile_entries(*entries: dict[str, Any]) -> list[Any]:
    steps = compile_script({"command": list(entries)}, script_catalog(), START_NS)
    return [compiled.command for step in steps for compiled in step.commands]


def script_problems(*entries: dict[str, Any]) -> dict[str, str]:
    with pytest.raises(VenueFileError) as caught:
        compile_script({"command": list(entries)}, script_catalog(), START_NS)
    return {problem.path: problem.message for problem in caught.value.problems}


def test_script_commands_take_every_field_in_human_units_with_time_after_start() -> None:
    trade = {"at": "1m30s", "type": "Trade", "owner": "carol", "pool": "eth", "market": "ETH-PERP"}
    [command] = compile_entries({**trade, "size_delta": "-2.5", "mode": "isolated", "margin": "100.5"})
    # 90 s after start; −2.5 ETH; 100.5 USDC of margin; no limit; sub-account 0
    assert command == Trade(
        "carol",
        0,
        "eth",
        "ETH-PERP",
        -2_500_000_000_000_000_000,
        MarginMode.ISOLATED,
        100_500_000,
        0,
        START_NS + 90 * SECOND_NS,
    )


def test_lp_shares_are_in_the_pool_quote_decimals() -> None:
    [command] = compile_entries({"type": "RemoveLiquidity", "owner": "lpfund", "pool": "btc", "shares": "100"})
    assert command == RemoveLiquidity("lpfund", 0, "btc", 100 * 10**6, START_NS)


def test_submit_prices_expands_to_every_source_and_publishes_at_the_command_time() -> None:
    commands = compile_entries(
        {"at": "2m", "type": "SubmitPrices", "prices": {"ETH": ["3700", "3702", "3699"], "USDC": "1"}}
    )
    at = START_NS + 120 * SECOND_NS
    assert commands[:3] == [
        SubmitPrice("ETH", "chainlink", 3_700 * WAD, 0, at, at),
        SubmitPrice("ETH", "pyth", 3_702 * WAD, 0, at, at),
        SubmitPrice("ETH", "redstone", 3_699 * WAD, 0, at, at),
    ]
    assert [c.source for c in commands[3:]] == ["chainlink", "pyth", "redstone"]


def test_an_omitted_time_is_the_previous_commands_and_an_instant_defaults_to_it() -> None:
    first = {"at": "5m", "type": "Deposit", "owner": "x", "asset": "USDC", "amount": "1"}
    quote = {"type": "SubmitPrice", "asset": "ETH", "source": "pyth", "price": "1"}
    _, submitted = compile_entries(first, quote)
    assert submitted.timestamp_ns == submitted.published_ns == START_NS + 300 * SECOND_NS


def test_a_script_defines_assets_and_pools_its_later_commands_use() -> None:
    listing = {
        "type": "RegisterAsset",
        "sender": "admin",
        "asset": "SOL",
        "decimals": 9,
        "initial_weight": "50%",
        "maintenance_weight": "60%",
        "supply_cap": "1",
        "weight_scale_start_value": "2",
    }
    deposit = {"type": "Deposit", "owner": "sol", "asset": "SOL", "amount": "0.000000001"}
    asset, funded = compile_entries(listing, deposit)
    assert asset.supply_cap_atoms == 10**9
    assert asset.weight_scale_start_value == 2 * 10**6  # value atoms, 6 decimals
    assert funded.amount_atoms == 1  # one lamport


@pytest.mark.parametrize(
    ("entries", "key_path", "message"),
    [
        (({"type": "Teleport"},), "command[0].type", "'Teleport' is not a command"),
        (
            (
                {"at": "2m", "type": "Deposit", "owner": "a", "asset": "USDC", "amount": "1"},
                {"at": "1m", "type": "Deposit", "owner": "a", "asset": "USDC", "amount": "1"},
            ),
            "command[1].at",
            "earlier than the previous",
        ),
        (
            (
                {
                    "type": "Trade",
                    "owner": "a",
                    "pool": "eth",
                    "market": "ETH-PERP",
                    "size_delta": "1",
                    "mode": "hedged",
                },
            ),
            "command[0].mode",
            "'isolated', 'cross' or 'portfolio'",
        ),
        (
            ({"type": "Deposit", "owner": "a", "asset": "DOGE", "amount": "1"},),
            "command[0].amount",
            "'DOGE' is not listed",
        ),
        (
            ({"type": "Trade", "owner": "a", "pool": "nope", "market": "X", "size_delta": "1", "mode": "cross"},),
            "command[0].size_delta",
            "pool or market is not defined",
        ),
        (({"type": "Deposit", "owner": "a", "asset": "USDC", "amount": 1.5},), "command[0].amount", "TOML float"),
        (({"type": "SubmitPrices", "prices": {"DOGE": "1"}},), "command[0].prices.DOGE", "no oracle"),
        (
            ({"type": "Liquidate", "owner": "a", "pool": "eth", "market": "ETH-PERP"},),
            "command[0].keeper_owner",
            "required key is missing",
        ),
    ],
)
def test_every_script_problem_names_its_key_path(
    entries: tuple[dict[str, Any], ...], key_path: str, message: str
) -> None:
    found = script_problems(*entries)
    assert key_path in found, found
    assert message in found[key_path]


def test_a_script_may_name_every_command_of_the_union() -> None:
    assert {"RegisterAsset", "Deposit", "Trade", "Liquidate", "RemoveLiquidity", "CreatePool"} <= set(COMMAND_TYPES)


def test_an_invalid_script_stops_the_whole_plan_before_anything_runs(tmp_path: Path) -> None:
    script = tmp_path / "script.toml"
    script.write_text('[[command]]\ntype = "Deposit"\nowner = "a"\nasset = "USDC"\namount = 0.5\n')
    journal = MemoryJournal()
    with pytest.raises(VenueFileError, match=r"command\[0\]\.amount"):
        load_plan(Engine(journal).state, EXAMPLES / "venue.toml", script)
    assert list(journal.read()) == []


def test_a_toml_syntax_error_is_reported_with_its_line(tmp_path: Path) -> None:
    venue = tmp_path / "venue.toml"
    venue.write_text("[assets.ETH\n")
    with pytest.raises(VenueFileError, match="line 1"):
        load_plan(Engine(MemoryJournal()).state, venue)
