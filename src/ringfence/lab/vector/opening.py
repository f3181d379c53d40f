"""Time 0: LPs deposit, insurance is funded, traders deposit and open at the initial oracle price.

Openings go trader by trader, and inside a trader market by market, as commands would. Each
opening is refused (the position stays flat, the collateral stays deposited) when the exact
engine's ``decide_trade`` would refuse it (``ringfence.core.pool.decide``):

- open interest past the market's cap on either side (``check_open_interest``);
- initial margin: the unit's equity after the taker fee below the initial requirement of its
  positions (``_check_trade_margin``; at the initial oracle price, so PnL is 0);
- the pool's net exposure ``Σ |skew·price|`` past ``reserve_factor ×`` its LP vault plus the room
  of the credit lines it borrows on (``check_reserve``); a lender's vault holds its caps less.

The taker fee is paid by the unit and goes to the pool's LP vault (the exact runner's pools
give LPs the whole fee). Initial prices are the same on every path (column 0 of every process),
so the openings are computed once.

Most designs refuse nothing: every check is first run on prefix sums of the whole book in
order (vectorised); only when one fails is the book replayed opening by opening.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from ringfence.lab.vector.design import Design, Rules

__all__ = ["Opening", "open_positions"]

FloatArray = NDArray[np.float64]


@dataclass(frozen=True, slots=True, eq=False)
class Opening:
    """The book after time 0: per position ``size`` and ``basis`` (signed), per unit ``margin``, per pool ``vault``."""

    size: FloatArray
    basis: FloatArray
    margin: FloatArray
    vault: FloatArray
    opened: NDArray[np.bool_]
    fee: FloatArray
    """Per position: the taker fee paid into the vault (0 where refused)."""


def _signed(design: Design, prices: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
    price = prices[design.position_market]
    direction = np.where(design.position_long, 1.0, -1.0)
    size = direction * design.position_notional / price
    fee = design.position_notional * design.taker_fee[design.position_market]
    return size, price, fee


def _all_pass(design: Design, rules: Rules, prices: FloatArray) -> bool:
    """Return whether every opening passes, checked on prefix sums in command order."""
    size, _, fee = _signed(design, prices)
    n_markets = len(design.markets)
    one_hot = np.zeros((size.shape[0], n_markets))
    one_hot[np.arange(size.shape[0]), design.position_market] = 1.0
    longs = np.cumsum(one_hot * np.maximum(size, 0.0)[:, None], axis=0)
    shorts = np.cumsum(one_hot * np.maximum(-size, 0.0)[:, None], axis=0)
    if np.any(np.maximum(longs, shorts) > design.open_interest_cap):
        return False
    requirement = (design.position_notional * design.initial_margin[design.position_market]).reshape(-1, design.slots)
    equity = design.unit_collateral[:, None] - np.cumsum(fee.reshape(-1, design.slots), axis=1)
    if np.any(equity < np.cumsum(requirement, axis=1)):
        return False
    pools = design.position_pool
    skew_value = np.abs((longs - shorts) * prices)
    for pool in range(len(design.pools)):
        in_pool = design.market_pool == pool
        vault = design.lp_capital[in_pool].sum() - design.credit_lent[pool] + design.credit_room[pool]
        lp_fees = np.cumsum(np.where(pools == pool, fee, 0.0))
        exposure = skew_value[:, in_pool].sum(axis=1)
        touched = pools == pool
        if np.any(touched & (exposure > rules.reserve_factor * (vault + lp_fees))):
            return False
    return True


def _replay(design: Design, rules: Rules, prices: FloatArray) -> NDArray[np.bool_]:
    """Return which openings pass, one command after another (used only when some is refused)."""
    size, _, fee = _signed(design, prices)
    pools = design.position_pool
    vault = np.array([design.lp_capital[design.market_pool == p].sum() for p in range(len(design.pools))])
    vault = vault - design.credit_lent + design.credit_room  # the liquidity the reserve counts
    longs = np.zeros(len(design.markets))
    shorts = np.zeros(len(design.markets))
    unit_equity = design.unit_collateral.copy()
    unit_requirement = np.zeros(design.units)
    opened = np.zeros(size.shape[0], dtype=np.bool_)
    for n in range(size.shape[0]):
        market, unit, pool = design.position_market[n], n // design.slots, pools[n]
        long_after = longs[market] + max(size[n], 0.0)
        short_after = shorts[market] + max(-size[n], 0.0)
        requirement = unit_requirement[unit] + design.position_notional[n] * design.initial_margin[market]
        skew = longs - shorts
        skew[market] = long_after - short_after
        exposure = np.abs(skew * prices)[design.market_pool == pool].sum()
        if (
            max(long_after, short_after) > design.open_interest_cap[market]
            or unit_equity[unit] - fee[n] < requirement
            or exposure > rules.reserve_factor * (vault[pool] + fee[n])
        ):
            continue
        longs[market], shorts[market] = long_after, short_after
        unit_equity[unit] -= fee[n]
        unit_requirement[unit] = requirement
        vault[pool] += fee[n]
        opened[n] = True
    return opened


def open_positions(design: Design, rules: Rules, prices: FloatArray) -> Opening:
    """Open the book at the initial oracle prices ``prices`` (one per market)."""
    size, price, fee = _signed(design, prices)
    opened = (
        np.ones(size.shape[0], dtype=np.bool_) if _all_pass(design, rules, prices) else _replay(design, rules, prices)
    )
    size = np.where(opened, size, 0.0)
    paid = np.where(opened, fee, 0.0)
    margin = design.unit_collateral - paid.reshape(-1, design.slots).sum(axis=1)
    vault = np.zeros(len(design.pools))
    np.add.at(vault, design.market_pool, design.lp_capital)
    np.add.at(vault, design.position_pool, paid)
    vault -= design.credit_lent
    return Opening(size=size, basis=size * price, margin=margin, vault=vault, opened=opened, fee=paid)
