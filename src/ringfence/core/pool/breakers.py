"""Per-pool oracle jump breaker (SPEC §2.7): a large price move halts new risk in the pools it concerns.

Each pool sets its own ``oracle_jump_breaker_wad``. When an asset's oracle accepts a price, or
its guard holds one back, that moved by more than a pool's limit from the last accepted price,
every active pool with a market on the asset (or quoted in it) turns reduce-only with the move
as its recorded cause: new risk waits, while closing, liquidations and LP exits go on. Other
pools, whatever their own limits, are not touched. Governance resumes a tripped pool.
"""

from __future__ import annotations

from ringfence.core.events import Event
from ringfence.core.oracle import relative_change_wad
from ringfence.core.pool.events import PoolStatusChanged
from ringfence.core.pool.state import PoolState, PoolStatus
from ringfence.core.state import LedgerState

__all__ = ["oracle_jump_breakers"]


def _concerns(pool: PoolState, asset: str) -> bool:
    return pool.params.quote_asset == asset or any(m.params.base_asset == asset for m in pool.markets.values())


def oracle_jump_breakers(state: LedgerState, asset: str, new_price_wad: int, now_ns: int) -> list[Event]:
    """Return the status changes of the pools whose jump limit a move of ``asset`` to ``new_price_wad`` exceeds."""
    oracle = state.oracles[asset]
    reference = oracle.accepted_price_wad
    if reference is None:
        return []
    change = relative_change_wad(new_price_wad, reference)
    events: list[Event] = []
    for pool in state.pools.values():
        limit = pool.params.oracle_jump_breaker_wad
        if limit == 0 or change <= limit or pool.status is not PoolStatus.ACTIVE or not _concerns(pool, asset):
            continue
        reason = f"oracle jump: {asset} moved {change} (WAD) from {reference} to {new_price_wad}, past {limit}"
        events.append(
            PoolStatusChanged(pool=pool.pool, status=PoolStatus.REDUCE_ONLY.value, reason=reason, timestamp_ns=now_ns)
        )
    return events
