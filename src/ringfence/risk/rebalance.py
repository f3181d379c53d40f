"""Rebalancing suggestions: the transfers that bring an owner's vaults back to the allocator's optimum.

As prices move, the margins that minimised ``P(any is liquidated)`` (:mod:`ringfence.risk.allocator`)
stop doing so. :func:`rebalance` re-optimises the same collateral (every vault's margin plus any idle
balance the owner lets it use) and suggests the transfers that reach the new optimum, **only when they
lower ``P(any)`` by at least a threshold** (absolute probability): below it the suggestion is to do
nothing, so a book that drifts a little does not churn.

Transfers (:func:`transfers`) pair holders above their target with holders below it, largest
first (a greedy two-pointer match): every amount is a positive integer, the total moved equals the
total excess exactly, each holder ends exactly at its target, and there are at most
``sources + destinations − 1`` transfers. Holders ``0 … N − 1`` are the positions' vaults in the
book's order; ``N, N + 1, …`` are the idle balances (their target is 0: idle collateral protects
nothing). Whether a transfer is executable is the venue's rule: a vault gives up margin only while
its position stays at initial margin (pass those floors to :func:`rebalance`) and a sub-account
transfers only what leaves it healthy.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ringfence.core.errors import InvalidParameter
from ringfence.risk import _inputs
from ringfence.risk.allocator import Allocation, MarginBook, allocate, evaluate

__all__ = ["DEFAULT_THRESHOLD", "MarginTransfer", "Rebalance", "rebalance", "transfers"]

DEFAULT_THRESHOLD = 0.005
"""Suggest transfers only when they lower P(any) by at least half a percentage point (our choice)."""


@dataclass(frozen=True, slots=True)
class MarginTransfer:
    """Move ``amount_atoms`` from holder ``source`` to holder ``destination`` (indices, module docstring)."""

    source: int
    destination: int
    amount_atoms: int


def _holdings(name: str, values: Sequence[int]) -> list[int]:
    amounts = [int(v) for v in values if not isinstance(v, bool) and isinstance(v, int | np.integer) and v >= 0]
    if len(amounts) != len(values):
        raise InvalidParameter(name, list(values), "non-negative integer atoms")
    return amounts


def transfers(current_atoms: Sequence[int], target_atoms: Sequence[int]) -> tuple[MarginTransfer, ...]:
    """Return the transfers that move every holder from ``current_atoms`` to ``target_atoms`` (equal totals).

    Raises
    ------
    InvalidParameter
        Lengths or totals that differ, or amounts that are not non-negative integers.
    """
    current, target = _holdings("current_atoms", current_atoms), _holdings("target_atoms", target_atoms)
    if len(current) != len(target) or sum(current) != sum(target):
        raise InvalidParameter(
            "target_atoms", (len(target), sum(target)), f"{len(current)} holders summing to {sum(current)}"
        )
    givers = sorted(((c - t, i) for i, (c, t) in enumerate(zip(current, target, strict=True)) if c > t), reverse=True)
    takers = sorted(((t - c, i) for i, (c, t) in enumerate(zip(current, target, strict=True)) if t > c), reverse=True)
    moves: list[MarginTransfer] = []
    g = k = 0
    give = [amount for amount, _ in givers]
    take = [amount for amount, _ in takers]
    while g < len(givers) and k < len(takers):
        amount = min(give[g], take[k])
        moves.append(MarginTransfer(source=givers[g][1], destination=takers[k][1], amount_atoms=amount))
        give[g] -= amount
        take[k] -= amount
        g += give[g] == 0
        k += take[k] == 0
    return tuple(moves)


@dataclass(frozen=True, slots=True)
class Rebalance:
    """A rebalancing suggestion.

    Attributes
    ----------
    current:
        The vaults as they are (idle balances protect nothing and are not in it).
    target:
        The allocator's optimum over the same collateral.
    improvement:
        ``current.any_probability − target.any_probability``.
    threshold:
        The least improvement worth a transfer.
    transfers:
        The transfers to reach ``target`` (holders as in the module docstring); empty when the
        improvement is below the threshold.
    """

    current: Allocation
    target: Allocation
    improvement: float
    threshold: float
    transfers: tuple[MarginTransfer, ...]

    @property
    def suggested(self) -> bool:
        """Whether moving is worth it (the improvement reaches the threshold and something moves)."""
        return bool(self.transfers)


def rebalance(
    book: MarginBook,
    current_atoms: Sequence[int],
    horizon_years: float,
    atoms_per_unit: int,
    *,
    idle_atoms: Sequence[int] = (),
    floors_atoms: Sequence[int] | None = None,
    threshold: float = DEFAULT_THRESHOLD,
) -> Rebalance:
    """Return the optimum for the book's vaults plus ``idle_atoms`` and the transfers to reach it, if worth it.

    Parameters
    ----------
    book:
        The positions at the current prices.
    current_atoms:
        Each vault's margin now (quote atoms), in the book's order.
    horizon_years, atoms_per_unit, floors_atoms:
        As in :func:`ringfence.risk.allocator.allocate`.
    idle_atoms:
        Balances of the quote asset the allocator may move into the vaults.
    threshold:
        In [0, 1]: the least absolute drop of ``P(any)`` for which transfers are suggested.
    """
    vaults = _holdings("current_atoms", current_atoms)
    idle = _holdings("idle_atoms", idle_atoms)
    if len(vaults) != book.count:
        raise InvalidParameter("current_atoms", len(vaults), f"one margin per position ({book.count})")
    level = float(_inputs.finite("threshold", threshold))
    if not 0.0 <= level <= 1.0:
        raise InvalidParameter("threshold", threshold, "a probability in [0, 1]")
    now = evaluate(book, vaults, atoms_per_unit, horizon_years)
    best = allocate(book, sum(vaults) + sum(idle), horizon_years, atoms_per_unit, floors_atoms)
    improvement = now.any_probability - best.any_probability
    moves: tuple[MarginTransfer, ...] = ()
    if improvement >= level:
        moves = transfers([*vaults, *idle], [*best.margins_atoms, *([0] * len(idle))])
    return Rebalance(current=now, target=best, improvement=improvement, threshold=level, transfers=moves)
