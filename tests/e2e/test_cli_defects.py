"""CLI defects of issue 16: each input problem is a named error with exit 2 (4 for the journal), never a traceback.

Also: a script is checked in full before anything is appended, so an invalid command leaves
the journal untouched and a corrected rerun succeeds; ``demo`` refuses an existing journal;
the apply report names every waterfall step.
"""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from ringfence.cli.main import app
from ringfence.cli.venue_report import event_lines
from ringfence.core.commands import Deposit
from ringfence.core.decide import decide
from ringfence.core.errors import ActingAsAnother, InvalidParameter
from ringfence.core.pool.events import AutoDeleveraged, BackstopAbsorbed, InsuranceDrawn, LossSocialised
from ringfence.core.state import LedgerState
from ringfence.service.engine import Engine
from ringfence.service.venue import apply_venue, load_plan
from ringfence.store.memory import MemoryJournal
from support.identities import make_identities

runner = CliRunner()
VENUE = Path(__file__).parents[2] / "examples" / "venue.toml"
TRADES: list[dict[str, Any]] = [
    {"at": "1m", "type": "SubmitPrices", "prices": {"USDC": "1", "ETH": "4200", "WBTC": "65000"}},
    {"type": "Deposit", "owner": "carol", "asset": "USDC", "amount": "10000"},
    {"type": "Deposit", "owner": "dave", "asset": "USDC", "amount": "12000"},
]


def toml_value(value: Any) -> str:
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{key} = {toml_value(item)}" for key, item in value.items()) + " }"
    return json.dumps(value)  # a JSON string (or number) is a TOML basic string (or integer)


def write_script(path: Path, entries: list[dict[str, Any]]) -> Path:
    path.write_text(
        "".join("[[command]]\n" + "".join(f"{k} = {toml_value(v)}\n" for k, v in e.items()) for e in entries)
    )
    return path


def invoke(*args: str | Path) -> Result:
    return runner.invoke(app, [str(arg) for arg in args])


@pytest.fixture(scope="module")
def ids(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An identity file for every sender of the example venue and of the scripts below."""
    return make_identities(tmp_path_factory.mktemp("identities"))


def output(result: Result) -> str:
    return " ".join(result.output.split())


def event_count(path: Path) -> int:
    with closing(sqlite3.connect(path)) as connection:
        (count,) = connection.execute("SELECT COUNT(*) FROM events").fetchone()
    return int(count)


# --------------------------------------------------------------------------- files and paths


def test_a_venue_file_that_is_not_utf8_is_a_named_error_with_exit_2(tmp_path: Path) -> None:
    venue = tmp_path / "venue.toml"
    venue.write_bytes(b'name = "\xff\xfe"\n')

    result = invoke("venue", "apply", venue)

    assert result.exit_code == 2, result.output
    assert "not UTF-8 text" in output(result)
    assert result.exception is None or isinstance(result.exception, SystemExit)


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda folder: folder, "it is a directory"),
        (lambda folder: folder / "missing" / "journal.sqlite", "the folder"),
        (lambda folder: folder / "notes.txt", "not an SQLite file"),
    ],
    ids=["directory", "missing-folder", "not-sqlite"],
)
def test_apply_with_an_unusable_journal_path_is_a_named_error_with_exit_4(
    tmp_path: Path, make: object, reason: str
) -> None:
    # Arrange
    (tmp_path / "notes.txt").write_text("not a journal\n")
    assert callable(make)
    path: Path = make(tmp_path)

    # Act
    result = invoke("venue", "apply", VENUE, "--journal", path)

    # Assert
    assert result.exit_code == 4, result.output
    assert "JournalUnreadable" in output(result)
    assert reason in output(result)
    assert (tmp_path / "notes.txt").read_text() == "not a journal\n"


def test_stress_out_naming_a_file_is_refused_before_the_study_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Arrange: a study must never start
    def no_study(*args: object, **kwargs: object) -> None:
        raise AssertionError("the study ran before --out was checked")

    monkeypatch.setattr("ringfence.cli.stress.run_study", no_study)
    target = tmp_path / "results.txt"
    target.write_text("keep me\n")

    # Act
    result = invoke("stress", "--out", target, "--runs", "2")

    # Assert
    assert result.exit_code == 2, result.output
    assert "is a file, not a folder for the results" in output(result)
    assert target.read_text() == "keep me\n"


def test_stress_runs_beyond_the_limit_is_refused_with_exit_2() -> None:
    result = invoke("stress", "--runs", "99999999999")

    assert result.exit_code == 2, result.output
    assert "runs" in output(result)


# --------------------------------------------------------------------------- nothing half-written


@pytest.mark.parametrize(
    ("bad", "field"),
    [
        ({"type": "Deposit", "owner": "frank", "asset": "USDC", "amount": "0"}, "amount"),
        ({"type": "Deposit", "owner": "frånk", "asset": "USDC", "amount": "1"}, "owner"),
        ({"type": "Deposit", "owner": "frank", "sub_account": 100000, "asset": "USDC", "amount": "1"}, "sub_account"),
        ({"type": "Deposit", "owner": "carol\n", "asset": "USDC", "amount": "1"}, "owner"),
    ],
    ids=["zero-amount", "non-ascii-owner", "sub-account-out-of-range", "owner-with-trailing-newline"],
)
def test_an_invalid_script_command_leaves_the_journal_untouched_and_a_corrected_rerun_succeeds(
    ids: Path, tmp_path: Path, bad: dict[str, object], field: str
) -> None:
    # Arrange: the invalid command comes after a few valid ones
    journal = tmp_path / "journal.sqlite"
    script = write_script(tmp_path / "script.toml", [*TRADES, bad])

    # Act
    refused = invoke("venue", "apply", VENUE, script, "--journal", journal, "--identity-dir", ids)
    untouched = event_count(journal)
    fixed = write_script(tmp_path / "fixed.toml", TRADES)
    rerun = invoke("venue", "apply", VENUE, fixed, "--journal", journal, "--identity-dir", ids)

    # Assert
    assert refused.exit_code == 2, refused.output
    assert "nothing was executed" in output(refused)
    assert f"command[3].{field}" in output(refused)
    assert untouched == 0
    assert rerun.exit_code == 0, rerun.output


def test_an_owner_name_with_a_trailing_newline_is_refused_by_the_core() -> None:
    # sent as itself, the name is refused as a sender; sent by carol, it is another principal's command
    with pytest.raises(InvalidParameter) as raised:
        decide(LedgerState(), Deposit("carol\n", 0, "USDC", 1, 0), "carol\n")
    with pytest.raises(ActingAsAnother) as acting:
        decide(LedgerState(), Deposit("carol\n", 0, "USDC", 1, 0), "carol")

    assert raised.value.field == "sender"
    assert acting.value.named == "carol\n"


# --------------------------------------------------------------------------- demo


def test_demo_refuses_an_existing_journal_and_leaves_it_byte_identical(ids: Path, tmp_path: Path) -> None:
    # Arrange: a real venue's journal
    journal = tmp_path / "venue.sqlite"
    applied = invoke("venue", "apply", VENUE, "--journal", journal, "--identity-dir", ids)
    assert applied.exit_code == 0, applied.output
    before = journal.read_bytes()

    # Act
    result = invoke("demo", "--journal", journal)

    # Assert
    assert result.exit_code == 2, result.output
    assert "InvalidParameter" in output(result)
    assert journal.read_bytes() == before


# --------------------------------------------------------------------------- the waterfall in the report


def test_the_apply_report_names_every_waterfall_step_with_its_amount() -> None:
    # Arrange: the example venue's state (pool eth, quote USDC with 6 decimals, base ETH with 18)
    engine = Engine(MemoryJournal())
    apply_venue(engine, load_plan(engine.state, VENUE).venue)
    events = (
        InsuranceDrawn(pool="eth", amount_atoms=22_010_000, shortfall_atoms=1_426_210_000, timestamp_ns=0),
        BackstopAbsorbed(pool="eth", amount_atoms=0, timestamp_ns=0),
        AutoDeleveraged(
            pool="eth",
            market="ETH-PERP",
            owner="erin",
            sub_account=0,
            closed_atoms=5 * 10**17,
            forgone_atoms=1_404_200_000,
            rank=1,
            timestamp_ns=0,
        ),
        LossSocialised(pool="eth", amount_atoms=0, timestamp_ns=0),
    )

    # Act
    lines = event_lines(events, engine.state)

    # Assert: 22.01 + 0 + 1,404.20 + 0 = 1,426.21 USDC, the shortfall
    assert lines == [
        "insurance fund of eth paid 22.01 USDC",
        "backstop of eth absorbed 0 USDC",
        "ADL in eth/ETH-PERP: erin/0 (rank 1) closed 0.5 ETH, forgoing 1404.2 USDC of profit",
        "LPs of eth bore 0 USDC (socialised loss)",
        "waterfall of eth: insurance 22.01 USDC, cover 0 USDC, backstop 0 USDC, ADL 1404.2 USDC,"
        " socialised loss 0 USDC",
    ]
