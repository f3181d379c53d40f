"""An underwriter's capped cover inside the waterfall: when it is in force, its deductible, its claim (SPEC §2.6).

A pool may buy cover from underwriters (``core/pool/cover.py`` keeps the policies). A policy's
capital, locked when it was offered, is the most it ever pays (its *cover limit*). Inside the
waterfall, a shortfall goes: the pool's insurance fund (capped per window) → **the policies in
force, in the order the pool accepted them** → the LP vault's backstop budget → auto-deleveraging
→ loss socialised to the LPs. Each policy sees what the ones before it left (its *residual*):

- the pool first retains, per premium period and in aggregate, up to the policy's deductible
  (what it retained earlier in the same period counts: losses split over many liquidations do
  not escape the deductible, nor pay it twice);
- the policy pays the rest, up to the capital it has left;
- what it retained goes on to the next policy (a second policy without a deductible covers the
  first one's), then to the LP steps.

This is an aggregate excess-of-loss layer per period (the form of reinsurance a pool's fund
buys), with the deductible of Nexus Mutual's and Sherlock's cover replaced by a per-period
retention so a loss cannot be sliced below it. Premiums are paid per period in advance; cover is
in force from the payment to the end of the paid period (:class:`CoverClock`), never
retroactively. Cancelled early, the underwriter refunds the unearned part of the period's
premium (:func:`unearned_premium_atoms`), so the pool pays ``⌈P·used/period⌉``: rounded up,
against the payer, as every charge in ringfence.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import NamedTuple

from ringfence.core.units import Rounding, mul_div

__all__ = ["CoverClaim", "CoverClock", "CoverLayer", "claim_cover", "unearned_premium_atoms"]


@dataclass(frozen=True, slots=True)
class CoverClock:
    """A policy's periods, the stretch its premium has paid for, and what the pool retained this period.

    ``decide`` reads it (:meth:`in_force`, :meth:`deductible_left_atoms`, :meth:`period_at`) and
    ``evolve`` writes it (:meth:`paid_at`, :meth:`retain`), so both apply the same rule. Period
    ``k`` is ``[started + k·period, started + (k+1)·period)``; the policy expires after ``periods``.
    """

    started_ns: int
    period_ns: int
    periods: int
    covered_from_ns: int = 0
    """Cover is in force in ``[covered_from_ns, covered_until_ns)``: from a premium's payment to its period's end."""
    covered_until_ns: int = 0
    retention_period: int = 0
    """The period ``retained_atoms`` counts in."""
    retained_atoms: int = 0
    """What the pool retained (its deductible) in ``retention_period``."""

    @property
    def expires_ns(self) -> int:
        """Return the end of the last period: ``started + periods·period``."""
        return self.started_ns + self.periods * self.period_ns

    def period_at(self, now_ns: int) -> int:
        """Return the index of the period ``now_ns`` falls in: ``⌊(now − started)/period⌋``."""
        return (now_ns - self.started_ns) // self.period_ns

    def period_end_ns(self, now_ns: int) -> int:
        """Return the end of the period ``now_ns`` falls in."""
        return self.started_ns + (self.period_at(now_ns) + 1) * self.period_ns

    def in_force(self, now_ns: int) -> bool:
        """Return whether a paid premium covers ``now_ns``: ``covered_from ≤ now < covered_until``."""
        return self.covered_from_ns <= now_ns < self.covered_until_ns

    def deductible_left_atoms(self, deductible_atoms: int, now_ns: int) -> int:
        """Return what the pool must still retain in ``now_ns``'s period before the policy pays."""
        if self.period_at(now_ns) != self.retention_period:
            return deductible_atoms
        return max(deductible_atoms - self.retained_atoms, 0)

    def paid_at(self, now_ns: int) -> CoverClock:
        """Return the clock after a premium paid at ``now_ns`` for its period: in force to the period's end."""
        return replace(self, covered_from_ns=now_ns, covered_until_ns=self.period_end_ns(now_ns))

    def retain(self, amount_atoms: int, now_ns: int) -> CoverClock:
        """Return the clock after the pool retained ``amount_atoms`` at ``now_ns`` (a new period starts at 0)."""
        period = self.period_at(now_ns)
        before = self.retained_atoms if period == self.retention_period else 0
        return replace(self, retention_period=period, retained_atoms=before + amount_atoms)


class CoverLayer(NamedTuple):
    """What the waterfall needs of one policy in force."""

    policy_id: int
    deductible_left_atoms: int
    capital_atoms: int


class CoverClaim(NamedTuple):
    """One policy's part of a shortfall: what reached it, what the pool retained, what it paid."""

    policy_id: int
    residual_atoms: int
    """The shortfall that reached this policy (after the insurance fund and the policies before it)."""
    retained_atoms: int
    """The deductible the pool retained from it; it goes on down the waterfall."""
    paid_atoms: int
    """What the policy pays into the LP vault: ``min(residual − retained, capital)``."""


def claim_cover(residual_atoms: int, layers: Iterable[CoverLayer]) -> tuple[CoverClaim, ...]:
    """Return each policy's claim on ``residual_atoms``, in order, and only those that retained or paid.

    For each layer: ``retained = min(residual, deductible left)``, ``paid = min(residual −
    retained, capital)``, and the next layer sees ``residual − paid``. No rounding: whole atoms in,
    whole atoms out. The total paid is never more than the residual, nor any policy's payment
    more than its capital.
    """
    claims = []
    for layer in layers:
        if residual_atoms <= 0:
            break
        retained = min(residual_atoms, max(layer.deductible_left_atoms, 0))
        paid = min(residual_atoms - retained, max(layer.capital_atoms, 0))
        if retained or paid:
            claims.append(CoverClaim(layer.policy_id, residual_atoms, retained, paid))
        residual_atoms -= paid
    return tuple(claims)


def unearned_premium_atoms(premium_atoms: int, now_ns: int, covered_until_ns: int, period_ns: int) -> int:
    """Return the part of a period's premium not yet earned at ``now_ns``: ``P − ⌈P·used/period⌉``.

    ``used = period − (covered_until − now)``, clamped to ``[0, period]``. The earned part is
    rounded up, against the pool that paid the premium, so the refund is rounded down.
    """
    left = min(max(covered_until_ns - now_ns, 0), period_ns)
    return premium_atoms - mul_div(premium_atoms, period_ns - left, period_ns, Rounding.UP)
