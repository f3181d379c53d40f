"""The CLI's pool table shows the NAV LP shares really trade at, funding owed included.

Before, the table priced the vault without the funding traders owe the pool, so it showed a
NAV no redemption paid. The check here is against what a redemption actually pays.
"""

from __future__ import annotations

import dataclasses
from decimal import Decimal

from ringfence.cli.venue_tables import pools_table
from ringfence.core.pool.commands import RemoveLiquidity
from ringfence.core.pool.events import LiquidityRemoved
from ringfence.core.pool.perp_math import pool_nav_range_atoms
from support.venue import ETH, HOUR_NS, MARKET_PARAMS, PERCENT, POOL, POOL_PARAMS, USDC, WAD, Venue, only

FUNDED_MARKET = dataclasses.replace(
    MARKET_PARAMS, max_funding_rate_per_day_wad=10 * PERCENT, skew_scale_atoms=100 * ETH
)
"""The shared ETH perp with funding: 10% a day at full skew, skew scale 100 ETH."""


def _nav_low_atoms(venue: Venue) -> int:
    table = pools_table(venue.state, venue.now)
    column = next(i for i, c in enumerate(table.columns) if c.header == "NAV low")
    cell = next(iter(table.columns[column].cells))
    return int(Decimal(str(cell)) * USDC)


def test_the_pool_tables_nav_low_is_what_a_redemption_pays_funding_included() -> None:
    # Arrange: alice long 20 ETH alone (skew 20/100) for 12 hours: longs owe the pool funding
    venue = Venue(POOL_PARAMS, FUNDED_MARKET)
    venue.deposit("alice", 10_000 * USDC)
    venue.trade("alice", 20 * ETH)
    for _ in range(12):
        venue.quote_prices(2_000 * WAD, advance_ns=HOUR_NS)
    pool = venue.state.pools[POOL]
    decimals = {"ETH": 18}
    prices = {"ETH": 2_000 * WAD}
    without_funding_low, _ = pool_nav_range_atoms(pool, prices, decimals, 6)

    # Act
    shown_low = _nav_low_atoms(venue)
    total_shares = pool.total_shares
    half = pool.lp_shares[("lp", 0)] // 2
    paid = only(venue.run(RemoveLiquidity("lp", 0, POOL, half, venue.now)), LiquidityRemoved).amount_atoms

    # Assert: the funding owed raises the NAV above the old table's figure, and a redemption pays
    # exactly the table's NAV low pro rata, rounded down
    assert shown_low > without_funding_low
    assert paid == half * shown_low // total_shares
