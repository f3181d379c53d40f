"""The liquidation decision for a linear perpetual: sizing, toxic check, path, pacing, settlement.

The engine (``core/pool/liquidate.py``) reads the ledger and writes events; every rounded
formula it applies to a liquidation is here, certified by ``tests/conformance/``, and the
venue presets it adapts live beside it (:mod:`~ringfence.core.liquidation.incentive`,
:mod:`~ringfence.core.liquidation.sizing`, :mod:`~ringfence.core.liquidation.pacing`).

A position's margin is equity ``E`` against a maintenance requirement ``R`` (health
``H = E/R``), its notional ``N`` and its own requirement ``R_p``. Closing a share ``f`` at the
oracle removes ``f·R_p`` of requirement and costs the account a penalty ``p·f·N``: the lending
formulas carry over with ``debt ↔ requirement`` and ``LB·CF ↔ p·N/R_p``
(:func:`~ringfence.core.liquidation.incentive.liquidation_lowers_health`,
:func:`~ringfence.core.liquidation.sizing.repay_to_target_health`).

Rounding (SPEC §1): what the account pays (penalty, execution cost, closed notional counted
against a cap) rounds up, what a keeper receives rounds down, equity rounds down and a
requirement up.
"""

from __future__ import annotations

from dataclasses import dataclass

from ringfence.core.errors import InvalidParameter
from ringfence.core.liquidation.incentive import liquidation_lowers_health, no_split_guard_holds, split_paid_penalty
from ringfence.core.liquidation.kinds import LiquidationReason
from ringfence.core.liquidation.pacing import apply_dust_floor
from ringfence.core.liquidation.sizing import repay_to_target_health, target_reachable
from ringfence.core.units import VALUE_DECIMALS, WAD, Rounding, mul_div

__all__ = [
    "ROUNDING_ALLOWANCE_ATOMS",
    "CloseSettlement",
    "PositionRisk",
    "backstop_close",
    "backstop_reason",
    "charge_execution_cost",
    "close_factor_size_atoms",
    "closed_notional_atoms",
    "execution_cost_atoms",
    "execution_gap_bound_wad",
    "health_lowered",
    "is_toxic",
    "keeper_close",
    "largest_health_scaled_penalty_wad",
    "largest_unsplit_penalty_wad",
    "no_split_guard_holds_on_notional",
    "paced_size_atoms",
    "target_health_size_atoms",
    "target_reachable_on_notional",
    "value_to_quote_atoms",
    "without_dust",
]

ROUNDING_ALLOWANCE_ATOMS = 3
"""Equity atoms one close may lose to rounding: penalty rounded up, basis removed rounded up, value floored."""


def value_to_quote_atoms(value: int, quote_decimals: int, rounding: Rounding) -> int:
    """Convert value atoms to quote atoms (the quote asset is at par with the numeraire)."""
    shift = VALUE_DECIMALS - quote_decimals
    return mul_div(value, 10 ** max(-shift, 0), 10 ** max(shift, 0), rounding)


@dataclass(frozen=True, slots=True)
class PositionRisk:
    """One position's margin at the oracle, in quote atoms (the account side for cross)."""

    size_atoms: int
    """Absolute size."""
    notional_atoms: int
    equity_atoms: int
    """Maintenance equity of the margin the position draws on (its vault, or the sub-account)."""
    requirement_atoms: int
    """Maintenance requirement of that margin."""
    position_requirement_atoms: int
    """This position's own share of the requirement."""

    def health_wad(self) -> int:
        """Return ``max(E, 0)/R`` in WAD, rounded up (a payout scaled by ``1 − H`` never exceeds the formula)."""
        return mul_div(max(self.equity_atoms, 0), WAD, self.requirement_atoms, Rounding.UP)


def closed_notional_atoms(risk: PositionRisk, size_atoms: int) -> int:
    """Return the notional of closing ``size_atoms`` of the position: ``⌈N·size/S⌉`` (counted against caps)."""
    return mul_div(risk.notional_atoms, size_atoms, risk.size_atoms, Rounding.UP)


def is_toxic(risk: PositionRisk, penalty_wad: int) -> bool:
    """Return whether a penalty-paying partial close would lower the account's health.

    Aave's toxic test ``H < w_k·LB`` (Aave CRV, November 2022) with ``LB·w_k ↔ p·N/R_p``:
    ``E·R_p·WAD < R·p·N``, decided exactly by
    :func:`~ringfence.core.liquidation.incentive.liquidation_lowers_health`. A bankrupt account
    (``E ≤ 0``) is not "toxic": it is closed whole; no penalty, no toxicity.
    """
    if risk.equity_atoms <= 0 or penalty_wad == 0:
        return False
    return liquidation_lowers_health(
        adjusted_collateral=risk.equity_atoms,
        debt=risk.requirement_atoms,
        collateral_lost=penalty_wad * risk.notional_atoms,
        debt_removed=risk.position_requirement_atoms * WAD,
    )


def target_health_size_atoms(target_wad: int, risk: PositionRisk, penalty_wad: int) -> int:
    """Return Aave v4's debt to target as a size: ``⌈S·(T·R − E)/(T·R_p − p·N)⌉``, at most ``S``.

    :func:`~ringfence.core.liquidation.sizing.repay_to_target_health` with the whole position
    as the unit: closing it removes ``R_p`` of requirement and ``p·N`` of equity. The equity is
    reduced by an allowance for the close's own rounding against the account (its penalty and
    requirement rounded up, its value floored: :data:`ROUNDING_ALLOWANCE_ATOMS` of equity, one
    of requirement), so the account is brought at least to the target. A close that cannot
    reach it (``T·R_p ≤ p·N``) is the whole position.
    """
    allowance = ROUNDING_ALLOWANCE_ATOMS * WAD + target_wad
    size = repay_to_target_health(
        units=risk.size_atoms,
        debt=risk.requirement_atoms,
        adjusted_collateral=risk.equity_atoms * WAD - allowance,
        target_health_wad=target_wad,
        debt_removed=risk.position_requirement_atoms,
        collateral_lost=penalty_wad * risk.notional_atoms,
    )
    return risk.size_atoms if size is None else min(size, risk.size_atoms)


def close_factor_size_atoms(risk: PositionRisk, close_factor_wad: int, full_liquidation_health_wad: int) -> int:
    """Return Aave v3.3's close-factor size: ``⌈S·close_factor⌉``, the whole position below the health threshold.

    Aave v3.3 ``LiquidationLogic.executeLiquidationCall`` (``aave-dao/aave-v3-origin``): 50% of
    the debt while ``HF > CLOSE_FACTOR_HF_THRESHOLD``, else 100%. On a perpetual the share is of
    the position, rounded up (the close is taken from the account).
    """
    if risk.health_wad() < full_liquidation_health_wad:
        return risk.size_atoms
    return mul_div(risk.size_atoms, close_factor_wad, WAD, Rounding.UP)


def without_dust(risk: PositionRisk, close_atoms: int, dust_atoms: int) -> int:
    """Return the whole size when closing ``close_atoms`` would leave less than ``dust_atoms`` of notional.

    Maker ``dog.bark`` ("if the leftover Vault would be dusty, just liquidate it entirely") via
    :func:`~ringfence.core.liquidation.pacing.apply_dust_floor`, in notional: the remainder
    ``N − ⌈N·close/S⌉ = ⌊N·(S − close)/S⌋``. A floor of 0 leaves every close as it is.
    """
    if dust_atoms == 0 or close_atoms >= risk.size_atoms:
        return min(close_atoms, risk.size_atoms)
    notional = risk.notional_atoms
    kept = apply_dust_floor(notional, closed_notional_atoms(risk, close_atoms), dust_atoms)
    return risk.size_atoms if kept == notional else close_atoms


def paced_size_atoms(risk: PositionRisk, wanted_atoms: int, room_atoms: int, dust_atoms: int) -> int:
    """Return a keeper close trimmed to the window's room (0: no room), then freed of dust.

    Maker ``dog.bark``: ``tab ≤ Hole − Dirt``, and a partial that would leave a dusty vault
    liquidates it entirely (the cap overshot by less than the dust). A close that fits is
    returned as it is (its dust rule applied before pacing).
    """
    if closed_notional_atoms(risk, wanted_atoms) <= room_atoms:
        return wanted_atoms
    trimmed = min(mul_div(risk.size_atoms, room_atoms, risk.notional_atoms, Rounding.DOWN), wanted_atoms)
    if trimmed == 0:
        return 0
    return without_dust(risk, trimmed, dust_atoms)


def health_lowered(equity_before: int, requirement_before: int, equity_after: int, requirement_after: int) -> bool:
    """Return whether health fell, ``E'/R' < E/R``, compared exactly by cross-multiplication (``E'·R < E·R'``).

    Requirements are positive. The engine checks every keeper close with it after the close's
    own roundings (SPEC §2.9, monotonicity).
    """
    return equity_after * requirement_before < equity_before * requirement_after


def no_split_guard_holds_on_notional(max_penalty_wad: int, maintenance_wad: int, health_for_max_wad: int) -> bool:
    """Return whether Aave v4's no-split guard holds for a penalty on a perpetual's notional: ``p_max ≤ m·h_max``.

    :func:`~ringfence.core.liquidation.incentive.no_split_guard_holds` with ``LB·CF ↔ p/m``. For
    Euler's health-scaled penalty ``min(1 − H, p_max)`` the ramp starts at ``h_max = 1 − p_max``.
    """
    return no_split_guard_holds(max_penalty_wad * WAD, maintenance_wad, health_for_max_wad)


def target_reachable_on_notional(target_wad: int, maintenance_wad: int, largest_penalty_wad: int) -> bool:
    """Return whether closing more always gets closer to the target health: ``T·m > p``.

    :func:`~ringfence.core.liquidation.sizing.target_reachable` (Aave v4 ``THF > LB·CF``) with
    ``LB·CF ↔ p/m``.
    """
    return target_reachable(target_wad, maintenance_wad, largest_penalty_wad * WAD)


def largest_unsplit_penalty_wad(maintenance_wad: int, health_for_max_wad: int) -> int:
    """Return the largest penalty :func:`no_split_guard_holds_on_notional` accepts: ``⌊m·h_max⌋``."""
    return mul_div(maintenance_wad, health_for_max_wad, WAD, Rounding.DOWN)


def largest_health_scaled_penalty_wad(maintenance_wad: int) -> int:
    """Return the largest cap a health-scaled penalty may have: ``⌊m/(1 + m)⌋`` (``p ≤ m·(1 − p)``)."""
    return mul_div(maintenance_wad, WAD, WAD + maintenance_wad, Rounding.DOWN)


def backstop_reason(
    risk: PositionRisk, penalty_wad: int, backstop_health_wad: int
) -> tuple[LiquidationReason, str] | None:
    """Return why the LP vault's backstop takes the position over (and the numbers, for a human), or None.

    Bankrupt (``E ≤ 0``), toxic (:func:`is_toxic`) or below the backstop threshold
    (Hyperliquid's liquidator vault takes positions below 2/3 of maintenance). None: the keeper path.
    """
    if risk.equity_atoms <= 0:
        return LiquidationReason.BANKRUPT, f"bankrupt: maintenance equity {risk.equity_atoms}"
    if is_toxic(risk, penalty_wad):
        return LiquidationReason.TOXIC, (
            f"toxic: equity {risk.equity_atoms} · position requirement {risk.position_requirement_atoms} "
            f"< requirement {risk.requirement_atoms} · penalty {penalty_wad} · notional {risk.notional_atoms}"
        )
    if risk.health_wad() < backstop_health_wad:
        detail = f"health {risk.health_wad()} below the backstop threshold {backstop_health_wad}"
        return LiquidationReason.BELOW_BACKSTOP_THRESHOLD, detail
    return None


@dataclass(frozen=True, slots=True)
class CloseSettlement:
    """What one liquidation close pays, in quote atoms."""

    keeper_reward: int
    insurance_penalty: int
    backstop_fee: int
    """Equity the account forfeits to the LP vault on the backstop path."""
    after: int
    """The margin side (isolated vault or quote balance) after everything was paid."""
    execution_cost: int = 0
    """Paid by the account to the keeper: oracle-realised PnL minus the PnL at the execution price."""


def keeper_close(
    available: int, realised_pnl: int, closed_notional: int, penalty_wad: int, liquidator_share_wad: int
) -> CloseSettlement:
    """Return a keeper close's settlement: penalty ``⌈notional·p⌉``, paid as far as the margin reaches.

    What is paid is split by :func:`~ringfence.core.liquidation.incentive.split_paid_penalty`
    (Drift v2 ``liquidator_fee`` / ``if_liquidation_fee``): the keeper ``⌊paid·share⌋``, the
    insurance fund the rest.
    """
    penalty = mul_div(closed_notional, penalty_wad, WAD, Rounding.UP)
    left = available + realised_pnl
    paid = min(penalty, max(left, 0))
    keeper, insurance = split_paid_penalty(paid, liquidator_share_wad)
    return CloseSettlement(keeper, insurance, 0, left - paid)


def backstop_close(available: int, realised_pnl: int, cap: int) -> CloseSettlement:
    """Return a backstop takeover's settlement: the account forfeits its equity left, up to ``cap``.

    Hyperliquid's liquidator vault takes the position at the oracle with no keeper bonus; the
    cap is the position's maintenance requirement.
    """
    left = available + realised_pnl
    forfeited = min(max(left, 0), cap)
    return CloseSettlement(0, 0, forfeited, left - forfeited)


def execution_gap_bound_wad(oracle_wad: int, max_gap_wad: int) -> int:
    """Return the largest distance of an execution price from the oracle: ``⌊oracle · max_gap⌋`` (price WAD)."""
    return mul_div(oracle_wad, max_gap_wad, WAD, Rounding.DOWN)


def execution_cost_atoms(
    size_atoms: int,
    oracle_wad: int,
    price_wad: int | None,
    is_long: bool,
    bound_wad: int,
    decimals: tuple[int, int],
) -> int:
    """Return the execution cost of closing ``size_atoms`` at ``price_wad`` instead of the oracle.

    ``size · |oracle − execution|`` in quote atoms, rounded up (against the account); 0 when
    no price is sent. ``bound_wad`` is the largest accepted gap (:func:`execution_gap_bound_wad`).

    Raises
    ------
    InvalidParameter
        If the price is not a positive integer, lies more than ``bound_wad`` from the oracle,
        or on the account's favourable side (above the oracle for a sale, below for a purchase).
    """
    if price_wad is None:
        return 0
    if isinstance(price_wad, bool) or not isinstance(price_wad, int) or price_wad <= 0:
        raise InvalidParameter("execution_price_wad", price_wad, "a positive integer price in WAD")
    gap = oracle_wad - price_wad if is_long else price_wad - oracle_wad
    if not 0 <= gap <= bound_wad:
        side = "at or below" if is_long else "at or above"
        raise InvalidParameter(
            "execution_price_wad",
            price_wad,
            f"a price {side} the oracle {oracle_wad}, at most {bound_wad} away from it",
        )
    base_dec, quote_dec = decimals
    return mul_div(size_atoms * gap * 10**quote_dec, 1, WAD * 10**base_dec, Rounding.UP)


def charge_execution_cost(
    close: CloseSettlement, cost: int, keeper_path: bool, liquidator_share_wad: int
) -> CloseSettlement:
    """Return the settlement with its execution cost charged to the margin side before the penalty.

    The penalty (or the forfeited equity on the backstop path) is what is left to pay after the
    cost, never more than it was at the oracle; a keeper penalty is split again by
    :func:`~ringfence.core.liquidation.incentive.split_paid_penalty`.
    """
    if cost == 0:
        return close
    paid_before = close.keeper_reward + close.insurance_penalty + close.backstop_fee
    left = close.after + paid_before - cost
    paid = min(paid_before, max(left, 0))
    if not keeper_path:
        return CloseSettlement(0, 0, paid, left - paid, cost)
    keeper, insurance = split_paid_penalty(paid, liquidator_share_wad)
    return CloseSettlement(keeper, insurance, 0, left - paid, cost)
