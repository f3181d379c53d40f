"""``evolve`` handlers of portfolio-margin events: the only code that changes portfolio-margin state."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ringfence.core.pool.evolve import adjust_balance, move_position
from ringfence.core.pool.series_state import SeriesPosition
from ringfence.core.pool.state import MarginMode
from ringfence.core.portfolio.events import (
    PortfolioAuctionEnded,
    PortfolioAuctionStarted,
    PortfolioBid,
    PortfolioBidderCompensated,
    PortfolioCollateralTaken,
    PortfolioMarginConfigured,
    PortfolioMarginDisabled,
    PortfolioMarginEnabled,
    PortfolioPositionTaken,
    PortfolioSeriesTaken,
)
from ringfence.core.portfolio.state import PortfolioAuction
from ringfence.core.state import LedgerState

__all__ = ["PORTFOLIO_HANDLERS"]


def _configured(state: LedgerState, event: PortfolioMarginConfigured) -> None:
    state.portfolio_rule = event.rule


def _enabled(state: LedgerState, event: PortfolioMarginEnabled) -> None:
    state.portfolio_accounts[(event.owner, event.sub_account)] = event.timestamp_ns


def _disabled(state: LedgerState, event: PortfolioMarginDisabled) -> None:
    state.portfolio_accounts.pop((event.owner, event.sub_account), None)


def _auction_started(state: LedgerState, event: PortfolioAuctionStarted) -> None:
    state.portfolio_auctions[(event.owner, event.sub_account)] = PortfolioAuction(
        keeper_owner=event.keeper_owner,
        keeper_sub_account=event.keeper_sub_account,
        started_ns=event.timestamp_ns,
        insolvent=event.insolvent,
        deficit_atoms=event.deficit_atoms,
        pools=event.pools,
        pool_weights_value=event.pool_weights_value,
    )


def _bid(state: LedgerState, event: PortfolioBid) -> None:
    if event.price_atoms > 0:
        adjust_balance(state, (event.bidder_owner, event.bidder_sub_account), event.cash_asset, -event.price_atoms)
        adjust_balance(state, (event.owner, event.sub_account), event.cash_asset, event.price_atoms)


def _position_taken(state: LedgerState, event: PortfolioPositionTaken) -> None:
    move_position(state, event, 0, 0, 0)


def _series_taken(state: LedgerState, event: PortfolioSeriesTaken) -> None:
    pool = state.pools[event.pool]
    key = (event.owner, event.sub_account)
    series = pool.series[event.series]
    old = pool.series_positions.get((key, event.series))
    old_size = old.size_atoms if old else 0
    series.long_atoms += max(event.new_size_atoms, 0) - max(old_size, 0)
    series.short_atoms += max(-event.new_size_atoms, 0) - max(-old_size, 0)
    if event.new_size_atoms:
        position = SeriesPosition(event.new_size_atoms, event.new_open_value_atoms, MarginMode.PORTFOLIO)
        pool.series_positions[(key, event.series)] = position
    else:
        pool.series_positions.pop((key, event.series), None)


def _collateral_taken(state: LedgerState, event: PortfolioCollateralTaken) -> None:
    adjust_balance(state, (event.owner, event.sub_account), event.asset, -event.amount_atoms)
    adjust_balance(state, (event.bidder_owner, event.bidder_sub_account), event.asset, event.amount_atoms)


def _compensated(state: LedgerState, event: PortfolioBidderCompensated) -> None:
    pool = state.pools[event.pool]
    pool.vault_atoms -= event.amount_atoms
    adjust_balance(state, (event.bidder_owner, event.bidder_sub_account), pool.params.quote_asset, event.amount_atoms)


def _auction_ended(state: LedgerState, event: PortfolioAuctionEnded) -> None:
    state.portfolio_auctions.pop((event.owner, event.sub_account), None)


PORTFOLIO_HANDLERS: dict[type[Any], Callable[[LedgerState, Any], None]] = {
    PortfolioMarginConfigured: _configured,
    PortfolioMarginEnabled: _enabled,
    PortfolioMarginDisabled: _disabled,
    PortfolioAuctionStarted: _auction_started,
    PortfolioBid: _bid,
    PortfolioPositionTaken: _position_taken,
    PortfolioSeriesTaken: _series_taken,
    PortfolioCollateralTaken: _collateral_taken,
    PortfolioBidderCompensated: _compensated,
    PortfolioAuctionEnded: _auction_ended,
}
