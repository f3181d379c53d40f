"""The portfolio-margin requirement by scenario grid, exact: the worst loss per underlying, rounded up once.

A portfolio is a list of :class:`Leg`: each instrument the sub-account holds and each collateral
balance, repriced **once per scenario** into its profit and loss in value atoms, exactly (a
:class:`~fractions.Fraction`; nothing is rounded while the scenarios are summed). Then:

1. per underlying ``u`` and scenario ``s``: ``P(u, s) = weight_s · Σ legs on u of pnl(leg, s)``;
2. per underlying, the worst loss ``L(u) = max(0, −min_s P(u, s))`` (Deribit S:PM margins each
   currency's risk matrix on its own; underlyings do not offset each other);
3. ``max_loss = Σ_u L(u)``, and the requirement is ``⌈factor · max_loss + contingency⌉`` value
   atoms: :func:`requirement_value`, **the one place** the exact figure becomes an integer,
   rounded up (never in the account's favour).

A delta-one leg (a perpetual or a dated future, or a collateral balance of the underlying)
changes by ``quantity · price · shock`` (:func:`linear_pnl`); an option leg brings its own
repricing (its value at the shocked price and volatility minus its value now), computed by the
option's pricing module and handed in as a :class:`Leg` like any other.

This is the requirement the ledger runs. :mod:`ringfence.risk.portfolio_margin` is the vectorised
float model of the same formula, for statistics over many accounts;
``tests/differential/test_portfolio_margin_vs_risk.py`` holds the two together on random
portfolios within a stated tolerance.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction

from ringfence.core.portfolio.grid import PPM, Scenario
from ringfence.core.units import VALUE_DECIMALS, WAD

__all__ = [
    "Leg",
    "UnderlyingLoss",
    "linear_contingency",
    "linear_pnl",
    "requirement_value",
    "worst_losses",
]


@dataclass(frozen=True, slots=True)
class Leg:
    """One instrument or collateral balance: its underlying and its exact P&L per scenario (value atoms)."""

    underlying: str
    pnl: tuple[Fraction, ...]


@dataclass(frozen=True, slots=True)
class UnderlyingLoss:
    """One underlying's worst weighted loss over the grid (≥ 0) and the scenario it happens in."""

    underlying: str
    loss_value: Fraction
    worst_scenario: int


def _value(quantity_atoms: int, decimals: int, price_wad: int) -> Fraction:
    """Return ``quantity · price`` in value atoms, exact."""
    return Fraction(quantity_atoms * price_wad * 10**VALUE_DECIMALS, 10**decimals * WAD)


def linear_pnl(
    quantity_atoms: int, decimals: int, price_wad: int, scenarios: Sequence[Scenario]
) -> tuple[Fraction, ...]:
    """Return a delta-one holding's exact P&L per scenario: ``quantity · price · shock`` in value atoms.

    ``quantity_atoms`` is signed (a short perpetual or a debt is negative); ``price_wad`` is the
    price the scenarios shock (the oracle).
    """
    value = _value(quantity_atoms, decimals, price_wad)
    return tuple(value * Fraction(scenario.spot_shock_ppm, PPM) for scenario in scenarios)


def linear_contingency(size_atoms: int, decimals: int, price_wad: int, rate_wad: int) -> Fraction:
    """Return Derive's perp contingency of one delta-one position: ``rate · price · |size|``, exact."""
    return _value(abs(size_atoms), decimals, price_wad) * Fraction(rate_wad, WAD)


def worst_losses(legs: Iterable[Leg], scenarios: Sequence[Scenario]) -> list[UnderlyingLoss]:
    """Return each underlying's worst weighted loss over the grid (module docstring, steps 1–2).

    Underlyings are reported in the order their first leg comes; a tie between scenarios goes to
    the first. A leg whose P&L has not one entry per scenario is a bug of its repricing.
    """
    totals: dict[str, list[Fraction]] = {}
    for leg in legs:
        if len(leg.pnl) != len(scenarios):
            raise ValueError(f"a leg on {leg.underlying} has {len(leg.pnl)} scenario values, not {len(scenarios)}")
        row = totals.setdefault(leg.underlying, [Fraction(0)] * len(scenarios))
        for index, pnl in enumerate(leg.pnl):
            row[index] += pnl
    losses = []
    for underlying, row in totals.items():
        weighted = [pnl * Fraction(s.weight_ppm, PPM) for pnl, s in zip(row, scenarios, strict=True)]
        worst = min(range(len(weighted)), key=weighted.__getitem__)
        losses.append(UnderlyingLoss(underlying, max(-weighted[worst], Fraction(0)), worst))
    return losses


def requirement_value(max_loss_value: Fraction, factor_wad: int, contingency_value: Fraction) -> int:
    """Return ``⌈factor · max_loss + contingency⌉`` value atoms: the one rounding, up (module docstring)."""
    return math.ceil(max_loss_value * Fraction(factor_wad, WAD) + contingency_value)
