"""Who may send what: the authority check ``decide`` runs before any other rule (SPEC §2.5).

The sender is the principal the adapter authenticated (the library caller names it, the CLI
proves it with an identity file, the service with a signed request); it never comes from the
command's own fields. A field that names who acts (a sub-account's ``owner``, a keeper's
``keeper_owner``, a governance ``actor``, a price's ``source``) must be the sender itself.

=================================  ===============================================================
command                            authority
=================================  ===============================================================
RegisterPrincipal                  anyone, for its own name
ConfigureGovernance                anyone, once, on an empty venue: the sender becomes the admin
RegisterAsset, ConfigureOracle,    the admin during the genesis; once open, only through
CreatePool, AddMarket,             ``ProposeVenueChange`` (proposer) and ``ExecuteProposal``
ConfigureAuctions, AcceptCover,    (executor) after the timelock
CancelCover, OpenCreditLine,
LowerCreditLineCap, CloseCreditLine,
ConfigurePortfolioMargin
OpenVenue                          the admin (its ``admin`` field), once
GrantRole, RevokeRole,             the admin (the role is checked by the decider)
RegisterTemplate
Propose*, Cancel, Execute, Pause   proposer / proposer or guardian / executor / guardian
UpdateRiskMargin                   a risk model (the role is checked by the decider), no timelock,
                                   only within the market's dynamic margin rule
SubmitPrice                        a feeder: the sender is one of the asset's oracle sources
PublishVolSurface                  a feeder of the underlying's oracle (its ``publisher``)
ListSeries                         as AddMarket: the admin in the genesis, a proposal once open
TradeSeries, AdjustSeriesMargin    the owner of the sub-account, once the venue is open
LiquidateSeries                    as Liquidate: any principal as keeper, never its own accounts
SettleSeries                       any principal (``actor``, permissionless after expiry), once open
Deposit, Withdraw, Transfer,       the owner of the sub-account, once the venue is open
ProvideLiquidity, RemoveLiquidity,
FundInsurance, Trade,
AdjustIsolatedMargin, OfferCover,
WithdrawCoverOffer,
EnablePortfolioMargin,
DisablePortfolioMargin
Liquidate, StartCollateralAuction, any principal as keeper, into its own sub-account, never
StartPortfolioAuction              against its own accounts; once the venue is open
BidPortfolio                       any principal as bidder (``bidder_owner``), with its own
                                   sub-account, never on its own portfolio; once open
EndPortfolioAuction                any principal (``actor``), once open
RedoCollateralAuction,             any principal, for its own sub-account; once open
TakeCollateral
AccruePremium                      any principal (``actor``, a permissionless crank); once open
RepayCreditLine                    any principal, as its ``actor``, once open (it moves the
                                   borrower pool's cash to its lender's line, nothing of its own)
=================================  ===============================================================

Keepers are permissionless, as at the venues this engine follows (Aave, Drift, Mango, dYdX
all let anyone liquidate); refusing a keeper its own owner's accounts closes the
self-liquidation that would pay an owner its own penalty.
"""

from __future__ import annotations

from typing import Any

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
from ringfence.core.errors import ActingAsAnother, CommandRejected, GenesisClosed, Unauthorized, VenueNotOpen
from ringfence.core.governance.commands import ConfigureGovernance
from ringfence.core.governance.state import GovernanceState, Role
from ringfence.core.pool.auction_commands import (
    ConfigureAuctions,
    RedoCollateralAuction,
    StartCollateralAuction,
    TakeCollateral,
)
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
from ringfence.core.pool.credit_line_commands import CloseCreditLine, LowerCreditLineCap, OpenCreditLine
from ringfence.core.pool.series_commands import (
    AdjustSeriesMargin,
    LiquidateSeries,
    ListSeries,
    PublishVolSurface,
    SettleSeries,
    TradeSeries,
)
from ringfence.core.portfolio.commands import (
    BidPortfolio,
    ConfigurePortfolioMargin,
    DisablePortfolioMargin,
    EnablePortfolioMargin,
    EndPortfolioAuction,
    StartPortfolioAuction,
)
from ringfence.core.state import LedgerState
from ringfence.core.validation import check_name

__all__ = ["ACCOUNT_COMMANDS", "GENESIS_COMMANDS", "acting_field", "authorize"]

ACCOUNT_COMMANDS: frozenset[type[Any]] = frozenset(
    {
        Deposit,
        Withdraw,
        Transfer,
        ProvideLiquidity,
        RemoveLiquidity,
        FundInsurance,
        Trade,
        AdjustIsolatedMargin,
        Liquidate,
        StartCollateralAuction,
        RedoCollateralAuction,
        TakeCollateral,
        OfferCover,
        WithdrawCoverOffer,
        AccruePremium,
        TradeSeries,
        AdjustSeriesMargin,
        SettleSeries,
        LiquidateSeries,
        EnablePortfolioMargin,
        DisablePortfolioMargin,
        StartPortfolioAuction,
        BidPortfolio,
        EndPortfolioAuction,
    }
)
"""Commands on sub-accounts (and the permissionless premium crank): accepted once the venue is open, from the
principal acting on its own."""

GENESIS_COMMANDS: frozenset[type[Any]] = frozenset(
    {
        RegisterAsset,
        ConfigureOracle,
        CreatePool,
        AddMarket,
        ConfigureAuctions,
        AcceptCover,
        CancelCover,
        OpenCreditLine,
        LowerCreditLineCap,
        CloseCreditLine,
        ListSeries,
        ConfigurePortfolioMargin,
        OpenVenue,
    }
)
"""Commands that shape the venue: the admin's, during the genesis only."""

_ACTING_FIELDS: dict[type[Any], str] = {
    Liquidate: "keeper_owner",
    StartCollateralAuction: "keeper_owner",
    StartPortfolioAuction: "keeper_owner",
    BidPortfolio: "bidder_owner",
    EndPortfolioAuction: "actor",
    RedoCollateralAuction: "keeper_owner",
    TakeCollateral: "taker_owner",
    AccruePremium: "actor",
    SettleSeries: "actor",
    LiquidateSeries: "keeper_owner",
    PublishVolSurface: "publisher",
    SubmitPrice: "source",
    ConfigureGovernance: "admin",
    OpenVenue: "admin",
    RegisterPrincipal: "name",
}
_KEEPER_COMMANDS = (Liquidate, StartCollateralAuction, LiquidateSeries, StartPortfolioAuction, BidPortfolio)


def acting_field(command_type: type[Any]) -> str | None:
    """Return the field of ``command_type`` that names who acts, or ``None`` (the admin's genesis commands)."""
    if command_type in _ACTING_FIELDS:
        return _ACTING_FIELDS[command_type]
    if command_type in GENESIS_COMMANDS:
        return None
    return "owner" if command_type in ACCOUNT_COMMANDS else "actor"


def _action(command: Command) -> str:
    return f"send {type(command).__name__}"


def _check_acting_field(command: Command, sender: str) -> None:
    field = acting_field(type(command))
    if field is None:
        return
    named = getattr(command, field)
    if named != sender:
        raise ActingAsAnother(sender, field, named, _action(command))


def _check_genesis(governance: GovernanceState, command: Command, sender: str) -> None:
    if not governance.holds(sender, Role.ADMIN):
        remedy = (
            "only the venue's admin shapes it during the genesis"
            if governance.opened_ns is None
            else "the venue is open: a proposer proposes it (ProposeVenueChange), an executor executes it later"
        )
        raise Unauthorized(sender, (Role.ADMIN.value,), _action(command), remedy)
    if governance.opened_ns is not None:
        raise GenesisClosed(_action(command), governance.settings.timelock_ns)


def _check_feeder(state: LedgerState, command: SubmitPrice, sender: str) -> None:
    oracle = state.oracles.get(command.asset)
    if oracle is not None and sender not in oracle.config.source_names():
        raise Unauthorized(
            sender,
            (f"feeder of the {command.asset} oracle",),
            f"submit a {command.asset} price",
            "the admin names an oracle's feeders in its sources (ConfigureOracle)",
        )


def _check_surface_publisher(state: LedgerState, command: PublishVolSurface, sender: str) -> None:
    """Refuse a smile from anyone but a feeder of the underlying's oracle (the seat that submits its prices)."""
    oracle = state.oracles.get(command.underlying)
    if oracle is None or sender not in oracle.config.source_names():
        raise Unauthorized(
            sender,
            (f"feeder of the {command.underlying} oracle",),
            f"publish a {command.underlying} volatility smile",
            "the admin names an oracle's feeders in its sources (ConfigureOracle)",
        )


def _check_keeper(
    command: Liquidate | StartCollateralAuction | LiquidateSeries | StartPortfolioAuction | BidPortfolio, sender: str
) -> None:
    if command.owner == sender:
        raise Unauthorized(
            sender,
            ("keeper of another owner",),
            f"{_action(command)} against {command.owner}/{command.sub_account}",
            "a principal never liquidates its own sub-accounts (it would pay itself its own penalty)",
        )


def authorize(state: LedgerState, command: Command, sender: str) -> None:
    """Refuse ``command`` unless ``sender`` has the authority the table above gives it.

    Raises
    ------
    InvalidParameter
        The sender is not a valid principal name.
    Unauthorized
        The sender acts as another principal (:class:`ActingAsAnother`), or lacks the role,
        the feeder's seat or the keeper's standing the command needs.
    VenueNotOpen, GenesisClosed
        An account command before the venue opened; a venue-shaping one after.
    CommandRejected
        Any command but ``ConfigureGovernance`` or ``RegisterPrincipal`` on a venue with no admin.
    """
    check_name("sender", sender)
    _check_acting_field(command, sender)
    command_type = type(command)
    if command_type in (ConfigureGovernance, RegisterPrincipal):
        return
    governance = state.governance
    if governance is None:
        raise CommandRejected(
            "the venue has no admin yet: its first command is ConfigureGovernance, whose sender becomes the admin"
        )
    if command_type in GENESIS_COMMANDS:
        _check_genesis(governance, command, sender)
    elif command_type in ACCOUNT_COMMANDS:
        if governance.opened_ns is None:
            raise VenueNotOpen(_action(command))
        if isinstance(command, _KEEPER_COMMANDS):
            _check_keeper(command, sender)
    elif isinstance(command, SubmitPrice):
        _check_feeder(state, command, sender)
    elif isinstance(command, PublishVolSurface):
        _check_surface_publisher(state, command, sender)
