"""The assumptions a study rests on: each calibrated or chosen value of a scenario with its source.

The report prints them as a table, so a reader can see which numbers drive the results and
where each came from.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePath
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ringfence.lab.scenario import Scenario

__all__ = ["SCENARIO_SECTIONS", "STATISTICS_ASSUMPTIONS", "Assumption", "scenario_assumptions"]


@dataclass(frozen=True, slots=True)
class Assumption:
    """One value a study assumes.

    Attributes
    ----------
    name:
        What it is, with its market when it has one (``"BTC depth (USD for 1σ daily move)"``).
    value:
        As printed (with its unit).
    source:
        Where it comes from: a calibration (file, window, command) or a cited document and date;
        ``"chosen"`` with the reason when it is a modelling choice.
    """

    name: str
    value: str
    source: str


SCENARIO_SECTIONS = ("price", "oracle", "venue", "population", "keepers", "liquidity", "liquidity_providers")
"""The scenario sections whose values a study assumes (identity, seed, horizon and study plan are not assumptions)."""


def _flatten(prefix: str, value: object) -> list[tuple[str, str]]:
    """Return ``(key path, printed value)`` for every scalar or list of scalars under ``value``."""
    if isinstance(value, dict):
        return [pair for key, item in value.items() for pair in _flatten(f"{prefix}.{key}", item)]
    if isinstance(value, list) and value and all(isinstance(item, dict) for item in value):
        return [pair for index, item in enumerate(value) for pair in _flatten(f"{prefix}[{index}]", item)]
    if value is None:
        return []
    if prefix.endswith(".csv"):  # a file: its name only (results hold no machine's paths)
        return [(prefix, PurePath(str(value)).name)]
    return [(prefix, f"{value:g}" if isinstance(value, float) else str(value))]


def scenario_assumptions(scenario: Scenario) -> tuple[Assumption, ...]:
    """Return every value of the scenario's model sections, then the statistics' own settings.

    A scenario value's source is the scenario file (its ``sources`` list cites where the values come
    from); a calibrated value that carries its own source and date shows it as its own key.
    """
    data = scenario.model_dump(mode="json")
    source = f"scenario {scenario.name} (see its sources)"
    rows = [
        Assumption(name, value, source)
        for section in SCENARIO_SECTIONS
        for name, value in _flatten(section, data.get(section))
    ]
    return (*rows, *STATISTICS_ASSUMPTIONS)


STATISTICS_ASSUMPTIONS = (
    Assumption("confidence level of every interval", "95%", "chosen: the convention of risk reports"),
    Assumption(
        "interval of a mean",
        "percentile bootstrap, 2000 resamples, fixed seed",
        "chosen: defined when all runs but one are equal (BCa is not); docs/stress-model.md",
    ),
    Assumption(
        "interval of a percentile (VaR95, EVaR99, LaR95)",
        "exact order-statistic interval (binomial)",
        "David and Nagaraja, Order Statistics (2003) §7.1; Hahn and Meeker, Statistical Intervals (1991) §5.2",
    ),
    Assumption(
        "contagion materiality threshold",
        "max($100, 1e-6 × LP capital)",
        "chosen: far above float rounding dust, far below a loss a committee weighs; docs/stress-model.md",
    ),
)
"""The statistics' settings, each a choice stated with its reason."""
