"""A redemption of LP shares when the pool's NAV is at or below zero is refused, never paid 0 (defect fix).

Before the fix ``RemoveLiquidity`` burnt the shares for ``shares · max(NAV, 0) / total = 0`` atoms:
the LP lost its claim on any later recovery of the pool for nothing. Premises (``support.venue``):
USDC and ETH at 2,000; pool ``P`` with 10,000 USDC of LP capital (the ``lp``'s 10,000 shares), the
ETH perp (IM 10%, MM 5%, no fee, a skew scale so large that fills stay at the oracle), reserve 100%.
"""

from __future__ import annotations

import dataclasses

from ringfence.core.errors import PoolNavNotPositive
from ringfence.core.pool.commands import RemoveLiquidity
from ringfence.core.pool.decide import pool_nav_atoms
from ringfence.core.pool.events import LiquidityRemoved
from support.venue import ETH, MARKET_PARAMS, POOL, POOL_PARAMS, USDC, WAD, Venue, only

MARKET = dataclasses.replace(MARKET_PARAMS, skew_scale_atoms=2**128 - 1)


def test_shares_of_a_pool_whose_nav_is_below_zero_are_not_burnt_for_nothing() -> None:
    built = Venue(POOL_PARAMS, MARKET, lp_atoms=10_000 * USDC)
    built.deposit("alice", 10_000 * USDC)
    built.trade("alice", 5 * ETH)  # 10,000 of exposure on the 10,000 vault
    built.quote_prices(3_500 * WAD)
    built.quote_prices(5_000 * WAD)  # two steps, each inside the oracle's jump guard
    # alice's unrealised profit 5 · 3,000 = 15,000 is more than the vault's 10,000: NAV ≈ −5,000
    nav_low, _ = pool_nav_atoms(built.state, built.state.pools[POOL], built.now)
    assert -5_000 * USDC <= nav_low < -4_999 * USDC

    error = built.refuse(RemoveLiquidity("lp", 0, POOL, 1_000 * USDC, built.now), PoolNavNotPositive, "for nothing")

    assert isinstance(error, PoolNavNotPositive)
    assert (error.pool, error.nav_atoms, error.shares) == (POOL, nav_low, 1_000 * USDC)
    assert built.state.pools[POOL].lp_shares[("lp", 0)] == 10_000 * USDC


def test_once_the_nav_is_positive_again_the_same_redemption_is_paid() -> None:
    built = Venue(POOL_PARAMS, MARKET, lp_atoms=10_000 * USDC)
    built.deposit("alice", 10_000 * USDC)
    built.trade("alice", 2 * ETH)
    built.quote_prices(3_000 * WAD)  # alice's profit 2,000: NAV 8,000 for 10,000 shares; exposure 6,000

    removed = only(built.run(RemoveLiquidity("lp", 0, POOL, 1_000 * USDC, built.now)), LiquidityRemoved)

    # 1,000 shares · NAV / 10,000 shares, rounded down (the NAV's low bound is within an atom of 8,000)
    assert 799_999_999 <= removed.amount_atoms <= 800 * USDC
