"""The keeper example (examples/keeper.py) run as a process against a live service: it liquidates when ETH falls."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from support.service import USDC, live_service

KEEPER = Path(__file__).resolve().parents[2] / "examples" / "keeper.py"
ETH = 10**18


def test_the_keeper_watches_the_stream_and_liquidates(tmp_path: Path) -> None:
    with live_service(tmp_path) as live:
        live.quote(4_200)
        with live.client("carol") as carol:
            carol.register()
            carol.deposit(0, "USDC", 10_000 * USDC)
            carol.trade(0, "eth", "ETH-PERP", size_delta_atoms=10 * ETH, mode="isolated", margin_atoms=4_500 * USDC)
        keeper = subprocess.Popen(
            [
                sys.executable,
                str(KEEPER),
                "--url",
                live.base_url,
                "--identity",
                str(tmp_path / "ids" / "keeper.identity"),
                "--max-liquidations",
                "1",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            deadline = time.monotonic() + 30
            while live.service.engine.state.principals.get("keeper") is None and time.monotonic() < deadline:
                time.sleep(0.05)
            with live.client() as reader:
                before = reader.liquidations()
            for price in (3_700, 3_300, 2_950):  # steps the 15% jump guard lets through
                live.quote(price, advance_s=60)
            output, _ = keeper.communicate(timeout=60)
        finally:
            if keeper.poll() is None:
                keeper.kill()
                keeper.communicate()
        with live.client() as reader:
            after = reader.liquidations()
            carol_positions = reader.account("carol", 0).positions

    assert keeper.returncode == 0, output
    assert before == []
    closes = [entry for entry in after if entry.type == "PositionLiquidated"]
    assert len(closes) == 1, output
    assert closes[0].command_id.startswith("http-")
    assert closes[0].payload["owner"] == "carol"
    assert "liquidated carol/0 eth/ETH-PERP" in output
    assert carol_positions == []
