"""A venue for portfolio-margin tests: pools ``P`` and ``Q`` with an ETH perp each, pool ``C`` with a BTC perp.

Built on :class:`support.venue.Venue` (USDC and ETH at 2,000 with three-source oracles, pool ``P``),
with BTC at 50,000 (and, with ``series``, the call, put and dated future of ``support/series.py`` in
pool ``P`` on a flat 80% smile), the pools ``Q`` (ETH) and ``C`` (BTC) on the same parameters, and the venue's
portfolio-margin rule: Deribit S:PM's 27 scenarios (±16% in 9 buckets × volatility up / same /
down), initial factor 1.0, maintenance factor 0.8 (Derive PM2), a perp contingency of 1% of the
price per contract, no minimum equity, Derive's auction schedule (95% → 70% in 900 s, → 0 in
43,200 s more) and an insolvent auction of 3,600 s. Each pool's LP vault holds 100,000 USDC and
its insurance fund ``insurance_atoms``.
"""

from __future__ import annotations

import dataclasses

from ringfence.core.commands import RegisterAsset, SubmitPrice
from ringfence.core.events import Event
from ringfence.core.margin import NO_LIMIT
from ringfence.core.pool.auction_commands import ConfigureAuctions
from ringfence.core.pool.auction_state import AuctionParams
from ringfence.core.pool.commands import AddMarket, CreatePool, FundInsurance, ProvideLiquidity, Trade
from ringfence.core.pool.series_commands import ListSeries, TradeSeries
from ringfence.core.pool.state import MarginMode
from ringfence.core.portfolio.commands import (
    BidPortfolio,
    ConfigurePortfolioMargin,
    EnablePortfolioMargin,
    StartPortfolioAuction,
)
from ringfence.core.portfolio.events import PortfolioAuctionStarted
from ringfence.core.portfolio.rule import PortfolioRule, deribit_rule
from ringfence.core.units import WAD
from support.series import CALL_PARAMS, FUTURE_PARAMS, PUT_PARAMS, flat_smile
from support.venue import (
    ETH,
    LP_ATOMS,
    MARKET,
    MARKET_PARAMS,
    PERCENT,
    POOL,
    POOL_PARAMS,
    USDC,
    Venue,
    only,
    oracle_config,
)

__all__ = [
    "ATM_PUT",
    "ATM_PUT_PARAMS",
    "BTC",
    "BTC_MARKET",
    "PM_RULE",
    "PortfolioVenue",
    "bid_portfolio",
    "portfolio_venue",
    "start_auction",
]

BTC = 10**8
BTC_MARKET = "BTC-PERP"
ATM_PUT = "ETH-P-2000"
ATM_PUT_PARAMS = dataclasses.replace(PUT_PARAMS, series=ATM_PUT, strike_wad=CALL_PARAMS.strike_wad)
"""A put struck at the money (2,000), beside ``support/series.py``'s call at 2,000 and put at 1,800."""
PM_RULE = deribit_rule("USDC", linear_contingency_wad=PERCENT)
"""Deribit S:PM's standard grid, IM factor 1.0, MM factor 0.8, perp contingency 1%."""


class PortfolioVenue(Venue):
    """The three-pool venue with the portfolio-margin rule (module docstring)."""

    def __init__(
        self,
        *,
        insurance_atoms: int = 0,
        rule: PortfolioRule = PM_RULE,
        series: bool = False,
        auctions: AuctionParams | None = None,
    ) -> None:
        super().__init__(POOL_PARAMS, MARKET_PARAMS, insurance_atoms=insurance_atoms, in_genesis=True)
        if auctions is not None:  # pool P's collateral auctions
            self.run(ConfigureAuctions(POOL, auctions, self.now))
        if series:  # the option venue's call, put and dated future in pool P (support/series.py)
            for params in (CALL_PARAMS, PUT_PARAMS, FUTURE_PARAMS, ATM_PUT_PARAMS):
                self.run(ListSeries(POOL, params, self.now))
        self.run(RegisterAsset("BTC", 8, 80 * PERCENT, 85 * PERCENT, NO_LIMIT, NO_LIMIT, self.now))
        self.run(dataclasses.replace(oracle_config("BTC", self.now)))
        self.btc_price = 50_000 * WAD
        self.quote_btc(self.btc_price, advance_ns=0)
        self.run(CreatePool("Q", "perp", 1, POOL_PARAMS, self.now))
        self.run(AddMarket("Q", MARKET_PARAMS, self.now))
        self.run(CreatePool("C", "perp", 1, POOL_PARAMS, self.now))
        btc_market = dataclasses.replace(
            MARKET_PARAMS, market=BTC_MARKET, base_asset="BTC", open_interest_cap_atoms=1_000 * BTC
        )
        self.run(AddMarket("C", btc_market, self.now))
        self.run(ConfigurePortfolioMargin(rule, self.now))
        self.finish_genesis()
        for pool in ("Q", "C"):
            self.deposit("lp", LP_ATOMS + insurance_atoms)
            self.run(ProvideLiquidity("lp", 0, pool, LP_ATOMS, self.now))
            if insurance_atoms:
                self.run(FundInsurance("lp", 0, pool, insurance_atoms, self.now))
        if series:
            self.run(flat_smile(self))

    def quote_btc(self, price_wad: int, *, advance_ns: int = 0) -> None:
        """Have the three sources quote BTC (the clock moves only by ``advance_ns``)."""
        self.now += advance_ns
        self.btc_price = price_wad
        for source in ("a", "b", "c"):
            self.run(SubmitPrice("BTC", source, price_wad, 0, self.now, self.now))

    def quote_all(self, eth_price_wad: int, *, advance_ns: int = 10**9) -> None:
        """Move the clock and quote ETH (and USDC at par) and BTC at its last level."""
        self.quote_prices(eth_price_wad, advance_ns=advance_ns)
        self.quote_btc(self.btc_price)

    def enable(self, owner: str, sub: int = 0) -> None:
        self.run(EnablePortfolioMargin(owner, sub, self.now))

    def pm_series(self, owner: str, series: str, size_atoms: int, sub: int = 0) -> None:
        self.run(TradeSeries(owner, sub, POOL, series, size_atoms, MarginMode.PORTFOLIO, 0, 0, self.now))

    def pm_trade(self, owner: str, pool: str, size_atoms: int, sub: int = 0, market: str = MARKET) -> None:
        self.run(Trade(owner, sub, pool, market, size_atoms, MarginMode.PORTFOLIO, 0, 0, self.now))


# --- the auction tests' book (tests/unit/test_portfolio_auction.py, tests/contract/test_liquidation_home.py)


def portfolio_venue(eth_after: int, *, insurance_atoms: int = 0) -> tuple[PortfolioVenue, int]:
    """alice (portfolio) deposits 4,000 USDC and buys 10 ETH in P at 2,000; ETH then moves to ``eth_after``.

    Returns the venue and the perp's cost basis (quote atoms, an input of every figure below).
    bob (portfolio) holds 10,000 USDC to bid with.
    """
    venue = PortfolioVenue(insurance_atoms=insurance_atoms)
    venue.deposit("alice", 4_000 * USDC)
    venue.deposit("bob", 10_000 * USDC)
    venue.enable("alice")
    venue.enable("bob")
    venue.pm_trade("alice", POOL, 10 * ETH)
    basis = venue.state.pools[POOL].positions[(("alice", 0), MARKET)].open_notional_atoms
    venue.quote_all(eth_after * WAD)
    return venue, basis


def start_auction(venue: PortfolioVenue) -> PortfolioAuctionStarted:
    return only(venue.run(StartPortfolioAuction("keeper", 0, "alice", 0, venue.now)), PortfolioAuctionStarted)


def bid_portfolio(venue: PortfolioVenue, share_wad: int, limit_atoms: int = 10**6 * USDC) -> tuple[Event, ...]:
    return venue.run(BidPortfolio("bob", 0, "alice", 0, share_wad, limit_atoms, venue.now))
