"""The dynamic-margin model (``risk/dynamic_margin.py``): targets from prices, WAD rounded up, bounded steps.

Worked numbers: a price series whose log returns alternate ±1% has EWMA variance exactly
(1%)² at every step (each squared return is (1%)², and the recursion starts from the first),
so σ per hour is 1%. Over a one-hour horizon sampled hourly, ``z σ √h = z · 1%`` with
z(0.99) = 2.326348 and z(0.999) = 3.090232 from :class:`statistics.NormalDist` (an independent
implementation of Φ⁻¹). With impact, ``σ_day = 1% · √24`` and ``Q/V = 1e6/1e8``, the slippage
is ``1% · √24 · 0.1 = 0.4898979%``.
"""

from __future__ import annotations

import dataclasses
import math
from decimal import Decimal
from statistics import NormalDist

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ringfence.core.errors import InvalidParameter
from ringfence.core.governance.commands import GrantRole, UpdateRiskMargin
from ringfence.core.governance.events import RiskMarginUpdated
from ringfence.core.governance.state import Role
from ringfence.core.pool.dynamic_margin import DynamicMarginRule
from ringfence.risk.dynamic_margin import (
    DynamicMarginModel,
    bounded_step_wad,
    next_risk_margin,
    rate_wad_up,
    target_rate_arrays,
    target_rates,
)
from support.authority import ADMIN
from support.venue import MARKET, MARKET_PARAMS, PERCENT, POOL, POOL_PARAMS, WAD, Venue, only

HOURLY = DynamicMarginModel(
    initial_confidence=0.999, maintenance_confidence=0.99, horizon_years=1 / 8760, periods_per_year=8760
)
RULE = DynamicMarginRule(floor_wad=2 * PERCENT, ceiling_wad=30 * PERCENT, max_step_wad=WAD // 10, min_interval_ns=0)
Z_99 = NormalDist().inv_cdf(0.99)
Z_999 = NormalDist().inv_cdf(0.999)
# relative tolerance 1e-12: log/exp round trips of the prices and the EWMA filter lose a few ulps
REL = 1e-12


def _alternating_prices(count: int, log_move: float = 0.01) -> list[float]:
    return [100.0 * math.exp(log_move * (index % 2)) for index in range(count)]


def test_rates_become_wad_rounded_up_from_the_floats_exact_value() -> None:
    # 0.1 is stored as 0.1000000000000000055511151231257827...; times 1e18 it is ...005.55, up to ...006
    assert math.ceil(Decimal(0.1) * WAD) == 100_000_000_000_000_006  # noqa: RUF032 (the float is the point)
    assert rate_wad_up(0.1) == 100_000_000_000_000_006
    assert rate_wad_up(0.5) == WAD // 2
    assert rate_wad_up(0.0) == 0
    for bad in (-0.01, math.nan, math.inf):
        with pytest.raises(InvalidParameter):
            rate_wad_up(bad)


def test_targets_follow_z_sigma_root_h_on_a_series_of_known_volatility() -> None:
    targets = target_rates(_alternating_prices(50), HOURLY, 0.0, math.inf)

    assert targets.volatility == pytest.approx(0.01 * math.sqrt(8760), rel=REL)
    assert targets.initial_rate == pytest.approx(Z_999 * 0.01, rel=REL)
    assert targets.maintenance_rate == pytest.approx(Z_99 * 0.01, rel=REL)


def test_targets_add_the_square_root_slippage_of_the_size_to_liquidate() -> None:
    targets = target_rates(_alternating_prices(50), HOURLY, 1e6, 1e8)

    assert targets.maintenance_rate == pytest.approx(Z_99 * 0.01 + 0.01 * math.sqrt(24) * 0.1, rel=REL)
    assert targets.maintenance_rate == pytest.approx(0.028162458, rel=1e-8)  # 2.3263479% + 0.4898979%


def test_one_update_moves_each_rate_one_bounded_step_toward_its_target_with_its_cause() -> None:
    # targets IM 3.09%, MM 2.33%; from IM 10% and MM 5% one step of 10% reaches 9% and 4.5%
    update = next_risk_margin(_alternating_prices(50), HOURLY, RULE, 10 * PERCENT, 5 * PERCENT)

    assert update is not None
    assert (update.initial_margin_wad, update.maintenance_margin_wad) == (9 * PERCENT, 45 * PERCENT // 10)
    assert update.cause == "ewma σ=0.0490/day z=3.09/2.33 h=1h target IM=3.0902% MM=2.3263%"


def test_repeated_updates_reach_the_rounded_up_targets_and_then_stop() -> None:
    prices = _alternating_prices(50)
    initial, maintenance, updates = 10 * PERCENT, 5 * PERCENT, 0
    while (update := next_risk_margin(prices, HOURLY, RULE, initial, maintenance)) is not None:
        assert update.maintenance_margin_wad <= update.initial_margin_wad
        initial, maintenance, updates = update.initial_margin_wad, update.maintenance_margin_wad, updates + 1
        assert updates < 30

    targets = target_rates(prices, HOURLY, 0.0, math.inf)
    assert (initial, maintenance) == (rate_wad_up(targets.initial_rate), rate_wad_up(targets.maintenance_rate))
    assert initial / WAD == pytest.approx(Z_999 * 0.01, rel=REL)
    # 10% → 3.09% at most 10% per step: at least ⌈log(3.09/10)/log(0.9)⌉ = 12 steps
    assert updates >= 12


def test_a_target_below_the_floor_stops_at_the_floor() -> None:
    quiet = _alternating_prices(50, log_move=0.001)  # MM target 0.23%, IM 0.31%: below the 2% floor
    rule = dataclasses.replace(RULE, max_step_wad=WAD)

    update = next_risk_margin(quiet, HOURLY, rule, 3 * PERCENT, 25 * PERCENT // 10)

    assert update is not None
    assert (update.initial_margin_wad, update.maintenance_margin_wad) == (2 * PERCENT, 2 * PERCENT)


@given(
    maintenance=st.integers(2 * PERCENT, 30 * PERCENT),
    extra=st.integers(0, 28 * PERCENT),
    target_maintenance=st.integers(0, WAD),
    target_extra=st.integers(0, WAD),
)
def test_the_bounded_step_keeps_maintenance_at_most_initial(
    maintenance: int, extra: int, target_maintenance: int, target_extra: int
) -> None:
    initial = min(30 * PERCENT, maintenance + extra)
    new_initial = bounded_step_wad(RULE, initial, target_maintenance + target_extra)
    new_maintenance = bounded_step_wad(RULE, maintenance, target_maintenance)
    assert new_maintenance <= new_initial
    assert RULE.floor_wad <= new_maintenance and new_initial <= RULE.ceiling_wad


def test_the_core_accepts_the_models_update_and_records_its_cause() -> None:
    venue = Venue(POOL_PARAMS, dataclasses.replace(MARKET_PARAMS, dynamic_margin=RULE))
    venue.run(GrantRole(ADMIN, Role.RISK_MODEL, "model", venue.now))
    update = next_risk_margin(_alternating_prices(50), HOURLY, RULE, 10 * PERCENT, 5 * PERCENT)
    assert update is not None

    command = UpdateRiskMargin(
        "model", POOL, MARKET, update.initial_margin_wad, update.maintenance_margin_wad, update.cause, venue.now
    )
    event = only(venue.run(command), RiskMarginUpdated)

    assert event.cause == update.cause
    assert event.new_initial_margin_wad == 9 * PERCENT
    venue.assert_replay_equals_live()


def test_a_maintenance_confidence_above_the_initial_one_is_refused() -> None:
    with pytest.raises(InvalidParameter, match="maintenance_confidence"):
        DynamicMarginModel(
            initial_confidence=0.99, maintenance_confidence=0.999, horizon_years=1.0, periods_per_year=365
        )


def test_the_array_form_gives_each_series_exactly_the_floats_it_gives_alone() -> None:
    # the vector engine computes every path's targets at once, the exact engine one path at a time
    rows = np.array([_alternating_prices(30, move) for move in (0.001, 0.01, 0.05)])
    rows[1, 10:] *= 1.07  # a jump in the middle of one series

    sigma, initial, maintenance = target_rate_arrays(rows, HOURLY, 1e6, 1e8)

    for index, row in enumerate(rows):
        alone = target_rates(row, HOURLY, 1e6, 1e8)
        assert (sigma[index], initial[index], maintenance[index]) == (
            alone.volatility,
            alone.initial_rate,
            alone.maintenance_rate,
        )
