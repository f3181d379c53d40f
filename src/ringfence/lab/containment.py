"""Which mechanism contained an attack: the scenario's own design replayed with each mechanism switched off.

For a scenario with an ``[attacker]``, the study replays its own design (same population, paths
and draws, exact engine) four more times, each time with one mechanism off
(``docs/stress-model.md``, "Which mechanism contained the loss"):

- **isolation**: the rung becomes ``monolithic`` (one shared pool, cross margin over everything);
- **caps**: the pool's reserve factor becomes :data:`LIFTED_RESERVE_FACTOR` and every market's
  open-interest cap is removed;
- **stable price**: the Mango v4 stable price is off (margin at the oracle);
- **PnL weight**: every market counts positive unrealised PnL at weight 1.

A mechanism the design does not use (already monolithic, stable price already off, every
weight already 1) is shown as such, with the design's own figures: switching it off changes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ringfence.lab.scenario import Scenario
from ringfence.lab.scenario_agents import VenueDesign

__all__ = ["LIFTED_RESERVE_FACTOR", "MECHANISMS", "Variant", "containment_variants"]

LIFTED_RESERVE_FACTOR = 100.0
"""The largest reserve factor the engine accepts (net exposure 100 x the LP vault; ``check_pool_params``)."""
MECHANISMS = ("isolation", "caps", "stable price", "PnL weight")


@dataclass(frozen=True, slots=True)
class Variant:
    """One mechanism switched off: what changed, and the scenario to play (``None``: not in use)."""

    mechanism: str
    change: str
    scenario: Scenario | None


def _with_venue(scenario: Scenario, changes: dict[str, Any]) -> Scenario:
    venue = scenario.venue
    if venue is None:
        raise ValueError("a containment study needs a [venue] section")
    data = venue.model_dump()
    data.update(changes)
    return scenario.model_copy(update={"venue": VenueDesign.model_validate(data)})


def _isolation(scenario: Scenario, venue: VenueDesign) -> Variant:
    if venue.isolation == "monolithic":
        return Variant("isolation", "not in use: the design is monolithic", None)
    return Variant("isolation", f"{venue.isolation} → monolithic", _with_venue(scenario, {"isolation": "monolithic"}))


def _caps(scenario: Scenario, venue: VenueDesign) -> Variant:
    pool = {**venue.pool.model_dump(), "reserve_factor": max(venue.pool.reserve_factor, LIFTED_RESERVE_FACTOR)}
    markets = [{**market.model_dump(), "open_interest_cap": None} for market in venue.markets]
    capped = sum(market.open_interest_cap is not None for market in venue.markets)
    reserve = f"reserve factor {venue.pool.reserve_factor:g} → {LIFTED_RESERVE_FACTOR:g}"
    change = f"{reserve}; open-interest caps ({capped}) → none"
    return Variant("caps", change, _with_venue(scenario, {"pool": pool, "markets": markets}))


def _stable_price(scenario: Scenario, venue: VenueDesign) -> Variant:
    if not venue.stable_price:
        return Variant("stable price", "not in use: margin already at the oracle", None)
    return Variant("stable price", "on → off", _with_venue(scenario, {"stable_price": False}))


def _pnl_weight(scenario: Scenario, venue: VenueDesign) -> Variant:
    weighted = [market for market in venue.markets if market.pnl_weight < 1.0]
    if not weighted:
        return Variant("PnL weight", "not in use: every weight is already 1", None)
    markets = [{**market.model_dump(), "pnl_weight": 1.0} for market in venue.markets]
    change = ", ".join(f"{market.asset} {market.pnl_weight:g}" for market in weighted) + " → 1"
    return Variant("PnL weight", change, _with_venue(scenario, {"markets": markets}))


def containment_variants(scenario: Scenario) -> Sequence[Variant]:
    """Return one :class:`Variant` per mechanism of :data:`MECHANISMS`, in that order (none without attacker)."""
    venue = scenario.venue
    if scenario.attacker is None or venue is None:
        return ()
    return tuple(switch(scenario, venue) for switch in (_isolation, _caps, _stable_price, _pnl_weight))
