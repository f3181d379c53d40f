"""Reference presets: venue formulas the conformance tests certify but no pool can select.

Why each is here rather than in the engine's modules:

- **Lending-form sizing** (Aave v3.3's close factor on a debt reserve with its $2,000 and
  $1,000 thresholds and dust rule, Aave v4's debt-to-liquidate with its debt-dust extension,
  the whole-debt rule of Euler v2 and Morpho Blue, the weighted health factor): a ringfence pool
  liquidates perpetual positions, not debt reserves against collateral reserves. Its rules are
  the perpetual forms in :mod:`~ringfence.core.liquidation.perpetual` (close factor on the
  position, Aave v4's target via :func:`~ringfence.core.liquidation.sizing.repay_to_target_health`,
  the whole position), selected by ``LiquidationPolicy.sizing``.
- **Aave's seizure with a protocol fee on the bonus**, and the health projection built on it:
  a perpetual's liquidation seizes no collateral reserve; its penalty is charged on the closed
  notional and split keeper / insurance fund
  (:func:`~ringfence.core.liquidation.incentive.split_paid_penalty`).
  :func:`toxic_loan_to_value_wad` is the rounded display form of the exact toxic test the
  engine runs (:func:`~ringfence.core.liquidation.incentive.liquidation_lowers_health`).
- **Maker's ``Hole``/``Dirt`` capacity counters and ``bark`` sizing**: a pool paces keeper
  liquidations with a fixed window of notional
  (:class:`~ringfence.core.liquidation.window.Window`), not with value in live auctions;
  its collateral auctions (``core/pool/auction.py``) have no capacity cap.

They stay exact, sourced and tested so that a pool rule built on one later starts from a
certified formula: move it out of this module when a pool can select it.

Conventions as in the modules they came from: values (``*_value``) are value atoms
(:data:`~ringfence.core.units.VALUE_DECIMALS` decimals of the numeraire), ratios and health
factors (``*_wad``) are ``WAD``-scaled, a bonus is a multiplier ``≥ 1.0``; every inexact
division goes through :func:`~ringfence.core.units.mul_div` with a stated direction (SPEC §1).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import NamedTuple

from ringfence.core.errors import InvalidAmount, InvalidParameter
from ringfence.core.liquidation.incentive import _require_amount, _require_multiplier
from ringfence.core.liquidation.pacing import apply_dust_floor
from ringfence.core.liquidation.perpetual import health_lowered
from ringfence.core.liquidation.sizing import _require_value, aave_v4_debt_to_target
from ringfence.core.units import VALUE_DECIMALS, WAD, Rounding, mul_div
from ringfence.core.validation import check_ratio

__all__ = [
    "AAVE_V3_CLOSE_FACTOR_HF_THRESHOLD_WAD",
    "AAVE_V3_DEFAULT_CLOSE_FACTOR_WAD",
    "AAVE_V3_MIN_BASE_MAX_CLOSE_FACTOR_VALUE",
    "AAVE_V3_MIN_LEFTOVER_VALUE",
    "AAVE_V4_DUST_LIQUIDATION_VALUE",
    "BonusSeizure",
    "CloseFactorSizing",
    "HealthChange",
    "HoleCap",
    "SizingInput",
    "SizingPolicy",
    "TargetHealthSizing",
    "WholePositionSizing",
    "aave_v3_leaves_dust",
    "aave_v3_max_debt_to_cover",
    "aave_v4_debt_to_liquidate",
    "health_before_and_after",
    "hole_charge",
    "hole_release",
    "hole_room",
    "maker_bark_debt",
    "max_debt_to_cover",
    "seize_collateral_with_bonus",
    "toxic_loan_to_value_wad",
    "weighted_health_factor_wad",
    "whole_position_debt_to_cover",
]


# --- lending-form sizing (Aave v3.3, Aave v4, Euler v2 / Morpho Blue) -----------------------------


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


# --- Aave seizure with a protocol fee on the bonus, and the health projection ---------------------


class BonusSeizure(NamedTuple):
    """Outcome of an Aave-style seizure, in atoms of each asset."""

    collateral_seized_atoms: int
    """Collateral taken from the account (keeper part plus protocol fee)."""
    collateral_to_liquidator_atoms: int
    """Collateral the keeper receives."""
    protocol_fee_atoms: int
    """Collateral the protocol keeps: ``protocol_fee`` of the bonus part."""
    debt_repaid_atoms: int
    """Debt the keeper repays (less than offered when the collateral runs out)."""


def seize_collateral_with_bonus(
    debt_to_cover_atoms: int,
    *,
    debt_price_wad: int,
    debt_decimals: int,
    collateral_price_wad: int,
    collateral_decimals: int,
    liquidation_bonus_wad: int,
    protocol_fee_wad: int,
    collateral_balance_atoms: int,
) -> BonusSeizure:
    """Return the collateral seized for ``debt_to_cover_atoms`` of debt and how it is split.

    Formula (Aave v3 ``_calculateAvailableCollateralToLiquidate``, Aave v4
    ``_calculateLiquidationAmounts``)::

        s      = debt · debt_price / collateral_price · LB                (exact, in collateral units)
        if s > balance:  s = balance;  debt = ⌈balance · collateral_price / debt_price / LB⌉
        seized = ⌈s⌉                                                      (the account loses it: up)
        keeper = ⌊s · (1 − (LB − 1)/LB · protocol_fee)⌋                   (a payout: down)
        fee    = seized − keeper                                          (fee on the bonus part, plus dust)

    Prices are value per whole unit (``WAD``-scaled); each formula divides once, exactly.
    Aave v3 rounds the base and the bonus separately, the seizure down and the fee down;
    ringfence rounds against the account (SPEC §1): the seizure up, the keeper's collateral
    down, the residual atom to the protocol, and the capped repayment up. The health
    projection :func:`health_before_and_after` takes its seizure from here, so the two agree.

    Source: ``aave-dao/aave-v3-origin``
    ``src/contracts/protocol/libraries/logic/LiquidationLogic.sol`` (v3.3) and
    ``aave/aave-v4`` ``src/spoke/libraries/LiquidationLogic.sol``.
    """
    for field, amount in (
        ("debt_to_cover_atoms", debt_to_cover_atoms),
        ("collateral_balance_atoms", collateral_balance_atoms),
        ("debt_decimals", debt_decimals),
        ("collateral_decimals", collateral_decimals),
    ):
        _require_amount(field, amount)
    if debt_price_wad <= 0 or collateral_price_wad <= 0:
        raise InvalidAmount("price_wad", (debt_price_wad, collateral_price_wad), "positive prices")
    _require_multiplier("liquidation_bonus_wad", liquidation_bonus_wad)
    check_ratio("protocol_fee_wad", protocol_fee_wad, 0, WAD)
    # debt value = debt · debt_price / 10**debt_decimals; collateral units = value / collateral_price.
    debt_side = debt_price_wad * 10**collateral_decimals
    collateral_side = collateral_price_wad * 10**debt_decimals
    # the keeper keeps 1 − fee·(LB − 1)/LB of the exact seizure: ⌊·⌋ of it, the protocol the rest
    kept_share = liquidation_bonus_wad * WAD - (liquidation_bonus_wad - WAD) * protocol_fee_wad
    repaid_value = debt_to_cover_atoms * debt_side
    seized = mul_div(repaid_value, liquidation_bonus_wad, collateral_side * WAD, Rounding.UP)
    keeper = mul_div(repaid_value, kept_share, collateral_side * WAD * WAD, Rounding.DOWN)
    debt_repaid = debt_to_cover_atoms
    if seized > collateral_balance_atoms:
        seized = collateral_balance_atoms
        debt_repaid = mul_div(seized * collateral_side, WAD, debt_side * liquidation_bonus_wad, Rounding.UP)
        keeper = mul_div(seized, kept_share, liquidation_bonus_wad * WAD, Rounding.DOWN)
    return BonusSeizure(seized, keeper, seized - keeper, debt_repaid)


def toxic_loan_to_value_wad(liquidation_bonus_wad: int) -> int:
    """Return ``1 / LB``: above this loan-to-value a bonus-paying liquidation lowers health.

    Rounded down, so an account exactly at the boundary reads as toxic rather than safe;
    :func:`is_toxic_liquidation` decides exactly.
    """
    _require_multiplier("liquidation_bonus_wad", liquidation_bonus_wad)
    return mul_div(WAD, WAD, liquidation_bonus_wad, Rounding.DOWN)


@dataclass(frozen=True, slots=True)
class HealthChange:
    """An account's collateral and debt before and after one liquidation, with its health."""

    collateral_before_value: int
    debt_before_value: int
    collateral_after_value: int
    debt_after_value: int
    liquidation_threshold_wad: int

    @property
    def health_before_wad(self) -> int | None:
        """Return ``w·C/D`` before, in WAD rounded down (``None`` without debt)."""
        pairs = [(self.collateral_before_value, self.liquidation_threshold_wad)]
        return weighted_health_factor_wad(pairs, self.debt_before_value)

    @property
    def health_after_wad(self) -> int | None:
        """Return ``w·C'/D'`` after, in WAD rounded down (``None`` once the debt is repaid)."""
        pairs = [(self.collateral_after_value, self.liquidation_threshold_wad)]
        return weighted_health_factor_wad(pairs, self.debt_after_value)

    @property
    def health_lowered(self) -> bool:
        """Return whether health fell, compared exactly (``C'·D < C·D'``), not on rounded figures."""
        if self.debt_after_value == 0 or self.debt_before_value == 0:
            return False
        return health_lowered(
            self.collateral_before_value, self.debt_before_value, self.collateral_after_value, self.debt_after_value
        )


def health_before_and_after(
    *,
    collateral_value: int,
    debt_value: int,
    liquidation_threshold_wad: int,
    liquidation_bonus_wad: int,
    repay_value: int,
) -> HealthChange:
    """Return the account's state before and after repaying ``repay_value`` at a bonus.

    The account loses ``⌈repay·LB⌉`` of collateral, at most all of it: the seizure of
    :func:`seize_collateral_with_bonus` at equal prices (rounded up, against the account), and
    ``repay`` of debt. Single collateral, prices unchanged.
    """
    _require_amount("collateral_value", collateral_value)
    _require_amount("debt_value", debt_value)
    _require_amount("repay_value", repay_value)
    if repay_value > debt_value:
        raise InvalidAmount("repay_value", repay_value, f"at most the debt, {debt_value}")
    check_ratio("liquidation_threshold_wad", liquidation_threshold_wad, 0, WAD)
    seized = seize_collateral_with_bonus(
        repay_value,
        debt_price_wad=WAD,
        debt_decimals=0,
        collateral_price_wad=WAD,
        collateral_decimals=0,
        liquidation_bonus_wad=liquidation_bonus_wad,
        protocol_fee_wad=0,
        collateral_balance_atoms=collateral_value,
    ).collateral_seized_atoms
    return HealthChange(
        collateral_before_value=collateral_value,
        debt_before_value=debt_value,
        collateral_after_value=collateral_value - seized,
        debt_after_value=debt_value - repay_value,
        liquidation_threshold_wad=liquidation_threshold_wad,
    )


# --- Maker Hole / hole ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class HoleCap:
    """A cap on value in auction and the value currently in auction (Maker ``Hole``/``Dirt``)."""

    hole_value: int
    """Most value (``tab``, debt plus penalty) allowed in auctions at once, in value atoms."""
    dirt_value: int = 0
    """Value currently in auctions."""

    def __post_init__(self) -> None:
        """Reject negative fields."""
        if self.hole_value < 0 or self.dirt_value < 0:
            raise InvalidParameter("hole_value, dirt_value", (self.hole_value, self.dirt_value), "non-negative values")


def hole_room(global_cap: HoleCap, pool_cap: HoleCap) -> int:
    """Return the room left for new auctions: ``min(Hole − Dirt, hole − dirt)``, at least 0.

    ``dog.sol`` ``bark`` refuses to start an auction unless both ``Hole > Dirt`` and
    ``hole > dirt`` (``Dog/liquidation-limit-hit``); a room of 0 means exactly that. A bark may
    overshoot a cap by at most one dust-sized tab (see :func:`maker_bark_debt`), so ``dirt``
    can exceed ``hole``; the room is then 0, never negative.
    """
    return max(min(global_cap.hole_value - global_cap.dirt_value, pool_cap.hole_value - pool_cap.dirt_value), 0)


def hole_charge(cap: HoleCap, tab_value: int) -> HoleCap:
    """Return the cap after an auction of ``tab_value`` starts (``Dirt += tab``, ``dirt += tab``)."""
    if tab_value < 0:
        raise InvalidParameter("tab_value", tab_value, "a non-negative tab in value atoms")
    return replace(cap, dirt_value=cap.dirt_value + tab_value)


def hole_release(cap: HoleCap, value: int) -> HoleCap:
    """Return the cap after ``value`` leaves auction (``dog.sol`` ``digs``: raised, or yanked).

    Raises
    ------
    InvalidParameter
        If more than the value in auction would be released (Maker's ``sub`` underflow).
    """
    if not 0 <= value <= cap.dirt_value:
        raise InvalidParameter("value", value, f"between 0 and the {cap.dirt_value} value atoms in auction")
    return replace(cap, dirt_value=cap.dirt_value - value)


def maker_bark_debt(debt_value: int, room_value: int, chop_wad: int, dust_value: int) -> int:
    """Return the debt ``bark`` sends to auction, or 0 when no auction may start now.

    ``dog.sol`` ``bark`` (with the accumulated rate folded into ``debt_value``):

    - ``dart = min(art, room · WAD / chop)``: the tab ``dart · chop`` must fit in the room;
    - if the remainder ``art − dart`` would be dusty, liquidate the whole debt (the cap may be
      overshot by at most ``dust · chop``);
    - else a partial auction must itself not be dusty (``Dog/dusty-auction-from-partial-
      liquidation``): 0 here.

    The room bounds an amount the account pays, so the division rounds down (never past the
    cap except through the dust rule), as Maker's does.
    """
    if debt_value < 0 or room_value < 0 or dust_value < 0:
        raise InvalidParameter(
            "debt_value, room_value, dust_value", (debt_value, room_value, dust_value), "non-negative"
        )
    if chop_wad < WAD:
        raise InvalidParameter("chop_wad", chop_wad, f"a liquidation penalty factor of at least {WAD} (1.0)")
    if room_value == 0:
        return 0
    partial = min(debt_value, mul_div(room_value, WAD, chop_wad, Rounding.DOWN))
    debt = apply_dust_floor(debt_value, partial, dust_value)
    if debt < debt_value and debt < dust_value:
        return 0
    return debt
