"""Acceptance: a principal acting as another (owner, keeper, feeder, actor) gets 403 and changes nothing.

Every command the HTTP API offers is sent by ``mallory`` (registered through self-registration) with
the field that names who acts set to ``carol``; each must come back 403 ``ActingAsAnother`` while the
engine's state, the journal's head and the journal file's entries stay exactly as they were.
"""

from __future__ import annotations

import copy
import dataclasses
import typing
from pathlib import Path
from typing import Any

import pytest

from ringfence.core.authority import acting_field
from ringfence.core.commands import Command
from ringfence.core.governance.state import Role
from ringfence.core.pool.state import MarginMode
from ringfence.http.client import ProblemError
from ringfence.http.commands import HTTP_COMMANDS, VENUE_CHANGES
from ringfence.store.sqlite import SqliteJournal
from support.service import LiveService, live_service

LISTING = {
    "type": "RegisterAsset",
    "asset": "DOGE",
    "decimals": 8,
    "initial_weight_wad": 5 * 10**17,
    "maintenance_weight_wad": 6 * 10**17,
    "supply_cap_atoms": 10**12,
    "weight_scale_start_value": 10**12,
}
_STRINGS = {
    "pool": "eth",
    "market": "ETH-PERP",
    "series": "ETH-C",
    "underlying": "ETH",
    "asset": "USDC",
    "template": "perp",
    "reason": "test",
    "cause": "test",
}


def _sample(command_type: type[Any], acting_as: str) -> dict[str, Any]:
    """A well-formed body of ``command_type`` whose acting field names ``acting_as`` (every other field plausible)."""
    hints = typing.get_type_hints(command_type)
    body: dict[str, Any] = {}
    for field in dataclasses.fields(command_type):
        hint = hints[field.name]
        if field.name == "timestamp_ns" or field.default is not dataclasses.MISSING:
            continue
        if hint is str:
            body[field.name] = _STRINGS.get(field.name, "dave")
        elif hint is int:
            body[field.name] = 1
        elif hint is MarginMode:
            body[field.name] = "cross"
        elif hint is Role:
            body[field.name] = "guardian"
        elif field.name == "change":
            body[field.name] = LISTING
        else:
            body[field.name] = []
    acting = acting_field(command_type)
    assert acting is not None, command_type
    body[acting] = acting_as
    return {"type": command_type.__name__, **body}


def _journal_rows(path: Path) -> list[tuple[int, str]]:
    journal = SqliteJournal(path, read_only=True)
    try:
        return [(entry.sequence, entry.hash) for entry in journal.read()]
    finally:
        journal.close()


@pytest.fixture(scope="module")
def venue(tmp_path_factory: pytest.TempPathFactory) -> Any:
    with live_service(tmp_path_factory.mktemp("authority")) as live:
        live.quote(4_200)
        with live.client("carol") as carol:
            carol.register()
            carol.deposit(0, "USDC", 10_000 * 10**6)
        with live.client("mallory") as mallory:
            mallory.register()
        yield live


@pytest.mark.parametrize("command_type", HTTP_COMMANDS, ids=lambda cls: cls.__name__)
def test_acting_as_another_is_forbidden_and_changes_nothing(venue: LiveService, command_type: type[Any]) -> None:
    before_state = copy.deepcopy(venue.service.engine.state)
    before_rows = _journal_rows(venue.journal_path)
    before_head = venue.service.journal.head()

    with venue.client("mallory") as mallory, pytest.raises(ProblemError) as refused:
        mallory.send(command_type.__name__, **{k: v for k, v in _sample(command_type, "carol").items() if k != "type"})

    assert refused.value.status == 403
    assert refused.value.error == "ActingAsAnother"
    assert refused.value.problem.code == "acting_as_another"
    assert "carol" in refused.value.problem.detail
    assert venue.service.engine.state == before_state
    assert venue.service.journal.head() == before_head
    assert _journal_rows(venue.journal_path) == before_rows


def test_every_core_command_is_offered_over_http_or_deliberately_not() -> None:
    """The core's commands split into the API's, the venue changes a proposal carries, and the documented rest."""
    core = {cls.__name__ for cls in typing.get_args(Command)}
    offered = {cls.__name__ for cls in HTTP_COMMANDS}
    changes = {cls.__name__ for cls in VENUE_CHANGES}
    elsewhere = {"ConfigureGovernance", "OpenVenue", "RegisterPrincipal", "OfferCover"}
    assert core == offered | changes | elsewhere
    assert not (offered & changes) and not (offered & elsewhere) and not (changes & elsewhere)


def test_every_command_type_of_the_api_is_covered() -> None:
    """The parametrisation is HTTP_COMMANDS itself: pin that it holds the account, keeper and governance families."""
    names = {cls.__name__ for cls in HTTP_COMMANDS}
    assert {"Deposit", "Withdraw", "Trade", "Liquidate", "SubmitPrice", "GrantRole", "ExecuteProposal"} <= names


def test_the_same_command_as_oneself_is_accepted(venue: LiveService) -> None:
    """The check bites only on the acting field: carol's own withdrawal from her own sub-account goes through."""
    with venue.client("carol") as carol:
        receipt = carol.withdraw(0, "USDC", 1)
    assert receipt.sender == "carol"
    assert [event.type for event in receipt.events] == ["CollateralWithdrawn"]
