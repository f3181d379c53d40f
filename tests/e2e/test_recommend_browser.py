"""The recommendation's report in a real headless Chromium: no console or page error, no network, every plot visible.

Chromium is Debian's ``/usr/bin/chromium``; without it the test is skipped on a developer's machine
and fails under CI (``CI`` set), as ``test_report_browser.py`` does.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ringfence.lab.recommend import recommend
from ringfence.lab.report.recommendation import render_recommendation
from ringfence.lab.scenario import load_scenario
from support.browser import headless_chromium
from support.recommend_scenarios import ONE_STEP

pytestmark = pytest.mark.e2e


def test_the_recommendation_report_renders_every_curve_in_chromium(tmp_path: Path) -> None:
    scenario_file = tmp_path / "one-step.toml"
    scenario_file.write_text(ONE_STEP)
    result = recommend(load_scenario(scenario_file), runs=100, levels=5, alpha=0.05, confirm=0, resamples=100)
    report = render_recommendation(result, tmp_path / "out")
    problems: list[str] = []
    with headless_chromium() as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
        page.on("pageerror", lambda error: problems.append(str(error)))
        page.on(
            "request",
            lambda request: None if request.url.startswith(("file:", "data:")) else problems.append(request.url),
        )
        page.goto(report.as_uri(), wait_until="load")
        boxes = [figure.locator("svg").bounding_box() for figure in page.locator("figure[data-plot]").all()]

    assert problems == []
    assert len(boxes) == len(result.curves) == 2
    assert all(box is not None and box["width"] > 600 and box["height"] > 200 for box in boxes), boxes
