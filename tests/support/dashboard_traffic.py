"""Traffic for the dashboard's tests and screenshot: traders open positions, ETH falls, a keeper liquidates.

Everything goes through the HTTP API of a live service (:func:`support.service.live_service` in the
tests, a running ``ringfence serve`` in ``scripts/dashboard_demo.py``), each command sent by its own
principal with its own token, as a venue's users would. The trades are those
of ``examples/script.toml`` (carol 10 ETH long isolated with 4,500 USDC, dave 25 ETH long cross on
12,000 USDC, erin 1 BTC long cross), optionally with a crowd of extra traders at spread leverage so
the health distribution has a shape; ETH then falls 4,200 → 3,700 → 3,300 → 2,950 in steps the
example oracle's 15% jump guard lets through, which leaves carol's and dave's positions bankrupt.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Protocol

from ringfence.http.client import RingfenceClient
from ringfence.service.identity import Identity

__all__ = ["CRASH_PRICES", "ETH", "USDC", "Venue", "crash", "liquidate", "open_positions", "pause"]

USDC = 10**6

ETH = 10**18
BTC = 10**8


class Venue(Protocol):
    """A served venue as the traffic sees it: a test's ``LiveService`` or ``scripts/dashboard_demo.py``'s remote one."""

    identities: dict[str, Identity]

    def client(self, name: str | None = None) -> AbstractContextManager[RingfenceClient]:
        """Return a client acting as ``name``."""
        ...

    def quote(self, eth_usd: int, *, advance_s: int = 1, btc_usd: int = 65_000) -> None:
        """Have every feeder quote USDC at 1, ETH at ``eth_usd`` and WBTC at ``btc_usd``."""
        ...


CRASH_PRICES = (3_700, 3_300, 2_950)
"""ETH's fall, in USD, one quote per minute."""
_CROWD_LEVERAGE_PERCENT = (150, 200, 250, 270, 280, 285, 290, 295, 300, 310, 330, 400)
"""The extra traders' leverage (%). After ETH's 30% fall a long at leverage L keeps about 1 − 0.3·L of its
deposit against a maintenance margin of 5% of 0.7·L, so health ≈ (1 − 0.3·L) / (0.035·L): these spread
the longs from about 13 down to below 1."""
_CROWD_DEPOSIT_USDC = 3_000
"""Each extra trader's deposit: small enough that the crowd stays inside the ETH pool's reserve (50% of its vault)."""


def _register(live: Venue, name: str) -> None:
    if name not in live.identities:
        live.identities[name] = Identity.generate(name)
    with live.client(name) as client:
        client.register()


def open_positions(live: Venue, crowd: int = 0) -> None:
    """Register the example's traders and keeper, quote the start prices, deposit and open the example's trades.

    ``crowd`` more traders (``trader01``...) each deposit 3,000 USDC and trade cross at a leverage from
    ``_CROWD_LEVERAGE_PERCENT``: of every four, two go long ETH, one short ETH, one long BTC.
    """
    for name in ("carol", "dave", "erin", "keeper"):
        _register(live, name)
    live.quote(4_200, advance_s=60)
    for name, amount in (("carol", 10_000), ("dave", 12_000), ("erin", 10_000)):
        with live.client(name) as client:
            client.deposit(0, "USDC", amount * USDC)
    with live.client("carol") as carol:
        carol.trade(0, "eth", "ETH-PERP", size_delta_atoms=10 * ETH, mode="isolated", margin_atoms=4_500 * USDC)
    with live.client("dave") as dave:
        dave.trade(0, "eth", "ETH-PERP", size_delta_atoms=25 * ETH)
    with live.client("erin") as erin:
        erin.trade(0, "btc", "BTC-PERP", size_delta_atoms=1 * BTC)
    for index in range(crowd):
        name = f"trader{index + 1:02d}"
        _register(live, name)
        leverage_percent = _CROWD_LEVERAGE_PERCENT[(index // 2) % len(_CROWD_LEVERAGE_PERCENT)]
        with live.client(name) as trader:
            trader.deposit(0, "USDC", _CROWD_DEPOSIT_USDC * USDC)
            if index % 4 == 3:
                size = _CROWD_DEPOSIT_USDC * leverage_percent * BTC // (100 * 65_000)
                trader.trade(0, "btc", "BTC-PERP", size_delta_atoms=size)
            else:
                size = _CROWD_DEPOSIT_USDC * leverage_percent * ETH // (100 * 4_200)
                trader.trade(0, "eth", "ETH-PERP", size_delta_atoms=-size if index % 4 == 1 else size)


def crash(live: Venue, prices: tuple[int, ...] = CRASH_PRICES) -> None:
    """Have the feeders quote ETH at each of ``prices`` in turn, a minute apart."""
    for price in prices:
        live.quote(price, advance_s=60)


def liquidate(live: Venue, owner: str, pool: str = "eth", market: str = "ETH-PERP") -> None:
    """Have the keeper liquidate ``owner``'s sub-account 0 in ``pool``/``market``."""
    with live.client("keeper") as keeper:
        keeper.liquidate(owner, 0, pool, market)


def pause(live: Venue, pool: str, reason: str) -> None:
    """Have the admin make itself a guardian (once) and pause ``pool``: it turns reduce-only at once."""
    with live.client("admin") as admin:
        if "guardian" not in admin.principal("admin").roles:
            admin.send("GrantRole", actor="admin", role="guardian", principal="admin")
        admin.send("PausePool", actor="admin", pool=pool, reason=reason)
