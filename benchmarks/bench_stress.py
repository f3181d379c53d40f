"""Monte-Carlo stress throughput: the vectorised engine (fused and numpy kernels) beside radCAD and Mesa 3.

Usage::

    python benchmarks/bench_stress.py [--traders N] [--steps T] [--paths P] [--peer-paths Q]
                                      [--copy-paths C] [--repeat R] [--smoke]

The model (``_stress_model.py``): one market, isolated positions, fixed penalty split keeper /
insurance, whole closes with the backstop path for bankrupt and toxic positions, insurance
then socialisation, keeper latency; no depth impact. Paths (a jump diffusion) and traders
(log-normal collateral, leverage 2-19x) are drawn once, before any timing, and shared:

- ``vector, fused``   : ``ringfence.lab.vector.run_vector(..., kernel="fused")`` on P paths: one compiled
  loop per path (numba), paths in parallel, one thread per CPU of the process (printed);
- ``vector, numpy``   : the same with ``kernel="numpy"`` (the reference kernel, single-threaded);
- ``vector, numpy (Q paths)``: the numpy kernel on the peers' Q paths (context: vectorising across paths
  is the point);
- ``plain Python loop``: ``_stress_model.run_loop``, lists and a loop per step, Q paths (a reference,
  not a peer: the figure the frameworks' overhead is measured against);
- ``radCAD, no copy`` : ``_stress_radcad.run_radcad`` with ``Engine(deepcopy=False)``, Q runs;
- ``radCAD, deepcopy``: the same with radCAD's default ``deepcopy=True``, C runs (it copies the
  whole state twice per step, so it gets fewer paths);
- ``Mesa 3``          : ``_stress_mesa.run_mesa``, one ``mesa.Model`` per path, Q paths.

The peers come from the ``bench`` extra (``pip install -e '.[bench]'``); without them the full
run refuses to start, and ``--smoke`` (CI) checks the vector engine against the plain loop only.

Every engine but the fused kernel is single-process and single-threaded (radCAD's
``Backend.SINGLE_PROCESS``; BLAS limited to one thread); the fused kernel plays paths on one thread per
CPU, and its per-thread figure is printed too. Its compilation (or the load of numba's on-disk cache)
happens in an untimed first call, printed.

**Correctness gate, before any figure is printed**: on the paths they share, every engine must
report the numpy kernel's liquidation count exactly, and its bad debt and final insurance fund
within ``1e-6`` USD + ``1e-9`` relative (the engines add the same float64 terms in different orders;
a liquidation decision that differed would move a path's bad debt by at least a position's
shortfall, far above this). The figure is **account-steps per second**: paths x traders x steps
over the median wall time of ``--repeat`` runs (``time.perf_counter``, after a garbage collection).
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import argparse
import gc
import json
import math
import platform
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from _stress_model import PathOutcome, Workload, build_workload, run_loop
from bench_ledger import code_identity
from ringfence.lab.sample import ScenarioPaths
from ringfence.lab.vector import run_vector
from ringfence.lab.vector.fused import VectorKernel, fused_threads, numba_available

ABSOLUTE_TOLERANCE_USD = 1e-6
RELATIVE_TOLERANCE = 1e-9
TARGET_RATIO = 10.0
"""Issue 5: the numpy kernel against the fastest peer."""
FUSED_TARGET_RATIO = 100.0
"""Issue 15: the fused kernel against the fastest peer."""
FUSED_OVER_NUMPY_TARGET = 4.0
"""Issue 15: the fused kernel against the numpy kernel, same run."""


@dataclass
class Engine:
    """One configuration: how many paths it plays and the seconds of each timed run."""

    label: str
    paths: int
    run: Callable[[], list[PathOutcome]]
    seconds: list[float] = field(default_factory=list)
    outcomes: list[PathOutcome] = field(default_factory=list)
    peer: bool = True

    def account_steps(self, workload: Workload) -> int:
        return self.paths * workload.traders * workload.steps

    def rate(self, workload: Workload) -> float:
        return self.account_steps(workload) / statistics.median(self.seconds)


def _subset(paths: ScenarioPaths, count: int) -> ScenarioPaths:
    return ScenarioPaths(
        paths.assets, paths.market[:, :count], paths.oracle[:, :count], paths.oracle_age_seconds, paths.stale
    )


def vector_runner(workload: Workload, count: int, kernel: VectorKernel) -> Callable[[], list[PathOutcome]]:
    paths = _subset(workload.paths, count)

    def run() -> list[PathOutcome]:
        results = run_vector(
            workload.scenario, paths, workload.book, workload.draws, "isolated_positions", 1.0, kernel=kernel
        )
        return [PathOutcome(r.total_bad_debt_usd, len(r.liquidations), float(r.insurance_usd[0, -1])) for r in results]

    return run


def peer_engines(workload: Workload, args: argparse.Namespace) -> tuple[list[Engine], list[str]]:
    """Return the radCAD and Mesa configurations, and the names of the peers that are not installed."""
    found, missing = [], []
    try:
        from _stress_radcad import run_radcad
    except ImportError:
        missing.append("radcad")
    else:
        found.append(Engine("radCAD, no copy", args.peer_paths, lambda: run_radcad(workload, args.peer_paths, False)))
        found.append(Engine("radCAD, deepcopy", args.copy_paths, lambda: run_radcad(workload, args.copy_paths, True)))
    try:
        from _stress_mesa import run_mesa
    except ImportError:
        missing.append("mesa")
    else:
        found.append(Engine("Mesa 3", args.peer_paths, lambda: run_mesa(workload, args.peer_paths)))
    return found, missing


def warm_fused(workload: Workload) -> float:
    """Compile the fused kernel (or load numba's cache) on one path, untimed; return the seconds it took."""
    start = time.perf_counter()
    vector_runner(workload, 1, "fused")()
    return time.perf_counter() - start


def engines(workload: Workload, args: argparse.Namespace, peers: list[Engine]) -> list[Engine]:
    few = args.peer_paths
    return [
        Engine("vector, numpy", args.paths, vector_runner(workload, args.paths, "numpy"), peer=False),
        Engine("vector, fused", args.paths, vector_runner(workload, args.paths, "fused"), peer=False),
        Engine(f"vector, numpy ({few} paths)", few, vector_runner(workload, few, "numpy"), peer=False),
        Engine("plain Python loop", few, lambda: run_loop(workload, few), peer=False),
        *peers,
    ]


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= ABSOLUTE_TOLERANCE_USD + RELATIVE_TOLERANCE * max(abs(a), abs(b))


def check_gate(reference: Sequence[PathOutcome], engine: Engine) -> None:
    """Raise unless ``engine`` reproduced the numpy kernel's count, bad debt and insurance on every shared path."""
    for path, (mine, theirs) in enumerate(zip(reference, engine.outcomes, strict=False)):
        if mine.liquidations != theirs.liquidations:
            raise AssertionError(
                f"{engine.label}: path {path} has {theirs.liquidations} liquidations, numpy {mine.liquidations}"
            )
        if not _close(mine.bad_debt, theirs.bad_debt):
            raise AssertionError(f"{engine.label}: path {path} bad debt {theirs.bad_debt!r}, numpy {mine.bad_debt!r}")
        if not _close(mine.insurance, theirs.insurance):
            raise AssertionError(
                f"{engine.label}: path {path} insurance {theirs.insurance!r}, numpy {mine.insurance!r}"
            )


def measure(workload: Workload, args: argparse.Namespace, peers: list[Engine]) -> list[Engine]:
    """Time every engine ``--repeat`` times, interleaved; the gate checks the first round before anything prints."""
    configured = engines(workload, args, peers)
    for round_index in range(args.repeat):
        for engine in configured:
            gc.collect()
            start = time.perf_counter()
            outcomes = engine.run()
            engine.seconds.append(time.perf_counter() - start)
            if round_index == 0:
                engine.outcomes = outcomes
        if round_index == 0:
            reference = configured[0].outcomes
            for engine in configured[1:]:
                check_gate(reference, engine)
    return configured


def report(
    workload: Workload, configured: list[Engine], args: argparse.Namespace, wall: float, compile_seconds: float
) -> dict[str, object]:
    ours, fused = configured[0], configured[1]
    peers = [engine for engine in configured if engine.peer] or [configured[3]]
    fastest = max(peers, key=lambda engine: engine.rate(workload))
    liquidations = sum(o.liquidations for o in ours.outcomes)
    bad_debt = sum(o.bad_debt for o in ours.outcomes)
    print(f"model: {workload.traders:,} traders x {workload.steps} hourly steps; one market, isolated positions")
    tolerance = f"{ABSOLUTE_TOLERANCE_USD} USD + {RELATIVE_TOLERANCE:g} relative"
    print(f"gate: passed (liquidation counts exact; bad debt and insurance within {tolerance})")
    print(f"vector over {ours.paths} paths: {liquidations:,} liquidations, bad debt {bad_debt:,.2f} USD in total")
    threads = fused_threads()
    print(f"fused kernel: {threads} thread(s); first call (compile or cache load, untimed) {compile_seconds:.1f} s\n")
    header = f"{'engine':<29} {'paths':>6} {'median s':>9} {'account-steps/s':>16} {'vs fastest peer':>16}"
    print(header)
    print("-" * len(header))
    for engine in configured:
        rate = engine.rate(workload)
        seconds = statistics.median(engine.seconds)
        ratio = rate / fastest.rate(workload)
        print(f"{engine.label:<29} {engine.paths:>6} {seconds:>9.3f} {rate:>16,.0f} {ratio:>15.1f}x")
    ratio = ours.rate(workload) / fastest.rate(workload)
    fused_ratio = fused.rate(workload) / fastest.rate(workload)
    over_numpy = fused.rate(workload) / ours.rate(workload)
    per_thread = fused.rate(workload) / threads
    print()
    print(f"{'fused, per thread':<29} {per_thread:>16,.0f} {per_thread / fastest.rate(workload):>15.1f}x")
    print(
        f"\nnumpy kernel / fastest peer ({fastest.label}): {ratio:.1f}x; "
        f"target >= {TARGET_RATIO:.0f}x: {_verdict(ratio, TARGET_RATIO)}"
    )
    print(
        f"fused kernel / fastest peer ({fastest.label}): {fused_ratio:.1f}x; "
        f"target >= {FUSED_TARGET_RATIO:.0f}x: {_verdict(fused_ratio, FUSED_TARGET_RATIO)}"
    )
    print(
        f"fused kernel / numpy kernel: {over_numpy:.2f}x; "
        f"target >= {FUSED_OVER_NUMPY_TARGET:.0f}x: {_verdict(over_numpy, FUSED_OVER_NUMPY_TARGET)}"
    )
    summary: dict[str, object] = {
        "benchmark": "bench_stress",
        "traders": workload.traders,
        "steps": workload.steps,
        "repeat": args.repeat,
        "rates": {engine.label: round(engine.rate(workload)) for engine in configured},
        "paths": {engine.label: engine.paths for engine in configured},
        "fastest_peer": fastest.label,
        "ratio_vs_fastest_peer": round(ratio, 2),
        "target_met": ratio >= TARGET_RATIO,
        "fused_threads": threads,
        "fused_ratio_vs_fastest_peer": round(fused_ratio, 2),
        "fused_target_met": fused_ratio >= FUSED_TARGET_RATIO,
        "fused_over_numpy": round(over_numpy, 2),
        "fused_over_numpy_target_met": over_numpy >= FUSED_OVER_NUMPY_TARGET,
        "fused_compile_or_load_seconds": round(compile_seconds, 1),
        "loadavg_1min": round(os.getloadavg()[0], 2),
        "code": code_identity(),
        "python": platform.python_version(),
        "wall_seconds": round(wall, 1),
    }
    print(json.dumps(summary, separators=(",", ":")))
    return summary


def _verdict(ratio: float, target: float) -> str:
    return "MET" if ratio >= target else f"MISSED (by {target / ratio:.2f}x)"


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--traders", type=int, default=2_000)
    parser.add_argument("--steps", type=int, default=720)
    parser.add_argument("--paths", type=int, default=200, help="paths of the vector engine")
    parser.add_argument("--peer-paths", type=int, default=2, help="paths of radCAD (no copy) and Mesa")
    parser.add_argument("--copy-paths", type=int, default=1, help="paths of radCAD with deepcopy")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--smoke", action="store_true", help="a few seconds: 200 traders, 48 steps, 1 round")
    args = parser.parse_args(argv)
    if args.smoke:
        args.traders, args.steps, args.paths, args.peer_paths, args.copy_paths, args.repeat = 200, 48, 16, 2, 1, 1
    if (
        min(args.paths, args.peer_paths, args.copy_paths) < 1
        or args.peer_paths > args.paths
        or args.copy_paths > args.paths
    ):
        parser.error("paths must be >= 1, and --peer-paths and --copy-paths at most --paths")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    start = time.perf_counter()
    workload = build_workload(args.traders, args.steps, args.paths)
    peers, missing = peer_engines(workload, args)
    if missing:
        note = f"peers not installed: {', '.join(missing)} (pip install -e '.[bench]')"
        if not args.smoke:
            print(note, file=sys.stderr)
            return 2
        print(f"{note}; the smoke run compares the plain Python loop only")
    if not numba_available():
        print("numba is not installed: the fused kernel cannot be measured", file=sys.stderr)
        return 2
    compile_seconds = warm_fused(workload)
    try:
        configured = measure(workload, args, peers)
    except AssertionError as error:
        print(f"correctness gate FAILED, no figures: {error}", file=sys.stderr)
        return 1
    report(workload, configured, args, time.perf_counter() - start, compile_seconds)
    return 0 if not math.isnan(configured[0].rate(workload)) else 1


if __name__ == "__main__":
    sys.exit(main())
