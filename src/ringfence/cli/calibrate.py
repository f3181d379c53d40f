"""``ringfence calibrate``: estimate a market's volatility, jumps, spread and volume from a price file."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from ringfence.core.errors import InvalidParameter
from ringfence.lab.calibrate import DEFAULT_JUMP_THRESHOLD, Calibration, calibrate_history
from ringfence.lab.errors import HistoryFileError
from ringfence.lab.history import PriceHistory, load_price_history

__all__ = ["calibration_table", "calibration_toml", "register"]


def _date(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def calibration_toml(calibration: Calibration, asset: str) -> str:
    """Return a TOML snippet to paste: the jump-diffusion process and the market's square-root-law inputs."""
    jumps = calibration.jumps
    window = f"{_date(calibration.start_s)} to {_date(calibration.end_s)}"
    lines = [
        f"# ringfence calibrate {calibration.source} ({window}, {calibration.rows} rows,",
        f"# median step {calibration.step_seconds:.0f} s; jumps beyond {DEFAULT_JUMP_THRESHOLD:g} bipower sd)",
        "[price]",
        'kind = "jump_diffusion"',
        f'asset = "{asset}"',
        f"volatility = {calibration.diffusive_volatility:.4f}        # per year, bipower (diffusive part)",
        f"jump_intensity = {jumps.intensity_per_year:.4f}    # jumps per year ({jumps.count} found)",
        f"jump_mean = {jumps.mean:.4f}         # mean log jump",
        f"jump_volatility = {jumps.volatility:.4f}   # sd of the log jump",
        "",
        "[[venue.markets]]",
        f'asset = "{asset}"',
        f"daily_volatility = {calibration.daily_volatility:.5f}   # total, per day (realised / sqrt(365))",
    ]
    if calibration.daily_volume_usd is not None:
        lines.append(f"daily_volume_usd = {calibration.daily_volume_usd:.6g}   # this file's venue only: a lower bound")
    lines.append(f"# spread {calibration.spread:.6f} ({calibration.spread_method})")
    return "\n".join(lines)


def calibration_table(calibration: Calibration) -> Table:
    """Return the estimates as a table a person reads."""
    jumps = calibration.jumps
    table = Table(title=f"calibration of {calibration.source}")
    table.add_column("quantity")
    table.add_column("estimate", justify="right")
    table.add_column("method")
    rows = [
        ("window", f"{_date(calibration.start_s)} .. {_date(calibration.end_s)}", f"{calibration.rows} rows"),
        ("step", f"{calibration.step_seconds:.0f} s", "median interval"),
        ("volatility (total)", f"{calibration.realised_volatility:.2%} / yr", "sd of log returns, 365-day year"),
        ("volatility (diffusive)", f"{calibration.diffusive_volatility:.2%} / yr", "bipower variation (BN-S 2004)"),
        ("daily volatility", f"{calibration.daily_volatility:.3%}", "total / sqrt(365)"),
        ("jumps", f"{jumps.count} ({jumps.intensity_per_year:.2f} / yr)", "threshold (Mancini 2009)"),
        ("jump size", f"mean {jumps.mean:+.4f}, sd {jumps.volatility:.4f}", "log returns flagged"),
        ("spread", f"{calibration.spread:.4%}", calibration.spread_method),
    ]
    if calibration.daily_volume_usd is not None:
        rows.append(("daily volume", f"{calibration.daily_volume_usd:,.0f} USD", "volume x price, per UTC day"))
    for row in rows:
        table.add_row(*row)
    return table


def _window(history: PriceHistory, start: datetime | None, end: datetime | None) -> PriceHistory:
    if start is None and end is None:
        return history
    first = float(history.times_s[0]) if start is None else start.replace(tzinfo=UTC).timestamp()
    last = float(history.times_s[-1]) + 1.0 if end is None else end.replace(tzinfo=UTC).timestamp()
    return history.window(first, last)


def register(app: typer.Typer, console: Console) -> None:
    """Add ``ringfence calibrate`` to ``app``."""

    @app.command()
    def calibrate(
        csv: Annotated[Path, typer.Argument(help="Price CSV of the documented shape (see `ringfence.lab.history`).")],
        asset: Annotated[str, typer.Option(help="Asset name in the TOML snippet.")] = "underlying",
        start: Annotated[datetime | None, typer.Option(help="First time (UTC) of the window.")] = None,
        end: Annotated[datetime | None, typer.Option(help="End (UTC, excluded) of the window.")] = None,
        price_column: Annotated[str | None, typer.Option(help="Price column (the shape's default).")] = None,
    ) -> None:
        """Estimate volatility, jumps (intensity, size), spread and daily volume; print a table and TOML."""
        try:
            history = _window(load_price_history(csv, price_column), start, end)
            calibration = calibrate_history(history)
        except HistoryFileError as error:
            console.print(f"[red]HistoryFileError:[/red] {error}")
            raise typer.Exit(2) from None
        except InvalidParameter as error:
            console.print(f"[red]InvalidParameter:[/red] {csv}: too few rows in the window ({error})")
            raise typer.Exit(2) from None
        console.print(calibration_table(calibration))
        console.print(calibration_toml(calibration, asset), markup=False, highlight=False)
