"""A portfolio-margin rule's table in a venue file or script: the grid written as columns or as a preset.

The rule (``PortfolioRule``, ``core/portfolio/rule.py``) is a nested table of the command
(``[portfolio_margin]`` in a venue file, ``[command.rule]`` / ``[command.change.rule]`` in a
script). Its grid is either three parallel arrays::

    spot_shocks = ["-16%", "-16%", "-16%", ..., "16%"]    # whole ppm (0.0001%)
    volatility_moves = ["up", "static", "down", ...]
    weights = ["100%", "100%", "100%", ...]

or the Deribit S:PM preset, expanded here by the core's own ``deribit_standard_scenarios``::

    grid = "deribit"          # ±price_range in 2·steps + 1 buckets × volatility up / same / down
    price_range = "16%"       # optional, default 16% (Deribit's BTC range)
    steps = 4                 # optional, default 4 (9 buckets)

Everything else is the rule's own fields in human units (``fields.py``).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ringfence.core.errors import InvalidParameter
from ringfence.core.portfolio.grid import deribit_standard_scenarios
from ringfence.service.venue.human import percent_ppm
from ringfence.service.venue.problems import Problem, join_path

__all__ = ["GRID_PRESETS", "expand_grid"]

GRID_PRESETS = ("deribit",)
_PRESET_KEYS = ("grid", "price_range", "steps")
_COLUMNS = ("spot_shocks", "volatility_moves", "weights")
_MOVES = {1: "up", 0: "static", -1: "down"}


def _percent(ppm: int) -> str:
    return f"{Decimal(ppm).scaleb(-4).normalize():f}%"


def expand_grid(raw: Any, path: tuple[str | int, ...], problems: list[Problem]) -> Any:
    """Return a rule table with a ``grid`` preset replaced by its three columns (other tables as given).

    A preset together with explicit columns, an unknown preset or a bad range or step count is a
    problem at its key path; the table is then returned without the preset keys, so the columns'
    own validation does not report a cascade.
    """
    if not isinstance(raw, dict) or "grid" not in raw:
        return raw
    table = {key: value for key, value in raw.items() if key not in _PRESET_KEYS}
    given = [key for key in _COLUMNS if key in raw]
    if given:
        problems.append(Problem(join_path(*path, "grid"), f"a preset grid or explicit {', '.join(given)}, not both"))
        return table
    if raw["grid"] not in GRID_PRESETS:
        message = f"{raw['grid']!r} is not a grid preset; one of {', '.join(GRID_PRESETS)} (or write the columns)"
        problems.append(Problem(join_path(*path, "grid"), message))
        return {**table, **dict.fromkeys(_COLUMNS, ())}
    try:
        price_range = percent_ppm(raw.get("price_range", "16%"))
    except ValueError as error:
        problems.append(Problem(join_path(*path, "price_range"), str(error)))
        return {**table, **dict.fromkeys(_COLUMNS, ())}
    steps = raw.get("steps", 4)
    try:
        shocks, moves, weights = deribit_standard_scenarios(price_range, steps)
    except InvalidParameter as error:
        key = "steps" if error.field == "steps" else "price_range"
        problems.append(Problem(join_path(*path, key), f"{raw.get(key)!r} is not accepted: expected {error.expected}"))
        return {**table, **dict.fromkeys(_COLUMNS, ())}
    return {
        **table,
        "spot_shocks": [_percent(s) for s in shocks],
        "volatility_moves": [_MOVES[m] for m in moves],
        "weights": [_percent(w) for w in weights],
    }
