"""``describe_step``: one line naming a script entry (the CLI's ``venue run`` / ``venue apply`` progress)."""

from __future__ import annotations

from ringfence.cli.venue_report import describe_step
from ringfence.core.commands import Deposit, Transfer
from ringfence.core.state import LedgerState
from ringfence.service.venue.compile import Compiled
from ringfence.service.venue.script import ScriptStep


def step(command: object, type_name: str) -> ScriptStep:
    return ScriptStep(3, type_name, 60 * 10**9, (Compiled(command, "command[3]"),))  # type: ignore[arg-type]


def test_a_transfer_names_the_sub_account_it_leaves_and_the_one_it_reaches() -> None:
    # before the fix it printed frank/0 (the default of a missing ``sub_account``) for any transfer
    line = describe_step(step(Transfer("frank", 2, 5, "USDC", 10**6, 0), "Transfer"), LedgerState())

    assert line == "command[3] +1m Transfer frank/2 → frank/5 USDC"


def test_a_deposit_still_names_its_sub_account() -> None:
    line = describe_step(step(Deposit("frank", 4, "USDC", 10**6, 0), "Deposit"), LedgerState())

    assert line == "command[3] +1m Deposit frank/4 USDC"
