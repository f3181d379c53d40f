"""``ringfence stress``: play a scenario's study and write its report, results JSON and Parquet tables."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from ringfence.cli.backend import BACKEND_HELP, BackendChoice, check_backend, open_backend, report_backend_error
from ringfence.lab.errors import BackendError, ScenarioError, ScenarioIssue
from ringfence.lab.exact.population import ATTACKER_UNITS
from ringfence.lab.execution import Backend
from ringfence.lab.export import results_json, write_parquet
from ringfence.lab.report import render_report
from ringfence.lab.report.tables import estimate_text
from ringfence.lab.scenario import HistoricalProcess, Scenario, load_scenario, validate_scenario
from ringfence.lab.stress import check_study_inputs, designs_of, run_study
from ringfence.lab.vector import check_vector_support
from ringfence.lab.vector.fused import KERNEL_ENVIRONMENT, KERNELS, choose_kernel, fused_threads

__all__ = ["DEFAULT_SCENARIO", "stress_command"]

DEFAULT_SCENARIO = Path(__file__).resolve().parents[3] / "scenarios" / "isolation-ladder.toml"
"""The bundled scenario the main job runs when none is named."""


class _RichProgress:
    """The study's progress port on a rich progress bar."""

    def __init__(self, console: Console, label: str) -> None:
        self._bar = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=False,
        )
        self._label = label
        self._task = self._bar.add_task(label, total=None)

    def start(self, total: int) -> None:
        self._bar.update(self._task, total=total)
        self._bar.start()

    def advance(self, count: int = 1) -> None:
        self._bar.advance(self._task, count)

    def close(self) -> None:
        self._bar.stop()


def _with_overrides(
    scenario: Scenario, file: Path, seed: int | None, prices: Path | None, runs: int | None = None
) -> Scenario:
    """Re-validate the scenario with ``--seed``, ``--prices`` and ``--runs`` applied (every check runs again)."""
    if seed is None and prices is None and runs is None:
        return scenario
    data = scenario.model_dump(mode="python", exclude_none=True)
    if seed is not None:
        data["seed"] = seed
    if runs is not None:
        data["runs"] = runs
    if prices is not None:
        historical = [i for i, p in enumerate(scenario.processes) if isinstance(p, HistoricalProcess)]
        if not historical:
            raise typer.BadParameter("the scenario replays no CSV; --prices applies to a historical price process")
        entry = data["price"][historical[0]] if isinstance(data["price"], list) else data["price"]
        entry["csv"] = str(prices.resolve())
    return validate_scenario(data, file.parent, file)


EngineChoice = Literal["auto", "exact", "vector"]
_HEADLINE = (
    ("bad debt mean", "bad_debt_mean_usd"),
    ("VaR95", "var95_usd"),
    ("EVaR99", "evar99_usd"),
    ("contagion mean", "contagion_mean_usd"),
)
"""The figures the command prints when a study is done, each with its interval (or the runs it needs)."""
DEFAULT_CONFIRM_PATHS = 2
"""Paths of each rung a vector study replays on the exact engine unless ``--confirm`` says otherwise."""


FLOAT_BYTES = 8


def _check_memory(scenario: Scenario, file: Path) -> None:
    """Refuse, before any run, a study whose prices and uniforms alone would not fit in this machine's memory.

    Per run and grid step: a market and an oracle price per asset, and a uniform per position, per
    trader and per attacker account (``lab.exact.population.draw_uniforms``), in float64. The
    engines need more than that (the measured main job: about 4×), so this is a lower bound.

    Raises
    ------
    ScenarioError
        Naming ``runs`` with the most this machine could hold by that bound.
    """
    population = scenario.population
    traders = 0 if population is None else population.traders
    positions = traders * (1 if population is None else population.markets_per_trader)
    columns = 2 * len(scenario.assets) + positions + traders + ATTACKER_UNITS
    per_run = (scenario.horizon.steps + 1) * columns * FLOAT_BYTES
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    if scenario.runs * per_run > memory:
        message = (
            f"{scenario.runs} runs need {scenario.runs * per_run / 2**30:,.0f} GiB for their prices and uniforms "
            f"alone; this machine has {memory / 2**30:,.0f} GiB: at most {memory // per_run:,} runs"
        )
        raise ScenarioError(file, (ScenarioIssue("runs", message),))


def _choose_engine(
    console: Console, scenario: Scenario, engine: EngineChoice, predictive: int = 0
) -> Literal["exact", "vector"]:
    """Return the engine to play: ``vector`` checked against every design, ``auto`` resolved; say the kernel.

    Raises
    ------
    ScenarioError
        ``vector`` was asked for and it does not model a feature of the scenario (named).
    """
    if engine == "exact":
        return "exact"
    try:
        for design in designs_of(scenario):
            check_vector_support(scenario, design.isolation, design.margin_scale)
    except ScenarioError as error:
        if engine == "vector":
            raise
        console.print(f"exact engine: the vector engine does not model this scenario ({error})", markup=False)
        return "exact"
    _say_kernel(console, scenario, predictive)
    return "vector"


def _say_kernel(console: Console, scenario: Scenario, predictive: int) -> None:
    """Print the vector kernel that plays the scenario's own design, and why when it is not the fused one.

    Raises
    ------
    ScenarioError
        ``fused`` was asked for and the study needs a feature it refuses (named).
    """
    if predictive:
        choose_kernel(scenario, observed=True)  # the early-warning study reads every step's book
    choice = choose_kernel(scenario)
    if choice.kernel == "fused":
        console.print(f"vector kernel: fused (numba, {fused_threads()} threads)", markup=False)
    else:
        console.print(f"vector kernel: numpy ({choice.reason})", markup=False)


def _results_folder(console: Console, out: Path) -> None:
    """Create ``out`` before the study runs; a file there, or a folder that cannot be made, is exit 2."""
    if out.exists() and not out.is_dir():
        console.print(f"[red]--out {escape(str(out))} is a file, not a folder for the results[/red]", highlight=False)
        raise typer.Exit(2)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        console.print(f"[red]--out {escape(str(out))} cannot be created: {escape(str(error))}[/red]", highlight=False)
        raise typer.Exit(2) from None


def stress_command(
    console: Console,
    scenario_file: Path | None,
    runs: int | None,
    seed: int | None,
    out: Path,
    prices: Path | None,
    engine: EngineChoice,
    sensitivity: bool = True,
    confirm: int | None = None,
    workers: int = 1,
    predictive: int = 0,
    backend: BackendChoice = "local",
) -> None:
    """Load, validate, run and report; every input problem is reported before any run starts.

    ``engine="auto"`` plays the vector engine when it models every design of the scenario, else
    the exact engine (saying why). ``confirm=None`` replays :data:`DEFAULT_CONFIRM_PATHS` paths of
    each rung on the exact engine after a vector study (fewer only when the study plays fewer).
    ``backend``: where the tasks run (:mod:`ringfence.cli.backend`); it is opened before anything
    is written, and the results do not depend on it.
    """
    file = DEFAULT_SCENARIO if scenario_file is None else scenario_file
    if confirm and engine == "exact":
        raise typer.BadParameter("confirms a vector-engine study: add --engine vector", param_hint="--confirm")
    try:
        scenario = _with_overrides(load_scenario(file), file, seed, prices, runs)
        _check_memory(scenario, file)
        check_study_inputs(scenario)
        chosen = _choose_engine(console, scenario, engine, predictive)
    except ScenarioError as error:
        console.print(f"[red]{error}[/red]")
        raise typer.Exit(2) from None
    planned = scenario.runs if runs is None else runs
    if confirm is None:
        confirm = min(DEFAULT_CONFIRM_PATHS, planned) if chosen == "vector" else 0
    if confirm and chosen != "vector":
        raise typer.BadParameter("confirms a vector-engine study: add --engine vector", param_hint="--confirm")
    if confirm > planned:
        raise typer.BadParameter(f"{confirm} paths: the study plays {planned}", param_hint="--confirm")
    if predictive and not 2 <= predictive <= planned:
        raise typer.BadParameter(f"{predictive} paths: 2 to the study's {planned}", param_hint="--predictive")
    with open_backend(console, backend, workers) as runner:
        _results_folder(console, out)
        console.print(f"[bold]{scenario.name}[/bold] — {scenario.description}")
        _play_and_write(console, scenario, out, _StudyOptions(chosen, runs, sensitivity, confirm, predictive), runner)


@dataclass(frozen=True, slots=True)
class _StudyOptions:
    engine: Literal["exact", "vector"]
    runs: int | None
    sensitivity: bool
    confirm: int
    predictive: int


def _play_and_write(console: Console, scenario: Scenario, out: Path, options: _StudyOptions, runner: Backend) -> None:
    """Play the study on ``runner``, write its outputs and print the headline figures."""
    started = time.perf_counter()
    planned = scenario.runs if options.runs is None else options.runs
    progress = _RichProgress(console, f"{options.engine} engine")
    try:
        study = run_study(
            scenario,
            engine=options.engine,
            runs=options.runs,
            progress=progress,
            sensitivity=options.sensitivity,
            confirm=options.confirm,
            predictive=options.predictive,
            backend=runner,
        )
    except MemoryError:
        progress.close()
        console.print(f"[red]MemoryError: {planned} runs of this scenario do not fit in memory; use fewer --runs[/red]")
        raise typer.Exit(2) from None
    except BackendError as error:
        progress.close()
        raise report_backend_error(console, error) from None
    (out / "results.json").write_bytes(results_json(study))
    tables = write_parquet(study, out)
    report = render_report(study, out)
    summary = study.base_summary()
    figures = [
        (label, estimate_text(float(getattr(summary, field)), summary.intervals.get(field)))
        for label, field in _HEADLINE
    ]
    console.print(" · ".join(f"{label} {text}" for label, text in figures), markup=False)
    for row in study.confirmation:
        verdict = "[green]agree[/green]" if row.agrees else "[red]DISAGREE[/red]"
        console.print(
            f"exact engine on {row.paths} paths of {row.isolation}: {verdict} "
            f"({row.agreeing} within 1e-3 USD, largest gap {row.largest_gap_usd:.2g} USD; "
            f"{row.excused} parted inside the 1e-4 USD decision band)"
        )
        for problem in row.problems:
            console.print(f"  [red]{problem}[/red]")
    console.print(f"report: {report}")
    console.print(f"results: {out / 'results.json'}, " + ", ".join(str(table) for table in tables))
    console.print(f"[green]done in {time.perf_counter() - started:.1f} s[/green]")


def register(app: typer.Typer, console: Console) -> None:
    """Add ``ringfence stress`` to ``app``."""

    @app.command()
    def stress(
        scenario: Annotated[
            Path | None, typer.Argument(help="Scenario TOML (default: the bundled isolation-ladder scenario).")
        ] = None,
        runs: Annotated[
            int | None, typer.Option(min=1, help="Paths per design (default: the scenario's runs).")
        ] = None,
        seed: Annotated[int | None, typer.Option(min=0, help="Override the scenario's seed.")] = None,
        out: Annotated[Path, typer.Option(help="Folder for report.html, results.json and Parquet.")] = Path(
            "stress-report"
        ),
        prices: Annotated[
            Path | None, typer.Option(help="CSV to replay instead of the scenario's historical price file.")
        ] = None,
        engine: Annotated[
            str,
            typer.Option(help="auto (vector where it models the scenario, else exact), exact (integers) or vector."),
        ] = "auto",
        sensitivity: Annotated[
            bool, typer.Option(help="Play the tornado (each input moved down and up, vector engine).")
        ] = True,
        confirm: Annotated[
            int | None,
            typer.Option(
                min=0,
                help="Paths of each rung replayed on the exact engine after a vector study (default 2, 0 for none).",
            ),
        ] = None,
        workers: Annotated[
            int,
            typer.Option(
                min=1, help="Processes (local backend) or a local Ray's CPUs (ray backend without RAY_ADDRESS)."
            ),
        ] = 1,
        predictive: Annotated[
            int,
            typer.Option(
                min=0,
                help="Paths on which to measure liquidation warnings and a learned predictor (vector engine; 0: none).",
            ),
        ] = 0,
        backend: Annotated[str, typer.Option(help=BACKEND_HELP)] = "local",
        kernel: Annotated[
            str | None,
            typer.Option(
                help="Vector engine's kernel: auto (fused where numba is installed and it plays the run), fused or "
                f"numpy (the reference). Default: ${KERNEL_ENVIRONMENT}, else auto."
            ),
        ] = None,
    ) -> None:
        """Play a scenario's stress study (design, isolation ladder, margin sweep) and write its report."""
        if engine not in ("auto", "exact", "vector"):
            raise typer.BadParameter(f"{engine!r}: choose auto, exact or vector", param_hint="--engine")
        if kernel is not None:
            if kernel not in KERNELS:
                raise typer.BadParameter(f"{kernel!r}: choose {', '.join(KERNELS)}", param_hint="--kernel")
            os.environ[KERNEL_ENVIRONMENT] = kernel  # read by every vector run, here and in worker processes
        stress_command(
            console,
            scenario,
            runs,
            seed,
            out,
            prices,
            engine,  # type: ignore[arg-type]
            sensitivity,
            confirm,
            workers,
            predictive,
            check_backend(backend),  # opened after the kernel is set: a local Ray's workers inherit it
        )
