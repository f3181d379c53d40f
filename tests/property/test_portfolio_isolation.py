"""Pool isolation with portfolio-margined accounts (SPEC §2.9; issue 13 item 4).

What isolation means for a portfolio that spans pools: the portfolio is margined as one book across
the pools it trades in, so those pools share its default; a pool it holds no position in is a pool
it never borrowed from, and must be untouched. An insolvent portfolio's auction charges its bidder's
payment only to the pools it held positions in (split by their claims), each through its own
waterfall, capped by what that waterfall allows (insurance up to its window cap, the backstop
budget, then its own LPs).

The property runs one random book twice on the three-pool venue (``support/portfolio_venue.py``):
a portfolio-margined whale with random ETH perps in pools P and Q (either may be 0) and random
USDC and ETH collateral, a cross trader of BTC in pool C, and an ETH move of ±20% or ±40% after which a keeper
auctions the whale if it is below maintenance and a bidder takes the whole portfolio (at once if
solvent, after 30 minutes if insolvent). The control run has no whale. Every pool the whale held no
position in, the BTC oracle and the C trader's account are identical between the runs, value is
conserved after every command, every payment to the bidder comes from a pool the whale traded in,
and replay equals live.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from ringfence.core.errors import PortfolioAuctionRefused
from ringfence.core.pool.commands import Trade
from ringfence.core.pool.state import MarginMode
from ringfence.core.portfolio.commands import BidPortfolio, StartPortfolioAuction
from ringfence.core.portfolio.events import PortfolioAuctionStarted, PortfolioBidderCompensated
from support.portfolio_venue import BTC, BTC_MARKET, PortfolioVenue
from support.venue import ETH, SECOND_NS, USDC, WAD

books = st.tuples(
    st.integers(-20, 20),  # whale's ETH perp in P (whole ETH)
    st.integers(-20, 20),  # in Q
    st.integers(0, 10),  # ETH collateral
    st.integers(-5, 5).filter(bool),  # the C trader's BTC perp (tenths of a BTC)
    st.sampled_from((-40, -20, 20, 40)),  # the ETH move, percent
)


def _run(book: tuple[int, int, int, int, int], *, whale: bool) -> tuple[PortfolioVenue, list[object]]:
    in_p, in_q, eth_held, btc_tenths, move = book
    venue = PortfolioVenue(insurance_atoms=2_000 * USDC)
    venue.deposit("carol", 10_000 * USDC)
    venue.run(Trade("carol", 0, "C", BTC_MARKET, btc_tenths * BTC // 10, MarginMode.CROSS, 0, 0, venue.now))
    venue.deposit("bidder", 1_000_000 * USDC)
    venue.enable("bidder")
    events: list[object] = []
    if whale:
        venue.deposit("whale", 500 * USDC + (abs(in_p) + abs(in_q)) * 400 * USDC)
        if eth_held:
            venue.deposit("whale", eth_held * ETH, asset="ETH")
        venue.enable("whale")
        for pool, size in (("P", in_p), ("Q", in_q)):
            if size:
                venue.pm_trade("whale", pool, size * ETH)
    venue.quote_all(2_000 * WAD * (100 + move) // 100)
    if whale:
        try:
            started = venue.run(StartPortfolioAuction("keeper", 0, "whale", 0, venue.now))
        except PortfolioAuctionRefused:
            return venue, events
        insolvent = any(isinstance(e, PortfolioAuctionStarted) and e.insolvent for e in started)
        if insolvent:
            venue.now += 1_800 * SECOND_NS
            venue.quote_all(2_000 * WAD * (100 + move) // 100)
        events.extend(venue.run(BidPortfolio("bidder", 0, "whale", 0, WAD, 10**12 * USDC, venue.now)))
    else:
        venue.now += 1_800 * SECOND_NS if move else 0
    return venue, events


@settings(max_examples=25, deadline=None)
@given(books)
def test_a_portfolio_default_costs_no_pool_it_holds_no_position_in(book: tuple[int, int, int, int, int]) -> None:
    in_p, in_q = book[0], book[1]
    default, events = _run(book, whale=True)
    control, _ = _run(book, whale=False)
    traded = {pool for pool, size in (("P", in_p), ("Q", in_q)) if size}
    for pool in ("P", "Q", "C"):
        if pool not in traded:
            assert default.state.pools[pool] == control.state.pools[pool], pool
    assert default.state.accounts[("carol", 0)] == control.state.accounts[("carol", 0)]
    assert default.state.oracles["BTC"].accepted_price_wad == control.state.oracles["BTC"].accepted_price_wad
    assert {e.pool for e in events if isinstance(e, PortfolioBidderCompensated)} <= traded
    default.assert_replay_equals_live()
