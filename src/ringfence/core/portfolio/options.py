"""An option's repricing on the scenario grid, in exact integers: Deribit's volatility shock and Black-76.

Volatility shock (Deribit's published form, the one :class:`ringfence.risk.scenario_grid.VolatilityShock`
computes in floats), with ``d`` the option's days to expiry and ``p`` the short-term power when
``d < 30`` and the long-term power otherwise::

    σ_up   = max(σ · (1 + range_up · (30/d)^p), min_volatility_up)
    σ_down = max(σ · (1 − range_down · (30/d)^p), 0)

``(30/d)^p = exp(p · ln(30/d))`` is computed with the core's fixed-point ``ln`` and ``exp`` at
10⁻⁵⁰ (:mod:`ringfence.core.pricing.fixed_math`) and the shocked volatility floored to WAD. The float
model refuses a grid whose down shock leaves no volatility; the ledger cannot refuse to margin a
position, so a down shock past 0 prices the option at 0 volatility (its intrinsic value), and the
rule's validation keeps ``range_down < 1`` so this happens only within hours of expiry.
Sources: Deribit support, "Portfolio Margin"; Deribit's BTC-USD parameters as republished by
Oreome's scenario API documentation (range up 0.5, down 0.25, minimum up 0.5, powers 0.3 / 0.13).

Repricing (sticky strike, as the float model): the option's value per contract in scenario ``s`` is
Black-76 (:func:`ringfence.core.pricing.black76.black76`, at 10⁻⁵⁰) at the shocked forward
``⌊F · (1 + shock)⌋`` (WAD), the strike, the shocked volatility and the same time to expiry (the
Deribit grid has no look-ahead); its P&L is the difference to its value now, ``size ·
(V_s − V_0)``, kept exact (a :class:`~fractions.Fraction` of the pricing module's integers) until the
requirement's one rounding.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from ringfence.core.portfolio.grid import PPM, Scenario, VolatilityMove
from ringfence.core.pricing.black76 import black76
from ringfence.core.pricing.fixed_math import PRECISE, exp_precise, ln_precise
from ringfence.core.units import VALUE_DECIMALS, WAD

__all__ = ["NS_PER_DAY", "VolatilityShock", "option_pnl", "shocked_volatility_wad"]

NS_PER_DAY = 86_400 * 10**9
_TO_PRECISE = PRECISE // WAD


@dataclass(frozen=True, slots=True)
class VolatilityShock:
    """The volatility shock's parameters (WAD; ``reference_days`` whole days)."""

    range_up_wad: int
    range_down_wad: int
    min_volatility_up_wad: int
    short_term_power_wad: int
    long_term_power_wad: int
    reference_days: int = 30


def _term_scale_precise(shock: VolatilityShock, time_to_expiry_ns: int) -> int:
    """Return ``(reference/d)^p`` at PRECISE."""
    reference_ns = shock.reference_days * NS_PER_DAY
    power = shock.short_term_power_wad if time_to_expiry_ns < reference_ns else shock.long_term_power_wad
    log_ratio = ln_precise(reference_ns * PRECISE // time_to_expiry_ns)
    return exp_precise(log_ratio * power // WAD)


def shocked_volatility_wad(
    volatility_wad: int, time_to_expiry_ns: int, move: VolatilityMove, shock: VolatilityShock
) -> int:
    """Return the volatility after ``move`` (module docstring), floored to WAD; unchanged for STATIC or at expiry."""
    if move is VolatilityMove.STATIC or time_to_expiry_ns <= 0:
        return volatility_wad
    scale = _term_scale_precise(shock, time_to_expiry_ns)
    sigma = volatility_wad * _TO_PRECISE
    if move is VolatilityMove.UP:
        up = sigma + sigma * (shock.range_up_wad * _TO_PRECISE) // PRECISE * scale // PRECISE
        return max(up // _TO_PRECISE, shock.min_volatility_up_wad)
    down = sigma - sigma * (shock.range_down_wad * _TO_PRECISE) // PRECISE * scale // PRECISE
    return max(down // _TO_PRECISE, 0)


def _value_precise(forward_wad: int, strike_wad: int, volatility_wad: int, time_ns: int, is_call: bool) -> int:
    values = black76(forward_wad, strike_wad, volatility_wad, time_ns)
    return values.call_precise if is_call else values.put_precise


def option_pnl(
    size_atoms: int,
    base_decimals: int,
    contract: tuple[int, int, bool],
    volatility_wad: int,
    time_to_expiry_ns: int,
    scenarios: tuple[Scenario, ...],
    shock: VolatilityShock,
) -> tuple[Fraction, ...]:
    """Return an option position's exact P&L per scenario, in value atoms (module docstring).

    ``contract`` is ``(forward_wad, strike_wad, is_call)``; ``size_atoms`` signed contracts of one
    base atom each (the quote asset at par with the numeraire).
    """
    forward, strike, is_call = contract
    now = _value_precise(forward, strike, volatility_wad, time_to_expiry_ns, is_call)
    scale = Fraction(size_atoms * 10**VALUE_DECIMALS, 10**base_decimals * PRECISE)
    found = []
    for scenario in scenarios:
        shocked_forward = forward * (PPM + scenario.spot_shock_ppm) // PPM
        sigma = shocked_volatility_wad(volatility_wad, time_to_expiry_ns, scenario.volatility_move, shock)
        value = _value_precise(shocked_forward, strike, sigma, time_to_expiry_ns, is_call)
        found.append(scale * (value - now))
    return tuple(found)
