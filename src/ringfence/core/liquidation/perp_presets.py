"""Lending presets carried over to a linear perpetual, as a pool's liquidation policy runs them.

A position of notional ``N`` with maintenance requirement ``R_p = m·N`` is liquidatable when
its margin's equity falls below its requirement; the share of the notional it may lose is
``1 − m``, the perpetual's liquidation LTV (the "debt ↔ requirement" mapping of
``core/pool/liquidation_policy.py``). Each function here feeds a certified venue formula of
this package with that mapping and nothing else.
"""

from __future__ import annotations

from ringfence.core.liquidation.incentive import morpho_liquidation_incentive_factor_wad
from ringfence.core.units import WAD, Rounding, mul_div

__all__ = ["morpho_penalty_rate_wad", "perp_liquidation_ltv_wad"]


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
