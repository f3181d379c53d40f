"""The kinds of a liquidation: the path it took and why, shared by the exact and vector engines.

:class:`LiquidationReason`'s integer values are the status codes the vector engine's kernels
return (``ringfence.lab.vector.kernels``), so the two engines name the same outcome the same way.
"""

from __future__ import annotations

import enum

__all__ = ["LiquidationPath", "LiquidationReason"]


class LiquidationPath(enum.StrEnum):
    """Who took the position: a keeper (for the penalty) or the pool's LP vault (the backstop)."""

    KEEPER = "keeper"
    """A keeper closes part or all of the position and is paid the penalty."""
    BACKSTOP = "backstop"
    """The LP vault takes the whole position over at the oracle, no keeper bonus."""


class LiquidationReason(enum.IntEnum):
    """Why a liquidation took its path; the value is the vector engine's status code."""

    BELOW_MAINTENANCE = 0
    """Keeper path: the account is below maintenance and a penalty-paying close helps it."""
    BANKRUPT = 1
    """Backstop path: maintenance equity ≤ 0 before the close."""
    TOXIC = 2
    """Backstop path: a penalty-paying partial close would lower health (``E·R_pos < R·p·N``)."""
    BANKRUPT_AFTER_CLOSE = 3
    """Backstop path: the keeper close would leave the margin side negative."""
    CLOSE_LOWERS_HEALTH = 4
    """Backstop path: the keeper close, with every rounding it takes, leaves health lower."""
    BELOW_BACKSTOP_THRESHOLD = 5
    """Backstop path: health is below the pool's backstop threshold."""
    DEBT_UNCOVERED = 6
    """A cross sub-account with no position left owes the pool more than its collateral backs at
    maintenance: the uncovered part is recorded as a shortfall (no close, no keeper bonus)."""

    @property
    def path(self) -> LiquidationPath:
        """Return the path this reason leads to."""
        return LiquidationPath.KEEPER if self is LiquidationReason.BELOW_MAINTENANCE else LiquidationPath.BACKSTOP
