"""The venue dashboard: a static page the service serves at ``/dashboard/`` (``/`` redirects there).

The page (``dashboard_assets/``: HTML, CSS and plain JavaScript, nothing loaded from anywhere else)
reads only the service's public read endpoints (``/v1/venue``, ``/v1/markets``, ``/v1/breakers``,
``/v1/accounts``, ``/v1/liquidations``, ``/v1/stress``) and follows ``/v1/events``; it needs no
token, because reads are public (:mod:`ringfence.http.app`). It shows pools (NAV, insurance fund,
waterfall losses, breaker state and oracle guards), the health distribution of margin accounts, the
live liquidation feed and the stress results ``ringfence stress`` wrote.

Besides the three files, one small document tells the page what it cannot learn from the API:
``GET /dashboard/settings.json`` = the API's prefix, every event type the stream can carry (server-
sent events are named by type, and a browser hears only the names it listens to), the types of the
liquidation feed, and whether stress results are on disk (so the page never asks for a 404). These
routes stay out of the OpenAPI document: they are a page, not the API.

Every dashboard response carries a Content-Security-Policy that allows nothing but this origin, so a
page that tried to reach anywhere else would fail loudly (and its browser test with it).
"""

from __future__ import annotations

from importlib import resources
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from ringfence.core.errors import UnknownEntity
from ringfence.core.events import EVENT_TYPES
from ringfence.http.feed import LIQUIDATION_EVENTS
from ringfence.http.service import VenueService

__all__ = ["ASSET_FILES", "CONTENT_SECURITY_POLICY", "DASHBOARD_PATH", "dashboard_settings", "mount_dashboard"]

DASHBOARD_PATH = "/dashboard/"
API_PREFIX = "/v1"
ASSET_FILES = {
    "index.html": "text/html; charset=utf-8",
    "dashboard.css": "text/css; charset=utf-8",
    "dashboard.js": "text/javascript; charset=utf-8",
}
"""The page's files (in ``ringfence/http/dashboard_assets``) and their media types; nothing else is served."""
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-cache",
}


def _asset(name: str) -> bytes:
    return resources.files("ringfence.http").joinpath("dashboard_assets").joinpath(name).read_bytes()


def _stress_available(service: VenueService) -> bool:
    try:
        service.stress_results()
    except UnknownEntity:
        return False
    return True


def dashboard_settings(service: VenueService) -> dict[str, Any]:
    """Return what the page needs besides the API: its prefix, the stream's event types, stress availability."""
    return {
        "api": API_PREFIX,
        "event_types": sorted(cls.__name__ for cls in EVENT_TYPES),
        "liquidation_events": sorted(LIQUIDATION_EVENTS),
        "stress_results": _stress_available(service),
    }


def mount_dashboard(app: FastAPI) -> None:
    """Serve the dashboard of the app's :class:`~ringfence.http.service.VenueService` (``app.state.service``)."""

    @app.get("/", include_in_schema=False)
    def root() -> RedirectResponse:
        return RedirectResponse(DASHBOARD_PATH, status_code=307)

    @app.get("/dashboard", include_in_schema=False)
    def dashboard_without_slash() -> RedirectResponse:
        return RedirectResponse(DASHBOARD_PATH, status_code=307)

    @app.get(DASHBOARD_PATH, include_in_schema=False)
    def page() -> Response:
        return Response(_asset("index.html"), media_type=ASSET_FILES["index.html"], headers=_HEADERS)

    @app.get(DASHBOARD_PATH + "settings.json", include_in_schema=False)
    def settings(request: Request) -> JSONResponse:
        return JSONResponse(dashboard_settings(request.app.state.service), headers=_HEADERS)

    @app.get(DASHBOARD_PATH + "dashboard.css", include_in_schema=False)
    def stylesheet() -> Response:
        return Response(_asset("dashboard.css"), media_type=ASSET_FILES["dashboard.css"], headers=_HEADERS)

    @app.get(DASHBOARD_PATH + "dashboard.js", include_in_schema=False)
    def script() -> Response:
        return Response(_asset("dashboard.js"), media_type=ASSET_FILES["dashboard.js"], headers=_HEADERS)
