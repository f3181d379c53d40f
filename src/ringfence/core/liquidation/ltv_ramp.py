"""Euler v2's liquidation-LTV ramp, and its use on a perpetual market's maintenance rate.

Euler v2 (``euler-xyz/euler-vault-kit`` ``src/EVault/shared/types/LTVConfig.sol``,
``LTVConfigLib.getLTV`` and ``setLTV``): when governance lowers a collateral's liquidation LTV,
the LTV used for liquidation does not jump to the new value, which would make healthy accounts
liquidatable at once; it moves linearly from the LTV in force at the change
(``originalLiquidationLTV``) to the new one (``targetLiquidationLTV``) over ``rampDuration``
seconds, ending at ``targetTimestamp = change time + rampDuration``. A raised LTV, and the
borrow LTV, apply at once.

On a linear perpetual a position is liquidatable when its equity falls below ``m·N`` (``m`` the
maintenance rate, ``N`` the notional): the share of the notional it may lose is ``1 − m``, the
perpetual's liquidation LTV. Raising ``m`` lowers that LTV, so a pool whose liquidation policy
sets ``maintenance_ramp_ns`` ramps a raised maintenance rate the way Euler ramps a lowered LTV:
:func:`ramped_maintenance_wad` is ``1 − getLTV(1 − m_original, 1 − m_target)``, linear in ``m``
too. Euler floors the ramped LTV (``* timeRemaining / rampDuration``), so the ramped maintenance
rate rounds up, against the account. A lowered ``m`` (a raised LTV) applies at once.
"""

from __future__ import annotations

from dataclasses import dataclass

from ringfence.core.errors import InvalidParameter
from ringfence.core.units import WAD

__all__ = ["MAX_RAMP_NS", "MaintenanceRamp", "euler_liquidation_ltv", "ramped_maintenance_wad", "start_ramp"]

MAX_RAMP_NS = (2**32 - 1) * 10**9
"""Longest ramp: Euler stores ``rampDuration`` as a ``uint32`` of seconds."""


def euler_liquidation_ltv(
    original_ltv: int, target_ltv: int, target_timestamp: int, ramp_duration: int, now: int
) -> int:
    """Return Euler's liquidation LTV at ``now`` (``LTVConfigLib.getLTV(self, true)``), exactly.

    ``target`` once ``now ≥ target_timestamp`` or when the LTV was not lowered
    (``target ≥ original``); otherwise ``target + ⌊(original − target)·(target_timestamp − now)
    / ramp_duration⌋``. Any one unit for the LTVs (Euler: ``ConfigAmount``, 1e4 = 100%) and one
    for the times (Euler: seconds).

    Raises
    ------
    InvalidParameter
        If a ramp is in progress with a non-positive duration or with more time remaining than
        its duration (states ``setLTV`` cannot produce).
    """
    if now >= target_timestamp or target_ltv >= original_ltv:
        return target_ltv
    remaining = target_timestamp - now
    if not 0 < remaining <= ramp_duration:
        raise InvalidParameter("ramp_duration", ramp_duration, f"a duration covering the {remaining} remaining")
    return target_ltv + (original_ltv - target_ltv) * remaining // ramp_duration


@dataclass(frozen=True, slots=True)
class MaintenanceRamp:
    """A raised maintenance rate on its way in (Euler's ``LTVConfig`` ramp fields, as a rate).

    The target is the market's ``maintenance_margin_wad``.
    """

    original_maintenance_wad: int
    """The maintenance rate in force when the change executed (``1 − originalLiquidationLTV``)."""
    target_ns: int
    """When the target rate is reached in full (``targetTimestamp``)."""
    ramp_ns: int
    """The ramp's length (``rampDuration``)."""


def ramped_maintenance_wad(target_maintenance_wad: int, ramp: MaintenanceRamp | None, now_ns: int) -> int:
    """Return the maintenance rate liquidation uses at ``now_ns``: ``1 − getLTV`` (module docstring)."""
    if ramp is None:
        return target_maintenance_wad
    ltv = euler_liquidation_ltv(
        WAD - ramp.original_maintenance_wad, WAD - target_maintenance_wad, ramp.target_ns, ramp.ramp_ns, now_ns
    )
    return WAD - ltv


def start_ramp(
    old_target_wad: int, old_ramp: MaintenanceRamp | None, new_target_wad: int, ramp_ns: int, now_ns: int
) -> MaintenanceRamp | None:
    """Return the ramp a change of the maintenance rate starts (``LTVConfigLib.setLTV``), or None.

    The ramp starts from the rate in force now (a ramp in progress included, as ``setLTV`` takes
    ``originalLiquidationLTV = getLTV(true)``) and ends ``ramp_ns`` later. None when nothing
    ramps: no ramp duration, or a rate not above the one in force (a raised LTV applies at once).
    """
    current = ramped_maintenance_wad(old_target_wad, old_ramp, now_ns)
    if ramp_ns == 0 or new_target_wad <= current:
        return None
    return MaintenanceRamp(current, now_ns + ramp_ns, ramp_ns)
