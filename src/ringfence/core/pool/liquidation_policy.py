"""A pool's liquidation policy: sizing, incentive, backstop, pacing (SPEC §2.6), as pure integer rules.

Each rule is a named preset taken from a real venue and adapted to a linear perpetual whose
margin is ``equity E`` against a maintenance requirement ``R`` (health ``H = E/R``) and whose
notional is ``N``. Closing a share ``f`` of a position at the oracle removes ``f·R`` of
requirement (flat rates) and costs the account a penalty ``p·f·N``; so the venues' lending
formulas carry over with ``debt ↔ requirement`` and ``lb·cf ↔ p·N/R = p/m`` (``m`` the
maintenance rate):

- a penalty-paying partial close lowers health iff ``H < p·N/R`` (the toxic case; Aave CRV,
  November 2022): ``(E − p·c)/(R − r·c) < E/R ⟺ E·r < R·p`` for any closed notional ``c``
  whose requirement per unit notional is ``r``;
- the smallest close restoring health to a target ``T`` is Aave v4's debt to target
  ``l = R·(T − H)/(T − p/m)``, i.e. the share ``f = (T·R − E)/(T·R − p·N)``.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from ringfence.core.errors import InvalidParameter, ToxicLiquidationPolicy
from ringfence.core.liquidation.fillable_price import PPM
from ringfence.core.liquidation.incentive import EulerDiscount, aave_v4_penalty_rate_wad, euler_discount_wad
from ringfence.core.liquidation.ltv_ramp import MAX_RAMP_NS
from ringfence.core.liquidation.pacing import (
    DRIFT_LIQUIDATION_PCT_PRECISION,
    HyperliquidPartialLiquidationParams,
    hyperliquid_liquidation_size,
)
from ringfence.core.liquidation.perp_presets import (
    DriftPhasing,
    LiquidationPhase,
    drift_margin_freed_atoms,
    drift_next_phase,
    drift_phased_close_atoms,
    drift_share_bps,
    morpho_penalty_rate_wad,
)
from ringfence.core.liquidation.perpetual import (
    PositionRisk,
    close_factor_size_atoms,
    is_toxic,
    largest_health_scaled_penalty_wad,
    largest_unsplit_penalty_wad,
    no_split_guard_holds_on_notional,
    target_health_size_atoms,
    target_reachable_on_notional,
    without_dust,
)
from ringfence.core.units import MAX_ATOMS, WAD
from ringfence.core.validation import check_int, check_ratio

__all__ = [
    "NO_CAP",
    "IncentiveRule",
    "LiquidationMark",
    "LiquidationPolicy",
    "PositionRisk",
    "SizingRule",
    "check_policy",
    "check_policy_against_market",
    "close_size_atoms",
    "drift_phasing",
    "is_toxic",
    "penalty_rate_wad",
    "phase_after",
]

NO_CAP = MAX_ATOMS
"""Sentinel for "no pacing cap" and "no breaker" in quote atoms."""


class SizingRule(enum.Enum):
    """How much of a liquidatable position one liquidation closes."""

    CLOSE_FACTOR = "close_factor"
    """Aave v3.3: ``close_factor`` of the position; the whole one below ``full_liquidation_health``."""
    TARGET_HEALTH = "target_health"
    """Aave v4: the smallest close that brings health back to ``target_health``."""
    WHOLE_POSITION = "whole_position"
    """The whole position every time (GMX v2, dYdX v4 isolated markets)."""
    HYPERLIQUID_PARTIAL = "hyperliquid_partial"
    """Hyperliquid: 20% of a position above the threshold, the whole one during the cooldown."""
    DRIFT_PHASED = "drift_phased"
    """Drift v2: a share of the size that cures the margin shortage, growing with the time since
    the position's liquidation started (``phased_*`` fields)."""


class IncentiveRule(enum.Enum):
    """The penalty rate a liquidation charges on the closed notional."""

    FIXED = "fixed"
    """The pool's ``liquidation_penalty_wad``, split keeper / insurance fund."""
    HEALTH_SCALED = "health_scaled"
    """Euler v2: ``min(1 − H, max_penalty)``."""
    LINEAR_BONUS = "linear_bonus"
    """Aave v4: ``max_penalty`` at and below ``health_for_max_penalty``, linear up to ``H = 1``."""
    MORPHO_LIF = "morpho_lif"
    """Morpho Blue: ``LIF − 1`` with ``LIF = min(1.15, 1/(0.3·LLTV + 0.7))`` and ``LLTV = 1 − m``."""


@dataclass(frozen=True, slots=True)
class LiquidationPolicy:
    """A pool's liquidation rules; the defaults reproduce a plain close factor and fixed penalty.

    Amounts are quote atoms, ratios and healths WAD, durations nanoseconds.
    """

    sizing: SizingRule = SizingRule.CLOSE_FACTOR
    full_liquidation_health_wad: int = 0
    """CLOSE_FACTOR: below this health the whole position is closed (Aave v3: 0.95; 0 = never)."""
    target_health_wad: int = 0
    """TARGET_HEALTH: health to restore (Aave v4 ``targetHealthFactor``, > 1)."""
    partial_threshold_atoms: int = 0
    """HYPERLIQUID_PARTIAL: positions worth more than this are closed in parts (100k USDC)."""
    partial_fraction_wad: int = WAD
    """HYPERLIQUID_PARTIAL: share of the position per partial step (20%)."""
    partial_cooldown_ns: int = 0
    """HYPERLIQUID_PARTIAL: after a partial step, whole-position closes for this long (30 s)."""
    phased_initial_share_bps: int = 0
    """DRIFT_PHASED: share of the shortage freeable at the start (``initial_pct_to_liquidate``,
    10,000 = 100%)."""
    phased_duration_ns: int = 0
    """DRIFT_PHASED: time for the freeable share to grow by 100% (``liquidation_duration``; 0: at once)."""
    phased_full_below_atoms: int = 0
    """DRIFT_PHASED: a shortage below this is freed whole (Drift: 50 USD; 0: off)."""
    dust_atoms: int = 0
    """A close leaving less notional than this takes the whole position (Maker ``dust``, Aave v3.3
    ``MIN_LEFTOVER_BASE``)."""
    incentive: IncentiveRule = IncentiveRule.FIXED
    max_penalty_wad: int = 0
    """HEALTH_SCALED and LINEAR_BONUS: the largest penalty rate."""
    min_penalty_share_wad: int = 0
    """LINEAR_BONUS: share of ``max_penalty`` paid at ``H = 1`` (Aave v4 ``liquidationBonusFactor``)."""
    health_for_max_penalty_wad: int = 0
    """LINEAR_BONUS: health at and below which the maximum applies (Aave v4 ``hfForMaxBonus``)."""
    backstop_health_wad: int = 0
    """Below this health the pool's LP vault takes the whole position over without a keeper bonus
    (Hyperliquid's liquidator vault: 2/3 of maintenance); 0 = only the toxic and bankrupt cases."""
    backstop_loss_cap_atoms: int = 0
    """Shortfall the LP vault absorbs per window before profitable opposing positions are
    auto-deleveraged (the waterfall's backstop step)."""
    auto_deleverage: bool = True
    """Whether shortfall past the insurance fund and the backstop budget deleverages profitable
    opposing positions before it is socialised."""
    window_ns: int = 3_600 * 10**9
    """The pacing and breaker window."""
    max_liquidated_atoms_per_window: int = NO_CAP
    """Keeper liquidations may close at most this much notional per window (Maker ``Hole``,
    dYdX v4 per-block limits); a close past the room is trimmed to it."""
    throughput_breaker_atoms: int = NO_CAP
    """Liquidated notional per window past which the pool turns reduce-only."""
    max_execution_gap_wad: int = 0
    """Largest distance of a liquidation's execution price from the oracle, as a share of the
    oracle price (0: a liquidation executes only at the oracle). Bounds what a keeper may
    charge the account for the fill it made in the outside market."""
    bankruptcy_adjustment_ppm: int = 0
    """dYdX v4 ``BankruptcyAdjustmentPpm`` (≥ 1,000,000); non-zero bounds a liquidation's execution
    price by the bankruptcy-adjusted fillable price instead of ``max_execution_gap_wad``
    (``core/liquidation/fillable_price.py``). 0: off."""
    spread_to_maintenance_ppm: int = 0
    """dYdX v4 ``SpreadToMaintenanceMarginRatioPpm`` (1 to 1,000,000; dYdX refuses 0, ringfence also
    more than 100%): the largest fill spread as a share of the position's maintenance requirement,
    reached by a bankrupt account."""
    maintenance_ramp_ns: int = 0
    """Euler v2 ``rampDuration``: a governance change raising a market's maintenance rate takes
    effect for liquidation linearly over this long (``core/liquidation/ltv_ramp.py``). 0: at once."""


@dataclass(frozen=True, slots=True)
class LiquidationMark:
    """When a position was last liquidated in part (for the Hyperliquid cooldown)."""

    last_partial_ns: int


def check_policy(policy: LiquidationPolicy) -> None:
    """Validate a policy's ranges (field types were checked before)."""
    check_ratio("liquidation.full_liquidation_health_wad", policy.full_liquidation_health_wad, 0, WAD)
    if policy.sizing is SizingRule.TARGET_HEALTH:
        check_ratio("liquidation.target_health_wad", policy.target_health_wad, WAD + 1, 10 * WAD)
    check_int("liquidation.partial_threshold_atoms", policy.partial_threshold_atoms, 0, MAX_ATOMS)
    check_ratio("liquidation.partial_fraction_wad", policy.partial_fraction_wad, 1)
    check_int("liquidation.partial_cooldown_ns", policy.partial_cooldown_ns, 0, MAX_ATOMS)
    check_int(
        "liquidation.phased_initial_share_bps", policy.phased_initial_share_bps, 0, DRIFT_LIQUIDATION_PCT_PRECISION
    )
    check_int("liquidation.phased_duration_ns", policy.phased_duration_ns, 0, MAX_ATOMS)
    check_int("liquidation.phased_full_below_atoms", policy.phased_full_below_atoms, 0, MAX_ATOMS)
    if policy.sizing is SizingRule.DRIFT_PHASED and policy.phased_initial_share_bps == 0 == policy.phased_duration_ns:
        raise InvalidParameter(
            "liquidation.phased_initial_share_bps", 0, "a share above 0 or a duration (else nothing is ever freeable)"
        )
    check_int("liquidation.dust_atoms", policy.dust_atoms, 0, MAX_ATOMS)
    check_ratio("liquidation.max_penalty_wad", policy.max_penalty_wad, 0, WAD // 2)
    check_ratio("liquidation.min_penalty_share_wad", policy.min_penalty_share_wad)
    check_ratio("liquidation.health_for_max_penalty_wad", policy.health_for_max_penalty_wad, 0, WAD - 1)
    check_ratio("liquidation.backstop_health_wad", policy.backstop_health_wad, 0, WAD)
    check_int("liquidation.backstop_loss_cap_atoms", policy.backstop_loss_cap_atoms, 0, MAX_ATOMS)
    check_int("liquidation.window_ns", policy.window_ns, 1, MAX_ATOMS)
    check_int("liquidation.max_liquidated_atoms_per_window", policy.max_liquidated_atoms_per_window, 1, MAX_ATOMS)
    check_int("liquidation.throughput_breaker_atoms", policy.throughput_breaker_atoms, 1, MAX_ATOMS)
    check_ratio("liquidation.max_execution_gap_wad", policy.max_execution_gap_wad, 0, WAD - 1)
    check_int("liquidation.maintenance_ramp_ns", policy.maintenance_ramp_ns, 0, MAX_RAMP_NS)
    _check_fillable_price(policy)


def _check_fillable_price(policy: LiquidationPolicy) -> None:
    """Validate the dYdX fillable-price bound: dYdX's ranges, and not together with a fixed gap."""
    if policy.bankruptcy_adjustment_ppm == 0:
        check_int("liquidation.spread_to_maintenance_ppm", policy.spread_to_maintenance_ppm, 0, 0)
        return
    check_int("liquidation.bankruptcy_adjustment_ppm", policy.bankruptcy_adjustment_ppm, PPM, 2**32 - 1)
    check_int("liquidation.spread_to_maintenance_ppm", policy.spread_to_maintenance_ppm, 1, PPM)
    if policy.max_execution_gap_wad:
        raise InvalidParameter(
            "liquidation.max_execution_gap_wad",
            policy.max_execution_gap_wad,
            "0 when bankruptcy_adjustment_ppm bounds the execution price (one bound, not two)",
        )


def check_policy_against_market(policy: LiquidationPolicy, penalty_wad: int, maintenance_wad: int) -> None:
    """Refuse a policy whose largest penalty could lower health where it should raise it.

    Aave v4's no-split guard ``maxLB·cf ≤ hfForMaxBonus`` becomes ``p_max ≤ m·h_max``: in the
    interpolation region (``H > h_max``) every partial close then raises health. Target health
    needs ``T·m > p`` so that closing more always gets closer to the target. Euler's
    health-scaled penalty ``min(1 − H, p_max)`` ramps down to 0 at ``H = 1`` from its cap at
    ``H = 1 − p_max``; on a perpetual's notional a close is toxic iff ``p > m·H``
    (:func:`~ringfence.core.liquidation.perpetual.is_toxic` with ``R_p = R = m·N``), so the
    same guard, with ``h_max = 1 − p_max``, is ``p_max ≤ m·(1 − p_max)``: with Euler's 20% cap
    at 5% maintenance the penalty would be toxic everywhere below ``H = 1/1.05 ≈ 0.952``.

    Raises
    ------
    InvalidParameter
        The no-split guard or the target-health condition fails.
    ToxicLiquidationPolicy
        A health-scaled penalty would lower health across its ramp.
    """
    largest = penalty_wad if policy.incentive is IncentiveRule.FIXED else policy.max_penalty_wad
    if policy.incentive is IncentiveRule.MORPHO_LIF:
        largest = morpho_penalty_rate_wad(maintenance_wad, WAD)
    h_max = policy.health_for_max_penalty_wad
    if policy.incentive is IncentiveRule.LINEAR_BONUS and not no_split_guard_holds_on_notional(
        largest, maintenance_wad, h_max
    ):
        raise InvalidParameter(
            "liquidation.max_penalty_wad",
            largest,
            f"at most maintenance·health_for_max_penalty = "
            f"{largest_unsplit_penalty_wad(maintenance_wad, h_max)} (the no-split guard)",
        )
    if policy.sizing is SizingRule.TARGET_HEALTH and not target_reachable_on_notional(
        policy.target_health_wad, maintenance_wad, largest
    ):
        raise InvalidParameter(
            "liquidation.target_health_wad",
            policy.target_health_wad,
            f"target·maintenance above the largest penalty {largest} (else no close reaches the target)",
        )
    if policy.incentive is IncentiveRule.HEALTH_SCALED and not no_split_guard_holds_on_notional(
        largest, maintenance_wad, WAD - largest
    ):
        raise ToxicLiquidationPolicy(
            "liquidation.max_penalty_wad",
            largest,
            f"at most maintenance·(1 − max_penalty), i.e. "
            f"{largest_health_scaled_penalty_wad(maintenance_wad)} at "
            f"maintenance {maintenance_wad}: a health-scaled penalty 1 − H on the notional lowers health "
            f"wherever 1 − H > maintenance·H, i.e. below H = 1/(1 + maintenance), across its ramp",
        )


def penalty_rate_wad(policy: LiquidationPolicy, fixed_penalty_wad: int, risk: PositionRisk) -> int:
    """Return the penalty rate on the closed notional, in WAD.

    - FIXED: the pool's penalty.
    - HEALTH_SCALED: ``min(max(1 − H, 0), max_penalty)`` — Euler v2
      (``euler-xyz/euler-vault-kit`` ``src/EVault/modules/Liquidation.sol``, discount = 1 − health
      score, capped by ``maxLiquidationDiscount``), via :func:`euler_discount_wad`.
    - LINEAR_BONUS: ``p_max`` at ``H ≤ h_max``, else ``p_min + (p_max − p_min)·(1 − H)/(1 − h_max)``
      with ``p_min = ⌊p_max·share⌋``, floored — Aave v4
      (``aave/aave-v4`` ``src/spoke/libraries/LiquidationLogic.sol``, ``calculateLiquidationBonus``,
      with the bonus ``lb − 1`` as the penalty rate).
    - MORPHO_LIF: ``LIF − 1`` at the position's ``LLTV = 1 − R_p/N`` — Morpho Blue, via
      :func:`~ringfence.core.liquidation.perp_presets.morpho_penalty_rate_wad`.
    """
    if policy.incentive is IncentiveRule.FIXED:
        return fixed_penalty_wad
    if policy.incentive is IncentiveRule.MORPHO_LIF:
        return morpho_penalty_rate_wad(risk.position_requirement_atoms, risk.notional_atoms)
    health = risk.health_wad()
    if policy.incentive is IncentiveRule.HEALTH_SCALED:
        return euler_discount_wad(EulerDiscount(policy.max_penalty_wad), health)
    return aave_v4_penalty_rate_wad(
        policy.max_penalty_wad, policy.min_penalty_share_wad, policy.health_for_max_penalty_wad, health
    )


def close_size_atoms(
    policy: LiquidationPolicy,
    close_factor_wad: int,
    risk: PositionRisk,
    penalty_wad: int,
    now_ns: int,
    mark: LiquidationMark | None,
    phase: LiquidationPhase | None = None,
) -> int:
    """Return how many base atoms a keeper liquidation closes now (before pacing).

    A bankrupt account (``E ≤ 0``) is closed whole whatever the rule. A close that would leave
    less than ``dust_atoms`` of notional takes the whole position. ``phase`` is the position's
    open Drift liquidation (DRIFT_PHASED only).
    """
    size = risk.size_atoms
    if risk.equity_atoms <= 0:
        return size
    if policy.sizing is SizingRule.WHOLE_POSITION:
        close = size
    elif policy.sizing is SizingRule.CLOSE_FACTOR:
        close = close_factor_size_atoms(risk, close_factor_wad, policy.full_liquidation_health_wad)
    elif policy.sizing is SizingRule.TARGET_HEALTH:
        close = target_health_size_atoms(policy.target_health_wad, risk, penalty_wad)
    elif policy.sizing is SizingRule.DRIFT_PHASED:
        share = drift_share_bps(drift_phasing(policy), risk.requirement_atoms - risk.equity_atoms, phase, now_ns)
        close = drift_phased_close_atoms(target_health_size_atoms(WAD, risk, penalty_wad), share, size)
    else:
        params = HyperliquidPartialLiquidationParams(
            policy.partial_threshold_atoms, policy.partial_fraction_wad, policy.partial_cooldown_ns
        )
        last = mark.last_partial_ns if mark is not None else None
        close = hyperliquid_liquidation_size(size, risk.notional_atoms, now_ns, last, params).size_atoms
    return without_dust(risk, close, policy.dust_atoms)


def phase_after(
    policy: LiquidationPolicy,
    risk: PositionRisk,
    phase: LiquidationPhase | None,
    close: tuple[int, int],
    keeper_path_open: bool,
    now_ns: int,
) -> LiquidationPhase | None:
    """Return a DRIFT_PHASED position's liquidation phase after a close of ``(size, paid)`` atoms.

    The margin the close freed is Drift's ``margin_freed``
    (:func:`~ringfence.core.liquidation.perp_presets.drift_margin_freed_atoms`). None for other
    rules, and once the phase ends (:func:`~ringfence.core.liquidation.perp_presets.drift_next_phase`);
    ``keeper_path_open`` says a keeper close left the position open.
    """
    if policy.sizing is not SizingRule.DRIFT_PHASED:
        return None
    closed_atoms, paid_atoms = close
    share = drift_share_bps(drift_phasing(policy), risk.requirement_atoms - risk.equity_atoms, phase, now_ns)
    freed = drift_margin_freed_atoms(risk.position_requirement_atoms, closed_atoms, risk.size_atoms, paid_atoms)
    return drift_next_phase(phase, share, freed, keeper_path_open, now_ns)


def drift_phasing(policy: LiquidationPolicy) -> DriftPhasing:
    """Return the policy's Drift parameters."""
    return DriftPhasing(policy.phased_initial_share_bps, policy.phased_duration_ns, policy.phased_full_below_atoms)
