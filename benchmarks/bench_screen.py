"""Bulk health screen of a million positions after a price tick, beside a per-object Python loop.

Usage::

    python benchmarks/bench_screen.py [--positions N] [--accounts M] [--peer-positions S] [--repeat R]
                                      [--peer-repeat Q] [--exact-accounts E] [--cpu C] [--smoke]

**Book** (``_screen_book.py``): N positions (default 1,000,000) over M margin accounts (default
400,000: half isolated positions, half cross sub-accounts with about 4 positions and 1-2
collateral assets each), 24 markets over 7 volatile assets, then a crash tick of every price.

**Ours**: ``ringfence.risk.screen.screen(book, prices)`` over the float book: every account's
equity, maintenance requirement, health, tolerance and status, timed best of R (default 20).

**Peer**: the straightforward per-object loop a user would write over the same book
(``Position`` objects in a list per account, a ``dict`` of accounts, same formulas, same floats).
It is timed best of Q (default 5) on the first accounts holding S positions (default 50,000) and
**scaled linearly** to N; the gate runs it once over the whole book, which checks the scaling.

**Gates, before any figure counts**:

1. exact: an engine state of E sub-accounts (``_health_book.py``: cross and isolated, multi-asset
   collateral, debts, funding) is converted by ``risk.boundary.book_from_state`` and screened;
   ``audit_screen`` must find no account where the screen and the engine's integer
   ``margin_snapshot`` / ``isolated_margin`` disagree (verdict outside the band, or margin further
   than the declared tolerance), and ``confirm_candidates`` must return exactly the accounts the
   engine finds below maintenance;
2. peer: on the benchmark book, every account's ``equity − requirement`` agrees with the peer's
   within twice the declared tolerance, and the candidate sets agree: the peer's accounts with
   health < 1 contain every account we call certain and only accounts we call certain or
   uncertain (and the run says whether the two sets are identical).

**Memory**: ``tracemalloc`` peak while building the float book (from the generated columns) and
screening it, and while building the peer's objects (on the subset) and looping over them, both
per million positions; also what each keeps after building.

Timing runs on one core: the thread pools of numpy's BLAS are set to one thread before numpy is
imported, and the process is pinned to one CPU (``--cpu``, default the highest allowed).
"""

from __future__ import annotations

import os

for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ[_variable] = "1"

import argparse  # noqa: E402
import gc  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import tracemalloc  # noqa: E402
from collections.abc import Callable, Sequence  # noqa: E402
from functools import partial  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402

from _health_book import build_book  # noqa: E402
from _machine import best_of, fill_sizes, pin  # noqa: E402
from _screen_book import Generated, account_name, generate, peer_book, peer_screen  # noqa: E402
from bench_ledger import code_identity  # noqa: E402
from ringfence.risk.book import RiskBook  # noqa: E402
from ringfence.risk.boundary import (  # noqa: E402
    audit_screen,
    book_from_state,
    confirm_candidates,
    exact_margin,
    prices_from_state,
)
from ringfence.risk.screen import ScreenResult, ScreenStatus, screen  # noqa: E402
from ringfence.risk.screen_kernel import numba_available  # noqa: E402

TARGET_SECONDS = 0.050
TARGET_RATIO = 100.0
MIB = 2**20


def subset_book(generated: Generated, accounts: int) -> RiskBook:
    """Return the float book of the first ``accounts`` accounts (the peer's timed subset)."""
    c = generated.columns
    positions = int(np.searchsorted(c["position_account"], accounts))
    holdings = int(np.searchsorted(c["holding_account"], accounts))
    sliced = {
        name: value[:positions] if name.startswith("position_") else value[:holdings]
        for name, value in c.items()
        if name.startswith(("position_", "holding_"))
    }
    sliced |= {name: c[name][:accounts].copy() for name in ("account_isolated", "account_rounding_allowance")}
    sliced |= {name: value for name, value in c.items() if name.startswith("market_") or name == "asset_count"}
    return RiskBook(**{k: v.copy() if isinstance(v, np.ndarray) else v for k, v in sliced.items()})


def time_subset(
    generated: Generated, prices: np.ndarray, accounts: int, args: argparse.Namespace
) -> tuple[float, float]:
    """Time ours and the peer on the first ``accounts`` accounts (the peer's objects built untimed)."""
    small = subset_book(generated, accounts)
    peer = peer_book(generated, accounts)
    peer_prices = dict(zip(peer.assets, prices.tolist(), strict=True))
    ours = best_of(partial(screen, small, prices), args.repeat)
    return ours, best_of(partial(peer_screen, peer, peer_prices), args.peer_repeat)


# --------------------------------------------------------------------------- gates


def exact_gate(accounts: int) -> dict[str, Any]:
    """Gate 1: screen an engine state through the boundary; no disagreement with the integer engine."""
    book = build_book(accounts)
    state, now = book.state, book.now_ns
    start = time.perf_counter()
    ledger = book_from_state(state)
    convert_seconds = time.perf_counter() - start
    result = screen(ledger.book, prices_from_state(state, ledger, now))
    disagreeing = audit_screen(state, ledger, result, now)
    if disagreeing:
        raise AssertionError(f"exact gate: the screen disagrees with the engine on {ledger.keys(disagreeing[:5])}")
    snapshots = {key: exact_margin(state, key, now) for key in ledger.accounts}
    below = {key for key, snapshot in snapshots.items() if snapshot is not None and not snapshot.is_healthy}
    confirmation = confirm_candidates(state, ledger, result, now)
    if set(confirmation.liquidatable) != below or confirmation.unpriced:
        raise AssertionError("exact gate: confirm_candidates differs from the engine's set below maintenance")
    return {
        "accounts": ledger.book.account_count,
        "positions": ledger.book.position_count,
        "below_maintenance": len(below),
        "candidates": int(result.candidates().size),
        "uncertain": int(result.uncertain().size),
        "convert_seconds": convert_seconds,
    }


def peer_gate(generated: Generated, ours: ScreenResult) -> dict[str, Any]:
    """Gate 2: the peer over the whole book agrees with ours within the band; return its one timed run."""
    peer = peer_book(generated)
    prices = dict(zip(peer.assets, generated.prices_after.tolist(), strict=True))
    gc.collect()
    start = time.perf_counter()
    theirs = peer_screen(peer, prices)
    seconds = time.perf_counter() - start
    figures = np.array([theirs[account_name(i)] for i in range(len(theirs))])
    del peer, theirs
    ours_margin = ours.equity - ours.requirement
    peer_margin = figures[:, 0] - figures[:, 1]
    worst = np.abs(ours_margin - peer_margin) / ours.tolerance
    if not (worst <= 2.0).all():
        raise AssertionError(f"peer gate: margins differ by up to {worst.max():.3g} tolerances")
    peer_set = set(np.flatnonzero(figures[:, 2] < 1.0).tolist())
    certain, uncertain = set(ours.certain().tolist()), set(ours.uncertain().tolist())
    if not certain <= peer_set <= certain | uncertain:
        raise AssertionError("peer gate: the peer's candidates differ from ours outside the band")
    ours_set = set(np.flatnonzero(ours.health < 1.0).tolist())
    return {
        "peer_full_seconds": seconds,
        "candidates": len(peer_set),
        "identical": ours_set == peer_set,
        "uncertain": len(uncertain),
        "worst_margin_gap_in_tolerances": float(worst.max()),
    }


# --------------------------------------------------------------------------- memory


def traced(function: Callable[[], object]) -> tuple[object, int, int]:
    """Run ``function`` under tracemalloc; return its result, the memory it still holds and the peak."""
    gc.collect()
    tracemalloc.start()
    try:
        value = function()
        gc.collect()
        current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return value, current, peak


def measure_memory(
    generated: Generated, prices: np.ndarray, peer_accounts: int, peer_positions: int
) -> dict[str, float]:
    """Peak and retained bytes per million positions: float book + screen, and peer objects + loop."""
    positions = generated.columns["position_account"].shape[0]
    book, ours_kept, _ = traced(generated.book)
    del book
    _, _, ours_peak = traced(lambda: screen(generated.book(), prices))
    peer_prices = {f"asset-{i}": p for i, p in enumerate(prices.tolist())}
    peer, peer_kept, _ = traced(lambda: peer_book(generated, peer_accounts))
    del peer
    _, _, peer_peak = traced(lambda: peer_screen(peer_book(generated, peer_accounts), peer_prices))
    per_million_ours, per_million_peer = 1e6 / positions, 1e6 / peer_positions
    return {
        "ours_peak_mib": ours_peak * per_million_ours / MIB,
        "ours_kept_mib": ours_kept * per_million_ours / MIB,
        "peer_peak_mib": peer_peak * per_million_peer / MIB,
        "peer_kept_mib": peer_kept * per_million_peer / MIB,
    }


# --------------------------------------------------------------------------- command line


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--positions", type=int, default=None, help="positions in the book (1,000,000)")
    parser.add_argument("--accounts", type=int, default=None, help="margin accounts (400,000)")
    parser.add_argument("--peer-positions", type=int, default=None, help="positions the peer is timed on (50,000)")
    parser.add_argument("--repeat", type=int, default=None, help="runs of the screen, best reported (20)")
    parser.add_argument("--peer-repeat", type=int, default=None, help="runs of the peer loop, best reported (5)")
    parser.add_argument("--exact-accounts", type=int, default=None, help="sub-accounts of the exact gate (20,000)")
    parser.add_argument("--cpu", type=int, default=None, help="CPU to pin to (default: the highest allowed)")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes for CI; asserts every gate")
    args = parser.parse_args(argv)
    fill_sizes(
        args,
        ("positions", "accounts", "peer_positions", "repeat", "peer_repeat", "exact_accounts"),
        (20_000, 8_000, 5_000, 3, 2, 300),
        (1_000_000, 400_000, 50_000, 20, 5, 20_000),
    )
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.perf_counter()
    pinned = pin(args.cpu)
    print(
        f"bench_screen: python {platform.python_version()}, numpy {np.__version__}, {os.cpu_count()} cpus, "
        f"{pinned}, BLAS threads 1; code: {code_identity()}"
    )
    load_before = os.getloadavg()

    exact = exact_gate(args.exact_accounts)
    print(
        f"gate 1 (exact): {exact['accounts']:,} margin accounts / {exact['positions']:,} positions from an engine "
        f"state: no disagreement with the integer engine; {exact['below_maintenance']:,} below maintenance, "
        f"confirmed exactly from {exact['candidates']:,} candidates ({exact['uncertain']} in the band); "
        f"book_from_state {exact['convert_seconds'] * 1e6 / exact['positions']:.1f} us/position"
    )

    generated = generate(args.positions, args.accounts)
    book = generated.book()
    prices = generated.prices_after
    ours = screen(book, prices)
    kernel = "compiled (numba)" if numba_available() else "NumPy passes (numba not installed)"
    if numba_available():
        plain = screen(book, prices, compiled=False)
        for column in ("equity", "requirement", "health", "tolerance", "status"):
            if getattr(ours, column).tobytes() != getattr(plain, column).tobytes():
                raise AssertionError(f"kernel gate: the compiled and NumPy screens differ in {column}")
        print("kernel gate: the compiled screen's five columns equal the NumPy path's, bit for bit")
    gate = peer_gate(generated, ours)
    print(
        f"gate 2 (peer): {args.positions:,} positions / {args.accounts:,} accounts: margins within "
        f"{gate['worst_margin_gap_in_tolerances']:.2g} tolerances; candidates {gate['candidates']:,}, "
        f"identical sets: {gate['identical']} ({gate['uncertain']} accounts in the band)"
    )

    counts = np.bincount(generated.columns["position_account"], minlength=args.accounts)
    peer_accounts = int(np.searchsorted(np.cumsum(counts), args.peer_positions, side="right"))
    peer_positions = int(counts[:peer_accounts].sum())
    ours_seconds = best_of(partial(screen, book, prices), args.repeat)
    numpy_seconds = best_of(partial(screen, book, prices, compiled=False), args.repeat)
    ours_small, peer_small = time_subset(generated, prices, peer_accounts, args)
    peer_scaled = peer_small * args.positions / peer_positions
    memory = measure_memory(generated, prices, peer_accounts, peer_positions)
    load_after = os.getloadavg()

    ratio = peer_scaled / ours_seconds
    memory_ratio = memory["peer_peak_mib"] / memory["ours_peak_mib"]
    statuses = np.bincount(ours.status, minlength=len(ScreenStatus))
    print(f"\nbook: {args.positions:,} positions, {args.accounts:,} accounts, {book.holding_account.size:,} holdings")
    print("status after the tick: " + ", ".join(f"{s.name} {statuses[s]:,}" for s in ScreenStatus))
    print(
        f"ours : screen of {args.positions:,} positions, best of {args.repeat}: {ours_seconds * 1e3:.1f} ms ({kernel})"
    )
    print(f"       the NumPy path on the same book, best of {args.repeat}: {numpy_seconds * 1e3:.1f} ms")
    print(
        f"peer : per-object loop, best of {args.peer_repeat} on the first {peer_accounts:,} accounts "
        f"({peer_positions:,} positions): {peer_small * 1e3:.1f} ms, scaled linearly to {args.positions:,}: "
        f"{peer_scaled:.2f} s (one run over the whole book in the gate: {gate['peer_full_seconds']:.2f} s)"
    )
    print(
        f"ratio peer / ours: {ratio:,.0f}x  "
        f"(same subset: ours {ours_small * 1e3:.2f} ms, {peer_small / ours_small:,.0f}x)"
    )
    print(
        f"memory per million positions, peak (kept after building): ours {memory['ours_peak_mib']:.0f} MiB "
        f"({memory['ours_kept_mib']:.0f}), peer {memory['peer_peak_mib']:.0f} MiB ({memory['peer_kept_mib']:.0f}); "
        f"peer / ours {memory_ratio:.1f}x"
    )
    met_time, met_ratio = ours_seconds <= TARGET_SECONDS, ratio >= TARGET_RATIO
    print(
        f"target ≤ {TARGET_SECONDS * 1e3:.0f} ms: {'MET' if met_time else 'MISSED'}; "
        f"target ≥ {TARGET_RATIO:.0f}x the loop: {'MET' if met_ratio else 'MISSED'}"
    )
    print("load average (1/5/15 min) before: " + " / ".join(f"{v:.2f}" for v in load_before), end="")
    print("; after: " + " / ".join(f"{v:.2f}" for v in load_after))
    summary = {
        "benchmark": "bench_screen",
        "positions": args.positions,
        "accounts": args.accounts,
        "ours_ms": round(ours_seconds * 1e3, 2),
        "kernel": kernel,
        "numpy_path_ms": round(numpy_seconds * 1e3, 2),
        "ratio_numpy_path": round(peer_scaled / numpy_seconds, 1),
        "peer_subset_positions": peer_positions,
        "peer_subset_ms": round(peer_small * 1e3, 2),
        "peer_scaled_s": round(peer_scaled, 3),
        "peer_full_gate_s": round(gate["peer_full_seconds"], 3),
        "ratio": round(ratio, 1),
        "ours_peak_mib_per_million": round(memory["ours_peak_mib"], 1),
        "peer_peak_mib_per_million": round(memory["peer_peak_mib"], 1),
        "memory_ratio": round(memory_ratio, 2),
        "targets_met": met_time and met_ratio,
        "loadavg_before": [round(v, 2) for v in load_before],
        "loadavg_after": [round(v, 2) for v in load_after],
        "verified": True,
        "wall_seconds": round(time.perf_counter() - started, 1),
    }
    print(json.dumps(summary, separators=(",", ":")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
