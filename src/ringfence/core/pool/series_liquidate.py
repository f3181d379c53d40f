"""Liquidation of a series position below maintenance margin, through the pool's liquidation home.

A keeper's ``LiquidateSeries`` is verified (the position's isolated vault, or its cross
sub-account, is below maintenance at the index and the latest smile, :mod:`.series_margin`), then
the LP vault buys the whole position back at its mark (an option's Black-76 mark, a future's
index), and the account pays the pool's ``liquidation_penalty_wad`` on the underlying notional
``|size| · F`` (split keeper / insurance fund by ``liquidator_share_wad``, as a perpetual's
keeper-path penalty, :mod:`ringfence.core.pool.liquidate`). The penalty never exceeds what the
margin side has left after the buy-back, so it never creates a loss. What an isolated vault cannot
pay of the buy-back is a shortfall down the pool's own waterfall
(:func:`~ringfence.core.pool.liquidate.waterfall`: insurance fund, cover, backstop budget, LPs,
credit-line lenders); a cross account's unpaid part stays its debt to the pool, settled as any
cross debt (a keeper's ``Liquidate`` of the debt, collateral auctions).

Not done here (perpetual features the series path does not take yet): partial closes, the toxic
and backstop paths' choice, pacing and the throughput breaker, auto-deleveraging of series.
"""

from __future__ import annotations

from ringfence.core.errors import CommandRejected, NotPortfolioMargined, UnknownEntity
from ringfence.core.events import Event
from ringfence.core.margin import MarginKind
from ringfence.core.pool.decide import _require_open, payable_pnl_atoms, pool_of, quote_balance
from ringfence.core.pool.liquidate import waterfall
from ringfence.core.pool.perp_math import signed_notional_atoms
from ringfence.core.pool.position_margin import margin_snapshot
from ringfence.core.pool.series_commands import LiquidateSeries
from ringfence.core.pool.series_decide import check_series_open, series_of
from ringfence.core.pool.series_events import SeriesPositionLiquidated
from ringfence.core.pool.series_margin import isolated_series_margin, series_quote
from ringfence.core.pool.series_state import SeriesPosition, SeriesState
from ringfence.core.pool.state import MarginMode, PoolState
from ringfence.core.state import AccountKey, LedgerState
from ringfence.core.units import WAD, Rounding, mul_div
from ringfence.core.validation import check_account

__all__ = ["buyback_atoms", "decide_liquidate_series"]


def buyback_atoms(
    pool: PoolState, series: SeriesState, position: SeriesPosition, mark_wad: int, base_dec: int, quote_dec: int
) -> int:
    """Return what closing the position at its mark moves from the position to the LP vault (negative: to it).

    Options: ``−size · mark`` rounded up (a short pays the ceiling, a long receives the floor).
    Futures: minus the realised PnL ``size · F − open notional``. What the vault pays (a long
    option's value, a future's gain) is paid only as far as its cash reaches
    (:func:`~ringfence.core.pool.decide.payable_pnl_atoms`).
    """
    if series.params.kind.is_option:
        owed = signed_notional_atoms(position.size_atoms, mark_wad, base_dec, quote_dec)
    else:
        owed = signed_notional_atoms(position.size_atoms, mark_wad, base_dec, quote_dec) - position.open_value_atoms
    return -payable_pnl_atoms(pool, owed)


def _verify(
    state: LedgerState, pool: PoolState, series: SeriesState, key: AccountKey, position: SeriesPosition, now_ns: int
) -> tuple[int, int]:
    """Return the position's maintenance ``(equity, requirement)``, refusing a healthy one."""
    if position.mode is MarginMode.ISOLATED:
        equity, requirement = isolated_series_margin(state, pool, series, position, MarginKind.MAINTENANCE, now_ns)
    else:
        snapshot = margin_snapshot(state, key, MarginKind.MAINTENANCE, now_ns, allow_guarded=True)
        equity, requirement = snapshot.equity_atoms, snapshot.requirement_atoms
    if equity >= requirement:
        raise CommandRejected(
            f"{key[0]}/{key[1]}'s {series.params.series} position is not below maintenance margin "
            f"(equity {equity}, requirement {requirement}); it cannot be liquidated"
        )
    return equity, requirement


def decide_liquidate_series(state: LedgerState, command: LiquidateSeries) -> list[Event]:
    """Buy back a series position below maintenance at mark plus the penalty; shortfalls down the waterfall."""
    pool = pool_of(state, command.pool)
    _require_open(pool, increases_risk=False)
    series = series_of(pool, command.series)
    check_account("keeper_owner", command.keeper_owner, "keeper_sub_account", command.keeper_sub_account)
    key = check_account("owner", command.owner, "sub_account", command.sub_account)
    position = pool.series_positions.get((key, command.series))
    if position is None:
        held = tuple(s for (k, s) in pool.series_positions if k == key)
        raise UnknownEntity(f"series position of {key[0]}/{key[1]} in pool {pool.pool}", command.series, held)
    if position.mode is MarginMode.PORTFOLIO:
        raise NotPortfolioMargined(
            f"{key[0]}/{key[1]}",
            "be liquidated position by position",
            "its portfolio is liquidated as a whole: send StartPortfolioAuction",
        )
    check_series_open(pool, series, command.timestamp_ns)
    equity, requirement = _verify(state, pool, series, key, position, command.timestamp_ns)
    index, quote = series_quote(state, pool, series, command.timestamp_ns)
    base_dec = state.assets[series.params.underlying].params.decimals
    quote_dec = state.assets[pool.params.quote_asset].params.decimals
    buyback = buyback_atoms(pool, series, position, quote.mark_wad, base_dec, quote_dec)
    notional = signed_notional_atoms(abs(position.size_atoms), index, base_dec, quote_dec, Rounding.UP)
    penalty = mul_div(notional, pool.params.liquidation_penalty_wad, WAD, Rounding.UP)
    isolated = position.mode is MarginMode.ISOLATED
    side = position.isolated_margin_atoms if isolated else quote_balance(state, key, pool.params.quote_asset)
    penalty = min(penalty, max(side - buyback, 0))
    keeper = mul_div(penalty, pool.params.liquidator_share_wad, WAD, Rounding.DOWN)
    shortfall = max(buyback - side, 0) if isolated else 0
    released = max(side - buyback - penalty, 0) if isolated else 0
    per_unit_penalty = mul_div(index, pool.params.liquidation_penalty_wad, WAD, Rounding.UP)
    events: list[Event] = [
        SeriesPositionLiquidated(
            keeper_owner=command.keeper_owner,
            keeper_sub_account=command.keeper_sub_account,
            owner=command.owner,
            sub_account=command.sub_account,
            pool=command.pool,
            series=command.series,
            size_atoms=position.size_atoms,
            mark_wad=quote.mark_wad,
            price_wad=quote.mark_wad + (per_unit_penalty if position.size_atoms < 0 else -per_unit_penalty),
            buyback_atoms=buyback,
            keeper_reward_atoms=keeper,
            insurance_penalty_atoms=penalty - keeper,
            shortfall_atoms=shortfall,
            released_atoms=released,
            equity_atoms=equity,
            requirement_atoms=requirement,
            timestamp_ns=command.timestamp_ns,
        )
    ]
    if shortfall:
        events.extend(waterfall(state, pool, shortfall, buyback - shortfall, command.timestamp_ns))
    return events
