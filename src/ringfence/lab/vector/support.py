"""What the vectorised engine plays, and the scenario keys it refuses by name (never ignores)."""

from __future__ import annotations

from pathlib import Path

from ringfence.lab.errors import ScenarioError, ScenarioIssue
from ringfence.lab.results import LADDER_RUNGS
from ringfence.lab.scenario import Scenario

__all__ = ["check_vector_support"]


def _required(scenario: Scenario) -> list[ScenarioIssue]:
    missing = [name for name in ("venue", "population", "keepers") if getattr(scenario, name) is None]
    return [ScenarioIssue(name, "required by a stress run (docs/stress-model.md)") for name in missing]


def _unsupported(scenario: Scenario) -> list[ScenarioIssue]:
    issues = []
    if scenario.attacker is not None:
        issues.append(ScenarioIssue("attacker", "not supported by the vector engine; run the exact engine"))
    venue = scenario.venue
    if venue is None:
        return issues
    if venue.options:
        issues.append(
            ScenarioIssue(
                "venue.options",
                "option markets are played by the exact engine only (--engine exact; docs/stress-options.md)",
            )
        )
    if venue.pool.auto_deleverage:
        issues.append(
            ScenarioIssue("venue.pool.auto_deleverage", "true is not supported by the vector engine; set it to false")
        )
    if venue.pool.oracle_jump_breaker > 0.0:
        issues.append(
            ScenarioIssue("venue.pool.oracle_jump_breaker", "breakers are not supported by the vector engine; set 0")
        )
    for index, market in enumerate(venue.markets):
        model = getattr(market, "margin_model", None)
        if model not in (None, "flat"):
            issues.append(
                ScenarioIssue(
                    f"venue.markets[{index}].margin_model",
                    f"{model!r}: only the flat margin model is supported by the vector engine",
                )
            )
    return issues


def _design_issues(scenario: Scenario, isolation: str, margin_scale: float) -> list[ScenarioIssue]:
    issues = []
    if isolation not in LADDER_RUNGS:
        issues.append(ScenarioIssue("study.ladder", f"{isolation!r} is not a rung; rungs: {list(LADDER_RUNGS)}"))
    if not margin_scale > 0.0:
        issues.append(ScenarioIssue("study.margin_scales", f"{margin_scale!r} must be a number > 0"))
    return issues


def check_vector_support(scenario: Scenario, isolation: str, margin_scale: float) -> None:
    """Raise a :class:`ScenarioError` naming every key the vector engine cannot play as given.

    Refused: a missing ``venue``, ``population`` or ``keepers``; ``attacker``; ``venue.options``;
    ``venue.pool.auto_deleverage = true``; ``venue.pool.oracle_jump_breaker > 0``; a margin
    model other than flat; an unknown rung; a margin scale that is not positive.
    """
    issues = _required(scenario) + _unsupported(scenario) + _design_issues(scenario, isolation, margin_scale)
    if issues:
        raise ScenarioError(Path(f"<scenario {scenario.name}>"), tuple(issues))
