"""Step 5 of the stress model: candidates, eligibility, the keepers' service and the liquidation closes.

A unit is a candidate while its maintenance equity is below its requirement; it is eligible
once it has been one for ``latency_seconds``. Eligible units are served in descending notional
(ties by unit index); congestion sets each keeper's failure probability ``p`` for the step, and
a served unit is liquidated when its draw is below ``1 − p^n`` (``n`` keepers with capital left).
A liquidated unit's positions close largest notional first, the unit's health re-checked after
each close, until it is healthy or flat; each close spends the serving keeper's capital. Each
close executes at the market after its own impact (:class:`~.kernels.Execution`); with gas, a
keeper stops at the first close whose bonus does not beat the gas (the unit is counted unserved
if that is its first), and the protocol's liquidator, if any, then takes the eligible units past
its delay whatever they pay.

With unlimited keeper capital nothing couples one unit's service to another's (the pools'
waterfall is settled afterwards in serving order, :mod:`.settle`), so every eligible unit of
every path is served at once. With limited capital ``n`` depends on earlier closes, and the
service runs rank by rank: the ``r``-th unit of every path at once.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from ringfence.lab.vector.kernels import (
    CloseOutcome,
    Execution,
    close_position,
    failure_probability,
    gas_cost,
    keeper_succeeds,
    margin_terms,
)
from ringfence.lab.vector.settle import Closes
from ringfence.lab.vector.state import NOT_SEEN, Book, Static
from ringfence.lab.vector.waterfall import segmented_cumsum

__all__ = ["MAX_CLOSES_PER_UNIT", "Marks", "serve_keepers"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

SPEND_MARGIN = 1.0 - 1e-9
"""A unit counts as unable to exhaust a keeper only with this much room to spare (float sums)."""

MAX_CLOSES_PER_UNIT = 64
"""Most closes one unit takes in one step (the exact runner's bound): with close factor ``f < 1``
a unit between the toxic threshold and 1 needs about ``log(gap)/log(1 − f)`` closes."""


def _ranked(
    n_paths: int, path: IntArray, unit: IntArray, notional: FloatArray
) -> tuple[IntArray, IntArray, IntArray, IntArray, FloatArray]:
    """Return eligible units in serving order (path, descending notional, unit), their ranks, per-path counts."""
    order = np.lexsort((unit, -notional, path))
    path, unit = path[order].astype(np.int64), unit[order].astype(np.int64)
    counts = np.bincount(path, minlength=n_paths).astype(np.int64)
    rank = np.arange(path.shape[0]) - np.repeat(np.cumsum(counts) - counts, counts)
    return path, unit, rank, counts, notional[order]


def _candidates(
    book: Book, static: Static, step: int, unit_equity: FloatArray, unit_requirement: FloatArray, stale: bool
) -> IntArray:
    """Update ``first_seen`` and return the flat indices ``path·U + unit`` of the eligible units.

    A unit is a candidate while its equity is below its requirement, eligible once it has been
    one for ``latency`` seconds. Candidates are few, so ``first_seen`` is updated only where the
    set changed (``Book.candidates`` holds the last step's). With a stale oracle no unit's margin
    can be read: none is a candidate (the exact runner's ``unit_health`` returns nothing).
    """
    seen = book.first_seen.reshape(-1)
    now = np.empty(0, dtype=np.int64) if stale else np.flatnonzero(unit_equity < unit_requirement)
    left = np.setdiff1d(book.candidates, now, assume_unique=True)
    seen[left] = NOT_SEEN
    book.declined.reshape(-1)[left] = False
    fresh = now[seen[now] == NOT_SEEN]
    seen[fresh] = step
    book.candidates = now
    waited_steps = math.ceil(static.rules.keeper_latency / static.rules.step_seconds)
    return now[seen[now] <= step - waited_steps]


@dataclass(frozen=True, slots=True, eq=False)
class Marks:
    """Each position's oracle price and market price ``(P, N)``."""

    oracle: FloatArray
    market: FloatArray


@dataclass(frozen=True, slots=True, eq=False)
class Service:
    """Who serves a batch of units: where closes go, at what prices, and the gas per path ``(P,)``.

    Keepers (``protocol`` False) with ``gas`` send a close only when its bonus exceeds the gas;
    the protocol's liquidator closes whatever it pays and pays ``gas`` per close.
    """

    closes: Closes
    marks: Marks
    gas: FloatArray | None
    protocol: bool = False


def serve_keepers(
    book: Book,
    static: Static,
    step: int,
    marks: Marks,
    unit_margin: tuple[FloatArray, FloatArray],
    uniforms: Callable[[], FloatArray],
    stale: bool,
) -> Closes:
    """Update candidates and serve the eligible units of every path at grid step ``step``; return the closes.

    ``unit_margin`` is each unit's maintenance equity and requirement ``(P, U)``; ``uniforms``
    returns the keepers' uniforms of this step ``(P, U + 2)``, read only if a keeper can fail (a
    uniform in ``[0, 1)`` is always below ``1 − 0^n``).
    """
    rules = static.rules
    closes = Closes()
    eligible = _candidates(book, static, step, *unit_margin, stale)
    book.keeper_index[:] = 0
    book.keeper_left[:] = rules.keeper_capital
    if not eligible.shape[0]:
        return closes
    slots = static.design.slots
    path, unit = np.divmod(eligible, static.design.units)
    positions = unit[:, None] * slots + np.arange(slots)
    notional = (np.abs(book.size[path[:, None], positions]) * marks.oracle[path[:, None], positions]).sum(axis=1)
    path, unit, rank, counts, notional = _ranked(book.paths, path, unit, notional)
    failure = failure_probability(
        counts.astype(np.float64), rules.keepers, rules.keeper_failure, rules.congestion_failure, rules.congestion_scale
    )
    gas = None
    if rules.gas_usd is not None:
        gas = gas_cost(rules.gas_usd, rules.congestion_gas, counts / rules.keepers, rules.congestion_scale)
    draws = uniforms() if np.any(failure > 0.0) else np.zeros((book.paths, static.design.units))
    if math.isinf(rules.keeper_capital):
        won = keeper_succeeds(draws[path, unit], failure[path], np.full(path.shape[0], float(rules.keepers)))
        _liquidate(book, static, Service(closes, marks, gas), (path[won], unit[won], rank[won]))
    else:
        _serve_in_order(book, static, Service(closes, marks, gas), draws, failure, (path, unit, rank, notional))
    if rules.protocol_backstop_seconds is not None:
        waited = (step - book.first_seen[path, unit]) * rules.step_seconds >= rules.protocol_backstop_seconds
        protocol_gas = np.zeros(book.paths) if gas is None else gas
        service = Service(closes, marks, protocol_gas, protocol=True)
        _liquidate(book, static, service, (path[waited], unit[waited], rank[waited] + static.design.units))
    return closes


def _serve_in_order(
    book: Book,
    static: Static,
    service: Service,
    draws: FloatArray,
    failure: FloatArray,
    ranked: tuple[IntArray, IntArray, IntArray, FloatArray],
) -> None:
    """Serve units in rank order while keeper capital runs out.

    A unit whose draw fails changes nothing, and the serving keeper is charged a unit's closed
    notional once the unit is done, which never exceeds the unit's notional at the oracle. So
    each pass takes, on every path, the winners (with the keepers available now) after the last
    unit served, up to and including the first one whose notional could exhaust the serving
    keeper: the ones before it cannot change ``n`` and are liquidated together, then that one
    alone. Passes stop when no path has a winner left.
    """
    path, unit, rank, notional = ranked
    keepers = static.rules.keepers
    next_rank = np.zeros(book.paths, dtype=np.int64)
    while path.shape[0]:
        available = (keepers - book.keeper_index[path]).astype(np.float64)
        won = np.flatnonzero(keeper_succeeds(draws[path, unit], failure[path], available) & (rank >= next_rank[path]))
        if not won.shape[0]:
            return
        starts = np.ones(won.shape[0], dtype=np.bool_)
        starts[1:] = path[won][1:] != path[won][:-1]
        spent = segmented_cumsum(notional[won], starts)
        left = book.keeper_left[path[won]] * SPEND_MARGIN
        taken = won[spent - notional[won] < left]
        safe = won[spent < left]
        risky = np.setdiff1d(taken, safe, assume_unique=True)
        _liquidate(book, static, service, (path[safe], unit[safe], rank[safe]))
        _liquidate(book, static, service, (path[risky], unit[risky], rank[risky]))
        next_rank[path[taken]] = rank[taken] + 1
        keep = rank >= next_rank[path]
        path, unit, rank, notional = path[keep], unit[keep], rank[keep], notional[keep]


def _liquidate(book: Book, static: Static, service: Service, served: tuple[IntArray, IntArray, IntArray]) -> None:
    """Close the served units' positions until each is healthy or flat, then charge the serving keepers.

    The next position to close is the unit's largest at the market price (ties: the first in the
    unit), as the exact runner picks it; the engine then closes it at the oracle. A keeper stops
    at the first close whose bonus does not beat the gas; a unit whose first close it declines is
    counted as unserved.
    """
    path, unit, rank = served
    slots = static.design.slots
    positions = unit[:, None] * slots + np.arange(slots)
    charged_path, charged = path, np.zeros(path.shape[0])
    entry = np.arange(path.shape[0])
    declined = np.zeros(path.shape[0], dtype=np.bool_)
    for sequence in range(MAX_CLOSES_PER_UNIT):
        rows = path[:, None]
        size = book.size[rows, positions]
        terms, requirement = margin_terms(
            size,
            book.basis[rows, positions],
            service.marks.oracle[rows, positions],
            book.maintenance[rows, positions],
            static.pnl_weight[positions],
        )
        equity = book.margin[path, unit] + terms.sum(axis=1)
        total = requirement.sum(axis=1)
        active = (equity < total) & ~declined[entry]
        if not active.any():
            break
        path, unit, rank, positions, entry = path[active], unit[active], rank[active], positions[active], entry[active]
        size = size[active]
        largest = np.argmax(np.abs(size) * service.marks.market[path[:, None], positions], axis=1)
        chosen = positions[np.arange(path.shape[0]), largest]
        open_elsewhere = np.count_nonzero(size, axis=1) > 1
        closed, acting = _close(
            book,
            static,
            service,
            (path, unit, rank, sequence),
            chosen,
            (equity[active], total[active]),
            open_elsewhere,
        )
        charged[entry] += closed
        declined[entry[~acting]] = True
        if sequence == 0:
            fresh = ~acting & ~book.declined[path, unit]
            np.add.at(book.unserved, path[fresh], 1)
            book.declined[path[fresh], unit[fresh]] = True
    _charge_keepers(book, math.inf if service.protocol else static.rules.keeper_capital, charged_path, charged)


def _charge_keepers(book: Book, capital: float, path: IntArray, notional: FloatArray) -> None:
    """Charge each path's serving keeper what its units closed; an exhausted keeper hands over to the next."""
    if math.isinf(capital) or not path.shape[0]:
        return
    np.subtract.at(book.keeper_left, path, notional)
    exhausted = np.unique(path[book.keeper_left[path] <= 0.0])
    book.keeper_index[exhausted] += 1
    book.keeper_left[exhausted] = capital


def _close(
    book: Book,
    static: Static,
    service: Service,
    order: tuple[IntArray, IntArray, IntArray, int],
    position: IntArray,
    unit_margin: tuple[FloatArray, FloatArray],
    open_elsewhere: NDArray[np.bool_],
) -> tuple[FloatArray, NDArray[np.bool_]]:
    """Close one position of each served unit and update the unit; return the notional closed and who acted.

    The close executes at the market after its own impact (:class:`~.kernels.Execution`). A
    keeper with gas acts only where the bonus exceeds it; the others are left as they were. The
    pools settle later (:mod:`.settle`). A cross account's debt becomes a shortfall only once its
    last position is closed (``_cross_shortfall``); an isolated position's at once.
    """
    rules, marks = static.rules, service.marks
    path, unit = order[0], order[1]
    size, basis = book.size[path, position], book.basis[path, position]
    market = static.design.position_market[position]
    execution = Execution(marks.market[path, position], rules.depth_usd[market], rules.impact_coefficient[market])
    outcome = close_position(
        size,
        basis,
        marks.oracle[path, position],
        book.maintenance[path, position],
        static.pnl_weight[position],
        unit_margin[0],
        unit_margin[1],
        book.margin[path, unit],
        static.penalty[position],
        rules.close_factor,
        rules.liquidator_share,
        execution,
    )
    gas = np.zeros(path.shape[0]) if service.gas is None else service.gas[path]
    acting = np.ones(path.shape[0], dtype=np.bool_)
    if service.gas is not None and not service.protocol:
        acting = outcome.keeper_reward > gas
    closed = np.where(acting, outcome.closed_notional, 0.0)
    if not acting.all():
        outcome, gas, open_elsewhere = _subset(outcome, acting), gas[acting], open_elsewhere[acting]
        order = (path[acting], unit[acting], order[2][acting], order[3])
        path, unit, position, size, basis = path[acting], unit[acting], position[acting], size[acting], basis[acting]
    isolated = static.design.isolation == "isolated_positions"
    owed = (outcome.after < 0.0) & (isolated | ((outcome.new_size == 0.0) & ~open_elsewhere))
    shortfall = np.where(owed, -outcome.after, 0.0)
    book.size[path, position] = outcome.new_size
    book.basis[path, position] = outcome.new_basis
    book.margin[path, unit] = outcome.after + shortfall
    market = static.design.position_market[position]
    book.requirement_rate[path, position] = np.abs(outcome.new_size) * book.maintenance[path, position]
    np.subtract.at(book.pool_basis, (path, static.pool[position]), basis - outcome.new_basis)
    sold = np.sign(size) * outcome.closed_size
    np.subtract.at(book.open_size, (path, market), outcome.closed_size)
    np.subtract.at(book.skew, (path, market), sold)
    service.closes.add(
        order, position, outcome, (shortfall, gas, service.protocol), sold * marks.market[path, position]
    )
    return closed, acting


def _subset(outcome: CloseOutcome, keep: NDArray[np.bool_]) -> CloseOutcome:
    """Return the outcome of the kept elements only."""
    return CloseOutcome(**{name.name: getattr(outcome, name.name)[keep] for name in dataclasses.fields(outcome)})
