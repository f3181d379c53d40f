"""Liquidation throughput and exact health of a large book, each beside a peer measured in the same run.

Usage::

    python benchmarks/bench_liquidation.py [--traders N] [--accounts M] [--batch B] [--repeat R]
                                           [--smoke] [--profile] [--skip-mix | --skip-health]

**Part 1, a liquidation-heavy command mix** (``_liquidation_mix.py``): two pools, N traders
(default 10,000) with leveraged cross and isolated positions (untimed setup), then 18 rounds
of price ticks from three sources that push most longs (and, on the rebound, late shorts)
below maintenance, interleaved with keepers' ``Liquidate`` commands (including attempts on
healthy positions, which are rejected and counted), new positions, over-leveraged openings
(rejected), partial closes and top-ups. Timed end to end through ``Engine.execute_batch``:

- ``memory``    : ``Engine(MemoryJournal())`` in batches of B;
- ``sqlite``    : ``Engine(SqliteJournal(tmpfile))`` (WAL, ``synchronous=FULL``), same batches:
                  each batch is acknowledged only after its durable commit;
- ``sqlite B=1``: the same engine committing one durable transaction per command, on a prefix;
- ``peer``      : a naive per-command ``decimal.Decimal`` model of the same rules
                  (``_decimal_venue.py``): dictionaries of objects, no events, no journal.

Correctness gate, before any figure counts: the generator drives the Decimal model, which
records every command's expected outcome; every engine run must reproduce all of them
(accepted, or the same rejection class), end with the model's balances, positions, pool
vaults, insurance funds, fees, pool status and open interest to the atom, conserve
every asset, verify its hash chain and replay to the live state. So the peer liquidates
exactly the positions the engine does.

**Part 2, exact health of M accounts** (``_health_book.py``, default 100,000 sub-accounts: 60%
cross with 1-2 positions and multi-asset collateral, 40% isolated): every account's maintenance
equity, requirement and health (WAD, floored) through the engine's ``margin_snapshot`` /
``isolated_margin``, against the same computation as a per-object loop in ``Decimal`` (80
digits) and in ``fractions.Fraction``. Gate first: every figure of every account equal across
the three, the health being the floor of the exact rational; then the timed runs.

Every figure is a median of ``--repeat`` runs timed with ``time.perf_counter``; the
configurations' runs are interleaved, and each run starts after ``os.sync()`` and a garbage
collection.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import platform
import pstats
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from functools import partial
from pathlib import Path
from typing import Any

from _decimal_venue import DecimalVenue
from _health_book import Book, as_atoms, build_book, decimal_health, engine_health, fraction_health, peer_book
from _liquidation_mix import Workload, generate
from _machine import fill_sizes
from _venue import sent_as_named
from bench_ledger import Figure, _fresh_path, _quiesce, _row, _TimedAppend, code_identity  # shared helpers
from ringfence.core.commands import Command
from ringfence.core.invariants import check_conservation
from ringfence.core.state import LedgerState
from ringfence.service.engine import Engine, Outcome, Rejected, replay
from ringfence.store.keys import JournalKey
from ringfence.store.memory import MemoryJournal
from ringfence.store.sqlite import SqliteJournal

BENCH_KEY = JournalKey.generate("benchmark")  # one key for every run, so the journals' heads compare equal

SETUP_BATCH = 1_000

# --------------------------------------------------------------------------- part 1: the liquidation mix


def outcome_codes(outcomes: Sequence[Outcome]) -> list[str]:
    """Return ``"ok"`` or the rejection's class name per outcome (the Decimal model's vocabulary)."""
    return ["ok" if not isinstance(o, Rejected) else type(o.error).__name__ for o in outcomes]


def engine_atoms(state: LedgerState) -> dict[str, Any]:
    """Return the engine's state in the shape ``DecimalVenue.atoms`` returns."""
    pools = state.pools.values()
    return {
        "balances": {
            (key, asset): atoms
            for key, account in state.accounts.items()
            for asset, atoms in account.balances.items()
            if atoms
        },
        "positions": {
            (pool.pool, market, key): (p.size_atoms, p.open_notional_atoms, p.isolated_margin_atoms)
            for pool in pools
            for (key, market), p in pool.positions.items()
        },
        "pools": {
            pool.pool: (
                pool.vault_atoms,
                pool.insurance_atoms,
                pool.protocol_fees_atoms,
                pool.socialised_loss_atoms,
                pool.status.value,
            )
            for pool in pools
        },
        "open_interest": {
            (pool.pool, market_id): (market.long_atoms, market.short_atoms)
            for pool in pools
            for market_id, market in pool.markets.items()
        },
    }


@dataclass
class EngineRun:
    """One timed engine run and what it ended with."""

    seconds: float
    append_seconds: float
    codes: list[str]
    atoms: dict[str, Any]
    entries: int
    head_hash: str


def _batches(commands: Sequence[Command], size: int) -> list[Sequence[Command]]:
    return [commands[i : i + size] for i in range(0, len(commands), size)]


def _check_replay(engine: Engine, journal: Any) -> None:
    if isinstance(journal, SqliteJournal):
        reopened = SqliteJournal(journal.path, journal.key)
        try:
            if Engine(reopened).state != engine.state:
                raise AssertionError("sqlite: a fresh engine replaying the file differs from the live state")
        finally:
            reopened.close()
    elif replay(journal.read()) != engine.state:
        raise AssertionError("memory: replay differs from the live state")


def run_engine(
    journal_factory: Callable[[], Any],
    workload: Workload,
    commands: Sequence[Command],
    batch: int,
    profiler: cProfile.Profile | None = None,
) -> EngineRun:
    """Run the setup untimed, then time ``execute_batch`` over ``commands``; verify the journal and replay."""
    journal = journal_factory()
    try:
        engine = Engine(journal)
        setup = [
            code
            for chunk in _batches(workload.setup, SETUP_BATCH)
            for code in outcome_codes(engine.execute_batch(sent_as_named(chunk)))
        ]
        if setup != workload.expected_setup:
            raise AssertionError("setup outcomes differ from the Decimal model's")
        timed_append = journal.append = _TimedAppend(journal.append)
        codes: list[str] = []
        chunks = [sent_as_named(chunk) for chunk in _batches(commands, batch)]  # senders named before timing
        _quiesce()
        if profiler is not None:
            profiler.enable()
        start = time.perf_counter()
        for chunk in chunks:
            codes.extend(outcome_codes(engine.execute_batch(chunk)))
        seconds = time.perf_counter() - start
        if profiler is not None:
            profiler.disable()
        entries = journal.verify()
        head = list(journal.read(entries - 1))[-1].hash
        _check_replay(engine, journal)
        check_conservation(engine.state)
        return EngineRun(seconds, timed_append.seconds, codes, engine_atoms(engine.state), entries, head)
    finally:
        journal.close()


def check_engine(label: str, run: EngineRun, workload: Workload, reference: EngineRun | None) -> None:
    """Raise unless the run produced the Decimal model's outcomes and final state (and the reference's journal)."""
    expected = workload.expected[: len(run.codes)]
    if run.codes != expected:
        first = next(i for i, (a, b) in enumerate(zip(run.codes, expected, strict=True)) if a != b)
        raise AssertionError(f"{label}: command {first} gave {run.codes[first]}, the Decimal model {expected[first]}")
    if len(run.codes) == len(workload.expected):
        for part, value in workload.final_atoms.items():
            if run.atoms[part] != value:
                raise AssertionError(f"{label}: final {part} differ from the Decimal model's")
    if reference is not None and (run.entries, run.head_hash) != (reference.entries, reference.head_hash):
        raise AssertionError(f"{label}: journal head differs from the reference run")


def run_peer(workload: Workload) -> float:
    """Time the Decimal model over the mix (setup untimed); raise unless it ends exactly as generated."""
    model = DecimalVenue()
    model.run(workload.setup)
    _quiesce()
    start = time.perf_counter()
    codes = model.run(workload.commands)
    seconds = time.perf_counter() - start
    if codes != workload.expected or model.atoms() != workload.final_atoms:
        raise AssertionError("peer: the Decimal model did not reproduce its own generated outcomes")
    return seconds


def measure_mix(workload: Workload, args: argparse.Namespace, folder: Path) -> dict[str, Figure]:
    """Run every configuration of part 1 ``args.repeat`` times, interleaved, verifying each run."""
    n = len(workload.commands)
    single = workload.commands[: args.single_n]
    figures = {
        "memory": Figure("engine, memory journal", n, args.batch, "commands"),
        "sqlite": Figure("engine, sqlite journal (WAL, FULL)", n, args.batch, "commands"),
        "sqlite_b1": Figure("engine, sqlite journal, B=1", len(single), 1, "commands"),
        "peer": Figure("peer: Decimal model, no journal", n, None, "commands"),
    }
    reference: EngineRun | None = None
    for rep in range(args.repeat):
        memory = run_engine(partial(MemoryJournal, BENCH_KEY), workload, workload.commands, args.batch)
        check_engine("memory", memory, workload, reference)
        reference = reference or memory
        figures["memory"].add(memory.seconds, memory.append_seconds)

        path = _fresh_path(folder, f"mix-{rep}.sqlite")
        durable = run_engine(partial(SqliteJournal, path, BENCH_KEY), workload, workload.commands, args.batch)
        check_engine("sqlite", durable, workload, reference)
        figures["sqlite"].add(durable.seconds, durable.append_seconds)

        if rep < args.fsync_repeat:
            path = _fresh_path(folder, f"mix-b1-{rep}.sqlite")
            one_by_one = run_engine(partial(SqliteJournal, path, BENCH_KEY), workload, single, 1)
            check_engine("sqlite B=1", one_by_one, workload, None)
            figures["sqlite_b1"].add(one_by_one.seconds, one_by_one.append_seconds)

        figures["peer"].add(run_peer(workload))
        for leftover in folder.iterdir():
            leftover.unlink()
        print(f"  mix run {rep + 1}/{args.repeat}: verified (outcomes and final state equal the Decimal model's)")
    return figures


# --------------------------------------------------------------------------- part 2: exact health


def health_gate(book: Book) -> dict[str, int]:
    """Raise unless every account's equity, requirement and health agree across the three implementations."""
    ours = engine_health(book)
    in_decimal = as_atoms(decimal_health(peer_book(book, Decimal)))
    in_fractions = as_atoms(fraction_health(peer_book(book, Fraction)))
    for label, theirs in (("Decimal", in_decimal), ("Fraction", in_fractions)):
        if len(theirs) != len(ours):
            raise AssertionError(f"health: {label} returned {len(theirs)} figures for {len(ours)} accounts")
        for index, (a, b) in enumerate(zip(ours, theirs, strict=True)):
            if a != b:
                raise AssertionError(f"health: account {book.refs[index]}: engine {a}, {label} {b}")
    return {
        "accounts": len(ours),
        "cross": sum(ref.cross for ref in book.refs),
        "isolated": sum(not ref.cross for ref in book.refs),
        "below_maintenance": sum(equity < requirement for equity, requirement, _ in ours),
        "negative_equity": sum(equity < 0 for equity, _, _ in ours),
        "positions": sum(len(book.state.pools[r.pool].account_markets[r.key]) if r.cross else 1 for r in book.refs),
    }


def _timed(function: Callable[[], object]) -> float:
    _quiesce()
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def measure_health(book: Book, args: argparse.Namespace) -> dict[str, Figure]:
    """Time the three implementations, interleaved, on the same book (the peers' objects are built untimed)."""
    count = len(book.refs)
    figures = {
        "ours": Figure("engine margin functions (int)", count, None, "accounts"),
        "decimal": Figure("peer: Decimal loop (80 digits)", count, None, "accounts"),
        "fraction": Figure("peer: Fraction loop (exact)", count, None, "accounts"),
    }
    decimal_book, fraction_book = peer_book(book, Decimal), peer_book(book, Fraction)
    for rep in range(args.repeat):
        figures["ours"].add(_timed(partial(engine_health, book)))
        figures["decimal"].add(_timed(partial(decimal_health, decimal_book)))
        if rep < args.fraction_repeat:
            figures["fraction"].add(_timed(partial(fraction_health, fraction_book)))
        print(f"  health run {rep + 1}/{args.repeat} done")
    return figures


# --------------------------------------------------------------------------- report


def print_table(figures: dict[str, Figure], reference: Figure, reference_label: str) -> None:
    """Print one row per configuration with its median rate, range and ratio to ``reference``."""
    header = ("configuration", "N", "batch", "runs", "median s", "per second (median)", "range (min-max)", "in append")
    header += (f"vs {reference_label}",)
    rows = [header]
    for figure in figures.values():
        rows.append(
            (
                figure.name,
                f"{figure.count:,}",
                "-" if figure.batch is None else str(figure.batch),
                str(len(figure.seconds)),
                f"{figure.median:.3f}",
                f"{figure.rate:,.0f} {figure.unit}/s",
                figure.spread,
                figure.append_share,
                f"{figure.rate / reference.rate:.3f}x",
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    print()
    for i, row in enumerate(rows):
        print(_row(row, widths))
        if i == 0:
            print(_row(["-" * w for w in widths], widths))


def report_mix(figures: dict[str, Figure], workload: Workload) -> dict[str, Any]:
    """Print part 1's table, ratios and workload; return its JSON summary."""
    memory, durable, single, peer = (figures[k] for k in ("memory", "sqlite", "sqlite_b1", "peer"))
    print_table(figures, peer, "peer")
    paired = statistics.median(p / m for m, p in zip(memory.seconds, peer.seconds, strict=True))
    print()
    print(f"engine (memory journal) / Decimal peer throughput: {memory.rate / peer.rate:.3f}")
    print(f"  same ratio, median of the {len(memory.seconds)} interleaved run pairs: {paired:.3f}")
    print(f"engine (sqlite, durable) / Decimal peer throughput: {durable.rate / peer.rate:.3f}")
    print(f"sqlite / memory journal throughput: {durable.rate / memory.rate:.3f}")
    print(f"group commit (B={durable.batch}) vs one durable transaction per command: {durable.rate / single.rate:.1f}x")
    for name, figure in (("memory", memory), ("sqlite", durable)):
        us = 1e6 * figure.median / figure.count
        append_us = 1e6 * statistics.median(figure.append_seconds) / figure.count
        print(f"  {name}: {us:.1f} us/command, of which journal.append {append_us:.1f} us")
    print(f"  peer: {1e6 * peer.median / peer.count:.1f} us/command")
    print("mix (expected outcome = observed outcome for every command):")
    for label, count in sorted(workload.mix.items(), key=lambda item: -item[1]):
        print(f"  {count:>8,}  {label}")
    liquidations = sum(
        c for label, c in workload.mix.items() if label.startswith("Liquidate") and "rejected" not in label
    )
    healthy = sum(c for label, c in workload.mix.items() if label.startswith("Liquidate") and "rejected" in label)
    print(
        f"liquidations accepted {liquidations:,} on {workload.liquidated_positions:,} positions "
        f"({workload.closed_by_liquidation:,} closed whole); attempts on healthy positions rejected {healthy:,}"
    )
    return {
        "mix_commands": memory.count,
        "mix_setup_commands": len(workload.setup),
        "batch": memory.batch,
        "memory_commands_per_s": round(memory.rate),
        "sqlite_commands_per_s": round(durable.rate),
        "sqlite_b1_commands_per_s": round(single.rate),
        "sqlite_b1_commands": single.count,
        "peer_decimal_commands_per_s": round(peer.rate),
        "ratio_memory_over_peer": round(memory.rate / peer.rate, 4),
        "ratio_memory_over_peer_paired": round(paired, 4),
        "ratio_sqlite_over_peer": round(durable.rate / peer.rate, 4),
        "ratio_sqlite_over_memory": round(durable.rate / memory.rate, 4),
        "liquidations_accepted": liquidations,
        "liquidated_positions": workload.liquidated_positions,
        "liquidation_attempts_rejected": healthy,
    }


def report_health(figures: dict[str, Figure], gate: dict[str, int]) -> dict[str, Any]:
    """Print part 2's table and ratios; return its JSON summary."""
    ours, in_decimal, in_fractions = (figures[k] for k in ("ours", "decimal", "fraction"))
    print_table(figures, in_decimal, "Decimal")
    print()
    print(f"engine / Decimal throughput: {ours.rate / in_decimal.rate:.3f}")
    print(f"engine / Fraction throughput: {ours.rate / in_fractions.rate:.3f}")
    print("book: " + ", ".join(f"{key.replace('_', ' ')} {value:,}" for key, value in gate.items()))
    print("gate: equity, requirement and health of every account equal across engine, Decimal and Fraction")
    return {
        "health_accounts": gate["accounts"],
        "health_positions": gate["positions"],
        "health_ours_accounts_per_s": round(ours.rate),
        "health_decimal_accounts_per_s": round(in_decimal.rate),
        "health_fraction_accounts_per_s": round(in_fractions.rate),
        "ratio_health_ours_over_decimal": round(ours.rate / in_decimal.rate, 4),
        "ratio_health_ours_over_fraction": round(ours.rate / in_fractions.rate, 4),
        "health_below_maintenance": gate["below_maintenance"],
    }


def print_profile(label: str, profiler: cProfile.Profile, wall: float, top: int = 25) -> None:
    """Print the top functions by own time, with their share of the profiled time."""
    stats = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    total = sum(tottime for _cc, _nc, tottime, _ct, _callers in stats.values())
    print(f"\n== cProfile, {label}: {total:.2f}s own time under the profiler, {wall:.2f}s wall")
    print(f"{'own s':>8} {'share':>6} {'cum s':>8} {'share':>6} {'calls':>10}  function")
    for order, column in (("own time", 2), ("cumulative time", 3)):
        print(f"-- top {top} by {order}")
        ranked = sorted(stats.items(), key=lambda item: item[1][column], reverse=True)[:top]
        for (filename, line, name), (_cc, calls, tottime, cumtime, _callers) in ranked:
            where = f"{Path(filename).name}:{line}({name})" if line else name
            print(f"{tottime:8.3f} {tottime / total:6.1%} {cumtime:8.3f} {cumtime / total:6.1%} {calls:10,}  {where}")


def profile_mix(workload: Workload, args: argparse.Namespace) -> None:
    """Profile one memory-journal run of the mix (run before part 2 builds its book, whose heap would slow GC)."""
    profiler = cProfile.Profile()
    run = run_engine(partial(MemoryJournal, BENCH_KEY), workload, workload.commands, args.batch, profiler)
    check_engine("memory (profiled)", run, workload, None)
    print_profile("liquidation mix, memory journal, timed loop only", profiler, run.seconds)


def profile_health(book: Book) -> None:
    """Profile one pass of the engine's health computation over the book."""
    profiler = cProfile.Profile()
    start = time.perf_counter()
    profiler.runcall(engine_health, book)
    print_profile("exact health, engine margin functions", profiler, time.perf_counter() - start)


# --------------------------------------------------------------------------- command line


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--traders", type=int, default=None, help="traders opening positions in setup (10,000)")
    parser.add_argument("--accounts", type=int, default=None, help="sub-accounts in the health book (100,000)")
    parser.add_argument("--batch", type=int, default=None, help="execute_batch size B (1,000)")
    parser.add_argument("--single-n", type=int, default=None, help="mix commands for the sqlite B=1 run (1,000)")
    parser.add_argument("--repeat", type=int, default=None, help="runs per configuration, median reported (5)")
    parser.add_argument("--fsync-repeat", type=int, default=3, help="runs of the fsync-bound B=1 configuration")
    parser.add_argument("--fraction-repeat", type=int, default=3, help="runs of the (slow) Fraction peer")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes for CI; asserts every correctness gate")
    parser.add_argument("--profile", action="store_true", help="also cProfile the engine's mix run and health pass")
    parser.add_argument("--skip-mix", action="store_true", help="run only part 2 (health)")
    parser.add_argument("--skip-health", action="store_true", help="run only part 1 (liquidation mix)")
    parser.add_argument("--tmpdir", type=Path, default=None, help="where the journal files go (default: system temp)")
    args = parser.parse_args(argv)
    fill_sizes(
        args,
        ("traders", "accounts", "batch", "single_n", "repeat"),
        (200, 2_000, 200, 100, 2),
        (10_000, 100_000, 1_000, 1_000, 5),
    )
    args.fsync_repeat = min(args.fsync_repeat, args.repeat)
    args.fraction_repeat = min(args.fraction_repeat, args.repeat)
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.perf_counter()
    identity = code_identity()
    print(
        f"bench_liquidation: python {platform.python_version()}, sqlite {sqlite3.sqlite_version}, "
        f"{os.cpu_count()} cpus; code: {identity}"
    )
    load_before = os.getloadavg()
    summary: dict[str, Any] = {"benchmark": "bench_liquidation", "repeat": args.repeat}
    if not args.skip_mix:
        workload = generate(args.traders)
        print(
            f"part 1: {args.traders:,} traders, {len(workload.setup):,} setup commands (untimed), "
            f"{len(workload.commands):,} mix commands (timed), B={args.batch}, B=1 on {args.single_n:,}"
        )
        with tempfile.TemporaryDirectory(prefix="ringfence-bench-", dir=args.tmpdir) as name:
            figures = measure_mix(workload, args, Path(name))
        summary |= report_mix(figures, workload)
        if args.profile:
            profile_mix(workload, args)
        del workload
    if not args.skip_health:
        book = build_book(args.accounts)
        print(f"\npart 2: exact health of {args.accounts:,} sub-accounts")
        gate = health_gate(book)
        print("  gate passed: every account's equity, requirement and health equal in all three implementations")
        summary |= report_health(measure_health(book, args), gate)
        if args.profile:
            profile_health(book)
    load_after = os.getloadavg()
    print(
        "load average (1/5/15 min) before: "
        + " / ".join(f"{v:.2f}" for v in load_before)
        + "; after: "
        + " / ".join(f"{v:.2f}" for v in load_after)
    )
    summary["loadavg_before"] = [round(v, 2) for v in load_before]
    summary["loadavg_after"] = [round(v, 2) for v in load_after]
    summary["code"] = identity
    summary["verified"] = True
    summary["wall_seconds"] = round(time.perf_counter() - started, 1)
    print(json.dumps(summary, separators=(",", ":")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
