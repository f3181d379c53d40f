"""A pool's exposure to its series: net delta, gamma and vega of its counterparty book (SPEC §2.4).

The LP vault is the sole counterparty of every series its pool lists, so it holds the opposite of
the traders' net size ``skew = longs − shorts``: its size in a series is ``−skew`` contracts. Its
Greeks are those of that size at the integer Black-76 values of :mod:`ringfence.core.pricing.black76`
(the same the ledger marks with), at the underlying's index and the pool's latest smile:

- delta: ``−skew · Δ`` in units of the underlying (a future's ``Δ`` is 1);
- gamma: ``−skew · Γ`` in units of the underlying per unit of its price;
- vega: ``−skew · vega`` in quote units per 1.00 of volatility (divide by 100 for one vol point).

Each figure is in WAD, floored (a report, not a ledger amount). Settled series hold nothing and are
left out; an option with no published smile cannot be valued and is reported without Greeks.
"""

from __future__ import annotations

from dataclasses import dataclass

from ringfence.core.errors import RingfenceError
from ringfence.core.pool.decide import pool_of
from ringfence.core.pool.series_margin import series_quote
from ringfence.core.pool.series_state import SeriesKind
from ringfence.core.pricing.fixed_math import PRECISE
from ringfence.core.state import LedgerState
from ringfence.core.units import WAD, Rounding, mul_div

__all__ = ["PoolExposure", "SeriesExposure", "pool_exposure"]


@dataclass(frozen=True, slots=True)
class SeriesExposure:
    """The LP vault's position and Greeks in one series (WAD; ``None`` when it could not be valued)."""

    series: str
    underlying: str
    kind: SeriesKind
    vault_size_atoms: int
    delta_wad: int | None
    gamma_wad: int | None
    vega_wad: int | None
    unvalued_reason: str = ""


@dataclass(frozen=True, slots=True)
class PoolExposure:
    """Every series' exposure, and the totals per underlying (``(delta, gamma, vega)`` in WAD)."""

    pool: str
    series: tuple[SeriesExposure, ...]
    totals: dict[str, tuple[int, int, int]]


def _scaled(size_atoms: int, value_precise: int, base_decimals: int) -> int:
    return mul_div(size_atoms, value_precise, 10**base_decimals * (PRECISE // WAD), Rounding.DOWN)


def pool_exposure(state: LedgerState, pool_id: str, now_ns: int) -> PoolExposure:
    """Return the net delta, gamma and vega of ``pool_id``'s counterparty book at ``now_ns`` (module doc)."""
    pool = pool_of(state, pool_id)
    rows: list[SeriesExposure] = []
    totals: dict[str, tuple[int, int, int]] = {}
    for series in pool.series.values():
        params = series.params
        if series.settlement_price_wad is not None:
            continue
        size = -series.skew_atoms
        decimals = state.assets[params.underlying].params.decimals
        try:
            _, quote = series_quote(state, pool, series, now_ns)
        except RingfenceError as error:
            rows.append(
                SeriesExposure(params.series, params.underlying, params.kind, size, None, None, None, str(error))
            )
            continue
        values = quote.values
        if values is None:
            greeks = (_scaled(size, PRECISE, decimals), 0, 0)
        else:
            delta = values.call_delta_precise if params.kind is SeriesKind.CALL else values.put_delta_precise
            greeks = (
                _scaled(size, delta, decimals),
                _scaled(size, values.gamma_precise, decimals),
                _scaled(size, values.vega_precise, decimals),
            )
        rows.append(SeriesExposure(params.series, params.underlying, params.kind, size, *greeks))
        before = totals.get(params.underlying, (0, 0, 0))
        totals[params.underlying] = (before[0] + greeks[0], before[1] + greeks[1], before[2] + greeks[2])
    return PoolExposure(pool_id, tuple(rows), totals)
