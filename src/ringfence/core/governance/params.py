"""Integer parameter paths, template bounds and the bounded step of one governance change.

A parameter is named by a dotted path into a frozen parameter dataclass: ``reserve_factor_wad``
in ``PoolParams``, or ``liquidation.target_health_wad`` when a field is itself a frozen
dataclass. Only fields annotated ``int`` are governable; strings (assets, names), enums and
bools are refused. The paths are discovered from the dataclass annotations, so a field added
later is covered without touching this module.

The bounded step (SPEC §2.5)
----------------------------
One change may move a value ``v`` by at most

- ``ceil(|v| · max_step_wad / WAD)`` when ``v ≠ 0`` (rounded up so that any non-zero value
  can move by at least one unit; the excess over the exact relative bound is under one unit);
- ``ceil((maximum − minimum) · max_step_wad / WAD)`` when ``v = 0`` and the pool's template
  version bounds the field: a zero has no scale of its own, so the registered range gives it;
- nothing when ``v = 0`` and no bound exists: the change is refused, and the way forward is a
  template version that bounds the field.
"""

from __future__ import annotations

import typing
from dataclasses import fields, is_dataclass, replace
from typing import Any, TypeVar

from ringfence.core.errors import InvalidParameter
from ringfence.core.governance.state import ParameterBound, TemplateBounds
from ringfence.core.units import WAD, Rounding, mul_div

__all__ = [
    "check_within_bounds",
    "integer_paths",
    "read_path",
    "replace_path",
    "require_integer_path",
    "step_allowance",
]

P = TypeVar("P")
_HINTS: dict[type[Any], dict[str, Any]] = {}


def _hints(cls: type[Any]) -> dict[str, Any]:
    found = _HINTS.get(cls)
    if found is None:
        found = _HINTS[cls] = typing.get_type_hints(cls)
    return found


def _is_nested(hint: Any) -> bool:
    return isinstance(hint, type) and is_dataclass(hint)


def integer_paths(cls: type[Any]) -> tuple[str, ...]:
    """Return every governable path of a parameter dataclass, nested dataclasses included, in field order."""
    paths: list[str] = []
    hints = _hints(cls)
    for spec in fields(cls):
        hint = hints[spec.name]
        if hint is int:
            paths.append(spec.name)
        elif _is_nested(hint):
            paths.extend(f"{spec.name}.{inner}" for inner in integer_paths(hint))
    return tuple(paths)


def require_integer_path(cls: type[Any], path: str, field: str = "field") -> None:
    """Raise :class:`InvalidParameter` unless ``path`` names an ``int`` field of ``cls``."""
    if not isinstance(path, str) or path not in integer_paths(cls):
        raise InvalidParameter(field, path, f"an integer field of {cls.__name__}: {', '.join(integer_paths(cls))}")


def read_path(params: object, path: str) -> int:
    """Return the integer at ``path`` of a parameter dataclass instance."""
    value: Any = params
    for name in path.split("."):
        value = getattr(value, name)
    if not isinstance(value, int) or isinstance(value, bool):
        raise InvalidParameter("field", path, "a path to an integer field")
    return value


def replace_path(params: P, path: str, value: int) -> P:
    """Return a copy of ``params`` with the integer at ``path`` set to ``value`` (nested copies too)."""
    head, _, rest = path.partition(".")
    if not rest:
        return replace(params, **{head: value})  # type: ignore[type-var]
    inner = getattr(params, head)
    return replace(params, **{head: replace_path(inner, rest, value)})  # type: ignore[type-var]


def step_allowance(old_value: int, bound: ParameterBound | None, max_step_wad: int) -> int | None:
    """Return the largest move one change may make from ``old_value``; ``None`` if it has no scale.

    See the module docstring for the rule.
    """
    if old_value != 0:
        return mul_div(abs(old_value), max_step_wad, WAD, Rounding.UP)
    if bound is None:
        return None
    return mul_div(bound.maximum - bound.minimum, max_step_wad, WAD, Rounding.UP)


def check_within_bounds(params: object, scope: str, bounds: TemplateBounds, label: str) -> None:
    """Raise :class:`InvalidParameter` if a field of ``params`` lies outside a ``scope.*`` bound.

    ``label`` names the template version in the message (``perp v2``).
    """
    prefix = f"{scope}."
    for path, bound in bounds.items():
        if not path.startswith(prefix):
            continue
        value = read_path(params, path.removeprefix(prefix))
        if not bound.minimum <= value <= bound.maximum:
            raise InvalidParameter(
                path, value, f"between {bound.minimum} and {bound.maximum} (bounds of template {label})"
            )
