"""Command bodies of ``POST /v1/commands``: one pydantic model per core command, discriminated by ``type``.

Each model is built from the core command's dataclass (:mod:`ringfence.core.commands` and the
pool, auction and governance commands), with the same field names and types, so the HTTP
format cannot drift from the core: a field added to a command appears here on its own. Three
things differ:

- ``type`` names the command (``"Deposit"``, ``"Trade"``, ...): the discriminator;
- ``timestamp_ns`` is absent: the service stamps every command with its clock when the command
  is executed (the core never reads a clock, and a client never chooses its own time);
- ``command_id`` (optional) is the client's idempotency key: a command resent with an id the
  service has acknowledged for the same principal gets the first acknowledgement back and is
  not executed twice.

Amounts are JSON integers in atoms, prices and ratios integers scaled by 10**18 (``_wad``),
exactly as in the core; validation is strict (``"5"`` or ``5.0`` for an integer is refused, as is
an unknown member). The venue-shaping genesis commands (``RegisterAsset``, ``CreatePool``, ...)
are not commands of their own here: a venue's genesis is its venue file (``ringfence serve
--venue``), and after it those changes are proposed with ``ProposeVenueChange``, whose ``change``
is one of them, discriminated by its own ``type`` and stamped with the proposal's time.
"""

from __future__ import annotations

import dataclasses
import enum
import typing
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, Strict, TypeAdapter, create_model

from ringfence.core.commands import (
    Command,
    ConfigureOracle,
    Deposit,
    RegisterAsset,
    SubmitPrice,
    Transfer,
    Withdraw,
)
from ringfence.core.governance.commands import (
    CancelProposal,
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
from ringfence.core.pool.cover_commands import AcceptCover, AccruePremium, CancelCover, WithdrawCoverOffer
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
from ringfence.core.portfolio.commands import (
    BidPortfolio,
    ConfigurePortfolioMargin,
    DisablePortfolioMargin,
    EnablePortfolioMargin,
    EndPortfolioAuction,
    StartPortfolioAuction,
)

__all__ = [
    "COMMAND_BODIES",
    "COMMAND_ID_PATTERN",
    "HTTP_COMMANDS",
    "VENUE_CHANGES",
    "CommandBodyBase",
    "VenueChangeBodyBase",
    "command_body_adapter",
    "command_body_union",
    "to_command",
]

HTTP_COMMANDS: tuple[type[Any], ...] = (
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
    TakeCollateral,
    RedoCollateralAuction,
    SubmitPrice,
    GrantRole,
    RevokeRole,
    RegisterTemplate,
    ProposeParameterChange,
    ProposeTemplateUpgrade,
    ProposeResumePool,
    ProposeVenueChange,
    CancelProposal,
    ExecuteProposal,
    PausePool,
    UpdateRiskMargin,
    WithdrawCoverOffer,
    AccruePremium,
    RepayCreditLine,
    PublishVolSurface,
    TradeSeries,
    AdjustSeriesMargin,
    SettleSeries,
    LiquidateSeries,
    EnablePortfolioMargin,
    DisablePortfolioMargin,
    StartPortfolioAuction,
    BidPortfolio,
    EndPortfolioAuction,
)
"""The core commands a client may send over HTTP, in the order the OpenAPI document lists them.

Not here, by design (``tests/e2e/test_service_authority.py`` pins the partition of the core's
commands): the genesis (``ConfigureGovernance``, ``OpenVenue`` and the venue-shaping commands
are the venue file's, then :data:`VENUE_CHANGES`), ``RegisterPrincipal`` (``POST /v1/principals``),
and ``OfferCover``, whose nested ``CoverTerms`` this body generator does not build yet (an
underwriter offers cover from the CLI's venue scripts or the Python API)."""

COMMAND_ID_PATTERN = r"^[A-Za-z0-9._~-]{1,64}$"

_STAMPED = "timestamp_ns"


class CommandBodyBase(BaseModel):
    """What every command body shares: strict validation, no unknown members, an optional idempotency key."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)

    command_id: Annotated[
        str | None,
        Field(
            default=None,
            pattern=COMMAND_ID_PATTERN,
            description="The client's idempotency key (1-64 of A-Z a-z 0-9 . _ ~ -), unique per principal.",
        ),
    ] = None


_UNITS = (
    ("_atoms", "an integer amount in atoms (the asset's smallest unit)"),
    ("_wad", "an integer scaled by 10**18 (a price or a ratio: 10**18 is 1)"),
    ("_ns", "nanoseconds since the Unix epoch"),
    ("_value", "an integer value in value atoms (6 decimals of the numeraire)"),
    ("_ppm", "an integer in parts per million"),
)
_NAMED = {
    "owner": "the principal whose sub-account acts: must be the sender",
    "keeper_owner": "the keeper: must be the sender",
    "taker_owner": "the taker: must be the sender",
    "actor": "the principal acting: must be the sender",
    "source": "the oracle source quoting: must be the sender",
    "sub_account": "a sub-account number of the owner",
}


def _describe(name: str) -> str | None:
    """Return what a field holds, from its name's unit suffix (``_atoms``, ``_wad``, ...) or its role."""
    for suffix, meaning in _UNITS:
        if name.endswith(suffix):
            return meaning
    return _NAMED.get(name)


def _lax_enum(hint: Any) -> Any:
    """Let an enum field take its value (``"cross"``): strict mode would want an instance, which JSON cannot carry."""
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return Annotated[hint, Strict(False)]
    return hint


class VenueChangeBodyBase(BaseModel):
    """A venue change carried by ``ProposeVenueChange``: strict, no unknown members, stamped with its proposal."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)


def _body_model(
    command_type: type[Any], base: type[BaseModel] = CommandBodyBase, overrides: Mapping[str, Any] | None = None
) -> type[Any]:
    hints = {name: _lax_enum(hint) for name, hint in typing.get_type_hints(command_type).items()}
    hints.update(overrides or {})
    members: dict[str, Any] = {"type": (Literal[command_type.__name__], Field(description="The command."))}
    for field in dataclasses.fields(command_type):
        if field.name == _STAMPED:
            continue
        default = field.default if field.default is not dataclasses.MISSING else ...
        members[field.name] = (hints[field.name], Field(default, description=_describe(field.name)))
    model: type[Any] = create_model(
        f"{command_type.__name__}{'Body' if base is CommandBodyBase else 'Change'}",
        __base__=base,
        __doc__=(command_type.__doc__ or command_type.__name__).strip(),
        **members,
    )
    return model


VENUE_CHANGES: tuple[type[Any], ...] = (
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
)
"""What a ``ProposeVenueChange`` may carry (``core.governance.state.VenueChangeCommand``)."""

_CHANGE_BODIES = {cls.__name__: _body_model(cls, VenueChangeBodyBase) for cls in VENUE_CHANGES}
venue_change_union: Any = Annotated[
    typing.Union[tuple(_CHANGE_BODIES.values())],  # noqa: UP007 (a union built from a tuple of classes)
    Field(discriminator="type", description="The change, by its own type; stamped with the proposal's time."),
]

COMMAND_BODIES: Mapping[str, type[CommandBodyBase]] = {
    cls.__name__: _body_model(cls, overrides={"change": venue_change_union} if cls is ProposeVenueChange else None)
    for cls in HTTP_COMMANDS
}
"""Each HTTP command's body model, by command name."""

_CORE_TYPES: Mapping[str, type[Any]] = {cls.__name__: cls for cls in (*HTTP_COMMANDS, *VENUE_CHANGES)}

command_body_union: Any = Annotated[
    typing.Union[tuple(COMMAND_BODIES.values())],  # noqa: UP007 (a union built from a tuple of classes)
    Field(discriminator="type"),
]
"""The body of ``POST /v1/commands``: any one of :data:`COMMAND_BODIES`, chosen by ``type``."""

command_body_adapter: TypeAdapter[CommandBodyBase] = TypeAdapter(command_body_union)


def to_command(body: CommandBodyBase, timestamp_ns: int) -> Command:
    """Return the core command a validated body asks for, stamped at ``timestamp_ns``."""
    command: Command = _build(body, timestamp_ns)
    return command


def _build(body: BaseModel, timestamp_ns: int) -> Any:
    command_type = _CORE_TYPES[body.type]  # type: ignore[attr-defined]
    values = {
        field.name: getattr(body, field.name) for field in dataclasses.fields(command_type) if field.name != _STAMPED
    }
    values = {
        name: _build(value, timestamp_ns) if isinstance(value, VenueChangeBodyBase) else value
        for name, value in values.items()
    }
    return command_type(**values, timestamp_ns=timestamp_ns)
