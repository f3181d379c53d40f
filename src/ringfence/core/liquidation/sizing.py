"""Liquidation sizing presets: how much debt a keeper may repay in one liquidation.

Three presets from real venues (SPEC §2.6, *Sizing*):

- :class:`CloseFactorSizing`: Aave v3.3's fixed close factor (50% of the total debt while
  the health factor is above 0.95, else 100%, and 100% for positions under $2,000), with
  its dust rule (:func:`aave_v3_leaves_dust`).
- :class:`TargetHealthSizing`: Aave v4's debt-to-target, the repayment that brings the
  health factor back to a target ``THF``: ``l = D·(THF − HF)/(THF − LB·CF)``, with its
  debt-dust extension.
- :class:`WholePositionSizing`: the whole debt at once (Euler v2 and Morpho Blue let a
  keeper repay all of an unhealthy position's debt).

Conventions shared by every function here:

- Values (``*_value``) are value atoms (:data:`~ringfence.core.units.VALUE_DECIMALS`
  decimals of the numeraire); ratios and health factors (``*_wad``) are ``WAD``-scaled.
- A *liquidation bonus* is a multiplier ``≥ 1.0``, as in Aave (``10500`` bps): ``1.05``
  means the keeper receives collateral worth 5% more than the debt it repays.
- The health factor is ``Σ collateral_value·liquidation_threshold / debt_value``
  (Aave ``GenericLogic.calculateUserAccountData``; Aave v4 names the threshold the
  *collateral factor*); an account with no debt has no health factor (``None``).
- Every inexact division goes through :func:`~ringfence.core.units.mul_div` with a stated
  direction: a cap on what the account can lose rounds down, a repayment needed to restore
  health rounds up (SPEC §1).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ringfence.core.errors import InvalidAmount, InvalidParameter
from ringfence.core.units import VALUE_DECIMALS, WAD, Rounding, mul_div
from ringfence.core.validation import check_ratio

__all__ = [
    "AAVE_V3_CLOSE_FACTOR_HF_THRESHOLD_WAD",
    "AAVE_V3_DEFAULT_CLOSE_FACTOR_WAD",
    "AAVE_V3_MIN_BASE_MAX_CLOSE_FACTOR_VALUE",
    "AAVE_V3_MIN_LEFTOVER_VALUE",
    "AAVE_V4_DUST_LIQUIDATION_VALUE",
    "CloseFactorSizing",
    "SizingInput",
    "SizingPolicy",
    "TargetHealthSizing",
    "WholePositionSizing",
    "aave_v3_leaves_dust",
    "aave_v3_max_debt_to_cover",
    "aave_v4_debt_to_liquidate",
    "aave_v4_debt_to_target",
    "max_debt_to_cover",
    "repay_to_target_health",
    "weighted_health_factor_wad",
    "whole_position_debt_to_cover",
]

_USD = 10**VALUE_DECIMALS

AAVE_V3_DEFAULT_CLOSE_FACTOR_WAD = WAD // 2
"""Aave v3.3 ``DEFAULT_LIQUIDATION_CLOSE_FACTOR = 0.5e4`` (50%)."""
AAVE_V3_CLOSE_FACTOR_HF_THRESHOLD_WAD = 95 * WAD // 100
"""Aave v3.3 ``CLOSE_FACTOR_HF_THRESHOLD = 0.95e18``: at or below it, 100% is liquidatable."""
AAVE_V3_MIN_BASE_MAX_CLOSE_FACTOR_VALUE = 2_000 * _USD
"""Aave v3.3 ``MIN_BASE_MAX_CLOSE_FACTOR_THRESHOLD = 2000e8`` ($2,000), in value atoms."""
AAVE_V3_MIN_LEFTOVER_VALUE = AAVE_V3_MIN_BASE_MAX_CLOSE_FACTOR_VALUE // 2
"""Aave v3.3 ``MIN_LEFTOVER_BASE = MIN_BASE_MAX_CLOSE_FACTOR_THRESHOLD / 2`` ($1,000)."""
AAVE_V4_DUST_LIQUIDATION_VALUE = 1_000 * _USD
"""Aave v4 ``DUST_LIQUIDATION_THRESHOLD = 1000e26`` ($1,000 in its 26-decimal value unit)."""


def _require_value(field: str, value: int) -> None:
    if value < 0:
        raise InvalidAmount(field, value, "a non-negative value in value atoms")


def weighted_health_factor_wad(collaterals: Iterable[tuple[int, int]], debt_value: int) -> int | None:
    """Return the health factor ``Σ value_i·threshold_i / debt`` in WAD, rounded down.

    Source: Aave v3, ``aave-dao/aave-v3-origin``
    ``src/contracts/protocol/libraries/logic/GenericLogic.sol`` (``calculateUserAccountData``:
    ``HF = totalCollateral·avgLiquidationThreshold / totalDebt``, which is the same sum).
    Aave rounds an average threshold and then half-up; ringfence divides once, exactly, and
    rounds down, so an account never looks healthier than it is.

    Parameters
    ----------
    collaterals:
        Pairs ``(collateral_value, liquidation_threshold_wad)``, one per collateral asset.
    debt_value:
        Total debt, in value atoms.

    Returns
    -------
    int or None
        The health factor in WAD, or ``None`` when there is no debt.
    """
    weighted = 0
    for value, threshold_wad in collaterals:
        _require_value("collateral_value", value)
        check_ratio("liquidation_threshold_wad", threshold_wad, 0, WAD)
        weighted += value * threshold_wad
    _require_value("debt_value", debt_value)
    if debt_value == 0:
        return None
    return mul_div(weighted, 1, debt_value, Rounding.DOWN)


@dataclass(frozen=True, slots=True)
class CloseFactorSizing:
    """Aave v3.3 close-factor sizing; the defaults are Aave's constants in value atoms.

    Source: ``aave-dao/aave-v3-origin``
    ``src/contracts/protocol/libraries/logic/LiquidationLogic.sol`` (v3.3):
    ``DEFAULT_LIQUIDATION_CLOSE_FACTOR``, ``CLOSE_FACTOR_HF_THRESHOLD``,
    ``MIN_BASE_MAX_CLOSE_FACTOR_THRESHOLD`` and ``MIN_LEFTOVER_BASE``.
    """

    close_factor_wad: int = AAVE_V3_DEFAULT_CLOSE_FACTOR_WAD
    """Share of the total debt liquidatable while the health factor is above the threshold."""
    full_liquidation_health_factor_wad: int = AAVE_V3_CLOSE_FACTOR_HF_THRESHOLD_WAD
    """At or below this health factor the whole debt position is liquidatable."""
    min_partial_liquidation_value: int = AAVE_V3_MIN_BASE_MAX_CLOSE_FACTOR_VALUE
    """Below this debt or collateral value the close factor is 100%."""
    min_leftover_value: int = AAVE_V3_MIN_LEFTOVER_VALUE
    """A partial liquidation must leave at least this much debt and collateral."""

    def __post_init__(self) -> None:
        """Validate the parameters."""
        check_ratio("close_factor_wad", self.close_factor_wad, 1, WAD)
        check_ratio("full_liquidation_health_factor_wad", self.full_liquidation_health_factor_wad, 0, WAD)
        if self.min_partial_liquidation_value < 0:
            raise InvalidParameter(
                "min_partial_liquidation_value", self.min_partial_liquidation_value, "a non-negative value"
            )
        if self.min_leftover_value < 0:
            raise InvalidParameter("min_leftover_value", self.min_leftover_value, "a non-negative value")


def aave_v3_max_debt_to_cover(
    policy: CloseFactorSizing,
    *,
    debt_value: int,
    collateral_value: int,
    health_factor_wad: int,
    total_debt_value: int | None = None,
) -> int:
    """Return the most debt a keeper may repay in one Aave v3.3 liquidation, in value atoms.

    Formula (Aave v3.3 ``executeLiquidationCall``)::

        max = debt
        if collateral ≥ $2,000 and debt ≥ $2,000 and HF > 0.95:
            max = min(debt, total_debt · 0.5)

    ``debt`` and ``collateral`` are the reserve pair being liquidated; the 50% applies to
    the account's *total* debt across reserves. At ``HF == 0.95`` exactly the whole debt
    is liquidatable (Aave's test is strictly greater).

    Source: ``aave-dao/aave-v3-origin``
    ``src/contracts/protocol/libraries/logic/LiquidationLogic.sol`` (v3.3). Aave rounds the
    50% half-up; ringfence rounds it down, because it caps what the account can lose.

    Parameters
    ----------
    policy:
        The close-factor parameters.
    debt_value:
        Value of the debt position being repaid.
    collateral_value:
        Value of the collateral position being seized.
    health_factor_wad:
        The account's health factor before the liquidation.
    total_debt_value:
        The account's total debt value; defaults to ``debt_value`` (a single debt).
    """
    total = debt_value if total_debt_value is None else total_debt_value
    _require_value("debt_value", debt_value)
    _require_value("collateral_value", collateral_value)
    _require_value("total_debt_value", total)
    if total < debt_value:
        raise InvalidAmount("total_debt_value", total, f"at least debt_value={debt_value}")
    partial_only = (
        collateral_value >= policy.min_partial_liquidation_value
        and debt_value >= policy.min_partial_liquidation_value
        and health_factor_wad > policy.full_liquidation_health_factor_wad
    )
    if not partial_only:
        return debt_value
    return min(debt_value, mul_div(total, policy.close_factor_wad, WAD, Rounding.DOWN))


def aave_v3_leaves_dust(
    policy: CloseFactorSizing,
    *,
    debt_value: int,
    collateral_value: int,
    debt_repaid_value: int,
    collateral_seized_value: int,
) -> bool:
    """Return whether a liquidation breaks Aave v3.3's dust rule (Aave reverts ``MUST_NOT_LEAVE_DUST``).

    Rule: a liquidation must repay all of the debt position, or seize all of the collateral
    position (protocol fee included), or leave at least ``min_leftover_value`` ($1,000) of
    *both* debt and collateral.

    Source: ``aave-dao/aave-v3-origin``
    ``src/contracts/protocol/libraries/logic/LiquidationLogic.sol`` (v3.3,
    ``MIN_LEFTOVER_BASE``; the check after ``_calculateAvailableCollateralToLiquidate``).

    Parameters
    ----------
    policy:
        The close-factor parameters (``min_leftover_value``).
    debt_value, collateral_value:
        The debt and collateral positions before the liquidation.
    debt_repaid_value, collateral_seized_value:
        What the liquidation repays and seizes (seizure including any protocol fee).
    """
    for field, value in (
        ("debt_value", debt_value),
        ("collateral_value", collateral_value),
        ("debt_repaid_value", debt_repaid_value),
        ("collateral_seized_value", collateral_seized_value),
    ):
        _require_value(field, value)
    if debt_repaid_value >= debt_value or collateral_seized_value >= collateral_value:
        return False
    debt_left = debt_value - debt_repaid_value
    collateral_left = collateral_value - collateral_seized_value
    return debt_left < policy.min_leftover_value or collateral_left < policy.min_leftover_value


@dataclass(frozen=True, slots=True)
class TargetHealthSizing:
    """Aave v4 target-health sizing: repay only what restores the target health factor.

    Source: ``aave/aave-v4`` ``src/spoke/libraries/LiquidationLogic.sol``
    (``_calculateDebtToLiquidate``, ``_calculateDebtToTargetHealthFactor``) and
    ``docs/features/LiquidationEngine.md``; ``Spoke.updateLiquidationConfig`` requires
    ``targetHealthFactor ≥ 1``.
    """

    target_health_factor_wad: int
    """The health factor a liquidation restores (Aave v4 ``targetHealthFactor``)."""
    dust_value: int = AAVE_V4_DUST_LIQUIDATION_VALUE
    """Debt left below this value is liquidated in full (Aave v4 ``DUST_LIQUIDATION_THRESHOLD``)."""

    def __post_init__(self) -> None:
        """Validate the parameters."""
        if self.target_health_factor_wad < WAD:
            raise InvalidParameter(
                "target_health_factor_wad", self.target_health_factor_wad, f"at least 1.0 ({WAD} in WAD)"
            )
        if self.dust_value < 0:
            raise InvalidParameter("dust_value", self.dust_value, "a non-negative value")


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
    denominator = target_health_factor_wad * WAD - liquidation_bonus_wad * collateral_factor_wad
    if denominator <= 0:
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
    denominator = target_health_wad * debt_removed - collateral_lost
    if denominator <= 0:
        return None
    return mul_div(units, numerator, denominator, Rounding.UP)


def aave_v4_debt_to_liquidate(
    policy: TargetHealthSizing,
    *,
    debt_value: int,
    debt_to_cover_value: int,
    total_debt_value: int,
    health_factor_wad: int,
    liquidation_bonus_wad: int,
    collateral_factor_wad: int,
) -> int:
    """Return the debt an Aave v4 liquidation repays: target-sized, extended to avoid dust.

    Formula (Aave v4 ``_calculateDebtToLiquidate``)::

        l = min(debt, debt_to_cover, debt_to_target)
        if 0 < debt − l < dust: l = debt     # debt dust is never left behind

    When the extension applies and ``debt_to_cover < debt``, Aave reverts
    ``MustNotLeaveDust``; the caller sees ``l > debt_to_cover`` and must refuse the same way.
    The collateral-side dust adjustment needs the seizure and lives with it (incentive).

    Source: ``aave/aave-v4`` ``src/spoke/libraries/LiquidationLogic.sol``.
    """
    _require_value("debt_value", debt_value)
    _require_value("debt_to_cover_value", debt_to_cover_value)
    debt_to_target = aave_v4_debt_to_target(
        total_debt_value=total_debt_value,
        health_factor_wad=health_factor_wad,
        target_health_factor_wad=policy.target_health_factor_wad,
        liquidation_bonus_wad=liquidation_bonus_wad,
        collateral_factor_wad=collateral_factor_wad,
    )
    repay = min(debt_value, debt_to_cover_value, debt_to_target)
    if repay < debt_value and debt_value - repay < policy.dust_value:
        return debt_value
    return repay


@dataclass(frozen=True, slots=True)
class WholePositionSizing:
    """Repay the whole debt position in one liquidation.

    Source: Euler v2, ``euler-xyz/euler-vault-kit`` ``src/EVault/modules/Liquidation.sol``
    (``calculateMaxLiquidation``: ``maxRepayValue = liabilityValue``) and Morpho Blue,
    ``morpho-org/morpho-blue`` ``src/Morpho.sol`` (``liquidate`` has no close factor).
    """


def whole_position_debt_to_cover(debt_value: int) -> int:
    """Return the whole debt: ``max = debt`` (no close factor, no target)."""
    _require_value("debt_value", debt_value)
    return debt_value


@dataclass(frozen=True, slots=True)
class SizingInput:
    """What a sizing policy needs to know about the account being liquidated."""

    debt_value: int
    """Value of the debt position the keeper repays."""
    collateral_value: int
    """Value of the collateral position the keeper seizes."""
    total_debt_value: int
    """The account's total debt value."""
    health_factor_wad: int
    """The account's health factor before the liquidation."""
    liquidation_bonus_wad: int = WAD
    """Bonus multiplier paid on this liquidation (target-health sizing only)."""
    collateral_factor_wad: int = 0
    """Weight of the seized collateral in the health factor (target-health sizing only)."""


SizingPolicy = CloseFactorSizing | TargetHealthSizing | WholePositionSizing
"""Any of the sizing presets."""


def max_debt_to_cover(policy: SizingPolicy, position: SizingInput) -> int:
    """Return the most debt one liquidation may repay under ``policy``, in value atoms.

    Dispatches to :func:`aave_v3_max_debt_to_cover`, :func:`aave_v4_debt_to_liquidate`
    (with the keeper offering to cover the whole debt) or
    :func:`whole_position_debt_to_cover`.
    """
    if isinstance(policy, CloseFactorSizing):
        return aave_v3_max_debt_to_cover(
            policy,
            debt_value=position.debt_value,
            collateral_value=position.collateral_value,
            health_factor_wad=position.health_factor_wad,
            total_debt_value=position.total_debt_value,
        )
    if isinstance(policy, TargetHealthSizing):
        return aave_v4_debt_to_liquidate(
            policy,
            debt_value=position.debt_value,
            debt_to_cover_value=position.debt_value,
            total_debt_value=position.total_debt_value,
            health_factor_wad=position.health_factor_wad,
            liquidation_bonus_wad=position.liquidation_bonus_wad,
            collateral_factor_wad=position.collateral_factor_wad,
        )
    return whole_position_debt_to_cover(position.debt_value)
