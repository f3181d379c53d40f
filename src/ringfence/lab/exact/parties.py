"""The lab's conservation sum on the exact engine: every party's P&L over a run, in quote atoms.

Parties (``docs/stress-model.md``, "Conservation"): traders (the population and the attacker),
LPs, the insurance funds, the keepers, the protocol (its fees and its own liquidator) and the
outside market (which fills liquidations and is paid the gas). Each party's P&L is what it
holds at the end, marked at the final market price, minus what it brought in from outside; the
engine conserves every atom, so the parties sum to exactly 0 atoms.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from ringfence.core.pool.perp_math import unrealised_pnl_atoms
from ringfence.core.state import LedgerState
from ringfence.lab.exact.layout import BASE_DECIMALS, INSURER, QUOTE

__all__ = ["party_of", "party_pnl_atoms"]


def party_of(owner: str, protocol_liquidator: str) -> str:
    """Return the party an account owner belongs to (every owner the exact runner creates has one)."""
    if owner.startswith("lp-"):
        return "lps"
    if owner == INSURER:
        return "insurance"
    if owner == protocol_liquidator:
        return "protocol"
    if owner.startswith("keeper"):
        return "keepers"
    return "traders"


def party_pnl_atoms(
    state: LedgerState,
    external_atoms: Mapping[tuple[str, str], int],
    paid_to_market_atoms: Mapping[str, int],
    final_prices_wad: Mapping[str, int],
    protocol_liquidator: str,
    series_value_atoms: Callable[[str, str, object], int] | None = None,
) -> dict[str, int]:
    """Return each party's P&L in quote atoms.

    - traders: quote balances + isolated vaults + unrealised PnL at ``final_prices_wad`` − net deposits;
    - LPs: quote balances (redemptions) + each pool's NAV at the final price (vault − traders'
      unrealised PnL: the pool is the other side of every position) + the cash credit lines hold
      (undrawn and collected interest: the lenders'; drawn principal is in the borrowers' vaults)
      − net deposits;
    - insurance: the insurance funds + the insurer's balance − its deposits;
    - keepers and the protocol's liquidator: balances (bonuses and execution costs received)
      − what they paid the market (execution costs and gas); the protocol also keeps its fees;
    - market: the execution costs and gas paid to it.

    The lab's markets accrue no funding (the layout sets no funding rate), so a position's
    value is its vault and its unrealised PnL. An option series position (``venue.options``) is
    worth its isolated vault plus ``series_value_atoms(pool, series, position)`` (its value at
    its mark) to its trader, and the negative of that value to the LPs (the vault wrote it).
    ``external_atoms`` maps ``(owner, asset)`` to
    net deposits; ``paid_to_market_atoms`` maps a keeper (or the protocol's liquidator) to the
    execution costs and gas it passed on.
    """
    parties = dict.fromkeys(("traders", "lps", "insurance", "keepers", "protocol", "market"), 0)
    for (owner, _), account in sorted(state.accounts.items()):
        parties[party_of(owner, protocol_liquidator)] += account.balances.get(QUOTE, 0)
    for (owner, asset), amount in sorted(external_atoms.items()):
        if asset == QUOTE:
            parties[party_of(owner, protocol_liquidator)] -= amount
    for owner, amount in sorted(paid_to_market_atoms.items()):
        parties[party_of(owner, protocol_liquidator)] -= amount
        parties["market"] += amount
    for pool_id in sorted(state.pools):
        pool = state.pools[pool_id]
        quote_decimals = state.assets[pool.params.quote_asset].params.decimals
        traders_pnl = 0
        for (key, market_id), position in sorted(pool.positions.items()):
            base = pool.markets[market_id].params.base_asset
            pnl = unrealised_pnl_atoms(position, final_prices_wad[base], BASE_DECIMALS, quote_decimals)
            traders_pnl += pnl
            parties[party_of(key[0], protocol_liquidator)] += position.isolated_margin_atoms + pnl
        for (key, series_id), held in sorted(pool.series_positions.items()):
            value = 0 if series_value_atoms is None else series_value_atoms(pool_id, series_id, held)
            parties[party_of(key[0], protocol_liquidator)] += held.isolated_margin_atoms + value
            traders_pnl += value
        parties["lps"] += pool.vault_atoms - traders_pnl
        parties["insurance"] += pool.insurance_atoms
        parties["protocol"] += pool.protocol_fees_atoms
    for line_id in sorted(state.credit_lines):
        line = state.credit_lines[line_id]
        parties["lps"] += line.undrawn_atoms + line.interest_collected_atoms
    return parties
