"""The stress report in a real headless Chromium (Playwright): no console or page error, no network,
every plot drawn at a visible size.

The study is assembled from hand-made runs (``tests/support/lab_runs.py``), not an engine. Chromium is
Debian's ``/usr/bin/chromium`` (``scripts/test`` installs it when missing and run as root). Without it
the test is skipped on a developer's machine and fails under CI (``CI`` set), where a skip would hide
a missing install step.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ringfence.lab.report import expected_plots, render_report
from ringfence.lab.study import StudyResult
from support.browser import headless_chromium
from support.lab_runs import sample_study
from support.report_study import full_study

pytestmark = pytest.mark.e2e

VIEWPORT_WIDTH = 1280


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """A headless Chromium for the module's tests."""
    with headless_chromium() as chromium:
        yield chromium


def _open(browser: Any, report: Path) -> tuple[Any, list[str]]:
    """Load the report; return the page and every console error, page error and outside request."""
    problems: list[str] = []
    page = browser.new_page(viewport={"width": VIEWPORT_WIDTH, "height": 900})
    page.on(
        "console",
        lambda message: problems.append(f"console {message.type}: {message.text}") if message.type == "error" else None,
    )
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on(
        "request",
        lambda request: (
            None
            if request.url.startswith(("file:", "data:", "about:"))
            else problems.append(f"network request: {request.url}")
        ),
    )
    page.goto(report.as_uri(), wait_until="load")
    return page, problems


def _check_key_table(page: Any, study: StudyResult) -> None:
    """The ladder's key columns are all inside the 1280 px window, with no horizontal scroll."""
    if not study.ladder:
        return
    table = page.locator(".key-table").first
    wrap = table.evaluate("element => [element.scrollWidth, element.clientWidth]")
    assert wrap[0] <= wrap[1], f"the key table scrolls sideways: {wrap}"
    headers = page.locator(".key-table th")
    assert headers.count() >= 5
    for index in range(headers.count()):
        box = headers.nth(index).bounding_box()
        assert box is not None
        assert box["x"] >= 0 and box["x"] + box["width"] <= VIEWPORT_WIDTH, (headers.nth(index).inner_text(), box)


def _check_report(browser: Any, study: StudyResult, out_dir: Path) -> None:
    report = render_report(study, out_dir)
    page, problems = _open(browser, report)
    try:
        names = expected_plots(study)
        assert page.locator("figure[data-plot]").count() == len(names)
        for name in names:
            figure = page.locator(f'figure[data-plot="{name}"]')
            assert figure.count() == 1, name
            graphic = figure.locator("svg, img").first
            box = graphic.bounding_box()
            assert box is not None, name
            assert box["width"] > 200 and box["height"] > 100, (name, box)
            # the svg holds drawn marks, not an empty shell
            assert figure.locator("svg path").count() > 0, name
            assert figure.locator("figcaption").inner_text().strip(), name
        assert page.title() == f"Stress report: {study.scenario_name}"
        _check_key_table(page, study)
        assert problems == []
    finally:
        page.close()


def test_report_opens_cleanly_with_every_plot_drawn(browser: Any, tmp_path: Path) -> None:
    _check_report(browser, sample_study(), tmp_path)


def test_report_without_keeper_sweep_opens_cleanly(browser: Any, tmp_path: Path) -> None:
    _check_report(browser, sample_study(keeper_sweep=False), tmp_path)


def test_report_with_every_section_and_an_attacker_opens_cleanly(browser: Any, tmp_path: Path) -> None:
    # six key columns (the attacker's profit included), each with its interval on a second line
    study = full_study(40, attacker_profit_usd=37_800_000.0)

    _check_report(browser, study, tmp_path)

    assert "sensitivity" in expected_plots(study)


def test_report_of_one_run_opens_cleanly(browser: Any, tmp_path: Path) -> None:
    study = sample_study(runs=1)

    _check_report(browser, study, tmp_path)
