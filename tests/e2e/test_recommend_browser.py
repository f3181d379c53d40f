"""The recommendation's report in a real headless Chromium: no console or page error, no network, every plot visible.

Chromium is Debian's ``/usr/bin/chromium``; without it the test is skipped on a developer's machine
and fails under CI (``CI`` set), as ``test_report_browser.py`` does.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ringfence.lab.recommend import recommend
from ringfence.lab.report.recommendation import render_recommendation
from ringfence.lab.scenario import load_scenario
from support.recommend_scenarios import ONE_STEP

pytestmark = pytest.mark.e2e

CHROMIUM = Path("/usr/bin/chromium")


def _unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{reason}; CI must run the browser test (scripts/test installs it)")
    pytest.skip(f"{reason} (scripts/test installs it; under CI this fails instead)")


def test_the_recommendation_report_renders_every_curve_in_chromium(tmp_path: Path) -> None:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright package is not installed (pip install -e '.[dev]')")
    if not CHROMIUM.exists():
        _unavailable(f"{CHROMIUM} is missing (apt-get install -y chromium)")
    scenario_file = tmp_path / "one-step.toml"
    scenario_file.write_text(ONE_STEP)
    result = recommend(load_scenario(scenario_file), runs=100, levels=5, alpha=0.05, confirm=0, resamples=100)
    report = render_recommendation(result, tmp_path / "out")
    problems: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
        page.on("pageerror", lambda error: problems.append(str(error)))
        page.on(
            "request",
            lambda request: None if request.url.startswith(("file:", "data:")) else problems.append(request.url),
        )
        page.goto(report.as_uri(), wait_until="load")
        boxes = [figure.locator("svg").bounding_box() for figure in page.locator("figure[data-plot]").all()]
        browser.close()

    assert problems == []
    assert len(boxes) == len(result.curves) == 2
    assert all(box is not None and box["width"] > 600 and box["height"] > 200 for box in boxes), boxes
