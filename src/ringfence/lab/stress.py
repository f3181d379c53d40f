"""Run a scenario's whole stress study: the design itself, the isolation ladder, the margin sweep, keeper latencies.

Every design plays the same paths, the same population (per margin scale) and the same draws,
so differences between rungs come from the design alone. Each distinct design is run once and
reused (the ladder's rung at scale 1 is also a frontier point).

A scenario of random price processes draws one population and a path per run. A replay of a fixed
path (:func:`ringfence.lab.sample.fixed_path`: historical or event template) plays the same path on
every run, each run with its own population draw and its own uniforms (keepers' success, top-ups):
``--runs N`` plays N runs that differ by who trades and how keepers fare, and by nothing else (no
price noise is added to the recorded path). The vector engine plays them at once when every
population has the same layout (every trader in every market, as in a single-asset replay), else
one call per run.

The sensitivity section (:mod:`ringfence.lab.sensitivity`) plays the scenario's own design on the
vector engine with one input moved at a time.

Where the work runs is a port (:mod:`ringfence.lab.execution`): every design is played in fixed
chunks of paths (:func:`~ringfence.lab.execution.chunk_ranges`), one task per design and chunk, on
this process, local processes or Ray. The paths, populations and uniforms are drawn here, once, from
the seed, and each task plays its slice, so the results do not depend on the backend or the workers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from ringfence.core.errors import InvalidParameter
from ringfence.lab.assumptions import Assumption, scenario_assumptions
from ringfence.lab.confirm import confirm_design
from ringfence.lab.containment import containment_variants
from ringfence.lab.credit_comparison import CreditLineComparison, compare_credit_lines
from ringfence.lab.errors import ScenarioError, ScenarioIssue
from ringfence.lab.estimate import Estimate, mean_estimate
from ringfence.lab.exact.population import Draws, DrawSet, TraderBook, draw_population, draw_uniforms
from ringfence.lab.exact.runner import run_exact
from ringfence.lab.execution import DEFAULT_CHUNK_PATHS, Backend, LocalBackend, chunk_ranges
from ringfence.lab.metrics import protocol_losses, summarise
from ringfence.lab.options_results import OptionRun, summarise_options
from ringfence.lab.predictive import run_predictive
from ringfence.lab.predictive_metrics import PredictiveResult
from ringfence.lab.results import EngineName, IsolationLevel, RunResult
from ringfence.lab.sample import ScenarioPaths, fixed_path, sample_paths
from ringfence.lab.scenario import Scenario
from ringfence.lab.scenario_agents import Keepers
from ringfence.lab.sensitivity import Skipped, sensitivity_variants
from ringfence.lab.study import (
    Confirmation,
    ContainmentRow,
    NoProgress,
    Progress,
    SectionEngines,
    SensitivityBar,
    StudyResult,
    containment_row,
    frontier_point,
    keeper_sweep_point,
    ladder_row,
)
from ringfence.lab.vector import check_vector_support, run_vector

FloatArray = NDArray[np.float64]

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
"""The statistics' settings, each a choice stated with its reason (after the scenario's assumptions)."""

__all__ = [
    "STATISTICS_ASSUMPTIONS",
    "DesignKey",
    "Sensitivity",
    "StudyInputs",
    "StudyRuns",
    "build_study",
    "check_study_inputs",
    "collect_runs",
    "confirm_study",
    "designs_of",
    "frontier_designs",
    "run_sensitivity",
    "run_study",
    "static_margins",
]


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
    static_margins: dict[DesignKey, tuple[RunResult, ...]] = field(default_factory=dict)
    """With dynamic margins on: each frontier design's runs with the risk model off (static rates)."""
    paths: ScenarioPaths | None = None
    books: dict[float, tuple[TraderBook, ...]] = field(default_factory=dict)
    draws: Sequence[Draws] = ()


@dataclass(frozen=True, slots=True, eq=False)
class StudyInputs:
    """What every task of a study slices: the paths, the population per margin scale and the uniforms.

    Drawn once from the seed by the caller and shared with the workers (the backends' shared value).
    """

    paths: ScenarioPaths
    books: dict[float, tuple[TraderBook, ...]]
    draws: DrawSet


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


def frontier_designs(scenario: Scenario) -> list[DesignKey]:
    """Return the frontier's designs: every rung at every margin scale, in the frontier's order."""
    study = scenario.study
    return [DesignKey(rung, scale) for rung in study.ladder for scale in sorted(study.margin_scales)]


def static_margins(scenario: Scenario) -> Scenario | None:
    """Return the scenario with its risk model off (``[venue.dynamic_margin]`` removed), or None if it has none."""
    venue = scenario.venue
    if venue is None or venue.dynamic_margin is None:
        return None
    return scenario.model_copy(update={"venue": venue.model_copy(update={"dynamic_margin": None})})


def check_study_inputs(scenario: Scenario) -> None:
    """Refuse, naming the key, a study input the engines would otherwise cap silently.

    Both engines cap a market's initial margin at 100% and a pool's liquidation penalty at its
    lowest maintenance margin (``lab/exact/layout.py``, ``lab/vector/design.py``). A margin scale
    that lifts an initial margin to 100% or more, or a penalty above a maintenance margin after
    scaling, would be played as a different venue than the file says.

    Raises
    ------
    ScenarioError
        Naming ``study.margin_scales`` or ``venue.pool.liquidation_penalty``.
    """
    venue = scenario.venue
    if venue is None:
        return
    scales = sorted({key.margin_scale for key in designs_of(scenario)})
    issues: list[ScenarioIssue] = []
    for market in venue.markets:
        for scale in scales:
            if market.initial_margin * scale >= 1.0:
                message = f"{scale:g} lifts {market.asset}'s initial margin to {market.initial_margin * scale:.0%}"
                issues.append(ScenarioIssue("study.margin_scales", message + " (at most below 100%)"))
    lowest = min(market.maintenance_margin for market in venue.markets) * scales[0]
    if venue.pool.liquidation_penalty > lowest:
        message = (
            f"{venue.pool.liquidation_penalty:g} exceeds the lowest maintenance margin after the smallest "
            f"margin scale ({lowest:g}); the engines would cap it there"
        )
        issues.append(ScenarioIssue("venue.pool.liquidation_penalty", message))
    if issues:
        raise ScenarioError(Path(f"<scenario {scenario.name}>"), tuple(issues))


def _with_latency(scenario: Scenario, latency: int | None) -> Scenario:
    if latency is None or scenario.keepers is None:
        return scenario
    keepers = Keepers.model_validate({**scenario.keepers.model_dump(), "latency_seconds": latency})
    return scenario.model_copy(update={"keepers": keepers})


def _one_path(paths: ScenarioPaths, index: int) -> ScenarioPaths:
    """Return path ``index`` of ``paths`` alone (a one-path view for a one-population vector call)."""
    market, oracle = paths.market[:, index : index + 1], paths.oracle[:, index : index + 1]
    return ScenarioPaths(paths.assets, market, oracle, paths.oracle_age_seconds, paths.stale)


def _books(scenario: Scenario, scales: Sequence[float], n_paths: int) -> dict[float, tuple[TraderBook, ...]]:
    """Return the population per margin scale: one for all paths, or one per run on a fixed path."""
    if fixed_path(scenario):
        return {scale: tuple(draw_population(scenario, scale, run=i) for i in range(n_paths)) for scale in scales}
    return {scale: (draw_population(scenario, scale),) for scale in scales}


def _one_layout(books: Sequence[TraderBook]) -> bool:
    """Whether every population has the same positions' traders and markets (the vector engine plays them at once)."""
    first = books[0]
    return all(
        np.array_equal(book.position_market, first.position_market)
        and np.array_equal(book.position_trader, first.position_trader)
        for book in books
    )


def _play(
    scenario: Scenario,
    paths: ScenarioPaths,
    books: tuple[TraderBook, ...],
    draws: Sequence[Draws],
    design: tuple[IsolationLevel, float],
    engine: EngineName,
    ticker: Progress,
) -> tuple[RunResult, ...]:
    """Play one design on every path: with one population (``books`` of one) or one per path."""
    n_paths = paths.market.shape[1]
    if engine == "vector" and (len(books) == 1 or _one_layout(books)):
        results = run_vector(scenario, paths, books[0] if len(books) == 1 else books, draws, *design)
        ticker.advance(n_paths)
        return results
    played = []
    for index in range(n_paths):
        book = books[0] if len(books) == 1 else books[index]
        if engine == "vector":
            one = run_vector(scenario, _one_path(paths, index), book, draws[index : index + 1], *design)[0]
            played.append(replace(one, path_index=index))
        else:
            played.append(run_exact(scenario, paths, book, draws[index], *design, index))
        ticker.advance()
    return tuple(played)


def _paths_slice(paths: ScenarioPaths, start: int, stop: int) -> ScenarioPaths:
    """Return paths ``start … stop - 1`` of ``paths`` (views)."""
    market, oracle = paths.market[:, start:stop], paths.oracle[:, start:stop]
    return ScenarioPaths(paths.assets, market, oracle, paths.oracle_age_seconds, paths.stale)


def _play_chunk(
    inputs: StudyInputs,
    scenario: Scenario,
    design: tuple[IsolationLevel, float],
    engine: EngineName,
    start: int,
    stop: int,
) -> tuple[RunResult, ...]:
    """Play one design on paths ``start … stop - 1`` of the study's inputs (a task: module-level and pure).

    The runs carry their index in the whole study (``path_index``), whichever chunk played them.
    """
    books = inputs.books[design[1]]
    if engine == "exact":
        return tuple(
            run_exact(
                scenario,
                inputs.paths,
                books[0] if len(books) == 1 else books[index],
                inputs.draws[index],
                *design,
                index,
            )
            for index in range(start, stop)
        )
    chunk_books = books if len(books) == 1 else books[start:stop]
    paths = _paths_slice(inputs.paths, start, stop)
    played = _play(scenario, paths, chunk_books, inputs.draws[start:stop], design, "vector", NoProgress())
    return tuple(replace(run, path_index=start + run.path_index) for run in played)


@dataclass(frozen=True, slots=True)
class _Job:
    """One design of the study to play on every chunk: where its runs go and what plays them."""

    section: Literal["runs", "static", "containment"]
    key: DesignKey | str
    scenario: Scenario
    design: tuple[IsolationLevel, float]
    engine: EngineName


def _jobs(scenario: Scenario, engine: EngineName, keys: Sequence[DesignKey]) -> list[_Job]:
    """Return every design the study plays: static-margin frontier, the designs, the containment variants."""
    jobs = []
    static = static_margins(scenario)
    if static is not None:
        jobs += [
            _Job("static", key, static, (key.isolation, key.margin_scale), engine) for key in frontier_designs(scenario)
        ]
    for key in keys:
        played = _with_latency(scenario, key.keeper_latency_seconds)
        jobs.append(_Job("runs", key, played, (key.isolation, key.margin_scale), engine))
    if engine == "exact":
        for variant in containment_variants(scenario):
            if variant.scenario is None:
                continue
            rung = keys[0].isolation if variant.scenario.venue is None else variant.scenario.venue.isolation
            jobs.append(_Job("containment", variant.mechanism, variant.scenario, (rung, 1.0), "exact"))
    return jobs


def collect_runs(
    scenario: Scenario,
    *,
    engine: EngineName = "exact",
    runs: int | None = None,
    progress: Progress | None = None,
    workers: int = 1,
    backend: Backend | None = None,
    chunk_paths: int = DEFAULT_CHUNK_PATHS,
) -> StudyRuns:
    """Play every design of the study on ``runs`` paths (the scenario's ``runs`` by default).

    ``engine="vector"`` plays all paths of a chunk at once in float64 arrays; it refuses, naming
    the key, a scenario feature it does not model (``ringfence.lab.vector.check_vector_support``).
    A replay of a fixed path plays ``runs`` runs too, each with its own population and uniforms.
    Every design is played in chunks of ``chunk_paths`` paths, one task per design and chunk, on
    ``backend`` (default: :class:`~ringfence.lab.execution.LocalBackend` with ``workers``
    processes); the runs do not depend on the backend or the workers.

    Raises
    ------
    ValueError
        The scenario lacks the sections a stress run needs.
    ScenarioError
        The vector engine does not model a feature the scenario uses, or an input would be capped
        (:func:`check_study_inputs`).
    BackendError
        The backend cannot run the tasks (:mod:`ringfence.lab.errors`).
    """
    check_study_inputs(scenario)
    paths = sample_paths(scenario, n_paths=runs)
    n_paths = paths.market.shape[1]
    keys = designs_of(scenario)
    books = _books(scenario, sorted({key.margin_scale for key in keys}), n_paths)
    width = len(next(iter(books.values()))[0].position_trader)
    draws = draw_uniforms(scenario, n_paths, width)
    ticker = NoProgress() if progress is None else progress
    jobs = _jobs(scenario, engine, keys)
    ranges = chunk_ranges(n_paths, chunk_paths)
    calls = [(job.scenario, job.design, job.engine, start, stop) for job in jobs for start, stop in ranges]
    sizes = [stop - start for _ in jobs for start, stop in ranges]
    ticker.start(len(jobs) * n_paths)
    runner = LocalBackend(workers) if backend is None else backend
    inputs = StudyInputs(paths, books, draws)
    chunks = runner.map(_play_chunk, calls, inputs, done=lambda index: ticker.advance(sizes[index]))
    ticker.close()
    study = StudyRuns(scenario, engine, keys[0], paths=paths, books=books, draws=draws)
    sections = {"runs": study.runs, "static": study.static_margins, "containment": study.containment}
    for number, job in enumerate(jobs):
        played = chunks[number * len(ranges) : (number + 1) * len(ranges)]
        sections[job.section][job.key] = tuple(run for chunk in played for run in chunk)  # type: ignore[index]
    return study


@dataclass(frozen=True, slots=True)
class Sensitivity:
    """The tornado's data: the base figure, one bar per input moved, and the inputs with no bar."""

    base: Estimate
    bars: tuple[SensitivityBar, ...]
    skipped: tuple[Skipped, ...]


def _design_runs(scenario: Scenario, key: DesignKey, runs: int | None, chunk_paths: int) -> tuple[RunResult, ...]:
    """Play one design of ``scenario`` on the vector engine from its seed (paths, populations, uniforms drawn here).

    Played in the study's chunks of paths, in this process, so its runs are those a study of the
    same scenario gets on any backend.
    """
    paths = sample_paths(scenario, n_paths=runs)
    n_paths = paths.market.shape[1]
    books = _books(scenario, (key.margin_scale,), n_paths)
    draws = draw_uniforms(scenario, n_paths, len(books[key.margin_scale][0].position_trader))
    played = _with_latency(scenario, key.keeper_latency_seconds)
    inputs = StudyInputs(paths, books, draws)
    design = (key.isolation, key.margin_scale)
    ranges = chunk_ranges(n_paths, chunk_paths)
    return tuple(run for start, stop in ranges for run in _play_chunk(inputs, played, design, "vector", start, stop))


def _own_loss_array(_: object, scenario: Scenario, runs: int | None, chunk_paths: int) -> FloatArray:
    """Return the protocol loss of every run of the scenario's own design (vector engine; a task, no shared value)."""
    venue = scenario.venue
    if venue is None:
        raise ValueError("a stress study needs a [venue] section")
    return protocol_losses(_design_runs(scenario, DesignKey(venue.isolation, 1.0), runs, chunk_paths))


def run_sensitivity(
    scenario: Scenario,
    *,
    runs: int | None = None,
    base: Estimate | None = None,
    workers: int = 1,
    backend: Backend | None = None,
    chunk_paths: int = DEFAULT_CHUNK_PATHS,
) -> Sensitivity:
    """Play the scenario's own design on the vector engine with each input moved down and up.

    ``base`` is the figure at the scenario's own inputs when the caller has it from vector runs
    already (same paths and draws); otherwise it is played here. Each variant is one task on
    ``backend`` (default: ``workers`` local processes); the results do not depend on either.

    Raises
    ------
    ScenarioError
        The vector engine does not model a feature the scenario uses (the study then has no tornado).
    """
    venue = scenario.venue
    if venue is None:
        raise ValueError("a stress study needs a [venue] section")
    check_vector_support(scenario, venue.isolation, 1.0)
    variants, skipped = sensitivity_variants(scenario)
    calls: list[tuple[object, ...]] = [(side, runs, chunk_paths) for v in variants for side in (v.low, v.high)]
    if base is None:
        calls.append((scenario, runs, chunk_paths))
    runner = LocalBackend(workers) if backend is None else backend
    losses = runner.map(_own_loss_array, calls)
    bars = tuple(
        SensitivityBar(
            parameter=variant.parameter,
            low_setting=variant.low_setting,
            high_setting=variant.high_setting,
            low=mean_estimate(losses[2 * index]),
            high=mean_estimate(losses[2 * index + 1]),
        )
        for index, variant in enumerate(variants)
    )
    return Sensitivity(base if base is not None else mean_estimate(losses[-1]), bars, skipped)


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
        frontier_point(key.isolation, key.margin_scale, summarise(runs[key])) for key in frontier_designs(scenario)
    )
    static_frontier = tuple(
        frontier_point(key.isolation, key.margin_scale, summarise(played))
        for key, played in collected.static_margins.items()
    )
    own = collected.own
    sweep = tuple(
        keeper_sweep_point(latency, summarise(runs[DesignKey(own.isolation, 1.0, latency)]))
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
        static_frontier=static_frontier,
        keeper_sweep=sweep,
        assumptions=(*scenario_assumptions(scenario), *STATISTICS_ASSUMPTIONS),
        containment=_containment(collected),
        credit_lines=_credit_lines(collected),
        options=summarise_options(_option_runs(runs[own]), paths=True),
        options_ladder=tuple(
            (rung, summarise_options(_option_runs(runs[DesignKey(rung, 1.0)]), paths=False))
            for rung in study.ladder
            if _option_runs(runs[DesignKey(rung, 1.0)])
        ),
    )


def _option_runs(runs: Sequence[RunResult]) -> tuple[OptionRun, ...]:
    """Return the runs' option records (none without ``venue.options``)."""
    return tuple(run.options for run in runs if run.options is not None)


def _credit_lines(collected: StudyRuns) -> CreditLineComparison | None:
    """Compare the credit-lines rung with plain isolated pools when the study played both at scale 1."""
    plain, credit = DesignKey("isolated_pools", 1.0), DesignKey("credit_lines", 1.0)
    venue = collected.scenario.venue
    if venue is None or plain not in collected.runs or credit not in collected.runs:
        return None
    lines = tuple(
        f"{line.lender} → {line.borrower}: cap {line.cap:,.0f} USD at {line.rate_per_year:.2%} a year"
        for line in venue.credit_lines
    )
    return compare_credit_lines(collected.runs[plain], collected.runs[credit], lines)


def _sensitivity(collected: StudyRuns, runs: int | None, backend: Backend, chunk_paths: int) -> Sensitivity | None:
    """Return the study's tornado, or ``None`` when the vector engine cannot play the scenario."""
    scenario = collected.scenario
    try:
        check_vector_support(scenario, collected.own.isolation, 1.0)
    except ScenarioError:
        return None
    base = mean_estimate(protocol_losses(collected.runs[collected.own])) if collected.engine == "vector" else None
    return run_sensitivity(scenario, runs=runs, base=base, backend=backend, chunk_paths=chunk_paths)


def confirm_study(collected: StudyRuns, count: int) -> tuple[Confirmation, ...]:
    """Replay the first ``count`` paths of each rung of the ladder on the exact engine (:mod:`ringfence.lab.confirm`).

    Raises
    ------
    InvalidParameter
        ``count`` below 1 or above the study's paths.
    """
    paths = collected.paths
    if paths is None:
        raise ValueError("the study kept no paths to confirm")
    scenario = collected.scenario
    return tuple(
        confirm_design(scenario, paths, collected.books[1.0], collected.draws, (rung, 1.0), count)
        for rung in scenario.study.ladder
    )


def measure_predictive(collected: StudyRuns, count: int) -> PredictiveResult:
    """Measure early warnings and the learned predictor on the first ``count`` paths (:mod:`ringfence.lab.predictive`).

    Plays the scenario's own rung at margin scale 1 on the vector engine with the study's paths,
    population and uniforms.

    Raises
    ------
    InvalidParameter
        ``count`` below 2 or above the study's paths.
    ScenarioError
        The vector engine does not model the scenario.
    """
    paths = collected.paths
    if paths is None:
        raise ValueError("the study kept no paths to measure warnings on")
    n_paths = paths.market.shape[1]
    if not 2 <= count <= n_paths:
        raise InvalidParameter("predictive", count, f"2 to {n_paths} paths")
    scenario, rung = collected.scenario, collected.own.isolation
    check_vector_support(scenario, rung, 1.0)
    first = ScenarioPaths(
        paths.assets, paths.market[:, :count], paths.oracle[:, :count], paths.oracle_age_seconds, paths.stale
    )
    return run_predictive(scenario, first, collected.books[1.0], collected.draws, (rung, 1.0))


def run_study(
    scenario: Scenario,
    *,
    engine: EngineName = "exact",
    runs: int | None = None,
    progress: Progress | None = None,
    sensitivity: bool = True,
    confirm: int = 0,
    workers: int = 1,
    predictive: int = 0,
    backend: Backend | None = None,
    chunk_paths: int = DEFAULT_CHUNK_PATHS,
) -> StudyResult:
    """Play and summarise a scenario's whole study.

    ``sensitivity``: also play the tornado (:func:`run_sensitivity`, vector engine) when the vector
    engine models the scenario; a scenario it does not model gets no tornado and says so in
    ``StudyResult.sensitivity_skipped``. ``confirm``: on the vector engine, replay that many paths
    of each rung on the exact engine (:func:`confirm_study`); 0 for none. ``backend``: where the
    designs' chunks and the tornado's variants run (default: ``workers`` local processes);
    ``chunk_paths``: paths per task. The results do not depend on the backend or the workers.
    ``predictive``: measure early warnings and the learned predictor on that many paths
    (:func:`measure_predictive`); 0 for none.

    Raises
    ------
    InvalidParameter
        ``confirm`` is negative, above the runs, or asked of an exact study (nothing to confirm).
    """
    n_paths = scenario.runs if runs is None else runs
    if confirm and (engine != "vector" or not 0 < confirm <= n_paths):
        raise InvalidParameter("confirm", confirm, f"0, or 1 to {n_paths} paths of a vector-engine study")
    runner = LocalBackend(workers) if backend is None else backend
    collected = collect_runs(
        scenario, engine=engine, runs=runs, progress=progress, backend=runner, chunk_paths=chunk_paths
    )
    study = build_study(collected)
    if confirm:
        study = replace(study, confirmation=confirm_study(collected, confirm))
    if predictive:
        study = replace(study, predictive=measure_predictive(collected, predictive))
    if not sensitivity:
        return study
    tornado = _sensitivity(collected, runs, runner, chunk_paths)
    if tornado is None:
        reason = "the vector engine does not model this scenario (ringfence.lab.vector.check_vector_support)"
        return replace(study, sensitivity_skipped=(("all inputs", reason),))
    return replace(
        study,
        sensitivity_base=tornado.base,
        sensitivity=tornado.bars,
        sensitivity_skipped=tuple((item.parameter, item.reason) for item in tornado.skipped),
    )
