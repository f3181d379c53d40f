"""`ringfence venue apply examples/venue.toml examples/options.toml`, then `venue run examples/options-expiry.toml`.

A call and a put listed by proposal, a smile published by an ETH feeder, three traders against the
LP vault, then settlement at the 30-minute average of the index (issue 13). The figures checked by
hand: the settlement price is (4,200 + 4,300 + 4,400) / 3 = 4,300, so each call pays 100 USDC.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from test_cli_venue import EXAMPLES, VENUE, invoke, journal_state, row, venue_apply

from support.identities import make_identities

USDC = 10**6


@pytest.fixture(scope="module")
def ids(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_identities(tmp_path_factory.mktemp("identities"))


def test_the_options_example_lists_trades_and_settles_from_the_cli(ids: Path, tmp_path: Path) -> None:
    journal = tmp_path / "journal.sqlite"
    applied = venue_apply(ids, VENUE, EXAMPLES / "options.toml", "--journal", journal)
    assert applied.exit_code == 0, applied.output
    call = row(applied.output, "Series exposure", "eth", "ETH-C-4200")
    assert call[2:5] == ["call", "10", "2"]  # traders long 10, short 2: the vault is short 8
    assert call[5].startswith("-")  # so its delta in the call is negative
    before, _ = journal_state(journal)
    carol_vault = before.pools["eth"].series_positions[(("carol", 0), "ETH-C-4200")].isolated_margin_atoms
    erin_before = before.accounts[("erin", 0)].balances["USDC"]

    ran = invoke("venue", "run", EXAMPLES / "options-expiry.toml", "--journal", journal, "--identity-dir", ids)

    assert ran.exit_code == 0, ran.output
    assert row(ran.output, "Series exposure", "eth", "ETH-C-4200")[-1] == "4300"
    state, _ = journal_state(journal)
    assert state.pools["eth"].series["ETH-C-4200"].settlement_price_wad == 4_300 * 10**18
    # carol: 10 calls × 100 USDC, with her vault's rest, back to her balance; erin (cross) pays 2 × 100
    assert state.accounts[("carol", 0)].balances["USDC"] == 10_000 * USDC - 2_500 * USDC + carol_vault + 1_000 * USDC
    assert state.accounts[("erin", 0)].balances["USDC"] == erin_before - 200 * USDC
    assert not state.pools["eth"].series_positions
