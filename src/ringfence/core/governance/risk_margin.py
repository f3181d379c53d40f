"""``UpdateRiskMargin``: the risk model moves a market's flat margin rates by bounded steps, no timelock.

The automatic model of issue 12 (SPEC §2.3): a principal holding ``Role.RISK_MODEL`` sets a
market's initial and maintenance rates, only within the market's
:class:`~ringfence.core.pool.dynamic_margin.DynamicMarginRule`. Each rate moves at most the
governance bounded step (:func:`~ringfence.core.governance.params.step_allowance`, rounded up)
from its current value and stays within the rule's floor and ceiling; a rate beyond is refused
with the range allowed, never clamped. The resulting params pass the same checks as
``AddMarket`` and a governance change (``check_market_params``, the template bounds), so
maintenance ≤ initial holds. Updates of one market are at least ``min_interval_ns`` apart.
A raised maintenance rate ramps in under the pool's policy as a governance change does.
"""

from __future__ import annotations

from dataclasses import replace

from ringfence.core.errors import CommandRejected, InvalidParameter, UnknownEntity
from ringfence.core.events import Event
from ringfence.core.governance.access import (
    check_reason,
    governance_of,
    pool_template_bounds,
    require_role,
    template_label,
)
from ringfence.core.governance.commands import UpdateRiskMargin
from ringfence.core.governance.events import RiskMarginUpdated
from ringfence.core.governance.params import check_within_bounds, step_allowance
from ringfence.core.governance.state import MARKET_SCOPE, Role
from ringfence.core.liquidation.ltv_ramp import start_ramp
from ringfence.core.pool.decide import check_market_params, pool_of
from ringfence.core.pool.dynamic_margin import DynamicMarginRule
from ringfence.core.pool.state import MarketState, PoolState
from ringfence.core.state import LedgerState
from ringfence.core.validation import check_ratio

__all__ = ["allowed_rate_range", "decide_update_risk_margin"]


def allowed_rate_range(rule: DynamicMarginRule, current_wad: int) -> tuple[int, int]:
    """Return the closed range one update may move a rate to from ``current_wad``.

    ``[max(floor, current − step), min(ceiling, current + step)]`` where ``step`` is the
    governance bounded step ``ceil(current · max_step_wad / WAD)``.
    """
    step = step_allowance(current_wad, None, rule.max_step_wad)
    if step is None:  # check_dynamic_margin_rule keeps every rate ≥ floor > 0
        raise InvalidParameter("current rate", current_wad, "a positive rate (the rule's floor is positive)")
    return max(rule.floor_wad, current_wad - step), min(rule.ceiling_wad, current_wad + step)


def _market(pool: PoolState, market: str) -> MarketState:
    found = pool.markets.get(market)
    if found is None:
        raise UnknownEntity(f"market of pool {pool.pool}", market, tuple(pool.markets))
    return found


def _rule(pool: PoolState, market: MarketState) -> DynamicMarginRule:
    rule = market.params.dynamic_margin
    if rule is None:
        raise CommandRejected(
            f"market {market.params.market} of pool {pool.pool} has no dynamic margin rule; its rates change by "
            "proposal (ProposeParameterChange); a market added with a dynamic_margin rule lets the risk model "
            "move them"
        )
    return rule


def _check_interval(rule: DynamicMarginRule, market: MarketState, now_ns: int) -> None:
    last = market.risk_margin_updated_ns
    if last is not None and now_ns - last < rule.min_interval_ns:
        raise CommandRejected(
            f"market {market.params.market} was updated at {last} ns; the next update is accepted from "
            f"{last + rule.min_interval_ns} ns (minimum interval {rule.min_interval_ns} ns)"
        )


def _check_step(rule: DynamicMarginRule, field: str, current_wad: int, new_wad: int) -> None:
    check_ratio(field, new_wad, 1)
    low, high = allowed_rate_range(rule, current_wad)
    if not low <= new_wad <= high:
        raise InvalidParameter(
            field,
            new_wad,
            f"a rate between {low} and {high} (one update moves it from {current_wad} by at most "
            f"{rule.max_step_wad}/1e18 of it, rounded up, within the band [{rule.floor_wad}, {rule.ceiling_wad}])",
        )


def decide_update_risk_margin(state: LedgerState, command: UpdateRiskMargin) -> list[Event]:
    """Set a market's initial and maintenance rates within its dynamic rule (module docstring)."""
    governance = governance_of(state)
    require_role(governance, command.actor, (Role.RISK_MODEL,), "update a market's risk margin")
    pool = pool_of(state, command.pool)
    market = _market(pool, command.market)
    rule = _rule(pool, market)
    check_reason("cause", command.cause)
    _check_interval(rule, market, command.timestamp_ns)
    old = market.params
    _check_step(rule, "initial_margin_wad", old.initial_margin_wad, command.initial_margin_wad)
    _check_step(rule, "maintenance_margin_wad", old.maintenance_margin_wad, command.maintenance_margin_wad)
    if (command.initial_margin_wad, command.maintenance_margin_wad) == (
        old.initial_margin_wad,
        old.maintenance_margin_wad,
    ):
        raise InvalidParameter("initial_margin_wad", command.initial_margin_wad, "a change of at least one rate")
    new = replace(
        old, initial_margin_wad=command.initial_margin_wad, maintenance_margin_wad=command.maintenance_margin_wad
    )
    check_market_params(state, new, pool.params)
    bounds = pool_template_bounds(governance, pool)
    if bounds is not None:
        check_within_bounds(new, MARKET_SCOPE, bounds, template_label(pool.template, pool.template_version))
    ramp = None
    if new.maintenance_margin_wad != old.maintenance_margin_wad:  # an unchanged rate keeps any ramp in progress
        ramp_ns = pool.params.liquidation.maintenance_ramp_ns
        ramp = start_ramp(
            old.maintenance_margin_wad,
            market.maintenance_ramp,
            new.maintenance_margin_wad,
            ramp_ns,
            command.timestamp_ns,
        )
    return [
        RiskMarginUpdated(
            actor=command.actor,
            pool=command.pool,
            market=command.market,
            old_initial_margin_wad=old.initial_margin_wad,
            new_initial_margin_wad=new.initial_margin_wad,
            old_maintenance_margin_wad=old.maintenance_margin_wad,
            new_maintenance_margin_wad=new.maintenance_margin_wad,
            cause=command.cause,
            timestamp_ns=command.timestamp_ns,
            ramp_original_wad=ramp.original_maintenance_wad if ramp else 0,
            ramp_target_ns=ramp.target_ns if ramp else 0,
            ramp_ns=ramp.ramp_ns if ramp else 0,
        )
    ]
