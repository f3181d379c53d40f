"""``ringfence backtest``: replay a price-and-liquidation stream, fit on the first half, score both halves."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from ringfence.lab.backtest import DEFAULT_FILE_NAME
from ringfence.lab.backtest_metrics import BacktestResult, backtest_json, iso_hour, run_backtest
from ringfence.lab.backtest_plot import backtest_png
from ringfence.lab.errors import HistoryFileError
from ringfence.lab.scenario import shared_data_file

__all__ = ["backtest_command", "register"]


def _number(value: float | None, digits: int = 2) -> str:
    return "n/a" if value is None else f"{value:,.{digits}f}"


def _scores_table(result: BacktestResult) -> Table:
    table = Table(title="Hourly liquidation volume, model vs real (base units)")
    for column in ("half", "window (UTC)", "side", "Spearman ρ", "baseline ρ", "real", "model", "model/real"):
        table.add_column(column, justify="left" if column in ("half", "window (UTC)", "side") else "right")
    for half in result.halves:
        window = f"{iso_hour(result.hourly, half.start_hour)} → {iso_hour(result.hourly, half.end_hour)}"
        for side, scores in half.sides.items():
            table.add_row(
                half.name,
                window if side == "long" else "",
                side,
                _number(scores.spearman),
                _number(scores.baseline_spearman),
                _number(scores.real_total, 0),
                _number(scores.model_total, 0),
                _number(scores.volume_ratio),
            )
    return table


def _peaks_table(result: BacktestResult) -> Table:
    table = Table(title="The 5 largest real hours (long + short) and the model there")
    for column in ("half", "hour (UTC)", "real", "model", "model rank", "model peaks within 1 h"):
        table.add_column(column, justify="left" if column in ("half", "hour (UTC)") else "right")
    for half in result.halves:
        scores = half.sides["total"]
        for index, peak in enumerate(scores.real_peaks):
            table.add_row(
                half.name if index == 0 else "",
                iso_hour(result.hourly, peak.hour),
                _number(peak.real, 0),
                _number(peak.model, 0),
                str(peak.other_rank),
                f"{scores.real_peaks_matched} of {len(scores.real_peaks)}" if index == 0 else "",
            )
    return table


def backtest_command(console: Console, csv_file: Path | None, out: Path) -> None:
    """Run the backtest, print its tables and write ``backtest.json`` and ``backtest.png`` to ``out``."""
    file = shared_data_file(DEFAULT_FILE_NAME) if csv_file is None else csv_file
    try:
        result = run_backtest(file)
    except HistoryFileError as error:
        console.print(f"[red]HistoryFileError:[/red] {error}")
        raise typer.Exit(2) from None
    population = result.population
    console.print(
        f"[bold]{file.name}[/bold]: {result.stream.times_s.shape[0]} rows, {result.hourly.hours} UTC hours; "
        f"fitted on the first {population.fit_hours}: mean holding {population.holding_hours:g} h, "
        f"maintenance rate {population.maintenance_rate:.2%}, opening "
        f"{sum(population.long_usd_per_hour):,.0f} USD/h long and {sum(population.short_usd_per_hour):,.0f} USD/h short"
    )
    console.print(_scores_table(result))
    console.print(_peaks_table(result))
    out.mkdir(parents=True, exist_ok=True)
    (out / "backtest.json").write_bytes(backtest_json(result))
    (out / "backtest.png").write_bytes(backtest_png(result))
    console.print(f"results: {out / 'backtest.json'}, plot: {out / 'backtest.png'}")


def register(app: typer.Typer, console: Console) -> None:
    """Add ``ringfence backtest`` to ``app``."""

    @app.command()
    def backtest(
        csv: Annotated[
            Path | None,
            typer.Argument(help=f"Price-and-liquidation CSV (default: the shared {DEFAULT_FILE_NAME})."),
        ] = None,
        out: Annotated[Path, typer.Option(help="Folder for backtest.json and backtest.png.")] = Path("backtest"),
    ) -> None:
        """Backtest modelled liquidations against a real stream: fit on the first half, test on the second."""
        backtest_command(console, csv, out)
