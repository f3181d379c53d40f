"""``ringfence demo``: the exact engine end to end, on an SQLite journal.

Its admin ``ops`` sets the venue up in one genesis (three assets with guarded three-source
oracles, two pools) and opens it; every later command names its sender. Two owners deposit,
transfer and withdraw; the oracle guard and quorum loss are shown at work; rejected commands
(a stranger acting for another owner among them) leave no trace; then the two isolated
pools, a crash in one and its waterfall
(:mod:`ringfence.cli.demo_pools`); then replays and verifies the journal and checks
conservation.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from rich.console import Console
from rich.table import Table

from ringfence.cli.demo_pools import pool_genesis, pool_script, pool_table
from ringfence.core.commands import (
    Command,
    ConfigureOracle,
    Deposit,
    OpenVenue,
    RegisterAsset,
    Sent,
    SubmitPrice,
    Transfer,
    Withdraw,
)
from ringfence.core.errors import InvalidParameter
from ringfence.core.events import OracleDegraded, OracleGuardTripped, OraclePriceAccepted
from ringfence.core.governance.commands import ConfigureGovernance
from ringfence.core.governance.state import DEFAULT_SETTINGS
from ringfence.core.invariants import holdings_by_asset
from ringfence.core.margin import NO_LIMIT, MarginKind, collateral_value, oracle_status
from ringfence.core.state import LedgerState
from ringfence.core.units import VALUE_DECIMALS, format_fixed, parse_amount, parse_price, parse_ratio
from ringfence.service.clock import ManualClock
from ringfence.service.engine import Engine, Outcome, Rejected, replay
from ringfence.store.head import head_path
from ringfence.store.sqlite import SqliteJournal

__all__ = ["run_demo"]

SECOND_NS = 1_000_000_000
ADMIN = "ops"
"""The demo venue's admin: it sends the genesis."""
SOURCES = ("chainlink", "pyth", "redstone")
DECIMALS = {"USDC": 6, "ETH": 18, "WBTC": 8}


@contextmanager
def _journal_path(requested: Path | None) -> Iterator[Path]:
    if requested is not None:
        yield requested
        return
    with tempfile.TemporaryDirectory(prefix="ringfence-demo-") as folder:
        yield Path(folder) / "journal.sqlite"


def _genesis(clock: ManualClock) -> list[Sent]:
    """Return the admin's genesis: governance, the listing and the pools, then opening the venue."""
    now = clock.now_ns()
    settings = DEFAULT_SETTINGS
    governance = ConfigureGovernance(ADMIN, settings.timelock_ns, settings.grace_period_ns, settings.max_step_wad, now)
    commands = [governance, *_listing(now), *pool_genesis(now), OpenVenue(ADMIN, now)]
    return [Sent(ADMIN, command) for command in commands]


def _listing(now: int) -> list[Command]:
    weights = {"USDC": ("0.98", "0.99"), "ETH": ("0.80", "0.85"), "WBTC": ("0.75", "0.80")}
    commands: list[Command] = []
    for asset, (initial, maintenance) in weights.items():
        commands.append(
            RegisterAsset(
                asset=asset,
                decimals=DECIMALS[asset],
                initial_weight_wad=parse_ratio(initial),
                maintenance_weight_wad=parse_ratio(maintenance),
                supply_cap_atoms=parse_amount("10000", DECIMALS[asset]) if asset == "WBTC" else NO_LIMIT,
                weight_scale_start_value=parse_amount("5000000", VALUE_DECIMALS) if asset == "ETH" else NO_LIMIT,
                timestamp_ns=now,
            )
        )
        commands.append(
            ConfigureOracle(
                asset=asset,
                source_names=SOURCES,
                source_weights=(1, 1, 1),
                quorum=2,
                max_staleness_ns=120 * SECOND_NS,
                max_deviation_wad=parse_ratio("0.02"),
                max_confidence_wad=parse_ratio("0.01"),
                max_jump_wad=parse_ratio("0.15"),
                guard_release_ns=300 * SECOND_NS,
                delay_interval_seconds=3600,
                delay_growth_limit_wad=parse_ratio("0.06"),
                stable_growth_limit_wad=parse_ratio("0.0003"),
                timestamp_ns=now,
            )
        )
    return commands


def _quotes(clock: ManualClock, asset: str, prices: tuple[str, ...]) -> list[Sent]:
    """Each source (a feeder principal) sends its own quote."""
    now = clock.now_ns()
    return [
        Sent(source, SubmitPrice(asset, source, parse_price(price), 0, now, now))
        for source, price in zip(SOURCES, prices, strict=False)
    ]


def _money(owner: str, sub: int, asset: str, amount: str, clock: ManualClock) -> Sent:
    return Sent(owner, Deposit(owner, sub, asset, parse_amount(amount, DECIMALS[asset]), clock.now_ns()))


def _script(clock: ManualClock) -> list[tuple[str, list[Sent]]]:
    steps: list[tuple[str, list[Sent]]] = [("genesis by ops: assets, oracles, two pools; open", _genesis(clock))]
    steps.append(
        (
            "first prices",
            _quotes(clock, "USDC", ("1.0001", "0.9999", "1"))
            + _quotes(clock, "ETH", ("3000", "3001.5", "2999"))
            + _quotes(clock, "WBTC", ("65000", "65010", "64990")),
        )
    )
    clock.advance(30 * SECOND_NS)
    now = clock.now_ns()
    steps.append(
        (
            "deposits, a transfer, a withdrawal",
            [
                _money("alice", 0, "USDC", "25000", clock),
                _money("alice", 0, "ETH", "12.5", clock),
                _money("bob", 0, "WBTC", "0.75", clock),
                _money("bob", 1, "USDC", "1000.000001", clock),
                Sent("alice", Transfer("alice", 0, 1, "ETH", parse_amount("2.5", 18), now)),
                Sent("bob", Withdraw("bob", 1, "USDC", parse_amount("250", 6), now)),
            ],
        )
    )
    steps.append(
        (
            "commands the venue refuses (nothing changes)",
            [
                Sent("bob", Withdraw("bob", 0, "WBTC", parse_amount("1", 8), now)),
                _money("carol", 0, "WBTC", "10000", clock),
                Sent("carol", Deposit("carol", 0, "DOGE", 1, now)),
                Sent("alice", Transfer("alice", 1, 1, "ETH", 1, now)),
                Sent("mallory", Withdraw("alice", 0, "USDC", parse_amount("100", 6), now)),
                Sent("mallory", SubmitPrice("ETH", "pyth", parse_price("1"), 0, now, now)),
            ],
        )
    )
    for minute in range(1, 9):
        clock.advance(60 * SECOND_NS)
        eth = ("3000", "3001", "2999") if minute < 2 else ("4200", "4210", "4190")
        title = {
            2: "minute 2: ETH sources jump 40%, the guard holds the price back",
            7: "minute 7: the jump persisted past the 300 s release time, now accepted",
            8: "minute 8: two WBTC sources fall silent",
        }.get(minute, f"minute {minute}: heartbeat")
        wbtc = ("65000", "65010", "64990") if minute < 6 else ("64000",)
        steps.append(
            (title, _quotes(clock, "USDC", ("1", "1", "1")) + _quotes(clock, "ETH", eth) + _quotes(clock, "WBTC", wbtc))
        )
    return steps


def _asset_table(state: LedgerState, now_ns: int) -> Table:
    table = Table(title="Assets and oracles")
    for column in ("asset", "oracle", "stable", "status", "supplied", "IM weight", "MM weight"):
        table.add_column(column, justify="right" if column != "status" else "left")
    for code, asset in state.assets.items():
        oracle = state.oracles[code]
        status, reason = oracle_status(oracle, now_ns)
        price = oracle.accepted_price_wad
        stable = oracle.stable.stable_price_wad if oracle.stable else None
        table.add_row(
            code,
            format_fixed(price, 18) if price else "-",
            format_fixed(stable, 18) if stable else "-",
            status.value if status.value == "fresh" else f"{status.value} ({reason})",
            format_fixed(asset.total_deposits_atoms, asset.params.decimals),
            format_fixed(asset.params.initial_weight_wad, 18),
            format_fixed(asset.params.maintenance_weight_wad, 18),
        )
    return table


def _account_table(state: LedgerState, now_ns: int) -> Table:
    table = Table(title="Sub-accounts (value in USD, rounded down)")
    for column in ("owner/sub", "balances", "IM collateral value", "MM collateral value"):
        table.add_column(column)
    fresh = {code for code, o in state.oracles.items() if oracle_status(o, now_ns)[0].value == "fresh"}
    for (owner, sub), account in state.accounts.items():
        balances = ", ".join(
            f"{format_fixed(atoms, state.assets[asset].params.decimals)} {asset}"
            for asset, atoms in account.balances.items()
        )
        priced = {asset: atoms for asset, atoms in account.balances.items() if asset in fresh}
        note = "" if len(priced) == len(account.balances) else " (excl. stale)"
        initial = collateral_value(state, priced, MarginKind.INITIAL, now_ns)
        maintenance = collateral_value(state, priced, MarginKind.MAINTENANCE, now_ns)
        table.add_row(
            f"{owner}/{sub}",
            balances,
            format_fixed(initial, VALUE_DECIMALS) + note,
            format_fixed(maintenance, VALUE_DECIMALS) + note,
        )
    return table


def _print_outcomes(console: Console, outcomes: list[Outcome]) -> None:
    """Print each rejection, and each notable oracle event once per kind and asset."""
    shown: set[tuple[str, str]] = set()
    for outcome in outcomes:
        if isinstance(outcome, Rejected):
            console.print(f"  [yellow]rejected[/yellow] {type(outcome.error).__name__}: {outcome.error}")
            continue
        for event in outcome.events:
            notable = isinstance(event, OracleGuardTripped | OracleDegraded) or (
                isinstance(event, OraclePriceAccepted) and event.released_guard
            )
            if notable and isinstance(event, OracleGuardTripped | OracleDegraded | OraclePriceAccepted):
                key = (type(event).__name__, event.asset)
                if key not in shown:
                    shown.add(key)
                    console.print(f"  [cyan]{key[0]}[/cyan] {event.asset}")


def run_demo(console: Console, journal_path: Path | None) -> None:
    """Run the demo script and print what happened.

    Raises
    ------
    InvalidParameter
        If ``journal_path`` (or its head file) already exists: the demo's assets, pools and
        deposits must never land in a real venue's journal.
    """
    if journal_path is not None and (journal_path.exists() or head_path(journal_path).exists()):
        raise InvalidParameter(
            "--journal", str(journal_path), "a path where no file exists yet (the demo never writes into a journal)"
        )
    clock = ManualClock(start_ns=1_767_225_600 * SECOND_NS)  # 2026-01-01T00:00:00Z
    with _journal_path(journal_path) as path:
        journal = SqliteJournal(path)
        engine = Engine(journal)
        for title, commands in [*_script(clock), *pool_script(clock)]:
            outcomes = engine.execute_batch(commands)
            accepted = sum(1 for outcome in outcomes if not isinstance(outcome, Rejected))
            console.print(f"[bold]{title}[/bold]: {accepted} accepted, {len(outcomes) - accepted} rejected")
            _print_outcomes(console, outcomes)
        state = engine.state
        console.print(_asset_table(state, clock.now_ns()))
        console.print(_account_table(state, clock.now_ns()))
        console.print(pool_table(state))
        _print_checks(console, engine, journal, path)
        journal.close()


def _print_checks(console: Console, engine: Engine, journal: SqliteJournal, path: Path) -> None:
    state = engine.state
    entries = journal.verify()
    replayed = replay(journal.read())
    console.print(f"journal {path.name}: {entries} entries, keyed hash chain verified against its signed head")
    console.print(f"replay from the journal equals the live state: {replayed == state}")
    for code, asset in state.assets.items():
        held = holdings_by_asset(state)[code]
        net = state.deposited_atoms[code] - state.withdrawn_atoms[code]
        verdict = "exact" if held == net else "MISMATCH"
        console.print(
            f"conservation {code}: held anywhere {format_fixed(held, asset.params.decimals)} = deposits − withdrawals "
            f"{format_fixed(net, asset.params.decimals)} ({verdict})"
        )
