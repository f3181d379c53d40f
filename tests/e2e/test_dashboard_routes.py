"""The dashboard's routes on a live service: where the page is, what it is served with, what its settings say."""

from __future__ import annotations

from pathlib import Path

import httpx

from ringfence.core.events import EVENT_TYPES
from ringfence.http.dashboard import ASSET_FILES, CONTENT_SECURITY_POLICY
from support.service import live_service


def test_the_root_redirects_to_the_page_served_with_a_policy_that_allows_only_this_origin(tmp_path: Path) -> None:
    with live_service(tmp_path) as live, httpx.Client(base_url=live.base_url, timeout=10) as http:
        root = http.get("/", follow_redirects=False)
        page = http.get("/", follow_redirects=True)
        assets = {name: http.get(f"/dashboard/{name}") for name in ("dashboard.css", "dashboard.js")}

    assert root.status_code == 307
    assert root.headers["location"] == "/dashboard/"
    assert page.url.path == "/dashboard/"
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert page.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert "default-src 'none'" in CONTENT_SECURITY_POLICY and "connect-src 'self'" in CONTENT_SECURITY_POLICY
    assert '<script src="dashboard.js" defer></script>' in page.text
    for name, response in assets.items():
        assert response.status_code == 200, name
        assert response.headers["content-type"] == ASSET_FILES[name]
        assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY


def test_the_settings_list_every_event_type_and_say_whether_stress_results_exist(tmp_path: Path) -> None:
    results = tmp_path / "stress"
    results.mkdir()
    with live_service(tmp_path, results_dir=results) as live, httpx.Client(base_url=live.base_url) as http:
        before = http.get("/dashboard/settings.json").json()
        (results / "results.json").write_text('{"format": "ringfence.stress-study"}')
        after = http.get("/dashboard/settings.json").json()

    assert before["api"] == "/v1"
    assert set(before["event_types"]) == {cls.__name__ for cls in EVENT_TYPES}
    assert "PositionLiquidated" in before["liquidation_events"]
    assert set(before["liquidation_events"]) <= set(before["event_types"])
    assert before["stress_results"] is False
    assert after["stress_results"] is True


def test_the_page_is_not_part_of_the_api_document_and_serves_no_other_file(tmp_path: Path) -> None:
    with live_service(tmp_path) as live, httpx.Client(base_url=live.base_url) as http:
        document = http.get("/openapi.json").json()
        missing = http.get("/dashboard/../pyproject.toml")
        unknown = http.get("/dashboard/dashboard.py")

    assert not [path for path in document["paths"] if not path.startswith("/v1/")]
    assert missing.status_code == unknown.status_code == 404
    assert unknown.headers["content-type"] == "application/problem+json"
