"""The in-pool waterfall's arithmetic: who pays a shortfall, auto-deleveraging, and the breakers (SPEC §2.6-2.7).

A loss an account cannot pay (its *shortfall*) goes, strictly inside its pool: the insurance
fund (capped per window) → the LP vault's backstop budget (capped per window) →
auto-deleveraging of profitable opposing positions → loss socialised to the pool's LPs. The
engine (``core/pool/liquidate.py``) reads the ledger and writes the events; the amounts are
decided here, on :class:`~ringfence.core.liquidation.window.Window` counters.
"""

from __future__ import annotations

from fractions import Fraction
from typing import NamedTuple

from ringfence.core.liquidation.window import Window
from ringfence.core.units import WAD, Rounding, mul_div

__all__ = [
    "AdlScore",
    "ShortfallSplit",
    "adl_forgone_atoms",
    "adl_score",
    "insurance_room_atoms",
    "nav_drawdown_excess",
    "split_shortfall",
    "throughput_excess",
]


AdlScore = Fraction
"""An auto-deleveraging rank score, exact (:func:`adl_score`)."""


def insurance_room_atoms(window: Window, now_ns: int, length_ns: int, cap_atoms: int, fund_atoms: int) -> int:
    """Return what the insurance fund may still pay: ``max(min(cap − drawn in the window, fund), 0)``."""
    return max(min(window.room(now_ns, length_ns, cap_atoms), fund_atoms), 0)


class ShortfallSplit(NamedTuple):
    """A shortfall split between the insurance fund, the backstop budget and what is left."""

    insurance_atoms: int
    backstop_atoms: int
    remaining_atoms: int


def split_shortfall(shortfall_atoms: int, insurance_room: int, backstop_room: int) -> ShortfallSplit:
    """Return the insurance draw, the backstop absorption and the rest, in that order of payment."""
    draw = min(shortfall_atoms, insurance_room)
    absorbed = min(shortfall_atoms - draw, backstop_room)
    return ShortfallSplit(draw, absorbed, shortfall_atoms - draw - absorbed)


def nav_drawdown_excess(
    window: Window, now_ns: int, length_ns: int, lp_loss_atoms: int, vault_after_atoms: int, limit_wad: int
) -> tuple[int, int] | None:
    """Return ``(LP loss in the window, limit)`` when the loss passes the NAV-drawdown limit, else None.

    The limit is ``⌊reference · limit_wad⌋`` with the reference the LP vault when the window
    opened; a window that has ended opens with this command, its reference the vault after it
    settled (``vault_after_atoms``, what ``evolve`` records).
    """
    open_now = window.is_open(now_ns, length_ns)
    reference = window.reference_atoms if open_now else vault_after_atoms
    lost = window.used(now_ns, length_ns) + lp_loss_atoms
    limit = mul_div(max(reference, 0), limit_wad, WAD, Rounding.DOWN)
    return (lost, limit) if lost > limit else None


def throughput_excess(
    window: Window, now_ns: int, length_ns: int, notional_atoms: int, breaker_atoms: int
) -> int | None:
    """Return the notional liquidated in the window with this close when it passes the breaker, else None."""
    total = window.used(now_ns, length_ns) + notional_atoms
    return total if total > breaker_atoms else None


def adl_score(pnl_atoms: int, notional_atoms: int, margin_atoms: int) -> AdlScore:
    """Return the auto-deleveraging rank score ``pnl/margin × notional/margin`` (exact).

    Binance and Bybit rank by "PnL percentage × effective leverage"; Hyperliquid by the same
    product. Highest first.
    """
    return Fraction(pnl_atoms * notional_atoms, margin_atoms * margin_atoms)


def adl_forgone_atoms(
    remaining_atoms: int, closed_atoms: int, size_left_atoms: int, realised_pnl_atoms: int, vault_atoms: int | None
) -> int:
    """Return what a deleveraged position gives up: its share of the shortfall, capped by its profit.

    Each closed base atom gives up an equal share of what remains, ``⌈remaining·closed/left⌉``
    (rounded up, against the deleveraged account), never more than the closed part's profit at
    the oracle, nor (an isolated position) more than its vault holds.
    """
    forgone = min(mul_div(remaining_atoms, closed_atoms, size_left_atoms, Rounding.UP), max(realised_pnl_atoms, 0))
    return forgone if vault_atoms is None else min(forgone, max(vault_atoms, 0))
