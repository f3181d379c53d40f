"""A pool pays realised profit only from its own LP vault's cash (the firewall between pools).

Premises (tests/support/venue.py): LP vault 100,000 USDC, ETH at 2,000, reserve factor 100%, no fees.
"""

from __future__ import annotations

from ringfence.core.pool.decide import payable_pnl_atoms
from support.venue import ETH, MARKET_PARAMS, POOL, POOL_PARAMS, USDC, WAD, Venue


def test_a_profit_past_the_vault_is_paid_up_to_the_vault_and_the_rest_is_forgone() -> None:
    venue = Venue(POOL_PARAMS, MARKET_PARAMS)
    venue.deposit("trader", 11_000 * USDC)
    venue.trade("trader", 50 * ETH)  # 100,000 notional: the reserve's limit with a 100,000 vault
    venue.quote_prices(3_600 * WAD)
    venue.quote_prices(5_000 * WAD)  # profit 50 · 3,000 = 150,000 > the vault's 100,000

    closed = venue.trade("trader", -50 * ETH)

    assert closed.realised_pnl_atoms == 100_000 * USDC
    assert venue.state.pools[POOL].vault_atoms == 0
    assert venue.balance("trader") == 111_000 * USDC


def test_a_profit_the_vault_covers_is_paid_in_full_and_a_loss_is_never_capped() -> None:
    pool = Venue(POOL_PARAMS, MARKET_PARAMS).state.pools[POOL]

    assert payable_pnl_atoms(pool, 99_999 * USDC) == 99_999 * USDC
    assert payable_pnl_atoms(pool, 100_001 * USDC) == 100_000 * USDC
    assert payable_pnl_atoms(pool, -500_000 * USDC) == -500_000 * USDC
