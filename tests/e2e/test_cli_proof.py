"""``ringfence proof publish|verify|check`` end to end on the example venue (two pools, eth and btc).

The isolation case: carol holds 10 ETH long in pool eth on 4,500 USDC of isolated margin, erin 1 WBTC
long in pool btc on cross margin. In the *crash* run ETH falls from 4,200 to 2,950 in three quotes
(the example script's path, with no liquidation): carol's loss (about 12,500 USDC) exceeds her margin
plus eth's 5,000 USDC insurance fund, so eth's LPs are owed a NAV the pool cannot pay. In the *calm*
run ETH stays at 4,200. Pool btc's commitment must be the same, byte for byte in its figures and
root (same master secret, same sequence), in both runs: eth's insolvency shows in eth's commitment
alone. Totals are hidden (format v2): the coverage check runs on the commitment's range proofs
alone, and in the clear with the root's opening (``root.opening.json``) or ``--public-total``.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from ringfence.cli.main import app
from support.identities import make_identities

EXAMPLES = Path(__file__).parents[2] / "examples"
runner = CliRunner()


def invoke(*args: str | Path) -> Result:
    return runner.invoke(app, [str(arg) for arg in args])


def script(eth_prices: tuple[str, str, str]) -> str:
    entries: list[dict[str, Any]] = [
        {"at": "1m", "type": "SubmitPrices", "prices": {"USDC": "1", "ETH": "4200", "WBTC": "65000"}},
        {"type": "Deposit", "owner": "carol", "asset": "USDC", "amount": "10000"},
        {"type": "Deposit", "owner": "erin", "asset": "USDC", "amount": "10000"},
        {
            "type": "Trade",
            "owner": "carol",
            "pool": "eth",
            "market": "ETH-PERP",
            "size_delta": "10",
            "mode": "isolated",
            "margin": "4500",
        },
        {"type": "Trade", "owner": "erin", "pool": "btc", "market": "BTC-PERP", "size_delta": "1", "mode": "cross"},
    ]
    for minute, eth in zip(("2m", "3m", "4m"), eth_prices, strict=True):
        entries.append({"at": minute, "type": "SubmitPrices", "prices": {"USDC": "1", "ETH": eth, "WBTC": "65000"}})
    lines = []
    for entry in entries:
        lines.append("[[command]]")
        for key, value in entry.items():
            if isinstance(value, dict):
                lines.append(f"{key} = {{ " + ", ".join(f"{k} = {json.dumps(v)}" for k, v in value.items()) + " }")
            else:
                lines.append(f"{key} = {json.dumps(value)}")
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Apply the example venue with the crash and the calm scripts; return each journal."""
    root = tmp_path_factory.mktemp("proofs")
    ids = make_identities(root / "ids")
    journals = {}
    for name, prices in (("crash", ("3700", "3300", "2950")), ("calm", ("4200", "4200", "4200"))):
        (root / f"{name}.toml").write_text(script(prices))
        journal = root / f"{name}.sqlite"
        applied = invoke(
            "venue",
            "apply",
            EXAMPLES / "venue.toml",
            root / f"{name}.toml",
            "--journal",
            journal,
            "--identity-dir",
            ids,
        )
        assert applied.exit_code == 0, applied.output
        journals[name] = journal
    return journals


def publish(journal: Path, pool: str, out: Path, secret: Path, *extra: str) -> dict[str, Any]:
    result = invoke(
        "proof", "publish", "--journal", journal, "--pool", pool, "--out", out, "--secret-file", secret, *extra
    )
    assert result.exit_code == 0, result.output
    return json.loads((out / "commitment.json").read_text())


def opened_total(out: Path) -> int:
    return int(json.loads((out / "root.opening.json").read_text())["total_liabilities_atoms"])


def test_pool_eth_is_insolvent_on_its_own_and_pool_btc_checks_out_unchanged(
    runs: dict[str, Path], tmp_path: Path
) -> None:
    secret = tmp_path / "master.secret"
    crash_eth = publish(runs["crash"], "eth", tmp_path / "crash-eth", secret)
    crash_btc = publish(runs["crash"], "btc", tmp_path / "crash-btc", secret)
    calm_btc = publish(runs["calm"], "btc", tmp_path / "calm-btc", secret)

    # anyone, from the public commitment alone: the venue could make no proof that its assets cover the
    # hidden total, so there is none and the check fails
    assert crash_eth["coverage_proof"] is None
    assert "total_liabilities_atoms" not in json.dumps(crash_eth)
    public = invoke("proof", "check", tmp_path / "crash-eth" / "commitment.json")
    assert public.exit_code == 5, public.output
    assert "pool eth NOT covered" in public.output and "CoverageNotProven" in public.output
    # an auditor with the root's opening and the journal sees the figures
    checked_eth = invoke(
        "proof",
        "check",
        tmp_path / "crash-eth" / "commitment.json",
        "--opening",
        tmp_path / "crash-eth" / "root.opening.json",
        "--journal",
        runs["crash"],
    )
    assert checked_eth.exit_code == 5, checked_eth.output
    assert "pool eth NOT covered" in checked_eth.output
    assert "LiabilitiesNotCovered" in checked_eth.output
    assets, owed = int(crash_eth["assets"]["total_atoms"]), opened_total(tmp_path / "crash-eth")
    # carol's loss past her 4,500 margin is about 12,500 - 4,500 = 8,000; the 5,000 insurance fund and
    # the fees leave roughly 3,000 USDC uncovered
    assert 2_000 * 10**6 < owed - assets < 4_000 * 10**6

    checked_btc = invoke(
        "proof",
        "check",
        tmp_path / "crash-btc" / "commitment.json",
        "--opening",
        tmp_path / "crash-btc" / "root.opening.json",
        "--journal",
        runs["crash"],
    )
    assert checked_btc.exit_code == 0, checked_btc.output
    assert "pool btc covered" in checked_btc.output
    hidden = invoke("proof", "check", tmp_path / "crash-btc" / "commitment.json")
    assert hidden.exit_code == 0, hidden.output
    assert "hidden liabilities (shown by range proof)" in hidden.output
    for proof in sorted((tmp_path / "crash-btc" / "proofs").glob("*.json")):
        verified = invoke("proof", "verify", proof, "--commitment", tmp_path / "crash-btc" / "commitment.json")
        assert verified.exit_code == 0, verified.output
        assert "included:" in verified.output

    same = ("sequence", "root_hash", "root_commitment", "root_range_proof", "coverage_proof", "assets", "prices_wad")
    assert {key: crash_btc[key] for key in same} == {key: calm_btc[key] for key in same}
    assert crash_btc["journal_head"] != calm_btc["journal_head"]  # the journals differ (ETH's prices)


def test_a_proof_checked_against_the_other_pools_commitment_is_rejected(runs: dict[str, Path], tmp_path: Path) -> None:
    secret = tmp_path / "master.secret"
    publish(runs["calm"], "eth", tmp_path / "eth", secret)
    publish(runs["calm"], "btc", tmp_path / "btc", secret)
    # the calm pool is covered by its insurance fund less the rounding against the venue: at most one atom
    # each for carol's PnL (up), her funding owed (down) and the LP's share of NAV (up)
    covered = invoke(
        "proof",
        "check",
        tmp_path / "eth" / "commitment.json",
        "--opening",
        tmp_path / "eth" / "root.opening.json",
        "--journal",
        runs["calm"],
    )
    assert covered.exit_code == 0, covered.output
    calm = json.loads((tmp_path / "eth" / "commitment.json").read_text())
    surplus = int(calm["assets"]["total_atoms"]) - opened_total(tmp_path / "eth")
    assert 0 <= int(calm["assets"]["insurance_atoms"]) - surplus <= 3
    carol = tmp_path / "eth" / "proofs" / "carol_0.json"
    own = invoke("proof", "verify", carol, "--commitment", tmp_path / "eth" / "commitment.json")
    assert own.exit_code == 0, own.output
    other = invoke("proof", "verify", carol, "--commitment", tmp_path / "btc" / "commitment.json")
    assert other.exit_code == 5, other.output
    assert "ProofRejected" in other.output and "(pool)" in other.output
    # a byte of a sibling's range proof changed (bit 0's z0): a forged range proof, exit 5
    proof = json.loads(carol.read_text())
    raw = bytearray(base64.b64decode(proof["path"][4]["range_proof"]))
    raw[32 + 64] ^= 0x01
    proof["path"][4]["range_proof"] = base64.b64encode(bytes(raw)).decode()
    forged = tmp_path / "forged.json"
    forged.write_text(json.dumps(proof))
    rejected = invoke("proof", "verify", forged, "--commitment", tmp_path / "eth" / "commitment.json")
    assert rejected.exit_code == 5, rejected.output
    assert "(range_proof)" in rejected.output and "level 4" in rejected.output


def test_publish_writes_nothing_over_an_earlier_publication_and_keeps_its_secret_private(
    runs: dict[str, Path], tmp_path: Path
) -> None:
    out = tmp_path / "eth"
    publish(runs["calm"], "eth", out, out.parent / "eth.secret")
    assert (out.parent / "eth.secret").stat().st_mode & 0o777 == 0o600
    assert (out / "root.opening.json").stat().st_mode & 0o777 == 0o600
    assert all(path.stat().st_mode & 0o777 == 0o600 for path in (out / "proofs").glob("*.json"))
    again = invoke("proof", "publish", "--journal", runs["calm"], "--pool", "eth", "--out", out)
    assert again.exit_code == 2, again.output
    assert "already exists" in again.output


def test_an_unknown_pool_a_missing_file_and_a_malformed_proof_are_input_errors(
    runs: dict[str, Path], tmp_path: Path
) -> None:
    unknown = invoke("proof", "publish", "--journal", runs["calm"], "--pool", "sol", "--out", tmp_path / "x")
    assert unknown.exit_code == 2, unknown.output
    assert "unknown pool 'sol'" in unknown.output
    publish(runs["calm"], "btc", tmp_path / "btc", tmp_path / "s")
    missing = invoke("proof", "verify", tmp_path / "nope.json", "--commitment", tmp_path / "btc" / "commitment.json")
    assert missing.exit_code == 2, missing.output
    broken = tmp_path / "broken.json"
    proof = json.loads((tmp_path / "btc" / "proofs" / "erin_0.json").read_text())
    proof["liability_atoms"] = 12  # a JSON number, not a decimal string
    broken.write_text(json.dumps(proof))
    malformed = invoke("proof", "verify", broken, "--commitment", tmp_path / "btc" / "commitment.json")
    assert malformed.exit_code == 2, malformed.output
    assert "ProofFileError" in malformed.output and "liability_atoms" in malformed.output


def test_the_same_secret_and_state_reproduce_the_files_byte_for_byte(runs: dict[str, Path], tmp_path: Path) -> None:
    secret = tmp_path / "master.secret"
    publish(runs["calm"], "btc", tmp_path / "one", secret)
    publish(runs["calm"], "btc", tmp_path / "two", secret)
    for name in ("commitment.json", "root.opening.json", "proofs/erin_0.json", "proofs/lpfund_0.json"):
        assert (tmp_path / "one" / name).read_bytes() == (tmp_path / "two" / name).read_bytes()


def test_a_public_total_is_checked_in_the_clear_and_a_hidden_one_cannot_be_audited_without_its_opening(
    runs: dict[str, Path], tmp_path: Path
) -> None:
    secret = tmp_path / "master.secret"
    hidden = publish(runs["calm"], "btc", tmp_path / "hidden", secret)
    public = publish(runs["calm"], "btc", tmp_path / "public", secret, "--public-total")
    assert hidden["root_opening"] is None
    assert public["root_opening"]["total_liabilities_atoms"] == str(opened_total(tmp_path / "hidden"))
    assert public["root_commitment"] == hidden["root_commitment"]  # the same tree, opened or not
    clear = invoke("proof", "check", tmp_path / "public" / "commitment.json", "--journal", runs["calm"])
    assert clear.exit_code == 0, clear.output
    assert "(opened); surplus" in clear.output
    blind = invoke("proof", "check", tmp_path / "hidden" / "commitment.json", "--journal", runs["calm"])
    assert blind.exit_code == 2, blind.output
    assert "needs the root's opening" in blind.output
    # an opening of another pool's root is refused
    publish(runs["calm"], "eth", tmp_path / "eth", secret)
    wrong = invoke(
        "proof",
        "check",
        tmp_path / "hidden" / "commitment.json",
        "--opening",
        tmp_path / "eth" / "root.opening.json",
    )
    assert wrong.exit_code == 5, wrong.output
    assert "(opening)" in wrong.output


def test_range_bits_sets_every_proof_s_width_and_a_pair_that_could_wrap_is_refused(
    runs: dict[str, Path], tmp_path: Path
) -> None:
    secret = tmp_path / "master.secret"
    default = publish(runs["calm"], "btc", tmp_path / "default", secret, "--height", "8")
    assert default["range_bits"] == 64  # USDC: 6 decimals, the default width is 64
    wide = publish(runs["calm"], "btc", tmp_path / "wide", secret, "--height", "8", "--range-bits", "72")
    assert wide["range_bits"] == 72
    assert wide["root_commitment"] == default["root_commitment"]  # the same tree, proven at another width
    assert len(base64.b64decode(wide["root_range_proof"])) == 32 + 128 * 72
    proof = tmp_path / "wide" / "proofs" / "erin_0.json"
    assert json.loads(proof.read_text())["range_bits"] == 72
    verified = invoke("proof", "verify", proof, "--commitment", tmp_path / "wide" / "commitment.json")
    assert verified.exit_code == 0, verified.output
    assert "proven in [0, 2**72)" in verified.output
    checked = invoke("proof", "check", tmp_path / "wide" / "commitment.json")
    assert checked.exit_code == 0, checked.output
    # a proof of the 72-bit publication against the 64-bit commitment of the same tree: rejected by name
    mixed = invoke("proof", "verify", proof, "--commitment", tmp_path / "default" / "commitment.json")
    assert mixed.exit_code == 5, mixed.output
    assert "(range_bits)" in mixed.output
    for extra, named in (
        (("--range-bits", "192", "--height", "61"), "could wrap the group order"),
        (("--range-bits", "60"), "not a range width"),
        (("--range-bits", "200"), "not a range width"),
    ):
        out = tmp_path / f"refused-{'-'.join(extra)}"
        refused = invoke("proof", "publish", "--journal", runs["calm"], "--pool", "btc", "--out", out, *extra)
        assert refused.exit_code == 2, refused.output
        assert "RangeWidthRefused" in refused.output and named in refused.output
        assert not out.exists()
