"""`ringfence venue run examples/credit-line.toml`: a credit line opened by proposal from the CLI (issue 14)."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_cli_venue import EXAMPLES, VENUE, invoke, journal_state, row, venue_apply

from support.identities import make_identities


@pytest.fixture(scope="module")
def ids(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_identities(tmp_path_factory.mktemp("identities"))


def test_the_example_opens_a_line_from_eth_to_btc_after_the_timelock(ids: Path, tmp_path: Path) -> None:
    journal = tmp_path / "journal.sqlite"
    assert venue_apply(ids, VENUE, EXAMPLES / "script.toml", "--journal", journal).exit_code == 0
    before, _ = journal_state(journal)
    eth_vault = before.pools["eth"].vault_atoms

    ran = invoke("venue", "run", EXAMPLES / "credit-line.toml", "--journal", journal, "--identity-dir", ids)

    assert ran.exit_code == 0, ran.output
    assert "ExecuteProposal: ok" in ran.output
    # eth, 50,000 USDC committed: its LP vault holds 50,000 less, the line holds them undrawn
    cells = row(ran.output, "Credit lines", "eth-to-btc")
    assert cells[1:5] == ["eth → btc", "50000", "8%", "50000"]
    state, _ = journal_state(journal)
    assert state.pools["eth"].vault_atoms == eth_vault - 50_000 * 10**6
    assert state.credit_lines["eth-to-btc"].undrawn_atoms == 50_000 * 10**6


def test_the_close_example_lowers_the_cap_then_closes_the_line(ids: Path, tmp_path: Path) -> None:
    journal = tmp_path / "journal.sqlite"
    assert venue_apply(ids, VENUE, EXAMPLES / "script.toml", "--journal", journal).exit_code == 0
    opened = invoke("venue", "run", EXAMPLES / "credit-line.toml", "--journal", journal, "--identity-dir", ids)
    assert opened.exit_code == 0, opened.output
    before, _ = journal_state(journal)
    eth_vault = before.pools["eth"].vault_atoms

    ran = invoke("venue", "run", EXAMPLES / "credit-line-close.toml", "--journal", journal, "--identity-dir", ids)

    assert ran.exit_code == 0, ran.output
    assert ran.output.count("ExecuteProposal: ok") == 2
    cells = row(ran.output, "Credit lines", "eth-to-btc (closed)")
    assert cells[1:5] == ["eth → btc", "0", "8%", "0"]
    state, _ = journal_state(journal)
    # 30,000 came back when the cap fell to 20,000, the other 20,000 at the close (nothing was drawn)
    assert state.pools["eth"].vault_atoms == eth_vault + 50_000 * 10**6
    assert state.credit_lines["eth-to-btc"].closed_ns is not None
