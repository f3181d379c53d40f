"""Ledger throughput: the durable SQLite journal against the in-memory engine, and a naive event log.

Usage::

    python benchmarks/bench_ledger.py [--commands N] [--batch B] [--smoke] [--repeat R] [--profile]

A seeded mix of deposits, withdrawals and transfers (about 50/25/25) over ~1,000 owners x 2
sub-accounts x 3 assets is generated outside the timed region, valid by construction except
for a small, counted share of deliberate overdrafts that the engine must reject.

Configurations, all timed with ``time.perf_counter`` in the same run, median of ``--repeat`` runs:

- ``memory``   : ``Engine(MemoryJournal())``, ``execute_batch`` in batches of B.
- ``sqlite``   : ``Engine(SqliteJournal(tmpfile))``, same commands, same batches. Every
                 ``execute_batch`` returns only after its batch's ``COMMIT`` (WAL,
                 ``synchronous=FULL``) is on disk: the acknowledgement waits for the durable commit.
- ``sqlite B=1``: one durable transaction per command (no group commit), on a prefix of the commands.
- ``naive``    : a straightforward Python event log: one autocommit ``INSERT`` of a JSON payload
                 per event, ``synchronous=FULL``, no hash chain, no validation, no engine.

Peers: the durable journal is reported as a ratio of the in-memory engine (target: the
durable journal costs at most 2x, i.e. sqlite/memory throughput >= 0.5); the B=1 and
naive figures show what group commit buys. Every run is verified (final state equals the
expected balances and the other engine's state, the journal's hash chain verifies, replay
equals the live state) so the benchmark cannot time something broken. Before every timed run
the page cache is flushed (``os.sync``) and garbage collected, so one run's writeback does
not land in the next run's fsyncs; the runs of the four configurations are interleaved.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import hashlib
import json
import os
import platform
import pstats
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields
from functools import partial
from pathlib import Path
from typing import Any

import ringfence
from _machine import fill_sizes
from _venue import admin_genesis, sent_as_named
from ringfence.core.commands import Command, ConfigureOracle, Deposit, RegisterAsset, SubmitPrice, Transfer, Withdraw
from ringfence.core.margin import NO_LIMIT
from ringfence.core.state import LedgerState
from ringfence.core.units import parse_price, parse_ratio
from ringfence.service.engine import Engine, Rejected, replay
from ringfence.store.keys import JournalKey
from ringfence.store.memory import MemoryJournal
from ringfence.store.sqlite import SqliteJournal

BENCH_KEY = JournalKey.generate("benchmark")  # one key for every run, so the journals' heads compare equal

SECOND_NS = 1_000_000_000
START_NS = 1_767_225_600 * SECOND_NS  # 2026-01-01T00:00:00Z
SOURCES = ("chainlink", "pyth", "redstone")
ASSETS = {"USDC": (6, "1", "0.98", "0.99"), "ETH": (18, "3000", "0.80", "0.85"), "WBTC": (8, "65000", "0.75", "0.80")}
TARGET_MAX_SLOWDOWN = 2.0
OVERDRAFT_SHARE = 0.01

Key = tuple[str, int, str]  # (owner, sub_account, asset)


# --------------------------------------------------------------------------- workload


def setup_commands() -> list[Command]:
    """List the three assets and configure their oracles in the admin's genesis, open, give each a fresh price."""
    commands: list[Command] = []
    for asset, (decimals, _price, initial, maintenance) in ASSETS.items():
        commands.append(
            RegisterAsset(
                asset=asset,
                decimals=decimals,
                initial_weight_wad=parse_ratio(initial),
                maintenance_weight_wad=parse_ratio(maintenance),
                supply_cap_atoms=NO_LIMIT,
                weight_scale_start_value=NO_LIMIT,
                timestamp_ns=START_NS,
            )
        )
        commands.append(
            ConfigureOracle(
                asset=asset,
                source_names=SOURCES,
                source_weights=(1, 1, 1),
                quorum=2,
                max_staleness_ns=120 * SECOND_NS,
                max_deviation_wad=parse_ratio("0.02"),
                max_confidence_wad=parse_ratio("0.01"),
                max_jump_wad=parse_ratio("0.15"),
                guard_release_ns=300 * SECOND_NS,
                delay_interval_seconds=3600,
                delay_growth_limit_wad=parse_ratio("0.06"),
                stable_growth_limit_wad=parse_ratio("0.0003"),
                timestamp_ns=START_NS,
            )
        )
    for asset, (_decimals, price, _initial, _maintenance) in ASSETS.items():
        commands.extend(SubmitPrice(asset, source, parse_price(price), 0, START_NS, START_NS) for source in SOURCES)
    return admin_genesis(commands, START_NS)


@dataclass
class Workload:
    """Pre-generated commands and what a correct engine must end with."""

    commands: list[Command]
    expected_rejected: int
    expected_balances: dict[Key, int]
    mix: dict[str, int] = field(default_factory=dict)


class _Funded:
    """The keys with a positive balance, with O(1) random choice, insertion and removal."""

    def __init__(self) -> None:
        self.keys: list[Key] = []
        self.index: dict[Key, int] = {}

    def add(self, key: Key) -> None:
        if key not in self.index:
            self.index[key] = len(self.keys)
            self.keys.append(key)

    def remove(self, key: Key) -> None:
        position = self.index.pop(key)
        last = self.keys.pop()
        if last != key:
            self.keys[position] = last
            self.index[last] = position


class _Generator:
    """Tracks balances while generating so releases never exceed what is held (except on purpose)."""

    def __init__(self, seed: int, owners: int) -> None:
        self.rng = random.Random(seed)
        self.owners = [f"owner-{i:04d}" for i in range(owners)]
        self.balances: dict[Key, int] = {}
        self.funded = _Funded()
        self.rejected = 0
        self.mix = {"deposit": 0, "withdraw": 0, "transfer": 0, "overdraft": 0}
        self.now = START_NS + SECOND_NS

    def _change(self, key: Key, delta: int) -> None:
        balance = self.balances.get(key, 0) + delta
        self.balances[key] = balance
        if balance > 0:
            self.funded.add(key)
        else:
            self.funded.remove(key)

    def deposit(self) -> Command:
        asset = self.rng.choice(tuple(ASSETS))
        key = (self.rng.choice(self.owners), self.rng.randrange(2), asset)
        amount = self.rng.randint(1, 10 ** (ASSETS[asset][0] + 4))
        self._change(key, amount)
        self.mix["deposit"] += 1
        return Deposit(key[0], key[1], asset, amount, self.now)

    def _release_amount(self, key: Key) -> int:
        held = self.balances[key]
        if self.rng.random() < OVERDRAFT_SHARE:
            self.rejected += 1
            self.mix["overdraft"] += 1
            return held + 1
        return self.rng.randint(1, held)

    def withdraw(self) -> Command:
        key = self.rng.choice(self.funded.keys)
        amount = self._release_amount(key)
        if amount <= self.balances[key]:
            self._change(key, -amount)
        self.mix["withdraw"] += 1
        return Withdraw(key[0], key[1], key[2], amount, self.now)

    def transfer(self) -> Command:
        key = self.rng.choice(self.funded.keys)
        owner, sub, asset = key
        amount = self._release_amount(key)
        if amount <= self.balances[key]:
            self._change(key, -amount)
            self._change((owner, 1 - sub, asset), amount)
        self.mix["transfer"] += 1
        return Transfer(owner, sub, 1 - sub, asset, amount, self.now)

    def next(self) -> Command:
        roll = self.rng.random()
        if roll < 0.5 or not self.funded.keys:
            return self.deposit()
        if roll < 0.75:
            return self.withdraw()
        return self.transfer()


def generate(count: int, seed: int = 20260101, owners: int = 1000) -> Workload:
    """Generate ``count`` commands; prefixes of the list are valid workloads too."""
    generator = _Generator(seed, owners)
    commands = [generator.next() for _ in range(count)]
    expected = {key: balance for key, balance in generator.balances.items() if balance}
    return Workload(commands, generator.rejected, expected, generator.mix)


# --------------------------------------------------------------------------- runs and checks


@dataclass
class RunResult:
    """One timed run."""

    seconds: float
    append_seconds: float
    rejected: int
    state: LedgerState
    head_hash: str
    entries: int


class _TimedAppend:
    """Wraps a journal's ``append`` to add up the time spent in it (the rest is decide and evolve)."""

    def __init__(self, append: Callable[..., Any]) -> None:
        self.append = append
        self.seconds = 0.0

    def __call__(self, *args: Any) -> Any:
        start = time.perf_counter()
        try:
            return self.append(*args)
        finally:
            self.seconds += time.perf_counter() - start


def _quiesce() -> None:
    """Flush earlier runs' dirty pages (their writeback would slow this run's fsyncs) and collect garbage."""
    os.sync()
    gc.collect()


def _batches(commands: Sequence[Command], size: int) -> list[Sequence[Command]]:
    return [commands[i : i + size] for i in range(0, len(commands), size)]


def run_engine(
    journal_factory: Callable[[], Any],
    commands: Sequence[Command],
    batch: int,
    profiler: cProfile.Profile | None = None,
) -> RunResult:
    """Set up (untimed), then time ``execute_batch`` over ``commands`` in batches of ``batch``.

    With ``profiler``, only the timed loop is profiled.
    """
    journal = journal_factory()
    try:
        engine = Engine(journal)
        setup = engine.execute_batch(sent_as_named(setup_commands()))
        if any(isinstance(outcome, Rejected) for outcome in setup):
            raise AssertionError(f"setup rejected: {[o for o in setup if isinstance(o, Rejected)]}")
        batches = [sent_as_named(chunk) for chunk in _batches(commands, batch)]  # senders named before timing
        rejected = 0
        timed_append = journal.append = _TimedAppend(journal.append)
        _quiesce()
        if profiler is not None:
            profiler.enable()
        start = time.perf_counter()
        for chunk in batches:
            for outcome in engine.execute_batch(chunk):
                if isinstance(outcome, Rejected):
                    rejected += 1
        seconds = time.perf_counter() - start
        if profiler is not None:
            profiler.disable()
        entries = journal.verify()
        head = list(journal.read(entries - 1))
        if isinstance(journal, SqliteJournal):
            reopened = SqliteJournal(journal.path, journal.key)
            try:
                if Engine(reopened).state != engine.state:
                    raise AssertionError("sqlite: a fresh engine replaying the file differs from the live state")
            finally:
                reopened.close()
        elif replay(journal.read()) != engine.state:
            raise AssertionError("memory: replay differs from the live state")
        return RunResult(seconds, timed_append.seconds, rejected, engine.state, head[-1].hash, entries)
    finally:
        journal.close()


def check_state(label: str, result: RunResult, workload: Workload, reference: RunResult | None) -> None:
    """Raise unless the run ended with exactly the expected balances, rejections and journal head."""
    if result.rejected != workload.expected_rejected:
        raise AssertionError(f"{label}: {result.rejected} rejected, expected {workload.expected_rejected}")
    actual = {
        (owner, sub, asset): atoms
        for (owner, sub), account in result.state.accounts.items()
        for asset, atoms in account.balances.items()
        if atoms
    }
    if actual != workload.expected_balances:
        raise AssertionError(f"{label}: final balances differ from the generator's ledger")
    for asset in ASSETS:
        held = sum(atoms for (_, _, a), atoms in actual.items() if a == asset)
        net = result.state.deposited_atoms[asset] - result.state.withdrawn_atoms[asset]
        if held != net:
            raise AssertionError(f"{label}: {asset} not conserved ({held} held, {net} net deposits)")
    if reference is not None:
        if result.state != reference.state:
            raise AssertionError(f"{label}: final state differs from the reference run")
        if (result.entries, result.head_hash) != (reference.entries, reference.head_hash):
            raise AssertionError(f"{label}: journal head differs from the reference run")


def _prefix(workload: Workload, count: int) -> Workload:
    """The workload's first ``count`` commands, with their expected outcome."""
    return generate(count) if count < len(workload.commands) else workload


def _event_payload(command: Command) -> str:
    body = {"type": type(command).__name__} | {f.name: getattr(command, f.name) for f in fields(command)}
    return json.dumps(body, sort_keys=True, separators=(",", ":"))


def run_naive(path: Path, commands: Sequence[Command], journal_mode: str) -> float:
    """Time a naive event log: one autocommit INSERT of a JSON payload per event, synchronous=FULL."""
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        connection.execute(f"PRAGMA journal_mode={journal_mode}")
        connection.execute("PRAGMA synchronous=FULL")
        connection.execute("CREATE TABLE events (id INTEGER PRIMARY KEY, type TEXT NOT NULL, payload TEXT NOT NULL)")
        _quiesce()
        start = time.perf_counter()
        for command in commands:
            connection.execute(
                "INSERT INTO events (type, payload) VALUES (?, ?)", (type(command).__name__, _event_payload(command))
            )
        seconds = time.perf_counter() - start
        (rows,) = connection.execute("SELECT COUNT(*) FROM events").fetchone()
        (synchronous,) = connection.execute("PRAGMA synchronous").fetchone()
        if rows != len(commands) or synchronous != 2:
            raise AssertionError(f"naive: {rows} rows for {len(commands)} events, synchronous={synchronous}")
        return seconds
    finally:
        connection.close()


# --------------------------------------------------------------------------- the benchmark


@dataclass
class Figure:
    """A configuration's timings."""

    name: str
    count: int
    batch: int | None
    unit: str
    seconds: list[float] = field(default_factory=list)
    append_seconds: list[float] = field(default_factory=list)

    def add(self, seconds: float, append_seconds: float | None = None) -> None:
        self.seconds.append(seconds)
        if append_seconds is not None:
            self.append_seconds.append(append_seconds)

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    @property
    def rate(self) -> float:
        return self.count / self.median

    @property
    def append_share(self) -> str:
        if not self.append_seconds:
            return "-"
        return f"{statistics.median(a / t for a, t in zip(self.append_seconds, self.seconds, strict=True)):.0%}"

    @property
    def spread(self) -> str:
        low, high = self.count / max(self.seconds), self.count / min(self.seconds)
        return f"{low:,.0f}-{high:,.0f}"


def _fresh_path(folder: Path, name: str) -> Path:
    path = folder / name
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return path


def measure(workload: Workload, args: argparse.Namespace, folder: Path) -> dict[str, Figure]:
    """Run every configuration ``args.repeat`` times, interleaved, verifying each run."""
    n, batch = len(workload.commands), args.batch
    single = _prefix(workload, args.single_n)
    naive_commands = workload.commands[: args.naive_n]
    figures = {
        "memory": Figure("memory journal", n, batch, "commands"),
        "sqlite": Figure("sqlite journal (WAL, FULL)", n, batch, "commands"),
        "sqlite_b1": Figure("sqlite journal, B=1", len(single.commands), 1, "commands"),
        "naive": Figure(f"naive sqlite3 log ({args.naive_journal_mode})", len(naive_commands), 1, "events"),
    }
    reference: RunResult | None = None
    single_reference = run_engine(partial(MemoryJournal, BENCH_KEY), single.commands, 1)
    check_state("memory B=1 reference", single_reference, single, None)
    for rep in range(args.repeat):
        memory = run_engine(partial(MemoryJournal, BENCH_KEY), workload.commands, batch)
        check_state("memory", memory, workload, reference)
        reference = reference or memory
        figures["memory"].add(memory.seconds, memory.append_seconds)

        path = _fresh_path(folder, f"journal-{rep}.sqlite")
        durable = run_engine(partial(SqliteJournal, path, BENCH_KEY), workload.commands, batch)
        check_state("sqlite", durable, workload, reference)
        figures["sqlite"].add(durable.seconds, durable.append_seconds)

        if rep < args.fsync_repeat:
            path = _fresh_path(folder, f"journal-b1-{rep}.sqlite")
            one_by_one = run_engine(partial(SqliteJournal, path, BENCH_KEY), single.commands, 1)
            check_state("sqlite B=1", one_by_one, single, single_reference)
            figures["sqlite_b1"].add(one_by_one.seconds, one_by_one.append_seconds)

            path = _fresh_path(folder, f"naive-{rep}.sqlite")
            figures["naive"].add(run_naive(path, naive_commands, args.naive_journal_mode))
        for leftover in folder.iterdir():
            leftover.unlink()
        print(f"  run {rep + 1}/{args.repeat}: verified (states equal, journals verify, replay equals live)")
    return figures


def _row(cells: Sequence[str], widths: Sequence[int]) -> str:
    return "  ".join(
        cell.rjust(width) if i else cell.ljust(width) for i, (cell, width) in enumerate(zip(cells, widths, strict=True))
    )


def report(figures: dict[str, Figure], workload: Workload, args: argparse.Namespace) -> dict[str, Any]:
    """Print the table and verdict; return the JSON summary."""
    memory, durable, single, naive = (figures[k] for k in ("memory", "sqlite", "sqlite_b1", "naive"))
    header = (
        "configuration",
        "N",
        "batch",
        "median s",
        "per second (median)",
        "range (min-max)",
        "in append",
        "vs memory",
    )
    rows = [header]
    for figure in figures.values():
        rows.append(
            (
                figure.name,
                f"{figure.count:,}",
                str(figure.batch),
                f"{figure.median:.3f}",
                f"{figure.rate:,.0f} {figure.unit}/s",
                figure.spread,
                figure.append_share,
                f"{figure.rate / memory.rate:.3f}x",
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    print()
    for i, row in enumerate(rows):
        print(_row(row, widths))
        if i == 0:
            print(_row(["-" * w for w in widths], widths))
    ratio = durable.rate / memory.rate
    slowdown = memory.rate / durable.rate
    paired = statistics.median(m / d for m, d in zip(memory.seconds, durable.seconds, strict=True))
    per_command_us = {f.name: 1e6 * f.median / f.count for f in (memory, durable)}
    append_us = {f.name: 1e6 * statistics.median(f.append_seconds) / f.count for f in (memory, durable)}
    met = slowdown <= TARGET_MAX_SLOWDOWN
    ack_ms = durable.median / -(-durable.count // durable.batch) * 1e3 if durable.batch else 0.0
    print()
    print("acknowledgement: each execute_batch returns only after its batch's durable COMMIT (synchronous=FULL);")
    print(f"  mean time per acknowledged batch of {durable.batch}: sqlite {ack_ms:.2f} ms")
    print(f"  sqlite B=1 (one durable transaction per command): {single.median / single.count * 1e3:.3f} ms/command")
    for name, total in per_command_us.items():
        print(f"  {name}: {total:.1f} us/command, of which journal.append {append_us[name]:.1f} us")
    print(f"ratio sqlite/memory throughput: {ratio:.3f}  (durable journal costs {slowdown:.2f}x the in-memory time)")
    print(f"  same ratio, median of the {len(memory.seconds)} interleaved run pairs: {paired:.3f}")
    print(f"target 'durable journal costs at most {TARGET_MAX_SLOWDOWN:g}x in-memory': {'MET' if met else 'NOT MET'}")
    print(f"group commit (B={durable.batch}) vs one transaction per command: {durable.rate / single.rate:.1f}x")
    print(f"sqlite engine (B={durable.batch}) vs naive one-INSERT-per-event log: {durable.rate / naive.rate:.1f}x")
    mix = ", ".join(f"{k} {v:,}" for k, v in workload.mix.items())
    print(f"workload: {mix}; rejected (expected and observed) {workload.expected_rejected:,}")
    return {
        "benchmark": "bench_ledger",
        "commands": durable.count,
        "batch": durable.batch,
        "repeat": args.repeat,
        "memory_commands_per_s": round(memory.rate),
        "sqlite_commands_per_s": round(durable.rate),
        "sqlite_b1_commands_per_s": round(single.rate),
        "sqlite_b1_commands": single.count,
        "naive_events_per_s": round(naive.rate),
        "naive_events": naive.count,
        "ratio_sqlite_over_memory": round(ratio, 4),
        "ratio_paired_median": round(paired, 4),
        "slowdown_memory_over_sqlite": round(slowdown, 4),
        "target_max_slowdown": TARGET_MAX_SLOWDOWN,
        "target_met": met,
        "group_commit_speedup": round(durable.rate / single.rate, 2),
        "rejected": workload.expected_rejected,
        "verified": True,
    }


def profile(workload: Workload, args: argparse.Namespace, folder: Path, top: int = 25) -> None:
    """Profile one memory run and one sqlite run with cProfile: top functions by own time, with their share."""
    path = _fresh_path(folder, "profile.sqlite")
    for label, factory in (
        ("memory", partial(MemoryJournal, BENCH_KEY)),
        ("sqlite", partial(SqliteJournal, path, BENCH_KEY)),
    ):
        profiler = cProfile.Profile()
        result = run_engine(factory, workload.commands, args.batch, profiler)
        check_state(f"{label} (profiled)", result, workload, None)
        stats = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
        total = sum(tottime for _cc, _nc, tottime, _ct, _callers in stats.values())
        print(f"\n== cProfile, {label} path, timed loop only: {total:.2f}s own time, {result.seconds:.2f}s wall")
        print(f"{'own s':>8} {'share':>6} {'cum s':>8} {'calls':>10}  function")
        ranked = sorted(stats.items(), key=lambda item: item[1][2], reverse=True)[:top]
        for (filename, line, name), (_cc, calls, tottime, cumtime, _callers) in ranked:
            where = f"{Path(filename).name}:{line}({name})" if line else name
            print(f"{tottime:8.3f} {tottime / total:6.1%} {cumtime:8.3f} {calls:10,}  {where}")


def code_identity() -> str:
    """Name the code measured: git HEAD, whether src/ has uncommitted changes, and a digest of its sources."""
    package = Path(ringfence.__file__).resolve().parent
    digest = hashlib.sha256()
    for source in sorted(package.rglob("*.py")):
        digest.update(source.relative_to(package).as_posix().encode() + b"\0" + source.read_bytes())
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=package, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "."], cwd=package, capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        head, dirty = "unknown", ""
    return f"git {head}{' + uncommitted src changes' if dirty else ''}, src sha256 {digest.hexdigest()[:12]}"


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commands", type=int, default=None, help="commands per memory/sqlite run (100,000)")
    parser.add_argument("--batch", type=int, default=None, help="execute_batch size B (1,000)")
    parser.add_argument("--single-n", type=int, default=None, help="commands for the sqlite B=1 run (2,000)")
    parser.add_argument("--naive-n", type=int, default=None, help="events for the naive sqlite3 log (2,000)")
    parser.add_argument("--naive-journal-mode", default="WAL", choices=("WAL", "DELETE"))
    parser.add_argument("--repeat", type=int, default=None, help="runs per configuration, median reported (5; smoke 3)")
    parser.add_argument("--fsync-repeat", type=int, default=3, help="runs of the fsync-bound B=1 and naive configs")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes for CI (2,000 / 200)")
    parser.add_argument("--profile", action="store_true", help="also cProfile one memory and one sqlite run")
    parser.add_argument("--tmpdir", type=Path, default=None, help="where the journal files go (default: system temp)")
    parser.add_argument("--require-target", action="store_true", help="exit 1 if the <=2x target is not met")
    args = parser.parse_args(argv)
    fill_sizes(
        args,
        ("commands", "batch", "single_n", "naive_n", "repeat"),
        (2_000, 200, 200, 200, 3),
        (100_000, 1_000, 2_000, 2_000, 5),
    )
    args.fsync_repeat = min(args.fsync_repeat, args.repeat)
    args.single_n = min(args.single_n, args.commands)
    args.naive_n = min(args.naive_n, args.commands)
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.perf_counter()
    workload = generate(args.commands)
    with tempfile.TemporaryDirectory(prefix="ringfence-bench-", dir=args.tmpdir) as name:
        folder = Path(name)
        print(
            f"bench_ledger: python {platform.python_version()}, sqlite {sqlite3.sqlite_version}, "
            f"{os.cpu_count()} cpus, journals in {folder}"
        )
        identity = code_identity()
        print(f"code: {identity}")
        print(
            f"{args.commands:,} commands (seeded), batch B={args.batch}, B=1 on {args.single_n:,}, "
            f"naive on {args.naive_n:,}; median of {args.repeat} runs ({args.fsync_repeat} for B=1 and naive)"
        )
        load_before = os.getloadavg()[0]
        figures = measure(workload, args, folder)
        load_after = os.getloadavg()[0]
        summary = report(figures, workload, args)
        print(f"load average (1 min) before/after the timed runs: {load_before:.2f} / {load_after:.2f}")
        summary["loadavg_1min"] = [round(load_before, 2), round(load_after, 2)]
        summary["code"] = identity
        if args.profile:
            profile(workload, args, folder)
    summary["wall_seconds"] = round(time.perf_counter() - started, 1)
    print(json.dumps(summary, separators=(",", ":")))
    return 1 if args.require_target and not summary["target_met"] else 0


if __name__ == "__main__":
    sys.exit(main())
