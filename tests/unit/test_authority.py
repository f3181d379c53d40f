"""Authority on every command (issue 16): who may send what, checked before any other rule.

Every command type of the ``Command`` union has a case here (a test fails if one is added
without). Each refusal must leave the state byte-identical: the pickled state before and after
are compared.
"""

from __future__ import annotations

import dataclasses
import pickle
import typing
from collections.abc import Callable

import pytest

from ringfence.core.commands import (
    Command,
    ConfigureOracle,
    Deposit,
    OpenVenue,
    RegisterAsset,
    RegisterPrincipal,
    SubmitPrice,
    Transfer,
    Withdraw,
)
from ringfence.core.errors import (
    ActingAsAnother,
    CommandRejected,
    DuplicateEntity,
    GenesisClosed,
    InvalidParameter,
    RingfenceError,
    Unauthorized,
    VenueNotOpen,
)
from ringfence.core.governance.commands import (
    CancelProposal,
    ConfigureGovernance,
    ExecuteProposal,
    GrantRole,
    PausePool,
    ProposeParameterChange,
    ProposeResumePool,
    ProposeTemplateUpgrade,
    ProposeVenueChange,
    RegisterTemplate,
    RevokeRole,
    UpdateRiskMargin,
)
from ringfence.core.governance.state import Role
from ringfence.core.margin import NO_LIMIT
from ringfence.core.pool.auction_commands import (
    ConfigureAuctions,
    RedoCollateralAuction,
    StartCollateralAuction,
    TakeCollateral,
)
from ringfence.core.pool.auction_state import AuctionCurve, AuctionParams
from ringfence.core.pool.commands import (
    AddMarket,
    AdjustIsolatedMargin,
    CreatePool,
    FundInsurance,
    Liquidate,
    ProvideLiquidity,
    RemoveLiquidity,
    Trade,
)
from ringfence.core.pool.cover_commands import AcceptCover, AccruePremium, CancelCover, OfferCover, WithdrawCoverOffer
from ringfence.core.pool.cover_state import CoverTerms
from ringfence.core.pool.credit_line_commands import (
    CloseCreditLine,
    LowerCreditLineCap,
    OpenCreditLine,
    RepayCreditLine,
)
from ringfence.core.pool.series_commands import (
    AdjustSeriesMargin,
    LiquidateSeries,
    ListSeries,
    PublishVolSurface,
    SettleSeries,
    TradeSeries,
)
from ringfence.core.pool.state import MarginMode
from ringfence.core.portfolio.commands import (
    BidPortfolio,
    ConfigurePortfolioMargin,
    DisablePortfolioMargin,
    EnablePortfolioMargin,
    EndPortfolioAuction,
    StartPortfolioAuction,
)
from ringfence.core.portfolio.rule import deribit_rule
from ringfence.service.engine import Engine
from ringfence.store.memory import MemoryJournal
from support.authority import ADMIN, DAY_NS, bootstrap
from support.series import CALL, CALL_PARAMS
from support.venue import ETH, MARKET, MARKET_PARAMS, PERCENT, POOL, POOL_PARAMS, USDC, WAD, Venue, oracle_config

KEY_HEX = "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c"
AUCTIONS = AuctionParams(
    curve=AuctionCurve.STAIRSTEP,
    chop_wad=13 * PERCENT,
    buf_wad=120 * PERCENT,
    tail_seconds=3_600,
    cusp_wad=40 * PERCENT,
    chip_wad=0,
    tip_atoms=0,
    dust_atoms=0,
    cut_wad=99 * PERCENT,
    step_seconds=60,
)

COVER_TERMS = CoverTerms(1_000 * USDC, 0, USDC, DAY_NS, 30)
"""Cover of 1,000 USDC, no deductible, 1 USDC per day for 30 days."""

Builder = Callable[[str, int], Command]
"""Build a well-formed command whose acting principal is the first argument, at the time given."""

ACTING: dict[type[typing.Any], Builder] = {
    SubmitPrice: lambda who, now: SubmitPrice("ETH", who, 2_000 * WAD, 0, now, now),
    Deposit: lambda who, now: Deposit(who, 0, "USDC", USDC, now),
    Withdraw: lambda who, now: Withdraw(who, 0, "USDC", USDC, now),
    Transfer: lambda who, now: Transfer(who, 0, 1, "USDC", USDC, now),
    ProvideLiquidity: lambda who, now: ProvideLiquidity(who, 0, POOL, USDC, now),
    RemoveLiquidity: lambda who, now: RemoveLiquidity(who, 0, POOL, 1, now),
    FundInsurance: lambda who, now: FundInsurance(who, 0, POOL, USDC, now),
    Trade: lambda who, now: Trade(who, 0, POOL, MARKET, ETH, MarginMode.CROSS, 0, 0, now),
    AdjustIsolatedMargin: lambda who, now: AdjustIsolatedMargin(who, 0, POOL, MARKET, USDC, now),
    Liquidate: lambda who, now: Liquidate(who, 0, "alice", 0, POOL, MARKET, now),
    StartCollateralAuction: lambda who, now: StartCollateralAuction(who, 0, "alice", 0, POOL, "ETH", now),
    RedoCollateralAuction: lambda who, now: RedoCollateralAuction(who, 0, POOL, 1, now),
    TakeCollateral: lambda who, now: TakeCollateral(who, 0, POOL, 1, ETH, 10**6 * WAD, now),
    OfferCover: lambda who, now: OfferCover(who, 0, POOL, COVER_TERMS, now),
    WithdrawCoverOffer: lambda who, now: WithdrawCoverOffer(who, 0, POOL, 1, now),
    AccruePremium: lambda who, now: AccruePremium(who, POOL, 1, now),
    RegisterPrincipal: lambda who, now: RegisterPrincipal(who, KEY_HEX, now),
    ConfigureGovernance: lambda who, now: ConfigureGovernance(who, 2 * DAY_NS, 14 * DAY_NS, WAD // 4, now),
    OpenVenue: OpenVenue,
    GrantRole: lambda who, now: GrantRole(who, Role.GUARDIAN, "mallory", now),
    RevokeRole: lambda who, now: RevokeRole(who, Role.GUARDIAN, "guard", now),
    RegisterTemplate: lambda who, now: RegisterTemplate(who, "perp", 9, (), now),
    ProposeParameterChange: lambda who, now: ProposeParameterChange(
        who, POOL, MARKET, "initial_margin_wad", 11 * PERCENT, now
    ),
    ProposeTemplateUpgrade: lambda who, now: ProposeTemplateUpgrade(who, POOL, 2, now),
    ProposeResumePool: lambda who, now: ProposeResumePool(who, POOL, "back", now),
    ProposeVenueChange: lambda who, now: ProposeVenueChange(
        who, RegisterAsset("SOL", 9, 0, 0, NO_LIMIT, NO_LIMIT, now), now
    ),
    CancelProposal: lambda who, now: CancelProposal(who, 1, now),
    ExecuteProposal: lambda who, now: ExecuteProposal(who, 1, now),
    PausePool: lambda who, now: PausePool(who, POOL, "drill", now),
    UpdateRiskMargin: lambda who, now: UpdateRiskMargin(who, POOL, MARKET, 11 * PERCENT, 5 * PERCENT, "ewma", now),
    RepayCreditLine: lambda who, now: RepayCreditLine(who, "line-1", now),
    TradeSeries: lambda who, now: TradeSeries(who, 0, POOL, CALL, ETH, MarginMode.ISOLATED, USDC, 0, now),
    SettleSeries: lambda who, now: SettleSeries(who, POOL, CALL, now),
    AdjustSeriesMargin: lambda who, now: AdjustSeriesMargin(who, 0, POOL, CALL, USDC, now),
    LiquidateSeries: lambda who, now: LiquidateSeries(who, 0, "alice", 0, POOL, CALL, now),
    PublishVolSurface: lambda who, now: PublishVolSurface(
        who, POOL, "ETH", CALL_PARAMS.expiry_ns, WAD, 0, 0, 0, 1, now
    ),
    EnablePortfolioMargin: lambda who, now: EnablePortfolioMargin(who, 0, now),
    DisablePortfolioMargin: lambda who, now: DisablePortfolioMargin(who, 0, now),
    StartPortfolioAuction: lambda who, now: StartPortfolioAuction(who, 0, "alice", 0, now),
    BidPortfolio: lambda who, now: BidPortfolio(who, 0, "alice", 0, WAD, 10**6 * USDC, now),
    EndPortfolioAuction: lambda who, now: EndPortfolioAuction(who, "alice", 0, now),
}
"""Every command that names who acts, built acting as the principal given."""

GENESIS: dict[type[typing.Any], Callable[[int], Command]] = {
    RegisterAsset: lambda now: RegisterAsset("FAKE", 18, 0, 0, NO_LIMIT, NO_LIMIT, now),
    ConfigureOracle: lambda now: dataclasses.replace(oracle_config("ETH", now), source_names=("mallory",)),
    CreatePool: lambda now: CreatePool("Q", "perp", 1, POOL_PARAMS, now),
    AddMarket: lambda now: AddMarket(POOL, dataclasses.replace(MARKET_PARAMS, market="FAKE-PERP"), now),
    ConfigureAuctions: lambda now: ConfigureAuctions(POOL, AUCTIONS, now),
    AcceptCover: lambda now: AcceptCover(POOL, 1, now),
    CancelCover: lambda now: CancelCover(POOL, 1, now),
    OpenCreditLine: lambda now: OpenCreditLine("line-1", POOL, "Q", USDC, 0, now),
    LowerCreditLineCap: lambda now: LowerCreditLineCap("line-1", POOL, 0, now),
    CloseCreditLine: lambda now: CloseCreditLine("line-1", now),
    ListSeries: lambda now: ListSeries(POOL, CALL_PARAMS, now),
    ConfigurePortfolioMargin: lambda now: ConfigurePortfolioMargin(deribit_rule("USDC"), now),
}
"""Commands that shape the venue and name nobody: the admin's, in the genesis only."""


def _command_types() -> set[type[typing.Any]]:
    return set(typing.get_args(Command))


def test_every_command_type_has_an_authority_case() -> None:
    assert set(ACTING) | set(GENESIS) == _command_types()
    assert not set(ACTING) & set(GENESIS)


def _open_venue() -> Venue:
    """The shared venue (admin ``admin``, pool P, sources a/b/c), with roles granted and alice funded."""
    venue = Venue(POOL_PARAMS, MARKET_PARAMS)
    roles = ((Role.PROPOSER, "council"), (Role.EXECUTOR, "exec"), (Role.GUARDIAN, "guard"), (Role.RISK_MODEL, "model"))
    for role, principal in roles:
        venue.run(GrantRole(ADMIN, role, principal, venue.now))
    venue.deposit("alice", 10_000 * USDC)
    return venue


def _refused_unchanged(venue: Venue, command: Command, sender: str, error: type[RingfenceError]) -> RingfenceError:
    """Send ``command`` from ``sender``; check the refusal and that state and journal are byte-identical."""
    state_before = pickle.dumps(venue.state)
    journal_before = list(venue.engine.journal.read())
    with pytest.raises(error) as raised:
        venue.engine.execute(command, sender=sender)
    assert pickle.dumps(venue.state) == state_before
    assert list(venue.engine.journal.read()) == journal_before
    return raised.value


@pytest.mark.parametrize("command_type", list(ACTING), ids=lambda cls: cls.__name__)
def test_a_command_naming_another_principal_is_refused_as_acting_as_another(command_type: type[Command]) -> None:
    # Arrange: mallory sends a command whose acting field names alice (or the admin, a feeder ...)
    venue = _open_venue()
    victim = {SubmitPrice: "a", ConfigureGovernance: ADMIN, OpenVenue: ADMIN}.get(command_type, "alice")
    command = ACTING[command_type](victim, venue.now)

    # Act / Assert
    error = _refused_unchanged(venue, command, "mallory", ActingAsAnother)
    assert isinstance(error, Unauthorized)
    assert "'mallory' sent a command whose" in str(error)


@pytest.mark.parametrize("command_type", list(GENESIS), ids=lambda cls: cls.__name__)
def test_a_genesis_command_from_anyone_but_the_admin_is_unauthorized(command_type: type[Command]) -> None:
    venue = _open_venue()

    error = _refused_unchanged(venue, GENESIS[command_type](venue.now), "mallory", Unauthorized)

    assert "admin" in str(error)


@pytest.mark.parametrize("command_type", [*GENESIS, OpenVenue], ids=lambda cls: cls.__name__)
def test_once_open_even_the_admin_shapes_the_venue_only_by_proposal(command_type: type[Command]) -> None:
    venue = _open_venue()
    command = OpenVenue(ADMIN, venue.now) if command_type is OpenVenue else GENESIS[command_type](venue.now)

    error = _refused_unchanged(venue, command, ADMIN, GenesisClosed)

    assert "ProposeVenueChange" in str(error)


@pytest.mark.parametrize(
    "command_type",
    [
        Deposit,
        Withdraw,
        Transfer,
        ProvideLiquidity,
        RemoveLiquidity,
        FundInsurance,
        Trade,
        AdjustIsolatedMargin,
        OfferCover,
        WithdrawCoverOffer,
        AccruePremium,
    ],
    ids=lambda cls: cls.__name__,
)
def test_account_commands_wait_for_the_venue_to_open(command_type: type[Command]) -> None:
    venue = Venue(POOL_PARAMS, MARKET_PARAMS, in_genesis=True)

    _refused_unchanged(venue, ACTING[command_type]("alice", venue.now), "alice", VenueNotOpen)


@pytest.mark.parametrize(
    ("command_type", "holder", "outsider"),
    [
        (GrantRole, ADMIN, "guard"),
        (RevokeRole, ADMIN, "council"),
        (RegisterTemplate, ADMIN, "exec"),
        (ProposeParameterChange, "council", "guard"),
        (ProposeTemplateUpgrade, "council", "exec"),
        (ProposeResumePool, "council", "guard"),
        (ProposeVenueChange, "council", ADMIN),
        (CancelProposal, "guard", "exec"),
        (ExecuteProposal, "exec", "council"),
        (PausePool, "guard", "council"),
        (UpdateRiskMargin, "model", ADMIN),
    ],
    ids=lambda value: value.__name__ if isinstance(value, type) else value,
)
def test_a_governance_command_needs_its_role_even_from_a_principal_acting_as_itself(
    command_type: type[Command], holder: str, outsider: str
) -> None:
    # Arrange: a principal holding another role (even the admin, for proposals) acts as itself
    venue = _open_venue()

    # Act / Assert: refused for the outsider ...
    _refused_unchanged(venue, ACTING[command_type](outsider, venue.now), outsider, Unauthorized)

    # ... while the holder gets past authority (the command may still fail a later rule, never Unauthorized)
    try:
        venue.engine.execute(ACTING[command_type](holder, venue.now), sender=holder)
    except Unauthorized as error:  # pragma: no cover - the failure message names what went wrong
        pytest.fail(f"{holder} holds the role but was refused: {error}")
    except RingfenceError:
        pass


def test_a_principal_that_is_not_a_source_cannot_feed_the_oracle_even_as_itself() -> None:
    venue = _open_venue()

    error = _refused_unchanged(venue, ACTING[SubmitPrice]("mallory", venue.now), "mallory", Unauthorized)

    assert "feeder of the ETH oracle" in str(error)


@pytest.mark.parametrize("command_type", [Liquidate, StartCollateralAuction], ids=lambda cls: cls.__name__)
def test_a_keeper_never_acts_against_an_account_of_its_own_owner(command_type: type[Command]) -> None:
    # alice as keeper (sub-account 0) against alice/0: her own account
    venue = _open_venue()

    error = _refused_unchanged(venue, ACTING[command_type]("alice", venue.now), "alice", Unauthorized)

    assert "never liquidates its own" in str(error)


def test_the_first_command_of_a_venue_is_configure_governance() -> None:
    engine = Engine(MemoryJournal())

    with pytest.raises(CommandRejected, match="its first command is ConfigureGovernance"):
        engine.execute(RegisterAsset("USDC", 6, WAD, WAD, NO_LIMIT, NO_LIMIT, 0), sender="mallory")
    engine.execute(bootstrap(0), sender=ADMIN)

    assert engine.state.governance is not None
    assert engine.state.governance.holds(ADMIN, Role.ADMIN)


def test_governance_is_configured_once() -> None:
    venue = _open_venue()

    _refused_unchanged(venue, ACTING[ConfigureGovernance]("mallory", venue.now), "mallory", CommandRejected)


def test_a_principal_registers_its_own_name_once_with_a_well_formed_key() -> None:
    venue = _open_venue()
    venue.engine.execute(RegisterPrincipal("alice", KEY_HEX, venue.now), sender="alice")

    _refused_unchanged(venue, RegisterPrincipal("alice", "ab" * 32, venue.now), "alice", DuplicateEntity)
    _refused_unchanged(venue, RegisterPrincipal("bob", KEY_HEX.upper(), venue.now), "bob", InvalidParameter)
    _refused_unchanged(venue, RegisterPrincipal("bob", KEY_HEX[:-2], venue.now), "bob", InvalidParameter)
    assert venue.state.principals == {"alice": KEY_HEX}


def test_a_sender_must_be_a_valid_principal_name() -> None:
    venue = _open_venue()

    _refused_unchanged(venue, ACTING[Deposit]("carol\n", venue.now), "carol\n", InvalidParameter)


# --- the attack scripts of issue 16, at the core ------------------------------------------------


def test_attack_a_self_listed_market_cannot_drain_another_pools_vault() -> None:
    # mallory lists FAKE with her own oracle, adds FAKE-PERP to pool P, and would pump it to withdraw
    # from P's vault; every step is refused and nothing changes
    venue = _open_venue()
    vault_before = venue.state.pools[POOL].vault_atoms
    fake_oracle = dataclasses.replace(oracle_config("FAKE", venue.now), source_names=("mallory",), source_weights=(1,))
    script: list[tuple[Command, type[RingfenceError]]] = [
        (RegisterAsset("FAKE", 18, 80 * PERCENT, 85 * PERCENT, NO_LIMIT, NO_LIMIT, venue.now), Unauthorized),
        (dataclasses.replace(fake_oracle, quorum=1), Unauthorized),
        (
            AddMarket(POOL, dataclasses.replace(MARKET_PARAMS, market="FAKE-PERP", base_asset="FAKE"), venue.now),
            Unauthorized,
        ),
        (
            ProposeVenueChange("mallory", RegisterAsset("FAKE", 18, 0, 0, NO_LIMIT, NO_LIMIT, venue.now), venue.now),
            Unauthorized,
        ),
        (GrantRole("mallory", Role.PROPOSER, "mallory", venue.now), Unauthorized),
    ]
    for command, error in script:
        _refused_unchanged(venue, command, "mallory", error)

    assert "FAKE" not in venue.state.assets
    assert venue.state.pools[POOL].vault_atoms == vault_before


def test_attack_an_oracle_rewritten_by_a_stranger_is_refused() -> None:
    # mallory rewrites ETH's oracle to one source of her own quoting $1, then quotes as a real source
    venue = _open_venue()
    price_before = venue.state.oracles["ETH"].accepted_price_wad
    one_source = dataclasses.replace(
        oracle_config("ETH", venue.now), source_names=("mallory",), source_weights=(1,), quorum=1
    )

    _refused_unchanged(venue, one_source, "mallory", Unauthorized)
    _refused_unchanged(venue, SubmitPrice("ETH", "a", WAD, 0, venue.now, venue.now), "mallory", ActingAsAnother)
    _refused_unchanged(venue, SubmitPrice("ETH", "mallory", WAD, 0, venue.now, venue.now), "mallory", Unauthorized)
    assert venue.state.oracles["ETH"].accepted_price_wad == price_before


def test_attack_a_self_granted_role_is_refused() -> None:
    # mallory grants herself guardian (as herself, then in the admin's name) and tries to pause pool P
    venue = _open_venue()

    _refused_unchanged(venue, GrantRole("mallory", Role.GUARDIAN, "mallory", venue.now), "mallory", Unauthorized)
    _refused_unchanged(venue, GrantRole(ADMIN, Role.GUARDIAN, "mallory", venue.now), "mallory", ActingAsAnother)
    _refused_unchanged(venue, PausePool("mallory", POOL, "mine now", venue.now), "mallory", Unauthorized)
    assert venue.state.governance is not None
    assert not venue.state.governance.holds("mallory", Role.GUARDIAN)
