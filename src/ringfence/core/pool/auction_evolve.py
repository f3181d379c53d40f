"""``evolve`` handlers of collateral-auction events: the only code that changes an auction."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from ringfence.core.pool.auction_events import (
    AuctionsConfigured,
    CollateralAuctionEnded,
    CollateralAuctionRestarted,
    CollateralAuctionStarted,
    CollateralTaken,
)
from ringfence.core.pool.auction_state import CollateralAuction
from ringfence.core.pool.evolve import adjust_balance
from ringfence.core.state import LedgerState

__all__ = ["AUCTION_HANDLERS"]


def _auctions_configured(state: LedgerState, event: AuctionsConfigured) -> None:
    state.pools[event.pool].auction_params = event.params


def _pay_keeper(state: LedgerState, pool_id: str, keeper: tuple[str, int], amount_atoms: int) -> None:
    pool = state.pools[pool_id]
    pool.insurance_atoms -= amount_atoms
    adjust_balance(state, keeper, pool.params.quote_asset, amount_atoms)


def _auction_started(state: LedgerState, event: CollateralAuctionStarted) -> None:
    pool = state.pools[event.pool]
    adjust_balance(state, (event.owner, event.sub_account), event.asset, -event.lot_atoms)
    pool.auctions[event.auction_id] = CollateralAuction(
        owner=event.owner,
        sub_account=event.sub_account,
        asset=event.asset,
        lot_atoms=event.lot_atoms,
        tab_atoms=event.tab_atoms,
        debt_atoms=event.debt_atoms,
        top_wad=event.top_wad,
        started_ns=event.timestamp_ns,
    )
    pool.next_auction_id = event.auction_id + 1
    _pay_keeper(state, event.pool, (event.keeper_owner, event.keeper_sub_account), event.keeper_incentive_atoms)


def _collateral_taken(state: LedgerState, event: CollateralTaken) -> None:
    pool = state.pools[event.pool]
    quote = pool.params.quote_asset
    auction = pool.auctions[event.auction_id]
    taker = (event.taker_owner, event.taker_sub_account)
    adjust_balance(state, taker, quote, -event.paid_atoms)
    adjust_balance(state, taker, auction.asset, event.slice_atoms)
    adjust_balance(state, (auction.owner, auction.sub_account), quote, event.debt_repaid_atoms)
    pool.insurance_atoms += event.penalty_atoms
    pool.auctions[event.auction_id] = replace(
        auction,
        lot_atoms=auction.lot_atoms - event.slice_atoms,
        tab_atoms=auction.tab_atoms - event.paid_atoms,
        debt_atoms=auction.debt_atoms - event.debt_repaid_atoms,
    )


def _auction_ended(state: LedgerState, event: CollateralAuctionEnded) -> None:
    pool = state.pools[event.pool]
    auction = pool.auctions.pop(event.auction_id)
    owner = (auction.owner, auction.sub_account)
    adjust_balance(state, owner, auction.asset, event.lot_returned_atoms)
    adjust_balance(state, owner, pool.params.quote_asset, event.shortfall_atoms)
    pool.vault_atoms -= event.shortfall_atoms


def _auction_restarted(state: LedgerState, event: CollateralAuctionRestarted) -> None:
    pool = state.pools[event.pool]
    auction = pool.auctions[event.auction_id]
    pool.auctions[event.auction_id] = replace(auction, top_wad=event.top_wad, started_ns=event.timestamp_ns)
    _pay_keeper(state, event.pool, (event.keeper_owner, event.keeper_sub_account), event.keeper_incentive_atoms)


AUCTION_HANDLERS: dict[type[Any], Callable[[LedgerState, Any], None]] = {
    AuctionsConfigured: _auctions_configured,
    CollateralAuctionStarted: _auction_started,
    CollateralTaken: _collateral_taken,
    CollateralAuctionEnded: _auction_ended,
    CollateralAuctionRestarted: _auction_restarted,
}
