"""Schemathesis against the service's own OpenAPI document: no server error, every response matches its schema.

The live server (real uvicorn, real SQLite journal) serves the bundled venue; commands are sent with
a valid bearer token for a registered principal, so generated bodies reach the core and come back
as its refusals (403, 409, 422) or acknowledgements. The event stream (``/v1/events``) never ends
by design and is tested in ``test_service_stream.py`` instead.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig

from ringfence.http import ServiceSettings, create_app
from ringfence.http.tokens import MAX_LIFETIME_S, mint_token
from ringfence.store.memory import MemoryJournal
from support.service import LiveService, live_service


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveService]:
    with live_service(tmp_path_factory.mktemp("schema")) as running:
        running.quote(4_200)
        with running.client("carol") as carol:
            carol.register()
            carol.deposit(0, "USDC", 10_000 * 10**6)
        yield running


def _document() -> dict[str, Any]:
    """The app's OpenAPI document (it does not depend on the journal: an empty memory journal builds it)."""
    document: dict[str, Any] = create_app(MemoryJournal(), ServiceSettings(audience="schema")).openapi()
    return document


schema = schemathesis.openapi.from_dict(_document()).exclude(path="/v1/events")
queries = schema.exclude(path="/v1/commands")
# On every run the command endpoint gets generated bodies only; its coverage phase (hundreds of boundary
# cases over the 24-member union) runs in the slow test below, with every phase.
commands = schemathesis.openapi.from_dict(
    _document(), config=SchemathesisConfig.from_dict({"phases": {"coverage": {"enabled": False}}})
).include(path="/v1/commands")


def _call(case: Any, live: LiveService) -> None:
    token = mint_token(live.identities["carol"], live.service.settings.audience, lifetime_s=MAX_LIFETIME_S)
    case.call_and_validate(base_url=live.base_url, headers={"Authorization": f"Bearer {token}"})


@queries.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_the_queries_conform_to_the_openapi_document(case: Any, live: LiveService) -> None:
    _call(case, live)


@commands.parametrize()
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_the_command_endpoint_conforms_to_the_openapi_document(case: Any, live: LiveService) -> None:
    """Generated bodies on every run; the slow run below adds the coverage phase and many more examples."""
    _call(case, live)


@pytest.mark.slow
@schema.parametrize()
@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_the_api_conforms_to_the_openapi_document_at_length(case: Any, live: LiveService) -> None:
    _call(case, live)
