"""The per-market rule of dynamic margins: floor, ceiling, bounded step and minimum interval.

A market whose params carry a :class:`DynamicMarginRule` lets a principal holding the
``risk_model`` role move its initial and maintenance rates with ``UpdateRiskMargin``, without a
timelock: the automatic model of issue 12, bounded like the governance bounded-step rule
(SPEC §2.3, §2.5) instead of delayed. One update moves each rate ``v`` by at most
``ceil(v · max_step_wad / WAD)`` (the governance ``step_allowance``), keeps both rates in
``[floor_wad, ceiling_wad]`` with maintenance ≤ initial, and comes at least ``min_interval_ns``
after the market's previous update. Only a FLAT market has a rule: the size-dependent models
ignore the two flat rates.
"""

from __future__ import annotations

from dataclasses import dataclass

from ringfence.core.errors import InvalidParameter
from ringfence.core.units import WAD
from ringfence.core.validation import check_int, check_ratio

__all__ = ["MAX_UPDATE_INTERVAL_NS", "DynamicMarginRule", "check_dynamic_margin_rule"]

MAX_UPDATE_INTERVAL_NS = 365 * 86_400 * 10**9
"""Longest minimum interval accepted: one year (the longest timelock governance accepts)."""


@dataclass(frozen=True, slots=True)
class DynamicMarginRule:
    """Where and how fast the risk model may move a market's two flat margin rates."""

    floor_wad: int
    """Lowest rate either margin may take (WAD, > 0)."""
    ceiling_wad: int
    """Highest rate either margin may take (WAD, ≤ 1)."""
    max_step_wad: int
    """Largest move of each rate per update, relative to its current value (WAD)."""
    min_interval_ns: int
    """Shortest time between two updates of the market."""


def check_dynamic_margin_rule(
    rule: DynamicMarginRule, initial_margin_wad: int, maintenance_margin_wad: int, flat: bool
) -> None:
    """Refuse a rule out of range, on a non-FLAT market, or whose band excludes the current rates.

    Raises
    ------
    InvalidAmount
        A ratio of the rule outside its range.
    InvalidParameter
        The interval out of range, a size-dependent margin model, or a rate outside the band.
    """
    if not flat:
        raise InvalidParameter(
            "dynamic_margin", rule, "no rule on a size-dependent margin model (it ignores flat rates)"
        )
    check_ratio("dynamic_margin.floor_wad", rule.floor_wad, 1, WAD)
    check_ratio("dynamic_margin.ceiling_wad", rule.ceiling_wad, rule.floor_wad, WAD)
    check_ratio("dynamic_margin.max_step_wad", rule.max_step_wad, 1, WAD)
    check_int("dynamic_margin.min_interval_ns", rule.min_interval_ns, 0, MAX_UPDATE_INTERVAL_NS)
    for field, value in (
        ("maintenance_margin_wad", maintenance_margin_wad),
        ("initial_margin_wad", initial_margin_wad),
    ):
        if not rule.floor_wad <= value <= rule.ceiling_wad:
            raise InvalidParameter(field, value, f"a rate in the dynamic band [{rule.floor_wad}, {rule.ceiling_wad}]")
