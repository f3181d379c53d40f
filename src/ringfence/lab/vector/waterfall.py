"""Pure float64 kernels of a pool's waterfall: who pays a shortfall, in one close or a step's closes in order.

Mirrors ``ringfence.core.pool.liquidate.waterfall`` without auto-deleveraging (refused by the
vector engine): the insurance fund (capped per window) → the LP vault's backstop budget (per
window) → loss socialised onto the LP vault. Arrays in, arrays out; nothing is mutated.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

__all__ = ["WaterfallOutcome", "insurance_room", "ordered_waterfall", "segmented_cumsum", "waterfall"]

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]


def insurance_room(
    insurance: FloatArray, drawn_in_window: FloatArray, window_start: FloatArray, now: float, cap: float, window: float
) -> FloatArray:
    """Return what the insurance fund may still pay: ``max(min(cap − drawn in window, fund), 0)``.

    A window opened at ``window_start`` lasts ``window`` seconds (``insurance_room_atoms``).
    """
    in_window = now - window_start < window
    used = np.where(in_window, drawn_in_window, 0.0)
    return np.maximum(np.minimum(cap - used, insurance), 0.0)


@dataclass(frozen=True, slots=True, eq=False)
class WaterfallOutcome:
    """Who pays a shortfall (``ringfence.core.pool.liquidate.waterfall`` without auto-deleveraging).

    ``drawn`` from the insurance fund, ``absorbed`` by the LP vault's backstop budget and the rest
    ``socialised`` onto the LP vault; the windows after the events (a draw or an absorption
    opens a new window when the last one has ended, as ``evolve`` does).
    """

    drawn: FloatArray
    absorbed: FloatArray
    socialised: FloatArray
    insurance_window_start: FloatArray
    insurance_drawn_in_window: FloatArray
    backstop_window_start: FloatArray
    backstop_absorbed_in_window: FloatArray

    @property
    def lp_loss(self) -> FloatArray:
        """What the LP vault bears: backstop budget and socialised loss."""
        return self.absorbed + self.socialised


def _charge_window(
    amount: FloatArray, used: FloatArray, start: FloatArray, now: float, window: float
) -> tuple[FloatArray, FloatArray]:
    renew = (amount > 0.0) & (now - start >= window)
    new_start = np.where(renew, now, start)
    new_used = np.where(renew, 0.0, used) + amount
    return new_start, new_used


def waterfall(
    shortfall: FloatArray,
    insurance: FloatArray,
    insurance_drawn: FloatArray,
    insurance_start: FloatArray,
    backstop_absorbed: FloatArray,
    backstop_start: FloatArray,
    now: float,
    insurance_cap: float,
    insurance_window: float,
    backstop_cap: float,
    backstop_window: float,
) -> WaterfallOutcome:
    """Split each shortfall: insurance (capped per window) → backstop budget (per window) → socialised."""
    drawn = np.minimum(
        shortfall, insurance_room(insurance, insurance_drawn, insurance_start, now, insurance_cap, insurance_window)
    )
    in_window = now - backstop_start < backstop_window
    budget = np.maximum(backstop_cap - np.where(in_window, backstop_absorbed, 0.0), 0.0)
    absorbed = np.minimum(shortfall - drawn, budget)
    insurance_start_after, insurance_used = _charge_window(
        drawn, insurance_drawn, insurance_start, now, insurance_window
    )
    backstop_start_after, backstop_used = _charge_window(
        absorbed, backstop_absorbed, backstop_start, now, backstop_window
    )
    return WaterfallOutcome(
        drawn=drawn,
        absorbed=absorbed,
        socialised=shortfall - drawn - absorbed,
        insurance_window_start=insurance_start_after,
        insurance_drawn_in_window=insurance_used,
        backstop_window_start=backstop_start_after,
        backstop_absorbed_in_window=backstop_used,
    )


def _segment_start_index(starts: BoolArray) -> NDArray[np.int64]:
    """Return, for each element, the index where its segment starts (segments are contiguous)."""
    index = np.arange(starts.shape[0])
    return np.asarray(np.maximum.accumulate(np.where(starts, index, 0)))


def _segmented_running_min(values: FloatArray, starts: BoolArray) -> FloatArray:
    """Return the inclusive running minimum inside each contiguous segment (a Hillis-Steele scan)."""
    result = values.copy()
    first = _segment_start_index(starts)
    index = np.arange(values.shape[0])
    shift = 1
    while shift < values.shape[0]:
        previous = np.full_like(result, np.inf)
        previous[shift:] = result[:-shift]
        reach = index - shift >= first
        result = np.where(reach, np.minimum(result, previous), result)
        shift *= 2
    return result


def segmented_cumsum(values: FloatArray, starts: BoolArray) -> FloatArray:
    """Return the inclusive running sum inside each contiguous segment."""
    total = np.cumsum(values)
    before = total - values
    return np.asarray(total - before[_segment_start_index(starts)])


def _shift_in_segment(values: FloatArray, starts: BoolArray) -> FloatArray:
    """Return each element's predecessor in its segment (0 for a segment's first element)."""
    shifted = np.zeros_like(values)
    shifted[1:] = values[:-1]
    return np.where(starts, 0.0, shifted)


def ordered_waterfall(
    shortfall: FloatArray,
    penalty: FloatArray,
    starts: BoolArray,
    insurance: FloatArray,
    cap_room: FloatArray,
    backstop_room: FloatArray,
) -> tuple[FloatArray, FloatArray]:
    """Return each close's insurance draw and backstop absorption when a pool's closes run in order.

    Closes are grouped in contiguous segments (one per pool and path, ``starts`` marks each
    segment's first close), in the order they happen. Close ``k`` draws
    ``d_k = min(s_k, max(min(C − U_k, I + A_k − U_k), 0))`` where ``C`` is the cap room left in
    the window at the start (``cap_room``), ``I`` the fund at the start, ``A_k`` the
    penalties credited by earlier closes and ``U_k`` the draws before ``k``. With
    ``B_k = max(min(C, I + A_k), 0)`` (non-decreasing) the draws so far follow
    ``U_{k+1} = min(U_k + s_k, B_k)``, whose solution is
    ``U_{k+1} = S_{k+1} + min(0, min_{j ≤ k}(B_j − S_{j+1}))`` (``S`` the running shortfall): a
    running minimum, so the sequential rule is played without a loop over closes. The backstop
    budget then absorbs ``min(budget, running sum of what insurance left)``.
    """
    credited = segmented_cumsum(penalty, starts) - penalty
    bound = np.maximum(np.minimum(cap_room, insurance + credited), 0.0)
    demand = segmented_cumsum(shortfall, starts)
    used = demand + np.minimum(0.0, _segmented_running_min(bound - demand, starts))
    drawn = np.clip(used - _shift_in_segment(used, starts), 0.0, shortfall)
    left = segmented_cumsum(shortfall - drawn, starts)
    absorbed_so_far = np.minimum(backstop_room, left)
    absorbed = np.clip(absorbed_so_far - _shift_in_segment(absorbed_so_far, starts), 0.0, shortfall - drawn)
    return drawn, absorbed
