"""Debian's Chromium driven by Playwright for the browser tests: a test that cannot start it skips (fails under CI)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn

import pytest

CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def unavailable(reason: str) -> NoReturn:
    """Skip the test, or fail it under CI, which must run every browser test (scripts/test installs Chromium)."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason}; CI must run the browser test (scripts/test installs it)")
    pytest.skip(f"{reason} (scripts/test installs it; under CI this fails instead)")


@contextmanager
def headless_chromium() -> Iterator[Any]:
    """Yield a headless Chromium (closed on exit)."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("the playwright package is not installed (pip install -e '.[dev]')")
    if not CHROMIUM.exists():
        unavailable(f"{CHROMIUM} is missing (apt-get install -y chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        try:
            yield browser
        finally:
            browser.close()
