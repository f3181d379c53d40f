"""Authority through the CLI: every sender authenticated by an identity file; the attacks of issue 16 refused.

A venue's operator applies ``examples/venue.toml`` with a small script (carol and dave
deposit); then a stranger, mallory, runs her own scripts against that journal with
``ringfence venue run`` and only her own identity. Each attack fails with a named
authorization error and exit 3, and the journal is unchanged: the same signed head
(``journal verify``), the same replayed state and rows (and, once, the same ``venue show`` tables).
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from ringfence.cli.main import app
from ringfence.core.state import LedgerState
from ringfence.service.engine import replay
from ringfence.service.identity import create_identity_file
from ringfence.store.sqlite import SqliteJournal
from support.identities import EXAMPLE_PRINCIPALS, make_identities

EXAMPLES = Path(__file__).parents[2] / "examples"
VENUE = EXAMPLES / "venue.toml"
runner = CliRunner()

SETUP: list[dict[str, Any]] = [
    {"at": "1m", "type": "SubmitPrices", "prices": {"USDC": "1", "ETH": "4200", "WBTC": "65000"}},
    {"type": "Deposit", "owner": "carol", "asset": "USDC", "amount": "10000"},
    {"type": "Deposit", "owner": "dave", "asset": "USDC", "amount": "12000"},
    {"type": "Trade", "owner": "dave", "pool": "eth", "market": "ETH-PERP", "size_delta": "20", "mode": "cross"},
]
ORACLE_GUARDS = {
    "source_weights": [1],
    "quorum": 1,
    "max_staleness": "2m",
    "max_deviation": "2%",
    "max_confidence": "1%",
    "max_jump": "15%",
    "guard_release": "5m",
    "delay_interval": "1h",
    "delay_growth_limit": "6%",
    "stable_growth_limit": "0.03%",
}
FAKE_MARKET = {
    "market": "FAKE-PERP",
    "base_asset": "FAKE",
    "initial_margin": "10%",
    "maintenance_margin": "5%",
    "spread": "0.05%",
    "taker_fee": "0.05%",
    "skew_scale": "1000000",
    "max_funding_rate_per_day": "1%",
    "open_interest_cap": "1000000",
    "pnl_weight": "100%",
}


def invoke(*args: str | Path) -> Result:
    return runner.invoke(app, [str(arg) for arg in args])


def output(result: Result) -> str:
    return " ".join(result.output.split())


def toml_value(value: Any) -> str:
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{key} = {toml_value(item)}" for key, item in value.items()) + " }"
    return json.dumps(value)  # a JSON string, number or list of strings is the same TOML value


def write_script(path: Path, entries: list[dict[str, Any]]) -> Path:
    path.write_text(
        "".join("[[command]]\n" + "".join(f"{k} = {toml_value(v)}\n" for k, v in e.items()) for e in entries)
    )
    return path


@pytest.fixture(scope="module")
def ids(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The operator's identities: every sender of the venue and of the setup script."""
    return make_identities(tmp_path_factory.mktemp("operator"))


@pytest.fixture(scope="module")
def mallory(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A stranger's own identity file, and nothing else."""
    path = tmp_path_factory.mktemp("stranger") / "mallory.identity"
    create_identity_file(path, "mallory")
    return path


@pytest.fixture(scope="module")
def applied_venue(ids: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A journal holding the example venue, with carol's and dave's deposits and dave's long."""
    folder = tmp_path_factory.mktemp("applied")
    path = folder / "venue.sqlite"
    setup = write_script(folder / "setup.toml", SETUP)
    applied = invoke("venue", "apply", VENUE, setup, "--journal", path, "--identity-dir", ids)
    assert applied.exit_code == 0, applied.output
    return path


@pytest.fixture
def journal(applied_venue: Path, tmp_path: Path) -> Path:
    """A copy of the applied venue's journal, with its key and signed head, for one test to attack."""
    path = tmp_path / applied_venue.name
    for suffix in ("", ".key", ".head", "-wal"):
        source = applied_venue.with_name(applied_venue.name + suffix)
        if source.exists():
            shutil.copy2(source, path.with_name(path.name + suffix))
    return path


def snapshot(journal: Path) -> tuple[str, LedgerState, int]:
    """The journal's verified signed head (``N:HASH`` covers every entry), its replayed state and its row count."""
    verified = invoke("journal", "verify", journal)
    assert verified.exit_code == 0, verified.output
    store = SqliteJournal(journal, read_only=True)
    try:
        state = replay(store.read_verified())
    finally:
        store.close()
    with closing(sqlite3.connect(journal)) as connection:
        (rows,) = connection.execute("SELECT COUNT(*) FROM events").fetchone()
    head = next(line for line in verified.output.splitlines() if line.startswith("journal head"))
    return head, state, int(rows)


def shown(journal: Path) -> str:
    """The tables ``venue show`` prints for the journal."""
    result = invoke("venue", "show", "--journal", journal)
    assert result.exit_code == 0, result.output
    return result.output


def run_as(identity: Path, journal: Path, script: Path, *options: str) -> Result:
    return invoke("venue", "run", script, "--journal", journal, "--identity", identity, *options)


# --------------------------------------------------------------------------- the three attacks of issue 16


def test_a_stranger_cannot_list_an_asset_give_it_an_oracle_or_add_its_market_to_pool_btc(
    journal: Path, mallory: Path, tmp_path: Path
) -> None:
    # Arrange: issue 16's first attack (--keep-going tries each step; quoting FAKE would be an
    # invalid command once its listing is refused, so the plan check would stop it with exit 2)
    before, tables = snapshot(journal), shown(journal)
    script = write_script(
        tmp_path / "self-listing.toml",
        [
            {
                "type": "RegisterAsset",
                "sender": "mallory",
                "asset": "FAKE",
                "decimals": 6,
                "initial_weight": "90%",
                "maintenance_weight": "95%",
                "supply_cap": "1000000",
                "weight_scale_start_value": "1000000000",
            },
            {"type": "ConfigureOracle", "sender": "mallory", "asset": "FAKE", "source_names": ["mallory"]}
            | ORACLE_GUARDS,
            {"type": "AddMarket", "sender": "mallory", "pool": "btc", "params": FAKE_MARKET},
        ],
    )

    # Act
    result = run_as(mallory, journal, script, "--keep-going")

    # Assert
    assert result.exit_code == 3, result.output
    text = output(result)
    assert "command[0] +0s RegisterAsset FAKE: rejected at command[0]: Unauthorized: 'mallory'" in text
    assert "command[1] +0s ConfigureOracle FAKE: rejected at command[1]: Unauthorized: 'mallory'" in text
    assert "command[2] +0s AddMarket btc: rejected at command[2]: Unauthorized: 'mallory'" in text
    assert ": ok" not in text
    assert snapshot(journal) == before
    assert shown(journal) == tables


def test_a_stranger_cannot_rewrite_the_eth_oracle_or_quote_eth(journal: Path, mallory: Path, tmp_path: Path) -> None:
    # Arrange: issue 16's second attack: ETH's oracle becomes mallory alone, quoting $1
    before = snapshot(journal)
    script = write_script(
        tmp_path / "oracle.toml",
        [
            {"type": "ConfigureOracle", "sender": "mallory", "asset": "ETH", "source_names": ["mallory"]}
            | ORACLE_GUARDS,
            {"type": "SubmitPrice", "asset": "ETH", "source": "mallory", "price": "1"},
            {"type": "SubmitPrice", "sender": "mallory", "asset": "ETH", "source": "chainlink", "price": "1"},
            {"type": "Liquidate", "keeper_owner": "mallory", "owner": "dave", "pool": "eth", "market": "ETH-PERP"},
        ],
    )

    # Act
    result = run_as(mallory, journal, script, "--keep-going")

    # Assert
    assert result.exit_code == 3, result.output
    text = output(result)
    assert "command[0] +0s ConfigureOracle ETH: rejected at command[0]: Unauthorized: 'mallory'" in text
    assert "rejected at command[1]: Unauthorized: 'mallory' does not hold the feeder of the ETH oracle role" in text
    assert (
        "rejected at command[2].source: ActingAsAnother: 'mallory' sent a command whose source is 'chainlink'" in text
    )
    assert "command[3] +0s Liquidate dave/0 eth/ETH-PERP: rejected" in text  # dave is healthy at the true price
    assert ": ok" not in text
    assert snapshot(journal) == before


def test_a_stranger_cannot_grant_herself_a_role_or_pause_a_pool(journal: Path, mallory: Path, tmp_path: Path) -> None:
    # Arrange: issue 16's third attack: a self-granted guardian pauses pool btc
    before = snapshot(journal)
    script = write_script(
        tmp_path / "roles.toml",
        [
            {"type": "GrantRole", "actor": "mallory", "role": "guardian", "principal": "mallory"},
            {"type": "GrantRole", "sender": "mallory", "actor": "admin", "role": "guardian", "principal": "mallory"},
            {"type": "PausePool", "actor": "mallory", "pool": "btc", "reason": "mine now"},
        ],
    )

    # Act
    result = run_as(mallory, journal, script, "--keep-going")

    # Assert
    assert result.exit_code == 3, result.output
    text = output(result)
    assert "command[0] +0s GrantRole: rejected at command[0]: Unauthorized: 'mallory' does not hold the admin" in text
    assert "rejected at command[1].actor: ActingAsAnother: 'mallory' sent a command whose actor is 'admin'" in text
    assert "command[2] +0s PausePool btc: rejected at command[2]: Unauthorized: 'mallory' does not hold" in text
    assert ": ok" not in text
    assert snapshot(journal) == before


def test_a_script_acting_as_the_admin_without_its_identity_is_not_authenticated(
    journal: Path, mallory: Path, tmp_path: Path
) -> None:
    before = snapshot(journal)
    script = write_script(
        tmp_path / "as-admin.toml",
        [{"type": "GrantRole", "actor": "admin", "role": "guardian", "principal": "mallory"}],
    )

    result = run_as(mallory, journal, script)

    assert result.exit_code == 3, result.output
    assert "NotAuthenticated" in output(result)
    assert "no identity file was given for 'admin'" in output(result)
    assert snapshot(journal) == before


def test_even_the_admin_lists_an_asset_only_through_a_proposal_once_the_venue_is_open(
    journal: Path, ids: Path, tmp_path: Path
) -> None:
    before = snapshot(journal)
    listing = {
        "type": "RegisterAsset",
        "sender": "admin",
        "asset": "SOL",
        "decimals": 9,
        "initial_weight": "50%",
        "maintenance_weight": "60%",
        "supply_cap": "1",
        "weight_scale_start_value": "2",
    }
    script = write_script(tmp_path / "listing.toml", [listing])

    result = invoke("venue", "run", script, "--journal", journal, "--identity-dir", ids)

    assert result.exit_code == 3, result.output
    assert "GenesisClosed: the venue is open: to send RegisterAsset, a proposer sends ProposeVenueChange" in output(
        result
    )
    assert snapshot(journal) == before


# --------------------------------------------------------------------------- acting as another owner


def test_carols_identity_cannot_deposit_for_dave(journal: Path, ids: Path, tmp_path: Path) -> None:
    # Arrange: the operator hands carol only her own identity
    before = snapshot(journal)
    script = write_script(
        tmp_path / "as-dave.toml", [{"type": "Withdraw", "owner": "dave", "asset": "USDC", "amount": "1"}]
    )

    # Act: the sender defaults to the owner, dave, whose identity carol does not hold
    result = run_as(ids / "carol.identity", journal, script)

    # Assert
    assert result.exit_code == 3, result.output
    assert (
        "NotAuthenticated: senders not authenticated, nothing was executed: no identity file was given for 'dave'"
        in (output(result))
    )
    assert snapshot(journal) == before


def test_carol_sending_a_command_that_names_dave_as_owner_is_acting_as_another(
    journal: Path, ids: Path, tmp_path: Path
) -> None:
    before = snapshot(journal)
    script = write_script(
        tmp_path / "as-dave.toml",
        [{"type": "Withdraw", "sender": "carol", "owner": "dave", "asset": "USDC", "amount": "1"}],
    )

    result = run_as(ids / "carol.identity", journal, script)

    assert result.exit_code == 3, result.output
    assert "rejected at command[0].owner: ActingAsAnother: 'carol' sent a command whose owner is 'dave'" in output(
        result
    )
    assert snapshot(journal) == before


def test_carol_withdrawing_her_own_funds_with_her_identity_is_accepted(
    journal: Path, ids: Path, tmp_path: Path
) -> None:
    script = write_script(
        tmp_path / "own.toml", [{"type": "Withdraw", "owner": "carol", "asset": "USDC", "amount": "1"}]
    )

    result = run_as(ids / "carol.identity", journal, script)

    assert result.exit_code == 0, result.output
    # carol deposited 10,000 USDC and withdrew 1
    assert snapshot(journal)[1].accounts["carol", 0].balances["USDC"] == 9_999 * 10**6


# --------------------------------------------------------------------------- authentication


def test_an_identity_with_another_key_than_the_registered_one_is_refused(journal: Path, tmp_path: Path) -> None:
    # Arrange: someone made a new "carol" identity; the journal registered the operator's carol
    before = snapshot(journal)
    impostor = tmp_path / "carol.identity"
    create_identity_file(impostor, "carol")
    script = write_script(
        tmp_path / "own.toml", [{"type": "Withdraw", "owner": "carol", "asset": "USDC", "amount": "1"}]
    )

    # Act
    result = run_as(impostor, journal, script)

    # Assert
    assert result.exit_code == 3, result.output
    assert "NotAuthenticated" in output(result)
    assert f"'carol': the identity {impostor} holds public key" in output(result)
    assert snapshot(journal) == before


def test_a_new_principal_is_registered_with_its_first_accepted_command(
    journal: Path, mallory: Path, tmp_path: Path
) -> None:
    script = write_script(
        tmp_path / "join.toml", [{"type": "Deposit", "owner": "mallory", "asset": "USDC", "amount": "1"}]
    )
    public_key = json.loads(mallory.read_text())["public_key_hex"]

    result = run_as(mallory, journal, script)

    assert result.exit_code == 0, result.output
    assert f"registered principal mallory (Ed25519 public key {public_key[:16]}…)" in output(result)
    state = snapshot(journal)[1]
    assert state.principals["mallory"] == public_key
    assert state.accounts["mallory", 0].balances["USDC"] == 1 * 10**6


def test_apply_without_identities_names_every_sender_and_writes_nothing(tmp_path: Path) -> None:
    journal = tmp_path / "venue.sqlite"

    result = invoke("venue", "apply", VENUE, "--journal", journal)

    assert result.exit_code == 3, result.output
    expected = "no identity file was given for 'admin', 'chainlink', 'pyth', 'redstone', 'lpfund'"
    assert expected in output(result)
    with closing(sqlite3.connect(journal)) as connection:
        assert connection.execute("SELECT COUNT(*) FROM events").fetchone() == (0,)


def test_an_identity_file_readable_by_others_is_refused_with_exit_2(tmp_path: Path) -> None:
    folder = make_identities(tmp_path / "ids", EXAMPLE_PRINCIPALS)
    (folder / "admin.identity").chmod(0o644)

    result = invoke("venue", "apply", VENUE, "--identity-dir", folder)

    assert result.exit_code == 2, result.output
    assert "IdentityError" in output(result)
    assert "admin.identity: accessible by group or others (mode 0644)" in output(result)


def test_run_on_a_missing_journal_exits_2(mallory: Path, tmp_path: Path) -> None:
    script = write_script(
        tmp_path / "s.toml", [{"type": "Deposit", "owner": "mallory", "asset": "USDC", "amount": "1"}]
    )

    result = run_as(mallory, tmp_path / "missing.sqlite", script)

    assert result.exit_code == 2, result.output
    assert "no journal" in output(result)
    assert not (tmp_path / "missing.sqlite").exists()


# ------------------------------------------------------------- changes after opening: a timelocked proposal

SOL_LISTING = (
    '[[command]]\ntype = "GrantRole"\nactor = "admin"\nrole = "proposer"\nprincipal = "admin"\n'
    '[[command]]\ntype = "GrantRole"\nactor = "admin"\nrole = "executor"\nprincipal = "admin"\n'
    '[[command]]\ntype = "ProposeVenueChange"\nactor = "admin"\n'
    '[command.change]\ntype = "RegisterAsset"\nasset = "SOL"\ndecimals = 9\ninitial_weight = "50%"\n'
    'maintenance_weight = "60%"\nsupply_cap = "1000"\nweight_scale_start_value = "1000000"\n'
    '[[command]]\nat = "{executed_at}"\ntype = "ExecuteProposal"\nactor = "admin"\nproposal_id = 1\n'
)


def test_the_admin_lists_an_asset_by_a_proposal_executed_after_the_timelock(
    journal: Path, ids: Path, tmp_path: Path
) -> None:
    script = tmp_path / "listing.toml"
    script.write_text(SOL_LISTING.replace("{executed_at}", "2d"))  # the example's timelock: 2 days

    result = invoke("venue", "run", script, "--journal", journal, "--identity-dir", ids)

    assert result.exit_code == 0, result.output
    listed = snapshot(journal)[1].assets["SOL"].params
    assert (listed.decimals, listed.supply_cap_atoms) == (9, 1_000 * 10**9)  # 1,000 SOL of 9 decimals


def test_a_proposal_executed_before_the_timelock_is_refused_and_lists_nothing(
    journal: Path, ids: Path, tmp_path: Path
) -> None:
    script = tmp_path / "listing.toml"
    script.write_text(SOL_LISTING.replace("{executed_at}", "47h59m"))  # one minute short of 2 days

    result = invoke("venue", "run", script, "--journal", journal, "--identity-dir", ids)

    assert result.exit_code == 3, result.output
    assert "command[3] +47h59m ExecuteProposal: rejected at command[3]: ProposalNotExecutable" in output(result)
    assert "SOL" not in snapshot(journal)[1].assets


def test_a_stranger_cannot_propose_a_venue_change(journal: Path, mallory: Path, tmp_path: Path) -> None:
    before = snapshot(journal)
    script = tmp_path / "proposal.toml"
    text = SOL_LISTING.replace("{executed_at}", "2d").replace('actor = "admin"', 'actor = "mallory"')
    script.write_text(text[text.index('[[command]]\ntype = "ProposeVenueChange"') :])

    result = run_as(mallory, journal, script)

    assert result.exit_code == 3, result.output
    assert "rejected at command[0]: Unauthorized: 'mallory' does not hold the proposer role" in output(result)
    assert snapshot(journal) == before
