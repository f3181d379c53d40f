"""Generic mapping between a frozen dataclass of the core and a TOML table in human units.

Any parameter dataclass (``PoolParams``, ``MarketParams``, a nested policy) or command gets
a pydantic model derived from its fields, so fields added to the core appear in the file
format without touching this package. The field's name says its unit (STYLE: units in
names); the TOML key drops the unit suffix:

==================  =====================================  ===============================
field name          TOML value                             compiled to
==================  =====================================  ===============================
``x_wad``           ratio ``"10%"`` / ``"0.1"``; a price   WAD int (``parse_fixed``)
                    (``*price*``, ``confidence``,
                    ``strike``) as ``"4200.5"``; a smile's
                    ``a``, ``rho``, ``m`` may be negative
``x_atoms``         token amount ``"12.5"``                atoms of the field's asset
``shares``          LP shares ``"100"``                    atoms of the pool's quote asset
``x_value``         value ``"5000000"`` (USD)              value atoms (6 decimals)
``x_ns``            duration ``"30s"``, ``"1h"``           nanoseconds; ``timestamp_ns``,
                                                           ``published_ns`` and ``expiry_ns``
                                                           are instants, written as the time
                                                           after start
``x_seconds``       duration ``"1h"``                      whole seconds
grid ``x_ppm``      array of percentages ``["-16%", "0%"]``  whole parts per million (a
                                                           portfolio grid's shocks, weights)
``volatility_moves``  array of ``"up"``/``"static"``/``"down"``  1 / 0 / -1
``int``/``str``     TOML integer / string                  as is (strict: no coercion)
``bool``            TOML boolean                           as is
enum                its value string (``"isolated"``)      the enum member
tuple               TOML array                             tuple
dataclass           nested table                           the dataclass (recursively)
tuple of dataclass  array of tables                        a tuple of them
==================  =====================================  ===============================

A field with a default in the dataclass is optional in TOML (omitted: the default).
``x_atoms`` is in the units of: the market's (or series') base asset for base quantities (a
field with ``size`` in its name, or any amount of a dataclass with a ``base_asset`` or
``underlying`` field unless its name says ``notional``, ``margin`` or ``fee``); otherwise the
dataclass's own ``asset`` or ``quote_asset``, the quote asset of its ``pool`` (or
``lender_pool``), or the quote asset of the enclosing table. A portfolio bid's ``limit`` (signed:
negative, the bidder is paid) is in the portfolio rule's cash asset.
"""

from __future__ import annotations

import enum
import typing
from collections.abc import Mapping
from dataclasses import MISSING, dataclass, fields, is_dataclass
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictBool, StrictInt, StrictStr, create_model

from ringfence.core.errors import InvalidAmount
from ringfence.core.portfolio.commands import BidPortfolio
from ringfence.core.units import VALUE_DECIMALS
from ringfence.service.venue.catalog import Catalog
from ringfence.service.venue.human import (
    amount_text,
    atoms_of,
    duration_ns,
    duration_seconds,
    percent_ppm,
    price_wad,
    ratio_wad,
    signed_amount_text,
    signed_ratio_wad,
    volatility_move,
)
from ringfence.service.venue.problems import Problem, join_path

__all__ = [
    "SCRIPT_DEFAULTS",
    "BuildContext",
    "FieldSpec",
    "Kind",
    "build",
    "field_paths",
    "field_specs",
    "model_for",
    "toml_key",
]

_SUFFIXES = ("_wad", "_atoms", "_ns", "_seconds")
_GRID_PPM_FIELDS = frozenset({"spot_shocks_ppm", "weights_ppm"})
"""A portfolio grid's columns in ppm, written as percentages under keys without ``_ppm``
(other ``_ppm`` fields, a liquidation policy's, keep their key and integer form)."""
_INSTANT_FIELDS = frozenset({"timestamp_ns", "published_ns", "expiry_ns"})
_PRICE_FIELDS = frozenset({"confidence_wad", "strike_wad"})
_SIGNED_RATIO_FIELDS = frozenset({"a_wad", "rho_wad", "m_wad"})
"""A volatility smile's raw SVI parameters that may be negative (``PublishVolSurface``)."""
_SHARE_FIELDS = frozenset({"shares"})
_SIGNED_AMOUNT_FIELDS = frozenset({"limit_atoms"})
"""A portfolio bid's price limit: negative when the bidder is to be paid (``BidPortfolio``)."""
_CASH_AMOUNT_CLASSES: frozenset[type[Any]] = frozenset({BidPortfolio})
"""Commands whose amounts are in the portfolio rule's cash asset (they name no asset or pool)."""
_NOT_BASE_WORDS = ("notional", "margin", "fee")

SCRIPT_DEFAULTS: Mapping[str, Any] = {
    "sub_account": 0,
    "keeper_sub_account": 0,
    "bidder_sub_account": 0,
    "margin_atoms": "0",
    "limit_price_wad": "0",
    "confidence_wad": "0",
}
"""Command fields whose zero means "none": optional in a file even though the command has no default."""


class Kind(enum.Enum):
    """How a field is written in TOML and compiled."""

    RATIO = "ratio"
    SIGNED_RATIO = "signed ratio"
    PRICE = "price"
    AMOUNT = "amount"
    SIGNED_AMOUNT = "signed amount"
    SHARES = "shares"
    VALUE = "value"
    DURATION = "duration"
    INSTANT = "instant"
    SECONDS = "seconds"
    PPM_TUPLE = "ppm tuple"
    VOLATILITY_MOVES = "volatility moves"
    PLAIN = "plain"
    NESTED = "nested"
    NESTED_TUPLE = "nested tuple"


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One dataclass field: its TOML key, kind, type and whether it may be omitted."""

    name: str
    key: str
    kind: Kind
    hint: Any
    has_default: bool


def toml_key(name: str) -> str:
    """Return the TOML key of a field: its name without the unit suffix."""
    if name in _GRID_PPM_FIELDS:
        return name.removesuffix("_ppm")
    for suffix in _SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return name


def _int_kind(name: str) -> Kind:
    if name.endswith("_wad"):
        if name in _SIGNED_RATIO_FIELDS:
            return Kind.SIGNED_RATIO
        return Kind.PRICE if "price" in name or name in _PRICE_FIELDS else Kind.RATIO
    if name.endswith("_atoms"):
        return Kind.SIGNED_AMOUNT if "delta" in name or name in _SIGNED_AMOUNT_FIELDS else Kind.AMOUNT
    if name in _SHARE_FIELDS:
        return Kind.SHARES
    if name.endswith("_value"):
        return Kind.VALUE
    if name.endswith("_ns"):
        return Kind.INSTANT if name in _INSTANT_FIELDS else Kind.DURATION
    if name.endswith("_seconds"):
        return Kind.SECONDS
    return Kind.PLAIN


def _is_dataclass_type(hint: Any) -> bool:
    return isinstance(hint, type) and is_dataclass(hint)


def _kind(name: str, hint: Any) -> Kind:
    if _is_dataclass_type(hint):
        return Kind.NESTED
    if typing.get_origin(hint) is tuple and _is_dataclass_type(typing.get_args(hint)[0]):
        return Kind.NESTED_TUPLE
    if hint is int or hint == int | None:
        return _int_kind(name)
    if hint == tuple[int, ...] and name in _GRID_PPM_FIELDS:
        return Kind.PPM_TUPLE
    if hint == tuple[int, ...] and name == "volatility_moves":
        return Kind.VOLATILITY_MOVES
    return Kind.PLAIN


_SPECS: dict[type[Any], tuple[FieldSpec, ...]] = {}
_MODELS: dict[tuple[type[Any], frozenset[str], bool], type[BaseModel]] = {}


def field_specs(cls: type[Any]) -> tuple[FieldSpec, ...]:
    """Return the field specs of a dataclass (TOML keys must be unique)."""
    cached = _SPECS.get(cls)
    if cached is not None:
        return cached
    hints = typing.get_type_hints(cls)
    specs = tuple(
        FieldSpec(
            spec.name,
            toml_key(spec.name),
            _kind(spec.name, hints[spec.name]),
            hints[spec.name],
            spec.default is not MISSING or spec.default_factory is not MISSING,
        )
        for spec in fields(cls)
    )
    keys = [spec.key for spec in specs]
    duplicates = {key for key in keys if keys.count(key) > 1}
    if duplicates:
        raise TypeError(f"{cls.__name__}: fields map to the same TOML key(s) {sorted(duplicates)}")
    _SPECS[cls] = specs
    return specs


_ANNOTATIONS: dict[Kind, Any] = {
    Kind.RATIO: Annotated[int, BeforeValidator(ratio_wad)],
    Kind.SIGNED_RATIO: Annotated[int, BeforeValidator(signed_ratio_wad)],
    Kind.PRICE: Annotated[int, BeforeValidator(price_wad)],
    Kind.AMOUNT: Annotated[str, BeforeValidator(amount_text)],
    Kind.SHARES: Annotated[str, BeforeValidator(amount_text)],
    Kind.VALUE: Annotated[str, BeforeValidator(amount_text)],
    Kind.SIGNED_AMOUNT: Annotated[str, BeforeValidator(signed_amount_text)],
    Kind.DURATION: Annotated[int, BeforeValidator(duration_ns)],
    Kind.INSTANT: Annotated[int, BeforeValidator(duration_ns)],
    Kind.SECONDS: Annotated[int, BeforeValidator(duration_seconds)],
    Kind.PPM_TUPLE: tuple[Annotated[int, BeforeValidator(percent_ppm)], ...],
    Kind.VOLATILITY_MOVES: tuple[Annotated[int, BeforeValidator(volatility_move)], ...],
}
_PLAIN: dict[Any, Any] = {int: StrictInt, str: StrictStr, bool: StrictBool}


def _item(spec: FieldSpec) -> type[Any]:
    """Return the dataclass of a ``tuple[Item, ...]`` field."""
    item: type[Any] = typing.get_args(spec.hint)[0]
    return item


def _annotation(spec: FieldSpec, script_defaults: bool) -> Any:
    if spec.kind is Kind.NESTED:
        return model_for(spec.hint, script_defaults=script_defaults)
    if spec.kind is Kind.NESTED_TUPLE:
        return tuple[model_for(_item(spec), script_defaults=script_defaults), ...]  # type: ignore[misc]
    if spec.kind is not Kind.PLAIN:
        return _ANNOTATIONS[spec.kind]
    if typing.get_origin(spec.hint) is tuple:
        item = typing.get_args(spec.hint)[0]
        return tuple[_PLAIN.get(item, item), ...]  # type: ignore[misc]
    return _PLAIN.get(spec.hint, spec.hint)


def model_for(cls: type[Any], omit: frozenset[str] = frozenset(), *, script_defaults: bool = False) -> type[BaseModel]:
    """Return the pydantic model of a dataclass's TOML table (``omit``: fields given by the context).

    With ``script_defaults`` the fields of :data:`SCRIPT_DEFAULTS` are optional too, and so are
    instants (``published_ns``: omitted, the command's own time).
    """
    cached = _MODELS.get((cls, omit, script_defaults))
    if cached is not None:
        return cached
    definitions: dict[str, Any] = {}
    for spec in field_specs(cls):
        if spec.name in omit:
            continue
        annotation = _annotation(spec, script_defaults)
        if spec.has_default or (script_defaults and spec.kind is Kind.INSTANT):
            definitions[spec.key] = (annotation | None, None)
        elif script_defaults and spec.name in SCRIPT_DEFAULTS:
            definitions[spec.key] = (annotation, Field(default=SCRIPT_DEFAULTS[spec.name], validate_default=True))
        else:
            definitions[spec.key] = (annotation, ...)
    config = ConfigDict(extra="forbid", frozen=True)
    model: type[BaseModel] = create_model(f"{cls.__name__}Table", __config__=config, **definitions)
    _MODELS[(cls, omit, script_defaults)] = model
    return model


def field_paths(cls: type[Any], path: tuple[str | int, ...]) -> dict[str, str]:
    """Return ``field name → key path`` for a dataclass table at ``path`` (nested fields too).

    Nested fields appear as ``outer.inner`` and, when unambiguous, as ``inner``: an engine
    error names the field it checked, and this finds its key in the file.
    """
    found: dict[str, str] = {}
    nested: dict[str, str] = {}
    for spec in field_specs(cls):
        found[spec.name] = join_path(*path, spec.key)
        if spec.kind is Kind.NESTED:
            for inner, inner_path in field_paths(spec.hint, (*path, spec.key)).items():
                found[f"{spec.name}.{inner}"] = inner_path
                nested.setdefault(inner, inner_path)
    return {**nested, **found}


@dataclass(slots=True)
class BuildContext:
    """What compiling a table needs: the catalog, the start time, and where problems go."""

    catalog: Catalog
    start_ns: int
    problems: list[Problem]


def _amount_asset(cls: type[Any], name: str, raw: Mapping[str, Any], catalog: Catalog, inherited: str | None) -> Any:
    if cls in _CASH_AMOUNT_CLASSES:
        return catalog.portfolio_cash
    own = {spec.name for spec in field_specs(cls)}
    based = "base_asset" in own or "underlying" in own
    base_like = "size" in name or (based and not any(word in name for word in _NOT_BASE_WORDS))
    if base_like and name not in _SHARE_FIELDS:
        for key in ("base_asset", "underlying"):
            if key in raw:
                return raw[key]
        return catalog.market_base.get((raw.get("pool", ""), raw.get("market", raw.get("series", ""))))
    for key in ("asset", "quote_asset"):
        if key in raw:
            return raw[key]
    for key in ("pool", "lender_pool"):  # a credit line's cap is in its lender pool's quote asset
        if key in raw:
            return catalog.pool_quote.get(raw[key])
    return inherited


def _convert(
    spec: FieldSpec, value: Any, path: str, asset: Any, context: BuildContext, decimals_of: Mapping[str, int]
) -> Any:
    """Compile one human value to its integer, or record a problem and return None."""
    if spec.kind is Kind.INSTANT:
        return context.start_ns + value
    if spec.kind not in (Kind.AMOUNT, Kind.SIGNED_AMOUNT, Kind.SHARES, Kind.VALUE):
        return value
    decimals = VALUE_DECIMALS if spec.kind is Kind.VALUE else decimals_of.get(asset)
    if decimals is None:
        reason = f"asset {asset!r} is not listed" if asset is not None else "its pool or market is not defined"
        if asset is None and spec.name in _SIGNED_AMOUNT_FIELDS:
            reason = "the venue has no portfolio-margin rule (ConfigurePortfolioMargin names its cash asset)"
        context.problems.append(Problem(path, f"cannot tell this amount's decimals: {reason}"))
        return None
    try:
        return atoms_of(value, decimals, path)
    except InvalidAmount as error:
        context.problems.append(Problem(path, f"{value!r} is not accepted: expected {error.expected}"))
        return None


def build(
    cls: type[Any],
    table: BaseModel,
    path: tuple[str | int, ...],
    context: BuildContext,
    given: Mapping[str, Any] | None = None,
    inherited_asset: str | None = None,
) -> Any:
    """Compile a validated table into an instance of ``cls``; None (with problems recorded) if it cannot.

    ``given`` supplies the fields the table does not hold (a market's id from its key, a
    command's timestamp); ``inherited_asset`` is the enclosing table's quote asset.
    """
    specs = field_specs(cls)
    raw: dict[str, Any] = dict(given or {})
    pending: list[FieldSpec] = []
    for spec in specs:
        if spec.name in raw:
            continue
        value = getattr(table, spec.key)
        if value is None and spec.has_default:
            continue
        if value is None and spec.kind is Kind.INSTANT:
            raw[spec.name] = raw.get("timestamp_ns", context.start_ns)  # an omitted instant: the command's time
        elif spec.kind is Kind.PLAIN:
            raw[spec.name] = value
        else:
            pending.append(spec)
    failed = False
    own_asset = _amount_asset(cls, "", raw, context.catalog, inherited_asset)
    decimals_of = dict(context.catalog.decimals)
    if isinstance(raw.get("asset"), str) and isinstance(raw.get("decimals"), int):
        decimals_of.setdefault(raw["asset"], raw["decimals"])  # a listing's own amounts use its decimals
    for spec in pending:
        value = getattr(table, spec.key)
        if spec.kind is Kind.NESTED:
            converted = build(spec.hint, value, (*path, spec.key), context, None, own_asset)
        elif spec.kind is Kind.NESTED_TUPLE:
            items = [build(_item(spec), v, (*path, spec.key, i), context, None, own_asset) for i, v in enumerate(value)]
            converted = None if None in items else tuple(items)
        else:
            asset = _amount_asset(cls, spec.name, raw, context.catalog, inherited_asset)
            converted = _convert(spec, value, join_path(*path, spec.key), asset, context, decimals_of)
        failed = failed or converted is None
        raw[spec.name] = converted
    return None if failed else cls(**raw)
