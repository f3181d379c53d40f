"""``ringfence recommend``: per pool, the least conservative parameter level whose P(bad debt > target) stays below α.

Exit codes as ``ringfence stress``: 2 for a scenario or option the recommendation cannot run
(named: the scenario key or the option), 69 for ``--backend ray`` without the ``ray`` package, 75
for a Ray cluster that cannot be reached, 0 when it ran (whether or not a level satisfied α).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from ringfence.cli.backend import BACKEND_HELP, BackendChoice, check_backend, open_backend, report_backend_error
from ringfence.cli.exit_codes import exit_code_for
from ringfence.core.errors import RingfenceError
from ringfence.lab.errors import BackendError
from ringfence.lab.recommend import (
    DEFAULT_ALPHA,
    DEFAULT_CONFIRM_PATHS,
    DEFAULT_LEVELS,
    DEFAULT_TARGET_USD,
    PARAMETERS,
    Parameter,
    RecommendResult,
    check_recommend_inputs,
    recommend,
)
from ringfence.lab.recommend.export import recommendation_json, recommendation_text
from ringfence.lab.recommend.grid import check_recommend_scenario, pool_names
from ringfence.lab.report.recommendation import render_recommendation
from ringfence.lab.scenario import load_scenario

__all__ = ["recommend_command", "register"]

RESULTS_FILE = "recommend.json"


class _RichProgress:
    """The sweep's progress port on a rich progress bar."""

    def __init__(self, console: Console) -> None:
        self._bar = Progress(
            TextColumn("[bold]vector engine"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=console
        )
        self._task = self._bar.add_task("sweep", total=None)

    def start(self, total: int) -> None:
        self._bar.update(self._task, total=total)
        self._bar.start()

    def advance(self, count: int = 1) -> None:
        self._bar.advance(self._task, count)

    def close(self) -> None:
        self._bar.stop()


def _parameters(names: list[str] | None) -> tuple[Parameter, ...]:
    chosen = names or ["maintenance_margin"]
    wrong = [name for name in chosen if name not in PARAMETERS]
    if wrong:
        raise typer.BadParameter(f"{', '.join(wrong)}: choose from {', '.join(PARAMETERS)}", param_hint="--parameter")
    return tuple(name for name in PARAMETERS if name in chosen)


def _out_folder(console: Console, out: Path) -> None:
    if out.exists() and not out.is_dir():
        console.print(f"[red]--out {escape(str(out))} is a file, not a folder for the results[/red]", highlight=False)
        raise typer.Exit(2)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        console.print(f"[red]--out {escape(str(out))} cannot be created: {escape(str(error))}[/red]", highlight=False)
        raise typer.Exit(2) from None


def _print(console: Console, result: RecommendResult) -> None:
    for curve in result.curves:
        answer = curve.recommendation
        low, high = (
            "beyond the grid" if end is None else f"{end:.6g}" for end in (answer.level_low, answer.level_high)
        )
        line = f"{curve.pool} {curve.parameter}: {recommendation_text(curve)}; 95% interval [{low}, {high}]"
        significant = [v for v in curve.violations if v.beyond_noise]
        if curve.violations:
            line += f"; {len(curve.violations)} monotonicity violation(s), {len(significant)} beyond noise"
        check = curve.confirmation
        if check is not None:
            line += (
                f"; exact engine {check.exact.value:.3f} vs vector {check.vector.value:.3f} on {check.paths} paths"
                f" ({check.agreeing_paths} agree)"
            )
        console.print(line, markup=False, highlight=False)


def recommend_command(
    console: Console,
    scenario_file: Path,
    *,
    parameters: tuple[Parameter, ...],
    runs: int | None,
    levels: int,
    alpha: float,
    target: float,
    out: Path,
    low: float | None,
    high: float | None,
    confirm: int,
    workers: int,
    joint: bool = False,
    backend: BackendChoice = "local",
) -> None:
    """Load, check, sweep, write ``recommend.json``, ``recommend.html`` and the PNGs, and print each answer.

    Every input problem (scenario key or option) exits 2 before any run; a run that finds no
    satisfying level says so and exits 0.
    """
    if (low is None) != (high is None):
        raise typer.BadParameter("give both --low and --high, or neither", param_hint="--low/--high")
    if low is not None and len(parameters) != 1:
        raise typer.BadParameter("--low/--high set one parameter's grid: name exactly one --parameter")
    try:
        scenario = load_scenario(scenario_file)
        check_recommend_scenario(scenario)
        bounds = None
        if low is not None and high is not None:
            bounds = {(parameters[0], pool): (low, high) for pool in pool_names(scenario)}
        check_recommend_inputs(
            scenario, parameters=parameters, levels=levels, alpha=alpha, target_usd=target, bounds=bounds
        )
    except RingfenceError as error:
        console.print(f"[red]{type(error).__name__}:[/red] {escape(str(error))}", highlight=False)
        raise typer.Exit(exit_code_for(error)) from None
    planned = scenario.runs if runs is None else runs
    if confirm > planned:
        raise typer.BadParameter(f"{confirm} paths: the sweep plays {planned}", param_hint="--confirm")
    with open_backend(console, backend, workers) as runner:
        _out_folder(console, out)
        try:
            console.print(f"[bold]{escape(scenario.name)}[/bold]: recommending {', '.join(parameters)}")
            started = time.perf_counter()
            result = recommend(
                scenario,
                parameters=parameters,
                runs=runs,
                levels=levels,
                alpha=alpha,
                target_usd=target,
                bounds=bounds,
                confirm=confirm,
                progress=_RichProgress(console),
                joint=joint,
                backend=runner,
            )
        except BackendError as error:
            raise report_backend_error(console, error) from None
        except RingfenceError as error:
            console.print(f"[red]{type(error).__name__}:[/red] {escape(str(error))}", highlight=False)
            raise typer.Exit(exit_code_for(error)) from None
    (out / RESULTS_FILE).write_bytes(recommendation_json(result))
    report = render_recommendation(result, out)
    _print(console, result)
    console.print(f"report: {report}")
    console.print(f"results: {out / RESULTS_FILE}")
    console.print(f"[green]done in {time.perf_counter() - started:.1f} s[/green]")


def register(app: typer.Typer, console: Console) -> None:
    """Add ``ringfence recommend`` to ``app``."""

    @app.command("recommend")
    def recommend_cli(
        scenario: Annotated[Path, typer.Argument(help="Scenario TOML on an isolated rung (random price paths).")],
        parameter: Annotated[
            list[str] | None,
            typer.Option(help=f"Parameter to sweep, repeatable: {', '.join(PARAMETERS)} (default maintenance_margin)."),
        ] = None,
        runs: Annotated[int | None, typer.Option(min=1, help="Paths per level (default: the scenario's runs).")] = None,
        levels: Annotated[int, typer.Option(min=2, help="Levels per grid.")] = DEFAULT_LEVELS,
        alpha: Annotated[float, typer.Option(help="Keep P(bad debt > target) below this.")] = DEFAULT_ALPHA,
        target: Annotated[float, typer.Option(help="Bad-debt target per pool, USD.")] = DEFAULT_TARGET_USD,
        out: Annotated[Path, typer.Option(help="Folder for recommend.json, recommend.html and PNGs.")] = Path(
            "recommend-report"
        ),
        low: Annotated[
            float | None, typer.Option(help="Lowest level of the grid (with --high, one parameter).")
        ] = None,
        high: Annotated[float | None, typer.Option(help="Highest level of the grid (with --low).")] = None,
        confirm: Annotated[
            int, typer.Option(min=0, help="Paths replayed on the exact engine at each recommended level (0: none).")
        ] = DEFAULT_CONFIRM_PATHS,
        workers: Annotated[
            int,
            typer.Option(min=1, help="Processes (local backend) or a local Ray's CPUs (ray without RAY_ADDRESS)."),
        ] = 1,
        joint: Annotated[
            bool,
            typer.Option(
                help="Move every pool at once per level (one run per level, not per level and pool; pools still "
                "share keepers and traders' reserves, so curves can differ)."
            ),
        ] = False,
        backend: Annotated[str, typer.Option(help=BACKEND_HELP)] = "local",
    ) -> None:
        """Recommend per pool the least conservative margin, penalty, OI cap or insurance: P(bad debt > target) < α."""
        recommend_command(
            console,
            scenario,
            parameters=_parameters(parameter),
            runs=runs,
            levels=levels,
            alpha=alpha,
            target=target,
            out=out,
            low=low,
            high=high,
            confirm=confirm,
            workers=workers,
            joint=joint,
            backend=check_backend(backend),
        )
