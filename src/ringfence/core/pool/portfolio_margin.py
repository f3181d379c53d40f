"""A portfolio-margined sub-account's margin: its positions in every pool and its collateral, on the grid.

Built on the exact requirement of :mod:`ringfence.core.portfolio.requirement` (the formula, its
one rounding and its sources are there and in :mod:`ringfence.core.portfolio.rule`). This module
reads the ledger: which ``PORTFOLIO`` positions the sub-account holds (in any pool whose quote
asset is the rule's cash asset), its balances, the oracle prices, and turns each into a
:class:`~ringfence.core.portfolio.requirement.Leg` repriced once per scenario:

- a perpetual: ``size · oracle · shock`` on its base asset (``linear_pnl``);
- a collateral balance of an asset other than the cash asset: ``balance · oracle · shock`` on that
  asset, so collateral in the positions' own underlying falls with them in the same scenario
  (wrong-way risk); the cash asset never moves;
- a dated future: ``size · index · shock`` on its underlying, as a perpetual;
- an option series: Black-76 at the shocked forward and the volatility the smile gives at its
  strike moved by Deribit's shock (:func:`ringfence.core.portfolio.options.option_pnl`), and the
  option contingency per net short contract per (underlying, expiry, strike).

:func:`position_legs` and :func:`series_legs` are the one place an instrument kind chooses its
repricing.

Equity: every collateral balance at weight 1 (the grid's shock replaces the haircut), at the
oracle for maintenance and at ``min(oracle, stable)`` (assets) / ``max`` (debts) for initial
margin (SPEC §2.1), plus each position's unrealised PnL (positive PnL at the market's
``pnl_weight``; for initial margin at :func:`~ringfence.core.margin.initial_pnl_price_wad`) less
the funding it owes, floored; a series position at its value (an option's ``size · mark``, long or
short; a future's unrealised PnL, :func:`~ringfence.core.pool.series_math.position_value_atoms` at
maintenance, for both kinds of margin: in a portfolio a long option is a hedge, Deribit counts it at
mark). Requirement: ``⌈factor · Σ worst loss per underlying +
contingency⌉`` at the oracle. Both in value atoms.

:func:`ringfence.core.pool.position_margin.margin_snapshot` hands a portfolio-margined sub-account
to :func:`portfolio_snapshot`, so every gate of the engine (a trade's initial margin, a
withdrawal, a transfer, a liquidation's test) runs this one requirement.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction

from ringfence.core.errors import CommandRejected, InvalidParameter, NotPortfolioMargined, PortfolioAuctionRefused
from ringfence.core.margin import (
    Denomination,
    MarginKind,
    MarginSnapshot,
    base_price_wad,
    initial_pnl_price_wad,
    quote_to_value_atoms,
)
from ringfence.core.pool.perp_math import funding_owed_atoms, unrealised_pnl_atoms
from ringfence.core.pool.series_margin import series_quote
from ringfence.core.pool.series_math import position_value_atoms
from ringfence.core.pool.series_state import SeriesKind, SeriesPosition
from ringfence.core.pool.state import MarginMode, PoolState, Position
from ringfence.core.portfolio.grid import Scenario
from ringfence.core.portfolio.options import option_pnl
from ringfence.core.portfolio.requirement import (
    Leg,
    UnderlyingLoss,
    linear_contingency,
    linear_pnl,
    requirement_value,
    worst_losses,
)
from ringfence.core.portfolio.rule import PortfolioRule
from ringfence.core.state import AccountKey, LedgerState
from ringfence.core.units import WAD, Rounding, mul_div, value_of

__all__ = [
    "PortfolioMargin",
    "PositionOverrides",
    "SeriesOverrides",
    "check_portfolio_trade",
    "is_portfolio_margined",
    "mark_to_market_value",
    "pool_net_pnl_value",
    "portfolio_margin",
    "portfolio_positions",
    "portfolio_rule_of",
    "portfolio_snapshot",
    "position_legs",
    "series_legs",
]

PositionOverrides = Mapping[tuple[str, str], Position | None]
"""Hypothetical positions by ``(pool, market)`` (None: closed), to check a command's outcome."""
SeriesOverrides = Mapping[tuple[str, str], SeriesPosition | None]
"""Hypothetical series positions by ``(pool, series)`` (None: closed)."""


def is_portfolio_margined(state: LedgerState, key: AccountKey) -> bool:
    """Return whether the sub-account is margined by the scenario grid."""
    return key in state.portfolio_accounts


def portfolio_rule_of(state: LedgerState) -> PortfolioRule:
    """Return the venue's portfolio-margin rule, or refuse: the venue has none."""
    if state.portfolio_rule is None:
        raise CommandRejected("the venue has no portfolio-margin rule: ConfigurePortfolioMargin sets one")
    return state.portfolio_rule


def check_portfolio_trade(state: LedgerState, key: AccountKey, pool: PoolState, mode: MarginMode) -> None:
    """Refuse a trade whose mode does not fit the sub-account's margining, or a portfolio under auction.

    A portfolio-margined sub-account trades in ``PORTFOLIO`` mode only, in pools quoted in the
    rule's cash asset, and not at all while its portfolio is auctioned (Derive blocks an account
    under liquidation); any other sub-account never trades in ``PORTFOLIO`` mode.
    """
    label = f"{key[0]}/{key[1]}"
    if mode is not MarginMode.PORTFOLIO:
        if key in state.portfolio_accounts:
            raise InvalidParameter("mode", mode.value, "portfolio: the sub-account is portfolio-margined")
        return
    if key not in state.portfolio_accounts:
        raise NotPortfolioMargined(label, "trade in portfolio mode", "send EnablePortfolioMargin for it first")
    rule = portfolio_rule_of(state)
    if pool.params.quote_asset != rule.cash_asset:
        raise InvalidParameter("pool", pool.pool, f"a pool quoted in the portfolio cash asset {rule.cash_asset}")
    if key in state.portfolio_auctions:
        raise PortfolioAuctionRefused(label, "its portfolio is being auctioned: no trade until the auction ends")


@dataclass(frozen=True, slots=True)
class PortfolioMargin:
    """A portfolio's margin of one kind, with what its requirement is made of (value atoms)."""

    kind: MarginKind
    equity_value: int
    requirement_value: int
    max_loss_value: Fraction
    contingency_value: Fraction
    losses: tuple[UnderlyingLoss, ...]

    def snapshot(self) -> MarginSnapshot:
        """Return the equity and requirement as the engine's margin snapshot."""
        return MarginSnapshot(
            kind=self.kind,
            equity_atoms=self.equity_value,
            requirement_atoms=self.requirement_value,
            denomination=Denomination.VALUE,
        )


def portfolio_positions(
    state: LedgerState, key: AccountKey, overrides: PositionOverrides | None = None
) -> list[tuple[PoolState, str, Position]]:
    """Return the sub-account's portfolio positions in every pool (pool order, then first open), overrides applied."""
    found = []
    pending = dict(overrides or {})
    for pool in state.pools.values():
        markets = list(pool.account_markets.get(key, ()))
        markets += [m for (p, m) in pending if p == pool.pool and m not in markets]
        for market_id in markets:
            position = pool.positions.get((key, market_id))
            if (pool.pool, market_id) in pending:
                position = pending[(pool.pool, market_id)]
            if position is not None and position.mode is MarginMode.PORTFOLIO:
                found.append((pool, market_id, position))
    return found


def portfolio_series(
    state: LedgerState, key: AccountKey, overrides: SeriesOverrides | None = None
) -> list[tuple[PoolState, str, SeriesPosition]]:
    """Return the sub-account's portfolio series positions in every pool, overrides applied."""
    found = []
    pending = dict(overrides or {})
    for pool in state.pools.values():
        held = {s: p for (k, s), p in pool.series_positions.items() if k == key}
        for (pool_id, series_id), position in pending.items():
            if pool_id == pool.pool:
                held[series_id] = position  # type: ignore[assignment]
        for series_id, position in held.items():
            if position is not None and position.size_atoms and position.mode is MarginMode.PORTFOLIO:
                found.append((pool, series_id, position))
    return found


def series_legs(
    state: LedgerState,
    pool: PoolState,
    series_id: str,
    position: SeriesPosition,
    now_ns: int,
    rule: PortfolioRule,
    *,
    allow_guarded: bool,
) -> tuple[Leg, int]:
    """Return a series position's leg and its value now (quote atoms, floored; :func:`position_value_atoms`).

    A dated future is a delta-one leg on its underlying; an option is repriced by
    :func:`~ringfence.core.portfolio.options.option_pnl` on the smile's volatility at its strike.
    """
    series = pool.series[series_id]
    params = series.params
    index, quote = series_quote(state, pool, series, now_ns, for_new_risk=False)
    if not allow_guarded:  # new risk: the index must be fresh (series_quote read it guarded)
        index = base_price_wad(state, params.underlying, now_ns)
    base_decimals = state.assets[params.underlying].params.decimals
    quote_decimals = state.assets[pool.params.quote_asset].params.decimals
    value = position_value_atoms(
        params, position, quote.mark_wad, MarginKind.MAINTENANCE, base_decimals, quote_decimals
    )
    scenarios = rule.scenarios
    if not params.kind.is_option:
        return Leg(params.underlying, linear_pnl(position.size_atoms, base_decimals, index, scenarios)), value
    contract = (index, params.strike_wad, params.kind is SeriesKind.CALL)
    remaining = max(params.expiry_ns - now_ns, 0)
    pnl = option_pnl(
        position.size_atoms, base_decimals, contract, quote.volatility_wad, remaining, scenarios, rule.volatility_shock
    )
    return Leg(params.underlying, pnl), value


def _option_contingency(
    state: LedgerState, series: list[tuple[PoolState, str, SeriesPosition]], now_ns: int, rule: PortfolioRule
) -> Fraction:
    """Return ``rate · index · max(−net, 0)`` over (underlying, expiry, strike) option groups (value atoms)."""
    if rule.option_contingency_wad == 0:
        return Fraction(0)
    net: dict[tuple[str, int, int], int] = {}
    for pool, series_id, position in series:
        params = pool.series[series_id].params
        if params.kind.is_option:
            group = (params.underlying, params.expiry_ns, params.strike_wad)
            net[group] = net.get(group, 0) + position.size_atoms
    total = Fraction(0)
    for (underlying, _, _), size in net.items():
        if size < 0:
            price = _price(state, underlying, now_ns, True)
            decimals = state.assets[underlying].params.decimals
            total += linear_contingency(size, decimals, price, rule.option_contingency_wad)
    return total


def position_legs(
    state: LedgerState,
    pool: PoolState,
    market_id: str,
    position: Position,
    price_wad: int,
    scenarios: tuple[Scenario, ...],
) -> list[Leg]:
    """Return a position's legs, repriced once per scenario: the one place an instrument chooses its repricing.

    A perpetual is one delta-one leg on its base asset.
    """
    base = pool.markets[market_id].params.base_asset
    decimals = state.assets[base].params.decimals
    return [Leg(base, linear_pnl(position.size_atoms, decimals, price_wad, scenarios))]


def _price(state: LedgerState, asset: str, now_ns: int, allow_guarded: bool) -> int:
    return base_price_wad(state, asset, now_ns, allow_guarded=allow_guarded)


def _equity_price(state: LedgerState, asset: str, amount_atoms: int, kind: MarginKind, price_wad: int) -> int:
    """Return the price equity counts a balance at: the oracle, or for initial margin the stable-price bound."""
    oracle = state.oracles.get(asset)
    if kind is MarginKind.MAINTENANCE or oracle is None or oracle.stable is None:
        return price_wad
    stable = oracle.stable.stable_price_wad
    return min(price_wad, stable) if amount_atoms > 0 else max(price_wad, stable)


def _balances(state: LedgerState, key: AccountKey, changes: Mapping[str, int] | None) -> dict[str, int]:
    account = state.accounts.get(key)
    balances = dict(account.balances) if account is not None else {}
    for asset, change in (changes or {}).items():
        balances[asset] = balances.get(asset, 0) + change
    return balances


def _position_equity(
    state: LedgerState,
    pool: PoolState,
    market_id: str,
    position: Position,
    kind: MarginKind,
    price_wad: int,
    index: int,
) -> int:
    """Return a position's unrealised PnL (weighted when positive) less the funding it owes, in value atoms."""
    params = pool.markets[market_id].params
    base_decimals = state.assets[params.base_asset].params.decimals
    quote_decimals = state.assets[pool.params.quote_asset].params.decimals
    pnl_price = price_wad
    if kind is MarginKind.INITIAL:
        pnl_price = initial_pnl_price_wad(state, params.base_asset, position.size_atoms, price_wad)
    pnl = unrealised_pnl_atoms(position, pnl_price, base_decimals, quote_decimals)
    if pnl > 0:
        pnl = mul_div(pnl, params.pnl_weight_wad, WAD, Rounding.DOWN)
    equity = pnl - funding_owed_atoms(position, index, base_decimals)
    return quote_to_value_atoms(equity, quote_decimals)


def portfolio_margin(
    state: LedgerState,
    key: AccountKey,
    kind: MarginKind,
    now_ns: int,
    balance_changes: Mapping[str, int] | None = None,
    overrides: PositionOverrides | None = None,
    *,
    allow_guarded: bool = False,
    funding_indices: Mapping[tuple[str, str], int] | None = None,
    series_overrides: SeriesOverrides | None = None,
) -> PortfolioMargin:
    """Return a portfolio's margin of ``kind`` (module docstring), after hypothetical changes.

    ``funding_indices`` replaces markets' funding indices (by ``(pool, market)``), for a command
    that accrues funding before it acts. With no position and no debt the account owes nothing:
    no oracle is consulted and the snapshot is 0 / 0, as for cross margin.

    Raises
    ------
    CommandRejected
        If the venue has no portfolio-margin rule.
    OracleUnavailable
        If a price the portfolio needs is stale (or guarded without ``allow_guarded``).
    """
    rule = portfolio_rule_of(state)
    balances = _balances(state, key, balance_changes)
    positions = portfolio_positions(state, key, overrides)
    series = portfolio_series(state, key, series_overrides)
    if not positions and not series and all(amount >= 0 for amount in balances.values()):
        return PortfolioMargin(kind, 0, 0, Fraction(0), Fraction(0), ())
    scenarios = rule.scenarios
    legs: list[Leg] = []
    equity = 0
    contingency = Fraction(0)
    for asset, amount in balances.items():
        if amount == 0:
            continue
        decimals = state.assets[asset].params.decimals
        price = _price(state, asset, now_ns, allow_guarded)
        equity += value_of(amount, _equity_price(state, asset, amount, kind, price), decimals, Rounding.DOWN)
        if asset != rule.cash_asset:
            legs.append(Leg(asset, linear_pnl(amount, decimals, price, scenarios)))
    for pool, market_id, position in positions:
        market = pool.markets[market_id]
        base = market.params.base_asset
        price = _price(state, base, now_ns, allow_guarded)
        index = (funding_indices or {}).get((pool.pool, market_id), market.funding_index_wad)
        equity += _position_equity(state, pool, market_id, position, kind, price, index)
        legs.extend(position_legs(state, pool, market_id, position, price, scenarios))
        decimals = state.assets[base].params.decimals
        contingency += linear_contingency(position.size_atoms, decimals, price, rule.linear_contingency_wad)
    for pool, series_id, series_position in series:
        leg, value = series_legs(state, pool, series_id, series_position, now_ns, rule, allow_guarded=allow_guarded)
        legs.append(leg)
        equity += quote_to_value_atoms(value, state.assets[pool.params.quote_asset].params.decimals)
    contingency += _option_contingency(state, series, now_ns, rule)
    losses = tuple(worst_losses(legs, scenarios))
    max_loss = sum((loss.loss_value for loss in losses), Fraction(0))
    factor = rule.initial_factor_wad if kind is MarginKind.INITIAL else rule.maintenance_factor_wad
    return PortfolioMargin(
        kind, equity, requirement_value(max_loss, factor, contingency), max_loss, contingency, losses
    )


def portfolio_snapshot(
    state: LedgerState,
    key: AccountKey,
    kind: MarginKind,
    now_ns: int,
    balance_changes: Mapping[str, int] | None = None,
    overrides: PositionOverrides | None = None,
    *,
    allow_guarded: bool = False,
    series_overrides: SeriesOverrides | None = None,
) -> MarginSnapshot:
    """Return :func:`portfolio_margin` as the engine's margin snapshot (value atoms)."""
    margin = portfolio_margin(
        state,
        key,
        kind,
        now_ns,
        balance_changes,
        overrides,
        allow_guarded=allow_guarded,
        series_overrides=series_overrides,
    )
    return margin.snapshot()


def mark_to_market_value(
    state: LedgerState, key: AccountKey, now_ns: int, funding_indices: Mapping[tuple[str, str], int] | None = None
) -> int:
    """Return the portfolio's mark-to-market: balances and unrealised PnL at the oracle, less funding owed.

    Every term at full weight (Derive's ``getMarkToMarket``: what the portfolio is worth, not what it
    may borrow against), floored (value atoms). Guarded prices are used (liquidation goes on at
    the last accepted price, SPEC §2.1).
    """
    total = 0
    for asset, amount in _balances(state, key, None).items():
        if amount:
            price = _price(state, asset, now_ns, True)
            total += value_of(amount, price, state.assets[asset].params.decimals, Rounding.DOWN)
    for pool_value in pool_net_pnl_value(state, key, now_ns, funding_indices).values():
        total += pool_value
    return total


def pool_net_pnl_value(
    state: LedgerState, key: AccountKey, now_ns: int, funding_indices: Mapping[tuple[str, str], int] | None = None
) -> dict[str, int]:
    """Return, per pool the portfolio holds positions in, their unrealised PnL less funding owed (value atoms).

    At the oracle (guarded allowed) and at full weight: what the account owes each pool (negative)
    or is owed by it (positive), the claims an insolvent auction's payment is split by.
    """
    found: dict[str, int] = {}
    for pool, market_id, position in portfolio_positions(state, key):
        market = pool.markets[market_id]
        base_decimals = state.assets[market.params.base_asset].params.decimals
        quote_decimals = state.assets[pool.params.quote_asset].params.decimals
        price = _price(state, market.params.base_asset, now_ns, True)
        index = (funding_indices or {}).get((pool.pool, market_id), market.funding_index_wad)
        net = unrealised_pnl_atoms(position, price, base_decimals, quote_decimals)
        net -= funding_owed_atoms(position, index, base_decimals)
        found[pool.pool] = found.get(pool.pool, 0) + quote_to_value_atoms(net, quote_decimals)
    rule = portfolio_rule_of(state)
    for pool, series_id, series_position in portfolio_series(state, key):
        _, value = series_legs(state, pool, series_id, series_position, now_ns, rule, allow_guarded=True)
        quote_decimals = state.assets[pool.params.quote_asset].params.decimals
        found[pool.pool] = found.get(pool.pool, 0) + quote_to_value_atoms(value, quote_decimals)
    return found
