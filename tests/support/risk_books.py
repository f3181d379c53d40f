"""A hand-built float book for the risk kernel's tests (the numbers are the tests' premises).

Prices: USDC 1, ETH 1,800, BTC 60,000. Markets: ETH-PERP (maintenance 5%, initial 10%, PnL
weight 50%) and BTC-PERP (maintenance 4%, initial 8%, PnL weight 80%). Collateral is entered
already weighted at its maintenance haircut (ETH 85%); a debt counts in full.
"""

from __future__ import annotations

import numpy as np

from ringfence.risk.book import RiskBook

USDC, ETH, BTC = 0, 1, 2
ETH_PERP, BTC_PERP = 0, 1
PRICES = np.array([1.0, 1_800.0, 60_000.0])

# account 0 cross, 1 and 2 isolated, 3 and 4 cross
POSITIONS = [
    # (account, market, size, open notional, funding owed, isolated margin)
    (0, ETH_PERP, 2.0, 4_000.0, 3.0, 0.0),
    (0, BTC_PERP, -0.1, -5_500.0, -1.0, 0.0),
    (1, ETH_PERP, 1.0, 1_500.0, 0.0, 50.0),
    (2, ETH_PERP, -1.0, -1_750.0, 0.0, 40.0),
    (3, BTC_PERP, 0.5, 30_000.0, 0.0, 0.0),
    (4, ETH_PERP, -1.0, -1_900.0, 0.0, 0.0),
]
HOLDINGS = [
    # (account, asset, weighted amount)
    (0, USDC, 1_000.0),
    (0, ETH, 0.85),  # 1 ETH at 85%
    (3, USDC, 1_200.0),
    (4, USDC, -500.0),  # a debt, in full
    (4, ETH, 1.7),  # 2 ETH at 85%
]
ISOLATED_ACCOUNTS = (False, True, True, False, False)


def make_book(positions=POSITIONS, holdings=HOLDINGS, isolated=ISOLATED_ACCOUNTS, allowance=None) -> RiskBook:
    pos = list(zip(*positions, strict=True)) if positions else [()] * 6
    hold = list(zip(*holdings, strict=True)) if holdings else [()] * 3
    account = np.array(pos[0], dtype=np.intp)
    account_isolated = np.array(isolated, dtype=np.bool_)
    return RiskBook(
        position_account=account,
        position_market=np.array(pos[1], dtype=np.intp),
        position_size=np.array(pos[2], dtype=np.float64),
        position_open_notional=np.array(pos[3], dtype=np.float64),
        position_funding_owed=np.array(pos[4], dtype=np.float64),
        position_isolated=account_isolated[account],
        position_isolated_margin=np.array(pos[5], dtype=np.float64),
        holding_account=np.array(hold[0], dtype=np.intp),
        holding_asset=np.array(hold[1], dtype=np.intp),
        holding_weighted_amount=np.array(hold[2], dtype=np.float64),
        market_base_asset=np.array([ETH, BTC], dtype=np.intp),
        market_maintenance_rate=np.array([0.05, 0.04]),
        market_initial_rate=np.array([0.10, 0.08]),
        market_pnl_weight=np.array([0.5, 0.8]),
        account_isolated=account_isolated,
        account_rounding_allowance=np.zeros(len(isolated)) if allowance is None else np.array(allowance),
        asset_count=3,
    )
