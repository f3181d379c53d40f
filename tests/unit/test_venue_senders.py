"""Unit tests of who sends what in venue files and scripts, and of registering senders with their first command.

The venue file is the admin's genesis (``[venue] admin``, ``[governance]``); a script names
each command's sender or defaults to the principal the command names as acting. Expected
times are written by hand: 2 days = 172,800 s, 14 days = 1,209,600 s.
"""

from __future__ import annotations

import copy
import dataclasses
import tomllib
from pathlib import Path
from typing import Any

import pytest

from ringfence.core.commands import Deposit, RegisterPrincipal, SubmitPrice
from ringfence.core.errors import ActingAsAnother, InvalidParameter
from ringfence.core.events import PrincipalRegistered
from ringfence.core.governance.commands import ConfigureGovernance
from ringfence.service.authentication import Keyring, NotAuthenticated
from ringfence.service.engine import Engine
from ringfence.service.identity import Identity
from ringfence.service.venue import (
    Catalog,
    Plan,
    Registrations,
    VenueFileError,
    apply_venue,
    compile_script,
    compile_venue,
    run_script,
)
from ringfence.service.venue.compile import rejection_path
from ringfence.service.venue.senders import authenticate_plan
from ringfence.store.memory import MemoryJournal

WAD = 10**18
PERCENT = WAD // 100
SECOND_NS = 10**9
START_NS = 1_767_225_600 * SECOND_NS  # 2026-01-01T00:00:00Z
EXAMPLES = Path(__file__).parents[2] / "examples"
FEEDERS = ("chainlink", "pyth", "redstone")


def example_venue() -> dict[str, Any]:
    with (EXAMPLES / "venue.toml").open("rb") as handle:
        return tomllib.load(handle)


def problems_of(data: Any) -> dict[str, str]:
    with pytest.raises(VenueFileError) as caught:
        compile_venue(data, Catalog())
    return {problem.path: problem.message for problem in caught.value.problems}


def without_governance() -> dict[str, Any]:
    data = example_venue()
    del data["governance"]
    return data


def script_steps(*entries: dict[str, Any]) -> Any:
    catalog = Catalog()
    compile_venue(example_venue(), catalog)
    return compile_script({"command": list(entries)}, catalog, START_NS)


def script_problems(*entries: dict[str, Any]) -> dict[str, str]:
    with pytest.raises(VenueFileError) as caught:
        script_steps(*entries)
    return {problem.path: problem.message for problem in caught.value.problems}


def opened_engine() -> Engine:
    engine = Engine(MemoryJournal())
    apply_venue(engine, compile_venue(example_venue(), Catalog()))
    return engine


DEPOSIT = {"type": "Deposit", "owner": "carol", "asset": "USDC", "amount": "10"}


# --------------------------------------------------------------------------- the genesis


def test_the_admin_is_required() -> None:
    data = example_venue()
    del data["venue"]["admin"]

    assert problems_of(data) == {"venue.admin": "required key is missing"}


def test_a_venue_file_without_a_venue_table_names_the_missing_table() -> None:
    data = example_venue()
    del data["venue"]

    assert problems_of(data) == {"venue": "required key is missing"}


@pytest.mark.parametrize("admin", ["ad min", "admin\n", "ädmin", ""])
def test_an_admin_that_is_not_a_principal_name_is_a_problem_at_its_key(admin: str) -> None:
    data = example_venue()
    data["venue"]["admin"] = admin

    found = problems_of(data)

    assert "1-64 characters" in found["venue.admin"]


def test_governance_defaults_to_compounds_timelock_and_a_25_percent_step() -> None:
    [governance, *_] = compile_venue(without_governance(), Catalog()).commands

    # 2 days = 172,800 s; 14 days = 1,209,600 s; 25% = 0.25 WAD
    assert governance.command == ConfigureGovernance(
        "admin", 172_800 * SECOND_NS, 1_209_600 * SECOND_NS, 25 * PERCENT, START_NS
    )
    assert governance.sender == "admin"


def test_the_governance_table_sets_every_setting_in_human_units() -> None:
    data = example_venue()
    data["governance"] = {"timelock": "1h", "grace_period": "3d", "max_step": "10%"}

    [governance, *_] = compile_venue(data, Catalog()).commands

    # 1 h = 3,600 s; 3 days = 259,200 s; 10% = 0.1 WAD
    assert governance.command == ConfigureGovernance(
        "admin", 3_600 * SECOND_NS, 259_200 * SECOND_NS, 10 * PERCENT, START_NS
    )


@pytest.mark.parametrize(
    ("table", "key_path", "message"),
    [
        ({"timelock": 2.5}, "governance.timelock", "TOML float"),
        ({"max_step": "lots"}, "governance.max_step", "not accepted"),
        ({"colour": "red"}, "governance.colour", "unknown key"),
    ],
)
def test_a_bad_governance_table_names_its_key(table: dict[str, Any], key_path: str, message: str) -> None:
    data = example_venue()
    data["governance"] = table

    found = problems_of(data)

    assert message in found[key_path]


def test_a_governance_setting_the_core_refuses_is_reported_at_its_key_and_nothing_is_kept() -> None:
    data = example_venue()
    data["governance"] = {"timelock": "0"}
    journal = MemoryJournal()

    with pytest.raises(VenueFileError) as caught:
        apply_venue(Engine(journal), compile_venue(data, Catalog()))

    [problem] = caught.value.problems
    assert problem.path == "governance.timelock"
    assert "InvalidParameter" in problem.message
    assert list(journal.read()) == []


def test_every_command_of_the_example_venue_has_its_sender() -> None:
    program = compile_venue(example_venue(), Catalog())

    senders = [(type(compiled.command).__name__, compiled.sender) for compiled in program.commands]

    admin_kinds = {"ConfigureGovernance", "RegisterAsset", "ConfigureOracle", "CreatePool", "AddMarket", "OpenVenue"}
    assert {sender for kind, sender in senders if kind in admin_kinds} == {"admin"}
    quotes = [compiled for compiled in program.commands if isinstance(compiled.command, SubmitPrice)]
    assert [compiled.sender for compiled in quotes] == list(FEEDERS) * 3
    assert all(compiled.sender == compiled.command.source for compiled in quotes)
    funding = [sender for kind, sender in senders if kind in {"Deposit", "ProvideLiquidity", "FundInsurance"}]
    assert funding == ["lpfund"] * 5
    assert program.admin == "admin"


def test_the_plan_lists_its_senders_in_order_of_first_appearance() -> None:
    program = compile_venue(example_venue(), Catalog())
    steps = script_steps(DEPOSIT, {**DEPOSIT, "owner": "dave"}, DEPOSIT)

    assert Plan(program, steps).senders() == ("admin", *FEEDERS, "lpfund", "carol", "dave")


# --------------------------------------------------------------------------- script senders


@pytest.mark.parametrize(
    ("entry", "sender"),
    [
        (DEPOSIT, "carol"),
        ({"type": "Liquidate", "keeper_owner": "kim", "owner": "carol", "pool": "eth", "market": "ETH-PERP"}, "kim"),
        ({"type": "SubmitPrice", "asset": "ETH", "source": "pyth", "price": "1"}, "pyth"),
        ({"type": "GrantRole", "actor": "admin", "role": "guardian", "principal": "gina"}, "admin"),
        ({**DEPOSIT, "sender": "mallory"}, "mallory"),
    ],
)
def test_a_script_command_is_sent_by_its_acting_principal_unless_it_names_a_sender(
    entry: dict[str, Any], sender: str
) -> None:
    [step] = script_steps(entry)

    assert [compiled.sender for compiled in step.commands] == [sender]


def test_submit_prices_sends_each_quote_from_its_source() -> None:
    [step] = script_steps({"type": "SubmitPrices", "prices": {"ETH": "4200"}})

    assert [compiled.sender for compiled in step.commands] == list(FEEDERS)


def test_a_command_that_names_no_acting_principal_must_name_its_sender() -> None:
    listing = {
        "type": "RegisterAsset",
        "asset": "SOL",
        "decimals": 9,
        "initial_weight": "50%",
        "maintenance_weight": "60%",
        "supply_cap": "1",
        "weight_scale_start_value": "2",
    }

    found = script_problems(listing)

    assert "required: RegisterAsset names no acting principal" in found["command[0].sender"]


@pytest.mark.parametrize(("sender", "message"), [("a b", "1-64 characters"), (7, "a principal's name")])
def test_an_invalid_sender_is_a_problem_at_its_key(sender: object, message: str) -> None:
    assert message in script_problems({**DEPOSIT, "sender": sender})["command[0].sender"]


def test_submit_prices_refuses_a_sender() -> None:
    found = script_problems({"type": "SubmitPrices", "sender": "pyth", "prices": {"ETH": "4200"}})

    assert "each quote from its source" in found["command[0].sender"]


def test_a_refusal_of_an_implicit_sender_is_reported_at_the_acting_field() -> None:
    [step] = script_steps(DEPOSIT)
    [compiled] = step.commands

    assert rejection_path(compiled, InvalidParameter("sender", "x", "a name")) == "command[0].owner"


def test_a_refusal_of_an_explicit_sender_is_reported_at_the_sender_key() -> None:
    [step] = script_steps({**DEPOSIT, "sender": "mallory"})
    [compiled] = step.commands

    assert rejection_path(compiled, InvalidParameter("sender", "x", "a name")) == "command[0].sender"


# --------------------------------------------------------------------------- registrations


def test_a_sender_is_registered_in_the_batch_of_its_first_command() -> None:
    engine = opened_engine()
    carol = Identity.generate("carol")
    steps = script_steps(DEPOSIT)
    registration = dataclasses.replace(
        steps[0].commands[0], command=RegisterPrincipal("carol", carol.public_key_hex, START_NS)
    )

    [result] = run_script(engine, steps, registrations=Registrations({"carol": registration}))

    assert result.error is None
    assert isinstance(result.events[0], PrincipalRegistered)
    assert engine.state.principals["carol"] == carol.public_key_hex


def test_a_refused_first_command_leaves_its_senders_registration_out_of_the_journal() -> None:
    engine = opened_engine()
    before = copy.deepcopy(engine.state)
    carol = Identity.generate("carol")
    steps = script_steps({**DEPOSIT, "sender": "carol", "owner": "dave"})
    registration = dataclasses.replace(
        steps[0].commands[0], command=RegisterPrincipal("carol", carol.public_key_hex, START_NS), sender="carol"
    )
    pending = Registrations({"carol": registration})

    [result] = run_script(engine, steps, registrations=pending)

    assert isinstance(result.error, ActingAsAnother)
    assert engine.state == before
    assert "carol" not in engine.state.principals
    assert [c.sender for c in pending.batch(steps[0].commands)] == ["carol", "carol"]  # still pending


def test_authenticating_a_plan_registers_new_senders_at_their_first_commands_time() -> None:
    engine = Engine(MemoryJournal())
    steps = script_steps({**DEPOSIT, "at": "1m"})
    plan = Plan(compile_venue(example_venue(), Catalog()), steps)
    identities = {name: Identity.generate(name) for name in ("admin", *FEEDERS, "lpfund", "carol")}

    authenticated = authenticate_plan(plan, engine.state, Keyring(identities))

    assert list(authenticated.registrations) == ["admin", *FEEDERS, "lpfund", "carol"]
    assert authenticated.registrations["admin"].command == RegisterPrincipal(
        "admin", identities["admin"].public_key_hex, START_NS
    )
    assert authenticated.registrations["carol"].command.timestamp_ns == START_NS + 60 * SECOND_NS
    assert all(compiled.sender == name for name, compiled in authenticated.registrations.items())


def test_authenticating_a_plan_refuses_a_key_other_than_the_registered_one() -> None:
    engine = opened_engine()
    registered = Identity.generate("carol")
    engine.execute(RegisterPrincipal("carol", registered.public_key_hex, START_NS), sender="carol")
    plan = Plan(dataclasses.replace(compile_venue(example_venue(), Catalog()), commands=()), script_steps(DEPOSIT))

    with pytest.raises(NotAuthenticated) as raised:
        authenticate_plan(plan, engine.state, Keyring({"carol": Identity.generate("carol")}))

    assert raised.value.principals == ("carol",)
    assert authenticate_plan(plan, engine.state, Keyring({"carol": registered})).registrations == {}


def test_a_deposit_sent_by_its_owner_is_the_command_the_script_compiles() -> None:
    [step] = script_steps(DEPOSIT)

    assert step.commands[0].command == Deposit("carol", 0, "USDC", 10 * 10**6, START_NS)
