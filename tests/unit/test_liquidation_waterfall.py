"""Unit tests of the liquidation paths and the in-pool waterfall through the engine (SPEC §2.6, §2.7).

The backstop path (Hyperliquid's liquidator vault below 2/3 of maintenance), the waterfall's
backstop budget and auto-deleveraging of profitable opposing positions, the pacing cap and the
liquidation-throughput breaker.

Every expected number is computed independently of the code under test: by hand, with the
arithmetic in the comment beside it, or with ``fractions.Fraction`` as a second
implementation. The venue is :mod:`support.liquidation` (premises there). The recurring
position: an isolated long of 10 ETH at 2000.01 with margin ``M``; at an ETH price ``P`` its
maintenance equity is ``E = M + 10·P − 20_000.1`` and its requirement ``R = 0.5·P`` (USDC).

Every command runs through the :class:`~ringfence.service.engine.Engine`, and
``check_conservation`` runs after each one (every asset, to the atom).
"""

from __future__ import annotations

import math
from fractions import Fraction

import pytest

from ringfence.core.errors import CommandRejected
from ringfence.core.liquidation.kinds import LiquidationPath, LiquidationReason
from ringfence.core.pool.events import (
    AutoDeleveraged,
    BackstopAbsorbed,
    InsuranceDrawn,
    LossSocialised,
    PoolStatusChanged,
    PositionLiquidated,
)
from ringfence.core.pool.liquidation_policy import LiquidationPolicy
from ringfence.core.pool.state import MarginMode, PoolStatus, Position
from ringfence.core.units import WAD
from support.liquidation import (
    BASIS_OF_TEN,
    SECOND_MARKET,
    TWO_THIRDS_WAD,
    PolicyVenue,
    health_up_wad,
    recorded,
)
from support.venue import ETH, HOUR_NS, MARKET, PERCENT, POOL, USDC, none_of, only

# --- backstop path ------------------------------------------------------------------------------


def test_below_backstop_health_the_lp_vault_takes_an_isolated_position_without_keeper_bonus() -> None:
    # Arrange: Hyperliquid's liquidator vault below 2/3 of maintenance. M = 2_100 USDC at 1850:
    # E = 599_900_000, R = 925_000_000, H = ⌈648_540_540_540_540_540.54…⌉ < 2/3 (and > 0.4: not toxic)
    venue = PolicyVenue(LiquidationPolicy(backstop_health_wad=TWO_THIRDS_WAD))
    venue.open_isolated("alice", 10 * ETH, 2_100 * USDC)
    venue.quote_prices(1_850 * WAD)
    pool = venue.state.pools[POOL]
    vault_before, insurance_before = pool.vault_atoms, pool.insurance_atoms

    # Act
    events = venue.liquidate("alice")

    # Assert: the whole 10 ETH at 1850, no penalty
    record = recorded(events)
    assert record.health_wad == 648_540_540_540_540_541 == health_up_wad(599_900_000, 925_000_000)
    assert (record.path, record.reason) == (LiquidationPath.BACKSTOP, LiquidationReason.BELOW_BACKSTOP_THRESHOLD)
    assert record.detail == "health 648540540540540541 below the backstop threshold 666666666666666666"
    assert (record.penalty_wad, record.closed_atoms, record.partial) == (0, 10 * ETH, False)
    # PnL 18_500_000_000 − 20_000_100_000 = −1_500_100_000 leaves 599_900_000 in the vault; alice forfeits
    # min(599_900_000, R_p = 925_000_000) = 599_900_000 to the LP vault; nothing to the keeper or insurance
    change = only(events, PositionLiquidated)
    assert (change.new_size_atoms, change.realised_pnl_atoms) == (0, -1_500_100_000)
    assert change.backstop_forfeit_atoms == 599_900_000
    assert (change.keeper_reward_atoms, change.insurance_penalty_atoms, change.shortfall_atoms) == (0, 0, 0)
    assert change.margin_released_atoms == 0
    assert venue.balance("alice") == 0
    assert venue.balance("keeper") == 0
    assert pool.vault_atoms == vault_before + 1_500_100_000 + 599_900_000
    assert pool.insurance_atoms == insurance_before
    venue.assert_replay_equals_live()


def test_at_or_above_backstop_health_the_keeper_path_is_taken() -> None:
    # Arrange: M = 2_117 USDC at 1850: E = 616_900_000, H = ⌈0.666918…⌉ ≥ 2/3
    venue = PolicyVenue(LiquidationPolicy(backstop_health_wad=TWO_THIRDS_WAD))
    venue.open_isolated("alice", 10 * ETH, 2_117 * USDC)
    venue.quote_prices(1_850 * WAD)

    # Act
    record = recorded(venue.liquidate("alice"))

    # Assert
    assert record.health_wad == health_up_wad(616_900_000, 925_000_000) > TWO_THIRDS_WAD
    assert (record.path, record.closed_atoms, record.penalty_wad) == ("keeper", 5 * ETH, 2 * PERCENT)


def test_below_backstop_health_a_cross_account_forfeits_at_most_the_positions_requirement() -> None:
    # Arrange: cid holds 5_000 USDC, cross long 10 ETH in each market (both fill at 2000.01: own skews);
    # IM 0.1·40_000 = 4_000 ≤ 5_000 − 0.2. At 1800: E = 5_000_000_000 − 2·2_000_100_000 = 999_800_000,
    # R = 2·900_000_000 = 1_800_000_000, H ≈ 0.5554 < 2/3; not toxic: 999_800_000·900_000_000 ≥
    # 1_800_000_000·0.02·18_000_000_000
    venue = PolicyVenue(LiquidationPolicy(backstop_health_wad=TWO_THIRDS_WAD), second_market=True)
    venue.deposit("cid", 5_000 * USDC)
    venue.trade("cid", 10 * ETH)
    venue.trade_in(SECOND_MARKET, "cid", 10 * ETH)
    venue.quote_prices(1_800 * WAD)
    pool = venue.state.pools[POOL]
    vault_before = pool.vault_atoms

    # Act: the first market's position
    events = venue.liquidate("cid")

    # Assert
    record = recorded(events)
    assert record.health_wad == health_up_wad(999_800_000, 1_800_000_000)
    assert (record.path, record.closed_atoms, record.penalty_wad) == ("backstop", 10 * ETH, 0)
    assert record.reason is LiquidationReason.BELOW_BACKSTOP_THRESHOLD
    # PnL −2_000_100_000 leaves 2_999_900_000 of USDC; the forfeit is capped at R_p = 900_000_000
    change = only(events, PositionLiquidated)
    assert change.realised_pnl_atoms == -2_000_100_000
    assert change.backstop_forfeit_atoms == 900_000_000
    assert (change.keeper_reward_atoms, change.insurance_penalty_atoms, change.shortfall_atoms) == (0, 0, 0)
    assert venue.balance("cid") == 5_000_000_000 - 2_000_100_000 - 900_000_000
    assert pool.vault_atoms == vault_before + 2_000_100_000 + 900_000_000
    assert venue.position("cid", SECOND_MARKET) == Position(10 * ETH, BASIS_OF_TEN, 0, MarginMode.CROSS)
    assert venue.balance("keeper") == 0
    venue.assert_replay_equals_live()


# --- waterfall: backstop budget -----------------------------------------------------------------


def test_backstop_budget_absorbs_up_to_its_cap_per_window_after_insurance_and_resets() -> None:
    # Arrange: insurance 5_000 USDC (1_000 per hour), backstop budget 2_500 USDC per hour. Bob, carol and
    # dan are isolated long 10 ETH with 2_100 USDC, filled at 2000.01, 2000.03, 2000.05; ETH → 1500, so
    # their shortfalls are 20_000_100_000 − 15_000_000_000 − 2_100_000_000 = 2_900_100_000, 2_900_300_000
    # and 2_900_500_000 (bankrupt: the backstop path)
    venue = PolicyVenue(LiquidationPolicy(backstop_loss_cap_atoms=2_500 * USDC), insurance_atoms=5_000 * USDC)
    for owner in ("bob", "carol", "dan"):
        venue.open_isolated(owner, 10 * ETH, 2_100 * USDC)
    venue.quote_prices(1_500 * WAD)
    window_start = venue.now
    pool = venue.state.pools[POOL]

    # Act 1 / Assert 1: insurance pays 1_000_000_000, the budget absorbs the other 1_900_100_000
    bob = venue.liquidate("bob")
    assert recorded(bob).reason is LiquidationReason.BANKRUPT
    assert recorded(bob).detail == "bankrupt: maintenance equity -2900100000"
    assert only(bob, InsuranceDrawn).amount_atoms == 1_000_000_000
    assert only(bob, BackstopAbsorbed) == BackstopAbsorbed(
        pool=POOL, amount_atoms=1_900_100_000, timestamp_ns=window_start
    )
    assert none_of(bob, LossSocialised)

    # Act 2 / Assert 2: same window: insurance spent, the budget has 2_500_000_000 − 1_900_100_000 =
    # 599_900_000 left; 2_900_300_000 − 599_900_000 = 2_300_400_000 is socialised
    carol = venue.liquidate("carol")
    assert none_of(carol, InsuranceDrawn)
    assert only(carol, BackstopAbsorbed).amount_atoms == 599_900_000
    assert only(carol, LossSocialised).amount_atoms == 2_300_400_000
    assert (pool.backstop_window.start_ns, pool.backstop_window.used_atoms) == (window_start, 2_500 * USDC)

    # Act 3 / Assert 3: one window later both caps are back: 1_000_000_000 + 1_900_500_000
    venue.quote_prices(1_500 * WAD, advance_ns=HOUR_NS)
    dan = venue.liquidate("dan")
    assert only(dan, InsuranceDrawn).amount_atoms == 1_000_000_000
    assert only(dan, BackstopAbsorbed).amount_atoms == 1_900_500_000
    assert none_of(dan, LossSocialised)
    assert (pool.backstop_window.start_ns, pool.backstop_window.used_atoms) == (venue.now, 1_900_500_000)
    assert pool.backstop_absorbed_atoms == 1_900_100_000 + 599_900_000 + 1_900_500_000
    assert pool.socialised_loss_atoms == 2_300_400_000
    # LP losses in the first window 1_900_100_000 + 599_900_000 + 2_300_400_000 stay under 20% of the vault
    assert pool.status is PoolStatus.ACTIVE
    venue.assert_replay_equals_live()


# --- waterfall: auto-deleveraging ---------------------------------------------------------------


def adl_score(pnl_atoms: int, notional_atoms: int, margin_atoms: int) -> Fraction:
    """Return the ranking score ``PnL/margin × notional/margin`` (Binance / Bybit ADL ranking)."""
    return Fraction(pnl_atoms * notional_atoms, margin_atoms * margin_atoms)


def test_auto_deleveraging_ranks_profitable_opposing_positions_and_shares_the_shortfall_per_atom() -> None:
    # Arrange: no insurance, no backstop budget. Fills (skew scale 1e6 ETH):
    # - bob isolated long 10 ETH, 2_100 USDC: skew 0 → 10 at 2000.01, basis 20_000_100_000
    # - ann isolated short 3 ETH, 700 USDC: skew 10 → 7 at 2000·(1 + (20 − 3)/2e6) = 2000.017, basis −6_000_051_000
    # - ben cross short 8 ETH, 5_000 USDC: skew 7 → −1 at 2000·(1 + (14 − 8)/2e6) = 2000.006, basis −16_000_048_000
    # - at 1600, cat isolated short 2 ETH, 400 USDC: skew −1 → −3 at 1600·(1 − 4/2e6) = 1599.9968,
    #   basis −3_199_993_600
    # - at 1500, eve isolated short 1 ETH, 200 USDC: skew −3 → −4 at 1500·(1 − 7/2e6) = 1499.99475: a loss
    #   of 5_250 at 1500, so she is no candidate
    venue = PolicyVenue()
    venue.open_isolated("bob", 10 * ETH, 2_100 * USDC)
    assert venue.open_isolated("ann", -3 * ETH, 700 * USDC).new_open_notional_atoms == -6_000_051_000
    venue.deposit("ben", 5_000 * USDC)
    assert venue.trade("ben", -8 * ETH).new_open_notional_atoms == -16_000_048_000
    venue.quote_until_stable(1_600 * WAD)  # settled prices: IM values a short's PnL at max(oracle, stable)
    assert venue.open_isolated("cat", -2 * ETH, 400 * USDC).new_open_notional_atoms == -3_199_993_600
    venue.quote_until_stable(1_500 * WAD)
    assert venue.open_isolated("eve", -1 * ETH, 200 * USDC).new_open_notional_atoms == -1_499_994_750
    eve_before = venue.position("eve")
    vault_before = venue.state.pools[POOL].vault_atoms
    # ranking at 1500: PnL × notional / margin² (cross margin: 5_000 USDC + ⌊50%·PnL⌋)
    ann = adl_score(-4_500_000_000 + 6_000_051_000, 4_500_000_000, 700_000_000)  # ≈ 13.78
    cat = adl_score(-3_000_000_000 + 3_199_993_600, 3_000_000_000, 400_000_000)  # ≈ 3.75
    ben = adl_score(-12_000_000_000 + 16_000_048_000, 12_000_000_000, 5_000_000_000 + 2_000_024_000)  # ≈ 0.98
    assert ann > cat > ben

    # Act: bob is bankrupt: shortfall 20_000_100_000 − 15_000_000_000 − 2_100_000_000 = 2_900_100_000
    events = venue.liquidate("bob")

    # Assert: bob's 10 ETH are shared per atom, in rank order, each capped at the closed part's profit:
    # 1. ann closes 3: ⌈2_900_100_000·3/10⌉ = 870_030_000 ≤ her profit 1_500_051_000
    # 2. cat closes 2: ⌈(2_900_100_000 − 870_030_000)·2/7⌉ = ⌈580_020_000⌉ > her profit 199_993_600: capped
    # 3. ben closes 5 of 8: ⌈(2_030_070_000 − 199_993_600)·5/5⌉ = 1_830_076_400 ≤ his profit on 5 ETH,
    #    −7_500_000_000 + ⌈16_000_048_000·5/8⌉ = 2_500_030_000. Nothing is left to socialise.
    liquidated = [e for e in events if isinstance(e, PositionLiquidated)]
    assert len(liquidated) == 1 and liquidated[0].shortfall_atoms == 2_900_100_000
    assert [e for e in events if isinstance(e, AutoDeleveraged)] == [
        AutoDeleveraged(
            pool=POOL,
            market=MARKET,
            owner="ann",
            sub_account=0,
            closed_atoms=3 * ETH,
            forgone_atoms=870_030_000,
            rank=1,
            timestamp_ns=venue.now,
        ),
        AutoDeleveraged(
            pool=POOL,
            market=MARKET,
            owner="cat",
            sub_account=0,
            closed_atoms=2 * ETH,
            forgone_atoms=199_993_600,
            rank=2,
            timestamp_ns=venue.now,
        ),
        AutoDeleveraged(
            pool=POOL,
            market=MARKET,
            owner="ben",
            sub_account=0,
            closed_atoms=5 * ETH,
            forgone_atoms=1_830_076_400,
            rank=3,
            timestamp_ns=venue.now,
        ),
    ]
    assert none_of(events, LossSocialised)
    assert none_of(events, InsuranceDrawn)
    assert none_of(events, BackstopAbsorbed)
    # ann: 700_000_000 + 1_500_051_000 − 870_030_000 = 1_330_021_000 released; cat: 400_000_000 back
    assert venue.position("ann") is None and venue.balance("ann") == 1_330_021_000
    assert venue.position("cat") is None and venue.balance("cat") == 400_000_000
    # ben: 3 ETH left, basis −16_000_048_000 + 10_000_030_000; USDC 5_000_000_000 + 2_500_030_000 − 1_830_076_400
    assert venue.position("ben") == Position(-3 * ETH, -6_000_018_000, 0, MarginMode.CROSS)
    assert venue.balance("ben") == 5_669_953_600
    assert venue.position("eve") == eve_before
    pool = venue.state.pools[POOL]
    assert pool.deleveraged_atoms == 2_900_100_000
    # the vault keeps bob's 2_100_000_000 and pays the net profits 630_021_000 + 0 + 669_953_600
    assert pool.vault_atoms == vault_before + 2_100_000_000 - 630_021_000 - 669_953_600
    assert pool.socialised_loss_atoms == 0
    venue.assert_replay_equals_live()


@pytest.mark.parametrize("auto_deleverage", [True, False])
def test_what_auto_deleveraging_cannot_recover_is_socialised_and_without_it_everything_is(
    auto_deleverage: bool,
) -> None:
    # Arrange: bob isolated long 10 ETH (2000.01); ann isolated short 3 ETH, 700 USDC (2000.017, basis
    # −6_000_051_000); ben cross short 4 ETH, 5_000 USDC: skew 7 → 3 at 2000·(1 + (14 − 4)/2e6) = 2000.01,
    # basis −8_000_040_000. ETH → 1500. Ranking: ann ≈ 13.78 above ben = 2_000_040_000·6e9/6_000_020_000² ≈ 0.33
    venue = PolicyVenue(LiquidationPolicy(auto_deleverage=auto_deleverage))
    venue.open_isolated("bob", 10 * ETH, 2_100 * USDC)
    venue.open_isolated("ann", -3 * ETH, 700 * USDC)
    venue.deposit("ben", 5_000 * USDC)
    assert venue.trade("ben", -4 * ETH).new_open_notional_atoms == -8_000_040_000
    venue.quote_prices(1_500 * WAD)
    assert adl_score(1_500_051_000, 4_500_000_000, 700_000_000) > adl_score(2_000_040_000, 6_000_000_000, 6_000_020_000)
    positions_before = {owner: venue.position(owner) for owner in ("ann", "ben")}

    # Act: shortfall 2_900_100_000
    events = venue.liquidate("bob")

    # Assert: ann ⌈2_900_100_000·3/10⌉ = 870_030_000; ben ⌈2_030_070_000·4/7⌉ = 1_160_040_000 ≤ his profit
    # 2_000_040_000; the last ETH's share, 2_030_070_000 − 1_160_040_000 = 870_030_000, is socialised
    pool = venue.state.pools[POOL]
    if auto_deleverage:
        assert [
            (e.owner, e.closed_atoms, e.forgone_atoms, e.rank) for e in events if isinstance(e, AutoDeleveraged)
        ] == [
            ("ann", 3 * ETH, 870_030_000, 1),
            ("ben", 4 * ETH, 1_160_040_000, 2),
        ]
        assert only(events, LossSocialised).amount_atoms == 870_030_000
        assert venue.position("ann") is None and venue.position("ben") is None
        assert venue.balance("ben") == 5_000_000_000 + 2_000_040_000 - 1_160_040_000
        assert (pool.deleveraged_atoms, pool.socialised_loss_atoms) == (2_030_070_000, 870_030_000)
    else:
        assert none_of(events, AutoDeleveraged)
        assert only(events, LossSocialised).amount_atoms == 2_900_100_000
        assert {owner: venue.position(owner) for owner in ("ann", "ben")} == positions_before
        assert (pool.deleveraged_atoms, pool.socialised_loss_atoms) == (0, 2_900_100_000)
    venue.assert_replay_equals_live()


# --- pacing and the throughput breaker ----------------------------------------------------------


def test_pacing_trims_a_keeper_close_to_the_windows_room_refuses_at_zero_and_resumes_next_window() -> None:
    # Arrange: at most 3_700 USDC of notional per hour. M = 2_100 USDC at 1850: the close factor's 5 ETH are
    # 9_250 USDC, past the room
    venue = PolicyVenue(LiquidationPolicy(max_liquidated_atoms_per_window=3_700 * USDC))
    venue.open_isolated("alice", 10 * ETH, 2_100 * USDC)
    venue.quote_prices(1_850 * WAD)
    window_start = venue.now
    pool = venue.state.pools[POOL]

    # Act 1 / Assert 1: trimmed to ⌊1e19·3_700_000_000/18_500_000_000⌋ = 2 ETH (3_700 USDC): PnL
    # 3_700_000_000 − 4_000_020_000, penalty 74_000_000, vault 2_100_000_000 − 300_020_000 − 74_000_000 =
    # 1_725_980_000. Still liquidatable: E = 1_725_980_000 + 14_800_000_000 − 16_000_080_000 = 525_900_000 <
    # R = 740_000_000
    events = venue.liquidate("alice")
    record = recorded(events)
    assert (record.path, record.closed_atoms, record.notional_atoms, record.partial) == (
        "keeper",
        2 * ETH,
        3_700 * USDC,
        True,
    )
    assert only(events, PositionLiquidated).keeper_reward_atoms == 37_000_000
    assert (pool.liquidation_window.start_ns, pool.liquidation_window.used_atoms) == (window_start, 3_700 * USDC)

    # Act 2 / Assert 2: no room is left until the window ends: refused, nothing changes
    message = (
        f"pool P has liquidated 3700000000 of its 3700000000 quote atoms per window; "
        f"keeper liquidations resume at {window_start + HOUR_NS} ns"
    )
    venue.refuse(venue.liquidate_command("alice"), CommandRejected, message)
    venue.now = window_start + HOUR_NS - 1
    venue.refuse(venue.liquidate_command("alice"), CommandRejected, message)

    # Act 3 / Assert 3: at the window's end the room is back: the close factor's 4 of 8 ETH trimmed to 2 again
    venue.quote_prices(1_850 * WAD, advance_ns=1)
    record = recorded(venue.liquidate("alice"))
    assert (record.closed_atoms, record.notional_atoms) == (2 * ETH, 3_700 * USDC)
    assert (pool.liquidation_window.start_ns, pool.liquidation_window.used_atoms) == (venue.now, 3_700 * USDC)
    position = venue.position("alice")
    assert position is not None and position.size_atoms == 6 * ETH
    venue.assert_replay_equals_live()


def test_the_window_counts_a_trimmed_close_notional_rounded_up_so_its_room_is_spent() -> None:
    # Arrange: cap 3_700_000_001; alice (M = 2_100 USDC) at 1850: the close factor's 5 ETH are trimmed to
    # ⌊1e19·3_700_000_001/18_500_000_000⌋ = 2_000_000_000_540_540_540 atoms, whose notional
    # 3_700_000_000.99… is counted rounded up: 3_700_000_001, the whole cap
    venue = PolicyVenue(LiquidationPolicy(max_liquidated_atoms_per_window=3_700 * USDC + 1))
    venue.open_isolated("alice", 10 * ETH, 2_100 * USDC)
    venue.quote_prices(1_850 * WAD)

    # Act
    record = recorded(venue.liquidate("alice"))

    # Assert: no room is left, so the next keeper liquidation waits for the window
    assert record.closed_atoms == math.floor(Fraction(10 * ETH * (3_700 * USDC + 1), 18_500 * USDC))
    assert record.notional_atoms == math.ceil(Fraction(record.closed_atoms * 18_500 * USDC, 10 * ETH))
    assert venue.state.pools[POOL].liquidation_window.used_atoms == 3_700 * USDC + 1
    venue.refuse(venue.liquidate_command("alice"), CommandRejected, "keeper liquidations resume")


def test_a_close_trimmed_so_small_that_rounding_would_lower_health_is_refused() -> None:
    # Arrange: cap 9_250_000_001; alice's first close (the close factor's 5 ETH, 9_250_000_000 of notional)
    # fits and leaves a room of 1 atom. She is still liquidatable: E = 599_900_000 − 185_000_000 (penalty 2%) =
    # 414_900_000 against R = 462_500_000.
    venue = PolicyVenue(LiquidationPolicy(max_liquidated_atoms_per_window=9_250 * USDC + 1))
    venue.open_isolated("alice", 10 * ETH, 2_100 * USDC)
    venue.quote_prices(1_850 * WAD)
    assert recorded(venue.liquidate("alice")).closed_atoms == 5 * ETH
    assert venue.state.pools[POOL].liquidation_window.used_atoms == 9_250 * USDC

    # Act / Assert: the room admits ⌊5e18·1/9_250_000_000⌋ = 540_540_540 atoms, whose penalty rounds up to
    # 1 atom and PnL down to −2 while the requirement does not move: health would fall (SPEC §2.9), so the
    # keeper close is refused and nothing changes
    venue.refuse(venue.liquidate_command("alice"), CommandRejected, "would lower alice/0's health by rounding")


def test_throughput_breaker_turns_the_pool_reduce_only_past_its_limit_and_liquidations_go_on() -> None:
    # Arrange: limit 9_250 USDC of liquidated notional per hour. Bob (2000.01) and carol (2000.03) isolated
    # long 10 ETH with 2_100 USDC; at 1850 both are liquidatable (H ≈ 0.6485 and 0.6483), the close
    # factor's 5 ETH are 9_250_000_000 each
    venue = PolicyVenue(LiquidationPolicy(throughput_breaker_atoms=9_250 * USDC))
    venue.open_isolated("bob", 10 * ETH, 2_100 * USDC)
    venue.open_isolated("carol", 10 * ETH, 2_100 * USDC)
    venue.deposit("erin", 1_000 * USDC)
    venue.quote_prices(1_850 * WAD)

    # Act 1 / Assert 1: 9_250_000_000 is not past the limit
    bob = venue.liquidate("bob")
    assert recorded(bob).notional_atoms == 9_250 * USDC
    assert none_of(bob, PoolStatusChanged)

    # Act 2 / Assert 2: 18_500_000_000 in the window is
    carol = venue.liquidate("carol")
    reason = "liquidation throughput: 18500000000 quote atoms in the window exceeds 9250000000"
    assert only(carol, PoolStatusChanged) == PoolStatusChanged(
        pool=POOL, status=PoolStatus.REDUCE_ONLY.value, reason=reason, timestamp_ns=venue.now
    )
    assert venue.state.pools[POOL].status is PoolStatus.REDUCE_ONLY

    # Assert 3: new risk is refused
    venue.refuse(venue.trade_command("erin", 1 * ETH), CommandRejected, "pool P is reduce-only")

    # Act 4 / Assert 4: liquidations go on, and the breaker does not trip twice. Bob's 5 ETH: vault
    # 2_100_000_000 − 750_050_000 − 185_000_000 = 1_164_950_000, E = 1_164_950_000 + 9_250_000_000 −
    # 10_000_050_000 = 414_900_000 < R = 462_500_000; half is 2.5 ETH = 4_625_000_000
    again = venue.liquidate("bob")
    assert (recorded(again).path, recorded(again).notional_atoms) == ("keeper", 4_625 * USDC)
    assert none_of(again, PoolStatusChanged)
    venue.assert_replay_equals_live()
