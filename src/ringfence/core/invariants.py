"""Invariants checked in tests and, optionally, after every command (SPEC §2.9)."""

from __future__ import annotations

from ringfence.core.errors import InvariantViolation
from ringfence.core.state import LedgerState

__all__ = ["check_conservation", "holdings_by_asset"]


def holdings_by_asset(state: LedgerState) -> dict[str, int]:
    """Return, per asset, the atoms held anywhere.

    Sub-accounts, LP vaults, insurance funds, protocol fees, isolated position vaults, the
    capital locked in insurance cover policies and the collateral lots of live auctions.
    """
    held = {asset: 0 for asset in state.assets}
    for account in state.accounts.values():
        for asset, amount in account.balances.items():
            held[asset] += amount
    for pool in state.pools.values():
        quote = pool.params.quote_asset
        held[quote] += pool.vault_atoms + pool.insurance_atoms + pool.protocol_fees_atoms
        held[quote] += sum(position.isolated_margin_atoms for position in pool.positions.values())
        held[quote] += sum(policy.capital_atoms for policy in pool.cover_policies.values())
        for auction in pool.auctions.values():
            held[auction.asset] += auction.lot_atoms
    return held


def check_conservation(state: LedgerState) -> None:
    """Raise :class:`InvariantViolation` unless every asset's holdings equal deposits − withdrawals."""
    for asset, held in holdings_by_asset(state).items():
        expected = state.deposited_atoms[asset] - state.withdrawn_atoms[asset]
        if held != expected:
            raise InvariantViolation("conservation", f"{asset}: held {held}, deposits − withdrawals {expected}")
