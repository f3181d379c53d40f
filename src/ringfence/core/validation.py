"""Input validation shared by every ``decide``: explicit checks that raise the error tree.

:func:`check_field_types` runs before any rule: a command whose fields do not have their
declared types (a float or ``Decimal`` where atoms are expected, a string where an enum is)
is an :class:`InvalidAmount` / :class:`InvalidParameter`, never a fault inside a pool.
"""

from __future__ import annotations

import enum
import re
import types
import typing
from dataclasses import fields, is_dataclass
from typing import Any

from ringfence.core.errors import InvalidAmount, InvalidParameter
from ringfence.core.units import MAX_ATOMS, WAD

__all__ = [
    "MAX_SUB_ACCOUNTS",
    "check_account",
    "check_amount",
    "check_field_types",
    "check_int",
    "check_name",
    "check_ratio",
]

MAX_SUB_ACCOUNTS = 256
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$")
_HINTS: dict[type[Any], dict[str, Any]] = {}
_PLANS: dict[type[Any], tuple[tuple[str, Any, type[Any] | None], ...]] = {}


def check_name(field: str, value: str) -> None:
    """Accept 1-64 characters of letters, digits, '.', '_', ':' or '-'."""
    if not isinstance(value, str) or not _NAME.fullmatch(value):  # match() would let "$" pass a trailing newline
        raise InvalidParameter(field, value, "1-64 characters of letters, digits, '.', '_', ':' or '-'")


def check_int(field: str, value: int, low: int, high: int) -> None:
    """Accept an ``int`` (not a bool) in ``[low, high]``."""
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidParameter(field, value, f"an integer between {low} and {high}")


def check_amount(field: str, value: int) -> None:
    """Accept a whole number of atoms in ``[1, MAX_ATOMS]``."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= MAX_ATOMS:
        raise InvalidAmount(field, value, f"a whole number of atoms between 1 and {MAX_ATOMS}")


def check_ratio(field: str, value: int, low: int = 0, high: int = WAD) -> None:
    """Accept a WAD ratio in ``[low, high]``."""
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidAmount(field, value, f"a WAD ratio between {low} and {high}")


def check_account(owner_field: str, owner: str, sub_field: str, sub_account: int) -> tuple[str, int]:
    """Validate an owner name and sub-account index and return the account key."""
    check_name(owner_field, owner)
    check_int(sub_field, sub_account, 0, MAX_SUB_ACCOUNTS - 1)
    return (owner, sub_account)


def _hints(cls: type[Any]) -> dict[str, Any]:
    found = _HINTS.get(cls)
    if found is None:
        found = _HINTS[cls] = typing.get_type_hints(cls)
    return found


def _fits(value: Any, hint: Any) -> bool:
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):  # ``X | None``: None or a value that fits X
        return any(value is None if arg is type(None) else _fits(value, arg) for arg in typing.get_args(hint))
    if origin is tuple:
        item = typing.get_args(hint)[0]
        return isinstance(value, tuple) and all(_fits(v, item) for v in value)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if isinstance(hint, type) and (issubclass(hint, enum.Enum) or hint in (str, bool)):
        return isinstance(value, hint)
    if isinstance(hint, type) and is_dataclass(hint):
        return isinstance(value, hint)
    return True


def _plan(cls: type[Any]) -> tuple[tuple[str, Any, type[Any] | None], ...]:
    """Return, per field of ``cls``: its name, its hint and the one type that passes at a glance.

    That type is the hint itself when it is ``int``, ``str``, ``bool`` or an enum (and not a
    dataclass): a value of exactly that type fits the hint and holds no nested fields, so
    nothing more is checked. Any other value takes the full check of :func:`_check_field`.
    Computed once per class (the reflection is the expensive part).
    """
    found = _PLANS.get(cls)
    if found is None:
        hints = _hints(cls)
        steps = []
        for spec in fields(cls):
            hint = hints[spec.name]
            simple = isinstance(hint, type) and not is_dataclass(hint)
            exact = hint if simple and (hint in (int, str, bool) or issubclass(hint, enum.Enum)) else None
            steps.append((spec.name, hint, exact))
        found = _PLANS[cls] = tuple(steps)
    return found


def _check_field(name: str, value: Any, hint: Any) -> None:
    if not _fits(value, hint):
        expected = getattr(hint, "__name__", str(hint))
        error = InvalidAmount if hint is int else InvalidParameter
        raise error(name, value, f"a value of type {expected}")
    if is_dataclass(value) and not isinstance(value, type):
        check_field_types(value)


def check_field_types(command: Any) -> None:
    """Check every field of a command (and of nested parameter dataclasses) has its declared type."""
    for name, hint, exact in _plan(type(command)):
        value = getattr(command, name)
        if exact is None or type(value) is not exact:
            _check_field(name, value, hint)
