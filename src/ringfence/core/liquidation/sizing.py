"""Liquidation sizing: the repayment (or close) that brings health back to a target (SPEC §2.6, *Sizing*).

Aave v4's debt to target, ``l = D·(THF − HF)/(THF − LB·CF)``
(:func:`aave_v4_debt_to_target`), is one case of :func:`repay_to_target_health`, the
general form a pool's ``TARGET_HEALTH`` rule runs on a perpetual position
(:func:`~ringfence.core.liquidation.perpetual.target_health_size_atoms`). The close factor and
the whole position are in :mod:`~ringfence.core.liquidation.perpetual`; the lending-form
presets no pool can select (Aave v3.3's close factor on a debt reserve, Aave v4's
debt-dust extension, the whole-debt rule) are in :mod:`~ringfence.core.liquidation.reference`.

Conventions: values (``*_value``) are value atoms (:data:`~ringfence.core.units.VALUE_DECIMALS`
decimals of the numeraire); ratios and health factors (``*_wad``) are ``WAD``-scaled; a
*liquidation bonus* is a multiplier ``≥ 1.0`` (``1.05``: the keeper receives collateral worth
5% more than the debt it repays). A repayment needed to restore health rounds up (SPEC §1).
"""

from __future__ import annotations

from ringfence.core.errors import InvalidAmount, InvalidParameter
from ringfence.core.units import WAD, Rounding, mul_div
from ringfence.core.validation import check_ratio

__all__ = ["aave_v4_debt_to_target", "repay_to_target_health", "target_reachable"]


def _require_value(field: str, value: int) -> None:
    if value < 0:
        raise InvalidAmount(field, value, "a non-negative value in value atoms")


def aave_v4_debt_to_target(
    *,
    total_debt_value: int,
    health_factor_wad: int,
    target_health_factor_wad: int,
    liquidation_bonus_wad: int,
    collateral_factor_wad: int,
) -> int:
    """Return the debt to repay so the health factor reaches the target, rounded up.

    Formula (Aave v4 ``_calculateDebtToTargetHealthFactor``)::

        l = D · (THF − HF) / (THF − LB · CF)

    Repaying ``l`` of debt and seizing ``LB·l`` of collateral weighted ``CF`` moves the
    health factor ``(HF·D − LB·CF·l)/(D − l)`` exactly to ``THF``. Zero when ``HF ≥ THF``.

    Source: ``aave/aave-v4`` ``src/spoke/libraries/LiquidationLogic.sol``. Aave rounds
    ``LB·CF`` up and then the quotient up; ringfence rounds the exact quotient up once, so
    the account reaches at least ``THF``.

    Raises
    ------
    InvalidParameter
        If ``THF < 1``, ``LB < 1``, ``CF ∉ [0, 1)`` or ``LB·CF ≥ THF`` (no finite size).
    """
    _require_value("total_debt_value", total_debt_value)
    if health_factor_wad < 0:
        raise InvalidParameter("health_factor_wad", health_factor_wad, "a non-negative WAD health factor")
    if target_health_factor_wad < WAD:
        raise InvalidParameter("target_health_factor_wad", target_health_factor_wad, f"at least {WAD}")
    if liquidation_bonus_wad < WAD:
        raise InvalidParameter("liquidation_bonus_wad", liquidation_bonus_wad, f"a multiplier of at least {WAD}")
    check_ratio("collateral_factor_wad", collateral_factor_wad, 0, WAD - 1)
    if not target_reachable(target_health_factor_wad, WAD, liquidation_bonus_wad * collateral_factor_wad):
        raise InvalidParameter(
            "liquidation_bonus_wad",
            liquidation_bonus_wad,
            "LB·CF below the target health factor (a liquidation must be able to restore health)",
        )
    repay = repay_to_target_health(
        units=total_debt_value,
        debt=WAD,
        adjusted_collateral=health_factor_wad * WAD,
        target_health_wad=target_health_factor_wad,
        debt_removed=WAD,
        collateral_lost=liquidation_bonus_wad * collateral_factor_wad,
    )
    assert repay is not None  # the denominator was checked positive above
    return repay


def repay_to_target_health(
    *, units: int, debt: int, adjusted_collateral: int, target_health_wad: int, debt_removed: int, collateral_lost: int
) -> int | None:
    """Return the smallest repayment that brings health ``A/D`` to the target: ``⌈units·(T·D − A)/(T·d − a)⌉``.

    Health is ``A/D`` with ``A`` WAD-scaled (``A = H·D``); repaying all ``units`` removes ``d``
    of debt and ``a`` of adjusted collateral (``a`` WAD-scaled like ``A``), pro rata. Then
    ``(A − x·a/units)/(D − x·d/units) ≥ T ⟺ x ≥ units·(T·D − A)/(T·d − a)``: Aave v4's
    ``l = D·(THF − HF)/(THF − LB·CF)`` (:func:`aave_v4_debt_to_target` passes ``units = D``,
    ``D = d = WAD``, ``A = HF·WAD``, ``a = LB·CF``). Rounded up, so the target is reached.

    Returns
    -------
    int or None
        0 when health is at or above the target; None when no repayment reaches it
        (``T·d ≤ a``: each unit repaid costs at least as much health as it restores).

    Source: ``aave/aave-v4`` ``src/spoke/libraries/LiquidationLogic.sol``
    (``_calculateDebtToTargetHealthFactor``).
    """
    numerator = target_health_wad * debt - adjusted_collateral
    if numerator <= 0:
        return 0
    if not target_reachable(target_health_wad, debt_removed, collateral_lost):
        return None
    return mul_div(units, numerator, target_health_wad * debt_removed - collateral_lost, Rounding.UP)


def target_reachable(target_health_wad: int, debt_removed: int, collateral_lost: int) -> bool:
    """Return whether repaying restores health toward the target: ``T·d > a`` (Aave v4 ``THF > LB·CF``).

    With ``T·d ≤ a`` each unit repaid costs at least as much weighted collateral as the target
    asks for the debt it removes: no repayment reaches the target (Aave v4 requires
    ``LB·CF < 1 ≤ THF``, ``Spoke._validateDynamicReserveConfig``).
    """
    return target_health_wad * debt_removed > collateral_lost
