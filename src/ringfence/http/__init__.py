"""The HTTP adapter: the venue service (FastAPI), its bearer tokens, and a typed client.

``create_app(journal, ServiceSettings(audience=...))`` builds the app over any journal;
``ringfence serve`` runs it (:mod:`ringfence.cli.serve`); :mod:`ringfence.http.client` talks to it.
The API, authentication and errors are described in ``docs/service.md``.
"""

from __future__ import annotations

from ringfence.http.app import create_app
from ringfence.http.ratelimit import RateLimits
from ringfence.http.service import ServiceSettings, VenueService
from ringfence.http.tokens import mint_token

__all__ = ["RateLimits", "ServiceSettings", "VenueService", "create_app", "mint_token"]
