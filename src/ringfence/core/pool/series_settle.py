"""Settlement of option series and dated futures at expiry, against a window-averaged index.

Settlement price: the time-weighted average of the underlying's accepted oracle price over the
``settlement_window_ns`` before expiry, as Deribit's delivery price is "the time-weighted average
of the Deribit index over the last 30 min before the expiry" (Deribit, *Prices of Virtual Assets*,
https://support.deribit.com/hc/en-us/articles/25954416110877-Prices-of-Virtual-Assets).
The index is the step function of accepted prices (a price holds from its acceptance to the
next), so each acceptance records how long the previous price held inside each open series'
window (:func:`settlement_window_accruals`, a
:class:`~ringfence.core.pool.series_events.SettlementWindowAccrued` event per series), and
settlement adds the last stretch up to expiry. In exact integers::

    S = floor( Σ price_i · Δt_i / Σ Δt_i )      (Δt_i in nanoseconds inside [expiry − window, expiry])

A guarded price (a jump the oracle held back) never enters the average; only accepted prices do.
Settlement needs a price accepted at or after the window opened (a window priced by one stale
price is refused with :class:`~ringfence.core.errors.OracleUnavailable`).

``SettleSeries`` (permissionless, once expired) then pays every position its value at ``S``:
an option ``size · payoff(S)``, a future ``size · S − open notional``, rounded against the
holder. Losing positions pay first, from their isolated vault (a shortfall goes down the pool's
waterfall, :func:`~ringfence.core.pool.liquidate.waterfall`) or their cross quote balance (which
may go negative: a debt to the pool, collected as any cross debt is); winning positions are then
paid from the LP vault's cash, as far as it reaches (a gain past the vault's cash is forgone, as a
perpetual's profit is, :func:`~ringfence.core.pool.decide.payable_pnl_atoms`). Isolated vaults are
released to their quote balances. The series then refuses every trade.
"""

from __future__ import annotations

from ringfence.core.errors import OracleUnavailable, SeriesNotTradable
from ringfence.core.events import Event
from ringfence.core.oracle import OracleStatus
from ringfence.core.pool.decide import _require_open, pool_of
from ringfence.core.pool.liquidate import waterfall
from ringfence.core.pool.perp_math import signed_notional_atoms
from ringfence.core.pool.series_commands import SettleSeries
from ringfence.core.pool.series_decide import series_of
from ringfence.core.pool.series_events import SeriesPositionSettled, SeriesSettled, SettlementWindowAccrued
from ringfence.core.pool.series_math import payoff_wad
from ringfence.core.pool.series_state import SeriesPosition, SeriesState
from ringfence.core.pool.state import MarginMode, PoolState
from ringfence.core.state import LedgerState

__all__ = ["decide_settle_series", "settlement_value_atoms", "settlement_window_accruals"]


def _window_overlap(series: SeriesState, start_ns: int, end_ns: int) -> int:
    params = series.params
    start = max(start_ns, params.expiry_ns - params.settlement_window_ns)
    end = min(end_ns, params.expiry_ns)
    return max(end - start, 0)


def settlement_window_accruals(state: LedgerState, asset: str, now_ns: int) -> list[Event]:
    """Return, before a new ``asset`` price is accepted at ``now_ns``, how long the last one held in each window."""
    oracle = state.oracles[asset]
    price = oracle.accepted_price_wad
    if price is None:
        return []
    events: list[Event] = []
    for pool in state.pools.values():
        for series in pool.series.values():
            if series.params.underlying != asset or series.settlement_price_wad is not None:
                continue
            covered = _window_overlap(series, oracle.accepted_ns, now_ns)
            if covered:
                events.append(
                    SettlementWindowAccrued(
                        pool=pool.pool, series=series.params.series, price_wad=price, covered_ns=covered
                    )
                )
    return events


def settlement_value_atoms(
    series: SeriesState, position: SeriesPosition, price_wad: int, base_decimals: int, quote_decimals: int
) -> int:
    """Return the position's value at settlement price ``price_wad`` (quote atoms, floored: against the holder)."""
    params = series.params
    if params.kind.is_option:
        return signed_notional_atoms(position.size_atoms, payoff_wad(params, price_wad), base_decimals, quote_decimals)
    held = signed_notional_atoms(position.size_atoms, price_wad, base_decimals, quote_decimals)
    return held - position.open_value_atoms


def _settlement_price(state: LedgerState, pool: PoolState, series: SeriesState) -> tuple[int, int, int]:
    """Return ``(S, last price, its last stretch in the window)``, or refuse a window no fresh price covers."""
    params = series.params
    oracle = state.oracles[params.underlying]
    window_start = params.expiry_ns - params.settlement_window_ns
    if oracle.accepted_price_wad is None or oracle.accepted_ns < window_start:
        raise OracleUnavailable(
            params.underlying,
            OracleStatus.STALE.value,
            f"no price accepted since series {params.series}'s settlement window opened at {window_start}",
        )
    last = _window_overlap(series, oracle.accepted_ns, params.expiry_ns)
    total = series.window_price_ns_sum + oracle.accepted_price_wad * last
    covered = series.window_covered_ns + last
    return total // covered, oracle.accepted_price_wad, last


def decide_settle_series(state: LedgerState, command: SettleSeries) -> list[Event]:
    """Settle an expired series: its settlement price, then every position paid or collected (module doc)."""
    pool = pool_of(state, command.pool)
    _require_open(pool, increases_risk=False)
    series = series_of(pool, command.series)
    params = series.params
    if series.settlement_price_wad is not None:
        raise SeriesNotTradable(pool.pool, params.series, f"is already settled at {series.settlement_price_wad}")
    if command.timestamp_ns < params.expiry_ns:
        raise SeriesNotTradable(pool.pool, params.series, f"expires at {params.expiry_ns}: settle it from then on")
    price, last_price, last_ns = _settlement_price(state, pool, series)
    events: list[Event] = []
    if last_ns:
        events.append(
            SettlementWindowAccrued(pool=pool.pool, series=params.series, price_wad=last_price, covered_ns=last_ns)
        )
    events.append(
        SeriesSettled(
            pool=pool.pool, series=params.series, settlement_price_wad=price, timestamp_ns=command.timestamp_ns
        )
    )
    settled, collected, shortfall = _settle_positions(state, pool, series, price)
    events.extend(settled)
    if shortfall:
        paid_out = sum(e.paid_atoms for e in settled if isinstance(e, SeriesPositionSettled) and e.paid_atoms > 0)
        events.extend(waterfall(state, pool, shortfall, collected - paid_out, command.timestamp_ns))
    return events


def _settle_positions(
    state: LedgerState, pool: PoolState, series: SeriesState, price_wad: int
) -> tuple[list[Event], int, int]:
    """Return the positions' settlement events (losers first), what they paid the vault, and their shortfall."""
    base_decimals = state.assets[series.params.underlying].params.decimals
    quote_decimals = state.assets[pool.params.quote_asset].params.decimals
    holders = [(key, p) for (key, sid), p in pool.series_positions.items() if sid == series.params.series]
    valued = [
        (key, p, settlement_value_atoms(series, p, price_wad, base_decimals, quote_decimals)) for key, p in holders
    ]
    losers = [entry for entry in valued if entry[2] < 0]
    winners = [entry for entry in valued if entry[2] >= 0]
    events: list[Event] = []
    collected = shortfall = 0
    for key, position, value in losers:
        isolated = position.mode is MarginMode.ISOLATED
        paid = min(position.isolated_margin_atoms, -value) if isolated else -value
        missing = -value - paid
        collected += paid
        shortfall += missing
        released = position.isolated_margin_atoms - paid if isolated else 0
        events.append(_settled(pool, series, key, position, -paid, missing, released))
    cash = pool.vault_atoms + collected
    for key, position, value in winners:
        paid = min(value, max(cash, 0))
        cash -= paid
        released = position.isolated_margin_atoms + paid if position.mode is MarginMode.ISOLATED else 0
        events.append(_settled(pool, series, key, position, paid, 0, released))
    return events, collected, shortfall


def _settled(
    pool: PoolState,
    series: SeriesState,
    key: tuple[str, int],
    position: SeriesPosition,
    paid: int,
    shortfall: int,
    released: int,
) -> SeriesPositionSettled:
    return SeriesPositionSettled(
        pool=pool.pool,
        series=series.params.series,
        owner=key[0],
        sub_account=key[1],
        size_atoms=position.size_atoms,
        paid_atoms=paid,
        shortfall_atoms=shortfall,
        released_atoms=released,
    )
