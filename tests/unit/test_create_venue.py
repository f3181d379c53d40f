"""``create_venue``: a venue definition (the venue file's tables as a mapping) run as one genesis.

Expected values are written by hand from the definition below: USDC has 6 decimals, so the
LP's 1,000,000 USDC deposit is 10¹² atoms, 400,000 of it go to the pool's vault (4·10¹¹ atoms)
and 5,000 to its insurance (5·10⁹ atoms); the venue starts at 2026-01-01T00:00:00Z.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from ringfence import Engine, MemoryJournal, SqliteJournal, VenueFileError, create_venue
from ringfence.core.errors import CommandRejected, InvalidParameter
from ringfence.core.governance.state import Role
from ringfence.core.state import LedgerState

START_NS = 1_767_225_600 * 10**9  # 2026-01-01T00:00:00Z: (56·365 + 14 leap days)·86,400 s
ORACLE = {
    "sources": ["feed"],
    "quorum": 1,
    "max_staleness": "1h",
    "max_deviation": "2%",
    "max_confidence": "1%",
    "max_jump": "15%",
    "guard_release": "5m",
    "delay_interval": "1h",
    "delay_growth_limit": "6%",
    "stable_growth_limit": "0.03%",
}
MARKET = {
    "base_asset": "ETH",
    "initial_margin": "10%",
    "maintenance_margin": "5%",
    "spread": "0.05%",
    "taker_fee": "0.05%",
    "skew_scale": "100000",
    "max_funding_rate_per_day": "1%",
    "open_interest_cap": "100000",
    "pnl_weight": "80%",
}
POOL = {
    "template": "perp",
    "quote_asset": "USDC",
    "lp_fee_share": "70%",
    "insurance_fee_share": "20%",
    "reserve_factor": "50%",
    "liquidation_penalty": "1%",
    "liquidator_share": "50%",
    "insurance_draw_cap": "10000",
    "insurance_window": "1h",
    "close_factor": "50%",
    "nav_drawdown_limit": "20%",
    "markets": {"ETH-PERP": MARKET},
}
DEFINITION: dict[str, Any] = {
    "venue": {"name": "unit", "admin": "ops"},
    "assets": {
        "USDC": {"decimals": 6, "initial_weight": "98%", "maintenance_weight": "99%"},
        "ETH": {"decimals": 18, "initial_weight": "80%", "maintenance_weight": "85%"},
    },
    "oracles": {"USDC": ORACLE, "ETH": ORACLE},
    "prices": {"USDC": "1", "ETH": "4000"},
    "pools": {"eth": POOL},
    "deposits": [{"owner": "lp", "asset": "USDC", "amount": "1000000"}],
    "liquidity": [{"owner": "lp", "pool": "eth", "amount": "400000"}],
    "insurance": [{"owner": "lp", "pool": "eth", "amount": "5000"}],
}
# governance, 2 assets, 2 oracles, 2 prices, 1 pool, 1 market, OpenVenue, 3 funding entries
COMMANDS = 13


def _entries(engine: Engine) -> int:
    return sum(1 for _ in engine.journal.read())


def test_a_definition_becomes_the_admins_genesis_in_one_batch() -> None:
    engine = Engine(MemoryJournal())
    program = create_venue(engine, DEFINITION)

    assert (program.name, program.admin, program.start_ns, len(program.commands)) == ("unit", "ops", START_NS, COMMANDS)
    assert [compiled.sender for compiled in program.commands[:5]] == ["ops"] * 5
    state = engine.state
    assert state.governance is not None and state.governance.holds("ops", Role.ADMIN)
    assert state.governance.opened_ns == START_NS
    pool = state.pools["eth"]
    assert (pool.vault_atoms, pool.insurance_atoms) == (4 * 10**11, 5 * 10**9)
    assert state.accounts[("lp", 0)].balances["USDC"] == 10**12 - 4 * 10**11 - 5 * 10**9


def test_every_problem_is_reported_at_its_key_path_and_nothing_runs() -> None:
    definition = copy.deepcopy(DEFINITION)
    del definition["assets"]["ETH"]["initial_weight"]
    definition["pools"]["eth"]["markets"]["ETH-PERP"]["initial_margin"] = "ten percent"
    engine = Engine(MemoryJournal())

    with pytest.raises(VenueFileError) as raised:
        create_venue(engine, definition, source="my venue")

    paths = {problem.path for problem in raised.value.problems}
    assert {"assets.ETH.initial_weight", "pools.eth.markets.ETH-PERP.initial_margin"} <= paths
    assert str(raised.value).startswith("my venue is invalid, nothing was executed:")
    assert engine.state == LedgerState()
    assert _entries(engine) == 0


def test_a_refused_genesis_appends_nothing() -> None:
    definition = copy.deepcopy(DEFINITION)
    definition["liquidity"][0]["amount"] = "2000000"  # more than the LP deposited
    engine = Engine(MemoryJournal())

    with pytest.raises(VenueFileError) as raised:
        create_venue(engine, definition)

    assert isinstance(raised.value.cause, CommandRejected)
    assert [problem.path for problem in raised.value.problems] == ["liquidity[0]"]
    assert engine.state == LedgerState()
    assert _entries(engine) == 0


def test_a_second_genesis_on_a_running_venue_is_refused_and_changes_nothing() -> None:
    engine = Engine(MemoryJournal())
    create_venue(engine, DEFINITION)
    before = copy.deepcopy(engine.state)
    entries = _entries(engine)

    with pytest.raises(VenueFileError) as raised:
        create_venue(engine, DEFINITION)

    assert isinstance(raised.value.cause, CommandRejected | InvalidParameter)
    assert engine.state == before
    assert _entries(engine) == entries


def test_a_venue_on_an_sqlite_journal_survives_a_new_engine(tmp_path: Path) -> None:
    path = tmp_path / "venue.sqlite"
    journal = SqliteJournal(path)
    engine = Engine(journal)
    create_venue(engine, DEFINITION)
    live = copy.deepcopy(engine.state)
    journal.close()

    reopened = SqliteJournal(path)
    try:
        assert Engine(reopened).state == live
    finally:
        reopened.close()
