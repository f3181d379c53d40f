"""Portfolio-margin scenarios in exact integers: a spot shock, a volatility move and a weight each.

A scenario moves every underlying's price by ``spot_shock_ppm`` (−160,000 is 16% down), moves
each option's implied volatility ``DOWN``, ``STATIC`` or ``UP`` (the volatility shock itself is
the option's own repricing), and counts its profit and loss at ``weight_ppm`` (1,000,000 for a
regular scenario; the dampener for an extreme one). The shocks are parts per million, so the
published grids are exact: Deribit's ±16% in 9 buckets is ``k · 40,000`` ppm for ``k = −4 … 4``.

Preset (its source cited; the float grids of :mod:`ringfence.risk.scenario_grid` build the same
scenarios in the same order, which ``tests/differential/test_portfolio_margin_vs_risk.py`` checks):

- :func:`deribit_standard_scenarios`: Deribit S:PM — the price range (±16% for BTC) in 9 evenly
  spaced buckets including 0, each with volatility up / same / down (27 scenarios), in the order
  bucket-major, ``UP, STATIC, DOWN`` (as :func:`ringfence.risk.scenario_grid.deribit_standard`);
  optionally the extended table of large moves (−66%, −33%, +50%, +100%, +200%, +300%, +400%,
  +500%) on volatility up, each at the dampener the caller passes (Deribit does not publish
  them). Source: Deribit support, "Portfolio Margin" (support.deribit.com, article 25944756247837).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from ringfence.core.errors import InvalidParameter

__all__ = [
    "DERIBIT_EXTENDED_MOVES_PPM",
    "PPM",
    "Scenario",
    "VolatilityMove",
    "check_scenarios",
    "deribit_standard_scenarios",
    "scenarios_of",
]

PPM = 1_000_000
"""Parts per million: the unit of a shock and of a weight."""
MAX_SCENARIOS = 64
"""Most scenarios a rule may hold (the published grids have 16 to 35)."""
MAX_SHOCK_PPM = 10 * PPM
"""Largest upward shock accepted (+1,000%); Deribit's extended table reaches +500%."""

DERIBIT_EXTENDED_MOVES_PPM = (-660_000, -330_000, 500_000, 1_000_000, 2_000_000, 3_000_000, 4_000_000, 5_000_000)
"""The extended table's price moves (Deribit support, "Portfolio Margin"), in ppm."""


class VolatilityMove(enum.IntEnum):
    """How a scenario moves implied volatility (the values of ``risk.scenario_grid.VolatilityMove``)."""

    DOWN = -1
    STATIC = 0
    UP = 1


@dataclass(frozen=True, slots=True)
class Scenario:
    """One scenario: ``spot_shock_ppm`` on every underlying, a volatility move, a weight in ppm."""

    spot_shock_ppm: int
    volatility_move: VolatilityMove
    weight_ppm: int


def check_scenarios(
    spot_shocks_ppm: tuple[int, ...], volatility_moves: tuple[int, ...], weights_ppm: tuple[int, ...]
) -> None:
    """Check a grid's parallel columns: one to ``MAX_SCENARIOS`` scenarios, shocks > −100%, weights in (0, 1].

    Raises
    ------
    InvalidParameter
        Naming the column, its value and what would be accepted.
    """
    count = len(spot_shocks_ppm)
    if not 1 <= count <= MAX_SCENARIOS or len(volatility_moves) != count or len(weights_ppm) != count:
        raise InvalidParameter(
            "spot_shocks_ppm", count, f"1 to {MAX_SCENARIOS} scenarios, one volatility move and one weight each"
        )
    for shock in spot_shocks_ppm:
        if type(shock) is not int or not -PPM < shock <= MAX_SHOCK_PPM:
            raise InvalidParameter("spot_shocks_ppm", shock, f"a whole number of ppm in (−{PPM}, {MAX_SHOCK_PPM}]")
    for move in volatility_moves:
        if type(move) is not int or move not in (-1, 0, 1):
            raise InvalidParameter("volatility_moves", move, "-1 (down), 0 (static) or 1 (up)")
    for weight in weights_ppm:
        if type(weight) is not int or not 0 < weight <= PPM:
            raise InvalidParameter("weights_ppm", weight, f"a whole number of ppm in (0, {PPM}]")


def scenarios_of(
    spot_shocks_ppm: tuple[int, ...], volatility_moves: tuple[int, ...], weights_ppm: tuple[int, ...]
) -> tuple[Scenario, ...]:
    """Return the checked scenarios of a grid's parallel columns (:func:`check_scenarios`)."""
    check_scenarios(spot_shocks_ppm, volatility_moves, weights_ppm)
    return tuple(
        Scenario(shock, VolatilityMove(move), weight)
        for shock, move, weight in zip(spot_shocks_ppm, volatility_moves, weights_ppm, strict=True)
    )


def deribit_standard_scenarios(
    price_range_ppm: int = 160_000, steps: int = 4, extended_weights_ppm: tuple[int, ...] = ()
) -> tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]:
    """Return Deribit S:PM's grid as parallel columns ``(shocks, volatility moves, weights)``.

    ``2·steps + 1`` buckets from ``−price_range`` to ``+price_range`` (each ``k·range/steps``,
    which must be a whole number of ppm), each with volatility up, same and down; then, when
    ``extended_weights_ppm`` is given (one dampener per move of
    :data:`DERIBIT_EXTENDED_MOVES_PPM`), the extended table on volatility up.

    Raises
    ------
    InvalidParameter
        A bucket that is not a whole number of ppm, or dampeners that do not match the table.
    """
    if type(steps) is not int or not 1 <= steps <= 10:
        raise InvalidParameter("steps", steps, "a whole number of steps from 1 to 10")
    if type(price_range_ppm) is not int or price_range_ppm % steps or not 0 < price_range_ppm < PPM:
        raise InvalidParameter("price_range_ppm", price_range_ppm, f"a range in (0, {PPM}) ppm divisible by {steps}")
    if extended_weights_ppm and len(extended_weights_ppm) != len(DERIBIT_EXTENDED_MOVES_PPM):
        raise InvalidParameter(
            "extended_weights_ppm", extended_weights_ppm, f"{len(DERIBIT_EXTENDED_MOVES_PPM)} dampeners or none"
        )
    bucket = price_range_ppm // steps
    moves = (VolatilityMove.UP, VolatilityMove.STATIC, VolatilityMove.DOWN)
    scenarios = [(k * bucket, int(move), PPM) for k in range(-steps, steps + 1) for move in moves]
    scenarios += [
        (shock, int(VolatilityMove.UP), weight)
        for shock, weight in zip(DERIBIT_EXTENDED_MOVES_PPM, extended_weights_ppm, strict=False)
    ]
    columns = (
        tuple(s for s, _, _ in scenarios),
        tuple(m for _, m, _ in scenarios),
        tuple(w for _, _, w in scenarios),
    )
    check_scenarios(*columns)
    return columns
