"""Liquidation incentive presets: what a keeper earns, who else is paid, and when it backfires.

Presets from real venues (SPEC §2.6, *Incentive* and *Toxic-liquidation guard*):

- :class:`FixedPenalty`: a fixed penalty on the repaid value, split between the keeper and
  the pool's insurance fund (Drift v2 ``liquidator_fee`` / ``if_liquidation_fee``).
- :class:`EulerDiscount`: Euler v2's health-scaled discount, ``1 − health score``, capped.
- :class:`AaveV4LiquidationBonus`: Aave v4's bonus, linear in the health factor between
  1.0 and ``healthFactorForMaxBonus``, with the no-split guard ``maxLB·CF ≤ hfForMaxBonus``
  checked at construction.
- :func:`morpho_liquidation_incentive_factor_wad`: Morpho Blue's
  ``LIF = min(1.15, 1/(1 − 0.3·(1 − LLTV)))`` and its seizure in both entry modes.
- :func:`is_toxic_liquidation`: whether a bonus-paying liquidation lowers the account's
  health (Aave CRV, November 2022), decided by :func:`liquidation_lowers_health`, which the
  engine runs on a perpetual (:func:`~ringfence.core.liquidation.perpetual.is_toxic`).

Aave's seizure with a protocol fee on the bonus, and the health projection built on it, are
reference presets no pool can select (:mod:`~ringfence.core.liquidation.reference`).

Conventions: values (``*_value``) are value atoms; ratios (``*_wad``) are ``WAD``-scaled; a
*bonus* or *incentive factor* is a multiplier ``≥ 1.0`` (``1.05`` pays 5% over the debt
repaid), a *rate* or *discount* is a fraction (``0.05``). Rounding follows SPEC §1 and the
venues: what the keeper receives rounds down, what it must repay rounds up, the protocol's
fee rounds up, and the collateral an account loses in a health projection rounds up.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from ringfence.core.errors import InvalidAmount, InvalidParameter
from ringfence.core.units import WAD, Rounding, mul_div
from ringfence.core.validation import check_ratio

__all__ = [
    "EULER_MAXIMUM_LIQUIDATION_DISCOUNT_WAD",
    "MORPHO_LIQUIDATION_CURSOR_WAD",
    "MORPHO_MAX_LIQUIDATION_INCENTIVE_FACTOR_WAD",
    "MORPHO_ORACLE_PRICE_SCALE",
    "MORPHO_VIRTUAL_ASSETS",
    "MORPHO_VIRTUAL_SHARES",
    "AaveV4LiquidationBonus",
    "EulerDiscount",
    "EulerLiquidation",
    "FixedPenalty",
    "MorphoLiquidation",
    "PenaltySplit",
    "aave_v4_liquidation_bonus_wad",
    "aave_v4_penalty_rate_wad",
    "euler_discount_wad",
    "euler_health_score_wad",
    "euler_max_liquidation",
    "euler_yield_value",
    "is_toxic_liquidation",
    "liquidation_lowers_health",
    "morpho_liquidation_incentive_factor_wad",
    "morpho_repaid_shares_for_seized_assets",
    "morpho_seized_assets_for_repaid_shares",
    "no_split_guard_holds",
    "split_fixed_penalty",
    "split_paid_penalty",
]

EULER_MAXIMUM_LIQUIDATION_DISCOUNT_WAD = WAD // 5
"""Euler v2's original ``MAXIMUM_LIQUIDATION_DISCOUNT = 0.2 * 1e18`` (now set per vault)."""

MORPHO_LIQUIDATION_CURSOR_WAD = 3 * WAD // 10
"""Morpho Blue ``LIQUIDATION_CURSOR = 0.3e18``."""
MORPHO_MAX_LIQUIDATION_INCENTIVE_FACTOR_WAD = 115 * WAD // 100
"""Morpho Blue ``MAX_LIQUIDATION_INCENTIVE_FACTOR = 1.15e18``."""
MORPHO_ORACLE_PRICE_SCALE = 10**36
"""Morpho Blue ``ORACLE_PRICE_SCALE``: a price is loan atoms per collateral atom times 1e36."""
MORPHO_VIRTUAL_SHARES = 10**6
"""Morpho Blue ``SharesMathLib.VIRTUAL_SHARES``."""
MORPHO_VIRTUAL_ASSETS = 1
"""Morpho Blue ``SharesMathLib.VIRTUAL_ASSETS``."""


def _require_amount(field: str, value: int) -> None:
    if value < 0:
        raise InvalidAmount(field, value, "a non-negative integer amount")


def _require_multiplier(field: str, value_wad: int) -> None:
    if value_wad < WAD:
        raise InvalidParameter(field, value_wad, f"a multiplier of at least 1.0 ({WAD} in WAD)")


# --- fixed penalty split ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FixedPenalty:
    """A fixed liquidation penalty on the repaid value, split between keeper and insurance fund.

    Source: Drift v2, ``drift-labs/protocol-v2`` ``programs/drift/src/state/perp_market.rs``
    (``PerpMarket.liquidator_fee``: "the fee the liquidator is paid";
    ``if_liquidation_fee``: "the fee the insurance fund receives from liquidation"). In these
    terms ``penalty_rate = liquidator_fee + if_liquidation_fee`` and
    ``liquidator_share = liquidator_fee / penalty_rate``.
    """

    penalty_rate_wad: int
    """Penalty charged to the account, as a fraction of the value repaid."""
    liquidator_share_wad: int
    """Fraction of the penalty paid to the keeper; the rest goes to the insurance fund."""

    def __post_init__(self) -> None:
        """Validate the parameters."""
        check_ratio("penalty_rate_wad", self.penalty_rate_wad, 0, WAD)
        check_ratio("liquidator_share_wad", self.liquidator_share_wad, 0, WAD)


class PenaltySplit(NamedTuple):
    """A penalty divided between keeper and insurance fund; unpacks as ``(reward, insurance)``."""

    liquidator_reward_value: int
    insurance_value: int

    @property
    def penalty_value(self) -> int:
        """Return the whole penalty the account pays."""
        return self.liquidator_reward_value + self.insurance_value


def split_fixed_penalty(params: FixedPenalty, repaid_value: int) -> PenaltySplit:
    """Return ``(liquidator_reward, insurance_share)`` for a liquidation repaying ``repaid_value``.

    Formula::

        penalty   = ⌈repaid · penalty_rate⌉          (the account pays: rounds up)
        reward    = ⌊penalty · liquidator_share⌋     (a payout: rounds down)
        insurance = penalty − reward                 (derived, so the split is exact)

    Source: Drift v2 ``PerpMarket.liquidator_fee`` / ``if_liquidation_fee``
    (``programs/drift/src/state/perp_market.rs``); see :class:`FixedPenalty`.
    """
    _require_amount("repaid_value", repaid_value)
    penalty = mul_div(repaid_value, params.penalty_rate_wad, WAD, Rounding.UP)
    return split_paid_penalty(penalty, params.liquidator_share_wad)


def split_paid_penalty(paid_value: int, liquidator_share_wad: int) -> PenaltySplit:
    """Split a penalty the account paid: ``⌊paid · share⌋`` to the keeper (a payout), the rest to the insurance fund.

    The second half of :func:`split_fixed_penalty`; the engine calls it on what the account
    could actually pay (a penalty cut short by the margin left, or by an execution cost).
    Source: Drift v2 ``PerpMarket.liquidator_fee`` / ``if_liquidation_fee``.
    """
    reward = mul_div(paid_value, liquidator_share_wad, WAD, Rounding.DOWN)
    return PenaltySplit(reward, paid_value - reward)


# --- Aave seizure with a protocol fee on the bonus ----------------------------------------------


# --- Euler v2: discount = 1 − health score, capped -----------------------------------------------


@dataclass(frozen=True, slots=True)
class EulerDiscount:
    """Euler v2's health-scaled liquidation discount.

    Source: ``euler-xyz/euler-vault-kit`` ``src/EVault/modules/Liquidation.sol``
    (``calculateMaxLiquidation``; the vault's ``maxLiquidationDiscount``, originally the
    constant ``MAXIMUM_LIQUIDATION_DISCOUNT = 0.2e18``).
    """

    max_discount_wad: int = EULER_MAXIMUM_LIQUIDATION_DISCOUNT_WAD
    """Largest discount a keeper can get, whatever the health score."""

    def __post_init__(self) -> None:
        """Validate the parameter (a discount of 100% would make the yield infinite)."""
        check_ratio("max_discount_wad", self.max_discount_wad, 0, WAD - 1)


def euler_health_score_wad(adjusted_collateral_value: int, liability_value: int) -> int:
    """Return Euler's health score ``Σ collateral·liquidation LTV / liability``, rounded up.

    Euler rounds the score down, which rounds the discount up in the keeper's favour;
    ringfence rounds it up so the discount, a payout, never exceeds the exact formula.

    Source: ``euler-xyz/euler-vault-kit`` ``src/EVault/modules/Liquidation.sol``
    (``discountFactor = collateralAdjustedValue * 1e18 / liabilityValue``).
    """
    _require_amount("adjusted_collateral_value", adjusted_collateral_value)
    if liability_value <= 0:
        raise InvalidAmount("liability_value", liability_value, "a positive liability (no debt, no liquidation)")
    return mul_div(adjusted_collateral_value, WAD, liability_value, Rounding.UP)


def euler_discount_wad(params: EulerDiscount, health_score_wad: int) -> int:
    """Return the liquidation discount ``min(max(1 − health, 0), max_discount)``.

    A health score of 1.0 or more means no violation: Euler refuses the liquidation; the
    discount is then 0 and the caller must not liquidate.

    Source: ``euler-xyz/euler-vault-kit`` ``src/EVault/modules/Liquidation.sol``
    ("discountFactor = health score = 1 − discount", floored at ``1 − maxLiquidationDiscount``).
    """
    if health_score_wad < 0:
        raise InvalidParameter("health_score_wad", health_score_wad, "a non-negative WAD health score")
    return min(max(WAD - health_score_wad, 0), params.max_discount_wad)


def euler_yield_value(discount_wad: int, repay_value: int) -> int:
    """Return the collateral value a keeper receives for ``repay_value``: ``⌊repay / (1 − discount)⌋``.

    Source: ``euler-xyz/euler-vault-kit`` ``src/EVault/modules/Liquidation.sol``
    (``maxYieldValue = maxRepayValue * 1e18 / discountFactor``, rounded down as there).
    """
    check_ratio("discount_wad", discount_wad, 0, WAD - 1)
    _require_amount("repay_value", repay_value)
    return mul_div(repay_value, WAD, WAD - discount_wad, Rounding.DOWN)


class EulerLiquidation(NamedTuple):
    """Euler's maximum liquidation of one collateral, in value atoms."""

    max_repay_value: int
    max_yield_value: int


def euler_max_liquidation(
    params: EulerDiscount,
    *,
    adjusted_collateral_value: int,
    liability_value: int,
    collateral_value: int,
) -> EulerLiquidation:
    """Return Euler's maximum repay and yield for one collateral of an unhealthy account.

    Formula (``calculateMaxLiquidation``; ``f = 1 − discount``)::

        repay = liability;  yield = ⌊liability / f⌋
        if collateral < yield:  repay = ⌈collateral · f⌉;  yield = collateral

    The whole liability is repayable at once (no close factor). When the collateral cannot
    cover the discounted yield, the keeper takes it all for less repayment; Euler rounds
    that repayment down, ringfence up (the keeper pays). A healthy account
    (``adjusted_collateral > liability``) gives ``(0, 0)``, as Euler's ``checkLiquidation``.

    Source: ``euler-xyz/euler-vault-kit`` ``src/EVault/modules/Liquidation.sol``.
    """
    _require_amount("collateral_value", collateral_value)
    health = euler_health_score_wad(adjusted_collateral_value, liability_value)
    if adjusted_collateral_value > liability_value:
        return EulerLiquidation(0, 0)
    discount = euler_discount_wad(params, health)
    max_yield = euler_yield_value(discount, liability_value)
    if collateral_value >= max_yield:
        return EulerLiquidation(liability_value, max_yield)
    repay = mul_div(collateral_value, WAD - discount, WAD, Rounding.UP)
    return EulerLiquidation(repay, collateral_value)


# --- Aave v4: linear bonus between HF 1 and hfForMaxBonus ----------------------------------------


@dataclass(frozen=True, slots=True)
class AaveV4LiquidationBonus:
    """Aave v4's Dutch-auction bonus for one collateral, with the no-split guard enforced.

    The guard ``maxLB · CF ≤ hfForMaxBonus`` makes every liquidation in the interpolation
    region (``HF > hfForMaxBonus``) raise the health factor (it rises iff ``LB·CF < HF``),
    so splitting one liquidation into several to climb the bonus curve never pays. Aave v4
    leaves it to governance (``docs/features/LiquidationEngine.md``, *Preventing Liquidation
    Splits*); its code enforces only the weaker ``maxLB·CF < 1``
    (``Spoke._validateDynamicReserveConfig``). ringfence refuses to build a violating preset.

    Source: ``aave/aave-v4`` ``src/spoke/libraries/LiquidationLogic.sol``
    (``calculateLiquidationBonus``) and ``src/spoke/Spoke.sol``
    (``updateLiquidationConfig``: ``liquidationBonusFactor ≤ 100%``,
    ``healthFactorForMaxBonus < 1``).
    """

    max_liquidation_bonus_wad: int
    """Bonus multiplier at and below ``health_factor_for_max_bonus_wad`` (e.g. 1.05)."""
    liquidation_bonus_factor_wad: int
    """Share of the max bonus paid at HF = 1: ``minLB = 1 + (maxLB − 1)·factor``."""
    health_factor_for_max_bonus_wad: int
    """Health factor at and below which the maximum bonus applies."""
    collateral_factor_wad: int
    """Weight of this collateral in the health factor."""

    def __post_init__(self) -> None:
        """Validate the parameters and the no-split guard."""
        _require_multiplier("max_liquidation_bonus_wad", self.max_liquidation_bonus_wad)
        check_ratio("liquidation_bonus_factor_wad", self.liquidation_bonus_factor_wad, 0, WAD)
        check_ratio("health_factor_for_max_bonus_wad", self.health_factor_for_max_bonus_wad, 0, WAD - 1)
        check_ratio("collateral_factor_wad", self.collateral_factor_wad, 1, WAD - 1)
        guard = no_split_guard_holds(
            self.max_liquidation_bonus_wad * self.collateral_factor_wad, WAD, self.health_factor_for_max_bonus_wad
        )
        if not guard:
            raise InvalidParameter(
                "max_liquidation_bonus_wad",
                self.max_liquidation_bonus_wad,
                f"maxLB·CF ≤ hfForMaxBonus (the no-split guard); with CF={self.collateral_factor_wad} and "
                f"hfForMaxBonus={self.health_factor_for_max_bonus_wad}, maxLB at most "
                f"{self.health_factor_for_max_bonus_wad * WAD // self.collateral_factor_wad}",
            )

    @property
    def min_liquidation_bonus_wad(self) -> int:
        """Return the bonus at HF = 1: ``1 + ⌊(maxLB − 1)·factor⌋``."""
        bonus_part = self.max_liquidation_bonus_wad - WAD
        return WAD + mul_div(bonus_part, self.liquidation_bonus_factor_wad, WAD, Rounding.DOWN)


def no_split_guard_holds(loss_numerator: int, loss_denominator: int, health_for_max_wad: int) -> bool:
    """Return whether Aave v4's no-split guard ``maxLB·CF ≤ hfForMaxBonus`` holds, in integers.

    The health an account loses per unit of debt repaid at the largest bonus, ``maxLB·CF``, is
    ``loss_numerator / loss_denominator`` (WAD-scaled); the guard is ``numerator ≤ h·denominator``.
    Every liquidation in the interpolation region (``HF > hfForMaxBonus``) then raises health, so
    splitting one liquidation to climb the bonus curve never pays. Aave passes
    ``(maxLB·CF, WAD)``; a perpetual pool passes ``(p_max·WAD, m)`` (``LB·CF ↔ p/m``).

    Source: ``aave/aave-v4`` ``docs/features/LiquidationEngine.md`` (*Preventing Liquidation Splits*).
    """
    return loss_numerator <= health_for_max_wad * loss_denominator


def aave_v4_liquidation_bonus_wad(params: AaveV4LiquidationBonus, health_factor_wad: int) -> int:
    """Return the Aave v4 bonus multiplier at ``health_factor_wad``, rounded down.

    Formula (``calculateLiquidationBonus``)::

        lb = maxLB                                                       if HF ≤ hfForMaxBonus
        lb = minLB + ⌊(maxLB − minLB)·(1 − HF)/(1 − hfForMaxBonus)⌋      otherwise

    Source: ``aave/aave-v4`` ``src/spoke/libraries/LiquidationLogic.sol``; worked example in
    ``docs/features/LiquidationEngine.md`` (maxLB 1.05, factor 0.8, hfForMaxBonus 0.85,
    HF 0.95 → 1.0433).

    Raises
    ------
    InvalidParameter
        If the health factor is negative or not below 1.0 (the account is not liquidatable).
    """
    check_ratio("health_factor_wad", health_factor_wad, 0, WAD - 1)
    return WAD + aave_v4_penalty_rate_wad(
        params.max_liquidation_bonus_wad - WAD,
        params.liquidation_bonus_factor_wad,
        params.health_factor_for_max_bonus_wad,
        health_factor_wad,
    )


def aave_v4_penalty_rate_wad(
    max_penalty_wad: int, min_penalty_share_wad: int, health_for_max_penalty_wad: int, health_wad: int
) -> int:
    """Return Aave v4's bonus as a penalty rate ``lb − 1``, rounded down (the form a pool runs).

    Formula (``calculateLiquidationBonus`` less 1, ``p_max = maxLB − 1``)::

        p = p_max                                                 if H ≤ hfForMaxBonus
        p = p_min + ⌊(p_max − p_min)·max(1 − H, 0)/(1 − hfForMaxBonus)⌋   otherwise,
        p_min = ⌊p_max · liquidationBonusFactor⌋

    The same integers as :func:`aave_v4_liquidation_bonus_wad` shifted by ``WAD`` (which calls
    it); a health at or above 1 gives ``p_min`` here and is refused there.

    Source: ``aave/aave-v4`` ``src/spoke/libraries/LiquidationLogic.sol``.
    """
    if health_wad <= health_for_max_penalty_wad:
        return max_penalty_wad
    low = mul_div(max_penalty_wad, min_penalty_share_wad, WAD, Rounding.DOWN)
    span = WAD - health_for_max_penalty_wad
    return low + mul_div(max_penalty_wad - low, max(WAD - health_wad, 0), span, Rounding.DOWN)


# --- Morpho Blue: LIF = min(1.15, 1/(1 − 0.3·(1 − LLTV))) ---------------------------------------


def morpho_liquidation_incentive_factor_wad(
    lltv_wad: int,
    *,
    cursor_wad: int = MORPHO_LIQUIDATION_CURSOR_WAD,
    max_factor_wad: int = MORPHO_MAX_LIQUIDATION_INCENTIVE_FACTOR_WAD,
) -> int:
    """Return Morpho Blue's liquidation incentive factor for a market's LLTV.

    Formula, with Morpho's roundings (``wMulDown`` then ``wDivDown``)::

        LIF = min(1.15, ⌊1 / (1 − ⌊0.3·(1 − LLTV)⌋)⌋)

    Source: ``morpho-org/morpho-blue`` ``src/Morpho.sol`` (``liquidate``) and
    ``src/libraries/ConstantsLib.sol`` (``LIQUIDATION_CURSOR = 0.3e18``,
    ``MAX_LIQUIDATION_INCENTIVE_FACTOR = 1.15e18``).
    """
    check_ratio("lltv_wad", lltv_wad, 0, WAD - 1)
    check_ratio("cursor_wad", cursor_wad, 0, WAD - 1)
    _require_multiplier("max_factor_wad", max_factor_wad)
    cursor_part = mul_div(cursor_wad, WAD - lltv_wad, WAD, Rounding.DOWN)
    return min(max_factor_wad, mul_div(WAD, WAD, WAD - cursor_part, Rounding.DOWN))


class MorphoLiquidation(NamedTuple):
    """A Morpho Blue liquidation: collateral atoms seized, borrow shares and loan atoms repaid."""

    seized_assets: int
    repaid_shares: int
    repaid_assets: int


def _require_market(total_borrow_assets: int, total_borrow_shares: int, collateral_price: int) -> None:
    _require_amount("total_borrow_assets", total_borrow_assets)
    _require_amount("total_borrow_shares", total_borrow_shares)
    if collateral_price <= 0:
        raise InvalidAmount("collateral_price", collateral_price, "a positive price scaled by 1e36")


def morpho_seized_assets_for_repaid_shares(
    repaid_shares: int,
    *,
    total_borrow_assets: int,
    total_borrow_shares: int,
    collateral_price: int,
    incentive_factor_wad: int,
) -> MorphoLiquidation:
    """Return the collateral a keeper seizes for repaying ``repaid_shares`` of borrow shares.

    Formula (``liquidate`` with ``repaidShares > 0``; virtual shares ``V = 1e6``, assets 1)::

        seized       = ⌊⌊⌊shares·(A + 1)/(S + V)⌋ · LIF⌋ · 1e36 / price⌋
        repaidAssets = ⌈shares·(A + 1)/(S + V)⌉

    Every step floors the keeper's collateral and the repayment rounds up, exactly as Morpho
    (``toAssetsDown``, ``wMulDown``, ``mulDivDown``; ``toAssetsUp``). ``collateral_price`` is
    Morpho's oracle price: loan atoms per collateral atom, times 1e36.

    Source: ``morpho-org/morpho-blue`` ``src/Morpho.sol`` and
    ``src/libraries/SharesMathLib.sol``.
    """
    _require_amount("repaid_shares", repaid_shares)
    _require_market(total_borrow_assets, total_borrow_shares, collateral_price)
    _require_multiplier("incentive_factor_wad", incentive_factor_wad)
    assets_scale = total_borrow_assets + MORPHO_VIRTUAL_ASSETS
    shares_scale = total_borrow_shares + MORPHO_VIRTUAL_SHARES
    assets_down = mul_div(repaid_shares, assets_scale, shares_scale, Rounding.DOWN)
    quoted = mul_div(assets_down, incentive_factor_wad, WAD, Rounding.DOWN)
    seized = mul_div(quoted, MORPHO_ORACLE_PRICE_SCALE, collateral_price, Rounding.DOWN)
    repaid_assets = mul_div(repaid_shares, assets_scale, shares_scale, Rounding.UP)
    return MorphoLiquidation(seized, repaid_shares, repaid_assets)


def morpho_repaid_shares_for_seized_assets(
    seized_assets: int,
    *,
    total_borrow_assets: int,
    total_borrow_shares: int,
    collateral_price: int,
    incentive_factor_wad: int,
) -> MorphoLiquidation:
    """Return the borrow shares a keeper repays to seize exactly ``seized_assets`` of collateral.

    Formula (``liquidate`` with ``seizedAssets > 0``)::

        quoted       = ⌈seized · price / 1e36⌉
        shares       = ⌈⌈quoted / LIF⌉ · (S + V)/(A + 1)⌉
        repaidAssets = ⌈shares·(A + 1)/(S + V)⌉

    Every step rounds up, against the keeper, exactly as Morpho (``mulDivUp``, ``wDivUp``,
    ``toSharesUp``, ``toAssetsUp``).

    Source: ``morpho-org/morpho-blue`` ``src/Morpho.sol`` and
    ``src/libraries/SharesMathLib.sol``.
    """
    _require_amount("seized_assets", seized_assets)
    _require_market(total_borrow_assets, total_borrow_shares, collateral_price)
    _require_multiplier("incentive_factor_wad", incentive_factor_wad)
    assets_scale = total_borrow_assets + MORPHO_VIRTUAL_ASSETS
    shares_scale = total_borrow_shares + MORPHO_VIRTUAL_SHARES
    quoted = mul_div(seized_assets, collateral_price, MORPHO_ORACLE_PRICE_SCALE, Rounding.UP)
    repaid_loan = mul_div(quoted, WAD, incentive_factor_wad, Rounding.UP)
    shares = mul_div(repaid_loan, shares_scale, assets_scale, Rounding.UP)
    repaid_assets = mul_div(shares, assets_scale, shares_scale, Rounding.UP)
    return MorphoLiquidation(seized_assets, shares, repaid_assets)


# --- toxic liquidations ---------------------------------------------------------------------------


def is_toxic_liquidation(
    *,
    collateral_value: int,
    debt_value: int,
    liquidation_threshold_wad: int,
    liquidation_bonus_wad: int,
    seized_threshold_wad: int | None = None,
) -> bool:
    """Return whether a liquidation paying ``liquidation_bonus_wad`` would lower the account's health.

    Derivation. Health is ``H = w·C/D`` (``w`` the account's value-weighted liquidation
    threshold). Repaying ``x`` of debt (``0 < x < D``) seizes ``LB·x`` of collateral whose
    own threshold is ``w_k``, so ``H' = (w·C − w_k·LB·x)/(D − x)`` and::

        H' − H = x · (H − w_k·LB) / (D − x)

    Health falls, for *every* repay size, iff ``H < w_k·LB``. With a single collateral
    (``w_k = w``) that is ``C < LB·D``: the loan-to-value ``D/C`` exceeds ``1/LB``, i.e.
    ``1/(1 + bonus)``, whatever the threshold (Aave CRV, November 2022: each partial
    liquidation of an account past that point left it less healthy). The same inequality is
    Aave v4's ``lb·cf > HF_before`` (``docs/features/LiquidationEngine.md``). The test here
    is exact, in integers: ``w·C·WAD < w_k·LB·D``. At equality health is unchanged (not toxic).

    Parameters
    ----------
    collateral_value, debt_value:
        The account's collateral ``C`` and debt ``D``, in value atoms.
    liquidation_threshold_wad:
        The account's (value-weighted) liquidation threshold ``w``.
    liquidation_bonus_wad:
        The bonus multiplier ``LB = 1 + bonus`` the liquidation would pay, fee included
        (everything the account loses per unit of debt repaid).
    seized_threshold_wad:
        Threshold ``w_k`` of the collateral to be seized; defaults to ``w``.
    """
    _require_amount("collateral_value", collateral_value)
    _require_amount("debt_value", debt_value)
    check_ratio("liquidation_threshold_wad", liquidation_threshold_wad, 0, WAD)
    _require_multiplier("liquidation_bonus_wad", liquidation_bonus_wad)
    seized_threshold = liquidation_threshold_wad if seized_threshold_wad is None else seized_threshold_wad
    check_ratio("seized_threshold_wad", seized_threshold, 0, WAD)
    if debt_value == 0:
        return False
    return liquidation_lowers_health(
        adjusted_collateral=liquidation_threshold_wad * collateral_value,
        debt=debt_value,
        collateral_lost=seized_threshold * liquidation_bonus_wad,
        debt_removed=WAD,
    )


def liquidation_lowers_health(*, adjusted_collateral: int, debt: int, collateral_lost: int, debt_removed: int) -> bool:
    """Return whether a liquidation of any size lowers health ``A/D``: ``A·d < D·a``.

    A liquidation removing ``x·d`` of debt and ``x·a`` of adjusted collateral moves health to
    ``(A − x·a)/(D − x·d)``; ``H' − H = x·(A·d − D·a)/(D·(D − x·d))``, negative for every
    ``0 < x·d < D`` iff ``A/D < a/d`` (:func:`is_toxic_liquidation`'s derivation). ``A`` and
    ``a`` share a scale, and so do ``D`` and ``d``; the test is exact, in integers, and at
    equality health is unchanged (not lowered).
    """
    return adjusted_collateral * debt_removed < debt * collateral_lost
