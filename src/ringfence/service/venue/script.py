"""Command scripts: a TOML array of ``[[command]]`` tables, applied in order after the venue.

::

    [[command]]
    at = "1m"              # time after the venue's start; omitted: the previous command's time
    type = "Deposit"       # any command of the core's ``Command`` union, by its class name
    owner = "carol"        # its fields in human units (see fields.py); ``sub_account`` defaults to 0
    asset = "USDC"
    amount = "10000"

    [[command]]
    at = "2m"
    type = "SubmitPrices"  # shorthand: one SubmitPrice per oracle source of each asset, each sent by its source
    prices = { ETH = "3700", USDC = "1" }   # or ETH = ["3700", "3702", "3699"], one per source

    [[command]]
    type = "GrantRole"
    sender = "admin"       # optional: who sends it (see below)
    actor = "admin"
    role = "guardian"
    principal = "gina"

Every command has a sender, the principal who sends it; the adapter authenticates it (the
CLI with identity files) and the core checks its authority. ``sender`` is optional: omitted,
it is the principal the command names as acting (``owner``, ``keeper_owner``,
``taker_owner``, ``actor``, ``source``, ``admin``, ``name``:
:func:`ringfence.core.authority.acting_field`); a command that names none (``RegisterAsset``,
``ConfigureOracle``, ``CreatePool``, ``AddMarket``, ``ConfigureAuctions``, ``AcceptCover``,
``CancelCover``) must give it.
A sender other than the acting principal is refused by the core (``ActingAsAnother``).

Once the venue is open, a listing, oracle, pool or market change is proposed and executed
after the governance timelock, the change in a sub-table of the proposal::

    [[command]]
    type = "ProposeVenueChange"
    actor = "admin"            # a proposer
    [command.change]
    type = "RegisterAsset"     # or ConfigureOracle, CreatePool, AddMarket, ConfigureAuctions,
                               # AcceptCover, CancelCover, OpenCreditLine,
                               # LowerCreditLineCap, CloseCreditLine, ListSeries or
                               # ConfigurePortfolioMargin (its rule in [command.change.rule];
                               # the grid as columns or grid = "deribit": venue/portfolio.py)
    asset = "SOL"              # its fields in human units, as for the command itself
    ...

    [[command]]
    at = "2d"                  # after the timelock
    type = "ExecuteProposal"
    actor = "admin"            # an executor
    proposal_id = 1

Times never go backwards. Every entry is validated and converted to atoms before anything
runs; a problem anywhere means nothing is executed.
"""

from __future__ import annotations

import typing
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict

from ringfence.core.authority import acting_field
from ringfence.core.commands import Command
from ringfence.core.governance.commands import ProposeVenueChange
from ringfence.core.governance.state import VenueChangeCommand
from ringfence.core.portfolio.commands import ConfigurePortfolioMargin
from ringfence.service.venue.catalog import Catalog
from ringfence.service.venue.compile import Compiled, price_commands, sent_by, with_sender_path
from ringfence.service.venue.fields import BuildContext, build, field_paths, model_for
from ringfence.service.venue.human import duration_ns, price_wad, principal_name
from ringfence.service.venue.model import Prices
from ringfence.service.venue.portfolio import expand_grid
from ringfence.service.venue.problems import Problem, VenueFileError, join_path, validate

__all__ = ["COMMAND_TYPES", "SUBMIT_PRICES", "VENUE_CHANGES", "ScriptStep", "compile_script"]

COMMAND_TYPES: dict[str, type[Any]] = {cls.__name__: cls for cls in typing.get_args(Command)}
"""Every command a script may name: the members of the ``Command`` union, by class name."""

SUBMIT_PRICES = "SubmitPrices"

VENUE_CHANGES: dict[str, type[Any]] = {cls.__name__: cls for cls in typing.get_args(VenueChangeCommand)}
"""What a ``ProposeVenueChange`` may propose once the venue is open, by class name."""


class SubmitPricesTable(BaseModel):
    """The ``SubmitPrices`` shorthand: prices per asset, an optional confidence for each quote."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    prices: dict[str, Prices]
    confidence: Annotated[int, BeforeValidator(price_wad)] = 0


@dataclass(frozen=True, slots=True)
class ScriptStep:
    """One script entry: its position, type, time after start, and the commands it compiles to."""

    index: int
    type_name: str
    offset_ns: int
    commands: tuple[Compiled, ...]

    @property
    def path(self) -> str:
        """The entry's key path, ``command[i]``."""
        return join_path("command", self.index)


def _entries(data: Any, problems: list[Problem]) -> list[Any]:
    if not isinstance(data, dict):
        problems.append(Problem("", "a script is a TOML file of [[command]] tables"))
        return []
    problems.extend(
        Problem(join_path(key), "unknown key; a script holds only [[command]] tables")
        for key in data
        if key != "command"
    )
    entries = data.get("command", [])
    if not isinstance(entries, list):
        problems.append(Problem("command", "expected an array of tables: write [[command]]"))
        return []
    return entries


def _offset(entry: dict[str, Any], previous: int, index: int, problems: list[Problem]) -> int:
    if "at" not in entry:
        return previous
    try:
        offset = duration_ns(entry["at"])
    except ValueError as error:
        problems.append(Problem(join_path("command", index, "at"), str(error)))
        return previous
    if offset < previous:
        problems.append(
            Problem(join_path("command", index, "at"), f"{entry['at']!r} is earlier than the previous command's time")
        )
        return previous
    return offset


class _ScriptCompiler:
    def __init__(self, catalog: Catalog, start_ns: int) -> None:
        self.context = BuildContext(catalog, start_ns, [])

    def prices(self, body: dict[str, Any], index: int, at_ns: int) -> list[Compiled]:
        if "sender" in body:
            message = "SubmitPrices sends each quote from its source; write SubmitPrice entries to send one quote"
            self.context.problems.append(Problem(join_path("command", index, "sender"), message))
            body = {key: value for key, value in body.items() if key != "sender"}
        table, problems = validate(SubmitPricesTable, body, ("command", index))
        self.context.problems.extend(problems)
        compiled: list[Compiled] = []
        for asset, prices in table.prices.items() if table is not None else ():
            path = join_path("command", index, "prices", asset)
            quotes, found = price_commands(
                asset, prices, table.confidence if table else 0, at_ns, path, self.context.catalog
            )
            self.context.problems.extend(found)
            compiled.extend(Compiled(quote, path, {"price_wad": path}, quote.source) for quote in quotes)
        return compiled

    def sender(self, body: dict[str, Any], cls: type[Any], index: int) -> tuple[str | None, bool]:
        """Pop and check ``sender``; return it (``None``: the acting principal) and whether it is acceptable."""
        path = join_path("command", index, "sender")
        if "sender" not in body:
            if acting_field(cls) is None:
                self.context.problems.append(
                    Problem(path, f"required: {cls.__name__} names no acting principal, so say who sends it")
                )
                return None, False
            return None, True
        try:
            return principal_name(body.pop("sender")), True
        except ValueError as error:
            self.context.problems.append(Problem(path, str(error)))
            return None, False

    def change(self, body: dict[str, Any], index: int, at_ns: int) -> tuple[Any, dict[str, str]] | None:
        """Compile a proposal's ``change`` table (its ``type`` and fields) to the venue change it proposes."""
        path = ("command", index, "change")
        raw = body.pop("change", None)
        if not isinstance(raw, dict):
            message = 'required: a table of the change\'s type and fields ([command.change] type = "RegisterAsset")'
            self.context.problems.append(Problem(join_path(*path), message))
            return None
        type_name = raw.get("type")
        cls = VENUE_CHANGES.get(type_name) if isinstance(type_name, str) else None
        if cls is None:
            known = ", ".join(VENUE_CHANGES)
            message = f"{type_name!r} is not a venue change; one of {known}"
            self.context.problems.append(Problem(join_path(*path, "type"), message))
            return None
        fields = {key: value for key, value in raw.items() if key != "type"}
        if cls is ConfigurePortfolioMargin and "rule" in fields:
            fields["rule"] = expand_grid(fields["rule"], (*path, "rule"), self.context.problems)
        table, problems = validate(model_for(cls, frozenset({"timestamp_ns"}), script_defaults=True), fields, path)
        self.context.problems.extend(problems)
        command = build(cls, table, path, self.context, {"timestamp_ns": at_ns}) if table is not None else None
        if command is None:
            return None
        self.context.catalog.learn(command)
        return command, field_paths(cls, path)

    def command(self, cls: type[Any], body: dict[str, Any], index: int, at_ns: int) -> list[Compiled]:
        path = ("command", index)
        sender, sender_ok = self.sender(body, cls, index)
        given: dict[str, Any] = {"timestamp_ns": at_ns}
        paths = field_paths(cls, path)
        if cls is ProposeVenueChange:
            change = self.change(body, index, at_ns)
            if change is None:
                sender_ok = False
            else:
                given["change"] = change[0]
                paths = {**change[1], **paths}
        if cls is ConfigurePortfolioMargin and "rule" in body:
            body["rule"] = expand_grid(body["rule"], (*path, "rule"), self.context.problems)
        table, problems = validate(model_for(cls, frozenset(given), script_defaults=True), body, path)
        self.context.problems.extend(problems)
        if table is None or not sender_ok:
            return []
        command = build(cls, table, path, self.context, given)
        if command is None:
            return []
        self.context.catalog.learn(command)
        sent = sender if sender is not None else sent_by(command, "")
        if sender is not None:
            paths = {**paths, "sender": join_path(*path, "sender")}
        else:
            paths = with_sender_path(command, paths, join_path(*path))
        return [Compiled(command, join_path(*path), paths, sent)]

    def entry(self, entry: Any, index: int, previous: int) -> ScriptStep | None:
        problems = self.context.problems
        if not isinstance(entry, dict):
            problems.append(Problem(join_path("command", index), "expected a table: write [[command]]"))
            return None
        offset = _offset(entry, previous, index, problems)
        type_name = entry.get("type")
        body = {key: value for key, value in entry.items() if key not in ("type", "at")}
        at_ns = self.context.start_ns + offset
        if type_name == SUBMIT_PRICES:
            return ScriptStep(index, SUBMIT_PRICES, offset, tuple(self.prices(body, index, at_ns)))
        cls = COMMAND_TYPES.get(type_name) if isinstance(type_name, str) else None
        if cls is None:
            known = ", ".join([*COMMAND_TYPES, SUBMIT_PRICES])
            problems.append(
                Problem(join_path("command", index, "type"), f"{type_name!r} is not a command; one of {known}")
            )
            return None
        return ScriptStep(index, cls.__name__, offset, tuple(self.command(cls, body, index, at_ns)))


def compile_script(data: Any, catalog: Catalog, start_ns: int, source: str = "script") -> tuple[ScriptStep, ...]:
    """Validate a parsed script and compile every entry; the catalog learns what it defines.

    Raises
    ------
    VenueFileError
        Listing every problem found, each at its key path (``command[i].field``).
    """
    compiler = _ScriptCompiler(catalog, start_ns)
    steps: list[ScriptStep] = []
    previous = 0
    for index, entry in enumerate(_entries(data, compiler.context.problems)):
        step = compiler.entry(entry, index, previous)
        if step is not None:
            steps.append(step)
            previous = step.offset_ns
    if compiler.context.problems:
        raise VenueFileError(source, compiler.context.problems)
    return tuple(steps)
