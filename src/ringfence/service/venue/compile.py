"""Compile a venue file to core commands, each remembering the key path it came from.

The venue file is the venue's genesis, one recorded act of its admin (``[venue] admin``),
compiled in this order, every command stamped at the venue's start and each with its sender:

1. ``ConfigureGovernance`` from ``[venue] admin`` and ``[governance]`` (sender: the admin,
   who becomes the venue's admin; only on an empty ledger);
2. assets (``RegisterAsset``), oracles (``ConfigureOracle``), sender the admin;
3. initial prices: one ``SubmitPrice`` per oracle source, each sent by its source (a feeder
   principal's name is its source name);
4. pools (``CreatePool``) with their markets (``AddMarket``), sender the admin;
   then the portfolio-margin rule (``ConfigurePortfolioMargin`` from ``[portfolio_margin]``);
5. ``OpenVenue`` (sender the admin): from here accounts may act, and listing, oracle and
   market changes need a timelocked proposal;
6. funding: deposits, liquidity and insurance, each sent by its ``owner``.

An adapter authenticates every sender before running it (:mod:`ringfence.service.authentication`).
All problems of the file are collected before anything runs; an engine rejection in the venue
batch is reported at the key path of the field it names (:func:`rejection_path`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import BaseModel

from ringfence.core.authority import acting_field
from ringfence.core.commands import Command, ConfigureOracle, Deposit, OpenVenue, RegisterAsset, SubmitPrice
from ringfence.core.errors import InvalidAmount, InvalidParameter, RingfenceError
from ringfence.core.governance.commands import ConfigureGovernance
from ringfence.core.margin import NO_LIMIT
from ringfence.core.pool.commands import AddMarket, CreatePool, FundInsurance, ProvideLiquidity
from ringfence.core.pool.state import MarketParams, PoolParams
from ringfence.core.portfolio.commands import ConfigurePortfolioMargin
from ringfence.core.portfolio.rule import PortfolioRule
from ringfence.core.units import VALUE_DECIMALS, format_fixed
from ringfence.service.venue.catalog import Catalog
from ringfence.service.venue.fields import BuildContext, build, field_paths, model_for, toml_key
from ringfence.service.venue.human import atoms_of
from ringfence.service.venue.model import AssetTable, OracleTable, VenueTables, pool_table_model
from ringfence.service.venue.portfolio import expand_grid
from ringfence.service.venue.problems import Problem, VenueFileError, join_path, validate

__all__ = [
    "Compiled",
    "VenueProgram",
    "compile_venue",
    "price_commands",
    "rejection_message",
    "rejection_path",
    "sent_by",
    "to_ns",
    "with_sender_path",
]

_INTEGER = re.compile(r"\d+")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_FUNDING: tuple[tuple[str, type[Any]], ...] = (
    ("deposits", Deposit),
    ("liquidity", ProvideLiquidity),
    ("insurance", FundInsurance),
)


@dataclass(frozen=True, slots=True)
class Compiled:
    """A command and where it came from: its key path and the key path of each of its fields."""

    command: Command
    path: str
    field_paths: Mapping[str, str] = field(default_factory=dict)
    sender: str = ""
    """The principal who sends it (``sent_by``); an adapter authenticates it before running."""


@dataclass(frozen=True, slots=True)
class VenueProgram:
    """A compiled venue: its name, start time, commands in order, and its admin (who sends the genesis)."""

    name: str
    start_ns: int
    commands: tuple[Compiled, ...]
    admin: str = ""


def sent_by(command: Command, admin: str) -> str:
    """Return who sends ``command`` of a venue file: the principal it names as acting, else the admin."""
    named = acting_field(type(command))
    return admin if named is None else str(getattr(command, named))


def with_sender_path(command: Command, paths: Mapping[str, str], sender_path: str) -> dict[str, str]:
    """Return ``paths`` plus the key path of ``sender`` (an error about the sender is reported there).

    A sender named by the command itself (its ``owner``, ``source``, ...) is reported at that
    field's path; otherwise at ``sender_path`` (``venue.admin``, ``command[i].sender``).
    """
    named = acting_field(type(command))
    found = paths.get(named) if named is not None else None
    return {**paths, "sender": found if found is not None else sender_path}


def to_ns(moment: datetime) -> int:
    """Return a timezone-aware datetime as integer nanoseconds since the Unix epoch, exactly."""
    return (moment - _EPOCH) // timedelta(microseconds=1) * 1_000


def rejection_path(compiled: Compiled, error: RingfenceError) -> str:
    """Return the key path of the field an engine error names, or the command's own path."""
    named = getattr(error, "field", None)
    return compiled.field_paths.get(named, compiled.path) if isinstance(named, str) else compiled.path


def rejection_message(error: RingfenceError) -> str:
    """Return an engine error's message, with WAD numbers of a ``_wad`` field shown as decimals."""
    if not isinstance(error, InvalidAmount | InvalidParameter) or not error.field.endswith("_wad"):
        return f"{type(error).__name__}: {error.message}"
    value = format_fixed(error.value, 18) if isinstance(error.value, int) else repr(error.value)
    expected = _INTEGER.sub(lambda match: format_fixed(int(match.group()), 18), error.expected)
    return f"{type(error).__name__}: {value} is not accepted: expected {expected.replace('WAD ', '')}"


def _paths(cls: type[Any], path: tuple[str | int, ...], renamed: Mapping[str, str] | None = None) -> dict[str, str]:
    found = {spec.name: join_path(*path, toml_key(spec.name)) for spec in fields(cls)}
    found.update({name: join_path(*path, key) for name, key in (renamed or {}).items()})
    return found


def price_commands(
    asset: str, prices: Sequence[int], confidence_wad: int, at_ns: int, path: str, catalog: Catalog
) -> tuple[list[SubmitPrice], list[Problem]]:
    """Return one SubmitPrice per oracle source: one price for all, or one price per source in order."""
    sources = catalog.sources.get(asset)
    if sources is None:
        return [], [Problem(path, f"{asset} has no oracle; configure [oracles.{asset}] first")]
    if len(prices) not in (1, len(sources)):
        expected = f"one price, or {len(sources)} (one per source: {', '.join(sources)})"
        return [], [Problem(path, f"{len(prices)} prices given; expected {expected}")]
    quotes = prices if len(prices) == len(sources) else tuple(prices) * len(sources)
    return [
        SubmitPrice(asset, source, price, confidence_wad, at_ns, at_ns)
        for source, price in zip(sources, quotes, strict=True)
    ], []


def _asset(code: str, table: AssetTable, start_ns: int, problems: list[Problem]) -> RegisterAsset:
    def atoms(text: str | None, decimals: int, key: str) -> int:
        if text is None:
            return NO_LIMIT
        try:
            return atoms_of(text, decimals, key)
        except InvalidAmount as error:
            problems.append(
                Problem(join_path("assets", code, key), f"{text!r} is not accepted: expected {error.expected}")
            )
            return NO_LIMIT

    return RegisterAsset(
        asset=code,
        decimals=table.decimals,
        initial_weight_wad=table.initial_weight,
        maintenance_weight_wad=table.maintenance_weight,
        supply_cap_atoms=atoms(table.supply_cap, table.decimals, "supply_cap"),
        weight_scale_start_value=atoms(table.weight_scale_start_value, VALUE_DECIMALS, "weight_scale_start_value"),
        timestamp_ns=start_ns,
    )


def _oracle(code: str, table: OracleTable, start_ns: int) -> ConfigureOracle:
    return ConfigureOracle(
        asset=code,
        source_names=table.sources,
        source_weights=table.weights if table.weights is not None else (1,) * len(table.sources),
        quorum=table.quorum,
        max_staleness_ns=table.max_staleness,
        max_deviation_wad=table.max_deviation,
        max_confidence_wad=table.max_confidence,
        max_jump_wad=table.max_jump,
        guard_release_ns=table.guard_release,
        delay_interval_seconds=table.delay_interval,
        delay_growth_limit_wad=table.delay_growth_limit,
        stable_growth_limit_wad=table.stable_growth_limit,
        timestamp_ns=start_ns,
    )


class _Compiler:
    """Collects commands and problems while it walks a validated venue file."""

    def __init__(self, catalog: Catalog, start_ns: int, admin: str) -> None:
        self.context = BuildContext(catalog, start_ns, [])
        self.commands: list[Compiled] = []
        self.admin = admin

    @property
    def problems(self) -> list[Problem]:
        return self.context.problems

    def add(self, command: Command | None, compiled_path: str, paths: Mapping[str, str]) -> None:
        if command is not None:
            self.context.catalog.learn(command)
            sender_paths = with_sender_path(
                command, paths, compiled_path if acting_field(type(command)) else "venue.admin"
            )
            self.commands.append(Compiled(command, compiled_path, sender_paths, sent_by(command, self.admin)))

    def listing(self, tables: VenueTables) -> None:
        start = self.context.start_ns
        for code, asset in tables.assets.items():
            self.add(
                _asset(code, asset, start, self.problems),
                join_path("assets", code),
                _paths(RegisterAsset, ("assets", code)),
            )
        renamed = {"source_names": "sources", "source_weights": "weights"}
        for code, oracle in tables.oracles.items():
            self.add(
                _oracle(code, oracle, start),
                join_path("oracles", code),
                _paths(ConfigureOracle, ("oracles", code), renamed),
            )
        for code, prices in tables.prices.items():
            path = join_path("prices", code)
            quotes, problems = price_commands(code, prices, 0, start, path, self.context.catalog)
            self.problems.extend(problems)
            for quote in quotes:
                self.add(quote, path, {})

    def pool(self, pool_id: str, table: BaseModel) -> None:
        path: tuple[str | int, ...] = ("pools", pool_id)
        params = build(PoolParams, table, path, self.context)
        version: int = getattr(table, "version")  # noqa: B009 (a field of a derived model)
        if params is not None:
            created = CreatePool(pool_id, getattr(table, "template"), version, params, self.context.start_ns)  # noqa: B009
            paths = {**field_paths(PoolParams, path), "template_version": join_path(*path, "version")}
            self.add(created, join_path(*path), paths)
        for market_id, market_table in getattr(table, "markets").items():  # noqa: B009
            market_path = (*path, "markets", market_id)
            market = build(MarketParams, market_table, market_path, self.context, {"market": market_id})
            if market is not None:
                command = AddMarket(pool_id, market, self.context.start_ns)
                self.add(command, join_path(*market_path), field_paths(MarketParams, market_path))

    def portfolio_margin(self, raw: dict[str, Any]) -> None:
        """Compile ``[portfolio_margin]`` to ``ConfigurePortfolioMargin`` (the grid preset expanded)."""
        path: tuple[str | int, ...] = ("portfolio_margin",)
        table, problems = validate(model_for(PortfolioRule), expand_grid(raw, path, self.problems), path)
        self.problems.extend(problems)
        rule = build(PortfolioRule, table, path, self.context) if table is not None else None
        if rule is not None:
            paths = {f"rule.{name}": key for name, key in field_paths(PortfolioRule, path).items()}
            command = ConfigurePortfolioMargin(rule, self.context.start_ns)
            self.add(command, join_path(*path), {**field_paths(PortfolioRule, path), **paths})

    def funding(self, key: str, cls: type[Any], table: BaseModel, index: int) -> None:
        path = (key, index)
        command = build(cls, table, path, self.context, {"timestamp_ns": self.context.start_ns})
        self.add(command, join_path(*path), field_paths(cls, path))


def _section(data: Any, key: str, kind: type[Any]) -> Any:
    """Return a section of the raw file if it has the right shape (the root model reports it otherwise)."""
    found = data.get(key) if isinstance(data, dict) else None
    return found if isinstance(found, kind) else kind()


def _validated_parts(
    data: Any,
) -> tuple[VenueTables | None, dict[str, BaseModel], list[tuple[str, type[Any], BaseModel, int]], list[Problem]]:
    """Validate the root and, independently, every pool and funding entry: all problems at once."""
    tables, problems = validate(VenueTables, data)
    pools: dict[str, BaseModel] = {}
    funding: list[tuple[str, type[Any], BaseModel, int]] = []
    for pool_id, raw in _section(data, "pools", dict).items():
        if not isinstance(raw, dict):
            continue
        pool, found = validate(pool_table_model(), raw, ("pools", pool_id))
        problems.extend(found)
        if pool is not None:
            pools[pool_id] = pool
    for key, cls in _FUNDING:
        model = model_for(cls, frozenset({"timestamp_ns"}), script_defaults=True)
        for index, raw in enumerate(_section(data, key, list)):
            if not isinstance(raw, dict):
                continue
            entry, found = validate(model, raw, (key, index))
            problems.extend(found)
            if entry is not None:
                funding.append((key, cls, entry, index))
    return tables, pools, funding, problems


def compile_venue(data: Any, catalog: Catalog, source: str = "venue file") -> VenueProgram:
    """Validate a parsed venue file and compile it; the catalog learns what the venue defines.

    Raises
    ------
    VenueFileError
        Listing every problem found, each at its key path.
    """
    tables, pools, funding, problems = _validated_parts(data)
    if tables is None:
        raise VenueFileError(source, problems)
    start_ns = to_ns(tables.venue.start)
    admin = tables.venue.admin
    compiler = _Compiler(catalog, start_ns, admin)
    compiler.add(*_governance(tables, start_ns))
    compiler.listing(tables)
    for pool_id, raw in tables.pools.items():
        pool = pools.get(pool_id)
        if pool is None:
            _learn_invalid_pool(catalog, pool_id, raw)  # so its funding is checked without a cascade
        else:
            compiler.pool(pool_id, pool)
    if tables.portfolio_margin is not None:
        compiler.portfolio_margin(tables.portfolio_margin)
    compiler.add(OpenVenue(admin, start_ns), "venue.admin", {"admin": "venue.admin"})
    for key, cls, entry, index in funding:
        compiler.funding(key, cls, entry, index)
    if problems or compiler.problems:
        raise VenueFileError(source, [*problems, *compiler.problems])
    return VenueProgram(tables.venue.name, compiler.context.start_ns, tuple(compiler.commands), tables.venue.admin)


def _governance(tables: VenueTables, start_ns: int) -> tuple[ConfigureGovernance, str, dict[str, str]]:
    """Return the genesis's first command, ``ConfigureGovernance`` from ``[venue] admin`` and ``[governance]``."""
    settings = tables.governance
    command = ConfigureGovernance(
        tables.venue.admin, settings.timelock, settings.grace_period, settings.max_step, start_ns
    )
    paths = {
        "admin": "venue.admin",
        "timelock_ns": "governance.timelock",
        "grace_period_ns": "governance.grace_period",
        "max_step_wad": "governance.max_step",
    }
    return command, "venue.admin", paths


def _learn_invalid_pool(catalog: Catalog, pool_id: str, raw: dict[str, Any]) -> None:
    """Record what an invalid pool table still says about its quote and base assets."""
    if isinstance(raw.get("quote_asset"), str):
        catalog.pool_quote.setdefault(pool_id, raw["quote_asset"])
    markets = raw.get("markets")
    for market_id, market in markets.items() if isinstance(markets, dict) else ():
        if isinstance(market, dict) and isinstance(market.get("base_asset"), str):
            catalog.market_base.setdefault((pool_id, market_id), market["base_asset"])
