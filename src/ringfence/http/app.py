"""The FastAPI app of a venue: ``create_app(journal, settings)``.

Routes (all under ``/v1``; the OpenAPI document is at ``/openapi.json``, its pages at ``/docs``):

=========================================  ==========================================================
``GET  /v1/venue``                         audience for tokens, journal head, clock, admins
``POST /v1/principals``                    self-registration: name + public key, a token signed by it
``GET  /v1/principals/{name}``             a principal's registered key and roles
``POST /v1/commands``                      one command (``type`` + fields), acknowledged once durable
``GET  /v1/pools``, ``/v1/pools/{pool}``   NAV bounds, insurance, status (breaker), fees, losses
``GET  /v1/markets``                       open interest, skew, funding, margin rates, oracle price
``GET  /v1/accounts``                      sub-accounts with health (``?owner=``, ``?liquidatable=true``)
``GET  /v1/accounts/{owner}/{sub}``        one sub-account
``GET  /v1/health``                        the distribution of maintenance health (buckets)
``GET  /v1/liquidations``                  the liquidation feed (``?after=SEQ&limit=N``)
``GET  /v1/breakers``                      each pool's status and each oracle's guard
``GET  /v1/stress``                        the stress results ``ringfence stress`` wrote
``GET  /v1/journal``                       journal entries (``?after=SEQ&limit=N``)
``GET  /v1/events``                        server-sent events from ``?after=`` or ``Last-Event-ID``
=========================================  ==========================================================

Commands need ``Authorization: Bearer <JWT>`` (:mod:`ringfence.http.auth`); reads are public and
rate-limited per client address (per principal when a token is sent). Errors are problems
(:mod:`ringfence.http.problems`).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Header, Path, Query, Request
from fastapi.openapi.utils import get_openapi
from fastapi.responses import Response, StreamingResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from ringfence.core.commands import Command, RegisterPrincipal
from ringfence.core.errors import InvalidCommand, UnknownEntity
from ringfence.core.governance.state import Role
from ringfence.http.auth import bearer_token
from ringfence.http.commands import command_body_adapter, to_command
from ringfence.http.dashboard import mount_dashboard
from ringfence.http.problems import PROBLEM_MEDIA_TYPE, install_problem_handlers, validation_problem
from ringfence.http.schemas import (
    AccountView,
    BreakerView,
    CommandReceipt,
    EntryView,
    HealthDistribution,
    MarketView,
    PoolExposureView,
    PoolView,
    PrincipalView,
    Problem,
    RegisterPrincipalBody,
    StressResults,
    VenueView,
)
from ringfence.http.service import ServiceSettings, VenueService
from ringfence.http.views import (
    account_view,
    accounts_view,
    entry_view,
    health_distribution,
    markets_view,
    oracles_view,
    pool_exposure_view,
    pool_view,
    pools_view,
    principal_view,
)
from ringfence.store.journal import Journal, StoredEvent

__all__ = ["create_app"]

KEEPALIVE_S = 15.0
_PAGE = 500
_NAME = r"^[A-Za-z0-9_.-]{1,64}$"

AfterQuery = Annotated[int, Query(ge=0, description="Only entries with a larger sequence.")]
LimitQuery = Annotated[int, Query(ge=1, le=_PAGE, description="At most this many entries.")]


def _problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    return {status: {"description": "A problem (RFC 9457)", "model": Problem} for status in statuses}


def _service(request: Request) -> VenueService:
    service: VenueService = request.app.state.service
    return service


async def _reader(
    request: Request, authorization: Annotated[str | None, Header(include_in_schema=False)] = None
) -> None:
    """Rate-limit a read: by principal when a valid token is sent, else by client address."""
    service = _service(request)
    if authorization is not None:
        service.authenticate(authorization)
        return
    client = request.client.host if request.client is not None else "unknown"
    service.limit_anonymous(client)


_BEARER = HTTPBearer(
    auto_error=False,
    scheme_name="principalJWT",
    bearerFormat="JWT",
    description=(
        "A JWT signed with EdDSA by the principal's Ed25519 identity: sub = the principal, aud = the venue's "
        "audience (GET /v1/venue), iat and exp at most 300 s apart. Verified against the key the journal registered."
    ),
)
Bearer = Annotated[HTTPAuthorizationCredentials | None, Depends(_BEARER)]


def _authorization(credentials: HTTPAuthorizationCredentials | None) -> str | None:
    return None if credentials is None else f"Bearer {credentials.credentials}"


async def _sender(request: Request, credentials: Bearer) -> str:
    return _service(request).authenticate(_authorization(credentials))


Reader = Depends(_reader)
Sender = Annotated[str, Depends(_sender)]


def _sse(entry: StoredEvent) -> bytes:
    data = (
        f'{{"sequence":{entry.sequence},"command_id":{json.dumps(entry.command_id)},'
        f'"type":{json.dumps(entry.event_type)},"schema_version":{entry.schema_version},"payload":{entry.payload}}}'
    )
    return f"id: {entry.sequence}\nevent: {entry.event_type}\ndata: {data}\n\n".encode()


async def _event_stream(service: VenueService, after: int, follow: bool) -> AsyncIterator[bytes]:
    last = after
    yield b"retry: 1000\n\n"
    while True:
        waiter = service.feed.waiter()
        entries = await run_in_threadpool(service.entries_after, last, _PAGE)
        if entries:
            for entry in entries:
                yield _sse(entry)
            last = entries[-1].sequence
            continue
        if not follow:
            return
        try:
            await asyncio.wait_for(waiter.wait(), KEEPALIVE_S)
        except TimeoutError:
            yield b": keep-alive\n\n"


def _command_openapi(app: FastAPI) -> Callable[[], dict[str, Any]]:
    """Return ``app.openapi`` with the command union's schema and every error response as a problem."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        document = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
        schemas = document.setdefault("components", {}).setdefault("schemas", {})
        union = command_body_adapter.json_schema(ref_template="#/components/schemas/{model}")
        schemas.update(union.pop("$defs", {}))
        schemas["CommandBody"] = union
        for path in document["paths"].values():
            for operation in path.values():
                for status, response in operation.get("responses", {}).items():
                    if status.isdigit() and int(status) >= 400:
                        response["content"] = {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}
        schemas.pop("HTTPValidationError", None)
        schemas.pop("ValidationError", None)
        app.openapi_schema = document
        return document

    return openapi


def _roles(service: VenueService) -> list[str]:
    governance = service.engine.state.governance
    return sorted(governance.holders.get(Role.ADMIN, set())) if governance is not None else []


def _routes(app: FastAPI) -> None:  # noqa: C901, PLR0915 (one place lists every route)
    reads: dict[str, Any] = {"dependencies": [Reader], "responses": _problems(422, 429)}

    @app.get("/v1/venue", response_model=VenueView, tags=["venue"], **reads)
    def venue(request: Request) -> VenueView:
        """Return the audience tokens must carry, the journal's head and the service's clock."""
        service = _service(request)
        with service.lock:
            head = service.journal.head()
            governance = service.engine.state.governance
            return VenueView(
                audience=service.settings.audience,
                head_sequence=head.sequence,
                head_hash=head.hash,
                now_ns=service.writer.now_ns(),
                opened=governance is not None and governance.opened_ns is not None,
                admins=_roles(service),
            )

    @app.post(
        "/v1/principals",
        response_model=CommandReceipt,
        status_code=201,
        tags=["principals"],
        responses=_problems(401, 409, 422, 429, 503),
    )
    async def register_principal(
        request: Request,
        body: RegisterPrincipalBody,
        credentials: Bearer,
    ) -> CommandReceipt:
        """Register a new principal: its token (sub = the name) is signed by the key it registers."""
        service = _service(request)
        service.authenticator.verify(bearer_token(_authorization(credentials)), body.public_key_hex.lower(), body.name)
        service.buckets.take(f"principal {body.name!r}")
        name, key = body.name, body.public_key_hex.lower()
        return await service.writer.submit(name, lambda now_ns: RegisterPrincipal(name, key, now_ns), None)

    @app.get("/v1/principals/{name}", response_model=PrincipalView, tags=["principals"], **_with(reads, 404))
    def principal(request: Request, name: Annotated[str, Path(pattern=_NAME)]) -> PrincipalView:
        """Return a registered principal's public key and governance roles."""
        service = _service(request)
        with service.lock:
            return principal_view(service.engine.state, name)

    @app.post(
        "/v1/commands",
        response_model=CommandReceipt,
        tags=["commands"],
        responses=_problems(401, 403, 409, 422, 429, 503),
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/CommandBody"}}},
            }
        },
    )
    async def command(request: Request, sender: Sender) -> Response:
        """Run one command sent by the authenticated principal; answer once it is durable in the journal."""
        raw = await request.body()
        try:
            body = command_body_adapter.validate_json(raw)
        except ValidationError as error:
            raise _Invalid(list(error.errors())) from None

        def build(now_ns: int) -> Command:
            return to_command(body, now_ns)

        receipt = await _service(request).writer.submit(sender, build, body.command_id)
        return Response(receipt.model_dump_json(), media_type="application/json")  # serialised once, not revalidated

    @app.get("/v1/pools", response_model=list[PoolView], tags=["queries"], **reads)
    def pools(request: Request) -> list[PoolView]:
        """Return every pool: NAV bounds, insurance fund, status (its breaker), fees and losses."""
        service = _service(request)
        with service.lock:
            return pools_view(service.engine.state, service.writer.now_ns())

    @app.get("/v1/pools/{pool}", response_model=PoolView, tags=["queries"], **_with(reads, 404))
    def pool(request: Request, pool: str) -> PoolView:
        """Return one pool."""
        service = _service(request)
        with service.lock:
            found = service.engine.state.pools.get(pool)
            if found is None:
                raise UnknownEntity("pool", pool, tuple(service.engine.state.pools))
            return pool_view(service.engine.state, found, service.writer.now_ns())

    @app.get("/v1/pools/{pool}/exposure", response_model=PoolExposureView, tags=["queries"], **_with(reads, 404))
    def exposure(request: Request, pool: str) -> PoolExposureView:
        """Return the pool's net delta, gamma and vega in its option series and dated futures (the vault's side)."""
        service = _service(request)
        with service.lock:
            return pool_exposure_view(service.engine.state, pool, service.writer.now_ns())

    @app.get("/v1/markets", response_model=list[MarketView], tags=["queries"], **reads)
    def markets(request: Request) -> list[MarketView]:
        """Return every market of every pool."""
        service = _service(request)
        with service.lock:
            return markets_view(service.engine.state, service.writer.now_ns())

    @app.get("/v1/accounts", response_model=list[AccountView], tags=["queries"], **reads)
    def accounts(
        request: Request,
        owner: Annotated[str | None, Query(pattern=_NAME)] = None,
        liquidatable: Annotated[
            bool, Query(description="Only sub-accounts with a position below maintenance.")
        ] = False,
    ) -> list[AccountView]:
        """Return sub-accounts with their balances, positions, margin and health."""
        service = _service(request)
        with service.lock:
            found = accounts_view(service.engine.state, service.writer.now_ns(), owner)
        return [account for account in found if account.liquidatable] if liquidatable else found

    @app.get("/v1/accounts/{owner}/{sub_account}", response_model=AccountView, tags=["queries"], **_with(reads, 404))
    def account(
        request: Request, owner: Annotated[str, Path(pattern=_NAME)], sub_account: Annotated[int, Path(ge=0)]
    ) -> AccountView:
        """Return one sub-account."""
        service = _service(request)
        with service.lock:
            return account_view(service.engine.state, (owner, sub_account), service.writer.now_ns())

    @app.get("/v1/health", response_model=HealthDistribution, tags=["queries"], **reads)
    def health(request: Request) -> HealthDistribution:
        """Return the distribution of maintenance health over sub-accounts (cross) and isolated positions."""
        service = _service(request)
        with service.lock:
            found = accounts_view(service.engine.state, service.writer.now_ns())
        return health_distribution(found)

    @app.get("/v1/liquidations", response_model=list[EntryView], tags=["queries"], **reads)
    def liquidations(request: Request, after: AfterQuery = 0, limit: LimitQuery = 100) -> list[EntryView]:
        """Return the liquidation feed: closes, their records and the waterfall's draws, oldest first."""
        return [entry_view(entry) for entry in _service(request).feed.liquidations_after(after, limit)]

    @app.get("/v1/breakers", response_model=BreakerView, tags=["queries"], **reads)
    def breakers(request: Request) -> BreakerView:
        """Return each pool's status (active, reduce_only, halted) and each oracle's guard."""
        service = _service(request)
        with service.lock:
            now_ns = service.writer.now_ns()
            state = service.engine.state
            return BreakerView(pools=pools_view(state, now_ns), oracles=oracles_view(state, now_ns))

    @app.get("/v1/stress", response_model=StressResults, tags=["queries"], **_with(reads, 404))
    def stress(request: Request) -> StressResults:
        """Return the stress results on disk (``ringfence stress --out DIR``; never computed here)."""
        return _service(request).stress_results()

    @app.get("/v1/journal", response_model=list[EntryView], tags=["queries"], **reads)
    def journal(request: Request, after: AfterQuery = 0, limit: LimitQuery = 100) -> list[EntryView]:
        """Return journal entries after a sequence, oldest first."""
        return [entry_view(entry) for entry in _service(request).entries_after(after, limit)]

    @app.get(
        "/v1/events",
        tags=["events"],
        response_class=StreamingResponse,
        responses={
            200: {
                "description": "Server-sent events: id = sequence, event = event type, data = the entry as JSON.",
                "content": {"text/event-stream": {"schema": {"type": "string"}}},
            },
            **_problems(422, 429),
        },
        dependencies=[Reader],
    )
    async def events(
        request: Request,
        after: Annotated[int | None, Query(ge=0, description="Resume after this sequence.")] = None,
        last_event_id: Annotated[int | None, Header(alias="Last-Event-ID", ge=0)] = None,
        follow: Annotated[
            bool, Query(description="Keep the stream open for new entries (false: end at the head).")
        ] = True,
    ) -> StreamingResponse:
        """Stream journal entries as server-sent events, resuming after ``after`` or ``Last-Event-ID``."""
        start = after if after is not None else (last_event_id if last_event_id is not None else 0)
        return StreamingResponse(
            _event_stream(_service(request), start, follow),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
        )


def _with(reads: dict[str, Any], *statuses: int) -> dict[str, Any]:
    return {**reads, "responses": {**reads["responses"], **_problems(*statuses)}}


class _Invalid(InvalidCommand):
    """A command body the schema refused; rendered as the 422 problem listing each location."""

    def __init__(self, errors: list[Any]) -> None:
        super().__init__("the command body is invalid")
        self.errors = errors


def create_app(journal: Journal, settings: ServiceSettings) -> FastAPI:
    """Build the service's app over ``journal`` (verified and replayed now; the caller closes it)."""
    service = VenueService(journal, settings)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await service.writer.start()
        try:
            yield
        finally:
            await service.writer.stop()

    app = FastAPI(
        title="ringfence venue service",
        version="1",
        description=__doc__ or "",
        lifespan=lifespan,
    )
    app.state.service = service
    install_problem_handlers(app)

    async def invalid_body(request: Request, error: Exception) -> Any:
        return validation_problem(error.errors if isinstance(error, _Invalid) else [])

    app.add_exception_handler(_Invalid, invalid_body)
    _routes(app)
    mount_dashboard(app)
    app.openapi = _command_openapi(app)  # type: ignore[method-assign]
    return app
