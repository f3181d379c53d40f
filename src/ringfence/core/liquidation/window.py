"""A fixed-length counting window: what a pool has used of a per-window cap (SPEC §2.6, §2.7).

One value type serves the pool's four windows (insurance draws, backstop absorption, LP loss
for the NAV-drawdown breaker, liquidated notional for pacing and the throughput breaker).
``decide`` reads it (:meth:`Window.used`, :meth:`Window.room`) and ``evolve`` writes it
(:meth:`Window.charge`), so both apply the same rule: a window opened at ``start_ns`` lasts
``length_ns``; an amount charged at or after its end opens a new window at that time.

The length and the cap are not stored in the window: they are the pool's parameters, which
governance may change between two commands, and every reading takes the parameter in force
(as the flat fields this type replaces did). The stored part, start, use and reference, is
what replays.

This is the fixed-window throughput cap of dYdX v4's per-block liquidation limits and of
Maker's ``Hole``/``Dirt`` counters reset per window, in the form the engine runs.
"""

from __future__ import annotations

from dataclasses import dataclass

from ringfence.core.errors import InvalidParameter

__all__ = ["Window"]


@dataclass(frozen=True, slots=True)
class Window:
    """What was used of a cap since ``start_ns`` (amounts in quote atoms)."""

    start_ns: int = 0
    """When the current window opened."""
    used_atoms: int = 0
    """Amount charged since ``start_ns``."""
    reference_atoms: int = 0
    """A quantity recorded when the window opened (the NAV-drawdown window: the LP vault)."""

    def is_open(self, now_ns: int, length_ns: int) -> bool:
        """Return whether ``now_ns`` still falls in the window (``now − start < length``)."""
        return now_ns - self.start_ns < length_ns

    def used(self, now_ns: int, length_ns: int) -> int:
        """Return the amount used in the window at ``now_ns`` (0 once the window has ended)."""
        return self.used_atoms if self.is_open(now_ns, length_ns) else 0

    def room(self, now_ns: int, length_ns: int, limit_atoms: int) -> int:
        """Return what may still be charged at ``now_ns`` under ``limit_atoms``: ``max(limit − used, 0)``."""
        return max(limit_atoms - self.used(now_ns, length_ns), 0)

    def charge(self, amount_atoms: int, now_ns: int, length_ns: int, reference_atoms: int = 0) -> Window:
        """Return the window after ``amount_atoms`` is charged at ``now_ns``.

        A window that has ended opens anew at ``now_ns`` with ``reference_atoms`` as its
        reference; an open one keeps its start and reference.

        Raises
        ------
        InvalidParameter
            If the amount is negative (a window only counts use).
        """
        if amount_atoms < 0:
            raise InvalidParameter("amount_atoms", amount_atoms, "a non-negative amount charged to a window")
        if self.is_open(now_ns, length_ns):
            return Window(self.start_ns, self.used_atoms + amount_atoms, self.reference_atoms)
        return Window(now_ns, amount_atoms, reference_atoms)
