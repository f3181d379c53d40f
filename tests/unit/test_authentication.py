"""Unit tests of sender authentication (service/authentication.py): registration, matching keys, refusals."""

from __future__ import annotations

from pathlib import Path

import pytest

from ringfence.cli.exit_codes import exit_code_for
from ringfence.core.commands import RegisterPrincipal, Sent
from ringfence.core.errors import CommandRejected
from ringfence.service.authentication import Keyring, NotAuthenticated, authenticate
from ringfence.service.identity import Identity, IdentityError, create_identity_file

T_NS = 1_767_225_600 * 10**9


def keyring(*identities: Identity) -> Keyring:
    return Keyring({identity.name: identity for identity in identities})


def test_unregistered_senders_get_one_registration_each_sent_by_themselves_at_their_first_time() -> None:
    carol, admin = Identity.generate("carol"), Identity.generate("admin")

    registrations = authenticate({}, {"admin": T_NS, "carol": T_NS + 1}, keyring(carol, admin))

    assert registrations == (
        Sent("admin", RegisterPrincipal("admin", admin.public_key_hex, T_NS)),
        Sent("carol", RegisterPrincipal("carol", carol.public_key_hex, T_NS + 1)),
    )


def test_a_registered_sender_with_its_registered_key_needs_no_registration() -> None:
    carol = Identity.generate("carol")

    assert authenticate({"carol": carol.public_key_hex}, {"carol": T_NS}, keyring(carol)) == ()


def test_a_registered_key_written_in_upper_case_still_matches() -> None:
    carol = Identity.generate("carol")

    assert authenticate({"carol": carol.public_key_hex.upper()}, {"carol": T_NS}, keyring(carol)) == ()


def test_identities_of_principals_that_send_nothing_are_not_registered() -> None:
    carol, dave = Identity.generate("carol"), Identity.generate("dave")

    registrations = authenticate({}, {"carol": T_NS}, keyring(carol, dave))

    assert [sent.sender for sent in registrations] == ["carol"]


def test_a_sender_without_an_identity_is_not_authenticated_and_nothing_is_registered() -> None:
    carol = Identity.generate("carol")

    with pytest.raises(NotAuthenticated) as raised:
        authenticate({}, {"carol": T_NS, "dave": T_NS}, keyring(carol))

    assert raised.value.principals == raised.value.missing == ("dave",)
    assert "no identity file was given for 'dave'" in raised.value.message


def test_a_sender_whose_key_is_not_the_registered_one_is_not_authenticated() -> None:
    registered, impostor = Identity.generate("carol"), Identity.generate("carol", "impostor.identity")

    with pytest.raises(NotAuthenticated) as raised:
        authenticate({"carol": registered.public_key_hex}, {"carol": T_NS}, keyring(impostor))

    assert raised.value.principals == ("carol",)
    assert "impostor.identity" in raised.value.mismatched["carol"]
    assert registered.public_key_hex[:16] in raised.value.mismatched["carol"]
    assert impostor.public_key_hex[:16] in raised.value.mismatched["carol"]


def test_every_unauthenticated_sender_is_named_at_once() -> None:
    registered, impostor = Identity.generate("carol"), Identity.generate("carol")

    with pytest.raises(NotAuthenticated) as raised:
        authenticate(
            {"carol": registered.public_key_hex}, {"dave": T_NS, "carol": T_NS, "erin": T_NS}, keyring(impostor)
        )

    assert raised.value.missing == ("dave", "erin")
    assert list(raised.value.mismatched) == ["carol"]


def test_not_authenticated_is_a_command_rejected_with_exit_code_3() -> None:
    error = NotAuthenticated(["dave"], {})

    assert isinstance(error, CommandRejected)
    assert exit_code_for(error) == 3


def test_a_keyring_loads_files_and_folders(tmp_path: Path) -> None:
    folder = tmp_path / "ids"
    folder.mkdir()
    admin = create_identity_file(folder / "admin.identity", "admin")
    carol = create_identity_file(tmp_path / "carol.identity", "carol")

    loaded = Keyring.load([tmp_path / "carol.identity"], [folder])

    assert sorted(loaded.identities) == ["admin", "carol"]
    assert loaded.identities["admin"].public_key_hex == admin.public_key_hex
    assert loaded.identities["carol"].public_key_hex == carol.public_key_hex


def test_a_keyring_accepts_one_identity_given_twice(tmp_path: Path) -> None:
    create_identity_file(tmp_path / "carol.identity", "carol")

    loaded = Keyring.load([tmp_path / "carol.identity"], [tmp_path])

    assert list(loaded.identities) == ["carol"]


def test_a_keyring_refuses_two_keys_for_one_principal(tmp_path: Path) -> None:
    create_identity_file(tmp_path / "carol.identity", "carol")
    create_identity_file(tmp_path / "carol-2.key", "carol")

    with pytest.raises(IdentityError, match="a second, different key for 'carol'"):
        Keyring.load([tmp_path / "carol-2.key"], [tmp_path])
