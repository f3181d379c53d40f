#!/usr/bin/env python3
"""Black-76 price and four Greeks for ten million options, beside QuantLib's per-option loop.

Usage::

    python benchmarks/bench_options.py [--options N] [--peer-options S] [--repeat R] [--cpu C] [--smoke]

**Book**: N European options (default 10,000,000) on forwards 50-150, strikes 50-150, expiries one
day to two years, volatilities 10-150%, a discount rate of 3%, calls and puts at random.

**Ours**: ``ringfence.risk.options.black76`` over the whole book, input checks included (numba
compiles its loop on a first, untimed call): price, delta, gamma, vega, theta, and also vanna and
volga, which the kernel always writes. Best of R (5).

**Peer 1** (the issue's target: ≥ 50×): the loop a QuantLib user writes, one ``BlackCalculator``
per option and its ``value``, ``deltaForward``, ``gammaForward``, ``vega`` and ``theta``, timed on
the first S options (50,000) and **scaled linearly** to N. **Peer 2** (context: the obvious
vectorised Python): the same formulas as whole-array NumPy/SciPy expressions (``scipy.special.ndtr``).

**Gate, before any figure counts**: on the S options QuantLib's five numbers equal ours within
1e-9 relative (or 1e-10 of the forward), and the NumPy expressions within the same bound on the
whole book.

One core: BLAS pools set to one thread before numpy is imported, the process pinned to one CPU
(``--cpu``, default the highest allowed); numba's loop is serial. Targets: ≥ 10 million options/s
and ≥ 50× the QuantLib loop.
"""

from __future__ import annotations

import os

for _variable in (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "NUMEXPR_NUM_THREADS",
    "NUMBA_NUM_THREADS",
):
    os.environ[_variable] = "1"

import argparse  # noqa: E402
import math  # noqa: E402
import platform  # noqa: E402
from collections.abc import Sequence  # noqa: E402
from dataclasses import dataclass  # noqa: E402

import numpy as np  # noqa: E402
import QuantLib as ql  # noqa: E402, N813 - the library's own documented alias
from scipy.special import ndtr  # noqa: E402

from _machine import best_of, fill_sizes, pin  # noqa: E402
from bench_ledger import code_identity  # noqa: E402
from ringfence.risk.options import black76  # noqa: E402

TARGET_OPTIONS_PER_SECOND = 10_000_000
TARGET_RATIO = 50.0
RELATIVE = 1e-9
ABSOLUTE_OF_FORWARD = 1e-10
FIVE = ("price", "delta", "gamma", "vega", "theta")


@dataclass(frozen=True)
class Book:
    forward: np.ndarray
    strike: np.ndarray
    expiry: np.ndarray
    volatility: np.ndarray
    rate: np.ndarray
    is_call: np.ndarray

    def columns(self) -> tuple[np.ndarray, ...]:
        return (self.forward, self.strike, self.expiry, self.volatility, self.rate, self.is_call)

    def head(self, count: int) -> Book:
        return Book(*(column[:count].copy() for column in self.columns()))


def generate(count: int, seed: int = 2026) -> Book:
    rng = np.random.default_rng(seed)
    return Book(
        forward=rng.uniform(50.0, 150.0, count),
        strike=rng.uniform(50.0, 150.0, count),
        expiry=rng.uniform(1 / 365, 2.0, count),
        volatility=rng.uniform(0.1, 1.5, count),
        rate=np.full(count, 0.03),
        is_call=rng.random(count) < 0.5,
    )


def quantlib_loop(book: Book) -> np.ndarray:
    """One BlackCalculator per option: value, deltaForward, gammaForward, vega, theta."""
    out = np.empty((book.forward.shape[0], 5))
    call, put = ql.Option.Call, ql.Option.Put
    for i, (forward, strike, expiry, sigma, rate, is_call) in enumerate(
        zip(*(c.tolist() for c in book.columns()), strict=True)
    ):
        calculator = ql.BlackCalculator(
            ql.PlainVanillaPayoff(call if is_call else put, strike),
            forward,
            sigma * math.sqrt(expiry),
            math.exp(-rate * expiry),
        )
        out[i] = (
            calculator.value(),
            calculator.deltaForward(),
            calculator.gammaForward(),
            calculator.vega(expiry),
            calculator.theta(forward, expiry),
        )
    return out


def numpy_expressions(book: Book) -> np.ndarray:
    """The same formulas as whole-array NumPy/SciPy expressions (context, not the target's peer)."""
    f, k, t, s, r = book.forward, book.strike, book.expiry, book.volatility, book.rate
    sign = np.where(book.is_call, 1.0, -1.0)
    root = np.sqrt(t)
    total = s * root
    d1 = (np.log(f / k) + 0.5 * s * s * t) / total
    d2 = d1 - total
    discount = np.exp(-r * t)
    density = np.exp(-0.5 * d1 * d1) / math.sqrt(2.0 * math.pi)
    tail1, tail2 = ndtr(sign * d1), ndtr(sign * d2)
    price = sign * discount * (f * tail1 - k * tail2)
    delta = sign * discount * tail1
    gamma = discount * density / (f * total)
    vega = f * discount * density * root
    theta = -f * discount * density * s / (2.0 * root) + r * price
    return np.stack([price, delta, gamma, vega, theta], axis=1)


def ours_five(book: Book) -> np.ndarray:
    values = black76(*book.columns())
    return np.stack([getattr(values, name) for name in FIVE], axis=1)


def gate(reference: np.ndarray, ours: np.ndarray, forward: np.ndarray, label: str) -> float:
    tolerance = np.maximum(RELATIVE * np.abs(reference), ABSOLUTE_OF_FORWARD * forward[:, None])
    gap = np.abs(reference - ours)
    if not np.all(gap <= tolerance):
        worst = np.unravel_index(np.argmax(gap - tolerance), gap.shape)
        raise AssertionError(f"gate: {label} differs from ours at option {worst[0]}, {FIVE[worst[1]]}")
    return float(np.max(gap / tolerance))


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--options", type=int, default=None, help="options in the book (10,000,000)")
    parser.add_argument("--peer-options", type=int, default=None, help="options the QuantLib loop is timed on (50,000)")
    parser.add_argument("--repeat", type=int, default=None, help="runs of ours, best reported (5)")
    parser.add_argument("--cpu", type=int, default=None, help="CPU to pin to (default: the highest allowed)")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes for CI; asserts the gate")
    args = parser.parse_args(argv)
    fill_sizes(args, ("options", "peer_options", "repeat"), (20_000, 2_000, 2), (10_000_000, 50_000, 5))
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    pinned = pin(args.cpu)
    print(
        f"bench_options: python {platform.python_version()}, numpy {np.__version__}, QuantLib {ql.__version__}, "
        f"{os.cpu_count()} cpus, {pinned}, one thread; code: {code_identity()}"
    )
    load_before = os.getloadavg()
    book = generate(args.options)
    peer_book = book.head(args.peer_options)
    ours = ours_five(book)  # compiles (first call, untimed)
    quantlib = quantlib_loop(peer_book)
    loop_gap = gate(quantlib, ours[: args.peer_options], peer_book.forward, "QuantLib's loop")
    array_gap = gate(numpy_expressions(book), ours, book.forward, "the NumPy expressions")
    print(
        f"gate: on {args.peer_options:,} options QuantLib's largest gap to ours is {loop_gap:.2f} of the tolerance; "
        f"on {args.options:,} the NumPy expressions' is {array_gap:.2f} (tolerance: {RELATIVE:g} relative or "
        f"{ABSOLUTE_OF_FORWARD:g} of the forward)"
    )
    ours_seconds = best_of(lambda: black76(*book.columns()), args.repeat)
    numpy_seconds = best_of(lambda: numpy_expressions(book), max(1, args.repeat // 2))
    quantlib_small = best_of(lambda: quantlib_loop(peer_book), 1 if args.smoke else 3)
    quantlib_seconds = quantlib_small * args.options / args.peer_options
    load_after = os.getloadavg()
    rate = args.options / ours_seconds
    ratio = quantlib_seconds / ours_seconds
    print(f"ours    : {ours_seconds * 1e3:9.1f} ms   {rate / 1e6:6.2f} million options/s (price + 7 Greeks written)")
    print(
        f"QuantLib: {quantlib_seconds * 1e3:9.1f} ms   {args.options / quantlib_seconds / 1e6:6.3f} million options/s "
        f"(loop timed on {args.peer_options:,}, scaled)   ratio {ratio:6.1f}x"
    )
    print(
        f"NumPy   : {numpy_seconds * 1e3:9.1f} ms   {args.options / numpy_seconds / 1e6:6.2f} million options/s   "
        f"ratio {numpy_seconds / ours_seconds:6.1f}x (context)"
    )
    print(f"load average before {load_before[0]:.2f}, after {load_after[0]:.2f}")
    if not args.smoke:
        print(
            f"targets: >= {TARGET_OPTIONS_PER_SECOND / 1e6:.0f} million options/s "
            f"{'met' if rate >= TARGET_OPTIONS_PER_SECOND else 'MISSED'}; >= {TARGET_RATIO:.0f}x QuantLib "
            f"{'met' if ratio >= TARGET_RATIO else 'MISSED'}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
