"""Dynamic margins in the core: ``UpdateRiskMargin`` within a market's ``DynamicMarginRule`` (issue 12).

Premises: the unit venue's ETH perp at IM 10%, MM 5%, with the rule floor 2%, ceiling 30%,
step 10% of the current rate, one hour between updates; the risk model ``model``. Every
expected range below is computed by hand from these numbers.
"""

from __future__ import annotations

import dataclasses

from ringfence.core.errors import CommandRejected, InvalidAmount, InvalidParameter, Unauthorized
from ringfence.core.governance.commands import GrantRole, UpdateRiskMargin
from ringfence.core.governance.events import RiskMarginUpdated
from ringfence.core.governance.risk_margin import allowed_rate_range
from ringfence.core.governance.state import Role
from ringfence.core.pool.commands import AddMarket
from ringfence.core.pool.dynamic_margin import DynamicMarginRule
from ringfence.core.pool.liquidation_policy import LiquidationPolicy
from ringfence.core.pool.state import MarginModel, MarginModelKind
from support.authority import ADMIN
from support.venue import HOUR_NS, MARKET, MARKET_PARAMS, PERCENT, POOL, POOL_PARAMS, WAD, Venue, only

RULE = DynamicMarginRule(
    floor_wad=2 * PERCENT, ceiling_wad=30 * PERCENT, max_step_wad=WAD // 10, min_interval_ns=HOUR_NS
)
DYNAMIC_MARKET = dataclasses.replace(MARKET_PARAMS, dynamic_margin=RULE)
CAUSE = "ewma sigma=0.031/day z=2.33 h=1h"


def _venue(market: object = DYNAMIC_MARKET, pool: object = POOL_PARAMS) -> Venue:
    venue = Venue(pool, market)  # type: ignore[arg-type]
    venue.run(GrantRole(ADMIN, Role.RISK_MODEL, "model", venue.now))
    return venue


def _update(venue: Venue, initial_wad: int, maintenance_wad: int) -> UpdateRiskMargin:
    return UpdateRiskMargin("model", POOL, MARKET, initial_wad, maintenance_wad, CAUSE, venue.now)


def _market(venue: Venue) -> tuple[int, int]:
    params = venue.state.pools[POOL].markets[MARKET].params
    return params.initial_margin_wad, params.maintenance_margin_wad


def test_the_allowed_range_is_one_step_rounded_up_within_floor_and_ceiling() -> None:
    wide = DynamicMarginRule(floor_wad=1, ceiling_wad=WAD, max_step_wad=WAD // 10, min_interval_ns=0)
    # 10% of 123 is 12.3, rounded up to 13: [110, 136]
    assert allowed_rate_range(wide, 123) == (110, 136)
    # IM 10%: ±1% exactly; MM 5%: ±0.5%
    assert allowed_rate_range(RULE, 10 * PERCENT) == (9 * PERCENT, 11 * PERCENT)
    assert allowed_rate_range(RULE, 5 * PERCENT) == (45 * PERCENT // 10, 55 * PERCENT // 10)
    # the floor cuts the step at 2%: from 2.1% the step would reach 1.89%
    assert allowed_rate_range(RULE, 21 * PERCENT // 10) == (2 * PERCENT, 231 * PERCENT // 100)
    # the ceiling cuts it at 30%: from 29% the step would reach 31.9%
    assert allowed_rate_range(RULE, 29 * PERCENT) == (261 * PERCENT // 10, 30 * PERCENT)


def test_an_update_within_one_step_moves_both_rates_and_records_old_new_and_cause() -> None:
    venue = _venue()

    events = venue.run(_update(venue, 11 * PERCENT, 55 * PERCENT // 10))

    event = only(events, RiskMarginUpdated)
    assert (event.old_initial_margin_wad, event.new_initial_margin_wad) == (10 * PERCENT, 11 * PERCENT)
    assert (event.old_maintenance_margin_wad, event.new_maintenance_margin_wad) == (5 * PERCENT, 55 * PERCENT // 10)
    assert (event.actor, event.cause, event.timestamp_ns) == ("model", CAUSE, venue.now)
    assert event.ramp_ns == 0  # the pool's policy does not ramp
    assert _market(venue) == (11 * PERCENT, 55 * PERCENT // 10)
    assert venue.state.pools[POOL].markets[MARKET].risk_margin_updated_ns == venue.now
    venue.assert_replay_equals_live()


def test_a_rate_one_wei_beyond_the_step_is_refused_with_the_allowed_range_never_clamped() -> None:
    venue = _venue()

    venue.refuse(
        _update(venue, 11 * PERCENT + 1, 5 * PERCENT),
        InvalidParameter,
        "initial_margin_wad=110000000000000001 .* between 90000000000000000 and 110000000000000000",
    )
    venue.refuse(
        _update(venue, 10 * PERCENT, 45 * PERCENT // 10 - 1),
        InvalidParameter,
        "maintenance_margin_wad=44999999999999999 .* between 45000000000000000 and 55000000000000000",
    )
    assert _market(venue) == (10 * PERCENT, 5 * PERCENT)


def test_the_floor_refuses_a_step_below_it() -> None:
    rule = dataclasses.replace(RULE, floor_wad=48 * PERCENT // 10)
    venue = _venue(dataclasses.replace(MARKET_PARAMS, dynamic_margin=rule))

    venue.refuse(
        _update(venue, 10 * PERCENT, 47 * PERCENT // 10),
        InvalidParameter,
        "between 48000000000000000 and 55000000000000000",
    )
    venue.run(_update(venue, 10 * PERCENT, 48 * PERCENT // 10))
    assert _market(venue) == (10 * PERCENT, 48 * PERCENT // 10)


def test_maintenance_above_initial_is_refused_by_the_market_checks() -> None:
    market = dataclasses.replace(DYNAMIC_MARKET, initial_margin_wad=52 * PERCENT // 10)
    venue = _venue(market)

    # IM may fall to 4.68% in one step, MM stays 5%: MM > IM
    venue.refuse(_update(venue, 468 * PERCENT // 100, 5 * PERCENT), InvalidAmount, "initial_margin_wad")


def test_updates_closer_than_the_minimum_interval_are_refused_and_accepted_from_it() -> None:
    venue = _venue()
    venue.run(_update(venue, 11 * PERCENT, 5 * PERCENT))
    first = venue.now

    venue.now = first + HOUR_NS - 1
    venue.refuse(_update(venue, 12 * PERCENT, 5 * PERCENT), CommandRejected, f"accepted from {first + HOUR_NS} ns")
    venue.now = first + HOUR_NS
    venue.run(_update(venue, 12 * PERCENT, 5 * PERCENT))  # 11% + ceil(1.1%) = 12.1% ≥ 12%

    assert _market(venue) == (12 * PERCENT, 5 * PERCENT)
    venue.assert_replay_equals_live()


def test_only_the_risk_model_updates_and_only_a_market_with_a_rule() -> None:
    venue = _venue()
    venue.refuse(
        UpdateRiskMargin(ADMIN, POOL, MARKET, 11 * PERCENT, 5 * PERCENT, CAUSE, venue.now), Unauthorized, "risk_model"
    )
    static = _venue(MARKET_PARAMS)
    static.refuse(_update(static, 11 * PERCENT, 5 * PERCENT), CommandRejected, "no dynamic margin rule")


def test_an_update_that_changes_nothing_or_has_no_cause_is_refused() -> None:
    venue = _venue()
    venue.refuse(_update(venue, 10 * PERCENT, 5 * PERCENT), InvalidParameter, "a change of at least one rate")
    bad_cause = UpdateRiskMargin("model", POOL, MARKET, 11 * PERCENT, 5 * PERCENT, "line\nbreak", venue.now)
    venue.refuse(bad_cause, InvalidParameter, "printable")


def test_a_rule_must_contain_the_current_rates_and_needs_a_flat_market() -> None:
    venue = Venue(POOL_PARAMS, MARKET_PARAMS, in_genesis=True)
    narrow = dataclasses.replace(RULE, floor_wad=6 * PERCENT)
    tiered = MarginModel(kind=MarginModelKind.DYDX_IMF, initial_margin_ppm=100_000, maintenance_fraction_ppm=500_000)

    venue.refuse(
        AddMarket(POOL, dataclasses.replace(DYNAMIC_MARKET, market="X", dynamic_margin=narrow), venue.now),
        InvalidParameter,
        "maintenance_margin_wad=50000000000000000 .* dynamic band",
        sender=ADMIN,
    )
    venue.refuse(
        AddMarket(POOL, dataclasses.replace(DYNAMIC_MARKET, market="Y", margin_model=tiered), venue.now),
        InvalidParameter,
        "size-dependent",
        sender=ADMIN,
    )


def test_a_raised_maintenance_rate_ramps_in_under_a_ramping_policy_and_replays() -> None:
    pool = dataclasses.replace(POOL_PARAMS, liquidation=LiquidationPolicy(maintenance_ramp_ns=HOUR_NS))
    venue = _venue(pool=pool)

    event = only(venue.run(_update(venue, 10 * PERCENT, 55 * PERCENT // 10)), RiskMarginUpdated)

    assert (event.ramp_original_wad, event.ramp_target_ns, event.ramp_ns) == (5 * PERCENT, venue.now + HOUR_NS, HOUR_NS)
    ramp = venue.state.pools[POOL].markets[MARKET].maintenance_ramp
    assert ramp is not None and ramp.original_maintenance_wad == 5 * PERCENT
    venue.assert_replay_equals_live()
