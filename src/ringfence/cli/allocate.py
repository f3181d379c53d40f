"""``ringfence allocate``: one owner's isolated vaults across pools, their liquidation risk, and where to move margin.

``allocate --journal PATH --owner NAME --volatility ASSET=RATIO ...`` verifies and replays the
journal read-only (as ``venue show``), then prints, as of the latest time it records:

1. the owner's **sub-accounts**: balances, whether a cross position uses the balance, and the
   idle quote balance the allocator may move (a sub-account with no cross position backs nothing);
2. every **position** in every pool: vault, maintenance health, liquidation price, and the
   probability of touching it within ``--horizon`` (closed-form GBM first passage, the
   ``--volatility`` given per asset, drift 0: :func:`ringfence.risk.early_warning.touch_probability`);
3. the probability that **any** of them is liquidated within the horizon, two ways: positions
   independent (``1 − Π(1 − p)``, what the allocator minimises) and by Monte Carlo on common
   paths (positions on one asset see the same path; assets independent);
4. per quote asset, the **allocator's** split of the isolated vaults' margin plus the idle balances
   (:mod:`ringfence.risk.allocator`; floors: what each vault must keep for the venue to accept a
   removal) and the **transfers** that reach it, suggested only when they lower P(any) by at least
   ``--threshold`` (:mod:`ringfence.risk.rebalance`). Each transfer is spelled as the venue's
   commands (``AdjustIsolatedMargin`` out of a vault, ``Transfer`` between sub-accounts,
   ``AdjustIsolatedMargin`` into a vault); ``--script-out FILE`` writes them as a command script
   for ``ringfence venue run``.

Nothing is written to the journal. Exit codes: 0 ok, 2 invalid input (an owner the journal does not
know, a missing or malformed ``--volatility``, a bad option), 4 a journal error.

``allocate-study BOOK.toml [--paths N] [--out DIR]`` runs the lab's study of the allocator against an
equal split (:mod:`ringfence.lab.allocation_study`) and writes ``allocation.html``, ``allocation.json``
and ``allocation.png``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import numpy as np
import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from ringfence.cli.exit_codes import exit_code_for
from ringfence.cli.journal import KeyFileOption
from ringfence.core.errors import InvalidParameter, RingfenceError, UnknownEntity
from ringfence.core.pool.state import MarginMode
from ringfence.core.units import WAD, format_fixed
from ringfence.lab.allocation_study import load_allocation_book, run_allocation_study
from ringfence.lab.report.allocation import points_text, render_allocation_report
from ringfence.lab.report.tables import estimate_text
from ringfence.risk.allocator import MarginBook
from ringfence.risk.early_warning import SECONDS_PER_YEAR, liquidation_price, touch_probability
from ringfence.risk.liquidation_probability import Underlyings, account_liquidation_probability
from ringfence.risk.owner_book import OwnerBook, OwnerPosition, owner_book
from ringfence.risk.owner_view import idle_balances, position_label, transfer_commands
from ringfence.risk.rebalance import DEFAULT_THRESHOLD, rebalance
from ringfence.service.venue import replay_with_time
from ringfence.service.venue.human import duration_seconds, ratio_wad, volatilities
from ringfence.store.sqlite import SqliteJournal

__all__ = ["register"]

MONTE_CARLO_STEPS = 64
"""Grid steps of the Monte-Carlo P(any) (the estimator is exact in law between steps without jumps)."""


@contextmanager
def _exit_codes(console: Console) -> Iterator[None]:
    try:
        yield
    except RingfenceError as error:
        console.print(f"[red]{type(error).__name__}:[/red] {escape(error.message)}", highlight=False, soft_wrap=True)
        raise typer.Exit(exit_code_for(error)) from None


def _chance(probability: float) -> str:
    """Format a probability as a percentage, in scientific notation below 0.0001% (never a false 0.0000%)."""
    if 0.0 < probability < 1e-6:
        return f"{probability * 100:.2e}%"
    return f"{probability:.4%}"


class _Risk:
    """Per priced position: its liquidation price and probability within the horizon (floats)."""

    def __init__(self, book: OwnerBook, volatility: dict[str, float], horizon_years: float) -> None:
        self.priced = [p for p in book.positions if p.price_wad is not None]
        missing = sorted({p.base_asset for p in self.priced} - set(volatility))
        if missing:
            raise InvalidParameter(
                "--volatility", ", ".join(missing), "ASSET=RATIO for every asset the owner holds (e.g. ETH=80%)"
            )
        self.horizon_years = horizon_years
        self.volatility = volatility
        price = np.array([p.price for p in self.priced])
        size = np.array([p.size for p in self.priced])
        rate = np.array([p.maintenance_rate for p in self.priced])
        surplus = np.array([p.surplus for p in self.priced])
        sigma = np.array([volatility[p.base_asset] for p in self.priced])
        self.barrier = liquidation_price(price, size, rate, surplus) if self.priced else np.zeros(0)
        self.probability = (
            touch_probability(price, size, rate, surplus, sigma, horizon_years) if self.priced else np.zeros(0)
        )
        self.surplus = surplus

    def of(self, position: OwnerPosition) -> tuple[float, float] | None:
        """Return (liquidation price, probability) of a priced position."""
        if position not in self.priced:
            return None
        index = self.priced.index(position)
        return float(self.barrier[index]), float(self.probability[index])

    def any_independent(self) -> float:
        with np.errstate(divide="ignore"):
            return float(-np.expm1(np.sum(np.log1p(-self.probability))))

    def any_monte_carlo(self, paths: int, seed: int) -> tuple[float, float] | None:
        """Return P(any) and its standard error on common paths, or None when nothing can be liquidated."""
        if np.any(self.surplus <= 0.0):
            return 1.0, 0.0
        live = [i for i, p in enumerate(self.priced) if self.barrier[i] > 0.0]
        if not live:
            return None
        assets = sorted({self.priced[i].base_asset for i in live})
        spot = [next(self.priced[i].price for i in live if self.priced[i].base_asset == a) for a in assets]
        underlyings = Underlyings.of(spot, [self.volatility[a] for a in assets], 0.0)
        estimate = account_liquidation_probability(
            underlyings,
            np.zeros(len(live), dtype=np.int64),
            np.array([assets.index(self.priced[i].base_asset) for i in live], dtype=np.int64),
            self.barrier[live],
            np.array([self.priced[i].size > 0.0 for i in live]),
            self.horizon_years,
            MONTE_CARLO_STEPS,
            paths,
            np.random.default_rng(seed),
        )
        return float(estimate.probability[0]), float(estimate.standard_error[0])


def _accounts_table(book: OwnerBook, idle: dict[int, dict[str, int]]) -> Table:
    table = Table(title=f"Sub-accounts of {book.owner}", title_justify="left")
    for column in ("sub-account", "balances", "positions", "balance backs", "idle for the allocator"):
        table.add_column(column)
    for sub, balances in book.balances.items():
        held = [p for p in book.positions if p.sub_account == sub]
        text = ", ".join(f"{format_fixed(a, book.decimals[asset])} {asset}" for asset, a in balances.items()) or "-"
        backs = "cross positions" if book.has_cross(sub) else "nothing (isolated vaults only)"
        free = ", ".join(f"{format_fixed(a, book.decimals[asset])} {asset}" for asset, a in idle.get(sub, {}).items())
        table.add_row(f"{book.owner}/{sub}", text, str(len(held)), backs, free or "-")
    return table


def _positions_table(book: OwnerBook, risk: _Risk, horizon: str) -> Table:
    table = Table(title=f"Positions of {book.owner} in every pool", title_justify="left")
    for column in ("position", "mode", "size", "mark", "vault", "MM health", "liq. price", f"P(liq. ≤ {horizon})"):
        table.add_column(column, justify="left" if column in ("position", "mode") else "right")
    for position in book.positions:
        found = risk.of(position)
        vault = (
            format_fixed(position.margin_atoms, position.quote_decimals)
            if position.mode is MarginMode.ISOLATED
            else "-"
        )
        if found is None:
            table.add_row(
                position_label(position, book.owner), position.mode.value, "", position.note, vault, "-", "-", "-"
            )
            continue
        barrier, probability = found
        health = "-"
        if position.mode is MarginMode.ISOLATED and position.maintenance_atoms > 0:
            health = f"{(position.margin_atoms + position.maintenance_equity_atoms) / position.maintenance_atoms:.4f}"
        table.add_row(
            position_label(position, book.owner) + (f" ({position.note})" if position.note else ""),
            position.mode.value,
            format_fixed(position.size_atoms, position.base_decimals),
            format_fixed(position.price_wad or 0, 18),
            vault,
            health,
            f"{barrier:,.4f}" if barrier > 0.0 else "none (≤ 0)",
            _chance(probability),
        )
    return table


def _script(commands: list[dict[str, str]]) -> str:
    lines = ["# Written by `ringfence allocate`: the transfers that bring the vaults to the allocator's split.", ""]
    integers = {"sub_account", "from_sub_account", "to_sub_account"}
    for command in commands:
        lines.append("[[command]]")
        for key, value in command.items():
            lines.append(f"{key} = {value}" if key in integers else f'{key} = "{value}"')
        lines.append("")
    return "\n".join(lines)


def _allocation(console: Console, book: OwnerBook, quote: str, options: _Options) -> list[dict[str, str]]:
    movable = [p for p in book.positions if p.movable and p.quote_asset == quote]
    idle = idle_balances(book, quote, options.vaults_only)
    if not movable:
        return []
    decimals = movable[0].quote_decimals
    margin_book = MarginBook.of(
        [p.price for p in movable],
        [p.size for p in movable],
        [p.maintenance_rate for p in movable],
        [p.equity for p in movable],
        [options.volatility[p.base_asset] for p in movable],
    )
    result = rebalance(
        margin_book,
        [p.margin_atoms for p in movable],
        options.horizon_years,
        10**decimals,
        idle_atoms=list(idle.values()),
        floors_atoms=[p.floor_atoms for p in movable],
        threshold=options.threshold,
    )
    table = Table(title=f"Allocator: {quote} in {len(movable)} isolated vaults", title_justify="left")
    for column in ("vault", "margin now", "floor", "suggested", "P now", "P suggested"):
        table.add_column(column, justify="left" if column == "vault" else "right")
    for i, position in enumerate(movable):
        table.add_row(
            position_label(position, book.owner),
            format_fixed(position.margin_atoms, decimals),
            format_fixed(position.floor_atoms, decimals),
            format_fixed(result.target.margins_atoms[i], decimals),
            _chance(result.current.probabilities[i]),
            _chance(result.target.probabilities[i]),
        )
    console.print(table)
    total = sum(result.target.margins_atoms)
    console.print(
        f"{format_fixed(total, decimals)} {quote} allocated ({format_fixed(sum(idle.values()), decimals)} of it idle "
        f"now); P(any) positions independent: {_chance(result.current.any_probability)} now, "
        f"{_chance(result.target.any_probability)} suggested (improvement {_chance(result.improvement)}, threshold "
        f"{result.threshold:.4%})",
        highlight=False,
        soft_wrap=True,
    )
    if not result.suggested:
        console.print("no rebalancing suggested: the improvement is below the threshold", highlight=False)
        return []
    commands = transfer_commands(book.owner, movable, list(idle), result)
    labels = [position_label(p, book.owner) for p in movable] + [f"{book.owner}/{sub} idle balance" for sub in idle]
    for move in result.transfers:
        console.print(
            f"transfer {format_fixed(move.amount_atoms, decimals)} {quote}: {labels[move.source]} → "
            f"{labels[move.destination]}",
            highlight=False,
            soft_wrap=True,
        )
    return commands


class _Options:
    def __init__(self, volatility: dict[str, float], horizon_seconds: int, threshold: float, vaults_only: bool) -> None:
        self.volatility = volatility
        self.horizon_years = horizon_seconds / SECONDS_PER_YEAR
        self.threshold = threshold
        self.vaults_only = vaults_only


def _show(
    console: Console, book: OwnerBook, options: _Options, horizon: str, paths: int, seed: int
) -> list[dict[str, str]]:
    risk = _Risk(book, options.volatility, options.horizon_years)
    quotes = sorted({p.quote_asset for p in book.positions if p.movable})
    idle: dict[int, dict[str, int]] = {}
    for quote in quotes:
        for sub, atoms in idle_balances(book, quote, options.vaults_only).items():
            idle.setdefault(sub, {})[quote] = atoms
    console.print(_accounts_table(book, idle))
    console.print(_positions_table(book, risk, horizon))
    if risk.priced:
        monte_carlo = risk.any_monte_carlo(paths, seed)
        mc_text = (
            "0 (no position can be liquidated by its own price)"
            if monte_carlo is None
            else f"{_chance(monte_carlo[0])} ± {_chance(1.96 * monte_carlo[1])} (95%, {paths:,} common paths, "
            "assets independent)"
        )
        console.print(
            f"P(any position of {book.owner} liquidated within {horizon}): {_chance(risk.any_independent())} "
            f"with positions independent; {mc_text}",
            highlight=False,
            soft_wrap=True,
        )
    commands: list[dict[str, str]] = []
    for quote in quotes:
        commands.extend(_allocation(console, book, quote, options))
    return commands


def _allocate(
    console: Console,
    journal: Path,
    key_file: Path | None,
    owner: str,
    settings: tuple[list[str], str, str, bool],
    monte_carlo: tuple[int, int],
    script_out: Path | None,
) -> None:
    """Replay the journal read-only, show the owner's book and the allocation, write the script if asked."""
    volatility, horizon, threshold, vaults_only = settings
    try:
        horizon_s = duration_seconds(horizon)
        level = ratio_wad(threshold) / WAD
    except ValueError as error:
        raise InvalidParameter("--horizon/--threshold", f"{horizon}/{threshold}", str(error)) from None
    if horizon_s <= 0:
        raise InvalidParameter("--horizon", horizon, "a duration above 0")
    options = _Options(volatilities(volatility, "--volatility"), horizon_s, level, vaults_only)
    store = SqliteJournal(journal, key_file=key_file, read_only=True)
    try:
        state, now_ns = replay_with_time(store.read_verified())
    finally:
        store.close()
    book = owner_book(state, owner, now_ns)
    if not book.balances and not book.positions:
        raise UnknownEntity("owner", owner, tuple(sorted({key[0] for key in state.accounts})))
    commands = _show(console, book, options, horizon, *monte_carlo)
    if script_out is None:
        return
    if not commands:
        console.print("no transfers: no script written", highlight=False)
        return
    script_out.write_text(_script(commands), encoding="utf-8")
    console.print(f"wrote {escape(str(script_out))} ({len(commands)} commands)", highlight=False)


def register(app: typer.Typer, console: Console) -> None:
    """Add ``ringfence allocate`` and ``ringfence allocate-study`` to ``app``."""

    @app.command("allocate")
    def allocate_command(
        journal: Annotated[Path, typer.Option(help="The SQLite journal of a venue (opened read-only).")],
        owner: Annotated[str, typer.Option(help="The owner whose sub-accounts and vaults to show.")],
        volatility: Annotated[
            list[str] | None,
            typer.Option(help='ASSET=RATIO, a year (repeatable), e.g. "ETH=80%": every asset the owner holds.'),
        ] = None,
        horizon: Annotated[str, typer.Option(help='The horizon of the probabilities, e.g. "4h", "1d".')] = "1d",
        threshold: Annotated[
            str, typer.Option(help="The least drop of P(any) worth a transfer (absolute), e.g. 0.5% or 0.005.")
        ] = f"{DEFAULT_THRESHOLD:.3%}",
        vaults_only: Annotated[
            bool, typer.Option("--vaults-only", help="Move only what the vaults hold; leave idle balances alone.")
        ] = False,
        paths: Annotated[int, typer.Option(min=2, max=1_000_000, help="Monte-Carlo paths for P(any).")] = 20_000,
        seed: Annotated[int, typer.Option(min=0, help="Seed of the Monte-Carlo paths.")] = 0,
        script_out: Annotated[
            Path | None, typer.Option(help="Write the suggested transfers as a command script (`venue run`).")
        ] = None,
        key_file: KeyFileOption = None,
    ) -> None:
        """Show an owner's sub-accounts and isolated vaults across pools, their risk, and where to move margin."""
        if not journal.exists():
            console.print(f"[red]no journal at {escape(str(journal))}[/red]", highlight=False)
            raise typer.Exit(2)
        if script_out is not None and script_out.exists():
            console.print(f"[red]--script-out {escape(str(script_out))} exists; give a new path[/red]", highlight=False)
            raise typer.Exit(2)
        with _exit_codes(console):
            _allocate(
                console,
                journal,
                key_file,
                owner,
                (volatility or [], horizon, threshold, vaults_only),
                (paths, seed),
                script_out,
            )

    @app.command("allocate-study")
    def allocate_study_command(
        book: Annotated[Path, typer.Argument(help="A book file (TOML): scenario, collateral, positions.")],
        paths: Annotated[int | None, typer.Option(min=2, max=1_000_000, help="Paths (default: the book's).")] = None,
        out: Annotated[Path, typer.Option(help="Folder for allocation.html, .json and .png.")] = Path(
            "allocation-report"
        ),
    ) -> None:
        """Compare the capital allocator with an equal split on a scenario's paths; write a small report."""
        if out.exists() and not out.is_dir():
            console.print(f"[red]--out {escape(str(out))} is a file, not a folder[/red]", highlight=False)
            raise typer.Exit(2)
        with _exit_codes(console):
            loaded, scenario = load_allocation_book(book)
            study = run_allocation_study(loaded, scenario, paths)
            files = render_allocation_report(study, out)
        for policy in study.policies:
            console.print(
                f"{policy.name:>13}: P(any liquidated) {estimate_text(None, policy.measured_any, 'share')}",
                highlight=False,
            )
        console.print(
            f"gain of the allocator over the equal split: {points_text(study.gain_over_equal)} "
            f"(over {study.gain_over_equal.runs:,} paths); over the proportional split: "
            f"{points_text(study.gain_over_proportional)}; the path search's gain over the allocator (what "
            f"independence costs): {points_text(study.path_search_gain)}",
            highlight=False,
            soft_wrap=True,
        )
        console.print(f"wrote {', '.join(escape(str(f)) for f in files)}", highlight=False, soft_wrap=True)
