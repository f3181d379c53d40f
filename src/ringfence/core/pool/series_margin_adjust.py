"""Adding margin to an isolated series position's vault, or removing it (the rules of ``margin_adjust.py``).

Adding only lowers risk: it needs no price and is accepted in a reduce-only pool (a writer may
rescue a short from liquidation while new risk is refused). Removing takes only the vault's cash
and only while the position stays at initial margin, at a fresh index and a smile no older than
the series' limit (as a trade that adds risk); a reduce-only pool refuses it.
"""

from __future__ import annotations

import dataclasses

from ringfence.core.errors import (
    InsufficientBalance,
    InsufficientMargin,
    InvalidAmount,
    InvalidParameter,
    UnknownEntity,
)
from ringfence.core.events import Event
from ringfence.core.margin import MarginKind
from ringfence.core.pool.decide import _require_open, _take_quote, pool_of
from ringfence.core.pool.series_commands import AdjustSeriesMargin
from ringfence.core.pool.series_decide import check_series_open, series_of
from ringfence.core.pool.series_events import SeriesMarginAdjusted
from ringfence.core.pool.series_margin import isolated_series_margin, series_quote
from ringfence.core.pool.state import MarginMode
from ringfence.core.state import LedgerState
from ringfence.core.units import MAX_ATOMS
from ringfence.core.validation import check_account

__all__ = ["decide_adjust_series_margin"]


def decide_adjust_series_margin(state: LedgerState, command: AdjustSeriesMargin) -> list[Event]:
    """Move margin into (``delta_atoms > 0``) or out of (``< 0``) an isolated series position's vault."""
    key = check_account("owner", command.owner, "sub_account", command.sub_account)
    delta = command.delta_atoms
    if delta == 0 or abs(delta) > MAX_ATOMS:
        raise InvalidAmount("delta_atoms", delta, "a non-zero whole number of quote atoms (+ adds, − removes)")
    pool = pool_of(state, command.pool)
    _require_open(pool, increases_risk=delta < 0)
    series = series_of(pool, command.series)
    check_series_open(pool, series, command.timestamp_ns)
    label = f"{key[0]}/{key[1]}"
    position = pool.series_positions.get((key, command.series))
    if position is None:
        raise UnknownEntity("series position", f"{label} in {command.pool}/{command.series}")
    if position.mode is not MarginMode.ISOLATED:
        raise InvalidParameter("series", command.series, f"a series where {label} holds an isolated position")
    if delta > 0:
        _take_quote(state, key, pool.params.quote_asset, delta)
    else:
        if -delta > position.isolated_margin_atoms:
            account = f"{label} (isolated vault of {command.pool}/{command.series})"
            raise InsufficientBalance(account, pool.params.quote_asset, -delta, max(position.isolated_margin_atoms, 0))
        series_quote(state, pool, series, command.timestamp_ns, for_new_risk=True)  # a fresh index and smile
        after = dataclasses.replace(position, isolated_margin_atoms=position.isolated_margin_atoms + delta)
        equity, requirement = isolated_series_margin(
            state, pool, series, after, MarginKind.INITIAL, command.timestamp_ns
        )
        if equity < requirement:
            raise InsufficientMargin(label, equity, requirement, unit="quote atoms")
    return [
        SeriesMarginAdjusted(
            owner=command.owner,
            sub_account=command.sub_account,
            pool=command.pool,
            series=command.series,
            delta_atoms=delta,
            timestamp_ns=command.timestamp_ns,
        )
    ]
