"""Insurance cover through the CLI: an underwriter's offer, the pool's acceptance by proposal, ``venue show``.

The example venue (``examples/venue.toml``) funds pool ``eth``'s insurance with 5,000 USDC; its
governance timelock is two days. The script below is the one docs/insurance.md shows.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from ringfence.cli.main import app
from support.identities import make_identities

EXAMPLES = Path(__file__).parents[2] / "examples"
runner = CliRunner()

COVER_SCRIPT = """\
[[command]]
at = "1m"
type = "SubmitPrices"
prices = { USDC = "1", ETH = "4200", WBTC = "65000" }

[[command]]
type = "Deposit"
owner = "frank"
asset = "USDC"
amount = "1000"

[[command]]
type = "OfferCover"
owner = "frank"
pool = "eth"
[command.terms]
cover_limit = "1000"
deductible = "100"
premium_per_period = "2.5"
period = "1d"
periods = 30
premium_source = "insurance_fund"

[[command]]
type = "GrantRole"
actor = "admin"
role = "proposer"
principal = "admin"

[[command]]
type = "GrantRole"
actor = "admin"
role = "executor"
principal = "admin"

[[command]]
type = "ProposeVenueChange"
actor = "admin"
[command.change]
type = "AcceptCover"
pool = "eth"
policy_id = 1

[[command]]
at = "2d1m"
type = "SubmitPrices"
prices = { USDC = "1", ETH = "4200", WBTC = "65000" }

[[command]]
type = "ExecuteProposal"
actor = "admin"
proposal_id = 1
"""


def _invoke(*args: str | Path) -> Result:
    return runner.invoke(app, [str(arg) for arg in args])


def _row(output: str, title: str, first: str) -> list[str]:
    lines = output.splitlines()
    start = next(index for index, line in enumerate(lines) if line.startswith(title))
    for line in lines[start + 4 :]:
        cells = [cell.strip() for cell in line.strip("│").split("│")]
        if cells[0] == first:
            return cells
    raise AssertionError(f"no row {first} under {title}")


@pytest.fixture(scope="module")
def ids(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_identities(tmp_path_factory.mktemp("identities"))


def test_an_underwriter_covers_pool_eth_and_venue_show_lists_the_cover_in_force(ids: Path, tmp_path: Path) -> None:
    journal, script = tmp_path / "journal.sqlite", tmp_path / "cover.toml"
    script.write_text(COVER_SCRIPT)

    applied = _invoke("venue", "apply", EXAMPLES / "venue.toml", script, "--journal", journal, "--identity-dir", ids)
    shown = _invoke("venue", "show", "--journal", journal)

    assert applied.exit_code == 0, applied.output
    assert shown.exit_code == 0, shown.output
    pools = _row(shown.output, "Pools", "eth")
    # insurance 5,000 − the first premium 2.5 = 4,997.5; cover in force: the locked 1,000 (the last column)
    assert (pools[7], pools[-1]) == ("4997.5", "1000")
    assert _row(shown.output, "Pools", "btc")[-1] == "0"
    # frank: 1,000 deposited, all locked in the policy; the premium 2.5 paid to him
    assert _row(shown.output, "Sub-accounts", "frank/0")[1] == "2.5 USDC"
