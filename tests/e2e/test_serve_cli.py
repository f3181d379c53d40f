"""``ringfence serve`` as a user runs it: a fresh folder, nothing made by hand, the bundled venue served."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from ringfence.http.genesis import bundled_venue_path

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def test_the_bundled_venue_is_the_example_venue() -> None:
    assert bundled_venue_path().read_bytes() == (ROOT / "examples" / "venue.toml").read_bytes()


def test_serve_creates_the_venue_and_answers(tmp_path: Path) -> None:
    port = _free_port()
    started = time.monotonic()
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "ringfence"), "serve", "--port", str(port)],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        venue = None
        while time.monotonic() - started < 60 and server.poll() is None:
            try:
                venue = httpx.get(f"http://127.0.0.1:{port}/v1/venue", timeout=1).json()
                break
            except httpx.TransportError:
                time.sleep(0.1)
        pools = httpx.get(f"http://127.0.0.1:{port}/v1/pools", timeout=5).json()
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=20)

    assert venue is not None, output
    assert venue["opened"] is True
    assert venue["admins"] == ["admin"]
    assert [pool["pool"] for pool in pools] == ["eth", "btc"]
    assert (tmp_path / "venue.sqlite").exists()
    assert (tmp_path / "ids" / "keeper.identity").stat().st_mode & 0o077 == 0
    assert "venue 'two-pools' created in venue.sqlite" in output


def test_serve_refuses_a_venue_whose_senders_have_no_identity_and_leaves_nothing(tmp_path: Path) -> None:
    empty = tmp_path / "ids"
    empty.mkdir(mode=0o700)
    result = subprocess.run(
        [
            str(Path(sys.executable).parent / "ringfence"),
            "serve",
            "--venue",
            str(ROOT / "examples" / "venue.toml"),
            "--identity-dir",
            str(empty),
            "--port",
            str(_free_port()),
        ],
        check=False,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 3, result.stdout + result.stderr
    assert "NotAuthenticated" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr
    assert sorted(path.name for path in tmp_path.iterdir()) == ["ids"]
