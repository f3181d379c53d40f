"""Readable tables of a venue's state: assets and oracles, pools, credit lines, markets, positions, sub-accounts.

Every number is exact (``format_fixed``) except where a column says it is rounded down for
display (entry price, funding rate, health). Prices are marked at the oracle; a guarded
oracle marks at its last accepted price, a stale one shows ``n/a``.
"""

from __future__ import annotations

from rich.table import Table

from ringfence.cli.venue_portfolio import portfolio_tables
from ringfence.core.errors import OracleUnavailable, RingfenceError
from ringfence.core.margin import (
    NO_LIMIT,
    Denomination,
    MarginKind,
    MarginSnapshot,
    base_price_wad,
    collateral_value,
    oracle_status,
)
from ringfence.core.pool.credit_lines import line_view
from ringfence.core.pool.decide import pool_nav_atoms
from ringfence.core.pool.perp_math import funding_owed_atoms, unrealised_pnl_atoms
from ringfence.core.pool.position_margin import isolated_margin, margin_snapshot
from ringfence.core.pool.series_exposure import pool_exposure
from ringfence.core.pool.series_margin import series_position_terms, series_quote
from ringfence.core.pool.state import MarginMode, MarketState, PoolState, Position
from ringfence.core.state import AccountKey, LedgerState
from ringfence.core.units import VALUE_DECIMALS, WAD, Rounding, format_fixed, mul_div

__all__ = [
    "accounts_table",
    "assets_table",
    "credit_lines_table",
    "markets_table",
    "pools_table",
    "positions_table",
    "series_exposure_table",
    "series_positions_table",
    "venue_tables",
]

HEALTH_DECIMALS = 4


def _table(title: str, *columns: str, left: int = 1) -> Table:
    table = Table(title=title, title_justify="left")
    for index, column in enumerate(columns):
        table.add_column(column, justify="left" if index < left else "right")
    return table


def _ratio(wad: int) -> str:
    return format_fixed(wad, 18)


def _percent(wad: int) -> str:
    return format_fixed(wad, 16) + "%"


def _health(snapshot: MarginSnapshot) -> str:
    """Equity / requirement, rounded down to 4 decimals ("-" with no requirement)."""
    health = snapshot.health_wad()
    if health is None:
        return "-"
    return format_fixed(mul_div(health, 10**HEALTH_DECIMALS, WAD, Rounding.DOWN), HEALTH_DECIMALS)


def _decimals(state: LedgerState, asset: str) -> int:
    return state.assets[asset].params.decimals


def assets_table(state: LedgerState, now_ns: int) -> Table:
    """Return each asset's oracle and stable price, oracle status, supply and weights."""
    table = _table(
        "Assets and oracles",
        "asset",
        "price",
        "stable price",
        "oracle",
        "supplied",
        "supply cap",
        "IM weight",
        "MM weight",
    )
    for code, asset in state.assets.items():
        oracle = state.oracles.get(code)
        price = stable = status = "-"
        if oracle is not None:
            found, reason = oracle_status(oracle, now_ns)
            status = found.value if found.value == "fresh" else f"{found.value}: {reason}"
            price = format_fixed(oracle.accepted_price_wad, 18) if oracle.accepted_price_wad else "-"
            stable = format_fixed(oracle.stable.stable_price_wad, 18) if oracle.stable else "-"
        params = asset.params
        cap = "none" if params.supply_cap_atoms == NO_LIMIT else format_fixed(params.supply_cap_atoms, params.decimals)
        table.add_row(
            code,
            price,
            stable,
            status,
            format_fixed(asset.total_deposits_atoms, params.decimals),
            cap,
            _ratio(params.initial_weight_wad),
            _ratio(params.maintenance_weight_wad),
        )
    return table


def _nav(state: LedgerState, pool: PoolState, now_ns: int) -> tuple[str, str]:
    """Return the NAV bounds LP shares trade at now, funding owed included (``pool_nav_atoms``)."""
    try:
        low, high = pool_nav_atoms(state, pool, now_ns, allow_guarded=True)
    except OracleUnavailable as error:
        return f"n/a ({error.asset} {error.status})", "n/a"
    quote_decimals = _decimals(state, pool.params.quote_asset)
    return format_fixed(low, quote_decimals), format_fixed(high, quote_decimals)


def pools_table(state: LedgerState, now_ns: int) -> Table:
    """Return each pool's status, LP vault, shares, NAV bounds, insurance fund, fees, losses and cover in force."""
    table = _table(
        "Pools (amounts in each pool's quote asset; shares have its decimals)",
        "pool",
        "template",
        "status",
        "LP vault",
        "LP shares",
        "NAV low",
        "NAV high",
        "insurance",
        "protocol fees",
        "socialised loss",
        "cover in force",
        left=3,
    )
    for pool in state.pools.values():
        decimals = _decimals(state, pool.params.quote_asset)
        status = pool.status.value + (f": {pool.status_reason}" if pool.status_reason else "")
        table.add_row(
            pool.pool,
            f"{pool.template} v{pool.template_version} ({pool.params.quote_asset})",
            status,
            format_fixed(pool.vault_atoms, decimals),
            format_fixed(pool.total_shares, decimals),
            *_nav(state, pool, now_ns),
            format_fixed(pool.insurance_atoms, decimals),
            format_fixed(pool.protocol_fees_atoms, decimals),
            format_fixed(pool.socialised_loss_atoms, decimals),
            format_fixed(_cover_in_force_atoms(pool, now_ns), decimals),
        )
    return table


def _cover_in_force_atoms(pool: PoolState, now_ns: int) -> int:
    """Return the capital of the pool's insurance policies whose premium covers ``now_ns`` (docs/insurance.md)."""
    return sum(
        policy.capital_atoms
        for policy in pool.cover_policies.values()
        if policy.clock is not None and policy.clock.in_force(now_ns)
    )


def credit_lines_table(state: LedgerState, now_ns: int) -> Table:
    """Return each credit line: its pools, cap and rate, what is undrawn, owed (interest to now) and written off."""
    table = _table(
        "Credit lines (amounts in the pools' quote asset; owed includes interest accrued to now)",
        "line",
        "lender → borrower",
        "cap",
        "rate/year",
        "undrawn",
        "principal",
        "interest owed",
        "interest collected",
        "written off",
        left=2,
    )
    for line in state.credit_lines.values():
        decimals = _decimals(state, line.quote_asset)
        view = line_view(line, now_ns)
        table.add_row(
            line.line + (" (closed)" if line.closed_ns is not None else ""),
            f"{line.lender_pool} → {line.borrower_pool}",
            format_fixed(line.cap_atoms, decimals),
            _percent(line.rate_per_year_wad),
            format_fixed(line.undrawn_atoms, decimals),
            format_fixed(line.principal_atoms, decimals),
            format_fixed(view.interest_owed_atoms, decimals),
            format_fixed(line.interest_collected_atoms, decimals),
            format_fixed(line.written_off_atoms, decimals),
        )
    return table


def _funding_rate_wad(market: MarketState) -> int:
    """Return the current funding rate per day: ``max_rate · clamp(skew / skew_scale, −1, 1)`` (rounded down)."""
    params = market.params
    skew = max(min(market.skew_atoms, params.skew_scale_atoms), -params.skew_scale_atoms)
    return mul_div(params.max_funding_rate_per_day_wad, skew, params.skew_scale_atoms, Rounding.DOWN)


def markets_table(state: LedgerState) -> Table:
    """Return each market's open interest, skew, funding rate and index, and margin rates."""
    table = _table(
        "Markets (sizes in the base asset)",
        "pool",
        "market",
        "long OI",
        "short OI",
        "skew",
        "OI cap",
        "funding/day",
        "funding index",
        "IM",
        "MM",
        left=2,
    )
    for pool in state.pools.values():
        quote_decimals = _decimals(state, pool.params.quote_asset)
        for market_id, market in pool.markets.items():
            params = market.params
            base = _decimals(state, params.base_asset)
            table.add_row(
                pool.pool,
                f"{market_id} ({params.base_asset})",
                format_fixed(market.long_atoms, base),
                format_fixed(market.short_atoms, base),
                format_fixed(market.skew_atoms, base),
                format_fixed(params.open_interest_cap_atoms, base),
                _percent(_funding_rate_wad(market)),
                format_fixed(market.funding_index_wad, 18 + quote_decimals),
                _percent(params.initial_margin_wad),
                _percent(params.maintenance_margin_wad),
            )
    return table


def _position_row(
    state: LedgerState, pool: PoolState, key: AccountKey, market_id: str, position: Position, now_ns: int
) -> list[str]:
    market = pool.markets[market_id]
    base = _decimals(state, market.params.base_asset)
    quote = _decimals(state, pool.params.quote_asset)
    entry = mul_div(abs(position.open_notional_atoms), 10**base, abs(position.size_atoms), Rounding.DOWN)
    row = [
        f"{key[0]}/{key[1]}",
        f"{pool.pool}/{market_id}",
        position.mode.value,
        format_fixed(position.size_atoms, base),
        format_fixed(entry, quote),
    ]
    try:
        price = base_price_wad(state, market.params.base_asset, now_ns, allow_guarded=True)
    except OracleUnavailable as error:
        return [*row, f"n/a ({error.status})", "-", "-", format_fixed(position.isolated_margin_atoms, quote), "-"]
    pnl = unrealised_pnl_atoms(position, price, base, quote)
    owed = funding_owed_atoms(position, market.funding_index_wad, base)
    health = "cross: see account"
    if position.mode is MarginMode.ISOLATED:
        health = _health(isolated_margin(state, pool, market_id, position, MarginKind.MAINTENANCE, price))
    return [
        *row,
        format_fixed(price, 18),
        format_fixed(pnl, quote),
        format_fixed(owed, quote),
        format_fixed(position.isolated_margin_atoms, quote),
        health,
    ]


def positions_table(state: LedgerState, now_ns: int) -> Table:
    """Return every open position with its entry, mark, unrealised PnL, funding owed and margin."""
    table = _table(
        "Positions (size in base, money in quote; entry rounded down)",
        "account",
        "pool/market",
        "mode",
        "size",
        "entry price",
        "mark price",
        "unrealised PnL",
        "funding owed",
        "isolated margin",
        "MM health",
        left=3,
    )
    for pool in state.pools.values():
        for (key, market_id), position in pool.positions.items():
            table.add_row(*_position_row(state, pool, key, market_id, position, now_ns))
    return table


def _margin(state: LedgerState, key: AccountKey, kind: MarginKind, now_ns: int) -> tuple[str, str, str]:
    """Return ``(equity, requirement, health)`` in USD; equity with no requirement is the weighted collateral."""
    try:
        snapshot = margin_snapshot(state, key, kind, now_ns, allow_guarded=True)
        if snapshot.requirement_atoms == 0:
            account = state.accounts.get(key)
            balances = account.balances if account is not None else {}
            equity = collateral_value(state, balances, kind, now_ns)
            snapshot = MarginSnapshot(
                kind=kind, equity_atoms=equity, requirement_atoms=0, denomination=Denomination.VALUE
            )
    except OracleUnavailable as error:
        return f"n/a ({error.asset} {error.status})", "-", "-"
    return (
        format_fixed(snapshot.equity_atoms, VALUE_DECIMALS),
        format_fixed(snapshot.requirement_atoms, VALUE_DECIMALS),
        _health(snapshot),
    )


def _lp_shares(state: LedgerState, key: AccountKey) -> str:
    held = [
        f"{format_fixed(pool.lp_shares[key], _decimals(state, pool.params.quote_asset))} {pool.pool}"
        for pool in state.pools.values()
        if pool.lp_shares.get(key)
    ]
    return ", ".join(held) or "-"


def accounts_table(state: LedgerState, now_ns: int) -> Table:
    """Return every sub-account's balances, LP shares, and initial and maintenance equity, requirement, health."""
    table = _table(
        "Sub-accounts (equity and requirements in USD, rounded against the account; health = equity / requirement)",
        "account",
        "balances",
        "LP shares",
        "IM equity",
        "IM req.",
        "IM health",
        "MM equity",
        "MM req.",
        "MM health",
        left=3,
    )
    for key, account in state.accounts.items():
        balances = ", ".join(
            f"{format_fixed(atoms, _decimals(state, asset))} {asset}"
            for asset, atoms in account.balances.items()
            if atoms
        )
        table.add_row(
            f"{key[0]}/{key[1]}",
            balances or "-",
            _lp_shares(state, key),
            *_margin(state, key, MarginKind.INITIAL, now_ns),
            *_margin(state, key, MarginKind.MAINTENANCE, now_ns),
        )
    return table


def _greek(value: int | None) -> str:
    return "-" if value is None else format_fixed(value, 18)


def series_exposure_table(state: LedgerState, now_ns: int) -> Table:
    """Each pool's series: open interest and the LP vault's net delta, gamma and vega (the counterparty book)."""
    table = _table(
        "Series exposure (the LP vault holds the opposite of traders)",
        "pool",
        "series",
        "kind",
        "long",
        "short",
        "vault delta",
        "vault gamma",
        "vault vega (per 1.00 vol)",
        "settled at",
        left=3,
    )
    for pool in state.pools.values():
        report = pool_exposure(state, pool.pool, now_ns)
        exposure = {row.series: row for row in report.series}
        for series_id, series in pool.series.items():
            decimals = _decimals(state, series.params.underlying)
            row = exposure.get(series_id)
            settled = series.settlement_price_wad
            table.add_row(
                pool.pool,
                series_id,
                series.params.kind.value,
                format_fixed(series.long_atoms, decimals),
                format_fixed(series.short_atoms, decimals),
                _greek(row.delta_wad if row else 0),
                _greek(row.gamma_wad if row else 0),
                _greek(row.vega_wad if row else 0),
                "-" if settled is None else _ratio(settled),
            )
        for underlying, (delta, gamma, vega) in report.totals.items():
            table.add_row(pool.pool, f"total {underlying}", "", "", "", _greek(delta), _greek(gamma), _greek(vega), "")
    return table


def _series_row(state: LedgerState, pool: PoolState, key: AccountKey, series_id: str, now_ns: int) -> list[str]:
    series = pool.series[series_id]
    position = pool.series_positions[(key, series_id)]
    decimals = _decimals(state, series.params.underlying)
    quote_decimals = _decimals(state, pool.params.quote_asset)
    try:
        _, quote = series_quote(state, pool, series, now_ns)
        value, _ = series_position_terms(state, pool, series, position, MarginKind.MAINTENANCE, now_ns)
        mark, shown = _ratio(quote.mark_wad), format_fixed(value, quote_decimals)
    except RingfenceError as error:
        mark, shown = f"({type(error).__name__})", "-"
    isolated = position.mode is MarginMode.ISOLATED
    return [
        f"{key[0]}/{key[1]}",
        f"{pool.pool}/{series_id}",
        position.mode.value,
        format_fixed(position.size_atoms, decimals),
        format_fixed(position.open_value_atoms, quote_decimals),
        mark,
        shown,
        format_fixed(position.isolated_margin_atoms, quote_decimals) if isolated else "-",
    ]


def series_positions_table(state: LedgerState, now_ns: int) -> Table:
    """Every open series position: size, what it cost (options: premium; futures: notional), mark and value."""
    table = _table(
        "Series positions (size in the underlying, money in quote; value = size × mark, a future's its PnL)",
        "account",
        "pool/series",
        "mode",
        "size",
        "open value",
        "mark",
        "value",
        "isolated margin",
        left=3,
    )
    for pool in state.pools.values():
        for key, series_id in pool.series_positions:
            table.add_row(*_series_row(state, pool, key, series_id, now_ns))
    return table


def venue_tables(state: LedgerState, now_ns: int) -> list[Table]:
    """Return every table, in reading order."""
    has_series = any(pool.series for pool in state.pools.values())
    return [
        assets_table(state, now_ns),
        pools_table(state, now_ns),
        *([credit_lines_table(state, now_ns)] if state.credit_lines else []),
        markets_table(state),
        *([series_exposure_table(state, now_ns)] if has_series else []),
        positions_table(state, now_ns),
        *([series_positions_table(state, now_ns)] if has_series else []),
        accounts_table(state, now_ns),
        *portfolio_tables(state, now_ns),
    ]
