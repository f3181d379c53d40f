"""Which kernel plays a vector run's steps, and the fused one's wrapper (arrays in, the run's arrays filled).

Two kernels play ``docs/stress-model.md``'s steps ``1 … T`` on the same book:

- ``numpy``: :func:`ringfence.lab.vector.engine._step`, a few passes over the whole
  ``(paths, positions)`` book per step; the reference;
- ``fused``: :func:`ringfence.lab.vector.fused_kernel.play_paths` (numba), one compiled loop per
  path, paths in parallel across cores. Compiled on first use (cached on disk by numba), never
  at import.

``auto`` (the default) takes ``fused`` when numba is installed and the run uses nothing the fused
kernel does not play (:func:`fused_refusals`), else ``numpy``; :func:`choose_kernel` says which
and why. Asked for by name, ``fused`` refuses by name what it does not play. Both kernels start
from the same book (:func:`ringfence.lab.vector.engine._start`) and end in the same
:func:`ringfence.lab.vector.engine._results`; what they agree on bit for bit and within which
tolerance otherwise is in ``docs/fused-kernel.md``.
"""

from __future__ import annotations

import importlib.util
import math
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from numpy.typing import NDArray

from ringfence.core.errors import InvalidParameter
from ringfence.lab.errors import ScenarioError, ScenarioIssue
from ringfence.lab.execution.threads import thread_budget
from ringfence.lab.results import LIQUIDATION_DTYPE
from ringfence.lab.scenario import Scenario

if TYPE_CHECKING:  # the engine imports this module
    from ringfence.lab.vector.engine import _Run

__all__ = [
    "KERNELS",
    "KERNEL_ENVIRONMENT",
    "KernelChoice",
    "VectorKernel",
    "choose_kernel",
    "fused_refusals",
    "fused_threads",
    "numba_available",
    "play_fused",
]

VectorKernel = Literal["auto", "fused", "numpy"]
KERNELS: tuple[VectorKernel, ...] = ("auto", "fused", "numpy")
KERNEL_ENVIRONMENT = "RINGFENCE_VECTOR_KERNEL"
"""The kernel when a caller passes none (``auto``, ``fused`` or ``numpy``); ``ringfence stress --kernel`` sets it."""
FIRST_CAPACITY = 64
"""Closes one path may hold in one step, beyond one per unit, before the run is replayed with more room."""
GROWTH = 8
RECORDS_PER_POSITION = 2
"""A path's liquidation records held before the run is replayed with more room (and 64 more)."""
RECORDS_SPARE = 64


@dataclass(frozen=True, slots=True)
class KernelChoice:
    """The kernel that plays a run, and why (``reason`` is empty when ``fused`` plays it)."""

    kernel: Literal["fused", "numpy"]
    reason: str = ""


def numba_available() -> bool:
    """Return whether numba can be imported."""
    return importlib.util.find_spec("numba") is not None


def fused_refusals(scenario: Scenario, *, observed: bool = False) -> tuple[ScenarioIssue, ...]:
    """Return what the fused kernel does not play in this run, by key (empty: it plays everything).

    Refused: ``[venue.dynamic_margin]`` (the risk model's integer updates run in Python, path by
    path, :mod:`ringfence.lab.dynamic_margins`), ``venue.options`` (exact engine only), the
    ``credit_lines`` rung (its lines' room in the
    borrower's reserve checks, :mod:`ringfence.lab.vector.credit`) and an observer of every step (``observe`` or
    ``watch`` of :func:`~ringfence.lab.vector.run_vector`: the differential tests' margin trace and
    the early-warning study read the whole book every step, which the fused loop never builds).
    """
    issues = []
    venue = scenario.venue
    if venue is not None and venue.dynamic_margin is not None:
        issues.append(ScenarioIssue("venue.dynamic_margin", "dynamic margins are played by the numpy kernel only"))
    if venue is not None and venue.credit_lines and "credit_lines" in scenario.study.ladder:
        # the credit-lines rung counts each line's room in the borrower's reserve checks
        # (lab/vector/credit.py, opening.py, lps.py); the fused loop was written without it
        issues.append(ScenarioIssue("venue.credit_lines", "the credit-lines rung is played by the numpy kernel only"))
    if venue is not None and venue.options:
        issues.append(ScenarioIssue("venue.options", "option markets are played by the exact engine only"))
    if observed:
        issues.append(ScenarioIssue("observe", "a per-step observer of the book needs the numpy kernel"))
    return tuple(issues)


def _requested(kernel: VectorKernel | None) -> VectorKernel:
    if kernel is not None:
        chosen: str = kernel
        source = "kernel"
    else:
        chosen = os.environ.get(KERNEL_ENVIRONMENT, "auto")
        source = KERNEL_ENVIRONMENT
    if chosen not in KERNELS:
        raise InvalidParameter(source, chosen, f"one of {', '.join(KERNELS)}")
    return KERNELS[KERNELS.index(chosen)]


def choose_kernel(scenario: Scenario, kernel: VectorKernel | None = None, *, observed: bool = False) -> KernelChoice:
    """Return the kernel that plays ``scenario`` (``kernel`` None: :data:`KERNEL_ENVIRONMENT`, else ``auto``).

    Raises
    ------
    InvalidParameter
        An unknown kernel name, or ``fused`` asked for without numba installed.
    ScenarioError
        ``fused`` asked for and the run uses a feature it does not play (named).
    """
    requested = _requested(kernel)
    if requested == "numpy":
        return KernelChoice("numpy", "asked for")
    if not numba_available():
        if requested == "fused":
            raise InvalidParameter("kernel", "fused", "numba installed (pip install numba)")
        return KernelChoice("numpy", "numba is not installed")
    issues = fused_refusals(scenario, observed=observed)
    if issues and requested == "fused":
        raise ScenarioError(Path(f"<scenario {scenario.name}>"), issues)
    if issues:
        return KernelChoice("numpy", "; ".join(f"{issue.key}: {issue.message}" for issue in issues))
    return KernelChoice("fused")


def _rules(run: _Run) -> NDArray[np.float64]:
    rules = run.static.rules
    protocol = rules.protocol_backstop_seconds
    values = [
        rules.step_seconds,
        rules.liquidator_share,
        rules.close_factor,
        rules.insurance_cap,
        rules.insurance_window,
        rules.backstop_cap,
        rules.backstop_window,
        rules.reserve_factor,
        float(rules.keepers),
        rules.keeper_failure,
        rules.congestion_failure,
        rules.congestion_scale,
        rules.keeper_capital,
        rules.impact_decay,
        rules.flee_drawdown,
        rules.flee_share,
        rules.top_up_health,
        rules.top_up_probability,
        0.0 if rules.gas_usd is None else rules.gas_usd,
        rules.congestion_gas,
        0.0 if protocol is None else protocol,
    ]
    return np.array(values, dtype=np.float64)


def _settings(run: _Run) -> NDArray[np.int64]:
    static, rules = run.static, run.static.rules
    values = [
        static.design.slots,
        math.ceil(rules.keeper_latency / rules.step_seconds),
        int(static.weighted),
        int(static.design.isolation == "isolated_positions"),
        int(rules.gas_usd is not None),
        int(rules.protocol_backstop_seconds is not None),
        int(rules.top_up_health > 0.0 and rules.top_up_probability > 0.0),
    ]
    return np.array(values, dtype=np.int64)


def _static(run: _Run) -> tuple[NDArray[Any], ...]:
    static = run.static
    design, rules = static.design, static.rules
    ints = np.int64
    same_pool = design.market_pool[:, None] == design.market_pool[None, :]
    return (
        np.ascontiguousarray(design.position_market, dtype=ints),
        np.ascontiguousarray(design.position_pool, dtype=ints),
        np.ascontiguousarray(static.pnl_weight, dtype=np.float64),
        np.ascontiguousarray(static.penalty, dtype=np.float64),
        np.ascontiguousarray(rules.depth_usd, dtype=np.float64),
        np.ascontiguousarray(rules.impact_coefficient, dtype=np.float64),
        np.ascontiguousarray(design.position_trader, dtype=ints),
        np.ascontiguousarray(design.market_pool, dtype=ints),
        np.array(design.lp_order, dtype=ints),
        np.ascontiguousarray(same_pool),
    )


@dataclass(slots=True, eq=False)
class _Ledger:
    """What the kernel fills besides the book: per-path sums and the liquidation records."""

    accumulators: NDArray[np.float64]
    record_ints: NDArray[np.int64]
    record_floats: NDArray[np.float64]
    record_count: NDArray[np.int64]
    keeper_index: NDArray[np.int64]
    keeper_left: NDArray[np.float64]


def _ledger(run: _Run, rows: int) -> _Ledger:
    from ringfence.lab.vector import fused_kernel as kernel  # noqa: PLC0415 - imports numba: first use only

    book = run.book
    accumulators = np.stack(
        [
            book.keeper_rewards,
            book.protocol_rewards,
            book.keeper_gas,
            book.protocol_gas,
            book.redeemed,
            book.collateral,
        ],
        axis=1,
    )
    return _Ledger(
        np.ascontiguousarray(accumulators),
        np.zeros((book.paths, rows, kernel.RECORD_INTS), dtype=np.int64),
        np.zeros((book.paths, rows, kernel.RECORD_FLOATS)),
        np.zeros(book.paths, dtype=np.int64),
        np.zeros(book.paths, dtype=np.int64),
        np.zeros(book.paths),
    )


def _play(run: _Run, capacity: int, rows: int) -> tuple[_Ledger, bool, bool]:
    """Play the run's steps in the kernel; return the ledger and whether the closes' or the records' room overflowed."""
    from ringfence.lab.vector import fused_kernel as kernel  # noqa: PLC0415 - imports numba: first use only

    book, marks = run.book, run.marks
    _own_arrays(run)
    ledger = _ledger(run, rows)
    book_arrays = (
        book.size,
        book.basis,
        book.margin,
        book.requirement_rate,
        book.maintenance,
        book.pool_basis,
        book.open_size,
        book.skew,
        book.declined,
        book.unserved,
    )
    pools = (
        book.vault,
        book.insurance,
        book.insurance_start,
        book.insurance_drawn,
        book.backstop_start,
        book.backstop_absorbed,
        book.bad_debt,
        book.lp_loss,
        book.execution_cost,
        book.nav_peak,
        book.fled,
    )
    markets = (book.market_flow, book.lp_shares, marks.market_basis, marks.last, marks.fraction, marks.lp_pnl)
    histories = (run.impact, run.market_prices, run.oracle_prices, run.insurance, run.nav, run.open_notional)
    records = (ledger.record_ints, ledger.record_floats, ledger.record_count)
    keeper = (ledger.keeper_index, ledger.keeper_left)
    wanted = _input(np.broadcast_to(run.top_up_wanted, book.reserve.shape))
    prices = (_input(run.exogenous), _input(run.exogenous_oracle), _input(run.oracle_source), _input(run.stale))
    draws = (_one_type(run.keeper_draws), _one_type(run.top_up_draws), book.reserve, wanted)
    for array in (*book_arrays, *pools, *markets, *histories, book.first_seen, book.reserve):
        _check_writable(array)
    arguments = (
        book_arrays,
        book.first_seen,
        _static(run),
        _rules(run),
        _settings(run),
        prices,
        draws,
        (pools, markets, ledger.accumulators, records, histories, keeper),
        capacity,
    )
    threads = min(fused_threads(), book.paths)
    shares = [np.arange(first, book.paths, threads, dtype=np.int64) for first in range(threads)]
    if threads == 1:
        status = [kernel.play_paths(shares[0], *arguments)]
    else:
        with ThreadPoolExecutor(max_workers=threads) as pool:
            status = list(pool.map(lambda share: kernel.play_paths(share, *arguments), shares))
    return ledger, any(code != 0 for code in status), bool(np.any(ledger.record_count > rows))


def fused_threads() -> int:
    """Return the threads the fused kernel plays paths on: this process's thread budget."""
    return thread_budget()


def _input(array: NDArray[Any]) -> NDArray[Any]:
    """Return ``array`` C-contiguous and writable (a copy if it is not): one array type, one compilation."""
    return np.require(array, requirements=["C", "W"])


MARK_FIELDS = ("market_basis", "last", "fraction", "lp_pnl")
RUN_FIELDS = ("impact", "market_prices", "oracle_prices", "insurance", "nav", "open_notional")


def _own_arrays(run: _Run) -> None:
    """Give the run C-contiguous, writable copies of the arrays the kernel writes where they are not.

    Step 0's marks come from fancy indexing and products, which may leave them in Fortran order.
    """
    owners = (
        (run.book, tuple(field for field in type(run.book).__slots__)),
        (run.marks, MARK_FIELDS),
        (run, RUN_FIELDS),
    )
    for owner, names in owners:
        for name in names:
            value = getattr(owner, name)
            if isinstance(value, np.ndarray) and not (value.flags.c_contiguous and value.flags.writeable):
                setattr(owner, name, np.require(value, requirements=["C", "W"]))


def _check_writable(array: NDArray[Any]) -> None:
    """Refuse an array the kernel writes that is not C-contiguous and writable (``_start`` builds them so)."""
    if not (array.flags.c_contiguous and array.flags.writeable):
        raise ValueError(
            f"the fused kernel writes the run's arrays in place: C-contiguous and writable, not {array.flags}"
        )


def _one_type(draws: NDArray[np.float64]) -> NDArray[np.float64]:
    """Return a read-only view of ``draws`` with a leading axis of 2 at stride 0 (the kernel reads ``[0]``).

    Uniforms come contiguous, sliced, or broadcast from one zero (the benchmark): three array
    types, so three compilations of the kernel. Through this view they are one type (read-only,
    any layout), compiled once.
    """
    view = np.lib.stride_tricks.as_strided(draws, (2, *draws.shape), (0, *draws.strides), writeable=False)
    return np.asarray(view)


def _write_back(run: _Run, ledger: _Ledger) -> None:
    """Put the ledger's sums back on the book and its records in the run's :class:`~.state.Records`."""
    book = run.book
    sums = ledger.accumulators
    book.keeper_rewards, book.protocol_rewards = sums[:, 0].copy(), sums[:, 1].copy()
    book.keeper_gas, book.protocol_gas = sums[:, 2].copy(), sums[:, 3].copy()
    book.redeemed, book.collateral = sums[:, 4].copy(), sums[:, 5].copy()
    counts = ledger.record_count
    total = int(counts.sum())
    rows = np.zeros(total, dtype=LIQUIDATION_DTYPE)
    path = np.repeat(np.arange(book.paths, dtype=np.int64), counts)
    if not total:
        return
    kept = [p for p in range(book.paths) if counts[p]]  # each path's records are its first rows
    ints = np.concatenate([ledger.record_ints[p, : counts[p]] for p in kept])
    floats = np.concatenate([ledger.record_floats[p, : counts[p]] for p in kept])
    for column, name in enumerate(("step", "pool", "market", "trader", "backstop")):
        rows[name] = ints[:, column]
    for column, name in enumerate(("notional_usd", "bad_debt_usd", "slippage_usd", "delay_seconds")):
        rows[name] = floats[:, column]
    run.records.done.append(rows)
    run.records.paths.append(path)


def play_fused(start: Callable[[], _Run]) -> _Run:
    """Play a run built by ``start`` on the fused kernel; return it as the numpy kernel's loop leaves it.

    The kernel holds a step's closes and a path's liquidation records in buffers sized up front
    (closes: one per unit and :data:`FIRST_CAPACITY` more per step; records: two per position); a path that needs more
    makes the run replay from ``start`` with :data:`GROWTH` times the room that overflowed (a unit
    closes at most 64 positions per step, keepers' and protocol's, as in the numpy kernel, so the
    closes' room is bounded; records grow until they fit).
    """
    capacity = 0
    rows = 0
    while True:
        run = start()
        bound = 2 * run.static.design.units * 64 + 1
        capacity = capacity or run.static.design.units + FIRST_CAPACITY
        rows = rows or RECORDS_PER_POSITION * run.book.size.shape[1] + RECORDS_SPARE
        ledger, closes_overflowed, records_overflowed = _play(run, min(capacity, bound), rows)
        if not (closes_overflowed or records_overflowed):
            _write_back(run, ledger)
            return run
        if closes_overflowed:
            capacity *= GROWTH
        if records_overflowed:
            rows = max(int(ledger.record_count.max()), rows * GROWTH)
