"""The lab's dynamic margins: the scenario key, the layout's rule (worked numbers), the study's two frontiers."""

from __future__ import annotations

from pathlib import Path

import pytest

from ringfence.core.governance.commands import GrantRole
from ringfence.core.governance.state import Role
from ringfence.core.pool.commands import AddMarket
from ringfence.core.pool.dynamic_margin import DynamicMarginRule
from ringfence.lab.dynamic_margins import RISK_MODEL, margin_updater
from ringfence.lab.errors import ScenarioError
from ringfence.lab.exact.layout import layout_venue
from ringfence.lab.report import render_report
from ringfence.lab.stress import build_study, collect_runs
from support.stress import stress_scenario

WAD = 10**18
PERCENT = WAD // 100
DYNAMIC = {"interval_seconds": 7200, "lookback_steps": 4, "max_step": 0.25, "floor_ratio": 0.3, "ceiling_ratio": 3.0}


def _markets(layout: object) -> list[AddMarket]:
    return [sent.command for sent in layout.setup if isinstance(sent.command, AddMarket)]  # type: ignore[attr-defined]


def test_the_layout_gives_each_market_its_band_and_the_risk_model_its_role() -> None:
    # static IM 15%, MM 10%, penalty 1%: floor 0.3 x 10% = 3%, ceiling 3 x 15% = 45%; two hourly steps
    scenario = stress_scenario(venue={"dynamic_margin": DYNAMIC})

    layout = layout_venue(scenario, "isolated_pools", 1.0)

    (market,) = _markets(layout)
    assert market.params.dynamic_margin == DynamicMarginRule(3 * PERCENT, 45 * PERCENT, WAD // 4, 7200 * 10**9)
    grants = [s.command for s in layout.setup if isinstance(s.command, GrantRole)]
    assert [(g.role, g.principal) for g in grants] == [(Role.RISK_MODEL, RISK_MODEL)]
    updater = margin_updater(scenario, tuple(s.command for s in layout.setup), layout.markets)
    assert updater is not None
    assert [updater.due(step) for step in range(5)] == [False, False, True, False, True]


def test_the_floor_never_falls_below_the_pools_penalty_and_the_ceiling_stops_at_100_percent() -> None:
    # penalty 5% > 0.3 x 10% = 3%: the floor is 5% (a lower maintenance would be refused by the engine)
    scenario = stress_scenario(
        venue={"pool": {"liquidation_penalty": 0.05}, "dynamic_margin": {**DYNAMIC, "ceiling_ratio": 10.0}}
    )

    (market,) = _markets(layout_venue(scenario, "isolated_pools", 1.0))

    assert market.params.dynamic_margin is not None
    assert (market.params.dynamic_margin.floor_wad, market.params.dynamic_margin.ceiling_wad) == (5 * PERCENT, WAD)


def test_without_the_key_nothing_changes() -> None:
    scenario = stress_scenario()
    layout = layout_venue(scenario, "isolated_pools", 1.0)

    assert all(market.params.dynamic_margin is None for market in _markets(layout))
    assert margin_updater(scenario, tuple(s.command for s in layout.setup), layout.markets) is None


@pytest.mark.parametrize(
    ("dynamic", "key"),
    [
        ({"interval_seconds": 5400}, "venue.dynamic_margin.interval_seconds"),
        ({"initial_confidence": 0.99, "maintenance_confidence": 0.999}, "venue.dynamic_margin.maintenance_confidence"),
        ({"max_step": 0.0}, "venue.dynamic_margin.max_step"),
    ],
)
def test_a_bad_dynamic_margin_key_is_refused_by_name(dynamic: dict[str, object], key: str) -> None:
    with pytest.raises(ScenarioError) as caught:
        stress_scenario(venue={"dynamic_margin": dynamic})

    assert key in str(caught.value)


def test_a_study_with_dynamic_margins_sets_a_static_frontier_against_its_frontier(tmp_path: Path) -> None:
    scenario = stress_scenario(venue={"dynamic_margin": DYNAMIC}, study={"ladder": ["isolated_pools"]})

    study = build_study(collect_runs(scenario, engine="vector", runs=2))
    static = build_study(collect_runs(stress_scenario(study={"ladder": ["isolated_pools"]}), engine="vector", runs=2))

    assert [(p.isolation, p.margin_scale) for p in study.static_frontier] == [("isolated_pools", 1.0)]
    assert study.static_frontier[0] == static.frontier[0]  # the same designs, paths and traders, risk model off
    assert static.static_frontier == ()
    render_report(study, tmp_path / "dynamic")
    render_report(static, tmp_path / "static")
    assert "Static against dynamic margins" in (tmp_path / "dynamic" / "report.html").read_text(encoding="utf-8")
    assert "Static against dynamic margins" not in (tmp_path / "static" / "report.html").read_text(encoding="utf-8")
