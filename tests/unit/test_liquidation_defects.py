"""Liquidation defects found in review (issue 11), each reproduced through the engine.

- ADL deleveraged the liquidated owner's other sub-account (a trade of the owner with itself at
  the price its own bankruptcy set); every sub-account of the owner is now left out.
- A cross sub-account whose last position was closed keeps a debt backed by its other
  collateral at maintenance; when that collateral's price fell the debt was uncovered and
  nothing could record it (silent bad debt, SPEC §2.9). A keeper's ``Liquidate`` now records
  the uncovered part as a shortfall and sends it down the waterfall.
- A close trimmed by the pacing room skipped the dust rule and left a dusty remainder.
- Euler's health-scaled penalty on a perpetual's notional is toxic below ``H = 1/(1 + m)``
  (≈ 0.952 at 5% maintenance) with its 20% cap; ``AddMarket`` refuses such a market.

Every expected number is computed by hand (arithmetic in the comments); the venue is
:mod:`support.liquidation` (premises there: MM 5%, penalty 2%, ETH collateral weights 80% / 85%,
no insurance unless said). Each test fails on main at d41ffe2.
"""

from __future__ import annotations

import dataclasses

import pytest

from ringfence.core.errors import CommandRejected, ToxicLiquidationPolicy, UnknownEntity
from ringfence.core.liquidation.kinds import LiquidationReason
from ringfence.core.margin import MarginKind
from ringfence.core.pool.commands import AddMarket, CreatePool
from ringfence.core.pool.events import (
    AutoDeleveraged,
    LossSocialised,
    MarketAdded,
    PoolCreated,
    PositionLiquidated,
)
from ringfence.core.pool.liquidation_policy import IncentiveRule, LiquidationPolicy, SizingRule
from ringfence.core.pool.position_margin import margin_snapshot
from ringfence.core.pool.state import MarginMode, Position
from ringfence.core.units import WAD
from support.liquidation import PolicyVenue, recorded
from support.venue import ETH, MARKET, MARKET_PARAMS, PERCENT, POOL, POOL_PARAMS, USDC, only

# --- (a) ADL leaves out every sub-account of the liquidated owner ---------------------------------


def test_auto_deleveraging_never_reaches_another_sub_account_of_the_liquidated_owner() -> None:
    # Arrange: no insurance, no backstop budget. Fills (skew scale 1e6 ETH):
    # - bob/0 isolated long 10 ETH, 2_100 USDC: skew 0 → 10 at 2000.01, basis 20_000_100_000
    # - bob/1 isolated short 3 ETH, 700 USDC: skew 10 → 7 at 2000·(1 + (20 − 3)/2e6) = 2000.017, basis −6_000_051_000
    # - ben cross short 8 ETH, 5_000 USDC: skew 7 → −1 at 2000·(1 + (14 − 8)/2e6) = 2000.006, basis −16_000_048_000
    # At 1500 bob/1 ranks first (PnL 1_500_051_000 · notional 4_500_000_000 / 700_000_000² ≈ 13.8, ben ≈ 0.98):
    # main deleveraged it, so bob's own hedge "paid" part of bob's bankruptcy.
    venue = PolicyVenue()
    venue.open_isolated("bob", 10 * ETH, 2_100 * USDC)
    venue.deposit("bob", 700 * USDC, sub=1)
    hedge = venue.trade("bob", -3 * ETH, MarginMode.ISOLATED, 700 * USDC, sub=1)
    assert hedge.new_open_notional_atoms == -6_000_051_000
    venue.deposit("ben", 5_000 * USDC)
    assert venue.trade("ben", -8 * ETH).new_open_notional_atoms == -16_000_048_000
    venue.quote_prices(1_500 * WAD)
    hedge_before = venue.state.pools[POOL].positions[(("bob", 1), MARKET)]
    hedge_copy = Position(
        hedge_before.size_atoms,
        hedge_before.open_notional_atoms,
        hedge_before.funding_index_wad,
        hedge_before.mode,
        hedge_before.isolated_margin_atoms,
    )

    # Act: bob/0 is bankrupt: shortfall 20_000_100_000 − 15_000_000_000 − 2_100_000_000 = 2_900_100_000
    events = venue.liquidate("bob")

    # Assert: only ben is deleveraged: he closes 8 of the 10 ETH, ⌈2_900_100_000·8/10⌉ = 2_320_080_000 ≤ his
    # profit 16_000_048_000 − 12_000_000_000 = 4_000_048_000; the last 2 ETH's 580_020_000 find no other
    # candidate and are socialised. bob/1 is untouched.
    assert [e for e in events if isinstance(e, AutoDeleveraged)] == [
        AutoDeleveraged(
            pool=POOL,
            market=MARKET,
            owner="ben",
            sub_account=0,
            closed_atoms=8 * ETH,
            forgone_atoms=2_320_080_000,
            rank=1,
            timestamp_ns=venue.now,
        )
    ]
    assert only(events, LossSocialised).amount_atoms == 580_020_000
    assert venue.state.pools[POOL].positions[(("bob", 1), MARKET)] == hedge_copy
    venue.assert_replay_equals_live()


# --- (b) an uncovered position-less cross debt is an explicit shortfall ----------------------------


def _cross_debtor() -> PolicyVenue:
    """Return a venue where alice (5 ETH and 100 USDC, cross long 10 ETH at 2000.01) was liquidated at 1420.

    At 1420 her close realises 14_200_000_000 − 20_000_100_000 = −5_800_100_000: USDC 100_000_000 −
    5_800_100_000 = −5_700_100_000, backed at maintenance by 5·1420·85% = 6_035 USDC (equity +334.9 USDC),
    so no shortfall then: the debt stays for a collateral auction or a repayment.
    """
    venue = PolicyVenue()
    venue.deposit("alice", 5 * ETH, asset="ETH")
    venue.deposit("alice", 100 * USDC)
    venue.trade("alice", 10 * ETH)
    venue.quote_prices(1_420 * WAD)
    events = venue.liquidate("alice")
    assert only(events, PositionLiquidated).shortfall_atoms == 0
    assert venue.position("alice") is None
    assert venue.balance("alice") == -5_700_100_000
    return venue


def test_a_cross_debt_whose_collateral_fell_below_it_is_recorded_as_shortfall_and_goes_down_the_waterfall() -> None:
    # Arrange: ETH falls to 1300: her maintenance equity is 5·1300·85% − 5_700.1 = 5_525 − 5_700.1 = −175.1 USDC
    venue = _cross_debtor()
    venue.quote_prices(1_300 * WAD)
    pool = venue.state.pools[POOL]
    vault_before, socialised_before = pool.vault_atoms, pool.socialised_loss_atoms

    # Act: a keeper liquidates the position-less debt (main: "unknown position", the bad debt stayed silent)
    events = venue.liquidate("alice")

    # Assert: the uncovered 175_100_000 is her shortfall: credited to her balance, taken from the LP vault and,
    # with no insurance and no backstop budget, socialised; what is left of the debt, 5_525 USDC, is backed
    record = recorded(events)
    assert (record.path, record.closed_atoms, record.notional_atoms, record.partial) == ("backstop", 0, 0, False)
    assert record.reason is LiquidationReason.DEBT_UNCOVERED
    assert record.detail.startswith("debt uncovered")
    assert only(events, PositionLiquidated).shortfall_atoms == 175_100_000
    assert only(events, LossSocialised).amount_atoms == 175_100_000
    assert venue.balance("alice") == -5_525_000_000
    assert pool.vault_atoms == vault_before - 175_100_000
    assert pool.socialised_loss_atoms == socialised_before + 175_100_000
    equity = margin_snapshot(venue.state, ("alice", 0), MarginKind.MAINTENANCE, venue.now, allow_guarded=True)
    assert equity.equity_atoms == 0
    venue.assert_replay_equals_live()

    # Act / Assert 2: backed now (equity 0): a second attempt is refused and changes nothing
    venue.refuse(venue.liquidate_command("alice"), CommandRejected, "is backed: maintenance equity 0")


def test_a_backed_cross_debt_and_an_account_with_nothing_owed_are_not_settled() -> None:
    # Arrange: at 1400 the debt is backed: 5·1400·85% − 5_700.1 = 249.9 USDC of equity
    venue = _cross_debtor()
    venue.quote_prices(1_400 * WAD)

    # Act / Assert: refused while backed; an account without a debt or a position is still unknown
    venue.refuse(venue.liquidate_command("alice"), CommandRejected, "maintenance equity 249900000")
    venue.refuse(venue.liquidate_command("nobody"), UnknownEntity, "nobody/0")


# --- (c) a close trimmed by pacing obeys the dust rule ----------------------------------------------


def test_a_close_trimmed_by_the_pacing_room_takes_the_whole_position_rather_than_leave_dust() -> None:
    # Arrange: whole-position sizing, a room of 18_000 USDC per window, dust 1_000 USDC. alice isolated long
    # 10 ETH, margin 2_100 USDC; at 1850 her notional is 18_500 USDC: past the room, so main trimmed the close to
    # ⌊1e19·18_000/18_500⌋ = 9_729_729_729_729_729_729 atoms and left 0.27 ETH ≈ 500 USDC of notional, under dust
    policy = LiquidationPolicy(
        sizing=SizingRule.WHOLE_POSITION, max_liquidated_atoms_per_window=18_000 * USDC, dust_atoms=1_000 * USDC
    )
    venue = PolicyVenue(policy)
    venue.open_isolated("alice", 10 * ETH, 2_100 * USDC)
    venue.quote_prices(1_850 * WAD)

    # Act
    events = venue.liquidate("alice")

    # Assert: the whole 10 ETH (Maker dog.bark: a dusty leftover is liquidated entirely, the cap overshot by
    # less than the dust): keeper path, PnL 18_500_000_000 − 20_000_100_000 = −1_500_100_000, penalty
    # 2%·18_500 = 370 USDC, split 185 / 185; the window counts 18_500 USDC
    record = recorded(events)
    assert (record.path, record.closed_atoms, record.notional_atoms, record.partial) == (
        "keeper",
        10 * ETH,
        18_500 * USDC,
        False,
    )
    change = only(events, PositionLiquidated)
    assert (change.keeper_reward_atoms, change.insurance_penalty_atoms) == (185 * USDC, 185 * USDC)
    assert venue.position("alice") is None
    assert venue.state.pools[POOL].liquidation_window.used_atoms == 18_500 * USDC
    venue.assert_replay_equals_live()


def test_a_trimmed_close_leaving_more_than_the_dust_stays_trimmed() -> None:
    # Arrange: as above with dust 400 USDC: the 0.27 ETH left (⌊18_500·270_270_270_270_270_271/1e19⌋ USDC
    # ≈ 500) is not dust
    policy = LiquidationPolicy(
        sizing=SizingRule.WHOLE_POSITION, max_liquidated_atoms_per_window=18_000 * USDC, dust_atoms=400 * USDC
    )
    venue = PolicyVenue(policy)
    venue.open_isolated("alice", 10 * ETH, 2_100 * USDC)
    venue.quote_prices(1_850 * WAD)

    # Act
    record = recorded(venue.liquidate("alice"))

    # Assert
    assert (record.closed_atoms, record.partial) == (9_729_729_729_729_729_729, True)
    position = venue.position("alice")
    assert position is not None and position.size_atoms == 270_270_270_270_270_271


# --- (d) AddMarket refuses a health-scaled penalty that is toxic across its ramp ---------------------


@pytest.mark.parametrize(
    ("max_penalty_wad", "accepted"),
    [
        (47_619_047_619_047_619, True),  # ⌊m/(1 + m)⌋ = ⌊0.05/1.05⌋ in WAD: p ≤ m·(1 − p) holds
        (47_619_047_619_047_620, False),  # one atom more: 0.047619…620 > 0.05·(1 − 0.047619…620)
        (20 * PERCENT, False),  # Euler's original cap: toxic everywhere below H = 1/1.05 ≈ 0.952
    ],
)
def test_add_market_refuses_a_health_scaled_penalty_toxic_across_its_ramp(max_penalty_wad: int, accepted: bool) -> None:
    # Arrange: pool Q with Euler's health-scaled rule; the market's maintenance is 5%
    venue = PolicyVenue(in_genesis=True)  # the test adds a pool to the genesis
    policy = LiquidationPolicy(incentive=IncentiveRule.HEALTH_SCALED, max_penalty_wad=max_penalty_wad)
    params = dataclasses.replace(POOL_PARAMS, liquidation=policy)
    assert only(venue.run(CreatePool("Q", "perp", 1, params, venue.now)), PoolCreated).pool == "Q"
    command = AddMarket("Q", MARKET_PARAMS, venue.now)

    # Act / Assert
    if accepted:
        assert only(venue.run(command), MarketAdded).pool == "Q"
    else:
        venue.refuse(
            command, ToxicLiquidationPolicy, r"at most maintenance·\(1 − max_penalty\), i\.e\. 47619047619047619"
        )
