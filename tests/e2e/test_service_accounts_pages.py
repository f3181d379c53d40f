"""``GET /v1/accounts`` in pages: ``limit`` (at most 500, a larger one refused), ``cursor``, ``Link: rel="next"``.

Before pages, the route returned every sub-account in one response, built under the engine's lock (the
writer waited for it). The bundled venue holds a handful of sub-accounts; the tests add a few of frank's.
"""

from __future__ import annotations

from pathlib import Path

import httpx

from support.service import USDC, live_service


def _pages(base_url: str, query: str) -> list[list[tuple[str, int]]]:
    """Follow the Link headers from ``/v1/accounts?{query}``; return each page's (owner, sub-account) keys."""
    pages: list[list[tuple[str, int]]] = []
    url: str | None = f"{base_url}/v1/accounts?{query}"
    while url is not None:
        response = httpx.get(url, timeout=10)
        assert response.status_code == 200, response.text
        pages.append([(account["owner"], account["sub_account"]) for account in response.json()])
        following = response.links.get("next", {}).get("url")
        url = str(httpx.URL(base_url).join(following)) if following else None
        assert len(pages) < 100
    return pages


def test_pages_of_two_cover_every_sub_account_once_in_order_and_the_last_has_no_link(tmp_path: Path) -> None:
    with live_service(tmp_path) as live:
        with live.client("frank") as frank:
            frank.register()
            for sub in (3, 1, 5, 2, 4):
                frank.deposit(sub, "USDC", 100 * USDC)
        everything = sorted(live.service.engine.state.accounts)
        pages = _pages(live.base_url, "limit=2")
        franks = _pages(live.base_url, "owner=frank&limit=2")
        with live.client() as reader:
            via_client = reader.accounts()
            frank_via_client = reader.accounts("frank")
            first, cursor = reader.accounts_page(limit=2)

    assert len(everything) > 4
    assert [key for page in pages for key in page] == everything
    assert all(len(page) == 2 for page in pages[:-1]) and 1 <= len(pages[-1]) <= 2
    assert franks == [[("frank", 1), ("frank", 2)], [("frank", 3), ("frank", 4)], [("frank", 5)]]
    assert [(a.owner, a.sub_account) for a in via_client] == everything
    assert [(a.owner, a.sub_account) for a in frank_via_client] == [("frank", sub) for sub in range(1, 6)]
    assert [(a.owner, a.sub_account) for a in first] == everything[:2]
    assert cursor == f"{everything[1][0]}/{everything[1][1]}"


def test_a_limit_past_the_maximum_or_a_malformed_cursor_is_refused_not_clamped(tmp_path: Path) -> None:
    with live_service(tmp_path) as live:
        too_many = httpx.get(f"{live.base_url}/v1/accounts", params={"limit": 501}, timeout=10)
        largest = httpx.get(f"{live.base_url}/v1/accounts", params={"limit": 500}, timeout=10)
        bad_cursor = httpx.get(f"{live.base_url}/v1/accounts", params={"cursor": "carol"}, timeout=10)

    assert too_many.status_code == 422
    assert too_many.json()["error"] == "InvalidCommand"
    assert "limit" in too_many.json()["detail"]
    assert largest.status_code == 200 and "link" not in largest.headers
    assert bad_cursor.status_code == 422
