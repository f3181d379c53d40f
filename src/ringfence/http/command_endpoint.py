"""``POST /v1/commands``: the one implementation of a command request, and the plain ASGI route that runs it.

A command request is authenticated (:meth:`VenueService.authenticate`: the bearer token against the
journal-registered key, then the principal's rate limit), its body validated against the command
union (:data:`~ringfence.http.commands.command_body_adapter`, on the raw bytes), and queued on the
group-commit writer, whose :class:`~ringfence.http.writer.Receipt` comes back once the batch is
durable. :func:`run_command` does exactly that, in that order, for both ways a request arrives:

- :class:`CommandEndpoint`, a plain ASGI app the service's app hands ``POST /v1/commands`` to
  before FastAPI's middleware, routing and dependency machinery (which cost the service more CPU
  per command than the engine and the journal together: ``docs/service.md``, "Performance");
- the FastAPI route of the same path (``app.py``), which documents the endpoint in the OpenAPI
  document and serves it when the app is mounted under a prefix.

Both answer with the same bytes: the receipt's JSON (200), or the problem of the error
(:func:`~ringfence.http.problems.error_problem`; a body the schema refuses is the 422 listing each
location, :class:`InvalidBody`).
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi.security.utils import get_authorization_scheme_param
from pydantic import ValidationError
from starlette.types import Message, Receive, Scope, Send

from ringfence.core.commands import Command
from ringfence.core.errors import InvalidCommand, RingfenceError
from ringfence.http.commands import command_body_adapter, to_command
from ringfence.http.problems import ProblemResponse, error_problem, unexpected_problem, validation_problem
from ringfence.http.service import VenueService
from ringfence.http.writer import Receipt

__all__ = ["COMMANDS_PATH", "CommandEndpoint", "InvalidBody", "bearer_authorization", "run_command"]

COMMANDS_PATH = "/v1/commands"
_log = logging.getLogger("ringfence.http")
_JSON_HEADERS = [(b"content-type", b"application/json")]


class InvalidBody(InvalidCommand):
    """A command body the schema refused; rendered as the 422 problem listing each location."""

    def __init__(self, errors: list[Any]) -> None:
        super().__init__("the command body is invalid")
        self.errors = errors


def bearer_authorization(header: str | None) -> str | None:
    """Return ``Bearer <credentials>`` from an ``Authorization`` header, or ``None`` if it has no bearer credentials.

    The reading of FastAPI's ``HTTPBearer(auto_error=False)``, which documents the endpoint's
    security scheme: a missing header, an empty one, another scheme or no credentials are all
    "no bearer token" (reported as a missing ``Authorization`` header).
    """
    scheme, credentials = get_authorization_scheme_param(header)
    if not (header and scheme and credentials) or scheme.lower() != "bearer":
        return None
    return f"Bearer {credentials}"


async def run_command(service: VenueService, authorization: str | None, body: bytes) -> Receipt:
    """Authenticate, validate and queue one command; return its receipt once it is durable.

    Raises
    ------
    TokenRejected, RateLimited
        If the sender is not authenticated or is over its rate limit (the body is not looked at).
    InvalidBody
        If the body is not a command of the union (nothing is queued).
    RingfenceError
        The core's refusal of the command, or the journal's failure (nothing acknowledged).
    """
    sender = service.authenticate(authorization)
    try:
        command_body = command_body_adapter.validate_json(body)
    except ValidationError as error:
        raise InvalidBody(list(error.errors())) from None

    def build(now_ns: int) -> Command:
        return to_command(command_body, now_ns)

    return await service.writer.submit(sender, build, command_body.command_id)


def _problem_of(method: str, path: str, error: RingfenceError) -> ProblemResponse:
    """Return the problem response of an error a command request raised."""
    if isinstance(error, InvalidBody):
        return validation_problem(error.errors)
    return error_problem(method, path, error)


class CommandEndpoint:
    """``POST /v1/commands`` as a plain ASGI app over :func:`run_command` (see the module docstring)."""

    def __init__(self, service: VenueService) -> None:
        self.service = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve one command request."""
        authorization = None
        for name, value in scope["headers"]:
            if name == b"authorization":
                authorization = value.decode("latin-1")
                break
        try:
            body = await _body(receive)
        except _Disconnected:
            return  # the client went away before its command was whole: nothing is run, nobody to answer
        try:
            receipt = await run_command(self.service, bearer_authorization(authorization), body)
        except RingfenceError as error:
            await _problem_of(scope["method"], scope["path"], error)(scope, receive, send)
            return
        except Exception as error:  # a bug: logged with its traceback, the client gets a 500 problem
            await unexpected_problem(scope["method"], scope["path"], error)(scope, receive, send)
            return
        content = receipt.json()
        headers = [*_JSON_HEADERS, (b"content-length", str(len(content)).encode())]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": content})


class _Disconnected(Exception):
    """The client disconnected before its request's body was complete."""


async def _body(receive: Receive) -> bytes:
    """Read a request's whole body (raises ``_Disconnected`` if the client leaves first)."""
    chunks: list[bytes] = []
    while True:
        message: Message = await receive()
        if message["type"] == "http.disconnect":
            raise _Disconnected
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)
