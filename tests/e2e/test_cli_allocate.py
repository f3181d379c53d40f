"""``ringfence allocate`` end to end: one owner's vaults across pools, the allocator's split, an executable script.

The venue is the bundled example (``examples/venue.toml``) with ``examples/allocate-script.toml``:
frank holds three isolated positions in two pools across sub-accounts 1 and 2, and idle USDC in 1, 2
and 3. Checked against things computed outside the CLI: the journal's own state after the
suggested script runs (vaults equal the suggestion, nothing created or lost), the engine's own
verdict on removals at the floor it printed, and the printed probability against the first-passage
formula typed out with scipy from the printed liquidation price.
"""

from __future__ import annotations

import math
import re
import tomllib
from pathlib import Path

import pytest
from scipy import stats
from typer.testing import CliRunner, Result

from ringfence.cli.main import app
from ringfence.core.apply import apply
from ringfence.core.errors import InsufficientMargin
from ringfence.core.pool.commands import AdjustIsolatedMargin
from ringfence.core.pool.state import MarginMode
from ringfence.risk.owner_book import owner_book
from ringfence.service.venue import replay_with_time
from ringfence.store.sqlite import SqliteJournal
from support.identities import make_identities

EXAMPLES = Path(__file__).parents[2] / "examples"
runner = CliRunner()
VOLATILITY = ("--volatility", "ETH=80%", "--volatility", "WBTC=60%")


def invoke(*args: str | Path) -> Result:
    return runner.invoke(app, [str(arg) for arg in args], env={"COLUMNS": "220"})


@pytest.fixture
def journal(tmp_path: Path) -> Path:
    ids = make_identities(tmp_path / "ids")
    path = tmp_path / "venue.sqlite"
    result = invoke(
        "venue", "apply", EXAMPLES / "venue.toml", EXAMPLES / "allocate-script.toml", "--journal", path,
        "--identity-dir", ids,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return path


def _state(path: Path):
    store = SqliteJournal(path, read_only=True)
    try:
        return replay_with_time(store.read_verified())
    finally:
        store.close()


def _frank_usdc(path: Path) -> int:
    """Every USDC atom frank holds: balances of his sub-accounts plus his isolated vaults."""
    state, now = _state(path)
    book = owner_book(state, "frank", now)
    return sum(b.get("USDC", 0) for b in book.balances.values()) + sum(p.margin_atoms for p in book.positions)


def test_shows_every_sub_account_and_vault_and_the_probabilities(journal: Path):
    result = invoke("allocate", "--journal", journal, "--owner", "frank", *VOLATILITY, "--horizon", "1d")
    assert result.exit_code == 0, result.output
    for text in (
        "frank/1",
        "frank/2",
        "frank/3",
        "frank/1 eth/ETH-PERP",
        "frank/2 btc/BTC-PERP",
        "frank/2 eth/ETH-PERP",
    ):
        assert text in result.output
    assert "20,000 common paths" in result.output
    # The BTC short's printed probability is the first passage to its printed liquidation price (μ = 0):
    # log-drift towards an upper barrier ν = −σ²/2; P = Φ((−a + νT)/s) + e^{2νa/σ²} Φ((−a − νT)/s).
    row = next(line for line in result.output.splitlines() if "frank/2 btc/BTC-PERP │ isolated" in line)
    cells = [cell.strip() for cell in row.split("│")]
    mark, barrier, shown = float(cells[4]), float(cells[7].replace(",", "")), float(cells[8].rstrip("%"))
    sigma, horizon = 0.6, 1 / 365
    a, nu, s = math.log(barrier / mark), -(sigma**2) / 2, sigma * math.sqrt(horizon)
    expected = stats.norm.cdf((-a + nu * horizon) / s) + math.exp(2 * nu * a / sigma**2) * stats.norm.cdf(
        (-a - nu * horizon) / s
    )
    # The barrier is printed to 4 decimals: a 5e-5 error in L moves P by far less than the printed 1e-6.
    assert shown == pytest.approx(expected * 100, abs=2e-4)


def test_the_suggested_script_runs_and_reaches_the_suggestion_exactly(journal: Path, tmp_path: Path):
    script = tmp_path / "rebalance.toml"
    before = _frank_usdc(journal)
    result = invoke("allocate", "--journal", journal, "--owner", "frank", *VOLATILITY, "--script-out", script)
    assert result.exit_code == 0, result.output
    assert "transfer" in result.output
    suggested = {}
    for line in result.output.splitlines():
        match = re.match(r"│ (frank/\d \w+/[\w-]+)\s+│\s+([\d.]+) │\s+([\d.]+) │\s+([\d.]+) │", line)
        if match:
            suggested[match.group(1)] = match.group(4)
    assert len(suggested) == 3
    commands = tomllib.loads(script.read_text())["command"]
    assert {c["type"] for c in commands} == {"Transfer", "AdjustIsolatedMargin"}

    ran = invoke("venue", "run", script, "--journal", journal, "--identity-dir", tmp_path / "ids")
    assert ran.exit_code == 0, ran.output
    state, now = _state(journal)
    book = owner_book(state, "frank", now)
    for position in book.positions:
        label = f"frank/{position.sub_account} {position.pool}/{position.market}"
        assert position.margin_atoms == round(float(suggested[label]) * 10**6)
    assert _frank_usdc(journal) == before  # every atom is still frank's
    assert sum(p.margin_atoms for p in book.positions) == before  # the idle balances went into the vaults

    again = invoke("allocate", "--journal", journal, "--owner", "frank", *VOLATILITY)
    assert again.exit_code == 0, again.output
    assert "no rebalancing suggested" in again.output


def test_vaults_only_moves_nothing_but_the_vaults(journal: Path):
    result = invoke("allocate", "--journal", journal, "--owner", "frank", *VOLATILITY, "--vaults-only")
    assert result.exit_code == 0, result.output
    assert "idle balance" not in result.output
    state, now = _state(journal)
    vaults = sum(p.margin_atoms for p in owner_book(state, "frank", now).positions)
    assert f"{vaults / 10**6:.6f}".rstrip("0").rstrip(".") + " USDC allocated (0 of it idle now)" in result.output


def test_the_floor_is_exactly_what_the_engine_lets_a_vault_keep(journal: Path):
    state, now = _state(journal)
    checked = 0
    for position in owner_book(state, "frank", now).positions:
        assert position.mode is MarginMode.ISOLATED
        if position.floor_atoms in (0, position.margin_atoms):
            continue
        checked += 1

        def remove(atoms: int, position=position) -> None:
            command = AdjustIsolatedMargin(
                owner="frank", sub_account=position.sub_account, pool=position.pool, market=position.market,
                delta_atoms=-atoms, timestamp_ns=now,
            )  # fmt: skip
            apply(_state(journal)[0], command, "frank")

        remove(position.margin_atoms - position.floor_atoms)  # down to the floor: accepted
        with pytest.raises(InsufficientMargin):
            remove(position.margin_atoms - position.floor_atoms + 1)  # one atom below it: refused
    assert checked == 3  # every vault of the example holds more than its floor


@pytest.mark.parametrize(
    ("args", "code", "says"),
    [
        (("--owner", "nobody", *VOLATILITY), 2, "unknown owner 'nobody'"),
        (("--owner", "frank", "--volatility", "ETH=80%"), 2, "WBTC"),
        (("--owner", "frank", "--volatility", "ETH", "--volatility", "WBTC=1"), 2, "ASSET=RATIO"),
        (("--owner", "frank", "--volatility", "ETH=-5%", "--volatility", "WBTC=1"), 2, "--volatility"),
        (("--owner", "frank", *VOLATILITY, "--horizon", "0"), 2, "above 0"),
        (("--owner", "frank", *VOLATILITY, "--threshold", "2"), 2, "[0, 1]"),
        (("--owner", "frank", *VOLATILITY, "--horizon", "soon"), 2, "--horizon"),
    ],
)
def test_bad_input_is_named_with_its_exit_code_and_no_traceback(journal: Path, args, code, says):
    result = invoke("allocate", "--journal", journal, *args)
    assert result.exit_code == code, result.output
    assert says in result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_a_journal_that_is_a_folder_or_missing(tmp_path: Path):
    folder = invoke("allocate", "--journal", tmp_path, "--owner", "frank", *VOLATILITY)
    assert folder.exit_code == 4 and "JournalUnreadable" in folder.output
    missing = invoke("allocate", "--journal", tmp_path / "none.sqlite", "--owner", "frank", *VOLATILITY)
    assert missing.exit_code == 2 and "no journal" in missing.output


def test_a_cross_position_is_shown_but_its_collateral_is_never_moved(tmp_path: Path):
    ids = make_identities(tmp_path / "ids")
    script = tmp_path / "cross.toml"
    script.write_text(
        """
[[command]]
at = "1m"
type = "SubmitPrices"
prices = { USDC = "1", ETH = "4200", WBTC = "65000" }

[[command]]
type = "Deposit"
owner = "dave"
asset = "USDC"
amount = "12000"

[[command]]
type = "Deposit"
owner = "dave"
sub_account = 1
asset = "USDC"
amount = "9000"

[[command]]
type = "Trade"
owner = "dave"
pool = "eth"
market = "ETH-PERP"
size_delta = "20"
mode = "cross"

[[command]]
type = "Trade"
owner = "dave"
sub_account = 1
pool = "btc"
market = "BTC-PERP"
size_delta = "1"
mode = "isolated"
margin = "8000"
"""
    )
    path = tmp_path / "venue.sqlite"
    applied = invoke(
        "venue", "apply", EXAMPLES / "venue.toml", script, "--journal", path, "--identity-dir", ids
    )  # fmt: skip
    assert applied.exit_code == 0, applied.output
    result = invoke("allocate", "--journal", path, "--owner", "dave", *VOLATILITY, "--threshold", "0")
    assert result.exit_code == 0, result.output
    sub0 = next(line for line in result.output.splitlines() if line.startswith("│ dave/0 "))
    assert "cross positions" in sub0 and sub0.rstrip(" │").endswith("-")  # its balance is not idle
    cross = next(line for line in result.output.splitlines() if "dave/0 eth/ETH-PERP │ cross" in line)
    assert cross.rstrip(" │").endswith("%")  # it has a probability (from its sub-account's surplus)
    assert "Allocator: USDC in 1 isolated vaults" in result.output
    # Only dave/1's vault and its idle 1,000 USDC (less the trade's fee) are allocated: sub-account 0 is untouched.
    state, now = _state(path)
    book = owner_book(state, "dave", now)
    movable = book.balances[1]["USDC"] + sum(p.margin_atoms for p in book.positions if p.sub_account == 1)
    assert f"{movable / 10**6:f}".rstrip("0").rstrip(".") + " USDC allocated" in result.output


def test_a_guarded_oracle_lets_a_vault_receive_but_not_give(journal: Path, tmp_path: Path):
    jump = tmp_path / "jump.toml"
    jump.write_text(
        '[[command]]\nat = "1m"\ntype = "SubmitPrices"\nprices = { USDC = "1", ETH = "3000", WBTC = "67600" }\n'
    )
    ran = invoke("venue", "run", jump, "--journal", journal, "--identity-dir", tmp_path / "ids")
    assert ran.exit_code == 0, ran.output
    assert "guard held back" in ran.output  # ETH −24% in one quote: the 15% jump guard holds it
    state, now = _state(journal)
    book = owner_book(state, "frank", now)
    eth = [p for p in book.positions if p.market == "ETH-PERP"]
    assert eth and all(p.floor_atoms == p.margin_atoms and "guarded" in p.note for p in eth)
    btc = next(p for p in book.positions if p.market == "BTC-PERP")
    assert btc.floor_atoms < btc.margin_atoms
    result = invoke("allocate", "--journal", journal, "--owner", "frank", *VOLATILITY, "--vaults-only")
    assert result.exit_code == 0, result.output
