"""The Derive portfolio auction of a portfolio-margined sub-account, with worked numbers (issue 13 item 4).

Premises (``support/portfolio_venue.py``): ETH at 2,000 then lower, USDC at par; the rule's grid
±16% (Deribit S:PM), IM factor 1.0, MM factor 0.8, perp contingency 1%; Derive's schedule (95% →
70% of mark-to-market in 900 s, → 0 in 43,200 s more) and an insolvent auction of 3,600 s; pool ``P``
with 100,000 USDC of LP capital, an insurance fund capped at 1,000 USDC an hour, no backstop budget.
Every expected amount is computed here from the account's inputs (its cash and its perp's cost
basis) with ``fractions``, never read back from the engine's result.
"""

from __future__ import annotations

import math
from fractions import Fraction

from ringfence.core.errors import InsufficientMargin, NotPortfolioMargined, PortfolioAuctionRefused, Unauthorized
from ringfence.core.liquidation.auctions import LYRA_DEFAULT_AUCTION, lyra_discount_percentage_wad
from ringfence.core.pool.commands import Liquidate
from ringfence.core.pool.events import InsuranceDrawn, LossSocialised
from ringfence.core.pool.state import MarginMode
from ringfence.core.portfolio.commands import BidPortfolio, EndPortfolioAuction, StartPortfolioAuction
from ringfence.core.portfolio.events import (
    AuctionEndReason,
    PortfolioAuctionEnded,
    PortfolioBid,
    PortfolioBidderCompensated,
    PortfolioCollateralTaken,
    PortfolioPositionTaken,
)
from support.portfolio_venue import bid_portfolio, portfolio_venue, start_auction
from support.venue import ETH, MARKET, POOL, SECOND_NS, USDC, WAD, only

ALICE = ("alice", 0)


def _ceil(value: Fraction) -> int:
    return math.ceil(value)


def test_the_discount_schedule_is_derives() -> None:
    # 95% at the start, 25 points lost linearly over 900 s, then 70% → 0 over 43,200 s, 0 after
    expected = {0: 95, 450: 82.5, 900: 70, 900 + 21_600: 35, 900 + 43_200: 0}
    for seconds, percent in expected.items():
        assert lyra_discount_percentage_wad(LYRA_DEFAULT_AUCTION, seconds) == int(Fraction(str(percent)) * WAD / 100)


def test_a_solvent_portfolio_is_sold_at_a_discount_to_its_mark_and_only_as_much_as_restores_it() -> None:
    venue, basis = portfolio_venue(1_700)
    cash, size = 4_000 * USDC, 10 * ETH
    mtm = cash + 17_000 * USDC - basis  # the 10 ETH at 1,700 less their cost: ≈ 999.9 USDC
    started = start_auction(venue)
    # by hand: MM = 0.8 · (10 · 1,700 · 16%) + 1% · 17,000 = 2,176 + 170 = 2,346 USDC > equity
    assert (started.insolvent, started.mark_to_market_value) == (False, mtm)
    assert started.maintenance_requirement_value == 2_346 * USDC
    venue.now += 450 * SECOND_NS  # d(450 s) = 95% − 25% · 450/900 = 82.5%
    events = bid_portfolio(venue, WAD)
    bid = only(events, PortfolioBid)
    whole = mtm * 825 // 1000  # ⌊MtM · 0.825⌋
    deficit = (2_720 + 170) * USDC - mtm  # IM: 10 · 1,700 · 16% + 1% · 17,000 = 2,890 USDC, less equity (= MtM)
    share = _ceil(Fraction(WAD * deficit, deficit + whole))  # Derive's f_max = IM / (IM − bid), rounded up
    assert (bid.discount_wad, bid.share_wad) == (825 * WAD // 1000, share)
    assert bid.price_atoms == whole * share // WAD
    moved = size * share // WAD
    taken = [e for e in events if isinstance(e, PortfolioPositionTaken)]
    assert [(e.owner, e.size_delta_atoms) for e in taken] == [("alice", -moved), ("bob", moved)]
    moved_basis = _ceil(Fraction(basis * moved, size))
    assert taken[1].new_open_notional_atoms == moved_basis  # bob takes the basis with the position
    assert only(events, PortfolioCollateralTaken).amount_atoms == cash * share // WAD
    # alice after: what she kept, plus the price; restored at initial margin iff equity covers the requirement
    left = size - moved
    equity = cash - cash * share // WAD + bid.price_atoms + (left * 1_700 * USDC // ETH - (basis - moved_basis))
    requirement = _ceil(Fraction(left * 1_700 * USDC, ETH) * Fraction(17, 100))  # 16% + 1%
    ended = [e for e in events if isinstance(e, PortfolioAuctionEnded)]
    assert venue.balance("alice") == cash - cash * share // WAD + bid.price_atoms
    # the cap restores the account up to the transfer's floors (a moved atom less, a price atom less):
    # here it is left 1 atom short of initial margin, so the auction goes on, as Derive's would
    assert requirement - equity == 1 and not ended and ALICE in venue.state.portfolio_auctions
    second = bid_portfolio(venue, WAD)
    assert only(second, PortfolioBid).share_wad < WAD // 10**6  # a sliver restores it
    assert only(second, PortfolioAuctionEnded).reason is AuctionEndReason.RESTORED
    assert ALICE not in venue.state.portfolio_auctions
    venue.assert_replay_equals_live()


def test_an_insolvent_portfolio_pays_its_bidder_from_its_pools_waterfall_insurance_first() -> None:
    venue, basis = portfolio_venue(1_500, insurance_atoms=500 * USDC)
    mtm = 4_000 * USDC + 15_000 * USDC - basis  # ≈ −1,000.1 USDC: nobody pays for this portfolio
    started = start_auction(venue)
    deficit = (2_400 + 150) * USDC - mtm  # IM 10 · 1,500 · 16% + 1% · 15,000 = 2,550 USDC, less equity
    assert (started.insolvent, started.deficit_atoms, started.pools) == (True, deficit, (POOL,))
    venue.refuse(BidPortfolio("bob", 0, "alice", 0, WAD, -1, venue.now), PortfolioAuctionRefused, "above the bid")
    vault_before = venue.state.pools[POOL].vault_atoms
    venue.now += 1_800 * SECOND_NS
    venue.quote_all(1_500 * WAD)  # one more second, fresh prices for bob's margin check
    events = bid_portfolio(venue, WAD, limit_atoms=0)
    paid = deficit * 1_801 // 3_600  # the payment grows linearly to the deficit over 3,600 s
    assert only(events, PortfolioBid).price_atoms == -paid
    assert only(events, PortfolioBidderCompensated).amount_atoms == paid
    # the pool's waterfall: its insurance fund (500 USDC, under the 1,000-an-hour cap), then its LPs
    assert only(events, InsuranceDrawn).amount_atoms == 500 * USDC
    assert only(events, LossSocialised).amount_atoms == paid - 500 * USDC
    order = [
        type(e).__name__ for e in events if isinstance(e, PortfolioBidderCompensated | InsuranceDrawn | LossSocialised)
    ]
    assert order == ["PortfolioBidderCompensated", "InsuranceDrawn", "LossSocialised"]
    assert only(events, PortfolioAuctionEnded).reason is AuctionEndReason.EMPTIED
    assert venue.state.pools[POOL].vault_atoms == vault_before - paid + 500 * USDC
    assert venue.balance("alice") == 0 and (ALICE, MARKET) not in venue.state.pools[POOL].positions
    assert venue.balance("bob") == 10_000 * USDC + 4_000 * USDC + paid
    venue.assert_replay_equals_live()


def test_a_spent_solvent_auction_turns_insolvent_only_once_its_price_reached_zero() -> None:
    venue, _ = portfolio_venue(1_700)
    start_auction(venue)
    venue.refuse(StartPortfolioAuction("keeper", 0, "alice", 0, venue.now), PortfolioAuctionRefused, "turns insolvent")
    venue.now += (900 + 43_200) * SECOND_NS
    venue.quote_all(1_700 * WAD)
    venue.refuse(BidPortfolio("bob", 0, "alice", 0, WAD, 10**9, venue.now), PortfolioAuctionRefused, "reached 0")
    assert start_auction(venue).insolvent


def test_refusals_are_named_and_change_nothing() -> None:
    venue, _ = portfolio_venue(1_900)
    # healthy at 1,900: equity ≈ 3,000 > MM 0.8 · 3,040 + 190
    venue.refuse(StartPortfolioAuction("keeper", 0, "alice", 0, venue.now), PortfolioAuctionRefused, "not below")
    venue.refuse(BidPortfolio("bob", 0, "alice", 0, WAD, 0, venue.now), PortfolioAuctionRefused, "no auction")
    venue.quote_all(1_700 * WAD)
    venue.refuse(StartPortfolioAuction("alice", 0, "alice", 0, venue.now), Unauthorized, "keeper of another owner")
    venue.refuse(Liquidate("keeper", 0, "alice", 0, POOL, MARKET, venue.now), NotPortfolioMargined, "as a whole")
    start_auction(venue)
    venue.refuse(venue.trade_command("alice", -ETH, MarginMode.PORTFOLIO), PortfolioAuctionRefused, "being auctioned")
    venue.deposit("carol", 10_000 * USDC)  # carol is cross: she cannot take positions in every pool
    venue.refuse(BidPortfolio("carol", 0, "alice", 0, WAD, 10**9, venue.now), NotPortfolioMargined, "enable")
    venue.refuse(BidPortfolio("alice", 1, "alice", 0, WAD, 10**9, venue.now), Unauthorized, "another owner")
    venue.refuse(EndPortfolioAuction("bob", "alice", 0, venue.now), PortfolioAuctionRefused, "still below")
    venue.refuse(BidPortfolio("bob", 0, "alice", 0, WAD, 1, venue.now), PortfolioAuctionRefused, "above the bid")


def test_a_bidder_must_stay_at_initial_margin() -> None:
    venue, _ = portfolio_venue(1_500)
    venue.deposit("dave", 1 * USDC)
    venue.enable("dave")
    start_auction(venue)
    venue.now += 10 * SECOND_NS
    venue.refuse(BidPortfolio("dave", 0, "alice", 0, WAD, 0, venue.now), InsufficientMargin, "dave/0")


def test_an_owner_who_restores_its_account_ends_the_auction() -> None:
    venue, _ = portfolio_venue(1_700)
    start_auction(venue)
    venue.deposit("alice", 2_000 * USDC)  # IM 2,890 < equity ≈ 999.9 + 2,000
    events = venue.run(EndPortfolioAuction("bob", "alice", 0, venue.now))
    assert only(events, PortfolioAuctionEnded).reason is AuctionEndReason.RESTORED
