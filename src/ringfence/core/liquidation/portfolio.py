"""The portfolio auction's arithmetic: Derive's share cap, the insolvent payment, shares and their split.

Derive (Lyra v2), ``derivexyz/v2-core`` ``src/liquidation/DutchAuction.sol``; the whole portfolio's
solvent bid ``(MtM − reserved cash) · d(t)`` and the discount schedule ``d`` are
:func:`~ringfence.core.liquidation.auctions.lyra_solvent_bid_value` and
:func:`~ringfence.core.liquidation.auctions.lyra_discount_percentage_wad`. The engine
(``core/pool/portfolio_auction.py``) reads the ledger and writes the events; every rounded amount of a
portfolio auction is decided here:

- :func:`solvent_share_cap_wad`: ``_getMaxProportion``, ``f_max = IM / (IM − bid)`` with ``IM`` the
  account's (negative) initial margin, i.e. ``deficit / (deficit + bid)``; rounded **up** here (the
  contract truncates) so a bid at the cap restores the account up to the transfer's own floors;
- :func:`solvent_price_atoms`: what a bidder pays for a share ``f``: ``⌊bid · f⌋`` (the contract's
  ``bidPrice.multiplyDecimal(finalPercentage)``, a credit to the account, floored);
- :func:`insolvent_payment_atoms`: ``_getCurrentBidPrice`` of an insolvent auction, ``−dv · steps`` with
  ``dv = |lower bound| / length``: here ``⌊deficit · min(t, T) / T⌋`` on whole seconds, then ``⌊· f⌋``
  (a cost to the pools, floored);
- :func:`portfolio_share_atoms`: the share of a position or a balance a bid moves, toward zero (all of it
  for a whole share), and :func:`moved_basis_atoms`, the cost basis that goes with it, ``⌈basis · Δ / |size|⌉``
  (as a partial close removes basis, ``core/pool/decide.py`` ``resize``);
- :func:`split_by_weight`: a payment split across pools by their claims, floored, the remainder to the
  largest claim (the first on a tie), so the parts add up to the payment exactly;
- :func:`elapsed_seconds`: whole seconds since the auction started (floored: the higher price, for the
  account, as :mod:`~ringfence.core.pool.auction` floors a collateral auction's clock).
"""

from __future__ import annotations

from ringfence.core.errors import InvalidParameter
from ringfence.core.units import WAD, Rounding, mul_div

__all__ = [
    "NS_PER_SECOND",
    "elapsed_seconds",
    "insolvent_payment_atoms",
    "moved_basis_atoms",
    "portfolio_share_atoms",
    "solvent_price_atoms",
    "solvent_share_cap_wad",
    "split_by_weight",
]

NS_PER_SECOND = 1_000_000_000


def elapsed_seconds(started_ns: int, now_ns: int) -> int:
    """Return whole seconds since ``started_ns`` (floored).

    Raises
    ------
    InvalidParameter
        If ``now_ns`` is before the start.
    """
    if now_ns < started_ns:
        raise InvalidParameter("timestamp_ns", now_ns, f"a time at or after the auction's start {started_ns}")
    return (now_ns - started_ns) // NS_PER_SECOND


def solvent_share_cap_wad(deficit_value: int, whole_bid_value: int) -> int:
    """Return ``f_max = deficit / (deficit + bid)`` in WAD, rounded up, at most 1 (module docstring)."""
    return min(mul_div(WAD, deficit_value, deficit_value + whole_bid_value, Rounding.UP), WAD)


def solvent_price_atoms(whole_bid: int, share_wad: int) -> int:
    """Return what a bidder pays for ``share_wad`` of a portfolio whose whole bid is ``whole_bid``: ``⌊bid · f⌋``."""
    return mul_div(whole_bid, share_wad, WAD, Rounding.DOWN)


def insolvent_payment_atoms(deficit_atoms: int, elapsed: int, length_seconds: int, share_wad: int) -> int:
    """Return what an insolvent auction pays a bidder for ``share_wad``: ``⌊⌊deficit · min(t, T) / T⌋ · f⌋``."""
    whole = mul_div(deficit_atoms, min(elapsed, length_seconds), length_seconds, Rounding.DOWN)
    return mul_div(whole, share_wad, WAD, Rounding.DOWN)


def portfolio_share_atoms(amount_atoms: int, share_wad: int) -> int:
    """Return ``share_wad`` of a signed amount, toward zero; all of it for a whole share."""
    if share_wad == WAD:
        return amount_atoms
    moved = mul_div(abs(amount_atoms), share_wad, WAD, Rounding.DOWN)
    return moved if amount_atoms > 0 else -moved


def moved_basis_atoms(basis_atoms: int, moved_atoms: int, size_atoms: int) -> int:
    """Return the cost basis moving with ``moved_atoms`` of a position of ``size_atoms``: ``⌈basis · |Δ| / |size|⌉``."""
    return mul_div(basis_atoms, abs(moved_atoms), abs(size_atoms), Rounding.UP)


def split_by_weight(amount_atoms: int, weights: tuple[int, ...]) -> tuple[int, ...]:
    """Split ``amount_atoms`` in proportion to ``weights`` (floored); the rest to the largest (first on ties)."""
    total = sum(weights)
    if not weights or total <= 0 or min(weights) < 0:
        raise InvalidParameter("weights", weights, "non-negative weights with a positive sum")
    parts = [mul_div(amount_atoms, weight, total, Rounding.DOWN) for weight in weights]
    largest = max(range(len(weights)), key=lambda i: (weights[i], -i))
    parts[largest] += amount_atoms - sum(parts)
    return tuple(parts)
