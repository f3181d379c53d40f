"""Invariants checked in tests and, optionally, after every command (SPEC §2.9)."""

from __future__ import annotations

from ringfence.core.errors import InvariantViolation
from ringfence.core.state import LedgerState

__all__ = ["check_conservation", "check_credit_lines", "holdings_by_asset"]


def holdings_by_asset(state: LedgerState) -> dict[str, int]:
    """Return, per asset, the atoms held anywhere.

    Sub-accounts, LP vaults, insurance funds, protocol fees, isolated position vaults (perpetuals and
    series), the capital locked in insurance cover policies, the collateral lots of live auctions, and
    the cash credit lines hold (committed and undrawn, interest collected). A drawn amount is cash in the
    borrower's vault.
    """
    held = {asset: 0 for asset in state.assets}
    for account in state.accounts.values():
        for asset, amount in account.balances.items():
            held[asset] += amount
    for pool in state.pools.values():
        quote = pool.params.quote_asset
        held[quote] += pool.vault_atoms + pool.insurance_atoms + pool.protocol_fees_atoms
        held[quote] += sum(position.isolated_margin_atoms for position in pool.positions.values())
        held[quote] += sum(position.isolated_margin_atoms for position in pool.series_positions.values())
        held[quote] += sum(policy.capital_atoms for policy in pool.cover_policies.values())
        for auction in pool.auctions.values():
            held[auction.asset] += auction.lot_atoms
    for line in state.credit_lines.values():
        held[line.quote_asset] += line.undrawn_atoms + line.interest_collected_atoms
    return held


def check_credit_lines(state: LedgerState) -> None:
    """Raise :class:`InvariantViolation` unless every line's committed cash is accounted for.

    ``undrawn + principal outstanding + principal written off = cap``: the lender's committed
    cash is either still held by the line, lent to the borrower, or lost; and no amount of a
    line is negative (a draw never passes the room, a repayment or write-down never what is owed).
    """
    for line in state.credit_lines.values():
        parts = (
            line.undrawn_atoms,
            line.principal_atoms,
            line.interest_owed_atoms,
            line.interest_collected_atoms,
            line.principal_written_off_atoms,
            line.interest_written_off_atoms,
        )
        if min(parts) < 0:
            raise InvariantViolation("credit line", f"{line.line}: a negative amount in {parts}")
        committed = line.undrawn_atoms + line.principal_atoms + line.principal_written_off_atoms
        if committed != line.cap_atoms:
            raise InvariantViolation(
                "credit line", f"{line.line}: undrawn + principal + written off = {committed}, cap {line.cap_atoms}"
            )


def check_conservation(state: LedgerState) -> None:
    """Raise :class:`InvariantViolation` unless every asset's holdings equal deposits − withdrawals.

    Credit lines are checked too (:func:`check_credit_lines`).
    """
    check_credit_lines(state)
    for asset, held in holdings_by_asset(state).items():
        expected = state.deposited_atoms[asset] - state.withdrawn_atoms[asset]
        if held != expected:
            raise InvariantViolation("conservation", f"{asset}: held {held}, deposits − withdrawals {expected}")
