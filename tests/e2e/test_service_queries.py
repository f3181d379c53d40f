"""Queries of the live service: pools, markets, accounts, health distribution, breakers, principals, stress.

Expected figures are worked by hand from the bundled venue (examples/venue.toml) and the commands the
test sends, never read back from the code under test.
"""

from __future__ import annotations

import json
from pathlib import Path

import httpx

from support.service import USDC, live_service

ETH = 10**18


def test_queries_follow_a_trade_and_a_crash(tmp_path: Path) -> None:
    results = tmp_path / "stress-report"
    results.mkdir()
    (results / "results.json").write_text(json.dumps({"scenario": "isolation-ladder", "runs": 3}), encoding="utf-8")
    (tmp_path / "venue").mkdir()
    with live_service(tmp_path / "venue", results_dir=results) as live:
        live.quote(4_200)
        with live.client("carol") as carol:
            carol.register()
            carol.deposit(0, "USDC", 10_000 * USDC)
            carol.trade(0, "eth", "ETH-PERP", size_delta_atoms=10 * ETH, mode="isolated", margin_atoms=4_500 * USDC)
            pools = {pool.pool: pool for pool in carol.pools()}
            markets = {market.market: market for market in carol.markets()}
            account = carol.account("carol", 0)
            healthy = carol.health()
            feeder = carol.principal("pyth")
            admin = carol.principal("admin")
            stress = carol.stress()
        for price in (3_700, 3_300):  # ETH falls 21%: carol's 4,500 USDC of margin cannot carry a 9,000 USDC loss
            live.quote(price, advance_s=60)
        with live.client() as reader:
            crashed = reader.health()
            liquidatable = reader.accounts(liquidatable=True)
            breakers = reader.breakers()

    # the venue file: LP vault 500,000 USDC in pool eth; its markets; ETH quoted at 4,200
    assert pools["eth"].vault_atoms >= 500_000 * USDC
    assert pools["eth"].status == "active"
    assert markets["ETH-PERP"].long_atoms == 10 * ETH
    assert markets["ETH-PERP"].oracle_price_wad == 4_200 * ETH
    # carol: 10,000 deposited, 4,500 moved into the isolated vault
    assert account.balances["USDC"] == 5_500 * USDC
    (position,) = account.positions
    assert (position.pool, position.market, position.mode, position.size_atoms) == (
        "eth",
        "ETH-PERP",
        "isolated",
        10 * ETH,
    )
    # the taker fee, 0.05% of ~42,000 USDC of notional (about 21 USDC), is paid from the isolated vault
    assert 4_475 * USDC < position.isolated_margin_atoms < 4_480 * USDC
    # MM requirement 5% x 10 ETH x 4,200 = 2,100 USDC; equity 4,500 less fee and spread (< 100): health in [2, 2.15)
    assert position.maintenance is not None
    assert position.maintenance.requirement_atoms == 2_100 * USDC
    assert 2 * ETH <= (position.maintenance.health_wad or 0) < 215 * ETH // 100
    assert position.below_maintenance is False
    assert [(bucket.lower, bucket.count) for bucket in healthy.buckets if bucket.count] == [(2.0, 1)]
    assert healthy.below_maintenance == 0
    # after the crash: loss 10 x 900 = 9,000 USDC > 4,500 of margin: below maintenance, liquidatable
    assert crashed.below_maintenance == 1
    assert [(found.owner, [p.market for p in found.liquidatable]) for found in liquidatable] == [
        ("carol", ["ETH-PERP"])
    ]
    assert {oracle.asset: oracle.status for oracle in breakers.oracles} == {
        "USDC": "fresh",
        "ETH": "fresh",
        "WBTC": "fresh",
    }
    assert [pool.pool for pool in breakers.pools] == ["eth", "btc"]
    # principals: the feeders quote every asset; the admin holds the admin role
    assert feeder.feeds == ["USDC", "ETH", "WBTC"]
    assert "admin" in admin.roles
    # stress results are the file's content, as written
    assert stress.results == {"scenario": "isolation-ladder", "runs": 3}
    assert stress.source.endswith("results.json")


def test_pool_exposure_is_served_and_an_unknown_pool_is_404(tmp_path: Path) -> None:
    """``GET /v1/pools/{pool}/exposure``: the bundled venue lists no series, so the book is empty."""
    with live_service(tmp_path) as live:
        live.quote(4_200)
        body = httpx.get(f"{live.base_url}/v1/pools/eth/exposure", timeout=10).json()
        missing = httpx.get(f"{live.base_url}/v1/pools/nope/exposure", timeout=10)

    assert body == {"pool": "eth", "series": [], "totals": {}}
    assert missing.status_code == 404
    assert missing.json()["error"] == "UnknownEntity"
