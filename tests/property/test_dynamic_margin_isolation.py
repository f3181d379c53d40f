"""Isolation with dynamic margins on (issue 12's acceptance): the risk model moving pool A's margins
changes nothing of pool B nor of any sub-account outside A.

Both markets carry a ``DynamicMarginRule`` in both runs; the control run never updates, the
dynamic run has the risk model update A's rates by one bounded step after every price tick
(raising twice, lowering once, in turn). Pool B, B's oracle, B's events, every account outside A
and the outcome of every command concerning B must be identical, and replay equals live in both
runs. A planted leak (A's update also moving B's market) makes the comparison fail.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager

import pool_builders
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pool_builders import (
    MARKET,
    PERCENT,
    SEPARATE,
    SHARED,
    WAD,
    Item,
    Layout,
    Run,
    account_keys,
    b_view,
    concerns_b,
    script,
    summary,
    touched_by_a,
)
from test_pool_isolation import FIXED_SCENARIO, Scenario, scenarios

import ringfence.core.evolve as core_evolve
from ringfence.core.commands import Command, OpenVenue, SubmitPrice
from ringfence.core.governance.commands import GrantRole, UpdateRiskMargin
from ringfence.core.governance.events import RiskMarginUpdated
from ringfence.core.governance.state import Role
from ringfence.core.pool.dynamic_margin import DynamicMarginRule
from ringfence.core.state import LedgerState
from support.authority import ADMIN

RULE = DynamicMarginRule(floor_wad=2 * PERCENT, ceiling_wad=50 * PERCENT, max_step_wad=WAD // 10, min_interval_ns=0)
"""Band 2%-50%, 10% of the current rate per update, no minimum interval (ticks may share a timestamp)."""
UPDATE_A = "update A"
"""Marker in the dynamic run's script: the risk model updates A's rates from the state at that point."""
MODEL = "model"


@contextmanager
def dynamic_markets() -> Iterator[None]:
    """Give both pools' markets the rule (in both runs: B's params are the same with and without A's updates)."""
    original = pool_builders.market_params
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(
            pool_builders,
            "market_params",
            lambda base_asset: dataclasses.replace(original(base_asset), dynamic_margin=RULE),
        )
        yield


def with_updates(items: list[Item], layout: Layout, *, update: bool) -> list[Item]:
    """Grant the risk model its role after the genesis; in the dynamic run, mark an update of A after each tick."""
    out: list[Item] = []
    opened = False
    for item in items:
        out.append(item)
        if isinstance(item, OpenVenue):
            out.append(GrantRole(ADMIN, Role.RISK_MODEL, MODEL, item.timestamp_ns))
            opened = True
        last_quote = isinstance(item, SubmitPrice) and item.asset == layout.base_a and item.source == "s3"
        if update and opened and last_quote:
            out.append(UPDATE_A)
    return out


def _stepped(rate_wad: int, raise_it: bool) -> int:
    """Return ``rate`` moved by ``⌊rate/10⌋`` (within the rounded-up step of 10%), inside the band."""
    moved = rate_wad + rate_wad // 10 if raise_it else rate_wad - rate_wad // 10
    return min(RULE.ceiling_wad, max(RULE.floor_wad, moved))


def update_a(run: Run, count: int, now_ns: int) -> None:
    """Have the risk model step A's rates: up, up, down, in turn."""
    params = run.engine.state.pools["A"].markets[MARKET].params
    raise_it = count % 3 != 2
    initial, maintenance = (
        _stepped(params.initial_margin_wad, raise_it),
        _stepped(params.maintenance_margin_wad, raise_it),
    )
    cause = f"test model step {count} {'up' if raise_it else 'down'}"
    run.accept(UpdateRiskMargin(MODEL, "A", MARKET, initial, maintenance, cause, now_ns))


def execute(items: list[Item]) -> tuple[Run, list[Command], list[int]]:
    """Run a script; return the run, its commands other than the updates, and their outcomes' indexes."""
    run = Run()
    commands: list[Command] = []
    indexes: list[int] = []
    now_ns, count = 0, 0
    for item in items:
        if item == UPDATE_A:
            update_a(run, count, now_ns)
            count += 1
            continue
        if isinstance(item, str):  # the fault marker: no fault in these runs
            continue
        now_ns = max(now_ns, item.timestamp_ns)
        run.execute(item)
        commands.append(item)
        indexes.append(len(run.outcomes) - 1)
    return run, commands, indexes


def dynamic_differences(layout: Layout, scenario: Scenario) -> tuple[Run, Run, list[str]]:
    """Run a scenario without and with the risk model updating A; return both runs and what differs for B."""
    deposits, steps, split = scenario
    with dynamic_markets():
        items = script(layout, deposits, steps, split, crash=False)
    control, control_commands, control_indexes = execute(with_updates(items, layout, update=False))
    dynamic, dynamic_commands, dynamic_indexes = execute(with_updates(items, layout, update=True))
    assert control_commands == dynamic_commands
    untouched = {key for c in control_commands for key in account_keys(c)} - touched_by_a(control_commands)
    expected, actual = b_view(control, layout, untouched), b_view(dynamic, layout, untouched)
    differences = [name for name, value in expected.items() if actual[name] != value]
    for command, control_index, dynamic_index in zip(control_commands, control_indexes, dynamic_indexes, strict=True):
        same = summary(control.outcomes[control_index]) == summary(dynamic.outcomes[dynamic_index])
        if concerns_b(command, layout, untouched) and not same:
            differences.append(f"outcome of {command}")
    return control, dynamic, differences


def _updates(run: Run) -> list[RiskMarginUpdated]:
    return [event for event in run.events() if isinstance(event, RiskMarginUpdated)]


@pytest.mark.parametrize("layout", [SEPARATE, SHARED], ids=["separate-assets", "shared-asset"])
@settings(max_examples=8, deadline=None)
@given(data=st.data())
def test_the_risk_model_moving_pool_a_margins_changes_nothing_of_pool_b(layout: Layout, data: st.DataObject) -> None:
    control, dynamic, differences = dynamic_differences(layout, data.draw(scenarios(layout)))

    assert differences == []
    assert _updates(control) == []
    assert len(_updates(dynamic)) >= 3  # the default block alone ticks three times
    assert all(event.pool == "A" for event in _updates(dynamic))
    control.assert_replay_equals_live()
    dynamic.assert_replay_equals_live()


def test_the_fixed_scenario_moves_a_and_leaves_b_identical() -> None:
    _, dynamic, differences = dynamic_differences(SEPARATE, FIXED_SCENARIO)

    assert differences == []
    a_params = dynamic.engine.state.pools["A"].markets[MARKET].params
    b_params = dynamic.engine.state.pools["B"].markets[MARKET].params
    assert a_params.initial_margin_wad != 10 * PERCENT  # A moved ...
    assert (b_params.initial_margin_wad, b_params.maintenance_margin_wad) == (10 * PERCENT, 5 * PERCENT)  # B did not


def test_the_comparison_detects_a_planted_leak(monkeypatch: pytest.MonkeyPatch) -> None:
    """A test double makes every update of A also move B's initial rate by one wei: the comparison names pool B."""
    original = core_evolve._HANDLERS[RiskMarginUpdated]

    def leaky(state: LedgerState, event: RiskMarginUpdated) -> None:
        original(state, event)
        market = state.pools["B"].markets[MARKET]
        market.params = dataclasses.replace(market.params, initial_margin_wad=market.params.initial_margin_wad + 1)

    monkeypatch.setitem(core_evolve._HANDLERS, RiskMarginUpdated, leaky)
    _, _, differences = dynamic_differences(SEPARATE, FIXED_SCENARIO)
    assert "pool B" in differences
