"""The result of a whole stress study, whichever engine produced it, and the progress port.

A study plays one scenario's population and paths under several venue designs: the scenario's
own design (``base``, kept run by run for the plots), each rung of the isolation ladder, the
margin-scale sweep along the ladder (the frontier of capital efficiency against contagion) and,
when the scenario asks, a keeper-latency sweep. Everything here is a frozen value; nothing
records wall-clock time, so the same seed gives byte-identical exports
(:func:`ringfence.lab.export.results_json`).

Each section says which engine produced its numbers (:class:`SectionEngines`): the report states
it beside every table and plot.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

from ringfence.core.errors import InvalidParameter
from ringfence.lab.assumptions import Assumption
from ringfence.lab.credit_comparison import CreditLineComparison
from ringfence.lab.estimate import Estimate
from ringfence.lab.metrics import Summary, summarise
from ringfence.lab.options_results import OptionMarketSummary
from ringfence.lab.predictive_metrics import PredictiveResult
from ringfence.lab.results import EngineName, IsolationLevel, RunResult

__all__ = [
    "STUDY_SECTIONS",
    "Confirmation",
    "ContainmentRow",
    "FrontierPoint",
    "KeeperSweepPoint",
    "LadderRow",
    "NoProgress",
    "Progress",
    "SectionEngines",
    "SensitivityBar",
    "StudyResult",
    "StudySection",
    "containment_row",
    "frontier_point",
    "keeper_sweep_point",
    "ladder_row",
]

StudySection = Literal["base", "ladder", "frontier", "keeper_sweep"]
STUDY_SECTIONS: tuple[StudySection, ...] = ("base", "ladder", "frontier", "keeper_sweep")


@dataclass(frozen=True, slots=True)
class LadderRow:
    """One rung of the isolation ladder: its design and the summary of its runs."""

    isolation: IsolationLevel
    margin_scale: float
    summary: Summary


@dataclass(frozen=True, slots=True)
class FrontierPoint:
    """One design of the margin sweep: what it carries (capital efficiency) and what it spreads (contagion)."""

    isolation: IsolationLevel
    margin_scale: float
    capital_efficiency_mean: float
    contagion_mean_usd: float
    bad_debt_mean_usd: float
    capital_efficiency: Estimate | None = None
    """The three means with their 95% intervals (``None`` in a point built without them)."""
    contagion: Estimate | None = None
    bad_debt: Estimate | None = None


@dataclass(frozen=True, slots=True)
class KeeperSweepPoint:
    """The scenario's design with every keeper's latency set to ``latency_seconds``.

    ``liquidation_delay_mean_seconds`` is ``None`` when no run liquidated anything.
    """

    latency_seconds: int
    bad_debt_mean_usd: float
    var95_usd: float
    liquidation_delay_mean_seconds: float | None
    bad_debt: Estimate | None = None
    """Bad debt mean and VaR95 with their 95% intervals (``None`` in a point built without them)."""
    var95: Estimate | None = None


@dataclass(frozen=True, slots=True)
class ContainmentRow:
    """The scenario's own design with one mechanism switched off (``mechanism`` "none": as designed).

    ``change`` says what was switched; ``switched`` is False when the design does not use the
    mechanism, and the row then repeats the design's own figures. Means across runs, in USD;
    protocol loss includes latent bad debt.
    """

    mechanism: str
    change: str
    switched: bool
    attacker_profit_mean_usd: float
    protocol_loss_mean_usd: float
    contagion_mean_usd: float


@dataclass(frozen=True, slots=True)
class SensitivityBar:
    """One bar of the tornado chart: the scenario's own design with one input moved down and up.

    ``low`` and ``high`` estimate the same figure as ``StudyResult.sensitivity_base`` (mean
    protocol loss, latent bad debt included) with ``parameter`` at ``low_setting`` and
    ``high_setting``; every other input stays at the scenario's value.
    """

    parameter: str
    low_setting: str
    high_setting: str
    low: Estimate
    high: Estimate


@dataclass(frozen=True, slots=True)
class Confirmation:
    """One design's sample replayed on the exact engine (:func:`ringfence.lab.confirm.confirm_design`).

    Attributes
    ----------
    isolation, margin_scale:
        The design.
    paths:
        How many paths were replayed (the first ``paths`` of the study).
    agreeing:
        Paths on which the engines agree within the tolerances.
    excused:
        Paths that parted inside the decision band (a legitimate rounding tie).
    problems:
        What disagrees outside the tolerances, one line each (empty when the engines agree).
    largest_gap_usd:
        The largest bad-debt, drawdown or contagion gap over the compared (not excused) paths.
    """

    isolation: IsolationLevel
    margin_scale: float
    paths: int
    agreeing: int
    excused: int
    problems: tuple[str, ...]
    largest_gap_usd: float

    @property
    def agrees(self) -> bool:
        """Whether nothing disagrees outside the tolerances."""
        return not self.problems


@dataclass(frozen=True, slots=True)
class SectionEngines:
    """Which engine produced each section of a study."""

    base: EngineName
    ladder: EngineName
    frontier: EngineName
    keeper_sweep: EngineName

    @classmethod
    def uniform(cls, engine: EngineName) -> SectionEngines:
        """Return the assignment of one engine to every section."""
        return cls(base=engine, ladder=engine, frontier=engine, keeper_sweep=engine)


@dataclass(frozen=True, slots=True, eq=False)
class StudyResult:
    """A whole stress study of one scenario (engine-agnostic).

    Attributes
    ----------
    scenario_name, description, sources:
        From the scenario file.
    seed:
        The scenario's seed; the same seed reproduces every number.
    engines:
        Which engine produced each section.
    runs_per_design:
        Runs (paths) played under each design.
    base:
        The runs of the scenario's own design, in path order (the plots of paths and liquidations
        use them; its summary is :meth:`base_summary`).
    ladder:
        One row per rung, in ladder order (least to most isolated).
    frontier:
        One point per (rung, margin scale), grouped by rung, margin scales ascending.
    static_frontier:
        With dynamic margins on (``[venue.dynamic_margin]``), the same points with the risk model
        off (the static rates throughout), to set against ``frontier``; empty otherwise.
    keeper_sweep:
        One point per latency, ascending; empty when the scenario asks for no sweep.
    sensitivity_base, sensitivity:
        The tornado: the figure at the scenario's own inputs, and one bar per input moved
        (empty when the study ran no sensitivity).
    sensitivity_skipped:
        ``(input, reason)`` for each input with no bar (the scenario lacks it, or the vector
        engine does not model the scenario: then ``("all inputs", reason)``).
    confirmation:
        A vector study's sample of runs replayed on the exact engine, one row per rung (empty when
        none was asked for).
    predictive:
        Predictive liquidation, measured (:mod:`ringfence.lab.predictive`): ``None`` unless asked for.
    assumptions:
        Each calibrated or chosen value of the scenario with its source.
    containment:
        For a scenario with an attacker: the design as is, then one row per mechanism switched
        off (:mod:`ringfence.lab.containment`); empty otherwise.
    credit_lines:
        The ``credit_lines`` rung against plain isolated pools on the same paths
        (:mod:`ringfence.lab.credit_comparison`): ``None`` unless the ladder has both.
    """

    scenario_name: str
    description: str
    sources: tuple[str, ...]
    seed: int
    engines: SectionEngines
    runs_per_design: int
    base: tuple[RunResult, ...]
    ladder: tuple[LadderRow, ...]
    frontier: tuple[FrontierPoint, ...]
    keeper_sweep: tuple[KeeperSweepPoint, ...] = ()
    sensitivity_base: Estimate | None = None
    sensitivity: tuple[SensitivityBar, ...] = ()
    assumptions: tuple[Assumption, ...] = ()
    containment: tuple[ContainmentRow, ...] = ()
    sensitivity_skipped: tuple[tuple[str, str], ...] = ()
    confirmation: tuple[Confirmation, ...] = ()
    static_frontier: tuple[FrontierPoint, ...] = ()
    predictive: PredictiveResult | None = None
    credit_lines: CreditLineComparison | None = None
    options: tuple[OptionMarketSummary, ...] = ()
    """The scenario's own design's option markets, Greeks over time included (empty without ``venue.options``)."""
    options_ladder: tuple[tuple[str, tuple[OptionMarketSummary, ...]], ...] = ()
    """Per rung of the ladder, ``(rung, its option markets' figures)`` (empty without ``venue.options``)."""

    def __post_init__(self) -> None:
        if not self.base:
            raise InvalidParameter("base", "()", "at least one run of the scenario's own design")
        if self.runs_per_design < 1:
            raise InvalidParameter("runs_per_design", self.runs_per_design, "an integer >= 1")

    def engine_for(self, section: StudySection) -> EngineName:
        """Return the engine that produced ``section``'s numbers."""
        if section not in STUDY_SECTIONS:
            raise InvalidParameter("section", section, f"one of {', '.join(STUDY_SECTIONS)}")
        engine: EngineName = getattr(self.engines, section)
        return engine

    def base_summary(self) -> Summary:
        """Return the summary of the base runs (computed once per tuple of runs: the bootstrap is not free)."""
        return _summary_of(self.base)


@functools.lru_cache(maxsize=16)
def _summary_of(runs: tuple[RunResult, ...]) -> Summary:
    """Summarise ``runs``, remembered by the identity of its runs (``RunResult`` compares by identity)."""
    return summarise(runs)


def ladder_row(isolation: IsolationLevel, margin_scale: float, runs: Sequence[RunResult]) -> LadderRow:
    """Summarise one rung's runs into a :class:`LadderRow`."""
    return LadderRow(isolation=isolation, margin_scale=margin_scale, summary=summarise(runs))


def frontier_point(isolation: IsolationLevel, margin_scale: float, summary: Summary) -> FrontierPoint:
    """Take a design's frontier coordinates from its summary."""
    return FrontierPoint(
        isolation=isolation,
        margin_scale=margin_scale,
        capital_efficiency_mean=summary.capital_efficiency_mean,
        contagion_mean_usd=summary.contagion_mean_usd,
        bad_debt_mean_usd=summary.bad_debt_mean_usd,
        capital_efficiency=summary.intervals.get("capital_efficiency_mean"),
        contagion=summary.intervals.get("contagion_mean_usd"),
        bad_debt=summary.intervals.get("bad_debt_mean_usd"),
    )


def containment_row(mechanism: str, change: str, switched: bool, summary: Summary) -> ContainmentRow:
    """Take a containment row's figures from the summary of its runs."""
    return ContainmentRow(
        mechanism=mechanism,
        change=change,
        switched=switched,
        attacker_profit_mean_usd=summary.attacker_profit_mean_usd,
        protocol_loss_mean_usd=summary.bad_debt_mean_usd,
        contagion_mean_usd=summary.contagion_mean_usd,
    )


def keeper_sweep_point(latency_seconds: int, summary: Summary) -> KeeperSweepPoint:
    """Take a latency's sweep point from the summary of its runs."""
    return KeeperSweepPoint(
        latency_seconds=latency_seconds,
        bad_debt_mean_usd=summary.bad_debt_mean_usd,
        var95_usd=summary.var95_usd,
        liquidation_delay_mean_seconds=summary.delay_mean_seconds,
        bad_debt=summary.intervals.get("bad_debt_mean_usd"),
        var95=summary.intervals.get("var95_usd"),
    )


class Progress(Protocol):
    """Where a long study reports how far it is (the CLI adapts a rich progress bar to it)."""

    def start(self, total: int) -> None:
        """Announce ``total`` units of work (runs)."""

    def advance(self, count: int = 1) -> None:
        """Record ``count`` more units done."""

    def close(self) -> None:
        """Finish: the study is done or has failed."""


class NoProgress:
    """A :class:`Progress` that reports nothing (tests, library use)."""

    def start(self, total: int) -> None:
        """Ignore the total."""

    def advance(self, count: int = 1) -> None:
        """Ignore the step."""

    def close(self) -> None:
        """Do nothing."""
