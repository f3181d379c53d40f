"""Unit tests of Ed25519 identity files (service/identity.py): round trip, refusals, signatures.

The conformance case uses test vector 1 of RFC 8032 §7.1 (https://www.rfc-editor.org/rfc/rfc8032#section-7.1):
its secret key, public key and the signature of the empty message are copied from the RFC,
and its identity file is written by hand (the PKCS#8 DER of an Ed25519 key is the fixed
16-byte prefix of RFC 8410 §7 followed by the 32-byte seed), not by the code under test.
"""

from __future__ import annotations

import base64
import json
import os
import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from ringfence.cli.exit_codes import exit_code_for
from ringfence.core.errors import InvalidCommand, InvalidParameter
from ringfence.service.identity import (
    IDENTITY_FORMAT,
    Identity,
    IdentityError,
    create_identity_file,
    default_identity_path,
    load_identity_directory,
    load_identity_file,
    public_key_from_hex,
    verify_signature,
)

# RFC 8032 §7.1, TEST 1
RFC_SECRET_HEX = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"
RFC_PUBLIC_HEX = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
RFC_SIGNATURE_HEX = (
    "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"  # R
    "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"  # S
)
# RFC 8410 §7: SEQUENCE { INTEGER 0, SEQUENCE { OID 1.3.101.112 }, OCTET STRING { OCTET STRING (32 bytes) } }
PKCS8_ED25519_PREFIX_HEX = "302e020100300506032b657004220420"


def hand_pem(secret_hex: str) -> str:
    der = bytes.fromhex(PKCS8_ED25519_PREFIX_HEX + secret_hex)
    return "-----BEGIN PRIVATE KEY-----\n" + base64.b64encode(der).decode() + "\n-----END PRIVATE KEY-----\n"


def write_private(path: Path, text: str | bytes, mode: int = 0o600) -> Path:
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    path.chmod(mode)
    return path


def rfc_document(**overrides: object) -> dict[str, object]:
    document: dict[str, object] = {
        "format": IDENTITY_FORMAT,
        "name": "carol",
        "public_key_hex": RFC_PUBLIC_HEX,
        "private_key_pem": hand_pem(RFC_SECRET_HEX),
    }
    document.update(overrides)
    return document


def write_document(path: Path, document: object, mode: int = 0o600) -> Path:
    return write_private(path, json.dumps(document), mode)


# --------------------------------------------------------------------------- conformance


def test_a_hand_written_identity_of_the_rfc_8032_key_loads_with_the_rfc_public_key(tmp_path: Path) -> None:
    path = write_document(tmp_path / "carol.identity", rfc_document())

    identity = load_identity_file(path)

    assert identity.name == "carol"
    assert identity.public_key_hex == RFC_PUBLIC_HEX
    assert identity.source == str(path)


def test_the_rfc_8032_key_signs_the_empty_message_with_the_rfc_signature(tmp_path: Path) -> None:
    identity = load_identity_file(write_document(tmp_path / "carol.identity", rfc_document()))

    assert identity.sign(b"") == RFC_SIGNATURE_HEX
    assert verify_signature(RFC_PUBLIC_HEX, b"", RFC_SIGNATURE_HEX)


def test_a_signature_over_another_message_or_a_flipped_bit_does_not_verify() -> None:
    flipped = RFC_SIGNATURE_HEX[:-1] + ("a" if RFC_SIGNATURE_HEX[-1] != "a" else "b")

    assert not verify_signature(RFC_PUBLIC_HEX, b"x", RFC_SIGNATURE_HEX)
    assert not verify_signature(RFC_PUBLIC_HEX, b"", flipped)


@pytest.mark.parametrize("signature_hex", ["", "zz", "00" * 63, "00" * 65, RFC_SIGNATURE_HEX + "00"])
def test_a_malformed_signature_is_not_valid(signature_hex: str) -> None:
    assert not verify_signature(RFC_PUBLIC_HEX, b"", signature_hex)


@pytest.mark.parametrize("public_key_hex", ["", "00" * 31, "00" * 33, "g" * 64, " " + RFC_PUBLIC_HEX[1:]])
def test_a_malformed_public_key_is_an_invalid_parameter(public_key_hex: str) -> None:
    with pytest.raises(InvalidParameter, match="64 hex digits"):
        public_key_from_hex(public_key_hex)


# --------------------------------------------------------------------------- round trip


def test_a_created_identity_loads_back_with_the_same_name_and_key_and_its_signatures_verify(tmp_path: Path) -> None:
    path = tmp_path / "dave.identity"

    created = create_identity_file(path, "dave")
    loaded = load_identity_file(path, expected_name="dave")

    assert loaded.name == created.name == "dave"
    assert loaded.public_key_hex == created.public_key_hex
    assert len(created.public_key_hex) == 64
    assert verify_signature(created.public_key_hex, b"venue apply", loaded.sign(b"venue apply"))


def test_two_created_identities_have_different_keys(tmp_path: Path) -> None:
    first = create_identity_file(tmp_path / "a.identity", "dave")
    second = create_identity_file(tmp_path / "b.identity", "dave")

    assert first.public_key_hex != second.public_key_hex
    assert not verify_signature(first.public_key_hex, b"m", second.sign(b"m"))


def test_a_created_file_is_mode_0600_even_under_a_permissive_umask(tmp_path: Path) -> None:
    previous = os.umask(0)
    try:
        path = tmp_path / "dave.identity"
        create_identity_file(path, "dave")
    finally:
        os.umask(previous)

    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [entry.name for entry in tmp_path.iterdir()] == ["dave.identity"]  # no temporary file left behind


def test_a_created_file_is_the_documented_json_document(tmp_path: Path) -> None:
    path = tmp_path / "dave.identity"
    created = create_identity_file(path, "dave")

    document = json.loads(path.read_text())

    assert set(document) == {"format", "name", "public_key_hex", "private_key_pem"}
    assert document["format"] == "ringfence-identity/1"
    assert document["name"] == "dave"
    assert document["public_key_hex"] == created.public_key_hex
    key = serialization.load_pem_private_key(document["private_key_pem"].encode(), password=None)
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    assert raw.hex() == created.public_key_hex


def test_the_default_path_is_name_dot_identity_in_the_given_folder(tmp_path: Path) -> None:
    assert default_identity_path("carol", tmp_path) == tmp_path / "carol.identity"
    assert default_identity_path("carol") == Path("carol.identity")


def test_the_private_key_is_not_in_the_repr(tmp_path: Path) -> None:
    identity = load_identity_file(write_document(tmp_path / "carol.identity", rfc_document()))

    assert "PRIVATE" not in repr(identity)
    assert RFC_SECRET_HEX not in repr(identity)


# --------------------------------------------------------------------------- refusals


def test_an_existing_file_is_never_overwritten(tmp_path: Path) -> None:
    path = write_private(tmp_path / "dave.identity", "keep me")

    with pytest.raises(IdentityError, match="exists already"):
        create_identity_file(path, "dave")

    assert path.read_text() == "keep me"
    assert [entry.name for entry in tmp_path.iterdir()] == ["dave.identity"]


def test_a_dangling_symlink_is_not_followed_to_create_a_file(tmp_path: Path) -> None:
    target = tmp_path / "elsewhere.identity"
    link = tmp_path / "dave.identity"
    link.symlink_to(target)

    with pytest.raises(IdentityError, match="exists already"):
        create_identity_file(link, "dave")

    assert not target.exists()


def test_a_missing_folder_is_a_named_error(tmp_path: Path) -> None:
    with pytest.raises(IdentityError, match="cannot create it"):
        create_identity_file(tmp_path / "missing" / "dave.identity", "dave")


@pytest.mark.parametrize("name", ["", "carol\n", "caröl", "a b", "-x", "x" * 65])
def test_an_invalid_principal_name_is_refused_before_any_file_is_written(tmp_path: Path, name: str) -> None:
    with pytest.raises(InvalidParameter):
        create_identity_file(tmp_path / "x.identity", name)

    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o620, 0o602, 0o644, 0o666])
def test_a_file_accessible_by_group_or_others_is_refused(tmp_path: Path, mode: int) -> None:
    path = write_document(tmp_path / "carol.identity", rfc_document(), mode)

    with pytest.raises(IdentityError, match=f"group or others \\(mode {mode:04o}\\).*chmod 600"):
        load_identity_file(path)


def test_a_read_only_owner_file_is_accepted(tmp_path: Path) -> None:
    path = write_document(tmp_path / "carol.identity", rfc_document(), 0o400)

    assert load_identity_file(path).public_key_hex == RFC_PUBLIC_HEX


def test_a_missing_file_names_the_command_that_creates_one(tmp_path: Path) -> None:
    with pytest.raises(IdentityError, match=r"no such file.*ringfence identity new"):
        load_identity_file(tmp_path / "nobody.identity")


def test_a_directory_is_not_an_identity_file(tmp_path: Path) -> None:
    folder = tmp_path / "carol.identity"
    folder.mkdir(mode=0o700)

    with pytest.raises(IdentityError, match="not a regular file"):
        load_identity_file(folder)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "not JSON"),
        ('{"format": "ringfence-identity/1", "name": "carol"', "not JSON"),
        ("[]", "exactly the members"),
        (json.dumps({"name": "carol"}), "exactly the members"),
        (json.dumps({**rfc_document(), "comment": "x"}), "exactly the members"),
        (json.dumps(rfc_document(format="ringfence-identity/2")), "is not 'ringfence-identity/1'"),
        (json.dumps(rfc_document(name=7)), "must be a string"),
        (json.dumps(rfc_document(private_key_pem="-----BEGIN PRIVATE KEY-----\nAAAA\n")), "not an unencrypted PEM"),
        (json.dumps(rfc_document(name="carol\n")), "its name is invalid"),
        (json.dumps(rfc_document(name="caröl")), "its name is invalid"),
    ],
)
def test_a_corrupt_file_is_a_named_error(tmp_path: Path, text: str, reason: str) -> None:
    path = write_private(tmp_path / "carol.identity", text)

    with pytest.raises(IdentityError, match=reason):
        load_identity_file(path)


def test_a_file_that_is_not_utf8_is_a_named_error(tmp_path: Path) -> None:
    path = write_private(tmp_path / "carol.identity", b'{"name": "\xff"}')

    with pytest.raises(IdentityError, match="not UTF-8"):
        load_identity_file(path)


def test_a_public_key_that_is_not_the_private_keys_is_refused_as_altered(tmp_path: Path) -> None:
    other_public_hex = "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c"  # RFC 8032 TEST 2
    path = write_document(tmp_path / "carol.identity", rfc_document(public_key_hex=other_public_hex))

    with pytest.raises(IdentityError, match="not the public key of private_key_pem"):
        load_identity_file(path)


def test_a_key_of_another_algorithm_is_refused(tmp_path: Path) -> None:
    p256 = ec.generate_private_key(ec.SECP256R1())
    pem = p256.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    path = write_document(tmp_path / "carol.identity", rfc_document(private_key_pem=pem))

    with pytest.raises(IdentityError, match="not an Ed25519 key"):
        load_identity_file(path)


def test_an_encrypted_private_key_is_refused(tmp_path: Path) -> None:
    identity = Identity.generate("carol")
    pem = identity.private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"passphrase"),
    ).decode()
    document = rfc_document(private_key_pem=pem, public_key_hex=identity.public_key_hex)
    path = write_document(tmp_path / "carol.identity", document)

    with pytest.raises(IdentityError, match="not an unencrypted PEM"):
        load_identity_file(path)


def test_an_identity_of_another_principal_is_refused_when_a_name_is_expected(tmp_path: Path) -> None:
    path = write_document(tmp_path / "dave.identity", rfc_document())  # the file's name says dave; it is carol's

    with pytest.raises(IdentityError, match="it is 'carol''s identity, not 'dave''s"):
        load_identity_file(path, expected_name="dave")


def test_an_identity_error_is_an_invalid_command_with_exit_code_2() -> None:
    error = IdentityError("x.identity", "reason")

    assert isinstance(error, InvalidCommand)
    assert exit_code_for(error) == 2
    assert error.message == "identity x.identity: reason"


# --------------------------------------------------------------------------- folders


def test_a_folder_loads_every_identity_file_by_principal_name(tmp_path: Path) -> None:
    carol = create_identity_file(tmp_path / "carol.identity", "carol")
    dave = create_identity_file(tmp_path / "d.identity", "dave")
    write_private(tmp_path / "notes.txt", "not an identity", 0o644)

    loaded = load_identity_directory(tmp_path)

    assert sorted(loaded) == ["carol", "dave"]
    assert loaded["carol"].public_key_hex == carol.public_key_hex
    assert loaded["dave"].public_key_hex == dave.public_key_hex


def test_a_folder_with_two_identities_of_one_principal_is_refused(tmp_path: Path) -> None:
    create_identity_file(tmp_path / "a.identity", "carol")
    create_identity_file(tmp_path / "b.identity", "carol")

    with pytest.raises(IdentityError, match="a second identity for 'carol'"):
        load_identity_directory(tmp_path)


def test_a_folder_with_one_bad_identity_file_is_refused(tmp_path: Path) -> None:
    create_identity_file(tmp_path / "carol.identity", "carol")
    write_document(tmp_path / "dave.identity", rfc_document(name="dave"), 0o644)

    with pytest.raises(IdentityError, match=r"dave\.identity.*group or others"):
        load_identity_directory(tmp_path)


def test_a_folder_that_is_not_a_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(IdentityError, match="not a directory"):
        load_identity_directory(tmp_path / "missing")
