"""The venue dashboard in a real headless Chromium (Playwright), against a real service on loopback.

The service is the bundled example venue on a real SQLite journal, served by uvicorn on 127.0.0.1
(``support.service.live_service``); every command goes through its HTTP API with its principal's
token (``support.dashboard_traffic``). The checks: the page loads with every panel and shows the
API's figures; a liquidation sent through the API appears in the live feed without a reload and
the pool figures follow; a pause shows as the pool's breaker state; and over all of it the page
logs no console error, throws nothing, gets no failed response and asks nothing of any other
origin. Expected figures are formatted here from the API's atoms with ``decimal`` (rounded toward
zero, as the page says it shows them), never read back from the page's own code.

Chromium is Debian's ``/usr/bin/chromium``; without it the test is skipped on a developer's machine
and fails under CI (``CI`` set), as ``test_report_browser.py`` does.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import ROUND_DOWN, Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

from ringfence.core.units import WAD
from ringfence.lab.export import results_json
from ringfence.service.clock import ManualClock
from support.browser import headless_chromium
from support.dashboard_traffic import CRASH_PRICES, crash, liquidate, open_positions, pause
from support.lab_runs import sample_study
from support.service import LiveService, live_service

pytestmark = pytest.mark.e2e

VIEWPORT = {"width": 1280, "height": 800}
LIVE_TIMEOUT_MS = 10_000
"""How long a streamed change may take to reach the page: generous, the machine is shared (2 cores)."""


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """A headless Chromium for the module's tests."""
    with headless_chromium() as chromium:
        yield chromium


@pytest.fixture
def results_dir(tmp_path: Path) -> Path:
    """A folder holding the results.json ``ringfence stress --out`` would write, for hand-made runs."""
    folder = tmp_path / "stress"
    folder.mkdir()
    (folder / "results.json").write_bytes(results_json(sample_study()))
    return folder


class Watched:
    """A page opened on the dashboard and every problem it met: console or page errors, failed or foreign requests."""

    def __init__(self, browser: Any, base_url: str, prepare: Callable[[Any], None] | None = None) -> None:
        self.problems: list[str] = []
        self.page = browser.new_page(viewport=VIEWPORT)
        page = self.page
        if prepare is not None:
            prepare(page)
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.problems.append(f"page error: {error}"))
        page.on("requestfailed", lambda request: self.problems.append(f"request failed: {request.url}"))
        page.on(
            "request",
            lambda request: (
                None
                if request.url.startswith((base_url, "data:"))
                else self.problems.append(f"request to another origin: {request.url}")
            ),
        )
        page.on(
            "response",
            lambda response: (
                self.problems.append(f"{response.status} from {response.url}") if response.status >= 400 else None
            ),
        )
        page.goto(base_url + "/", wait_until="load")
        page.wait_for_selector('body[data-loaded="true"]', timeout=LIVE_TIMEOUT_MS)
        if prepare is None:  # a prepared page may keep its stream from staying live
            page.wait_for_selector('#stream[data-state="live"]', timeout=LIVE_TIMEOUT_MS)

    def _console(self, message: Any) -> None:
        if message.type in ("error", "warning"):
            self.problems.append(f"console {message.type}: {message.text}")

    def text(self, selector: str) -> str:
        text: str = self.page.locator(selector).inner_text()
        return " ".join(text.split())


@pytest.fixture
def watch(browser: Any) -> Any:
    """Return ``open_dashboard(live)``: a context manager of a watched page, closed before the service stops."""

    @contextmanager
    def open_dashboard(live: LiveService, prepare: Callable[[Any], None] | None = None) -> Iterator[Watched]:
        watched = Watched(browser, live.base_url, prepare)
        try:
            yield watched
        finally:
            watched.page.close()

    return open_dashboard


def shown(atoms: int, decimals: int, places: int = 2) -> str:
    """Format ``atoms`` of an asset with ``decimals`` as the page promises: ``places`` decimals toward zero, grouped."""
    value = (Decimal(atoms) / Decimal(10) ** decimals).quantize(Decimal(1).scaleb(-places), rounding=ROUND_DOWN)
    return f"{value:,.{places}f}".replace("-", "−")


def _pool(live: LiveService, name: str) -> dict[str, Any]:
    with live.client() as reader:
        return reader.pool(name).model_dump()


def test_the_dashboard_loads_every_panel_with_the_api_figures(watch: Any, tmp_path: Path, results_dir: Path) -> None:
    with live_service(tmp_path, results_dir=results_dir) as live:
        pools = {name: _pool(live, name) for name in ("eth", "btc")}
        with watch(live) as dashboard:
            rows = dashboard.page.locator("#pools tbody tr[data-pool]")
            assert [rows.nth(index).get_attribute("data-pool") for index in range(rows.count())] == ["eth", "btc"]
            for name, pool in pools.items():
                row = f'#pools tr[data-pool="{name}"]'
                assert pool["nav_low_atoms"] is not None
                assert dashboard.text(f'{row} [data-field="nav"]').startswith(f"{shown(pool['nav_low_atoms'], 6)} USDC")
                assert dashboard.text(f'{row} [data-field="insurance"]') == f"{shown(pool['insurance_atoms'], 6)} USDC"
                assert dashboard.text(f"{row} .badge") == "ACTIVE"  # text-transform: the badge reads in capitals
                assert dashboard.page.locator(f"{row} .oracle.fresh").count() == 2  # USDC and the market's base
            # the two pools' NAV, summed exactly: 500,000 USDC each plus what the genesis left in them
            total = pools["eth"]["nav_low_atoms"] + pools["btc"]["nav_low_atoms"]
            assert dashboard.text("#card-nav .value") == f"{shown(total, 6)} USDC"
            assert dashboard.text("#card-breakers .value") == "0 of 2 pools"
            # nobody trades yet: no margin account, seven empty health buckets, no liquidation
            assert dashboard.page.locator("#health rect[data-bin]").count() == 7
            assert dashboard.page.locator('#health rect[data-count="0"]').count() == 7
            assert dashboard.page.locator("#feed tbody tr").count() == 0
            assert dashboard.page.locator("#feed-empty").is_visible()

            # the stress results as results.json holds them: the ladder's four rungs, the per-pool figures
            document = json.loads((results_dir / "results.json").read_text())
            dashboard.page.locator("#stress table.ladder").wait_for(timeout=LIVE_TIMEOUT_MS)
            assert dashboard.page.locator("#stress table.ladder tbody tr").count() == len(document["ladder"]) == 4
            eth = next(pool for pool in document["base"]["summary"]["per_pool"] if pool["pool"] == "pool-ETH")
            cells = dashboard.page.locator('#stress table.per-pool tr[data-pool="pool-ETH"] td')
            bad_debt = eth["bad_debt_mean"]
            assert " ".join(cells.nth(1).inner_text().split()) == (
                f"${bad_debt['value']:,.2f} ${bad_debt['low']:,.2f} – ${bad_debt['high']:,.2f}"
            )
            # a tail figure the runs cannot support is not printed as a number
            assert eth["var95"]["value"] is None
            assert " ".join(cells.nth(2).inner_text().split()) == f"n/a needs {eth['var95']['runs_needed']} runs"

            width = dashboard.page.evaluate("document.documentElement.scrollWidth")
            assert width <= VIEWPORT["width"], f"the page scrolls sideways at 1280 px: {width}"
            assert dashboard.problems == []


def test_a_liquidation_appears_in_the_live_feed_and_the_pool_figures_follow(watch: Any, tmp_path: Path) -> None:
    with live_service(tmp_path) as live:
        open_positions(live)
        crash(live)
        with watch(live) as dashboard:
            page = dashboard.page
            page.evaluate("window.stillTheSamePage = true")
            assert page.locator('#feed tr[data-kind="liquidation"]').count() == 0
            before = _pool(live, "eth")

            liquidate(live, "carol")

            carol = page.locator('#feed tr[data-kind="liquidation"]').filter(has_text="carol/0")
            carol.wait_for(timeout=LIVE_TIMEOUT_MS)
            after = _pool(live, "eth")
            # the isolated 10 ETH long, closed at the last quote: both figures are past 2**53 atoms or wad
            assert " ".join(carol.locator('[data-field="closed"]').inner_text().split()) == (
                f"10.0000 ETH long at {CRASH_PRICES[-1]:,}.00 USDC"
            )
            with live.client() as reader:
                closes = [entry for entry in reader.liquidations() if entry.type == "PositionLiquidated"]
            assert len(closes) == 1
            assert carol.locator('[data-field="shortfall"]').inner_text().strip() == (
                f"{shown(closes[0].payload['shortfall_atoms'], 6)} USDC"
            )
            # the pool's figures follow: its insurance fund paid part of the shortfall
            assert after["insurance_atoms"] != before["insurance_atoms"]
            insurance = '#pools tr[data-pool="eth"] [data-field="insurance"]'
            page.wait_for_function(
                "([selector, text]) => document.querySelector(selector).innerText.trim() === text",
                arg=[insurance, f"{shown(after['insurance_atoms'], 6)} USDC"],
                timeout=LIVE_TIMEOUT_MS,
            )
            page.locator("#card-liquidations .value").filter(has_text="1").wait_for(timeout=LIVE_TIMEOUT_MS)

            liquidate(live, "dave")

            page.locator('#feed tr[data-kind="liquidation"]').filter(has_text="dave/0").wait_for(
                timeout=LIVE_TIMEOUT_MS
            )
            rows = page.locator('#feed tr[data-kind="liquidation"] [data-field="account"]')
            assert [rows.nth(index).inner_text() for index in range(rows.count())] == [
                "dave/0",
                "carol/0",
            ]  # newest first

            pause(live, "eth", "incident review")

            badge = page.locator('#pools tr[data-pool="eth"] .badge')
            badge.filter(has_text="reduce-only").wait_for(timeout=LIVE_TIMEOUT_MS)
            assert "incident review" in dashboard.text('#pools tr[data-pool="eth"] .reason')
            page.locator("#card-breakers.alert").wait_for(timeout=LIVE_TIMEOUT_MS)
            assert dashboard.text("#card-breakers .value") == "1 of 2 pools"
            assert page.evaluate("window.stillTheSamePage") is True, "the page reloaded"
            assert dashboard.problems == []


def test_the_health_buckets_count_the_margin_accounts_the_api_reports(watch: Any, tmp_path: Path) -> None:
    with live_service(tmp_path) as live:
        open_positions(live, crowd=6)
        crash(live)
        with live.client() as reader:
            accounts = reader.accounts()
        # every margin unit's exact health: each sub-account's cross margin and each isolated position
        margins = [account.maintenance for account in accounts]
        margins += [
            position.maintenance for account in accounts for position in account.positions if position.maintenance
        ]
        healths_wad = [margin.health_wad for margin in margins if margin.health_wad is not None]
        edges = [Fraction(edge) * WAD for edge in ("1", "1.1", "1.25", "1.5", "2", "5")]
        expected = [0] * (len(edges) + 1)
        for health in healths_wad:
            expected[sum(1 for edge in edges if health >= edge)] += 1
        with watch(live) as dashboard:
            bars = dashboard.page.locator("#health rect[data-bin]")
            labels = [bars.nth(index).get_attribute("data-bin") for index in range(bars.count())]
            counts = [int(bars.nth(index).get_attribute("data-count")) for index in range(bars.count())]

            assert expected[0] > 0, "the crash leaves someone below maintenance"
            assert labels == ["< 1", "1 – 1.1", "1.1 – 1.25", "1.25 – 1.5", "1.5 – 2", "2 – 5", "≥ 5"]
            assert counts == expected
            assert dashboard.text("#card-at-risk .value") == f"{expected[0]} of {len(healths_wad)}"
            assert dashboard.text("#card-at-risk .note") == f"{expected[1] + expected[2]} more within 25% of it"
            assert dashboard.problems == []


def test_without_stress_results_the_page_says_so_and_asks_for_no_missing_file(watch: Any, tmp_path: Path) -> None:
    with live_service(tmp_path) as live, watch(live) as dashboard:
        dashboard.page.locator("#stress .empty").filter(has_text="ringfence serve --results DIR").wait_for()
        assert dashboard.problems == []  # no 404 for /v1/stress: the page asked settings.json first


def test_a_stale_oracle_shows_nav_as_unavailable_not_as_a_number(watch: Any, tmp_path: Path) -> None:
    with live_service(tmp_path) as live:
        assert isinstance(live.clock, ManualClock)
        live.clock.advance(3_600 * 10**9)  # an hour without quotes: past every oracle's 2-minute staleness limit
        with watch(live) as dashboard:
            assert _pool(live, "eth")["nav_low_atoms"] is None
            nav = dashboard.text('#pools tr[data-pool="eth"] [data-field="nav"]')
            assert nav.startswith("n/a")
            assert dashboard.page.locator('#pools tr[data-pool="eth"] .oracle.stale').count() == 2
            assert "2 pools (oracle unavailable)" in dashboard.text("#card-nav .note")
            assert dashboard.problems == []


def test_a_dropped_stream_resumes_from_its_last_sequence_and_misses_nothing(watch: Any, tmp_path: Path) -> None:
    cut = {"stream": True}

    def cut_the_stream(page: Any) -> None:
        # While cut, every connection to the event stream is answered by a stream that ends at once
        # (as a proxy dropping it would): the page keeps reconnecting and hears nothing.
        def answer(route: Any) -> None:
            if cut["stream"]:
                route.fulfill(status=200, headers={"content-type": "text/event-stream"}, body="retry: 200\n\n")
            else:
                route.continue_()

        page.route("**/v1/events?*", answer)

    with live_service(tmp_path) as live:
        open_positions(live)
        crash(live)
        with watch(live, cut_the_stream) as dashboard:
            page = dashboard.page
            liquidate(live, "carol")  # while the page cannot hear it
            page.wait_for_timeout(1_500)  # several reconnections, each refreshing the figures, none hearing carol
            assert page.locator('#feed tr[data-kind="liquidation"]').count() == 0

            cut["stream"] = False

            carol = page.locator('#feed tr[data-kind="liquidation"]').filter(has_text="carol/0")
            carol.wait_for(timeout=LIVE_TIMEOUT_MS)
            liquidate(live, "dave")
            page.locator('#feed tr[data-kind="liquidation"]').filter(has_text="dave/0").wait_for(
                timeout=LIVE_TIMEOUT_MS
            )
            assert carol.count() == 1, "the resumed stream repeated a liquidation"
            assert dashboard.problems == []
