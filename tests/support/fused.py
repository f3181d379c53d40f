"""Compare the fused and numpy kernels' runs field by field, within the tolerances of ``docs/fused-kernel.md``.

Decisions and counts must be equal: every liquidation row's step, pool, market, trader and
backstop flag, the unserved count, the markets and pools. Amounts must agree within
``ABSOLUTE_USD + RELATIVE × |value|``:

- ``ABSOLUTE_USD = 1e-6``: the two kernels differ only by last-bit roundings (libm's ``exp`` and
  ``pow`` against NumPy's SIMD ones; a pool's waterfall drawn close by close against NumPy's scan
  over every path's closes at once, whose running sums carry the other paths' amounts; a market's
  open basis summed in position order against a BLAS product). Each is ~1e-16 relative of the
  amounts it touches; the largest running sum in these tests is a few million USD, so each rounding is below 1e-9
  USD and even thousands of them stay far below 1e-6;
- ``RELATIVE = 1e-9``: the same roundings on large amounts (LP capital of 1e6 and up).

A decision that differed would move an amount by a close's size (dollars), far outside both.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ringfence.lab.results import RunResult

ABSOLUTE_USD = 1e-6
RELATIVE = 1e-9
EXACT_FIELDS = ("step", "pool", "market", "trader", "backstop")
AMOUNT_FIELDS = ("notional_usd", "bad_debt_usd", "slippage_usd", "delay_seconds")
ARRAYS = (
    "market_prices",
    "oracle_prices",
    "bad_debt_usd",
    "insurance_usd",
    "lp_nav_usd",
    "lp_loss_usd",
    "adl_loss_usd",
    "open_notional_usd",
    "latent_bad_debt_usd",
    "vault_pnl_by_market_usd",
    "execution_cost_usd",
)
SCALARS = ("contagion_usd", "collateral_usd", "gas_usd", "attacker_profit_usd")


def _close(a: np.ndarray, b: np.ndarray) -> bool:
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        return False
    return bool(np.all(np.abs(a - b) <= ABSOLUTE_USD + RELATIVE * np.maximum(np.abs(a), np.abs(b))))


def _layout_problems(where: str, ours: RunResult, theirs: RunResult) -> list[str]:
    problems = [
        f"{where}: {name} {getattr(ours, name)!r} vs {getattr(theirs, name)!r}"
        for name in ("engine", "isolation", "margin_scale", "path_index", "assets", "markets", "pools")
        if getattr(ours, name) != getattr(theirs, name)
    ]
    if ours.unserved_liquidations != theirs.unserved_liquidations:
        problems.append(f"{where}: unserved {ours.unserved_liquidations} vs {theirs.unserved_liquidations}")
    return problems


def _liquidation_problems(where: str, mine: np.ndarray, other: np.ndarray) -> list[str]:
    if mine.shape != other.shape:
        return [f"{where}: {mine.shape[0]} liquidations vs {other.shape[0]}"]
    problems = [
        f"{where}: liquidations' {name} differ" for name in EXACT_FIELDS if not np.array_equal(mine[name], other[name])
    ]
    problems += [
        f"{where}: liquidations' {name} differ beyond the tolerance"
        for name in AMOUNT_FIELDS
        if not _close(mine[name], other[name])
    ]
    return problems


def _amount_problems(where: str, ours: RunResult, theirs: RunResult) -> list[str]:
    pairs = [(name, getattr(ours, name), getattr(theirs, name)) for name in (*ARRAYS, *SCALARS)]
    if set(ours.party_pnl_usd) != set(theirs.party_pnl_usd):
        return [f"{where}: parties differ"]
    pairs += [(f"party {party}", value, theirs.party_pnl_usd[party]) for party, value in ours.party_pnl_usd.items()]
    return [f"{where}: {name} {a!r} vs {b!r}" for name, a, b in pairs if not _close(np.asarray(a), np.asarray(b))]


def kernel_differences(fused: Sequence[RunResult], numpy: Sequence[RunResult]) -> list[str]:
    """Return every difference outside the tolerances, path by path (empty: the kernels agree)."""
    if len(fused) != len(numpy):
        return [f"{len(fused)} fused runs, {len(numpy)} numpy runs"]
    problems: list[str] = []
    for path, (ours, theirs) in enumerate(zip(fused, numpy, strict=True)):
        where = f"path {path}"
        problems += _layout_problems(where, ours, theirs)
        problems += _liquidation_problems(where, ours.liquidations, theirs.liquidations)
        problems += _amount_problems(where, ours, theirs)
    return problems


def identical(fused: Sequence[RunResult], numpy: Sequence[RunResult]) -> list[str]:
    """Return the fields that are not bit for bit equal (for the cases where they must be)."""
    problems = []
    for path, (ours, theirs) in enumerate(zip(fused, numpy, strict=True)):
        if ours.liquidations.tobytes() != theirs.liquidations.tobytes():
            problems.append(f"path {path}: liquidations")
        for name in ARRAYS:
            if np.asarray(getattr(ours, name)).tobytes() != np.asarray(getattr(theirs, name)).tobytes():
                problems.append(f"path {path}: {name}")
        for name in SCALARS:
            if getattr(ours, name) != getattr(theirs, name):
                problems.append(f"path {path}: {name}")
        if ours.party_pnl_usd != theirs.party_pnl_usd:
            problems.append(f"path {path}: party_pnl_usd")
    return problems
