"""A pool selecting each preset of issue 11 item 4 liquidates by that preset's numbers.

Premises (``tests/support/liquidation.py``): no spread, fee or funding, skew scale 1,000,000
ETH (a long of 10 ETH from skew 0 fills at 2000.01, basis 20_000_100_000 USDC atoms), IM 10%,
MM 5%, close factor 50%, penalty 2% (half to the keeper). USDC has 6 decimals, ETH 18. Each
test's liquidation policy is its premise. Every expected number is worked by hand in the
comment beside it or with ``fractions``; ``Venue.run`` checks conservation after each command.
"""

from __future__ import annotations

import dataclasses
import json
import math
import tomllib
from fractions import Fraction
from pathlib import Path

import pytest

from ringfence.core.errors import CommandRejected, InvalidParameter
from ringfence.core.governance.commands import ExecuteProposal, GrantRole, ProposeParameterChange
from ringfence.core.governance.events import ParameterChangeProposed, PoolParameterChanged
from ringfence.core.governance.state import Role
from ringfence.core.liquidation.kinds import LiquidationPath, LiquidationReason
from ringfence.core.liquidation.ltv_ramp import MaintenanceRamp
from ringfence.core.liquidation.perp_presets import LiquidationPhase
from ringfence.core.pool.commands import CreatePool, Liquidate
from ringfence.core.pool.events import LiquidationRecorded, PositionLiquidated
from ringfence.core.pool.liquidation_policy import IncentiveRule, LiquidationPolicy, SizingRule
from ringfence.core.pool.state import MarginMode
from ringfence.core.units import WAD
from ringfence.service.venue import Catalog, compile_venue
from ringfence.store.codec import decode_event, encode_event
from support.authority import ADMIN
from support.liquidation import PolicyVenue, health_up_wad, isolated_health_at_1850, recorded
from support.venue import ETH, HOUR_NS, MARKET, PERCENT, POOL, POOL_PARAMS, SECOND_NS, USDC, only

# --- Morpho Blue LIF ----------------------------------------------------------------------------

MORPHO_RATE_AT_5_PERCENT = 15_228_426_395_939_086
"""LIF − 1 at LLTV 0.95: ⌊1e36 / (1e18 − 0.3·0.05e18)⌋ − 1e18 (Morpho.sol, by hand)."""


def test_a_morpho_lif_pool_charges_lif_minus_one_on_the_closed_notional() -> None:
    # Arrange: isolated long 10 ETH, 2_100 USDC margin; ETH 1850: equity 2_100 + 18_500 − 20_000.1 = 599.9
    # < maintenance 925 (health 0.649 > p/m = 0.305, so the keeper path)
    venue = PolicyVenue(LiquidationPolicy(incentive=IncentiveRule.MORPHO_LIF))
    venue.open_isolated("alice", 10 * ETH, 2_100 * USDC)
    venue.quote_prices(1_850 * WAD)

    # Act
    events = venue.liquidate("alice")

    # Assert: R_p/N = 925/18_500 = 5% → LLTV 95%, the Morpho rate; close factor 50%: 5 ETH, notional 9_250
    record = recorded(events)
    assert (record.path, record.penalty_wad, record.closed_atoms) == ("keeper", MORPHO_RATE_AT_5_PERCENT, 5 * ETH)
    penalty = math.ceil(Fraction(9_250 * USDC * MORPHO_RATE_AT_5_PERCENT, WAD))  # 140_862_945 (rounded up)
    assert penalty == 140_862_945
    change = only(events, PositionLiquidated)
    # keeper ⌊penalty/2⌋ = 70_431_472, insurance the rest 70_431_473
    assert (change.keeper_reward_atoms, change.insurance_penalty_atoms) == (70_431_472, 70_431_473)
    venue.assert_replay_equals_live()


def test_a_fixed_penalty_pool_still_charges_its_own_penalty() -> None:
    # The default policy (FIXED): 2% of 9_250 = 185 USDC, 92.5 each way
    venue = PolicyVenue()
    venue.open_isolated("alice", 10 * ETH, 2_100 * USDC)
    venue.quote_prices(1_850 * WAD)
    change = only(venue.liquidate("alice"), PositionLiquidated)
    assert (change.keeper_reward_atoms, change.insurance_penalty_atoms) == (92_500_000, 92_500_000)


# --- dYdX fillable price ---------------------------------------------------------------------------

DYDX_POLICY = LiquidationPolicy(bankruptcy_adjustment_ppm=1_000_000, spread_to_maintenance_ppm=100_000)
FILLABLE_AT_1850_WAD = 1_846_749 * WAD // 1_000
"""E = 599.9, R = R_p = 925: ABR = 1 − 599.9/925 = 325.1/925; spread 10%·925 = 92.5 USDC;
ABR·spread = 32.51 USDC over 10 ETH = 3.251 per ETH → 1850 − 3.251 = 1846.749."""


def _dydx_venue() -> PolicyVenue:
    venue = PolicyVenue(DYDX_POLICY)
    venue.open_isolated("alice", 10 * ETH, 2_100 * USDC)
    venue.quote_prices(1_850 * WAD)
    return venue


def _at(venue: PolicyVenue, price_wad: int) -> Liquidate:
    return Liquidate("keeper", 0, "alice", 0, POOL, MARKET, venue.now, execution_price_wad=price_wad)


def test_a_dydx_pool_accepts_a_fill_at_the_fillable_price_and_charges_its_cost() -> None:
    venue = _dydx_venue()
    events = venue.run(_at(venue, FILLABLE_AT_1850_WAD))
    # 5 ETH closed at 3.251 below the oracle: 16.255 USDC execution cost
    assert only(events, PositionLiquidated).execution_cost_atoms == 16_255_000
    assert only(events, LiquidationRecorded).execution_price_wad == FILLABLE_AT_1850_WAD
    venue.assert_replay_equals_live()


def test_a_dydx_pool_refuses_a_fill_one_wad_below_the_fillable_price() -> None:
    venue = _dydx_venue()
    venue.refuse(_at(venue, FILLABLE_AT_1850_WAD - 1), InvalidParameter, "execution_price_wad")


def test_the_fillable_bound_narrows_as_the_account_nears_health() -> None:
    # ETH 1900: E = 2_100 + 19_000 − 20_000.1 = 1_099.9 vs R = 950 → healthy, so take ETH 1880:
    # E = 2_100 + 18_800 − 20_000.1 = 899.9, R = 940: ABR = 40.1/940; spread 94 → 4.01 USDC over 10 ETH
    # → 0.401 per ETH: fillable 1879.599
    venue = PolicyVenue(DYDX_POLICY)
    venue.open_isolated("alice", 10 * ETH, 2_100 * USDC)
    venue.quote_prices(1_880 * WAD)
    venue.refuse(_at(venue, 1_879_599 * WAD // 1_000 - 1), InvalidParameter, "execution_price_wad")
    events = venue.run(_at(venue, 1_879_599 * WAD // 1_000))
    # 5 ETH · 0.401 = 2.005 USDC
    assert only(events, PositionLiquidated).execution_cost_atoms == 2_005_000


def test_a_pool_cannot_set_both_a_fixed_gap_and_the_fillable_price() -> None:
    policy = dataclasses.replace(DYDX_POLICY, max_execution_gap_wad=PERCENT)
    with pytest.raises(InvalidParameter, match="max_execution_gap_wad"):
        PolicyVenue(policy)


def test_the_fillable_price_needs_a_spread() -> None:
    with pytest.raises(InvalidParameter, match="spread_to_maintenance_ppm"):
        PolicyVenue(LiquidationPolicy(bankruptcy_adjustment_ppm=1_000_000))


# --- Euler LTV ramp ---------------------------------------------------------------------------------

TIMELOCK_NS = 2 * 24 * HOUR_NS
RAISED_MAINTENANCE_WAD = 62_500_000_000_000_000
"""6.25%: one 25% governance step up from 5%."""


class RampVenue(PolicyVenue):
    """A pool ramping maintenance rises over ``ramp_ns``, governance with a 2-day timelock and 25% steps."""

    def __init__(self, ramp_ns: int) -> None:
        super().__init__(LiquidationPolicy(maintenance_ramp_ns=ramp_ns))  # the harness's governance: 2 days, 25%
        for role, principal in ((Role.PROPOSER, "council"), (Role.EXECUTOR, "exec")):
            self.run(GrantRole(ADMIN, role, principal, self.now))

    def raise_maintenance(self, price_wad: int) -> PoolParameterChanged:
        """Raise the market's maintenance 5% → 6.25% through governance, quoting ``price_wad`` before executing."""
        change = ProposeParameterChange(
            "council", POOL, MARKET, "maintenance_margin_wad", RAISED_MAINTENANCE_WAD, self.now
        )
        proposal_id = only(self.run(change), ParameterChangeProposed).proposal_id
        self.now += TIMELOCK_NS
        self.quote_prices(price_wad)
        events = self.run(ExecuteProposal("exec", proposal_id, self.now))
        return only(events, PoolParameterChanged)


def test_a_raised_maintenance_rate_ramps_in_for_liquidation() -> None:
    # Arrange: isolated long 10 ETH with 2_100 USDC; ETH 1900: E = 2_100 + 19_000 − 20_000.1 = 1_099.9,
    # healthy at 5% (950), not at 6.25% (1_187.5)
    venue = RampVenue(HOUR_NS)
    venue.open_isolated("alice", 10 * ETH, 2_100 * USDC)
    changed = venue.raise_maintenance(1_900 * WAD)
    start = venue.now
    assert (changed.ramp_original_wad, changed.ramp_target_ns, changed.ramp_ns) == (
        5 * PERCENT,
        start + HOUR_NS,
        HOUR_NS,
    )
    market = venue.state.pools[POOL].markets[MARKET]
    assert market.maintenance_ramp == MaintenanceRamp(5 * PERCENT, start + HOUR_NS, HOUR_NS)

    # At once: m = 5% → 950 ≤ 1_099.9, not liquidatable
    venue.refuse(venue.liquidate_command("alice"), CommandRejected, "not liquidatable")
    # 30 min in: LTV 0.9375 + 0.0125·30/60 = 0.94375 → m = 5.625%: 1_068.75 ≤ 1_099.9, still not
    venue.quote_prices(1_900 * WAD, advance_ns=HOUR_NS // 2)
    venue.refuse(venue.liquidate_command("alice"), CommandRejected, "not liquidatable")

    # Act: 45 min in: LTV 0.9375 + 0.0125·15/60 = 0.940625 → m = 5.9375%: 19_000 · 5.9375% = 1_128.125
    venue.quote_prices(1_900 * WAD, advance_ns=HOUR_NS // 4)
    record = recorded(venue.liquidate("alice"))

    # Assert: the health the engine used is E / R at the ramped rate
    assert record.health_wad == health_up_wad(1_099_900_000, 1_128_125_000)
    venue.assert_replay_equals_live()


def test_without_a_ramp_a_raised_maintenance_rate_applies_at_once() -> None:
    # The default policy (ramp 0): m = 6.25% at once: 1_187.5 > 1_099.9, liquidatable right after execution
    venue = RampVenue(0)
    venue.open_isolated("alice", 10 * ETH, 2_100 * USDC)
    changed = venue.raise_maintenance(1_900 * WAD)
    assert (changed.ramp_original_wad, changed.ramp_target_ns, changed.ramp_ns) == (0, 0, 0)
    assert venue.state.pools[POOL].markets[MARKET].maintenance_ramp is None
    record = recorded(venue.liquidate("alice"))
    assert record.health_wad == health_up_wad(1_099_900_000, 1_187_500_000)


def test_the_ramp_reaches_the_target_and_stays_there() -> None:
    # One hour in and after: m = 6.25%, exactly the no-ramp requirement
    venue = RampVenue(HOUR_NS)
    venue.open_isolated("alice", 10 * ETH, 2_100 * USDC)
    venue.raise_maintenance(1_900 * WAD)
    venue.quote_prices(1_900 * WAD, advance_ns=2 * HOUR_NS)
    assert recorded(venue.liquidate("alice")).health_wad == health_up_wad(1_099_900_000, 1_187_500_000)


def test_a_cross_account_sees_the_ramped_rate_too() -> None:
    # Cross long 10 ETH with 2_100 USDC deposited (USDC weight 1): same equity and requirement as isolated
    venue = RampVenue(HOUR_NS)
    venue.deposit("alice", 2_100 * USDC)
    venue.trade("alice", 10 * ETH, MarginMode.CROSS)
    venue.raise_maintenance(1_900 * WAD)
    venue.refuse(venue.liquidate_command("alice"), CommandRejected, "not liquidatable")
    venue.quote_prices(1_900 * WAD, advance_ns=3 * HOUR_NS // 4)
    record = recorded(venue.liquidate("alice"))
    assert record.health_wad == health_up_wad(1_099_900_000, 1_128_125_000)


def test_create_pool_refuses_a_ramp_longer_than_euler_stores() -> None:
    # A pool is created in the genesis (once open, only by proposal, which runs the same check)
    venue = PolicyVenue(in_genesis=True)
    policy = LiquidationPolicy(maintenance_ramp_ns=2**32 * 10**9)
    command = CreatePool("Q", "perp", 1, dataclasses.replace(POOL_PARAMS, liquidation=policy), venue.now)
    venue.refuse(command, InvalidParameter, "maintenance_ramp_ns")


# --- Drift phased liquidation ---------------------------------------------------------------------

DRIFT_POLICY = LiquidationPolicy(
    sizing=SizingRule.DRIFT_PHASED, phased_initial_share_bps=1_000, phased_duration_ns=60 * SECOND_NS
)
"""Drift: 10% of the shortage freeable at once, growing by 100% over 60 s; no small-shortage rule."""


def _drift_expected(venue: PolicyVenue, freed_atoms: int, elapsed_ns: int) -> tuple[int, int, int]:
    """Return ``(close, share bps, paid penalty)`` by Drift's formulas in fractions, from alice's position at 1850.

    Shortage ``S = R − E``; freeable share ``min(elapsed·1e4/60 s + 1000, 1e4)`` of ``S + freed``, less
    ``freed``, over ``S``; size to cover ``⌈size·(S + 4 atoms)/(R − 2%·N)⌉`` (the engine's rounding
    allowance of 3 atoms plus 1); close ``⌊to_cover·share/1e4⌋``; penalty ``⌈⌈close·1850⌉·2%⌉``.
    """
    equity, requirement = isolated_health_at_1850(venue)
    position = venue.position("alice")
    assert position is not None
    notional = math.ceil(Fraction(position.size_atoms * 1_850, 10**12))
    shortage = requirement - equity
    pct = min(elapsed_ns * 10_000 // (60 * SECOND_NS) + 1_000, 10_000)
    freeable = max((shortage + freed_atoms) * pct // 10_000 - freed_atoms, 0)
    share = freeable * 10_000 // shortage
    to_cover = math.ceil(Fraction(position.size_atoms * (shortage + 4), requirement - Fraction(2, 100) * notional))
    close = min(to_cover * share // 10_000, position.size_atoms)
    penalty = math.ceil(math.ceil(Fraction(close * 1_850, 10**12)) * Fraction(2, 100))
    return close, share, penalty


def test_a_drift_pool_frees_a_growing_share_of_the_shortage_and_tracks_the_phase() -> None:
    # Arrange: E = 599.9, R = R_p = 925 at 1850: shortage 325.1 USDC
    venue = PolicyVenue(DRIFT_POLICY)
    venue.open_isolated("alice", 10 * ETH, 2_100 * USDC)
    venue.quote_prices(1_850 * WAD)
    started = venue.now
    key = (("alice", 0), MARKET)

    # Act 1: at the start only the initial 10% of the shortage: to cover ⌈10 ETH·325_100_004/555_000_000⌉
    close, share, penalty = _drift_expected(venue, 0, 0)
    assert (share, close) == (1_000, 585_765_772_972_972_973)  # ⌊5_857_657_729_729_729_730 · 10%⌋
    first = recorded(venue.liquidate("alice"))

    # Assert 1: the phase opens with the requirement removed ⌊925e6·close/10 ETH⌋ less the penalty paid
    freed = math.floor(Fraction(925_000_000 * close, 10 * ETH)) - penalty
    assert (first.closed_atoms, first.partial) == (close, True)
    assert (first.phase_open, first.phase_started_ns, first.phase_margin_freed_atoms) == (True, started, freed)
    assert venue.state.pools[POOL].liquidation_phases[key] == LiquidationPhase(started, freed)

    # Act 2: 30 s later the freeable share is 10% + 50% = 60% of (shortage + freed), less freed
    venue.quote_prices(1_850 * WAD, advance_ns=30 * SECOND_NS)
    close, share, penalty = _drift_expected(venue, freed, 30 * SECOND_NS)
    _, requirement = isolated_health_at_1850(venue)
    size = 10 * ETH - first.closed_atoms
    second = recorded(venue.liquidate("alice"))

    # Assert 2: a larger share than at the start, the same phase, the freed margin adds up
    assert 1_000 < share < 10_000
    freed += math.floor(Fraction(requirement * close, size)) - penalty
    assert (second.closed_atoms, second.phase_open, second.phase_started_ns) == (close, True, started)
    assert second.phase_margin_freed_atoms == freed

    # Act 3: past 60 s the whole shortage is freeable: the close covers it, the phase ends
    venue.quote_prices(1_850 * WAD, advance_ns=30 * SECOND_NS)
    phase = venue.state.pools[POOL].liquidation_phases[key]
    close, share, _ = _drift_expected(venue, phase.margin_freed_atoms, 60 * SECOND_NS)
    third = recorded(venue.liquidate("alice"))
    assert (third.closed_atoms, third.phase_open) == (close, False)
    assert key not in venue.state.pools[POOL].liquidation_phases

    # The shortage is cured: the account is no longer liquidatable
    venue.refuse(venue.liquidate_command("alice"), CommandRejected, "not liquidatable")
    venue.assert_replay_equals_live()


def test_a_drift_phase_needs_a_share_or_a_duration() -> None:
    with pytest.raises(InvalidParameter, match="phased_initial_share_bps"):
        PolicyVenue(LiquidationPolicy(sizing=SizingRule.DRIFT_PHASED))


# --- venue files select the presets by name -----------------------------------------------------------


def test_a_venue_file_selects_every_new_preset_in_human_units() -> None:
    with (Path(__file__).parents[2] / "examples" / "venue.toml").open("rb") as handle:
        data = tomllib.load(handle)
    data["pools"]["eth"]["liquidation"] = {
        "sizing": "drift_phased",
        "phased_initial_share_bps": 1_000,
        "phased_duration": "1m",
        "phased_full_below": "50",  # USDC
        "incentive": "morpho_lif",
        "bankruptcy_adjustment_ppm": 1_000_000,
        "spread_to_maintenance_ppm": 100_000,
        "maintenance_ramp": "1h",
    }
    pools = [c.command for c in compile_venue(data, Catalog()).commands if isinstance(c.command, CreatePool)]
    policy = next(command.params.liquidation for command in pools if command.pool == "eth")
    assert policy == LiquidationPolicy(
        sizing=SizingRule.DRIFT_PHASED,
        phased_initial_share_bps=1_000,
        phased_duration_ns=60 * SECOND_NS,
        phased_full_below_atoms=50 * USDC,
        incentive=IncentiveRule.MORPHO_LIF,
        bankruptcy_adjustment_ppm=1_000_000,
        spread_to_maintenance_ppm=100_000,
        maintenance_ramp_ns=HOUR_NS,
    )


# --- the new event fields travel through the codec; payloads written before them still decode ----------


def test_the_phase_and_ramp_fields_round_trip_and_old_payloads_decode_to_off() -> None:
    record = LiquidationRecorded(
        pool=POOL, market=MARKET, owner="alice", sub_account=0, path=LiquidationPath.KEEPER,
        reason=LiquidationReason.BELOW_MAINTENANCE, detail="", health_wad=WAD // 2, penalty_wad=0,
        closed_atoms=ETH, notional_atoms=1_850 * USDC, partial=True, timestamp_ns=7,
        phase_open=True, phase_started_ns=5, phase_margin_freed_atoms=42,
    )  # fmt: skip
    changed = PoolParameterChanged(
        pool=POOL, market=MARKET, field="maintenance_margin_wad", old_value=5 * PERCENT,
        new_value=RAISED_MAINTENANCE_WAD, proposal_id=1, timestamp_ns=9,
        ramp_original_wad=5 * PERCENT, ramp_target_ns=9 + HOUR_NS, ramp_ns=HOUR_NS,
    )  # fmt: skip
    for event in (record, changed):
        assert decode_event(*encode_event(event)) == event
    # A payload without the new keys (written by main before them) decodes with them off
    for event, new_keys in (
        (record, ("phase_open", "phase_started_ns", "phase_margin_freed_atoms")),
        (changed, ("ramp_original_wad", "ramp_target_ns", "ramp_ns")),
    ):
        name, version, payload = encode_event(event)
        body = {k: v for k, v in json.loads(payload).items() if k not in new_keys}
        old = decode_event(name, version, json.dumps(body))
        assert all(getattr(old, key) in (0, False) for key in new_keys)


def test_lowering_the_rate_during_a_ramp_applies_at_once_and_ends_the_ramp() -> None:
    # A 3-day ramp 5% → 6.25%; a change back to 5% (a 20% step down) executes 2 days and 1 s later,
    # mid-ramp (m ≈ 5.83%): 5% is below the rate in force (an LTV raised), so it applies at once
    venue = RampVenue(3 * 24 * HOUR_NS)
    venue.open_isolated("alice", 10 * ETH, 2_100 * USDC)
    venue.raise_maintenance(1_900 * WAD)
    change = ProposeParameterChange("council", POOL, MARKET, "maintenance_margin_wad", 5 * PERCENT, venue.now)
    proposal_id = only(venue.run(change), ParameterChangeProposed).proposal_id
    venue.now += TIMELOCK_NS
    venue.quote_prices(1_900 * WAD)
    assert venue.state.pools[POOL].markets[MARKET].maintenance_ramp is not None
    lowered = only(venue.run(ExecuteProposal("exec", proposal_id, venue.now)), PoolParameterChanged)
    assert (lowered.ramp_original_wad, lowered.ramp_target_ns, lowered.ramp_ns) == (0, 0, 0)
    assert venue.state.pools[POOL].markets[MARKET].maintenance_ramp is None
    venue.refuse(venue.liquidate_command("alice"), CommandRejected, "not liquidatable")
    venue.assert_replay_equals_live()
