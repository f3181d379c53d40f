"""Settle a step's liquidation closes in the order they happened: pool flows, waterfall, metrics, records.

Nothing a close decides depends on the pools' insurance, vault or windows (only on its unit,
its price and the keepers), so the keepers' service collects the closes first and this module
settles them afterwards, per path and pool in serving order (rank, then close within the unit),
with the scan of :func:`~.kernels.ordered_waterfall` standing in for the sequential waterfall.
All closes of a step share one time, so a window that ended opens anew at the step's first draw.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from ringfence.lab.results import LIQUIDATION_DTYPE
from ringfence.lab.vector.kernels import CloseOutcome
from ringfence.lab.vector.state import Book, Records, Static
from ringfence.lab.vector.waterfall import ordered_waterfall

__all__ = ["Closes", "settle_closes"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
Fields = dict[str, NDArray[np.generic]]


@dataclass(slots=True, eq=False)
class Closes:
    """The closes of one step, appended batch by batch."""

    batches: list[Fields] = field(default_factory=list)

    def add(
        self,
        order: tuple[IntArray, IntArray, IntArray, int],
        position: IntArray,
        outcome: CloseOutcome,
        shortfall: FloatArray,
        flow: FloatArray,
    ) -> None:
        """Keep one batch: ``order`` is ``(path, unit, rank, close index within the unit)``.

        ``flow`` is the close's sale at the market price (a closed long sells: positive).
        """
        path, unit, rank, sequence = order
        self.batches.append(
            {
                "path": path,
                "unit": unit,
                "rank": rank,
                "sequence": np.full(path.shape[0], sequence),
                "position": position,
                "notional": outcome.closed_notional,
                "realised": outcome.realised,
                "penalty": outcome.insurance_penalty,
                "fee": outcome.backstop_fee,
                "backstop": outcome.backstop,
                "shortfall": shortfall,
                "signed": flow,
            }
        )

    def joined(self) -> Fields:
        """Return every close, in serving order within each path (rank, then close index)."""
        fields = {name: np.concatenate([batch[name] for batch in self.batches]) for name in self.batches[0]}
        order = np.lexsort((fields["sequence"], fields["rank"], fields["path"]))
        return {name: values[order] for name, values in fields.items()}


def _floats(fields: Fields, name: str) -> FloatArray:
    return np.asarray(fields[name], dtype=np.float64)


def _ints(fields: Fields, name: str) -> IntArray:
    return np.asarray(fields[name], dtype=np.int64)


def _segments(group: IntArray) -> tuple[IntArray, NDArray[np.bool_]]:
    """Return the stable order grouping equal keys, and where each group starts in that order."""
    order = np.argsort(group, kind="stable")
    starts = np.ones(group.shape[0], dtype=np.bool_)
    starts[1:] = group[order][1:] != group[order][:-1]
    return order, starts


def _waterfall(book: Book, static: Static, now: float, closes: Fields) -> tuple[FloatArray, FloatArray]:
    """Return each close's insurance draw and backstop absorption, and advance the pools' windows."""
    rules = static.rules
    path, pool = _ints(closes, "path"), static.pool[_ints(closes, "position")]
    order, starts = _segments(path * len(static.design.pools) + pool)
    p, q = path[order], pool[order]
    in_window = now - book.insurance_start[p, q] < rules.insurance_window
    cap_room = rules.insurance_cap - np.where(in_window, book.insurance_drawn[p, q], 0.0)
    in_budget = now - book.backstop_start[p, q] < rules.backstop_window
    budget = np.maximum(rules.backstop_cap - np.where(in_budget, book.backstop_absorbed[p, q], 0.0), 0.0)
    shortfall, penalty = _floats(closes, "shortfall"), _floats(closes, "penalty")
    drawn_sorted, absorbed_sorted = ordered_waterfall(
        shortfall[order], penalty[order], starts, book.insurance[p, q], cap_room, budget
    )
    drawn, absorbed = np.empty_like(drawn_sorted), np.empty_like(absorbed_sorted)
    drawn[order], absorbed[order] = drawn_sorted, absorbed_sorted
    _advance_window(book.insurance_start, book.insurance_drawn, path, pool, drawn, now, rules.insurance_window)
    _advance_window(book.backstop_start, book.backstop_absorbed, path, pool, absorbed, now, rules.backstop_window)
    return drawn, absorbed


def _advance_window(
    start: FloatArray, used: FloatArray, path: IntArray, pool: IntArray, amount: FloatArray, now: float, window: float
) -> None:
    """Charge a step's amounts to the pools' windows; a window that ended opens at ``now`` (``evolve``)."""
    total = np.zeros_like(used)
    np.add.at(total, (path, pool), amount)
    renew = (total > 0.0) & (now - start >= window)
    start[renew] = now
    used[renew] = 0.0
    used += total


def settle_closes(book: Book, static: Static, records: Records, step: int, closes: Closes) -> None:
    """Book a step's closes on the pools (vault, insurance, waterfall) and the metrics, and hold the records."""
    if not closes.batches:
        return
    joined = closes.joined()
    now = step * static.rules.step_seconds
    drawn, _ = _waterfall(book, static, now, joined)
    path, position = _ints(joined, "path"), _ints(joined, "position")
    pool = static.pool[position]
    market = static.design.position_market[position]
    shortfall = _floats(joined, "shortfall")
    vault_flow = _floats(joined, "fee") - _floats(joined, "realised") - shortfall + drawn
    np.add.at(book.vault, (path, pool), vault_flow)
    np.add.at(book.market_flow, (path, market), vault_flow)
    np.add.at(book.insurance, (path, pool), _floats(joined, "penalty") - drawn)
    np.add.at(book.bad_debt, (path, pool), shortfall)
    lp_loss = shortfall - drawn
    np.add.at(book.lp_loss, (path, pool), lp_loss)
    rows = np.zeros(path.shape[0], dtype=LIQUIDATION_DTYPE)
    rows["step"] = step
    rows["pool"] = pool
    rows["market"] = market
    rows["trader"] = static.design.position_trader[position]
    rows["notional_usd"] = joined["notional"]
    rows["bad_debt_usd"] = shortfall
    rows["delay_seconds"] = (step - book.first_seen[path, _ints(joined, "unit")]) * static.rules.step_seconds
    rows["backstop"] = joined["backstop"]
    records.add_step(path, rows, _floats(joined, "signed"))
