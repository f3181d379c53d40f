"""Unit tests of the timelocked venue change: listing, oracle, pool and market once the venue is open.

Premises (the numbers every expectation below is computed from by hand):

- the harness venue (``support.venue``): USDC and ETH listed, ETH at 2,000, pool ``P`` (template
  ``perp`` v1) with the market ``ETH-PERP``; governance from the harness's bootstrap: admin
  ``admin``, timelock 2 days, grace period 14 days;
- in the genesis the admin grants ``council`` the proposer role and ``exec`` the executor role,
  lists ``BTC`` (8 decimals, weights 70% / 75%, no caps) without an oracle, and registers
  template ``perp`` v1 (``pool.close_factor_wad`` in [40%, 60%]) and v2 (it in [20%, 100%],
  ``market.spread_wad`` in [0, 1%]);
- so a proposal made at ``t`` is executable in ``[t + 2 days, t + 16 days)``.

Once the venue is open these changes come only through ``ProposeVenueChange`` (proposer), checked at
proposal time by the genesis command's own rules, and ``ExecuteProposal`` (executor) in that window;
what executes is exactly what was proposed. Every command runs through the real engine, sent by the
principal it names; ``Venue.refuse`` checks a refused command changes no state.
"""

from __future__ import annotations

import dataclasses
from typing import Any, TypeVar

import pytest

import support.venue
from ringfence.core.commands import Command, ConfigureOracle, Deposit, OpenVenue, RegisterAsset
from ringfence.core.errors import (
    DuplicateEntity,
    GenesisClosed,
    InvalidAmount,
    InvalidParameter,
    ProposalNotExecutable,
    RingfenceError,
    Unauthorized,
    UnknownEntity,
)
from ringfence.core.events import AssetRegistered, Event, OracleConfigured
from ringfence.core.governance.commands import (
    ConfigureGovernance,
    ExecuteProposal,
    GrantRole,
    ProposeVenueChange,
    RegisterTemplate,
)
from ringfence.core.governance.events import ProposalExecuted, VenueChangeProposed
from ringfence.core.governance.state import ParameterBound, ProposalStatus, Role, VenueChangeCommand
from ringfence.core.margin import NO_LIMIT, MarginKind
from ringfence.core.oracle import OracleConfig, OracleSource
from ringfence.core.pool.commands import AddMarket, CreatePool, Trade
from ringfence.core.pool.events import MarketAdded, PoolCreated, TradeFilled
from ringfence.core.pool.position_margin import margin_snapshot
from ringfence.core.pool.state import MarginMode, PoolParams
from ringfence.core.portfolio.commands import ConfigurePortfolioMargin, EnablePortfolioMargin
from ringfence.core.portfolio.events import PortfolioMarginConfigured
from ringfence.core.portfolio.rule import deribit_rule
from ringfence.core.stable_price import StablePriceParams
from ringfence.core.state import AssetParams, AssetState
from ringfence.core.units import WAD
from support.authority import ADMIN
from support.venue import ETH, HOUR_NS, MARKET, MARKET_PARAMS, PERCENT, POOL, POOL_PARAMS, SECOND_NS, USDC, only

DAY_NS = 24 * HOUR_NS
TIMELOCK_NS = 2 * DAY_NS
GRACE_NS = 14 * DAY_NS
BTC_ATOMS = 10**8

C = TypeVar("C", bound=Any)

V1_BOUNDS = (ParameterBound("pool.close_factor_wad", 40 * PERCENT, 60 * PERCENT),)
V2_BOUNDS = (
    ParameterBound("pool.close_factor_wad", 20 * PERCENT, 100 * PERCENT),
    ParameterBound("market.spread_wad", 0, 1 * PERCENT),
)

SOL_LISTING = RegisterAsset("SOL", 9, 60 * PERCENT, 70 * PERCENT, 1_000_000 * 10**9, 50_000 * 10**6, 0)
"""A listing proposed once open: 9 decimals, weights 60% / 70%, cap 1,000,000 SOL, weight scaling past 50,000 USD."""
BTC_ORACLE = ConfigureOracle(
    asset="BTC",
    source_names=("d", "e", "f"),
    source_weights=(2, 1, 1),
    quorum=2,
    max_staleness_ns=600 * SECOND_NS,
    max_deviation_wad=3 * PERCENT,
    max_confidence_wad=2 * PERCENT,
    max_jump_wad=50 * PERCENT,
    guard_release_ns=30 * SECOND_NS,
    delay_interval_seconds=1_800,
    delay_growth_limit_wad=5 * PERCENT,
    stable_growth_limit_wad=WAD * 2 // 10_000,
    timestamp_ns=0,
)
"""BTC's oracle, proposed once open: sources d (weight 2), e, f; quorum 2; staleness 10 minutes."""
WIDE_POOL = dataclasses.replace(POOL_PARAMS, close_factor_wad=70 * PERCENT)
"""A close factor of 70%: outside perp v1 ([40%, 60%]), inside perp v2 ([20%, 100%])."""
SECOND_MARKET = dataclasses.replace(
    MARKET_PARAMS, market="ETH-PERP-B", initial_margin_wad=20 * PERCENT, maintenance_margin_wad=10 * PERCENT
)
"""A second ETH market for pool P: IM 20%, MM 10%."""


class Venue(support.venue.Venue):
    """The harness venue; in its genesis: the proposer and executor, BTC listed without an oracle, perp v1, v2."""

    def __init__(self, *, in_genesis: bool = False) -> None:
        super().__init__(POOL_PARAMS, MARKET_PARAMS, in_genesis=True)
        self.run(GrantRole(ADMIN, Role.PROPOSER, "council", self.now))
        self.run(GrantRole(ADMIN, Role.EXECUTOR, "exec", self.now))
        self.run(RegisterAsset("BTC", 8, 70 * PERCENT, 75 * PERCENT, NO_LIMIT, NO_LIMIT, self.now))
        self.run(RegisterTemplate(ADMIN, "perp", 1, V1_BOUNDS, self.now))
        self.run(RegisterTemplate(ADMIN, "perp", 2, V2_BOUNDS, self.now))
        if not in_genesis:
            self.finish_genesis()

    def proposal(self, change: VenueChangeCommand, proposer: str = "council") -> ProposeVenueChange:
        return ProposeVenueChange(proposer, change, self.now)

    def propose(self, change: VenueChangeCommand) -> VenueChangeProposed:
        """Have the council propose ``change``; return the one event it records."""
        (event,) = self.run(self.proposal(change))
        assert isinstance(event, VenueChangeProposed), event
        return event

    def execute_command(self, proposal_id: int) -> ExecuteProposal:
        return ExecuteProposal("exec", proposal_id, self.now)

    def execute(self, proposal_id: int) -> tuple[Event, ...]:
        return self.run(self.execute_command(proposal_id))


def _stamped(change: C, timestamp_ns: int) -> C:
    return dataclasses.replace(change, timestamp_ns=timestamp_ns)


# --- shaping an open venue takes a proposal --------------------------------------------------------


@pytest.mark.parametrize(
    "change",
    [SOL_LISTING, BTC_ORACLE, CreatePool("Q", "perp", 2, POOL_PARAMS, 0), AddMarket(POOL, SECOND_MARKET, 0)],
    ids=lambda change: type(change).__name__,
)
def test_once_open_the_admin_cannot_shape_the_venue_directly(change: VenueChangeCommand) -> None:
    venue = Venue()
    venue.refuse(_stamped(change, venue.now), GenesisClosed, f"to send {type(change).__name__}, a proposer sends")


@pytest.mark.parametrize("proposer", [ADMIN, "exec", "mallory"])
def test_a_venue_change_from_anyone_but_a_proposer_is_unauthorized(proposer: str) -> None:
    venue = Venue()
    error = venue.refuse(
        venue.proposal(_stamped(SOL_LISTING, venue.now), proposer), Unauthorized, "does not hold the proposer role"
    )
    assert isinstance(error, Unauthorized)
    assert error.actor == proposer


@pytest.mark.parametrize(
    "change",
    [Deposit("council", 0, "USDC", 5 * USDC, 0), OpenVenue(ADMIN, 0), ConfigureGovernance("council", 1, 1, 1, 0)],
    ids=lambda change: type(change).__name__,
)
def test_only_a_venue_shaping_command_can_be_proposed(change: Command) -> None:
    # An account command, the genesis's end or a second bootstrap never ride in a venue change
    venue = Venue()
    venue.refuse(
        ProposeVenueChange("council", _stamped(change, venue.now), venue.now),  # type: ignore[arg-type]
        InvalidParameter,
        "change=.* is not accepted: expected a value of type .*RegisterAsset",
    )


# --- the window: refused before eta, executed in [eta, expiry) -----------------------------------


def test_a_listing_is_queued_for_the_timelock_and_executes_at_eta_with_the_proposed_values() -> None:
    # Arrange
    venue = Venue()
    proposed_at = venue.now

    # Act: propose
    proposed = venue.propose(_stamped(SOL_LISTING, proposed_at))

    # Assert: queued with eta = t + 2 days and expiry = t + 16 days; nothing listed yet
    assert proposed == VenueChangeProposed(
        proposal_id=1,
        proposer="council",
        eta_ns=proposed_at + 2 * DAY_NS,
        expires_ns=proposed_at + 16 * DAY_NS,
        timestamp_ns=proposed_at,
        register_asset=RegisterAsset("SOL", 9, 60 * PERCENT, 70 * PERCENT, 10**15, 5 * 10**10, proposed_at),
    )
    assert "SOL" not in venue.state.assets

    # Act / Assert: one nanosecond before eta it is refused and changes nothing
    venue.now = proposed_at + 2 * DAY_NS - 1
    venue.refuse(venue.execute_command(1), ProposalNotExecutable, "timelock runs until .* \\(1 ns from now\\)")

    # Act: exactly at eta
    venue.now = proposed_at + 2 * DAY_NS
    events = venue.execute(1)

    # Assert
    assert events == (
        ProposalExecuted(proposal_id=1, actor="exec", timestamp_ns=proposed_at + 2 * DAY_NS),
        AssetRegistered(
            asset="SOL",
            decimals=9,
            initial_weight_wad=60 * PERCENT,
            maintenance_weight_wad=70 * PERCENT,
            supply_cap_atoms=10**15,
            weight_scale_start_value=5 * 10**10,
        ),
    )
    assert venue.state.assets["SOL"] == AssetState(
        AssetParams("SOL", 9, 60 * PERCENT, 70 * PERCENT, 10**15, 5 * 10**10), total_deposits_atoms=0
    )
    assert venue.state.governance is not None
    assert venue.state.governance.proposals[1].status is ProposalStatus.EXECUTED
    venue.assert_replay_equals_live()


@pytest.mark.parametrize(("offset_ns", "executes"), [(GRACE_NS - 1, True), (GRACE_NS, False)])
def test_a_venue_change_executes_until_one_nanosecond_before_expiry(offset_ns: int, executes: bool) -> None:
    # expiry = eta + 14 days: eta + 14 days − 1 ns is the last executable instant
    venue = Venue()
    eta = venue.propose(_stamped(SOL_LISTING, venue.now)).eta_ns
    venue.now = eta + offset_ns
    if executes:
        venue.execute(1)
        assert venue.state.assets["SOL"].params.decimals == 9
    else:
        venue.refuse(venue.execute_command(1), ProposalNotExecutable, "expired")
        assert "SOL" not in venue.state.assets


def test_an_oracle_change_executes_with_exactly_the_proposed_sources_and_guards() -> None:
    # Arrange: BTC is listed (genesis) but has no oracle; nobody may quote it
    venue = Venue()
    proposed = venue.propose(_stamped(BTC_ORACLE, venue.now))
    assert "BTC" not in venue.state.oracles
    venue.now = proposed.eta_ns + DAY_NS  # inside [eta, expiry)

    # Act
    events = venue.execute(proposed.proposal_id)

    # Assert: the oracle is the proposed one, to the last field; its feeder d may now quote BTC
    assert events[1] == OracleConfigured(
        asset="BTC",
        source_names=("d", "e", "f"),
        source_weights=(2, 1, 1),
        quorum=2,
        max_staleness_ns=600 * SECOND_NS,
        max_deviation_wad=3 * PERCENT,
        max_confidence_wad=2 * PERCENT,
        max_jump_wad=50 * PERCENT,
        guard_release_ns=30 * SECOND_NS,
        delay_interval_seconds=1_800,
        delay_growth_limit_wad=5 * PERCENT,
        stable_growth_limit_wad=2 * 10**14,
    )
    oracle = venue.state.oracles["BTC"]
    assert oracle.config == OracleConfig(
        sources=(OracleSource("d", 2), OracleSource("e", 1), OracleSource("f", 1)),
        quorum=2,
        max_staleness_ns=600 * SECOND_NS,
        max_deviation_wad=3 * PERCENT,
        max_confidence_wad=2 * PERCENT,
        max_jump_wad=50 * PERCENT,
        guard_release_ns=30 * SECOND_NS,
    )
    assert oracle.stable_params == StablePriceParams(1_800, 5 * PERCENT, 2 * 10**14)
    assert oracle.accepted_price_wad is None
    venue.assert_replay_equals_live()


def test_a_pool_change_creates_the_pool_from_a_registered_template_with_the_proposed_params() -> None:
    venue = Venue()
    proposed = venue.propose(CreatePool("Q", "perp", 2, WIDE_POOL, venue.now))
    venue.now = proposed.eta_ns
    events = venue.execute(proposed.proposal_id)
    assert events[1] == PoolCreated(pool="Q", template="perp", template_version=2, params=WIDE_POOL)
    pool = venue.state.pools["Q"]
    assert (pool.template, pool.template_version, pool.params) == ("perp", 2, WIDE_POOL)
    assert (pool.markets, pool.total_shares) == ({}, 0)
    venue.assert_replay_equals_live()


def test_a_market_change_adds_the_market_and_it_trades() -> None:
    # Arrange
    venue = Venue()
    proposed = venue.propose(AddMarket(POOL, SECOND_MARKET, venue.now))
    venue.now = proposed.eta_ns

    # Act
    events = venue.execute(proposed.proposal_id)

    # Assert: added as proposed, stamped with the execution time; alice can open 1 ETH in it
    assert events[1] == MarketAdded(pool=POOL, params=SECOND_MARKET, timestamp_ns=proposed.eta_ns)
    assert venue.state.pools[POOL].markets["ETH-PERP-B"].params == SECOND_MARKET
    assert venue.state.pools[POOL].markets[MARKET].params == MARKET_PARAMS
    venue.quote_prices(2_000 * WAD)  # the prices of two days ago are stale (one-hour limit)
    venue.deposit("alice", 1_000 * USDC)
    fill = venue.run(Trade("alice", 0, POOL, "ETH-PERP-B", ETH, MarginMode.CROSS, 0, 0, venue.now))
    assert only(fill, TradeFilled).new_size_atoms == ETH
    venue.assert_replay_equals_live()


# --- validated at proposal, re-validated at execution ---------------------------------------------


def _invalid_changes() -> list[tuple[VenueChangeCommand, type[RingfenceError], str]]:
    return [
        (RegisterAsset("ETH", 18, 0, 0, 0, 0, 0), DuplicateEntity, "asset 'ETH'"),
        (dataclasses.replace(SOL_LISTING, initial_weight_wad=80 * PERCENT), InvalidAmount, "initial_weight_wad"),
        (dataclasses.replace(BTC_ORACLE, asset="DOGE"), UnknownEntity, "DOGE"),
        (dataclasses.replace(BTC_ORACLE, quorum=4), InvalidParameter, "quorum"),
        (CreatePool(POOL, "perp", 1, POOL_PARAMS, 0), DuplicateEntity, "pool 'P'"),
        (CreatePool("Q", "perp", 1, WIDE_POOL, 0), InvalidParameter, "pool.close_factor_wad"),
        (CreatePool("Q", "perp", 3, POOL_PARAMS, 0), UnknownEntity, "unknown template version 'perp v3'"),
        (AddMarket("Z", SECOND_MARKET, 0), UnknownEntity, "unknown pool"),
        (AddMarket(POOL, MARKET_PARAMS, 0), DuplicateEntity, "ETH-PERP"),
        (AddMarket(POOL, dataclasses.replace(SECOND_MARKET, initial_margin_wad=5 * PERCENT), 0),
         InvalidAmount, "initial_margin_wad"),
    ]  # fmt: skip


@pytest.mark.parametrize(("change", "error", "match"), _invalid_changes(), ids=lambda case: type(case).__name__)
def test_an_invalid_change_is_refused_at_proposal_with_its_own_error(
    change: VenueChangeCommand, error: type[RingfenceError], match: str
) -> None:
    # SOL's initial weight 80% > its maintenance weight 70%; BTC's quorum 4 > its 3 sources; P's market
    # IM 5% < MM 10%; P on perp v1 keeps the close factor in [40%, 60%]. Refused: no proposal queued.
    venue = Venue()
    venue.refuse(venue.proposal(_stamped(change, venue.now)), error, match)
    assert venue.state.governance is not None
    assert venue.state.governance.proposals == {}


@pytest.mark.parametrize(
    ("first", "second", "match"),
    [(SOL_LISTING, dataclasses.replace(SOL_LISTING, decimals=6), "asset 'SOL'"),
     (CreatePool("Q", "perp", 1, POOL_PARAMS, 0), CreatePool("Q", "perp", 2, WIDE_POOL, 0), "pool 'Q'"),
     (AddMarket(POOL, SECOND_MARKET, 0), AddMarket(POOL, SECOND_MARKET, 0), "ETH-PERP-B")],
    ids=["listing", "pool", "market"],
)  # fmt: skip
def test_a_change_made_stale_by_another_execution_is_not_executable(
    first: VenueChangeCommand, second: VenueChangeCommand, match: str
) -> None:
    # Arrange: both are valid when proposed; the first executes, listing what the second would list
    venue = Venue()
    first_id = venue.propose(_stamped(first, venue.now)).proposal_id
    second_id = venue.propose(_stamped(second, venue.now)).proposal_id
    venue.now += TIMELOCK_NS
    venue.execute(first_id)

    # Act / Assert: the second no longer validates and changes nothing; it stays pending
    venue.refuse(
        venue.execute_command(second_id),
        ProposalNotExecutable,
        f"proposal {second_id} cannot be executed: the change no longer validates: .*{match}",
    )
    assert venue.state.governance is not None
    assert venue.state.governance.proposals[second_id].status is ProposalStatus.PENDING


# --- the governed factory: template bounds in the genesis and by proposal ---------------------------


def test_once_open_create_pool_needs_a_registered_template_within_its_bounds() -> None:
    # (Moved from test_governance.py, where it created the pool directly once governance existed.)
    venue = Venue()

    def proposal(template: str, version: int, params: PoolParams) -> ProposeVenueChange:
        return venue.proposal(CreatePool("Q", template, version, params, venue.now))

    venue.refuse(proposal("perp", 3, POOL_PARAMS), UnknownEntity, "unknown template version 'perp v3'")
    venue.refuse(proposal("spot", 1, POOL_PARAMS), UnknownEntity, "known: perp v1, perp v2")
    venue.refuse(proposal("perp", 1, WIDE_POOL), InvalidParameter, "pool.close_factor_wad")
    proposed = venue.propose(CreatePool("Q", "perp", 2, WIDE_POOL, venue.now))  # v2 allows up to 100%
    venue.now = proposed.eta_ns
    venue.execute(proposed.proposal_id)
    assert venue.state.pools["Q"].params == WIDE_POOL


def test_in_the_genesis_a_registered_templates_bounds_bind_and_any_other_template_creates_a_pool() -> None:
    # (Before authority this was the ungoverned factory; every venue has governance now, and the genesis
    # is where a pool may still come from a template version nobody registered.)
    venue = Venue(in_genesis=True)
    venue.refuse(CreatePool("Q", "perp", 1, WIDE_POOL, venue.now), InvalidParameter, "pool.close_factor_wad")
    venue.run(CreatePool("Q", "anything", 9, POOL_PARAMS, venue.now))
    pool = venue.state.pools["Q"]
    assert (pool.template, pool.template_version) == ("anything", 9)


def test_add_market_respects_the_market_bounds_of_the_pools_template() -> None:
    # Q on v2 (spread ≤ 1%), created in the genesis; the bound binds there and in a proposal once open
    venue = Venue(in_genesis=True)
    venue.run(CreatePool("Q", "perp", 2, POOL_PARAMS, venue.now))
    wide = dataclasses.replace(MARKET_PARAMS, spread_wad=2 * PERCENT)
    venue.refuse(AddMarket("Q", wide, venue.now), InvalidParameter, "market.spread_wad")
    venue.finish_genesis()
    venue.refuse(venue.proposal(AddMarket("Q", wide, venue.now)), InvalidParameter, "market.spread_wad")
    at_bound = dataclasses.replace(MARKET_PARAMS, spread_wad=PERCENT)
    proposed = venue.propose(AddMarket("Q", at_bound, venue.now))
    venue.now = proposed.eta_ns
    venue.execute(proposed.proposal_id)
    assert venue.state.pools["Q"].markets[MARKET].params == at_bound


def test_a_portfolio_margin_rule_is_proposed_executed_and_then_margins_an_enrolled_account() -> None:
    venue = Venue()
    rule = deribit_rule("USDC", linear_contingency_wad=PERCENT)
    proposed = venue.propose(ConfigurePortfolioMargin(rule, venue.now))
    assert proposed.configure_portfolio_margin == ConfigurePortfolioMargin(rule, venue.now)
    venue.now = proposed.eta_ns
    events = venue.execute(proposed.proposal_id)
    assert events[1] == PortfolioMarginConfigured(rule=rule, timestamp_ns=proposed.eta_ns)
    venue.quote_prices(2_000 * WAD)
    venue.deposit("alice", 1_000 * USDC)
    venue.run(EnablePortfolioMargin("alice", 0, venue.now))
    venue.run(Trade("alice", 0, POOL, MARKET, ETH, MarginMode.PORTFOLIO, 0, 0, venue.now))
    # 1 ETH long at 2,000: the worst scenario (−16%) loses 320 USDC, plus the 1% contingency: 340 USDC
    assert margin_snapshot(venue.state, ("alice", 0), MarginKind.INITIAL, venue.now).requirement_atoms == 340 * USDC
    venue.assert_replay_equals_live()
