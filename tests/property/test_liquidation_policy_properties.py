"""Property of every liquidation under a random policy (SPEC §2.6, §2.9).

For random policies (any sizing and incentive rule, backstop, pacing, breaker), a few traders
(isolated or cross, long or short, margined between 1.01 and 2.5 times initial margin) and a
price moving against the first of them in random steps, every liquidation either takes the
keeper path without lowering the account's maintenance health (or closes the position), or
takes the backstop path with a recorded reason and closes the position; value is conserved
after every command and replay equals live.
"""

from __future__ import annotations

import copy
import dataclasses
import math
from fractions import Fraction

from hypothesis import event, given, settings
from hypothesis import strategies as st

from ringfence.core.errors import CommandRejected
from ringfence.core.liquidation.kinds import LiquidationPath, LiquidationReason
from ringfence.core.margin import MarginKind, base_price_wad
from ringfence.core.pool.events import PositionLiquidated
from ringfence.core.pool.liquidation_policy import NO_CAP, IncentiveRule, LiquidationPolicy, SizingRule
from ringfence.core.pool.position_margin import isolated_margin, margin_snapshot
from ringfence.core.pool.state import MarginMode
from ringfence.core.units import WAD
from support.liquidation import TWO_THIRDS_WAD, PolicyVenue, recorded
from support.venue import ETH, HOUR_NS, MARKET, PERCENT, POOL, SECOND_NS, USDC


@st.composite
def any_policy(draw: st.DrawFn) -> LiquidationPolicy:
    """Return a policy that passes CreatePool and AddMarket with the support venue's market (MM 5%, penalty 2%)."""
    incentive = draw(st.sampled_from(IncentiveRule))
    health_for_max = draw(st.integers(0, WAD - 1))
    # the no-split guard: p_max ≤ m·h_max for the linear bonus; T > 1 then always gives T·m > p_max ≤ 5%.
    # The health-scaled penalty needs p_max ≤ m·(1 − p_max), i.e. p_max ≤ m/(1 + m) = 5/105 (AddMarket refuses more)
    highest = {
        IncentiveRule.LINEAR_BONUS: health_for_max * 5 // 100,
        IncentiveRule.HEALTH_SCALED: 5 * WAD // 105,
    }.get(incentive, 5 * PERCENT)
    return LiquidationPolicy(
        sizing=draw(st.sampled_from(SizingRule)),
        full_liquidation_health_wad=draw(st.sampled_from([0, 95 * PERCENT]) | st.integers(0, WAD)),
        target_health_wad=draw(st.integers(WAD + 1, 3 * WAD)),
        partial_threshold_atoms=draw(st.integers(0, 30_000 * USDC)),
        partial_fraction_wad=draw(st.sampled_from([20 * PERCENT]) | st.integers(1, WAD)),
        partial_cooldown_ns=draw(st.sampled_from([0, 30 * SECOND_NS, 120 * SECOND_NS])),
        # Drift: a start share above 0 keeps every phase freeable (a duration alone would too, but
        # a liquidation at the phase's start would then free nothing but its one-atom minimum)
        phased_initial_share_bps=draw(st.sampled_from([1_000]) | st.integers(1, 10_000)),
        phased_duration_ns=draw(st.sampled_from([0, 60 * SECOND_NS, HOUR_NS])),
        phased_full_below_atoms=draw(st.sampled_from([0, 50 * USDC])),
        dust_atoms=draw(st.sampled_from([0]) | st.integers(0, 5_000 * USDC)),
        incentive=incentive,
        max_penalty_wad=draw(st.integers(0, highest)),
        min_penalty_share_wad=draw(st.integers(0, WAD)),
        health_for_max_penalty_wad=health_for_max,
        backstop_health_wad=draw(st.sampled_from([0, TWO_THIRDS_WAD]) | st.integers(0, WAD)),
        backstop_loss_cap_atoms=draw(st.integers(0, 3_000 * USDC)),
        auto_deleverage=draw(st.booleans()),
        max_liquidated_atoms_per_window=draw(st.sampled_from([NO_CAP]) | st.integers(1_000 * USDC, 20_000 * USDC)),
        throughput_breaker_atoms=draw(st.sampled_from([NO_CAP]) | st.integers(1_000 * USDC, 50_000 * USDC)),
    )


@dataclasses.dataclass(frozen=True)
class Trader:
    """One account of the property: its margin mode, signed size and margin as a multiple of IM (percent)."""

    mode: MarginMode
    size_atoms: int
    margin_percent_of_initial: int


traders = st.builds(
    Trader,
    st.sampled_from((MarginMode.ISOLATED, MarginMode.CROSS)),  # a portfolio is auctioned, never Liquidate-d
    st.integers(ETH // 10, 10 * ETH).flatmap(lambda size: st.sampled_from([size, -size])),
    st.integers(101, 250),
)


def maintenance(venue: PolicyVenue, owner: str, mode: MarginMode) -> tuple[int, int]:
    """Return the account's (or isolated position's) maintenance equity and requirement; (0, 0) if flat."""
    state, position = venue.state, venue.position(owner)
    if mode is MarginMode.CROSS:
        snapshot = margin_snapshot(state, (owner, 0), MarginKind.MAINTENANCE, venue.now, allow_guarded=True)
    elif position is None:
        return 0, 0
    else:
        price = base_price_wad(state, "ETH", venue.now, allow_guarded=True)
        snapshot = isolated_margin(state, state.pools[POOL], MARKET, position, MarginKind.MAINTENANCE, price)
    return snapshot.equity_atoms, snapshot.requirement_atoms


def liquidate_once(venue: PolicyVenue, owner: str, mode: MarginMode) -> None:
    """Liquidate ``owner`` if it is liquidatable and check the path's promise."""
    equity, requirement = maintenance(venue, owner, mode)
    if venue.position(owner) is None or equity >= requirement:
        return
    before = copy.deepcopy(venue.state)
    try:
        events = venue.liquidate(owner)
    except CommandRejected as refused:  # the pacing cap is the only rule that may refuse a liquidatable account
        assert "keeper liquidations resume" in str(refused)
        assert venue.state == before
        return
    record = recorded(events)
    closed = venue.position(owner) is None
    if record.path is LiquidationPath.KEEPER:
        assert (record.reason, record.detail) == (LiquidationReason.BELOW_MAINTENANCE, "")
        equity_after, requirement_after = maintenance(venue, owner, mode)
        # health after ≥ before (E_a/R_a ≥ E/R, with R, R_a > 0) unless the position is gone, to the atom
        assert closed or equity_after * requirement >= equity * requirement_after, (record, equity, requirement)
    else:
        assert record.path is LiquidationPath.BACKSTOP
        assert record.reason.path is LiquidationPath.BACKSTOP
        assert record.detail
        assert closed


@settings(max_examples=60)
@given(
    policy=any_policy(),
    accounts=st.lists(traders, min_size=1, max_size=4),
    insurance_usdc=st.integers(0, 3_000),
    crash_percents=st.lists(st.integers(2, 20), min_size=1, max_size=3),
    pause_ns=st.sampled_from([SECOND_NS, 31 * SECOND_NS, HOUR_NS]),
)
def test_every_liquidation_is_monotone_on_the_keeper_path_or_a_recorded_backstop(
    policy: LiquidationPolicy,
    accounts: list[Trader],
    insurance_usdc: int,
    crash_percents: list[int],
    pause_ns: int,
) -> None:
    # Arrange: each trader opens at 2000 with margin ⌈|size|·2000·10%·k⌉ + 1 USDC (the skew premium)
    venue = PolicyVenue(policy, insurance_atoms=insurance_usdc * USDC)
    owners = []
    for index, trader in enumerate(accounts):
        owner = f"t{index}"
        margin = math.ceil(Fraction(abs(trader.size_atoms) * 2_000 * trader.margin_percent_of_initial, 10**15)) + USDC
        venue.deposit(owner, margin)
        venue.trade(owner, trader.size_atoms, trader.mode, margin if trader.mode is MarginMode.ISOLATED else 0)
        owners.append((owner, trader.mode))
    price = 2_000 * WAD
    falls = accounts[0].size_atoms > 0

    # Act / Assert: the price moves against the first trader in steps; after each, two rounds of keeper calls
    for percent in crash_percents:
        price = price * (100 - percent if falls else 100 + percent) // 100
        for _ in range(2):
            venue.quote_prices(price, advance_ns=pause_ns)
            for owner, mode in owners:
                liquidate_once(venue, owner, mode)
    venue.assert_replay_equals_live()


@settings(max_examples=40)
@given(
    policy=any_policy(),
    accounts=st.lists(traders, min_size=1, max_size=4),
    insurance_usdc=st.integers(0, 3_000),
    crash_percents=st.lists(st.integers(2, 20), min_size=1, max_size=3),
    gap_bps=st.lists(st.integers(0, 1_500), min_size=1, max_size=8),
)
def test_liquidations_at_an_execution_price_conserve_every_asset_and_pay_the_keeper_the_cost(
    policy: LiquidationPolicy,
    accounts: list[Trader],
    insurance_usdc: int,
    crash_percents: list[int],
    gap_bps: list[int],
) -> None:
    # Arrange: as above, in a pool that lets the execution price lie up to 15% from the oracle
    venue = PolicyVenue(
        dataclasses.replace(policy, max_execution_gap_wad=15 * PERCENT), insurance_atoms=insurance_usdc * USDC
    )
    owners = []
    for index, trader in enumerate(accounts):
        owner = f"t{index}"
        margin = math.ceil(Fraction(abs(trader.size_atoms) * 2_000 * trader.margin_percent_of_initial, 10**15)) + USDC
        venue.deposit(owner, margin)
        venue.trade(owner, trader.size_atoms, trader.mode, margin if trader.mode is MarginMode.ISOLATED else 0)
        owners.append((owner, trader))
    price = 2_000 * WAD
    falls = accounts[0].size_atoms > 0
    gaps = iter(gap_bps * 24)
    charged = 0

    # Act / Assert: each liquidation executes a random gap on the account's unfavourable side;
    # venue.run checks every asset to the atom after each command
    for percent in crash_percents:
        price = price * (100 - percent if falls else 100 + percent) // 100
        venue.quote_prices(price, advance_ns=HOUR_NS)
        for owner, trader in owners:
            equity, requirement = maintenance(venue, owner, trader.mode)
            position = venue.position(owner)
            if position is None or equity >= requirement:
                continue
            gap = price * next(gaps) // 10_000
            execution = price - gap if position.size_atoms > 0 else price + gap
            keeper_before = venue.balance("keeper")
            command = dataclasses.replace(venue.liquidate_command(owner), execution_price_wad=execution)
            try:
                events = venue.run(command)
            except CommandRejected as refused:
                assert "keeper liquidations resume" in str(refused)
                continue
            [change] = [e for e in events if isinstance(e, PositionLiquidated)]  # not the ADL ones
            # cost = ⌈closed · gap⌉ in USDC atoms (1 ETH = 1e18 atoms, 1 USDC = 1e6): closed·gap/1e30
            closed = abs(change.size_delta_atoms)
            assert change.execution_cost_atoms == math.ceil(Fraction(closed * gap, 10**30))
            assert venue.balance("keeper") == keeper_before + change.keeper_reward_atoms + change.execution_cost_atoms
            assert recorded(events).execution_price_wad == execution
            charged += change.execution_cost_atoms > 0
    event(f"liquidations with an execution cost: {min(charged, 3)}{'+' if charged >= 3 else ''}")
    venue.assert_replay_equals_live()
