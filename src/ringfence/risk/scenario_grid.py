"""Scenario grids for portfolio margin: spot shocks × implied-volatility moves, with the venues' presets.

A grid is a list of scenarios; each moves every underlying's price by ``spot_shock`` (a fraction:
−0.16 is 16% down), moves each option's implied volatility ``DOWN``, ``STATIC`` or ``UP`` by a
:class:`VolatilityShock`, and counts the resulting profit and loss with a ``weight`` (1 for a
regular scenario; the dampener or cover fraction for an extreme one). The look-ahead (time that
passes before the scenario is valued) is the grid's ``look_ahead_years``.

Volatility shock (Deribit's published form, also Derive's), with ``d`` the option's days to expiry,
``p`` the short-term power for ``d < 30`` and the long-term power otherwise::

    σ_up   = max(σ · (1 + range_up · (30/d)^p), min_volatility_up)
    σ_down = σ · (1 − range_down · (30/d)^p)                        (refused if it is not > 0)

Presets (each cites its source; a parameter the source does not publish has no default and must be
passed, never guessed):

- :func:`deribit_standard`: Deribit S:PM — the price range (±16% for BTC) in 9 evenly spaced
  buckets including 0, each with volatility up / same / down (27 scenarios), plus the extended
  table of large moves (−66%, −33%, +50%, +100%, +200%, +300%, +400%, +500%) on volatility up only,
  each counting a fraction of its profit and loss (the dampener). Sources: Deribit support,
  "Portfolio Margin" (support.deribit.com, article 25944756247837), and Deribit's BTC-USD shock
  parameters as republished by Oreome's scenario API documentation (price range 0.16, 4 steps,
  volatility range up 0.5 / down 0.25, minimum volatility for the up shock 0.5, vega powers 0.3
  short-term / 0.13 long-term). Deribit does not publish the extended table's dampeners in any
  source we could read: they are a required argument.
- :func:`span_standard`: CME SPAN's 16 risk-array scenarios — price unchanged, ±⅓, ±⅔ and ±1 price
  scan range, each with volatility up and down (14), and two extreme moves of ``extreme_multiple``
  price scan ranges with volatility unchanged counting ``cover_fraction`` (35%) of their loss.
  Source: CME Group, "SPAN Methodology" and "Risk Arrays — Standard" (cmegroup.com; CME's
  pubspan pages). The volatility scan is multiplicative here (``σ·(1 ± vol_scan)``).
- :func:`derive_pm2`: Derive (Lyra v2) PM2 for ETH and BTC — 23 regular scenarios from −18% to +18%
  in 4.5% steps (up / static / down inside ±13.5%, up only at ±18%), and 8 tail scenarios on
  volatility up with the published dampening (−66%: 0.21, −33%: 0.42, +50%: 0.27, +100%: 0.13,
  +200%: 0.069, +300%: 0.046, +400%: 0.034, +500%: 0.027). Source: docs.derive.xyz,
  "Portfolio Margin Parameters [New]". The volatility shock parameters are passed in.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ringfence.core.errors import InvalidParameter
from ringfence.risk import _inputs
from ringfence.risk._inputs import FloatArray

__all__ = [
    "DERIBIT_BTC_SHOCK",
    "DERIBIT_EXTENDED_MOVES",
    "DERIVE_TAIL_DAMPENING",
    "ScenarioGrid",
    "VolatilityMove",
    "VolatilityShock",
    "deribit_standard",
    "derive_pm2",
    "span_standard",
]

DAYS_PER_YEAR = 365.0


class VolatilityMove(enum.IntEnum):
    """How a scenario moves implied volatility."""

    DOWN = -1
    STATIC = 0
    UP = 1


@dataclass(frozen=True, slots=True)
class VolatilityShock:
    """The implied-volatility shock by days to expiry (module docstring)."""

    range_up: float
    range_down: float
    min_volatility_up: float
    short_term_power: float
    long_term_power: float
    reference_days: float = 30.0

    def __post_init__(self) -> None:
        for name in ("range_up", "range_down", "min_volatility_up", "short_term_power", "long_term_power"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value >= 0.0):
                raise InvalidParameter(name, value, "a finite number >= 0")
        if not (math.isfinite(self.reference_days) and self.reference_days > 0.0):
            raise InvalidParameter("reference_days", self.reference_days, "a finite number > 0")

    def shocked(self, volatility: ArrayLike, expiry_years: ArrayLike, move: ArrayLike) -> FloatArray:
        """Return each option's volatility after ``move`` (broadcast over the three arguments)."""
        sigma = _inputs.positive("volatility", volatility)
        days = _inputs.positive("expiry_years", expiry_years) * DAYS_PER_YEAR
        moves = np.asarray(move)
        power = np.where(days < self.reference_days, self.short_term_power, self.long_term_power)
        scale = (self.reference_days / days) ** power
        up = np.maximum(sigma * (1.0 + self.range_up * scale), self.min_volatility_up)
        down = sigma * (1.0 - self.range_down * scale)
        result = np.where(moves > 0, up, np.where(moves < 0, down, sigma))
        if not (result > 0.0).all():
            raise InvalidParameter("range_down", self.range_down, "a down shock that leaves every volatility > 0")
        return np.asarray(result, dtype=np.float64)


DERIBIT_BTC_SHOCK = VolatilityShock(
    range_up=0.5, range_down=0.25, min_volatility_up=0.5, short_term_power=0.3, long_term_power=0.13
)
"""Deribit's BTC-USD volatility shock (module docstring: Oreome's republication of Deribit's parameters)."""

DERIBIT_EXTENDED_MOVES = (-0.66, -0.33, 0.5, 1.0, 2.0, 3.0, 4.0, 5.0)
"""The extended table's price moves (Deribit support, "Portfolio Margin")."""

DERIVE_TAIL_DAMPENING = (
    (-0.66, 0.21),
    (-0.33, 0.42),
    (0.5, 0.27),
    (1.0, 0.13),
    (2.0, 0.069),
    (3.0, 0.046),
    (4.0, 0.034),
    (5.0, 0.027),
)
"""Derive PM2's tail scenarios for ETH and BTC: (spot shock, dampening), volatility up."""


@dataclass(frozen=True, slots=True, eq=False)
class ScenarioGrid:
    """Scenarios as parallel arrays (one entry each), their volatility shock and look-ahead."""

    name: str
    spot_shock: FloatArray
    volatility_move: NDArray[np.int8]
    weight: FloatArray
    volatility_shock: VolatilityShock
    look_ahead_years: float

    @classmethod
    def of(
        cls,
        name: str,
        scenarios: list[tuple[float, VolatilityMove, float]],
        volatility_shock: VolatilityShock,
        look_ahead_years: float = 0.0,
    ) -> ScenarioGrid:
        """Return a checked grid from ``(spot shock, volatility move, weight)`` triples."""
        if not scenarios:
            raise InvalidParameter("scenarios", scenarios, "at least one scenario")
        shocks = np.array([s for s, _, _ in scenarios], dtype=np.float64)
        moves = np.array([int(m) for _, m, _ in scenarios], dtype=np.int8)
        weights = np.array([w for _, _, w in scenarios], dtype=np.float64)
        if not (np.isfinite(shocks).all() and (shocks > -1.0).all()):
            raise InvalidParameter("spot_shock", shocks.tolist(), "finite shocks > -1 (a price stays > 0)")
        if not (np.isfinite(weights).all() and (weights > 0.0).all() and (weights <= 1.0).all()):
            raise InvalidParameter("weight", weights.tolist(), "weights in (0, 1]")
        if not (math.isfinite(look_ahead_years) and look_ahead_years >= 0.0):
            raise InvalidParameter("look_ahead_years", look_ahead_years, "a finite number >= 0")
        return cls(name, shocks, moves, weights, volatility_shock, look_ahead_years)

    @property
    def size(self) -> int:
        """The number of scenarios."""
        return int(self.spot_shock.shape[0])


def deribit_standard(
    extended_dampeners: tuple[float, ...],
    price_range: float = 0.16,
    steps: int = 4,
    volatility_shock: VolatilityShock = DERIBIT_BTC_SHOCK,
    look_ahead_years: float = 0.0,
) -> ScenarioGrid:
    """Return Deribit S:PM's grid: 9 buckets × up/same/down, then the extended table on volatility up.

    ``extended_dampeners`` gives the fraction of profit and loss counted for each move of
    :data:`DERIBIT_EXTENDED_MOVES` (Deribit publishes the moves, not these fractions).
    """
    if len(extended_dampeners) != len(DERIBIT_EXTENDED_MOVES):
        raise InvalidParameter("extended_dampeners", extended_dampeners, f"{len(DERIBIT_EXTENDED_MOVES)} fractions")
    count = _inputs.count("steps", steps, 1)
    moves = (VolatilityMove.UP, VolatilityMove.STATIC, VolatilityMove.DOWN)
    buckets = [price_range * k / count for k in range(-count, count + 1)]
    scenarios = [(shock, move, 1.0) for shock in buckets for move in moves]
    scenarios += [
        (shock, VolatilityMove.UP, d) for shock, d in zip(DERIBIT_EXTENDED_MOVES, extended_dampeners, strict=True)
    ]
    return ScenarioGrid.of("deribit-spm", scenarios, volatility_shock, look_ahead_years)


def span_standard(
    price_scan_range: float,
    volatility_scan_range: float,
    extreme_multiple: float = 3.0,
    cover_fraction: float = 0.35,
    look_ahead_years: float = 1.0 / DAYS_PER_YEAR,
) -> ScenarioGrid:
    """Return CME SPAN's 16 scenarios in CME's order (module docstring); the look-ahead is one day."""
    shock = VolatilityShock(
        range_up=volatility_scan_range,
        range_down=volatility_scan_range,
        min_volatility_up=0.0,
        short_term_power=0.0,
        long_term_power=0.0,
    )
    scenarios: list[tuple[float, VolatilityMove, float]] = [
        (0.0, VolatilityMove.UP, 1.0),
        (0.0, VolatilityMove.DOWN, 1.0),
    ]
    for fraction in (1 / 3, 2 / 3, 1.0):
        for sign in (1.0, -1.0):
            scenarios += [
                (sign * fraction * price_scan_range, VolatilityMove.UP, 1.0),
                (sign * fraction * price_scan_range, VolatilityMove.DOWN, 1.0),
            ]
    scenarios += [
        (extreme_multiple * price_scan_range, VolatilityMove.STATIC, cover_fraction),
        (-extreme_multiple * price_scan_range, VolatilityMove.STATIC, cover_fraction),
    ]
    return ScenarioGrid.of("cme-span", scenarios, shock, look_ahead_years)


def derive_pm2(volatility_shock: VolatilityShock, look_ahead_years: float = 0.0) -> ScenarioGrid:
    """Return Derive PM2's ETH/BTC grid: 23 regular scenarios and 8 dampened tail scenarios."""
    scenarios: list[tuple[float, VolatilityMove, float]] = [(0.18, VolatilityMove.UP, 1.0)]
    for step in (3, 2, 1, 0, -1, -2, -3):
        for move in (VolatilityMove.UP, VolatilityMove.STATIC, VolatilityMove.DOWN):
            scenarios.append((0.045 * step, move, 1.0))
    scenarios.append((-0.18, VolatilityMove.UP, 1.0))
    scenarios += [(shock, VolatilityMove.UP, dampening) for shock, dampening in DERIVE_TAIL_DAMPENING]
    return ScenarioGrid.of("derive-pm2", scenarios, volatility_shock, look_ahead_years)
