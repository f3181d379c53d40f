#!/usr/bin/env python3
"""Portfolio margin of 10,000 accounts × 50 legs × 35 scenarios, beside a reprice-per-account loop.

Usage::

    python benchmarks/bench_portfolio_margin.py [--accounts A] [--legs L] [--peer-accounts P] [--repeat R]
                                                [--cpu C] [--smoke]

**Book**: two underlyings (BTC at 60,000, ETH at 2,000); per underlying 12 expiries (1 to 180 days)
× 40 strikes (60%-140% of the price) × call and put, plus one perpetual: 1,922 instruments. Each of A
accounts (10,000) holds L (50) distinct instruments with quantities drawn from N(0, 5); 500,000 legs.
**Grid**: Deribit S:PM, 35 scenarios (9 price buckets × 3 volatility moves + 8 extended moves; the
extended dampeners are Derive's published ones, a stand-in: Deribit does not publish its own), with
a 1% option contingency per net short contract and strike.

**Ours**: ``ringfence.risk.portfolio_margin.portfolio_requirement``: every instrument repriced once
per scenario (1,922 × 35 Black-76 valuations), the accounts by one sparse product, best of R (5).

**Peer**: what a per-account margin engine does: for each account, reprice its own legs in every
scenario (one vectorised ``black76`` call per account over its L × 35 leg-scenarios, which is
already kinder than a per-leg loop) and take the worst scenario; timed on the first P accounts
(500) and **scaled linearly** to A.

**Gate, before any figure counts**: on the P accounts the loop's max loss equals ours within 1e-9
relative (or 1e-6 quote units).

One core: BLAS pools set to one thread before numpy is imported, the process pinned to one CPU.
Target: ≤ 1 s for the whole book.
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
import platform  # noqa: E402
from collections.abc import Sequence  # noqa: E402

import numpy as np  # noqa: E402
from scipy import sparse  # noqa: E402

from _machine import best_of, fill_sizes, pin  # noqa: E402
from bench_ledger import code_identity  # noqa: E402
from ringfence.risk.options import black76  # noqa: E402
from ringfence.risk.portfolio_margin import (  # noqa: E402
    InstrumentKind,
    Instruments,
    Market,
    PortfolioMarginRule,
    portfolio_requirement,
)
from ringfence.risk.scenario_grid import DERIVE_TAIL_DAMPENING, deribit_standard  # noqa: E402

TARGET_SECONDS = 1.0
RELATIVE = 1e-9
ABSOLUTE = 1e-6


def universe(rng: np.random.Generator) -> tuple[Market, Instruments]:
    market = Market.of([60_000.0, 2_000.0])
    underlying, kind, strike, expiry, vol = [], [], [], [], []
    for u, price in enumerate(market.price):
        underlying.append(u)
        kind.append(InstrumentKind.LINEAR)
        strike.append(np.nan)
        expiry.append(np.nan)
        vol.append(np.nan)
        for days in np.linspace(1, 180, 12):
            for k in np.linspace(0.6, 1.4, 40) * price:
                for option in (InstrumentKind.CALL, InstrumentKind.PUT):
                    underlying.append(u)
                    kind.append(option)
                    strike.append(k)
                    expiry.append(days / 365)
                    vol.append(rng.uniform(0.4, 1.2))
    return market, Instruments.of(underlying, [int(k) for k in kind], strike, expiry, vol, market)


def book(accounts: int, legs: int, instruments: int, rng: np.random.Generator) -> sparse.csr_array:
    columns = np.stack([rng.choice(instruments, legs, replace=False) for _ in range(accounts)])
    rows = np.repeat(np.arange(accounts), legs)
    quantities = rng.normal(0.0, 5.0, accounts * legs)
    return sparse.csr_array((quantities, (rows, columns.ravel())), shape=(accounts, instruments))


def per_account_loop(
    positions: sparse.csr_array, instruments: Instruments, market: Market, rule: PortfolioMarginRule
) -> np.ndarray:
    """Each account reprices its own legs in every scenario (one vectorised call per account)."""
    grid = rule.grid
    out = np.empty(positions.shape[0])
    for a in range(positions.shape[0]):
        start, stop = positions.indptr[a], positions.indptr[a + 1]
        legs, quantity = positions.indices[start:stop], positions.data[start:stop]
        kind = instruments.kind[legs]
        price = market.price[instruments.underlying[legs]]
        shocked_price = price[:, None] * (1.0 + grid.spot_shock[None, :])
        pnl = np.zeros((legs.size, grid.size))
        linear = kind == InstrumentKind.LINEAR
        pnl[linear] = shocked_price[linear] - price[linear][:, None]
        option = ~linear
        if option.any():
            sigma = instruments.volatility[legs][option]
            years = instruments.expiry_years[legs][option]
            is_call = kind[option] == InstrumentKind.CALL
            strike = instruments.strike[legs][option]
            now = black76(price[option], strike, years, sigma, 0.0, is_call).price
            shocked_sigma = grid.volatility_shock.shocked(sigma[:, None], years[:, None], grid.volatility_move[None, :])
            later = black76(
                shocked_price[option], strike[:, None], years[:, None], shocked_sigma, 0.0, is_call[:, None]
            ).price
            pnl[option] = later - now[:, None]
        results = quantity @ (pnl * grid.weight[None, :])
        out[a] = max(0.0, -results.min())
    return out


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=None, help="accounts (10,000)")
    parser.add_argument("--legs", type=int, default=50, help="legs per account (50)")
    parser.add_argument("--peer-accounts", type=int, default=None, help="accounts the loop is timed on (500)")
    parser.add_argument("--repeat", type=int, default=None, help="runs of ours, best reported (5)")
    parser.add_argument("--cpu", type=int, default=None, help="CPU to pin to (default: the highest allowed)")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes for CI; asserts the gate")
    args = parser.parse_args(argv)
    fill_sizes(args, ("accounts", "peer_accounts", "repeat"), (300, 50, 2), (10_000, 500, 5))
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    pinned = pin(args.cpu)
    print(
        f"bench_portfolio_margin: python {platform.python_version()}, numpy {np.__version__}, "
        f"{os.cpu_count()} cpus, {pinned}, one thread; code: {code_identity()}"
    )
    load_before = os.getloadavg()
    rng = np.random.default_rng(2026)
    market, instruments = universe(rng)
    positions = book(args.accounts, args.legs, instruments.size, rng)
    rule = PortfolioMarginRule(deribit_standard(tuple(d for _, d in DERIVE_TAIL_DAMPENING)), option_contingency=0.01)
    ours = portfolio_requirement(positions, instruments, market, rule)  # compiles black76 (first call, untimed)
    peer_positions = positions[: args.peer_accounts]
    theirs = per_account_loop(peer_positions, instruments, market, rule)
    gap = np.abs(theirs - ours.max_loss[: args.peer_accounts])
    tolerance = np.maximum(RELATIVE * np.abs(theirs), ABSOLUTE)
    if not np.all(gap <= tolerance):
        raise AssertionError(f"gate: the loop's max loss differs from ours by up to {gap.max():.3g}")
    print(
        f"gate: on {args.peer_accounts:,} accounts the per-account loop's max loss is within "
        f"{float((gap / tolerance).max()):.2f} of the tolerance ({RELATIVE:g} relative or {ABSOLUTE:g})"
    )
    ours_seconds = best_of(lambda: portfolio_requirement(positions, instruments, market, rule), args.repeat)
    peer_small = best_of(lambda: per_account_loop(peer_positions, instruments, market, rule), 1 if args.smoke else 3)
    peer_seconds = peer_small * args.accounts / args.peer_accounts
    load_after = os.getloadavg()
    legs = positions.nnz
    print(
        f"book: {args.accounts:,} accounts, {legs:,} legs, {instruments.size:,} instruments, {rule.grid.size} scenarios"
    )
    rate = legs * rule.grid.size / ours_seconds / 1e6
    print(f"ours : {ours_seconds * 1e3:9.1f} ms   ({rate:7.1f} million leg-scenarios/s)")
    print(
        f"loop : {peer_seconds * 1e3:9.1f} ms   (timed on {args.peer_accounts:,} accounts, scaled)   "
        f"ratio {peer_seconds / ours_seconds:6.1f}x"
    )
    print(f"load average before {load_before[0]:.2f}, after {load_after[0]:.2f}")
    if not args.smoke:
        print(f"target: <= {TARGET_SECONDS:.0f} s {'met' if ours_seconds <= TARGET_SECONDS else 'MISSED'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
