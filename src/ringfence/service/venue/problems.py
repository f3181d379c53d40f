"""Problems found in a venue or script file, each named by its key path.

A key path joins TOML keys with dots and list positions with ``[i]`` (0-based), e.g.
``pools.eth.markets.ETH-PERP.initial_margin`` or ``command[3].amount``; a key that is not a
bare TOML key is quoted (``pools."a.b"``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from ringfence.core.errors import InvalidCommand, RingfenceError

__all__ = ["Problem", "VenueFileError", "join_path", "validate"]

M = TypeVar("M", bound=BaseModel)
_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")
_PREFIXES = ("Value error, ", "Assertion failed, ")


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a file, at a key path."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class VenueFileError(InvalidCommand):
    """A venue or script file is invalid (nothing was executed), or the venue refused part of it.

    ``problems`` lists every problem found, each with its key path; ``cause`` is the engine's
    rejection when the file was well-formed but the venue refused one of its commands.
    """

    code = "invalid_venue_file"

    def __init__(self, source: str, problems: Sequence[Problem], cause: RingfenceError | None = None) -> None:
        lines = "\n".join(f"  {problem}" for problem in problems)
        super().__init__(f"{source} is invalid, nothing was executed:\n{lines}")
        self.source = source
        self.problems = tuple(problems)
        self.cause = cause


def join_path(*parts: str | int) -> str:
    """Join keys and list positions into a key path."""
    path = ""
    for part in parts:
        if isinstance(part, int):
            path += f"[{part}]"
            continue
        key = part if _BARE_KEY.match(part) else '"' + part.replace('"', '\\"') + '"'
        path = f"{path}.{key}" if path else key
    return path


def _message(error: Any) -> str:
    message = str(error["msg"])
    for prefix in _PREFIXES:
        if message.startswith(prefix):
            return message[len(prefix) :]
    if error["type"] == "extra_forbidden":
        return "unknown key"
    if error["type"] == "missing":
        return "required key is missing"
    return f"{message} (got {error['input']!r})"


def validate(model: type[M], data: Any, prefix: Sequence[str | int] = ()) -> tuple[M | None, list[Problem]]:
    """Validate ``data`` against a pydantic model; return the instance or the problems, by key path."""
    try:
        return model.model_validate(data), []
    except ValidationError as error:
        problems = [Problem(join_path(*prefix, *item["loc"]), _message(item)) for item in error.errors()]
        return None, problems
