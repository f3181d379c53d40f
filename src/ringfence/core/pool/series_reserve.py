"""The LP vault's worst-case payout to its series' holders: the series' share of the pool's reserve.

The LP vault is the sole counterparty of every series its pool lists: it holds ``−skew`` contracts
of each (``skew = longs − shorts``, traders' net size). What it may have to pay out is reserved
against its cash, as the perpetuals' net skew notional is (``check_reserve`` in
:mod:`ringfence.core.pool.decide`), in quote atoms, rounded up (against the vault), per series not
yet settled (a settled series has paid everything it owed):

- a **call** the vault is net short (``skew > 0``): ``skew · F``, the underlying's value at its
  index ``F``. Lyra v1's liquidity pool buys and locks one unit of the base asset for every call it
  sells (``LiquidityPool.lockBase``) and counts it at spot in its used collateral
  (``getLiquidity``: ``usedCollatLiquidity = locked.quote + locked.base · spot``); GMX v2 reserves
  a long's open interest in tokens at the index price (``MarketUtils.getReservedUsd``). A vault
  holding cash instead of the base covers the call's payout ``max(S − K, 0)`` up to ``S = F + K``;
- a **put** the vault is net short (``skew > 0``): ``skew · K``, the put's exact maximum payout
  (at ``S = 0``): Lyra v1 locks ``strike · amount`` of quote for every put it sells
  (``LiquidityPool.lockQuote``);
- an **option** the vault is net long (``skew ≤ 0``): 0 (its writers owe it; not credited either);
- a **dated future**: ``|skew| · F``, its net notional at the index, as a perpetual's net skew counts.

Options of different series never offset each other (a long put does not cover a short call).
"""

from __future__ import annotations

from ringfence.core.margin import base_price_wad
from ringfence.core.pool.perp_math import signed_notional_atoms
from ringfence.core.pool.series_state import SeriesKind, SeriesState
from ringfence.core.pool.state import PoolState
from ringfence.core.state import LedgerState
from ringfence.core.units import Rounding

__all__ = ["series_reserve_atoms", "series_reserve_of"]


def series_reserve_of(state: LedgerState, pool: PoolState, series: SeriesState, skew_atoms: int, now_ns: int) -> int:
    """Return the vault's worst-case payout (quote atoms, rounded up) in one series at traders' net ``skew_atoms``."""
    params = series.params
    if series.settlement_price_wad is not None or skew_atoms == 0:
        return 0
    if params.kind.is_option and skew_atoms < 0:
        return 0
    base_decimals = state.assets[params.underlying].params.decimals
    quote_decimals = state.assets[pool.params.quote_asset].params.decimals
    if params.kind is SeriesKind.PUT:
        price = params.strike_wad
    else:
        price = base_price_wad(state, params.underlying, now_ns, allow_guarded=True)
    return signed_notional_atoms(abs(skew_atoms), price, base_decimals, quote_decimals, Rounding.UP)


def series_reserve_atoms(
    state: LedgerState, pool: PoolState, now_ns: int, skew_change: tuple[str, int] = ("", 0)
) -> int:
    """Return the vault's worst-case payout to all its series' holders (module doc), in quote atoms.

    ``skew_change`` adds a trade's size to one series' skew, to measure the state after it.
    """
    total = 0
    for series_id, series in pool.series.items():
        skew = series.skew_atoms + (skew_change[1] if series_id == skew_change[0] else 0)
        total += series_reserve_of(state, pool, series, skew, now_ns)
    return total
