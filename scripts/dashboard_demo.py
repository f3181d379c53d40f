#!/usr/bin/env python3
"""Send a running ``ringfence serve`` some traffic its dashboard can show, and optionally photograph the dashboard.

Usage (the service started on the bundled example venue, whose demo identities are in ``ids/``)::

    ringfence serve --results stress-report &          # http://127.0.0.1:8000/
    python scripts/dashboard_demo.py --ids ids         # traders, ETH −30%, two liquidations, a pause
    python scripts/dashboard_demo.py --ids ids --screenshot docs/dashboard.png   # the same, then a 1280 px wide shot

Every command goes through the HTTP API with its principal's token: the feeders quote, the example's
traders (and ``--crowd`` more, created and self-registered here) deposit and trade, ETH falls
4,200 → 3,700 → 3,300 → 2,950, the keeper liquidates carol and dave, and the admin, as guardian,
pauses the ETH pool. The traffic is the one the browser tests send (``tests/support/dashboard_traffic.py``).
Run it once per fresh journal: the traders' deposits and trades are not idempotent.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))  # the traffic the browser tests send

from ringfence.core.units import WAD  # noqa: E402
from ringfence.http.client import RingfenceClient  # noqa: E402
from ringfence.service.authentication import Keyring  # noqa: E402
from ringfence.service.identity import Identity  # noqa: E402
from support.dashboard_traffic import crash, liquidate, open_positions, pause  # noqa: E402

FEEDERS = ("chainlink", "pyth", "redstone")


class RemoteVenue:
    """A venue served elsewhere: its URL, the identities at hand, quotes stamped with the wall clock."""

    def __init__(self, url: str, identities: dict[str, Identity]) -> None:
        self.url = url.rstrip("/")
        self.identities = identities

    def client(self, name: str | None = None) -> RingfenceClient:
        """Return a client acting as ``name`` (anonymous when ``None``)."""
        return RingfenceClient(self.url, self.identities[name] if name is not None else None)

    def quote(self, eth_usd: int, *, advance_s: int = 1, btc_usd: int = 65_000) -> None:
        """Have every feeder quote USDC at 1, ETH at ``eth_usd`` and WBTC at ``btc_usd``, published now."""
        del advance_s  # the service's own clock moves; nothing to advance
        for feeder in FEEDERS:
            with self.client(feeder) as client:
                for asset, price in (("USDC", 1), ("ETH", eth_usd), ("WBTC", btc_usd)):
                    client.submit_price(asset, price * WAD, time.time_ns())


def screenshot(url: str, path: Path) -> None:
    """Save a PNG of the whole dashboard at ``url``, 1280 px wide, once it is live."""
    from playwright.sync_api import sync_playwright  # noqa: PLC0415 (only with --screenshot)

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"]
        )
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        page.goto(url.rstrip("/") + "/", wait_until="load")
        page.wait_for_selector('body[data-loaded="true"]')
        page.wait_for_selector('#stream[data-state="live"]')
        page.wait_for_timeout(1500)  # the stress panel and the fresh-row highlight settle
        page.screenshot(path=str(path), full_page=True)
        browser.close()


def main() -> None:
    """Send the traffic, then take the screenshot if asked."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000", help="the service (default %(default)s)")
    parser.add_argument("--ids", type=Path, default=Path("ids"), help="the demo identities `ringfence serve` made")
    parser.add_argument("--crowd", type=int, default=24, help="extra traders, so the health distribution has a shape")
    parser.add_argument(
        "--screenshot", type=Path, help="save a PNG of the whole dashboard, 1280 px wide, here afterwards"
    )
    arguments = parser.parse_args()
    venue = RemoteVenue(arguments.url, dict(Keyring.load((), (arguments.ids,)).identities))
    open_positions(venue, crowd=arguments.crowd)
    crash(venue)
    liquidate(venue, "carol")
    liquidate(venue, "dave")
    pause(venue, "eth", "ETH fell 30% in minutes; new risk halted pending review")
    print(f"done: open {venue.url}/ to see it")
    if arguments.screenshot is not None:
        screenshot(venue.url, arguments.screenshot)
        print(f"saved {arguments.screenshot}")


if __name__ == "__main__":
    main()
