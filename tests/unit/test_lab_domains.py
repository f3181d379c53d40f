"""Unit tests of the domains lab: the bridge's latency, halt and escrow; the failure's peg; the scenario's checks."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from ringfence.core.errors import CommandRejected, InvariantViolation
from ringfence.lab.domains.bridge import Bridge, BridgeHalted, Direction
from ringfence.lab.domains.scenario import BridgeFailure, validate_domain_scenario
from ringfence.lab.errors import ScenarioError

SCENARIO = Path(__file__).resolve().parents[2] / "scenarios" / "domains" / "bridge-halt-depeg.toml"


def test_a_mint_arrives_after_its_latency_and_not_before() -> None:
    bridge = Bridge("b", latency_steps=2)
    bridge.lock("alice", 100, step=3)
    assert bridge.deliver(4) == []
    delivered = bridge.deliver(5)
    assert [(m.recipient, m.amount_atoms, m.direction) for m in delivered] == [("alice", 100, Direction.MINT)]
    assert (bridge.escrow_atoms, bridge.wrapped_supply_atoms) == (100, 100)
    bridge.check()


def test_a_halt_refuses_new_transfers_and_freezes_those_in_flight_until_it_resumes() -> None:
    bridge = Bridge("b", latency_steps=1)
    bridge.genesis(50)
    bridge.lock("alice", 100, step=1)
    bridge.halted = True
    with pytest.raises(BridgeHalted):
        bridge.lock("bob", 10, step=2)
    with pytest.raises(BridgeHalted):
        bridge.burn("bob", 10, step=2)
    assert bridge.deliver(9) == []
    assert bridge.in_flight_atoms(Direction.MINT) == 100
    assert (bridge.escrow_atoms, bridge.wrapped_supply_atoms) == (150, 50)  # the refused sends took nothing
    bridge.check()
    bridge.halted = False
    assert [m.amount_atoms for m in bridge.deliver(10)] == [100]
    assert bridge.wrapped_supply_atoms == 150


def test_a_burn_releases_the_escrow_after_the_latency() -> None:
    bridge = Bridge("b", latency_steps=3)
    bridge.genesis(80)
    bridge.burn("carol", 30, step=0)
    assert (bridge.escrow_atoms, bridge.wrapped_supply_atoms) == (80, 50)
    bridge.check()
    bridge.deliver(3)
    assert (bridge.escrow_atoms, bridge.wrapped_supply_atoms) == (50, 50)
    with pytest.raises(CommandRejected):
        bridge.burn("carol", 51, step=4)
    with pytest.raises(CommandRejected):
        bridge.lock("carol", 0, step=4)


def test_the_escrow_check_bites() -> None:
    bridge = Bridge("b", latency_steps=0)
    bridge.genesis(10)
    bridge.escrow_atoms -= 1
    with pytest.raises(InvariantViolation):
        bridge.check()


def test_the_peg_falls_linearly_over_the_depeg_steps_and_stays() -> None:
    failure = BridgeFailure(bridge="b", depeg_step=10, depeg=0.6, depeg_steps=3)
    # 1 before; 1 - 0.6/3, 1 - 0.6·2/3, then 0.4 from the third step on
    assert [round(failure.peg(s), 12) for s in (9, 10, 11, 12, 40)] == [1.0, 0.8, 0.6, 0.4, 0.4]
    halt = BridgeFailure(bridge="b", halt_step=5, resume_step=8)
    assert [halt.halted(s) for s in (4, 5, 7, 8)] == [False, True, True, False]


def _data() -> dict[str, object]:
    return tomllib.loads(SCENARIO.read_text())


def _keys(data: dict[str, object]) -> list[str]:
    with pytest.raises(ScenarioError) as caught:
        validate_domain_scenario(data, SCENARIO.parent, SCENARIO)
    return [issue.key for issue in caught.value.issues]


def test_a_domain_issue_is_named_under_its_domain() -> None:
    data = _data()
    data["domains"][1]["venue"]["markets"][0]["asset"] = "SOL"  # type: ignore[index]
    assert _keys(data) == ["domains[1].venue.markets[0].asset"]


def test_a_bridge_to_an_unknown_domain_and_a_failure_after_the_horizon_are_refused() -> None:
    data = _data()
    data["bridges"][0]["wrapped_domain"] = "cosmos"  # type: ignore[index]
    data["failure"]["halt_step"] = 49  # type: ignore[index]
    keys = _keys(data)
    assert "bridges[0].wrapped_domain" in keys
    assert "failure.halt_step" in keys


def test_a_failure_that_does_nothing_is_refused() -> None:
    data = _data()
    data["failure"] = {"bridge": "portal"}
    assert _keys(data) == ["failure"]


def test_a_venue_or_population_at_the_top_level_is_refused_not_ignored() -> None:
    data = _data()
    data["population"] = data["domains"][0]["population"]  # type: ignore[index]
    data["venue"] = data["domains"][0]["venue"]  # type: ignore[index]
    assert _keys(data) == ["venue", "population"]
