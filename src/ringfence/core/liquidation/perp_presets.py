"""Lending presets carried over to a linear perpetual, as a pool's liquidation policy runs them.

A position of notional ``N`` with maintenance requirement ``R_p = m·N`` is liquidatable when
its margin's equity falls below its requirement; the share of the notional it may lose is
``1 − m``, the perpetual's liquidation LTV (the "debt ↔ requirement" mapping of
``core/pool/liquidation_policy.py``). Each function here feeds a certified venue formula of
this package with that mapping and nothing else:

- Morpho Blue's liquidation incentive factor as a penalty rate (:func:`morpho_penalty_rate_wad`);
- Drift v2's phased liquidation (:func:`drift_share_bps`, :func:`drift_phased_close_atoms`,
  :func:`drift_next_phase`): the share of the margin shortage a liquidation may free grows with
  the time since the position's liquidation started, and the margin earlier steps freed counts
  toward it.
"""

from __future__ import annotations

from dataclasses import dataclass

from ringfence.core.liquidation.incentive import morpho_liquidation_incentive_factor_wad
from ringfence.core.liquidation.pacing import (
    DRIFT_LIQUIDATION_PCT_PRECISION,
    DriftPhasedLiquidationParams,
    drift_max_base_asset_amount_allowed,
    drift_max_pct_to_liquidate,
)
from ringfence.core.units import WAD, Rounding, mul_div

__all__ = [
    "DriftPhasing",
    "LiquidationPhase",
    "drift_next_phase",
    "drift_phased_close_atoms",
    "drift_share_bps",
    "morpho_penalty_rate_wad",
    "perp_liquidation_ltv_wad",
]


def perp_liquidation_ltv_wad(position_requirement_atoms: int, notional_atoms: int) -> int:
    """Return ``1 − R_p/N`` in WAD, ``R_p/N`` rounded up.

    The LTV errs low, so the incentive it buys errs high (against the account). A requirement
    at or above the notional (a 100%-margin tier) is an LTV of 0.
    """
    if notional_atoms <= 0:
        return 0
    rate = mul_div(position_requirement_atoms, WAD, notional_atoms, Rounding.UP)
    return max(WAD - rate, 0)


def morpho_penalty_rate_wad(position_requirement_atoms: int, notional_atoms: int) -> int:
    """Return Morpho Blue's incentive as a penalty rate on the closed notional: ``LIF(LLTV) − 1``.

    ``LIF = min(1.15, 1/(0.3·LLTV + 0.7))`` (``morpho-org/morpho-blue`` ``src/Morpho.sol``
    ``liquidate``, ``src/libraries/ConstantsLib.sol`` ``LIQUIDATION_CURSOR = 0.3e18``,
    ``MAX_LIQUIDATION_INCENTIVE_FACTOR = 1.15e18``) via
    :func:`~ringfence.core.liquidation.incentive.morpho_liquidation_incentive_factor_wad`, with
    ``LLTV = 1 − R_p/N`` (:func:`perp_liquidation_ltv_wad`). Morpho pays the keeper
    ``(LIF − 1)`` of the debt it repays; here the account pays it on the notional it closes,
    as the pool's other incentive rules do. At a 5% maintenance rate: ``LLTV = 0.95``,
    ``LIF = ⌊1/0.985⌋ ≈ 1.01523``, a 1.523% penalty.
    """
    lltv = min(perp_liquidation_ltv_wad(position_requirement_atoms, notional_atoms), WAD - 1)
    return morpho_liquidation_incentive_factor_wad(lltv) - WAD


@dataclass(frozen=True, slots=True)
class LiquidationPhase:
    """An open Drift liquidation of one position: when it started and the margin it freed so far.

    Drift's ``User.last_active_slot`` (set by ``enter_liquidation``) and
    ``User.liquidation_margin_freed``, kept per position as ringfence's other liquidation marks.
    """

    started_ns: int
    margin_freed_atoms: int


@dataclass(frozen=True, slots=True)
class DriftPhasing:
    """A pool's Drift parameters in ringfence units (see ``LiquidationPolicy``)."""

    initial_share_bps: int
    """``initial_pct_to_liquidate`` (10,000 = 100%)."""
    duration_ns: int
    """``liquidation_duration``, in nanoseconds instead of slots."""
    full_below_atoms: int
    """A margin shortage below this is freeable whole (Drift's 50 USD; 0: off)."""


def drift_share_bps(phasing: DriftPhasing, shortage_atoms: int, phase: LiquidationPhase | None, now_ns: int) -> int:
    """Return the share of the current margin shortage a liquidation may free now, in bps.

    Drift ``calculate_max_pct_to_liquidate`` (``drift-labs/protocol-v2``
    ``programs/drift/src/math/liquidation.rs``) via
    :func:`~ringfence.core.liquidation.pacing.drift_max_pct_to_liquidate`, with the time since
    the position's liquidation started and the margin it freed so far (none for a first step).
    """
    started, freed = (phase.started_ns, phase.margin_freed_atoms) if phase is not None else (now_ns, 0)
    params = DriftPhasedLiquidationParams(phasing.initial_share_bps, phasing.duration_ns, phasing.full_below_atoms)
    return drift_max_pct_to_liquidate(shortage_atoms, freed, now_ns - started, params)


def drift_phased_close_atoms(to_cover_atoms: int, share_bps: int, size_atoms: int) -> int:
    """Return ``⌊to_cover · share / 10,000⌋`` (Drift ``liquidate_perp``), at least one atom, at most the size.

    ``to_cover_atoms`` is the size whose close removes the whole shortage (Drift
    ``calculate_base_asset_amount_to_cover_margin_shortage``: shortage over the margin freed per
    unit net of fees, the same formula as Aave v4's debt to a target health of 1). Floored by
    :func:`~ringfence.core.liquidation.pacing.drift_max_base_asset_amount_allowed`; a close of at
    least one atom, as Drift closes at least one order step.
    """
    return min(max(drift_max_base_asset_amount_allowed(to_cover_atoms, share_bps), 1), size_atoms)


def drift_next_phase(
    phase: LiquidationPhase | None, share_bps: int, freed_atoms: int, position_open: bool, now_ns: int
) -> LiquidationPhase | None:
    """Return the liquidation phase after a step freeing ``freed_atoms``, or None once it ends.

    It ends when the position is closed or the step was allowed the whole shortage (Drift's user
    leaves liquidation once its margin is restored); otherwise it keeps its start and adds the
    margin freed (``User.increment_margin_freed``). ringfence records no event when an account
    turns healthy by itself between steps, so its next liquidation continues the same phase.
    """
    if not position_open or share_bps >= DRIFT_LIQUIDATION_PCT_PRECISION:
        return None
    started, freed = (phase.started_ns, phase.margin_freed_atoms) if phase is not None else (now_ns, 0)
    return LiquidationPhase(started, freed + max(freed_atoms, 0))


def drift_margin_freed_atoms(
    position_requirement_atoms: int, closed_atoms: int, size_atoms: int, paid_atoms: int
) -> int:
    """Return the margin one phased step freed: ``⌊R_p · closed / size⌋ − paid`` (quote atoms).

    The requirement the close removed (floored: the account is not credited a rounding) less
    what the account paid for it (penalty and execution cost): Drift's ``margin_freed``
    (``drift-labs/protocol-v2`` ``programs/drift/src/controller/liquidation.rs``, ``liquidate_perp``).
    """
    removed = mul_div(position_requirement_atoms, closed_atoms, size_atoms, Rounding.DOWN)
    return removed - paid_atoms
