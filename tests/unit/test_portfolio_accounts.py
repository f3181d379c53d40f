"""Opting a sub-account in and out of portfolio margin, the rule as a venue change, and options in an auction."""

from __future__ import annotations

import dataclasses

import pytest

from ringfence.core.errors import (
    CommandRejected,
    DuplicateEntity,
    InsufficientMargin,
    InvalidAmount,
    InvalidParameter,
    NotPortfolioMargined,
)
from ringfence.core.pool.auction_commands import StartCollateralAuction
from ringfence.core.pool.auction_state import AuctionCurve, AuctionParams
from ringfence.core.pool.portfolio_accounts import decide_configure_portfolio_margin
from ringfence.core.pool.series_commands import SettleSeries
from ringfence.core.portfolio.commands import (
    BidPortfolio,
    ConfigurePortfolioMargin,
    DisablePortfolioMargin,
    EnablePortfolioMargin,
    StartPortfolioAuction,
)
from ringfence.core.portfolio.events import PortfolioBid, PortfolioSeriesTaken
from ringfence.core.portfolio.rule import check_rule
from support.portfolio_venue import PM_RULE, PortfolioVenue
from support.series import CALL, EXPIRY_NS, PUT
from support.venue import ETH, POOL, USDC, WAD, only


def test_enabling_needs_the_rules_minimum_equity_and_an_empty_position_book() -> None:
    venue = PortfolioVenue(rule=dataclasses.replace(PM_RULE, minimum_equity_value=1_000 * USDC))
    venue.deposit("alice", 999 * USDC)
    venue.refuse(EnablePortfolioMargin("alice", 0, venue.now), InsufficientMargin, "portfolio-margin minimum")
    venue.deposit("alice", 1 * ETH, asset="ETH")  # 999 + 2,000 at the oracle, full weight
    venue.trade("alice", ETH // 10)
    venue.refuse(EnablePortfolioMargin("alice", 0, venue.now), NotPortfolioMargined, "holds positions")
    venue.trade("alice", -ETH // 10)
    venue.enable("alice")
    venue.refuse(EnablePortfolioMargin("alice", 0, venue.now), DuplicateEntity, "portfolio-margined")
    assert ("alice", 0) in venue.state.portfolio_accounts


def test_disabling_needs_no_portfolio_position_and_returns_to_cross() -> None:
    venue = PortfolioVenue()
    venue.deposit("alice", 1_000 * USDC)
    venue.enable("alice")
    venue.pm_trade("alice", POOL, ETH)
    venue.refuse(DisablePortfolioMargin("alice", 0, venue.now), NotPortfolioMargined, "holds portfolio positions")
    venue.pm_trade("alice", POOL, -ETH)
    venue.run(DisablePortfolioMargin("alice", 0, venue.now))
    venue.trade("alice", ETH)  # cross again
    venue.refuse(DisablePortfolioMargin("alice", 0, venue.now), NotPortfolioMargined, "not portfolio-margined")
    venue.assert_replay_equals_live()


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("maintenance_factor_wad", 2 * WAD, InvalidAmount),  # above the initial factor
        ("cash_asset", "DOGE", InvalidParameter),
        ("weights_ppm", (0,) * 27, InvalidParameter),
        ("volatility_range_down_wad", WAD, InvalidAmount),
        ("auction_fast_cutoff_wad", WAD, InvalidAmount),  # above the start
    ],
)
def test_a_rule_out_of_range_is_refused_by_name(field: str, value: object, error: type[Exception]) -> None:
    with pytest.raises(error, match=field.split("_wad", maxsplit=1)[0].split("_ppm", maxsplit=1)[0]):
        check_rule(dataclasses.replace(PM_RULE, **{field: value}), ("USDC", "ETH"))


def test_the_cash_asset_cannot_change_while_a_sub_account_is_enrolled() -> None:
    venue = PortfolioVenue()
    venue.enable("alice")
    rule = dataclasses.replace(PM_RULE, cash_asset="ETH")
    # once the venue is open the rule changes only by proposal; the decider both paths run refuses it
    with pytest.raises(CommandRejected, match="cannot change"):
        decide_configure_portfolio_margin(venue.state, ConfigurePortfolioMargin(rule, venue.now))


def test_an_auction_moves_an_option_with_its_premium() -> None:
    venue = PortfolioVenue(series=True)
    venue.deposit("alice", 600 * USDC)
    venue.deposit("bob", 50_000 * USDC)
    venue.enable("alice")
    venue.enable("bob")
    venue.pm_series("alice", PUT, -2 * ETH)
    premium = venue.state.pools[POOL].series_positions[(("alice", 0), PUT)].open_value_atoms
    venue.quote_all(1_500 * WAD)
    venue.run(StartPortfolioAuction("keeper", 0, "alice", 0, venue.now))
    events = venue.run(BidPortfolio("bob", 0, "alice", 0, WAD, 10**6 * USDC, venue.now))
    share = only(events, PortfolioBid).share_wad  # capped at what restores alice (Derive's f_max)
    moved = 2 * ETH * share // WAD
    moved_premium = -((-premium * moved) // (2 * ETH))  # ⌈premium · moved / size⌉: the premium goes with it
    taken = [e for e in events if isinstance(e, PortfolioSeriesTaken)]
    assert [(e.owner, e.size_delta_atoms, e.new_size_atoms, e.new_open_value_atoms) for e in taken] == [
        ("alice", moved, moved - 2 * ETH, premium - moved_premium),
        ("bob", -moved, -moved, moved_premium),
    ]
    series = venue.state.pools[POOL].series[PUT]
    assert (series.long_atoms, series.short_atoms) == (0, 2 * ETH)  # open interest unchanged by the transfer
    venue.assert_replay_equals_live()


def test_a_portfolios_collateral_is_never_auctioned_alone() -> None:
    lyra = AuctionParams(AuctionCurve.LYRA, 0, WAD, 3_600, 0, 0, 0, 0)
    venue = PortfolioVenue(auctions=lyra)
    venue.deposit("alice", 1 * ETH, asset="ETH")
    venue.enable("alice")
    venue.pm_trade("alice", POOL, -ETH // 2)
    venue.quote_all(2_100 * WAD)
    venue.pm_trade("alice", POOL, ETH // 2)  # closed 50 USDC down: a cash debt beside the ETH
    assert venue.balance("alice") < 0
    venue.refuse(
        StartCollateralAuction("keeper", 0, "alice", 0, POOL, "ETH", venue.now), NotPortfolioMargined, "as a whole"
    )


def test_a_portfolio_option_settles_into_the_cash_balance_and_the_account_can_leave() -> None:
    venue = PortfolioVenue(series=True)
    venue.deposit("alice", 1_000 * USDC)
    venue.enable("alice")
    venue.pm_series("alice", CALL, ETH)  # a long call struck at 2,000, premium paid from the cash balance
    cash = venue.balance("alice")
    # ETH at 2,000 until E − 20 min, then 2,100 through the 30-minute window: S = (2,000·10 + 2,100·20) / 30
    venue.quote_all(2_000 * WAD, advance_ns=EXPIRY_NS - 40 * 60 * 10**9 - venue.now)
    venue.quote_all(2_100 * WAD, advance_ns=20 * 60 * 10**9)
    venue.quote_all(2_200 * WAD, advance_ns=25 * 60 * 10**9)
    venue.run(SettleSeries("keeper", POOL, CALL, venue.now))
    settlement = (2_000 * 10 + 2_100 * 20) * WAD // 30
    assert venue.balance("alice") == cash + (settlement - 2_000 * WAD) // 10**12  # the payoff, floored
    assert (("alice", 0), CALL) not in venue.state.pools[POOL].series_positions
    venue.run(DisablePortfolioMargin("alice", 0, venue.now))
    venue.assert_replay_equals_live()
