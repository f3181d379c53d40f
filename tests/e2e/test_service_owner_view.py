"""``GET /v1/owners/{owner}``: one owner's vaults across pools, their risk and the allocator's suggestion, over HTTP.

The venue is the bundled example served live; frank opens what ``examples/allocate-script.toml`` opens
(10 ETH long isolated in sub-account 1 with 10,000 USDC, 1 BTC short and 5 ETH short isolated in
sub-account 2 with 10,000 and 5,000, 5,000 USDC idle in sub-account 3), then ETH falls to 3,950 and
BTC rises to 67,600. Checked against what is computed outside the view: the health from the
response's own integers, the liquidation price and distance typed out here, the probability as the
first-passage formula with scipy, and the suggested commands run through the service, after which
the journal's vaults equal the suggested split.
"""

from __future__ import annotations

import math
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from scipy import stats

from ringfence.core.governance.state import Role
from ringfence.http.client import ProblemError
from support.service import USDC, LiveService, live_service

ETH = 10**18
BTC = 10**8
VOLATILITY = {"ETH": "80%", "WBTC": "60%"}
DAY_YEARS = 86_400 / (365 * 86_400)


def frank_opens(live: LiveService) -> None:
    with live.client("frank") as frank:
        frank.register()
        for sub, usd in ((1, 20_000), (2, 20_000), (3, 5_000)):
            frank.deposit(sub, "USDC", usd * USDC)
        frank.trade(1, "eth", "ETH-PERP", size_delta_atoms=10 * ETH, mode="isolated", margin_atoms=10_000 * USDC)
        frank.trade(2, "btc", "BTC-PERP", size_delta_atoms=-BTC, mode="isolated", margin_atoms=10_000 * USDC)
        frank.trade(2, "eth", "ETH-PERP", size_delta_atoms=-5 * ETH, mode="isolated", margin_atoms=5_000 * USDC)
    live.quote(3_950, advance_s=60, btc_usd=67_600)


def first_passage(spot: float, barrier: float, sigma: float, years: float, long: bool) -> float:
    """Shreve II §7.2, driftless price (log-drift −σ²/2), typed out here with scipy."""
    a = math.log(spot / barrier) if long else math.log(barrier / spot)
    m = sigma**2 / 2 if long else -(sigma**2) / 2
    root = sigma * math.sqrt(years)
    return float(
        stats.norm.cdf((-a + m * years) / root)
        + math.exp(2 * m * a / sigma**2) * stats.norm.cdf((-a - m * years) / root)
    )


def test_the_owner_reads_every_vault_with_its_risk_and_carrying_out_the_suggestion_reaches_the_split(
    tmp_path: Path,
) -> None:
    with live_service(tmp_path) as live:
        frank_opens(live)
        with live.client("frank") as frank:
            plain = frank.owner()
            view = frank.owner(volatility=VOLATILITY, horizon="1d")
            (allocation,) = view.allocations
            for command in allocation.commands:
                fields = {key: value for key, value in command.items() if key != "type"}
                for key in ("sub_account", "from_sub_account", "to_sub_account"):
                    if key in fields:
                        fields[key] = int(fields[key])
                for key in ("delta", "amount"):
                    if key in fields:
                        fields[f"{key}_atoms"] = int(Decimal(fields.pop(key)) * USDC)
                frank.send(command["type"], **fields)
            after = frank.owner(volatility=VOLATILITY)

    # without volatilities: every vault with health and distance, no probability, no allocation
    assert plain.allocations == [] and plain.any_liquidation_probability is None
    assert [(v.sub_account, v.pool, v.market, v.size_atoms) for v in view.vaults] == [
        (1, "eth", "ETH-PERP", 10 * ETH),
        (2, "btc", "BTC-PERP", -BTC),
        (2, "eth", "ETH-PERP", -5 * ETH),
    ]
    assert [s.sub_account for s in view.sub_accounts] == [1, 2, 3]
    assert view.sub_accounts[2].idle_atoms == {"USDC": 5_000 * USDC}
    for vault in view.vaults:
        assert vault.health == (vault.margin_atoms + vault.maintenance_equity_atoms) / vault.maintenance_atoms
        spot = (vault.price_wad or 0) / 10**18
        size = vault.size_atoms / (ETH if vault.base_asset == "ETH" else BTC)
        rate = vault.maintenance_atoms / USDC / (abs(size) * spot)
        surplus = (vault.margin_atoms + vault.maintenance_equity_atoms - vault.maintenance_atoms) / USDC
        barrier = spot - surplus / (size - abs(size) * rate)
        assert vault.liquidation_price == pytest.approx(barrier, rel=1e-9)
        assert vault.distance_to_liquidation == pytest.approx(abs(barrier / spot - 1), rel=1e-9)
        sigma = 0.8 if vault.base_asset == "ETH" else 0.6
        expected = first_passage(spot, barrier, sigma, DAY_YEARS, size > 0)
        assert vault.liquidation_probability == pytest.approx(expected, rel=1e-6)
        assert [v.distance_to_liquidation for v in plain.vaults if v.pool == vault.pool and v.market == vault.market
                and v.sub_account == vault.sub_account] == [vault.distance_to_liquidation]  # fmt: skip
    # the split: the vaults plus the idle 5,000 (sub-account 3) and sub-accounts 1 and 2's 10,000 and 5,000
    assert sum(allocation.suggested_atoms) == sum(allocation.margin_atoms) + 20_000 * USDC
    assert allocation.suggested and allocation.any_probability_suggested < allocation.any_probability_now
    # carried out through the service, the vaults hold the suggested split to the atom
    assert [v.margin_atoms for v in after.vaults] == allocation.suggested_atoms
    assert not after.allocations[0].suggested


def test_only_the_owner_an_admin_or_a_risk_model_may_read_it(tmp_path: Path) -> None:
    with live_service(tmp_path) as live:
        frank_opens(live)
        with live.client("admin") as admin:
            by_admin = admin.owner("frank")
            admin.send("GrantRole", actor="admin", role=Role.RISK_MODEL.value, principal="dave")
        with live.client("dave") as dave:
            dave.register()
            by_model = dave.owner("frank")
        with live.client("mallory") as mallory:
            mallory.register()
            with pytest.raises(ProblemError) as refused:
                mallory.owner("frank")
            with pytest.raises(ProblemError) as unknown:
                mallory.owner()  # registered, but no sub-account: nothing to show
        anonymous = httpx.get(f"{live.base_url}/v1/owners/frank", timeout=10)

    assert [v.margin_atoms for v in by_admin.vaults] == [v.margin_atoms for v in by_model.vaults]
    assert (refused.value.status, refused.value.error) == (403, "Unauthorized")
    assert (unknown.value.status, unknown.value.error) == (404, "UnknownEntity")
    assert anonymous.status_code == 401
    assert anonymous.json()["error"] == "NotAuthenticated"


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"volatility": "ETH=80%"}, "WBTC"),
        ({"volatility": ["ETH=80%", "WBTC=60%"], "horizon": "soon"}, "horizon"),
        ({"volatility": ["ETH=80%", "WBTC=0"]}, "above 0"),
        ({"volatility": ["ETH=80%", "ETH=70%", "WBTC=60%"]}, "twice"),
        ({"volatility": ["ETH=80%", "WBTC=60%"], "threshold": "150%"}, "threshold"),
    ],
    ids=["missing-asset", "bad-horizon", "zero-volatility", "asset-twice", "threshold-past-1"],
)
def test_bad_inputs_are_named_with_422(tmp_path: Path, params: dict[str, object], named: str) -> None:
    with live_service(tmp_path) as live:
        frank_opens(live)
        with live.client("frank") as frank:
            response = httpx.get(
                f"{live.base_url}/v1/owners/frank",
                params=params,  # type: ignore[arg-type]
                headers={"Authorization": f"Bearer {frank.token()}"},
                timeout=10,
            )

    assert response.status_code == 422, response.text
    assert response.json()["error"] == "InvalidParameter"
    assert named in response.json()["detail"]
