"""Scaling of a stress study on Ray: the local backend beside Ray with 1 and 2 workers, same study, same run.

Usage::

    python benchmarks/bench_ray.py [--runs N] [--chunk-paths C] [--repeat R] [--scenario FILE] [--smoke]

The workload is the isolation-ladder scenario's whole study on the vector engine
(:func:`ringfence.lab.stress.collect_runs`: every design x chunk of ``C`` paths is one task):

- ``local, 1 process`` : :class:`~ringfence.lab.execution.LocalBackend` (the peer: what a machine
  without Ray runs);
- ``ray, 1 worker``    : a local Ray with ``num_cpus=1`` (the same tasks, one at a time, through Ray);
- ``ray, 2 workers``   : a local Ray with ``num_cpus=2``.

Each configuration plays one untimed warm-up study (Ray starts its worker processes and they import
the lab on their first task), then ``R`` timed ones (``time.perf_counter`` around ``collect_runs``:
drawing the paths and uniforms on the driver, the tasks, gathering the runs). Ray's start-up
(``ray.init``) is timed apart and printed: it is paid once per sweep, not per study.

**Correctness gate, before any figure is printed**: every configuration's runs must be bit-for-bit
those of the local backend (every design, every path: bad debt, protocol loss, liquidations).

The figure is **account-steps per second**: designs x paths x traders x steps over the median wall
time, with the min-max of the ``R`` repeats. Per core = the 2-worker rate / 2. A sweep of ``W``
account-steps on ``N`` machines of ``c`` cores then takes about ``W / (per-core rate x N x c x
efficiency)`` plus the start-up and the driver's draws; the 2-worker efficiency (rate / (2 x 1-worker
rate)) is printed so it can be read off.

BLAS is limited to one thread per process (the workers inherit it), so a worker is a core.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import argparse
import gc
import hashlib
import json
import platform
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

import numpy as np

from bench_ledger import code_identity
from ringfence.lab.execution import DEFAULT_CHUNK_PATHS, Backend, LocalBackend, RayBackend
from ringfence.lab.scenario import Scenario, load_scenario
from ringfence.lab.stress import StudyRuns, collect_runs

SCENARIO = Path(__file__).resolve().parents[1] / "scenarios" / "isolation-ladder.toml"


@dataclass
class Configuration:
    label: str
    workers: int
    ray: bool
    seconds: list[float] = field(default_factory=list)
    start_up_seconds: float = 0.0
    digest: str = ""

    def median(self) -> float:
        return statistics.median(self.seconds)

    def rate(self, account_steps: int) -> float:
        return account_steps / self.median()


def digest(study: StudyRuns) -> str:
    """A digest of every design's runs, bit for bit (the correctness gate's fingerprint)."""
    hashed = hashlib.sha256()
    for section in (study.runs, study.static_margins):
        for key, runs in section.items():
            hashed.update(repr(key).encode())
            for run in runs:
                hashed.update(np.asarray(run.bad_debt_usd).tobytes())
                hashed.update(np.float64(run.protocol_loss_usd).tobytes())
                hashed.update(run.liquidations.tobytes())
                hashed.update(np.asarray(run.lp_nav_usd).tobytes())
    return hashed.hexdigest()


def play(scenario: Scenario, runs: int, chunk_paths: int, backend: Backend) -> StudyRuns:
    return collect_runs(scenario, engine="vector", runs=runs, backend=backend, chunk_paths=chunk_paths)


def measure(configuration: Configuration, scenario: Scenario, args: argparse.Namespace, ray: ModuleType | None) -> None:
    backend: Backend = LocalBackend(configuration.workers)
    if configuration.ray and ray is not None:
        started = time.perf_counter()
        ray.init(
            address="local",
            num_cpus=configuration.workers,
            include_dashboard=False,
            logging_level="ERROR",
            log_to_driver=False,
        )
        configuration.start_up_seconds = time.perf_counter() - started
        backend = RayBackend(cpus=configuration.workers)
    try:
        configuration.digest = digest(play(scenario, args.runs, args.chunk_paths, backend))  # warm-up
        for _ in range(args.repeat):
            gc.collect()
            started = time.perf_counter()
            study = play(scenario, args.runs, args.chunk_paths, backend)
            configuration.seconds.append(time.perf_counter() - started)
            if digest(study) != configuration.digest:
                raise AssertionError(f"{configuration.label}: two studies of the same seed differ")
    finally:
        if configuration.ray and ray is not None:
            ray.shutdown()


def report(configured: list[Configuration], account_steps: int, designs: int, args: argparse.Namespace) -> None:
    local = configured[0]
    print(
        f"study: {designs} designs x {args.runs} paths (chunks of {args.chunk_paths}) = {account_steps:,} account-steps"
    )
    print(f"gate: passed (every configuration's runs bit-for-bit the local backend's); {args.repeat} timed repeats\n")
    header = (
        f"{'backend':<18} {'start-up s':>10} {'median s':>9} {'min-max s':>15} {'account-steps/s':>16} {'vs local':>9}"
    )
    print(header)
    print("-" * len(header))
    for configuration in configured:
        spread = f"{min(configuration.seconds):.2f}-{max(configuration.seconds):.2f}"
        ratio = configuration.rate(account_steps) / local.rate(account_steps)
        print(
            f"{configuration.label:<18} {configuration.start_up_seconds:>10.1f} {configuration.median():>9.2f} "
            f"{spread:>15} {configuration.rate(account_steps):>16,.0f} {ratio:>8.2f}x"
        )
    summary: dict[str, object] = {
        "benchmark": "bench_ray",
        "runs": args.runs,
        "chunk_paths": args.chunk_paths,
        "designs": designs,
        "repeat": args.repeat,
        "rates": {c.label: round(c.rate(account_steps)) for c in configured},
        "seconds": {c.label: [round(s, 3) for s in c.seconds] for c in configured},
        "start_up_seconds": {c.label: round(c.start_up_seconds, 2) for c in configured},
        "cpus": os.cpu_count(),
        "loadavg_1min": round(os.getloadavg()[0], 2),
        "code": code_identity(),
        "python": platform.python_version(),
    }
    rays = {c.workers: c for c in configured if c.ray}
    if 1 in rays and 2 in rays:
        one, two = rays[1].rate(account_steps), rays[2].rate(account_steps)
        print(f"\nray 2 workers / ray 1 worker: {two / one:.2f}x (scaling efficiency {two / (2 * one):.0%})")
        peer = local.rate(account_steps)
        print(f"ray per core (2 workers / 2): {two / 2:,.0f} account-steps/s; local 1 process: {peer:,.0f}")
        summary.update(per_core=round(two / 2), efficiency_2_workers=round(two / (2 * one), 3))
    print(json.dumps(summary, separators=(",", ":")))


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--scenario", type=Path, default=SCENARIO)
    parser.add_argument("--runs", type=int, default=500, help="paths per design")
    parser.add_argument("--chunk-paths", type=int, default=DEFAULT_CHUNK_PATHS, help="paths per task")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--smoke", action="store_true", help="a few seconds of work: 4 paths in chunks of 2, 1 round")
    args = parser.parse_args(argv)
    if args.smoke:
        args.runs, args.chunk_paths, args.repeat = 4, 2, 1
    if min(args.runs, args.chunk_paths, args.repeat) < 1:
        parser.error("--runs, --chunk-paths and --repeat must be >= 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    scenario = load_scenario(args.scenario)
    try:
        import ray
    except ImportError:
        ray = None
    configured = [Configuration("local, 1 process", 1, ray=False)]
    if ray is None:
        note = "ray is not installed (pip install -e '.[ray]')"
        if not args.smoke:
            print(note, file=sys.stderr)
            return 2
        print(f"{note}; the smoke run measures the local backend only")
    else:
        configured += [Configuration("ray, 1 worker", 1, ray=True), Configuration("ray, 2 workers", 2, ray=True)]
    for configuration in configured:
        measure(configuration, scenario, args, ray)
    wrong = [c.label for c in configured if c.digest != configured[0].digest]
    if wrong:
        print(f"correctness gate FAILED, no figures: {', '.join(wrong)} differ from the local backend", file=sys.stderr)
        return 1
    probe = play(scenario, 1, 1, LocalBackend())
    designs = len(probe.runs) + len(probe.static_margins)
    population = scenario.population
    traders = 0 if population is None else population.traders
    account_steps = designs * args.runs * traders * scenario.horizon.steps
    report(configured, account_steps, designs, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
