"""The domains report in a real headless Chromium: no console or page error, no network, the plot drawn,
no table scrolling sideways at 1280 px.

The study is hand-made (arrays of per-path losses), not played by the engine. Chromium is Debian's
``/usr/bin/chromium``; without it the test is skipped on a developer's machine and fails under CI.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from ringfence.lab.domains.outcome import PARTIES, POOL_FIGURES
from ringfence.lab.domains.report import DomainStudy, report_html
from ringfence.lab.domains.scenario import load_domain_scenario
from support.browser import headless_chromium

pytestmark = pytest.mark.e2e

SCENARIO = Path(__file__).resolve().parents[2] / "scenarios" / "domains" / "bridge-halt-depeg.toml"
POOLS = {"ethereum": ("pool-ETH", "pool-BTC"), "fantom": ("pool-ETH", "pool-BTC"), "solana": ("pool-ETH",)}


def _study() -> DomainStudy:
    scenario = load_domain_scenario(SCENARIO)
    rng = np.random.default_rng(1)
    pool_loss = {
        (domain, pool, figure): rng.normal(123_456.0, 40_000.0, 5)
        for domain, pools in POOLS.items()
        for pool in pools
        for figure in POOL_FIGURES
    }
    party_loss = {(domain, party): rng.normal(-50_000.0, 30_000.0, 5) for domain in POOLS for party in PARTIES}
    parts = {(part, party): rng.normal(0.0, 1.0, 5) for part in ("as given", "halt only") for party in PARTIES}
    return DomainStudy(scenario, 5, pool_loss, party_loss, parts, np.arange(5.0), dict.fromkeys(POOLS, 2))


def test_the_domains_report_opens_cleanly(tmp_path: Path) -> None:
    report = tmp_path / "domains.html"
    report.write_text(report_html(_study()))
    problems: list[str] = []
    with headless_chromium() as browser:
        page: Any = browser.new_page(viewport={"width": 1280, "height": 900})
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda error: problems.append(str(error)))
        page.on("request", lambda r: None if r.url.startswith(("file:", "data:")) else problems.append(r.url))
        page.goto(report.as_uri(), wait_until="load")
        box = page.locator("figure svg").first.bounding_box()
        assert box is not None and box["width"] > 200 and box["height"] > 100
        assert page.locator("figure svg path").count() > 0
        wraps = page.locator(".table-wrap").evaluate_all("els => els.map(e => [e.scrollWidth, e.clientWidth])")
        assert len(wraps) == 2 * len(POOLS) + 1
        assert all(scroll <= client for scroll, client in wraps), wraps
    assert problems == []
