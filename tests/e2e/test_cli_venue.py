"""``ringfence venue apply`` and ``ringfence venue show`` end to end, through typer's CliRunner.

The numbers checked in the tables are computed by hand below (the arithmetic is in the
comments), from the example venue's parameters: fill = oracle · (1 + (2·skew + size) /
(2·skew_scale)) · (1 + spread), fee = notional · 0.05% rounded up, split 70% LP / 20%
insurance (each rounded down) / the rest to the protocol.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from ringfence.cli.main import app
from ringfence.core.state import LedgerState
from ringfence.service.engine import replay
from ringfence.store.sqlite import SqliteJournal
from support.identities import make_identities

EXAMPLES = Path(__file__).parents[2] / "examples"
VENUE = EXAMPLES / "venue.toml"
# governance, 3 assets, 3 oracles, 9 quotes, 2 pools, 2 markets, OpenVenue, 1 deposit, 2 LP, 2 insurance
VENUE_COMMANDS = 26
VENUE_REGISTRATIONS = 5  # admin, chainlink, pyth, redstone, lpfund: registered in the genesis batch
runner = CliRunner()

PRICES = {"type": "SubmitPrices", "prices": {"USDC": "1", "ETH": "4200", "WBTC": "65000"}}
TRADES: list[dict[str, Any]] = [
    {"at": "1m", **PRICES},
    {"type": "Deposit", "owner": "carol", "asset": "USDC", "amount": "10000"},
    {"type": "Deposit", "owner": "dave", "asset": "USDC", "amount": "12000"},
    {"type": "Deposit", "owner": "erin", "asset": "USDC", "amount": "10000"},
    {
        "type": "Trade",
        "owner": "carol",
        "pool": "eth",
        "market": "ETH-PERP",
        "size_delta": "10",
        "mode": "isolated",
        "margin": "4500",
    },
    {"type": "Trade", "owner": "dave", "pool": "eth", "market": "ETH-PERP", "size_delta": "20", "mode": "cross"},
    {"type": "Trade", "owner": "erin", "pool": "btc", "market": "BTC-PERP", "size_delta": "1", "mode": "cross"},
    {"type": "Trade", "owner": "dave", "pool": "eth", "market": "ETH-PERP", "size_delta": "5", "mode": "cross"},
]
TOO_BIG = {"type": "Trade", "owner": "dave", "pool": "eth", "market": "ETH-PERP", "size_delta": "10", "mode": "cross"}
LATER = {"type": "Deposit", "owner": "frank", "asset": "USDC", "amount": "1"}


def invoke(*args: str | Path) -> Result:
    return runner.invoke(app, [str(arg) for arg in args])


@pytest.fixture(scope="module")
def ids(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An identity file for every sender of the example venue and of the scripts below."""
    return make_identities(tmp_path_factory.mktemp("identities"))


def venue_apply(ids: Path, *args: str | Path) -> Result:
    """Run ``ringfence venue apply ARGS`` with the identities of every sender."""
    return invoke("venue", "apply", *args, "--identity-dir", ids)


def toml_value(value: Any) -> str:
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{key} = {toml_value(item)}" for key, item in value.items()) + " }"
    return json.dumps(value)  # a JSON string is a TOML basic string


def write_script(path: Path, entries: list[dict[str, Any]]) -> Path:
    path.write_text(
        "".join("[[command]]\n" + "".join(f"{k} = {toml_value(v)}\n" for k, v in e.items()) for e in entries)
    )
    return path


def table_rows(output: str, title: str) -> list[list[str]]:
    """Return the body rows of the table under ``title``, as lists of stripped cells."""
    lines = output.splitlines()
    start = next(index for index, line in enumerate(lines) if line.startswith(title))
    rows = []
    for line in lines[start + 4 :]:
        if line.startswith("└"):
            break
        rows.append([cell.strip() for cell in line.strip("│").split("│")])
    return rows


def row(output: str, title: str, *first_cells: str) -> list[str]:
    [found] = [cells for cells in table_rows(output, title) if cells[: len(first_cells)] == list(first_cells)]
    return found


def journal_state(path: Path) -> tuple[LedgerState, set[str]]:
    journal = SqliteJournal(path)
    try:
        entries = list(journal.read())
        return replay(entries), {entry.command_id for entry in entries}
    finally:
        journal.close()


def test_apply_the_example_then_show_the_crash_and_the_untouched_pool(ids: Path, tmp_path: Path) -> None:
    journal = tmp_path / "journal.sqlite"
    applied = venue_apply(ids, VENUE, EXAMPLES / "script.toml", "--journal", journal)
    assert applied.exit_code == 0, applied.output
    assert "liquidated carol/0: 10 ETH of eth/ETH-PERP at 2950" in applied.output
    assert "liquidated dave/0: 25 ETH of eth/ETH-PERP at 2950" in applied.output

    shown = invoke("venue", "show", "--journal", journal)

    assert shown.exit_code == 0, shown.output
    # erin: 1 WBTC at oracle 65,000, skew 0, scale 5,000: 65,000 · (1 + 1/10,000) = 65,006.5;
    # · 1.0005 = 65,039.00325 = the notional; fee 32.519501625 → 32.519502 (up);
    # LP 22.7636514 → 22.763651, insurance 6.5039004 → 6.5039, protocol 3.251951.
    # NAV high = vault − erin's PnL (65,000 − 65,039.00325 = −39.00325) = 500,061.766901; low: one atom less;
    # plus the funding erin owes the pool from her trade (1m) to the show (4m): skew 1 of 5,000 at 1%/day
    # = 2e-6/day, · 65,000 · 180/86,400 day = 0.000270833 USDC: low + 270 atoms (floor), high + 271 (ceiling).
    assert row(shown.output, "Pools", "btc")[3:] == [
        "500022.763651",
        "500000",
        "500061.76717",
        "500061.767172",
        "5006.5039",
        "3.251951",
        "0",
        "0",
    ]
    assert row(shown.output, "Markets", "btc")[2:6] == ["1", "0", "1", "5000"]
    assert row(shown.output, "Positions", "erin/0")[3:8] == ["1", "65039.00325", "65000", "-39.00325", "0"]
    # erin's balance 10,000 − 32.519502 = 9,967.480498; IM equity 9,967.480498 · 0.98 = 9,768.130888 (floor)
    # − 39.00325 = 9,729.127638 against 65,000 · 10% = 6,500 → 1.4967; MM 9,967.480498 · 0.99 = 9,867.805693
    # − 39.00325 = 9,828.802443 against 3,250 → 3.0242.
    assert row(shown.output, "Sub-accounts", "erin/0")[1:] == [
        "9967.480498 USDC",
        "-",
        "9729.127638",
        "6500",
        "1.4967",
        "9828.802443",
        "3250",
        "3.0242",
    ]
    assert row(shown.output, "Markets", "eth")[2:5] == ["0", "0", "0"]  # both ETH longs were closed
    assert "carol/0" not in [cells[0] for cells in table_rows(shown.output, "Positions")]


def test_the_state_before_the_crash_shows_hand_checked_fees_margins_and_health(ids: Path, tmp_path: Path) -> None:
    script = write_script(tmp_path / "trades.toml", TRADES)

    result = venue_apply(ids, VENUE, script)

    assert result.exit_code == 0, result.output
    # carol 10 ETH at skew 0: 4,200 · 1.00005 · 1.0005 = 4,202.310105, notional 42,023.10105, fee 21.011551;
    # dave 20 ETH at skew 10: 4,200 · 1.0002 · 1.0005 = 4,202.94042, notional 84,058.8084, fee 42.029405;
    # dave 5 ETH at skew 30: 4,200 · 1.000325 · 1.0005 = 4,203.4656825, notional 21,017.328413 (up), fee 10.508665.
    # LP shares of fees: 14.708085 + 29.420583 + 7.356065 = 51.484733; insurance 4.20231 + 8.405881 + 2.101733
    # = 14.709924; protocol 2.101156 + 4.202941 + 1.050867 = 7.354964.
    # Traders' PnL at 4,200: carol 42,000 − 42,023.10105 = −23.10105; dave 105,000 − 105,076.136813 = −76.136813;
    # NAV high = 500,051.484733 + 23.10105 + 76.136813 = 500,150.722596; low: two atoms less (two positions).
    assert row(result.output, "Pools", "eth")[3:] == [
        "500051.484733",
        "500000",
        "500150.722594",
        "500150.722596",
        "5014.709924",
        "7.354964",
        "0",
        "0",
    ]
    assert row(result.output, "Markets", "eth")[2:5] == ["35", "0", "35"]
    # carol's vault 4,500 − 21.011551 = 4,478.988449; equity 4,478.988449 − 23.10105 = 4,455.887399
    # against 42,000 · 5% = 2,100 → 2.1218.
    assert row(result.output, "Positions", "carol/0")[3:] == [
        "10",
        "4202.310105",
        "4200",
        "-23.10105",
        "0",
        "4478.988449",
        "2.1218",
    ]
    # dave: entry 105,076.136813 / 25 = 4,203.04547252 → 4,203.045472 (down).
    assert row(result.output, "Positions", "dave/0")[3:5] == ["25", "4203.045472"]
    # dave's balance 12,000 − 42.029405 − 10.508665 = 11,947.46193; IM 11,947.46193 · 0.98 = 11,708.512691 (floor)
    # − 76.136813 = 11,632.375878 against 105,000 · 10% = 10,500 → 1.1078;
    # MM 11,947.46193 · 0.99 = 11,827.98731 − 76.136813 = 11,751.850497 against 5,250 → 2.2384.
    assert row(result.output, "Sub-accounts", "dave/0")[1:] == [
        "11947.46193 USDC",
        "-",
        "11632.375878",
        "10500",
        "1.1078",
        "11751.850497",
        "5250",
        "2.2384",
    ]
    assert row(result.output, "Sub-accounts", "lpfund/0")[1:3] == ["990000 USDC", "500000 eth, 500000 btc"]


def test_a_bad_venue_file_exits_2_naming_every_key_and_executes_nothing(ids: Path, tmp_path: Path) -> None:
    text = VENUE.read_text().replace('initial_margin = "10%"', "initial_margin = 0.1", 1)
    text = text.replace('amount = "2000000"', 'amount = "2000000.0000001"')
    venue = tmp_path / "venue.toml"
    venue.write_text(text)
    journal = tmp_path / "journal.sqlite"

    result = venue_apply(ids, venue, "--journal", journal)

    assert result.exit_code == 2
    assert "pools.eth.markets.ETH-PERP.initial_margin: 0.1 is not accepted: a TOML float" in result.output
    assert (
        "deposits[0].amount: '2000000.0000001' is not accepted: expected at most 6 fractional digits" in result.output
    )
    assert journal_state(journal)[1] == set()


def test_a_bad_script_exits_2_before_the_venue_runs(ids: Path, tmp_path: Path) -> None:
    script = write_script(tmp_path / "script.toml", [*TRADES[:2], {**LATER, "amount": "0.0000001"}])
    journal = tmp_path / "journal.sqlite"

    result = venue_apply(ids, VENUE, script, "--journal", journal)

    assert result.exit_code == 2
    assert "command[2].amount" in result.output
    assert journal_state(journal)[1] == set()


def test_a_venue_the_engine_refuses_exits_with_the_rejection_code_at_its_key(ids: Path, tmp_path: Path) -> None:
    journal = tmp_path / "journal.sqlite"
    assert venue_apply(ids, VENUE, "--journal", journal).exit_code == 0

    again = venue_apply(ids, VENUE, "--journal", journal)

    assert again.exit_code == 3  # a second genesis is a CommandRejected
    assert "venue.admin: CommandRejected: governance is already configured" in again.output
    assert len(journal_state(journal)[1]) == VENUE_COMMANDS + VENUE_REGISTRATIONS


def test_a_rejected_script_command_stops_the_script_and_changes_nothing(ids: Path, tmp_path: Path) -> None:
    rejected_run = tmp_path / "rejected.sqlite"
    reference_run = tmp_path / "reference.sqlite"
    script = write_script(tmp_path / "script.toml", [*TRADES[:7], TOO_BIG, LATER])
    reference = write_script(tmp_path / "reference.toml", TRADES[:7])

    result = venue_apply(ids, VENUE, script, "--journal", rejected_run)

    assert result.exit_code == 3
    assert "command[7] +1m Trade dave/0 eth/ETH-PERP: rejected at command[7]: InsufficientMargin" in result.output
    assert "script stopped after 7 applied entries" in result.output
    assert venue_apply(ids, VENUE, reference, "--journal", reference_run).exit_code == 0
    state, command_ids = journal_state(rejected_run)
    # the venue, 9 quotes, 3 deposits, 3 trades, and carol, dave and erin registered with their deposits
    assert len(command_ids) == VENUE_COMMANDS + VENUE_REGISTRATIONS + 9 + 3 + 3 + 3
    assert ("frank", 0) not in state.accounts
    assert state == journal_state(reference_run)[0]


def test_keep_going_runs_past_a_rejection_and_still_exits_with_its_code(ids: Path, tmp_path: Path) -> None:
    journal = tmp_path / "journal.sqlite"
    reference_run = tmp_path / "reference.sqlite"
    script = write_script(tmp_path / "script.toml", [*TRADES[:7], TOO_BIG, LATER])
    reference = write_script(tmp_path / "reference.toml", [*TRADES[:7], LATER])

    result = venue_apply(ids, VENUE, script, "--journal", journal, "--keep-going")

    assert result.exit_code == 3
    assert "command[8] +1m Deposit frank/0 USDC: ok" in result.output
    assert venue_apply(ids, VENUE, reference, "--journal", reference_run).exit_code == 0
    assert journal_state(journal)[0] == journal_state(reference_run)[0]


def test_show_without_a_journal_exits_2(tmp_path: Path) -> None:
    result = invoke("venue", "show", "--journal", tmp_path / "missing.sqlite")

    assert result.exit_code == 2
    assert "no journal" in result.output


def test_a_keeper_liquidates_at_its_execution_price_within_the_pools_bound(ids: Path, tmp_path: Path) -> None:
    # The example with pool eth allowing executions up to 5% from the oracle, and carol's liquidation
    # executed at 2900 while the oracle says 2950: carol's 10 ETH pay 10 · 50 = 500 USDC to the keeper.
    venue = tmp_path / "venue.toml"
    venue.write_text(
        VENUE.read_text().replace(
            'nav_drawdown_limit = "20%"\n',
            'nav_drawdown_limit = "20%"\nliquidation = { max_execution_gap = "5%" }\n',
            1,
        )
    )
    script = tmp_path / "script.toml"
    original = (EXAMPLES / "script.toml").read_text()
    carol = 'type = "Liquidate"\nkeeper_owner = "keeper"\nowner = "carol"\n'
    assert carol in original
    script.write_text(original.replace(carol, carol + 'execution_price = "2900"\n'))

    applied = venue_apply(ids, venue, script, "--journal", tmp_path / "journal.sqlite")

    assert applied.exit_code == 0, applied.output
    assert "liquidated carol/0: 10 ETH of eth/ETH-PERP at 2950" in applied.output
    assert "execution cost 500 USDC" in applied.output
    refused = venue_apply(ids, VENUE, script, "--journal", tmp_path / "other.sqlite")
    assert "execution_price: InvalidParameter" in refused.output  # the example's pool allows the oracle only
