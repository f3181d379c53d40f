"""Run a scenario's whole stress study: the design itself, the isolation ladder, the margin sweep, keeper latencies.

Every design plays the same paths, the same population (per margin scale) and the same draws,
so differences between rungs come from the design alone. Each distinct design is run once and
reused (the ladder's rung at scale 1 is also a frontier point).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ringfence.lab.containment import containment_variants
from ringfence.lab.exact.population import draw_population, draw_uniforms
from ringfence.lab.exact.runner import run_exact
from ringfence.lab.metrics import summarise
from ringfence.lab.results import EngineName, IsolationLevel, RunResult
from ringfence.lab.sample import sample_paths
from ringfence.lab.scenario import Scenario
from ringfence.lab.scenario_agents import Keepers
from ringfence.lab.study import (
    ContainmentRow,
    NoProgress,
    Progress,
    SectionEngines,
    StudyResult,
    containment_row,
    frontier_point,
    keeper_sweep_point,
    ladder_row,
)
from ringfence.lab.vector import run_vector

__all__ = ["DesignKey", "StudyRuns", "build_study", "collect_runs", "designs_of", "run_study"]


@dataclass(frozen=True, slots=True)
class DesignKey:
    """One design: a rung, a margin scale and a keeper latency (``None``: the scenario's own)."""

    isolation: IsolationLevel
    margin_scale: float
    keeper_latency_seconds: int | None = None


@dataclass(slots=True)
class StudyRuns:
    """Every design's runs, one per path, and which design is the scenario's own."""

    scenario: Scenario
    engine: EngineName
    own: DesignKey
    runs: dict[DesignKey, tuple[RunResult, ...]] = field(default_factory=dict)
    containment: dict[str, tuple[RunResult, ...]] = field(default_factory=dict)
    """Per mechanism switched off (:mod:`ringfence.lab.containment`): the own design's runs."""


def designs_of(scenario: Scenario) -> list[DesignKey]:
    """Return the designs a study plays, the scenario's own first, each once."""
    if scenario.venue is None:
        raise ValueError("a stress study needs a [venue] section")
    own = DesignKey(scenario.venue.isolation, 1.0)
    keys = [own]
    keys += [DesignKey(rung, 1.0) for rung in scenario.study.ladder]
    keys += [DesignKey(rung, scale) for rung in scenario.study.ladder for scale in scenario.study.margin_scales]
    keys += [DesignKey(own.isolation, 1.0, latency) for latency in scenario.study.keeper_latencies_seconds]
    return list(dict.fromkeys(keys))


def _with_latency(scenario: Scenario, latency: int | None) -> Scenario:
    if latency is None or scenario.keepers is None:
        return scenario
    keepers = Keepers.model_validate({**scenario.keepers.model_dump(), "latency_seconds": latency})
    return scenario.model_copy(update={"keepers": keepers})


def collect_runs(
    scenario: Scenario,
    *,
    engine: EngineName = "exact",
    runs: int | None = None,
    progress: Progress | None = None,
) -> StudyRuns:
    """Play every design of the study on ``runs`` paths (the scenario's ``runs`` by default).

    ``engine="vector"`` plays all paths of a design at once in float64 arrays; it refuses, naming
    the key, a scenario feature it does not model (``ringfence.lab.vector.check_vector_support``).

    Raises
    ------
    ValueError
        The scenario lacks the sections a stress run needs.
    ScenarioError
        The vector engine does not model a feature the scenario uses.
    """
    paths = sample_paths(scenario, n_paths=runs)
    n_paths = paths.market.shape[1]
    keys = designs_of(scenario)
    books = {scale: draw_population(scenario, scale) for scale in sorted({key.margin_scale for key in keys})}
    width = len(next(iter(books.values())).position_trader)
    draws = draw_uniforms(scenario, n_paths, width)
    ticker = NoProgress() if progress is None else progress
    variants = [(v.mechanism, v.scenario) for v in containment_variants(scenario) if v.scenario is not None]
    variants = variants if engine == "exact" else []
    ticker.start((len(keys) + len(variants)) * n_paths)
    study = StudyRuns(scenario, engine, keys[0])
    for key in keys:
        played = _with_latency(scenario, key.keeper_latency_seconds)
        book = books[key.margin_scale]
        if engine == "vector":
            study.runs[key] = run_vector(played, paths, book, draws, key.isolation, key.margin_scale)
            ticker.advance(n_paths)
            continue
        results = []
        for index in range(n_paths):
            results.append(run_exact(played, paths, book, draws[index], key.isolation, key.margin_scale, index))
            ticker.advance()
        study.runs[key] = tuple(results)
    for mechanism, variant in variants:
        rung = keys[0].isolation if variant.venue is None else variant.venue.isolation
        study.containment[mechanism] = tuple(
            run_exact(variant, paths, books[1.0], draws[index], rung, 1.0, index) for index in range(n_paths)
        )
        ticker.advance(n_paths)
    ticker.close()
    return study


def _containment(collected: StudyRuns) -> tuple[ContainmentRow, ...]:
    """Return the own design's row, then one per mechanism (the own figures where a mechanism is not in use)."""
    if not collected.containment:
        return ()
    own = summarise(collected.runs[collected.own])
    rows = [containment_row("none", "the scenario file's parameters", False, own)]
    for variant in containment_variants(collected.scenario):
        runs = collected.containment.get(variant.mechanism)
        summary = own if runs is None else summarise(runs)
        rows.append(containment_row(variant.mechanism, variant.change, runs is not None, summary))
    return tuple(rows)


def build_study(collected: StudyRuns) -> StudyResult:
    """Summarise every design's runs into the study the report and the JSON show."""
    scenario, runs = collected.scenario, collected.runs
    study = scenario.study
    ladder = tuple(ladder_row(rung, 1.0, runs[DesignKey(rung, 1.0)]) for rung in study.ladder)
    frontier = tuple(
        frontier_point(rung, scale, ladder_row(rung, scale, runs[DesignKey(rung, scale)]).summary)
        for rung in study.ladder
        for scale in sorted(study.margin_scales)
    )
    own = collected.own
    sweep = tuple(
        keeper_sweep_point(
            latency, ladder_row(own.isolation, 1.0, runs[DesignKey(own.isolation, 1.0, latency)]).summary
        )
        for latency in sorted(study.keeper_latencies_seconds)
    )
    return StudyResult(
        scenario_name=scenario.name,
        description=scenario.description,
        sources=tuple(scenario.sources),
        seed=scenario.seed,
        engines=SectionEngines.uniform(collected.engine),
        runs_per_design=len(runs[own]),
        base=runs[own],
        ladder=ladder,
        frontier=frontier,
        keeper_sweep=sweep,
        containment=_containment(collected),
    )


def run_study(
    scenario: Scenario, *, engine: EngineName = "exact", runs: int | None = None, progress: Progress | None = None
) -> StudyResult:
    """Play and summarise a scenario's whole study."""
    return build_study(collect_runs(scenario, engine=engine, runs=runs, progress=progress))
