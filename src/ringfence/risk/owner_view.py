"""The unified view of one owner's isolated vaults: risk per vault and the allocator's suggestion (issue 14 item 4).

One computation for every adapter that shows it (``ringfence allocate``, ``GET /v1/owners/{owner}``):
given an :class:`~ringfence.risk.owner_book.OwnerBook` (read from the ledger under the adapter's
lock), :func:`owner_view` returns, for every position, its maintenance health, its own liquidation
price (:func:`~ringfence.risk.early_warning.liquidation_price`) and the relative price move that
reaches it; and, when the caller supplies a volatility per asset (:class:`RiskInputs`), its
probability of touching it within the horizon (closed-form GBM first passage,
:func:`~ringfence.risk.early_warning.touch_probability`, drift 0), ``P(any)`` with positions
independent, and per quote asset the allocator's split and the transfers that reach it
(:func:`~ringfence.risk.rebalance.rebalance`, floors from the book), spelled as venue commands.

Everything here is closed form or a one-dimensional root search per quote asset: no simulation.
The Monte-Carlo ``P(any)`` on common paths that ``ringfence allocate`` also prints is not part of
this view (the service never simulates in a request). The first passage is a numba-compiled loop
(:mod:`ringfence.risk.liquidation_probability`), compiled at its first call and cached on disk.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from ringfence.core.errors import InvalidParameter
from ringfence.core.pool.state import MarginMode
from ringfence.core.units import format_fixed
from ringfence.risk.allocator import MarginBook
from ringfence.risk.early_warning import SECONDS_PER_YEAR, liquidation_price, touch_probability
from ringfence.risk.owner_book import OwnerBook, OwnerPosition
from ringfence.risk.rebalance import DEFAULT_THRESHOLD, Rebalance, rebalance

__all__ = [
    "Allocation",
    "OwnerView",
    "RiskInputs",
    "VaultRisk",
    "idle_balances",
    "owner_view",
    "position_label",
    "transfer_commands",
]


@dataclass(frozen=True, slots=True)
class RiskInputs:
    """What the probabilities and the allocation need beyond the ledger (the caller's, as ``allocate`` takes them).

    Attributes
    ----------
    volatility:
        ``σ > 0`` a year per base asset; every asset the owner holds a priced position on.
    horizon_seconds:
        The horizon of the probabilities (> 0).
    threshold:
        The least drop of ``P(any)`` worth a transfer, in [0, 1].
    vaults_only:
        Move only what the vaults hold, never an idle balance.
    """

    volatility: Mapping[str, float]
    horizon_seconds: int
    threshold: float = DEFAULT_THRESHOLD
    vaults_only: bool = False

    @property
    def horizon_years(self) -> float:
        """Return the horizon in years."""
        return self.horizon_seconds / SECONDS_PER_YEAR


@dataclass(frozen=True, slots=True)
class VaultRisk:
    """One position with its risk (floats: model outputs, never ledger amounts).

    Attributes
    ----------
    position:
        The position as the ledger holds it (:class:`~ringfence.risk.owner_book.OwnerPosition`).
    health:
        An isolated vault's maintenance health ``(vault + equity) / requirement``; None for a
        cross position (its sub-account's health is the account's) or without a requirement or price.
    liquidation_price:
        The price at which its margin unit reaches maintenance; None without a price, or for a long
        its own price cannot liquidate (``L ≤ 0``).
    distance:
        The relative move of its price that reaches ``liquidation_price`` (``1 − L/S`` for a long,
        ``L/S − 1`` for a short; 0 at or past it); None where ``liquidation_price`` is None.
    probability:
        Its probability of touching ``liquidation_price`` within the horizon; None without inputs
        or without a price.
    """

    position: OwnerPosition
    health: float | None
    liquidation_price: float | None
    distance: float | None
    probability: float | None


@dataclass(frozen=True, slots=True)
class Allocation:
    """The allocator's suggestion for one quote asset: the movable vaults, the idle balances, the split, the moves."""

    quote_asset: str
    vaults: tuple[OwnerPosition, ...]
    idle_atoms: dict[int, int]
    """Per sub-account, the idle balance of the quote asset the allocator may move (its holders follow the vaults)."""
    result: Rebalance
    commands: tuple[dict[str, str], ...]
    """The venue commands that carry out ``result.transfers`` (a script table's fields each)."""

    def holder_label(self, owner: str, holder: int) -> str:
        """Return the label of transfer holder ``holder`` (a vault, then the idle balances)."""
        if holder < len(self.vaults):
            return position_label(self.vaults[holder], owner)
        return f"{owner}/{list(self.idle_atoms)[holder - len(self.vaults)]} idle balance"


@dataclass(frozen=True, slots=True)
class OwnerView:
    """Everything the owner holds, each position's risk, and the allocator's suggestions (module docstring)."""

    book: OwnerBook
    vaults: tuple[VaultRisk, ...]
    """Every position of the book, in its order."""
    inputs: RiskInputs | None
    any_probability: float | None
    """``1 − Π(1 − p)`` over the priced positions (independent); None without inputs or priced positions."""
    allocations: tuple[Allocation, ...]
    """One per quote asset of the movable vaults; empty without inputs."""


def position_label(position: OwnerPosition, owner: str) -> str:
    """Return ``owner/sub pool/market``."""
    return f"{owner}/{position.sub_account} {position.pool}/{position.market}"


def idle_balances(book: OwnerBook, quote: str, vaults_only: bool) -> dict[int, int]:
    """Return per sub-account the idle ``quote`` balance the allocator may use (none with ``vaults_only``).

    Only a sub-account with no cross position (its balance then backs nothing) and no negative
    balance gives its positive balance of the quote asset.
    """
    if vaults_only:
        return {}
    return {
        sub: balances[quote]
        for sub, balances in book.balances.items()
        if balances.get(quote, 0) > 0 and not book.has_cross(sub) and all(a >= 0 for a in balances.values())
    }


def transfer_commands(
    owner: str, movable: list[OwnerPosition], idle_subs: list[int], result: Rebalance
) -> list[dict[str, str]]:
    """Return the venue commands that carry out the transfers: out of a vault, between sub-accounts, into a vault."""
    commands: list[dict[str, str]] = []
    for move in result.transfers:
        source = movable[move.source] if move.source < len(movable) else None
        target = movable[move.destination]
        amount = format_fixed(move.amount_atoms, target.quote_decimals)
        from_sub = source.sub_account if source is not None else idle_subs[move.source - len(movable)]
        if source is not None:
            commands.append(
                {
                    "type": "AdjustIsolatedMargin",
                    "owner": owner,
                    "sub_account": str(from_sub),
                    "pool": source.pool,
                    "market": source.market,
                    "delta": f"-{amount}",
                }
            )
        if from_sub != target.sub_account:
            commands.append(
                {
                    "type": "Transfer",
                    "owner": owner,
                    "from_sub_account": str(from_sub),
                    "to_sub_account": str(target.sub_account),
                    "asset": target.quote_asset,
                    "amount": amount,
                }
            )
        commands.append(
            {
                "type": "AdjustIsolatedMargin",
                "owner": owner,
                "sub_account": str(target.sub_account),
                "pool": target.pool,
                "market": target.market,
                "delta": amount,
            }
        )
    return commands


def _health(position: OwnerPosition) -> float | None:
    if position.mode is not MarginMode.ISOLATED or position.price_wad is None or position.maintenance_atoms <= 0:
        return None
    return (position.margin_atoms + position.maintenance_equity_atoms) / position.maintenance_atoms


def _distance(position: OwnerPosition, barrier: float) -> float | None:
    if barrier <= 0.0:
        return None
    move = 1.0 - barrier / position.price if position.size_atoms > 0 else barrier / position.price - 1.0
    return max(move, 0.0)


def _checked(inputs: RiskInputs, priced: list[OwnerPosition]) -> None:
    missing = sorted({p.base_asset for p in priced} - set(inputs.volatility))
    if missing:
        raise InvalidParameter("volatility", ", ".join(missing), "ASSET=RATIO for every asset the owner holds")
    for asset, sigma in inputs.volatility.items():
        if not (math.isfinite(sigma) and sigma > 0.0):
            raise InvalidParameter("volatility", f"{asset}={sigma}", "a finite volatility above 0 a year")
    if inputs.horizon_seconds <= 0:
        raise InvalidParameter("horizon", inputs.horizon_seconds, "a duration above 0")
    if not 0.0 <= inputs.threshold <= 1.0:
        raise InvalidParameter("threshold", inputs.threshold, "a probability in [0, 1]")


def _allocation(book: OwnerBook, quote: str, inputs: RiskInputs) -> Allocation:
    movable = [p for p in book.positions if p.movable and p.quote_asset == quote]
    idle = idle_balances(book, quote, inputs.vaults_only)
    margin_book = MarginBook.of(
        [p.price for p in movable],
        [p.size for p in movable],
        [p.maintenance_rate for p in movable],
        [p.equity for p in movable],
        [inputs.volatility[p.base_asset] for p in movable],
    )
    result = rebalance(
        margin_book,
        [p.margin_atoms for p in movable],
        inputs.horizon_years,
        10 ** movable[0].quote_decimals,
        idle_atoms=list(idle.values()),
        floors_atoms=[p.floor_atoms for p in movable],
        threshold=inputs.threshold,
    )
    commands = transfer_commands(book.owner, movable, list(idle), result) if result.suggested else []
    return Allocation(quote, tuple(movable), idle, result, tuple(commands))


def owner_view(book: OwnerBook, inputs: RiskInputs | None = None) -> OwnerView:
    """Return every position's risk and, with ``inputs``, the probabilities and the allocator's suggestions.

    Raises
    ------
    InvalidParameter
        ``inputs`` lacking the volatility of an asset the owner holds, or with a volatility, horizon
        or threshold out of range.
    """
    priced = [p for p in book.positions if p.price_wad is not None]
    if inputs is not None:
        _checked(inputs, priced)
    arrays = (
        np.array([p.price for p in priced]),
        np.array([p.size for p in priced]),
        np.array([p.maintenance_rate for p in priced]),
        np.array([p.surplus for p in priced]),
    )
    barriers = liquidation_price(*arrays) if priced else np.zeros(0)
    probabilities: list[float | None] = [None] * len(priced)
    any_probability: float | None = None
    if inputs is not None and priced:
        sigma = np.array([inputs.volatility[p.base_asset] for p in priced])
        touch = touch_probability(*arrays, sigma, inputs.horizon_years)
        probabilities = [float(value) for value in touch]
        with np.errstate(divide="ignore"):
            any_probability = float(-np.expm1(np.sum(np.log1p(-touch))))
    risks = iter(zip([float(b) for b in barriers], probabilities, strict=True))
    vaults = []
    for position in book.positions:
        barrier, probability = next(risks) if position.price_wad is not None else (None, None)
        vaults.append(
            VaultRisk(
                position=position,
                health=_health(position),
                liquidation_price=barrier if barrier is not None and barrier > 0.0 else None,
                distance=_distance(position, barrier) if barrier is not None else None,
                probability=probability,
            )
        )
    allocations: tuple[Allocation, ...] = ()
    if inputs is not None:
        quotes = sorted({p.quote_asset for p in book.positions if p.movable})
        allocations = tuple(_allocation(book, quote, inputs) for quote in quotes)
    return OwnerView(book, tuple(vaults), inputs, any_probability, allocations)
