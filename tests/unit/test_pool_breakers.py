"""Unit tests of the per-pool oracle jump breaker (SPEC §2.7).

Three pools trade the same ETH oracle with their own limits: P trips past 10%, Q has no
breaker, R trips past 20%. ETH starts at 2,000 USDC. Relative moves are computed by hand:
2,000 → 2,300 is exactly 15%, 2,000 → 2,200 exactly 10% (not past a 10% limit).
"""

from __future__ import annotations

import dataclasses

from ringfence.core.commands import SubmitPrice
from ringfence.core.errors import CommandRejected
from ringfence.core.pool.commands import AddMarket, CreatePool, ProvideLiquidity, Trade
from ringfence.core.pool.events import LiquidationRecorded, PoolStatusChanged, TradeFilled
from ringfence.core.pool.state import MarginMode, PoolStatus
from ringfence.core.units import WAD
from support.venue import ETH, MARKET, MARKET_PARAMS, PERCENT, POOL, USDC, Venue, none_of, only
from support.venue import POOL_PARAMS as STANDARD_POOL

POOL_PARAMS = dataclasses.replace(STANDARD_POOL, oracle_jump_breaker_wad=10 * PERCENT)


def three_pools() -> Venue:
    """P (10% breaker) from the shared venue, plus Q (no breaker) and R (20% breaker), each with 100k LP.

    Q and R are created in the genesis (once the venue is open a pool needs a timelocked proposal).
    """
    venue = Venue(POOL_PARAMS, MARKET_PARAMS, in_genesis=True)
    for pool, limit in (("Q", 0), ("R", 20 * PERCENT)):
        venue.run(
            CreatePool(pool, "perp", 1, dataclasses.replace(POOL_PARAMS, oracle_jump_breaker_wad=limit), venue.now)
        )
        venue.run(AddMarket(pool, MARKET_PARAMS, venue.now))
    venue.finish_genesis()
    for pool in ("Q", "R"):
        venue.deposit("lp", 100_000 * USDC)
        venue.run(ProvideLiquidity("lp", 0, pool, 100_000 * USDC, venue.now))
    return venue


def statuses(venue: Venue) -> dict[str, PoolStatus]:
    return {pool_id: pool.status for pool_id, pool in venue.state.pools.items()}


def test_a_move_exactly_at_the_limit_does_not_trip() -> None:
    # Arrange
    venue = three_pools()

    # Act: 2000 → 2200 is 200/2000 = 10%, not past P's 10%
    venue.quote_prices(2_200 * WAD)

    # Assert
    assert statuses(venue) == {"P": PoolStatus.ACTIVE, "Q": PoolStatus.ACTIVE, "R": PoolStatus.ACTIVE}


def test_a_move_past_one_pools_limit_makes_only_that_pool_reduce_only_with_its_cause() -> None:
    # Arrange
    venue = three_pools()

    # Act: 2000 → 2300 is 15%: past P's 10%, not R's 20%; Q has no breaker
    venue.quote_prices(2_300 * WAD)

    # Assert
    assert statuses(venue) == {"P": PoolStatus.REDUCE_ONLY, "Q": PoolStatus.ACTIVE, "R": PoolStatus.ACTIVE}
    reason = venue.state.pools["P"].status_reason
    assert (
        reason
        == f"oracle jump: ETH moved {15 * PERCENT} (WAD) from {2_000 * WAD} to {2_300 * WAD}, past {10 * PERCENT}"
    )
    venue.assert_replay_equals_live()


def test_the_breaker_trips_once_on_the_price_that_moved_past_the_limit() -> None:
    # Arrange: the first two sources' quotes already move the median (quorum 2): 2000 → 2300 at the second
    venue = three_pools()
    venue.now += 10**9

    # Act
    events = [
        event
        for source in ("a", "b", "c")
        for event in venue.run(SubmitPrice("ETH", source, 2_300 * WAD, 0, venue.now, venue.now))
    ]

    # Assert: one trip for P only, whichever quote moved the median
    trips = [event for event in events if isinstance(event, PoolStatusChanged)]
    assert [(trip.pool, trip.status) for trip in trips] == [("P", PoolStatus.REDUCE_ONLY.value)]


def test_tripped_pool_refuses_new_risk_but_closes_and_liquidates() -> None:
    # Arrange: bob cross long 10 ETH in P with 2_100 USDC; carol cross long 1 ETH with 1_000 USDC
    venue = three_pools()
    venue.deposit("bob", 2_100 * USDC)
    venue.trade("bob", 10 * ETH)
    venue.deposit("carol", 1_000 * USDC)
    venue.trade("carol", 1 * ETH)

    # Act: ETH falls 15% (2000 → 1700): P trips
    venue.quote_prices(1_700 * WAD)

    # Assert: new risk refused and nothing changes; a reduction and a liquidation go on
    assert venue.state.pools["P"].status is PoolStatus.REDUCE_ONLY
    venue.refuse(
        Trade("carol", 0, POOL, MARKET, 1 * ETH, MarginMode.CROSS, 0, 0, venue.now), CommandRejected, "reduce-only"
    )
    assert (
        only(
            venue.run(Trade("carol", 0, POOL, MARKET, -1 * ETH, MarginMode.CROSS, 0, 0, venue.now)), TradeFilled
        ).new_size_atoms
        == 0
    )
    # bob: equity 2_100 + 10·(1700 − 2000.01) = −900.1 < 0 → bankrupt, liquidated whole by the backstop path
    events = venue.liquidate("bob")
    assert only(events, LiquidationRecorded).path == "backstop"
    assert none_of(events, PoolStatusChanged)
    venue.assert_replay_equals_live()


def test_a_guard_trip_also_trips_the_pool_breaker() -> None:
    # Arrange
    venue = three_pools()

    # Act: a 95% fall is past the oracle's 90% jump guard: the price is held back, the breaker still sees it
    venue.quote_prices(100 * WAD)

    # Assert: P (10%) and R (20%) trip on the refused level; Q has no breaker
    assert venue.state.oracles["ETH"].accepted_price_wad == 2_000 * WAD
    assert statuses(venue) == {"P": PoolStatus.REDUCE_ONLY, "Q": PoolStatus.ACTIVE, "R": PoolStatus.REDUCE_ONLY}
