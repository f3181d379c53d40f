"""``ringfence identity new|show`` end to end through typer's CliRunner.

The public key printed is checked against the one derived from the file's PEM by
``cryptography`` directly (not by the module under test); refusals exit 2 with a named
error and leave the files as they were.
"""

from __future__ import annotations

import json
import re
import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from typer.testing import CliRunner, Result

from ringfence.cli.main import app

runner = CliRunner()


def invoke(*args: str | Path) -> Result:
    return runner.invoke(app, [str(arg) for arg in args])


def output(result: Result) -> str:
    return " ".join(result.output.split())


def printed_public_key(result: Result) -> str:
    match = re.search(r"public key\s+([0-9a-f]{64})\b", result.output)
    assert match is not None, result.output
    return match.group(1)


def public_key_of_file(path: Path) -> str:
    document = json.loads(path.read_text())
    key = serialization.load_pem_private_key(document["private_key_pem"].encode(), password=None)
    return key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw).hex()


def test_new_creates_name_dot_identity_in_the_current_folder_and_prints_its_public_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)

    result = invoke("identity", "new", "carol")

    assert result.exit_code == 0, result.output
    path = tmp_path / "carol.identity"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert printed_public_key(result) == public_key_of_file(path)
    assert json.loads(path.read_text())["name"] == "carol"
    assert "PRIVATE KEY" not in result.output


def test_new_with_dir_and_with_out_write_where_they_say(tmp_path: Path) -> None:
    in_folder = invoke("identity", "new", "dave", "--dir", tmp_path)
    at_path = invoke("identity", "new", "erin", "--out", tmp_path / "keys-erin.json")

    assert in_folder.exit_code == 0, in_folder.output
    assert at_path.exit_code == 0, at_path.output
    assert printed_public_key(in_folder) == public_key_of_file(tmp_path / "dave.identity")
    assert printed_public_key(at_path) == public_key_of_file(tmp_path / "keys-erin.json")


def test_new_refuses_to_overwrite_with_exit_2_and_keeps_the_file(tmp_path: Path) -> None:
    first = invoke("identity", "new", "carol", "--dir", tmp_path)
    before = (tmp_path / "carol.identity").read_bytes()

    second = invoke("identity", "new", "carol", "--dir", tmp_path)

    assert first.exit_code == 0, first.output
    assert second.exit_code == 2, second.output
    assert "IdentityError" in output(second)
    assert "exists already" in output(second)
    assert (tmp_path / "carol.identity").read_bytes() == before


@pytest.mark.parametrize("name", ["carol dave", "caröl", "-carol"])
def test_new_refuses_an_invalid_name_with_exit_2_and_writes_nothing(tmp_path: Path, name: str) -> None:
    result = invoke("identity", "new", "--dir", tmp_path, "--", name)

    assert result.exit_code == 2, result.output
    assert "InvalidParameter" in output(result)
    assert list(tmp_path.iterdir()) == []


def test_new_refuses_out_and_dir_together_with_exit_2(tmp_path: Path) -> None:
    result = invoke("identity", "new", "carol", "--dir", tmp_path, "--out", tmp_path / "x.identity")

    assert result.exit_code == 2, result.output
    assert list(tmp_path.iterdir()) == []


def test_show_prints_the_principal_and_the_public_key_new_printed(tmp_path: Path) -> None:
    created = invoke("identity", "new", "carol", "--dir", tmp_path)

    shown = invoke("identity", "show", tmp_path / "carol.identity")

    assert shown.exit_code == 0, shown.output
    assert re.search(r"principal\s+carol\b", shown.output)
    assert printed_public_key(shown) == printed_public_key(created)
    assert "PRIVATE KEY" not in shown.output


def test_show_refuses_a_file_readable_by_others_with_exit_2(tmp_path: Path) -> None:
    invoke("identity", "new", "carol", "--dir", tmp_path)
    path = tmp_path / "carol.identity"
    path.chmod(0o644)

    result = invoke("identity", "show", path)

    assert result.exit_code == 2, result.output
    assert "IdentityError" in output(result)
    assert "mode 0644" in output(result)


def test_show_refuses_an_altered_file_with_exit_2(tmp_path: Path) -> None:
    invoke("identity", "new", "carol", "--dir", tmp_path)
    invoke("identity", "new", "dave", "--dir", tmp_path)
    carol = tmp_path / "carol.identity"
    document = json.loads(carol.read_text())
    document["public_key_hex"] = json.loads((tmp_path / "dave.identity").read_text())["public_key_hex"]
    carol.write_text(json.dumps(document))

    result = invoke("identity", "show", carol)

    assert result.exit_code == 2, result.output
    assert "not the public key of private_key_pem" in output(result)


@pytest.mark.parametrize("content", ["", "not json", "{}"])
def test_show_refuses_a_corrupt_file_with_exit_2(tmp_path: Path, content: str) -> None:
    path = tmp_path / "carol.identity"
    path.write_text(content)
    path.chmod(0o600)

    result = invoke("identity", "show", path)

    assert result.exit_code == 2, result.output
    assert "IdentityError" in output(result)
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_show_of_a_missing_file_exits_2(tmp_path: Path) -> None:
    result = invoke("identity", "show", tmp_path / "nobody.identity")

    assert result.exit_code == 2, result.output
    assert "no such file" in output(result)


def test_new_creates_one_file_per_name_in_the_folder(tmp_path: Path) -> None:
    result = invoke("identity", "new", "admin", "chainlink", "carol", "--dir", tmp_path)

    assert result.exit_code == 0, result.output
    assert sorted(entry.name for entry in tmp_path.iterdir()) == [
        "admin.identity",
        "carol.identity",
        "chainlink.identity",
    ]
    printed = re.findall(r"public key\s+([0-9a-f]{64})\b", result.output)
    assert printed == [public_key_of_file(tmp_path / f"{name}.identity") for name in ("admin", "chainlink", "carol")]


def test_new_refuses_out_with_several_names_with_exit_2(tmp_path: Path) -> None:
    result = invoke("identity", "new", "admin", "carol", "--out", tmp_path / "x.identity")

    assert result.exit_code == 2, result.output
    assert list(tmp_path.iterdir()) == []


def test_new_checks_every_name_before_writing_any_file(tmp_path: Path) -> None:
    result = invoke("identity", "new", "--dir", tmp_path, "--", "admin", "caröl")

    assert result.exit_code == 2, result.output
    assert list(tmp_path.iterdir()) == []


def test_new_creates_a_missing_dir_readable_by_its_owner_only(tmp_path: Path) -> None:
    folder = tmp_path / "ids" / "venue"

    result = invoke("identity", "new", "admin", "--dir", folder)

    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert (folder / "admin.identity").is_file()
