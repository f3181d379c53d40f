"""Both engines name a liquidation's outcome with the one :class:`LiquidationReason`.

The vector kernel's status code is the enum's value (``lab/vector/kernels.py``); here the exact
engine liquidates an isolated long and the kernel closes the same position (read from the exact
state), and both must give the same reason. The cases sit far from every threshold (hand
computation in each row), so the kernel's float rounding cannot move them.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import support.venue
from ringfence.core.liquidation.kinds import LiquidationReason
from ringfence.core.pool.events import LiquidationRecorded
from ringfence.core.pool.state import MarginMode
from ringfence.core.units import WAD
from ringfence.lab.vector.kernels import close_position
from support.venue import ETH, MARKET, MARKET_PARAMS, PERCENT, POOL, POOL_PARAMS, USDC, only

MAINTENANCE = 10 * PERCENT
MARKET_TEN_PERCENT = dataclasses.replace(MARKET_PARAMS, maintenance_margin_wad=MAINTENANCE)


@pytest.mark.parametrize(
    ("margin_usdc", "price_usdc", "expected"),
    [
        # E = 1300 − 1000 = 300 ≥ p·N = 0.02 · 10000 = 200: not toxic; the half close keeps health up
        (1_300, 1_000, LiquidationReason.BELOW_MAINTENANCE),
        # E = 1150 − 1000 = 150 < 200 (isolated, so R = R_pos): toxic
        (1_150, 1_000, LiquidationReason.TOXIC),
        # E = 1150 − 1200 = −50 ≤ 0: bankrupt
        (1_150, 980, LiquidationReason.BANKRUPT),
    ],
)
def test_the_exact_engine_and_the_kernel_give_the_same_reason(
    margin_usdc: int, price_usdc: int, expected: LiquidationReason
) -> None:
    # Arrange: an isolated long of 10 ETH opened at 1100 with the given vault, then marked down
    venue = support.venue.Venue(POOL_PARAMS, MARKET_TEN_PERCENT)
    venue.quote_prices(1_100 * WAD)
    venue.deposit("alice", margin_usdc * USDC)
    venue.trade("alice", 10 * ETH, MarginMode.ISOLATED, margin_usdc * USDC)
    venue.quote_prices(price_usdc * WAD)
    position = venue.state.pools[POOL].positions[(("alice", 0), MARKET)]
    size = position.size_atoms / ETH
    basis = position.open_notional_atoms / USDC
    margin = position.isolated_margin_atoms / USDC
    equity = margin + size * price_usdc - basis

    # Act
    record = only(venue.liquidate("alice"), LiquidationRecorded)
    outcome = close_position(
        size=np.array([size]),
        basis=np.array([basis]),
        price=np.array([float(price_usdc)]),
        maintenance_rate=np.array([0.1]),
        pnl_weight=np.array([0.5]),
        unit_equity=np.array([equity]),
        unit_requirement=np.array([size * price_usdc * 0.1]),
        margin=np.array([margin]),
        penalty=0.02,
        close_factor=0.5,
        liquidator_share=0.5,
    )

    # Assert
    assert record.reason is expected
    assert LiquidationReason(int(outcome.status[0])) is expected
    assert record.path is expected.path
